#!/usr/bin/env python3
"""Writes the mqtt_calls fuzz target's seeds (make mqtt-calls-seeds).

Each is a request from the fuzzing caller, made with flatc from JSON,
presenting the MQTT capability fuzz/compartment_calls.c gives it
(broker.test:8883, publish sensors/#, subscribe commands/+), and for
some a script that answers the MQTT compartment's calls to TLS in the
order it makes them (fuzz/call_replies.c): the session made for the
broker, the CONNECT taken whole, then the broker's bytes in receives of
at most 255 bytes.

    make_calls_seeds.py SCHEMA OUT_DIR
"""
import os
import struct
import sys

# The seeds' format, which every compartment's calls target shares.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "fuzz"))
import call_seeds  # noqa: E402

SCHEMA, OUT = sys.argv[1:3]
CAPABILITY = {"protocol": "tcp", "host": "broker.test", "port": 8883,
              "mqtt": {"version": "v5",
                       "publish": [{"filter": "sensors/#"}],
                       "subscribe": [{"filter": "commands/+"}]}}
SESSION = {"slot": 0, "generation": 1, "tag": 9}
CONNECTION = {"slot": 0, "generation": 1, "tag": 11}
# The CONNECT below: level 5, keep-alive 30, a Session Expiry Interval,
# client id "fuzz".
CONNECT_BYTES = 24
CONNACK = bytes([0x20, 0x03, 0x00, 0x00, 0x00])
CONNACK_PRESENT = bytes([0x20, 0x03, 0x01, 0x00, 0x00])


def message(export, body_type, body):
    return call_seeds.request(SCHEMA, export, body_type, body)


def seed(name, msg, script=None):
    call_seeds.write_seed(OUT, name, msg, script)


ok_sent = call_seeds.ok_sent
ok_received = call_seeds.ok_received
# tls_connection_peer's answer: the session was made for broker.test:8883
# (call_replies.c's first host, at the broker's port), or for another
# server.
PEER_BROKER = bytes([0x00, 0x00])
PEER_OTHER = bytes([0x00, 0x02])


def connect(**extra):
    body = {"capability": CAPABILITY, "transport": SESSION,
            "client_id": "fuzz", "keep_alive_seconds": 30,
            "session_expiry_seconds": 60}
    body.update(extra)
    return message("mqtt_connect", "MqttConnect", body)


def publish(topic, qos, packet_id):
    return bytes([0x30 | qos << 1]) + encode_remaining(
        2 + len(topic) + (2 if qos else 0) + 1 + 5) + \
        struct.pack(">H", len(topic)) + topic + \
        (struct.pack(">H", packet_id) if qos else b"") + b"\x00hello"


def encode_remaining(n):
    out = b""
    while True:
        byte, n = n % 128, n // 128
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


os.makedirs(OUT, exist_ok=True)
seed("00_connect", connect())
seed("01_connect_connack", connect(), PEER_BROKER + ok_sent(CONNECT_BYTES) +
     ok_received(CONNACK))
# The broker delivers a QoS 1 and a QoS 2 message, and a PUBREL.
seed("02_connect_messages", connect(), PEER_BROKER + ok_sent(CONNECT_BYTES) +
     ok_received(CONNACK + publish(b"commands/a", 1, 7) +
                 publish(b"commands/b", 2, 8) + bytes([0x62, 2, 0, 8])))
# A resumed session with what an earlier MQTT kept: a QoS 1 message, a
# released QoS 2 one, a subscription.
seed("03_connect_restore",
     connect(clean_session=False,
             kept=[{"packet_id": 3, "topic": "sensors/t", "qos": 1,
                    "payload": list(b"21.5")},
                   {"packet_id": 4, "topic": "sensors/t", "qos": 2,
                    "released": True}],
             subscriptions=[{"filter": "commands/+", "options": 1}]),
     PEER_BROKER + ok_sent(200) + ok_received(CONNACK_PRESENT))
seed("04_connect_will",
     connect(will={"topic": "sensors/status", "payload": list(b"gone"),
                   "qos": 1, "retain": True}),
     PEER_BROKER + ok_sent(60) + ok_received(CONNACK))
seed("05_connect_transport_refused", connect(),
     PEER_BROKER + bytes([0x85, 0x85]))
seed("06_publish_unknown",
     message("mqtt_publish", "MqttPublish",
             {"connection": CONNECTION, "packet_id": 1,
              "topic": "sensors/t", "payload": list(b"x"), "qos": 1}))
seed("07_subscribe_unknown",
     message("mqtt_subscribe", "MqttSubscribe",
             {"connection": CONNECTION,
              "subscriptions": [{"filter": "commands/+", "options": 1}]}))
seed("08_unsubscribe_unknown",
     message("mqtt_unsubscribe", "MqttUnsubscribe",
             {"connection": CONNECTION,
              "filters": [{"filter": "commands/+"}]}))
seed("09_run_unknown",
     message("mqtt_run", "MqttRun", {"connection": CONNECTION, "seen": 0}))
seed("10_disconnect_unknown",
     message("mqtt_disconnect", "MqttDisconnect",
             {"connection": CONNECTION}))
seed("11_reconnect_unknown",
     message("mqtt_reconnect", "MqttTransport",
             {"connection": CONNECTION, "transport": SESSION}))
# A session made for another server: refused before any CONNECT.
seed("12_connect_other_server", connect(), PEER_OTHER)
# TLS cannot say whose the session is: refused too.
seed("13_connect_peer_refused", connect(), bytes([0x81]))
