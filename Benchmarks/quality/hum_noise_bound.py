"""The least hum any remover can leave under noise (issue 19): an oracle bound for the noise types of the de-hum corpus.

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/hum_noise_bound.py [--types hum_noise,hum_pink,hum_hvac]
                                                                             [--heldout]

For each file of the given types, the remover is handed everything a real one has to estimate: the exact phase of
the hum (the corpus's f0 control curve), which harmonics exist, and no voice at all (the input is hum + noise only,
the `/no-voice` case of dehum_bench.py). What it cannot be handed is the noise itself. It then fits every harmonic's
amplitude and phase by least squares over the whole take (the minimum-variance unbiased estimate for a steady hum in
noise: the error is the noise's own component at each harmonic, about (noise density x 1/T) against the harmonic's
power) and subtracts it:

- `whole-take LS`: every harmonic subtracted;
- `oracle shrink`: each harmonic's estimate scaled by the factor in [0, 1] that leaves the least of that harmonic,
  chosen knowing the true hum (a bound on any rule that keeps or scales harmonics by their significance).

A third figure puts the voice back (`voice-aware oracle`, ``voice_bound``): the input is the whole mixture, and the
remover is handed, besides the exact phase, how much of the voice and of the noise falls in every cell (a
Hann-windowed frame of F periods, hop F/4 periods, at every harmonic): exactly the knowledge a weighting by "where the
voice is" tries to estimate. Each harmonic's amplitude is then the mean of its cells weighted 1/(voice power in the
cell + the noise's mean power at that harmonic), the minimum-variance weighting when the voice and the noise in a
cell count as independent disturbances of known variance; the best of F = 2 (Scrim's frames), 4 and 8 periods is kept.
It shows how far a remover that tells voice from hum by where the voice's energy lies (Scrim's weighting among
them) can get with the voice there. It is not a proven bound: one frame length serves every harmonic and the voice
counts as independent disturbances, so another weighting could do a little better, and a remover that modelled the
voice's own partials could go lower.

The hum left is scored exactly as dehum_bench.py does (humlib.coherent_hum_energy over 0.5 s windows, the noise
stem as its own column, and the speech stem as well for the voice-aware figure), in dB re the input. Nothing in
Scrim is run: these are floors, not results. Steady types only (the hum's amplitude is constant over the take, so one
complex amplitude per harmonic is the right model).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import humlib  # noqa: E402
import qlib  # noqa: E402


def load(ident: str, folder: Path, stems: tuple[str, ...]) -> tuple[dict, float, list[np.ndarray], np.ndarray]:
    """The file's parameters, sample rate, the named stems (`hum`, `noise`, `clean`) as float64 cut to the shortest,
    and the hum's exact phase over them."""
    params = json.loads((folder / f"{ident}.json").read_text())
    loaded = [qlib.read_mono(folder / f"{ident}.{stem}.wav") for stem in stems]
    rate = loaded[0][1]
    n = min(len(samples) for samples, _ in loaded)
    signals = [samples[:n].astype(float) for samples, _ in loaded]
    phase = humlib.phase_track(np.asarray(params["f0_control_hz"]), n, rate, params["f0_control_rate"])
    return params, rate, signals, phase


def bound(ident: str, folder: Path) -> dict:
    params, rate, (hum, noise), phase = load(ident, folder, ("hum", "noise"))
    n = len(hum)
    y = hum + noise
    k = np.asarray(params["harmonic_numbers"], dtype=float)
    arg = np.outer(phase, k)
    basis = np.concatenate([np.cos(arg), np.sin(arg)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    true_coef, *_ = np.linalg.lstsq(basis, hum, rcond=None)
    ls_out = y - basis @ coef
    # Per harmonic (cos and sin columns together), the shrink factor that leaves the least of the true harmonic.
    K = len(k)
    alpha = np.zeros(K)
    for i in range(K):
        est = np.array([coef[i], coef[K + i]])
        tru = np.array([true_coef[i], true_coef[K + i]])
        alpha[i] = np.clip(float(est @ tru) / max(float(est @ est), 1e-300), 0.0, 1.0)
    shrunk = coef * np.concatenate([alpha, alpha])
    shrink_out = y - basis @ shrunk
    windows = humlib.take_windows(n, rate)
    energy = humlib.coherent_hum_energy(windows, phase, params["harmonic_numbers"], [noise], [y, ls_out, shrink_out])
    hum_power = float(np.mean(hum ** 2))
    noise_power = float(np.mean(noise ** 2))
    return {
        "id": ident,
        "hum": params["hum"],
        "seconds": n / rate,
        "humToNoiseDb": 10 * np.log10(hum_power / noise_power),
        "ls": humlib.hum_left_db(energy[1], energy[0]),
        "shrink": humlib.hum_left_db(energy[2], energy[0]),
    }


def voice_bound(ident: str, folder: Path, periods: tuple[int, ...] = (2, 4, 8)) -> float:
    """The voice-aware oracle (module docstring): hum left in dB re the input, the best over frame lengths."""
    params, rate, (clean, hum, noise), phase = load(ident, folder, ("clean", "hum", "noise"))
    n = len(clean)
    x = clean + hum + noise
    harmonics = params["harmonic_numbers"]
    period = rate / float(params["f0_mean_hz"])
    windows = humlib.take_windows(n, rate)
    best = np.inf
    for f in periods:
        length = int(f * period)
        hop = max(1, length // 4)
        window = np.hanning(length)
        starts = np.arange(0, n - length + 1, hop)
        estimate = np.zeros(n)
        for k in harmonics:
            rotor = np.exp(-1j * k * phase)

            def cells(signal: np.ndarray) -> np.ndarray:
                # Each frame's complex amplitude at harmonic k (a cosine of amplitude a and phase t gives a e^{it}).
                product = signal * rotor
                return np.array([product[s:s + length] @ window for s in starts]) * 2 / window.sum()

            voice, mixture, noise_cells = cells(clean), cells(x), cells(noise)
            weight = 1 / (np.abs(voice) ** 2 + np.mean(np.abs(noise_cells) ** 2) + 1e-30)
            amplitude = (weight * mixture).sum() / weight.sum()
            estimate += np.real(amplitude * np.exp(1j * k * phase))
        energy = humlib.coherent_hum_energy(windows, phase, harmonics, [clean, noise], [x, x - estimate])
        best = min(best, humlib.hum_left_db(energy[1], energy[0]))
    return float(best)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--types", default="hum_noise,hum_pink,hum_hvac")
    parser.add_argument("--heldout", action="store_true", help="the held-back set (corpus.build_dehum_heldout)")
    args = parser.parse_args()
    types = args.types.split(",")
    folder = corpus.DEHUM_HELDOUT_DIR if args.heldout else corpus.DEHUM_CORPUS_DIR
    idents = sorted(p.stem for p in folder.glob("*.json")
                    if json.loads(p.read_text()).get("hum") in types and (folder / f"{p.stem}.noise.wav").exists())
    print("| file | type | seconds | hum to noise (dB, broadband) | whole-take LS | oracle shrink | "
          "voice-aware oracle |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for ident in idents:
        r = bound(ident, folder)
        print(f"| {r['id']} | {r['hum']} | {r['seconds']:.1f} | {r['humToNoiseDb']:.1f} | {r['ls']:.1f} | "
              f"{r['shrink']:.1f} | {voice_bound(ident, folder):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
