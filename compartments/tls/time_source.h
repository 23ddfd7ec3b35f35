/*
 * Which clock certificate dates are checked against, decided from what
 * the shared time record holds (runtime/time_record.h).  Pure: the
 * record, both clocks and the result are passed in and out.
 *
 * TLS takes network time only when the SNTP compartment authenticated
 * it (NTS).  Plain NTP replies can be forged by anyone on the path, and
 * a clock an attacker moves back makes an expired certificate, perhaps
 * one whose key leaked, valid again; the system clock is then the safer
 * choice, since no packet this stack receives can move it.
 *
 * Authenticated time stays in use once the SNTP compartment stops
 * updating the record (it died, or is being restarted): the last
 * measured time plus CLOCK_MONOTONIC's elapsed time drifts at most
 * 15 ppm, about 1.3 s a day, while the system clock's error has no
 * bound sealnet knows.  The one exception is a record the writer died
 * in the middle of: the supervisor then clears its flags, and the
 * system clock is used until SNTP synchronises again.
 */
#ifndef SEALNET_TLS_TIME_SOURCE_H
#define SEALNET_TLS_TIME_SOURCE_H

#include <stdint.h>

#include "time_record.h"

enum tls_time_source {
	/* The image has no SNTP compartment: no record was mapped. */
	TLS_TIME_SYSTEM_NO_RECORD,
	/* The record could not be read consistently, or breaks its rules,
	 * or holds a time before 1970. */
	TLS_TIME_SYSTEM_UNREADABLE,
	/* SNTP has not synchronised yet. */
	TLS_TIME_SYSTEM_UNSYNCHRONISED,
	/* SNTP synchronised by plain NTP, which an attacker on the path
	 * can forge. */
	TLS_TIME_SYSTEM_UNAUTHENTICATED,
	/* NTS-authenticated network time, kept up to date. */
	TLS_TIME_NETWORK,
	/* The same, last measured by an SNTP compartment that no longer
	 * updates it: carried forward on CLOCK_MONOTONIC. */
	TLS_TIME_NETWORK_HELD,
};

/*
 * The Unix seconds certificates are checked at, into *seconds, and where
 * they came from.  read_rc is sn_time_record_read's result (p is read
 * only when it is 0), or -ENOENT when there is no record.  Into
 * *network_seconds, the record's time, taken or refused, so that a
 * refused time can be shown: system_seconds when the record holds none.
 */
enum tls_time_source tls_time_choose(int read_rc,
				     const struct sn_time_payload *p,
				     uint64_t now_monotonic_ns,
				     int64_t system_seconds, int64_t *seconds,
				     int64_t *network_seconds);

/* What the source is, in words for the log. */
const char *tls_time_source_description(enum tls_time_source s);

#endif
