#!/usr/bin/env python3
"""Proof of the C API's audio views (scrim_audio_view, the scrim_*_view functions, scrim_match_views,
scrim_chain_process_view / scrim_chain_flush_view, scrim_meter_add_view) from Python ctypes, standard library only.

Every view function is run on the same generated signal in several layouts and sample types (interleaved float32,
interleaved float64 with values that float32 cannot hold, one planar block, negative channel stride, in place) and
its output and report must be bit-identical to the planar function's (scrim_*_buffer, scrim_chain_process,
scrim_meter_add) on the same samples rounded to float32 (report compared without the wall-clock keys). Then the
refusals: non-finite and out-of-float32-range samples (named by frame and channel, output untouched), misaligned
data, bad sample type, shape mismatch, overlapping output, 0 strides in an output, 0 frames, NULL.

usage: views.py LIBSCRIM_SO WORK_DIR      (run by Tests/CAPI/run.sh)
"""
import array
import ctypes as C
import json
import math
import os
import struct
import sys

lib_path, work = sys.argv[1:3]
scratch_root = os.path.join(work, "tmpdir-views")
os.makedirs(scratch_root, exist_ok=True)
os.environ["TMPDIR"] = scratch_root
lib = C.CDLL(lib_path)

OK, INVALID = 0, 1
FLOAT32, FLOAT64 = 1, 2
RATE = 48000


class View(C.Structure):
    _fields_ = [("data", C.c_void_p), ("frame_count", C.c_int64), ("frame_stride", C.c_int64),
                ("channel_stride", C.c_int64), ("channel_count", C.c_int32), ("sample_type", C.c_int32)]


VP = C.POINTER(View)
out_p = C.POINTER(C.c_void_p)
lib.scrim_last_error.restype = C.c_char_p
lib.scrim_string_free.argtypes = [C.c_void_p]
planar_args = [C.c_void_p, C.c_int, C.c_int64, C.c_double, C.c_char_p, out_p]
for name in ("denoise", "dehum", "normalize", "analyze"):
    getattr(lib, f"scrim_{name}_buffer").argtypes = planar_args
for name in ("denoise", "dehum", "normalize"):
    getattr(lib, f"scrim_{name}_view").argtypes = [VP, VP, C.c_double, C.c_char_p, out_p]
lib.scrim_analyze_view.argtypes = [VP, C.c_double, C.c_char_p, out_p]
lib.scrim_process_buffer.argtypes = [C.c_char_p, C.c_void_p, C.c_int, C.c_int64, C.c_double, out_p]
lib.scrim_process_view.argtypes = [C.c_char_p, VP, VP, C.c_double, out_p]
lib.scrim_match_buffers.argtypes = [C.c_void_p, C.c_void_p, C.c_int, C.c_int, C.c_double, C.c_char_p, out_p]
lib.scrim_match_views.argtypes = [C.c_void_p, C.c_void_p, C.c_int, C.c_double, C.c_char_p, out_p]
lib.scrim_chain_create.argtypes = [C.c_char_p, C.c_double, C.c_int, C.c_int, out_p]
lib.scrim_chain_destroy.argtypes = [C.c_void_p]
lib.scrim_chain_process.argtypes = [C.c_void_p, C.c_void_p, C.c_int, C.c_int]
lib.scrim_chain_flush.argtypes = [C.c_void_p, C.c_void_p, C.c_int, C.c_int]
lib.scrim_chain_latency.argtypes = [C.c_void_p, C.POINTER(C.c_int64)]
lib.scrim_chain_report_json.argtypes = [C.c_void_p, out_p]
lib.scrim_chain_process_view.argtypes = [C.c_void_p, VP, VP]
lib.scrim_chain_flush_view.argtypes = [C.c_void_p, VP]
lib.scrim_meter_create.argtypes = [C.c_double, C.c_int, C.c_int, C.c_int, out_p]
lib.scrim_meter_add.argtypes = [C.c_void_p, C.c_void_p, C.c_int, C.c_int]
lib.scrim_meter_add_view.argtypes = [C.c_void_p, VP]
lib.scrim_meter_result_json.argtypes = [C.c_void_p, out_p]
lib.scrim_meter_destroy.argtypes = [C.c_void_p]

failures = 0
checks = 0


def check(cond, message):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {message} (last error: {lib.scrim_last_error().decode(errors='replace')})", file=sys.stderr)


def take_json(pointer):
    if not pointer.value:
        return None
    text = C.string_at(pointer.value).decode()
    lib.scrim_string_free(pointer.value)
    pointer.value = None
    return json.loads(text)


VOLATILE = {"elapsedSeconds", "realTimeFactor"}


def stable(value):
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def make_signal(seconds, channels, seed):
    """Per channel: a 220 Hz tone switching on and off every 0.5 s, seeded uniform noise at about -50 dBFS and 50 Hz
    hum with two harmonics, as float64 values that float32 cannot hold exactly (the rounding is part of the
    proof)."""
    n = int(seconds * RATE)
    out = []
    state = seed
    for c in range(channels):
        channel = []
        for i in range(n):
            state = (state * 1103515245 + 12345) % 2**31
            t = i / RATE
            tone = 0.1 * math.sin(2 * math.pi * 220 * t) if int(t / 0.5) % 2 else 0.0
            hum = 0.01 * (math.sin(2 * math.pi * 50 * t + c) + 0.5 * math.sin(2 * math.pi * 100 * t))
            channel.append(tone + hum + 0.01 * (state / 2**31 - 0.5) + 1e-9 / 3)
        out.append(channel)
    return out


class Audio:
    """Samples in one ctypes array with a layout: "interleaved", "planar" (one block), "reversed" (interleaved with
    the channels stored in reverse order, read through a negative channel stride)."""

    def __init__(self, channels, layout, sample_type, frames=None):
        self.channels = len(channels) if channels else 0
        self.frames = frames if frames is not None else len(channels[0])
        self.layout, self.sample_type = layout, sample_type
        ctype = C.c_float if sample_type == FLOAT32 else C.c_double
        self.size = C.sizeof(ctype)
        cc, n = self.channels, self.frames
        self.storage = (ctype * (cc * n))()
        if channels is not None and channels[0] is not None:
            for c in range(cc):
                for i in range(n):
                    self.storage[self.index(c, i)] = channels[c][i]

    def index(self, c, i):
        cc, n = self.channels, self.frames
        if self.layout == "planar":
            return c * n + i
        if self.layout == "reversed":
            return i * cc + (cc - 1 - c)
        return i * cc + c

    def view(self):
        cc, n = self.channels, self.frames
        base = C.addressof(self.storage)
        if self.layout == "planar":
            return View(base, n, 1, n, cc, self.sample_type)
        if self.layout == "reversed":
            return View(base + (cc - 1) * self.size, n, cc, -1, cc, self.sample_type)
        return View(base, n, cc, 1, cc, self.sample_type)

    def channel_lists(self):
        return [[self.storage[self.index(c, i)] for i in range(self.frames)] for c in range(self.channels)]


def filled(channels, frames, layout, sample_type, value=7.0):
    audio = Audio([[value] * frames for _ in range(channels)], layout, sample_type)
    return audio


def planar_reference(call, channels32):
    """The planar function on float32 channels: (status, output channels, report)."""
    arrays = [(C.c_float * len(ch))(*ch) for ch in channels32]
    table = (C.c_void_p * len(arrays))(*[C.addressof(a) for a in arrays])
    out = C.c_void_p()
    status = call(table, len(arrays), len(channels32[0]), out)
    return status, [list(a) for a in arrays], stable(take_json(out))


def as32(channels):
    return [[f32(v) for v in ch] for ch in channels]


signal = make_signal(3.0, 2, 7)
signal32 = as32(signal)

CASES = [("interleaved float32", "interleaved", FLOAT32), ("interleaved float64", "interleaved", FLOAT64),
         ("planar block float32", "planar", FLOAT32), ("planar block float64", "planar", FLOAT64),
         ("negative channel stride float32", "reversed", FLOAT32)]

FUNCTIONS = [
    ("denoise", None), ("denoise", b'{"learn": "auto"}'), ("dehum", None), ("normalize", b'{"targetLufs": -20}'),
]

for name, options in FUNCTIONS:
    planar = getattr(lib, f"scrim_{name}_buffer")
    viewed = getattr(lib, f"scrim_{name}_view")
    status, expected, expected_report = planar_reference(
        lambda table, cc, n, out: planar(table, cc, n, float(RATE), options, C.byref(out)), signal32)
    check(status == OK, f"{name} planar reference")
    for label, layout, sample_type in CASES:
        source = Audio(signal, layout, sample_type)
        before = list(source.storage)
        for in_place in (False, True):
            if in_place and sample_type == FLOAT64:
                continue
            target = source if in_place else filled(2, source.frames, layout, sample_type)
            out = C.c_void_p()
            status = viewed(C.byref(source.view()), C.byref(target.view()), float(RATE), options, C.byref(out))
            report = stable(take_json(out))
            what = f"{name} {options} on {label}{' in place' if in_place else ''}"
            check(status == OK, f"{what}: status {status}")
            check(target.channel_lists() == expected, f"{what}: output bit-identical to scrim_{name}_buffer")
            check(report == expected_report, f"{what}: report equal to scrim_{name}_buffer's")
            if not in_place:
                check(list(source.storage) == before, f"{what}: input unchanged")

# process (a whole preset, two-pass stages included) and analyze (only reads).
status, expected, expected_report = planar_reference(
    lambda table, cc, n, out: lib.scrim_process_buffer(b"dailies", table, cc, n, float(RATE), C.byref(out)), signal32)
check(status == OK, "process planar reference")
status, _, analyze_report = planar_reference(
    lambda table, cc, n, out: lib.scrim_analyze_buffer(table, cc, n, float(RATE), None, C.byref(out)), signal32)
check(status == OK, "analyze planar reference")
for label, layout, sample_type in CASES:
    source = Audio(signal, layout, sample_type)
    target = filled(2, source.frames, layout, sample_type)
    out = C.c_void_p()
    status = lib.scrim_process_view(b"dailies", C.byref(source.view()), C.byref(target.view()), float(RATE),
                                    C.byref(out))
    check(status == OK and target.channel_lists() == expected, f"process dailies on {label}: bit-identical")
    check(stable(take_json(out)) == expected_report, f"process dailies on {label}: report equal")
    status = lib.scrim_analyze_view(C.byref(source.view()), float(RATE), None, C.byref(out))
    check(status == OK and stable(take_json(out)) == analyze_report, f"analyze on {label}: report equal")

# match: three takes of different lengths, together and against a reference; outputs in another layout and type.
takes = [make_signal(seconds, 2, seed) for seconds, seed in ((1.5, 1), (2.0, 2), (1.0, 3))]
for gain, take in zip((1.0, 0.3, 2.0), takes):
    for channel in take:
        channel[:] = [gain * v for v in channel]
for options in (None, b'{"reference": 1}'):
    arrays = [[(C.c_float * len(ch))(*[f32(v) for v in ch]) for ch in take] for take in takes]
    tables = [(C.c_void_p * 2)(*[C.addressof(a) for a in take]) for take in arrays]
    table_of_tables = (C.c_void_p * 3)(*[C.addressof(t) for t in tables])
    counts = (C.c_int64 * 3)(*[len(take[0]) for take in takes])
    out = C.c_void_p()
    status = lib.scrim_match_buffers(table_of_tables, counts, 3, 2, float(RATE), options, C.byref(out))
    check(status == OK, f"match_buffers {options}")
    expected = [[list(a) for a in take] for take in arrays]
    expected_report = stable(take_json(out))
    sources = [Audio(take, "interleaved", FLOAT64) for take in takes]
    targets = [filled(2, len(take[0]), "planar", FLOAT32) for take in takes]
    inputs = (View * 3)(*[s.view() for s in sources])
    outputs = (View * 3)(*[t.view() for t in targets])
    status = lib.scrim_match_views(inputs, outputs, 3, float(RATE), options, C.byref(out))
    check(status == OK, f"match_views {options}: status")
    check([t.channel_lists() for t in targets] == expected,
          f"match_views {options}: every take bit-identical (the reference take's output its float32 input)")
    check(stable(take_json(out)) == expected_report, f"match_views {options}: report equal")

# The streaming chain: 4096-frame planar blocks through scrim_chain_process against views in blocks of 4096, in one
# call for the whole signal (several pieces), in float64, interleaved in place; then the flush.
latency = C.c_int64()


def chain_run(feed):
    chain = C.c_void_p()
    assert lib.scrim_chain_create(b"denoise-only", float(RATE), 2, 4096, C.byref(chain)) == OK
    lib.scrim_chain_latency(chain, C.byref(latency))
    output = feed(chain)
    out = C.c_void_p()
    lib.scrim_chain_report_json(chain, C.byref(out))
    report = take_json(out)
    lib.scrim_chain_destroy(chain)
    return output, report


def feed_planar(chain):
    channels = [list(ch) for ch in signal32]
    n = len(channels[0])
    for start in range(0, n, 4096):
        count = min(4096, n - start)
        arrays = [(C.c_float * count)(*ch[start:start + count]) for ch in channels]
        table = (C.c_void_p * 2)(*[C.addressof(a) for a in arrays])
        assert lib.scrim_chain_process(chain, table, 2, count) == OK
        for c in range(2):
            channels[c][start:start + count] = list(arrays[c])
    tail = [(C.c_float * latency.value)() for _ in range(2)]
    table = (C.c_void_p * 2)(*[C.addressof(a) for a in tail])
    assert lib.scrim_chain_flush(chain, table, 2, latency.value) == OK
    return [channels[c] + list(tail[c]) for c in range(2)]


def feed_views(block, sample_type, in_place):
    def feed(chain):
        source = Audio(signal, "interleaved", sample_type)
        target = source if in_place else filled(2, source.frames, "interleaved", sample_type)
        n = source.frames
        for start in range(0, n, block):
            count = min(block, n - start)
            step = source.size * 2 * start
            v_in = View(C.addressof(source.storage) + step, count, 2, 1, 2, sample_type)
            v_out = View(C.addressof(target.storage) + step, count, 2, 1, 2, sample_type)
            status = lib.scrim_chain_process_view(chain, C.byref(v_in), C.byref(v_out))
            assert status == OK, lib.scrim_last_error()
        tail = Audio([[0.0] * latency.value] * 2, "interleaved", sample_type)
        check(lib.scrim_chain_flush_view(chain, C.byref(tail.view())) == OK, "chain_flush_view")
        return [target.channel_lists()[c] + tail.channel_lists()[c] for c in range(2)]
    return feed


expected, expected_report = chain_run(feed_planar)
for block, sample_type, in_place in ((4096, FLOAT32, False), (1000, FLOAT32, False), (10**6, FLOAT32, False),
                                     (4096, FLOAT64, False), (4096, FLOAT32, True)):
    got, report = chain_run(feed_views(block, sample_type, in_place))
    what = f"chain_process_view in blocks of {block}, type {sample_type}{', in place' if in_place else ''}"
    check(got == expected, f"{what}: bit-identical to scrim_chain_process in 4096-frame planar blocks")
    check(report == expected_report, f"{what}: report equal")

# A non-finite sample in a block: refused before anything is processed (framesProcessed unchanged).
chain = C.c_void_p()
lib.scrim_chain_create(b"denoise-only", float(RATE), 2, 4096, C.byref(chain))
for frames in (3000, 20000):  # one piece, several pieces
    bad = Audio([[0.0] * frames, [0.0] * frames], "interleaved", FLOAT32)
    bad.storage[2 * (frames - 5) + 1] = float("nan")
    status = lib.scrim_chain_process_view(chain, C.byref(bad.view()), C.byref(bad.view()))
    message = lib.scrim_last_error().decode()
    check(status == INVALID and f"at frame {frames - 5} of channel 1" in message, f"chain NaN refused: {message}")
out = C.c_void_p()
lib.scrim_chain_report_json(chain, C.byref(out))
check(take_json(out)["framesProcessed"] == 0, "chain: nothing processed after the refusals")
lib.scrim_chain_destroy(chain)

# The meter: the whole signal as one planar block against views (interleaved float32 and float64, planar).
def meter_json(add):
    meter = C.c_void_p()
    assert lib.scrim_meter_create(float(RATE), 2, len(signal[0]), 1, C.byref(meter)) == OK
    add(meter)
    out = C.c_void_p()
    lib.scrim_meter_result_json(meter, C.byref(out))
    lib.scrim_meter_destroy(meter)
    return take_json(out)


def add_planar(meter):
    arrays = [(C.c_float * len(ch))(*ch) for ch in signal32]
    table = (C.c_void_p * 2)(*[C.addressof(a) for a in arrays])
    assert lib.scrim_meter_add(meter, table, 2, len(signal32[0])) == OK


expected = meter_json(add_planar)
for label, layout, sample_type in CASES:
    source = Audio(signal, layout, sample_type)
    got = meter_json(lambda meter: check(lib.scrim_meter_add_view(meter, C.byref(source.view())) == OK,
                                         f"meter_add_view {label}"))
    check(got == expected, f"meter_add_view on {label}: measurement equal to scrim_meter_add's")

# Refusals.
small = make_signal(0.5, 2, 11)


def denoise_view(source, target):
    return lib.scrim_denoise_view(C.byref(source) if source is not None else None,
                                  C.byref(target) if target is not None else None, float(RATE), None, None)


for value, sample_type, expected_text in ((float("nan"), FLOAT32, "non-finite sample (nan) at frame 1234 of channel 1"),
                                          (float("inf"), FLOAT64, "non-finite sample (inf) at frame 1234 of channel 1"),
                                          (1e39, FLOAT64, "beyond float32's range (1e+39) at frame 1234 of channel 1")):
    source = Audio(small, "interleaved", sample_type)
    source.storage[2 * 1234 + 1] = value
    source.storage[2 * 2000 + 1] = value
    target = filled(2, source.frames, "interleaved", sample_type)
    status = denoise_view(source.view(), target.view())
    message = lib.scrim_last_error().decode()
    check(status == INVALID and expected_text in message and "2 such samples" in message,
          f"{expected_text}: refused ({message})")
    check(all(v == 7.0 for v in target.storage), f"{expected_text}: output untouched")
    # Channel order first (as the planar functions check): a bad sample in channel 0, later in time, is named.
    source.storage[2 * 3000 + 0] = value
    status = denoise_view(source.view(), target.view())
    message = lib.scrim_last_error().decode()
    check(status == INVALID and "at frame 3000 of channel 0" in message and "3 such samples" in message,
          f"the first bad sample is named in channel order ({message})")

source = Audio(small, "interleaved", FLOAT32)
target = filled(2, source.frames, "interleaved", FLOAT32)
good_in, good_out = source.view(), target.view()


def refused(label, source_view, target_view, text):
    status = denoise_view(source_view, target_view)
    message = lib.scrim_last_error().decode()
    check(status == INVALID and text in message, f"{label}: refused with '{text}' ({message})")


misaligned = View(good_in.data + 2, good_in.frame_count - 1, 2, 1, 2, FLOAT32)
refused("misaligned data", misaligned, good_out, "not aligned")
refused("sample type 0", View(good_in.data, good_in.frame_count, 2, 1, 2, 0), good_out, "sample_type 0")
refused("65 channels", View(good_in.data, 10, 65, 1, 65, FLOAT32), good_out, "channel_count 65")
refused("0 frames", View(good_in.data, 0, 2, 1, 2, FLOAT32), View(good_out.data, 0, 2, 1, 2, FLOAT32), "0 frames")
refused("shape mismatch", good_in, View(good_out.data, good_out.frame_count - 1, 2, 1, 2, FLOAT32), "must match")
refused("overlapping output", good_in, View(good_in.data + 8, good_in.frame_count, 2, 1, 2, FLOAT32), "overlaps")
refused("0 frame stride in an output", good_in, View(good_out.data, good_out.frame_count, 0, 1, 2, FLOAT32),
        "overlap")
refused("frame stride -2^63", View(good_in.data, good_in.frame_count, -(1 << 63), 1, 2, FLOAT32), good_out,
        "beyond 2^40")
refused("channel stride 2^41", View(good_in.data, good_in.frame_count, 2, 1 << 41, 2, FLOAT32), good_out,
        "beyond 2^40")
refused("NULL input", None, good_out, "input is NULL")
refused("NULL data", View(None, 10, 2, 1, 2, FLOAT32), good_out, "input.data is NULL")
check(all(v == 7.0 for v in target.storage), "refusals: output untouched")
# A broadcast input (0 channel stride: the same samples for both channels) is fine to read.
broadcast = Audio([small[0]], "interleaved", FLOAT32)
status = denoise_view(View(C.addressof(broadcast.storage), broadcast.frames, 1, 0, 2, FLOAT32), good_out)
check(status == OK, "an input with channel_stride 0 (both channels the same samples) is accepted")

left = [name for _, _, names in os.walk(scratch_root) for name in names]
check(not left, f"temporaries left in TMPDIR: {left}")
print(f"views: {checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
