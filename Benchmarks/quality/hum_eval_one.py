"""Score one de-hum output against the de-hum corpus (issue 19 research aid): coherent hum left over the whole take.

    Benchmarks/.venv/py311/bin/python Benchmarks/quality/hum_eval_one.py ID OUTPUT.wav [--no-voice]

Same measure as dehum_bench.py (humlib.coherent_hum_energy over humlib.take_windows); prints dB re the input.
With --no-voice the input is the file's hum (+ noise) without the speech, as dehum_bench's `/no-voice` rows.
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import humlib  # noqa: E402
import qlib  # noqa: E402


def main() -> int:
    ident, out_path = sys.argv[1], Path(sys.argv[2])
    no_voice = "--no-voice" in sys.argv
    folder = corpus.DEHUM_CORPUS_DIR
    params = json.loads((folder / f"{ident}.json").read_text())
    noisy, rate = qlib.read_mono(folder / f"{ident}.wav")
    clean, _ = qlib.read_mono(folder / f"{ident}.clean.wav")
    noise_path = folder / f"{ident}.noise.wav"
    stems = [clean] + ([qlib.read_mono(noise_path)[0]] if noise_path.exists() else [])
    if no_voice:
        noisy = noisy - clean
        stems[0] = np.zeros_like(clean)
    out, _ = qlib.read_mono(out_path)
    n = len(clean)
    phase = humlib.phase_track(np.asarray(params["f0_control_hz"]), n, rate, params["f0_control_rate"])
    whole = humlib.coherent_hum_energy(humlib.take_windows(n, rate), phase, params["harmonic_numbers"], stems,
                                       [noisy, out[:n]])
    print(f"{ident}: {humlib.hum_left_db(whole[1], whole[0]):.1f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
