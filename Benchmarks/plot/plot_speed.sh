#!/usr/bin/env bash
# What `--plot` costs: `scrim analyze` and `scrim denoise` with and without `--plot` on a 10-minute 48 kHz file,
# median wall time and median CPU time (user + system) of several runs, and peak memory. On a shared machine the
# CPU time is the steadier figure (wall time includes waiting for the other processes).
#
# The files (generated here, under Benchmarks/work/plot, not committed): samples/hum_take.wav (9 s of dialogue with
# 60 Hz hum, 48 kHz, 24-bit, mono) repeated with sox to 603 s; samples/poly_bwf_4ch.wav (4 tracks) the same way.
# usage: Benchmarks/plot/plot_speed.sh [runs] [path/to/scrim]   (defaults: 5 runs; a release build in .build/release)
# Prints a Markdown table; PLOT.md holds the committed figures.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-5}"
scrim="${2:-$root/.build/release/scrim}"
[ -x "$scrim" ] || (cd "$root" && swift build -c release --product scrim)
command -v sox >/dev/null || { echo "plot_speed: needs sox (apt-get install -y sox)" >&2; exit 1; }
work="$root/Benchmarks/work/plot"
mkdir -p "$work"
mono="$work/mono_10min.wav"
poly="$work/poly4_10min.wav"
[ -f "$mono" ] || sox "$root/samples/hum_take.wav" "$mono" repeat 66
[ -f "$poly" ] || sox "$root/samples/poly_bwf_4ch.wav" "$poly" repeat 66

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# label, command...: runs it `runs` times; prints "label | median wall s | median CPU s | max RSS MB"; keeps the
# medians in $last (wall) and $lastcpu.
last=0
lastcpu=0
run() {
    local label="$1"; shift
    local times=() cpus=() rss=0
    for _ in $(seq "$runs"); do
        rm -f "$work"/*.png "$work/out.wav"
        local start end
        start=$(date +%s.%N)
        /usr/bin/time -v "$@" >"$work/stdout.txt" 2>"$work/time.log" || { tail -20 "$work/time.log"; exit 1; }
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
        cpus+=("$(awk -F: '/User time|System time/ {s += $2} END {print s}' "$work/time.log")")
        local r
        r=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.log")
        [ "$r" -gt "$rss" ] && rss=$r
    done
    last=$(printf '%s\n' "${times[@]}" | median)
    lastcpu=$(printf '%s\n' "${cpus[@]}" | median)
    printf '| %s | %.3f | %.3f | %.0f |\n' "$label" "$last" "$lastcpu" "$(echo "$rss / 1024" | bc -l)"
}

echo "| command (10 min, 48 kHz) | median wall s ($runs runs) | median CPU s | max RSS MB |"
echo "|---|---|---|---|"
for file in "$mono" "$poly"; do
    name=$(basename "$file" .wav)
    run "analyze $name" "$scrim" analyze "$file"
    a=$last; ac=$lastcpu
    run "analyze $name --plot" "$scrim" analyze "$file" --plot "$work/a.png"
    ap=$last; apc=$lastcpu
    run "denoise $name" "$scrim" denoise "$file" -o "$work/out.wav"
    d=$last; dc=$lastcpu
    run "denoise $name --plot" "$scrim" denoise "$file" -o "$work/out.wav" --plot "$work/d.png"
    dp=$last; dpc=$lastcpu
    printf '| **%s: --plot adds to analyze** | %+.3f s (%+.0f %%) | %+.3f s (%+.0f %%) | |\n' "$name" \
        "$(echo "$ap - $a" | bc -l)" "$(echo "($ap - $a) / $a * 100" | bc -l)" \
        "$(echo "$apc - $ac" | bc -l)" "$(echo "($apc - $ac) / $ac * 100" | bc -l)"
    printf '| **%s: --plot adds to denoise** | %+.3f s (%+.0f %%) | %+.3f s (%+.0f %%) | |\n' "$name" \
        "$(echo "$dp - $d" | bc -l)" "$(echo "($dp - $d) / $d * 100" | bc -l)" \
        "$(echo "$dpc - $dc" | bc -l)" "$(echo "($dpc - $dc) / $dc * 100" | bc -l)"
done
echo
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

