/* Calls to the Runtime compartment, for applications and tests that try
 * the boundary without a network. */
#include "sealnet/runtime_service.h"

#include <errno.h>
#include <string.h>

#include "boot.h"
#include "sdk.h"

_Static_assert(SEALNET_ECHO_MAX + 512 <= SN_MAX_MESSAGE,
	       "an echo and its message's headers fit one message");

static _Alignas(8) uint8_t reply_buf[SN_MAX_MESSAGE];

int
runtime_null(uint64_t timeout_ns)
{
	sn_message_ref m;

	return sn_sdk_call_empty(SN_EXPORT_RUNTIME_NULL, __func__, timeout_ns,
				 reply_buf, sizeof(reply_buf), &m);
}

ssize_t
runtime_echo(uint64_t timeout_ns, const void *data, size_t len, void *out,
	     size_t cap)
{
	struct sn_peer *p;
	sn_message_ref m;
	const uint8_t *echo;
	uint32_t n;
	int rc = sn_sdk_peer(SN_EXPORT_RUNTIME_ECHO, __func__, &p);

	if (rc < 0)
		return rc;
	if ((data == NULL && len > 0) || (out == NULL && cap > 0))
		return -EINVAL;
	if (len > SEALNET_ECHO_MAX || len > cap)
		return -EMSGSIZE;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_bytes_start(b);
	sn_bytes_add_data(b, body, data, len);
	rc = sn_call(p, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES, body, timeout_ns,
		     reply_buf, sizeof(reply_buf), &m);
	if (rc < 0)
		return rc;
	echo = sn_bytes_data(sn_message_body_as_bytes(m), &n);
	if (n != len || (n > 0 && memcmp(echo, data, n) != 0))
		return -EPROTO;
	if (n > 0)
		memcpy(out, echo, n);
	return (ssize_t)n;
}

int
runtime_handle_new(uint64_t timeout_ns, sealnet_handle *out)
{
	sn_message_ref m;
	sn_handle h;
	int rc;

	if (out == NULL)
		return -EINVAL;
	rc = sn_sdk_call_empty(SN_EXPORT_RUNTIME_HANDLE_NEW, __func__,
			       timeout_ns, reply_buf, sizeof(reply_buf), &m);
	if (rc < 0)
		return rc;
	sn_handle_reference_handle(sn_message_body_as_handle_reference(m), &h);
	*out = (sealnet_handle){h.slot, h.generation, h.tag};
	return 0;
}

int
runtime_handle_check(uint64_t timeout_ns, sealnet_handle h)
{
	struct sn_peer *p;
	sn_handle wire = {h.slot, h.generation, h.tag};
	int rc = sn_sdk_peer(SN_EXPORT_RUNTIME_HANDLE_CHECK, __func__, &p);

	if (rc < 0)
		return rc;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_handle_reference_start(b);
	sn_handle_reference_add_handle(b, body, &wire);
	return sn_call(p, SN_EXPORT_RUNTIME_HANDLE_CHECK,
		       SN_BODY_HANDLE_REFERENCE, body, timeout_ns, reply_buf,
		       sizeof(reply_buf), NULL);
}
