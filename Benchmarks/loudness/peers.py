#!/usr/bin/env python3
"""Scrim loudness against its peers: speed of two-pass normalisation, and agreement of integrated loudness.

Times, on one core (`taskset -c 0`), median of 5 runs, the same 60 s 48 kHz 24-bit stereo file:
  - `scrim normalize IN -o OUT` (release build): measure, then gain + true-peak limiter + output meter, write;
    and with `--measured` (a saved `scrim loudness --json`), the second pass alone;
  - FFmpeg two-pass loudnorm: `-af loudnorm=I=-23:TP=-1:print_format=json -f null -`, then the second pass with the
    measured_* values and linear=true, written as 24-bit 48 kHz WAV;
  - pyloudnorm: read (soundfile), Meter.integrated_loudness, normalize.loudness, write 24-bit (timed inside the
    process, so Python start-up and imports are not counted);
and the measurement pass alone (scrim loudness; ffmpeg ebur128 with true peak; pyloudnorm integrated loudness).
Then compares the integrated loudness each reports on the samples.

Usage (from the repository root):
    swift build -c release --product scrim
    python3 -m venv Benchmarks/.venv && Benchmarks/.venv/bin/pip install pyloudnorm soundfile
    Benchmarks/.venv/bin/python Benchmarks/loudness/peers.py > /tmp/peers.md
Work files go to Benchmarks/work/ (git-ignored).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "Benchmarks", "work", "loudness")
SCRIM = os.path.join(ROOT, ".build", "release", "scrim")
PYTHON = sys.executable
RUNS = 5
SECONDS = 60.0
PRESETS = [("ebu-r128", -23, -1), ("atsc-a85", -24, -2), ("streaming", -14, -1), ("podcast", -16, -1)]
SAMPLES = ["dialogue_roomtone.wav", "hum_take.wav", "take_quiet.wav", "take_loud.wav", "poly_bwf_4ch.wav"]

PYLN_NORMALIZE = r"""
import sys, time
import soundfile as sf, pyloudnorm as pyln
start = time.perf_counter()
data, rate = sf.read(sys.argv[1])
meter = pyln.Meter(rate)
loudness = meter.integrated_loudness(data)
out = pyln.normalize.loudness(data, loudness, -23.0)
sf.write(sys.argv[2], out, rate, subtype="PCM_24")
print(time.perf_counter() - start)
"""

PYLN_MEASURE = r"""
import sys, time
import soundfile as sf, pyloudnorm as pyln
start = time.perf_counter()
data, rate = sf.read(sys.argv[1])
print(pyln.Meter(rate).integrated_loudness(data))
print(time.perf_counter() - start)
"""


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def one_core(args):
    return ["taskset", "-c", "0"] + args


def timed(fn):
    """Median wall seconds of RUNS calls; fn returns its own duration when it measures inside a process."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        inner = fn()
        times.append(inner if inner is not None else time.perf_counter() - start)
    return statistics.median(times)


def ffmpeg_loudnorm_two_pass(src, dst):
    first = run(one_core(["ffmpeg", "-hide_banner", "-nostats", "-threads", "1", "-i", src, "-af",
                          "loudnorm=I=-23:TP=-1:LRA=20:print_format=json", "-f", "null", "-"]))
    m = json.loads(first.stderr[first.stderr.rindex("{"):])
    filt = ("loudnorm=I=-23:TP=-1:LRA=20:measured_I={input_i}:measured_TP={input_tp}:measured_LRA={input_lra}:"
            "measured_thresh={input_thresh}:offset={target_offset}:linear=true:print_format=json").format(**m)
    second = run(one_core(["ffmpeg", "-hide_banner", "-nostats", "-y", "-threads", "1", "-i", src, "-af", filt,
                           "-ar", "48000", "-c:a", "pcm_s24le", dst]))
    return json.loads(second.stderr[second.stderr.rindex("{"):])


def ffmpeg_ebur128(path):
    """Integrated loudness at full precision (the last lavfi.r128.I metadata value) and true peak (summary)."""
    out = run(["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-af",
               "ebur128=peak=true:metadata=1,ametadata=mode=print:key=lavfi.r128.I", "-f", "null", "-"])
    values = re.findall(r"lavfi\.r128\.I=(-?[0-9.]+|-inf)", out.stderr)
    peak = re.findall(r"Peak:\s+(-?[0-9.]+|-inf) dBFS", out.stderr)
    return float(values[-1]), float(peak[-1]) if peak else float("nan")


def main():
    os.makedirs(WORK, exist_ok=True)
    src = os.path.join(WORK, "speech_stereo_60s.wav")
    if not os.path.exists(src):
        # 60 s of dialogue (the room-tone sample looped), stereo, 24-bit, 48 kHz.
        run(["ffmpeg", "-hide_banner", "-y", "-stream_loop", "-1", "-i",
             os.path.join(ROOT, "samples", "dialogue_roomtone.wav"), "-t", "60", "-ac", "2", "-c:a", "pcm_s24le",
             src])
    out = os.path.join(WORK, "out.wav")

    rows = []
    t = timed(lambda: run(one_core([SCRIM, "normalize", src, "-o", out, "--overwrite"])) and None)
    rows.append(("scrim normalize (measure + gain/limiter + output meter + write)", t))
    measured = os.path.join(WORK, "measured.json")
    with open(measured, "w") as f:
        f.write(run([SCRIM, "loudness", "--json", src]).stdout)
    t = timed(lambda: run(one_core([SCRIM, "normalize", src, "-o", out, "--overwrite", "--measured", measured]))
              and None)
    rows.append(("scrim normalize --measured (second pass only)", t))
    t = timed(lambda: ffmpeg_loudnorm_two_pass(src, out) and None)
    rows.append(("FFmpeg loudnorm, two passes, linear=true", t))
    t = timed(lambda: float(run(one_core([PYTHON, "-c", PYLN_NORMALIZE, src, out])).stdout.split()[-1]))
    rows.append(("pyloudnorm measure + normalize (read/write with soundfile)", t))
    t = timed(lambda: run(one_core([PYTHON, "-c", PYLN_NORMALIZE, src, out])) and None)
    rows.append(("pyloudnorm as above, whole process (interpreter start-up and imports included)", t))
    t = timed(lambda: run(one_core([SCRIM, "loudness", src])) and None)
    rows.append(("scrim loudness (integrated, LRA, true peak)", t))
    t = timed(lambda: run(one_core(["ffmpeg", "-hide_banner", "-nostats", "-threads", "1", "-i", src, "-af",
                                    "ebur128=peak=true", "-f", "null", "-"])) and None)
    rows.append(("FFmpeg ebur128=peak=true (integrated, LRA, true peak)", t))
    t = timed(lambda: float(run(one_core([PYTHON, "-c", PYLN_MEASURE, src])).stdout.split()[-1]))
    rows.append(("pyloudnorm integrated_loudness (no LRA, no true peak)", t))

    print("### Speed: 60 s, 48 kHz, 24-bit stereo dialogue, one core, median of %d runs\n" % RUNS)
    print("| tool | wall | × real time |")
    print("|---|---|---|")
    for name, seconds in rows:
        print("| %s | %.3f s | %.0f× |" % (name, seconds, SECONDS / seconds))

    print("\n### Agreement: integrated loudness (LUFS) and true peak (dBTP) on the samples\n")
    print("| sample | Scrim | FFmpeg ebur128 | pyloudnorm | Scrim − FFmpeg | Scrim − pyloudnorm "
          "| Scrim TP | FFmpeg TP |")
    print("|---|---|---|---|---|---|---|---|")
    for name in SAMPLES + ["work/loudness/speech_stereo_60s.wav"]:
        path = os.path.join(ROOT, "samples", name) if "/" not in name else os.path.join(ROOT, "Benchmarks", name)
        scrim = json.loads(run([SCRIM, "loudness", "--json", path]).stdout.splitlines()[0])
        ff_i, ff_tp = ffmpeg_ebur128(path)
        py_i = float(run([PYTHON, "-c", PYLN_MEASURE, path]).stdout.split()[0])
        s_i = scrim["integratedLoudness"]
        print("| %s | %.3f | %.3f | %.3f | %+.3f | %+.3f | %.2f | %.1f |" % (
            os.path.basename(name), s_i, ff_i, py_i, s_i - ff_i, s_i - py_i, scrim["truePeak"], ff_tp))

    print("\n### `scrim normalize` on the samples: error measured on the output with `scrim loudness`\n")
    print("| sample | preset | gain dB | after LUFS | error LU | true peak dBTP | ceiling | limiter |")
    print("|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for name in SAMPLES:
        for preset, target, ceiling in PRESETS:
            dst = os.path.join(WORK, "n_" + name)
            report = json.loads(run([SCRIM, "normalize", "--json", "--overwrite", "--preset", preset,
                                     os.path.join(ROOT, "samples", name), "-o", dst]).stdout)
            after = json.loads(run([SCRIM, "loudness", "--json", dst]).stdout.splitlines()[0])
            error = after["integratedLoudness"] - target
            engaged = report["limiter"]["engaged"]
            if not engaged:
                worst = max(worst, abs(error))
            print("| %s | %s | %+.2f | %.3f | %+.3f | %.2f | %.0f | %s |" % (
                name, preset, report["gainDecibels"], after["integratedLoudness"], error, after["truePeak"],
                ceiling, "engaged, %d frames, %.2f dB" % (report["limiter"]["limitedFrames"],
                                                         report["limiter"]["deepestReductionDecibels"])
                if engaged else "not needed"))
    print("\nLargest |error| without limiting: %.3f LU." % worst)

    quiet, loud = (os.path.join(ROOT, "samples", n) for n in ("take_quiet.wav", "take_loud.wav"))
    matched = os.path.join(WORK, "matched")
    run([SCRIM, "match", "--together", "--overwrite", quiet, loud, "-o", matched])
    levels = [json.loads(line)["integratedLoudness"] for line in run(
        [SCRIM, "loudness", "--json", os.path.join(matched, "take_quiet.wav"),
         os.path.join(matched, "take_loud.wav")]).stdout.splitlines()[:2]]
    print("\n`scrim match --together take_quiet.wav take_loud.wav`: outputs measure %.3f and %.3f LUFS "
          "(%.3f LU apart; 14.0 LU before)." % (levels[0], levels[1], abs(levels[0] - levels[1])))

    ff = ffmpeg_loudnorm_two_pass(src, out)
    print("\nFFmpeg second pass on the 60 s file: output_i %s LUFS, output_tp %s dBTP, normalization_type %s."
          % (ff["output_i"], ff["output_tp"], ff["normalization_type"]))


if __name__ == "__main__":
    main()
