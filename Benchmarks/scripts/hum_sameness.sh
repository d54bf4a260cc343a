#!/usr/bin/env bash
# Does a changed hum tracker write the same samples as a reference build? (issue 19 item 4: speed work must keep
# the output.) Runs `scrim dehum` (the tracker engine, the default) from both binaries on every WAV in TAKES and
# compares the written samples bit for bit; prints, per take, "same" or the largest difference and its level.
#
#   bash Benchmarks/scripts/hum_sameness.sh REFERENCE_SCRIM CANDIDATE_SCRIM TAKES_DIR [WORK_DIR]
#
# Make the takes with Benchmarks/scripts/hum_takes.py; a reference build: check out the commit to compare against
# in a worktree and `swift build -c release --product scrim` there (or keep a copy of .build/release/scrim).
# Exit status 1 when any take differs.
set -euo pipefail
if [[ $# -lt 3 ]]; then
    sed -n '2,9p' "$0"
    exit 2
fi
reference=$1
candidate=$2
takes=$3
work=${4:-$(mktemp -d)}
mkdir -p "$work/reference" "$work/candidate"
status=0
shopt -s nullglob
for take in "$takes"/*.wav; do
    name=$(basename "$take")
    "$reference" dehum "$take" -o "$work/reference/$name" --overwrite --json >"$work/reference/$name.json"
    "$candidate" dehum "$take" -o "$work/candidate/$name" --overwrite --json >"$work/candidate/$name.json"
    if ! python3 - "$work/reference/$name" "$work/candidate/$name" "$name" <<'EOF'
import struct, sys
import numpy as np

def samples(path):
    raw = open(path, "rb").read()
    fmt = None
    i = 12
    while i < len(raw):
        tag, size = raw[i:i + 4], struct.unpack("<I", raw[i + 4:i + 8])[0]
        if tag == b"fmt ":
            fmt = struct.unpack("<HHIIHH", raw[i + 8:i + 24])
        if tag == b"data":
            data = raw[i + 8:i + 8 + size]
            if fmt[0] in (3, 0xFFFE) and fmt[5] == 32:
                return data, np.frombuffer(data, dtype="<f4").astype(np.float64)
            return data, None
        i += 8 + size + (size & 1)
    raise SystemExit(f"{path}: no data chunk")

a, x = samples(sys.argv[1])
b, y = samples(sys.argv[2])
if a == b:
    print(f"{sys.argv[3]}: same ({len(a)} bytes of samples)")
    sys.exit(0)
if x is None or y is None or len(x) != len(y):
    print(f"{sys.argv[3]}: DIFFERENT (lengths {len(a)} / {len(b)} bytes)")
    sys.exit(1)
d = np.abs(x - y)
level = 20 * np.log10(max(np.sqrt(np.mean((x - y) ** 2)), 1e-30) / max(np.sqrt(np.mean(x ** 2)), 1e-30))
print(f"{sys.argv[3]}: DIFFERENT: {np.count_nonzero(d)} samples, largest {d.max():.3g}, "
      f"difference {level:.1f} dB re the reference output")
sys.exit(1)
EOF
    then
        status=1
    fi
done
exit $status
