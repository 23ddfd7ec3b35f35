#!/usr/bin/python3
"""Frames with a virtio-net header, sent from the wire's side.

    inject_gso.py IFACE DST_IP KIND COUNT

A packet socket with PACKET_VNET_HDR hands the kernel a frame and the
virtio-net header that says how to treat it, as a guest's driver would:
here, TCP super-frames for the kernel to carry whole to a device that
takes them (the TAP device, with its offloads on).  KIND:

  norule     a 20-segment super-frame from 10.0.0.1:80 to DST_IP:40000,
             a flow with no rule
  lying      the same, whose IP length claims one segment only

Frames go to the broadcast address, so the bridge floods them to the
TAP device whatever the stack's Ethernet address is.
"""
import socket
import struct
import sys

SOL_PACKET = 263
PACKET_VNET_HDR = 15
NEEDS_CSUM = 1
GSO_TCPV4 = 1
MSS = 1448


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(src_mac, ethertype):
    return b"\xff" * 6 + src_mac + struct.pack("!H", ethertype)


def super_frame(src_mac, dst, segments, claimed_len=None):
    payload = bytes(range(256)) * (segments * MSS // 256 + 1)
    payload = payload[: segments * MSS]
    src = socket.inet_aton("10.0.0.1")
    tcp_len = 20 + len(payload)
    total = 20 + tcp_len if claimed_len is None else claimed_len
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, 6, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    # The checksum field holds the pseudo-header's sum, as NEEDS_CSUM asks.
    pseudo = src + dst + struct.pack("!BBH", 0, 6, tcp_len)
    partial = ~checksum(pseudo) & 0xFFFF
    tcp = struct.pack("!HHIIBBHHH", 80, 40000, 1000, 1, 5 << 4, 0x18, 502,
                      partial, 0)
    hdr = struct.pack("<BBHHHH", NEEDS_CSUM, GSO_TCPV4, 14 + 40, MSS, 34, 16)
    return hdr + eth(src_mac, 0x0800) + ip + tcp + payload


def main():
    iface, dst_ip, kind, count = sys.argv[1], sys.argv[2], sys.argv[3], \
        int(sys.argv[4])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    dst = socket.inet_aton(dst_ip)
    if kind == "norule":
        frame = super_frame(src_mac, dst, 20)
    elif kind == "lying":
        frame = super_frame(src_mac, dst, 20, claimed_len=40 + MSS)
    else:
        sys.exit("unknown kind " + kind)
    for _ in range(count):
        s.send(frame)
    print("sent %d %s frames of %d bytes" % (count, kind, len(frame) - 10))


if __name__ == "__main__":
    main()
