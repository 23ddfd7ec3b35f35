/*
 * The files an image gives its TLS compartment (trust anchors, client
 * identities): each copied once into a sealed memfd and checked against
 * the image's SHA-256 before anything starts, then handed to every
 * incarnation of that compartment alone, with its boot message.
 */
#ifndef SEALNET_SUPERVISOR_FILES_H
#define SEALNET_SUPERVISOR_FILES_H

#include <stdbool.h>

#include "state.h"

/* Loads and checks every file: 0, or -1 after saying which file does not
 * match the image, or could not be read. */
int files_load(struct supervisor *sv);

/* Whether the compartment gets files: the one that serves
 * tls_connection_create, or the one that serves mqtt_connect. */
bool files_for(const struct supervisor *sv, const struct child *ch);
/* Whether it gets this one: TLS its trust anchors and identities, MQTT
 * its credentials. */
bool files_give(const struct supervisor *sv, const struct child *ch,
		const struct boot_file *f);

/* Closes the copies. */
void files_release(struct supervisor *sv);

#endif
