#!/usr/bin/env bash
# Measures the Python binding's overhead on a 60 s buffer (overhead.py; results in OVERHEAD.md by hand):
# a fresh venv with the package installed from this checkout, the C program built against the installed libscrim.
#   bash Benchmarks/python/run.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-9}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root/python"
lib_dir="$("$work/venv/bin/python" -c 'import os, scrim; print(os.path.dirname(scrim.__file__))')"
"${CC:-cc}" -O2 -std=c11 -Wall -Wextra -Werror -I "$root/Sources/CScrim/include" "$root/Benchmarks/python/overhead_c.c" \
    -o "$work/overhead_c" "$lib_dir/libscrim.so" -Wl,-rpath,"$lib_dir"
"$work/venv/bin/python" "$root/Benchmarks/python/overhead.py" --runs "$runs" --c-program "$work/overhead_c" \
    --raw "$work/mono.f32"
