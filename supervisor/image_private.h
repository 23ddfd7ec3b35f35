/*
 * What the image's files share and nobody else needs: its tables, the
 * names it accepts and the checks every way of making an image ends in.
 */
#ifndef SEALNET_IMAGE_PRIVATE_H
#define SEALNET_IMAGE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "image.h"
#include "sealnet/compartment.h"

extern const char *const image_quota_names[QUOTA_COUNT];
/* The same, NULL-terminated, for the parser's key lists. */
extern const char *const image_quota_keys[QUOTA_COUNT + 1];
/* What a compartment gets without a declaration, and the most it may. */
extern const uint64_t image_quota_defaults[QUOTA_COUNT];
extern const uint64_t image_quota_limits[QUOTA_COUNT];
extern const char *const image_restart_names[];

/* Writes the reason into err and returns -1. */
int image_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies a NUL-terminated name of 1 to cap-1 bytes; false otherwise. */
bool image_copy_name(char *dst, size_t cap, const char *src);
/* Names people will type into queries: letters, digits, _ - . only. */
bool image_plain_name(const char *s);
/* A lower-case host name (RFC 1123) or an address in canonical form. */
bool image_host_name(const char *s);
bool image_exports(const struct image_compartment *c, uint16_t id);
int image_add_syscall(struct image_compartment *c, const char *name, char *err,
		      size_t errlen);
void image_compartment_defaults(struct image_compartment *c);
/* The rules that hold across compartments: unique names, the schema's
 * wiring, one device holder at most, no refused grant unallowed. */
int image_check(const struct image *img, char *err, size_t errlen);

/* image_tls.c: what `image build` records of the TLS options; the rules
 * (a TLS compartment has trust anchors, every identity a capability
 * names is the image's); the "tls" object in and out. */
int image_tls_build(struct image *img, const struct image_tls_options *opt,
		    char *err, size_t errlen);
int image_tls_check(const struct image *img, char *err, size_t errlen);
json_t *image_tls_json(const struct image_tls *tls);
int image_tls_parse(struct image_tls *tls, json_t *o, char *err, size_t errlen);

/* image_sntp.c: an SNTP compartment that holds an NTS server runs its
 * key establishment through TLS, so it must be able to call it. */
int image_sntp_check(const struct image *img, char *err, size_t errlen);

/* image_mqtt.c: the MQTT records of a binary's manifest, gathered and
 * then applied to its capabilities; the credentials `image build`
 * records and their rules; the MQTT part of a capability and the "mqtt"
 * object in and out. */
void image_mqtt_begin(void);
int image_mqtt_declare(const struct sealnet_declaration *d, char *err,
		       size_t errlen);
int image_mqtt_apply(struct image_compartment *c, char *err, size_t errlen);
int image_mqtt_build(struct image *img, const struct image_tls_options *opt,
		     char *err, size_t errlen);
int image_mqtt_check(const struct image *img, char *err, size_t errlen);
json_t *image_mqtt_json(const struct image_mqtt *m);
int image_mqtt_parse(struct image_mqtt *m, json_t *o, char *err, size_t errlen);
json_t *image_mqtt_grant_json(const struct sn_capability *c);
int image_mqtt_grant_parse(struct sn_capability *c, json_t *o,
			   const char *where, char *err, size_t errlen);
/* image_tls.c's, for image_mqtt.c's files too. */
int image_record_file(struct image_file *f, const char *path, const char *what,
		      char *err, size_t errlen);
bool image_file_ok(const struct image_file *f);
int image_parse_file(struct image_file *f, json_t *o, const char *where,
		     char *err, size_t errlen);

#endif
