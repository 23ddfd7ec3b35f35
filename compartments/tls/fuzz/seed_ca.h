/* Made by compartments/tls/fuzz/make_seeds.c (make tls-fuzz-seeds): the CA
 * that signed the certificates in the seeds, and the time they were made.
 * Its private key was discarded. */
#define FUZZ_SEED_TIME 1796014902
static const char fuzz_seed_ca[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBeDCCAR2gAwIBAgIJALXW3QskgKlpMAoGCCqGSM49BAMCMB8xHTAbBgNVBAMM\n"
    "FHNlYWxuZXQgZnV6eiBzZWVkIENBMB4XDTI2MTEyOTA1MDE0MloXDTQ2MTEyNTA1\n"
    "MDE0MlowHzEdMBsGA1UEAwwUc2VhbG5ldCBmdXp6IHNlZWQgQ0EwWTATBgcqhkjO\n"
    "PQIBBggqhkjOPQMBBwNCAATVejmdlOf2lNCqZifVxsBIRHaKa+6SIn4lyGeuc9K3\n"
    "2X/+QyHykRndtbZUSEeZWNd0i2ZWCDjR3EbDkUsDVxb6o0IwQDAPBgNVHRMBAf8E\n"
    "BTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQU5DyU0FzaC31yFrOuY3ME\n"
    "NgYvPtUwCgYIKoZIzj0EAwIDSQAwRgIhAPb39wNnuFTg73bRuYqrGLgpIlywFi+i\n"
    "2Up2AedVIIHNAiEAhldEsbTI4X+qItb48a8OXbFLJYW3eqt835QbY2aAU3A=\n"
    "-----END CERTIFICATE-----\n";
