/*
 * What a compartment declares about itself, as on CHERIoT: its name, the
 * exports it offers, the exports of others it calls, the static
 * capabilities it holds, its quotas and its restart policy.
 *
 * Each declaration is a fixed-size record in the ELF section
 * "sealnet_manifest" of the compartment's binary.  `sealnet image build`
 * reads that section, so the binary describes itself and the image is
 * derived from the code, not written beside it.  Nothing here grants
 * anything at run time: the supervisor grants what the image says.
 *
 *	SEALNET_COMPARTMENT("app");
 *	SEALNET_IMPORT(network_socket_connect_tcp);
 *	SEALNET_CONNECTION_CAPABILITY(example, SEALNET_TCP, "example.test",
 *443);
 *	...
 *	network_socket_connect_tcp(timeout, SEALNET_CAPABILITY(example));
 */
#ifndef SEALNET_COMPARTMENT_H
#define SEALNET_COMPARTMENT_H

#include <stdint.h>

#define SEALNET_MANIFEST_MAGIC	  0x534e4d31u /* "SNM1" */
#define SEALNET_MANIFEST_NAME_MAX 64
#define SEALNET_MANIFEST_TEXT_MAX 254

enum sealnet_declaration_kind {
	SEALNET_DECLARE_COMPARTMENT = 1,
	SEALNET_DECLARE_EXPORT = 2,
	SEALNET_DECLARE_IMPORT = 3,
	SEALNET_DECLARE_CONNECTION = 4,
	SEALNET_DECLARE_BIND = 5,
	SEALNET_DECLARE_QUOTA = 6,
	SEALNET_DECLARE_RESTART = 7,
	SEALNET_DECLARE_SYSCALL = 8,
	SEALNET_DECLARE_DEVICE = 9,
	SEALNET_DECLARE_IDENTITY = 10,
	SEALNET_DECLARE_MQTT = 11,
	SEALNET_DECLARE_MQTT_PUBLISH = 12,
	SEALNET_DECLARE_MQTT_SUBSCRIBE = 13,
	SEALNET_DECLARE_MQTT_CREDENTIALS = 14,
};

/* Connection capability protocols; the values of the schema's Protocol. */
#define SEALNET_TCP 1
#define SEALNET_UDP 2

/*
 * One declaration.  `name` holds the compartment, export (exported or
 * imported), capability, quota, policy, syscall or device name; `text` the
 * connection capability's host.  Strings are NUL-terminated within their
 * arrays; the image builder rejects records that are not.
 */
struct sealnet_declaration {
	uint32_t magic;
	uint16_t kind;
	uint16_t port;
	uint64_t number; /* max_connections, quota value, restart limit */
	uint8_t protocol;
	uint8_t ipv6;
	uint8_t reserved[6];
	char name[SEALNET_MANIFEST_NAME_MAX];
	char text[SEALNET_MANIFEST_TEXT_MAX + 2];
};

#define SEALNET_DECLARATION_(id)                                               \
	__attribute__((section("sealnet_manifest"), used, aligned(8)))         \
	const struct sealnet_declaration id

#define SEALNET_CAT_(a, b)	a##b
#define SEALNET_CAT(a, b)	SEALNET_CAT_(a, b)
#define SEALNET_UNIQUE_(prefix) SEALNET_CAT(prefix, __COUNTER__)

#define SEALNET_COMPARTMENT(compartment_name)                                  \
	static SEALNET_DECLARATION_(sealnet_declared_compartment) = {          \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_COMPARTMENT,                               \
	    .name = compartment_name}

/*
 * An export and the function that serves it, in one declaration: the
 * manifest record that puts the export in the image, and the handler
 * record the runtime serves it with.  `sealnet image build` refuses a
 * binary whose exports and handlers differ, so an export without a
 * handler is found when the image is made, not when the call comes.
 * The schema's rpc_service names the compartment that implements each
 * export; a compartment may declare only its own.
 *
 *	static void serve_echo(void *ctx, struct sn_incoming *in);
 *	SEALNET_EXPORT(runtime_echo, serve_echo);
 */
struct sn_incoming;
typedef void (*sealnet_serve_fn)(void *ctx, struct sn_incoming *in);

#define SEALNET_HANDLER_MAGIC 0x534e4831u /* "SNH1" */

/* One handler, in the ELF section "sealnet_handlers". */
struct sealnet_handler_record {
	uint32_t magic;
	uint32_t reserved;
	char export_name[SEALNET_MANIFEST_NAME_MAX];
	sealnet_serve_fn serve;
};

#define SEALNET_EXPORT(exported, handler)                                      \
	SEALNET_EXPORT_(exported, handler, __COUNTER__)
#define SEALNET_EXPORT_(exported, handler, n)                                  \
	static SEALNET_DECLARATION_(SEALNET_CAT(sealnet_export_, n)) = {       \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_EXPORT,                                    \
	    .name = #exported};                                                \
	__attribute__((section("sealnet_handlers"), used,                      \
		       aligned(8))) static const struct sealnet_handler_record \
	SEALNET_CAT(sealnet_handler_, n) = {.magic = SEALNET_HANDLER_MAGIC,    \
					    .export_name = #exported,          \
					    .serve = (handler)}

/*
 * A call this compartment makes.  It names only the export: the schema
 * says which compartment implements it, and the image joins the two.
 */
#define SEALNET_IMPORT(export_name)                                            \
	static SEALNET_DECLARATION_(SEALNET_UNIQUE_(sealnet_import_)) = {      \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_IMPORT,                                    \
	    .name = #export_name}

/* An import's `number`: the image needs the compartment that implements
 * it (0), or leaves the call out when the image has no such compartment
 * (SEALNET_IMPORT_IF_PRESENT). */
#define SEALNET_IMPORT_REQUIRED	  0u
#define SEALNET_IMPORT_IF_PRESENT 1u

/*
 * A call this compartment makes only for a feature the image may leave
 * out: `sealnet image build` keeps it when the image has the compartment
 * the schema names for the export, and drops it otherwise, so the image
 * does not need that compartment.  Whatever then needs the call must be
 * refused by the image's own checks (an NTS server for SNTP without
 * TLS is), and a call made anyway fails with -EPERM.
 */
#define SEALNET_IMPORT_OPTIONAL(export_name)                                   \
	static SEALNET_DECLARATION_(SEALNET_UNIQUE_(sealnet_import_)) = {      \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_IMPORT,                                    \
	    .number = SEALNET_IMPORT_IF_PRESENT,                               \
	    .name = #export_name}

/* A capability is passed by name: SEALNET_CAPABILITY(name). */
#define SEALNET_CAPABILITY(capability_name)                                    \
	(&SEALNET_CAT(sealnet_capability_, capability_name))

#define SEALNET_CONNECTION_CAPABILITY(capability_name, proto, host_name,       \
				      port_number)                             \
	static SEALNET_DECLARATION_(                                           \
	    SEALNET_CAT(sealnet_capability_, capability_name)) = {             \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_CONNECTION,                                \
	    .port = (port_number),                                             \
	    .protocol = (proto),                                               \
	    .name = #capability_name,                                          \
	    .text = host_name}

/*
 * The client identity TLS presents, when the server asks for a
 * certificate, on connections made with the connection capability
 * `capability_name` of this compartment.  The identity is a certificate
 * chain and its key that the image names (`sealnet image build --identity
 * NAME=CERT,KEY`); the key is loaded into the TLS compartment alone.  The
 * identity is part of the capability: the audit shows who may use which.
 *
 *	SEALNET_CONNECTION_CAPABILITY(bank, SEALNET_TCP, "bank.example", 443);
 *	SEALNET_CONNECTION_IDENTITY(bank, "device");
 */
#define SEALNET_CONNECTION_IDENTITY(capability_name, identity_name)            \
	static SEALNET_DECLARATION_(                                           \
	    SEALNET_CAT(sealnet_identity_, capability_name)) = {               \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_IDENTITY,                                  \
	    .name = #capability_name,                                          \
	    .text = identity_name}

/*
 * An MQTT capability: a TCP connection capability for the broker (so
 * SEALNET_CAPABILITY(name) is passed to mqtt_connect, and
 * SEALNET_CONNECTION_IDENTITY(name, ...) gives it a client certificate
 * for mutual TLS) that also says what the holder may do there.
 * `transport` is SEALNET_MQTT_TLS, or SEALNET_MQTT_PLAINTEXT for a
 * broker reached without TLS (the audit names it); `version` is
 * SEALNET_MQTT_V5 or SEALNET_MQTT_V311.  The MQTT compartment refuses a
 * publish or a subscription outside the filters of SEALNET_MQTT_PUBLISH
 * and SEALNET_MQTT_SUBSCRIBE (at most 16 filters, 512 bytes in all).
 * SEALNET_MQTT_CREDENTIALS names a credentials file the image holds
 * (`sealnet image build --mqtt-credentials NAME=FILE`: a user name line
 * and a password line), which only the MQTT compartment is given.
 *
 *	SEALNET_MQTT_CAPABILITY(broker, "mqtt.example", 8883,
 *				SEALNET_MQTT_TLS, SEALNET_MQTT_V5);
 *	SEALNET_MQTT_PUBLISH(broker, "sensors/kitchen/#");
 *	SEALNET_MQTT_SUBSCRIBE(broker, "commands/kitchen/+");
 *	SEALNET_MQTT_CREDENTIALS(broker, "kitchen");
 */
#define SEALNET_MQTT_TLS       0
#define SEALNET_MQTT_PLAINTEXT 1
#define SEALNET_MQTT_V311      4
#define SEALNET_MQTT_V5	       5

#define SEALNET_MQTT_CAPABILITY(capability_name, host_name, port_number,       \
				transport, version)                            \
	SEALNET_CONNECTION_CAPABILITY(capability_name, SEALNET_TCP, host_name, \
				      port_number);                            \
	static SEALNET_DECLARATION_(                                           \
	    SEALNET_CAT(sealnet_mqtt_, capability_name)) = {                   \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_MQTT,                                      \
	    .protocol = (transport),                                           \
	    .number = (version),                                               \
	    .name = #capability_name}

#define SEALNET_MQTT_TOPIC_(capability_name, record_kind, topic_filter)        \
	static SEALNET_DECLARATION_(SEALNET_UNIQUE_(sealnet_mqtt_topic_)) = {  \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = (record_kind),                                             \
	    .name = #capability_name,                                          \
	    .text = topic_filter}
#define SEALNET_MQTT_PUBLISH(capability_name, topic_filter)                    \
	SEALNET_MQTT_TOPIC_(capability_name, SEALNET_DECLARE_MQTT_PUBLISH,     \
			    topic_filter)
#define SEALNET_MQTT_SUBSCRIBE(capability_name, topic_filter)                  \
	SEALNET_MQTT_TOPIC_(capability_name, SEALNET_DECLARE_MQTT_SUBSCRIBE,   \
			    topic_filter)
#define SEALNET_MQTT_CREDENTIALS(capability_name, credentials_name)            \
	SEALNET_MQTT_TOPIC_(capability_name, SEALNET_DECLARE_MQTT_CREDENTIALS, \
			    credentials_name)

/* Every call <sealnet/mqtt.h> makes, as imports, in one line: the image
 * and the audit list each one as if it were written out. */
#define SEALNET_MQTT_IMPORTS()                                                 \
	SEALNET_IMPORT(network_socket_connect_tcp);                            \
	SEALNET_IMPORT(network_socket_delegate);                               \
	SEALNET_IMPORT(network_socket_close);                                  \
	SEALNET_IMPORT(tls_connection_create);                                 \
	SEALNET_IMPORT(tls_connection_delegate);                               \
	SEALNET_IMPORT(tls_connection_close);                                  \
	SEALNET_IMPORT(mqtt_connect);                                          \
	SEALNET_IMPORT(mqtt_reconnect);                                        \
	SEALNET_IMPORT(mqtt_publish);                                          \
	SEALNET_IMPORT(mqtt_subscribe);                                        \
	SEALNET_IMPORT(mqtt_unsubscribe);                                      \
	SEALNET_IMPORT(mqtt_run);                                              \
	SEALNET_IMPORT(mqtt_disconnect)

#define SEALNET_BIND_CAPABILITY(capability_name, port_number, max_conns,       \
				is_ipv6)                                       \
	static SEALNET_DECLARATION_(                                           \
	    SEALNET_CAT(sealnet_capability_, capability_name)) = {             \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_BIND,                                      \
	    .port = (port_number),                                             \
	    .number = (max_conns),                                             \
	    .ipv6 = (is_ipv6),                                                 \
	    .name = #capability_name}

/*
 * Quotas: memory_bytes, descriptors, sockets, buffered_bytes,
 * tls_sessions, mqtt_connections, cpu_seconds (per incarnation).
 * Undeclared ones take the defaults that `sealnet image build`
 * documents.
 */
#define SEALNET_QUOTA(resource, value)                                         \
	static SEALNET_DECLARATION_(SEALNET_UNIQUE_(sealnet_quota_)) = {       \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_QUOTA,                                     \
	    .number = (value),                                                 \
	    .name = #resource}

/* policy: always, on_failure or never; restarts: the most within a minute
 * before the supervisor gives up and reports a crash loop. */
#define SEALNET_RESTART(policy, restarts)                                      \
	static SEALNET_DECLARATION_(sealnet_declared_restart) = {              \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_RESTART,                                   \
	    .number = (restarts),                                              \
	    .name = #policy}

/* A system call beyond the runtime's own allowlist. */
#define SEALNET_SYSCALL(syscall_name)                                          \
	static SEALNET_DECLARATION_(SEALNET_UNIQUE_(sealnet_syscall_)) = {     \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_SYSCALL,                                   \
	    .name = #syscall_name}

/* The network device; the image lets only the Firewall declare it. */
#define SEALNET_DEVICE(device_name)                                            \
	static SEALNET_DECLARATION_(sealnet_declared_device) = {               \
	    .magic = SEALNET_MANIFEST_MAGIC,                                   \
	    .kind = SEALNET_DECLARE_DEVICE,                                    \
	    .name = #device_name}

#endif
