#!/usr/bin/env bash
# Builds the Python package's wheel: scrim-VERSION-py3-none-<platform>.whl (e.g. linux_x86_64) in DIST (default
# dist/ in the checkout), with libscrim.so (the Swift runtime linked in, stripped) inside.
#
#   scripts/build-wheel.sh [DIST]
#
# Needs the Swift toolchain, binutils (strip, readelf), python3 with pip, and the system's -dev packages the Swift
# package builds against (libfftw3-dev libsndfile1-dev libsoxr-dev libpng-dev pkg-config). The wheel installs with
# `pip install DIST/scrim-*.whl` on machines of the same platform and glibc (2.35 or later as built on Debian 12)
# that have the run-time libraries (libfftw3-single3 libsndfile1 libsoxr0 libpng16-16); no Swift there.
# The build reuses .build-python/ (the package's own scratch folder), so a second run only re-links if needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="${1:-$root/dist}"
mkdir -p "$dist"
python3 -m pip wheel --no-deps --disable-pip-version-check --wheel-dir "$dist" "$root/python"
ls -l "$dist"/scrim-*.whl
