/*
 * Every protocol number and every bound the SNTP modules use, in one
 * place, so that a limit is changed once and the reason for it is read
 * once.
 */
#ifndef SEALNET_SNTP_CONST_H
#define SEALNET_SNTP_CONST_H

/* ---- NTP (RFC 5905, RFC 7822) ---- */

#define NTP_HEADER_LEN	48
#define NTP_VERSION	4
#define NTP_MODE_CLIENT 3
#define NTP_MODE_SERVER 4
#define NTP_LEAP_UNSYNC 3
/* Stratum 16 means unsynchronised; anything above is not a stratum. */
#define NTP_MAX_STRATUM 15
#define NTP_STRATUM_KOD 0
/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix). */
#define NTP_UNIX_EPOCH_OFFSET 2208988800LL
/* Era conversion takes a pivot within this many seconds of 1970 either
 * way, so that no sum below it can overflow 64 bits. */
#define NTP_PIVOT_LIMIT (1LL << 62)
/*
 * The largest packet decoded or built: an IPv6 minimum-MTU datagram
 * (1280 bytes less 40 of IPv6 and 8 of UDP).  It bounds the stack
 * buffers that hold a decrypted NTS payload.
 */
#define NTP_MAX_PACKET_LEN 1232
/* RFC 7822: an extension field is at least 16 bytes, a multiple of 4. */
#define NTP_EF_HEADER_LEN 4
#define NTP_EF_MIN_LEN	  16
/* RFC 7822: trailing data of at most 24 bytes is a legacy MAC, not an
 * extension field; MACs are 4 (crypto-NAK), 20 or 24 bytes. */
#define NTP_MAX_V4_MAC_LEN 24
/*
 * The root distance (root delay / 2 + root dispersion) above which a
 * server's time is worthless: RFC 5905's MAXDISP, 16 s, in NTP short
 * format (16.16 fixed point seconds).
 */
#define NTP_MAX_ROOT_DISTANCE_SHORT (16u << 16)

/* Kiss-o'-Death codes (RFC 5905 section 7.4, RFC 8915 section 5.7). */
#define NTP_KISS_DENY 0x44454e59u /* "DENY" */
#define NTP_KISS_RSTR 0x52535452u /* "RSTR" */
#define NTP_KISS_RATE 0x52415445u /* "RATE" */
#define NTP_KISS_NTSN 0x4e54534eu /* "NTSN" */

/* ---- server selection and polling ---- */

#define SELECT_MAX_SAMPLES 16
/*
 * A sample whose root distance exceeds this is not a candidate: RFC
 * 5905's MAXDIST (1 s), beyond which a server is too far from its
 * reference to be worth an interval.
 */
#define SELECT_MAX_DISTANCE_NS 1000000000LL
/* Offsets beyond this (about 146 years) are refused as input, so that
 * offset +- distance cannot overflow. */
#define SELECT_MAX_ABS_OFFSET_NS (1LL << 62)
/* RFC 5905 poll exponents: 16 s to 36 h. */
#define SELECT_MIN_POLL 4
#define SELECT_MAX_POLL 17
/* Consecutive good samples after which the poll interval doubles. */
#define SELECT_STABLE_SAMPLES 4

/* ---- NTS key establishment (RFC 8915 section 4) ---- */

#define NTS_KE_PORT		  4460
#define NTS_KE_ALPN		  "ntske/1"
#define NTS_KE_EXPORTER_LABEL	  "EXPORTER-network-time-security"
#define NTS_KE_RECORD_HEADER_LEN  4
#define NTS_KE_CRITICAL		  0x8000u
#define NTS_KE_END_OF_MESSAGE	  0
#define NTS_KE_NEXT_PROTOCOL	  1
#define NTS_KE_ERROR		  2
#define NTS_KE_WARNING		  3
#define NTS_KE_AEAD_ALGORITHM	  4
#define NTS_KE_NEW_COOKIE	  5
#define NTS_KE_NTPV4_SERVER	  6
#define NTS_KE_NTPV4_PORT	  7
#define NTS_KE_PROTOCOL_NTPV4	  0
#define NTS_AEAD_AES_SIV_CMAC_256 15
/* Exporter context: protocol id, AEAD id, direction byte. */
#define NTS_KE_EXPORTER_CONTEXT_LEN 5
#define NTS_KE_C2S		    0x00
#define NTS_KE_S2C		    0x01
/* A whole response larger than this is refused (chrony uses the same). */
#define NTS_KE_MAX_RESPONSE_LEN 16384
/* The longest server name record kept (a DNS name is at most 253). */
#define NTS_KE_MAX_SERVER_LEN 255
/* What the client request holds: three records, 16 bytes. */
#define NTS_KE_REQUEST_LEN 16
/* The longest record body the parser keeps: a cookie or a server name.
 * Longer bodies of records it does not need are skipped, not stored. */
#define NTS_KE_MAX_KEPT_BODY 256

/* ---- NTS for NTP packets (RFC 8915 section 5) ---- */

#define NTS_EF_UNIQUE_ID	  0x0104
#define NTS_EF_COOKIE		  0x0204
#define NTS_EF_COOKIE_PLACEHOLDER 0x0304
#define NTS_EF_AUTHENTICATOR	  0x0404
/* Cookies kept per server; the jar refills to this many. */
#define NTS_MAX_COOKIES 8
/*
 * A cookie is a multiple of 4 bytes (so that its extension field needs
 * no padding the server would have to strip) and at least 12 (so that
 * its field reaches the 16-byte minimum without padding).
 */
#define NTS_MIN_COOKIE_LEN 12
#define NTS_MAX_COOKIE_LEN 256
#define NTS_UID_LEN	   32
#define NTS_NONCE_LEN	   16
/* RFC 8915 5.6: nonce plus its padding fills at least 16 bytes. */
#define NTS_MIN_NONCE_AREA 16
#define NTS_KEY_LEN	   32
#define SIV_TAG_LEN	   16
/* S2V takes at most 126 associated-data parts (RFC 5297 section 7);
 * NTS needs two: the packet and the nonce. */
#define SIV_MAX_AD_PARTS 8

/* ---- the compartment: servers, requests, the record ---- */

/* A system clock earlier than this (2025-01-01T00:00:00Z) was never
 * set: NTP eras are placed from this date instead, which is right until
 * 2093. */
#define SNTP_CLOCK_FLOOR_S 1735689600

/* Servers one image may give (each one capability or two; a
 * compartment holds at most 16). */
#define SYNC_MAX_SERVERS 8
#define SYNC_HOST_MAX	 253
#define NTP_PORT	 123
/* Poll intervals from 16 s to 17 min, RFC 5905's default maximum. */
#define SYNC_MAX_POLL 10
/* How long a request waits for its reply before it counts as lost. */
#define SYNC_REPLY_TIMEOUT_NS (1000ull * 1000 * 1000)
/*
 * Never two requests to one server closer than this, whatever callers of
 * sntp_update ask: RFC 5905's burst headway, 2 s.
 */
#define SYNC_MIN_GAP_NS (2000ull * 1000 * 1000)
/*
 * Until the first synchronisation a lost reply is asked again after 2,
 * 4, then 8 s (as chrony's iburst does) before the poll interval takes
 * over: a lost datagram should not cost a minute of unsynchronised time.
 */
#define SYNC_QUICK_RETRIES  3
#define SYNC_QUICK_RETRY_NS SYNC_MIN_GAP_NS
/*
 * Each server's last samples, of which the one nearest its reference
 * (smallest delay and dispersion, aged) stands for the server: a reply
 * that a busy server or a first ARP exchange held up measures the offset
 * badly, and its delay says so (RFC 5905's clock filter).
 */
#define SYNC_FILTER_SAMPLES 8
/*
 * The first samples of a server come 2 s apart, so that the filter has a
 * good one within seconds; then the poll interval.  Eight, as ntpd's
 * iburst sends (chrony's sends four), fill the filter: in a stack's first
 * seconds every one of four samples can be held up (2-6 ms round trips
 * against 0.7 ms once settled, on the test network beside a loaded CPU),
 * and the next good one would come a poll interval later, when the
 * samples kept have aged by 15 us for each second.
 */
#define SYNC_BURST_SAMPLES 8
/* A sample counts in a selection while it is younger than this many
 * poll intervals of its server. */
#define SYNC_SAMPLE_MAX_POLLS 3
/* Our own clock's reading precision, added to each sample's
 * dispersion: clock_gettime on Linux is good to well under this. */
#define SYNC_LOCAL_PRECISION_NS (1000ull)
/* sntp_update answers at once with a record younger than this: asking
 * again sooner would poll faster than RFC 5905's minimum of 16 s. */
#define SYNC_FRESH_NS (16000ull * 1000 * 1000)
/* Callers of sntp_update that may wait at once. */
#define SYNC_MAX_WAITERS 16
/* NTS-KE: after a failure wait 2 s, doubling up to an hour. */
#define SYNC_KE_RETRY_MIN_NS (2000ull * 1000 * 1000)
#define SYNC_KE_RETRY_MAX_NS (3600ull * 1000 * 1000 * 1000)
/* How long one NTS-KE session may take, TLS handshake included. */
#define SYNC_KE_TIMEOUT_NS (5000ull * 1000 * 1000)

#endif
