/*
 * What an image gives the SNTP compartment: time servers as capabilities
 * (image build --ntp-server, --nts-server) and who maps the shared time
 * record, decided from the image alone.
 */
#include <string.h>

#include "harness.h"
#include "image.h"

static struct image img;
static char err[256];

/* An SNTP compartment, a reader that imports sntp_time_get, and one that
 * imports only sntp_update. */
static void
three_compartments(void)
{
	memset(&img, 0, sizeof(img));
	img.ncompartments = 3;
	strcpy(img.compartments[0].name, "SNTP");
	img.compartments[0].exports[0] = SN_EXPORT_SNTP_UPDATE;
	img.compartments[0].exports[1] = SN_EXPORT_SNTP_TIME_GET;
	img.compartments[0].nexports = 2;
	strcpy(img.compartments[1].name, "reader");
	img.compartments[1].calls[0] =
	    (struct image_call){"SNTP", SN_EXPORT_SNTP_TIME_GET};
	img.compartments[1].ncalls = 1;
	strcpy(img.compartments[2].name, "asker");
	img.compartments[2].calls[0] =
	    (struct image_call){"SNTP", SN_EXPORT_SNTP_UPDATE};
	img.compartments[2].ncalls = 1;
}

static const struct image_capability *
cap(unsigned i)
{
	return &img.compartments[0].caps[i];
}

TEST(time_record_access)
{
	three_compartments();
	CHECK(image_sntp_compartment(&img) == &img.compartments[0]);
	CHECK_EQ_INT(image_time_record_access(&img, &img.compartments[0]),
		     SN_TIME_RECORD_ACCESS_WRITE);
	CHECK_EQ_INT(image_time_record_access(&img, &img.compartments[1]),
		     SN_TIME_RECORD_ACCESS_READ);
	/* Asking for an update is no licence to map the record. */
	CHECK_EQ_INT(image_time_record_access(&img, &img.compartments[2]),
		     SN_TIME_RECORD_ACCESS_NONE);
}

/* TLS maps the record to check certificate dates at network time,
 * without importing anything from SNTP; in an image without SNTP there
 * is no record, and TLS is given nothing. */
TEST(tls_reads_the_record)
{
	three_compartments();
	img.ncompartments = 4;
	strcpy(img.compartments[3].name, "TLS");
	img.compartments[3].exports[0] = SN_EXPORT_TLS_CONNECTION_CREATE;
	img.compartments[3].nexports = 1;
	CHECK(image_tls_compartment(&img) == &img.compartments[3]);
	CHECK_EQ_INT(img.compartments[3].ncalls, 0);
	CHECK_EQ_INT(image_time_record_access(&img, &img.compartments[3]),
		     SN_TIME_RECORD_ACCESS_READ);
	/* The same image without SNTP. */
	memset(&img.compartments[0].exports, 0,
	       sizeof(img.compartments[0].exports));
	img.compartments[0].nexports = 0;
	CHECK(image_sntp_compartment(&img) == NULL);
	CHECK_EQ_INT(image_time_record_access(&img, &img.compartments[3]),
		     SN_TIME_RECORD_ACCESS_NONE);
}

TEST(servers_become_capabilities)
{
	three_compartments();
	CHECK_EQ_INT(
	    image_add_time_server(&img, "ntp.test", false, err, sizeof(err)),
	    0);
	CHECK_EQ_INT(image_add_time_server(&img, "10.0.0.2:1123", false, err,
					   sizeof(err)),
		     0);
	CHECK_EQ_INT(
	    image_add_time_server(&img, "nts.test", true, err, sizeof(err)), 0);
	CHECK_EQ_INT(image_add_time_server(&img, "[fd00::1]:4461", true, err,
					   sizeof(err)),
		     0);
	CHECK_EQ_INT(img.compartments[0].ncaps, 6);
	CHECK(strcmp(cap(0)->name, "ntp_1") == 0);
	CHECK(strcmp(cap(0)->cap.host, "ntp.test") == 0);
	CHECK_EQ_INT(cap(0)->cap.port, 123);
	CHECK_EQ_INT(cap(0)->cap.protocol, SN_PROTOCOL_UDP);
	CHECK(strcmp(cap(1)->name, "ntp_2") == 0);
	CHECK_EQ_INT(cap(1)->cap.port, 1123);
	CHECK(strcmp(cap(2)->name, "nts_1") == 0);
	CHECK_EQ_INT(cap(2)->cap.protocol, SN_PROTOCOL_TCP);
	CHECK_EQ_INT(cap(2)->cap.port, 4460);
	CHECK(strcmp(cap(3)->name, "nts_1_ntp") == 0);
	CHECK_EQ_INT(cap(3)->cap.protocol, SN_PROTOCOL_UDP);
	CHECK_EQ_INT(cap(3)->cap.port, 123);
	CHECK(strcmp(cap(3)->cap.host, "nts.test") == 0);
	CHECK(strcmp(cap(4)->cap.host, "fd00::1") == 0);
	CHECK_EQ_INT(cap(4)->cap.port, 4461);
	CHECK(strcmp(cap(5)->name, "nts_2_ntp") == 0);
	/* Only SNTP was given anything. */
	CHECK_EQ_INT(img.compartments[1].ncaps, 0);
}

TEST(bad_servers_are_refused)
{
	static const char *const bad[] = {
	    "",		 "NTP.test",	   "ntp.test:0", "ntp.test:65536",
	    "ntp.test:", "ntp.test:x",	   "[fd00::1",	 "[fd00::1]x",
	    "a b",	 "ntp.test:123:4",
	};

	three_compartments();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(image_add_time_server(&img, bad[i], false, err,
						   sizeof(err)),
			     -1);
	CHECK_EQ_INT(img.compartments[0].ncaps, 0);
	/* No SNTP compartment: nobody to give a server to. */
	memset(&img, 0, sizeof(img));
	img.ncompartments = 1;
	strcpy(img.compartments[0].name, "app");
	CHECK_EQ_INT(
	    image_add_time_server(&img, "ntp.test", false, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "sntp_time_get") != NULL);
}

TEST(capabilities_run_out)
{
	three_compartments();
	for (unsigned i = 0; i < SN_MAX_HELD_CAPABILITIES / 2; i++)
		CHECK_EQ_INT(image_add_time_server(&img, "nts.test", true, err,
						   sizeof(err)),
			     0);
	CHECK_EQ_INT(
	    image_add_time_server(&img, "ntp.test", false, err, sizeof(err)),
	    -1);
	CHECK_EQ_INT(img.compartments[0].ncaps, SN_MAX_HELD_CAPABILITIES);
	/* One place left: an NTS server needs two, and takes none. */
	img.compartments[0].ncaps--;
	CHECK_EQ_INT(
	    image_add_time_server(&img, "nts.test", true, err, sizeof(err)),
	    -1);
	CHECK_EQ_INT(img.compartments[0].ncaps, SN_MAX_HELD_CAPABILITIES - 1);
}

int
main(void)
{
	RUN(time_record_access);
	RUN(tls_reads_the_record);
	RUN(servers_become_capabilities);
	RUN(bad_servers_are_refused);
	RUN(capabilities_run_out);
	HARNESS_EXIT();
}
