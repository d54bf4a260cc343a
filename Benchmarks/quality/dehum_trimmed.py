#!/usr/bin/env python3
"""De-hum on takes that start on a word: the quality corpus's de-hum files with their hum-only lead-in cut off.

Every de-hum file of the corpus starts with about a second of hum alone, which gives a de-hummer a clean look at
the hum before the voice comes in. Takes cut to their first word have no such stretch. This script runs
`scrim dehum` twice on each file: on the whole file, and on the file with its first `--cut` seconds removed
(0.98 s by default, just before the first word). It scores both outputs over the same stretch of the original
timeline, from 1.0 s to the end: the SI-SDR improvement over the input there (qlib.si_sdr, as in DEHUM.md).
It prints one line per file and the means. The tables do not include it; doc comments and the changelog quote
its means as "trimmed takes" or "the cut files".

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/dehum_trimmed.py --scrim .build/release/scrim

Needs the corpus (`bash Benchmarks/quality/setup.sh`, then any run of dehum_bench.py builds it).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qlib  # noqa: E402

SCORED_FROM_SECONDS = 1.0


def improvement(scrim: str, clean: np.ndarray, noisy: np.ndarray, rate: int, cut: int, work: Path) -> float:
    """SI-SDR improvement from SCORED_FROM_SECONDS of the original timeline, `cut` samples cut off the front."""
    source, target = work / "in.wav", work / "out.wav"
    sf.write(source, noisy[cut:].astype(np.float32), rate, subtype="FLOAT")
    subprocess.run([scrim, "dehum", str(source), "-o", str(target), "--overwrite"], check=True,
                   capture_output=True)
    output, _ = qlib.read_mono(target)
    start = int(SCORED_FROM_SECONDS * rate) - cut
    reference, mixture = clean[cut:][start:], noisy[cut:][start:]
    return qlib.si_sdr(reference, output[start:start + len(reference)]) - qlib.si_sdr(reference, mixture)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrim", required=True, help="path to the scrim executable")
    parser.add_argument("--cut", type=float, default=0.98, help="seconds cut off the front (default 0.98)")
    args = parser.parse_args()
    if not 0 < args.cut < SCORED_FROM_SECONDS:
        parser.error(f"--cut must be between 0 and {SCORED_FROM_SECONDS} s")
    manifest = json.loads((qlib.CORPUS_DIR / "manifest.json").read_text())["dehum"]
    whole, trimmed = [], []
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        for item in manifest:
            clean, rate = qlib.read_mono(qlib.CORPUS_DIR / item["clean"])
            noisy, _ = qlib.read_mono(qlib.CORPUS_DIR / item["noisy"])
            a = improvement(args.scrim, clean, noisy, rate, 0, work)
            b = improvement(args.scrim, clean, noisy, rate, int(args.cut * rate), work)
            whole.append(a)
            trimmed.append(b)
            print(f"{item['id']:16} whole {a:6.2f} dB  trimmed {b:6.2f} dB", flush=True)
    print(f"mean SI-SDR improvement: whole {np.mean(whole):.2f} dB, trimmed {np.mean(trimmed):.2f} dB "
          f"({len(whole)} files)")


if __name__ == "__main__":
    main()
