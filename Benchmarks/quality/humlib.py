"""The de-hum benchmark's hum model and its coherent measure of the hum a tool leaves (issue 19, item 1).

Phase track. Every hum of the de-hum corpus is built on an f0 *control track*: f0 values at a fixed control rate
(100 per second), stored in full precision in the file's JSON. The per-sample f0 is the control track linearly
interpolated at t = n / rate (`f0_per_sample`); the phase of the fundamental is phi[n] = 2 pi * cumsum(f0)[n] /
rate (`phase_track`), and harmonic k of the hum is A_k(t) cos(k phi[n] + theta_k). The corpus builds its hum
with these same two functions, so the bench's phase track is the generator's, sample for sample.

Coherent hum left (`coherent_hum_energy`). In each window w, the signal y (aligned to the input) is fitted by least
squares with the model

    y[n] ~ g_s s[n] + g_v v[n] + sum_k (a_k cos(k phi[n]) + b_k sin(k phi[n])),   n in w,

where s is the clean speech stem, v the noise stem (when the file has one), and k runs over the hum stem's
harmonic numbers. Speech and noise each get their own gain (g_s, g_v), so that neither a tool's level change of
the voice or of the noise, nor the voice and noise themselves, count as hum; what the hum columns take is the
part of y - g_s s - g_v v that is coherent with the true harmonics (in phase and quadrature) over the window. The
hum energy of window w is the energy of sum_k (a_k cos + b_k sin) over its samples. Hum left =
10 log10(sum over windows of the output's hum energy / sum over windows of the input's), so the input is 0 dB.

Windows: over the whole take, consecutive 0.5 s windows from the first sample, a last remainder shorter than
0.25 s joined to the window before it. In pauses: every pause run (the de-hum bench's pause mask) cut into equal
pieces of at most 0.5 s. The columns are scaled to unit norm and the normal equations are solved by least squares
with a relative singular-value cut of 1e-10, so a silent speech column (digital silence in the lead-in) drops
out instead of making the system singular.
"""

from __future__ import annotations

import numpy as np

CONTROL_RATE = 100.0  # f0 control points per second
WINDOW_SECONDS = 0.5


def f0_per_sample(control: np.ndarray, n: int, rate: int, control_rate: float = CONTROL_RATE) -> np.ndarray:
    """The per-sample f0 (Hz): the control track linearly interpolated at n / rate."""
    control = np.asarray(control, dtype=float)
    return np.interp(np.arange(n) / rate, np.arange(len(control)) / control_rate, control)


def phase_track(control: np.ndarray, n: int, rate: int, control_rate: float = CONTROL_RATE) -> np.ndarray:
    """Instantaneous phase (radians) of the fundamental: 2 pi cumsum(f0) / rate."""
    return 2 * np.pi * np.cumsum(f0_per_sample(control, n, rate, control_rate)) / rate


def take_windows(n: int, rate: int, seconds: float = WINDOW_SECONDS) -> list[tuple[int, int]]:
    """Consecutive windows of `seconds` from sample 0; a remainder under half a window joins the last one."""
    size = int(round(seconds * rate))
    edges = list(range(0, n, size)) + [n]
    if len(edges) > 2 and edges[-1] - edges[-2] < size // 2:
        del edges[-2]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def split_segments(segments: list[tuple[int, int]], rate: int,
                   seconds: float = WINDOW_SECONDS) -> list[tuple[int, int]]:
    """Each [start, end) cut into the fewest equal pieces of at most `seconds`."""
    size = int(round(seconds * rate))
    pieces = []
    for start, end in segments:
        count = max(1, -(-(end - start) // size))
        edges = np.linspace(start, end, count + 1).round().astype(int)
        pieces += [(int(edges[i]), int(edges[i + 1])) for i in range(count)]
    return pieces


def coherent_hum_energy(windows: list[tuple[int, int]], phase: np.ndarray, harmonics: list[int],
                        stems: list[np.ndarray], signals: list[np.ndarray]) -> np.ndarray:
    """For each signal, the energy of its fitted hum summed over the windows (see the module doc).

    Per window: basis B = [cos(k phi), sin(k phi) for every k] + the stems as columns; columns scaled to unit norm;
    coefficients = pinv(B'B) B'y (relative singular-value cut 1e-10); hum = the harmonic columns times their
    coefficients; energy = sum of hum^2 over the window. All signals share one basis per window."""
    totals = np.zeros(len(signals))
    if not signals or not windows:
        return totals
    k = np.asarray(harmonics, dtype=float)
    hum_columns = 2 * len(k)
    for start, end in windows:
        arg = np.outer(phase[start:end], k)
        basis = np.concatenate([np.cos(arg), np.sin(arg)] + [s[start:end, None] for s in stems], axis=1)
        norms = np.sqrt(np.einsum("ij,ij->j", basis, basis))
        scale = np.where(norms > 0, 1 / np.maximum(norms, 1e-300), 0.0)
        basis *= scale
        gram = basis.T @ basis
        y = np.stack([s[start:end] for s in signals], axis=1)
        coef = np.linalg.pinv(gram, rcond=1e-10, hermitian=True) @ (basis.T @ y)
        hum = basis[:, :hum_columns] @ coef[:hum_columns]
        totals += np.einsum("ij,ij->j", hum, hum)
    return totals


def hum_left_db(output_energy: float, input_energy: float) -> float:
    if not np.isfinite(output_energy) or input_energy <= 0:
        return float("nan")
    return float(10 * np.log10(max(output_energy / input_energy, 1e-30)))
