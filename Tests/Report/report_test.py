#!/usr/bin/env python3
"""The HTML day report in a real browser (issue 20, item 4).

Makes a shoot day of generated poly takes (4 tracks, 24-bit, 48 kHz, with bext and iXML): a clean take, one with
a clipped track, one with a dead track, one whose take is named <script>alert(1)</script> and whose file name has
quotes and a byte that is not UTF-8, a float file with NaN samples (Scrim zeroes them and warns today), and a file
that is not audio. Runs `scrim batch … --html`, stores a picture for one take as the batch's picture hook would,
rebuilds the page with `scrim report`, and opens both pages in headless Chromium:

- the page loads with no script error (the page records window errors and unhandled rejections in
  <html data-errors>; Chromium's own log is searched for "Uncaught" and console lines);
- one row per input file; every warning stored in the reports is shown; the failure is shown with its reason;
- the hostile take is shown as text, and the page has only its own three scripts;
- the stored pictures become <img>s (lazily, when their rows are near the viewport), take 1's replaced by one made
  here;
- #problems filters and #sort=-N sorts (the page's link hooks; the same code as the check box and the headers).

A screenshot is saved to OUTDIR/shot.png (look at it). Standard library only; every external call has a timeout.
Usage: report_test.py SCRIM_BINARY OUTDIR
"""

import base64
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import zlib

RATE = 48_000
TIMEOUT = 120


def chunk(chunk_id, payload):
    pad = b"\x00" if len(payload) % 2 else b""
    return chunk_id + struct.pack("<I", len(payload)) + payload + pad


def bext(description, time_reference):
    """EBU Tech 3285 v1: 602 fixed bytes, then the coding history."""
    def fixed(text, length):
        return text.encode("ascii").ljust(length, b"\x00")
    payload = (fixed(description, 256) + fixed("Scrim report test", 32) + fixed("", 32) + fixed("2026-12-07", 10)
               + fixed("09:30:00", 8) + struct.pack("<II", time_reference & 0xFFFFFFFF, time_reference >> 32)
               + struct.pack("<H", 1) + bytes(64) + bytes(190))
    assert len(payload) == 602
    return payload + b"A=PCM,F=48000,W=24,M=mono,T=report_test.py\r\n"


def xml_text(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ixml(scene, take, tape, tracks, circled):
    names = "".join(f"<TRACK><CHANNEL_INDEX>{i + 1}</CHANNEL_INDEX><INTERLEAVE_INDEX>{i + 1}</INTERLEAVE_INDEX>"
                    f"<NAME>{xml_text(name)}</NAME></TRACK>" for i, name in enumerate(tracks))
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BWFXML><IXML_VERSION>1.61</IXML_VERSION>"
            f"<PROJECT>REPORT TEST</PROJECT><SCENE>{xml_text(scene)}</SCENE><TAKE>{xml_text(take)}</TAKE>"
            f"<TAPE>{xml_text(tape)}</TAPE><CIRCLED>{'TRUE' if circled else 'FALSE'}</CIRCLED>"
            "<SPEED><TIMECODE_RATE>25/1</TIMECODE_RATE><TIMECODE_FLAG>NDF</TIMECODE_FLAG></SPEED>"
            f"<TRACK_LIST><TRACK_COUNT>{len(tracks)}</TRACK_COUNT>{names}</TRACK_LIST></BWFXML>").encode("utf-8")


def write_wav(path, channels, extra=(), float32=False):
    """channels: lists of floats (full scale 1.0). 24-bit PCM, or 32-bit float."""
    count = len(channels)
    frames = len(channels[0])
    if float32:
        fmt = struct.pack("<HHIIHHH", 3, count, RATE, RATE * count * 4, count * 4, 32, 0)
        data = bytearray()
        for n in range(frames):
            for c in channels:
                data += struct.pack("<f", c[n])
    else:
        fmt = struct.pack("<HHIIHH", 1, count, RATE, RATE * count * 3, count * 3, 24)
        data = bytearray()
        for n in range(frames):
            for c in channels:
                value = max(-8388608, min(8388607, int(round(c[n] * 8388608.0))))
                data += struct.pack("<i", value)[:3]
    body = chunk(b"fmt ", fmt)
    for chunk_id, payload in extra:
        body += chunk(chunk_id, payload)
    body += chunk(b"data", bytes(data))
    with open(path, "wb") as handle:
        handle.write(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)


def voice_like(seed, seconds, level):
    """A seeded stand-in for dialogue: inharmonic partials (a harmonic buzz at 140 Hz would read as 46.7 Hz hum: its
    partials are all multiples of 140/3), a syllable-rate envelope, and room noise."""
    rng = random.Random(seed)
    out = []
    for n in range(int(seconds * RATE)):
        t = n / RATE
        envelope = 0.5 + 0.5 * math.sin(2 * math.pi * 3.5 * t)
        tone = sum(math.sin(2 * math.pi * f * t) * a for f, a in ((143, 1.0), (271, 0.5), (419, 0.35), (733, 0.2)))
        out.append(level * (envelope * envelope * tone * 0.4 + 0.01 * rng.uniform(-1, 1)))
    return out


def take(path, seed, scene, take_name, tape, seconds=2.0, clip=False, dead=False, circled=False,
         time_reference=RATE * (9 * 3600 + 30 * 60)):
    tracks = ["BOOM", "LAV A", "LAV B", "MIX"]
    channels = [voice_like(seed + c, seconds, 0.3) for c in range(4)]
    if clip:
        channels[0] = [max(-1.0, min(1.0, 6.0 * x)) for x in channels[0]]
    if dead:
        channels[2] = [0.0] * len(channels[2])
    write_wav(path, channels, extra=[(b"bext", bext("report test", time_reference)),
                                     (b"iXML", ixml(scene, take_name, tape, tracks, circled))])


def png(width, height):
    """A small RGB PNG: a before/after stand-in (two gradients side by side)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            half = x >= width // 2
            level = int(255 * (1 - y / height))
            rows += bytes((level if not half else level // 3, 40, 255 - level if half else 60))
    def part(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + part(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + part(b"IDAT", zlib.compress(bytes(rows), 9)) + part(b"IEND", b""))


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, timeout=TIMEOUT, **kwargs)


def chromium(url, *flags):
    """Chromium's stdout (e.g. the DOM) and its log."""
    result = run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                  "--window-size=1400,1000", "--virtual-time-budget=3000", *flags, url])
    return result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")


class Checks:
    def __init__(self):
        self.failures = []

    def expect(self, condition, what):
        print(("ok    " if condition else "FAIL  ") + what)
        if not condition:
            self.failures.append(what)


def log_errors(log):
    """Console output and uncaught errors in Chromium's log (its own dbus/GPU chatter is not about the page)."""
    return [line for line in log.splitlines() if "Uncaught" in line or "CONSOLE" in line]


def body_of(dom):
    match = re.search(r"<tbody>(.*)</tbody>", dom, re.S)
    return match.group(1) if match else ""


def check_page(checks, name, dom, log, expected_rows, stored_warnings):
    checks.expect('data-ready="1"' in dom, f"{name}: the page's script ran to the end")
    errors = re.search(r'data-errors="(\d+)"', dom)
    checks.expect(errors is not None and errors.group(1) == "0",
                  f"{name}: no script error recorded by the page (data-errors={errors and errors.group(1)})")
    checks.expect(not log_errors(log), f"{name}: no console message or uncaught error in Chromium's log "
                  + "; ".join(log_errors(log))[:300])
    body = body_of(dom)
    rows = len(re.findall(r"<tr class=", body))
    checks.expect(rows == expected_rows, f"{name}: one row per file ({rows} rows, {expected_rows} files)")
    shown = len(re.findall(r'<li class="warning"', body))
    checks.expect(shown == stored_warnings and shown > 0,
                  f"{name}: every stored warning is shown ({shown} shown, {stored_warnings} stored)")
    checks.expect(len(re.findall(r'class="fail"', body)) == 1 and "notAudio" in body,
                  f"{name}: the bad file's failure is shown with its reason")
    checks.expect("&lt;script&gt;alert(1)&lt;/script&gt;" in body, f"{name}: the hostile take is shown as text")
    checks.expect(len(re.findall(r"<script", dom)) == 3, f"{name}: only the page's own three scripts")
    checks.expect("\\xE9" in body and "&quot;4&quot;" in body,
                  f"{name}: the non-UTF-8 byte shows as \\xE9 and the quotes as text")
    ready = re.search(r'data-ready-ms="(\d+)"', dom)
    print(f"      {name}: ready {ready.group(1) if ready else '?'} ms after navigation")
    return body


def main():
    scrim, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if shutil.which("chromium") is None:
        print("report test: chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
        return 1
    shutil.rmtree(out, ignore_errors=True)
    source = os.path.join(out, "day3")
    os.makedirs(source)
    take(os.path.join(source, "T01_sc12_tk1.wav"), 1, "12", "1", "DAY3", circled=True)
    take(os.path.join(source, "T02_sc12_tk2_clipped.wav"), 2, "12", "2", "DAY3", clip=True)
    take(os.path.join(source, "T03_sc14_tk1_deadtrack.wav"), 3, "14", "1", "DAY3", dead=True,
         time_reference=RATE * (11 * 3600 + 5 * 60 + 7))
    hostile = os.path.join(os.fsencode(source), b'T04 "4" take\xe9.wav')
    take(hostile, 4, "14A", "<script>alert(1)</script>", "DAY3 <b>")
    nan = voice_like(5, 1.0, 0.2)
    for n in range(1000, 1010):
        nan[n] = float("nan")
    write_wav(os.path.join(source, "T05_float_nan.wav"), [nan], float32=True)
    with open(os.path.join(source, "T06_bad.wav"), "w") as handle:
        handle.write("this is a text file, not audio\n")
    files = 6

    clean, page = os.path.join(out, "clean"), os.path.join(out, "day3.html")
    batch = run([scrim, "batch", source, "-o", clean, "--jobs", "2", "--html", page, "--json"])
    checks = Checks()
    checks.expect(batch.returncode == 1, f"scrim batch exits 1 (one bad file): {batch.returncode} "
                  + batch.stderr.decode("utf-8", "replace")[-300:])
    summary = json.loads(batch.stdout.decode().splitlines()[-1])["summary"]
    checks.expect(summary["done"] == 5 and summary["failed"] == 1, "batch: 5 done, 1 failed")

    reports = os.path.join(clean, ".scrim", "reports", "day3")
    stored_warnings = 0
    for name in os.listdir(reports):
        if name.endswith(b".json" if isinstance(name, bytes) else ".json"):
            with open(os.path.join(reports, name), encoding="utf-8") as handle:
                document = json.load(handle)
            stored_warnings += len((document.get("report") or {}).get("warnings", []))
    dom, log = chromium("file://" + page, "--dump-dom")
    check_page(checks, "batch --html", dom, log, files, stored_warnings)

    # The picture hook: a stored picture beside take 1's report, as the batch stores the provider's PNG.
    stored = os.path.join(reports, "T01_sc12_tk1.wav.json")
    with open(stored, encoding="utf-8") as handle:
        document = json.load(handle)
    made = png(220, 64)
    with open(os.path.join(reports, "T01_sc12_tk1.wav.thumb.png"), "wb") as handle:
        handle.write(made)
    document["thumbnail"] = "T01_sc12_tk1.wav.thumb.png"
    with open(stored, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    # The batch stored its own thumbnail (FilePlot's) for every done file; take 1's is now the one made here.
    pictures = 0
    for name in os.listdir(reports):
        if name.endswith(".json"):
            with open(os.path.join(reports, name), encoding="utf-8") as handle:
                pictures += 1 if json.load(handle).get("thumbnail") else 0
    rebuilt = os.path.join(out, "rebuilt.html")
    report = run([scrim, "report", clean, "--html", rebuilt])
    checks.expect(report.returncode == 0, "scrim report rebuilds the page: "
                  + (report.stdout + report.stderr).decode("utf-8", "replace").strip()[-300:])
    dom, log = chromium("file://" + rebuilt, "--dump-dom")
    check_page(checks, "scrim report", dom, log, files, stored_warnings)
    # Every row fits the first screen, so every stored picture is made at load; the replaced one is among them.
    checks.expect(pictures >= 1 and dom.count("<img") == pictures and f'data-pictures-shown="{pictures}"' in dom
                  and base64.b64encode(made).decode("ascii") in dom,
                  f"scrim report: the {pictures} stored pictures became <img>s when their rows came into view "
                  f"(found {dom.count('<img')}), take 1's the one stored here")

    dom, log = chromium("file://" + rebuilt + "#problems&sort=-13", "--dump-dom")
    checks.expect('class="only-problems"' in dom and 'aria-sort="descending"' in dom,
                  "#problems&sort=-13: the filter is on and the warnings column sorted descending")
    problems = len(re.findall(r'<tr class="[a-zA-Z]+ problem"', body_of(dom)))
    checks.expect(f"{problems} of {files} files shown" in dom, f"the filter keeps the {problems} files with problems")
    first = re.search(r"<tr [^>]*>.*?</tr>", body_of(dom), re.S)
    checks.expect(first is not None and 'class="failed problem"' in first.group(0),
                  "sorted by problems, descending: the failed file comes first")

    shot = os.path.join(out, "shot.png")
    _, log = chromium("file://" + rebuilt, f"--screenshot={shot}")
    checks.expect(os.path.exists(shot) and os.path.getsize(shot) > 10_000, f"screenshot saved: {shot}")
    if checks.failures:
        print(f"report test: {len(checks.failures)} check(s) failed")
        return 1
    print("report test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
