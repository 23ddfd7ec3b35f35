#!/usr/bin/env python3
"""Writes the tls_calls fuzz target's seeds (make tls-calls-seeds).

Each is a request from the fuzzing caller, made with flatc from JSON, and
for some a script that answers the TLS compartment's calls to TCPIP in
the order it makes them (fuzz/call_replies.c): a send taken whole, then
a real server's flight (the tls_engine seeds, recorded by make_seeds.c)
handed over in receives of at most 255 bytes, the most one scripted
reply carries.  The flights answer another ClientHello than the one the
compartment sends, so a handshake goes as far as the first check that
ties the two, which is what the fuzzer starts from.

    make_calls_seeds.py SCHEMA ENGINE_SEEDS_DIR OUT_DIR
"""
import os
import sys

# The seeds' format, which every compartment's calls target shares.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "fuzz"))
import call_seeds  # noqa: E402

SCHEMA, ENGINE_SEEDS, OUT = sys.argv[1:4]
SOCKET = {"slot": 3, "generation": 1, "tag": 7}
SESSION = {"slot": 0, "generation": 1, "tag": 9}
# What the compartment's ClientHello to example.com is long, with no
# ALPN and no identity: the first send taken whole.
CLIENT_HELLO = 271


def message(export, body_type, body):
    return call_seeds.request(SCHEMA, export, body_type, body)


def seed(name, msg, script=None):
    call_seeds.write_seed(OUT, name, msg, script)


ok_sent = call_seeds.ok_sent
ok_received = call_seeds.ok_received


def create(port=443, identity=None, alpn=None):
    cap = {"protocol": "tcp", "host": "example.com", "port": port}
    if identity:
        cap["identity"] = identity
    body = {"capability": cap, "socket": SOCKET}
    if alpn:
        body["alpn"] = list(alpn)
    return message("tls_connection_create", "TlsCreate", body)


def flight(name):
    with open(os.path.join(ENGINE_SEEDS, name), "rb") as f:
        server = f.read()[1:]  # the engine target's control byte
    script = ok_sent(CLIENT_HELLO)
    for i in range(0, len(server), 255):
        script += ok_received(server[i:i + 255])
    return script


os.makedirs(OUT, exist_ok=True)
seed("00_create", create())
seed("01_create_tls13_flight", create(), flight("tls13"))
seed("02_create_tls12_flight", create(), flight("tls12"))
seed("03_create_identity_client_auth", create(8443, "fuzz"),
     flight("tls13_client_auth"))
seed("04_create_alpn", create(alpn=b"\x07ntske/1"), flight("tls13_alpn"))
seed("05_create_socket_refused", create(),
     bytes([0x85]) + bytes([0x85]))  # -EPERM to the send and the receive
seed("06_create_peer_ends", create(), ok_sent(CLIENT_HELLO) +
     bytes([0x8d]))  # -ENOTCONN to the receive: the stream ended
seed("07_send_unknown",
     message("tls_connection_send", "TlsSend",
             {"session": SESSION, "data": list(b"GET / HTTP/1.1\r\n\r\n"),
              "no_flush": True}))
seed("08_receive_unknown",
     message("tls_connection_receive", "TlsReceive",
             {"session": SESSION, "max_bytes": 4096}))
seed("09_close_unknown",
     message("tls_connection_close", "SessionReference",
             {"session": SESSION}))
seed("10_keying_material_unknown",
     message("tls_connection_keying_material", "TlsKeyingMaterial",
             {"session": SESSION, "label": "EXPORTER-network-time-security",
              "context": [0, 0, 0, 15, 0], "length": 32}))
seed("11_peer_unknown",
     message("tls_connection_peer", "SessionReference",
             {"session": SESSION}))
