"""De-hum comparison: Scrim against a notch bank at the true harmonics, FFmpeg afftdn and noisereduce.

    bash Benchmarks/quality/setup.sh
    Benchmarks/.venv/py311/bin/python Benchmarks/quality/dehum_bench.py --scrim .build/release/scrim

Runs every tool on every file of the de-hum corpus (corpus.build_dehum, under Benchmarks/work/quality/dehum_corpus;
built if missing or stale; it never touches the denoise corpus), and measures:
- coherent hum left (the headline; humlib): the true harmonics (the hum stem's f0 control track and harmonic
  numbers) fitted in phase and quadrature, per 0.5 s window, to the output together with the clean speech stem and
  the noise stem as their own columns (so each gets its own gain and neither counts as hum); the fitted hum energy
  summed over the windows, re the same on the input (0 dB); over the whole take and over the pauses;
- the oracle: the input less the exact hum stem (what a perfect de-hummer leaves, noise included);
- hum left in pauses as before (a fit of the harmonics alone to the output in each pause run, re the input's), and
  the broadband residual in the pauses (output power / input power);
- SI-SDR improvement, PESQ-WB and STOI against the clean speech (at 16 kHz for PESQ/STOI), after undoing any delay.
Pauses: 10 ms frames of the clean speech below -60 dBFS whose two neighbours each side are too (the speech sits
at -26 dBFS active level), ignoring the first 0.5 s of the file (filter settling), in runs of at least 0.1 s.
Writes Benchmarks/quality/DEHUM.md and Benchmarks/work/quality/results/dehum.{csv,json}.

With --heldout it runs on the held-back set instead (corpus.build_dehum_heldout: other voices, sentences and
seeds, 10 s takes, the types of issue 19's table) and writes Benchmarks/quality/DEHUM-HELDOUT.md and
results/dehum_heldout.{csv,json}; with --spot on the spot-check set (corpus.build_dehum_spot: twelve types, voices,
rates and levels drawn by seed) into DEHUM-SPOT.md and results/dehum_spot.{csv,json}.
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
import humlib  # noqa: E402
import qlib  # noqa: E402

DEFAULT_TOOLS = ["scrim", "scrim-classic", "notch-bank", "afftdn", "nr-stationary", "stft-ref"]
DEFAULT_TEMPLATE = "{scrim} dehum {in} -o {out}"
CLASSIC_TEMPLATE = "{scrim} dehum {in} -o {out} --engine classic"
MAX_LAG_SECONDS = 0.050
SETTLE_SECONDS = 0.5
MIN_PAUSE_SECONDS = 0.1
QUICK = ["u1_mains60", "u1_drift", "u1_hum_noise", "u3_step_96k", "u2_midword_48k", "u4_hum_hvac_44.1k"]
# Diagnostic: these tools also run on the input without the voice (hum + noise stems only), to tell the hum a tool
# leaves from the voice it takes out at the harmonics (both are coherent with the harmonics, and both count).
NO_VOICE_TOOLS = ["scrim", "scrim-classic", "notch-bank"]
TARGET_STEADY_DB = -45.0
TARGET_OTHER_DB = -35.0
# The corpus in use (the held-back set with --heldout, the spot-check set with --spot; set before the worker
# processes fork).
CORPUS_DIR = corpus.DEHUM_CORPUS_DIR
HUM_TYPES = corpus.DEHUM_TYPES
DESCRIPTIONS = corpus.DEHUM_DESCRIPTIONS
FILES_NOTE = ("Files per type: the seven earlier types have five (u1-u4 synthetic, r1 real; 48 kHz; hum-to-speech "
              "-20/-15/-10/-5 dB rotating); the newer ones four (three synthetic, one real; 48/44.1/96 kHz rotating; "
              "the same levels, except `weak`).")
HELDOUT_NOTE = ("The held-back set (corpus.build_dehum_heldout): four files per type, 10-14 s each (two or three "
                "sentences of one voice), eight voices the de-hum corpus does not use (espeak-ng and flite, five "
                "languages), other sentences and seeds; 48/44.1/96 kHz rotating; hum-to-speech -20/-15/-10/-5 dB "
                "rotating except `weak` (-20 dB) and `hum_pink` (-10 dB). Nothing in Scrim was tuned on it.")
SPOT_NOTE = ("The spot-check set (corpus.build_dehum_spot): four files per type, 10-14 s each, each file's voice drawn "
             "from all nineteen of the corpus's voices (the real ALSA voices among them), its sentences from the "
             "held-back set's and the babble talkers', its rate from 44.1/48/96 kHz and its hum level from -20 to "
             "-5 dB (`weak` -25 to -20 dB; `hum_pink` and `hum_hvac` -10 dB, their noise 15 dB under the voice), "
             "all by seeded draws. Built and used in the eleventh session's experiments: a spot check on wider "
             "material, not a held-back set.")
# Which set this run is on: (title suffix, note, results suffix, table name), by --heldout / --spot.
SETS = {"corpus": ("", FILES_NOTE, "", "DEHUM.md"),
        "heldout": (": the held-back set", HELDOUT_NOTE, "_heldout", "DEHUM-HELDOUT.md"),
        "spot": (": the spot-check set", SPOT_NOTE, "_spot", "DEHUM-SPOT.md")}


def harmonic_energy(x: np.ndarray, segments: list[tuple[int, int]], phase: np.ndarray, ks: list[int]) -> float:
    """The earlier pause measure: energy of the least-squares fit of cos/sin at every harmonic k * phase (no other
    columns), summed over the segments."""
    total = 0.0
    k = np.asarray(ks, dtype=float)
    for start, end in segments:
        arg = np.outer(phase[start:end], k)
        basis = np.concatenate([np.cos(arg), np.sin(arg)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, x[start:end], rcond=None)
        fit = basis @ coef
        total += float(np.dot(fit, fit))
    return total


def nan_row(base: dict, tool: str) -> dict:
    return {**base, "tool": tool, "lag_samples": None, "seconds": float("nan"), "hum_left_db": float("nan"),
            "hum_left_pause_db": float("nan"), "hum_residual_db": float("nan"), "pause_residual_db": float("nan"),
            "si_sdr": float("nan"), "si_sdr_i": float("nan"), "pesq_wb": float("nan"), "stoi": float("nan"),
            "error": ""}


def evaluate(item: dict, ctx: qlib.ToolContext, tools: list[str], out_dir: Path, keep: bool) -> list[dict]:
    folder = CORPUS_DIR
    params = json.loads((folder / f"{item['id']}.json").read_text())
    noisy_path = folder / item["noisy"]
    noisy, rate = qlib.read_mono(noisy_path)
    clean, _ = qlib.read_mono(folder / item["clean"])
    hum, _ = qlib.read_mono(folder / item["hum_stem"])
    stems = [clean]
    if item["noise_stem"]:
        stems.append(qlib.read_mono(folder / item["noise_stem"])[0])
    n = len(clean)
    pauses = qlib.pause_mask(clean, rate)
    pauses[: int(SETTLE_SECONDS * rate)] = False
    segments = qlib.mask_segments(pauses, int(MIN_PAUSE_SECONDS * rate))
    windows = humlib.take_windows(n, rate)
    pieces = humlib.split_segments(segments, rate)
    phase = humlib.phase_track(np.asarray(params["f0_control_hz"]), n, rate, params["f0_control_rate"])
    ks = params["harmonic_numbers"]
    clean16 = qlib.to_16k_any(clean, rate)
    input_sdr = qlib.si_sdr(clean, noisy)
    input_pause_fit = harmonic_energy(noisy, segments, phase, ks)
    input_pause = sum(float(np.dot(noisy[s:e], noisy[s:e])) for s, e in segments)
    base = {"id": item["id"], "utterance": item["utterance"], "source": item["source"], "hum": item["hum"],
            "hum_to_speech_db": item["hum_to_speech_db"], "sample_rate": rate, "audio_seconds": n / rate,
            "pause_seconds": sum(e - s for s, e in segments) / rate}
    signals = {"input": noisy, "oracle": noisy - hum}
    rows = {"input": nan_row(base, "input"), "oracle": nan_row(base, "oracle")}
    rows["input"]["lag_samples"] = rows["oracle"]["lag_samples"] = 0
    for tool in tools:
        dst = out_dir / tool / f"{item['id']}.wav"
        row = rows[tool] = nan_row(base, tool)
        try:
            row["seconds"] = qlib.run_tool(tool, noisy_path, dst, ctx, params)
            if tool == "stft-ref":  # speed yardstick only
                continue
            output, out_rate = qlib.read_mono(dst)
            if out_rate != rate:
                raise RuntimeError(f"output rate {out_rate} != {rate}")
            lag = qlib.estimate_lag(clean, output, int(MAX_LAG_SECONDS * rate))
            signals[tool] = qlib.align(output, lag, n)
            row.update(lag_samples=lag, output_frames=len(output))
        except Exception as error:  # noqa: BLE001 - one failing tool/file is recorded, not fatal
            row["error"] = repr(error)[-400:]
        finally:
            if not keep:
                dst.unlink(missing_ok=True)
    if any(t in signals for t in NO_VOICE_TOOLS):
        no_voice_path = out_dir / "no-voice-input" / f"{item['id']}.wav"
        qlib.write_float(no_voice_path, noisy - clean, rate)
        for tool in [t for t in NO_VOICE_TOOLS if t in signals]:
            name = f"{tool}/no-voice"
            dst = out_dir / name.replace("/", "-") / f"{item['id']}.wav"
            rows[name] = nan_row(base, name)
            try:
                qlib.run_tool(tool, no_voice_path, dst, ctx, params)
                output, _ = qlib.read_mono(dst)
                signals[name] = qlib.align(output, rows[tool]["lag_samples"], n)  # the lag found with the voice
            except Exception as error:  # noqa: BLE001
                rows[name]["error"] = repr(error)[-400:]
            finally:
                if not keep:
                    dst.unlink(missing_ok=True)
        if not keep:
            no_voice_path.unlink(missing_ok=True)
    names = list(signals)
    whole = humlib.coherent_hum_energy(windows, phase, ks, stems, [signals[t] for t in names])
    paused = humlib.coherent_hum_energy(pieces, phase, ks, stems, [signals[t] for t in names]) if pieces else None
    for index, tool in enumerate(names):
        x = signals[tool]
        rows[tool].update(
            hum_left_db=humlib.hum_left_db(whole[index], whole[0]),
            hum_left_pause_db=humlib.hum_left_db(paused[index], paused[0]) if paused is not None else float("nan"))
        if tool.endswith("/no-voice"):
            continue
        x16 = qlib.to_16k_any(x, rate)
        out_pause = sum(float(np.dot(x[s:e], x[s:e])) for s, e in segments)
        rows[tool].update(
            hum_residual_db=qlib.db(harmonic_energy(x, segments, phase, ks) / input_pause_fit) if segments
            else float("nan"),
            pause_residual_db=qlib.db(out_pause / input_pause) if segments else float("nan"),
            si_sdr=qlib.si_sdr(clean, x), pesq_wb=qlib.pesq_wb(clean16, x16), stoi=qlib.stoi_score(clean16, x16))
        rows[tool]["si_sdr_i"] = rows[tool]["si_sdr"] - input_sdr
    rows["input"]["si_sdr_i"] = 0.0
    return list(rows.values())


def target_for(hum: str) -> float:
    return TARGET_STEADY_DB if hum in corpus.DEHUM_STEADY else TARGET_OTHER_DB


def noise_floors(rows: list[dict]) -> dict:
    """The least hum any remover that leaves the noise alone can leave, per file with a noise stem (steady types),
    in dB re the input: (hum_noise_bound.bound's whole-take least squares with the exact phase and no voice,
    hum_noise_bound.voice_bound's voice-aware oracle with the voice there)."""
    import hum_noise_bound  # noqa: E402 (the same measure, the same folder)
    floors = {}
    for r in rows:
        if r["tool"] == "input" and r["hum"] in NOISE_FLOOR_TYPES and (CORPUS_DIR / f"{r['id']}.noise.wav").exists():
            floors[r["id"]] = (hum_noise_bound.bound(r["id"], CORPUS_DIR)["ls"],
                               hum_noise_bound.voice_bound(r["id"], CORPUS_DIR))
    return floors


# Types under noise with a steady hum, where hum_noise_bound.py's floor applies.
NOISE_FLOOR_TYPES = ("hum_noise", "hum_pink", "hum_hvac")


def targets_section(rows: list[dict], hums: list[str], tool: str = "scrim", floors: dict | None = None) -> list[str]:
    mine = [r for r in rows if r["tool"] == tool]
    if not mine:
        return ["No `scrim` column in this run, so no standing against the targets.", ""]
    out = [f"Issue 19's targets: coherent hum left <= {TARGET_STEADY_DB:g} dB on steady hum "
           f"({', '.join(f'`{h}`' for h in corpus.DEHUM_STEADY if h in hums)}: constant f0 and level, no noise) "
           f"and <= "
           f"{TARGET_OTHER_DB:g} dB on every other type. Scrim's mean over the type's files (whole take / pauses), its "
           "worst file over the whole take, and the gap to the target (positive: dB still to go, on the mean; "
           "met: both the mean and the worst file over the whole take are at or under it).", ""]
    met_count = 0
    unreachable = 0
    for hum in hums:
        cells = [r for r in mine if r["hum"] == hum and np.isfinite(r["hum_left_db"])]
        if not cells:
            continue
        whole = float(np.mean([r["hum_left_db"] for r in cells]))
        pauses = [r["hum_left_pause_db"] for r in cells if np.isfinite(r["hum_left_pause_db"])]
        worst = max(cells, key=lambda r: r["hum_left_db"])
        target = target_for(hum)
        met = whole <= target and worst["hum_left_db"] <= target
        met_count += met
        verdict = "**met**" if met else f"not met ({whole - target:+.1f} dB to go on the mean)"
        pause_text = f"{np.mean(pauses):.1f} dB in pauses" if pauses else "no pauses"
        line = (f"- `{hum}` (target {target:g} dB): {whole:.1f} dB whole take, {pause_text}; worst file "
                f"`{worst['id']}` {worst['hum_left_db']:.1f} dB: {verdict}")
        type_floors = {r["id"]: floors[r["id"]][0] for r in cells if floors and r["id"] in floors}
        voice_floors = {r["id"]: floors[r["id"]][1] for r in cells if floors and r["id"] in floors}
        if type_floors:
            above = [i for i, v in type_floors.items() if v > target]
            top = max(type_floors, key=type_floors.get)
            line += (f"; the noise floor (exact phase, no voice, whole-take least squares) is "
                     f"{np.mean(list(type_floors.values())):.1f} dB on the mean, {type_floors[top]:.1f} dB at worst "
                     f"(`{top}`)")
            if above:
                line += (f", above the target on {len(above)} of {len(type_floors)} files: out of reach of any "
                         "remover that leaves the noise")
            voice_mean = float(np.mean(list(voice_floors.values())))
            line += (f"; with the voice there, the voice-aware oracle (each cell weighted knowing the voice's and "
                     f"the noise's power in it) leaves {voice_mean:.1f} dB on the mean, "
                     f"{max(voice_floors.values()):.1f} dB at worst")
            if voice_mean > target:
                line += (": the mean is above the target even with the oracle's weights (not a proven bound; a "
                         "model of the voice's partials could go lower)")
            if (above or voice_mean > target) and not met:
                unreachable += 1
        out.append(line)
    out += ["", f"Met on {met_count} of {len(hums)} types."
            + (f" Of the types not met, {unreachable} {'is' if unreachable == 1 else 'are'} above the target by the "
               "noise floor or the voice-aware oracle (`hum_noise_bound.py`)." if unreachable else ""), ""]
    return out


def report(rows: list[dict], tools: list[str], skipped: dict, args, items: list[dict], elapsed: float) -> str:
    quality_tools = [t for t in tools if t != "stft-ref"]
    columns = ["input"] + quality_tools
    hums = [h for h in HUM_TYPES if any(r["hum"] == h for r in rows)]
    versions = qlib.tool_versions()
    inputs = [r for r in rows if r["tool"] == "input"]
    pause_total = sum(r["pause_seconds"] for r in inputs)
    audio_total = sum(r["audio_seconds"] for r in inputs)
    rates = sorted({r["sample_rate"] for r in inputs})
    title, note, _suffix, _name = SETS[args.set]
    real = sorted({i["utterance"] for i in items if i.get("source") == "alsa"})
    out = ["# De-hum comparison" + title, "",
           f"Generated {qlib.today()} on {qlib.machine_description()} by "
           f"`Benchmarks/quality/dehum_bench.py` (definitions and caveats: [README.md](README.md)).", "",
           "Reproduce:", "", "```", "bash Benchmarks/quality/setup.sh", " ".join(args.command_line), "```", "",
           f"Corpus: {len(items)} files, {len(hums)} hum types, {audio_total / 60:.1f} minutes of audio at "
           f"{', '.join(f'{r / 1000:g}' for r in rates)} kHz (mono float), {pause_total:.1f} s of measured pauses; "
           + (f"synthetic voices and the real (ALSA) voices {'/'.join(f'`{r}`' for r in real)}. " if real
              else "synthetic voices only. ")
           + f"Tools ran one file at a time, one core each "
           f"(`--jobs {args.jobs}`); the whole run took {elapsed / 60:.1f} minutes.", ""]
    if skipped:
        out += ["Skipped: " + "; ".join(f"`{t}` ({why})" for t, why in skipped.items()) + ".", ""]
    out += ["Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".", ""]
    notes = dict(qlib.TOOL_NOTES)
    notes["notch-bank"] = notes["notch-bank"].replace("--notch-width-hz", f"{args.notch_width_hz:g} Hz")
    notes["nr-stationary"] += " (the first second is hum only, except on `midword` takes)"
    out += ["Tools:", ""] + [f"- `{t}`: {notes[t]}" for t in tools]
    out += ["- `oracle`: the input less the exact hum stem (speech and any noise remain): the ceiling of SI-SDR, "
            "PESQ and STOI where noise remains; its hum left is float32 rounding only", ""]
    failures = [r for r in rows if r["error"]]
    if failures:
        out += [f"Failures ({len(failures)}): " + "; ".join(f"{r['tool']} on {r['id']}: {r['error'][:120]}"
                                                           for r in failures[:10]), ""]
    out += ["## Hum types", ""] + [f"- `{h}`: {DESCRIPTIONS[h]}" for h in hums] + [
        "", note, ""]
    display = [dict(r, si_sdr_i=r["si_sdr"]) if r["tool"] == "input" else r for r in rows]
    with_oracle = columns + ["oracle"]
    headline = [("Coherent hum left, whole take (dB re the input; lower is better)", "hum_left_db", 1),
                ("Coherent hum left in pauses (dB re the input there)", "hum_left_pause_db", 1)]
    out += ["## Coherent hum left (the headline)", "",
            "The true harmonics fitted in phase and quadrature per 0.5 s window to the output, with the clean speech "
            "and the noise stems as their own fitted columns (README.md, *Coherent hum left*); fitted hum energy re "
            "the input's. `oracle` = input less the exact hum stem.", ""]
    no_voice = [f"{t}/no-voice" for t in NO_VOICE_TOOLS if t in tools]
    for title, metric, digits in headline:
        out += [f"### {title}", "", qlib.metric_table(display, "hum", hums, metric, with_oracle + no_voice, digits,
                                                      "hum"), ""]
    if no_voice:
        out += ["Diagnostic columns `.../no-voice`: the same tool run on the input without the voice (the hum and "
                "noise stems only; scored with the same fit and the same lag). The measure counts anything coherent "
                "with the true harmonics over a window, so a tool that takes the voice's own energy at k f0 out "
                "with the hum scores that as hum left; the no-voice column shows what the tool leaves of the hum "
                "when no voice is there. The notch bank is linear, so its two numbers separate exactly: its "
                "whole-take figure is mostly the voice it cuts at the harmonics, its no-voice figure the hum it "
                "leaves. For Scrim (adaptive) the gap is how much the voice disturbs its estimate.", ""]
    out += ["## Targets of issue 19", ""] + targets_section(rows, hums, floors=noise_floors(rows))
    sections = [("SI-SDR improvement (dB; the `input` column is the input's SI-SDR itself)", "si_sdr_i", 2),
                ("PESQ-WB (higher is better)", "pesq_wb", 2),
                ("STOI", "stoi", 3),
                ("Hum left in pauses, the earlier measure (fit of the harmonics alone per pause run, re the input; "
                 "counts noise and speech tails at the harmonics as hum)", "hum_residual_db", 1),
                ("Broadband residual in pauses (dB re the input there; includes the noise of the noisy types)",
                 "pause_residual_db", 1)]
    out += ["## Speech quality and the earlier measures", ""]
    for title, metric, digits in sections:
        shown = with_oracle if metric in ("si_sdr_i", "pesq_wb", "stoi") else columns
        out += [f"### {title}", "", qlib.metric_table(display, "hum", hums, metric, shown, digits, "hum"), ""]
    out += ["## By sample rate, voice and hum-to-speech ratio (coherent hum left, whole take)", ""]
    out += [qlib.metric_table(display, "sample_rate", rates, "hum_left_db", with_oracle, 1, "rate",
                              lambda v: f"{v / 1000:g} kHz"), ""]
    sourced = [dict(r, voice="real" if r["source"] == "alsa" else "synthetic") for r in display]
    out += [qlib.metric_table(sourced, "voice", ["synthetic", "real"], "hum_left_db", with_oracle, 1, "voice"), ""]
    levels = sorted({r["hum_to_speech_db"] for r in rows})
    bands = [dict(r, band="-25..-20 dB" if r["hum_to_speech_db"] <= -20 else f"{r['hum_to_speech_db']:g} dB")
             for r in display]
    band_names = ["-25..-20 dB"] + [f"{v:g} dB" for v in levels if v > -20]
    out += [qlib.metric_table(bands, "band", band_names, "hum_left_db", with_oracle, 1, "hum/speech"), ""]
    out += ["## Speed", "",
            "Wall seconds per minute of audio, one core (command-line tools include start-up; Python libraries "
            "timed in-process). `stft-ref` is a plain STFT round trip, a yardstick for this machine.", "",
            qlib.speed_table(rows, tools), ""]
    out += ["## Delay found", "", qlib.lag_table([dict(r, lag_samples=None if r["lag_samples"] is None else
                                                       round(r["lag_samples"] * 48000 / r["sample_rate"]))
                                                  for r in rows], quality_tools),
            "", "(lags in samples at 48 kHz)", ""]
    return "\n".join(out)


def main() -> int:
    import time

    started = time.time()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrim", help="path to the scrim executable (the scrim tool is skipped without it)")
    parser.add_argument("--scrim-template", default=DEFAULT_TEMPLATE,
                        help=f"command for scrim, with {{scrim}} {{in}} {{out}} (default: {DEFAULT_TEMPLATE!r})")
    parser.add_argument("--scrim-classic-template", default=CLASSIC_TEMPLATE,
                        help=f"command for scrim-classic (default: {CLASSIC_TEMPLATE!r})")
    parser.add_argument("--tools", default=",".join(DEFAULT_TOOLS),
                        help="comma-separated subset of: " + ",".join(DEFAULT_TOOLS + ["afftdn-tn",
                                                                                        "nr-nonstationary"]))
    parser.add_argument("--notch-width-hz", type=float, default=4.0,
                        help="-3 dB width of each notch of notch-bank (default 4 Hz: settles in ~80 ms)")
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK)} files only (smoke test); tables go to "
                        "work/")
    parser.add_argument("--only", help="comma-separated hum types to run (tables go to work/ like --quick)")
    parser.add_argument("--jobs", type=int, default=1, help="files in parallel (default 1 for honest timing)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the de-hum corpus first")
    parser.add_argument("--keep", action="store_true", help="keep processed files under work/quality/out/")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--heldout", action="store_true",
                       help="run on the held-back set (DEHUM-HELDOUT.md, results/dehum_heldout.*)")
    which.add_argument("--spot", action="store_true",
                       help="run on the spot-check set (DEHUM-SPOT.md, results/dehum_spot.*)")
    parser.add_argument("--md", type=Path, help="where to write the table (default Benchmarks/quality/DEHUM.md, "
                        "or work/quality/results/DEHUM-quick.md with --quick or --only)")
    args = parser.parse_args()
    args.set = "heldout" if args.heldout else ("spot" if args.spot else "corpus")
    args.command_line = ["Benchmarks/.venv/py311/bin/python", "Benchmarks/quality/dehum_bench.py"] + [
        shlex.quote(a) for a in sys.argv[1:]]

    known = DEFAULT_TOOLS + ["afftdn-tn", "nr-nonstationary", "rnnoise", "dfn3"]
    tools, skipped = qlib.select_tools(parser, args.tools, known, args.scrim)
    global CORPUS_DIR, HUM_TYPES, DESCRIPTIONS
    if args.heldout:
        CORPUS_DIR, HUM_TYPES = corpus.DEHUM_HELDOUT_DIR, corpus.DEHUM_HELDOUT_TYPES
        DESCRIPTIONS = corpus.DEHUM_HELDOUT_DESCRIPTIONS
        manifest = corpus.load_dehum_heldout(args.rebuild)
    elif args.spot:
        CORPUS_DIR, HUM_TYPES = corpus.DEHUM_SPOT_DIR, corpus.DEHUM_SPOT_TYPES
        DESCRIPTIONS = corpus.DEHUM_SPOT_DESCRIPTIONS
        manifest = corpus.load_dehum_spot(args.rebuild)
    else:
        manifest = corpus.load_dehum(args.rebuild)
    items = manifest["files"]
    partial = args.quick or bool(args.only)
    if args.quick:
        items = [i for i in items if i["id"] in QUICK]
    if args.only:
        wanted = set(args.only.split(","))
        items = [i for i in items if i["hum"] in wanted]

    scrim = str(Path(args.scrim).resolve()) if args.scrim else None
    out_dir = qlib.WORK_DIR / "out" / "dehum"
    print(f"{len(items)} files x {len(tools)} tools, jobs={args.jobs}", file=sys.stderr)
    work = functools.partial(evaluate, tools=tools, out_dir=out_dir, keep=args.keep)
    templates = {"scrim": args.scrim_template, "scrim-classic": args.scrim_classic_template}
    rows = [row for rows in qlib.run_items(work, items, args.jobs, scrim, templates, args.notch_width_hz)
            for row in rows]

    results = qlib.WORK_DIR / "results"
    suffix = SETS[args.set][2] + ("-quick" if partial else "")
    qlib.write_raw(rows, results / f"dehum{suffix}")
    md_name = SETS[args.set][3]
    md_path = args.md or (results / md_name.replace(".md", "-quick.md") if partial else qlib.QUALITY_DIR / md_name)
    md_path.write_text(report(rows, tools, skipped, args, items, time.time() - started) + "\n")
    print(f"wrote {md_path} and {results / ('dehum' + suffix)}.csv/.json in {time.time() - started:.0f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
