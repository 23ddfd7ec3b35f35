/*
 * sealnet image build -o IMAGE BINARY...
 *
 * Reads the manifest each compartment binary carries and writes the image.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image.h"

static struct image img;

static int
usage(void)
{
	fprintf(stderr,
		"usage: sealnet image build -o IMAGE [--ipv4 ADDRESS/PREFIX "
		"--gateway ADDRESS] [--dns ADDRESS] BINARY...\n"
		"       sealnet image check IMAGE\n"
		"Without --ipv4 the stack takes its address by DHCP; without "
		"--dns, its DNS server too.\n");
	return 2;
}

int
cli_image(int argc, char **argv)
{
	char err[512];

	if (argc == 3 && strcmp(argv[1], "check") == 0) {
		if (image_load(&img, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "sealnet: %s\n", err);
			return 1;
		}
		printf("%s: %u compartments, image is valid\n", argv[2],
		       img.ncompartments);
		return 0;
	}
	if (argc < 5 || strcmp(argv[1], "build") != 0 ||
	    strcmp(argv[2], "-o") != 0)
		return usage();
	const char *ipv4 = NULL, *gateway = NULL, *dns = NULL;
	int first = 4;
	for (; first + 1 < argc && strncmp(argv[first], "--", 2) == 0;
	     first += 2) {
		if (strcmp(argv[first], "--ipv4") == 0)
			ipv4 = argv[first + 1];
		else if (strcmp(argv[first], "--gateway") == 0)
			gateway = argv[first + 1];
		else if (strcmp(argv[first], "--dns") == 0)
			dns = argv[first + 1];
		else
			return usage();
	}
	if (first >= argc)
		return usage();
	if (image_build(&img, argv + first, (unsigned)(argc - first), err,
			sizeof(err)) < 0 ||
	    image_network_set(&img.network, ipv4, gateway, dns, err,
			      sizeof(err)) < 0) {
		fprintf(stderr, "sealnet: %s\n", err);
		return 1;
	}
	FILE *out = fopen(argv[3], "we");
	if (out == NULL) {
		perror(argv[3]);
		return 1;
	}
	if (image_write(&img, out, false) < 0 || fclose(out) != 0) {
		fprintf(stderr, "sealnet: writing %s failed\n", argv[3]);
		return 1;
	}
	return 0;
}
