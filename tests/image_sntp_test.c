/*
 * What an image gives the SNTP compartment: time servers as capabilities
 * (image build --ntp-server, --nts-server) and who maps the shared time
 * record, decided from the image alone.
 */
#include <string.h>

#include "harness.h"
#include "image.h"
#include "image_private.h"

static struct image img;
static char err[256];

/* What SNTP calls for NTS key establishment. */
static const uint16_t nts_ke_exports[] = {
    SN_EXPORT_TLS_CONNECTION_CREATE,
    SN_EXPORT_TLS_CONNECTION_SEND,
    SN_EXPORT_TLS_CONNECTION_RECEIVE,
    SN_EXPORT_TLS_CONNECTION_CLOSE,
    SN_EXPORT_TLS_CONNECTION_KEYING_MATERIAL,
    SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
    SN_EXPORT_NETWORK_SOCKET_DELEGATE,
};
#define NTS_KE_EXPORTS (sizeof(nts_ke_exports) / sizeof(nts_ke_exports[0]))

/* An SNTP compartment, a reader that imports sntp_time_get, one that
 * imports only sntp_update, and TLS, which SNTP calls for NTS. */
static void
three_compartments(void)
{
	memset(&img, 0, sizeof(img));
	img.ncompartments = 4;
	strcpy(img.compartments[3].name, "TLS");
	for (unsigned i = 0; i < NTS_KE_EXPORTS; i++) {
		img.compartments[3].exports[i] = nts_ke_exports[i];
		/* Optional, as SNTP declares them. */
		img.compartments[0].calls[i] =
		    (struct image_call){"TLS", nts_ke_exports[i], true};
	}
	img.compartments[3].nexports = NTS_KE_EXPORTS;
	img.compartments[0].ncalls = NTS_KE_EXPORTS;
	strcpy(img.compartments[0].name, "SNTP");
	img.compartments[0].exports[0] = SN_EXPORT_SNTP_UPDATE;
	img.compartments[0].exports[1] = SN_EXPORT_SNTP_TIME_GET;
	img.compartments[0].nexports = 2;
	strcpy(img.compartments[1].name, "reader");
	img.compartments[1].calls[0] =
	    (struct image_call){"SNTP", SN_EXPORT_SNTP_TIME_GET, false};
	img.compartments[1].ncalls = 1;
	strcpy(img.compartments[2].name, "asker");
	img.compartments[2].calls[0] =
	    (struct image_call){"SNTP", SN_EXPORT_SNTP_UPDATE, false};
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

/* Plain NTP needs no TLS; NTS does, in the image and in SNTP's calls. */
TEST(nts_needs_tls)
{
	three_compartments();
	img.ncompartments = 3;
	img.compartments[0].ncalls = 0;
	CHECK_EQ_INT(
	    image_add_time_server(&img, "ntp.test", false, err, sizeof(err)),
	    0);
	CHECK_EQ_INT(image_sntp_check(&img, err, sizeof(err)), 0);
	CHECK_EQ_INT(
	    image_add_time_server(&img, "nts.test", true, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "NTS server \"nts.test\": NTS key establishment "
			  "runs over TLS, and the image has no TLS "
			  "compartment") != NULL);
	CHECK_EQ_INT(img.compartments[0].ncaps, 1);
	/* An image file edited to hold one is refused all the same. */
	img.compartments[0].caps[1] = img.compartments[0].caps[0];
	strcpy(img.compartments[0].caps[1].name, "nts_1");
	img.compartments[0].caps[1].cap.protocol = SN_PROTOCOL_TCP;
	img.compartments[0].caps[1].cap.port = IMAGE_NTS_KE_PORT;
	img.compartments[0].ncaps = 2;
	CHECK_EQ_INT(image_sntp_check(&img, err, sizeof(err)), -1);
	CHECK(strstr(err, "SNTP's capability nts_1, the NTS server "
			  "ntp.test:4460: NTS key establishment runs over "
			  "TLS, and the image has no TLS compartment") != NULL);
	/* TLS present, but SNTP cannot call one of what NTS needs. */
	img.ncompartments = 4;
	for (unsigned i = 0; i < NTS_KE_EXPORTS - 1; i++)
		img.compartments[0].calls[i] =
		    (struct image_call){"TLS", nts_ke_exports[i], false};
	img.compartments[0].ncalls = NTS_KE_EXPORTS - 1;
	CHECK_EQ_INT(image_sntp_check(&img, err, sizeof(err)), -1);
	CHECK(strstr(err, "network_socket_delegate, which it does "
			  "not import") != NULL);
	img.compartments[0].calls[NTS_KE_EXPORTS - 1] = (struct image_call){
	    "TLS", nts_ke_exports[NTS_KE_EXPORTS - 1], false};
	img.compartments[0].ncalls = NTS_KE_EXPORTS;
	CHECK_EQ_INT(image_sntp_check(&img, err, sizeof(err)), 0);
}

TEST(plain_ntp_leaves_nts_calls_out)
{
	/* Plain NTP: SNTP keeps no way to TCP or TLS. */
	three_compartments();
	CHECK_EQ_INT(
	    image_add_time_server(&img, "ntp.test", false, err, sizeof(err)),
	    0);
	image_sntp_leave_out_nts(&img);
	CHECK_EQ_INT(img.compartments[0].ncalls, 0);
	CHECK_EQ_INT(image_sntp_check(&img, err, sizeof(err)), 0);
	/* An NTS server keeps them all, and what NTS needs is checked. */
	three_compartments();
	CHECK_EQ_INT(
	    image_add_time_server(&img, "nts.test", true, err, sizeof(err)), 0);
	image_sntp_leave_out_nts(&img);
	CHECK_EQ_INT(img.compartments[0].ncalls, NTS_KE_EXPORTS);
	CHECK_EQ_INT(image_sntp_check(&img, err, sizeof(err)), 0);
	/* A required call is never left out. */
	three_compartments();
	img.compartments[0].calls[0].if_present = false;
	image_sntp_leave_out_nts(&img);
	CHECK_EQ_INT(img.compartments[0].ncalls, 1);
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
	RUN(nts_needs_tls);
	RUN(plain_ntp_leaves_nts_calls_out);
	RUN(capabilities_run_out);
	HARNESS_EXIT();
}
