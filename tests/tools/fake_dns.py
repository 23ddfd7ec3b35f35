#!/usr/bin/python3
"""A DNS server for the network tests that also attacks its client.

    fake_dns.py SERVER_ADDR ROGUE_ADDR REAL_ADDR FAKE_ADDR

Answers A questions for any name with REAL_ADDR (AAAA: no records), from
SERVER_ADDR port 53, which DHCP names as the DNS server.  Before the true
answer it sends a forged one that would send the client to FAKE_ADDR:

    wrongid.*      from the server's port 53, with another query id
    wrongserver.*  from ROGUE_ADDR port 53, with the right id
    wrongport.*    from the server's address, port 5353, with the right id

A resolver that takes a forged answer connects to FAKE_ADDR, where nothing
listens; one that drops them connects to REAL_ADDR.

    alias.*        a CNAME to real.test, then real.test's A record
    silent.*       no answer at all
    rotating.*     a new address in 10.0.1.0/24 at each question, with a
                   TTL of 0: a host whose DNS an attacker answers
"""
import socket
import struct
import sys
import time

server_addr, rogue_addr, real_addr, fake_addr = sys.argv[1:5]


def question(msg):
    """The question's name, its bytes and its type."""
    pos, labels = 12, []
    while msg[pos]:
        n = msg[pos]
        labels.append(msg[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    qtype = struct.unpack("!H", msg[pos + 1:pos + 3])[0]
    return ".".join(labels), msg[12:pos + 5], qtype


def answer(qid, qbytes, qtype, addr, ttl=60):
    flags = 0x8180  # a response, recursion desired and available
    if qtype != 1:
        return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + qbytes
    rr = struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(addr)
    return struct.pack("!HHHHHH", qid, flags, 1, 1, 0, 0) + qbytes + rr


def cname_answer(qid, qbytes):
    """alias.X -> real.test -> REAL_ADDR, in one answer."""
    target = b"\x04real\x04test\x00"
    cname = struct.pack("!HHHIH", 0xC00C, 5, 1, 60, len(target)) + target
    # real.test sits right after the CNAME's fixed part: 12 + question + 12.
    at = 12 + len(qbytes) + 12
    a = struct.pack("!HHHIH", 0xC000 | at, 1, 1, 60, 4) + \
        socket.inet_aton(real_addr)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 2, 0, 0) + qbytes + \
        cname + a


def bound(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


main = bound(server_addr, 53)
rogue = bound(rogue_addr, 53)
other_port = bound(server_addr, 5353)
forged = 0
rotated = 0
while True:
    msg, client = main.recvfrom(4096)
    if len(msg) < 17:
        continue
    qid = struct.unpack("!H", msg[:2])[0]
    name, qbytes, qtype = question(msg)
    if name.startswith("silent."):
        continue
    if qtype == 1 and name.startswith("rotating."):
        rotated += 1
        addr = "10.0.1.%d" % (rotated % 250 + 1)
        main.sendto(answer(qid, qbytes, 1, addr, ttl=0), client)
        continue
    if qtype == 1 and name.startswith("alias."):
        main.sendto(cname_answer(qid, qbytes), client)
        continue
    if qtype == 1 and name.startswith("wrongid."):
        via, forgery = main, answer(qid ^ 0x5A5A, qbytes, 1, fake_addr)
    elif qtype == 1 and name.startswith("wrongserver."):
        via, forgery = rogue, answer(qid, qbytes, 1, fake_addr)
    elif qtype == 1 and name.startswith("wrongport."):
        via, forgery = other_port, answer(qid, qbytes, 1, fake_addr)
    else:
        main.sendto(answer(qid, qbytes, qtype, real_addr), client)
        continue
    # Logged only once the kernel took it, with where it came from, so
    # the test counts forgeries that were really sent.
    sent = via.sendto(forgery, client)
    forged += 1
    src = "%s:%d" % via.getsockname()
    print(f"fake_dns: forged an answer for {name} from {src}, "
          f"{sent} bytes ({forged} so far)", flush=True)
    # The forgery first; the true answer a moment later.
    time.sleep(0.05)
    main.sendto(answer(qid, qbytes, 1, real_addr), client)
