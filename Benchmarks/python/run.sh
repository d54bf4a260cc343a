#!/usr/bin/env bash
# Measures the Python binding's overhead on a 60 s buffer (overhead.py; results in OVERHEAD.md by hand):
# a fresh venv with the package installed from this checkout; the C side (overhead_c.c) built as a shared library
# against the installed libscrim and called from overhead.py, so both sides run on the same arrays, alternately.
#   bash Benchmarks/python/run.sh [RUNS] [--only TEXT]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-21}"
shift || true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root/python"
lib_dir="$("$work/venv/bin/python" -c 'import os, scrim; print(os.path.dirname(scrim.__file__))')"
"${CC:-cc}" -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -I "$root/Sources/CScrim/include" \
    "$root/Benchmarks/python/overhead_c.c" -o "$work/overhead_c.so" "$lib_dir/libscrim.so" -Wl,-rpath,"$lib_dir"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/venv/bin/python" "$root/Benchmarks/python/overhead.py" --runs "$runs" --helper "$work/overhead_c.so" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
