/*
 * The codec's sample messages, one for each construct of the format, which
 * its tests build, verify, read back and break (codec_samples.h).
 */
#include "codec_samples.h"

#include <errno.h>
#include <string.h>

_Alignas(8) uint8_t mem[1 << 16];
size_t len;

const sn_handle handle = {7, 3, UINT64_C(0xfeedfacecafebeef)};
const uint8_t ipv6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			  0,	0,    0,    0,	  0, 0, 0, 1};

uint32_t
start_message(sn_builder *b, uint8_t call_type, uint16_t export_id)
{
	uint32_t m = sn_message_start(b);

	sn_message_add_call_id(b, m, UINT64_C(0x123456789abcdef0));
	sn_message_add_deadline_ns(b, m, UINT64_C(5000000000));
	sn_message_add_call_type(b, m, call_type);
	sn_message_add_export(b, m, export_id);
	return m;
}

static int
finish(sn_builder *b, uint32_t m)
{
	return sn_builder_finish(b, m, &len);
}

int
build_echo(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_RUNTIME_ECHO);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, "hello", 5);
	sn_message_add_body(b, m, SN_BODY_BYTES, body);
	return finish(b, m);
}

int
build_send(sn_builder *b)
{
	uint32_t m = start_message(b, SN_CALL_TYPE_REQUEST,
				   SN_EXPORT_NETWORK_SOCKET_SEND_TO);
	uint32_t body = sn_send_start(b), to;

	sn_send_add_socket(b, body, &handle);
	sn_send_add_data(b, body, "\x00\x01\x02\xff", 4);
	to = sn_endpoint_start(b);
	sn_endpoint_add_family(b, to, SN_ADDRESS_FAMILY_IPV6);
	sn_endpoint_add_address(b, to, ipv6, sizeof(ipv6));
	sn_endpoint_add_port(b, to, 443);
	sn_send_add_to(b, body, to);
	sn_message_add_body(b, m, SN_BODY_SEND, body);
	return finish(b, m);
}

int
build_resolved(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REPLY, SN_EXPORT_DNS_RESOLVE);
	uint32_t body = sn_resolved_start(b);
	uint32_t vec = sn_resolved_start_addresses(b, body, 2);

	sn_resolved_add_canonical_name(b, body, "example.com", 11);
	for (uint32_t i = 0; i < 2; i++) {
		uint32_t e = sn_endpoint_start(b);
		uint8_t v4[4] = {10, 0, 0, (uint8_t)(1 + i)};

		sn_endpoint_add_family(b, e, SN_ADDRESS_FAMILY_IPV4);
		sn_endpoint_add_address(b, e, v4, 4);
		sn_builder_set_table_at(b, vec, i, e);
	}
	sn_message_add_body(b, m, SN_BODY_RESOLVED, body);
	return finish(b, m);
}

int
build_mqtt_connect(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_MQTT_CONNECT);
	uint32_t body = sn_mqtt_connect_start(b);
	uint32_t cap = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, cap, SN_PROTOCOL_TCP);
	sn_connection_capability_add_host(b, cap, "broker.test", 11);
	sn_connection_capability_add_port(b, cap, 8883);
	sn_mqtt_connect_add_capability(b, body, cap);
	sn_mqtt_connect_add_transport(b, body, &(sn_handle){1, 2, 3});
	sn_mqtt_connect_add_client_id(b, body, "client \"1\"\n", 11);
	sn_mqtt_connect_add_clean_session(b, body, false);
	sn_mqtt_connect_add_keep_alive_seconds(b, body, 60);
	sn_message_add_body(b, m, SN_BODY_MQTT_CONNECT, body);
	return finish(b, m);
}

int
build_time(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REPLY, SN_EXPORT_SNTP_UPDATE);
	uint32_t body = sn_sntp_time_start(b);

	sn_sntp_time_add_unix_seconds(b, body, INT64_C(-1234567890123));
	sn_sntp_time_add_nanoseconds(b, body, 999999999);
	sn_sntp_time_add_synchronised(b, body, true);
	sn_sntp_time_add_stratum(b, body, 2);
	sn_sntp_time_add_server(b, body, "ntp.test", 8);
	sn_sntp_time_add_updates(b, body, 4);
	sn_message_add_body(b, m, SN_BODY_SNTP_TIME, body);
	return finish(b, m);
}

int
build_failed_reply(sn_builder *b)
{
	uint32_t m = start_message(b, SN_CALL_TYPE_REPLY,
				   SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP);

	sn_message_add_status(b, m, -ETIMEDOUT);
	return finish(b, m);
}

int
build_listen(sn_builder *b)
{
	uint32_t m = start_message(b, SN_CALL_TYPE_REQUEST,
				   SN_EXPORT_NETWORK_SOCKET_LISTEN_TCP);
	uint32_t body = sn_listen_start(b);
	uint32_t cap = sn_bind_capability_start(b);

	sn_bind_capability_add_port(b, cap, 80);
	sn_bind_capability_add_max_connections(b, cap, 4);
	sn_bind_capability_add_ipv6(b, cap, true);
	sn_listen_add_capability(b, body, cap);
	sn_message_add_body(b, m, SN_BODY_LISTEN, body);
	return finish(b, m);
}

int
build_log(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_SUPERVISOR_LOG);
	uint32_t body = sn_log_start(b);

	sn_log_add_level(b, body, SN_LOG_LEVEL_WARNING);
	sn_log_add_text(b, body, "disk \\ full", 11);
	sn_message_add_body(b, m, SN_BODY_LOG, body);
	return finish(b, m);
}

int
build_ready(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_SUPERVISOR_READY);
	uint32_t body = sn_ready_start(b);

	sn_ready_add_compartment(b, body, "app", 3);
	sn_message_add_body(b, m, SN_BODY_READY, body);
	return finish(b, m);
}

/* A boot message: vectors of tables inside a vector of tables. */
int
build_boot(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_COMPARTMENT_BOOT);
	uint32_t boot = sn_boot_start(b), peers, peer, perms, perm, conns, cap,
		 binds, bind;

	sn_boot_add_compartment(b, boot, "NetAPI", 6);
	sn_boot_add_incarnation(b, boot, 2);
	peers = sn_boot_start_peers(b, boot, 1);
	peer = sn_boot_peer_start(b);
	sn_boot_peer_add_name(b, peer, "app", 3);
	sn_boot_peer_add_side(b, peer, 1);
	perms = sn_boot_peer_start_may_call(b, peer, 1);
	perm = sn_permission_start(b);
	sn_permission_add_export(b, perm, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP);
	sn_builder_set_table_at(b, perms, 0, perm);
	conns = sn_boot_peer_start_connections(b, peer, 1);
	cap = sn_connection_capability_start(b);
	sn_connection_capability_add_protocol(b, cap, SN_PROTOCOL_TCP);
	sn_connection_capability_add_host(b, cap, "example.test", 12);
	sn_connection_capability_add_port(b, cap, 443);
	sn_builder_set_table_at(b, conns, 0, cap);
	binds = sn_boot_peer_start_binds(b, peer, 1);
	bind = sn_bind_capability_start(b);
	sn_bind_capability_add_port(b, bind, 8080);
	sn_bind_capability_add_max_connections(b, bind, 2);
	sn_builder_set_table_at(b, binds, 0, bind);
	sn_builder_set_table_at(b, peers, 0, peer);
	sn_message_add_body(b, m, SN_BODY_BOOT, boot);
	return finish(b, m);
}

int
build_null(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_RUNTIME_NULL);

	sn_message_add_body(b, m, SN_BODY_EMPTY, sn_empty_start(b));
	return finish(b, m);
}

const struct sample samples[] = {
    {"echo", build_echo},	  {"send", build_send},
    {"resolved", build_resolved}, {"mqtt_connect", build_mqtt_connect},
    {"time", build_time},	  {"failed_reply", build_failed_reply},
    {"listen", build_listen},	  {"log", build_log},
    {"null", build_null},	  {"ready", build_ready},
    {"boot", build_boot},
};

int
build(int (*fn)(sn_builder *b))
{
	sn_builder b;

	sn_builder_init(&b, mem, sizeof(mem));
	return fn(&b);
}

int
verify(const uint8_t *buf, size_t n, sn_message_ref *m)
{
	sn_verify_error err;

	return sn_message_verify(buf, n, m, &err);
}

const size_t sample_count = sizeof(samples) / sizeof(samples[0]);
