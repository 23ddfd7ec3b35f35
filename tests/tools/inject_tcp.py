#!/usr/bin/python3
"""Forged TCP segments against one connection, from the server's side.

    inject_tcp.py CAPTURE SERVER:PORT CLIENT:PORT ROGUE_ADDR

CAPTURE is a pcap of the connection so far: the forgeries take the real
connection's addresses and ports but sequence numbers far outside its
window, as a blind attacker's would be.  Sends resets, data, and data
from ROGUE_ADDR and from another port; prints how many segments it sent.
"""
import os
import random
import subprocess
import sys
import tempfile
import time

from scapy.all import IP, TCP, Raw, rdpcap, send
from scapy.error import Scapy_Exception

capture, server, client, rogue = sys.argv[1:5]
saddr, sport = server.rsplit(":", 1)
caddr, cport = client.rsplit(":", 1)
sport, cport = int(sport), int(cport)

# Where the server's byte stream has got to: the client's next expected
# sequence number.
# The capture may lag behind the wire: wait for the connection to appear.
# tcpdump picks the connection's segments out of a capture of the whole
# test, which scapy would take minutes to parse.
rcv_nxt = None
only = tempfile.NamedTemporaryFile(suffix=".pcap", delete=False).name
for _ in range(50):
    subprocess.run(["tcpdump", "-r", capture, "-w", only,
                    f"tcp and src host {saddr} and src port {sport} and "
                    f"dst host {caddr} and dst port {cport}"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        packets = rdpcap(only)
    except (EOFError, OSError, ValueError, Scapy_Exception):
        packets = []  # none yet, or caught mid-write: read it again
    for p in packets:
        if TCP in p and IP in p and p[IP].src == saddr and \
                p[IP].dst == caddr and p[TCP].sport == sport and \
                p[TCP].dport == cport:
            rcv_nxt = (p[TCP].seq + len(p[TCP].payload)) & 0xFFFFFFFF
    if rcv_nxt is not None:
        break
    time.sleep(0.1)
os.unlink(only)
if rcv_nxt is None:
    sys.exit("inject_tcp: the capture has no segment of that connection")


def far():
    """A sequence number at least 2^30 away from the window."""
    return (rcv_nxt + (1 << 30) + random.getrandbits(29)) & 0xFFFFFFFF


payload = Raw(b"INJECTED" * 16)
segments = []
for _ in range(50):
    segments.append(IP(src=saddr, dst=caddr) /
                    TCP(sport=sport, dport=cport, flags="R", seq=far()))
for _ in range(50):
    segments.append(IP(src=saddr, dst=caddr) /
                    TCP(sport=sport, dport=cport, flags="PA", seq=far(),
                        ack=random.getrandbits(32)) / payload)
# In the window, but from an address or a port the connection is not.
for _ in range(25):
    segments.append(IP(src=rogue, dst=caddr) /
                    TCP(sport=sport, dport=cport, flags="PA", seq=rcv_nxt,
                        ack=random.getrandbits(32)) / payload)
    segments.append(IP(src=saddr, dst=caddr) /
                    TCP(sport=sport - 1, dport=cport, flags="PA",
                        seq=rcv_nxt, ack=random.getrandbits(32)) / payload)
send(segments, verbose=0)
print(len(segments))
