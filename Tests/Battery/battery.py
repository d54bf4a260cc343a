#!/usr/bin/env python3
"""Malformed- and edge-case input battery for the `scrim` CLI.

Generates a corpus of WAV files (valid baselines, codecs, truncations, lying sizes, odd chunks, bad fmt values,
extreme rates and channel counts, non-finite floats, file-system oddities, awkward names), runs every command on
every file, and checks that scrim never crashes, never hangs, exits 0/1/2, names the file when it fails, writes
complete outputs, never changes its input and leaves nothing partial behind. Then runs `batch` over the whole
corpus, a SIGKILL/resume loop and a SIGINT/SIGTERM test.

Standard library only (Python 3.9+). `sox` is used, when installed, to make MS ADPCM, GSM 6.10, FLAC, AIFF, CAF
and W64 files and to count frames of files this script's own RIFF reader cannot; those cases are skipped with a
note when it is missing.

    python3 Tests/Battery/battery.py [--scrim PATH] [--quick] [--keep] [--only PATTERN] [--list]
                                     [--kill-loop N] [--jobs N] [--seed N] [--timeout S]

--only PATTERN selects run ids: `CASE/COMMAND` for single-file runs (e.g. `ima*`, `*/denoise`, `rate_768001`),
`batch`, `kill`, `signal/COMMAND/SIGNAME`. A pattern with * ? [ is a glob, otherwise a substring. The batch runs
over the selected cases (all cases when the pattern selects `batch`).

Output: one line per failed check (`FAIL [check] run-id: what happened`), notes, a summary of failures grouped by
check and command, and a last line `N passed, N failed`. Exit status 1 when any check failed.
"""

# ======================================================================================================================
# COMMAND TABLE: the only place that knows scrim's flag names. Edit here when they change.
# Placeholders (whole arguments only):
#   {IN} input file   {OUT} output audio file in a fresh folder   {OUTDIR} fresh output folder
#   {OUTJSON} output JSON file   {REF} a valid reference take   {FOLDER} batch source folder   {REPORT} report file
# The third column says what a successful run must leave: None (nothing), "audio" ({OUT}), "audio-in-dir"
# ({OUTDIR}/<input file name>) or "json" ({OUTJSON}).
# `match` needs --reference or --together (and --together needs two files), so it matches IN to a valid reference.
# Flag history: until Dec 2026 normalize took --output and match --output-dir (each also had -o); now every command
# takes -o/--output. `-o` works with both. Before the battery, each row is tried on a valid file: a usage error
# (exit 2) there fails one [table] check and skips that row, instead of failing every file.
# ======================================================================================================================
COMMANDS = [
    ("info",      ["info", "{IN}"],                                                  None),
    ("info-json", ["info", "--json", "{IN}"],                                        None),
    ("loudness",  ["loudness", "{IN}"],                                              None),
    ("analyze",   ["analyze", "{IN}"],                                               None),
    ("denoise",   ["denoise", "{IN}", "-o", "{OUT}"],                                "audio"),
    ("dehum",     ["dehum", "{IN}", "-o", "{OUT}"],                                  "audio"),
    ("declip",    ["declip", "{IN}", "-o", "{OUT}"],                                 "audio"),
    ("declick",   ["declick", "{IN}", "-o", "{OUT}"],                                "audio"),
    ("dewind",    ["dewind", "{IN}", "-o", "{OUT}"],                                 "audio"),
    ("normalize", ["normalize", "{IN}", "-o", "{OUT}"],                              "audio"),
    ("match",     ["match", "--reference", "{REF}", "{IN}", "-o", "{OUTDIR}"],       "audio-in-dir"),
    ("profile",   ["profile", "{IN}", "-o", "{OUTJSON}"],                            "json"),
    ("process",   ["process", "{IN}", "-o", "{OUT}"],                                "audio"),
]
BATCH_RUNS = [
    # (name, argv, condition): "json-flag" runs only when `scrim batch --help` lists --json, "no-json-flag" only
    # when it does not (then --progress json gives the same JSON lines).
    ("text", ["batch", "{FOLDER}", "-o", "{OUTDIR}", "--progress", "none"],                            None),
    ("json", ["batch", "{FOLDER}", "-o", "{OUTDIR}", "--json", "--report", "{REPORT}"],                "json-flag"),
    ("json", ["batch", "{FOLDER}", "-o", "{OUTDIR}", "--progress", "json", "--report", "{REPORT}"], "no-json-flag"),
]
BATCH_PLAIN = ["batch", "{FOLDER}", "-o", "{OUTDIR}", "--progress", "none"]   # kill loop, signals, usage checks
SIGNAL_COMMANDS = ["denoise", "normalize", "process", "batch"]                # names from COMMANDS, or "batch"
WRITING_COMMANDS = {"denoise", "dehum", "declip", "declick", "dewind", "normalize", "match", "process"}  # refuse > 64 channels
# ======================================================================================================================

import argparse
import array
import fnmatch
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor

CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGILL, signal.SIGTRAP, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE}
SOX = shutil.which("sox")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = None          # (uid, gid) to run "unreadable" cases as, when running as root
NOTES = []


def note(msg):
    NOTES.append(msg)
    print("NOTE " + msg, flush=True)


# ---------------------------------------------------------------------------------------------------------------------
# Signal synthesis and sample encoding
# ---------------------------------------------------------------------------------------------------------------------
_tone_cache = {}
_tone_lock = threading.Lock()


def tone(n, rate):
    """n mono samples: 440 Hz at -14 dBFS, a little 60 Hz hum and noise (deterministic)."""
    key = (n, rate)
    with _tone_lock:
        if key in _tone_cache:
            return _tone_cache[key]
    rnd = random.Random(n * 7919 + rate)
    w1 = 2 * math.pi * 440.0 / max(rate, 1)
    w2 = 2 * math.pi * 60.0 / max(rate, 1)
    sin = math.sin
    rr = rnd.random
    out = [0.2 * sin(w1 * i) + 0.02 * sin(w2 * i) + 0.02 * (rr() - 0.5) for i in range(n)]
    with _tone_lock:
        if len(_tone_cache) > 64:
            _tone_cache.clear()
        _tone_cache[key] = out
    return out


def interleaved(n, ch, rate):
    base = tone(n, rate)
    flat = [0.0] * (n * ch)
    for k in range(ch):
        s = (k * 131) % n if n else 0
        flat[k::ch] = base[s:] + base[:s]
    return flat


SF = {  # sample format -> (format tag, bits)
    "u8": (1, 8), "s16": (1, 16), "s24": (1, 24), "s32": (1, 32), "f32": (3, 32), "f64": (3, 64),
}


def _le(a):
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


def encode(flat, sf):
    if sf == "u8":
        return bytes([max(0, min(255, int(x * 127.0) + 128)) for x in flat])
    if sf == "s16":
        return _le(array.array("h", [max(-32768, min(32767, int(x * 32767.0))) for x in flat]))
    if sf == "s24":
        b = _le(array.array("i", [max(-8388608, min(8388607, int(x * 8388607.0))) for x in flat]))
        out = bytearray(len(flat) * 3)
        out[0::3] = b[0::4]
        out[1::3] = b[1::4]
        out[2::3] = b[2::4]
        return bytes(out)
    if sf == "s32":
        return _le(array.array("i", [max(-2147483648, min(2147483647, int(x * 2147483647.0))) for x in flat]))
    if sf == "f32":
        return _le(array.array("f", flat))
    if sf == "f64":
        return _le(array.array("d", flat))
    raise ValueError(sf)


def to_int16(flat):
    return [max(-32768, min(32767, int(x * 32767.0))) for x in flat]


def ulaw_byte(s):
    sign = 0
    if s < 0:
        s = -s
        sign = 0x80
    s = min(s, 32635) + 0x84
    e = max(0, min(7, (s >> 7).bit_length() - 1))
    return ~(sign | (e << 4) | ((s >> (e + 3)) & 0x0F)) & 0xFF


_ALAW_END = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]


def alaw_byte(s):
    v = s >> 3
    if v >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        v = -v - 1
    seg = next((i for i, e in enumerate(_ALAW_END) if v <= e), 8)
    if seg >= 8:
        return 0x7F ^ mask
    a = seg << 4
    a |= ((v >> 1) if seg < 2 else (v >> seg)) & 0x0F
    return a ^ mask


IMA_STEP = [7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88,
            97, 107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658,
            724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660,
            4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818,
            18500, 20350, 22385, 24623, 27086, 29794, 32767]
IMA_INDEX = [-1, -1, -1, -1, 2, 4, 6, 8] * 2


def ima_adpcm_encode(chans, block_align):
    """IMA/DVI ADPCM (WAVE tag 0x11). chans: list of int16 lists. Returns (data, samplesPerBlock, blocks)."""
    ch = len(chans)
    n = len(chans[0])
    spb = (block_align - 4 * ch) * 2 // ch + 1
    nblocks = (n + spb - 1) // spb
    state = [[0, 0] for _ in range(ch)]
    out = bytearray()
    for b in range(nblocks):
        blk = bytearray()
        codes = []
        for c in range(ch):
            seg = chans[c][b * spb:(b + 1) * spb]
            seg = seg + [0] * (spb - len(seg))
            pred, idx = seg[0], state[c][1]
            blk += struct.pack("<hBB", pred, idx, 0)
            nibs = []
            for s in seg[1:]:
                step = IMA_STEP[idx]
                diff = s - pred
                nib = 0
                if diff < 0:
                    nib = 8
                    diff = -diff
                vp = step >> 3
                if diff >= step:
                    nib |= 4
                    diff -= step
                    vp += step
                step >>= 1
                if diff >= step:
                    nib |= 2
                    diff -= step
                    vp += step
                step >>= 1
                if diff >= step:
                    nib |= 1
                    vp += step
                pred = pred - vp if nib & 8 else pred + vp
                pred = max(-32768, min(32767, pred))
                idx = max(0, min(88, idx + IMA_INDEX[nib]))
                nibs.append(nib)
            state[c] = [pred, idx]
            codes.append(nibs)
        for g in range(0, spb - 1, 8):
            for c in range(ch):
                n8 = codes[c][g:g + 8]
                for j in range(0, 8, 2):
                    blk.append(n8[j] | (n8[j + 1] << 4))
        assert len(blk) == block_align
        out += blk
    return bytes(out), spb, nblocks


# ---------------------------------------------------------------------------------------------------------------------
# RIFF building blocks
# ---------------------------------------------------------------------------------------------------------------------
def chunk(cid, payload, pad=True, size=None):
    n = len(payload) if size is None else size
    out = cid + struct.pack("<I", n & 0xFFFFFFFF) + payload
    if pad and len(payload) % 2:
        out += b"\0"
    return out


def fmt_chunk(tag=1, ch=2, rate=48000, bits=16, ba=None, br=None, extra=b"", size=None):
    if ba is None:
        ba = ch * ((bits + 7) // 8)
    if br is None:
        br = rate * ba
    p = struct.pack("<HHIIHH", tag & 0xFFFF, ch & 0xFFFF, rate & 0xFFFFFFFF, br & 0xFFFFFFFF, ba & 0xFFFF,
                    bits & 0xFFFF) + extra
    return chunk(b"fmt ", p, size=size)


GUID_TAIL = bytes([0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
PCM_GUID = struct.pack("<IHH", 1, 0, 0x10) + GUID_TAIL
FLOAT_GUID = struct.pack("<IHH", 3, 0, 0x10) + GUID_TAIL


def ext_fmt(ch=2, rate=48000, bits=24, valid=None, mask=3, sub=PCM_GUID, cbsize=22, container=None, body=None):
    cont = container or ((bits + 7) // 8 * 8)
    ext = struct.pack("<HHI", cbsize, bits if valid is None else valid, mask) + sub if body is None else body
    return fmt_chunk(0xFFFE, ch, rate, cont, extra=ext)


def riff(chunks, form=b"RIFF", size=None, wave=b"WAVE"):
    body = wave + b"".join(chunks)
    return form + struct.pack("<I", (len(body) if size is None else size) & 0xFFFFFFFF) + body


def rf64(chunks, data, form=b"RF64", riff64=None, data64=None, samples64=0, table_len=0, table=b"",
         ds64=True, data_size32=0xFFFFFFFF):
    datachunk = b"data" + struct.pack("<I", data_size32) + data + (b"\0" if len(data) % 2 else b"")
    ds = b""
    if ds64:
        ds_len = 8 + 28 + len(table)
        total = 4 + ds_len + sum(len(c) for c in chunks) + len(datachunk)
        payload = struct.pack("<QQQI", total if riff64 is None else riff64, len(data) if data64 is None else data64,
                              samples64, table_len) + table
        ds = chunk(b"ds64", payload)
    return form + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + ds + b"".join(chunks) + datachunk


def bext_payload(history=b"A=PCM,F=48000,W=24,M=stereo,T=battery\r\n", time_ref=48000 * 3600 * 10):
    p = (b"Battery take".ljust(256, b"\0") + b"Scrim battery".ljust(32, b"\0") + b"BATTERY0001".ljust(32, b"\0")
         + b"2024-05-01" + b"10:00:00" + struct.pack("<IIH", time_ref & 0xFFFFFFFF, time_ref >> 32, 2)
         + b"\0" * 64 + struct.pack("<hhhhh", -2300, 500, -100, -2000, -2100) + b"\0" * 180)
    assert len(p) == 602
    return p + history


def ixml_payload(ch):
    names = ["Boom", "Lav 1", "Lav 2", "Lav 3", "Plant", "Mix L", "Mix R", "Spare"]
    tracks = "".join("<TRACK><CHANNEL_INDEX>%d</CHANNEL_INDEX><INTERLEAVE_INDEX>%d</INTERLEAVE_INDEX>"
                     "<NAME>%s</NAME></TRACK>" % (i + 1, i + 1, names[i % len(names)]) for i in range(ch))
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<BWFXML><IXML_VERSION>2.1</IXML_VERSION><PROJECT>Battery</PROJECT>'
         "<SCENE>3</SCENE><TAKE>2</TAKE><TAPE>DAY1</TAPE><CIRCLED>TRUE</CIRCLED><SPEED>"
         "<TIMECODE_RATE>25/1</TIMECODE_RATE><TIMECODE_FLAG>NDF</TIMECODE_FLAG></SPEED>"
         "<TRACK_LIST><TRACK_COUNT>%d</TRACK_COUNT>%s</TRACK_LIST></BWFXML>\n" % (ch, tracks))
    return x.encode()


def fmt_for(sf, ch, rate):
    tag, bits = SF[sf]
    if tag == 3:
        return fmt_chunk(3, ch, rate, bits, extra=struct.pack("<H", 0))
    return fmt_chunk(1, ch, rate, bits)


def simple_wav(n=48000, ch=2, rate=48000, sf="s16", before=(), after=(), flat=None):
    """A canonical WAV: fmt (+ fact for float), extra chunks, data, trailing chunks."""
    data = encode(interleaved(n, ch, rate) if flat is None else flat, sf)
    chunks = [fmt_for(sf, ch, rate)]
    if SF[sf][0] == 3:
        chunks.append(chunk(b"fact", struct.pack("<I", n)))
    chunks += list(before) + [chunk(b"data", data)] + list(after)
    return riff(chunks)


def put(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------------------------------
# Frame counting: a small RIFF/RF64/BW64 reader, and `sox --i -s` for everything else
# ---------------------------------------------------------------------------------------------------------------------
def riff_probe(path):
    """Acceptable frame counts of a RIFF-family WAV as a set, or None when this reader cannot tell."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        f = open(path, "rb")
    except OSError:
        return None
    with f:
        size = st.st_size
        hdr = f.read(12)
        if len(hdr) < 12 or hdr[8:12] != b"WAVE" or hdr[:4] not in (b"RIFF", b"RF64", b"BW64", b"RIFX"):
            return None
        e = ">" if hdr[:4] == b"RIFX" else "<"
        pos, fmt, fact, data, ds64 = 12, None, None, None, None
        while pos + 8 <= size:
            f.seek(pos)
            h = f.read(8)
            cid, n = h[:4], struct.unpack(e + "I", h[4:])[0]
            body = pos + 8
            if cid == b"ds64":
                b = f.read(min(n, 28))
                if len(b) >= 16:
                    ds64 = struct.unpack("<Q", b[8:16])[0]
            elif cid == b"fmt " and fmt is None:
                b = f.read(min(n, 40))
                if len(b) < 16:
                    return None
                tag, ch, rate, br, ba, bits = struct.unpack(e + "HHIIHH", b[:16])
                spb = struct.unpack(e + "H", b[18:20])[0] if len(b) >= 20 else 0
                if tag == 0xFFFE and len(b) >= 26:
                    tag = struct.unpack(e + "H", b[24:26])[0]
                fmt = (tag, ch, ba, spb)
            elif cid == b"fact" and fact is None:
                b = f.read(4)
                if len(b) == 4:
                    fact = struct.unpack(e + "I", b)[0]
            elif cid == b"data" and data is None:
                if n == 0xFFFFFFFF and ds64 is not None:
                    n = ds64
                data = min(n, size - body)
                if fmt is not None:
                    break
            pos = body + n + (n & 1)
        if fmt is None or data is None:
            return None
        tag, ch, ba, spb = fmt
        if tag in (1, 3, 6, 7):
            return {data // ba} if ba else None
        if tag in (0x02, 0x11, 0x31):
            s = set()
            if fact is not None:
                s.add(fact)
            if ba and spb:
                s.add(data // ba * spb)
            return s or None
        return None


def sniff_type(path):
    try:
        with open(path, "rb") as f:
            m = f.read(4)
    except OSError:
        return None
    return {b"fLaC": "flac", b"FORM": "aiff", b"caff": "caf", b"riff": "w64"}.get(m)


def sox_frames(path):
    """Frame count by `sox --i -s`; a file whose content is not what its extension says is read through a
    temporary symlink with the right extension (sox picks the reader by extension)."""
    if not SOX:
        return None
    t = sniff_type(path)
    tmpdir = None
    try:
        if t:
            tmpdir = tempfile.mkdtemp(prefix="battery-sox-")
            link = os.path.join(tmpdir, "probe." + t)
            os.symlink(os.path.abspath(os.fsdecode(path)), link)
            path = link
        r = subprocess.run([SOX, "--i", "-s", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
        return int(r.stdout.strip()) if r.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def probe_frames(path):
    s = riff_probe(path) if sniff_type(path) is None else None
    if s:
        return s
    n = sox_frames(path)
    return {n} if n is not None else None


# ---------------------------------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------------------------------
class Case:
    def __init__(self, name, filename, builder, expect, quick, requires, nobody, tokens):
        self.name, self.filename, self.builder = name, filename, builder
        self.expect, self.quick, self.requires, self.nobody = expect, quick, requires, nobody
        self.doc = (builder.__doc__ or "").strip().splitlines()[0] if builder.__doc__ else ""
        self.tokens = tokens
        self.path = None        # bytes, absolute
        self.frames = None      # set of acceptable frame counts, or None (unknown)
        self.run_as = None      # (uid, gid) or None

    def basename(self):
        return os.path.basename(self.filename)

    def name_tokens(self):
        if self.tokens:
            return self.tokens
        b = os.fsdecode(self.basename())
        return list({b, unicodedata.normalize("NFC", b), unicodedata.normalize("NFD", b)})

    def named_in(self, text):
        t2 = unicodedata.normalize("NFC", text)
        return any(tok in text or unicodedata.normalize("NFC", tok) in t2 for tok in self.name_tokens())

    def expectation(self, cmd, batch=False):
        e = self.expect
        if self.nobody and IS_ROOT and (batch or self.run_as is None):
            return None   # root reads it anyway: processed or reported, either is fine
        if e == "refuse-processing":
            return "refuse" if cmd in WRITING_COMMANDS or cmd == "batch" else None
        return e


CASES = []


def case(name, file=None, expect=None, quick=False, requires=None, nobody=False, tokens=None):
    """Register a builder: builder(path: bytes) writes the file and returns its frame count (int, set, None)."""
    def deco(fn):
        fname = file if file is not None else (name + ".wav").encode()
        CASES.append(Case(name, fname, fn, expect, quick, requires, nobody, tokens))
        return fn
    return deco


def pcm16_base(n=12000):
    """The truncation/lying-size source: 16-bit stereo 48 kHz, canonical 44-byte header."""
    return simple_wav(n=n, ch=2, rate=48000, sf="s16"), n


# ---- valid baselines -------------------------------------------------------------------------------------------------
@case("pcm16_stereo", expect="accept", quick=True)
def make_pcm16_stereo(p):
    """Valid: 16-bit PCM stereo 48 kHz, 1 s"""
    put(p, simple_wav(sf="s16"))
    return 48000


@case("pcm24_stereo", expect="accept", quick=True)
def make_pcm24_stereo(p):
    """Valid: 24-bit PCM stereo 48 kHz, 1 s"""
    put(p, simple_wav(sf="s24"))
    return 48000


@case("pcm32_stereo", expect="accept")
def make_pcm32_stereo(p):
    """Valid: 32-bit PCM stereo 48 kHz, 1 s"""
    put(p, simple_wav(sf="s32"))
    return 48000


@case("float32_stereo", expect="accept", quick=True)
def make_float32_stereo(p):
    """Valid: 32-bit float stereo 48 kHz, 1 s (fmt 18 bytes + fact)"""
    put(p, simple_wav(sf="f32"))
    return 48000


@case("float64_stereo", expect="accept")
def make_float64_stereo(p):
    """Valid: 64-bit float stereo 48 kHz, 1 s"""
    put(p, simple_wav(sf="f64"))
    return 48000


@case("pcm8u_mono", expect="accept", quick=True)
def make_pcm8u_mono(p):
    """Valid: 8-bit unsigned PCM mono 48 kHz, 1 s"""
    put(p, simple_wav(ch=1, sf="u8"))
    return 48000


def _bwf(ch, n=48000):
    data = encode(interleaved(n, ch, 48000), "s24")
    return riff([fmt_for("s24", ch, 48000), chunk(b"bext", bext_payload()), chunk(b"iXML", ixml_payload(ch)),
                 chunk(b"data", data)])


@case("bwf_mono", expect="accept")
def make_bwf_mono(p):
    """Valid: BWF mono 24-bit with bext + iXML"""
    put(p, _bwf(1))
    return 48000


@case("bwf_stereo", expect="accept")
def make_bwf_stereo(p):
    """Valid: BWF stereo 24-bit with bext + iXML"""
    put(p, _bwf(2))
    return 48000


@case("bwf_poly6", expect="accept", quick=True)
def make_bwf_poly6(p):
    """Valid: 6-channel poly BWF 24-bit with bext + iXML track names"""
    put(p, _bwf(6))
    return 48000


def _rf64(form, n=48000, samples64=None, **kw):
    data = encode(interleaved(n, 2, 48000), "s24")
    return rf64([fmt_for("s24", 2, 48000), chunk(b"bext", bext_payload())], data, form=form,
                samples64=n if samples64 is None else samples64, **kw)


@case("rf64_ds64", expect="accept", quick=True)
def make_rf64_ds64(p):
    """Valid: RF64 with ds64 (data size 0xFFFFFFFF in the data header), 24-bit stereo + bext"""
    put(p, _rf64(b"RF64"))
    return 48000


@case("bw64_ds64", expect="accept")
def make_bw64_ds64(p):
    """Valid: BW64 (ITU-R BS.2088) with ds64, 24-bit stereo"""
    put(p, _rf64(b"BW64"))
    return 48000


@case("extensible_pcm24", expect="accept")
def make_extensible_pcm24(p):
    """Valid: WAVE_FORMAT_EXTENSIBLE 24-bit PCM stereo, mask 0x3"""
    data = encode(interleaved(48000, 2, 48000), "s24")
    put(p, riff([ext_fmt(2, 48000, 24), chunk(b"data", data)]))
    return 48000


@case("extensible_float32_51", expect="accept")
def make_extensible_float32_51(p):
    """Valid: WAVE_FORMAT_EXTENSIBLE float32 5.1, mask 0x3F"""
    data = encode(interleaved(24000, 6, 48000), "f32")
    put(p, riff([ext_fmt(6, 48000, 32, mask=0x3F, sub=FLOAT_GUID), chunk(b"fact", struct.pack("<I", 24000)),
                 chunk(b"data", data)]))
    return 24000


@case("rifx_bigendian")
def make_rifx_bigendian(p):
    """RIFX (big-endian RIFF) 16-bit stereo: legal but rare"""
    n = 24000
    a = array.array("h", to_int16(interleaved(n, 2, 48000)))
    if sys.byteorder == "little":
        a.byteswap()
    fmt = b"fmt " + struct.pack(">IHHIIHH", 16, 1, 2, 48000, 192000, 4, 16)
    body = b"WAVE" + fmt + b"data" + struct.pack(">I", n * 4) + a.tobytes()
    put(p, b"RIFX" + struct.pack(">I", len(body)) + body)
    return n


# ---- codecs ----------------------------------------------------------------------------------------------------------
def _g711(p, tag, fn, n=48000):
    data = bytes(fn(s) for s in to_int16(tone(n, 48000)))
    put(p, riff([fmt_chunk(tag, 1, 48000, 8, extra=struct.pack("<H", 0)), chunk(b"fact", struct.pack("<I", n)),
                 chunk(b"data", data)]))
    return n


@case("ulaw_mono", expect="accept", quick=True)
def make_ulaw_mono(p):
    """µ-law (tag 7) mono 48 kHz, 1 s, encoded by this script"""
    return _g711(p, 7, ulaw_byte)


@case("alaw_mono", expect="accept")
def make_alaw_mono(p):
    """A-law (tag 6) mono 48 kHz, 1 s, encoded by this script"""
    return _g711(p, 6, alaw_byte)


def _ima(p, ch, n, ba):
    flat = to_int16(interleaved(n, ch, 48000))
    data, spb, nblocks = ima_adpcm_encode([flat[c::ch] for c in range(ch)], ba)
    fmt = fmt_chunk(0x11, ch, 48000, 4, ba=ba, br=48000 * ba // spb, extra=struct.pack("<HH", 2, spb))
    put(p, riff([fmt, chunk(b"fact", struct.pack("<I", n)), chunk(b"data", data)]))
    return {n, nblocks * spb}


@case("ima_adpcm_mono", expect="accept", quick=True)
def make_ima_adpcm_mono(p):
    """IMA ADPCM (tag 0x11) mono 48 kHz, 1 s, encoded by this script (blockAlign 512)"""
    return _ima(p, 1, 48000, 512)


@case("ima_adpcm_stereo", expect="accept")
def make_ima_adpcm_stereo(p):
    """IMA ADPCM stereo 48 kHz, 1 s, encoded by this script (blockAlign 2048)"""
    return _ima(p, 2, 48000, 2048)


def _sox_convert(p, sox_args, n=48000, ch=2, rate=48000, out_type=None):
    """Write 16-bit PCM with Python, convert it with sox."""
    tmp = p + b".src.wav"
    put(tmp, simple_wav(n=n, ch=ch, rate=rate, sf="s16"))
    cmd = [SOX, tmp] + sox_args + (["-t", out_type] if out_type else []) + [p]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.unlink(tmp)
    if r.returncode != 0:
        raise RuntimeError("sox failed: " + r.stderr.decode(errors="replace").strip())
    return None   # probed afterwards


@case("ima_adpcm_sox", expect="accept", requires="sox")
def make_ima_adpcm_sox(p):
    """IMA ADPCM stereo 48 kHz, 1 s, by sox"""
    return _sox_convert(p, ["-e", "ima-adpcm"])


@case("ms_adpcm", expect="accept", quick=True, requires="sox")
def make_ms_adpcm(p):
    """MS ADPCM (tag 2) stereo 48 kHz, 1 s, by sox"""
    return _sox_convert(p, ["-e", "ms-adpcm"])


@case("gsm610", expect="accept", quick=True, requires="sox")
def make_gsm610(p):
    """GSM 6.10 (tag 0x31) mono 8 kHz, 2 s, by sox"""
    return _sox_convert(p, ["-e", "gsm-full-rate"], n=16000, ch=1, rate=8000)


for _kind, _quick in (("flac", True), ("aiff", False), ("caf", False), ("w64", False)):
    def _mk_native(p, kind=_kind):
        return _sox_convert(p, [], out_type=kind)

    def _mk_renamed(p, kind=_kind):
        return _sox_convert(p, [], out_type=kind)

    _mk_native.__name__, _mk_native.__doc__ = "make_%s" % _kind, "%s 16-bit stereo 48 kHz by sox" % _kind.upper()
    _mk_renamed.__name__ = "make_%s_as_wav" % _kind
    _mk_renamed.__doc__ = "%s content renamed to .wav" % _kind.upper()
    case("container_" + _kind, file=("container.%s" % _kind).encode(), expect="accept", requires="sox")(_mk_native)
    case("%s_as_wav" % _kind, requires="sox", quick=_quick)(_mk_renamed)


# ---- truncations at every header boundary ---------------------------------------------------------------------------
def _trunc(p, cut):
    b, n = pcm16_base()
    put(p, b[:cut])
    return max(0, (cut - 44)) // 4


for _cut, _what, _exp, _q in ((4, "inside the RIFF header ('RIFF' only)", "refuse", False),
                              (12, "after the RIFF header", "refuse", False),
                              (16, "inside the fmt chunk header", "refuse", False),
                              (28, "inside the fmt body", "refuse", True),
                              (36, "after fmt (no data chunk)", "refuse", False),
                              (40, "inside the data chunk header", "refuse", True),
                              (44, "after the data header (no samples)", None, False)):
    def _mk_trunc(p, cut=_cut):
        return _trunc(p, cut)
    _mk_trunc.__name__ = "make_trunc_%d" % _cut
    _mk_trunc.__doc__ = "16-bit stereo file cut at byte %d: %s" % (_cut, _what)
    case("trunc_%d" % _cut, expect=_exp, quick=_q)(_mk_trunc)


@case("trunc_mid_data", quick=True)
def make_trunc_mid_data(p):
    """Cut in the middle of the data, on a frame boundary (data size says more)"""
    b, n = pcm16_base()
    put(p, b[:44 + n * 2])
    return n // 2


@case("trunc_mid_frame")
def make_trunc_mid_frame(p):
    """Cut in the middle of the data, inside a frame"""
    b, n = pcm16_base()
    put(p, b[:44 + n * 2 + 3])
    return n // 2


@case("trunc_in_bext", expect="refuse")
def make_trunc_in_bext(p):
    """BWF cut inside its bext chunk (no data chunk reached)"""
    put(p, _bwf(2)[:12 + 24 + 8 + 300])
    return 0


@case("trunc_rf64_in_ds64", expect="refuse")
def make_trunc_rf64_in_ds64(p):
    """RF64 cut inside its ds64 chunk"""
    put(p, _rf64(b"RF64")[:12 + 8 + 10])
    return 0


@case("trunc_rf64_mid_data")
def make_trunc_rf64_mid_data(p):
    """RF64 cut in the middle of the data (ds64 says more)"""
    b = _rf64(b"RF64")
    hdr = len(b) - 48000 * 6
    put(p, b[:hdr + 24000 * 6])
    return 24000


# ---- lying sizes ------------------------------------------------------------------------------------------------------
def _patch(b, off, fmt, v):
    return b[:off] + struct.pack(fmt, v) + b[off + struct.calcsize(fmt):]


@case("riff_size_4")
def make_riff_size_4(p):
    """RIFF size 4 (says the file holds only 'WAVE')"""
    b, n = pcm16_base()
    put(p, _patch(b, 4, "<I", 4))
    return n


@case("riff_size_max")
def make_riff_size_max(p):
    """RIFF size 0xFFFFFFFF in a plain RIFF file"""
    b, n = pcm16_base()
    put(p, _patch(b, 4, "<I", 0xFFFFFFFF))
    return n


@case("riff_size_0")
def make_riff_size_0(p):
    """RIFF size 0"""
    b, n = pcm16_base()
    put(p, _patch(b, 4, "<I", 0))
    return n


@case("data_size_larger", quick=True)
def make_data_size_larger(p):
    """data size twice the bytes present"""
    b, n = pcm16_base()
    put(p, _patch(b, 40, "<I", n * 8))
    return n


@case("data_size_max")
def make_data_size_max(p):
    """data size 0xFFFFFFFF in a plain RIFF file (streaming writers do this)"""
    b, n = pcm16_base()
    put(p, _patch(b, 40, "<I", 0xFFFFFFFF))
    return n


@case("data_size_0_with_data", quick=True)
def make_data_size_0_with_data(p):
    """data size 0, samples present after it"""
    b, n = pcm16_base()
    put(p, _patch(b, 40, "<I", 0))
    return {0, n}


@case("data_size_not_multiple")
def make_data_size_not_multiple(p):
    """data size 3 bytes short of a whole frame count"""
    b, n = pcm16_base()
    put(p, _patch(b, 40, "<I", n * 4 - 3))
    return n - 1


@case("fact_lies_pcm")
def make_fact_lies_pcm(p):
    """PCM with a fact chunk claiming 10 frames (fact must be ignored for PCM)"""
    n = 12000
    put(p, simple_wav(n=n, before=[chunk(b"fact", struct.pack("<I", 10))]))
    return n


@case("ds64_data_max", quick=True)
def make_ds64_data_max(p):
    """RF64 whose ds64 data size is 2^64-1"""
    put(p, _rf64(b"RF64", data64=2 ** 64 - 1))
    return 48000


@case("ds64_sizes_2p63")
def make_ds64_sizes_2p63(p):
    """RF64 whose ds64 RIFF size, data size and sample count are 2^63"""
    put(p, _rf64(b"RF64", riff64=2 ** 63, data64=2 ** 63, samples64=2 ** 63))
    return 48000


@case("ds64_table_len_max", quick=True)
def make_ds64_table_len_max(p):
    """RF64 whose ds64 table length is 2^32-1 (no table present)"""
    put(p, _rf64(b"RF64", table_len=0xFFFFFFFF))
    return 48000


@case("ds64_data_smaller")
def make_ds64_data_smaller(p):
    """RF64 whose ds64 data size is half the bytes present (ds64 is authoritative)"""
    put(p, _rf64(b"RF64", data64=24000 * 6))
    return 24000


@case("rf64_without_ds64")
def make_rf64_without_ds64(p):
    """RF64 header and data size 0xFFFFFFFF but no ds64 chunk"""
    put(p, _rf64(b"RF64", ds64=False))
    return 48000


@case("bw64_data_size_32bit")
def make_bw64_data_size_32bit(p):
    """BW64 with ds64 but a real 32-bit data size in the data header"""
    put(p, _rf64(b"BW64", data_size32=48000 * 6))
    return 48000


# ---- chunk layout -----------------------------------------------------------------------------------------------------
@case("odd_chunk_padded", expect="accept")
def make_odd_chunk_padded(p):
    """Odd-sized unknown chunk (7 bytes) with its pad byte, before data"""
    put(p, simple_wav(n=12000, before=[chunk(b"zzzz", b"1234567", pad=True)]))
    return 12000


@case("odd_chunk_unpadded", quick=True)
def make_odd_chunk_unpadded(p):
    """Odd-sized unknown chunk (7 bytes) WITHOUT its pad byte, before data"""
    put(p, simple_wav(n=12000, before=[chunk(b"zzzz", b"1234567", pad=False)]))
    return 12000


@case("odd_list_info_padded", expect="accept")
def make_odd_list_info_padded(p):
    """LIST/INFO chunk with an odd-length INAM string, padded, before data"""
    inam = chunk(b"INAM", b"Take two\0x", pad=True)
    put(p, simple_wav(n=12000, before=[chunk(b"LIST", b"INFO" + inam)]))
    return 12000


def _odd_data(p, pad, trailer=True):
    n = 4801
    data = encode(interleaved(n, 1, 48000), "u8")
    b = fmt_for("u8", 1, 48000) + chunk(b"data", data, pad=pad)
    if trailer:
        b += chunk(b"LIST", b"INFO" + chunk(b"ICMT", b"after data\0"))
    put(p, riff([b]))
    return n


@case("odd_data_padded_then_chunk", expect="accept")
def make_odd_data_padded_then_chunk(p):
    """8-bit mono, odd data size (4801) with pad byte, then a LIST chunk"""
    return _odd_data(p, True)


@case("odd_data_unpadded_then_chunk")
def make_odd_data_unpadded_then_chunk(p):
    """8-bit mono, odd data size without pad byte, then a LIST chunk"""
    return _odd_data(p, False)


@case("odd_data_unpadded_at_eof", expect="accept")
def make_odd_data_unpadded_at_eof(p):
    """8-bit mono, odd data size, file ends without the pad byte"""
    return _odd_data(p, False, trailer=False)


@case("two_data_chunks", quick=True)
def make_two_data_chunks(p):
    """Two data chunks (12000 + 6000 frames)"""
    a = encode(interleaved(12000, 2, 48000), "s16")
    b = encode(interleaved(6000, 2, 48000), "s16")
    put(p, riff([fmt_for("s16", 2, 48000), chunk(b"data", a), chunk(b"data", b)]))
    return {12000, 18000}


@case("data_before_fmt")
def make_data_before_fmt(p):
    """data chunk before the fmt chunk"""
    a = encode(interleaved(12000, 2, 48000), "s16")
    put(p, riff([chunk(b"data", a), fmt_for("s16", 2, 48000)]))
    return 12000


@case("no_data_chunk", expect="refuse")
def make_no_data_chunk(p):
    """fmt but no data chunk"""
    put(p, riff([fmt_for("s16", 2, 48000), chunk(b"LIST", b"INFO")]))
    return 0


@case("no_fmt_chunk", expect="refuse")
def make_no_fmt_chunk(p):
    """data but no fmt chunk"""
    put(p, riff([chunk(b"data", encode(interleaved(12000, 2, 48000), "s16"))]))
    return 0


@case("two_fmt_chunks")
def make_two_fmt_chunks(p):
    """Two fmt chunks that disagree (48 kHz stereo, then 44.1 kHz mono): refuse, or read by the first"""
    a = encode(interleaved(12000, 2, 48000), "s16")
    put(p, riff([fmt_for("s16", 2, 48000), fmt_for("s16", 1, 44100), chunk(b"data", a)]))
    return 12000


@case("huge_unknown_chunk")
def make_huge_unknown_chunk(p):
    """Unknown chunk claiming 0x7FFFFFF0 bytes before data"""
    put(p, simple_wav(n=12000, before=[chunk(b"junk", b"\0" * 16, size=0x7FFFFFF0)]))
    return 12000


@case("chunk_size_max_after_data", expect="accept")
def make_chunk_size_max_after_data(p):
    """A chunk claiming 0xFFFFFFFF bytes after intact data (a metadata problem, not a reason to refuse)"""
    put(p, simple_wav(n=12000, after=[chunk(b"junk", b"\0" * 8, size=0xFFFFFFFF)]))
    return 12000


@case("fmt_size_0", expect="refuse")
def make_fmt_size_0(p):
    """fmt chunk of size 0"""
    put(p, riff([chunk(b"fmt ", b""), chunk(b"data", encode(interleaved(12000, 2, 48000), "s16"))]))
    return 0


@case("fmt_size_14")
def make_fmt_size_14(p):
    """fmt chunk of 14 bytes (WAVEFORMAT without wBitsPerSample)"""
    body = struct.pack("<HHIIH", 1, 2, 48000, 192000, 4)
    put(p, riff([chunk(b"fmt ", body), chunk(b"data", encode(interleaved(12000, 2, 48000), "s16"))]))
    return 12000


@case("junk_after_riff_end", expect="accept")
def make_junk_after_riff_end(p):
    """1000 bytes of garbage after the end of the RIFF chunk (outside the file's declared size)"""
    b, n = pcm16_base()
    put(p, b + bytes(random.Random(1).randrange(256) for _ in range(1000)))
    return n


@case("many_small_chunks", expect="accept")
def make_many_small_chunks(p):
    """20000 tiny unknown chunks before data"""
    put(p, simple_wav(n=12000, before=[chunk(b"tiny", b"ab")] * 20000))
    return 12000


# ---- fmt values ----------------------------------------------------------------------------------------------------
def _fmt_case(p, n=12000, ch=2, rate=48000, bits=16, data_ch=2, data_sf="s16", **kw):
    data = encode(interleaved(n, data_ch, 48000), data_sf)
    put(p, riff([fmt_chunk(1, ch, rate, bits, **kw), chunk(b"data", data)]))


@case("blockalign_mismatch")
def make_blockalign_mismatch(p):
    """16-bit stereo with blockAlign 6 (channels x bytes = 4)"""
    _fmt_case(p, ba=6)
    return {12000, 8000}


@case("blockalign_0", quick=True)
def make_blockalign_0(p):
    """16-bit stereo with blockAlign 0"""
    _fmt_case(p, ba=0)
    return 12000


@case("bits_0", expect="refuse", quick=True)
def make_bits_0(p):
    """PCM with bitsPerSample 0"""
    _fmt_case(p, bits=0, ba=4)
    return 0


@case("bits_12")
def make_bits_12(p):
    """PCM with bitsPerSample 12 in 2-byte containers (blockAlign 4)"""
    _fmt_case(p, bits=12, ba=4)
    return 12000


@case("bits_24_in_4_bytes")
def make_bits_24_in_4_bytes(p):
    """Plain PCM fmt: bits 24, blockAlign 8 for stereo (4-byte containers)"""
    _fmt_case(p, bits=24, ba=8, data_sf="s32")
    return 12000


@case("bits_64_pcm")
def make_bits_64_pcm(p):
    """Integer PCM claiming 64 bits per sample"""
    _fmt_case(p, bits=64, data_sf="f64")
    return 12000


@case("float_tag_bits_16")
def make_float_tag_bits_16(p):
    """Float tag (3) with bitsPerSample 16"""
    data = encode(interleaved(12000, 2, 48000), "s16")
    put(p, riff([fmt_chunk(3, 2, 48000, 16), chunk(b"data", data)]))
    return 12000


@case("channels_0", expect="refuse", quick=True)
def make_channels_0(p):
    """channels 0 (blockAlign 4)"""
    _fmt_case(p, ch=0, ba=4, br=192000)
    return 0


@case("channels_65535", expect="refuse-processing", quick=True)
def make_channels_65535(p):
    """65535 channels, 8-bit (blockAlign 65535), 4 frames"""
    data = bytes([128]) * (65535 * 4)
    put(p, riff([fmt_chunk(1, 65535, 48000, 8, ba=65535), chunk(b"data", data)]))
    return 4


@case("channels_65", expect="refuse-processing")
def make_channels_65(p):
    """65 channels, 16-bit, 0.1 s (one over the 64-channel limit)"""
    put(p, simple_wav(n=4800, ch=65, sf="s16"))
    return 4800


@case("rate_0", expect="refuse", quick=True)
def make_rate_0(p):
    """Sample rate 0"""
    _fmt_case(p, rate=0)
    return 0


@case("rate_1hz", quick=True)
def make_rate_1hz(p):
    """Sample rate 1 Hz, mono 16-bit, 16 frames"""
    put(p, simple_wav(n=16, ch=1, rate=1, sf="s16"))
    return 16


@case("byterate_0")
def make_byterate_0(p):
    """avgBytesPerSec 0 (ignored by most readers)"""
    _fmt_case(p, br=0)
    return 12000


RATES = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000, 352800, 384000, 705600, 768000]
for _r in RATES:
    def _mk_rate(p, r=_r):
        put(p, simple_wav(n=r // 2, ch=1, rate=r, sf="s16"))
        return r // 2
    _mk_rate.__name__, _mk_rate.__doc__ = "make_rate_%d" % _r, "Valid: 16-bit mono at %d Hz, 0.5 s" % _r
    case("rate_%d" % _r, expect="accept", quick=_r in (8000, 768000))(_mk_rate)


@case("rate_768001", expect="refuse", quick=True)
def make_rate_768001(p):
    """16-bit mono at 768001 Hz (one over the supported maximum)"""
    put(p, simple_wav(n=384000, ch=1, rate=768001, sf="s16"))
    return 384000


for _c in (1, 2, 3, 6, 8, 16, 32, 64):
    def _mk_ch(p, c=_c):
        n = 24000 if c <= 8 else 12000
        put(p, simple_wav(n=n, ch=c, sf="s16"))
        return n
    _mk_ch.__name__, _mk_ch.__doc__ = "make_channels_%d" % _c, "Valid: %d channels, 16-bit 48 kHz" % _c
    case("channels_%d" % _c, expect="accept", quick=_c in (3, 64))(_mk_ch)


# ---- float specials -------------------------------------------------------------------------------------------------
def _float_special(p, fn, sf="f32", n=48000):
    flat = interleaved(n, 2, 48000)
    fn(flat)
    put(p, simple_wav(n=n, ch=2, sf=sf, flat=flat))
    return n


def _every(k, v):
    def f(flat):
        for i in range(0, len(flat), k):
            flat[i] = v if i % (2 * k) == 0 or not isinstance(v, float) or v != v else -v
    return f


@case("float_pm1e30", quick=True)
def make_float_pm1e30(p):
    """float32 with ±1e30 every 1000 samples"""
    return _float_special(p, _every(1000, 1e30))


@case("float_nan", expect="accept", quick=True)
def make_float_nan(p):
    """float32 with NaN every 997 samples"""
    return _float_special(p, _every(997, float("nan")))


@case("float_posinf", expect="accept")
def make_float_posinf(p):
    """float32 with +Inf every 991 samples"""
    def f(flat):
        for i in range(0, len(flat), 991):
            flat[i] = float("inf")
    return _float_special(p, f)


@case("float_all_nan", expect="accept")
def make_float_all_nan(p):
    """float32, every sample NaN"""
    def f(flat):
        flat[:] = [float("nan")] * len(flat)
    return _float_special(p, f)


@case("float_denormals", expect="accept")
def make_float_denormals(p):
    """float32, every sample a denormal (±1e-40)"""
    def f(flat):
        flat[:] = [1e-40 if i % 2 else -1e-40 for i in range(len(flat))]
    return _float_special(p, f)


@case("float64_pm1e300")
def make_float64_pm1e300(p):
    """float64 with ±1e300 every 1000 samples (overflows float32)"""
    return _float_special(p, _every(1000, 1e300), sf="f64")


@case("float_overs_4x", expect="accept")
def make_float_overs_4x(p):
    """float32 with legal overs: the tone at 4x full scale"""
    def f(flat):
        flat[:] = [x * 20.0 for x in flat]
    return _float_special(p, f)


# ---- tiny files -------------------------------------------------------------------------------------------------------
@case("all_zero", expect="accept", quick=True)
def make_all_zero(p):
    """24-bit stereo, 1 s of digital silence"""
    put(p, simple_wav(sf="s24", flat=[0.0] * 96000))
    return 48000


@case("one_frame", quick=True)
def make_one_frame(p):
    """16-bit stereo, 1 frame"""
    put(p, simple_wav(n=1))
    return 1


@case("ten_frames")
def make_ten_frames(p):
    """16-bit stereo, 10 frames"""
    put(p, simple_wav(n=10))
    return 10


@case("zero_frames")
def make_zero_frames(p):
    """Valid header, data size 0, nothing after"""
    put(p, riff([fmt_for("s16", 2, 48000), chunk(b"data", b"")]))
    return 0


# ---- extensible fmt ---------------------------------------------------------------------------------------------------
def _ext_case(p, fmt, n=12000, sf="s24", ch=2):
    put(p, riff([fmt, chunk(b"data", encode(interleaved(n, ch, 48000), sf))]))
    return n


@case("ext_cbsize_0", quick=True)
def make_ext_cbsize_0(p):
    """EXTENSIBLE tag with cbSize 0 (no extension)"""
    return _ext_case(p, fmt_chunk(0xFFFE, 2, 48000, 24, extra=struct.pack("<H", 0)))


@case("ext_cbsize_ffff")
def make_ext_cbsize_ffff(p):
    """EXTENSIBLE with cbSize 0xFFFF in a 40-byte fmt"""
    return _ext_case(p, ext_fmt(2, 48000, 24, cbsize=0xFFFF))


@case("ext_cbsize_22_fmt_short")
def make_ext_cbsize_22_fmt_short(p):
    """EXTENSIBLE with cbSize 22 but the fmt chunk ends after 24 bytes"""
    return _ext_case(p, fmt_chunk(0xFFFE, 2, 48000, 24, extra=struct.pack("<HHI", 22, 24, 3)[:8]))


@case("ext_unknown_subformat", expect="refuse")
def make_ext_unknown_subformat(p):
    """EXTENSIBLE with an unknown SubFormat GUID"""
    return _ext_case(p, ext_fmt(2, 48000, 24, sub=bytes(range(16))))


@case("ext_validbits_gt_container")
def make_ext_validbits_gt_container(p):
    """EXTENSIBLE 16-bit container with wValidBitsPerSample 32"""
    return _ext_case(p, ext_fmt(2, 48000, 16, valid=32), sf="s16")


@case("ext_mask_more_channels")
def make_ext_mask_more_channels(p):
    """EXTENSIBLE stereo with a 5.1 channel mask (0x3F)"""
    return _ext_case(p, ext_fmt(2, 48000, 24, mask=0x3F))


# ---- format tags ------------------------------------------------------------------------------------------------------
@case("unknown_format_tag", expect="refuse", quick=True)
def make_unknown_format_tag(p):
    """Format tag 0x1234"""
    put(p, riff([fmt_chunk(0x1234, 2, 48000, 16), chunk(b"data", encode(interleaved(12000, 2, 48000), "s16"))]))
    return 0


@case("format_tag_0", expect="refuse")
def make_format_tag_0(p):
    """Format tag 0 (WAVE_FORMAT_UNKNOWN)"""
    put(p, riff([fmt_chunk(0, 2, 48000, 16), chunk(b"data", encode(interleaved(12000, 2, 48000), "s16"))]))
    return 0


@case("format_tag_mpeg_garbage", expect="refuse")
def make_format_tag_mpeg_garbage(p):
    """Format tag 0x55 (MP3) with random bytes as data"""
    rnd = random.Random(55)
    put(p, riff([fmt_chunk(0x55, 2, 48000, 0, ba=1, extra=struct.pack("<H", 0)),
                 chunk(b"data", bytes(rnd.randrange(256) for _ in range(20000)))]))
    return 0


# ---- not audio ------------------------------------------------------------------------------------------------------
@case("text_file", expect="refuse", quick=True)
def make_text_file(p):
    """A text file named .wav"""
    put(p, b"This is not audio.\nJust some notes about scene 3.\n")
    return 0


@case("empty_file", expect="refuse", quick=True)
def make_empty_file(p):
    """An empty file named .wav"""
    put(p, b"")
    return 0


@case("random_bytes", expect="refuse")
def make_random_bytes(p):
    """4 KiB of random bytes"""
    rnd = random.Random(4)
    put(p, bytes(rnd.randrange(256) for _ in range(4096)))
    return 0


@case("riff_avi_form", expect="refuse")
def make_riff_avi_form(p):
    """RIFF container of form 'AVI '"""
    put(p, riff([chunk(b"LIST", b"hdrl")], wave=b"AVI "))
    return 0


@case("riff_wave_random_chunks")
def make_riff_wave_random_chunks(p):
    """RIFF/WAVE header followed by random bytes"""
    rnd = random.Random(7)
    body = bytes(rnd.randrange(256) for _ in range(4096))
    put(p, b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    return 0


# ---- file-system oddities ---------------------------------------------------------------------------------------------
@case("directory", file=b"x.wav", expect="refuse", quick=True)
def make_directory(p):
    """A directory named x.wav"""
    os.mkdir(p)
    return 0


@case("fifo", file=b"f.wav", expect="refuse", quick=True)
def make_fifo(p):
    """A FIFO named f.wav (nobody writes to it)"""
    os.mkfifo(p)
    return 0


@case("symlink_loop", file=b"loop.wav", expect="refuse", quick=True)
def make_symlink_loop(p):
    """A symlink loop: loop.wav -> loop.wav"""
    os.symlink(b"loop.wav", p)
    return 0


@case("dangling_symlink", file=b"dangling.wav", expect="refuse", quick=True)
def make_dangling_symlink(p):
    """A dangling symlink: dangling.wav -> does-not-exist.wav"""
    os.symlink(b"does-not-exist.wav", p)
    return 0


CHMODDED = []


@case("unreadable_file", file=b"unreadable.wav", expect="refuse", quick=True, nobody=True)
def make_unreadable_file(p):
    """A valid WAV with mode 000 (as root: read by an unprivileged user in single runs)"""
    put(p, simple_wav(n=12000))
    os.chmod(p, 0)
    CHMODDED.append((p, 0o644))
    return 12000


@case("file_in_unreadable_dir", file=b"locked/inner.wav", expect="refuse", nobody=True)
def make_file_in_unreadable_dir(p):
    """A valid WAV inside a folder of mode 000 (as root: read by an unprivileged user in single runs)"""
    d = os.path.dirname(p)
    os.mkdir(d)
    put(p, simple_wav(n=12000))
    os.chmod(d, 0)
    CHMODDED.append((d, 0o755))
    return 12000


# ---- names ------------------------------------------------------------------------------------------------------------
@case("unicode_name", file="Szene 3 — Take 2 ñ.wav".encode(), expect="accept", quick=True)
def make_unicode_name(p):
    """Valid WAV named 'Szene 3 — Take 2 ñ.wav'"""
    put(p, simple_wav(n=24000))
    return 24000


@case("non_utf8_name", file=b"take\xe9.wav", expect="accept", quick=True, tokens=["take"])
def make_non_utf8_name(p):
    """Valid WAV whose name is not UTF-8: b'take\\xe9.wav'"""
    put(p, simple_wav(n=24000))
    return 24000


@case("name_254_bytes", file=b"n" * 250 + b".wav", expect="accept")
def make_name_254_bytes(p):
    """Valid WAV with a 254-byte name"""
    put(p, simple_wav(n=24000))
    return 24000


@case("name_255_bytes", file=b"N" * 251 + b".wav", expect="accept", quick=True)
def make_name_255_bytes(p):
    """Valid WAV with a 255-byte name (NAME_MAX)"""
    put(p, simple_wav(n=24000))
    return 24000


# ---------------------------------------------------------------------------------------------------------------------
# Running scrim
# ---------------------------------------------------------------------------------------------------------------------
class Result:
    def __init__(self, rc, out, err, timed_out, elapsed):
        self.rc, self.out, self.err, self.timed_out, self.elapsed = rc, out, err, timed_out, elapsed


def run(argv, timeout, run_as=None, cwd=None, env=None):
    kw = dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
              cwd=cwd, env=env)
    if run_as:
        kw.update(user=run_as[0], group=run_as[1], extra_groups=[])
    t0 = time.monotonic()
    p = subprocess.Popen(argv, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
        to = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)   # the group of the process we started
        except OSError:
            pass
        out, err = p.communicate()
        to = True
    return Result(p.returncode, out, err, to, time.monotonic() - t0)


def expand(tmpl, m):
    out = []
    for t in tmpl:
        if len(t) > 2 and t[0] == "{" and t[-1] == "}" and t[1:-1] in m:
            out.append(os.fsencode(m[t[1:-1]]))
        else:
            out.append(os.fsencode(t))
    return out


def crash_signal(rc):
    if rc is None:
        return None
    if rc < 0:
        return -rc
    if rc - 128 in CRASH_SIGNALS:
        return rc - 128
    return None


def signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return "signal %d" % n


def oneline(b, limit=300, tail=True):
    s = b.decode("utf-8", "backslashreplace") if isinstance(b, bytes) else str(b)
    s = " | ".join(x.strip() for x in s.strip().splitlines() if x.strip())
    if len(s) > limit:
        s = ("…" + s[-limit:]) if tail else (s[:limit] + "…")
    return s


def fingerprint(path):
    """Hash a regular file (or its symlink target); never opens FIFOs."""
    try:
        st = os.lstat(path)
    except OSError as e:
        return ("missing", e.errno)
    if stat.S_ISLNK(st.st_mode):
        fp = ["link", os.readlink(path)]
        try:
            t = os.stat(path)
            if stat.S_ISREG(t.st_mode):
                fp.append(fingerprint_reg(path, t))
        except OSError:
            pass
        return tuple(fp)
    if stat.S_ISREG(st.st_mode):
        return fingerprint_reg(path, st)
    return ("mode", st.st_mode, st.st_mtime_ns, tuple(sorted(_listdir(path))) if stat.S_ISDIR(st.st_mode) else ())


def _listdir(p):
    try:
        return os.listdir(p)
    except OSError:
        return []


def fingerprint_reg(path, st):
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for blk in iter(lambda: f.read(1 << 20), b""):
                h.update(blk)
        return ("sha256", h.hexdigest(), st.st_mode)
    except OSError:
        return ("stat", st.st_size, st.st_mtime_ns, st.st_mode)


def stray_names(root, allow_scrim_dir=False, recursive=True):
    """*.tmp, *.scrim-*, hidden names (except OUTDIR/.scrim when allowed), relative to root."""
    root = os.fsencode(root)
    bad = []
    if not os.path.isdir(root):
        return bad
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for n in dirnames + filenames:
            if allow_scrim_dir and dirpath == root and n == b".scrim":
                continue
            if n.endswith(b".tmp") or b".scrim-" in n or n.startswith(b"."):
                bad.append(os.path.relpath(os.path.join(dirpath, n), root))
        if not recursive:
            break
    return bad


def files_under(root, skip_scrim=True):
    root = os.fsencode(root)
    out = []
    if not os.path.isdir(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if skip_scrim and dirpath == root and b".scrim" in dirnames:
            dirnames.remove(b".scrim")
        out += [os.path.join(dirpath, n) for n in filenames]
    return out


def show(p):
    if isinstance(p, bytes):
        return p.decode("utf-8", "backslashreplace")
    return p.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class Recorder:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.lock = threading.Lock()
        self.fails = []

    def check(self, ok, check, rid, msg, group=None):
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failed += 1
                self.fails.append((check, group or rid.split(" ")[-1], rid))
                print("FAIL [%s] %s: %s" % (check, rid, msg), flush=True)
        return ok


# ---------------------------------------------------------------------------------------------------------------------
# Single-file runs
# ---------------------------------------------------------------------------------------------------------------------
def find_key(o, key):
    """The value of `key` in a JSON object or any object nested in it (not in an `error`), else None."""
    if isinstance(o, dict):
        if key in o:
            return o[key]
        for k, v in o.items():
            if k != "error" and isinstance(v, (dict, list)):
                r = find_key(v, key)
                if r is not None:
                    return r
    elif isinstance(o, list):
        for v in o:
            r = find_key(v, key)
            if r is not None:
                return r
    return None


def preflight(ctx):
    """Try every command-table row on a valid file; return the names of rows that give a usage error."""
    broken = []
    for name, tmpl, kind in COMMANDS:
        d = os.path.join(ctx.work, "preflight", name)
        os.makedirs(d)
        argv = [ctx.scrim] + expand(tmpl, {"IN": ctx.take, "OUT": os.path.join(d, "out.wav"), "OUTDIR": os.path.join(
            d, "dir"), "OUTJSON": os.path.join(d, "p.json"), "REF": ctx.ref})
        r = run(argv, ctx.timeout, cwd=ctx.work, env=ctx.env)
        ok = r.rc == 0
        if r.rc == 2:
            broken.append(name)
        ctx.rec.check(r.rc != 2, "table", name, "usage error on a valid file: the COMMAND TABLE in battery.py is out "
                      "of date (this row is skipped): %s" % oneline(r.err, 240), "table")
        if r.rc != 2 and not ok:
            note("preflight: `%s` on a valid file exited %s: %s" % (name, r.rc, oneline(r.err, 200)))
    return broken


def frames_ok(got, want):
    return bool(got and want and (got & want))


def fmt_frames(s):
    if not s:
        return "unknown"
    return "/".join(str(x) for x in sorted(s))


def single_run(ctx, c, cmd):
    name, tmpl, kind = cmd
    rec = ctx.rec
    rid = "%s %s" % (c.name, name)
    rundir = os.path.join(ctx.work, "runs", c.name, name)
    outdir = os.path.join(rundir, "out")
    os.makedirs(outdir)
    if c.run_as:
        os.chmod(rundir, 0o777)
        os.chmod(outdir, 0o777)
    out_audio = os.path.join(outdir, "out.wav")
    out_json = os.path.join(outdir, "profile.json")
    argv = [ctx.scrim] + expand(tmpl, {"IN": c.path, "OUT": out_audio, "OUTDIR": outdir, "OUTJSON": out_json,
                                       "REF": ctx.ref})
    before = fingerprint(c.path)
    r = run(argv, ctx.timeout, run_as=c.run_as, cwd=ctx.work, env=ctx.env_nobody if c.run_as else ctx.env)
    after = fingerprint(c.path)
    sig = None if r.timed_out else crash_signal(r.rc)
    rec.check(sig is None, "crash", rid, "died by %s (rc %s); stderr: %s" % (signame(sig or 0), r.rc, oneline(r.err)))
    rec.check(not r.timed_out, "hang", rid, "still running after %gs, killed" % ctx.timeout)
    expected_out = {"audio": out_audio, "json": out_json,
                    "audio-in-dir": os.path.join(os.fsencode(outdir), os.path.basename(c.path))}.get(kind)
    if not r.timed_out and sig is None:
        rec.check(r.rc in (0, 1, 2), "exit-code", rid, "exit %s; stderr: %s" % (r.rc, oneline(r.err)))
        text = r.err.decode("utf-8", "replace")
        json_lines, bad_json = [], []
        if "--json" in tmpl:
            for line in r.out.decode("utf-8", "replace").splitlines():
                if line.strip():
                    try:
                        json_lines.append(json.loads(line))
                    except ValueError:
                        bad_json.append(line)
            rec.check(not bad_json and (json_lines or r.rc == 2), "json", rid,
                      "stdout is not JSON lines: %s" % oneline(r.out, tail=False))
            for o in json_lines:
                if isinstance(o, dict) and isinstance(o.get("error"), dict):
                    text += " " + json.dumps(o["error"], ensure_ascii=False)
        if r.rc != 0:
            rec.check(c.named_in(text), "names-file", rid,
                      "exit %d but the message does not name %r: %s" % (r.rc, c.name_tokens()[0][:60],
                                                                       oneline(text)))
        exp = c.expectation(name)
        if exp == "accept":
            rec.check(r.rc == 0, "expected", rid, "valid input refused (exit %d): %s" % (r.rc, oneline(text)))
        elif exp == "refuse":
            rec.check(r.rc == 1, "expected", rid, "invalid input not refused with exit 1 (exit %d)%s" % (
                r.rc, "" if r.rc else "; stdout: " + oneline(r.out, 160, tail=False)))
        if r.rc == 0:
            if kind in ("audio", "audio-in-dir"):
                if not os.path.lexists(expected_out):
                    rec.check(False, "output", rid, "exit 0 but no output %s" % show(expected_out))
                elif c.frames is None:
                    ctx.skip("output frame count of %s: input frame count unknown" % rid)
                else:
                    got = probe_frames(expected_out)
                    if got is None:
                        ctx.skip("output frame count of %s: cannot read the output" % rid)
                    else:
                        rec.check(frames_ok(got, c.frames), "output", rid, "output has %s frames, input %s" % (
                            fmt_frames(got), fmt_frames(c.frames)))
            elif kind == "json":
                try:
                    with open(expected_out, "rb") as f:
                        json.load(f)
                    rec.check(True, "output", rid, "")
                except (OSError, ValueError) as e:
                    rec.check(False, "output", rid, "exit 0 but the profile is missing or not JSON: %s" % e)
            elif name == "info-json" and c.frames is not None:
                fc = [x for x in (find_key(o, "frameCount") for o in json_lines) if x is not None]
                rec.check(len(fc) == 1 and fc[0] in c.frames, "output", rid,
                          "info reports frameCount %s, file has %s" % (fc, fmt_frames(c.frames)))
    rec.check(before == after, "input-unchanged", rid, "the input changed: %s -> %s" % (before, after))
    if not r.timed_out:
        bad = stray_names(outdir) + [b"(input folder) " + x for x in
                                     stray_names(os.path.dirname(c.path), recursive=False)]
        left = files_under(outdir)
        if r.rc == 0 or sig is not None:
            extra = [os.path.relpath(x, os.fsencode(outdir)) for x in left if x != os.fsencode(expected_out or "")]
            bad += [x for x in extra if x not in bad]
        elif left:
            bad += [b"(output after failure) " + os.path.relpath(x, os.fsencode(outdir)) for x in left]
        rec.check(not bad, "no-stray", rid, "left behind: %s" % ", ".join(show(x) for x in bad[:5]))
    if not ctx.keep:
        shutil.rmtree(rundir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------------
# Batch
# ---------------------------------------------------------------------------------------------------------------------
def unescape_path(s):
    """scrim shows the bytes of a non-UTF-8 name as \\xNN (in JSON too): back to the real bytes."""
    out = bytearray()
    for part in re.split(r"(\\x[0-9A-Fa-f]{2})", s):
        if re.fullmatch(r"\\x[0-9A-Fa-f]{2}", part):
            out.append(int(part[2:], 16))
        else:
            out += part.encode("utf-8", "surrogateescape")
    return bytes(out)


def ascii_key(s):
    s = unicodedata.normalize("NFC", s)
    return "".join(ch for ch in s if 32 <= ord(ch) < 127)


def batch_entries(corpus):
    """Every non-directory path under the corpus (files, FIFOs, symlinks incl. loops and dangling links), plus
    folders that cannot be listed. Folders themselves (x.wav) are not entries."""
    entries = []
    unlisted = []
    for dirpath, dirnames, filenames in os.walk(corpus, followlinks=False, onerror=lambda e: unlisted.append(e)):
        entries += [os.path.relpath(os.path.join(dirpath, n), corpus) for n in filenames]
    for e in unlisted:
        if e.filename:
            entries.append(os.path.relpath(os.fsencode(e.filename), corpus))
    return sorted(entries)


def entry_tokens(rel, case_by_rel):
    c = case_by_rel.get(rel)
    if c and c.tokens:
        return c.tokens
    return [os.fsdecode(os.path.basename(rel))]


BATCH_COUNT_KEYS = ("done", "skipped", "upToDate", "failed", "cancelled", "notFinished")


def batch_summary(obj):
    """The batch summary object: the object itself, or its nested `summary` (JSON envelope), if it has `files`."""
    if not isinstance(obj, dict):
        return None
    s = obj.get("summary") if isinstance(obj.get("summary"), dict) else obj
    return s if "files" in s else None


def batch_run(ctx, cases, variant, tmpl):
    rec = ctx.rec
    corpus = ctx.corpus
    base = os.path.join(ctx.work, "batch", variant)
    outdir = os.path.join(base, "out")
    report = os.path.join(base, "report.json")
    os.makedirs(base)
    case_by_rel = {c.filename: c for c in cases}
    entries = batch_entries(corpus)
    before = {e: fingerprint(os.path.join(corpus, e)) for e in entries}
    argv = [ctx.scrim] + expand(tmpl, {"FOLDER": corpus, "OUTDIR": outdir, "REPORT": report})
    rid = "batch[%s]" % variant
    r = run(argv, ctx.batch_timeout, cwd=ctx.work, env=ctx.env)
    sig = None if r.timed_out else crash_signal(r.rc)
    rec.check(sig is None, "crash", rid, "died by %s; stderr: %s" % (signame(sig or 0), oneline(r.err)), "batch")
    rec.check(not r.timed_out, "hang", rid, "still running after %gs, killed" % ctx.batch_timeout, "batch")
    after = {e: fingerprint(os.path.join(corpus, e)) for e in entries}
    changed = [e for e in entries if before[e] != after[e]]
    new = sorted(set(batch_entries(corpus)) - set(entries))
    rec.check(not changed and not new, "input-unchanged", rid, "inputs changed: %s; new in the source folder: %s" % (
        ", ".join(show(e) for e in changed[:5]), ", ".join(show(e) for e in new[:5])), "batch")
    if r.timed_out or sig is not None:
        return
    rec.check(r.rc in (0, 1, 2), "exit-code", rid, "exit %s; stderr: %s" % (r.rc, oneline(r.err)), "batch")
    bad = stray_names(outdir, allow_scrim_dir=True)
    bad += [b".scrim/" + x for x in stray_names(os.path.join(outdir, ".scrim"))]
    rec.check(not bad, "no-stray", rid, "left behind: %s" % ", ".join(show(x) for x in bad[:8]), "batch")

    # Outcomes: from the report file, else from JSON events on stdout.
    outcomes, summary, text = None, None, r.out.decode("utf-8", "replace") + "\n" + r.err.decode("utf-8", "replace")
    events, bad_lines = [], []
    if variant != "text":
        for line in r.out.decode("utf-8", "replace").splitlines():
            if line.strip():
                try:
                    events.append(json.loads(line))
                except ValueError:
                    bad_lines.append(line)
        rec.check(not bad_lines, "json", rid, "stdout lines that are not JSON: %s" % oneline("\n".join(bad_lines[:3]),
                                                                                         tail=False), "batch")
        summaries = [e for e in events if isinstance(e, dict) and e.get("event") == "summary"]
        summary = batch_summary(summaries[-1]) if summaries else None
        outcomes = [e for e in events if isinstance(e, dict) and e.get("event") == "file"]
        skipped_events = [e for e in events if isinstance(e, dict) and e.get("event") == "skippedPath"]
        if "{REPORT}" in tmpl:
            try:
                with open(report, "rb") as f:
                    rep = json.load(f)
                rs = batch_summary(rep)
                if rs is not None:
                    summary = rs
                    outcomes = rs.get("outcomes") or rep.get("outcomes") or outcomes
                rec.check(rs is not None, "report", rid, "the --report file has no summary with `files`", "batch")
            except (OSError, ValueError) as e:
                rec.check(False, "report", rid, "no readable --report file: %s" % e, "batch")

    # Counting: the numbers must add up to the entries found.
    if variant == "text":
        m = None
        for line in text.splitlines():
            if re.match(r"^\s*\d+ files?\b", line):
                m = line
        if m is None:
            rec.check(False, "batch-count", rid, "no summary line 'N files: …' in the output", "batch")
        else:
            total = int(re.match(r"^\s*(\d+)", m).group(1))
            parts = sum(int(x) for x in re.findall(r"(\d+) (?:done|up to date|failed|skipped|cancelled)\b", m))
            other = sum(int(x) for x in re.findall(r"(\d+) other paths? skipped", m))
            rec.check(parts == total and total + other == len(entries), "batch-count", rid,
                      "%d entries in the source folder, summary says %r" % (len(entries), m.strip()), "batch")
        tk = ascii_key(text)
        for e in entries:
            toks = entry_tokens(e, case_by_rel)
            c = case_by_rel.get(e)
            named = any(ascii_key(t) in tk for t in toks)
            rec.check(named, "batch-entry", "%s %s" % (rid, c.name if c else show(e)),
                      "%s is neither processed nor reported by name" % show(e), "batch")
            outp = os.path.join(os.fsencode(outdir), os.path.basename(corpus), e)
            if c and c.frames is not None and os.path.isfile(outp):
                got = probe_frames(outp)
                rec.check(frames_ok(got, c.frames), "batch-output", "%s %s" % (rid, c.name),
                          "output has %s frames, input %s" % (fmt_frames(got), fmt_frames(c.frames)), "batch")
        return

    # Paths batch skipped without trying (FIFOs, loops, dangling links): the summary's skippedPaths, or the
    # skippedPath events.
    other = {}
    for o in ((summary or {}).get("skippedPaths") or []) + skipped_events:
        if isinstance(o, dict):
            p = o.get("path") or o.get("input")
            if p:
                other.setdefault(p, dict(o, input=p, status="skipped-path"))
    if summary is None:
        rec.check(False, "batch-count", rid, "no summary (exit %s; stderr: %s)" % (r.rc, oneline(r.err)), "batch")
    else:
        files = summary.get("files")
        counts = {k: summary[k] for k in BATCH_COUNT_KEYS if isinstance(summary.get(k), int)}
        parts = sum(counts.values())
        rec.check(isinstance(files, int) and parts == files and files + len(other) == len(entries), "batch-count",
                  rid, "%d entries in the source folder; summary files=%s %s, %d skipped paths" % (
                      len(entries), files, " ".join("%s=%s" % kv for kv in counts.items()), len(other)), "batch")
    outcomes = [o for o in (outcomes or []) if isinstance(o, dict)] + list(other.values())
    corpus_s = os.fsdecode(corpus)
    keyed = []
    for o in outcomes:
        inp = str(o.get("input") or o.get("path") or "")
        keyed.append((ascii_key(os.fsdecode(unescape_path(inp))), o))
    used = set()
    for e in entries:
        c = case_by_rel.get(e)
        erid = "%s %s" % (rid, c.name if c else show(e))
        ek = ascii_key(os.fsdecode(e))
        found = None
        for i, (k, o) in enumerate(keyed):
            if i not in used and (k == ascii_key(os.path.join(corpus_s, os.fsdecode(e))) or k.endswith("/" + ek)):
                found = i
                break
        if found is None and c and c.tokens:
            for i, (k, o) in enumerate(keyed):
                if i not in used and any(t in os.path.basename(k) for t in c.tokens):
                    found = i
                    break
        rec.check(found is not None, "batch-entry", erid, "%s has no outcome in the report" % show(e), "batch")
        if found is None:
            continue
        used.add(found)
        o = keyed[found][1]
        status = o.get("status")
        exp = c.expectation("batch", batch=True) if c else None
        if exp == "accept":
            rec.check(status == "done", "expected", erid, "valid input %s: %s" % (status, oneline(json.dumps(
                o.get("error")), 200)), "batch")
        elif exp == "refuse":
            rec.check(status in ("failed", "skipped-path"), "expected", erid,
                      "invalid input not refused (status %s)" % status, "batch")
        if status == "failed":
            err = o.get("error")
            rec.check(bool(err) and (c is None or c.named_in(json.dumps(err, ensure_ascii=False))), "names-file", erid,
                      "failed without an error naming the file: %s" % oneline(json.dumps(err), 200), "batch")
        outp = o.get("output")
        if isinstance(outp, str) and not os.path.lexists(outp) and os.path.lexists(unescape_path(outp)):
            outp = unescape_path(outp)   # the documented \\xNN form of a non-UTF-8 name
        if status == "done":
            mirrored = os.path.join(os.fsencode(outdir), os.path.basename(corpus), e)
            if not outp or not os.path.isfile(outp):
                where = (" (the output is at %s: the report's path is not the file's name)" % show(mirrored)
                         if os.path.isfile(mirrored) else "")
                rec.check(False, "batch-output", erid, "status done but no file at the reported output %s%s" % (
                    show(outp) if outp else outp, where), "batch")
            elif c and c.frames is not None:
                got = probe_frames(outp)
                if got is None:
                    ctx.skip("batch output frame count of %s: cannot read it" % erid)
                else:
                    rec.check(frames_ok(got, c.frames), "batch-output", erid, "output has %s frames, input %s" % (
                        fmt_frames(got), fmt_frames(c.frames)), "batch")
        elif status == "failed" and outp:
            rec.check(not os.path.lexists(outp), "batch-output", erid, "failed, but an output was left: %s" % outp,
                      "batch")


def batch_usage_checks(ctx):
    rec = ctx.rec
    base = os.path.join(ctx.work, "batch", "usage")
    os.makedirs(os.path.join(base, "empty"))
    for what, folder in (("missing source", os.path.join(base, "no-such-folder")),
                         ("empty folder", os.path.join(base, "empty"))):
        rid = "batch[%s]" % what
        argv = [ctx.scrim] + expand(BATCH_PLAIN, {"FOLDER": folder, "OUTDIR": os.path.join(base, "out")})
        r = run(argv, ctx.timeout, cwd=ctx.work, env=ctx.env)
        sig = None if r.timed_out else crash_signal(r.rc)
        rec.check(sig is None and not r.timed_out, "crash", rid, "rc %s timed out %s" % (r.rc, r.timed_out), "batch")
        rec.check(r.rc == 2, "usage", rid, "expected a usage error (exit 2), got exit %s: %s" % (
            r.rc, oneline(r.out + r.err, 200)), "batch")


# ---------------------------------------------------------------------------------------------------------------------
# Kill loop and signals
# ---------------------------------------------------------------------------------------------------------------------
def write_takes(folder, count, seconds, prefix):
    os.makedirs(folder, exist_ok=True)
    n = int(48000 * seconds)
    base = tone(n, 48000)
    paths = []
    for k in range(count):
        s = (k * 4801) % n
        b = base[s:] + base[:s]
        flat = [0.0] * (2 * n)
        flat[0::2] = b
        flat[1::2] = [x * 0.7 for x in b]
        p = os.path.join(folder, "%s_%02d.wav" % (prefix, k + 1))
        put(p, riff([fmt_for("s24", 2, 48000), chunk(b"bext", bext_payload()),
                     chunk(b"data", encode(flat, "s24"))]))
        paths.append(p)
    return paths, n


def incomplete_outputs(outdir, n):
    bad = []
    for p in files_under(outdir):
        if os.path.basename(p).startswith(b".") or not p.endswith(b".wav"):
            continue
        got = probe_frames(p)
        if not got or n not in got:
            bad.append("%s (%s frames)" % (show(os.path.basename(p)), fmt_frames(got)))
    return bad


def temporaries(outdir):
    out = []
    for dirpath, dirnames, filenames in os.walk(os.fsencode(outdir)):
        for n in filenames + dirnames:
            if (n.startswith(b".") and b".scrim-" in n) or n.endswith(b".tmp"):
                out.append(os.path.relpath(os.path.join(dirpath, n), os.fsencode(outdir)))
    return out


def kill_loop(ctx, iterations):
    rec = ctx.rec
    base = os.path.join(ctx.work, "kill")
    src = os.path.join(base, "takes")
    paths, n = write_takes(src, 6, 10.0, "take")
    before = {p: fingerprint(p) for p in paths}
    for i in range(iterations):
        outdir = os.path.join(base, "out%02d" % i)
        argv = [ctx.scrim] + expand(BATCH_PLAIN, {"FOLDER": src, "OUTDIR": outdir})
        delay = ctx.rng.uniform(0.05, 2.0)
        rid = "kill#%d (SIGKILL at %.2fs)" % (i + 1, delay)
        with tempfile.TemporaryFile() as errf:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                                 start_new_session=True, cwd=ctx.work, env=ctx.env)
            time.sleep(delay)
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
            else:
                rid += " (had finished)"
            p.wait()
        bad = incomplete_outputs(outdir, n)
        rec.check(not bad, "kill-atomic", rid, "visible outputs incomplete right after SIGKILL: %s" % ", ".join(bad),
                  "kill")
        r = run(argv, ctx.batch_timeout, cwd=ctx.work, env=ctx.env)
        sig = None if r.timed_out else crash_signal(r.rc)
        rec.check(sig is None, "crash", rid + " re-run", "died by %s: %s" % (signame(sig or 0), oneline(r.err)), "kill")
        rec.check(not r.timed_out, "hang", rid + " re-run", "still running after %gs" % ctx.batch_timeout, "kill")
        if r.timed_out:
            continue
        rec.check(r.rc == 0, "exit-code", rid + " re-run", "re-run exit %s: %s" % (r.rc, oneline(r.out + r.err)),
                  "kill")
        missing = []
        for sp in paths:
            op = os.path.join(os.fsencode(outdir), os.path.basename(os.fsencode(src)), os.path.basename(
                os.fsencode(sp)))
            got = probe_frames(op) if os.path.isfile(op) else None
            if not got or n not in got:
                missing.append("%s (%s)" % (show(os.path.basename(op)), fmt_frames(got) if got else "missing"))
        rec.check(not missing, "kill-complete", rid, "after the re-run, outputs not complete: %s" % ", ".join(missing),
                  "kill")
        tmps = temporaries(outdir)
        rec.check(not tmps, "kill-no-temp", rid, "temporaries left after the re-run: %s" % ", ".join(
            show(x) for x in tmps[:6]), "kill")
        if not ctx.keep:
            shutil.rmtree(outdir, ignore_errors=True)
    changed = [p for p in paths if fingerprint(p) != before[p]]
    rec.check(not changed, "input-unchanged", "kill", "inputs changed: %s" % changed, "kill")


def signal_tests(ctx, selected):
    rec = ctx.rec
    base = os.path.join(ctx.work, "signal")
    src = os.path.join(base, "src")
    (long_path,), n = write_takes(src, 1, 60.0, "long60")
    fp = fingerprint(long_path)
    table = {c[0]: c[1] for c in COMMANDS}
    for cmd in SIGNAL_COMMANDS:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if not selected("signal/%s/%s" % (cmd, sig.name)):
                continue
            rid = "signal %s %s" % (cmd, sig.name)
            done = False
            for attempt, delay in enumerate((ctx.rng.uniform(0.25, 0.6), 0.08)):
                outdir = os.path.join(base, "%s_%s_%d" % (cmd, sig.name, attempt))
                os.makedirs(outdir)
                tmpl = BATCH_PLAIN if cmd == "batch" else table[cmd]
                argv = [ctx.scrim] + expand(tmpl, {"IN": long_path, "OUT": os.path.join(outdir, "out.wav"),
                                                   "OUTDIR": outdir, "FOLDER": src,
                                                   "OUTJSON": os.path.join(outdir, "p.json"), "REF": ctx.ref})
                with tempfile.TemporaryFile() as errf:
                    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                                         start_new_session=True, cwd=ctx.work, env=ctx.env)
                    time.sleep(delay)
                    if p.poll() is not None:
                        continue   # finished before the signal: try earlier
                    os.kill(p.pid, sig)
                    try:
                        rc = p.wait(timeout=30)
                        hung = False
                    except subprocess.TimeoutExpired:
                        os.killpg(p.pid, signal.SIGKILL)
                        rc = p.wait()
                        hung = True
                    errf.seek(0)
                    err = errf.read()
                done = True
                rid2 = "%s (at %.2fs)" % (rid, delay)
                crash = None if hung else crash_signal(rc)
                rec.check(crash is None or crash == sig, "crash", rid2, "died by %s: %s" % (
                    signame(crash or 0), oneline(err)), "signal")
                rec.check(not hung, "hang", rid2, "no exit 30 s after %s" % sig.name, "signal")
                if not hung:
                    want = 128 + sig
                    rec.check(rc == want, "signal-exit", rid2, "expected exit %d, got %s" % (
                        want, ("death by %s (default action, no handler)" % signame(-rc)) if rc < 0 else rc), "signal")
                left = temporaries(outdir)
                if cmd == "batch":
                    left += incomplete_outputs(outdir, n)
                else:
                    left += [os.path.relpath(x, os.fsencode(outdir)) for x in files_under(outdir, skip_scrim=False)]
                rec.check(not left, "no-partial", rid2, "left behind: %s" % ", ".join(show(x) for x in left[:6]),
                          "signal")
                break
            if not done:
                note("%s: the command finished before the signal twice; inconclusive" % rid)
    rec.check(fingerprint(long_path) == fp, "input-unchanged", "signal", "the 60 s input changed", "signal")


# ---------------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------------
class Ctx:
    pass


def print_list():
    print("%-28s %-34s %-17s %-5s %s" % ("case", "file", "expect", "quick", "description"))
    for c in CASES:
        fn = show(c.filename)
        if len(fn) > 34:
            fn = fn[:14] + "…(%d bytes)" % len(c.filename)
        req = " [needs sox]" if c.requires == "sox" else ""
        print("%-28s %-34s %-17s %-5s %s%s" % (c.name, fn, c.expect or "either", "yes" if c.quick else "",
                                               c.doc, req))
    print("%d cases (%d in --quick)" % (len(CASES), sum(1 for c in CASES if c.quick)))
    print("\ncommands run on each file:")
    for name, tmpl, kind in COMMANDS:
        print("  %-10s scrim %s   -> %s" % (name, " ".join(tmpl), kind or "nothing written"))
    for name, tmpl, cond in BATCH_RUNS:
        print("  batch/%-4s scrim %s%s" % (name, " ".join(tmpl), {"json-flag": "   (if batch accepts --json)",
                                                                 "no-json-flag": "   (if it does not)"}.get(cond, "")))


def main():
    global NOBODY
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scrim", default=os.path.join(repo, ".build", "debug", "scrim"))
    ap.add_argument("--quick", action="store_true", help="a representative subset for CI (under ~3 min)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--only", metavar="PATTERN", help="run ids to run (CASE/COMMAND, batch, kill, signal/CMD/SIG)")
    ap.add_argument("--list", action="store_true", help="print the cases and commands, run nothing")
    ap.add_argument("--kill-loop", type=int, default=None, metavar="N", help="SIGKILL iterations (10; quick 3)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--timeout", type=float, default=None, help="seconds per run (60; quick 20)")
    args = ap.parse_args()
    if args.list:
        print_list()
        return 0

    t_start = time.monotonic()
    rec = Recorder()
    ctx = Ctx()
    ctx.rec = rec
    ctx.keep = args.keep
    ctx.timeout = args.timeout or (20.0 if args.quick else 60.0)
    ctx.batch_timeout = max(ctx.timeout, 120.0 if args.quick else 900.0)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    ctx.rng = random.Random(seed)
    skipped = []
    ctx.skip = lambda msg: skipped.append(msg)
    scrim = os.path.abspath(args.scrim)
    if not os.access(scrim, os.X_OK):
        print("FAIL [setup] scrim: no executable at %s" % scrim)
        print("0 passed, 1 failed")
        return 1
    ctx.scrim = os.fsencode(scrim)
    for s in (signal.SIGINT, signal.SIGTERM):   # children must not inherit an ignored SIGINT/SIGTERM
        if signal.getsignal(s) == signal.SIG_IGN:
            signal.signal(s, signal.default_int_handler if s == signal.SIGINT else signal.SIG_DFL)
    try:
        ver = subprocess.run([scrim, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=30).stdout.decode(errors="replace").strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        ver = "? (%s)" % e
    print("scrim %s at %s; mode %s; seed %d; %d jobs" % (ver, scrim, "quick" if args.quick else "full", seed,
                                                         args.jobs), flush=True)

    def selected(rid):
        if not args.only:
            return True
        if any(ch in args.only for ch in "*?["):
            return fnmatch.fnmatchcase(rid, args.only)
        return args.only in rid

    cases = [c for c in CASES if c.quick or not args.quick]
    single = [(c, cmd) for c in cases for cmd in COMMANDS if selected("%s/%s" % (c.name, cmd[0]))]
    if selected("batch"):
        batch_cases = cases
    elif args.only and "/" not in args.only:   # a case-name pattern: batch over those cases
        names = {c.name for c, _ in single}
        batch_cases = [c for c in cases if c.name in names]
    else:
        batch_cases = []
    needed = {c.name for c, _ in single} | {c.name for c in batch_cases}
    cases = [c for c in cases if c.name in needed]
    for c in cases:
        if c.requires == "sox" and not SOX:
            note("%s skipped: sox is not installed" % c.name)
    cases = [c for c in cases if not (c.requires == "sox" and not SOX)]
    names = {c.name for c in cases}
    single = [(c, cmd) for c, cmd in single if c.name in names]
    batch_cases = [c for c in batch_cases if c.name in names]

    work = tempfile.mkdtemp(prefix="scrim-battery-")
    os.chmod(work, 0o755)
    ctx.work = work
    ctx.corpus = os.path.join(os.fsencode(work), b"corpus")
    os.makedirs(ctx.corpus)
    home = os.path.join(work, "home")
    os.makedirs(home)
    os.chmod(home, 0o777)
    ctx.env = dict(os.environ)
    ctx.env_nobody = ctx.env
    if IS_ROOT:
        try:
            import pwd
            pw = pwd.getpwnam("nobody")
            NOBODY = (pw.pw_uid, pw.pw_gid)
            ctx.env_nobody = dict(os.environ, HOME=home, TMPDIR=home)
        except (ImportError, KeyError):
            note("running as root and there is no 'nobody' user: unreadable files cannot be tested as unreadable")
    if args.keep:
        print("work folder: %s" % work, flush=True)
    try:
        # Reference take for `match`.
        refdir = os.path.join(work, "ref")
        os.makedirs(refdir)
        ctx.ref = os.path.join(refdir, "reference.wav")
        put(ctx.ref, simple_wav(n=96000, sf="s24"))
        os.chmod(ctx.ref, 0o644)
        ctx.take = os.path.join(refdir, "take.wav")   # a valid input for the command-table preflight
        put(ctx.take, simple_wav(n=48000, sf="s16"))
        os.chmod(ctx.take, 0o644)

        # Generate the corpus.
        t0 = time.monotonic()
        built = []
        for c in cases:
            c.path = os.path.join(ctx.corpus, c.filename)
            try:
                frames = c.builder(c.path)
            except Exception as e:   # a generator bug must not hide the rest of the battery
                rec.check(False, "generate", c.name, "could not make the file: %r" % e, "generate")
                continue
            if frames is None:   # made by sox: what the RIFF reader and sox say (fact, whole blocks)
                frames = set(probe_frames(c.path) or ())
                n = sox_frames(c.path)
                if n is not None:
                    frames.add(n)
            c.frames = {frames} if isinstance(frames, int) else (set(frames) if frames else None)
            if c.nobody and IS_ROOT and NOBODY:
                c.run_as = NOBODY
            built.append(c)
        if IS_ROOT and not NOBODY:
            note("root without an unprivileged user: unreadable cases only need to be processed or reported")
        elif IS_ROOT:
            note("running as root: unreadable cases run as uid %d in single-file runs; batch (as root) must "
                 "process or report them" % NOBODY[0])
        bset = {c.name for c in built}
        single = [(c, cmd) for c, cmd in single if c.name in bset]
        batch_cases = [c for c in batch_cases if c.name in bset]
        print("generated %d files in %.1f s; %d single-file runs" % (len(built), time.monotonic() - t0, len(single)),
              flush=True)

        # Single-file runs, in parallel.
        if single:
            broken = preflight(ctx)
            single = [(c, cmd) for c, cmd in single if cmd[0] not in broken]
            for c in built:
                os.makedirs(os.path.join(work, "runs", c.name), mode=0o755, exist_ok=True)

            def task(item):
                c, cmd = item
                try:
                    single_run(ctx, c, cmd)
                except Exception as e:
                    rec.check(False, "harness", "%s %s" % (c.name, cmd[0]), "battery error: %r" % e)
            order = sorted(single, key=lambda it: (COMMANDS.index(it[1]), it[0].name))
            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
                list(ex.map(task, order))
            print("single-file runs done at %.0f s" % (time.monotonic() - t_start), flush=True)

        # Batch over the whole corpus.
        if batch_cases:
            if len(batch_cases) < len(built):   # the corpus holds exactly the batch's files
                for c in built:
                    if c not in batch_cases:
                        note("batch corpus includes %s (generated for single runs)" % c.name)
            r = run([ctx.scrim, b"batch", b"--help"], 30)
            json_flag = b"--json" in r.out
            if not json_flag:
                note("`scrim batch` does not accept --json: its JSON is checked through --progress json")
            for name, tmpl, cond in BATCH_RUNS:
                if (cond == "json-flag" and not json_flag) or (cond == "no-json-flag" and json_flag):
                    continue
                batch_run(ctx, built, name, tmpl)
            batch_usage_checks(ctx)
            print("batch done at %.0f s" % (time.monotonic() - t_start), flush=True)

        if selected("kill"):
            iters = args.kill_loop if args.kill_loop is not None else (3 if args.quick else 10)
            if iters > 0:
                kill_loop(ctx, iters)
                print("kill loop done at %.0f s" % (time.monotonic() - t_start), flush=True)
        if any(selected("signal/%s/%s" % (c, s)) for c in SIGNAL_COMMANDS for s in ("SIGINT", "SIGTERM")):
            signal_tests(ctx, selected)
            print("signal tests done at %.0f s" % (time.monotonic() - t_start), flush=True)
    finally:
        for p, mode in CHMODDED:
            try:
                os.chmod(p, mode)
            except OSError:
                pass
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    if skipped:
        print("NOTE %d output checks skipped (frame count unknown), e.g. %s" % (len(skipped), skipped[0]))
    if rec.fails:
        groups = {}
        for check, group, rid in rec.fails:
            groups.setdefault((check, group), []).append(rid)
        print("\nfailures by check and command:")
        for (check, group), rids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print("  %-16s %-10s %4d" % (check, group, len(rids)))
    print("elapsed %.1f s" % (time.monotonic() - t_start))
    print("%d passed, %d failed" % (rec.passed, rec.failed))
    return 1 if rec.failed else 0


if __name__ == "__main__":
    sys.exit(main())
