/*
 * Sends a few log lines over its control socket, then closes it and
 * lives on.  The supervisor must print each line in one piece and must
 * not spin on the socket it can no longer read.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("closer");
SEALNET_RESTART(never, 0);

#define LINES 5

static struct sn_compartment compartment;

static int
control_log(const char *text)
{
	static _Alignas(8) uint8_t buf[1024];
	sn_builder b;
	uint32_t msg, log;
	size_t len;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, 1);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_SUPERVISOR_LOG);
	log = sn_log_start(&b);
	sn_log_add_level(&b, log, SN_LOG_LEVEL_INFO);
	sn_log_add_text(&b, log, text, strlen(text));
	sn_message_add_body(&b, msg, SN_BODY_LOG, log);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -ENOBUFS;
	return write(SN_CONTROL_FD, buf, len) == (ssize_t)len ? 0 : -errno;
}

int
main(void)
{
	struct timespec second = {1, 0};

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	/* Long enough for the test to watch the supervisor's writes. */
	nanosleep(&second, NULL);
	for (int i = 0; i < LINES; i++)
		if (control_log("control-socket line, whole or not at all") < 0)
			sn_log("control log not sent");
	close(SN_CONTROL_FD);
	sn_log("control socket closed; living on");
	for (;;)
		nanosleep(&second, NULL);
}
