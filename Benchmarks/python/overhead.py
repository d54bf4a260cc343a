#!/usr/bin/env python3
"""The Python binding's overhead on a 60 s buffer: each scrim call against the same C API call made directly.

For each case the direct call gets a ready planar float32 buffer and its pointer table (made before timing; the
buffer is restored from the original outside the timed region, as the call works in place) and frees its report;
the binding's call takes the numpy array as a user has it and does everything a user's call does: checks (dtype,
shape, NaN/Inf), the planar float32 copy (the input is never written), the call, the output array in the input's
shape and dtype, and the report parsed into a dict. Runs alternate (direct, binding, direct, ...) and the table
gives medians; overhead = binding / direct - 1. A C program (overhead_c.c, built by run.sh) times the same denoise
call from C for the first row.

The end-to-end difference is at the mercy of the machine's load (both sides run the same ~100 ms of DSP and file
I/O); the binding's own work is also timed alone, with the C call replaced by handing back a real report (for the
whole-buffer rows), which is the overhead proper.

usage: overhead.py [--runs N] [--c-program PATH --raw FILE]        (Benchmarks/python/run.sh)
"""
from __future__ import annotations

import argparse
import ctypes
import json
import platform
import statistics
import subprocess
import time

import numpy as np

import scrim
from scrim import _api, _native

RATE = 48000
FRAMES = 60 * RATE


def signal(channels: int) -> np.ndarray:
    """60 s of a 220 Hz tone in seeded noise, (frames, channels) float32 in C order (as soundfile returns it)."""
    rng = np.random.default_rng(21)
    t = np.arange(FRAMES) / RATE
    x = 0.2 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.02 * rng.standard_normal((FRAMES, channels))
    return x.astype(np.float32)


def direct_buffer_call(name: str, x: np.ndarray, options: bytes | None):
    """The C call alone on a prepared planar buffer (restored before each run, outside the timing)."""
    function = getattr(_native.lib, name)
    original = np.ascontiguousarray(x.T)
    work = original.copy()
    table = (ctypes.c_void_p * work.shape[0])(*[work.ctypes.data + c * work.strides[0] for c in range(work.shape[0])])

    def run() -> float:
        np.copyto(work, original)
        out = ctypes.c_void_p()
        start = time.perf_counter()
        status = function(table, work.shape[0], work.shape[1], float(RATE), options, ctypes.byref(out))
        elapsed = time.perf_counter() - start
        _native.lib.scrim_string_free(out.value)
        assert status == 0, _native.last_error()
        return elapsed
    return run


def direct_loudness(x: np.ndarray):
    planar = np.ascontiguousarray(x.T)
    channels = planar.shape[0]
    table = (ctypes.c_void_p * channels)(*[planar.ctypes.data + c * planar.strides[0] for c in range(channels)])

    block = 1 << 20  # the meter's largest block

    def run() -> float:
        start = time.perf_counter()
        meter = ctypes.c_void_p()
        assert _native.lib.scrim_meter_create_with_layout(float(RATE), channels, block, 1, None,
                                                          ctypes.byref(meter)) == 0
        for offset in range(0, FRAMES, block):
            for c in range(channels):
                table[c] = planar.ctypes.data + c * planar.strides[0] + offset * 4
            assert _native.lib.scrim_meter_add(meter, table, channels, min(block, FRAMES - offset)) == 0
        out = ctypes.c_void_p()
        assert _native.lib.scrim_meter_result_json(meter, ctypes.byref(out)) == 0
        _native.lib.scrim_string_free(out.value)
        _native.lib.scrim_meter_destroy(meter)
        return time.perf_counter() - start
    return run


def direct_chain(x: np.ndarray, block: int):
    """A chain made and streamed from C's side in blocks of `block` frames over a prepared planar buffer."""
    original = np.ascontiguousarray(x.T)
    work = original.copy()
    channels = work.shape[0]
    table = (ctypes.c_void_p * channels)()

    def run() -> float:
        np.copyto(work, original)
        start = time.perf_counter()
        chain = ctypes.c_void_p()
        assert _native.lib.scrim_chain_create(b"denoise-only", float(RATE), channels, block, ctypes.byref(chain)) == 0
        for offset in range(0, FRAMES, block):
            for c in range(channels):
                table[c] = work.ctypes.data + c * work.strides[0] + offset * 4
            assert _native.lib.scrim_chain_process(chain, table, channels, min(block, FRAMES - offset)) == 0
        _native.lib.scrim_chain_destroy(chain)
        return time.perf_counter() - start
    return run


def timed(call):
    def run() -> float:
        start = time.perf_counter()
        call()
        return time.perf_counter() - start
    return run


class StubbedCall:
    """Replaces the C call of the whole-buffer functions by handing back a real report's text (parsed as usual):
    what remains of scrim.denoise(...) is the binding's own work (checks, copies, pointer tables, the output array,
    the report's parsing)."""

    def __init__(self, report_text: str):
        self.report_text = report_text

    def __enter__(self):
        self.saved = _native.call_with_report
        _native.call_with_report = lambda function, *args: json.loads(self.report_text)
        return self

    def __exit__(self, *exc):
        _native.call_with_report = self.saved


def stream_with_binding(x: np.ndarray, block: int) -> None:
    with scrim.Chain("denoise-only", RATE, x.shape[1], max_block_frames=block, aligned=False) as chain:
        for offset in range(0, FRAMES, block):
            chain.process(x[offset:offset + block])


def c_program_median(program: str, raw: str, mono: np.ndarray, runs: int) -> float | None:
    """The same denoise call timed by a C program on the same samples (written raw for it)."""
    if not program:
        return None
    mono.astype("<f4").tofile(raw)
    output = subprocess.run([program, raw, str(RATE), str(runs)], capture_output=True, text=True, check=True).stdout
    return json.loads(output)["medianSeconds"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--c-program", default="")
    parser.add_argument("--raw", default="/tmp/scrim-overhead-mono.f32")
    args = parser.parse_args()

    mono, stereo = signal(1)[:, 0], signal(2)
    stereo64 = stereo.astype(np.float64)
    cases = [
        ("denoise, mono float32 (frames,)", direct_buffer_call("scrim_denoise_buffer", mono[:, None], None),
         timed(lambda: scrim.denoise(mono, RATE))),
        ("denoise, stereo float32 (frames, 2) C order", direct_buffer_call("scrim_denoise_buffer", stereo, None),
         timed(lambda: scrim.denoise(stereo, RATE))),
        ("denoise, stereo float64 (frames, 2) C order", direct_buffer_call("scrim_denoise_buffer", stereo, None),
         timed(lambda: scrim.denoise(stereo64, RATE))),
        ("loudness, stereo float32 C order (copied to planar)", direct_loudness(stereo),
         timed(lambda: scrim.loudness(stereo, RATE))),
        ("loudness, mono float32 (frames,) (read in place)", direct_loudness(mono[:, None]),
         timed(lambda: scrim.loudness(mono, RATE))),
        ("Chain denoise-only, stereo, 4096-frame blocks", direct_chain(stereo, 4096),
         timed(lambda: stream_with_binding(stereo, 4096))),
        ("Chain denoise-only, stereo, 48000-frame blocks", direct_chain(stereo, 48000),
         timed(lambda: stream_with_binding(stereo, 48000))),
    ]

    report_text = json.dumps(scrim.denoise(mono, RATE).report)
    rows = []
    for name, direct, binding in cases:
        binding()  # warm-up (first-call costs: planning, caches)
        direct()
        d, b = [], []
        for _ in range(args.runs):
            d.append(direct())
            b.append(binding())
        md, mb = statistics.median(d), statistics.median(b)
        own = own_min = None
        own_runs = []
        if name.startswith("denoise"):
            with StubbedCall(report_text):
                own_runs = [binding() for _ in range(max(args.runs, 21))]
        elif name.startswith("loudness"):
            # Its own work is the checks (and the planar copy when the layout needs one); the rest is C calls.
            x = stereo if "stereo" in name else mono
            own_runs = [timed(lambda: _api._prepare(x, RATE, read_only=True))() for _ in range(max(args.runs, 21))]
        if own_runs:
            own, own_min = statistics.median(own_runs), min(own_runs)
        rows.append((name, md, mb, own, own_min, min(d), min(b)))
        print(f"{name}: direct {md * 1e3:.1f} ms, binding {mb * 1e3:.1f} ms ({100 * (mb / md - 1):+.2f} %), "
              f"own work {own * 1e3 if own is not None else float('nan'):.2f} ms", flush=True)
    c_median = c_program_median(args.c_program, args.raw, mono, args.runs)

    print()
    print(f"60 s at 48 kHz, median of {args.runs} alternating runs; Python {platform.python_version()}, numpy "
          f"{np.__version__}, scrim {scrim.__version__} (C API ABI {scrim.abi_version}), {platform.machine()}")
    print()
    print("| case | C call (direct): median (min) | binding, end to end: median (min) | difference of medians "
          "(of minima) | binding's own work: median (min) | own work / C call (medians) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, md, mb, own, own_min, dmin, bmin in rows:
        own_cells = (f"{own * 1e3:.2f} ms ({own_min * 1e3:.2f} ms) | {100 * own / md:.2f} %" if own is not None
                     else "| ")
        print(f"| {name} | {md * 1e3:.1f} ms ({dmin * 1e3:.1f}) | {mb * 1e3:.1f} ms ({bmin * 1e3:.1f}) | "
              f"{100 * (mb / md - 1):+.2f} % ({100 * (bmin / dmin - 1):+.2f} %) | {own_cells} |")
    if c_median is not None:
        print(f"| denoise, mono, the call timed in a C program (overhead_c.c) | {c_median * 1e3:.1f} ms | | | | |")


if __name__ == "__main__":
    main()
