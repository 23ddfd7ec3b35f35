/*
 * sealnet image build -o IMAGE BINARY...
 * sealnet image check IMAGE
 *
 * Reads the manifest each compartment binary carries and writes the image;
 * or parses and checks one, as `sealnet run` would before starting it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image.h"

static struct image img;

/* The time servers given, in order, for the SNTP compartment. */
struct time_servers {
	const char *spec[SN_MAX_HELD_CAPABILITIES];
	bool nts[SN_MAX_HELD_CAPABILITIES];
	unsigned n;
};

static int
add_time_servers(const struct time_servers *t, char *err, size_t errlen)
{
	for (unsigned i = 0; i < t->n; i++)
		if (image_add_time_server(&img, t->spec[i], t->nts[i], err,
					  errlen) < 0)
			return -1;
	return 0;
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: sealnet image build -o IMAGE [--ipv4 ADDRESS/PREFIX "
		"--gateway ADDRESS] [--dns ADDRESS]\n"
		"                           [--trust-anchors PEM] "
		"[--identity NAME=CERT,KEY]...\n"
		"                           [--mqtt-credentials NAME=FILE]...\n"
		"                           [--ntp-server HOST[:PORT]]... "
		"[--nts-server HOST[:PORT]]...\n"
		"                           [--allow-dangerous-syscalls] "
		"BINARY...\n"
		"       sealnet image check IMAGE\n"
		"Without --ipv4 the stack takes its address by DHCP; without "
		"--dns, its DNS server too.\n"
		"The TLS compartment trusts the certificates of "
		"--trust-anchors, by default\n" IMAGE_SYSTEM_TRUST_ANCHORS
		"; --identity gives it a client certificate chain\nand key, "
		"presented on connections whose capability names NAME "
		"(SEALNET_CONNECTION_IDENTITY).\n"
		"The image records each file's path and SHA-256; `sealnet run` "
		"refuses changed ones.\n"
		"--mqtt-credentials gives the MQTT compartment a user name "
		"and a password (the\nfile's first two lines) for the "
		"capabilities that name NAME\n(SEALNET_MQTT_CREDENTIALS).\n"
		"--ntp-server and --nts-server give the SNTP compartment a "
		"time server (NTS: its\nkey exchange, port 4460 by default); "
		"with an NTS server, unauthenticated time\nis never used.\n"
		"A compartment that declares a syscall that reaches outside "
		"its sandbox (ptrace,\nexecve, mount, io_uring_setup, ...) is "
		"refused unless --allow-dangerous-syscalls\nis given; the "
		"image then records it, and the audit shows it.\n");
	return 2;
}

int
cli_image(int argc, char **argv)
{
	char err[512], shown[1024];

	if (argc == 3 && strcmp(argv[1], "check") == 0) {
		if (image_load(&img, argv[2], err, sizeof(err)) < 0)
			return cli_error(err);
		/* Well formed, not "valid": whether it is the intended
		 * stack is the audit policy's question. */
		printf("%s: %u compartments, well formed; sealnet audit "
		       "shows what it allows\n",
		       image_escape(shown, sizeof(shown), argv[2]),
		       img.ncompartments);
		return 0;
	}
	if (argc < 5 || strcmp(argv[1], "build") != 0 ||
	    strcmp(argv[2], "-o") != 0)
		return usage();
	const char *ipv4 = NULL, *gateway = NULL, *dns = NULL;
	static const char *identities[IMAGE_MAX_IDENTITIES + 1];
	static const char *credentials[IMAGE_MAX_CREDENTIALS + 1];
	struct image_tls_options tls = {.identities = identities,
					.mqtt_credentials = credentials};
	struct time_servers time_servers = {.n = 0};
	bool allow_dangerous = false;
	int first = 4;
	while (first < argc && strncmp(argv[first], "--", 2) == 0) {
		if (strcmp(argv[first], "--allow-dangerous-syscalls") == 0) {
			allow_dangerous = true;
			first++;
			continue;
		}
		if (first + 1 >= argc)
			return usage();
		if (strcmp(argv[first], "--ipv4") == 0)
			ipv4 = argv[first + 1];
		else if (strcmp(argv[first], "--gateway") == 0)
			gateway = argv[first + 1];
		else if (strcmp(argv[first], "--dns") == 0)
			dns = argv[first + 1];
		else if (strcmp(argv[first], "--trust-anchors") == 0)
			tls.trust_anchors = argv[first + 1];
		else if (strcmp(argv[first], "--identity") == 0 &&
			 tls.nidentities <= IMAGE_MAX_IDENTITIES)
			identities[tls.nidentities++] = argv[first + 1];
		else if (strcmp(argv[first], "--mqtt-credentials") == 0 &&
			 tls.nmqtt_credentials <= IMAGE_MAX_CREDENTIALS)
			credentials[tls.nmqtt_credentials++] = argv[first + 1];
		else if ((strcmp(argv[first], "--ntp-server") == 0 ||
			  strcmp(argv[first], "--nts-server") == 0) &&
			 time_servers.n < SN_MAX_HELD_CAPABILITIES) {
			time_servers.nts[time_servers.n] =
			    argv[first][4] == 's';
			time_servers.spec[time_servers.n++] = argv[first + 1];
		} else
			return usage();
		first += 2;
	}
	if (first >= argc)
		return usage();
	if (image_build(&img, argv + first, (unsigned)(argc - first),
			allow_dangerous, &tls, err, sizeof(err)) < 0 ||
	    image_network_set(&img.network, ipv4, gateway, dns, err,
			      sizeof(err)) < 0 ||
	    add_time_servers(&time_servers, err, sizeof(err)) < 0)
		return cli_error(err);
	image_sntp_leave_out_nts(&img);
	FILE *out = fopen(argv[3], "we");
	if (out == NULL) {
		snprintf(err, sizeof(err), "%s: %s", argv[3], strerror(errno));
		return cli_error(err);
	}
	if (image_write(&img, out, false) < 0 || fclose(out) != 0) {
		snprintf(err, sizeof(err), "writing %s failed", argv[3]);
		return cli_error(err);
	}
	return 0;
}
