#!/usr/bin/env bash
# Checks that CScrimVector's loops give the same bytes whichever copy runs: builds them three times (x86-64
# baseline, x86-64-v3 = AVX2, x86-64-v4 = AVX-512 with 512-bit vectors), runs the same inputs through each
# (clone_equality.c: 50 hops of the noise reducer's loops, band pooling, the input hygiene pass and its counts,
# the real FFT's twiddle passes, 24-bit decoding and integer quantising, the hum tracker's resampler, decimator,
# comb grid, phasors, candidate smoothers, residual weights, amplitude sums and bootstrap loops)
# and compares the outputs. The Swift tests cannot do this: a process runs one copy only.
# Needs clang; skips a level the CPU cannot run.
#
#   bash Benchmarks/scripts/clone_equality.sh [HARNESS.c]
#
# HARNESS.c defaults to clone_equality.c beside this script; Benchmarks/neural/clone_equality.sh passes its own
# (the neural kernels). Every CScrimVector source is compiled at each level and linked with it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
loops="$here/../../Sources/CScrimVector"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
harness="${1:-$here/clone_equality.c}"
clang -O2 -c -I"$loops/include" "$harness" -o "$work/harness.o"
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
    objects=()
    for source in "$loops"/*.c; do
        object="$work/$(basename "$source" .c)_$level.o"
        # shellcheck disable=SC2046
        clang -O2 -DSCRIM_SINGLE_TARGET $(flags "$level") -I"$loops/include" -c "$source" -o "$object"
        objects+=("$object")
    done
    clang "$work/harness.o" "${objects[@]}" -lm -o "$work/run_$level"
    OUT="$work/out_$level.bin" "$work/run_$level" > /dev/null
    sum="$(md5sum < "$work/out_$level.bin" | cut -d' ' -f1)"
    if [ -z "$reference" ]; then reference="$sum"; fi
    if [ "$sum" = "$reference" ]; then echo "$level: same bytes as base ($sum)"; else echo "$level: DIFFERS ($sum)"; status=1; fi
done
exit $status
