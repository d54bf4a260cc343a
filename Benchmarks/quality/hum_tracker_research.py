"""Research prototype (issue 19): a joint-harmonic phase tracker + coherent hum remover that works through speech.

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/hum_tracker_research.py --types all [--init json|detect]
        [--per-type N] [--jobs 2]

Method (details and constants in HUM-TRACKER.md):
1. Reference phase phi[n] = 2 pi f_ref n / fs (f_ref: the JSON's mean f0 with --init json, else a simple detector).
2. Demodulate every harmonic k (k f_ref < min(4 kHz, 0.45 fs)) by exp(-j k phi[n]) and take frame observations
   c_k[m] (Hann window of 2 periods, hop 10 ms) normalised so a hum a cos(k phi + theta) gives a e^{j theta}.
3. Bootstrap: a causal joint PLL over the frames (phase error = sum_k k Im(c_k e^{-jk d} conj(a_k)) / sum k^2 |a_k|^2,
   2nd-order loop on d, per-harmonic running means a_k), giving a first phase correction d[m].
4. Refinement (3 passes): re-demodulate with the corrected phase; per-harmonic complex amplitude A_k = weighted mean
   over the whole take (weights 1/local residual power: speech-covered frames count little), common gain g[m]
   (weighted, smoothed 0.3 s); per-frame phase-error measurement with variance from the weights; a 2-state
   (phase, frequency) Kalman filter + RTS smoother; the phase is corrected by the smoothed d.
5. Subtract hum[n] = sum_k Re(g(n) A_k e^{j k phi_hat[n]}).
Scored with humlib.coherent_hum_energy exactly as dehum_bench.py does (whole take, pauses), and qlib.si_sdr.
"""

from __future__ import annotations

import os

os.environ.update({k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import humlib  # noqa: E402
import qlib  # noqa: E402

HOP_SECONDS = 0.010
MAX_HZ = 4000.0
BOOT_TAU_S = 3.0      # bootstrap amplitude averaging time constant
BOOT_BN_HZ = 3.0      # bootstrap loop noise bandwidth (approx)
Q_PHASE = 1e-7        # rad^2 per frame (phase process noise)
Q_FREQ = 2e-6         # (rad/frame)^2 per frame (frequency random walk)
GAIN_SMOOTH_S = 0.3
BOOT = 'pll'
RESID_SMOOTH_FRAMES = 5
PASSES = 3
BOOT_LAG_FRAMES = 5     # lag D of the lag-product discriminator (50 ms)
BOOT_WINDOW_S = 0.2     # local averaging of the lag products
BOOT_RANGE_HZ = 1.5
BOOT_STEP_HZ = 0.01
BOOT_COH_POWER = 4
BOOT_SMOOTH_S = 0.15


# ----------------------------------------------------------------------------------------------------------------
def harmonics_for(f0: float, rate: int) -> np.ndarray:
    top = min(MAX_HZ, 0.45 * rate)
    return np.arange(1, int(top // f0) + 1)


def frame_geometry(n: int, rate: int, f_ref: float):
    L = int(round(2 * rate / f_ref))
    L += L % 2 == 0  # odd: symmetric about a centre sample
    hop = int(round(HOP_SECONDS * rate))
    starts = np.arange(0, n - L + 1, hop)
    centres = starts + L // 2
    w = np.hanning(L + 2)[1:-1]
    return L, hop, starts, centres, w


def demodulate(x: np.ndarray, phase: np.ndarray, ks: np.ndarray, L: int, hop: int, w: np.ndarray) -> np.ndarray:
    """c[m, k]: 2 sum_l w[l] x[s_m+l] e^{-j k phase[s_m+l]} / sum w  (hum a cos(k phase + th) -> a e^{j th})."""
    e1 = np.exp(-1j * phase)
    ek = np.ones_like(e1)
    wn = 2 * w / w.sum()
    out = []
    for _ in ks:
        ek = ek * e1
        z = x * ek
        frames = sliding_window_view(z, L)[::hop]
        out.append(frames @ wn)
    return np.stack(out, axis=1)


def synthesize(phase: np.ndarray, ks: np.ndarray, amp: np.ndarray, gain: np.ndarray) -> np.ndarray:
    e1 = np.exp(1j * phase)
    ek = np.ones_like(e1)
    hum = np.zeros(len(phase))
    for i, _ in enumerate(ks):
        ek = ek * e1
        hum += (amp[i] * ek).real
    return gain * hum


def smooth_frames(v: np.ndarray, frames: int) -> np.ndarray:
    if frames <= 1:
        return v
    k = np.ones(frames) / frames
    return np.apply_along_axis(lambda c: np.convolve(c, k, mode="same"), 0, v)


def gauss_weighted_smooth(val: np.ndarray, wt: np.ndarray, sigma_frames: float) -> np.ndarray:
    r = int(3 * sigma_frames) + 1
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
    num = np.convolve(val * wt, k, mode="same")
    den = np.convolve(wt, k, mode="same")
    return num / np.maximum(den, 1e-30)


# ----------------------------------------------------------------------------------------------------------------
def start_offset(c: np.ndarray, ks: np.ndarray, hop: int, rate: int, seconds: float = 0.5) -> float:
    """Frequency offset (Hz) of the hum over the first `seconds`: argmax over a 0.005 Hz grid of
    Re sum_k sum_m c_k[m] conj(c_k[m-D]) e^{-j k 2 pi f D hop / rate} (lag products summed, not normalised)."""
    D = BOOT_LAG_FRAMES
    M = max(D + 2, int(seconds * rate / hop))
    P = (c[D:M] * np.conj(c[:M - D])).sum(0)
    grid = np.arange(-BOOT_RANGE_HZ, BOOT_RANGE_HZ + 1e-9, 0.005)
    S = (P @ np.exp(-1j * np.outer(ks, 2 * np.pi * grid * D * hop / rate))).real
    return float(grid[int(np.argmax(S))])


def bootstrap_pll(c: np.ndarray, ks: np.ndarray, frames_per_s: float, nu0: float = 0.0) -> np.ndarray:
    """Causal joint PLL: returns the phase correction d[m] (radians of the fundamental)."""
    M, K = c.shape
    tau = BOOT_TAU_S * frames_per_s
    # 2nd-order loop, critically damped, natural freq from the noise bandwidth Bn = wn (zeta + 1/(4 zeta))/2
    zeta = 0.707
    wn = 2 * BOOT_BN_HZ / (zeta + 1 / (4 * zeta)) / frames_per_s  # rad/frame
    kp, ki = 2 * zeta * wn, wn * wn
    a = np.zeros(K, complex)
    pw = np.zeros(K)  # running residual power per harmonic
    d, nu = 0.0, nu0
    out = np.empty(M)
    kk = ks.astype(float)
    for m in range(M):
        d += nu
        r = c[m] * np.exp(-1j * kk * d)
        if m > 0:
            wgt = 1.0 / (pw + 1e-30)
            num = np.sum(wgt * kk * (r * np.conj(a)).imag)
            den = np.sum(wgt * kk * kk * np.abs(a) ** 2)
            err = num / den if den > 0 else 0.0
            err = float(np.clip(err, -0.5, 0.5))
            gate = min(1.0, m / (0.2 * frames_per_s))  # let the amplitudes build up before closing the loop
            d += kp * err * gate
            nu += ki * err * gate
            r = c[m] * np.exp(-1j * kk * d)
        mu = max(1.0 / (m + 1), 1.0 / tau)
        resid = np.abs(r - a) ** 2
        pw = resid if m == 0 else pw + (resid - pw) * max(1.0 / (m + 1), 1.0 / 5)
        a += mu * (r - a)
        out[m] = d
    return out


def bootstrap_freq(c: np.ndarray, ks: np.ndarray, hop: int, rate: int) -> np.ndarray:
    """Lag-product harmonic-sum frequency discriminator: per frame the offset f maximising
    Re sum_k P_k[m] e^{-j k 2 pi f D hop / rate}, P_k = local mean of c_k[m] conj(c_k[m-D]) normalised by the local
    mean of |c_k[m]| |c_k[m-D]| (each harmonic counts at most 1, so the voice's strong low partials do not dominate).
    Returns the phase correction d[m] (integral of the offset)."""
    fps = rate / hop
    D = BOOT_LAG_FRAMES
    prod = np.zeros_like(c)
    prod[D:] = c[D:] * np.conj(c[:-D])
    W = int(round(BOOT_WINDOW_S * fps)) | 1
    P = smooth_frames(prod, W)
    mag = smooth_frames(np.abs(prod), W)
    P = P / np.maximum(mag, 1e-30)
    grid = np.arange(-BOOT_RANGE_HZ, BOOT_RANGE_HZ + 1e-9, BOOT_STEP_HZ)
    E = np.exp(-1j * np.outer(ks, 2 * np.pi * grid * D * hop / rate))
    S = (P @ E).real
    i = np.clip(np.argmax(S, axis=1), 1, len(grid) - 2)
    r = np.arange(len(i))
    y0, y1, y2 = S[r, i - 1], S[r, i], S[r, i + 1]
    off = grid[i] + BOOT_STEP_HZ * 0.5 * (y0 - y2) / np.where(np.abs(y0 - 2 * y1 + y2) > 1e-12, y0 - 2 * y1 + y2, 1)
    off[:D] = off[D]
    # the product at frame m measures the offset over (m-D, m]: centre it
    coh = np.clip(S[r, i] / len(ks), 0, 1) ** BOOT_COH_POWER  # how hum-like (coherent over all k) the frame is
    off = np.roll(off, -D // 2)
    coh = np.roll(coh, -D // 2)
    off = gauss_weighted_smooth(off, coh + 1e-9, BOOT_SMOOTH_S * fps)
    return np.cumsum(2 * np.pi * off * hop / rate)


def kalman_rts(z: np.ndarray, R: np.ndarray) -> np.ndarray:
    """2-state (phase, phase increment per frame) Kalman filter + RTS smoother on measurements z with variances R."""
    M = len(z)
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    Q = np.diag([Q_PHASE, Q_FREQ])
    xs = np.zeros((M, 2)); Ps = np.zeros((M, 2, 2)); xp = np.zeros((M, 2)); Pp = np.zeros((M, 2, 2))
    x = np.zeros(2); P = np.diag([1.0, 1e-2])
    for m in range(M):
        x = F @ x; P = F @ P @ F.T + Q
        xp[m] = x; Pp[m] = P
        if np.isfinite(R[m]):
            S = P[0, 0] + R[m]
            K = P[:, 0] / S
            x = x + K * (z[m] - x[0])
            P = P - np.outer(K, P[0, :])
        xs[m] = x; Ps[m] = P
    for m in range(M - 2, -1, -1):
        G = Ps[m] @ F.T @ np.linalg.inv(Pp[m + 1])
        xs[m] = xs[m] + G @ (xs[m + 1] - xp[m + 1])
        Ps[m] = Ps[m] + G @ (Ps[m + 1] - Pp[m + 1]) @ G.T
    return xs[:, 0]


def estimate_amplitudes(c: np.ndarray, gain: np.ndarray, wgt: np.ndarray) -> np.ndarray:
    """A_k = sum_m w g c / sum_m w g^2 (weighted least squares of c_k[m] ~ g[m] A_k)."""
    return (wgt * gain[:, None] * c).sum(0) / np.maximum((wgt * gain[:, None] ** 2).sum(0), 1e-30)


def residual_weights(c: np.ndarray, model: np.ndarray) -> np.ndarray:
    resid = smooth_frames(np.abs(c - model) ** 2, RESID_SMOOTH_FRAMES)
    floor = np.median(resid, axis=0, keepdims=True)
    return 1.0 / (resid + 0.1 * floor + 1e-30)


def dehum(x: np.ndarray, rate: int, f_ref: float, gain_model: bool = True) -> tuple[np.ndarray, dict]:
    n = len(x)
    ks = harmonics_for(f_ref, rate)
    kk = ks.astype(float)
    L, hop, starts, centres, w = frame_geometry(n, rate, f_ref)
    fps = rate / hop
    t = np.arange(n)
    phase0 = 2 * np.pi * f_ref * t / rate
    # extend frame-rate corrections to every sample (linear interpolation, held at the ends)
    to_samples = lambda d: np.interp(t, centres, d)  # noqa: E731

    c = demodulate(x, phase0, ks, L, hop, w)
    if BOOT == 'freq':
        d = bootstrap_freq(c, ks, hop, rate)
    else:
        nu0 = 2 * np.pi * start_offset(c, ks, hop, rate) * hop / rate
        d = bootstrap_pll(c, ks, fps, nu0)
    phase = phase0 + to_samples(d)
    gain = np.ones(len(starts))
    for _ in range(PASSES):
        c = demodulate(x, phase, ks, L, hop, w)
        wgt = np.ones_like(c.real)
        amp = estimate_amplitudes(c, gain, wgt)
        for _ in range(2):  # reweight: speech-covered (harmonic, frame) cells count little
            wgt = residual_weights(c, gain[:, None] * amp)
            amp = estimate_amplitudes(c, gain, wgt)
            if gain_model:
                a2 = np.abs(amp) ** 2
                gw = (wgt * a2).sum(1)
                gm = (wgt * (c * np.conj(amp)).real).sum(1) / np.maximum(gw, 1e-30)
                gain = gauss_weighted_smooth(gm, gw, GAIN_SMOOTH_S * fps)
                amp = estimate_amplitudes(c, gain, wgt)
        model = gain[:, None] * amp
        info = wgt * kk * kk * np.abs(model) ** 2
        den = info.sum(1)
        z = (wgt * kk * (c * np.conj(model)).imag).sum(1) / np.maximum(den, 1e-30)
        R = 1.0 / np.maximum(2 * den, 1e-30)
        R *= 1.0 / np.median(R) * 1e-3  # R relative: median frame 1e-3 rad^2
        dd = kalman_rts(np.clip(z, -1, 1), R)
        phase = phase + to_samples(dd)
    c = demodulate(x, phase, ks, L, hop, w)
    wgt = residual_weights(c, gain[:, None] * amp)
    amp = estimate_amplitudes(c, gain, wgt)
    hum = synthesize(phase, ks, amp, to_samples(gain))
    f_track = f_ref + np.gradient(phase - phase0) * rate / (2 * np.pi)
    return x - hum, {"ks": len(ks), "f_track": f_track}


# ----------------------------------------------------------------------------------------------------------------
def detect_f0(x: np.ndarray, rate: int) -> float:
    """Simple detector: harmonic-sum over a 0.002 Hz grid in 49-51 and 59-61 Hz on a long zero-padded spectrum."""
    nfft = 1 << int(np.ceil(np.log2(len(x) * 4)))
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), nfft))
    df = rate / nfft
    best, best_f = -1.0, 60.0
    for lo in (49.0, 59.0):
        grid = np.arange(lo, lo + 2.0, 0.01)
        scores = []
        for f in grid:
            ks = np.arange(1, int(1000 // f) + 1)
            scores.append(np.sum(np.log(spec[np.round(ks * f / df).astype(int)] + 1e-12)) / len(ks))
        scores = np.array(scores)
        i = int(np.argmax(scores))
        # harmonic-sum of magnitudes (log) favours the mains family with a clear comb
        s = scores[i] - np.median(scores)
        if s > best:
            best, best_f = s, grid[i]
    return float(best_f)


def evaluate(item: dict, init: str) -> dict:
    folder = corpus.DEHUM_CORPUS_DIR
    params = json.loads((folder / f"{item['id']}.json").read_text())
    noisy, rate = qlib.read_mono(folder / item["noisy"])
    clean, _ = qlib.read_mono(folder / item["clean"])
    stems = [clean]
    if item["noise_stem"]:
        stems.append(qlib.read_mono(folder / item["noise_stem"])[0])
    n = len(clean)
    f_ref = float(params["f0_mean_hz"]) if init == "json" else detect_f0(noisy, rate)
    t0 = time.perf_counter()
    out, info = dehum(noisy, rate, f_ref)
    seconds = time.perf_counter() - t0
    pauses = qlib.pause_mask(clean, rate)
    pauses[: int(0.5 * rate)] = False
    segments = qlib.mask_segments(pauses, int(0.1 * rate))
    phase = humlib.phase_track(np.asarray(params["f0_control_hz"]), n, rate, params["f0_control_rate"])
    ks = params["harmonic_numbers"]
    whole = humlib.coherent_hum_energy(humlib.take_windows(n, rate), phase, ks, stems, [noisy, out])
    pieces = humlib.split_segments(segments, rate)
    paused = humlib.coherent_hum_energy(pieces, phase, ks, stems, [noisy, out]) if pieces else None
    f_true = humlib.f0_per_sample(np.asarray(params["f0_control_hz"]), n, rate, params["f0_control_rate"])
    return {"id": item["id"], "hum": item["hum"], "f_ref": f_ref, "f_mean": params["f0_mean_hz"],
            "hum_left_db": humlib.hum_left_db(whole[1], whole[0]),
            "hum_left_pause_db": humlib.hum_left_db(paused[1], paused[0]) if paused is not None else float("nan"),
            "si_sdr_i": qlib.si_sdr(clean, out) - qlib.si_sdr(clean, noisy),
            "f0_rms_err_hz": float(np.sqrt(np.mean((info["f_track"] - f_true)[rate:-rate] ** 2))),
            "seconds": seconds, "audio_seconds": n / rate}


def scrim_rows() -> dict:
    path = qlib.WORK_DIR / "results" / "dehum.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    rows = data if isinstance(data, list) else data.get("rows", [])
    return {r["id"]: r for r in rows if r.get("tool") == "scrim"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--types", default="all", help="comma-separated hum types, or all")
    ap.add_argument("--init", choices=["json", "detect"], default="json")
    ap.add_argument("--per-type", type=int, default=0, help="files per type (0 = all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, help="write per-file rows as JSON here")
    args = ap.parse_args()
    items = corpus.load_dehum(False)["files"]
    types = corpus.DEHUM_TYPES if args.types == "all" else args.types.split(",")
    chosen = []
    for h in types:
        these = [i for i in items if i["hum"] == h]
        chosen += these[: args.per_type] if args.per_type else these
    started = time.time()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(evaluate, chosen, [args.init] * len(chosen)))
    scrim = scrim_rows()
    print(f"{len(rows)} files, init={args.init}, {time.time() - started:.0f} s wall", file=sys.stderr)
    head = ("| hum | n | tracker whole | tracker pauses | tracker worst | scrim whole | scrim pauses | "
            "tracker SI-SDRi | scrim SI-SDRi | f0 rms err (Hz) | target |")
    print(head)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    allr = []
    for h in types:
        rs = [r for r in rows if r["hum"] == h]
        if not rs:
            continue
        allr += rs
        sc = [scrim[r["id"]] for r in rs if r["id"] in scrim]
        target = -45.0 if h in corpus.DEHUM_STEADY else -35.0
        whole = np.mean([r["hum_left_db"] for r in rs])
        worst = max(r["hum_left_db"] for r in rs)
        met = "met" if whole <= target and worst <= target else f"{target:g}: not met"

        def m(vals):
            vals = [v for v in vals if v is not None and np.isfinite(v)]
            return f"{np.mean(vals):.1f}" if vals else "-"
        print(f"| {h} | {len(rs)} | {whole:.1f} | {m([r['hum_left_pause_db'] for r in rs])} | {worst:.1f} | "
              f"{m([s['hum_left_db'] for s in sc])} | {m([s['hum_left_pause_db'] for s in sc])} | "
              f"{m([r['si_sdr_i'] for r in rs])} | {m([s['si_sdr_i'] for s in sc])} | "
              f"{np.mean([r['f0_rms_err_hz'] for r in rs]):.3f} | {met} |")
    sc = [scrim[r["id"]] for r in allr if r["id"] in scrim]
    print(f"| **all** | {len(allr)} | {np.mean([r['hum_left_db'] for r in allr]):.1f} | "
          f"{np.nanmean([r['hum_left_pause_db'] for r in allr]):.1f} | | "
          f"{np.mean([s['hum_left_db'] for s in sc]) if sc else float('nan'):.1f} | | "
          f"{np.mean([r['si_sdr_i'] for r in allr]):.2f} | | | |")
    secs = sum(r["seconds"] for r in rows)
    audio = sum(r["audio_seconds"] for r in rows)
    print(f"\nnumpy prototype: {audio / secs:.1f}x real time (one core, whole pipeline incl. 3 passes)")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
