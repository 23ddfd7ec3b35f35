/*
 * Every export of one compartment, called with arbitrary bytes by a peer
 * that may call all of them.  Linked with the compartment's own source,
 * whose main() (renamed compartment_main by the build) boots it exactly
 * as the supervisor would: the compartment's name, exports and imports
 * are read from its own declarations.
 *
 * Each input is one message on the caller's channel, optionally followed
 * by a script (see LLVMFuzzerTestOneInput).  The compartment serves the
 * message; whatever it asks of the compartments it imports is answered
 * at once, as the script chooses (call_replies.h): with an error, or
 * with a valid reply, so every call chain runs on to its end, through
 * its success paths as well as its failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot.h"
#include "call_replies.h"
#include "sealnet/compartment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int compartment_main(void);

extern const struct sealnet_declaration __start_sealnet_manifest[];
extern const struct sealnet_declaration __stop_sealnet_manifest[];

#define FUZZER	  "fuzzer"
#define MAX_PEERS 8
#define RING	  (256u * 1024u)

/* The harness's end of each channel: [0] is the caller's. */
static struct sn_channel ends[MAX_PEERS];
static struct sn_channel_fds fds[MAX_PEERS];
static char names[MAX_PEERS][SN_PEER_NAME_MAX];
static unsigned npeers;
static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
static int device_far_end = -1;

static int
export_id(const char *name)
{
	for (int id = 1; id < 128; id++) {
		const char *n = sn_export_name(id);

		if (n != NULL && strcmp(n, name) == 0)
			return id;
	}
	return -1;
}

static const char *
own_name(void)
{
	for (const struct sealnet_declaration *d = __start_sealnet_manifest;
	     d < __stop_sealnet_manifest; d++)
		if (d->magic == SEALNET_MANIFEST_MAGIC &&
		    d->kind == SEALNET_DECLARE_COMPARTMENT)
			return d->name;
	return NULL;
}

static void
add_peer(const char *name)
{
	for (unsigned i = 0; i < npeers; i++)
		if (strcmp(names[i], name) == 0)
			return;
	if (npeers < MAX_PEERS)
		snprintf(names[npeers++], SN_PEER_NAME_MAX, "%s", name);
}

static uint32_t
connection(sn_builder *b, uint8_t protocol, const char *host, uint16_t port,
	   const char *identity)
{
	uint32_t c = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, c, protocol);
	sn_connection_capability_add_host(b, c, host, strlen(host));
	sn_connection_capability_add_port(b, c, port);
	if (identity != NULL)
		sn_connection_capability_add_identity(b, c, identity,
						      strlen(identity));
	return c;
}

/* The broker the mqtt_calls seeds connect to: 5.0 over TLS, publishing
 * under sensors/ and subscribing to commands/+. */
static uint32_t
mqtt_broker(sn_builder *b)
{
	/* Parents first: every offset points forward. */
	uint32_t c = connection(b, SEALNET_TCP, "broker.test", 8883, NULL);
	uint32_t g = sn_mqtt_grant_start(b);
	sn_connection_capability_add_mqtt(b, c, g);
	sn_mqtt_grant_add_version(b, g, SEALNET_MQTT_V5);
	uint32_t pub = sn_mqtt_grant_start_publish(b, g, 1);
	uint32_t sub = sn_mqtt_grant_start_subscribe(b, g, 1);
	uint32_t f = sn_mqtt_filter_start(b);
	sn_mqtt_filter_add_filter(b, f, "sensors/#", 9);
	sn_builder_set_table_at(b, pub, 0, f);
	f = sn_mqtt_filter_start(b);
	sn_mqtt_filter_add_filter(b, f, "commands/+", 10);
	sn_builder_set_table_at(b, sub, 0, f);
	return c;
}

/* The caller may call every export and holds the capabilities the seeds
 * present; the imported compartments may call nothing. */
static uint32_t
boot_peer(sn_builder *b, unsigned i)
{
	uint32_t p = sn_boot_peer_start(b);
	unsigned nexports = 0;

	sn_boot_peer_add_name(b, p, names[i], strlen(names[i]));
	sn_boot_peer_add_side(b, p, 0);
	sn_boot_peer_add_sockets(b, p, 64);
	sn_boot_peer_add_buffered_bytes(b, p, 1u << 20);
	sn_boot_peer_add_tls_sessions(b, p, 8);
	sn_boot_peer_add_mqtt_connections(b, p, 4);
	if (i != 0)
		return p;
	for (const struct sealnet_declaration *d = __start_sealnet_manifest;
	     d < __stop_sealnet_manifest; d++)
		nexports += d->magic == SEALNET_MANIFEST_MAGIC &&
			    d->kind == SEALNET_DECLARE_EXPORT &&
			    export_id(d->name) > 0;
	uint32_t vec = sn_boot_peer_start_may_call(b, p, nexports);
	unsigned k = 0;
	for (const struct sealnet_declaration *d = __start_sealnet_manifest;
	     d < __stop_sealnet_manifest; d++) {
		int id;

		if (d->magic != SEALNET_MANIFEST_MAGIC ||
		    d->kind != SEALNET_DECLARE_EXPORT ||
		    (id = export_id(d->name)) <= 0)
			continue;
		uint32_t perm = sn_permission_start(b);
		sn_permission_add_export(b, perm, (uint16_t)id);
		sn_builder_set_table_at(b, vec, k++, perm);
	}
	uint32_t conns = sn_boot_peer_start_connections(b, p, 8);
	sn_builder_set_table_at(
	    b, conns, 0, connection(b, SEALNET_TCP, "echo.test", 7007, NULL));
	sn_builder_set_table_at(
	    b, conns, 1, connection(b, SEALNET_TCP, "10.0.0.1", 80, NULL));
	sn_builder_set_table_at(
	    b, conns, 2, connection(b, SEALNET_UDP, "echo.test", 7009, NULL));
	sn_builder_set_table_at(
	    b, conns, 3, connection(b, SEALNET_TCP, "2001:db8::1", 7007, NULL));
	sn_builder_set_table_at(
	    b, conns, 4, connection(b, SEALNET_UDP, "10.0.0.1", 7009, NULL));
	/* The host the TLS seeds' server certificates name, without and
	 * with the identity the TLS target's boot files hold. */
	sn_builder_set_table_at(
	    b, conns, 5, connection(b, SEALNET_TCP, "example.com", 443, NULL));
	sn_builder_set_table_at(
	    b, conns, 6,
	    connection(b, SEALNET_TCP, "example.com", 8443, "fuzz"));
	sn_builder_set_table_at(b, conns, 7, mqtt_broker(b));
	uint32_t binds = sn_boot_peer_start_binds(b, p, 1);
	uint32_t bind = sn_bind_capability_start(b);
	sn_bind_capability_add_port(b, bind, 80);
	sn_bind_capability_add_max_connections(b, bind, 4);
	sn_builder_set_table_at(b, binds, 0, bind);
	return p;
}

#define MAX_FILES 4

/* The target's boot files, each in a memfd, after the channels. */
static unsigned
boot_files(sn_builder *b, uint32_t boot, int *file_fds)
{
	struct fuzz_boot_file files[MAX_FILES];
	unsigned n = fuzz_boot_files ? fuzz_boot_files(files, MAX_FILES) : 0;

	if (n == 0)
		return 0;
	uint32_t vec = sn_boot_start_files(b, boot, n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t f = sn_boot_file_start(b);

		file_fds[i] = memfd_create(files[i].name, MFD_CLOEXEC);
		if (file_fds[i] < 0 ||
		    write(file_fds[i], files[i].data, files[i].len) !=
			(ssize_t)files[i].len)
			abort();
		sn_boot_file_add_name(b, f, files[i].name,
				      strlen(files[i].name));
		sn_boot_file_add_sha256(b, f, files[i].sha256, 32);
		sn_builder_set_table_at(b, vec, i, f);
	}
	return n;
}

#define MAX_CONNECTIONS 8

/* The target's own connection capabilities, if it has any. */
static void
boot_connections(sn_builder *b, uint32_t boot)
{
	struct fuzz_connection conns[MAX_CONNECTIONS];
	unsigned n = fuzz_boot_connections
			 ? fuzz_boot_connections(conns, MAX_CONNECTIONS)
			 : 0;

	if (n == 0)
		return;
	if (n > MAX_CONNECTIONS)
		abort();
	uint32_t vec = sn_boot_start_connections(b, boot, n);
	for (unsigned i = 0; i < n; i++)
		sn_builder_set_table_at(b, vec, i,
					connection(b, conns[i].protocol,
						   conns[i].host, conns[i].port,
						   NULL));
}

/* Plays the supervisor: a boot message on the control socket, with each
 * channel's descriptors. */
static int
send_boot(int control, const char *name)
{
	int sendfds[MAX_PEERS * 3 + MAX_FILES];
	unsigned nfiles, nfds;
	sn_builder b;
	size_t len;

	sn_builder_init(&b, buf, sizeof(buf));
	uint32_t msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, 1);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_COMPARTMENT_BOOT);
	uint32_t boot = sn_boot_start(&b);
	sn_boot_add_compartment(&b, boot, name, strlen(name));
	sn_boot_add_incarnation(&b, boot, 1);
	sn_boot_add_hardware_address(&b, boot,
				     (const uint8_t[]){2, 0, 0, 0, 0, 1}, 6);
	uint32_t vec = sn_boot_start_peers(&b, boot, npeers);
	for (unsigned i = 0; i < npeers; i++)
		sn_builder_set_table_at(&b, vec, i, boot_peer(&b, i));
	nfiles = boot_files(&b, boot, sendfds + 3 * npeers);
	boot_connections(&b, boot);
	nfds = 3 * npeers + nfiles;
	sn_message_add_body(&b, msg, SN_BODY_BOOT, boot);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -1;
	for (unsigned i = 0; i < npeers; i++) {
		sendfds[3 * i] = fds[i].shm;
		sendfds[3 * i + 1] = fds[i].eventfd[0];
		sendfds[3 * i + 2] = fds[i].eventfd[1];
	}
	char space[CMSG_SPACE(sizeof(sendfds))];
	struct iovec iov = {buf, len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = space,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * nfds)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), sendfds, sizeof(int) * nfds);
	return sendmsg(control, &mh, 0) == (ssize_t)len ? 0 : -1;
}

/*
 * Once booted, the compartment's descriptors (its control socket, the
 * Firewall's device) never become ready here: nothing writes to them.
 * Taking them out of its loop spares each input a ppoll() that could
 * only say so.  What the compartment writes to the device is drained
 * once an input is done.
 */
static void
forget_descriptors(struct sn_compartment *c)
{
	while (c->loop.nfds > 0)
		if (sn_loop_remove_fd(&c->loop, c->loop.fds[0].fd) < 0)
			abort();
}

/* Whether the compartment declares the network device (the Firewall). */
static bool
holds_device(void)
{
	for (const struct sealnet_declaration *d = __start_sealnet_manifest;
	     d < __stop_sealnet_manifest; d++)
		if (d->magic == SEALNET_MANIFEST_MAGIC &&
		    d->kind == SEALNET_DECLARE_DEVICE)
			return true;
	return false;
}

static void
drain_device(void)
{
	while (recv(device_far_end, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

static void
boot(void)
{
	const char *name = own_name();
	int sv[2], dev[2];

	if (name == NULL)
		abort();
	add_peer(FUZZER);
	for (const struct sealnet_declaration *d = __start_sealnet_manifest;
	     d < __stop_sealnet_manifest; d++) {
		const sn_export_info *e;

		/* The compartment each import reaches, as the schema says. */
		if (d->magic == SEALNET_MANIFEST_MAGIC &&
		    d->kind == SEALNET_DECLARE_IMPORT &&
		    (e = sn_export_info_by_name(d->name)) != NULL)
			add_peer(e->compartment);
	}
	/* The control socket and, for the Firewall, a device that never has
	 * a frame to read and takes every frame written (the harness drains
	 * them), at the numbers a compartment expects: taken first, from
	 * descriptors above them, so that neither closes the other. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, dev) < 0)
		abort();
	int ours = fcntl(sv[0], F_DUPFD_CLOEXEC, 100);
	int theirs = fcntl(sv[1], F_DUPFD, 100);
	int device = fcntl(dev[0], F_DUPFD, 100);
	device_far_end = fcntl(dev[1], F_DUPFD_CLOEXEC, 100);
	close(sv[0]);
	close(sv[1]);
	close(dev[0]);
	close(dev[1]);
	if (device_far_end < 0)
		abort();
	if (ours < 0 || theirs < 0 || device < 0 ||
	    dup2(theirs, SN_CONTROL_FD) < 0 || dup2(device, SN_DEVICE_FD) < 0)
		abort();
	for (unsigned i = 0; i < npeers; i++) {
		if (sn_channel_create(RING, &fds[i]) < 0 ||
		    sn_channel_attach(&ends[i], &fds[i], 1, names[i]) < 0)
			abort();
		sn_channel_announce(&ends[i]);
	}
	if (send_boot(ours, name) < 0 || compartment_main() != 0)
		abort();
	forget_descriptors(sn_compartment_self());
}

/* Answers each request the compartment made; drops the rest.  Each
 * peer's requests are all read before any is answered, so a reply can
 * echo a datagram the compartment sent after asking for it (a receive
 * made before the query it waits for).  Returns how many messages it
 * took. */
static unsigned
answer_all(void)
{
	static _Alignas(8) uint8_t reply[8192];
	static struct {
		uint64_t call_id;
		uint16_t export_id;
	} asked[SN_MAX_PENDING];
	unsigned taken = 0;

	for (unsigned i = 0; i < npeers; i++) {
		unsigned nasked = 0;
		ssize_t n;

		while (nasked < SN_MAX_PENDING &&
		       (n = sn_channel_receive(&ends[i], buf, sizeof(buf))) >
			   0) {
			sn_verify_error err;
			sn_message_ref m;

			taken++;
			if (i == 0 ||
			    sn_message_verify(buf, (size_t)n, &m, &err) < 0 ||
			    sn_message_call_type(m) != SN_CALL_TYPE_REQUEST)
				continue;
			call_replies_observe(&m);
			asked[nasked].call_id = sn_message_call_id(m);
			asked[nasked++].export_id = sn_message_export(m);
		}
		for (unsigned k = 0; k < nasked; k++) {
			size_t len = call_replies_build(asked[k].call_id,
							asked[k].export_id,
							reply, sizeof(reply));

			/* The ring holds far more than one turn's replies:
			 * a full one means the compartment stopped reading. */
			if (len == 0 ||
			    sn_channel_send(&ends[i], reply, len) < 0)
				abort();
		}
	}
	return taken;
}

/* An input is one message from the caller.  Prefixed with SCRIPT_MAGIC
 * and the message's length (two bytes, little-endian), the bytes after
 * the message are the script that answers the compartment's calls, in
 * the order it makes them (call_replies.c): for each, one byte, an error
 * (0x80 set) or a valid reply (clear) whose fields the export's builder
 * takes from the script in turn.  A bare message, the form of the first
 * seeds, has every call answered -EIO. */
#define SCRIPT_MAGIC "SNFZ"
#define SCRIPT_HEAD  6u

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int booted;
	struct sn_compartment *c;
	size_t len = size;

	if (!booted) {
		if (call_replies_check() < 0)
			abort();
		boot();
		booted = 1;
	}
	c = sn_compartment_self();
	call_replies_reset(NULL, 0);
	if (fuzz_input_begins)
		fuzz_input_begins();
	if (size >= SCRIPT_HEAD && memcmp(data, SCRIPT_MAGIC, 4) == 0) {
		len = (size_t)data[4] | (size_t)data[5] << 8;
		if (len > size - SCRIPT_HEAD)
			return 0;
		data += SCRIPT_HEAD;
		call_replies_reset(data + len, size - SCRIPT_HEAD - len);
	}
	if (len == 0 || len > SN_MAX_MESSAGE ||
	    sn_channel_send(&ends[0], data, len) < 0)
		return 0;
	/* Turns until nothing moves, so every call the compartment made is
	 * answered and its chain runs to the end.  None waits: whatever is
	 * not ready now would never be.  A chain of answered calls takes a
	 * turn per call: connecting by name with every port in use takes
	 * 21. */
	for (int turn = 0; turn < 64; turn++) {
		int ran = sn_compartment_serve_ready(c);

		if (ran < 0)
			abort();
		if (answer_all() == 0 && ran == 0)
			break;
	}
	if (holds_device())
		drain_device();
	return 0;
}
