/*
 * The image: every compartment, what it may call, what it may reach, its
 * quotas, restart policy and sandbox.  The single source of truth: the
 * supervisor enforces exactly what it says and the audit prints exactly
 * it.  It is built from the manifests in the compartment binaries and
 * stored as JSON.
 *
 * Caller-owned state, fixed bounds, no hidden allocation in the model;
 * the JSON library allocates only while parsing or printing.
 */
#ifndef SEALNET_IMAGE_H
#define SEALNET_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "call.h"

#define IMAGE_VERSION	       1
#define IMAGE_MAX_COMPARTMENTS 16
#define IMAGE_MAX_EXPORTS      32
#define IMAGE_MAX_CALLS	       48
#define IMAGE_MAX_SYSCALLS     96
/* Restarts a minute an image may allow a compartment. */
#define IMAGE_MAX_RESTARTS 1000
/* The schema's service for callbacks into applications: any compartment
 * may implement its exports. */
#define IMAGE_CALLBACK_SERVICE "Application"
#define IMAGE_NAME_MAX	       64
#define IMAGE_PATH_MAX	       4096
#define IMAGE_SHA256_HEX       65

enum image_quota {
	QUOTA_MEMORY_BYTES,
	QUOTA_DESCRIPTORS,
	QUOTA_SOCKETS,
	QUOTA_BUFFERED_BYTES,
	QUOTA_TLS_SESSIONS,
	QUOTA_MQTT_CONNECTIONS,
	QUOTA_CPU_SECONDS, /* per incarnation, RLIMIT_CPU */
	QUOTA_COUNT
};

enum image_restart {
	RESTART_ALWAYS,
	RESTART_ON_FAILURE,
	RESTART_NEVER,
};

/* A call the compartment may make.  The compartment it reaches is the one
 * the schema's rpc_service names for the export; the image records it so
 * that the audit shows it and a check can see the two agree. */
struct image_call {
	char compartment[IMAGE_NAME_MAX];
	uint16_t export_id;
	/* Declared with SEALNET_IMPORT_OPTIONAL: image_build drops it when
	 * the image has no such compartment.  Not stored: every call an
	 * image file holds is required. */
	bool if_present;
};

struct image_capability {
	char name[IMAGE_NAME_MAX];
	struct sn_capability cap;
};

struct image_compartment {
	char name[IMAGE_NAME_MAX];
	char binary[IMAGE_PATH_MAX];
	char sha256[IMAGE_SHA256_HEX];
	uint16_t exports[IMAGE_MAX_EXPORTS];
	unsigned nexports;
	/* The exports the binary has a handler for: the same as exports, or
	 * the image is refused. */
	uint16_t handlers[IMAGE_MAX_EXPORTS];
	unsigned nhandlers;
	struct image_call calls[IMAGE_MAX_CALLS];
	unsigned ncalls;
	struct image_capability caps[SN_MAX_HELD_CAPABILITIES];
	unsigned ncaps;
	uint64_t quota[QUOTA_COUNT];
	enum image_restart restart;
	unsigned max_restarts; /* within a minute */
	/* Syscall numbers for this machine's architecture, names kept for
	 * printing. */
	char syscalls[IMAGE_MAX_SYSCALLS][32];
	unsigned nsyscalls;
	bool device; /* holds the network device */
	/* The image was built with --allow-dangerous-syscalls and this
	 * compartment declares a syscall that is otherwise refused. */
	bool allow_dangerous_syscalls;
};

/* Addresses the image gives instead of DHCP. */
struct image_network {
	bool static_ipv4; /* ipv4, prefix_length and gateway */
	uint8_t ipv4[4], gateway[4];
	uint8_t prefix_length;
	bool has_dns;
	bool dns_ipv6;
	uint8_t dns[16];
};

/* A file the image names by path, with the SHA-256 of its bytes when the
 * image was built; `sealnet run` refuses to start if they changed. */
struct image_file {
	char path[IMAGE_PATH_MAX];
	char sha256[IMAGE_SHA256_HEX];
};

/* A client identity: a certificate chain and its private key, loaded into
 * the TLS compartment alone and presented on the connections whose
 * capabilities name it. */
struct image_identity {
	char name[SN_IDENTITY_MAX + 1];
	struct image_file certificate, key;
};

#define IMAGE_MAX_IDENTITIES 8
/* The trust anchors when `image build` is given none. */
#define IMAGE_SYSTEM_TRUST_ANCHORS "/etc/ssl/certs/ca-certificates.crt"

/* What the TLS compartment is given: present only in an image that has
 * one (the compartment that serves tls_connection_create). */
struct image_tls {
	bool has_trust_anchors;
	struct image_file trust_anchors; /* a PEM bundle */
	struct image_identity identities[IMAGE_MAX_IDENTITIES];
	unsigned nidentities;
};

/* What `image build` is told about TLS beyond the binaries, and about
 * MQTT. */
struct image_tls_options {
	const char *trust_anchors; /* NULL: IMAGE_SYSTEM_TRUST_ANCHORS */
	/* Each "NAME=CERT,KEY". */
	const char *const *identities;
	unsigned nidentities;
	/* Each "NAME=FILE": MQTT credentials (image_mqtt.c). */
	const char *const *mqtt_credentials;
	unsigned nmqtt_credentials;
};

/* MQTT credentials: a file of a user name line and a password line,
 * loaded into the MQTT compartment alone and used by the connections
 * whose capabilities name them (SEALNET_MQTT_CREDENTIALS). */
struct image_credentials {
	char name[SN_IDENTITY_MAX + 1];
	struct image_file file;
};

#define IMAGE_MAX_CREDENTIALS 8

/* What the MQTT compartment is given: credentials, recorded only in an
 * image that has one (the compartment that serves mqtt_connect). */
struct image_mqtt {
	struct image_credentials credentials[IMAGE_MAX_CREDENTIALS];
	unsigned ncredentials;
};

struct image {
	char schema_sha256[IMAGE_SHA256_HEX];
	struct image_network network;
	struct image_tls tls;
	struct image_mqtt mqtt;
	struct image_compartment compartments[IMAGE_MAX_COMPARTMENTS];
	unsigned ncompartments;
};

const char *image_quota_name(enum image_quota q);
const char *image_restart_name(enum image_restart r);

/* Reads the manifest section of each binary and builds the image.  A
 * compartment that declares a refused syscall (see image_dangerous_syscalls)
 * is accepted only with allow_dangerous, and the image records that it was.
 * An image with a TLS compartment records the trust anchors and identities
 * `tls` names (NULL: the system's bundle, no identities), each file by path
 * and SHA-256.  On failure returns -1 with a reason in err. */
int image_build(struct image *img, char *const binaries[], unsigned n,
		bool allow_dangerous, const struct image_tls_options *tls,
		char *err, size_t errlen);

/* The compartment that serves tls_connection_create, or NULL. */
const struct image_compartment *image_tls_compartment(const struct image *img);

/* The compartment that serves mqtt_connect, or NULL. */
const struct image_compartment *image_mqtt_compartment(const struct image *img);

/* The identity of that name in the image, or NULL. */
const struct image_identity *image_identity(const struct image *img,
					    const char *name);

/*
 * Parses and checks an image: every field present and in range, every
 * call aimed at an export that the named compartment offers, no unknown
 * keys.  Anything wrong rejects the whole image, with a reason.
 */
int image_parse(struct image *img, const char *json, size_t len, char *err,
		size_t errlen);
/* Reads and parses the file, and checks that it was built for this
 * sealnet's schema. */
int image_load(struct image *img, const char *path, char *err, size_t errlen);

/* Writes the image file, or the audit view (same compartments, no
 * header). */
int image_write(const struct image *img, FILE *out, bool audit_view);

/* Sets the image's static IPv4 address ("A.B.C.D/P") and gateway, and
 * its DNS server (IPv4 or IPv6); any may be NULL.  -1 with a reason. */
int image_network_set(struct image_network *n, const char *ipv4,
		      const char *gateway, const char *dns, char *err,
		      size_t errlen);

const struct image_compartment *image_find(const struct image *img,
					   const char *name);
int image_index(const struct image *img, const char *name);

/* The SHA-256 of a file's contents, read through fd, as hex. */
int image_sha256_fd(int fd, char hex[IMAGE_SHA256_HEX]);

/*
 * Opens path for reading, close-on-exec, if it is a regular file.  A FIFO,
 * a device such as /dev/zero, a socket or a directory is refused without
 * blocking on the open or reading forever.  Whatever hashes or runs a
 * binary named in an image opens it through this.  Returns the descriptor,
 * or -1 with a reason in err.
 */
int image_open_regular(const char *path, char *err, size_t errlen);

/*
 * Copies src into dst (cap bytes, always terminated, cut short if need
 * be) with every byte a terminal would act on written as \xNN: C0
 * controls, DEL, C1 controls whether raw or UTF-8 encoded, and bytes that
 * are not UTF-8.  Escaping twice changes nothing more, so a message may
 * quote an escaped string and be escaped again as a whole.  Image strings
 * and messages that quote them go through this before they reach a
 * terminal.  Returns dst.
 */
char *image_escape(char *dst, size_t cap, const char *src);
/* True when image_escape would change s. */
bool image_needs_escape(const char *s);

/*
 * Syscalls that reach outside a compartment's sandbox.  The audit lists
 * every one a compartment may call (sandbox.dangerous_syscalls), and its
 * policy counts each as a violation.  Those marked refused are refused by
 * image_build, image_parse and so by `sealnet image check` and
 * `sealnet run`, unless the compartment's allow_dangerous_syscalls is set.
 */
struct image_dangerous_syscall {
	const char *name;
	bool refused;
	const char *why;
};
extern const struct image_dangerous_syscall image_dangerous_syscalls[];
/* The entry for name, or NULL when it is not dangerous. */
const struct image_dangerous_syscall *image_syscall_danger(const char *name);

/* The syscalls every compartment gets: what the runtime and a static C
 * library need, nothing that opens files or sockets. */
extern const char *const image_base_syscalls[];

/* ---- network time (image_sntp.c) ---- */

#define IMAGE_NTP_PORT	  123
#define IMAGE_NTS_KE_PORT 4460

/* The compartment that serves sntp_time_get, which writes the shared
 * time record; NULL if the image has none. */
const struct image_compartment *image_sntp_compartment(const struct image *img);

/* How c may map the shared time record: SN_TIME_RECORD_ACCESS_WRITE for
 * the SNTP compartment, _READ for a compartment that imports
 * sntp_time_get and for the TLS compartment, _NONE for the others and
 * for every compartment of an image without SNTP. */
uint8_t image_time_record_access(const struct image *img,
				 const struct image_compartment *c);

/*
 * Grants the SNTP compartment a time server, "HOST[:PORT]" (IPv6 as
 * "[ADDRESS]:PORT"): for plain NTP a UDP connection capability (port 123
 * by default) named ntp_N; for NTS a TCP one to its key establishment
 * (port 4460 by default) named nts_N and a UDP one to port 123 of the
 * same host, nts_N_ntp.  -1 with a reason if the image has no SNTP
 * compartment, the host is not one a capability may name, or the
 * compartment's capabilities are full.
 */
int image_add_time_server(struct image *img, const char *spec, bool nts,
			  char *err, size_t errlen);

/* Once the image's time servers are granted: an SNTP compartment given
 * no NTS server loses the calls only NTS key establishment makes (a TCP
 * connection and TLS over it), which it declares optional.  The audit
 * then shows that plain NTP can reach neither. */
void image_sntp_leave_out_nts(struct image *img);

#endif
