"""Research prototype (issue 19): a joint-harmonic phase tracker + coherent hum remover that works through speech.

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/hum_tracker_research.py --types all [--init json|detect]
        [--per-type N] [--jobs 2] [--loop v1|v2] [--stem] [--amp-window S]

--loop v1 reproduces the first prototype (the "previous prototype" tables in HUM-TRACKER.md); --stem runs on the hum
stem alone and prints the f0-error table (loop test).

Method (details and constants in HUM-TRACKER.md):
1. Reference phase phi[n] = 2 pi f_ref n / fs (f_ref: the JSON's mean f0 with --init json, else a simple detector).
2. Demodulate every harmonic k (k f_ref < min(4 kHz, 0.45 fs)) by exp(-j k phi[n]) and take frame observations
   c_k[m] (Hann window of 2 periods, hop 10 ms) normalised so a hum a cos(k phi + theta) gives a e^{j theta}.
3. Bootstrap (v2): a joint PLL over the frames, run forward and backward and fused by lock quality. Each harmonic's
   reference phase is frozen after a 0.3 s acquisition and only its magnitude adapts; the phase error is a comb ML
   search over delta (argmax Re sum_k w_k r_k conj(a_k) e^{-j k delta}); weights w_k come from phase-invariant
   evidence (long-term floor + local magnitude mismatch). (v1: linearised error, complex running means, residual
   weights: the loop opened on moving f0.)
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
Q_FREQ = 1e-4         # (rad/frame)^2 per frame (frequency random walk)
GAIN_SMOOTH_S = 0.3
AMP_WINDOW_S = 0.0    # step 3: local amplitude window (FWHM, s); 0 = one amplitude per harmonic per take
AMP_PRIOR = 0.5       # weight of the whole-take amplitude in each local window (frames' worth, relative)
BOOT = 'pll'
LOOP = 'v2'             # 'v1': the first prototype (old table); see set_loop()
DUAL_BOOT = 0           # 1: also refine from the v1 bootstrap and keep the lower-energy output (see dehum; measured: no net gain, 2x cost)
RESID_SMOOTH_FRAMES = 5
PASSES = 3
BOOT_LAG_FRAMES = 5     # lag D of the lag-product discriminator (50 ms)
BOOT_WINDOW_S = 0.2     # local averaging of the lag products
BOOT_RANGE_HZ = 1.5
BOOT_STEP_HZ = 0.01
BOOT_COH_POWER = 4
BOOT_SMOOTH_S = 0.15
START_EDGE_FALLBACK = 1  # start offset at the search edge -> use the nominal f0 instead
BOOT_ACQ_S = 0.3        # acquisition window: complex reference per harmonic, then its phase is frozen
BOOT_FLOOR_S = 3.0      # time constant of the long-term per-harmonic noise floor
BOOT_REL_FLOOR = 1.0    # floor relative to the harmonic's power (x 1e-3), keeps the weights finite on clean stems
BOOT_SPAN = 0.5         # comb search range of the per-frame phase error (rad of the fundamental)
BOOT_REACQ_S = 0.0      # lock-quality smoothing; below BOOT_REACQ_Q the loop re-acquires (0 = never; 0.5 hurt am/weak)
BOOT_REACQ_Q = 0.3
BOOT_BIDIR = 1         # run the bootstrap forward and backward and fuse (step 2)
BOOT_FUSE_S = 0.5       # smoothing of the lock quality used as fusion weight
BOOT_PHASE_TAU_S = 0.0  # >0: let each reference phase adapt with this time constant (0 = frozen)


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


def synthesize(phase: np.ndarray, ks: np.ndarray, amp: np.ndarray, gain: np.ndarray, to_samples=None) -> np.ndarray:
    e1 = np.exp(1j * phase)
    ek = np.ones_like(e1)
    hum = np.zeros(len(phase))
    for i, _ in enumerate(ks):
        ek = ek * e1
        ai = amp[i] if amp.ndim == 1 else to_samples(amp[:, i].real) + 1j * to_samples(amp[:, i].imag)
        hum += (ai * ek).real
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
    M = min(len(c), max(D + 2, int(seconds * rate / hop)))
    if M < D + 2:
        return 0.0
    P = (c[D:M] * np.conj(c[:M - D])).sum(0)
    grid = np.arange(-BOOT_RANGE_HZ, BOOT_RANGE_HZ + 1e-9, 0.005)
    S = (P @ np.exp(-1j * np.outer(ks, 2 * np.pi * grid * D * hop / rate))).real
    i = int(np.argmax(S))
    if START_EDGE_FALLBACK and (i < 5 or i > len(grid) - 6):
        return 0.0  # no interior peak (the window is speech, not hum): fall back to the nominal f0
    return float(grid[i])


def comb_error(r: np.ndarray, ref: np.ndarray, wgt: np.ndarray, kk: np.ndarray, span: float = 0.5) -> float:
    """ML phase error of the fundamental: argmax over delta in [-span, span] of
    Re sum_k wgt_k r_k conj(ref_k) e^{-j k delta} (coarse grid + parabolic refinement). Unlike the linearised
    sum_k k Im(r conj ref) / sum_k k^2 |ref|^2, high harmonics whose k*delta wraps still vote for the right delta."""
    v = wgt * r * np.conj(ref)
    grid = _comb_grid(span)
    S = (v @ _comb_matrix(kk, span)).real
    i = int(np.clip(np.argmax(S), 1, len(grid) - 2))
    y0, y1, y2 = S[i - 1], S[i], S[i + 1]
    den = y0 - 2 * y1 + y2
    step = grid[1] - grid[0]
    return float(grid[i] + (0.5 * step * (y0 - y2) / den if abs(den) > 1e-30 else 0.0))


_COMB_CACHE: dict = {}


def _comb_grid(span: float) -> np.ndarray:
    return np.linspace(-span, span, 2 * int(round(span / 0.004)) + 1)


def _comb_matrix(kk: np.ndarray, span: float) -> np.ndarray:
    key = (len(kk), float(kk[0]), span)
    if key not in _COMB_CACHE:
        _COMB_CACHE[key] = np.exp(-1j * np.outer(kk, _comb_grid(span)))
    return _COMB_CACHE[key]


def bootstrap_pll(c: np.ndarray, ks: np.ndarray, frames_per_s: float, nu0: float = 0.0,
                  hop: int = 0, rate: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Causal joint PLL: returns the phase correction d[m] (radians of the fundamental) and a per-frame confidence.

    Loop fix (issue 19, step 1): each harmonic's reference a_k = m_k u_k has its *phase* u_k frozen once the
    acquisition window (BOOT_ACQ_S) is over; inside the loop only the magnitude m_k is re-estimated, so a phase slip
    cannot be absorbed into a_k. The phase error is the comb ML search (comb_error), not the linearised ratio, so
    wrapped high harmonics do not cancel. Weights use only phase-invariant evidence: a long-term per-harmonic noise
    floor plus the local magnitude mismatch (|r_k| - m_k)^2 (voice shows up as a magnitude change; a phase slip does
    not), never the complex residual."""
    M, K = c.shape
    tau = BOOT_TAU_S * frames_per_s
    acq = max(3, int(BOOT_ACQ_S * frames_per_s))
    zeta = 0.707
    wn = 2 * BOOT_BN_HZ / (zeta + 1 / (4 * zeta)) / frames_per_s  # rad/frame
    kp, ki = 2 * zeta * wn, wn * wn
    kk = ks.astype(float)
    a = np.zeros(K, complex)
    u = np.ones(K, complex)
    mag = np.zeros(K)
    floor = np.zeros(K)     # long-term magnitude-mismatch power (noise floor)
    local = np.zeros(K)     # short-term magnitude-mismatch power
    d, nu = 0.0, nu0
    out = np.empty(M)
    conf = np.zeros(M)
    a_fl = 1.0 / (BOOT_FLOOR_S * frames_per_s)
    acq_start = 0
    qs = 1.0
    for m in range(M):
        d += nu
        r = c[m] * np.exp(-1j * kk * d)
        if m - acq_start < acq:  # acquisition: complex mean with the start-offset frequency
            a += (r - a) / (m - acq_start + 1)
            if m - acq_start == acq - 1:
                mag = np.abs(a)
                u = a / np.maximum(mag, 1e-30)
                floor = np.full(K, 1e-6) * np.maximum(mag ** 2, 1e-30)
            out[m] = d
            continue
        ref = mag * u
        mm = (np.abs(r) - mag) ** 2
        local += (mm - local) * 0.3
        wgt = 1.0 / (floor + local + 1e-3 * mag ** 2 * BOOT_REL_FLOOR + 1e-30)
        err = comb_error(r, ref, wgt, kk, BOOT_SPAN)
        d += kp * err
        nu += ki * err
        r = c[m] * np.exp(-1j * kk * d)
        proj = (r * np.conj(u)).real
        mag += (np.maximum(proj, 0.0) - mag) / tau
        floor += (mm - floor) * a_fl
        if BOOT_PHASE_TAU_S > 0:  # optional very slow phase adaptation of the references
            a2 = u + (r / np.maximum(np.abs(r), 1e-30) - u) / (BOOT_PHASE_TAU_S * frames_per_s) * (wgt * mag ** 2 > 0)
            u = a2 / np.maximum(np.abs(a2), 1e-30)
        v = wgt * r * np.conj(u)
        conf[m] = float(v.real.sum() / max(np.abs(v).sum(), 1e-30))  # lock quality: 1 = all harmonics in phase
        out[m] = d
        if BOOT_REACQ_S > 0:
            qs += (conf[m] - qs) / (BOOT_REACQ_S * frames_per_s)
        if BOOT_REACQ_S > 0 and hop and qs < BOOT_REACQ_Q and m + acq < M:
            # lost lock (e.g. acquired on speech): re-acquire, frequency from the next 0.5 s of lag products
            acq_start, a, qs = m + 1, np.zeros(K, complex), 1.0
            nu = 2 * np.pi * start_offset(c[m + 1:], ks, hop, rate) * hop / rate
    return out, conf


def bootstrap_pll_v1(c: np.ndarray, ks: np.ndarray, frames_per_s: float, nu0: float = 0.0) -> np.ndarray:
    """The first prototype's loop (kept to reproduce the old table with --loop v1): complex running-mean a_k and
    instantaneous-residual weights, which absorb a phase slip and open the loop on moving f0."""
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


def estimate_amplitudes(c: np.ndarray, gain: np.ndarray, wgt: np.ndarray, sigma_frames: float = 0.0) -> np.ndarray:
    """A_k = sum_m w g c / sum_m w g^2 (weighted least squares of c_k[m] ~ g[m] A_k) over the whole take, or, with
    sigma_frames > 0, over a Gaussian local window per frame (returns A[m, k]; step 3: follows slow real changes)."""
    num = wgt * gain[:, None] * c
    den = wgt * gain[:, None] ** 2
    if sigma_frames <= 0:
        return num.sum(0) / np.maximum(den.sum(0), 1e-30)
    r = int(3 * sigma_frames) + 1
    ker = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
    conv = lambda v: np.apply_along_axis(lambda col: np.convolve(col, ker)[r:r + len(col)], 0, v)  # noqa: E731
    glob = num.sum(0) / np.maximum(den.sum(0), 1e-30)
    # shrink towards the whole-take value where the local window holds little weight (speech-covered stretches)
    prior = AMP_PRIOR * np.median(den.sum(0)) / len(c) * ker.sum()
    return (conv(num.real) + 1j * conv(num.imag) + prior * glob) / np.maximum(conv(den) + prior, 1e-30)


def residual_weights(c: np.ndarray, model: np.ndarray) -> np.ndarray:
    resid = smooth_frames(np.abs(c - model) ** 2, RESID_SMOOTH_FRAMES)
    floor = np.median(resid, axis=0, keepdims=True)
    return 1.0 / (resid + 0.1 * floor + 1e-30)


def dehum(x: np.ndarray, rate: int, f_ref: float, gain_model: bool = True) -> tuple[np.ndarray, dict]:
    """v2 with DUAL_BOOT: refine from both the v1 and the v2 bootstrap and keep the output with less energy left
    (the v1 loop is effectively open, which suits steady hum under speech; v2 follows moving f0)."""
    global LOOP
    if LOOP != 'v2' or not DUAL_BOOT:
        return _dehum(x, rate, f_ref, gain_model)
    best = None
    for loop in ('v2', 'v1'):
        LOOP = loop
        try:
            out, info = _dehum(x, rate, f_ref, gain_model)
        finally:
            LOOP = 'v2'
        e = float(np.sum(out ** 2))
        if best is None or e < best[0]:
            best = (e, out, dict(info, boot=loop))
    return best[1], best[2]


def _dehum(x: np.ndarray, rate: int, f_ref: float, gain_model: bool = True) -> tuple[np.ndarray, dict]:
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
    elif LOOP == 'v1':
        d = bootstrap_pll_v1(c, ks, fps, 2 * np.pi * start_offset(c, ks, hop, rate) * hop / rate)
    else:
        nu0 = 2 * np.pi * start_offset(c, ks, hop, rate) * hop / rate
        d, q = bootstrap_pll(c, ks, fps, nu0, hop, rate)
        if BOOT_BIDIR:  # step 2: run backward too and fuse by smoothed lock quality (no hum-only lead-in needed)
            cb = c[::-1]
            nub = 2 * np.pi * start_offset(cb, ks, hop, rate) * hop / rate
            db, qb = bootstrap_pll(cb, ks, fps, nub, hop, rate)
            db, qb = db[::-1], qb[::-1]
            sm = lambda v: gauss_weighted_smooth(v, np.ones_like(v), BOOT_FUSE_S * fps)  # noqa: E731
            wf = np.clip(sm(q), 1e-3, 1) ** 4
            wb = np.clip(sm(qb), 1e-3, 1) ** 4
            # fuse the phase increments (the two phase references differ by an arbitrary constant)
            inc = (wf * np.diff(d, prepend=d[0]) + wb * np.diff(db, prepend=db[0])) / (wf + wb)
            d = np.cumsum(inc)
    phase = phase0 + to_samples(d)
    f_boot = f_ref + np.gradient(phase - phase0) * rate / (2 * np.pi)
    gain = np.ones(len(starts))
    sig = AMP_WINDOW_S * fps / 2.355  # FWHM -> sigma
    for _ in range(PASSES):
        c = demodulate(x, phase, ks, L, hop, w)
        wgt = np.ones_like(c.real)
        amp = estimate_amplitudes(c, gain, wgt, sig)
        for _ in range(2):  # reweight: speech-covered (harmonic, frame) cells count little
            wgt = residual_weights(c, gain[:, None] * amp)
            amp = estimate_amplitudes(c, gain, wgt, sig)
            if gain_model:
                a2 = np.abs(amp) ** 2
                gw = (wgt * a2).sum(1)
                gm = (wgt * (c * np.conj(amp)).real).sum(1) / np.maximum(gw, 1e-30)
                gain = gauss_weighted_smooth(gm, gw, GAIN_SMOOTH_S * fps)
                amp = estimate_amplitudes(c, gain, wgt, sig)
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
    amp = estimate_amplitudes(c, gain, wgt, sig)
    hum = synthesize(phase, ks, amp, to_samples(gain), to_samples)
    f_track = f_ref + np.gradient(phase - phase0) * rate / (2 * np.pi)
    return x - hum, {"ks": len(ks), "f_track": f_track, "f_boot": f_boot}


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


def set_loop(loop: str) -> None:
    """'v1' restores every constant of the first prototype (the 'previous prototype' table in HUM-TRACKER.md)."""
    global LOOP, Q_FREQ, START_EDGE_FALLBACK, BOOT_BIDIR, AMP_WINDOW_S
    LOOP = loop
    if loop == 'v1':
        Q_FREQ, START_EDGE_FALLBACK, BOOT_BIDIR, AMP_WINDOW_S = 2e-6, 0, 0, 0.0


def evaluate(item: dict, init: str, stem: bool = False, loop: str = 'v2', amp_window: float | None = None) -> dict:
    """stem=True: run on the hum stem alone (no voice, no noise) to test the tracking loop."""
    global AMP_WINDOW_S
    set_loop(loop)
    if amp_window is not None:
        AMP_WINDOW_S = amp_window
    folder = corpus.DEHUM_CORPUS_DIR
    params = json.loads((folder / f"{item['id']}.json").read_text())
    noisy, rate = qlib.read_mono(folder / item["noisy"])
    clean, _ = qlib.read_mono(folder / item["clean"])
    stems = [clean]
    if item["noise_stem"]:
        stems.append(qlib.read_mono(folder / item["noise_stem"])[0])
    if stem:
        noisy = qlib.read_mono(folder / item["hum_stem"])[0]
        stems = [np.zeros_like(clean)]
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
            "si_sdr_i": float("nan") if stem else qlib.si_sdr(clean, out) - qlib.si_sdr(clean, noisy),
            "f0_rms_err_hz": float(np.sqrt(np.mean((info["f_track"] - f_true)[rate:-rate] ** 2))),
            "f0_boot_err_hz": float(np.sqrt(np.mean((info["f_boot"] - f_true)[rate:-rate] ** 2))),
            "boot": info.get("boot", LOOP), "seconds": seconds, "audio_seconds": n / rate}


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
    ap.add_argument("--loop", choices=["v1", "v2"], default="v2",
                    help="v1 = the first prototype's loop and constants (old table); v2 = fixed loop (default)")
    ap.add_argument("--amp-window", type=float, default=None,
                    help="local amplitude window FWHM in s (step 3); default AMP_WINDOW_S (0 = whole take)")
    ap.add_argument("--stem", action="store_true", help="run on the hum stems alone (loop test, f0 error)")
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
        n = len(chosen)
        rows = list(pool.map(evaluate, chosen, [args.init] * n, [args.stem] * n, [args.loop] * n,
                             [args.amp_window] * n))
    scrim = scrim_rows()
    print(f"{len(rows)} files, init={args.init}, loop={args.loop}, {time.time() - started:.0f} s wall",
          file=sys.stderr)
    if args.stem:
        print("| hum (stem alone) | n | f0 rms err bootstrap (Hz) | f0 rms err final (Hz) | worst final (Hz) | "
              "hum left whole (dB) |")
        print("|---|---:|---:|---:|---:|---:|")
        for h in types:
            rs = [r for r in rows if r["hum"] == h]
            if rs:
                print(f"| {h} | {len(rs)} | {np.mean([r['f0_boot_err_hz'] for r in rs]):.3f} | "
                      f"{np.mean([r['f0_rms_err_hz'] for r in rs]):.3f} | "
                      f"{max(r['f0_rms_err_hz'] for r in rs):.3f} | {np.mean([r['hum_left_db'] for r in rs]):.1f} |")
        if args.out:
            args.out.write_text(json.dumps(rows, indent=1))
        return 0
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
