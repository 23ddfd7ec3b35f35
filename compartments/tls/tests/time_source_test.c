/*
 * Which clock TLS checks certificate dates against: the rule on every
 * kind of record (time_source.c), then the seam the compartment calls
 * (verify_time.c) on a shared record this test writes, mapped read-only
 * as the supervisor maps it, holding a time two years from the system
 * clock so that which clock was used cannot be mistaken.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "session.h"
#include "time_record.h"
#include "time_source.h"

#define SHIFT_S (2 * 365 * 86400LL)
/* A handshake's two clock readings are a few microseconds apart; a
 * second's slack keeps a slow machine from failing the test. */
#define SLACK_S 2

static int64_t
system_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* A record SHIFT_S ahead of the system clock, measured just now. */
static void
shifted(struct sn_time_payload *p, uint32_t flags, uint64_t mono)
{
	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->offset_seconds =
	    system_now() + SHIFT_S - (int64_t)(mono / SN_SECOND);
	p->updated_monotonic_ns = mono;
	p->stratum = 2;
	strcpy(p->server, "nts.test");
}

static bool
near(int64_t got, int64_t want)
{
	return got >= want - SLACK_S && got <= want + SLACK_S;
}

TEST(only_authenticated_time_is_taken)
{
	const uint32_t sync = SN_TIME_SYNCHRONISED | SN_TIME_UPDATING;
	struct sn_time_payload p;
	uint64_t mono = sn_now_ns();
	int64_t sys = system_now(), t = 0, n = 0;

	shifted(&p, sync | SN_TIME_AUTHENTICATED, mono);
	CHECK_EQ_INT(tls_time_choose(-ENOENT, &p, mono, sys, &t, &n),
		     TLS_TIME_SYSTEM_NO_RECORD);
	CHECK_EQ_INT(t, sys);
	CHECK_EQ_INT(n, sys);
	CHECK_EQ_INT(tls_time_choose(-EBADMSG, &p, mono, sys, &t, &n),
		     TLS_TIME_SYSTEM_UNREADABLE);
	CHECK_EQ_INT(t, sys);
	CHECK_EQ_INT(tls_time_choose(-EAGAIN, &p, mono, sys, &t, &n),
		     TLS_TIME_SYSTEM_UNREADABLE);
	CHECK_EQ_INT(t, sys);
	/* Never synchronised: SNTP is up, the record is all zeros. */
	shifted(&p, SN_TIME_UPDATING, mono);
	CHECK_EQ_INT(tls_time_choose(0, &p, mono, sys, &t, &n),
		     TLS_TIME_SYSTEM_UNSYNCHRONISED);
	CHECK_EQ_INT(t, sys);
	/* Plain NTP, which an attacker on the path moved two years. */
	shifted(&p, sync, mono);
	CHECK_EQ_INT(tls_time_choose(0, &p, mono, sys, &t, &n),
		     TLS_TIME_SYSTEM_UNAUTHENTICATED);
	CHECK_EQ_INT(t, sys);
	/* ... which is refused, but given for the log. */
	CHECK(near(n, sys + SHIFT_S));
	/* NTS: the network's time, whatever the system clock says. */
	shifted(&p, sync | SN_TIME_AUTHENTICATED, mono);
	CHECK_EQ_INT(tls_time_choose(0, &p, mono, sys, &t, &n),
		     TLS_TIME_NETWORK);
	CHECK(near(t, sys + SHIFT_S));
}

TEST(held_time_moves_on_with_the_monotonic_clock)
{
	struct sn_time_payload p;
	uint64_t mono = sn_now_ns(), later = mono + 3600 * SN_SECOND;
	int64_t sys = system_now(), t = 0, n = 0;

	/* SNTP died an hour ago, after an authenticated update. */
	shifted(&p, SN_TIME_SYNCHRONISED | SN_TIME_AUTHENTICATED, mono);
	CHECK_EQ_INT(tls_time_choose(0, &p, later, sys, &t, &n),
		     TLS_TIME_NETWORK_HELD);
	CHECK(near(t, sys + SHIFT_S + 3600));
	/* ... in the middle of an update: the supervisor cleared it. */
	shifted(&p, 0, mono);
	CHECK_EQ_INT(tls_time_choose(0, &p, later, sys, &t, &n),
		     TLS_TIME_SYSTEM_UNSYNCHRONISED);
	CHECK_EQ_INT(t, sys);
}

TEST(a_time_before_1970_is_not_taken)
{
	struct sn_time_payload p;
	uint64_t mono = sn_now_ns();
	int64_t sys = system_now(), t = 0, n = 0;

	shifted(&p,
		SN_TIME_SYNCHRONISED | SN_TIME_AUTHENTICATED | SN_TIME_UPDATING,
		mono);
	p.offset_seconds = -(int64_t)(mono / SN_SECOND) - 10;
	CHECK_EQ_INT(tls_time_choose(0, &p, mono, sys, &t, &n),
		     TLS_TIME_SYSTEM_UNREADABLE);
	CHECK_EQ_INT(t, sys);
}

/* Lines of f that hold s. */
static int
count_lines(FILE *f, const char *s)
{
	char line[1024];
	int n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, s) != NULL;
	return n;
}

/* The seam: the compartment's own call, on a record in a memfd that it
 * maps through a read-only descriptor, with its log captured. */
TEST(the_seam_reads_the_shared_record)
{
	struct sn_time_record *w;
	struct sn_time_payload p;
	FILE *log = tmpfile();
	char path[64];
	int fd, ro, saved_stderr;
	int64_t t;

	fd = memfd_create("tls-time-test", MFD_CLOEXEC);
	CHECK(fd >= 0 && log != NULL);
	CHECK_EQ_INT(ftruncate(fd, SN_TIME_RECORD_SIZE), 0);
	w = mmap(NULL, SN_TIME_RECORD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	CHECK(w != MAP_FAILED);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(ro >= 0);
	saved_stderr = dup(STDERR_FILENO);
	CHECK(saved_stderr >= 0);
	CHECK_EQ_INT(dup2(fileno(log), STDERR_FILENO), STDERR_FILENO);

	/* No record yet: what an image without SNTP gives. */
	t = tls_verification_time();
	CHECK(near(t, system_now()));
	CHECK_EQ_INT(sn_time_record_attach(ro, SN_TIME_RECORD_ACCESS_READ), 0);
	CHECK(sn_time_record_shared() != NULL);
	shifted(&p, SN_TIME_SYNCHRONISED | SN_TIME_UPDATING, sn_now_ns());
	sn_time_record_write(w, &p);
	t = tls_verification_time();
	CHECK(near(t, system_now()));
	shifted(&p,
		SN_TIME_SYNCHRONISED | SN_TIME_AUTHENTICATED | SN_TIME_UPDATING,
		sn_now_ns());
	sn_time_record_write(w, &p);
	for (int i = 0; i < 3; i++) {
		t = tls_verification_time();
		CHECK(near(t, system_now() + SHIFT_S));
	}
	/* SNTP died: the time is held, and the change is logged. */
	CHECK(!sn_time_record_writer_gone(w));
	t = tls_verification_time();
	CHECK(near(t, system_now() + SHIFT_S));

	fflush(stderr);
	CHECK_EQ_INT(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	/* Each source logged once, when it began. */
	CHECK_EQ_INT(count_lines(log, "certificate dates"), 4);
	CHECK_EQ_INT(count_lines(log, "no SNTP compartment"), 1);
	CHECK_EQ_INT(count_lines(log, "plain NTP"), 1);
	/* ... with the time it refused, two years ahead. */
	CHECK_EQ_INT(count_lines(log, "; it is +630720"), 1);
	CHECK_EQ_INT(count_lines(log, "network time from nts.test, +630720"),
		     1);
	CHECK_EQ_INT(count_lines(log, "no longer updates it"), 1);
	fclose(log);
	munmap(w, SN_TIME_RECORD_SIZE);
	close(fd);
}

int
main(void)
{
	RUN(only_authenticated_time_is_taken);
	RUN(held_time_moves_on_with_the_monotonic_clock);
	RUN(a_time_before_1970_is_not_taken);
	RUN(the_seam_reads_the_shared_record);
	HARNESS_EXIT();
}
