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

#endif
