"""Rumble and wind benchmark: `scrim dewind` against FFmpeg's `highpass` and `afftdn` on speech with wind gusts and
traffic rumble; writes Benchmarks/quality/WIND.md.

Run with the benchmark venv (numpy, scipy, soundfile, pesq):
    Benchmarks/.venv/py311/bin/python Benchmarks/quality/wind_bench.py --scrim .build/release/scrim

Corpus (built here, deterministic, under Benchmarks/work/quality/wind_corpus/): speech from corpus.py's voices
(espeak-ng, flite and the real ALSA voices), active level -26 dBFS, 1.0 s of silence before and 0.5 s after, at
44.1, 48 or 96 kHz (the voices rotate through the rates), plus one fault per file:
- clean: nothing added (the untouched-on-clean check).
- gust-light / gust-strong: wind gusts, i.e. brown noise low-passed at 200 Hz (2nd order, as corpus.py's wind)
  under a gust envelope of raised-cosine bursts 0.4-1.5 s long at about 0.4 per second, each of random strength
  (0.5-1 of the peak); the gusts' peak RMS is 5 dB (light) or 15 dB (strong) above the speech's active RMS.
- gust-fast: short gusts (0.15-0.4 s) at about 1.5 per second, peak 10 dB over the speech.
- rumble: traffic rumble, i.e. corpus.py's traffic noise (brown noise low-passed at 250 Hz under passing-vehicle
  swells, tyre hiss 20 dB down) plus an idling engine (firing frequency 25-35 Hz wandering 2 %, harmonics 1-3),
  10 dB under the speech (SNR +10 dB over speech-active frames).
- poly-gust: two tracks, the same voice on both (track 2 at -3 dB and 1.3 ms later, as a second microphone),
  independent gusts on each track (gust-strong's recipe, own seeds and times).
Metrics against the clean speech (each output aligned by cross-correlation first): SI-SDR (whole file), PESQ
wide band (P.862.2, at 16 kHz), and the low band left under wind: the energy below 200 Hz of the output in the
gusts (where the true gust envelope is above half its peak; for rumble the whole file), in dB re the input's
same energy. Tools: the input itself; scrim (dewind defaults: the 80 Hz 12 dB/octave high-pass where the detection
pass finds rumble + wind reducer); scrim-wind (--highpass off); scrim-hp (--no-wind: the auto high-pass alone);
scrim-hp-always and scrim-hp-min (--no-wind --highpass always, linear and minimum phase); ffmpeg-hp80
(highpass=f=80, the same 2-pole filter);
ffmpeg-hp150 (highpass=f=150, a common wind-cut setting); afftdn (afftdn=nr=12:nf=-50:tn=1, tracking noise).
Detection: per type, the files whose high-pass the detection pass switched on (hits, misses, false alarms) and the
range of its measure. Wide clean set (built here too, under wind_clean_wide/): every corpus.py voice plus three
espeak-ng male voices at pitch 0 (fundamentals 62-72 Hz), each at 44.1, 48 and 96 kHz, through `scrim dewind` and
`--no-wind`: SI-SDR against the input and whether the output is bit-identical.
Speed: scrim dewind on 60 s of 48 kHz mono speech + gusts (and on 60 s of clean speech), file to file on /dev/shm,
one core (taskset -c 0): CPU time by `perf stat -e task-clock` (mean of 5) and wall time, beside the other modes
and `scrim info` in the same run.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfilt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import qlib  # noqa: E402

WORK = qlib.WORK_DIR
CORPUS = WORK / "wind_corpus"
OUT = WORK / "wind_out"
RESULTS = WORK / "results"
TABLE = qlib.QUALITY_DIR / "WIND.md"
RATES = [48000, 44100, 96000]
VOICES = ["u1", "u2", "u3", "u4", "r1", "u6", "u7", "u8", "u10", "u13", "r2", "u17"]
TYPES = ["clean", "gust-light", "gust-strong", "gust-fast", "rumble", "poly-gust"]
TOOLS = ["input", "scrim", "scrim-wind", "scrim-hp", "scrim-hp-always", "scrim-hp-min", "ffmpeg-hp80", "ffmpeg-hp150",
         "afftdn"]
# The wide clean set: every corpus voice, plus three espeak-ng male voices at the lowest pitch (-p 0), each at
# 44.1, 48 and 96 kHz: the high-pass in auto mode must leave them alone.
WIDE = WORK / "wind_clean_wide"
LOW_VOICES = [("low1", "en-us+m3"), ("low2", "en-gb+m1"), ("low3", "de+m2")]
LOW_TEXT = "The director wants one more take before the light fades behind the western hills, so keep rolling."
PLAN = {"version": 3, "voices": VOICES, "types": TYPES, "rates": RATES}


def resample(x: np.ndarray, rate: int, from_rate: int) -> np.ndarray:
    if rate == from_rate:
        return x.copy()
    g = gcd(rate, from_rate)
    return resample_poly(x, rate // g, from_rate // g)


def gust_envelope(rng: np.random.Generator, n: int, rate: int, per_second: float, length: tuple[float, float],
                  start_at: float) -> tuple[np.ndarray, int]:
    """Raised-cosine bursts at Poisson times (after start_at s), strengths 0.5-1; peak 1. Returns (env, count)."""
    t = np.arange(n) / rate
    env = np.zeros(n)
    duration = n / rate
    count = 0
    s = start_at + rng.exponential(1 / per_second)
    if s >= duration - 1.0:  # every gusty file has at least one gust
        s = start_at + rng.uniform(0, max(0.1, duration - 2.0))
    while s < duration - 0.3:
        width = rng.uniform(*length)
        strength = rng.uniform(0.5, 1.0)
        m = (t >= s) & (t < s + width)
        env[m] = np.maximum(env[m], strength * np.sin(np.pi * (t[m] - s) / width) ** 2)
        count += 1
        s += width + rng.exponential(1 / per_second)
        if count == 0 and s >= duration - 0.3:  # every gusty file has at least one gust: start over earlier
            s = start_at + rng.uniform(0, max(0.1, duration - 2.0))
    return env, count


def wind_at(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Unit-RMS brown noise low-passed at 200 Hz (2nd order), made at 48 kHz and resampled."""
    n48 = int(np.ceil(n * qlib.SAMPLE_RATE / rate)) + 64
    x = sosfilt(butter(2, 200, fs=qlib.SAMPLE_RATE, output="sos"), corpus.shaped_noise(rng, n48, 2.0, low_cut=10.0))
    y = resample(x, rate, qlib.SAMPLE_RATE)[:n]
    return y / corpus.rms(y)


def rumble_at(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    n48 = int(np.ceil(n * qlib.SAMPLE_RATE / rate)) + 64
    traffic, _ = corpus.traffic_noise(rng, n48)
    t = np.arange(n48) / qlib.SAMPLE_RATE
    firing = rng.uniform(25, 35) * (1 + 0.02 * corpus.smooth_random(rng, n48, 0.2))
    engine = sum(a * corpus.tone(firing * k, n48, rng.uniform(0, 2 * np.pi)) for k, a in ((1, 1.0), (2, 0.6), (3, 0.3)))
    engine *= 1 + 0.3 * np.sin(2 * np.pi * 0.15 * t)
    x = traffic / corpus.rms(traffic) + 0.7 * engine / corpus.rms(engine)
    y = resample(x, rate, qlib.SAMPLE_RATE)[:n]
    return y / corpus.rms(y)


def active_rms(clean: np.ndarray, rate: int) -> float:
    frame = int(0.02 * rate)
    levels = qlib.frame_rms(clean, frame)
    active = levels >= levels.max() * 10 ** (-40 / 20)
    mask = np.repeat(active, frame)[: len(clean)]
    mask = np.concatenate([mask, np.zeros(len(clean) - len(mask), bool)])
    return float(np.sqrt(np.mean(clean[mask] ** 2)))


def build(rebuild: bool) -> dict:
    manifest_path = CORPUS / "manifest.json"
    if manifest_path.exists() and not rebuild:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("plan") == PLAN:
            return manifest
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    CORPUS.mkdir(parents=True)
    table = {u[0]: u for u in corpus.UTTERANCES}
    files = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for index, voice in enumerate(VOICES):
            _, engine, name, text = table[voice]
            x, _ = corpus.speech(engine, name, text, tmp, fit=engine != "alsa")
            x = corpus.set_active_level(x, qlib.ACTIVE_LEVEL_DBFS)
            sr48 = qlib.SAMPLE_RATE
            x = np.concatenate([np.zeros(int(qlib.LEAD_IN_SECONDS * sr48)), x, np.zeros(int(qlib.TAIL_SECONDS * sr48))])
            rate = RATES[index % len(RATES)]
            clean = resample(x, rate, sr48)
            n = len(clean)
            speech_rms = active_rms(clean, rate)
            for kind in TYPES:
                rng = np.random.default_rng(qlib.seed_for("wind", voice, kind))
                info = {"voice": voice, "type": kind, "rate": rate}
                if kind == "clean":
                    tracks, cleans, envs = [clean], [clean], [np.zeros(n)]
                    info["gusts"] = 0
                elif kind.startswith("gust") or kind == "poly-gust":
                    recipe = {"gust-light": (0.4, (0.4, 1.5), 5.0), "gust-strong": (0.4, (0.4, 1.5), 15.0),
                              "gust-fast": (1.5, (0.15, 0.4), 10.0), "poly-gust": (0.4, (0.4, 1.5), 15.0)}[kind]
                    per_second, length, over_db = recipe
                    count = 2 if kind == "poly-gust" else 1
                    delay = int(round(0.0013 * rate))
                    second = 10 ** (-3 / 20) * np.concatenate([np.zeros(delay), clean[:-delay]])
                    cleans = [clean, second][:count]
                    tracks, envs, counts = [], [], []
                    for c in range(count):
                        env, found = gust_envelope(rng, n, rate, per_second, length, start_at=0.3)
                        wind = wind_at(rng, n, rate) * env * speech_rms * 10 ** (over_db / 20)
                        tracks.append(cleans[c] + wind)
                        envs.append(env)
                        counts.append(found)
                    info["gusts"] = counts
                    info["gust_peak_db_re_speech"] = over_db
                else:  # rumble
                    noise = rumble_at(rng, n, rate) * speech_rms * 10 ** (-10 / 20)
                    tracks, cleans, envs = [clean + noise], [clean], [np.ones(n)]
                    info["gusts"] = 0
                    info["snr_db"] = 10
                mix = np.stack(tracks, axis=1)
                if np.abs(mix).max() >= 1:
                    mix *= 0.9 / np.abs(mix).max()
                    scale = 0.9 / max(np.abs(np.stack(tracks, 1)).max(), 1e-9)
                    cleans = [c * scale for c in cleans]
                    info["scaled"] = scale
                fid = f"{voice}_{kind}_{rate // 100 / 10:g}k"
                sf.write(CORPUS / f"{fid}.wav", mix.astype(np.float32), rate, subtype="FLOAT")
                np.save(CORPUS / f"{fid}.clean.npy", np.stack(cleans, 1).astype(np.float32))
                np.save(CORPUS / f"{fid}.env.npy", np.stack(envs, 1).astype(np.float32))
                info["id"] = fid
                files.append(info)
    manifest = {"plan": PLAN, "files": files}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    return manifest


def low_voice(voice: str, tmp: Path) -> np.ndarray:
    """espeak-ng at pitch 0 (its lowest), 48 kHz float via SoX, trimmed as corpus.py trims."""
    raw, resampled = tmp / "low.wav", tmp / "low48.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-p", "0", "-s", "150", "-w", str(raw), LOW_TEXT], check=True)
    subprocess.run(["sox", str(raw), "-b", "32", "-e", "floating-point", str(resampled), "rate", "-v",
                    str(qlib.SAMPLE_RATE)], check=True)
    x, _ = qlib.read_mono(resampled)
    return corpus.trim(x)


def median_f0(x: np.ndarray, rate: int) -> float:
    """Median fundamental over voiced 40 ms frames (within 30 dB of the loudest), by autocorrelation, 50-400 Hz."""
    y = to16k(x, rate)
    n, hop = 640, 320
    frames = [y[i:i + n] for i in range(0, len(y) - n, hop)]
    levels = np.array([np.sum(f * f) for f in frames])
    f0s = []
    for f, e in zip(frames, levels):
        if e < levels.max() * 1e-3:
            continue
        f = f - f.mean()
        ac = np.correlate(f, f, "full")[n - 1:]
        lo, hi = 16000 // 400, 16000 // 50
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.3 * ac[0]:
            f0s.append(16000 / lag)
    return float(np.median(f0s)) if f0s else float("nan")


def build_wide() -> list[dict]:
    manifest_path = WIDE / "manifest.json"
    plan = {"version": 1, "voices": [u[0] for u in corpus.UTTERANCES], "low": LOW_VOICES, "rates": RATES}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("plan") == plan:
            return manifest["files"]
    if WIDE.exists():
        shutil.rmtree(WIDE)
    WIDE.mkdir(parents=True)
    files = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        voices = [(u[0], u[1], u[2], lambda u=u: corpus.speech(u[1], u[2], u[3], tmp, fit=u[1] != "alsa")[0])
                  for u in corpus.UTTERANCES]
        voices += [(name, "espeak -p 0", voice, lambda v=voice: low_voice(v, tmp)) for name, voice in LOW_VOICES]
        for name, engine, voice, make in voices:
            x = corpus.set_active_level(make(), qlib.ACTIVE_LEVEL_DBFS)
            sr48 = qlib.SAMPLE_RATE
            x = np.concatenate([np.zeros(int(qlib.LEAD_IN_SECONDS * sr48)), x, np.zeros(int(qlib.TAIL_SECONDS * sr48))])
            f0 = median_f0(x, sr48)
            for rate in RATES:
                y = resample(x, rate, sr48)
                fid = f"{name}_{rate // 100 / 10:g}k"
                sf.write(WIDE / f"{fid}.wav", y.astype(np.float32), rate, subtype="FLOAT")
                files.append({"id": fid, "voice": name, "engine": engine, "name": voice, "rate": rate,
                              "f0Hz": round(f0, 1)})
    manifest_path.write_text(json.dumps({"plan": plan, "files": files}, indent=1))
    return files


def run_wide(scrim: str) -> list[dict]:
    """Each wide clean file through `scrim dewind` (defaults) and `--no-wind` (the auto high-pass alone): SI-SDR
    against the input, whether the output is bit-identical, and the detection's figures."""
    files = build_wide()
    out = OUT / "wide"
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for info in files:
        src = WIDE / f"{info['id']}.wav"
        x, rate = sf.read(src, dtype="float32")
        row = dict(info)
        for tool in ("scrim", "scrim-hp"):
            dst = out / f"{info['id']}.{tool}.wav"
            report = run_tool(tool, scrim, src, dst)
            y, _ = sf.read(dst, dtype="float32")
            row[f"{tool}-identical"] = bool(len(y) == len(x) and np.array_equal(x, y))
            row[f"{tool}-sdr"] = qlib.si_sdr(x.astype(np.float64), y.astype(np.float64))
            detection = report["wind"]["highpass"]["detection"]["track"][0]
            row["applied"] = report["wind"]["highpass"]["applied"]
            row["ratioDb"] = detection["lowBandReVoiceDb"]
        rows.append(row)
        print(f"{info['id']:14s} f0 {info['f0Hz']:6.1f} ratio {row['ratioDb']} applied {row['applied']} "
              f"sdr {row['scrim-sdr']:.1f} / {row['scrim-hp-sdr']:.1f} identical {row['scrim-hp-identical']}",
              flush=True)
    return rows


def run_tool(tool: str, scrim: str | None, src: Path, dst: Path) -> dict | None:
    if tool == "input":
        shutil.copy(src, dst)
        return None
    if tool.startswith("scrim"):
        extra = {"scrim": [], "scrim-wind": ["--highpass", "off"], "scrim-hp": ["--no-wind"],
                 "scrim-hp-always": ["--no-wind", "--highpass", "always"],
                 "scrim-hp-min": ["--no-wind", "--highpass", "always", "--phase", "minimum"]}[tool]
        out = subprocess.run([scrim, "dewind", str(src), "-o", str(dst), "--overwrite", "--json", *extra],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return json.loads(out.stdout.splitlines()[0])
    filt = {"ffmpeg-hp80": "highpass=f=80", "ffmpeg-hp150": "highpass=f=150",
            "afftdn": "afftdn=nr=12:nf=-50:tn=1"}[tool]
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-af", filt, "-c:a",
                    "pcm_f32le", str(dst)], check=True)
    return None


def low_band_energy(x: np.ndarray, rate: int, weight: np.ndarray) -> float:
    y = sosfilt(butter(4, 200, fs=rate, output="sos"), x)
    return float(np.sum(weight * y * y))


def to16k(x: np.ndarray, rate: int) -> np.ndarray:
    g = gcd(16000, rate)
    return resample_poly(x, 16000 // g, rate // g)


def score(info: dict, tool: str, path: Path, mix: np.ndarray) -> dict:
    rate = info["rate"]
    cleans = np.load(CORPUS / f"{info['id']}.clean.npy")
    envs = np.load(CORPUS / f"{info['id']}.env.npy")
    out, out_rate = sf.read(path, dtype="float64", always_2d=True)
    assert out_rate == rate
    result = {"sdr": [], "pesq": [], "low": []}
    for c in range(cleans.shape[1]):
        clean = cleans[:, c].astype(np.float64)
        lag = qlib.estimate_lag(clean, out[:, c], int(0.1 * rate))
        y = qlib.align(out[:, c], lag, len(clean))
        result["sdr"].append(qlib.si_sdr(clean, y))
        result["pesq"].append(qlib.pesq_wb(to16k(clean, rate), to16k(y, rate)))
        env = envs[:, c].astype(np.float64)
        if info["type"] == "clean":
            weight = np.ones_like(env)
        else:
            weight = (env >= 0.5 * env.max()).astype(np.float64) if env.max() > 0 else np.zeros_like(env)
        before = low_band_energy(mix[:, c], rate, weight)
        after = low_band_energy(y, rate, weight)
        result["low"].append(10 * math.log10(max(after, 1e-30) / max(before, 1e-30)) if before > 0 else float("nan"))
    return {k: float(np.nanmean(v)) for k, v in result.items()}


def speed(scrim: str) -> dict:
    """CPU seconds (perf stat task-clock, mean of 5 runs, pinned to core 0) of each command on 60 s of 48 kHz mono
    speech + strong gusts (and of the default on 60 s of clean speech, where the high-pass is not applied), outputs
    on /dev/shm; wall seconds beside them."""
    rate = 48000
    folder = Path("/dev/shm") / "scrim_wind_speed"
    folder.mkdir(parents=True, exist_ok=True)
    src, clean = folder / "speed.wav", folder / "clean.wav"
    pieces = sorted(CORPUS.glob("*_gust-strong_48k.wav"))
    x = np.concatenate([sf.read(p, dtype="float64", always_2d=True)[0][:, 0] for p in pieces])
    sf.write(src, np.tile(x, int(np.ceil(60 * rate / len(x))))[: 60 * rate].astype(np.float32), rate,
             subtype="FLOAT")
    y, _ = sf.read(WIDE / "u3_48k.wav", dtype="float32")
    sf.write(clean, np.tile(y, int(np.ceil(60 * rate / len(y))))[: 60 * rate], rate, subtype="FLOAT")
    out = str(folder / "out.wav")
    runs = {"dewind": [scrim, "dewind", str(src), "-o", out, "--overwrite"],
            "dewind (clean take: no high-pass)": [scrim, "dewind", str(clean), "-o", out, "--overwrite"],
            "dewind --highpass always": [scrim, "dewind", str(src), "-o", out, "--overwrite", "--highpass", "always"],
            "dewind --phase minimum": [scrim, "dewind", str(src), "-o", out, "--overwrite", "--phase", "minimum"],
            "dewind --highpass off": [scrim, "dewind", str(src), "-o", out, "--overwrite", "--highpass", "off"],
            "dewind --no-wind": [scrim, "dewind", str(src), "-o", out, "--overwrite", "--no-wind"],
            "info": [scrim, "info", str(src)]}
    cpu, wall = {}, {}
    loads = [round(os.getloadavg()[0], 2)]
    for name, argv in runs.items():
        result = subprocess.run(["perf", "stat", "-x,", "-r", "5", "-e", "task-clock", "taskset", "-c", "0", *argv],
                                capture_output=True, text=True, env=qlib.single_thread_env())
        line = next(l for l in result.stderr.splitlines() if "task-clock" in l)
        cpu[name] = float(line.split(",")[0]) / 1000
        t0 = time.perf_counter()
        for _ in range(3):
            subprocess.run(["taskset", "-c", "0", *argv], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=qlib.single_thread_env())
        wall[name] = (time.perf_counter() - t0) / 3
        loads.append(round(os.getloadavg()[0], 2))
    return {"cpu": cpu, "seconds": wall, "realtime": {k: 60 / v for k, v in cpu.items()},
            "wallRealtime": {k: 60 / v for k, v in wall.items()}, "load": loads}


def summary(rows: list[dict], speed_result: dict | None, wide: list[dict]) -> list[str]:
    """The per-type headline: scrim's mean SI-SDR gain and low band left against the best FFmpeg peer."""
    out = ["## Summary", "", "| type | scrim ΔSI-SDR dB | best FFmpeg peer ΔSI-SDR dB | scrim PESQ-WB (input) | "
           "scrim low band left dB | peer's |", "|---|---|---|---|---|---|"]
    for kind in TYPES:
        if kind == "clean":
            continue
        sel = [r for r in rows if r["type"] == kind]
        base = {r["id"]: r for r in sel if r["tool"] == "input"}
        def delta(tool: str) -> float:
            t = [r for r in sel if r["tool"] == tool]
            return float(np.mean([r["sdr"] - base[r["id"]]["sdr"] for r in t])) if t else float("nan")
        def mean(tool: str, key: str) -> float:
            t = [r[key] for r in sel if r["tool"] == tool]
            return float(np.nanmean(t)) if t else float("nan")
        peers = [t for t in ("ffmpeg-hp80", "ffmpeg-hp150", "afftdn") if any(r["tool"] == t for r in sel)]
        if "scrim" not in {r["tool"] for r in sel} or not peers:
            continue
        best = max(peers, key=delta)
        out.append(f"| {kind} | {delta('scrim'):+.1f} | {delta(best):+.1f} ({best}) | {mean('scrim', 'pesq'):.2f} "
                   f"({mean('input', 'pesq'):.2f}) | {mean('scrim', 'low'):.1f} | {mean(best, 'low'):.1f} |")
    clean = [r for r in rows if r["type"] == "clean" and r["tool"] == "scrim"]
    if clean:
        out += ["", f"Clean input through `scrim dewind` with its defaults: SI-SDR ≥ {min(r['sdr'] for r in clean):.1f} "
                f"dB on every file of the corpus (target 60 dB; the high-pass finds no rumble and is not applied, "
                f"what is left is the wind reducer's STFT rounding)."]
    if wide:
        worst = min(r["scrim-sdr"] for r in wide)
        identical = sum(r["scrim-hp-identical"] for r in wide)
        applied = sum(r["applied"] for r in wide)
        out += [f"On the wide clean set ({len(wide)} files: {len(wide) // len(RATES)} voices × 3 rates, low male "
                f"voices included): SI-SDR ≥ {worst:.1f} dB; the high-pass alone (`--no-wind`) bit-identical on "
                f"{identical} of {len(wide)}; high-pass applied on {applied}."]
    if speed_result:
        rt = speed_result["realtime"]
        out += [f"Speed: `scrim dewind` {rt['dewind']:.0f}× real time in CPU time on one core (48 kHz mono, file to "
                f"file, detection pass included; `scrim info` on the same file {rt['info']:.0f}× in the same run; "
                "wall-clock figures and the machine's load in the Speed section)."]
    def mean_delta(kind: str, tool: str) -> float:
        sel = [r for r in rows if r["type"] == kind]
        base = {r["id"]: r["sdr"] for r in sel if r["tool"] == "input"}
        t = [r["sdr"] - base[r["id"]] for r in sel if r["tool"] == tool]
        return float(np.mean(t)) if t else float("nan")
    out += ["", "Reading the tables: the high-pass runs only where the detection pass finds rumble (`--highpass "
            "auto`, the default; *Detection* below); where it runs, the linear-phase filter (`scrim-hp`) beats "
            "FFmpeg's `highpass` of the same magnitude on SI-SDR because it leaves the voice's phase alone. The "
            "wind reducer adds most where the wind is strong or on poly files (its cut goes to 24 dB in the gusts "
            f"only). On `rumble` full `scrim dewind` gives {mean_delta('rumble', 'scrim'):+.2f} dB against the "
            f"high-pass alone's {mean_delta('rumble', 'scrim-hp'):+.2f} dB: the wind reducer cuts only gusts whose "
            "onset it latched (a rise of 6 dB within 0.3 s), and the traffic's slow swells never latch. Gust counts: "
            "a gust whose detection dips for more than 150 ms is counted twice (found > placed), and gusts of "
            "`gust-fast` closer than that are counted as one or, under 30 ms above the threshold, missed (found < "
            "placed).", "",
            "Against the previous table (commit 8260bcf, before the high-pass became conditional and the onset "
            "latch came in; ΔSI-SDR of `scrim`): gust-light +10.2, gust-strong +15.4, gust-fast +12.1, rumble "
            "+6.2, poly-gust +17.2 dB. Rumble gains 2.2 dB (the wind reducer no longer cuts traffic); the gust "
            "types give back up to 1 dB (the latch waits for an 80 ms-smoothed broadband rise, so the first tens of "
            "milliseconds of a gust, and some short gusts of `gust-fast`, go uncut), and stay ahead of every peer.",
            ""]
    return out + [""]


def detection_lines(manifest: dict, reports: dict, wide: list[dict]) -> list[str]:
    """Per type: files whose high-pass the detection pass switched on (scrim's report), and the measure's range."""
    lines = ["## Detection", "",
             "The `auto` high-pass's detection pass (`RumbleDetector`): per track, the low band's broadband energy "
             "(20-80 Hz, median bin × bin count) beyond a tenth of the voice band's (160 Hz-4 kHz), summed over the "
             "take, re the take's voice-band energy; rumble at -28 dB and above (the derivation is in "
             "RumbleDetector.swift). A hit is a faulty file whose high-pass ran, a miss one whose did not, a false "
             "alarm a clean file whose did.", "",
             "| type | files | high-pass applied | missed / false alarms | measure dB (min … max) |", "|---|---|---|---|---|"]
    for kind in TYPES:
        values, applied, count = [], 0, 0
        for f in manifest["files"]:
            if f["type"] != kind or f["id"] not in reports:
                continue
            h = reports[f["id"]]["wind"]["highpass"]
            count += 1
            applied += bool(h["applied"])
            values += [t["lowBandReVoiceDb"] if t["lowBandReVoiceDb"] is not None else -math.inf
                       for t in h["detection"]["track"]]
        if not count:
            continue
        wrong = count - applied if kind != "clean" else applied
        label = "missed" if kind != "clean" else "false alarms"
        lines.append(f"| {kind} | {count} | {applied} | {wrong} {label} | {min(values):.1f} … {max(values):.1f} |")
    if wide:
        values = [r["ratioDb"] if r["ratioDb"] is not None else -math.inf for r in wide]
        applied = sum(r["applied"] for r in wide)
        lines.append(f"| clean, wide set | {len(wide)} | {applied} | {applied} false alarms | {min(values):.1f} … "
                     f"{max(values):.1f} |")
    return lines + ["", "(-inf: no frame with broadband low-band energy beyond the voice's share.)", ""]


def wide_lines(wide: list[dict]) -> list[str]:
    lines = ["## Clean input, many voices", "",
             f"Every corpus voice (espeak-ng, flite, the two real ALSA voices) and three espeak-ng male voices at "
             f"pitch 0 (`low1`-`low3`), each at 44.1, 48 and 96 kHz, 1 s of silence before and 0.5 s after, "
             f"active level -26 dBFS. *f0* is the voice's median fundamental (autocorrelation over voiced 40 ms "
             f"frames). SI-SDR against the input itself (the output of an untouched file is the input: bit-identical "
             f"gives ∞, the wind reducer's STFT round trip about 139 dB). `scrim` = `scrim dewind` defaults; "
             f"`scrim-hp` = `--no-wind` (the auto high-pass alone).", "",
             "| file | engine / voice | f0 Hz | measure dB | high-pass | scrim SI-SDR dB | scrim-hp SI-SDR dB | "
             "scrim-hp bit-identical |", "|---|---|---|---|---|---|---|---|"]
    def fmt(v: float) -> str:
        return "∞" if v > 300 else f"{v:.1f}"
    for r in sorted(wide, key=lambda r: (r["f0Hz"], r["id"])):
        ratio = "-inf" if r["ratioDb"] is None else f"{r['ratioDb']:.1f}"
        lines.append(f"| {r['id']} | {r['engine']} {r['name']} | {r['f0Hz']:.0f} | {ratio} | "
                     f"{'applied' if r['applied'] else 'not applied'} | {fmt(r['scrim-sdr'])} | "
                     f"{fmt(r['scrim-hp-sdr'])} | {'yes' if r['scrim-hp-identical'] else 'no'} |")
    return lines + [""]


def write_table(manifest: dict, rows: list[dict], reports: dict, speed_result: dict | None, machine: str,
                wide: list[dict]) -> None:
    lines = ["# Rumble and wind: `scrim dewind` against FFmpeg", "",
             "Generated by `Benchmarks/quality/wind_bench.py` (the corpus, metrics and tools are described in its "
             f"header). {len(manifest['files'])} files: {len(VOICES)} voices (espeak-ng, flite, two real ALSA "
             "voices) at 44.1, 48 and 96 kHz (the voices rotate through the rates), each with every fault type. "
             f"Machine: {machine}.", "",
             "SI-SDR and PESQ-WB against the clean speech (higher is better); *low band left* is the energy below "
             "200 Hz of the output inside the gusts (rumble: over the whole file), in dB re the input's (lower "
             "removes more; on clean input it is what the tool takes of the voice's own low end). Tools: `scrim` = "
             "`scrim dewind` with its defaults (80 Hz 12 dB/octave linear-phase high-pass + wind reducer); "
             "`scrim-wind` = `--highpass off`; `scrim-hp` = `--no-wind` (the auto high-pass alone, linear phase); "
             "`scrim-hp-always` = `--no-wind --highpass always`; `scrim-hp-min` = "
             "`--no-wind --highpass always --phase minimum`; `ffmpeg-hp80` / `ffmpeg-hp150` = FFmpeg `highpass=f=80` / `f=150` "
             "(2 poles, 12 dB/octave, minimum phase); `afftdn` = `afftdn=nr=12:nf=-50:tn=1`.", ""]
    lines += summary(rows, speed_result, wide)
    for kind in TYPES:
        sel = [r for r in rows if r["type"] == kind]
        if not sel:
            continue
        lines += [f"## {kind}", "", "| tool | SI-SDR dB | ΔSI-SDR dB | PESQ-WB | low band left dB | worst SI-SDR dB |",
                  "|---|---|---|---|---|---|"]
        base = {r["id"]: r["sdr"] for r in sel if r["tool"] == "input"}
        for tool in TOOLS:
            t = [r for r in sel if r["tool"] == tool]
            if not t:
                continue
            sdr = np.mean([r["sdr"] for r in t])
            delta = np.mean([r["sdr"] - base[r["id"]] for r in t])
            pesq = np.nanmean([r["pesq"] for r in t])
            low = np.nanmean([r["low"] for r in t])
            worst = min(r["sdr"] for r in t)
            lines.append(f"| {tool} | {sdr:.1f} | {delta:+.1f} | {pesq:.2f} | {low:.1f} | {worst:.1f} |")
        lines.append("")
        gusty = [f for f in manifest["files"] if f["type"] == kind]
        if kind != "rumble":
            found, true, shares, cuts = [], [], [], []
            for f in gusty:
                report = reports.get(f["id"])
                if not report:
                    continue
                tracks = report["wind"]["wind"]["track"]
                counts = f["gusts"] if isinstance(f["gusts"], list) else [f["gusts"]]
                for c, track in enumerate(tracks):
                    found.append(track["gusts"])
                    true.append(counts[c] if c < len(counts) else 0)
                    shares.append(track["gustPercent"])
                    cuts.append(track["deepestCutDb"])
            if found:
                lines += [f"scrim's report ({kind}): gusts found {sum(found)} against {sum(true)} placed "
                          f"(per track {', '.join(f'{a}/{b}' for a, b in zip(found, true))}); share of the take in "
                          f"gusts {np.mean(shares):.1f} % on average (max {max(shares):.1f} %); deepest cut "
                          f"{np.mean(cuts):.1f} dB on average (max {max(cuts):.1f} dB).", ""]
    # Clean input untouched, and what the high-pass takes from clean speech.
    def mean_of(kind: str, tool: str, key: str) -> float:
        values = [r[key] for r in rows if r["type"] == kind and r["tool"] == tool]
        return float(np.nanmean(values)) if values else float("nan")
    clean = [r for r in rows if r["type"] == "clean" and r["tool"] == "scrim-wind"]
    if clean:
        lines += ["## Clean input", "",
                  f"The wind reducer alone (`--highpass off`) on the {len(clean)} clean files: SI-SDR "
                  f"{min(r['sdr'] for r in clean):.1f} dB at worst (target ≥ 60 dB; what is left is the STFT's float "
                  "rounding), no gust found on any (scrim's report: 0 gusts, 0 dB cut).", "",
                  "What the high-pass (80 Hz, 12 dB/octave) would take from clean speech if forced "
                  "(`--highpass always`): the energy below 200 Hz goes "
                  f"down by {-mean_of('clean', 'scrim-hp-always', 'low'):.1f} dB on average (linear phase; "
                  f"{-mean_of('clean', 'scrim-hp-min', 'low'):.1f} dB minimum phase, "
                  f"{-mean_of('clean', 'ffmpeg-hp80', 'low'):.1f} dB FFmpeg's 2-pole `highpass`), i.e. the "
                  "fundamental of the lowest voices and the breath and handling noise under it. In linear phase "
                  f"the rest is untouched: SI-SDR {mean_of('clean', 'scrim-hp-always', 'sdr'):.1f} dB against the "
                  "unfiltered voice. Minimum phase (and FFmpeg's `highpass`, the same kind of filter) turns the "
                  "phase of the voice's fundamental and first harmonics, which the ear does not hear but SI-SDR "
                  f"does: {mean_of('clean', 'scrim-hp-min', 'sdr'):.1f} dB "
                  f"(FFmpeg {mean_of('clean', 'ffmpeg-hp80', 'sdr'):.1f} dB); PESQ-WB "
                  f"{mean_of('clean', 'scrim-hp-always', 'pesq'):.2f} / {mean_of('clean', 'scrim-hp-min', 'pesq'):.2f} / "
                  f"{mean_of('clean', 'ffmpeg-hp80', 'pesq'):.2f} (input 4.64). This is why the default is "
                  "`--highpass auto`: with no rumble found the filter does not run (`scrim-hp` on clean input: "
                  f"SI-SDR {mean_of('clean', 'scrim-hp', 'sdr'):.1f} dB, the input itself).", ""]
    lines += detection_lines(manifest, reports, wide)
    if wide:
        lines += wide_lines(wide)
    if speed_result:
        s = speed_result
        lines += ["## Speed", "",
                  "60 s of 48 kHz mono (speech + strong gusts, float WAV; one row on 60 s of clean speech), file to "
                  "file, outputs on /dev/shm, `taskset -c 0`, release build. CPU time: `perf stat -e task-clock`, "
                  "mean of 5 runs; wall: mean of 3 runs, on a machine shared with other builds (load average "
                  f"{s['load']} during the runs on 2 cores). The default `--highpass auto` reads the input twice "
                  "(the detection pass, then the stages).", "",
                  "| command | CPU s | × real time (CPU) | wall s | × real time (wall) |", "|---|---|---|---|---|"]
        for name in s["cpu"]:
            lines.append(f"| scrim {name} | {s['cpu'][name]:.4f} | {s['realtime'][name]:.0f} | "
                         f"{s['seconds'][name]:.3f} | {s['wallRealtime'][name]:.0f} |")
        lines.append("")
    TABLE.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scrim", default=".build/release/scrim")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--types", default=",".join(TYPES), help="fault types to run (a quick look; the table "
                        "is written only for a full run)")
    parser.add_argument("--table-only", action="store_true",
                        help="rewrite WIND.md from results/wind.json (rows, reports and speed) without running")
    args = parser.parse_args()
    tools = args.tools.split(",")
    manifest = build(args.rebuild)
    if args.table_only:
        saved = json.loads((RESULTS / "wind.json").read_text())
        write_table(manifest, saved["rows"], saved["reports"], saved.get("speed"), saved.get("machine", ""),
                    saved.get("wide", []))
        print(f"wrote {TABLE}")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows, reports = [], {}
    kinds = args.types.split(",")
    for info in manifest["files"]:
        if info["type"] not in kinds:
            continue
        src = CORPUS / f"{info['id']}.wav"
        mix, _ = sf.read(src, dtype="float64", always_2d=True)
        for tool in tools:
            dst = OUT / f"{info['id']}.{tool}.wav"
            report = run_tool(tool, args.scrim, src, dst)
            if tool == "scrim" and report:
                reports[info["id"]] = report
            row = {"id": info["id"], "type": info["type"], "rate": info["rate"], "tool": tool,
                   **score(info, tool, dst, mix)}
            rows.append(row)
            print(f"{info['id']:28s} {tool:13s} SI-SDR {row['sdr']:7.2f} PESQ {row['pesq']:.2f} low {row['low']:7.1f}",
                  flush=True)
    if kinds != TYPES or tools != TOOLS:
        print("partial run: WIND.md not written")
        return 0
    wide = run_wide(args.scrim)
    speed_result = None if args.no_speed else speed(args.scrim)
    (RESULTS / "wind.json").write_text(json.dumps({"rows": rows, "reports": reports, "speed": speed_result,
                                                   "machine": qlib.machine_description(), "wide": wide}, indent=1))
    write_table(manifest, rows, reports, speed_result, qlib.machine_description(), wide)
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
