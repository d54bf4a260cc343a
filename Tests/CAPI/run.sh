#!/usr/bin/env bash
# Builds libscrim.so (and the scrim CLI, which the buffer proof compares against) and proves the C API from C and
# from Python (ctypes, standard library only). Run from anywhere; part of the README's test command and so of CI.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
swift build -c release --product CScrim
swift build -c release --product scrim
lib_dir="$(swift build -c release --show-bin-path)"
# The product is libCScrim.so with soname libscrim.so; give it its installed name beside it.
ln -sf libCScrim.so "$lib_dir/libscrim.so"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${CC:-$(command -v cc || command -v clang)}" -std=c11 -Wall -Wextra -Werror -I Sources/CScrim/include Tests/CAPI/proof.c -o "$work/proof" \
    -L "$lib_dir" -lscrim -Wl,-rpath,"$lib_dir" -lm
"$work/proof" "$root/samples" "$work"
python3 Tests/CAPI/proof.py "$lib_dir/libscrim.so" "$root/samples" "$work"
python3 Tests/CAPI/buffers.py "$lib_dir/libscrim.so" "$lib_dir/scrim" "$work"
python3 Tests/CAPI/views.py "$lib_dir/libscrim.so" "$work"
echo "C API proofs: 4 passed, 0 failed"
