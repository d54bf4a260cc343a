#!/usr/bin/env python3
"""Writes a long multichannel RF64 file for Scrim's bounded-memory checks.

Default: 2 hours, 8 channels, 48 kHz, 24-bit (8.3 GB, so RF64 with a ds64 chunk, EBU Tech 3306). The audio is a
quiet 1 kHz tone written once per second-long block and repeated, so the file is real data (not sparse) but is
written quickly. A bext chunk (TimeReference = 10:00:00:00 at 48 kHz) and an iXML chunk are included so the
metadata path is exercised too.

usage: make_long_poly.py OUT.wav [--hours H] [--channels N] [--rate HZ]
"""
import argparse
import math
import struct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--rate", type=int, default=48000)
    a = ap.parse_args()

    rate, channels, width = a.rate, a.channels, 3
    frames = int(a.hours * 3600 * rate)
    data_size = frames * channels * width

    bext = bytearray(602)
    bext[0:21] = b"Scrim long poly check"
    bext[256:269] = b"Scrim scripts"
    struct.pack_into("<Q", bext, 338, 10 * 3600 * rate)  # TimeReference, samples since midnight
    bext += b"A=PCM,F=%d,W=24,M=%dchn,T=make_long_poly.py\r\n" % (rate, channels)
    ixml = (b'<?xml version="1.0" encoding="UTF-8"?><BWFXML><IXML_VERSION>1.61</IXML_VERSION>'
            b"<SCENE>LONG</SCENE><TAKE>1</TAKE><SPEED><TIMECODE_RATE>25/1</TIMECODE_RATE>"
            b"<TIMECODE_FLAG>NDF</TIMECODE_FLAG></SPEED></BWFXML>")

    def chunk(cid, payload):
        pad = b"\0" if len(payload) % 2 else b""
        return cid + struct.pack("<I", len(payload)) + bytes(payload) + pad

    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * width, channels * width, 24)
    body = chunk(b"fmt ", fmt) + chunk(b"bext", bext) + chunk(b"iXML", ixml)
    header_rest = b"WAVE" + b"ds64" + struct.pack("<I", 28) + b"\0" * 28 + body + b"data" + struct.pack("<I", 0xFFFFFFFF)
    riff_size = len(header_rest) + data_size + (data_size % 2)
    ds64 = struct.pack("<QQQI", riff_size, data_size, frames, 0)
    header_rest = b"WAVE" + b"ds64" + struct.pack("<I", 28) + ds64 + body + b"data" + struct.pack("<I", 0xFFFFFFFF)

    # One second of a -40 dBFS 1 kHz tone in every channel, 24-bit little endian interleaved.
    amp = 0.01 * 8388607
    second = bytearray()
    for i in range(rate):
        v = int(round(amp * math.sin(2 * math.pi * 1000 * i / rate))) & 0xFFFFFF
        second += v.to_bytes(3, "little") * channels
    with open(a.out, "wb") as f:
        f.write(b"RF64" + struct.pack("<I", 0xFFFFFFFF) + header_rest)
        remaining = frames
        while remaining > 0:
            n = min(rate, remaining)
            f.write(second[: n * channels * width])
            remaining -= n
        if data_size % 2:
            f.write(b"\0")


if __name__ == "__main__":
    main()
