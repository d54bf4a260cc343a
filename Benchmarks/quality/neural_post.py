"""Post-processing on top of DeepFilterNet3 (issue 18, item 6): the numpy reference of the chosen algorithm.

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/neural_post.py IN_NOISY IN_DFN3 OUT --dfn3-reversed REV
    Benchmarks/.venv/py311/bin/python Benchmarks/quality/neural_post.py IN_NOISY IN_DFN3 OUT --dfn3-shifted SHIFTED
    Benchmarks/.venv/py311/bin/python Benchmarks/quality/neural_post.py IN_NOISY OUT --run-libdf file|stream|single

IN_NOISY is the noisy input, IN_DFN3 the network's output ALIGNED with it (libDF's output advanced by its 1440-sample
delay, as `dfn3_ref.py` writes it); both 48 kHz mono. Whole-file mode (the chosen algorithm) also needs REV, the
network's aligned output for the time-reversed input, reversed back; streaming mode SHIFTED, its aligned output for
the input delayed by 240 samples, advanced by 240; with neither, the forward pass alone is post-processed (not the
recommended mode). `--run-libdf` computes the passes with libDF itself (dfn3_ref.py). `--lsnr` (libDF's local SNR
per hop) is accepted but unused. The exact specification, with the reasons for every constant, is NEURAL.md beside
this file; `post()` below is the reference a Swift port is compared with sample by sample.
"""

from __future__ import annotations

import numpy as np

SR = 48000
N_FFT = 960
HOP = 480
N_BINS = N_FFT // 2 + 1


def vorbis_window(n: int = N_FFT) -> np.ndarray:
    """libDF's analysis/synthesis window (lib.rs:126-132), in float64: w[i] = sin(pi/2 sin^2(pi (i + 0.5) / n)).
    Power complementary at hop n/2: w[i]^2 + w[i + n/2]^2 = 1."""
    i = np.arange(n, dtype=np.float64)
    s = np.sin(np.pi * (i + 0.5) / n)
    return np.sin(0.5 * np.pi * s * s)


WINDOW = vorbis_window()


def stft(x: np.ndarray) -> np.ndarray:
    """Frames t = 0 .. T-1, T = ceil(len / 480) + 1; frame t is the window times samples [480 (t - 1), 480 (t + 1))
    (zeros outside the signal), then a 960-point real FFT without scaling: shape [T, 481]."""
    n = len(x)
    frames = -(-n // HOP) + 1
    padded = np.zeros((frames + 1) * HOP)
    padded[HOP: HOP + n] = x
    index = np.arange(frames)[:, None] * HOP + np.arange(N_FFT)[None, :]
    return np.fft.rfft(padded[index] * WINDOW, axis=1)


def istft(spec: np.ndarray, n: int) -> np.ndarray:
    """Inverse of stft(): inverse FFT of each frame, times the window, overlap-added at hop 480 (perfect
    reconstruction because the window is power complementary); the first 480 samples (before the signal) dropped."""
    frames = spec.shape[0]
    out = np.zeros((frames + 1) * HOP)
    blocks = np.fft.irfft(spec, N_FFT, axis=1) * WINDOW
    for t in range(frames):
        out[t * HOP: t * HOP + N_FFT] += blocks[t]
    return out[HOP: HOP + n]


def smooth_recursive(values: np.ndarray, alpha: float, init: np.ndarray | None = None) -> np.ndarray:
    """First-order recursive average over frames (axis 0): s[t] = alpha s[t-1] + (1 - alpha) v[t];
    s[-1] = init (default: v[0], so the first frame is its own estimate)."""
    out = np.empty_like(values)
    state = values[0].copy() if init is None else init.copy()
    for t in range(values.shape[0]):
        state = alpha * state + (1 - alpha) * values[t]
        out[t] = state
    return out


def alpha_for(tau_s: float) -> float:
    """Per-frame smoothing factor for a time constant tau_s at hop 480 (10 ms)."""
    return float(np.exp(-HOP / SR / tau_s)) if tau_s > 0 else 0.0



# ---------------------------------------------------------------- the chosen post-processor (NEURAL.md)

# Constants (NEURAL.md explains each; chosen on the DEV split, reported on DEV and TEST):
XI0_DB = 20.0          # a-priori SNR at which half of the noisy bin is mixed back (w = 0.5)
GATE_LO_DB = 6.0       # long-term SNR estimate below which nothing is mixed back (w = 0) ...
GATE_HI_DB = 16.0      # ... and above which the per-bin weight applies in full
TAU_RHO_S = 2.0        # time constant of the long-term energies behind that estimate
TAU_PSD_S = 0.04       # time constant of the smoothed removed-signal power |X - Y|^2
MIN_WINDOW_FRAMES = 100  # minimum statistics over the last 100 frames (1.0 s), the current one included
BIAS_DB = 3.0          # the minimum times 2 (3 dB) is the noise power estimate
ENSEMBLE_SHIFT = 240   # streaming ensemble: the second network instance sees the input 240 samples (half a hop) late
GUARD_START_DB = -10.0  # the guard: when the network keeps this much less than it removes over the take, it eases ...
GUARD_FULL_DB = -16.0   # ... linearly to passing the input through (w = 1) at this ratio (whole-file mode only)
EPS = 1e-20


def recursive(values: np.ndarray, alpha: float) -> np.ndarray:
    """s[t] = alpha s[t - 1] + (1 - alpha) v[t] over axis 0, with s[-1] = v[0] (the first frame starts the average)."""
    out = np.empty_like(values)
    state = values[0].copy()
    for t in range(values.shape[0]):
        state = alpha * state + (1.0 - alpha) * values[t]
        out[t] = state
    return out


def running_min(values: np.ndarray, frames: int) -> np.ndarray:
    """m[t] = min(values[max(0, t - frames + 1)], ..., values[t]) over axis 0."""
    out = np.empty_like(values)
    for t in range(values.shape[0]):
        out[t] = values[max(0, t - frames + 1): t + 1].min(axis=0)
    return out


def ensemble(y: np.ndarray, y_rev: np.ndarray | None = None, y_shift: np.ndarray | None = None) -> np.ndarray:
    """The network estimate the mix starts from: the mean of the forward pass and the time-reversed pass (whole-file
    mode), or of the forward pass and the half-hop-shifted pass (streaming mode), or the forward pass alone."""
    if y_rev is not None:
        return 0.5 * (y + y_rev)
    if y_shift is not None:
        return 0.5 * (y + y_shift)
    return y


def mix_weights(X: np.ndarray, Y: np.ndarray, whole_file: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(w [T, 481], rho [T]): the per-bin share of the removed signal X - Y that is put back, and the long-term SNR
    estimate (dB) that gates it. whole_file: apply the guard, which needs the kept-to-removed ratio of the whole
    file (two passes); the streaming mode has no guard."""
    D = X - Y
    d2 = D.real ** 2 + D.imag ** 2
    x2 = X.real ** 2 + X.imag ** 2
    y2 = Y.real ** 2 + Y.imag ** 2
    # noise power per bin: minimum statistics of the smoothed removed power, times 2 (3 dB)
    smoothed = recursive(d2, alpha_for(TAU_PSD_S))
    noise = np.maximum(10 ** (BIAS_DB / 10) * running_min(smoothed, MIN_WINDOW_FRAMES), EPS)
    # a-priori SNR of the noisy bin against that noise (power subtraction), and the soft switch
    xi = np.maximum(x2 - noise, 0.0) / noise
    r = xi / 10 ** (XI0_DB / 10)
    w = r / (1.0 + r)
    # long-term SNR: what the network kept against what it removed, over ~2 s
    alpha = alpha_for(TAU_RHO_S)
    ey = recursive(y2.sum(axis=1), alpha)
    ed = recursive(d2.sum(axis=1), alpha)
    rho = 10 * np.log10(np.maximum(ey, EPS) / np.maximum(ed, EPS))
    gate = np.clip((rho - GATE_LO_DB) / (GATE_HI_DB - GATE_LO_DB), 0.0, 1.0)
    w = w * gate[:, None]
    if whole_file:
        # the guard (the neural engine's babble guard): the same ratio over the whole take
        rho_g = 10 * np.log10(max(y2.sum(), EPS) / max(d2.sum(), EPS))
        guard = float(np.clip((GUARD_START_DB - rho_g) / (GUARD_START_DB - GUARD_FULL_DB), 0.0, 1.0))
        w = w + guard * (1.0 - w)
    return w, rho


def post(x: np.ndarray, y: np.ndarray, lsnr: np.ndarray | None = None, y_rev: np.ndarray | None = None,
         y_shift: np.ndarray | None = None) -> np.ndarray:
    """The post-processor. x: noisy input; y: DeepFilterNet3's output aligned with x (libDF's output advanced by
    1440 samples); y_rev: DFN3 run on x reversed in time, its aligned output reversed back (whole-file mode);
    y_shift: DFN3 run on x delayed by 240 samples, its aligned output advanced by 240 (streaming mode). lsnr (the
    network's per-hop local SNR) is accepted for interface stability but not used. Returns len(x) samples, aligned
    with x."""
    n = len(x)
    x = np.asarray(x, dtype=np.float64)
    ye = ensemble(np.asarray(y, dtype=np.float64)[:n],
                  None if y_rev is None else np.asarray(y_rev, dtype=np.float64)[:n],
                  None if y_shift is None else np.asarray(y_shift, dtype=np.float64)[:n])
    X, Y = stft(x), stft(ye)
    w, _ = mix_weights(X, Y, whole_file=y_rev is not None)
    return istft(Y + w * (X - Y), n)


def network_passes(x: np.ndarray, mode: str = "file", libdf=None) -> dict:
    """Runs libDF (dfn3_ref.LibDF) as the Swift engine runs its network: {'y', 'lsnr', and 'y_rev' (mode 'file') or
    'y_shift' (mode 'stream')}; mode 'single' is the forward pass only."""
    if libdf is None:
        from dfn3_ref import LibDF

        libdf = LibDF()
    y, lsnr = libdf.process(x)
    result = {"y": y, "lsnr": lsnr}
    if mode == "file":
        r, _ = libdf.process(np.ascontiguousarray(x[::-1]))
        result["y_rev"] = r[::-1].copy()
    elif mode == "stream":
        s, _ = libdf.process(np.concatenate([np.zeros(ENSEMBLE_SHIFT), x]))
        result["y_shift"] = s[ENSEMBLE_SHIFT:]
    elif mode != "single":
        raise ValueError(mode)
    return result


def main() -> int:
    import argparse

    import soundfile as sf

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("noisy")
    parser.add_argument("dfn3", nargs="?", help="DFN3 output aligned with the input (omit with --run-libdf)")
    parser.add_argument("out")
    parser.add_argument("--dfn3-reversed", help="DFN3 output of the time-reversed input, reversed back and aligned "
                        "(whole-file mode)")
    parser.add_argument("--dfn3-shifted", help="DFN3 output of the input delayed by 240 samples, advanced by 240 "
                        "(streaming mode)")
    parser.add_argument("--lsnr", help="per-hop local SNR, one value per line (not used by the algorithm)")
    parser.add_argument("--run-libdf", choices=["file", "stream", "single"],
                        help="run libDF here (dfn3_ref.py) instead of reading DFN3 outputs, in this mode")
    parser.add_argument("--write-network", help="with --run-libdf: also write the network passes here (a 2- or "
                        "3-channel float WAV: forward, and reversed or shifted)")
    args = parser.parse_args()
    x, rate = sf.read(args.noisy, dtype="float64", always_2d=True)
    x = x[:, 0]
    if rate != SR:
        parser.error(f"{args.noisy}: {rate} Hz, need {SR}")
    if args.run_libdf:
        passes = network_passes(x, args.run_libdf)
        if args.write_network:
            extra = [passes[k] for k in ("y_rev", "y_shift") if k in passes]
            sf.write(args.write_network, np.stack([passes["y"]] + extra, axis=1).astype(np.float32), SR,
                     subtype="FLOAT")
    else:
        if not args.dfn3:
            parser.error("give IN_DFN3 or --run-libdf")

        def load(path):
            return None if path is None else sf.read(path, dtype="float64", always_2d=True)[0][:, 0]

        passes = {"y": load(args.dfn3), "y_rev": load(args.dfn3_reversed), "y_shift": load(args.dfn3_shifted),
                  "lsnr": None if args.lsnr is None else np.loadtxt(args.lsnr)}
    out = post(x, passes["y"], passes.get("lsnr"), passes.get("y_rev"), passes.get("y_shift"))
    sf.write(args.out, out.astype(np.float32), SR, subtype="FLOAT")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
