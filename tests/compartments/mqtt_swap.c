/*
 * mqtt_test's attempt to have MQTT log in somewhere that is not the
 * broker: it makes a TLS session with a capability to another server it
 * may reach (hostile.test:8891, which the script runs as an s_server
 * that writes down what it receives), hands it to MQTT, and connects
 * there with the capability whose credentials it holds and never sees.
 * MQTT must refuse (-EPERM), close the session, and send that server
 * nothing of a CONNECT.  The SDK would never pair the two, so the
 * connect is built here, as an application could.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

#include "../../sdk/network_calls.h"
#include "../../sdk/sdk.h"
#include "mqtt_test.h"

SEALNET_CONNECTION_CAPABILITY(elsewhere, SEALNET_TCP, "hostile.test", 8891);

#define CLIENT_ID "sealnet-mqtt-swapped"
/* Longer than MQTT waits for a CONNACK: without the check, the connect
 * would end with that wait, not with this one. */
#define SWAP_T (15 * SEALNET_SECOND)

static int
connect_over(const struct sealnet_declaration *broker, sn_handle transport)
{
	_Alignas(8) static uint8_t reply_buf[1024];
	struct sn_peer *mqtt;
	sn_message_ref reply;
	sn_builder *b;
	uint32_t body;
	int rc = sn_sdk_peer(SN_EXPORT_MQTT_CONNECT, __func__, &mqtt);

	if (rc < 0)
		return rc;
	b = sn_call_builder(mqtt->owner);
	body = sn_mqtt_connect_start(b);
	sn_mqtt_connect_add_capability(
	    b, body, sn_network_connection_capability(b, broker));
	sn_mqtt_connect_add_transport(b, body, &transport);
	sn_mqtt_connect_add_client_id(b, body, CLIENT_ID, strlen(CLIENT_ID));
	sn_mqtt_connect_add_keep_alive_seconds(b, body, 30);
	return sn_call(mqtt, SN_EXPORT_MQTT_CONNECT, SN_BODY_MQTT_CONNECT, body,
		       SWAP_T, reply_buf, sizeof(reply_buf), &reply);
}

void
swapped_session(const struct sealnet_declaration *broker)
{
	sealnet_tls_session s;
	sn_handle transport;
	int rc = tls_connection_create(T, SEALNET_CAPABILITY(elsewhere), &s);

	sealnet_log("RESULT swapped session made: %s", said(rc));
	if (rc < 0)
		return;
	rc = sn_tls_delegate(T, s, "MQTT", &transport);
	if (rc < 0) {
		sealnet_log("RESULT swapped session delegated: %s", said(rc));
		if (tls_connection_close(SEALNET_SECOND, s) < 0)
			sealnet_log("the swapped session did not close");
		return;
	}
	rc = connect_over(broker, transport);
	sealnet_log("RESULT swapped session connect: %s", said(rc));
}
