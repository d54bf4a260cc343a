"""Issue 18 item 3: does Scrim's neural engine in pure-reference mode equal libDF on every file of the quality corpus?

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/dfn3_exactness.py --scrim .build/release/scrim \
        [--template '{scrim} denoise {in} -o {out} --engine neural --neural-mode reference'] [--limit-db -60]

For each noisy file of the corpus (corpus.py; built if missing) it runs the template and libDF (dfn3_ref.py: default
C-API settings, no attenuation limit, 1440-sample latency removed), and prints the error energy of Scrim's output
against libDF's relative to libDF's output energy, in dB, per file, then the worst file. Exit status 1 if the worst
is above the limit (default -60 dB), 2 if the template cannot run. The bench (denoise_bench.py, tools `scrim-dfn3`
and `dfn3`) reports the same number in DENOISE.md.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import corpus
import qlib
from dfn3_ref import LibDF
from denoise_bench import DFN3_TEMPLATE, EXACTNESS_LIMIT_DB, exactness_db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrim", required=True)
    parser.add_argument("--template", default=DFN3_TEMPLATE)
    parser.add_argument("--limit-db", type=float, default=EXACTNESS_LIMIT_DB)
    parser.add_argument("--max-files", type=int, default=0, help="only the first N files (0: all)")
    args = parser.parse_args()
    manifest = qlib.load_manifest(False, len(corpus.UTTERANCES), corpus.build, corpus.PLAN)
    items = manifest["denoise"][: args.max_files or None]
    libdf = LibDF()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        for item in items:
            src = qlib.CORPUS_DIR / item["noisy"]
            command = args.template.format(scrim=shlex.quote(str(Path(args.scrim).resolve())),
                                           **{"in": shlex.quote(str(src)), "out": shlex.quote(str(out))})
            done = subprocess.run(shlex.split(command), capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{item['id']}: the template failed ({done.returncode}): {done.stderr.strip()[-300:]}",
                      file=sys.stderr)
                return 2
            scrim_out, _ = qlib.read_mono(out)
            out.unlink()
            x, _ = qlib.read_mono(src)
            reference, _ = libdf.process(x)
            error = exactness_db(scrim_out, reference)
            results.append((error, item["id"]))
            print(f"{item['id']}: {error:.1f} dB", flush=True)
    worst = max(results)
    print(f"worst {worst[0]:.1f} dB ({worst[1]}), median {float(np.median([e for e, _ in results])):.1f} dB over "
          f"{len(results)} files; limit {args.limit_db:.0f} dB: {'pass' if worst[0] <= args.limit_db else 'FAIL'}")
    return 0 if worst[0] <= args.limit_db else 1


if __name__ == "__main__":
    sys.exit(main())
