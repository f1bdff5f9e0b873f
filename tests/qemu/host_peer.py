#!/usr/bin/env python3
"""Host-side peer for igb-vmtest: joins the VM's hub through QEMU's socket netdev
(`-netdev socket,listen=127.0.0.1:PORT`; stream framing: 4-byte big-endian length, then the
frame) and answers every test frame addressed to it with the same header (addresses swapped,
kind 4) and the payload inverted. It sees all guest traffic on the hub: it checks the header of
every test frame, and every payload byte of the frames addressed to it; it prints one summary
line when QEMU closes the connection.

  host_peer.py --port PORT --mac 02:00:00:00:00:fe [--connect-timeout 60]
  host_peer.py --count-pcap FILE       (frames in a pcap file, by test-frame kind)

Exit status: 0 if it connected and every test frame it saw was well formed, else 1.
"""
import argparse
import socket
import struct
import sys
import time

ETHERTYPE = 0x88B5
MAGIC = b"R576"
HEADER = 26
TO_PEER, FROM_PEER = 3, 4


def pattern(seq, i):
    x = ((seq * 0x9E3779B9) ^ (i * 0x85EBCA6B)) & 0xFFFFFFFF
    return (x ^ (x >> 13) ^ (x >> 24)) & 0xFF


def is_test(frame):
    return (len(frame) >= HEADER and frame[12:14] == struct.pack(">H", ETHERTYPE)
            and frame[14:18] == MAGIC)


INVERT = bytes(255 - i for i in range(256))


def check(frame, payload):
    """None if a test frame is well formed (length field; with `payload`, every payload byte),
    else why not."""
    seq, length = struct.unpack(">IH", frame[20:26])
    if length != len(frame):
        return "seq %d: length field %d, frame %d bytes" % (seq, length, len(frame))
    if payload:
        want = bytes(pattern(seq, i) for i in range(HEADER, len(frame)))
        if frame[HEADER:] != want:
            return "seq %d kind %d: payload differs" % (seq, frame[18])
    return None


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def connect(port, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)


def serve(args):
    mac = bytes(int(b, 16) for b in args.mac.split(":"))
    sock = connect(args.port, args.connect_timeout)
    if sock is None:
        print("host peer: could not connect to 127.0.0.1:%d" % args.port)
        return 1
    sock.settimeout(None)
    seen, kinds, bad, answered, other = 0, {}, [], 0, 0
    while True:
        hdr = recv_exact(sock, 4)
        if hdr is None:
            break
        (n,) = struct.unpack(">I", hdr)
        frame = recv_exact(sock, n)
        if frame is None:
            break
        if not is_test(frame):
            other += 1
            continue
        seen += 1
        kinds[frame[18]] = kinds.get(frame[18], 0) + 1
        mine = frame[0:6] == mac and frame[18] == TO_PEER
        why = check(frame, mine)
        if why:
            bad.append(why)
            continue
        if mine:
            out = (frame[6:12] + mac + frame[12:18] + bytes([FROM_PEER]) + frame[19:HEADER]
                   + frame[HEADER:].translate(INVERT))
            sock.sendall(struct.pack(">I", len(out)) + out)
            answered += 1
    by_kind = ", ".join("kind %d: %d" % kv for kv in sorted(kinds.items()))
    print("host peer: saw %d test frames (%s), %d other, %d malformed, answered %d"
          % (seen, by_kind, other, len(bad), answered))
    for why in bad[:5]:
        print("host peer: malformed: " + why)
    return 1 if bad else 0


def count_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        print("pcap: %s is empty" % path)
        return 1
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off, total, kinds = 24, 0, {}
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        total += 1
        if is_test(frame):
            kinds[frame[18]] = kinds.get(frame[18], 0) + 1
    by_kind = ", ".join("kind %d: %d" % kv for kv in sorted(kinds.items()))
    print("%d frames (%s)" % (total, by_kind or "no test frames"))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int)
    p.add_argument("--mac", default="02:00:00:00:00:fe")
    p.add_argument("--connect-timeout", type=float, default=60)
    p.add_argument("--count-pcap")
    args = p.parse_args()
    if args.count_pcap:
        return count_pcap(args.count_pcap)
    if args.port is None:
        p.error("--port is required")
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
