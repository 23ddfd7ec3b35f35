/*
 * The codec's sample messages, shared by its tests: each build_* builds one
 * complete message into a builder, and build() builds one into mem, its
 * length in len.
 */
#ifndef SEALNET_TESTS_CODEC_SAMPLES_H
#define SEALNET_TESTS_CODEC_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "sealnet_msg.h"

/* The last message built, and its length. */
extern _Alignas(8) uint8_t mem[1 << 16];
extern size_t len;

/* What the samples carry, for the tests that read them back. */
extern const sn_handle handle;
extern const uint8_t ipv6[16];

int build_echo(sn_builder *b);
int build_send(sn_builder *b);
int build_resolved(sn_builder *b);
int build_mqtt_connect(sn_builder *b);
int build_time(sn_builder *b);
int build_failed_reply(sn_builder *b);
int build_listen(sn_builder *b);
int build_log(sn_builder *b);
int build_ready(sn_builder *b);
int build_boot(sn_builder *b);
int build_null(sn_builder *b);

struct sample {
	const char *name;
	int (*build)(sn_builder *b);
};

/* Every sample, by the name tests/codec-crosscheck.sh knows it by. */
extern const struct sample samples[];
extern const size_t sample_count;

/* A Message with the samples' call id and deadline, its body to come. */
uint32_t start_message(sn_builder *b, uint8_t call_type, uint16_t export_id);
/* Builds with fn into mem; its result. */
int build(int (*fn)(sn_builder *b));
/* sn_message_verify, without the reason. */
int verify(const uint8_t *buf, size_t n, sn_message_ref *m);

#endif
