#!/usr/bin/python3
"""An NTP server for the SNTP tests that also attacks its client.

    ntp_proxy.py DIR UPSTREAM ADDRESS[=UPSTREAM]...

Listens on UDP port 123 of each ADDRESS and relays each request to the
NTP server at UPSTREAM (chrony, port 123), and relays TCP port 4460 of
each ADDRESS to UPSTREAM's, so NTS key establishment reaches chrony
unchanged.  An ADDRESS may name an UPSTREAM of its own.  What it does with a request depends on the file
DIR/mode-ADDRESS, read afresh for each one (missing: pass):

    pass            the genuine reply
    offset:S        the genuine reply with the server's times moved by S
                    seconds (a falseticker; plain NTP only)
    drop            no reply
    kod:CODE        a Kiss-o'-Death CODE (RATE, DENY, ...) asking for a
                    poll of 2^6 s, and no relay
    wrong_origin    instead of the reply, one whose origin timestamp is
                    not the request's, with the time 1000 s off
    wrong_source    instead of the reply, the same 1000 s off from
                    10.0.0.9 port 123 (sent raw with scapy)
    tamper          instead of the reply, the genuine reply with one bit
                    of its NTS authenticator flipped
    strip           instead of the reply, its first 48 bytes with the
                    time 1000 s off: a plain reply to an NTS request
    replay          instead of the reply, the last genuine reply this
                    client had, its origin rewritten to the new request's
    nak             instead of the reply, an NTS NAK: a Kiss-o'-Death NTSN
                    echoing the request's unique identifier, which RFC
                    8915 leaves unauthenticated

Each request is logged to DIR/requests as "ADDRESS MODE".
"""
import os
import socket
import struct
import sys
import threading

directory, default_upstream = sys.argv[1], sys.argv[2]
upstreams = {}
for arg in sys.argv[3:]:
    a, _, u = arg.partition("=")
    upstreams[a] = u or default_upstream
addresses = list(upstreams)
FORGED_SOURCE = "10.0.0.9"
lock = threading.Lock()
last_reply = {}


def mode_of(address):
    try:
        with open(os.path.join(directory, "mode-" + address)) as f:
            return f.read().strip() or "pass"
    except FileNotFoundError:
        return "pass"


def log(address, mode):
    with lock, open(os.path.join(directory, "requests"), "a") as f:
        f.write("%s %s\n" % (address, mode))


def moved(reply, seconds):
    """The reply with its receive and transmit timestamps moved."""
    rx, tx = struct.unpack("!QQ", reply[32:48])
    delta = int(seconds * (1 << 32))
    return reply[:32] + struct.pack("!QQ", (rx + delta) % (1 << 64),
                                    (tx + delta) % (1 << 64)) + reply[48:]


def kiss(request, code):
    origin = request[40:48]
    header = struct.pack("!BBbbII4s", 0x24, 0, 6, -20, 0, 0, code.encode())
    return header + b"\0" * 8 + origin + b"\0" * 16


def send_forged_source(reply, client):
    from scapy.all import IP, UDP, send
    send(IP(src=FORGED_SOURCE, dst=client[0]) /
         UDP(sport=123, dport=client[1]) / reply, verbose=0)


def unique_identifier(request):
    """The request's Unique Identifier extension field, whole, or b""."""
    pos = 48
    while pos + 4 <= len(request):
        kind, length = struct.unpack("!HH", request[pos:pos + 4])
        if length < 4:
            break
        if kind == 0x0104:
            return request[pos:pos + length]
        pos += length
    return b""


def forged(mode, address, request, reply, client):
    """What goes back instead of the genuine reply, or None."""
    if mode.startswith("kod:"):
        return kiss(request, mode[4:8])
    if mode == "nak":
        return kiss(request, "NTSN") + unique_identifier(request)
    if mode == "replay":
        old = last_reply.get((address, client[0]))
        return None if old is None else old[:24] + request[40:48] + old[32:]
    if reply is None or len(reply) < 48:
        return None
    if mode == "pass":
        last_reply[(address, client[0])] = reply
        return reply
    if mode.startswith("offset:"):
        return moved(reply, float(mode[7:]))
    if mode == "wrong_origin":
        bad = moved(reply, 1000)
        origin = int.from_bytes(request[40:48], "big") ^ 1
        return bad[:24] + origin.to_bytes(8, "big") + bad[32:]
    if mode == "tamper":
        return reply[:-1] + bytes([reply[-1] ^ 1])
    if mode == "strip":
        return moved(reply[:48], 1000)
    return None


def serve_udp(address):
    """One request at a time.  The request goes upstream before anything
    else is done with it, and the reply back as soon as it came, so the
    relay costs about the same each way and offsets stay near zero."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 123))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.connect((upstreams[address], 123))
    up.settimeout(0.5)
    while True:
        request, client = sock.recvfrom(2048)
        up.send(request)
        mode = mode_of(address)
        try:
            reply = up.recv(2048)
        except OSError:
            reply = None
        if mode == "wrong_source":
            if reply is not None and len(reply) >= 48:
                send_forged_source(moved(reply, 1000)[:48], client)
        elif mode != "drop":
            answer = forged(mode, address, request, reply, client)
            if answer is not None:
                sock.sendto(answer, client)
        log(address, mode)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_tcp(address):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 4460))
    listener.listen(16)
    while True:
        client, _ = listener.accept()
        try:
            server = socket.create_connection((upstreams[address], 4460),
                                              timeout=5)
        except OSError:
            client.close()
            continue
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


for a in addresses:
    threading.Thread(target=serve_udp, args=(a,), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(a,), daemon=True).start()
print("ntp_proxy: serving %s" % " ".join(
    "%s (to %s)" % (a, upstreams[a]) for a in addresses), flush=True)
threading.Event().wait()
