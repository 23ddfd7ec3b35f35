/*
 * The shared time record: a reader never sees a torn update, whatever a
 * writer in another process does meanwhile; what a reader refuses; what
 * the supervisor does when the writer dies; and that a read-only
 * descriptor gives no way to write the record.  No root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "time_record.h"

/* Updates the stress writer makes, with a pause after each so that the
 * reader's attempts fall both inside and between them; the reader reads
 * until the writer is done. */
#define STRESS_UPDATES 1000000u
#define STRESS_PAUSE   200u

/* Every field a function of k, so that a mixture of two updates shows. */
static void
payload_for(uint32_t k, struct sn_time_payload *p)
{
	memset(p, 0, sizeof(*p));
	p->flags = SN_TIME_SYNCHRONISED | SN_TIME_UPDATING |
		   (k % 2 ? SN_TIME_AUTHENTICATED : 0);
	p->updates = k;
	p->offset_seconds = (int64_t)k * 3;
	p->offset_nanoseconds = k % 1000000000u;
	p->stratum = (uint8_t)(k % 15 + 1);
	p->updated_monotonic_ns = k;
	p->error_ns = (uint64_t)k * 7;
	memset(p->server, 'a' + (int)(k % 26), SN_TIME_SERVER_MAX);
}

static bool
consistent(const struct sn_time_payload *p)
{
	struct sn_time_payload want;

	payload_for(p->updates, &want);
	return memcmp(p, &want, sizeof(want)) == 0;
}

static struct sn_time_record *
shared_record(int *fd)
{
	void *m;

	*fd = memfd_create("time-record-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd < 0 || ftruncate(*fd, SN_TIME_RECORD_SIZE) < 0)
		return NULL;
	m = mmap(NULL, SN_TIME_RECORD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 *fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

TEST(round_trip)
{
	static struct sn_time_record r;
	struct sn_time_payload p, got;

	CHECK_EQ_INT(sn_time_record_read(&r, sn_now_ns(), &got), 0);
	CHECK_EQ_INT(got.flags, 0); /* never written: all zeros */
	payload_for(41, &p);
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, sn_now_ns(), &got), 0);
	CHECK(consistent(&got));
	CHECK_EQ_INT(got.updates, 41);
	CHECK_EQ_INT(atomic_load(&r.sequence) % 2, 0);
}

/* What a hostile writer might leave: each is refused. */
TEST(refuses_malformed)
{
	static struct sn_time_record r;
	struct sn_time_payload p, got;
	uint64_t now = sn_now_ns();

	payload_for(2, &p);
	p.flags |= 0x80;
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, now, &got), -EBADMSG);
	payload_for(2, &p);
	p.offset_nanoseconds = 1000000000u;
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, now, &got), -EBADMSG);
	payload_for(2, &p);
	p.offset_seconds = SN_TIME_MAX_OFFSET_S + 1;
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, now, &got), -EBADMSG);
	payload_for(2, &p);
	p.stratum = 16;
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, now, &got), -EBADMSG);
	payload_for(2, &p);
	p.flags = SN_TIME_AUTHENTICATED;
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, now, &got), -EBADMSG);
	payload_for(2, &p);
	p.updated_monotonic_ns = now + SN_SECOND;
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, now, &got), -EBADMSG);
	/* A server name without its NUL is cut, never read past. */
	payload_for(2, &p);
	memset(p.server, 'x', sizeof(p.server));
	sn_time_record_write(&r, &p);
	CHECK_EQ_INT(sn_time_record_read(&r, now, &got), 0);
	CHECK_EQ_INT(strlen(got.server), SN_TIME_SERVER_MAX);
}

/* A sequence that never settles: the reader gives up, it does not
 * spin for ever. */
TEST(gives_up_on_a_stuck_update)
{
	static struct sn_time_record r;
	struct sn_time_payload got;

	atomic_store(&r.sequence, 7);
	CHECK_EQ_INT(sn_time_record_read(&r, sn_now_ns(), &got), -EAGAIN);
}

TEST(writer_gone)
{
	static struct sn_time_record r;
	struct sn_time_payload p, got;

	payload_for(10, &p);
	sn_time_record_write(&r, &p);
	CHECK(!sn_time_record_writer_gone(&r));
	CHECK_EQ_INT(sn_time_record_read(&r, sn_now_ns(), &got), 0);
	CHECK_EQ_INT(got.flags, SN_TIME_SYNCHRONISED);
	CHECK_EQ_INT(got.offset_seconds, 30); /* the time is kept */
	/* Died part way through an update: the words may be mixed. */
	payload_for(11, &p);
	sn_time_record_write(&r, &p);
	atomic_fetch_add(&r.sequence, 1);
	CHECK(sn_time_record_writer_gone(&r));
	CHECK_EQ_INT(sn_time_record_read(&r, sn_now_ns(), &got), 0);
	CHECK_EQ_INT(got.flags, 0);
	/* The next writer starts from the even sequence it left. */
	CHECK_EQ_INT(atomic_load(&r.sequence) % 2, 0);
}

TEST(now_and_error)
{
	struct sn_time_payload p = {.offset_seconds = 100,
				    .offset_nanoseconds = 999999999u,
				    .updated_monotonic_ns = 5 * SN_SECOND,
				    .error_ns = 1000};
	int64_t s;
	uint32_t ns;

	sn_time_now(&p, 7 * SN_SECOND + 2, &s, &ns);
	CHECK_EQ_INT(s, 108);
	CHECK_EQ_INT(ns, 1);
	/* 1000 s later: 15 ppm of it, 15 ms. */
	CHECK_EQ_INT(sn_time_error_now(&p, 1005 * SN_SECOND), 1000 + 15000000);
	p.error_ns = UINT64_MAX - 1;
	CHECK(sn_time_error_now(&p, 1005 * SN_SECOND) == UINT64_MAX);
}

static void
stress_writer(struct sn_time_record *r)
{
	struct sn_time_payload p;

	for (uint32_t k = 1; k <= STRESS_UPDATES; k++) {
		payload_for(k, &p);
		sn_time_record_write(r, &p);
		for (volatile unsigned spin = 0; spin < STRESS_PAUSE; spin++)
			;
	}
	_exit(0);
}

/* A writer process updates as fast as it can; this process reads all
 * the while.  Every read is one whole update, and updates never go
 * back. */
TEST(no_torn_read_across_processes)
{
	struct sn_time_payload got;
	uint64_t reads = 0, changes = 0, torn = 0, back = 0, busy = 0;
	uint32_t last = 0;
	int fd, status;
	struct sn_time_record *r = shared_record(&fd);
	pid_t pid;

	CHECK(r != NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		stress_writer(r);
	for (;;) {
		bool done = waitpid(pid, &status, WNOHANG) == pid;
		int rc = sn_time_record_read(r, UINT64_MAX, &got);

		busy += rc == -EAGAIN;
		if (rc == 0) {
			reads++;
			torn += !consistent(&got) && got.updates != 0;
			back += got.updates < last;
			changes += got.updates != last;
			last = got.updates;
		}
		if (done)
			break;
	}
	printf("  %llu reads saw %llu different updates of %u; %llu gave up "
	       "on a busy record\n",
	       (unsigned long long)reads, (unsigned long long)changes,
	       STRESS_UPDATES, (unsigned long long)busy);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(torn, 0);
	CHECK_EQ_INT(back, 0);
	CHECK_EQ_INT(last, STRESS_UPDATES);
	/* The two ran at the same time: the reads saw updates between the
	 * first and the last. */
	CHECK(changes > 2);
	CHECK_EQ_INT(munmap(r, SN_TIME_RECORD_SIZE), 0);
	CHECK_EQ_INT(close(fd), 0);
}

/* What the supervisor gives a reader: a read-only descriptor of a
 * sealed memfd.  It cannot write the record by any route. */
TEST(read_only_descriptor)
{
	char path[64];
	int fd, ro;
	struct sn_time_record *r = shared_record(&fd);
	void *m;

	CHECK(r != NULL);
	CHECK_EQ_INT(
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	    0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(ro >= 0);
	m = mmap(NULL, SN_TIME_RECORD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ro, 0);
	CHECK(m == MAP_FAILED && errno == EACCES);
	m = mmap(NULL, SN_TIME_RECORD_SIZE, PROT_READ, MAP_SHARED, ro, 0);
	CHECK(m != MAP_FAILED);
	CHECK(mprotect(m, SN_TIME_RECORD_SIZE, PROT_READ | PROT_WRITE) < 0 &&
	      errno == EACCES);
	CHECK(write(ro, "x", 1) < 0 && errno == EBADF);
	/* Nor can the writer shrink it under the readers. */
	CHECK(ftruncate(fd, 0) < 0 && errno == EPERM);
	CHECK_EQ_INT(munmap(m, SN_TIME_RECORD_SIZE), 0);
	CHECK_EQ_INT(munmap(r, SN_TIME_RECORD_SIZE), 0);
	CHECK_EQ_INT(close(ro), 0);
	CHECK_EQ_INT(close(fd), 0);
}

int
main(void)
{
	RUN(round_trip);
	RUN(refuses_malformed);
	RUN(gives_up_on_a_stuck_update);
	RUN(writer_gone);
	RUN(now_and_error);
	RUN(no_torn_read_across_processes);
	RUN(read_only_descriptor);
	HARNESS_EXIT();
}
