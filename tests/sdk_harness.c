/* The supervisor and the peers an SDK test plays; see sdk_harness.h. */
#include "sdk_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "sealnet/tls.h"

#define RING_BYTES (256u * 1024u)

static _Alignas(8) uint8_t boot_buf[4096];
static _Alignas(8) uint8_t request_buf[SN_CHANNEL_MAX_MESSAGE];

static uint32_t
boot_peer(sn_builder *b, const char *name)
{
	uint32_t p = sn_boot_peer_start(b);

	sn_boot_peer_add_name(b, p, name, strlen(name));
	sn_boot_peer_add_side(b, p, 0);
	return p;
}

static int
send_boot(int control, const char *self, struct fake_peer *peers,
	  unsigned npeers)
{
	int fds[3 * 8];
	sn_builder b;
	size_t len;

	if (npeers > 8)
		return -EINVAL;
	sn_builder_init(&b, boot_buf, sizeof(boot_buf));
	uint32_t m = sn_message_start(&b);
	uint32_t boot = sn_boot_start(&b);
	sn_boot_add_compartment(&b, boot, self, strlen(self));
	sn_boot_add_incarnation(&b, boot, 1);
	uint32_t vec = sn_boot_start_peers(&b, boot, npeers);
	for (unsigned i = 0; i < npeers; i++)
		sn_builder_set_table_at(&b, vec, i,
					boot_peer(&b, peers[i].name));
	sn_message_add_call_id(&b, m, 1);
	sn_message_add_call_type(&b, m, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, m, SN_EXPORT_COMPARTMENT_BOOT);
	sn_message_add_body(&b, m, SN_BODY_BOOT, boot);
	if (sn_builder_finish(&b, m, &len) < 0)
		return -EMSGSIZE;
	for (unsigned i = 0; i < npeers; i++) {
		fds[3 * i] = peers[i].fds.shm;
		fds[3 * i + 1] = peers[i].fds.eventfd[0];
		fds[3 * i + 2] = peers[i].fds.eventfd[1];
	}
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(fds))];
	} control_space;
	struct iovec iov = {boot_buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (npeers > 0) {
		mh.msg_control = control_space.space;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * 3 * npeers);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * 3 * npeers);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * 3 * npeers);
	}
	return sendmsg(control, &mh, 0) == (ssize_t)len ? 0 : -errno;
}

int
fake_supervisor_boot(const char *self, struct fake_peer *peers, unsigned npeers)
{
	int sv[2], ours, theirs;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return -1;
	/* Both ends above the numbers in play first, so that putting the
	 * compartment's end on descriptor 3 closes neither. */
	ours = fcntl(sv[0], F_DUPFD_CLOEXEC, 100);
	theirs = fcntl(sv[1], F_DUPFD_CLOEXEC, 100);
	close(sv[0]);
	close(sv[1]);
	if (ours < 0 || theirs < 0 || dup2(theirs, SN_CONTROL_FD) < 0) {
		close(ours);
		close(theirs);
		return -1;
	}
	close(theirs);
	/* The channels now take descriptors above 3. */
	for (unsigned i = 0; i < npeers; i++)
		if (sn_channel_create(RING_BYTES, &peers[i].fds) < 0) {
			close(ours);
			return -1;
		}
	if (send_boot(ours, self, peers, npeers) < 0) {
		close(ours);
		return -1;
	}
	return ours;
}

int
fake_peer_attach(struct fake_peer *p)
{
	int rc = sn_channel_attach(&p->end, &p->fds, 1, "sdk_test");

	if (rc == 0)
		sn_channel_announce(&p->end);
	return rc;
}

void
fake_peers_serve(struct fake_peer *peers, unsigned npeers,
		 fake_answer_fn answer)
{
	/* Polled: the test's calls are few, and each waits for its reply. */
	struct timespec pause = {0, 200000};

	for (unsigned i = 0; i < npeers; i++)
		if (fake_peer_attach(&peers[i]) < 0)
			_exit(1);
	for (;;) {
		for (unsigned i = 0; i < npeers; i++) {
			ssize_t n = sn_channel_receive(
			    &peers[i].end, request_buf, sizeof(request_buf));
			sn_verify_error err;
			sn_message_ref m;

			if (n == -EAGAIN)
				continue;
			if (n < 0)
				_exit(1);
			if (sn_message_verify(request_buf, (size_t)n, &m,
					      &err) == 0)
				answer(&peers[i], &m);
		}
		nanosleep(&pause, NULL);
	}
}

uint32_t
fake_reply_begin(sn_builder *b, void *buf, size_t cap)
{
	sn_builder_init(b, buf, cap);
	return sn_message_start(b);
}

int
fake_reply_send(struct fake_peer *p, sn_builder *b, uint32_t msg,
		const sn_message_ref *request, int status, uint8_t body_type,
		uint32_t body)
{
	size_t len;
	int rc;

	sn_message_add_call_id(b, msg, sn_message_call_id(*request));
	sn_message_add_call_type(b, msg, SN_CALL_TYPE_REPLY);
	sn_message_add_export(b, msg, sn_message_export(*request));
	if (status != 0)
		sn_message_add_status(b, msg, status);
	else
		sn_message_add_body(b, msg, body_type, body);
	rc = sn_builder_finish(b, msg, &len);
	return rc < 0 ? rc : sn_channel_send(&p->end, b->buf, len);
}

/* ---- the log ---- */

static int saved_stderr = -1;
static FILE *captured;

void
log_capture_begin(void)
{
	fflush(stderr);
	captured = tmpfile();
	saved_stderr = dup(2);
	if (captured != NULL && saved_stderr >= 0)
		dup2(fileno(captured), 2);
}

void
log_capture_end(char *out, size_t cap)
{
	size_t n = 0;

	out[0] = 0;
	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	if (captured == NULL)
		return;
	rewind(captured);
	n = fread(out, 1, cap - 1, captured);
	out[n] = 0;
	fclose(captured);
	captured = NULL;
	/* What was captured is shown too, so a failure can be read. */
	fputs(out, stderr);
}

/* ---- the headers ---- */

static char header_text[64 * 1024];

/* The comment that ends just before `at` (blanks between), or NULL. */
static const char *
comment_before(const char *text, const char *at, size_t *len)
{
	const char *end = at;

	while (end > text &&
	       (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t'))
		end--;
	/* The return type may stand on a line of its own above the name. */
	if (end - text >= 2 && strncmp(end - 2, "*/", 2) != 0) {
		const char *line = end;

		while (line > text && line[-1] != '\n')
			line--;
		return line > text ? comment_before(text, line, len) : NULL;
	}
	for (const char *p = end - 2; p > text; p--)
		if (strncmp(p - 1, "/*", 2) == 0) {
			*len = (size_t)(end - (p - 1));
			return p - 1;
		}
	return NULL;
}

static bool
mentions(const char *text, size_t len, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = text; p + n <= text + len; p++)
		if (strncmp(p, code, n) == 0 &&
		    (p + n == text + len ||
		     !((p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_')))
			return true;
	return false;
}

/* Declarations start in the first column; comments and macro bodies do
 * not. */
static bool
declaration_line(const char *text, const char *at)
{
	const char *line = at;

	while (line > text && line[-1] != '\n')
		line--;
	return *line != ' ' && *line != '\t' && *line != '/' && *line != '#';
}

/* The TLS codes are macros of sealnet/tls.h, written as such. */
static const char *
tls_code_name(int code)
{
	static const char *const names[] = {
	    "SEALNET_TLS_EUNKNOWN_ISSUER", "SEALNET_TLS_ESELF_SIGNED",
	    "SEALNET_TLS_EHOST_MISMATCH",  "SEALNET_TLS_EEXPIRED",
	    "SEALNET_TLS_ENOT_YET_VALID",  "SEALNET_TLS_EBAD_CERTIFICATE",
	    "SEALNET_TLS_EHANDSHAKE",	   "SEALNET_TLS_EPEER_CLOSED",
	    "SEALNET_TLS_EPEER_RESET",	   "SEALNET_TLS_EPROTOCOL"};

	return SEALNET_TLS_IS_ERROR(code)
		   ? names[SEALNET_TLS_ERROR_FIRST - code]
		   : NULL;
}

bool
documented(const char *header, const char *function, int negative_code)
{
	char path[512], code[64], decl[128];
	const char *tls = tls_code_name(negative_code);
	const char *name = tls != NULL ? tls : strerrorname_np(-negative_code);
	const char *first, *own, *at;
	size_t first_len = 0, own_len = 0;
	FILE *f;

	if (name == NULL || snprintf(path, sizeof(path), "%s/%s", SDK_HEADERS,
				     header) >= (int)sizeof(path))
		return false;
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t n = fread(header_text, 1, sizeof(header_text) - 1, f);
	fclose(f);
	header_text[n] = 0;
	/* An errno is written -ENAME; a TLS code is negative already. */
	snprintf(code, sizeof(code), "%s%s", tls != NULL ? "" : "-", name);
	snprintf(decl, sizeof(decl), "%s(", function);
	/* The declaration: the name at the start of a line, or after its
	 * return type. */
	for (at = strstr(header_text, decl); at != NULL;
	     at = strstr(at + 1, decl))
		if (at > header_text &&
		    (at[-1] == ' ' || at[-1] == '\n' || at[-1] == '*') &&
		    declaration_line(header_text, at))
			break;
	first = strstr(header_text, "/*");
	if (first != NULL) {
		const char *end = strstr(first, "*/");
		first_len = end ? (size_t)(end - first) : 0;
	}
	own = at ? comment_before(header_text, at, &own_len) : NULL;
	if (at == NULL)
		return false;
	return (own != NULL && mentions(own, own_len, code)) ||
	       (first != NULL && mentions(first, first_len, code));
}
