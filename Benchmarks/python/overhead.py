#!/usr/bin/env python3
"""The Python binding's overhead on a 60 s buffer: each scrim call against the C call a C programmer makes for the
same array layout and dtype.

The C side (overhead_c.c, a shared library built by run.sh) times, in C, the C API's audio-view call on the very
numpy arrays the binding gets: the input read where it is (mono 1-D, or (frames, channels) C order = interleaved,
float32 or float64) and the result written into an output array of the same layout and dtype that the C side
allocated once and reuses (already touched: the strictest baseline); a second C column allocates a fresh output
each call (malloc inside the timing), as a program making a new result per call would. The binding's side is the
call as a user writes it, `y, report = scrim.denoise(x, 48000)`: argument checks, the view structs, a new output
array (np.empty_like), the C call, the report parsed into a dict. Runs alternate (C, binding, C, ...); the table gives
medians and minima; overhead = binding / C - 1, also as the median of the paired differences (each binding run
against the C run just before it). Wall time and the process's CPU time (all threads) are both recorded: on a
loaded machine the CPU time moves far less. Two more columns: the binding with out= (a reused output array, as the
C side's), and the C call with a fresh output per call (as the binding's new array).

The binding's own work is also timed alone: the same call with only the C work replaced (the whole-buffer call by
handing back a real report's text, parsed as usual; scrim_meter_add_view and scrim_chain_process_view by a no-op):
the overhead proper, independent of how long the DSP took in that run.

usage: overhead.py --helper PATH_TO_overhead_c.so [--runs N]        (Benchmarks/python/run.sh)
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import statistics
import time

import numpy as np

import scrim
from scrim import _api, _native
from scrim._audio import View, view_of

RATE = 48000
FRAMES = 60 * RATE


def signal(channels: int) -> np.ndarray:
    """60 s of a 220 Hz tone in seeded noise, (frames, channels) float32 in C order (as soundfile returns it)."""
    rng = np.random.default_rng(21)
    t = np.arange(FRAMES) / RATE
    x = 0.2 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.02 * rng.standard_normal((FRAMES, channels))
    return x.astype(np.float32)


def timed(call):
    """The call's wall time and the process's CPU time (all threads) over it."""
    def run() -> tuple:
        cpu, start = time.process_time(), time.perf_counter()
        call()
        return time.perf_counter() - start, time.process_time() - cpu
    return run


def c_timed(call):
    """A C-side run: the wall time the C code measured around the Scrim calls, and the process's CPU time over the
    helper call (that one includes the ctypes call into the helper, about a microsecond)."""
    def run() -> tuple:
        cpu = time.process_time()
        wall = call()
        return wall, time.process_time() - cpu
    return run


class Stubbed:
    """Replaces the C work inside the binding: the whole-buffer call (a real report's text handed back and parsed),
    or the named view functions (a no-op returning OK)."""

    def __init__(self, report_text: str | None = None, functions: tuple = ()):
        self.report_text, self.functions = report_text, functions

    def __enter__(self):
        self.saved_call, self.saved_function = _native.call_for_object, _native.function
        if self.report_text is not None:
            text = self.report_text
            _native.call_for_object = lambda function, *args, names=None: json.loads(text)
        if self.functions:
            names, original = self.functions, self.saved_function
            _native.function = lambda name: (lambda *args: 0) if name in names else original(name)
        return self

    def __exit__(self, *exc):
        _native.call_for_object, _native.function = self.saved_call, self.saved_function


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--helper", required=True)
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    args = parser.parse_args()

    helper = ctypes.CDLL(args.helper)
    vp = ctypes.POINTER(View)
    helper.overhead_view_call.argtypes = [ctypes.c_int, vp, vp, ctypes.c_double, ctypes.c_int]
    helper.overhead_meter.argtypes = [vp, ctypes.c_double]
    helper.overhead_chain.argtypes = [vp, vp, ctypes.c_double, ctypes.c_int, ctypes.c_int64]
    helper.overhead_planar_denoise.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int64, ctypes.c_double]
    for name in ("overhead_view_call", "overhead_meter", "overhead_chain", "overhead_planar_denoise"):
        getattr(helper, name).restype = ctypes.c_double

    stereo = signal(2)
    mono = np.ascontiguousarray(stereo[:, 0])
    arrays = {"mono float32 (frames,)": mono, "stereo float32 (frames, 2) C order": stereo,
              "mono float64 (frames,)": mono.astype(np.float64),
              "stereo float64 (frames, 2) C order": stereo.astype(np.float64)}
    keep = []

    def view(x):
        v, a = view_of(x)
        keep.append((v, a))
        return ctypes.byref(v)

    def c_call(which, x, fresh):
        out = np.empty_like(x)
        out.fill(0)  # touched once, as a reused buffer is
        source, target = view(x), view(out)
        return c_timed(lambda: check(helper.overhead_view_call(which, source, target, float(RATE), fresh)))

    def check(seconds):
        assert seconds >= 0, "the C call failed (message above)"
        return seconds

    def c_chain(x, max_block, step):
        out = np.empty_like(x)
        out.fill(0)
        source, target = view(x), view(out)
        return c_timed(lambda: check(helper.overhead_chain(source, target, float(RATE), max_block, step)))

    def chain_with_binding(x, max_block, step):
        def run():
            with scrim.Chain("denoise-only", RATE, x.shape[1], max_block_frames=max_block) as chain:
                for offset in range(0, FRAMES, step):
                    chain.process(x[offset:offset + step])
        return run

    def with_out(call, x):
        out = np.empty_like(x)
        out.fill(0)
        return timed(lambda: call(x, RATE, out=out))

    # (name, C call, C call with a fresh output or None, binding call, binding call with out= or None, stub)
    cases = []
    for label, x in arrays.items():
        cases.append((f"denoise, {label}", c_call(0, x, 0), c_call(0, x, 1),
                      timed(lambda x=x: scrim.denoise(x, RATE)), with_out(scrim.denoise, x), "report:denoise"))
    cases.append(("normalize, stereo float32 (frames, 2) C order", c_call(1, stereo, 0), c_call(1, stereo, 1),
                  timed(lambda: scrim.normalize(stereo, RATE)), with_out(scrim.normalize, stereo),
                  "report:normalize"))
    cases.append(("analyze, stereo float32 (frames, 2) C order", c_call(2, stereo, 0), None,
                  timed(lambda: scrim.analyze(stereo, RATE)), None, "report:analyze"))
    for label in ("mono float32 (frames,)", "stereo float32 (frames, 2) C order", "stereo float64 (frames, 2) C order"):
        x = arrays[label]
        source = view(x)
        cases.append((f"loudness, {label}",
                      c_timed(lambda source=source: check(helper.overhead_meter(source, float(RATE)))),
                      None, timed(lambda x=x: scrim.loudness(x, RATE)), None, "functions:scrim_meter_add_view"))
    for label, max_block, step in (("the 60 s in one process() call", 8192, FRAMES),
                                   ("48000-frame blocks", 48000, 48000), ("8192-frame blocks", 8192, 8192),
                                   ("4096-frame blocks", 4096, 4096)):
        cases.append((f"Chain denoise-only, stereo float32 C order, {label}", c_chain(stereo, max_block, step), None,
                      timed(chain_with_binding(stereo, max_block, step)), None, "functions:scrim_chain_process_view"))
    if args.only:
        cases = [case for case in cases if args.only in case[0]]

    reports = {}
    rows = []
    paired_rows = {}
    cpu_rows = {}
    for name, c_run, c_fresh, binding, binding_out, stub in cases:
        binding()  # warm-up (first-call costs: planning, caches)
        c_run()
        cs, bs, fs, os_ = [], [], [], []
        ccpu, bcpu = [], []
        for _ in range(args.runs):
            wall, cpu = c_run()
            cs.append(wall)
            ccpu.append(cpu)
            wall, cpu = binding()
            bs.append(wall)
            bcpu.append(cpu)
            if c_fresh is not None:
                fs.append(c_fresh()[0])
            if binding_out is not None:
                os_.append(binding_out()[0])
        cpu_rows[name] = (statistics.median(ccpu), min(ccpu), statistics.median(bcpu), min(bcpu),
                          statistics.median(b / c - 1 for b, c in zip(bcpu, ccpu)))
        kind, _, what = stub.partition(":")
        if kind == "report":
            if what not in reports:
                call = {"denoise": scrim.denoise, "normalize": scrim.normalize, "analyze": scrim.analyze}[what]
                result = call(stereo, RATE)
                reports[what] = json.dumps(result if isinstance(result, dict) else result.report)
            context = Stubbed(report_text=reports[what])
        else:
            context = Stubbed(functions=(what,))
        with context:
            own_runs = [binding()[0] for _ in range(max(args.runs, 21))]
        # Paired: each binding run against the C run just before it (the two share the machine's state at that
        # moment, which a loaded machine changes from second to second).
        paired = statistics.median(b / c - 1 for b, c in zip(bs, cs))
        paired_out = statistics.median(o / c - 1 for o, c in zip(os_, cs)) if os_ else None
        paired_rows[name] = (paired, paired_out)
        row = (name, statistics.median(cs), min(cs), statistics.median(bs), min(bs),
               statistics.median(fs) if fs else None, statistics.median(own_runs), min(own_runs),
               (statistics.median(os_), min(os_)) if os_ else None)
        rows.append(row)
        print(f"{name}: C {row[1] * 1e3:.2f} ms, binding {row[3] * 1e3:.2f} ms ({100 * (row[3] / row[1] - 1):+.2f} %,"
              f" paired {100 * paired:+.2f} %), own work {row[6] * 1e3:.3f} ms", flush=True)

    # The older planar C call on the same stereo samples, for comparison of the C calls themselves.
    planar = np.ascontiguousarray(stereo.T)
    work = planar.copy()
    table = (ctypes.c_void_p * 2)(*[work.ctypes.data + c * work.strides[0] for c in range(2)])
    planar_runs = []
    for _ in range(min(args.runs, 11)):
        np.copyto(work, planar)
        planar_runs.append(check(helper.overhead_planar_denoise(table, 2, FRAMES, float(RATE))))

    print()
    print(f"60 s at 48 kHz, {args.runs} alternating runs per case; Python {platform.python_version()}, numpy "
          f"{np.__version__}, scrim {scrim.__version__} (C API ABI {scrim.abi_version}), {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print("| case | C call: median (min) | binding, end to end: median (min) | difference of medians (of minima) "
          "| median of the paired differences (with out=) "
          "| binding with out= (a reused array) vs the C call: median (min) "
          "| C call with a fresh output: median (binding vs it) | binding's own work: median (min) "
          "| own work / C call (medians) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, cm, cmin, bm, bmin, fm, om, omin, with_out_ in rows:
        fresh = f"{fm * 1e3:.1f} ms ({100 * (bm / fm - 1):+.2f} %)" if fm is not None else ""
        reused = (f"{with_out_[0] * 1e3:.1f} ms ({with_out_[1] * 1e3:.1f}): {100 * (with_out_[0] / cm - 1):+.2f} % "
                  f"({100 * (with_out_[1] / cmin - 1):+.2f} %)" if with_out_ else "")
        print(f"| {name} | {cm * 1e3:.1f} ms ({cmin * 1e3:.1f}) | {bm * 1e3:.1f} ms ({bmin * 1e3:.1f}) | "
              f"{100 * (bm / cm - 1):+.2f} % ({100 * (bmin / cmin - 1):+.2f} %) | {paired_text(paired_rows[name])} | "
              f"{reused} | {fresh} | "
              f"{om * 1e3:.3f} ms ({omin * 1e3:.3f}) | {100 * om / cm:.3f} % |")
    print(f"| denoise, stereo float32, the older planar in-place C call (scrim_denoise_buffer) on the same samples | "
          f"{statistics.median(planar_runs) * 1e3:.1f} ms ({min(planar_runs) * 1e3:.1f}) | | | | | | | |")
    print_cpu_table(cpu_rows)


def print_cpu_table(cpu_rows) -> None:
    print()
    print("Process CPU time (all threads; less sensitive to the machine's load than wall time):")
    print()
    print("| case | C call: median (min) | binding: median (min) | difference of medians (of minima) "
          "| median of the paired differences |")
    print("|---|---:|---:|---:|---:|")
    for name, (cm, cmin, bm, bmin, paired) in cpu_rows.items():
        print(f"| {name} | {cm * 1e3:.1f} ms ({cmin * 1e3:.1f}) | {bm * 1e3:.1f} ms ({bmin * 1e3:.1f}) | "
              f"{100 * (bm / cm - 1):+.2f} % ({100 * (bmin / cmin - 1):+.2f} %) | {100 * paired:+.2f} % |")


def paired_text(pair) -> str:
    paired, paired_out = pair
    return f"{100 * paired:+.2f} %" + (f" ({100 * paired_out:+.2f} %)" if paired_out is not None else "")


if __name__ == "__main__":
    main()
