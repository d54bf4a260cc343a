#!/usr/bin/env bash
# The HTML day report in headless Chromium (issue 20): generated poly takes (clean, clipped, a dead track, a hostile
# take name and file name, NaN samples, a file that is not audio) through `scrim batch --html` and `scrim report`,
# checked in the rendered DOM and Chromium's log; the screenshot is left in .build/report-test/shot.png.
# Needs chromium (Debian package `chromium`; .ci/run installs it). Bounded: every call has a timeout.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
swift build --product scrim >/dev/null
bin="$(swift build --show-bin-path)/scrim"
timeout 600 python3 Tests/Report/report_test.py "$bin" "$root/.build/report-test"
