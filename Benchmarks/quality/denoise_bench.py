"""Denoiser comparison: Scrim against SoX, FFmpeg, noisereduce and RNNoise on the same noisy files.

    bash Benchmarks/quality/setup.sh
    Benchmarks/.venv/py311/bin/python Benchmarks/quality/denoise_bench.py --scrim .build/release/scrim

Builds the corpus if it is missing (corpus.py), runs every tool on every noisy file (one core each, see --jobs),
measures SI-SDR (after undoing any delay the tool adds), PESQ-WB and STOI against the clean speech, and the wall
time per minute of audio. Writes Benchmarks/quality/DENOISE.md (tables) and the per-file results to
Benchmarks/work/quality/results/denoise.{csv,json}. See README.md beside this file for the definitions.
"""

from __future__ import annotations

import os

os.environ.update({k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                    "NUMEXPR_NUM_THREADS")})

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import corpus  # noqa: E402
import qlib  # noqa: E402

DEFAULT_TOOLS = ["scrim", "scrim-neural", "scrim-dfn3", "dfn3", "sox-noisered", "afftdn", "afftdn-tn",
                 "nr-stationary", "nr-nonstationary", "rnnoise", "stft-ref"]
DEFAULT_TEMPLATE = "{scrim} denoise {in} -o {out}"
NEURAL_TEMPLATE = "{scrim} denoise {in} -o {out} --engine neural"
DFN3_TEMPLATE = "{scrim} denoise {in} -o {out} --engine neural --neural-mode reference"
# scrim-dfn3 must equal libDF (dfn3) within this error energy relative to dfn3's output energy, on every file
EXACTNESS_LIMIT_DB = -60.0
MAX_LAG_SECONDS = 0.050
QUICK = {"utterances": ["u1", "u2"], "noises": ["white", "hvac", "bursts"], "snrs": [0, 10]}


def evaluate(item: dict, ctx: qlib.ToolContext, tools: list[str], out_dir: Path, keep: bool) -> list[dict]:
    clean, rate = qlib.read_mono(qlib.CORPUS_DIR / item["clean"])
    noisy_path = qlib.CORPUS_DIR / item["noisy"]
    noisy, _ = qlib.read_mono(noisy_path)
    n = len(clean)
    clean16 = qlib.to_16k(clean, rate)
    base = {"id": item["id"], "utterance": item["utterance"], "source": item["source"], "noise": item["noise"],
            "snr_db": item["snr_db"],
            "audio_seconds": n / rate}
    input_sdr = qlib.si_sdr(clean, noisy)
    noisy16 = qlib.to_16k(noisy, rate)
    input_stoi = qlib.stoi_score(clean16, noisy16)
    rows = [{**base, "tool": "input", "lag_samples": 0, "seconds": float("nan"), "si_sdr": input_sdr,
             "si_sdr_i": 0.0, "pesq_wb": qlib.pesq_wb(clean16, noisy16), "stoi": input_stoi,
             "stoi_minus_input": 0.0, "error": ""}]
    outputs = {}
    for tool in tools:
        dst = out_dir / tool / f"{item['id']}.wav"
        row = {**base, "tool": tool, "lag_samples": None, "seconds": float("nan"), "si_sdr": float("nan"),
               "si_sdr_i": float("nan"), "pesq_wb": float("nan"), "stoi": float("nan"),
               "stoi_minus_input": float("nan"), "error": ""}
        try:
            row["seconds"] = qlib.run_tool(tool, noisy_path, dst, ctx, item)
            if tool == "stft-ref":  # speed yardstick only
                rows.append(row)
                continue
            output, out_rate = qlib.read_mono(dst)
            outputs[tool] = output
            if out_rate != rate:
                raise RuntimeError(f"output rate {out_rate} != {rate}")
            lag = qlib.estimate_lag(clean, output, int(MAX_LAG_SECONDS * rate))
            aligned = qlib.align(output, lag, n)
            aligned16 = qlib.to_16k(aligned, rate)
            row.update(lag_samples=lag, si_sdr=qlib.si_sdr(clean, aligned),
                       pesq_wb=qlib.pesq_wb(clean16, aligned16), stoi=qlib.stoi_score(clean16, aligned16),
                       output_frames=len(output))
            row["si_sdr_i"] = row["si_sdr"] - input_sdr
            row["stoi_minus_input"] = row["stoi"] - input_stoi
        except Exception as error:  # noqa: BLE001 - one failing tool/file is recorded, not fatal
            row["error"] = repr(error)[-400:]
        finally:
            if not keep:
                dst.unlink(missing_ok=True)
        rows.append(row)
    if "dfn3" in outputs and "scrim-dfn3" in outputs:
        for row in rows:
            if row["tool"] == "scrim-dfn3":
                row["dfn3_error_db"] = exactness_db(outputs["scrim-dfn3"], outputs["dfn3"])
    return rows


def exactness_db(candidate: np.ndarray, reference: np.ndarray) -> float:
    """Error energy of candidate against reference, relative to the reference's energy, in dB (both sample-aligned
    with the input; the shorter is zero-padded)."""
    n = max(len(candidate), len(reference))
    a, b = np.zeros(n), np.zeros(n)
    a[: len(candidate)], b[: len(reference)] = candidate, reference
    return qlib.db(float(np.sum((a - b) ** 2)) / max(float(np.sum(b * b)), 1e-30))


def overall_table(rows: list[dict], tools: list[str]) -> str:
    lines = ["| tool | SI-SDR imp (dB) | PESQ-WB | STOI | files below input STOI | s per audio minute | x real time |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for tool in ["input"] + tools:
        sub = [r for r in rows if r["tool"] == tool]
        if not sub:
            continue

        def mean(key):
            values = [r[key] for r in sub if r.get(key) is not None and np.isfinite(r[key])]
            return float(np.mean(values)) if values else float("nan")

        timed = [r for r in sub if np.isfinite(r.get("seconds", float("nan")))]
        per_minute = (sum(r["seconds"] for r in timed) / (sum(r["audio_seconds"] for r in timed) / 60)
                      if timed else float("nan"))
        below = sum(1 for r in sub if np.isfinite(r["stoi_minus_input"]) and r["stoi_minus_input"] < 0)
        sdr = mean("si_sdr") if tool == "input" else mean("si_sdr_i")
        lines.append(f"| {tool} | {qlib.fmt(sdr, 2)}{' (SI-SDR itself)' if tool == 'input' else ''} | "
                     f"{qlib.fmt(mean('pesq_wb'), 2)} | {qlib.fmt(mean('stoi'), 3)} | "
                     f"{'—' if tool == 'input' else below} | {qlib.fmt(per_minute, 3)} | "
                     f"{qlib.fmt(60 / per_minute if per_minute else float('nan'), 0)}{'x' if timed else ''} |")
    return "\n".join(lines)


def select(items: list[dict], quick: bool) -> list[dict]:
    if not quick:
        return items
    return [i for i in items if i["utterance"] in QUICK["utterances"] and i["noise"] in QUICK["noises"]
            and i["snr_db"] in QUICK["snrs"]]


def report(rows: list[dict], tools: list[str], skipped: dict, args, items: list[dict], backend: str) -> str:
    quality_tools = [t for t in tools if t != "stft-ref"]
    columns = ["input"] + quality_tools
    snrs = sorted({r["snr_db"] for r in rows})
    noises = [n for n in corpus.NOISE_TYPES if any(r["noise"] == n for r in rows)]
    utterances = sorted({r["utterance"] for r in rows})
    real = len({r["utterance"] for r in rows if r["source"] == "alsa"})
    versions = qlib.tool_versions()
    out = ["# Denoise comparison", "",
           f"Generated {qlib.today()} on {qlib.machine_description()} by "
           f"`Benchmarks/quality/denoise_bench.py` (definitions and caveats: [README.md](README.md)).", "",
           "Reproduce:", "", "```", "bash Benchmarks/quality/setup.sh", " ".join(args.command_line), "```", "",
           f"Corpus: {len(items)} noisy files: {len(utterances)} utterances ({real} of them a real voice, the rest synthetic, "
           f"{len({r['source'] for r in rows})} speech sources) over {len(noises)} noise types and {len(snrs)} SNRs "
           f"({', '.join(str(s) for s in snrs)} dB); each utterance has {corpus.NOISES_PER_UTTERANCE} noise types "
           f"(rotating, see corpus.py) at every SNR, so that every noise type meets several voices at every SNR. "
           f"48 kHz mono float, each file with 1.0 s of noise "
           f"before the speech. Tools ran one file at a time, each pinned to one core (`--jobs {args.jobs}`).", ""]
    if skipped:
        out += ["Skipped: " + "; ".join(f"`{t}` ({why})" for t, why in skipped.items()) + ".", ""]
    out += ["Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + f", RNNoise via {backend}.", ""]
    out += ["Tools:", ""] + [f"- `{t}`: {qlib.TOOL_NOTES[t]}" for t in tools] + [""]
    if "dfn3-post" in tools:
        out += ["**`dfn3-post` is not Scrim's code**: it is the Python prototype of the neural engine's post-processor "
                "(libDF's DeepFilterNet3 followed by `neural_post.py`, specified in [NEURAL.md](NEURAL.md)), standing "
                "in for `scrim-neural` " + ("while the Swift engine is not wired into the CLI. " if "scrim-neural" in
                                            skipped else "as a cross-check. ")
                + "Its speed is Python's (libDF through ctypes plus numpy), not the Swift engine's. The table will be "
                "regenerated with `scrim-neural` once `scrim denoise --engine neural` exists.", ""]
    failures = [r for r in rows if r["error"]]
    if failures:
        out += [f"Failures ({len(failures)}): " + "; ".join(f"{r['tool']} on {r['id']}: {r['error'][:120]}"
                                                           for r in failures[:10]), ""]

    def snr_label(s):
        return f"{s} dB"

    sections = [("SI-SDR improvement (dB, higher is better; the `input` column is the input's SI-SDR itself)",
                 "si_sdr_i", 2),
                ("PESQ-WB (MOS-LQO 1.04-4.64, higher is better)", "pesq_wb", 2),
                ("STOI (0-1, higher is better)", "stoi", 3)]
    # the input column of the SI-SDR table shows the absolute input SI-SDR, so the improvement has a base
    display = [dict(r, si_sdr_i=r["si_sdr"]) if r["tool"] == "input" else r for r in rows]
    out += ["## Overall, with speed", "",
            "Means over all files, and the wall time per minute of audio (one core; see Speed below for the "
            "details).", "", overall_table(rows, quality_tools), ""]
    exact = [r for r in rows if r["tool"] == "scrim-dfn3" and r.get("dfn3_error_db") is not None]
    if exact:
        worst = max(exact, key=lambda r: r["dfn3_error_db"])
        verdict = "within" if worst["dfn3_error_db"] <= EXACTNESS_LIMIT_DB else "NOT within"
        out += ["## scrim-dfn3 against libDF", "",
                f"Error energy of `scrim-dfn3` against `dfn3` relative to `dfn3`'s output energy, per file: worst "
                f"{worst['dfn3_error_db']:.1f} dB ({worst['id']}), median "
                f"{float(np.median([r['dfn3_error_db'] for r in exact])):.1f} dB over {len(exact)} files: {verdict} "
                f"the {EXACTNESS_LIMIT_DB:.0f} dB required.", ""]
    out += ["## By input SNR", ""]
    for title, metric, digits in sections:
        out += [f"### {title}", "", qlib.metric_table(display, "snr_db", snrs, metric, columns, digits, "SNR",
                                                      snr_label), ""]
    out += ["## By noise type", ""]
    for title, metric, digits in sections:
        out += [f"### {title}", "", qlib.metric_table(display, "noise", noises, metric, columns, digits, "noise"),
                ""]
    sources = [s for s in ("espeak", "flite", "alsa") if any(r["source"] == s for r in rows)]
    out += ["## By speech source", "",
            "espeak-ng and flite are synthetic voices; `alsa` is a real voice (ALSA speaker-test prompts). "
            "Learned denoisers trained on real speech (RNNoise) may treat synthetic speech as noise.", ""]
    for title, metric, digits in sections:
        out += [f"### {title}", "", qlib.metric_table(display, "source", sources, metric, columns, digits,
                                                      "speech"), ""]
    out += ["## STOI against the input's", "",
            "Files where a tool's STOI is below the unprocessed input's, and the worst case.", "",
            "| tool | files below input | worst (tool - input) |", "|---|---:|---:|"]
    for tool in quality_tools:
        diffs = [r["stoi_minus_input"] for r in rows if r["tool"] == tool and np.isfinite(r["stoi_minus_input"])]
        if diffs:
            out.append(f"| {tool} | {sum(1 for d in diffs if d < 0)} of {len(diffs)} | {min(diffs):+.3f} |")
    out += ["", "## Speed", "",
            "Wall seconds per minute of audio, one core. Command-line tools include process start-up; Python "
            "libraries are timed in-process (read + process + write). `stft-ref` is a plain STFT round trip, "
            "a yardstick for this run's machine speed.", "", qlib.speed_table(rows, tools), ""]
    out += ["## Delay found", "",
            f"Each output is aligned to the clean speech by the cross-correlation peak within "
            f"+-{int(MAX_LAG_SECONDS * 1000)} ms before scoring; a positive lag means the tool delayed its output.",
            "", qlib.lag_table(rows, quality_tools), ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrim", help="path to the scrim executable (the scrim tool is skipped without it)")
    parser.add_argument("--scrim-template", default=DEFAULT_TEMPLATE,
                        help=f"command for scrim, with {{scrim}} {{in}} {{out}} (default: {DEFAULT_TEMPLATE!r})")
    parser.add_argument("--scrim-neural-template", default=NEURAL_TEMPLATE,
                        help=f"command for scrim-neural (default: {NEURAL_TEMPLATE!r})")
    parser.add_argument("--scrim-dfn3-template", default=DFN3_TEMPLATE,
                        help=f"command for scrim-dfn3, the pure-reference mode (default: {DFN3_TEMPLATE!r})")
    parser.add_argument("--tools", default=",".join(DEFAULT_TOOLS), help="comma-separated subset of: "
                        + ",".join(DEFAULT_TOOLS))
    parser.add_argument("--quick", action="store_true", help="6 files only (smoke test); tables go to work/")
    parser.add_argument("--jobs", type=int, default=1, help="files in parallel (default 1 for honest timing)")
    parser.add_argument("--utterances", type=int, default=len(corpus.UTTERANCES),
                        help=f"utterances in the corpus (default all {len(corpus.UTTERANCES)})")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the corpus first")
    parser.add_argument("--keep", action="store_true", help="keep processed files under work/quality/out/")
    parser.add_argument("--md", type=Path, help="where to write the table (default Benchmarks/quality/DENOISE.md, "
                        "or work/quality/results/DENOISE-quick.md with --quick)")
    args = parser.parse_args()
    args.command_line = ["Benchmarks/.venv/py311/bin/python", "Benchmarks/quality/denoise_bench.py"] + [
        shlex.quote(a) for a in sys.argv[1:]]

    tools, skipped = qlib.select_tools(parser, args.tools, DEFAULT_TOOLS, args.scrim)
    manifest = qlib.load_manifest(args.rebuild, args.utterances, corpus.build, corpus.PLAN)
    items = select(manifest["denoise"], args.quick)

    backend = "—"
    if "rnnoise" in tools:
        probe = qlib.RNNoiseWorker(None)
        backend = probe.backend
        probe.close()

    scrim = str(Path(args.scrim).resolve()) if args.scrim else None
    out_dir = qlib.WORK_DIR / "out" / "denoise"
    print(f"{len(items)} files x {len(tools)} tools, jobs={args.jobs}", file=sys.stderr)
    work = functools.partial(evaluate, tools=tools, out_dir=out_dir, keep=args.keep)
    templates = {"scrim": args.scrim_template, "scrim-neural": args.scrim_neural_template,
                 "scrim-dfn3": args.scrim_dfn3_template}
    rows = [row for rows in qlib.run_items(work, items, args.jobs, scrim, templates) for row in rows]

    results = qlib.WORK_DIR / "results"
    suffix = "-quick" if args.quick else ""
    qlib.write_raw(rows, results / f"denoise{suffix}")
    md_path = args.md or (results / "DENOISE-quick.md" if args.quick else qlib.QUALITY_DIR / "DENOISE.md")
    md_path.write_text(report(rows, tools, skipped, args, items, backend) + "\n")
    print(f"wrote {md_path} and {results / ('denoise' + suffix)}.csv/.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
