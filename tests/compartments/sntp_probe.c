/*
 * The SNTP tests' reader: it prints what sntp_time_get and sntp_status
 * say whenever it changes, one line of key=value pairs each, for
 * tests/sntp-test.sh to read.  It calls sntp_update once, at the start,
 * and never again: re-synchronisations are the SNTP compartment's own.
 *
 * It also plays a hostile reader: it tries to make its mapping of the
 * shared time record writable, which needs the runtime's header for the
 * mapping (sealnet/sntp.h gives no pointer to it on purpose).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <sealnet/sealnet.h>

#include "time_record.h"

SEALNET_COMPARTMENT("sntp_probe");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(sntp_update);
SEALNET_IMPORT(sntp_time_get);
SEALNET_IMPORT(sntp_status);
SEALNET_RESTART(never, 0);

#define LOOK_EVERY (200 * SEALNET_MS)

static char last_time[512], last_server[SNTP_STATUS_SERVERS_MAX][512];

static void
print_if_new(char *last, size_t cap, const char *line)
{
	if (strcmp(last, line) == 0)
		return;
	snprintf(last, cap, "%s", line);
	printf("%s\n", line);
	fflush(stdout);
}

/* The record as the SDK reads it, when it changes; offset_ns is network
 * time minus this machine's clock, the two read together, and base_ns
 * network time minus CLOCK_MONOTONIC: what the record holds, which moves
 * only when the record does, whatever sets the machine's clock. */
static void
show_time(void)
{
	struct sntp_time t;
	struct timespec sys, mono;
	char line[512];
	int rc = sntp_time_get(&t);

	clock_gettime(CLOCK_REALTIME, &sys);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (rc < 0 && rc != -ENODATA)
		snprintf(line, sizeof(line), "time error=%d", rc);
	else
		snprintf(line, sizeof(line),
			 "time synchronised=%d authenticated=%d updating=%d "
			 "updates=%" PRIu32 " stratum=%u server=%s",
			 t.synchronised, t.authenticated, t.updating, t.updates,
			 t.stratum, t.synchronised ? t.server : "-");
	if (strcmp(line, last_time) == 0)
		return;
	snprintf(last_time, sizeof(last_time), "%s", line);
	printf("%s\n", line);
	if (rc == 0)
		printf("offset updates=%" PRIu32 " offset_ns=%" PRId64
		       " error_ns=%" PRIu64 " age_ns=%" PRIu64
		       " base_ns=%" PRId64 "\n",
		       t.updates,
		       (t.seconds - (int64_t)sys.tv_sec) *
			       (int64_t)SEALNET_SECOND +
			   ((int64_t)t.nanoseconds - sys.tv_nsec),
		       t.error_ns, t.age_ns,
		       (t.seconds - (int64_t)mono.tv_sec) *
			       (int64_t)SEALNET_SECOND +
			   ((int64_t)t.nanoseconds - mono.tv_nsec));
	fflush(stdout);
}

static void
show_status(void)
{
	struct sntp_status st;
	char line[512];

	if (sntp_status(SEALNET_SECOND, &st) < 0)
		return;
	for (unsigned i = 0; i < st.nservers; i++) {
		const struct sntp_server_status *s = &st.servers[i];

		snprintf(
		    line, sizeof(line),
		    "server host=%s port=%u nts=%d usable=%d poll=%u "
		    "requests=%" PRIu64 " accepted=%" PRIu64
		    " timeouts=%" PRIu64 " not_ours=%" PRIu64 " source=%" PRIu64
		    " malformed=%" PRIu64 " unsynchronised=%" PRIu64
		    " unauthenticated=%" PRIu64 " not_authentic=%" PRIu64
		    " replayed=%" PRIu64 " kiss_rate=%" PRIu64
		    " kiss_deny=%" PRIu64 " kiss_ntsn=%" PRIu64
		    " falseticker=%" PRIu64 " key_exchanges=%" PRIu64
		    " key_exchange_failures=%" PRIu64 " cookies=%u",
		    s->host, s->port, s->nts, s->usable, s->poll, s->requests,
		    s->accepted, s->timeouts, s->rejected_not_ours,
		    s->rejected_source, s->rejected_malformed,
		    s->rejected_unsynchronised, s->rejected_unauthenticated,
		    s->rejected_not_authentic, s->rejected_replayed,
		    s->kiss_rate, s->kiss_deny, s->kiss_ntsn, s->falseticker,
		    s->key_exchanges, s->key_exchange_failures, s->cookies);
		print_if_new(last_server[i], sizeof(last_server[i]), line);
	}
}

/* A reader must not be able to change the record: its mapping is of a
 * read-only descriptor, so the kernel refuses write access. */
static void
try_to_write_the_record(void)
{
	void *page = (void *)sn_time_record_shared();

	if (page == NULL) {
		printf("record none\n");
		return;
	}
	if (mprotect(page, SN_TIME_RECORD_SIZE, PROT_READ | PROT_WRITE) == 0)
		printf("record writable\n");
	else
		printf("record write_refused errno=%d\n", errno);
	fflush(stdout);
}

/* SNTP died: the record, read at once, still holds the time and says
 * it is no longer kept up to date (the supervisor marks it before any
 * peer hears of the death). */
static void
died(void *ctx, const char *compartment)
{
	(void)ctx;
	printf("died %s\n", compartment);
	last_time[0] = 0;
	show_time();
}

int
main(void)
{
	int rc;

	if (sealnet_start() < 0 || sealnet_on_compartment_died(died, NULL) < 0)
		return 1;
	try_to_write_the_record();
	rc = network_start(60 * SEALNET_SECOND);
	if (rc == 0)
		rc = sntp_update(30 * SEALNET_SECOND);
	printf("update rc=%d\n", rc);
	fflush(stdout);
	for (;;) {
		show_time();
		show_status();
		rc = sealnet_wait(LOOK_EVERY);
		if (rc == -ECANCELED)
			return 0;
	}
}
