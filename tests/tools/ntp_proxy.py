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
import selectors
import socket
import struct
import sys
import threading
import time

directory, default_upstream = sys.argv[1], sys.argv[2]
upstreams = {}
for arg in sys.argv[3:]:
    a, _, u = arg.partition("=")
    upstreams[a] = u or default_upstream
addresses = list(upstreams)
FORGED_SOURCE = "10.0.0.9"
# How long a request waits for its upstream reply before the relay
# answers (or not) without it.
UPSTREAM_WAIT_S = 0.5
last_reply = {}


def mode_of(address):
    try:
        with open(os.path.join(directory, "mode-" + address)) as f:
            return f.read().strip() or "pass"
    except FileNotFoundError:
        return "pass"


def log(address, mode):
    with open(os.path.join(directory, "requests"), "a") as f:
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


class Relay:
    """UDP port 123 of one ADDRESS, and its own socket to its UPSTREAM."""

    def __init__(self, address):
        self.address = address
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.listener.bind((address, 123))
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.upstream.connect((upstreams[address], 123))
        # Requests relayed and not yet answered, in order: (deadline,
        # request, client, mode).
        self.waiting = []

    def request(self):
        request, client = self.listener.recvfrom(2048)
        self.upstream.send(request)
        self.waiting.append((time.monotonic() + UPSTREAM_WAIT_S, request,
                             client, mode_of(self.address)))

    def reply(self):
        reply = self.upstream.recv(2048)
        for k, (_, request, client, mode) in enumerate(self.waiting):
            # chrony echoes the request's transmit time as the origin.
            if reply[24:32] == request[40:48]:
                del self.waiting[k]
                self.answer(request, reply, client, mode)
                return

    def expire(self, now):
        while self.waiting and self.waiting[0][0] <= now:
            _, request, client, mode = self.waiting.pop(0)
            self.answer(request, None, client, mode)

    def answer(self, request, reply, client, mode):
        if mode == "wrong_source":
            if reply is not None and len(reply) >= 48:
                # scapy takes seconds to load: not on the relay's loop.
                threading.Thread(target=send_forged_source,
                                 args=(moved(reply, 1000)[:48], client),
                                 daemon=True).start()
        elif mode != "drop":
            answer = forged(mode, self.address, request, reply, client)
            if answer is not None:
                self.listener.sendto(answer, client)
        log(self.address, mode)


def serve_udp(relays):
    """Every address on one thread, each request relayed upstream the
    moment it is read and each reply sent back the moment it comes: no
    request waits for another's answer, and no thread waits for Python's
    lock to relay one, so the relay costs about the same each way and
    offsets stay near zero even when requests to several addresses come
    at once, as a client's do."""
    selector = selectors.DefaultSelector()
    for r in relays:
        selector.register(r.listener, selectors.EVENT_READ, r.request)
        selector.register(r.upstream, selectors.EVENT_READ, r.reply)
    while True:
        for key, _ in selector.select(timeout=0.05):
            try:
                key.data()
            except OSError:
                pass
        now = time.monotonic()
        for r in relays:
            r.expire(now)


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


# The UDP ports are bound before "serving" is said, so that no request
# the test sends after that line meets one not yet open.
relays = [Relay(a) for a in addresses]
for a in addresses:
    threading.Thread(target=serve_tcp, args=(a,), daemon=True).start()
print("ntp_proxy: serving %s" % " ".join(
    "%s (to %s)" % (a, upstreams[a]) for a in addresses), flush=True)
serve_udp(relays)
