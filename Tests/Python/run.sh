#!/usr/bin/env bash
# The Python package's tests, as a new user gets it: a FRESH virtual environment, `pip install ./python` from this
# checkout (which builds libscrim with the Swift runtime static, in .build-python), numpy and pytest from PyPI, then
# pytest on python/tests. The results are compared with the `scrim` CLI built from the same objects (the same scratch
# folder and flags as the package's library). Part of the README's test command and so of CI.
#
# When possible (root or user namespaces: `unshare -rm` can mount a tmpfs) the tests run with the Swift toolchain hidden:
# a private mount namespace with an empty tmpfs over the toolchain's folder and a bare environment
# (env -i PATH=/usr/bin:/bin), proving the installed package needs no toolchain at run time. Otherwise they run
# normally and say so.
#
#   bash Tests/Python/run.sh [PYTEST ARGS...]        PYTHON=python3.9 picks another interpreter (default python3)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "python tests: $("$python" --version) at $(command -v "$python")"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root/python" pytest
"$work/venv/bin/python" -c 'import numpy, scrim; print(f"python tests: scrim {scrim.__version__} (C API ABI {scrim.abi_version}), numpy {numpy.__version__}")'

# The CLI from the same objects as the library: the backend's flags with the CLI product, same scratch folder.
mapfile -t flags < <(cd python/_backend && "$python" -c 'import scrim_backend as b; print("\n".join(b.SWIFT_BUILD_FLAGS))')
for i in "${!flags[@]}"; do [ "${flags[$i]}" = CScrim ] && flags[$i]=scrim; done
swift build "${flags[@]}" --scratch-path "$root/.build-python" 2>&1 | tail -1
cli="$root/.build-python/release/scrim"

# The neural engine's model, where scripts/fetch-model.sh put it (its tests are skipped, saying so, without it).
model="${SCRIM_MODEL_PATH:-${XDG_DATA_HOME:-$HOME/.local/share}/scrim/models/DeepFilterNet3}"
tests=(env -i PATH=/usr/bin:/bin HOME="$work" TMPDIR="$work" SCRIM_CLI="$cli" SCRIM_SAMPLES="$root/samples"
       SCRIM_MODEL_PATH="$model"
       "$work/venv/bin/python" -m pytest "$root/python/tests" -p no:cacheprovider -q -rs "$@")
swift_bin="$(command -v swift)"
toolchain="$(dirname "$(dirname "$(readlink -f "$swift_bin")")")"   # e.g. /opt/swift/usr
# shellcheck disable=SC2016
if unshare -rm sh -c 'mount -t tmpfs none "$1"' probe "$toolchain" 2>/dev/null; then
    echo "python tests: the Swift toolchain ($toolchain) hidden under a tmpfs, bare environment"
    cd "$work"
    # shellcheck disable=SC2016
    unshare -rm sh -c 'mount -t tmpfs none "$1" && shift && exec "$@"' hide "$toolchain" "${tests[@]}"
else
    echo "python tests: cannot make a mount namespace here; running with the toolchain present (bare environment)"
    cd "$work"
    "${tests[@]}"
fi
