#!/usr/bin/env python3
"""Writes fixtures/dfn3-dialogue.wav: the numpy reference of Scrim's dialogue mode (Benchmarks/quality/NEURAL.md,
`neural_post.post`, with libDF's libdeepfilter.so as the network) on a 2.5 s test take, for
Tests/ScrimTests/NeuralFileJobTests.swift to compare Scrim's Swift port with, sample by sample, without Python.

    Benchmarks/.venv/py311/bin/python Benchmarks/neural/dialogue_reference.py     # needs the quality venv and the
                                                                                # wheel unpacked at Benchmarks/.venv/dfslim

The take (seeded): 0.2 s of digital silence, then a harmonic "voice" (f0 gliding 110-220 Hz, 20 harmonics, a 4 Hz
syllable envelope with pauses) over pink-ish noise whose level steps down halfway (about 5 dB SNR, then about
25 dB), so that the long-term gate is shut in the first half and opens in the second. 48 kHz, stored as 32-bit
float, three channels: the input, the whole-file mode's output (forward + reversed network, guard) and the
streaming mode's output (a second network half a hop later, no guard), both aligned with the input.
"""
import os
import sys

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "quality"))

import neural_post  # noqa: E402

SR = 48000


def take(seconds=2.5, seed=20261207):
    rng = np.random.default_rng(seed)
    n = int(SR * seconds)
    t = np.arange(n) / SR
    f0 = 165.0 + 55.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voice = sum(np.sin(k * phase) / k for k in range(1, 21))
    envelope = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) ** 2 * (np.sin(2 * np.pi * 0.9 * t) > -0.3)
    white = rng.standard_normal(n)
    pink = np.cumsum(white) * 0.02
    pink -= np.convolve(pink, np.ones(480) / 480, mode="same")
    noise = 0.02 * (white * 0.3 + pink) * np.where(t < seconds / 2, 1.0, 0.1)
    x = 0.12 * voice * envelope + noise
    x[: int(0.2 * SR)] = 0.0
    return x.astype(np.float32).astype(np.float64)


def main():
    x = take()
    whole = neural_post.post(x, **without_lsnr(neural_post.network_passes(x, "file")))
    stream = neural_post.post(x, **without_lsnr(neural_post.network_passes(x, "stream")))
    out = os.path.join(HERE, "fixtures", "dfn3-dialogue.wav")
    sf.write(out, np.stack([x, whole, stream], axis=1).astype(np.float32), SR, subtype="FLOAT")
    print(f"wrote {out}: {len(x)} frames; whole-file output RMS {np.sqrt(np.mean(whole ** 2)):.4f}, "
          f"streaming {np.sqrt(np.mean(stream ** 2)):.4f}")


def without_lsnr(passes):
    return {"y": passes["y"], "y_rev": passes.get("y_rev"), "y_shift": passes.get("y_shift")}


if __name__ == "__main__":
    main()
