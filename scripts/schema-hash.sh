#!/usr/bin/env bash
# Emits a C header carrying the SHA-256 of the schema, so that every
# compartment binary knows exactly which schema it was built against.
set -euo pipefail
hex=$(sha256sum "$1" | cut -d' ' -f1)
bytes=$(echo "$hex" | sed 's/\(..\)/0x\1, /g')
cat <<EOH
/* Generated from $1: do not edit. */
#ifndef SEALNET_SCHEMA_HASH_H
#define SEALNET_SCHEMA_HASH_H
#define SEALNET_SCHEMA_SHA256_HEX "$hex"
#define SEALNET_SCHEMA_SHA256_BYTES { $bytes}
#endif
EOH
