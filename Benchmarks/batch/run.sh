#!/usr/bin/env bash
# Batch throughput and scaling: `scrim batch --jobs 1` vs `--jobs 2` on the same set, and end-to-end × real time
# (and peak memory) of `scrim process --preset dailies` on one poly file.
#
# The set: 8 one-minute 4-track poly files, each samples/poly_bwf_4ch.wav (9 s) repeated 7 times with sox
# (63 s, 48 kHz, 24-bit), i.e. 8.4 minutes of 4-track audio. Every run uses --force so each file is processed.
# usage: Benchmarks/batch/run.sh [preset] [path/to/scrim]   (defaults: dailies, a release build in .build/release)
# Writes a Markdown table to stdout; RESULTS.md holds the committed figures.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
preset="${1:-dailies}"
scrim="${2:-$root/.build/release/scrim}"
[ -x "$scrim" ] || (cd "$root" && swift build -c release --product scrim)
work="$root/Benchmarks/work/batch"
mkdir -p "$work/set"
one="$work/poly_63s.wav"
[ -f "$one" ] || sox "$root/samples/poly_bwf_4ch.wav" "$root/samples/poly_bwf_4ch.wav" "$root/samples/poly_bwf_4ch.wav" \
    "$root/samples/poly_bwf_4ch.wav" "$root/samples/poly_bwf_4ch.wav" "$root/samples/poly_bwf_4ch.wav" \
    "$root/samples/poly_bwf_4ch.wav" "$one"
for i in 1 2 3 4 5 6 7 8; do [ -f "$work/set/take$i.wav" ] || cp "$one" "$work/set/take$i.wav"; done
audio_seconds=$((8 * 63))

run() {  # label, command...; prints "label | wall s | × real time | CPU s | max RSS MB"
    local label="$1"; shift
    local start end rss cpu
    start=$(date +%s.%N)
    /usr/bin/time -v "$@" >"$work/out.txt" 2>"$work/time.log" || { tail -20 "$work/time.log"; exit 1; }
    end=$(date +%s.%N)
    rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.log")
    cpu=$(awk -F: '/User time|System time/ {s += $2} END {print s}' "$work/time.log")
    printf '| %s | %.1f | %.1f× | %.1f | %.0f |\n' "$label" "$(echo "$end - $start" | bc -l)" \
        "$(echo "$AUDIO / ($end - $start)" | bc -l)" "$cpu" "$(echo "$rss / 1024" | bc -l)"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | wall (s) | audio / wall | CPU user+sys (s) | max RSS (MB) |"
echo "|---|---|---|---|---|"
AUDIO=$audio_seconds
run "batch, 8 × 63 s 4-track, --jobs 1, preset $preset" \
    "$scrim" batch "$work/set" -o "$work/out" --preset "$preset" --jobs 1 --force --progress none
run "batch, 8 × 63 s 4-track, --jobs 2, preset $preset" \
    "$scrim" batch "$work/set" -o "$work/out" --preset "$preset" --jobs 2 --force --progress none
AUDIO=63
run "process, one 63 s 4-track file, preset $preset" \
    "$scrim" process "$one" -o "$work/one_out.wav" --preset "$preset" --overwrite --json
rm -rf "$work/out" "$work/one_out.wav"
