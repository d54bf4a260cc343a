#!/usr/bin/env bash
# Regenerates Sources/scrim/scrim.1 from the command definitions (swift-argument-parser's generate-manual
# plugin), so that the manual never drifts from the flags. Run after changing any command's options or help;
# Tests/ScrimCLITests/ManualTests.swift fails when a flag is missing from the committed page.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
swift package --disable-sandbox generate-manual --date "${SCRIM_MAN_DATE:-$(date +%Y-%m-%d)}" \
    --authors "the Scrim authors" --section 1
cp .build/plugins/GenerateManual/outputs/scrim/scrim.1 Sources/scrim/scrim.1
echo "wrote Sources/scrim/scrim.1 ($(wc -l < Sources/scrim/scrim.1) lines); view with: man ./Sources/scrim/scrim.1"
