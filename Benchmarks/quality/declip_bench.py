"""De-clip benchmark: Scrim's `scrim declip` against FFmpeg `adeclip` on clipped speech; writes DECLIP.md.

Run with the benchmark venv (Benchmarks/quality/setup.sh makes it):
    Benchmarks/.venv/py311/bin/python Benchmarks/quality/declip_bench.py --scrim .build/release/scrim

Corpus (built here, deterministic, under Benchmarks/work/quality/declip_corpus/): utterances from corpus.py's voices
(espeak-ng, flite, the real ALSA voice), each at one sample rate (44.1, 48 or 96 kHz, in turn) and its own level.
The clean utterance is scaled so that its peak sits exactly at the clip level, then raised by G dB (the "dB over":
1, 3, 6, 10, 15) and
- hard-clipped at 0 dBFS and at a -6 dBFS ceiling (written as 24-bit PCM, as a recorder would), or
- soft-clipped by a saturating curve y = L f(x / L) at L = -1 dBFS (written as 32-bit float), with two shapes:
  tanh, f(u) = tanh u, and arctan, f(u) = (2/pi) atan(pi u / 2) (a softer knee, slower to its ceiling).
The reference for every metric is the unclipped, raised utterance (float). Clean files (0 dB over: the peak just
touches the level) check that clean input is left alone.

Tools: `input` (the clipped file as it is), `scrim` (`scrim declip IN -o OUT --bits float`), `adeclip`
(FFmpeg's defaults). FFmpeg writes float so that its rebuilt peaks are not clipped again. A tuned adeclip was tried
in a smaller run (3 utterances): `adeclip=a=16` (the AR order, a share of the 55 ms window, doubled: the one
obvious knob) scored the same or lower at every level (SI-SDR average 19.8 / 23.6 dB against the default's 19.8 /
24.4 dB at the 0 / -6 dBFS ceilings) and took twice as long, so the full run keeps the default only.

Metrics: SI-SDR (Le Roux et al. 2019) over the whole file against the reference, after undoing any delay (FFT
cross-correlation within +-2048 samples; Scrim's output is sample-aligned, lag 0); PESQ wide band (ITU-T P.862.2) on
16 kHz versions of both (scipy resample_poly), scale-aligned. Speed: x real time of `scrim declip` on one core
(taskset -c 0) on a 60 s 48 kHz mono file, median of 5 runs, with the machine load and a baseline measured in the
same run (`sox in out` copy, and `scrim declip` on clean input, where it only detects and passes through).
CPU time from `perf stat -r 5 -e task-clock` (files in /dev/shm), with `scrim info` and `cp` measured the same way
in the same run as baselines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import qlib  # noqa: E402

WORK = qlib.WORK_DIR
CORPUS = WORK / "declip_corpus"
OUT = WORK / "declip_out"
RESULTS = WORK / "results"
QUALITY = qlib.QUALITY_DIR

UTTERANCES = ["u1", "u2", "u3", "r1", "u8", "u13"]
RATES = [44100, 48000, 96000]
OVERS_DB = [1, 3, 6, 10, 15]
CEILINGS_DBFS = [0.0, -6.0]
SOFT_LEVEL_DBFS = -1.0
SOFT_SHAPES = {"tanh": np.tanh, "arctan": lambda u: 2 / np.pi * np.arctan(np.pi / 2 * u)}
TOOLS = ["input", "scrim", "adeclip"]
# adeclip slows down sharply with the clipped share (109 s for a 6.5 s file 10 dB over a -6 dBFS ceiling, over
# 180 s at 15 dB): past this limit a file is left out of every tool's averages and listed.
ADECLIP_TIMEOUT_SECONDS = 60
# Scrim's hard-clipping scores per level (1, 3, 6, 10, 15 dB over) in the run of 2026-12-07 06:34 UTC (commit
# 8260bcf: the AR solve at the full order everywhere), for the comparison in DECLIP.md.
PREVIOUS_HARD = {0.0: {"sisdr": [82.6, 58.4, 38.3, 22.8, 13.2], "pesq": [4.64, 4.60, 4.33, 3.47, 2.34]},
                 -6.0: {"sisdr": [82.6, 58.5, 38.3, 22.8, 13.8], "pesq": [4.64, 4.60, 4.33, 3.47, 2.58]}}


def utterance_speech(name: str, tmp: Path) -> np.ndarray:
    for utt, engine, voice, text in corpus.UTTERANCES:
        if utt == name:
            x, _ = corpus.speech(engine, voice, text, tmp, fit=engine != "alsa")
            return x
    raise KeyError(name)


def build(quick: bool) -> list[dict]:
    CORPUS.mkdir(parents=True, exist_ok=True)
    manifest = CORPUS / ("manifest-quick.json" if quick else "manifest.json")
    if manifest.exists():
        return json.loads(manifest.read_text())
    items = []
    names = UTTERANCES[:3] if quick else UTTERANCES
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        for index, name in enumerate(names):
            x48 = utterance_speech(name, tmp)
            rate = RATES[index % len(RATES)]
            x = x48 if rate == 48000 else resample_poly(x48, rate // 100 if rate != 44100 else 441, 480)
            x = np.concatenate([np.zeros(int(0.3 * rate)), x, np.zeros(int(0.3 * rate))])
            x = x / np.max(np.abs(x))
            for ceiling in CEILINGS_DBFS:
                level = 10 ** (ceiling / 20)
                for over in [0] + OVERS_DB:
                    reference = x * level * 10 ** (over / 20)
                    clipped = np.clip(reference, -level, level)
                    stem = f"{name}_{rate // 100}_hard{int(-ceiling)}_{over}dB"
                    sf.write(CORPUS / f"{stem}.ref.wav", reference, rate, subtype="FLOAT")
                    sf.write(CORPUS / f"{stem}.wav", clipped, rate, subtype="PCM_24")
                    items.append({"stem": stem, "utterance": name, "rate": rate, "kind": "hard" if over else "clean",
                                  "ceilingDbfs": ceiling, "overDb": over})
            level = 10 ** (SOFT_LEVEL_DBFS / 20)
            for shape, curve in SOFT_SHAPES.items():
                for over in OVERS_DB:
                    reference = x * level * 10 ** (over / 20)
                    soft = level * curve(reference / level)
                    stem = f"{name}_{rate // 100}_soft{shape}_{over}dB"
                    sf.write(CORPUS / f"{stem}.ref.wav", reference, rate, subtype="FLOAT")
                    sf.write(CORPUS / f"{stem}.wav", soft, rate, subtype="FLOAT")
                    items.append({"stem": stem, "utterance": name, "rate": rate, "kind": "soft", "shape": shape,
                                  "ceilingDbfs": SOFT_LEVEL_DBFS, "overDb": over})
    manifest.write_text(json.dumps(items, indent=1))
    return items


def run_tool(tool: str, src: Path, dst: Path, scrim: str | None) -> tuple[float, dict | None]:
    """Runs one tool; returns (wall seconds, scrim's JSON report or None)."""
    if tool == "scrim":
        argv = [scrim, "declip", str(src), "-o", str(dst), "--bits", "float", "--overwrite", "--json"]
    elif tool == "adeclip":
        argv = qlib.FFMPEG + ["-i", str(src), "-af", "adeclip", "-c:a", "pcm_f32le", str(dst)]
    elif tool == "adeclip-a16":
        argv = qlib.FFMPEG + ["-i", str(src), "-af", "adeclip=a=16", "-c:a", "pcm_f32le", str(dst)]
    else:
        raise ValueError(tool)
    start = time.perf_counter()
    try:
        result = subprocess.run(["taskset", "-c", "0"] + argv, capture_output=True, text=True,
                                env=qlib.single_thread_env(),
                                timeout=None if tool == "scrim" else ADECLIP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return float("inf"), None
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr[-500:]}")
    report = json.loads(result.stdout) if tool == "scrim" else None
    return seconds, report


def to16k(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == 48000:
        return resample_poly(x, 1, 3)
    if rate == 96000:
        return resample_poly(x, 1, 6)
    if rate == 44100:
        return resample_poly(x, 160, 441)
    raise ValueError(rate)


def score(reference: np.ndarray, estimate: np.ndarray, rate: int) -> dict:
    lag = qlib.estimate_lag(reference, estimate, 2048)
    aligned = qlib.align(estimate, lag, len(reference))
    if np.array_equal(aligned, reference):
        sisdr = float("inf")
    else:
        sisdr = qlib.si_sdr(reference, aligned)
    alpha = np.dot(aligned, reference) / max(np.dot(aligned, aligned), 1e-30)
    r16, e16 = to16k(reference, rate), to16k(alpha * aligned, rate)
    # PESQ's input filter expects levels near speech; both scaled together so the reference peaks at 0.5.
    scale = 0.5 / max(np.max(np.abs(r16)), 1e-9)
    return {"lag": lag, "sisdr": sisdr, "pesq": qlib.pesq_wb(r16 * scale, e16 * scale)}


def perf_task_clock(argv: list[str], tmp: Path) -> float:
    """CPU seconds (task-clock) of one command on core 0: median... perf stat's mean of 5 runs."""
    out = tmp / "perf.txt"
    subprocess.run(["perf", "stat", "-r", "5", "-e", "task-clock", "-x", ",", "-o", str(out), "taskset", "-c", "0"]
                   + argv, check=True, capture_output=True)
    for line in out.read_text().splitlines():
        if "task-clock" in line:
            return float(line.split(",")[0]) / 1000
    raise RuntimeError(f"no task-clock in {out}")


def speed(scrim: str, items: list[dict]) -> dict:
    """x real time of scrim declip on 60 s of 48 kHz mono, one core: wall median of 5, CPU from perf stat -r 5."""
    sources = [it for it in items if it["rate"] == 48000 and it["kind"] == "hard" and it["ceilingDbfs"] == 0]
    soft = [it for it in items if it["rate"] == 48000 and it["kind"] == "soft"]
    cases = {}
    tmp = Path(tempfile.mkdtemp(prefix="declip-speed-", dir="/dev/shm"))
    try:
        plan = [("clean", 0, sources[0]["stem"].rsplit("_", 1)[0] + "_0dB")] if sources else []
        plan += [(f"hard{o}", o, sources[0]["stem"].rsplit("_", 1)[0] + f"_{o}dB") for o in OVERS_DB] if sources else []
        for shape in SOFT_SHAPES:
            stems = [it["stem"] for it in soft if it["shape"] == shape]
            if stems:
                plan += [(f"soft{shape}{o}", o, stems[0].rsplit("_", 1)[0] + f"_{o}dB") for o in (1, 6, 15)]
        for label, over, stem in plan:
            if not (CORPUS / f"{stem}.wav").exists():
                continue
            x, rate = sf.read(CORPUS / f"{stem}.wav")
            reps = int(np.ceil(60 * rate / len(x)))
            long = np.tile(x, reps)[: 60 * rate]
            path = tmp / f"long_{label}.wav"
            sf.write(path, long, rate, subtype="FLOAT" if label.startswith("soft") else "PCM_24")
            times, copies = [], []
            for _ in range(5):
                start = time.perf_counter()
                subprocess.run(["taskset", "-c", "0", scrim, "declip", str(path), "-o", str(tmp / "o.wav"),
                                "--overwrite"], check=True, capture_output=True)
                times.append(time.perf_counter() - start)
                start = time.perf_counter()
                subprocess.run(["taskset", "-c", "0", "sox", str(path), str(tmp / "c.wav")], check=True,
                               capture_output=True)
                copies.append(time.perf_counter() - start)
            cpu = perf_task_clock([scrim, "declip", str(path), "-o", str(tmp / "o.wav"), "--overwrite"], tmp)
            info = perf_task_clock([scrim, "info", str(path)], tmp)
            copy = perf_task_clock(["cp", str(path), str(tmp / "c.wav")], tmp)
            cases[label] = {"over": over, "seconds": float(np.median(times)), "xRealTime": 60 / float(np.median(times)),
                            "cpuSeconds": cpu, "xRealTimeCpu": 60 / cpu, "infoCpuSeconds": info,
                            "copyCpuSeconds": copy, "copySeconds": float(np.median(copies))}
            print(f"speed {label}: {cases[label]}", flush=True)
    finally:
        for f in tmp.glob("*"):
            f.unlink()
        tmp.rmdir()
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scrim", default=".build/release/scrim")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--speed-only", action="store_true",
                        help="reuse the last run's per-file results, measure the speed again, rewrite the tables")
    parser.add_argument("--table-only", action="store_true",
                        help="reuse the last run's per-file results and speeds, rewrite the tables")
    args = parser.parse_args()
    scrim = str(Path(args.scrim).resolve())
    if args.rebuild:
        for f in CORPUS.glob("*"):
            f.unlink()
    load_before = os.getloadavg()
    items = build(args.quick)
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    rows = []
    if args.speed_only or args.table_only:
        rows = json.loads((RESULTS / f"declip{suffix}.json").read_text())
        items = []
    for n, item in enumerate(items):
        src = CORPUS / f"{item['stem']}.wav"
        reference, rate = sf.read(CORPUS / f"{item['stem']}.ref.wav")
        for tool in TOOLS:
            if tool == "input":
                estimate, _ = sf.read(src)
                seconds, report = 0.0, None
            else:
                dst = OUT / f"{item['stem']}.{tool}.wav"
                seconds, report = run_tool(tool, src, dst, scrim)
                if not np.isfinite(seconds):  # the peer ran past its time limit: no score
                    rows.append(dict(item, tool=tool, seconds=seconds, duration=len(reference) / rate,
                                     lag=0, sisdr=float("nan"), pesq=float("nan"), timedOut=True))
                    continue
                estimate, _ = sf.read(dst)
            row = dict(item, tool=tool, seconds=seconds, duration=len(reference) / rate, **score(reference, estimate,
                                                                                               rate))
            if tool == "scrim" and item["kind"] == "clean":
                row["identicalToInput"] = bool(np.array_equal(estimate, sf.read(src)[0]))
            if report is not None:
                track = report["declip"]["tracks"][0]
                row.update(detected=track["kind"], gainDb=report["declip"]["gainDb"], runs=track["runsFound"],
                           curve=track.get("curve"), curveDriveDb=track.get("curveDriveDb"))
            rows.append(row)
        print(f"[{n + 1}/{len(items)}] {item['stem']}: " + ", ".join(
            f"{r['tool']} {r['sisdr']:.1f}/{r['pesq']:.2f} {r['seconds']:.2f}s" for r in rows[-len(TOOLS):]),
            flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not (args.speed_only or args.table_only):
        (RESULTS / f"declip{suffix}.json").write_text(json.dumps(rows, indent=1))
    if args.table_only:
        rows = json.loads((RESULTS / f"declip{suffix}.json").read_text())
        speeds = json.loads((RESULTS / f"declip-speed{suffix}.json").read_text())
    else:
        speeds = speed(scrim, build(args.quick))
        (RESULTS / f"declip-speed{suffix}.json").write_text(json.dumps(speeds, indent=1))
    load_after = os.getloadavg()
    write_tables(rows, speeds, load_before, load_after, QUALITY / "DECLIP.md" if not args.quick
                 else RESULTS / "DECLIP-quick.md")
    return 0


def mean(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def write_tables(rows, speeds, load_before, load_after, path: Path) -> None:
    lines = ["# De-clip: Scrim against FFmpeg adeclip", "",
             f"Generated by `Benchmarks/quality/declip_bench.py` on {qlib.today()} ({qlib.machine_description()}; "
             f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after — the machine is shared). "
             "See the script's header for the corpus, the tools and the metrics. Higher is better everywhere.", ""]
    utterances = sorted({r["utterance"] for r in rows})
    rates = sorted({r["rate"] for r in rows})
    lines.append(f"Corpus: {len(utterances)} utterances ({', '.join(utterances)}), sample rates "
                 f"{', '.join(str(r) for r in rates)} Hz; {len({r['stem'] for r in rows})} files. "
                 "SI-SDR in dB against the unclipped original (scale-aligned); PESQ-WB MOS-LQO.")
    lines.append("")
    sections = [("hard", "Hard clipping at 0 dBFS", [0.0], None),
                ("hard", "Hard clipping at a -6 dBFS ceiling", [-6.0], None),
                ("soft", "Soft clipping, tanh (L tanh(x/L), L = -1 dBFS)", [SOFT_LEVEL_DBFS], "tanh"),
                ("soft", "Soft clipping, arctan (L (2/pi) atan(pi x / 2L), L = -1 dBFS)", [SOFT_LEVEL_DBFS], "arctan"),
                ("soft", "Soft clipping, both shapes", [SOFT_LEVEL_DBFS], "all")]
    for kind, title, ceilings, shape in sections:
        dropped = {r["stem"] for r in rows if r.get("timedOut")}
        subset = [r for r in rows if r["kind"] == kind and r["ceilingDbfs"] in ceilings and r["stem"] not in dropped
                  and (shape in (None, "all") or r.get("shape", "tanh") == shape)]
        if not subset:
            continue
        lines += [f"## {title}", ""]
        for metric, label, digits in (("sisdr", "SI-SDR (dB)", 1), ("pesq", "PESQ-WB", 2)):
            columns = [f"{o} dB over" for o in OVERS_DB] + ["average"]

            def cell(tool, column, metric=metric, digits=digits, subset=subset):
                if column == "average":
                    values = [r[metric] for r in subset if r["tool"] == tool]
                else:
                    over = int(column.split()[0])
                    values = [r[metric] for r in subset if r["tool"] == tool and r["overDb"] == over]
                return qlib.fmt(mean(values), digits)

            lines += [f"**{label}**", "", qlib.markdown_table("tool", TOOLS, columns, cell), ""]
        behind = []
        for metric in ("sisdr", "pesq"):
            for over in OVERS_DB:
                ours = mean([r[metric] for r in subset if r["tool"] == "scrim" and r["overDb"] == over])
                theirs = mean([r[metric] for r in subset if r["tool"] == "adeclip" and r["overDb"] == over])
                if not ours > theirs:
                    behind.append(f"{metric} at {over} dB over")
        lines += ["Scrim ahead of adeclip at every level on both metrics." if not behind
                  else "Scrim NOT ahead of adeclip: " + ", ".join(behind) + ".", ""]
        if kind == "hard" and shape is None:
            before = PREVIOUS_HARD.get(ceilings[0])
            if before:
                now = {m: [mean([r[m] for r in subset if r["tool"] == "scrim" and r["overDb"] == o]) for o in OVERS_DB]
                       for m in ("sisdr", "pesq")}
                lines += ["Against the previous run of this benchmark (2026-12-07 06:34 UTC, before the speed work: "
                          "no order cap), Scrim's SI-SDR per level " + " / ".join(f"{b:.1f} → {a:.1f}" for b, a in
                          zip(before["sisdr"], now["sisdr"])) + " dB, PESQ-WB " + " / ".join(
                          f"{b:.2f} → {a:.2f}" for b, a in zip(before["pesq"], now["pesq"])) + "." + (
                          " (At this ceiling both runs leave out the files adeclip timed out on: 2 then, "
                          f"{len(dropped)} now, so the 15 dB averages are over slightly different files.)"
                          if ceilings[0] != 0.0 else ""), ""]
        scrim_rows = [r for r in subset if r["tool"] == "scrim"]
        detected = sum(1 for r in scrim_rows if r.get("detected") == kind)
        lines += [f"Scrim's detector called {detected} of {len(scrim_rows)} files {kind}-clipped.", ""]
        if kind == "soft" and shape not in (None, "all"):
            found = [r for r in scrim_rows if r.get("curve") is not None]
            right = sum(1 for r in found if r["curve"] == shape)
            errors = [abs(r["curveDriveDb"] - r["overDb"]) for r in found if r.get("curveDriveDb") is not None]
            real = [r for r in subset if r["utterance"] == "r1"]
            if real:
                columns = [f"{o} dB over" for o in OVERS_DB]

                def real_cell(tool, column, real=real):
                    over = int(column.split()[0])
                    values = [f"{r['sisdr']:.1f} / {r['pesq']:.2f}" for r in real
                              if r["tool"] == tool and r["overDb"] == over]
                    return values[0] if values else "–"

                lines += ["The real voice alone (r1, 44.1 kHz; SI-SDR dB / PESQ-WB; the synthetic voices above "
                          "come back almost exactly, this is the harder case):", "",
                          qlib.markdown_table("tool", TOOLS, columns, real_cell), ""]
                curves = [f"{r['overDb']} dB: {r.get('curve')} {r.get('curveDriveDb')}" for r in real
                          if r["tool"] == "scrim"]
                lines += ["Curve and drive (dB) found on r1: " + "; ".join(curves) + ".", ""]
            lines += [f"Curve found in {len(found)} of {len(scrim_rows)} files, the right shape in {right}; "
                      f"drive error (estimated - true dB over) median {qlib.fmt(float(np.median(errors)) if errors else float('nan'), 2)} dB, "
                      f"largest {qlib.fmt(max(errors) if errors else float('nan'), 2)} dB.", ""]
    clean = [r for r in rows if r["kind"] == "clean" and r["tool"] == "scrim"]
    if clean:
        identical = sum(1 for r in clean if r.get("identicalToInput"))
        worst = min(r["sisdr"] for r in clean)
        lines += ["## Clean input (peak exactly at the level, nothing clipped)", "",
                  f"{len(clean)} files (24-bit, each utterance at 0 and -6 dBFS peak): Scrim's output is bit-identical "
                  f"to the input file in {identical}; its lowest SI-SDR against the float original is {worst:.1f} dB "
                  "(the input's own 24-bit rounding; target ≥ 60 dB). Detected as clipped: "
                  f"{sum(1 for r in clean if r.get('detected') not in (None, 'none'))}.", ""]
    lines += ["## Per sample rate (hard clipping, both ceilings, SI-SDR dB, average over levels)", ""]

    def rate_cell(tool, column):
        rate = int(column.split()[0])
        dropped = {r["stem"] for r in rows if r.get("timedOut")}
        return qlib.fmt(mean([r["sisdr"] for r in rows if r["tool"] == tool and r["kind"] == "hard"
                              and r["rate"] == rate and r["stem"] not in dropped]), 1)

    lines += [qlib.markdown_table("tool", TOOLS, [f"{r} Hz" for r in rates], rate_cell), ""]
    lines += ["## Speed", "",
              "`scrim declip` (release build) on 60 s of 48 kHz mono speech (the corpus's 48 kHz utterance tiled; "
              "24-bit for hard clipping, float for soft), file to file, one core (`taskset -c 0`), all passes "
              "included (detection, rebuild into a float intermediate, gain). The target is CPU time: "
              "`perf stat -r 5 -e task-clock` (files in /dev/shm); wall time (median of 5) suffers from the other "
              "jobs on the shared machine (see the load average). Baselines measured the same way in the same run: "
              "`scrim info` on the file and `cp` of it.", "",
              "| input | CPU (s) | × real time (CPU) | wall (s) | × real time (wall) | scrim info CPU (s) | cp CPU (s) | "
              "declip / info |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, case in speeds.items():
        over = case["over"]
        if label == "clean":
            name = "clean (detection + pass-through)"
        elif label.startswith("hard"):
            name = f"hard-clipped {over} dB over 0 dBFS"
        else:
            name = f"soft-clipped ({label[4:-len(str(over))]}) {over} dB over"
        lines.append(f"| {name} | {case['cpuSeconds']:.3f} | {case['xRealTimeCpu']:.0f} | {case['seconds']:.3f} | "
                     f"{case['xRealTime']:.0f} | {case['infoCpuSeconds']:.3f} | {case['copyCpuSeconds']:.3f} | "
                     f"{case['cpuSeconds'] / max(case['infoCpuSeconds'], 1e-9):.1f} |")
    slow = [label for label, case in speeds.items() if case["xRealTimeCpu"] < 200]
    lines += ["", "The issue's 200× real time on one core (CPU time): " + (
        "met at every level measured." if not slow else "NOT met for " + ", ".join(slow) + ".")]
    timed_out = [r for r in rows if r.get("timedOut")]
    if timed_out:
        lines += ["", f"FFmpeg adeclip ran past its {ADECLIP_TIMEOUT_SECONDS} s limit on {len(timed_out)} file(s) "
                  "(left out of every tool's averages above, so that each average is over the same files): " + ", ".join(r["stem"] for r in timed_out) + "."]
    tool_speed = []
    for tool in TOOLS[1:]:
        done = [r for r in rows if r["tool"] == tool and r["rate"] == 48000 and np.isfinite(r["seconds"])]
        total = sum(r["seconds"] for r in done)
        audio = sum(r["duration"] for r in done)
        if total > 0:
            tool_speed.append(f"{tool} {audio / total:.0f}×")
    lines += ["", "Per-file × real time over the corpus's 48 kHz files (5–7 s each, process start-up included): "
              + ", ".join(tool_speed) + ".", ""]
    lines += ["## Notes", "",
              "- Soft clipping: Scrim searches the curve (shape tanh or arctan, drive -6…24 dB; see "
              "SaturationCurveEstimator in Sources/ScrimCleanup/Restoration/DeclipperCurve.swift) that makes the "
              "loudest 48 frames most predictable (order-16 linear prediction) and maps every sample back through its "
              "inverse. The corpus's curves are exactly the two shapes searched, and its drives (1, 3, 6, 10, 15 dB) "
              "lie on the search's 0.25 dB grid, so the synthetic voices come back almost exactly (SI-SDR of 100 dB "
              "and more); the real voice (r1) is the harder, more honest case. Other shapes (a cubic soft knee, a "
              "limiter with memory, a tape curve with hysteresis) are not searched and not measured here.",
              "- A float file through tanh 15 dB over can hold flat runs at the curve's float ceiling; the detector "
              "then also runs the curve search (when the flat samples are ≤ 0.1 % of the samples heard) and prefers "
              "the curve when the flat samples are under 5 % of those above its knee.",
              "- adeclip hardly changes files clipped at 0 dBFS (its scores there are the input's); at a -6 dBFS "
              "ceiling it rebuilds, more slowly the more is clipped (over 60 s for a 6 s file 15 dB over).",
              "- Speed: the constrained least-squares solve (banded Cholesky, O(unknowns × order²)) dominated from "
              "6 dB over (189× real time at 6 dB, 49× at 15 dB before this change). Now neighbouring clusters reuse "
              "one AR fit, the Cholesky multiplies by the diagonal's reciprocal, the dot products run four partial "
              "sums, and clusters with many unknowns (over 1 ms) are fitted and solved at half or a quarter of the "
              "AR order (DeclipperInterpolator.solveBudgetUnknowns). The order cap is the only change that costs "
              "quality (see the comparison lines under the hard-clipping tables: 6–15 dB over lost up to 3.9 dB "
              "SI-SDR and 0.36 PESQ-WB), and it is what brings 10–15 dB over within 200×: without it 15 dB over took "
              "0.59 s CPU (101×), with a budget of 96 unknowns 0.35 s (171×). 15 dB over is at the line: the same "
              "build measured 0.27–0.32 s (188–222×) in repeated runs on this shared machine, so the target is met "
              "in this run without margin. A C kernel for the banded Cholesky (eight partial sums, AVX2/AVX-512 "
              "clones) was tried and was not faster (the dot products are at most `order` long).", ""]
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
