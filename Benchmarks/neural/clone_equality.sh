#!/usr/bin/env bash
# Checks that the neural kernels (Sources/CScrimVector/neural_loops.c, scrim_neural.h) give the same bytes
# whichever copy runs: builds them for the x86-64 baseline, x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512, 512-bit
# vectors) with SCRIM_SINGLE_TARGET, runs clone_equality.c through each and compares the outputs (as
# Benchmarks/scripts/clone_equality.sh does for the other loops). Needs clang; skips a level the CPU cannot run.
#
#   bash Benchmarks/neural/clone_equality.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../scripts/clone_equality.sh" "$here/clone_equality.c"
