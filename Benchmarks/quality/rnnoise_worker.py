"""RNNoise worker for the quality benchmarks; runs in the Python 3.12 venv (Benchmarks/.venv/py312).

Protocol: prints one JSON line {"backend": ...} at start; then for each JSON line {"in": path, "out": path}
on stdin it denoises the file and prints {"seconds": wall time of read + process + write} or {"error": ...}.

RNNoise works on 48 kHz mono in 480-sample frames with samples on the int16 scale (float in, float out).
The library used is the one shipped by the `pyrnnoise` wheel (an optimised build); if it cannot be loaded,
the one bundled with `rnnoisepy` is used instead. Frames are fed as float32 scaled by 32768 (no int16
quantisation); the last partial frame is zero-padded and the output trimmed to the input length.
"""

import ctypes
import json
import sys
import time

import numpy as np
import soundfile as sf

FRAME = 480


def load_library():
    try:
        from pyrnnoise import rnnoise as pr

        return pr.lib, "pyrnnoise " + _version("pyrnnoise")
    except Exception:  # noqa: BLE001 - fall back to the other wheel's library
        from importlib import resources

        lib = ctypes.CDLL(str(resources.files("rnnoisepy").joinpath("lib", "librnnoise.so")))
        lib.rnnoise_create.restype = ctypes.c_void_p
        lib.rnnoise_create.argtypes = [ctypes.c_void_p]
        lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        lib.rnnoise_process_frame.restype = ctypes.c_float
        lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
                                              ctypes.POINTER(ctypes.c_float)]
        return lib, "rnnoisepy " + _version("rnnoisepy")


def _version(name):
    import importlib.metadata as md

    return md.version(name)


def denoise(lib, src, dst):
    data, rate = sf.read(src, dtype="float32", always_2d=True)
    if rate != 48000 or data.shape[1] != 1:
        raise ValueError(f"RNNoise needs 48 kHz mono, got {rate} Hz x {data.shape[1]}")
    x = data[:, 0]
    count = len(x)
    padded = np.zeros(((count + FRAME - 1) // FRAME) * FRAME, dtype=np.float32)
    padded[:count] = x * 32768.0
    out = np.empty_like(padded)
    state = lib.rnnoise_create(None)
    try:
        f_ptr = ctypes.POINTER(ctypes.c_float)
        for start in range(0, len(padded), FRAME):
            frame_in = padded[start:start + FRAME]
            frame_out = out[start:start + FRAME]
            lib.rnnoise_process_frame(state, frame_out.ctypes.data_as(f_ptr), frame_in.ctypes.data_as(f_ptr))
    finally:
        lib.rnnoise_destroy(state)
    sf.write(dst, out[:count] / 32768.0, 48000, subtype="FLOAT")


def main():
    lib, backend = load_library()
    print(json.dumps({"backend": backend}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        try:
            start = time.perf_counter()
            denoise(lib, job["in"], job["out"])
            print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
        except Exception as error:  # noqa: BLE001 - reported to the parent, which records the failure
            print(json.dumps({"error": repr(error)}), flush=True)


if __name__ == "__main__":
    main()
