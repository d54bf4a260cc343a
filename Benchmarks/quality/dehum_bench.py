"""De-hum comparison: Scrim against a notch bank at the true harmonics, FFmpeg afftdn and noisereduce.

    bash Benchmarks/quality/setup.sh
    Benchmarks/.venv/py311/bin/python Benchmarks/quality/dehum_bench.py --scrim .build/release/scrim

Runs every tool on every hum file of the corpus (built by corpus.py if missing), and measures:
- hum left in the speech pauses (all of them, and the lead-in alone): the power of the known harmonics
  (least-squares fit of every true harmonic on the true f0 track, per pause segment) in the output, relative
  to the same fit on the input, in dB; and the same net of the input's other content (the fit to output -
  (input - true hum), re the true hum), which does not count `hum_noise`'s noise at the harmonics as hum left;
- broadband residual in the same pauses: output power / input power in dB (includes any added noise and,
  for `hum_noise`, the broadband noise, which the de-hummers are not asked to remove);
- SI-SDR improvement and PESQ-WB (and STOI) against the clean speech, after undoing any tool delay.
Pauses: 10 ms frames of the clean speech below -60 dBFS whose two neighbours each side are too (the speech sits
at -26 dBFS active level), ignoring the first 0.5 s of the file (filter settling), in runs of at least 0.1 s.
Writes Benchmarks/quality/DEHUM.md and Benchmarks/work/quality/results/dehum.{csv,json}.
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

DEFAULT_TOOLS = ["scrim", "notch-bank", "afftdn", "nr-stationary", "stft-ref"]
DEFAULT_TEMPLATE = "{scrim} dehum {in} -o {out}"
MAX_LAG_SECONDS = 0.050
SETTLE_SECONDS = 0.5
MIN_PAUSE_SECONDS = 0.1
QUICK = {"utterances": ["u1"], "hums": ["mains60", "drift", "hum_noise"]}


def phase_track(item: dict, n: int, rate: int) -> np.ndarray:
    """Instantaneous phase (radians) of the fundamental from the stored f0 track (linear interpolation)."""
    hop = item["f0_track_hop_seconds"]
    track = np.asarray(item["f0_track_hz"])
    f0 = np.interp(np.arange(n) / rate, np.arange(len(track)) * hop, track)
    return 2 * np.pi * np.cumsum(f0) / rate


def true_hum(item: dict, n: int, rate: int) -> np.ndarray:
    """The hum the corpus added, rebuilt from its JSON (harmonic amplitudes and phases on the f0 track, times the
    swell envelope if any); input - true_hum is the file's other content (speech, and hum_noise's noise) to within
    float32 rounding."""
    phase = phase_track(item, n, rate)
    hum = np.zeros(n)
    for k, amplitude, offset in zip(item["harmonic_numbers"], item["amplitudes"], item["phases_rad"]):
        hum += amplitude * np.cos(k * phase + offset)
    if item.get("envelope_db"):
        hop = item["envelope_db_hop_seconds"]
        envelope = np.asarray(item["envelope_db"])
        hum *= 10 ** (np.interp(np.arange(n) / rate, np.arange(len(envelope)) * hop, envelope) / 20)
    return hum


def harmonic_energy(x: np.ndarray, segments: list[tuple[int, int]], phase: np.ndarray, ks: list[int]) -> float:
    """Energy of the least-squares fit of cos/sin at every harmonic k * phase, summed over the segments."""
    total = 0.0
    k = np.asarray(ks, dtype=float)
    for start, end in segments:
        arg = np.outer(phase[start:end], k)
        basis = np.concatenate([np.cos(arg), np.sin(arg)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, x[start:end], rcond=None)
        fit = basis @ coef
        total += float(np.dot(fit, fit))
    return total


def oracle_hum_fit(x: np.ndarray, item: dict, phase: np.ndarray, ks: list[int], n: int, rate: int) -> np.ndarray:
    """Least-squares fit to x of cos/sin at every true harmonic k * phase, times the true envelope, over all of x
    (normal equations accumulated over one-second chunks, so memory stays small with many harmonics)."""
    k = np.asarray(ks, dtype=float)
    envelope = np.ones(n)
    if item.get("envelope_db"):
        hop = item["envelope_db_hop_seconds"]
        levels = np.asarray(item["envelope_db"])
        envelope = 10 ** (np.interp(np.arange(n) / rate, np.arange(len(levels)) * hop, levels) / 20)

    def basis(start: int, end: int) -> np.ndarray:
        arg = np.outer(phase[start:end], k)
        return np.concatenate([np.cos(arg), np.sin(arg)], axis=1) * envelope[start:end, None]

    gram = np.zeros((2 * len(ks), 2 * len(ks)))
    projection = np.zeros(2 * len(ks))
    for start in range(0, n, rate):
        b = basis(start, min(n, start + rate))
        gram += b.T @ b
        projection += b.T @ x[start:start + len(b)]
    coef = np.linalg.lstsq(gram, projection, rcond=None)[0]
    fit = np.empty(n)
    for start in range(0, n, rate):
        end = min(n, start + rate)
        fit[start:end] = basis(start, end) @ coef
    return fit


def evaluate(item: dict, ctx: qlib.ToolContext, tools: list[str], out_dir: Path, keep: bool) -> list[dict]:
    params = json.loads((qlib.CORPUS_DIR / item["noisy"]).with_suffix(".json").read_text())
    clean, rate = qlib.read_mono(qlib.CORPUS_DIR / item["clean"])
    noisy_path = qlib.CORPUS_DIR / item["noisy"]
    noisy, _ = qlib.read_mono(noisy_path)
    n = len(clean)
    pauses = qlib.pause_mask(clean, rate)
    pauses[: int(SETTLE_SECONDS * rate)] = False
    segments = qlib.mask_segments(pauses, int(MIN_PAUSE_SECONDS * rate))
    phase = phase_track(params, n, rate)
    ks = params["harmonic_numbers"]
    input_hum = harmonic_energy(noisy, segments, phase, ks)
    # the lead-in part alone (SETTLE_SECONDS .. first speech): steady hum with no speech before it to ring
    # (clipped at the end of the lead-in: a voice that starts quietly, below the pause threshold, extends the first
    # pause past it)
    lead_end = int(qlib.LEAD_IN_SECONDS * rate)
    lead = [(s, min(e, lead_end)) for s, e in segments if s < lead_end]
    input_lead_hum = harmonic_energy(noisy, lead, phase, ks)
    hum = true_hum(params, n, rate)
    other = noisy - hum
    true_hum_energy = harmonic_energy(hum, segments, phase, ks)
    input_pause = sum(float(np.dot(noisy[s:e], noisy[s:e])) for s, e in segments)
    clean16 = qlib.to_16k(clean, rate)
    noisy16 = qlib.to_16k(noisy, rate)
    input_sdr = qlib.si_sdr(clean, noisy)
    base = {"id": item["id"], "utterance": item["utterance"], "source": item["source"], "hum": item["hum"],
            "hum_to_speech_db": item["hum_to_speech_db"], "audio_seconds": n / rate,
            "pause_seconds": sum(e - s for s, e in segments) / rate}
    rows = [{**base, "tool": "input", "lag_samples": 0, "seconds": float("nan"), "hum_residual_db": 0.0,
             "hum_residual_leadin_db": 0.0, "hum_residual_net_db": 0.0,
             "pause_residual_db": 0.0, "si_sdr": input_sdr, "si_sdr_i": 0.0,
             "pesq_wb": qlib.pesq_wb(clean16, noisy16), "stoi": qlib.stoi_score(clean16, noisy16), "error": ""}]
    # What an exact subtraction of the true hum leaves (the input's other content): the floor of the hum metrics,
    # above -inf only where other content sits at the hum's frequencies (hum_noise's noise).
    exact = noisy - hum
    rows.append({**base, "tool": "exact", "lag_samples": 0, "seconds": float("nan"),
                 "hum_residual_db": qlib.db(harmonic_energy(exact, segments, phase, ks) / input_hum),
                 "hum_residual_leadin_db": qlib.db(harmonic_energy(exact, lead, phase, ks) / input_lead_hum),
                 "hum_residual_net_db": float("nan"), "pause_residual_db": float("nan"), "si_sdr": float("nan"),
                 "si_sdr_i": float("nan"), "pesq_wb": float("nan"), "stoi": float("nan"), "error": ""})
    # The best estimate of the hum this file allows: the true harmonics (true f0 track and envelope), each with one
    # amplitude and phase, fitted by least squares to the input less the clean speech over the whole file (an oracle
    # that knows the speech, the track and the envelope). Its error is what the noise at the harmonics leaves in any
    # fit: a de-hummer that subtracts an estimate of the hum cannot expect to go under it on the net metric.
    oracle = noisy - oracle_hum_fit(noisy - clean, params, phase, ks, n, rate)
    rows.append({**base, "tool": "oracle", "lag_samples": 0, "seconds": float("nan"),
                 "hum_residual_db": qlib.db(harmonic_energy(oracle, segments, phase, ks) / input_hum),
                 "hum_residual_leadin_db": qlib.db(harmonic_energy(oracle, lead, phase, ks) / input_lead_hum),
                 "hum_residual_net_db": qlib.db(harmonic_energy(oracle - other, segments, phase, ks)
                                                / true_hum_energy),
                 "pause_residual_db": float("nan"), "si_sdr": float("nan"), "si_sdr_i": float("nan"),
                 "pesq_wb": float("nan"), "stoi": float("nan"), "error": ""})
    for tool in tools:
        dst = out_dir / tool / f"{item['id']}.wav"
        row = {**base, "tool": tool, "lag_samples": None, "seconds": float("nan"), "hum_residual_db": float("nan"),
               "hum_residual_leadin_db": float("nan"), "hum_residual_net_db": float("nan"),
               "pause_residual_db": float("nan"), "si_sdr": float("nan"), "si_sdr_i": float("nan"),
               "pesq_wb": float("nan"), "stoi": float("nan"), "error": ""}
        try:
            row["seconds"] = qlib.run_tool(tool, noisy_path, dst, ctx, params)
            if tool == "stft-ref":  # speed yardstick only
                rows.append(row)
                continue
            output, out_rate = qlib.read_mono(dst)
            if out_rate != rate:
                raise RuntimeError(f"output rate {out_rate} != {rate}")
            lag = qlib.estimate_lag(clean, output, int(MAX_LAG_SECONDS * rate))
            aligned = qlib.align(output, lag, n)
            aligned16 = qlib.to_16k(aligned, rate)
            out_pause = sum(float(np.dot(aligned[s:e], aligned[s:e])) for s, e in segments)
            row.update(lag_samples=lag,
                       hum_residual_db=qlib.db(harmonic_energy(aligned, segments, phase, ks) / input_hum),
                       hum_residual_leadin_db=qlib.db(harmonic_energy(aligned, lead, phase, ks) / input_lead_hum),
                       hum_residual_net_db=qlib.db(harmonic_energy(aligned - other, segments, phase, ks)
                                                   / true_hum_energy),
                       pause_residual_db=qlib.db(out_pause / input_pause),
                       si_sdr=qlib.si_sdr(clean, aligned), pesq_wb=qlib.pesq_wb(clean16, aligned16),
                       stoi=qlib.stoi_score(clean16, aligned16), output_frames=len(output))
            row["si_sdr_i"] = row["si_sdr"] - input_sdr
        except Exception as error:  # noqa: BLE001 - one failing tool/file is recorded, not fatal
            row["error"] = repr(error)[-400:]
        finally:
            if not keep:
                dst.unlink(missing_ok=True)
        rows.append(row)
    return rows


def report(rows: list[dict], tools: list[str], skipped: dict, args, items: list[dict]) -> str:
    quality_tools = [t for t in tools if t != "stft-ref"]
    columns = ["input"] + quality_tools
    hums = [h for h in corpus.HUM_TYPES if any(r["hum"] == h for r in rows)]
    levels = sorted({r["hum_to_speech_db"] for r in rows})
    utterances = sorted({r["utterance"] for r in rows})
    versions = qlib.tool_versions()
    pause_total = sum(r["pause_seconds"] for r in rows if r["tool"] == "input")
    out = ["# De-hum comparison", "",
           f"Generated {qlib.today()} on {qlib.machine_description()} by "
           f"`Benchmarks/quality/dehum_bench.py` (definitions and caveats: [README.md](README.md)).", "",
           "Reproduce:", "", "```", "bash Benchmarks/quality/setup.sh", " ".join(args.command_line), "```", "",
           f"Corpus: {len(items)} files = {len(utterances)} utterances x {len(hums)} hum types, hum-to-speech "
           f"{', '.join(f'{v:g}' for v in levels)} dB (rotating over utterances), 48 kHz mono float; "
           f"{pause_total:.1f} s of measured pauses in all. Tools ran one file at a time, one core each "
           f"(`--jobs {args.jobs}`).", ""]
    if skipped:
        out += ["Skipped: " + "; ".join(f"`{t}` ({why})" for t, why in skipped.items()) + ".", ""]
    out += ["Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".", ""]
    notes = dict(qlib.TOOL_NOTES)
    notes["notch-bank"] = notes["notch-bank"].replace("--notch-width-hz", f"{args.notch_width_hz:g} Hz")
    notes["nr-stationary"] += " (the lead-in holds hum only)"
    out += ["Tools:", ""] + [f"- `{t}`: {notes[t]}" for t in tools] + [""]
    failures = [r for r in rows if r["error"]]
    if failures:
        out += [f"Failures ({len(failures)}): " + "; ".join(f"{r['tool']} on {r['id']}: {r['error'][:120]}"
                                                           for r in failures[:10]), ""]
    display = [dict(r, si_sdr_i=r["si_sdr"]) if r["tool"] == "input" else r for r in rows]
    sections = [("Hum left in pauses (dB re the input's hum there; lower is better)", "hum_residual_db", 1),
                ("Hum left in the lead-in only (0.5-1.0 s, before any speech: steady-state removal, no ringing "
                 "of speech; dB re the input there)", "hum_residual_leadin_db", 1),
                ("Hum left in pauses, net of the input's other content (the same fit to output - (input - true "
                 "hum), re the true hum there: the hum left plus whatever was taken from the noise at the hum's "
                 "frequencies; equals the first table within 0.1 dB except for `hum_noise`, whose noise the first "
                 "table counts as hum)", "hum_residual_net_db", 1),
                ("Broadband residual in pauses (dB re the input there; includes `hum_noise`'s noise)",
                 "pause_residual_db", 1),
                ("SI-SDR improvement (dB; the `input` column is the input's SI-SDR itself)", "si_sdr_i", 2),
                ("PESQ-WB (higher is better)", "pesq_wb", 2),
                ("STOI", "stoi", 3)]
    out += ["## By hum type", "",
            "Types: `mains50`/`mains60` (harmonics to 1 kHz, -20 log10 k, even ones 6 dB lower), `irregular` "
            "(60 Hz, random levels to 2 kHz, 3rd strongest), `buzz` (60 Hz, odd-dominant to 4 kHz), `drift` "
            "(f0 59.7 -> 60.3 Hz over the file), `hum_noise` (60 Hz hum + pink noise at 20 dB SNR), `swell` "
            "(50 Hz, level -20 -> 0 -> -20 dB over the file).", ""]
    exact_note = ("`exact` is the input less the true hum, exactly: what a perfect de-hummer would leave, the "
                  "floor of this metric (the other content at the hum's frequencies: `hum_noise`'s noise, and the "
                  "speech's own low-level tails).")
    oracle_note = ("`oracle` is the input less the best estimate of the hum that the file allows: the true harmonics "
                   "on the true f0 track (and, for `swell`, the true envelope), one amplitude and phase each, fitted "
                   "by least squares over the whole file to the input less the clean speech. It knows the speech, "
                   "the track and the envelope, so a de-hummer that subtracts an estimate of the hum cannot expect "
                   "to do better on this measure; on `hum_noise` the pink noise at the harmonics disturbs any such "
                   "fit, and the oracle stays above -50 dB. (Noise taken out at the harmonics counts against a tool "
                   "here; in the first table it counts for it.) Where there is no noise the "
                   "oracle's residue is only the rounding of the corpus's stored f0 and envelope (-100 dB and below), "
                   "so its `all` row says nothing.")
    with_exact = {"hum_residual_db", "hum_residual_leadin_db"}
    with_oracle = {"hum_residual_net_db"}
    for title, metric, digits in sections:
        shown = columns + ["exact"] if metric in with_exact else columns
        shown = shown + ["oracle"] if metric in with_oracle else shown
        note = [exact_note, ""] if metric in with_exact else [oracle_note, ""] if metric in with_oracle else []
        out += [f"### {title}", ""] + note + [qlib.metric_table(display, "hum", hums, metric, shown, digits, "hum"),
                                              ""]
    out += ["## By hum-to-speech ratio", ""]
    for title, metric, digits in sections[:1] + sections[2:3] + sections[4:6]:
        shown = columns + ["exact"] if metric in with_exact else columns
        shown = shown + ["oracle"] if metric in with_oracle else shown
        out += [f"### {title}", "", qlib.metric_table(display, "hum_to_speech_db", levels, metric, shown, digits,
                                                      "hum/speech", lambda v: f"{v:g} dB"), ""]
    out += ["## Speed", "",
            "Wall seconds per minute of audio, one core (command-line tools include start-up; Python libraries "
            "timed in-process). `stft-ref` is a plain STFT round trip, a yardstick for this machine.", "",
            qlib.speed_table(rows, tools), ""]
    out += ["## Delay found", "", qlib.lag_table(rows, quality_tools), ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrim", help="path to the scrim executable (the scrim tool is skipped without it)")
    parser.add_argument("--scrim-template", default=DEFAULT_TEMPLATE,
                        help=f"command for scrim, with {{scrim}} {{in}} {{out}} (default: {DEFAULT_TEMPLATE!r})")
    parser.add_argument("--tools", default=",".join(DEFAULT_TOOLS),
                        help="comma-separated subset of: " + ",".join(DEFAULT_TOOLS + ["afftdn-tn",
                                                                                        "nr-nonstationary",
                                                                                        "rnnoise"]))
    parser.add_argument("--notch-width-hz", type=float, default=4.0,
                        help="-3 dB width of each notch of notch-bank (default 4 Hz: settles in ~80 ms)")
    parser.add_argument("--quick", action="store_true", help="3 files only (smoke test); tables go to work/")
    parser.add_argument("--jobs", type=int, default=1, help="files in parallel (default 1 for honest timing)")
    parser.add_argument("--utterances", type=int, default=len(corpus.UTTERANCES),
                        help=f"utterances in the corpus (default all {len(corpus.UTTERANCES)})")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the corpus first")
    parser.add_argument("--keep", action="store_true", help="keep processed files under work/quality/out/")
    parser.add_argument("--md", type=Path, help="where to write the table (default Benchmarks/quality/DEHUM.md, "
                        "or work/quality/results/DEHUM-quick.md with --quick)")
    args = parser.parse_args()
    args.command_line = ["Benchmarks/.venv/py311/bin/python", "Benchmarks/quality/dehum_bench.py"] + [
        shlex.quote(a) for a in sys.argv[1:]]

    known = DEFAULT_TOOLS + ["afftdn-tn", "nr-nonstationary", "rnnoise"]
    tools, skipped = qlib.select_tools(parser, args.tools, known, args.scrim)
    manifest = qlib.load_manifest(args.rebuild, args.utterances, corpus.build, corpus.PLAN)
    items = manifest["dehum"]
    if args.quick:
        items = [i for i in items if i["utterance"] in QUICK["utterances"] and i["hum"] in QUICK["hums"]]

    scrim = str(Path(args.scrim).resolve()) if args.scrim else None
    out_dir = qlib.WORK_DIR / "out" / "dehum"
    print(f"{len(items)} files x {len(tools)} tools, jobs={args.jobs}", file=sys.stderr)
    work = functools.partial(evaluate, tools=tools, out_dir=out_dir, keep=args.keep)
    rows = [row for rows in qlib.run_items(work, items, args.jobs, scrim, args.scrim_template, args.notch_width_hz)
            for row in rows]

    results = qlib.WORK_DIR / "results"
    suffix = "-quick" if args.quick else ""
    qlib.write_raw(rows, results / f"dehum{suffix}")
    md_path = args.md or (results / "DEHUM-quick.md" if args.quick else qlib.QUALITY_DIR / "DEHUM.md")
    md_path.write_text(report(rows, tools, skipped, args, items) + "\n")
    print(f"wrote {md_path} and {results / ('dehum' + suffix)}.csv/.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
