"""Issue 18 item 6: post-processing on top of DeepFilterNet3, candidate comparison on the quality corpus.

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/neural_research.py [--jobs 2] [--candidates a,b] [--md OUT]

Steps (each cached under Benchmarks/work/neural/, so a second run only scores what is new):
1. For every noisy file of the corpus (corpus.py), libDF's DeepFilterNet3 output (dfn3_ref.py: the reference runtime,
   default C-API settings, no attenuation limit, latency removed) and its per-hop local SNR, plus variants a
   candidate asks for (attenuation limit, post-filter), and Scrim's spectral engine (`scrim denoise`, --scrim).
2. Every candidate post-processor (CANDIDATES below) turns (noisy x, DFN3 output y, lsnr, ...) into an output.
3. Each output is scored with the bench's own code (qlib: lag search +-50 ms and alignment, SI-SDR, PESQ-WB, STOI),
   per file; the tables give means per SNR bucket and per noise type, for the DEV split (utterances at even
   positions of corpus.UTTERANCES: 11 voices incl. the real voice r1) and the TEST split (odd positions: 10 voices
   incl. the real voice r2), which was not looked at while choosing constants.

Writes the tables to stdout (and --md FILE); per-file rows to Benchmarks/work/neural/results.json.
"""

from __future__ import annotations

import os

os.environ.update({k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                    "NUMEXPR_NUM_THREADS", "RAYON_NUM_THREADS")})

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import corpus  # noqa: E402
import neural_post  # noqa: E402
import qlib  # noqa: E402

WORK = qlib.BENCH_DIR / "work" / "neural"
CACHE = WORK / "cache"
METRICS = WORK / "metrics"
MAX_LAG_SECONDS = 0.050
SPLIT_OF = {u[0]: ("dev" if i % 2 == 0 else "test") for i, u in enumerate(corpus.UTTERANCES)}


# ---------------------------------------------------------------- inputs


def network_outputs(item: dict, x: np.ndarray, scrim: str | None, variant: str = "") -> dict:
    """{'y', 'lsnr', 'spectral'} for one file; variant '' = default libDF, 'lim<dB>' / 'pf<beta>' other settings."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{item['id']}{('.' + variant) if variant else ''}.npz"
    if path.exists():
        data = np.load(path)
        return {k: data[k].astype(np.float64) for k in data.files}
    from dfn3_ref import LibDF

    lim, beta = 100.0, 0.0
    if variant == "rev" or variant.startswith("shift"):
        from dfn3_ref import LibDF

        if variant == "rev":
            y, lsnr = LibDF().process(x[::-1].copy())
            y, lsnr = y[::-1].copy(), lsnr[::-1].copy()
        else:
            k = int(variant[5:])
            y, lsnr = LibDF().process(np.concatenate([np.zeros(k), x]))
            y = y[k:]
        np.savez(path, y=y.astype(np.float32), lsnr=lsnr.astype(np.float32))
        return {"y": y.astype(np.float32).astype(np.float64), "lsnr": lsnr}
    if variant.startswith("lim"):
        lim = float(variant[3:])
    elif variant.startswith("pf"):
        beta = float(variant[2:])
    y, lsnr = LibDF().process(x, lim, beta)
    result = {"y": y, "lsnr": lsnr}
    if not variant:
        if scrim is None:
            raise RuntimeError("the spectral engine's output is not cached: pass --scrim")
        tmp = CACHE / f"{item['id']}.spectral.wav"
        subprocess.run([scrim, "denoise", str(qlib.CORPUS_DIR / item["noisy"]), "-o", str(tmp), "--overwrite"],
                       check=True, capture_output=True)
        result["spectral"] = qlib.read_mono(tmp)[0]
        tmp.unlink()
    np.savez(path, **{k: v.astype(np.float32) for k, v in result.items()})
    return {k: v.astype(np.float32).astype(np.float64) for k, v in result.items()}


# ---------------------------------------------------------------- exploration
# The parametrised family the candidates were drawn from (neural_post.post is the chosen member, rewritten for
# clarity; the `chosen` candidates below check that both give the same output).


def sliding_min(values: np.ndarray, frames: int) -> np.ndarray:
    """m[t] = min(values[max(0, t - frames + 1) .. t]) over axis 0 (the last `frames` frames, the current one incl.)."""
    out = np.empty_like(values)
    for t in range(values.shape[0]):
        out[t] = values[max(0, t - frames + 1): t + 1].min(axis=0)
    return out


def explore_post(x: np.ndarray, y: np.ndarray, lsnr: np.ndarray | None = None, xi0_db: float = 16.0,
         tau_noise: float = 0.5, tau_speech: float = 0.0, w_max: float = 1.0, w_floor: float = 0.0,
         noise_mode: str = "diff", speech_mode: str = "y", exponent: float = 1.0, tau_psd: float = 0.04,
         min_window: float = 1.0, bias_db: float = 3.0, gate_lo: float | None = None, gate_hi: float = 16.0,
         tau_rho: float = 2.0, g_mix: float = 0.0, g_exp: float = 2.0, smooth_g: int = 0,
         kappa: float = 0.0, xi1_db: float = 0.0, g_cap: float = 0.0, guard: bool = False) -> np.ndarray:
    """out = ISTFT(Y + w (X - Y)), w = w_floor + (w_max - w_floor) r / (1 + r), r = (xi / xi0)^p per bin."""
    X, Y = neural_post.stft(x), neural_post.stft(y)
    D = X - Y
    d2 = np.abs(D) ** 2
    x2 = np.abs(X) ** 2
    y2 = np.abs(Y) ** 2
    bias = 10 ** (bias_db / 10)
    if noise_mode == "diff":
        noise = neural_post.recursive(d2, neural_post.alpha_for(tau_noise))
    elif noise_mode == "minstat_d":
        noise = bias * sliding_min(neural_post.recursive(d2, neural_post.alpha_for(tau_psd)), int(round(min_window * neural_post.SR / neural_post.HOP)))
    elif noise_mode == "minstat_x":
        noise = bias * sliding_min(neural_post.recursive(x2, neural_post.alpha_for(tau_psd)), int(round(min_window * neural_post.SR / neural_post.HOP)))
    else:
        raise ValueError(noise_mode)
    noise = np.maximum(noise, 1e-20)
    if speech_mode == "y":
        speech = y2
    elif speech_mode == "x":
        speech = np.maximum(x2 - noise, 0.0)
    elif speech_mode == "max":
        speech = np.maximum(y2, np.maximum(x2 - noise, 0.0))
    else:
        raise ValueError(speech_mode)
    if tau_speech > 0:
        speech = neural_post.recursive(speech, neural_post.alpha_for(tau_speech))
    xi = speech / noise
    xi0 = 10 ** (xi0_db / 10)
    r = (xi / xi0) ** exponent
    w = w_floor + (w_max - w_floor) * r / (1 + r)
    if gate_lo is not None:
        ey, ed = y2.sum(axis=1), d2.sum(axis=1)
        if tau_rho > 0:
            ey, ed = neural_post.recursive(ey, neural_post.alpha_for(tau_rho)), neural_post.recursive(ed, neural_post.alpha_for(tau_rho))
        else:
            ey, ed = np.full_like(ey, ey.sum()), np.full_like(ed, ed.sum())
        rho = 10 * np.log10(np.maximum(ey, 1e-20) / np.maximum(ed, 1e-20))
        w = w * np.clip((rho - gate_lo) / (gate_hi - gate_lo), 0.0, 1.0)[:, None]
    if g_cap > 0:  # restore only where the network kept something: w *= min(1, (|Y|/|X|) / g_cap)
        w = w * np.minimum(np.sqrt(y2 / np.maximum(x2, 1e-20)) / g_cap, 1.0)
    if guard:
        rho_g = 10 * np.log10(max(y2.sum(), 1e-20) / max(d2.sum(), 1e-20))
        w = w + float(np.clip((-10.0 - rho_g) / 6.0, 0.0, 1.0)) * (1.0 - w)
    if g_mix > 0:
        g = np.minimum(np.sqrt(y2 / np.maximum(x2, 1e-20)), 1.0)
        w = 1 - (1 - w) * (1 - g_mix * g ** g_exp)
    if smooth_g > 0:
        g = np.sqrt(y2 / np.maximum(x2, 1e-20))
        k = np.ones(2 * smooth_g + 1) / (2 * smooth_g + 1)
        gs = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 0, g)
        Y = Y * gs / np.maximum(g, 1e-9)
        D = X - Y
    if kappa > 0:
        xi_y = y2 / noise / 10 ** (xi1_db / 10)
        a = 1 - kappa / (1 + xi_y)
        return neural_post.istft(a * Y + w * D, len(x))
    return neural_post.istft(Y + w * D, len(x))


# ---------------------------------------------------------------- candidates
# Each candidate: f(x, net, params, get) -> output, where net = network_outputs(...) and get(variant) fetches
# another libDF variant for the same file.


def cand_input(x, net, p, get):
    return x


def cand_dfn3(x, net, p, get):
    return net["y"]


def cand_spectral(x, net, p, get):
    return net["spectral"]


def cand_limit(x, net, p, get):
    """A fixed attenuation limit: y + 10^(-L/20) (x - y) (what libDF's atten_lim does, linearly)."""
    l = 10 ** (-p["limit_db"] / 20)
    return net["y"] + l * (x - net["y"])


def cand_explore(x, net, p, get):
    """A member of the explored family (explore_post) on the forward pass, or on an ensemble of two passes
    (p["ensemble"] = "rev": mean with the time-reversed pass; "shift240": with the half-hop-shifted pass)."""
    p = dict(p)
    y = net["y"]
    other = p.pop("ensemble", None)
    if other:
        y = 0.5 * (y + get(other)["y"])
    if p.pop("plain", False):
        return y
    return explore_post(x, y, net["lsnr"], **p)


def cand_chosen(x, net, p, get):
    """neural_post.post, the chosen algorithm, in mode p["mode"]: file (forward + reversed pass), stream (forward +
    shifted pass) or single (forward pass only)."""
    mode = p["mode"]
    return neural_post.post(x, net["y"], net["lsnr"], y_rev=get("rev")["y"] if mode == "file" else None,
                            y_shift=get("shift240")["y"] if mode == "stream" else None)


CANDIDATES: dict[str, tuple] = {
    "input": (cand_input, {}),
    "dfn3": (cand_dfn3, {}),
    "spectral": (cand_spectral, {}),
    "lim24": (cand_limit, {"limit_db": 24.0}),
    "lim18": (cand_limit, {"limit_db": 18.0}),
    "lim12": (cand_limit, {"limit_db": 12.0}),
    # network ensembles alone
    "ens-rev": (cand_explore, {"ensemble": "rev", "plain": True}),
    "ens-shift": (cand_explore, {"ensemble": "shift240", "plain": True}),
    "postfilter": (cand_explore, {"ensemble": "pf0.02", "plain": True}),
    # mixing the noisy signal back on the forward pass: speech estimate |Y|^2, noise = smoothed |X - Y|^2
    "mixY-x16": (cand_explore, {"xi0_db": 16.0, "tau_noise": 2.0}),
    # ... noise by minimum statistics of |X - Y|^2, speech by power subtraction from |X|^2, no gate
    "mixX-x16": (cand_explore, {"xi0_db": 16.0, "noise_mode": "minstat_d", "speech_mode": "x"}),
    "mixX-x22": (cand_explore, {"xi0_db": 22.0, "noise_mode": "minstat_d", "speech_mode": "x"}),
    # ... gated by the long-term SNR estimate (6 -> 16 dB)
    "mixX-x22-gate": (cand_explore, {"xi0_db": 22.0, "noise_mode": "minstat_d", "speech_mode": "x",
                                     "gate_lo": 6.0, "gate_hi": 16.0}),
    # extra suppression of low-SNR bins (kappa) on top
    "mixX-x22-gate-k5": (cand_explore, {"xi0_db": 22.0, "noise_mode": "minstat_d", "speech_mode": "x",
                                        "gate_lo": 6.0, "gate_hi": 16.0, "kappa": 0.5}),
    # the gated mix on the ensembles
    "ens-rev+mix-x16": (cand_explore, {"ensemble": "rev", "xi0_db": 16.0, "noise_mode": "minstat_d",
                                       "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0}),
    "ens-rev+mix-x22": (cand_explore, {"ensemble": "rev", "xi0_db": 22.0, "noise_mode": "minstat_d",
                                       "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0}),
    "ens-rev+mix-x19": (cand_explore, {"ensemble": "rev", "xi0_db": 19.0, "noise_mode": "minstat_d",
                                       "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0}),
    "ens-rev+mix-x22-g12": (cand_explore, {"ensemble": "rev", "xi0_db": 22.0, "noise_mode": "minstat_d",
                                           "speech_mode": "x", "gate_lo": 4.0, "gate_hi": 12.0}),
    "ens-shift+mix-x20": (cand_explore, {"ensemble": "shift240", "xi0_db": 20.0, "noise_mode": "minstat_d",
                                         "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0}),
    "ens-rev+mix-x28": (cand_explore, {"ensemble": "rev", "xi0_db": 28.0, "noise_mode": "minstat_d",
                                       "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0}),
    # the chosen algorithm (neural_post.post): whole-file, streaming, and forward-only
    "chosen-file": (cand_chosen, {"mode": "file", "xi0_db": neural_post.XI0_DB,
                                  "guard": [neural_post.GUARD_START_DB, neural_post.GUARD_FULL_DB]}),
    "chosen-stream": (cand_chosen, {"mode": "stream"}),
    "chosen-single": (cand_chosen, {"mode": "single"}),
    # the whole-file mode with the switch capped by the network's own gain: w *= min(1, (|Y|/|X|) / 0.3)
    "chosen-file+cap.3": (cand_explore, {"ensemble": "rev", "xi0_db": 20.0, "noise_mode": "minstat_d",
                                         "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0, "guard": True,
                                         "g_cap": 0.3}),
    "chosen-file+cap.15": (cand_explore, {"ensemble": "rev", "xi0_db": 20.0, "noise_mode": "minstat_d",
                                          "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0, "guard": True,
                                          "g_cap": 0.15}),
    # the whole-file mode without its guard (the guard's contribution)
    "chosen-file-noguard": (cand_explore, {"ensemble": "rev", "xi0_db": 20.0, "noise_mode": "minstat_d",
                                           "speech_mode": "x", "gate_lo": 6.0, "gate_hi": 16.0}),
}


# ---------------------------------------------------------------- scoring


def score(item: dict, name: str, scrim: str | None) -> dict:
    clean, rate = qlib.read_mono(qlib.CORPUS_DIR / item["clean"])
    x, _ = qlib.read_mono(qlib.CORPUS_DIR / item["noisy"])
    net = network_outputs(item, x, scrim)
    function, params = CANDIDATES[name]
    start = time.perf_counter()
    out = function(x, net, params, lambda v: network_outputs(item, x, scrim, v))
    seconds = time.perf_counter() - start
    n = len(clean)
    lag = qlib.estimate_lag(clean, out, int(MAX_LAG_SECONDS * rate))
    aligned = qlib.align(out, lag, n)
    clean16, out16 = qlib.to_16k(clean, rate), qlib.to_16k(aligned, rate)
    return {"id": item["id"], "candidate": name, "utterance": item["utterance"], "noise": item["noise"],
            "snr_db": item["snr_db"], "split": SPLIT_OF[item["utterance"]], "source": item["source"], "lag": lag,
            "si_sdr": qlib.si_sdr(clean, aligned), "pesq_wb": qlib.pesq_wb(clean16, out16),
            "stoi": qlib.stoi_score(clean16, out16), "seconds": seconds, "audio_seconds": n / rate}


def _score_star(args):
    return score(*args)


def evaluate(names: list[str], items: list[dict], jobs: int, scrim: str | None, force: bool = False) -> list[dict]:
    """Per-file rows of every candidate (cached per candidate in work/neural/metrics/<name>.json, keyed by the
    candidate's parameters)."""
    import multiprocessing as mp

    METRICS.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    todo = []
    cached: dict = {}
    for name in names:
        path = METRICS / f"{name}.json"
        key = json.dumps(CANDIDATES[name][1], sort_keys=True) + CANDIDATES[name][0].__name__
        data = json.loads(path.read_text()) if path.exists() and not force else {}
        if data.get("key") != key:
            data = {"key": key, "rows": {}}
        cached[name] = data
        for item in items:
            if item["id"] in data["rows"]:
                rows.append(data["rows"][item["id"]])
            else:
                todo.append((item, name, scrim))
    if todo:
        print(f"scoring {len(todo)} outputs ...", file=sys.stderr)
        started = time.time()
        if jobs > 1:
            with mp.get_context("fork").Pool(jobs) as pool:
                fresh = pool.map(_score_star, todo, chunksize=4)
        else:
            fresh = [_score_star(t) for t in todo]
        print(f"  {time.time() - started:.0f} s", file=sys.stderr)
        for row in fresh:
            cached[row["candidate"]]["rows"][row["id"]] = row
            rows.append(row)
        for name in names:
            (METRICS / f"{name}.json").write_text(json.dumps(cached[name]))
    inputs = {r["id"]: r for r in rows if r["candidate"] == "input"}
    for r in rows:
        base = inputs.get(r["id"])
        if base:
            r["si_sdr_i"] = r["si_sdr"] - base["si_sdr"]
            r["stoi_minus_input"] = r["stoi"] - base["stoi"]
    return rows


# ---------------------------------------------------------------- tables


def means(rows, key, value):
    out: dict = {}
    for r in rows:
        v = r.get(value)
        if v is None or not np.isfinite(v):
            continue
        out.setdefault((r[key], r["candidate"]), []).append(v)
    return {k: float(np.mean(v)) for k, v in out.items()}


def bucket_table(rows: list[dict], names: list[str], split: str) -> str:
    sub = [dict(r, all="all") for r in rows if split == "all" or r["split"] == split]
    snrs = sorted({r["snr_db"] for r in sub})
    lines = [f"| {split} ({len({r['id'] for r in sub})} files) | "
             + " | ".join(f"{s} dB" for s in snrs) + " | all |", "|---|" + "---:|" * (len(snrs) + 1)]
    for metric, label, digits in (("si_sdr_i", "SI-SDR imp", 2), ("pesq_wb", "PESQ-WB", 3), ("stoi", "STOI", 4)):
        m = means(sub, "snr_db", metric)
        a = means(sub, "all", metric)
        for name in names:
            if metric == "si_sdr_i" and name == "input":
                mm = means(sub, "snr_db", "si_sdr")
                aa = means(sub, "all", "si_sdr")
                cells = [qlib.fmt(mm.get((s, name), float("nan")), digits) for s in snrs] + [
                    qlib.fmt(aa.get(("all", name), float("nan")), digits)]
                lines.append(f"| {label}: input (SI-SDR itself) | " + " | ".join(cells) + " |")
                continue
            cells = [qlib.fmt(m.get((s, name), float("nan")), digits) for s in snrs] + [
                qlib.fmt(a.get(("all", name), float("nan")), digits)]
            lines.append(f"| {label}: {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def noise_table(rows: list[dict], names: list[str], split: str, metric: str, digits: int) -> str:
    sub = [r for r in rows if split == "all" or r["split"] == split]
    noises = [n for n in corpus.NOISE_TYPES if any(r["noise"] == n for r in sub)]
    m = means(sub, "noise", metric)
    lines = ["| noise | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for n in noises:
        lines.append(f"| {n} | " + " | ".join(qlib.fmt(m.get((n, c), float("nan")), digits) for c in names) + " |")
    return "\n".join(lines)


def verdict(rows: list[dict], names: list[str], split: str) -> str:
    """Per candidate: worst margin over the SNR buckets against dfn3 (each metric), and the worst STOI margin
    against the input over the buckets and the noise types (bucket means), and files below the input's STOI."""
    sub = [r for r in rows if split == "all" or r["split"] == split]
    lines = [f"| {split}: candidate | min over SNR buckets of (cand - dfn3): SI-SDR imp | PESQ-WB | STOI | "
             "min over buckets and noise types of (STOI - input STOI) | files below input STOI | pass |",
             "|---|---:|---:|---:|---:|---:|:---:|"]
    snr_m = {metric: means(sub, "snr_db", metric) for metric in ("si_sdr_i", "pesq_wb", "stoi")}
    noise_m = means(sub, "noise", "stoi")
    snrs = sorted({r["snr_db"] for r in sub})
    noises = sorted({r["noise"] for r in sub})
    for name in names:
        if name in ("input", "dfn3"):
            continue
        margins = [min(snr_m[m].get((s, name), np.nan) - snr_m[m].get((s, "dfn3"), np.nan) for s in snrs)
                   for m in ("si_sdr_i", "pesq_wb", "stoi")]
        stoi_margin = min([snr_m["stoi"].get((s, name), np.nan) - snr_m["stoi"].get((s, "input"), np.nan)
                           for s in snrs] + [noise_m.get((n, name), np.nan) - noise_m.get((n, "input"), np.nan)
                                             for n in noises])
        below = sum(1 for r in sub if r["candidate"] == name and r.get("stoi_minus_input", 0) < 0)
        total = sum(1 for r in sub if r["candidate"] == name)
        ok = all(v > 0 for v in margins) and stoi_margin >= 0
        lines.append(f"| {name} | {margins[0]:+.3f} | {margins[1]:+.3f} | {margins[2]:+.4f} | {stoi_margin:+.4f} | "
                     f"{below} of {total} | {'yes' if ok else 'no'} |")
    return "\n".join(lines)


def extra_snr_check(snrs: list[float], jobs: int) -> str:
    """Outside the corpus SNRs: for each noise type, the corpus's first utterance with it, remixed at each SNR in snrs
    (same noise realisation, same SNR definition), through libDF (forward and reversed), scored for DFN3, the chosen
    whole-file mode and its capped variant. One file per type and SNR: a spot check, not a benchmark."""
    import multiprocessing as mp
    import tempfile

    from dfn3_ref import LibDF

    manifest = json.loads((qlib.CORPUS_DIR / "manifest.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        talkers = [corpus.set_active_level(corpus.speech(e, v, t, Path(tmp), fit=False)[0], qlib.ACTIVE_LEVEL_DBFS)
                   for _, e, v, t in corpus.BABBLE_TALKERS]
    pairs: dict = {}
    for item in manifest["denoise"]:
        pairs.setdefault(item["noise"], item)
    libdf = LibDF()
    work = []
    for kind, item in pairs.items():
        clean, _ = qlib.read_mono(qlib.CORPUS_DIR / item["clean"])
        mask = qlib.active_mask(clean)
        noise, _ = corpus.make_noise(kind, len(clean), item["noise_seed"], talkers)
        ps, pn = np.mean(clean[mask] ** 2), np.mean(noise[mask] ** 2)
        for snr in snrs:
            x = clean + np.sqrt(ps / (pn * 10 ** (snr / 10))) * noise
            y, _ = libdf.process(x)
            r, _ = libdf.process(np.ascontiguousarray(x[::-1]))
            work.append((kind, snr, clean, x, y, r[::-1].copy()))
    with mp.get_context("fork").Pool(jobs) as pool:
        results = pool.map(_extra_score, work)
    names = ["input", "dfn3", "chosen-file", "chosen-file+cap.15"]
    lines = ["| SNR | noise | ρ_file (dB) | " + " | ".join(f"{n}: SI-SDR / PESQ / STOI" for n in names) + " |",
             "|---|---|---:|" + "---:|" * len(names)]
    for snr in snrs:
        sub = [r for r in results if r[1] == snr]
        for kind, _, rho, scores in sub:
            lines.append(f"| {snr:g} dB | {kind} | {rho:.1f} | " + " | ".join(
                f"{scores[n][0]:.2f} / {scores[n][1]:.3f} / {scores[n][2]:.3f}" for n in names) + " |")
        mean = {n: np.mean([r[3][n] for r in sub], axis=0) for n in names}
        lines.append(f"| {snr:g} dB | **mean** | | " + " | ".join(
            f"**{mean[n][0]:.2f} / {mean[n][1]:.3f} / {mean[n][2]:.4f}**" for n in names) + " |")
    return "\n".join(lines)


def _extra_score(job):
    kind, snr, clean, x, y, y_rev = job
    clean16 = qlib.to_16k(clean, qlib.SAMPLE_RATE)
    outputs = {"input": x, "dfn3": y, "chosen-file": neural_post.post(x, y, None, y_rev=y_rev),
               "chosen-file+cap.15": explore_post(x, 0.5 * (y + y_rev), None, xi0_db=20.0, noise_mode="minstat_d",
                                                  speech_mode="x", gate_lo=6.0, gate_hi=16.0, guard=True,
                                                  g_cap=0.15)}
    scores = {}
    for name, out in outputs.items():
        out16 = qlib.to_16k(out, qlib.SAMPLE_RATE)
        scores[name] = (qlib.si_sdr(clean, out), qlib.pesq_wb(clean16, out16), qlib.stoi_score(clean16, out16))
    X, Y = neural_post.stft(x), neural_post.stft(0.5 * (y + y_rev))
    rho = 10 * np.log10(np.sum(np.abs(Y) ** 2) / np.sum(np.abs(X - Y) ** 2))
    return kind, snr, rho, scores


SUMMARY = ["input", "dfn3", "chosen-file", "chosen-stream", "spectral"]


def summary(rows: list[dict]) -> str:
    """The compact tables of NEURAL.md: input, DFN3, the chosen algorithm (whole-file and streaming modes) and
    Scrim's spectral engine, per SNR bucket (dev, test, all) and per noise type (all files, and dev/test STOI)."""
    names = [n for n in SUMMARY if any(r["candidate"] == n for r in rows)]
    out = []
    for split in ("dev", "test", "all"):
        out += [f"#### {split}: per SNR bucket", "", bucket_table(rows, names, split), ""]
    out += ["#### Verdict (both splits and all files)", ""]
    for split in ("dev", "test", "all"):
        out += [verdict(rows, names, split), ""]
    for metric, label, digits in (("si_sdr_i", "SI-SDR improvement (dB)", 2), ("pesq_wb", "PESQ-WB", 3),
                                  ("stoi", "STOI", 4)):
        out += [f"#### All files: {label} by noise type", "", noise_table(rows, names, "all", metric, digits), ""]
    for split in ("dev", "test"):
        out += [f"#### {split}: STOI by noise type", "", noise_table(rows, names, split, "stoi", 4), ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--split", default="dev,test", help="dev, test, all (comma-separated)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scrim", default=str(Path(".build/release/scrim")),
                        help="scrim executable for the spectral engine's output (only needed when not cached)")
    parser.add_argument("--noise-tables", action="store_true", help="also print per-noise-type tables")
    parser.add_argument("--md", type=Path, help="also write the tables here")
    parser.add_argument("--force", action="store_true", help="re-score even when cached")
    parser.add_argument("--summary", type=Path, help="also write NEURAL.md's compact tables here")
    parser.add_argument("--extra-snrs", help="instead: the spot check outside the corpus SNRs, e.g. -5,15")
    args = parser.parse_args()
    if args.extra_snrs:
        text = extra_snr_check([float(v) for v in args.extra_snrs.split(",")], args.jobs)
        print(text)
        if args.md:
            args.md.write_text(text + "\n")
        return 0
    names = [n.strip() for n in args.candidates.split(",") if n.strip()]
    for base in ("input", "dfn3"):
        if base not in names:
            names.insert(0 if base == "input" else 1, base)
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidates {unknown}; known: {list(CANDIDATES)}")
    manifest = qlib.load_manifest(False, len(corpus.UTTERANCES), corpus.build, corpus.PLAN)
    splits = [s.strip() for s in args.split.split(",")]
    items = [i for i in manifest["denoise"] if "all" in splits or SPLIT_OF[i["utterance"]] in splits]
    scrim = str(Path(args.scrim).resolve()) if Path(args.scrim).exists() else None
    # network outputs first, one process (libDF), so the scoring pool only reads the cache
    for item in items:
        if not (CACHE / f"{item['id']}.npz").exists():
            network_outputs(item, qlib.read_mono(qlib.CORPUS_DIR / item["noisy"])[0], scrim)
    rows = evaluate(names, items, args.jobs, scrim, args.force)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(rows))
    out = []
    for split in splits:
        out += [f"### {split}: means per SNR bucket", "", bucket_table(rows, names, split), "",
                verdict(rows, names, split), ""]
        if args.noise_tables:
            for metric, label, digits in (("si_sdr_i", "SI-SDR improvement", 2), ("pesq_wb", "PESQ-WB", 3),
                                          ("stoi", "STOI", 4)):
                out += [f"#### {split}: {label} by noise type", "", noise_table(rows, names, split, metric, digits),
                        ""]
    text = "\n".join(out)
    print(text)
    if args.md:
        args.md.write_text(text + "\n")
    if args.summary:
        args.summary.write_text(summary(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
