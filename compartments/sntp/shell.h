/*
 * What the SNTP compartment's I/O shell shares between its files:
 * sntp.c (declarations, exports, the record, the timer), exchange.c (one
 * NTP request through NetAPI and TCPIP) and key_exchange.c (NTS-KE
 * through the TLS compartment).  The decisions are the pure core's
 * (sync.h); the shell performs them and feeds back what happened.
 */
#ifndef SEALNET_SNTP_SHELL_H
#define SEALNET_SNTP_SHELL_H

#include "call.h"
#include "servers.h"
#include "sync.h"

/* One NTP request: a fresh socket on a random port, the NetAPI
 * authorisation that opens the Firewall to the server alone, the request
 * and its reply, the socket closed. */
enum exchange_state {
	EXCHANGE_IDLE,
	EXCHANGE_OPENING,     /* network_socket_udp */
	EXCHANGE_AUTHORISING, /* network_socket_udp_authorise_host */
	EXCHANGE_WAITING,     /* sent; receiving until the reply or timeout */
	EXCHANGE_DRAINING,    /* over; a receive is still outstanding */
};

struct exchange {
	enum exchange_state state;
	unsigned server;
	sn_handle socket;
	bool have_socket, receiving;
	uint64_t reply_deadline_ns;
	struct sync_address remote;
};

struct sntp_shell {
	struct sn_compartment compartment;
	struct sync sync;
	struct sn_peer *tcpip, *netapi, *tls;
	/* The compartment's capabilities, and which are servers. */
	const struct sn_capability *caps;
	unsigned ncaps;
	struct server_plan plan;
	/* For each server, the UDP capability its requests use (-1 until
	 * NTS-KE has named one), and for NTS the TCP one of its key
	 * establishment (-1 for plain NTP). */
	int ntp_cap[SYNC_MAX_SERVERS];
	int ke_cap[SYNC_MAX_SERVERS];
	struct exchange exchanges[SYNC_MAX_SERVERS];
	/* CLOCK_REALTIME + clock_skew_ns is the local clock: never earlier
	 * than SNTP_CLOCK_FLOOR_S, so that NTP eras are placed right even
	 * when the system clock has not been set. */
	int64_t clock_skew_ns;
};

extern struct sntp_shell sntp;

/* The local clock, Unix nanoseconds. */
int64_t sntp_local_clock_ns(void);

/* After anything happened: publish what can be published, answer
 * sntp_update's callers, start what is due, set the timer. */
void sntp_after_event(void);

/* Logs a refused reply with its count, the 1st, 2nd, 4th... time. */
void sntp_log_refusal(unsigned server, const char *why, uint64_t count);

/* One of the compartment's capabilities, in b, as the callee checks it
 * against what the image gave SNTP: a server's UDP one (NetAPI), or the
 * TCP one of its key establishment (NetAPI, TLS). */
uint32_t sntp_capability(sn_builder *b, const struct sn_capability *cap);

/* ---- exchange.c ---- */

bool exchange_busy(unsigned server);
/* Starts server i's request; failures are fed to the core as lost
 * requests. */
void exchange_start(unsigned server);

/* ---- key_exchange.c ---- */

bool key_exchange_busy(unsigned server);
void key_exchange_start(unsigned server);
/* TLS's late-reply handler: closes a session made for a create that had
 * given up. */
void key_exchange_late_session(struct sn_peer *from, uint16_t export_id,
			       const sn_message_ref *reply);

#endif
