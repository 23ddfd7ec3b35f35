/*
 * What an image gives the SNTP compartment: its time servers, which are
 * connection capabilities like any other (so the audit shows them and
 * NetAPI checks them), and who may map the shared time record.
 */
#include "image.h"
#include "image_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct image_compartment *
image_sntp_compartment(const struct image *img)
{
	for (unsigned i = 0; i < img->ncompartments; i++)
		if (image_exports(&img->compartments[i],
				  SN_EXPORT_SNTP_TIME_GET))
			return &img->compartments[i];
	return NULL;
}

uint8_t
image_time_record_access(const struct image *img,
			 const struct image_compartment *c)
{
	const struct image_compartment *sntp = image_sntp_compartment(img);

	if (sntp == NULL)
		return SN_TIME_RECORD_ACCESS_NONE;
	if (sntp == c)
		return SN_TIME_RECORD_ACCESS_WRITE;
	/* TLS checks certificate dates at NTS-authenticated network time
	 * when there is some (compartments/tls/verify_time.c); it needs no
	 * SNTP export for that, so an image without SNTP is unchanged. */
	if (image_tls_compartment(img) == c)
		return SN_TIME_RECORD_ACCESS_READ;
	for (unsigned i = 0; i < c->ncalls; i++)
		if (c->calls[i].export_id == SN_EXPORT_SNTP_TIME_GET)
			return SN_TIME_RECORD_ACCESS_READ;
	return SN_TIME_RECORD_ACCESS_NONE;
}

/* What NTS key establishment calls (compartments/sntp/key_exchange.c):
 * its TCP connection, and TLS over it. */
static const uint16_t nts_ke_exports[] = {
    SN_EXPORT_TLS_CONNECTION_CREATE,
    SN_EXPORT_TLS_CONNECTION_SEND,
    SN_EXPORT_TLS_CONNECTION_RECEIVE,
    SN_EXPORT_TLS_CONNECTION_CLOSE,
    SN_EXPORT_TLS_CONNECTION_KEYING_MATERIAL,
    SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
    SN_EXPORT_NETWORK_SOCKET_DELEGATE,
};

static bool
calls(const struct image_compartment *c, uint16_t export_id)
{
	for (unsigned i = 0; i < c->ncalls; i++)
		if (c->calls[i].export_id == export_id)
			return true;
	return false;
}

/* SNTP declares its TLS imports optional (a plain NTP image needs no
 * TLS); an NTS server, named by what, makes them required. */
static int
nts_ke_possible(const struct image *img, const struct image_compartment *sntp,
		const char *what, char *err, size_t errlen)
{
	if (image_tls_compartment(img) == NULL)
		return image_fail(err, errlen,
				  "%s: NTS key establishment runs over TLS, "
				  "and the image has no TLS compartment "
				  "(add the tls binary, or use --ntp-server)",
				  what);
	for (size_t i = 0;
	     i < sizeof(nts_ke_exports) / sizeof(nts_ke_exports[0]); i++)
		if (!calls(sntp, nts_ke_exports[i]))
			return image_fail(err, errlen,
					  "%s: NTS key establishment needs %s "
					  "to call %s, which it does not "
					  "import",
					  what, sntp->name,
					  sn_export_name(nts_ke_exports[i]));
	return 0;
}

static bool
is_nts_ke_export(uint16_t export_id)
{
	for (size_t i = 0;
	     i < sizeof(nts_ke_exports) / sizeof(nts_ke_exports[0]); i++)
		if (nts_ke_exports[i] == export_id)
			return true;
	return false;
}

/* A TCP capability is an NTS-KE server (compartments/sntp/servers.h). */
static const struct image_capability *
nts_server_of(const struct image_compartment *sntp)
{
	for (unsigned i = 0; i < sntp->ncaps; i++)
		if (sntp->caps[i].cap.kind == SN_CAPABILITY_CONNECTION &&
		    sntp->caps[i].cap.protocol == SN_PROTOCOL_TCP)
			return &sntp->caps[i];
	return NULL;
}

void
image_sntp_leave_out_nts(struct image *img)
{
	const struct image_compartment *found = image_sntp_compartment(img);
	struct image_compartment *sntp;
	unsigned kept = 0;

	if (found == NULL || nts_server_of(found) != NULL)
		return;
	sntp = &img->compartments[found - img->compartments];
	for (unsigned k = 0; k < sntp->ncalls; k++)
		if (!sntp->calls[k].if_present ||
		    !is_nts_ke_export(sntp->calls[k].export_id))
			sntp->calls[kept++] = sntp->calls[k];
	sntp->ncalls = kept;
}

int
image_sntp_check(const struct image *img, char *err, size_t errlen)
{
	const struct image_compartment *sntp = image_sntp_compartment(img);
	char what[IMAGE_NAME_MAX + SN_HOST_MAX + 64];
	const struct image_capability *ic;

	if (sntp == NULL || (ic = nts_server_of(sntp)) == NULL)
		return 0;
	(void)snprintf(what, sizeof(what),
		       "%s's capability %s, the NTS server %s:%u", sntp->name,
		       ic->name, ic->cap.host, (unsigned)ic->cap.port);
	return nts_ke_possible(img, sntp, what, err, errlen);
}

/* "HOST" or "HOST:PORT" ("[ADDRESS]:PORT" for IPv6) into host and
 * *port, which keeps its default when none is given. */
static int
split_server(const char *spec, char host[SN_HOST_MAX + 1], uint16_t *port,
	     char *err, size_t errlen)
{
	const char *colon = strrchr(spec, ':'), *end = spec + strlen(spec);
	const char *start = spec;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || (close[1] != 0 && close[1] != ':'))
			return image_fail(err, errlen,
					  "time server \"%s\": unclosed [",
					  spec);
		start = spec + 1;
		end = close;
		colon = close[1] == ':' ? close + 1 : NULL;
	} else if (colon != NULL && strchr(spec, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
	} else if (colon != NULL) {
		end = colon;
	}
	if (colon != NULL) {
		char *stop;
		unsigned long p = strtoul(colon + 1, &stop, 10);

		if (colon[1] == 0 || *stop != 0 || p == 0 || p > UINT16_MAX)
			return image_fail(err, errlen,
					  "time server \"%s\": bad port", spec);
		*port = (uint16_t)p;
	}
	if (end == start || (size_t)(end - start) > SN_HOST_MAX)
		return image_fail(err, errlen, "time server \"%s\": no host",
				  spec);
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = 0;
	if (!image_host_name(host))
		return image_fail(err, errlen,
				  "time server \"%s\": \"%s\" is not a "
				  "lower-case host name or an address in "
				  "canonical form",
				  spec, host);
	return 0;
}

static bool
has_capability(const struct image_compartment *c, const char *name)
{
	for (unsigned i = 0; i < c->ncaps; i++)
		if (strcmp(c->caps[i].name, name) == 0)
			return true;
	return false;
}

static int
add_connection(struct image_compartment *c, const char *name, uint8_t protocol,
	       const char *host, uint16_t port, char *err, size_t errlen)
{
	struct image_capability *ic;

	if (c->ncaps >= SN_MAX_HELD_CAPABILITIES)
		return image_fail(err, errlen, "%s: more than %u capabilities",
				  c->name, SN_MAX_HELD_CAPABILITIES);
	ic = &c->caps[c->ncaps++];
	memset(ic, 0, sizeof(*ic));
	(void)snprintf(ic->name, sizeof(ic->name), "%s", name);
	ic->cap = (struct sn_capability){.kind = SN_CAPABILITY_CONNECTION,
					 .protocol = protocol,
					 .port = port};
	memcpy(ic->cap.host, host, strlen(host) + 1);
	return 0;
}

int
image_add_time_server(struct image *img, const char *spec, bool nts, char *err,
		      size_t errlen)
{
	const struct image_compartment *sntp = image_sntp_compartment(img);
	struct image_compartment *c;
	char host[SN_HOST_MAX + 1], name[IMAGE_NAME_MAX],
	    ntp_name[IMAGE_NAME_MAX];
	uint16_t port = nts ? IMAGE_NTS_KE_PORT : IMAGE_NTP_PORT;
	unsigned k = 1;

	if (sntp == NULL)
		return image_fail(err, errlen,
				  "time server \"%s\": the image has no "
				  "compartment that serves sntp_time_get",
				  spec);
	c = &img->compartments[sntp - img->compartments];
	if (split_server(spec, host, &port, err, errlen) < 0)
		return -1;
	if (nts) {
		char what[SN_HOST_MAX + 32];

		(void)snprintf(what, sizeof(what), "NTS server \"%s\"", spec);
		if (nts_ke_possible(img, c, what, err, errlen) < 0)
			return -1;
	}
	/* An NTS server takes two capabilities, or none. */
	if (c->ncaps + (nts ? 2u : 1u) > SN_MAX_HELD_CAPABILITIES)
		return image_fail(err, errlen,
				  "time server \"%s\": %s holds %u "
				  "capabilities at most",
				  spec, c->name, SN_MAX_HELD_CAPABILITIES);
	/* The first free name: ntp_1, ntp_2, ... or nts_1, ... */
	do {
		(void)snprintf(name, sizeof(name), "%s_%u", nts ? "nts" : "ntp",
			       k);
		(void)snprintf(ntp_name, sizeof(ntp_name), "nts_%u_ntp", k++);
	} while (has_capability(c, name) || has_capability(c, ntp_name));
	if (!nts)
		return add_connection(c, name, SN_PROTOCOL_UDP, host, port, err,
				      errlen);
	/* NTS: key establishment over TCP, then authenticated NTP to the
	 * same host unless the key exchange names another server, which
	 * must then be granted too. */
	if (add_connection(c, name, SN_PROTOCOL_TCP, host, port, err, errlen) <
	    0)
		return -1;
	return add_connection(c, ntp_name, SN_PROTOCOL_UDP, host,
			      IMAGE_NTP_PORT, err, errlen);
}
