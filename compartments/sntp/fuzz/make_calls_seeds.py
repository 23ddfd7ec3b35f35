#!/usr/bin/env python3
"""Writes the sntp_calls seed whose script runs NTS-KE to its end.

The input is sntp_update (the bare seed beside it) followed by a script
that answers the SNTP compartment's calls in the order it makes them
(fuzz/call_replies.c): connect, delegate, a TLS 1.3 session that chose
ntske/1, the request taken whole, a response with one cookie, the two
exported keys; then the first NTP request's socket (TCPIP is answered
before TLS), the session's close, its authorisation, and a reply that echoes the request, which
SNTP refuses.  The fuzzer starts from there.

    make_calls_seeds.py CORPUS_DIR
"""
import os
import struct
import sys

# The seeds' format, which every compartment's calls target shares.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "fuzz"))
import call_seeds  # noqa: E402

OUT = sys.argv[1]
VALID = b"\x00"


def u16(n):
    return struct.pack("<H", n)


def new_handle(slot, tag):
    return b"\x00" + bytes([slot, 1]) + u16(tag)


def record(kind, body, critical=True):
    return struct.pack(">HH", kind | (0x8000 if critical else 0), len(body)) + body


response = (record(1, b"\x00\x00") + record(4, b"\x00\x0f") +
            record(5, bytes(range(16)), critical=False) + record(0, b""))
script = b"".join([
    VALID + new_handle(1, 0x11) + u16(50000),      # connect
    VALID + new_handle(2, 0x12) + u16(50000),      # delegate
    VALID + new_handle(3, 0x13) + b"\x04",         # TLS 1.3, ntske/1
    VALID + u16(16),                               # the request, whole
    VALID + b"\x00" + bytes([len(response)]) + response,
    VALID + b"\x20" + bytes(range(32)),            # C2S
    VALID + b"\x20" + bytes(range(32, 64)),        # S2C
    VALID + new_handle(4, 0x14) + u16(40000),      # the request's socket
    VALID,                                         # the session closed
    VALID + b"\x00" + bytes([10, 0, 0, 1]) + u16(123),  # authorised
    VALID + b"\x03\x00\x00",                       # its own request back
    VALID + u16(200),                              # sent
])
with open(os.path.join(OUT, "sntp_update"), "rb") as f:
    message = f.read()
with open(os.path.join(OUT, "nts_key_exchange"), "wb") as f:
    f.write(call_seeds.with_script(message, script))
