#!/usr/bin/env bash
# Bounded-memory check: Scrim streams a 2-hour, 8-channel, 48 kHz, 24-bit RF64 file (8.3 GB) and its peak
# resident memory (max RSS from /usr/bin/time) must stay far below 100 MB for reading and 200 MB for processing.
# usage: Benchmarks/scripts/stream_memory.sh [path/to/scrim]   (default: a release build in .build/release)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scrim="${1:-$root/.build/release/scrim}"
[ -x "$scrim" ] || (cd "$root" && swift build -c release --product scrim)
work="$root/Benchmarks/work"
mkdir -p "$work"
long="$work/long_poly_2h_8ch.wav"
[ -f "$long" ] || python3 "$root/Benchmarks/scripts/make_long_poly.py" "$long"
ls -l "$long"

measure() {  # label, command...
    local label="$1"; shift
    local log="$work/time.log"
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -v "$@" >"$work/out.txt" 2>"$log" || { cat "$log"; exit 1; }
    end=$(date +%s.%N)
    local rss
    rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
    printf '%-28s max RSS %6.1f MB   wall %6.1f s   (%.0f× real time for 7200 s)\n' \
        "$label" "$(echo "$rss / 1024" | bc -l)" "$(echo "$end - $start" | bc -l)" \
        "$(echo "7200 / ($end - $start)" | bc -l)"
}

measure "scrim info (read all)" "$scrim" info "$long"
# Processing commands, as they exist in this build:
if "$scrim" --help | grep -qw normalize; then
    measure "scrim normalize" "$scrim" normalize "$long" -o "$work/long_normalized.wav" --overwrite
    rm -f "$work/long_normalized.wav"
fi
if "$scrim" --help | grep -qw process; then
    measure "scrim process --preset dailies" "$scrim" process "$long" -o "$work/long_dailies.wav" --preset dailies --overwrite
    rm -f "$work/long_dailies.wav"
fi
