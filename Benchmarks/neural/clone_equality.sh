#!/usr/bin/env bash
# Checks that the neural kernels (Sources/CScrimVector/neural_loops.c, scrim_neural.h) give the same bytes
# whichever copy runs: builds them for the x86-64 baseline, x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512, 512-bit
# vectors) with SCRIM_SINGLE_TARGET, runs clone_equality.c through each and compares the outputs (as
# Benchmarks/scripts/clone_equality.sh does for the other loops). Needs clang; skips a level the CPU cannot run.
#
#   bash Benchmarks/neural/clone_equality.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
loops="$here/../../Sources/CScrimVector"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
clang -O2 -c -I"$loops/include" "$here/clone_equality.c" -o "$work/harness.o"
flags() {
    case "$1" in
        base) echo "" ;;
        v3) echo "-march=x86-64-v3" ;;
        v4) echo "-march=x86-64-v4 -mprefer-vector-width=512" ;;
    esac
}
supported() {
    case "$1" in
        base) return 0 ;;
        v3) grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo ;;
        v4) grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo ;;
    esac
}
reference=""
status=0
for level in base v3 v4; do
    if ! supported "$level"; then echo "$level: skipped (this CPU cannot run it)"; continue; fi
    # shellcheck disable=SC2046
    clang -O2 -DSCRIM_SINGLE_TARGET $(flags "$level") -I"$loops/include" -c "$loops/neural_loops.c" \
        -o "$work/neural_$level.o"
    clang "$work/harness.o" "$work/neural_$level.o" -lm -o "$work/run_$level"
    OUT="$work/out_$level.bin" "$work/run_$level"
    sum="$(md5sum < "$work/out_$level.bin" | cut -d' ' -f1)"
    if [ -z "$reference" ]; then reference="$sum"; fi
    if [ "$sum" = "$reference" ]; then echo "$level: same bytes as base ($sum)"; else echo "$level: DIFFERS ($sum)"; status=1; fi
done
exit $status
