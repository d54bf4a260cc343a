#!/usr/bin/env bash
# Builds Scrim's file-reading fuzz target (libFuzzer + AddressSanitizer) and fuzzes it for SECONDS (default 120).
# Usage: Tests/Fuzz/run.sh [SECONDS] [extra libFuzzer flags...]      (from any directory)
# Exits 0 when nothing was found, non-zero when libFuzzer found a crash, hang or leak (the input is saved under
# .build-fuzz/artifacts/ and its path printed). SCRIM_FUZZ_KEEP_GOING=1 keeps fuzzing after a crash (libFuzzer's
# -fork=1 -ignore_crashes=1 …) to collect several in one run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-120}"
shift || true
scratch="$root/.build-fuzz"  # git-ignored (.build-*/)

# The system libraries Scrim links (as .ci/run does); libFuzzer and ASan come with the Swift toolchain.
need=()
for pkg in libfftw3-dev libsndfile1-dev libsoxr-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "fuzz: installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi

# `--sanitize fuzzer` makes SwiftPM link libFuzzer's main() instead of the target's own entry point. SwiftPM
# passes each --sanitize as its own -sanitize= flag and swiftc 6.3 then drops the fuzzer's coverage
# instrumentation, so the combined -sanitize=fuzzer,address is given to swiftc as well (it comes last and wins).
# C targets (CScrimVector) get coverage and ASan through -Xcc.
build_flags=(-c debug --package-path "$root/Tests/Fuzz" --scratch-path "$scratch" --product ScrimFuzz
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)
swiftc_dir="$(dirname "$(readlink -f "$(command -v swiftc)")")"
[ -x "$swiftc_dir/ld.lld" ] && build_flags+=(-Xswiftc -use-ld=lld)  # gold prints ~200 ASan symbol warnings
echo "fuzz: building ScrimFuzz"
set +e
swift build "${build_flags[@]}" 2>&1 | grep -v "Cannot export local symbol"
build_status="${PIPESTATUS[0]}"
set -e
[ "$build_status" -eq 0 ] || { echo "fuzz: build failed" >&2; exit 2; }
binary="$(swift build "${build_flags[@]}" --show-bin-path)/ScrimFuzz"

# Guard against losing the Swift coverage instrumentation (the target would then fuzz blind).
empty="$(mktemp -d)"
counters="$("$binary" -runs=0 "$empty" 2>&1 | sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' | head -n1)"
rmdir "$empty"
if [ -z "$counters" ] || [ "$counters" -lt 10000 ]; then
    echo "fuzz: ScrimFuzz has only '${counters:-no}' coverage counters: Swift code not instrumented" >&2
    exit 2
fi

seeds="$scratch/seeds"
corpus="$scratch/corpus"    # grows across runs
artifacts="$scratch/artifacts"
rm -rf "$seeds"
mkdir -p "$corpus" "$artifacts"
python3 "$root/Tests/Fuzz/make_seeds.py" "$seeds"
before="$(find "$artifacts" -type f | sort)"

# Swift's own crash backtracer would run alongside ASan's (and trip it) and outlive the fuzzer holding the output
# pipe open; libFuzzer and ASan print the stack instead (symbolised by the toolchain's llvm-symbolizer).
export SWIFT_BACKTRACE=enable=no
# Each fuzzing process writes its input to one scratch file there; a crashed one leaves it behind, so start clean.
export TMPDIR="$scratch/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
[ -x "$swiftc_dir/llvm-symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$swiftc_dir/llvm-symbolizer"
flags=(-max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts/")
if [ "${SCRIM_FUZZ_KEEP_GOING:-0}" = 1 ]; then
    flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
echo "fuzz: $counters coverage counters; fuzzing for ${seconds}s (corpus $corpus, crashes to $artifacts)"
# libmpg123 (inside libsndfile) chatters on stderr about every broken MPEG frame: filtered out.
log="$scratch/last-run.log"
set +e
(cd "$scratch" && "$binary" "${flags[@]}" "$@" "$corpus" "$seeds" 2>&1) \
    | grep --line-buffered -v -E '^(Note: |\[src/libmpg123/|Warning: (Encountered|Big change))' | tee "$log"
status="${PIPESTATUS[0]}"
set -e

saved="$( (comm -13 <(echo "$before") <(find "$artifacts" -type f | sort)
    sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log") | sed '/^$/d' | sort -u)"
if [ "$status" -ne 0 ] || [ -n "$saved" ]; then
    echo "fuzz: FAILED (libFuzzer exit status $status); failing inputs:" >&2
    echo "${saved:-(none saved; see the output above)}" | sed 's/^/  /' >&2
    echo "fuzz: reproduce with: SWIFT_BACKTRACE=enable=no $binary <input>" >&2
    exit 1
fi
echo "fuzz: no crashes in ${seconds}s"
