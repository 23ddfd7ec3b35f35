/*
 * The tls_engine fuzz target's input: one control byte, then the bytes
 * the server sends.  The control byte says how the session is set up and
 * in what pieces the engine is fed, so that one seed explores both.
 */
#ifndef SEALNET_TLS_FUZZ_INPUT_H
#define SEALNET_TLS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_HOST     "example.com"
#define FUZZ_IDENTITY "fuzz"
#define FUZZ_ALPN     "\x07ntske/1\x08http/1.1"

#define FUZZ_WITH_IDENTITY 0x40u
#define FUZZ_WITH_ALPN	   0x80u
#define FUZZ_CHUNK_MASK	   0x3fu

/* 0: everything at once; otherwise from 5 bytes up to about 20 KB, more
 * than one record, so records split anywhere. */
static inline size_t
fuzz_chunk_size(uint8_t control, size_t len)
{
	size_t step = control & FUZZ_CHUNK_MASK;

	return step == 0 ? len : step * step * 5;
}

#endif
