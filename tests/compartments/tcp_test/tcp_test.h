/*
 * What tcp_test's steps share with its main (tests/compartments/tcp_test.c),
 * which holds the compartment's declarations: its capabilities are static
 * there, so the steps reach them through the cap_* pointers.
 */
#ifndef SEALNET_TESTS_TCP_TEST_H
#define SEALNET_TESTS_TCP_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include <sealnet/sealnet.h>

#define TOTAL (10u << 20)
#define CHUNK (32u << 10)

extern uint8_t out[CHUNK], in[CHUNK];

extern const struct sealnet_declaration *const cap_echo_server;
extern const struct sealnet_declaration *const cap_udp_echo;
/* A name the test's DNS server answers with a new address each time. */
extern const struct sealnet_declaration *const cap_rotating;
/* The test opens these ports when it wants the next step to begin. */
extern const struct sealnet_declaration *const cap_go_signal;
extern const struct sealnet_declaration *const cap_spoof_done;
/* Names the test's DNS server answers with a forgery first. */
extern const struct sealnet_declaration *const cap_wrongid;
extern const struct sealnet_declaration *const cap_wrongserver;
extern const struct sealnet_declaration *const cap_wrongport;
/* Answered with a CNAME to another name, then that name's address. */
extern const struct sealnet_declaration *const cap_alias;
/* The echo server over IPv6, at the address SLAAC's prefix gives. */
extern const struct sealnet_declaration *const cap_echo6;
/* A name the test's DNS server never answers. */
extern const struct sealnet_declaration *const cap_silent;
/* tcp_peer pairs: two one-byte writes for each request. */
extern const struct sealnet_declaration *const cap_pairs;

/* FNV-1a, 64 bits: enough to see a lost, reordered or changed byte. */
uint64_t fnv(uint64_t h, const uint8_t *p, size_t n);
/* All of it, or the error that stopped it. */
int send_all(uint64_t timeout_ns, sealnet_socket s, const uint8_t *p,
	     size_t len);
/* Waits until the stack has an IPv4 address, or an IPv6 one; with
 * prefix_byte set, one that starts with it (not link-local). */
int wait_for_family(bool ipv6, int prefix_byte, uint64_t timeout_ns);
/* Echoes n bytes over s; 0 if they all came back unchanged. */
int echo_some(sealnet_socket s, size_t n);
/* Returns once the test opens the port signal names. */
void wait_for_signal(const struct sealnet_declaration *signal);

/* The steps, in the order main runs them. */
void echo_test(void);
void udp_round_trip(void);
void udp_peers_bounded(void);
void socket_quota(void);
void receive_after_timeout(void);
void stalled_peer(void);
void small_segments(void);
void connect_timeouts(void);
void forged_dns_answers(void);
void cname_followed(void);
void ipv6_echo(void);
void spoofed_segments(void);
void transfer_across_a_restart(void);

#endif
