#!/usr/bin/env python3
"""How close `scrim normalize` lands to its target, by Scrim's own meter and by FFmpeg's ebur128.

Builds a set of takes (synthetic voices from espeak-ng and flite when installed, else a speech-like modulated
signal) over room tone, at integrated loudness from -50 to -12 LUFS and room tone 25 to 60 dB under the voice, so
that many takes have gating blocks that a gain lifts over the -70 LUFS absolute gate (BS.1770-4 section 5.1). Each
take is normalised to -23 LUFS (limiter idle: the ceiling is far away) twice:

* `solved`: `scrim normalize` as shipped (the gain solved against the gated first-pass measurement);
* `naive`: the same command given its own first pass back as `--measured` JSON, which keeps no blocks, so the gain
  is target - measured (what Scrim did before).

The output is measured with `scrim loudness --json` and with `ffmpeg -af ebur128` (0.1 LU display precision; its
figure is used to check independence, not the last hundredth). Writes a Markdown table to stdout, or to --out.

Usage: python3 Benchmarks/loudness/normalize_error.py --scrim .build/release/scrim [--out FILE] [--quick]
Standard library only, plus ffmpeg, and espeak-ng / flite if present.
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

RATE = 48_000
TARGET = -23.0


def read_wav_mono(path):
    with wave.open(path, "rb") as w:
        frames = w.readframes(w.getnframes())
        width = w.getsampwidth()
        channels = w.getnchannels()
        rate = w.getframerate()
    assert width == 2, path
    data = struct.unpack("<%dh" % (len(frames) // 2), frames)
    mono = [data[i] / 32768.0 for i in range(0, len(data), channels)]
    return mono, rate


def resample_linear(x, rate_in, rate_out):
    if rate_in == rate_out:
        return x
    n = int(len(x) * rate_out / rate_in)
    out = []
    for i in range(n):
        t = i * rate_in / rate_out
        j = int(t)
        f = t - j
        a = x[j] if j < len(x) else 0.0
        b = x[j + 1] if j + 1 < len(x) else 0.0
        out.append(a + (b - a) * f)
    return out


def voices(tmp, quick):
    """Speech stems at 48 kHz: synthetic voices when the synthesisers exist, else modulated harmonics."""
    lines = ["We missed the last train by four minutes, so we walked home in the rain.",
             "Keep the lights off. They are watching the street from the corner.",
             "Then we wait until morning, and nobody says a word about tonight."]
    stems = []
    engines = []
    if shutil.which("espeak-ng"):
        engines += [("espeak-ng", ["espeak-ng", "-v", v, "-w", "{out}", "{text}"]) for v in ("en-gb+m3", "en-us+f3")]
    if shutil.which("flite"):
        engines += [("flite", ["flite", "-voice", v, "-t", "{text}", "-o", "{out}"]) for v in ("slt", "awb")]
    for k, (name, template) in enumerate(engines[: 2 if quick else len(engines)]):
        out = os.path.join(tmp, f"voice{k}.wav")
        text = lines[k % len(lines)]
        subprocess.run([a.replace("{out}", out).replace("{text}", text) for a in template], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        x, rate = read_wav_mono(out)
        stems.append((f"{name} {template[2]}", resample_linear(x, rate, RATE)))
    if not stems:
        rng = random.Random(7)
        x = []
        for i in range(RATE * 6):
            t = i / RATE
            syllable = max(0.0, math.sin(2 * math.pi * 3.1 * t)) ** 2 * (1 if int(t / 1.3) % 3 else 0.2)
            f0 = 120 + 15 * math.sin(2 * math.pi * 0.7 * t)
            x.append(syllable * sum(math.sin(2 * math.pi * f0 * h * t) / h for h in range(1, 9)) * 0.2
                     + syllable * rng.gauss(0, 0.02))
        stems.append(("modulated harmonics", x))
    return stems


def write_take(path, voice, voice_gain_db, tone_db, seed, lead_in=1.0, tail=1.5):
    """Room tone (pink-ish noise at tone_db dBFS RMS) with the voice at voice_gain_db, 16-bit mono 48 kHz."""
    rng = random.Random(seed)
    n = int((lead_in + tail) * RATE) + len(voice)
    start = int(lead_in * RATE)
    g = 10 ** (voice_gain_db / 20)
    tone = 10 ** (tone_db / 20)
    b0 = b1 = b2 = 0.0
    out = bytearray()
    for i in range(n):
        white = rng.gauss(0, 1)
        b0 = 0.99765 * b0 + white * 0.0990460
        b1 = 0.96300 * b1 + white * 0.2965164
        b2 = 0.57000 * b2 + white * 1.0526913
        noise = (b0 + b1 + b2 + white * 0.1848) * 0.11 * tone
        s = noise + (g * voice[i - start] if start <= i < start + len(voice) else 0.0)
        out += struct.pack("<h", max(-32768, min(32767, int(round(s * 32767)))))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(out))


def scrim_loudness(scrim, path):
    line = subprocess.run([scrim, "loudness", path, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(line.splitlines()[0])["loudness"]["integratedLoudnessLufs"]


def ffmpeg_loudness(path):
    err = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", path, "-af", "ebur128", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    match = re.findall(r"I:\s+(-?[\d.]+) LUFS", err)
    return float(match[-1]) if match else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scrim", required=True)
    parser.add_argument("--out")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not shutil.which("ffmpeg"):
        sys.exit("ffmpeg is needed (apt-get install -y ffmpeg)")
    tmp = tempfile.mkdtemp(prefix="scrim-normerr-")
    rows = []
    stems = voices(tmp, args.quick)
    loudness_steps = [-48, -38, -30, -18] if args.quick else [-50, -45, -40, -35, -30, -25, -18, -12]
    tone_gaps = [30, 55] if args.quick else [25, 35, 45, 60]
    seed = 0
    for stem_name, voice in stems:
        peak = max(abs(s) for s in voice) or 1.0
        voice = [s / peak * 0.5 for s in voice]
        for level in loudness_steps:
            for gap in tone_gaps:
                seed += 1
                take = os.path.join(tmp, f"take{seed}.wav")
                # Put the voice near `level` LUFS: measure once at 0 dB gain, then scale.
                write_take(take, voice, 0, -120, seed)
                at0 = scrim_loudness(args.scrim, take)
                gain = level - at0
                write_take(take, voice, gain, level - gap, seed)
                measured = os.path.join(tmp, f"m{seed}.json")
                with open(measured, "w") as f:
                    f.write(subprocess.run([args.scrim, "loudness", take, "--json"], check=True,
                                           capture_output=True, text=True).stdout)
                result = {"stem": stem_name, "level": level, "gap": gap}
                for mode, extra in (("solved", []), ("naive", ["--measured", measured])):
                    out = os.path.join(tmp, f"out{seed}-{mode}.wav")
                    run = subprocess.run([args.scrim, "normalize", take, "-o", out, "--overwrite", "--json"] + extra,
                                         capture_output=True, text=True)
                    if run.returncode != 0:
                        result[mode] = None
                        continue
                    report = json.loads(run.stdout.splitlines()[0])["normalize"]
                    result[mode] = {"scrim": scrim_loudness(args.scrim, out) - TARGET,
                                    "ffmpeg": ffmpeg_loudness(out) - TARGET,
                                    "limiter": report["limiter"]["engaged"]}
                rows.append(result)
    shutil.rmtree(tmp, ignore_errors=True)

    def stats(mode, meter, subset):
        errors = [abs(r[mode][meter]) for r in subset if r.get(mode) and not math.isnan(r[mode][meter])]
        if not errors:
            return "-", "-"
        return f"{sum(errors) / len(errors):.3f}", f"{max(errors):.3f}"

    lines = ["# Normalisation error: `scrim normalize` to -23 LUFS", "",
             f"{len(rows)} takes: {len(stems)} voice(s) × input loudness {loudness_steps[0]} … {loudness_steps[-1]} "
             f"LUFS × room tone {', '.join(str(g) for g in tone_gaps)} dB under the voice; limiter idle in every "
             "case (ceiling -1 dBTP far above the peaks). Error = output loudness − target, in LU, absolute; mean "
             "and max. `solved`: the gain solved against the gated first pass (as shipped); `naive`: target − "
             "measured (the same run fed its own measurement back as `--measured` JSON, which keeps no blocks). "
             "FFmpeg's ebur128 prints 0.1 LU, so its column cannot show errors below about 0.05 LU.", "",
             "| takes | solved, Scrim meter (mean / max) | solved, FFmpeg ebur128 | naive, Scrim meter | "
             "naive, FFmpeg ebur128 |", "|---|---:|---:|---:|---:|"]
    groups = [("all", rows)]
    groups += [(f"input {lv} LUFS", [r for r in rows if r["level"] == lv]) for lv in loudness_steps]
    groups += [(f"room tone {g} dB under", [r for r in rows if r["gap"] == g]) for g in tone_gaps]
    for name, subset in groups:
        cells = [" / ".join(stats(m, meter, subset)) for m in ("solved", "naive") for meter in ("scrim", "ffmpeg")]
        lines.append(f"| {name} ({len(subset)}) | " + " | ".join(cells) + " |")
    engaged = sum(1 for r in rows if r.get("solved") and r["solved"]["limiter"])
    lines += ["", f"Limiter engaged on {engaged} of {len(rows)} takes (it must be idle for the 0.01 LU bound)."]
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
