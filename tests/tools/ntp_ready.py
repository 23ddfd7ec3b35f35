#!/usr/bin/python3
"""Whether the test's chrony serves time yet.

    ntp_ready.py ADDRESS [AHEAD_DAYS]

Sends one NTP client request to ADDRESS port 123 and exits 0 if a reply
comes within 0.2 s that says the server is synchronised (leap indicator
not 3) at stratum 8, the "local stratum" every test's chrony is given.
chrony answers late, and unsynchronised, while it starts: a test that
starts measuring before it answers at once would measure chrony.  With
AHEAD_DAYS, the server's transmit time must also be that many days ahead
of this machine's clock, to within a minute (a chrony run under
libfaketime).  Exits 1 otherwise, saying nothing: callers poll it.
"""
import socket
import struct
import sys
import time

NTP_PORT = 123
REPLY_WAIT_S = 0.2
NTP_HEADER_BYTES = 48
LEAP_UNSYNCHRONISED = 3
TEST_STRATUM = 8
NTP_TO_UNIX_S = 2208988800
AHEAD_TOLERANCE_S = 60

address = sys.argv[1]
ahead_days = int(sys.argv[2]) if len(sys.argv) > 2 else None

# Version 4, mode 3 (client), with a transmit time as a client gives.
request = b"\x23" + b"\0" * 39 + b"\1" * 8
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(REPLY_WAIT_S)
try:
    s.sendto(request, (address, NTP_PORT))
    reply = s.recv(512)
except OSError:
    sys.exit(1)
if (len(reply) < NTP_HEADER_BYTES or reply[0] >> 6 == LEAP_UNSYNCHRONISED
        or reply[1] != TEST_STRATUM):
    sys.exit(1)
if ahead_days is not None:
    transmit = struct.unpack("!Q", reply[40:48])[0] / 2**32 - NTP_TO_UNIX_S
    if abs(transmit - time.time() - ahead_days * 86400) >= AHEAD_TOLERANCE_S:
        sys.exit(1)
sys.exit(0)
