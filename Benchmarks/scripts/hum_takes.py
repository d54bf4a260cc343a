#!/usr/bin/env python3
"""Deterministic hum takes for the hum tracker's speed and sameness checks (issue 19 item 4).

    python3 Benchmarks/scripts/hum_takes.py OUTDIR [--seconds 35] [--rate 48000] [--types steady60,wobble50,...]

Writes OUTDIR/<type>_<seconds>s.wav (32-bit float mono). Needs numpy and espeak-ng (the voice: espeak-ng
sentences at 22.05 kHz, resampled here by linear interpolation; a voice only has to be a voice for these checks,
the quality corpus is Benchmarks/quality/corpus.py). The hum follows the corpus's types in spirit:

- steady60: 60 Hz mains, harmonics to 1 kHz at -20 log10 k dB, even ones 6 dB lower, 10 dB under the voice
- wobble50: 50 Hz mains, f0 swinging +-0.3 Hz with a 10 s period
- step60:   60 Hz mains, f0 stepping by 0.3 Hz within 0.5 s at 45 % of the take
- weak60:   60 Hz mains 22 dB under the voice
- am50:     50 Hz mains, level modulated 30 % at 0.5 Hz
- buzz60:   odd harmonics to 4 kHz (-10 log10 k dB), f0 swinging +-0.2 Hz with a 6 s period
- pink50:   50 Hz mains under pink noise at 10 dB SNR
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np

TYPES = ["steady60", "wobble50", "step60", "weak60", "am50", "buzz60", "pink50"]

SENTENCES = [
    "Please move the boom a little closer, we keep losing her voice under the air conditioning.",
    "Rolling on scene forty two, take three, and action when you are ready.",
    "I told you the generator was too close to the set, you can hear it in every line.",
    "Cut. Let us go again from the top, a little slower this time, and watch the door.",
]


def write_float_wav(path: Path, x: np.ndarray, rate: int) -> None:
    data = x.astype("<f4").tobytes()
    header = b"RIFF" + struct.pack("<I", 4 + 26 + 8 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHHH", 18, 3, 1, rate, rate * 4, 4, 32, 0)
    header += b"data" + struct.pack("<I", len(data))
    path.write_bytes(header + data)


def read_pcm16_wav(path: Path) -> tuple[np.ndarray, int]:
    raw = path.read_bytes()
    rate = struct.unpack("<I", raw[24:28])[0]
    i = 12
    while i < len(raw):
        tag, size = raw[i:i + 4], struct.unpack("<I", raw[i + 4:i + 8])[0]
        if tag == b"data":
            return np.frombuffer(raw[i + 8:i + 8 + size], dtype="<i2").astype(np.float64) / 32768, rate
        i += 8 + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def voice(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Sentences with 0.3-1.5 s pauses, starting after 1 s, scaled to about -26 dBFS RMS where active."""
    out = np.zeros(int(seconds * rate))
    with tempfile.TemporaryDirectory() as tmp:
        clips = []
        for n, text in enumerate(SENTENCES):
            wav = Path(tmp) / f"s{n}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
            y, r = read_pcm16_wav(wav)
            t = np.arange(int(len(y) * rate / r)) * (r / rate)
            clips.append(np.interp(t, np.arange(len(y)), y))
    position = rate
    n = 0
    while position < len(out):
        clip = clips[n % len(clips)]
        end = min(len(out), position + len(clip))
        out[position:end] += clip[:end - position]
        position = end + int(rng.uniform(0.3, 1.5) * rate)
        n += 1
    active = np.abs(out) > 1e-3
    rms = np.sqrt(np.mean(out[active] ** 2)) if active.any() else 1
    return out * (10 ** (-26 / 20) / rms)


def hum(kind: str, n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    base = 50.0 if kind.endswith("50") else 60.0
    f0 = np.full(n, base)
    if kind == "wobble50":
        f0 += 0.3 * np.sin(2 * np.pi * t / 10)
    elif kind == "step60":
        at, width = 0.45 * t[-1], 0.5
        f0 += 0.3 * np.clip((t - at) / width, 0, 1) ** 2 * (3 - 2 * np.clip((t - at) / width, 0, 1))
    elif kind == "buzz60":
        f0 += 0.2 * np.sin(2 * np.pi * t / 6)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = np.zeros(n)
    top = 4000 if kind == "buzz60" else 1000
    for k in range(1, int(top / base) + 1):
        if kind == "buzz60":
            level = 10 ** (-10 * np.log10(k) / 20) * (1 if k % 2 else 10 ** (-25 / 20))
        else:
            level = 10 ** (-20 * np.log10(k) / 20) * (1 if k % 2 else 0.5)
        x += level * np.cos(k * phase + 0.7 * k * k)
    if kind == "am50":
        x *= 1 + 0.3 * np.sin(2 * np.pi * 0.5 * t)
    return x


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum))
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0
    return np.fft.irfft(spectrum, n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seconds", type=float, default=35)
    parser.add_argument("--rate", type=int, default=48000)
    parser.add_argument("--types", default=",".join(TYPES))
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    rate = args.rate
    for kind in args.types.split(","):
        if kind not in TYPES:
            raise SystemExit(f"unknown type {kind} (use {', '.join(TYPES)})")
        rng = np.random.default_rng(19 + TYPES.index(kind))
        speech = voice(args.seconds, rate, rng)
        h = hum(kind, len(speech), rate)
        ratio_db = -22 if kind == "weak60" else -10
        rms = lambda v: np.sqrt(np.mean(v ** 2))
        h *= rms(speech) * 10 ** (ratio_db / 20) / rms(h)
        mix = speech + h
        if kind == "pink50":
            p = pink(len(mix), rng)
            mix += p * (rms(speech) * 10 ** (-10 / 20) / rms(p))
        mix *= 0.5 / max(1e-9, np.max(np.abs(mix))) if np.max(np.abs(mix)) > 0.5 else 1
        name = f"{kind}_{args.seconds:g}s.wav"
        write_float_wav(args.outdir / name, mix, rate)
        print(args.outdir / name)


if __name__ == "__main__":
    main()
