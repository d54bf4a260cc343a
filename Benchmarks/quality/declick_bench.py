#!/usr/bin/env python3
"""De-click benchmark (issue 22, item 5): Scrim's `declick` against FFmpeg `adeclick` on speech with synthetic clicks.

Corpus (built here, under Benchmarks/work/quality/declick_corpus/, deterministic: seeds from file names):
- Speech: eight utterances of corpus.UTTERANCES (six synthetic voices - espeak-ng and flite, female and male,
  English, German, French - and the two real-voice ALSA prompt sets r1, r2), each scaled to an active speech level
  of -26 dBFS with 0.5 s of silence either side, made at 48 kHz and resampled (scipy resample_poly) to 44.1, 48 or
  96 kHz in rotation.
- Faults, at four levels L = -30, -20, -10, 0 dB re the clean utterance's sample peak (a click's own peak amplitude
  is peak x 10^(L/20)):
  - mouth_0.1ms, mouth_1ms, mouth_5ms: 12 mouth-click-like bursts per file (a damped oscillation at 1.5-5 kHz,
    random phase and sign, decaying 40 dB over its length of 0.1, 1 or 5 ms);
  - tick: 12 single-sample spikes per file (digital ticks);
  - crackle: dense small clicks, 25 a second over the whole file, each 0.02-0.3 ms long, its level L +/- 6 dB.
  Click positions are uniform over the speech (pauses included), at least 60 ms apart (crackle: 20-60 ms apart).
- Clean files (no fault) for the "untouched" target: the eight above, every other utterance of corpus.UTTERANCES
  (13 more synthetic voices: espeak-ng in nine languages including its Klatt voice, flite kal) at a rate in rotation,
  and the real voice's two prompt sets at the two rates their faulty files do not use: 25 files.

Tools: `input` (the clicked file itself), `scrim` (`scrim declick IN -o OUT`), `adeclick` (FFmpeg's default
settings) and `adeclick-tuned` (a=8: an autoregressive order of 8 % of the window instead of 2 %; on five dev
files t=1.5, t=4, a=8 and w=20 were tried and none stood out: a=8 was ahead by 0.1-0.9 dB SI-SDR on four of them).

Speed: `speed()` below (CPU and wall time). Metrics, each against the unclicked original: SI-SDR (Le Roux et al. 2019) over the whole file; PESQ-WB (ITU-T
P.862.2, at 16 kHz); clicks found: a tool's *events* are the runs of samples it changed by more than 1e-5
(-100 dBFS) merged when closer than 1 ms; an inserted click counts as found when an event overlaps its span +/- 1 ms
(recall), and an event is right when it overlaps an inserted click's span +/- 1 ms (precision). Speed: scrim declick
and `scrim info` (the baseline: process start, open, header) on 60 s 48 kHz mono files of each kind of input,
`taskset -c 0`, CPU time by `perf stat -r 5 -e task-clock` (files in /dev/shm).

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/declick_bench.py --scrim .build/release/scrim
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import qlib  # noqa: E402

DIR = qlib.WORK_DIR / "declick_corpus"
OUT = qlib.WORK_DIR / "declick_out"
RESULTS = qlib.WORK_DIR / "results"
UTTERANCE_IDS = ["u1", "u2", "u3", "u4", "r1", "u8", "u9", "r2"]
RATES = [48000, 44100, 96000]
LEVELS_DB = [-30.0, -20.0, -10.0, 0.0]
TYPES = ["mouth_0.1ms", "mouth_1ms", "mouth_5ms", "tick", "crackle"]
TOOLS = ["input", "scrim", "adeclick", "adeclick-tuned"]
CHANGE_THRESHOLD = 1e-5


def resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == 48000:
        return x.copy()
    from math import gcd

    g = gcd(rate, 48000)
    return resample_poly(x, rate // g, 48000 // g)


def mouth_click(rng: np.random.Generator, length_s: float, amplitude: float, rate: int) -> np.ndarray:
    n = max(1, int(round(length_s * rate)))
    f = rng.uniform(1500, 5000)
    i = np.arange(n)
    y = np.exp(-4.6 * i / n) * np.sin(2 * np.pi * f * i / rate + rng.uniform(0, 2 * np.pi))
    if n == 1:
        y = np.ones(1)
    return y / np.abs(y).max() * amplitude * rng.choice([-1.0, 1.0])


def build() -> dict:
    DIR.mkdir(parents=True, exist_ok=True)
    manifest = {"files": []}
    with tempfile.TemporaryDirectory() as tmp:
        for index, uid in enumerate(UTTERANCE_IDS):
            entry = next(u for u in corpus.UTTERANCES if u[0] == uid)
            _, engine, voice, text = entry
            x48, _ = corpus.speech(engine, voice, text, Path(tmp), fit=True)
            x48 = corpus.set_active_level(x48, qlib.ACTIVE_LEVEL_DBFS)
            pad = np.zeros(int(0.5 * 48000))
            x48 = np.concatenate([pad, x48, pad])
            rate = RATES[index % len(RATES)]
            clean = resample(x48, rate)
            peak = float(np.abs(clean).max())
            clean_name = f"{uid}_{rate // 1000}k_clean"
            qlib.write_float(DIR / f"{clean_name}.wav", clean, rate)
            manifest["files"].append({"id": clean_name, "utterance": uid, "rate": rate, "type": "clean",
                                      "level_db": None, "clean": f"{clean_name}.wav", "clicks": []})
            speech_span = (int(0.5 * rate), len(clean) - int(0.5 * rate))
            for kind in TYPES:
                for level in LEVELS_DB:
                    name = f"{uid}_{rate // 1000}k_{kind}_{int(level)}"
                    rng = np.random.default_rng(qlib.seed_for("declick22", name))
                    x = clean.copy()
                    clicks = []
                    if kind == "crackle":
                        position = speech_span[0] + int(rng.uniform(0.01, 0.05) * rate)
                        while position < speech_span[1]:
                            amp = peak * 10 ** ((level + rng.uniform(-6, 6)) / 20)
                            c = mouth_click(rng, rng.uniform(0.00002, 0.0003), amp, rate)
                            x[position:position + len(c)] += c[: len(x) - position]
                            clicks.append([position, len(c)])
                            position += int(rng.uniform(0.02, 0.06) * rate)
                    else:
                        positions: list[int] = []
                        while len(positions) < 12:
                            p = int(rng.uniform(*speech_span))
                            if all(abs(p - q) > 0.06 * rate for q in positions):
                                positions.append(p)
                        for p in sorted(positions):
                            amp = peak * 10 ** (level / 20)
                            if kind == "tick":
                                c = np.array([amp * rng.choice([-1.0, 1.0])])
                            else:
                                length = {"mouth_0.1ms": 0.0001, "mouth_1ms": 0.001, "mouth_5ms": 0.005}[kind]
                                c = mouth_click(rng, length, amp, rate)
                            x[p:p + len(c)] += c[: len(x) - p]
                            clicks.append([p, len(c)])
                    qlib.write_float(DIR / f"{name}.wav", x, rate)
                    manifest["files"].append({"id": name, "utterance": uid, "rate": rate, "type": kind,
                                              "level_db": level, "clean": f"{clean_name}.wav", "clicks": clicks})
        # The wider clean set (speech untouched where there is no fault): every other utterance of the corpus at a
        # rate in rotation, and the real voice's two prompt sets at the two rates its faulty files do not use.
        extra = [(u[0], RATES[(len(UTTERANCE_IDS) + i) % len(RATES)])
                 for i, u in enumerate(u for u in corpus.UTTERANCES if u[0] not in UTTERANCE_IDS)]
        for uid in ("r1", "r2"):
            used = RATES[UTTERANCE_IDS.index(uid) % len(RATES)]
            extra += [(uid, rate) for rate in RATES if rate != used]
        for uid, rate in extra:
            _, engine, voice, text = next(u for u in corpus.UTTERANCES if u[0] == uid)
            x48, _ = corpus.speech(engine, voice, text, Path(tmp), fit=True)
            x48 = corpus.set_active_level(x48, qlib.ACTIVE_LEVEL_DBFS)
            pad = np.zeros(int(0.5 * 48000))
            clean = resample(np.concatenate([pad, x48, pad]), rate)
            clean_name = f"{uid}_{rate // 1000}k_clean"
            qlib.write_float(DIR / f"{clean_name}.wav", clean, rate)
            manifest["files"].append({"id": clean_name, "utterance": uid, "rate": rate, "type": "clean",
                                      "level_db": None, "clean": f"{clean_name}.wav", "clicks": []})
    (DIR / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def events(changed: np.ndarray, merge: int) -> list[tuple[int, int]]:
    idx = np.flatnonzero(changed)
    if len(idx) == 0:
        return []
    runs = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i - prev > merge:
            runs.append((start, prev + 1))
            start = i
        prev = i
    runs.append((start, prev + 1))
    return runs


def detection(inp: np.ndarray, out: np.ndarray, clicks: list, rate: int) -> tuple[int, int, int, int]:
    """(clicks found, clicks, events right, events)."""
    ms = int(0.001 * rate)
    found_events = events(np.abs(out - inp) > CHANGE_THRESHOLD, ms)
    spans = [(p - ms, p + n + ms) for p, n in clicks]
    found = sum(1 for a, b in spans if any(s < b and e > a for s, e in found_events))
    right = sum(1 for s, e in found_events if any(s < b and e > a for a, b in spans))
    return found, len(clicks), right, len(found_events)


CORE = 0
REUSE_PEERS = False  # --reuse-peers: FFmpeg's outputs (and CPU seconds) from the last run, if newer than the input


def _init_worker(cores) -> None:
    global CORE
    CORE = cores.get()
    qlib.set_single_thread_env()


def run_tool(tool: str, src: Path, dst: Path, scrim: str) -> float:
    """Runs one tool pinned to this worker's core; returns its CPU seconds (user + system)."""
    if tool == "scrim":
        argv = [scrim, "declick", str(src), "-o", str(dst), "--overwrite", "--json"] + os.environ.get("DECLICK_ARGS", "").split()
    elif tool == "adeclick":
        argv = qlib.FFMPEG + ["-i", str(src), "-af", "adeclick", "-c:a", "pcm_f32le", str(dst)]
    elif tool == "adeclick-tuned":
        argv = qlib.FFMPEG + ["-i", str(src), "-af", "adeclick=a=8", "-c:a", "pcm_f32le", str(dst)]
    else:
        raise ValueError(tool)
    import resource

    sidecar = dst.with_suffix(".seconds")
    if tool != "scrim" and REUSE_PEERS and dst.exists() and sidecar.exists() \
            and dst.stat().st_mtime >= src.stat().st_mtime:
        return float(sidecar.read_text())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["taskset", "-c", str(CORE)] + argv, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sidecar.write_text(f"{seconds}")
    return seconds


def score(item: dict, scrim: str) -> list[dict]:
    rate = item["rate"]
    clean, _ = qlib.read_mono(DIR / item["clean"])
    src = DIR / f"{item['id']}.wav"
    x, _ = qlib.read_mono(src)
    clean16 = qlib.to_16k_any(clean, rate)
    rows = []
    for tool in TOOLS:
        if tool == "input":
            y, seconds = x, 0.0
        else:
            dst = OUT / tool / f"{item['id']}.wav"
            dst.parent.mkdir(parents=True, exist_ok=True)
            seconds = run_tool(tool, src, dst, scrim)
            y, _ = qlib.read_mono(dst)
            y = y[: len(x)] if len(y) >= len(x) else np.concatenate([y, np.zeros(len(x) - len(y))])
        found, total, right, n_events = detection(x, y, item["clicks"], rate) if tool != "input" else (0, 0, 0, 0)
        rows.append({"id": item["id"], "type": item["type"], "level_db": item["level_db"], "rate": rate,
                     "utterance": item["utterance"], "tool": tool, "si_sdr": qlib.si_sdr(clean, y),
                     "pesq": qlib.pesq_wb(clean16, qlib.to_16k_any(y, rate)), "found": found,
                     "clicks": len(item["clicks"]), "right": right, "events": n_events, "seconds": seconds,
                     "audio_seconds": len(x) / rate})
    return rows


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system, from getrusage) for one run pinned to core 0."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(["taskset", "-c", "0"] + argv, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _score(payload) -> list[dict]:
    return score(*payload)


SPEED_INPUTS = [("clean", "_48k_clean.wav", "clean speech (the 48 kHz clean files looped)"),
                ("crackle-30", "_48k_crackle_-30.wav", "crackle at -30 dB"),
                ("crackle-20", "_48k_crackle_-20.wav", "crackle at -20 dB"),
                ("crackle-10", "_48k_crackle_-10.wav", "crackle at -10 dB"),
                ("crackle0", "_48k_crackle_0.wav", "crackle at 0 dB"),
                ("mouth5", "_48k_mouth_5ms_0.wav", "5 ms mouth clicks at 0 dB"),
                ("tick0", "_48k_tick_0.wav", "ticks at 0 dB")]


def perf_task_clock(argv: list[str], out: Path) -> float:
    """Mean CPU milliseconds of `argv` pinned to core 0 over 5 runs (`perf stat -r 5 -e task-clock`)."""
    subprocess.run(["perf", "stat", "-r", "5", "-e", "task-clock", "-x", ",", "-o", str(out), "taskset", "-c", "0"]
                   + argv, check=True, capture_output=True)
    for line in out.read_text().splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("task-clock"):
            return float(fields[0])
    raise RuntimeError(f"no task-clock in {out}")


def speed(scrim: str) -> dict:
    """60 s of 48 kHz mono per kind of input, file to file in /dev/shm: CPU time of `scrim declick` and of
    `scrim info` on the same file (the baseline: opens, reads the header, and a startup), by
    `perf stat -r 5 -e task-clock` pinned to core 0 (the machine is shared: task-clock counts only the time the
    process ran), and the wall time of one run beside it."""
    result = {}
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        for label, suffix, _ in SPEED_INPUTS:
            clips = [qlib.read_mono(DIR / f)[0] for f in sorted(os.listdir(DIR)) if f.endswith(suffix)]
            x = np.concatenate(clips)
            x = np.tile(x, int(np.ceil(60 * 48000 / len(x))))[: 60 * 48000]
            src = Path(tmp) / f"{label}.wav"
            qlib.write_float(src, x, 48000)
            declick = [scrim, "declick", str(src), "-o", str(Path(tmp) / "o.wav"), "--overwrite"]
            result[f"declick_{label}_cpu"] = perf_task_clock(declick, Path(tmp) / "perf.txt") / 1000
            result[f"info_{label}_cpu"] = perf_task_clock([scrim, "info", str(src)], Path(tmp) / "perf.txt") / 1000
            result[f"declick_{label}_wall"] = timed(declick)[0]
    return result


def mean(values) -> float:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def write_tables(rows: list[dict], spd: dict, load: tuple, path: Path) -> None:
    tools = TOOLS
    faults = [r for r in rows if r["type"] != "clean"]
    lines = ["# De-click: Scrim against FFmpeg adeclick", "",
             f"Generated by `Benchmarks/quality/declick_bench.py` on {qlib.today()}; machine: "
             f"{qlib.machine_description()}; load average before/after the run {load[0]} / {load[1]} (a 2-core "
             "machine shared with other engineers' builds). Tools: " + json.dumps(qlib.tool_versions()) + ".", "",
             "Corpus, levels and metrics: see the script's header. In short: faults on 8 utterances (6 synthetic voices, "
             "2 sets of a real voice) at 44.1/48/96 kHz, and 25 clean files (19 synthetic voices, the real voice's "
             "2 sets at all three rates); mouth-click-like damped bursts of 0.1, 1 and 5 ms, single-sample "
             "ticks and crackle, at -30/-20/-10/0 dB **re the clean utterance's sample peak** (the active speech "
             "level is -26 dBFS; the utterances' peaks are -5 to -11 dBFS); SI-SDR and PESQ-WB against the "
             "unclicked original; precision and recall of the changed sample runs against the inserted clicks "
             "(+/- 1 ms).", ""]
    # The targets, checked on the rows (the tables below give the figures).
    lines += ["## Targets", ""]
    for metric, label in (("si_sdr", "SI-SDR"), ("pesq", "PESQ-WB")):
        ahead, behind = [], []
        for level in LEVELS_DB:
            ours = mean(r[metric] for r in faults if r["level_db"] == level and r["tool"] == "scrim")
            best = max(mean(r[metric] for r in faults if r["level_db"] == level and r["tool"] == t)
                       for t in ("adeclick", "adeclick-tuned"))
            (ahead if ours > best else behind).append(f"{int(level)} dB ({qlib.fmt(ours, 2)} vs {qlib.fmt(best, 2)})")
        cells = []
        for kind in TYPES:
            for level in LEVELS_DB:
                sub = [r for r in faults if r["type"] == kind and r["level_db"] == level]
                ours = mean(r[metric] for r in sub if r["tool"] == "scrim")
                best = max(mean(r[metric] for r in sub if r["tool"] == t) for t in ("adeclick", "adeclick-tuned"))
                if ours <= best:
                    cells.append(f"{kind} at {int(level)} dB ({qlib.fmt(ours, 2)} vs {qlib.fmt(best, 2)})")
        lines.append(f"- **{label}, mean over every fault type, per level: scrim ahead of the better adeclick "
                     f"setting at {len(ahead)} of {len(LEVELS_DB)} levels** "
                     + (f"(behind at {', '.join(behind)})" if behind else "(" + "; ".join(ahead) + ")") + ".")
        lines.append(f"  - Per fault type and level, scrim is not ahead in {len(cells)} of "
                     f"{len(TYPES) * len(LEVELS_DB)} cells" + (": " + "; ".join(cells) if cells else "") + ".")
    clean_rows = [r for r in rows if r["type"] == "clean" and r["tool"] == "scrim"]
    worst = min(r["si_sdr"] for r in clean_rows) if clean_rows else float("nan")
    lines.append(f"- **Clean input, SI-SDR >= 60 dB: {sum(1 for r in clean_rows if r['si_sdr'] >= 60)} of "
                 f"{len(clean_rows)} files** (worst {qlib.fmt(worst, 1)} dB; a file is changed only where scrim "
                 "took a short consonant burst or a glottal pulse for a click).")
    speeds = {label: 60 / spd[f"declick_{label}_cpu"] for label, _, _ in SPEED_INPUTS}
    slowest = min(speeds, key=speeds.get)
    lines.append(f"- **Speed >= 200x real time (48 kHz mono, one core, file to file, CPU time): "
                 f"{sum(1 for v in speeds.values() if v >= 200)} of {len(speeds)} kinds of input** (slowest "
                 f"{speeds[slowest]:.0f}x on {slowest}, fastest {max(speeds.values()):.0f}x; table below).")
    # What the targets do not say: how many clicks scrim leaves (it repairs only what it is sure of).
    def recall(kind, level):
        rs = [r for r in faults if r["tool"] == "scrim" and r["type"] == kind and r["level_db"] == level]
        return sum(r["found"] for r in rs) / max(1, sum(r["clicks"] for r in rs))
    low = sorted((recall(k, lv), k, lv) for k in TYPES for lv in LEVELS_DB)[:4]
    lines.append("- Not a target, but a limit: scrim finds few of the weak clicks (it repairs only events the gate "
                 "cannot explain as speech; precision stays 1.00); lowest recall: "
                 + "; ".join(f"{k} at {int(lv)} dB {v:.2f}" for v, k, lv in low)
                 + ". What it leaves at -30/-20 dB is under the speech, which is why SI-SDR and PESQ-WB still lead.")
    lines.append("")
    n_files = len({r["id"] for r in faults})
    lines += [f"{n_files} faulty files, {len({r['id'] for r in rows if r['type'] == 'clean'})} clean files.", ""]

    def table(title: str, group_key, groups, metric: str, digits: int, subset=None) -> None:
        data = subset if subset is not None else faults
        lines.append(f"### {title}")
        lines.append("")
        lines.append(qlib.markdown_table(
            group_key, [str(g) for g in groups], tools,
            lambda g, t: qlib.fmt(mean(r[metric] for r in data if str(r[group_key]) == g and r["tool"] == t),
                                  digits)))
        lines.append("")

    for metric, digits, label in (("si_sdr", 1, "SI-SDR (dB)"), ("pesq", 2, "PESQ-WB")):
        lines.append(f"## {label}")
        lines.append("")
        for kind in TYPES:
            table(f"{label}, {kind}, by level (dB re peak)", "level_db", LEVELS_DB, metric, digits,
                  [r for r in faults if r["type"] == kind])
        table(f"{label}, every fault type, by level", "level_db", LEVELS_DB, metric, digits)
        table(f"{label}, by fault type (all levels)", "type", TYPES, metric, digits)
        table(f"{label}, by sample rate (all faults)", "rate", RATES, metric, digits)
    lines.append("## Clicks found (recall) and events right (precision)")
    lines.append("")
    ctools = [t for t in tools if t != "input"]
    for kind in TYPES:
        sub = [r for r in faults if r["type"] == kind]
        lines.append(f"### {kind}")
        lines.append("")
        header = "| level (dB re peak) | " + " | ".join(f"{t} recall | {t} precision" for t in ctools) + " |"
        lines.append(header)
        lines.append("|---|" + "|".join("---:" for _ in range(2 * len(ctools))) + "|")
        for level in LEVELS_DB + ["all"]:
            cells = []
            for t in ctools:
                rs = [r for r in sub if r["tool"] == t and (level == "all" or r["level_db"] == level)]
                found, total = sum(r["found"] for r in rs), sum(r["clicks"] for r in rs)
                right, ev = sum(r["right"] for r in rs), sum(r["events"] for r in rs)
                cells.append(f"{found / total:.2f}" if total else "—")
                cells.append(f"{right / ev:.2f}" if ev else "—")
            lines.append(f"| {level} | " + " | ".join(cells) + " |")
        lines.append("")
    clean = [r for r in rows if r["type"] == "clean"]
    lines.append("## Clean input (no fault): speech untouched")
    lines.append("")
    lines.append("| tool | mean SI-SDR (dB) | worst SI-SDR (dB) | mean PESQ-WB | files changed | events |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for t in ctools:
        rs = [r for r in clean if r["tool"] == t]
        lines.append(f"| {t} | {qlib.fmt(mean(min(r['si_sdr'], 200) for r in rs), 1)} | "
                     f"{qlib.fmt(min(r['si_sdr'] for r in rs), 1)} | {qlib.fmt(mean(r['pesq'] for r in rs), 2)} | "
                     f"{sum(1 for r in rs if r['events'] > 0)} of {len(rs)} | {sum(r['events'] for r in rs)} |")
    lines.append("")
    lines.append("SI-SDR of an unchanged file is infinite; means cap each file at 200 dB.")
    lines.append("")
    lines.append("Per clean file (scrim; `unchanged` = output equal to the input bit for bit):")
    lines.append("")
    lines.append("| file | voice | rate | scrim SI-SDR (dB) | scrim events | adeclick SI-SDR (dB) |")
    lines.append("|---|---|---:|---:|---:|---:|")
    voices = {u[0]: f"{u[1]} {u[2]}" for u in corpus.UTTERANCES}
    for r in sorted((r for r in clean if r["tool"] == "scrim"), key=lambda r: r["id"]):
        peer = next((p for p in clean if p["tool"] == "adeclick" and p["id"] == r["id"]), None)
        value = "unchanged" if r["events"] == 0 else qlib.fmt(r["si_sdr"], 1)
        lines.append(f"| {r['id']} | {voices.get(r['utterance'], '')} | {r['rate']} | {value} | {r['events']} | "
                     f"{qlib.fmt(peer['si_sdr'], 1) if peer else ''} |")
    lines.append("")
    lines.append("## Speed")
    lines.append("")
    total_audio = sum(r["audio_seconds"] for r in faults if r["tool"] == "scrim")
    lines.append("| tool | x real time over the corpus (CPU time, file to file, one core each, 44.1/48/96 kHz) |")
    lines.append("|---|---:|")
    for t in ctools:
        secs = sum(r["seconds"] for r in faults if r["tool"] == t)
        lines.append(f"| {t} | {total_audio / secs:.0f} |")
    lines.append("")
    lines.append("60 s of 48 kHz mono per kind of input (the corpus's 48 kHz files of that kind looped), file to file "
                 "in /dev/shm, `taskset -c 0`; CPU time is `perf stat -r 5 -e task-clock` (the mean of 5 runs; the "
                 "machine is shared, so task-clock, which counts only the time the process ran, is the figure; "
                 "wall time of one run beside it). The baseline is `scrim info` on the same file in the same run "
                 "(process start, open, header).")
    lines.append("")
    lines.append("| input | scrim declick, x real time (CPU) | (wall) | declick CPU ms | scrim info CPU ms | "
                 "declick / info CPU time |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for label, _, what in SPEED_INPUTS:
        dc, dw, ic = spd[f"declick_{label}_cpu"], spd[f"declick_{label}_wall"], spd[f"info_{label}_cpu"]
        lines.append(f"| {what} | {60 / dc:.0f} | {60 / dw:.0f} | {1000 * dc:.0f} | {1000 * ic:.1f} | "
                     f"{dc / ic:.1f} |")
    lines.append("")
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrim", required=True)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--quick", action="store_true", help="two utterances only; tables to results/")
    parser.add_argument("--jobs", type=int, default=1, help="files in parallel, each worker's tools on its own core")
    parser.add_argument("--reuse-peers", action="store_true",
                        help="reuse FFmpeg's outputs and CPU seconds from the last run (scrim always runs)")
    parser.add_argument("--tables-only", action="store_true",
                        help="reuse results/declick.json (the last full run), measure the speed again, write tables")
    args = parser.parse_args()
    qlib.set_single_thread_env()
    global REUSE_PEERS
    REUSE_PEERS = args.reuse_peers
    load_before = os.getloadavg()
    if args.rebuild or not (DIR / "manifest.json").exists():
        print("building the de-click corpus ...", file=sys.stderr)
        manifest = build()
    else:
        manifest = json.loads((DIR / "manifest.json").read_text())
    items = manifest["files"]
    if args.quick:
        items = [i for i in items if i["utterance"] in ("u1", "r1")]
    rows = []
    if args.tables_only:
        rows = json.loads((RESULTS / "declick.json").read_text())
        items = []
    if items:
        import multiprocessing as mp

        cores = mp.Manager().Queue()
        for core in range(args.jobs):
            cores.put(core % (os.cpu_count() or 1))
        with mp.Pool(args.jobs, initializer=_init_worker, initargs=(cores,)) as pool:
            for n, result in enumerate(pool.imap_unordered(_score, [(item, args.scrim) for item in items])):
                rows += result
                if n % 10 == 0:
                    print(f"{n + 1}/{len(items)}", file=sys.stderr)
    spd = speed(args.scrim)
    load_after = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.tables_only:
        (RESULTS / ("declick-quick.json" if args.quick else "declick.json")).write_text(json.dumps(rows))
    target = RESULTS / "DECLICK-quick.md" if args.quick else qlib.QUALITY_DIR / "DECLICK.md"
    write_tables(rows, spd, (f"{load_before[0]:.2f}", f"{load_after[0]:.2f}"), target)
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
