/*
 * SYN cookies: the initial sequence number of a SYN-ACK the Firewall sends
 * for TCPIP, from which the client's ACK alone proves the handshake
 * happened, so that no state exists until it has.  Pure but for the MAC,
 * OpenSSL's SipHash-2-4 keyed from getrandom() by the caller.
 *
 * A cookie's 32 bits, high to low:
 *   27  the MAC, over the key, the connection's addresses and ports, the
 *       client's initial sequence number, the time counter and the 5 bits
 *       below
 *    1  the time counter's lowest bit: which of the two counters it used
 *    2  the client's window scale shift, rounded down to one of three
 *       classes, or none
 *    2  the client's MSS, rounded down to one of four classes
 * The time counter advances every SYNCOOKIE_PERIOD_NS; a cookie is valid
 * while its counter is the current one or the one before, so for at least
 * one period and less than two.
 *
 * Whatever the cookie keeps in clear is a value a forged ACK need not
 * guess: a random ACK matches one of the 2^5 cookies its connection may
 * have with probability 2^-27.  That is why the shift is kept in classes
 * and not whole (16 values cost two more bits, a probability of 2^-25):
 * a shift rounded down makes lwIP read the client's window as smaller
 * than it is, which is safe and, from the smallest class up, still
 * scales it to megabytes.
 */
#ifndef SEALNET_SYNCOOKIE_H
#define SEALNET_SYNCOOKIE_H

#include <stdint.h>

#include "tcpseg.h"

#define SYNCOOKIE_KEY_BYTES 16
#define SYNCOOKIE_PERIOD_NS (16ull * 1000000000ull)
/* The MSS classes; a client's MSS is rounded down to one, and one below
 * the smallest, or none at all, counts as the smallest (as IPv4's default
 * and IPv6's minimum allow). */
#define SYNCOOKIE_MSS_CLASSES                                                  \
	{                                                                      \
		536, 1220, 1440, 1460                                          \
	}
/* The window scale classes: a client's shift is rounded down to one. */
#define SYNCOOKIE_WSCALE_CLASSES                                               \
	{                                                                      \
		0, 6, 9                                                        \
	}

struct evp_mac_ctx_st;

struct syncookie_key {
	struct evp_mac_ctx_st *mac;
	uint8_t key[SYNCOOKIE_KEY_BYTES];
};

/* 0, or -ENOMEM / -ENOSYS when OpenSSL cannot give SipHash. */
int syncookie_key_init(struct syncookie_key *k,
		       const uint8_t key[SYNCOOKIE_KEY_BYTES]);
void syncookie_key_free(struct syncookie_key *k);

/* What a cookie brings back of the SYN it answered. */
struct syncookie_syn {
	uint16_t mss; /* a class, never above the client's */
	int wscale;   /* a class, never above the client's shift; -1 if it
			 sent none */
};

/* The counter for a time in nanoseconds. */
uint64_t syncookie_counter(uint64_t now_ns);

/* The cookie for the inbound SYN s (client = source). */
int syncookie_make(const struct syncookie_key *k, const struct tcpseg *s,
		   uint64_t counter, uint32_t *cookie);

/* Whether the inbound ACK s acknowledges a cookie made for its addresses
 * and ports, and for a SYN numbered right before it, at counter or the one
 * before: 0 and what the SYN said, or -EACCES.  The SYN's number is in the
 * MAC so that a new connection on a reused port gets a new cookie, and a
 * late segment of an earlier one on that port makes no handshake. */
int syncookie_check(const struct syncookie_key *k, const struct tcpseg *s,
		    uint64_t counter, struct syncookie_syn *syn);

#endif
