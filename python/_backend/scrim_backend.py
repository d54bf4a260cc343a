"""PEP 517 build backend for the `scrim` Python package (in-tree: pyproject.toml's `backend-path`).

The wheel holds the pure-Python package from ../src/scrim and one native library, scrim/libscrim.so: Scrim's C API
(the Swift package's CScrim product) built in release mode with the Swift runtime and Foundation linked in
statically, so that the installed package needs no Swift toolchain, only the system's FFTW, libsndfile, libsoxr and
libpng (python/BUILD-NOTES.md has the measurements behind the flags). Nothing is downloaded: the backend has no build
requirements, and the Swift build uses the package's own pinned dependencies.

The library is built in its own scratch folder, `<Swift package>/.build-python` (never the debug `.build`, so the
two never rebuild each other), reused by later builds; `SCRIM_BUILD_SCRATCH` overrides it. `SCRIM_SWIFT` names the
`swift` executable (default: the one on PATH). The Swift package is the checkout around this folder (`..`) or, in an
sdist, the `swift/` folder inside it.

Hooks: build_wheel, build_sdist, prepare_metadata_for_build_wheel, get_requires_for_build_wheel/sdist (none).
The wheel's tag is py3-none-<platform> (e.g. linux_x86_64): the package runs on any Python 3 it supports, but only
on the platform (and glibc) it was built on; the system libraries it links are not on the manylinux allow-list, so
this is a local build, not a manylinux wheel.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent          # python/
SWIFT_BUILD_FLAGS = [
    "-c", "release", "--product", "CScrim",
    # The runtime and Foundation (with ICU data) linked in; -static-stdlib is needed for the dynamic product's
    # link too, and -z defs makes a link that would leave undefined symbols fail here rather than at load time.
    "--static-swift-stdlib", "-Xswiftc", "-static-stdlib", "-Xlinker", "-z", "-Xlinker", "defs",
]
# NEEDED entries and RUNPATHs that would mean the library still wants the toolchain at run time.
TOOLCHAIN_LIBRARIES = re.compile(r"swift|Foundation|dispatch|BlocksRuntime|icu", re.IGNORECASE)


class BuildError(RuntimeError):
    pass


def _log(message: str) -> None:
    print(f"scrim build: {message}", file=sys.stderr, flush=True)


# ---- metadata ------------------------------------------------------------------------------------------------

def _project() -> dict:
    """The few [project] fields the metadata needs, read from pyproject.toml (no TOML parser before 3.11)."""
    text = (PACKAGE_DIR / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project]", 1)[1]

    def string(key: str) -> str:
        match = re.search(rf'^{re.escape(key)}\s*=\s*"([^"]*)"', section, re.MULTILINE)
        if not match:
            raise BuildError(f"pyproject.toml: [project] has no {key}")
        return match.group(1)

    deps = re.search(r'^dependencies\s*=\s*\[([^\]]*)\]', section, re.MULTILINE)
    return {
        "name": string("name"),
        "version": string("version"),
        "description": string("description"),
        "requires-python": string("requires-python"),
        "dependencies": re.findall(r'"([^"]+)"', deps.group(1)) if deps else [],
    }


def _metadata(project: dict) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
        "License: MIT",
        f"Requires-Python: {project['requires-python']}",
        *[f"Requires-Dist: {dep}" for dep in project["dependencies"]],
        "Description-Content-Type: text/markdown",
    ]
    readme = PACKAGE_DIR / "README.md"
    body = readme.read_text(encoding="utf-8") if readme.exists() else ""
    return "\n".join(lines) + "\n\n" + body


def _dist_info_name(project: dict) -> str:
    return f"{project['name']}-{project['version']}.dist-info"


def _platform_tag() -> str:
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _wheel_file(tag: str) -> str:
    return f"Wheel-Version: 1.0\nGenerator: scrim_backend\nRoot-Is-Purelib: false\nTag: {tag}\n"


# ---- the native library --------------------------------------------------------------------------------------

def _swift_root() -> Path:
    for candidate in (PACKAGE_DIR.parent, PACKAGE_DIR / "swift"):
        if (candidate / "Package.swift").is_file() and (candidate / "Sources" / "CScrim").is_dir():
            return candidate
    raise BuildError(f"no Scrim Swift package found at {PACKAGE_DIR.parent} or {PACKAGE_DIR / 'swift'}: build "
                     "from a checkout of the Scrim repository (pip install ./python) or from its sdist")


def _check_version(root: Path, project: dict) -> None:
    source = (root / "Sources" / "Scrim" / "Scrim.swift").read_text(encoding="utf-8")
    match = re.search(r'scrimVersion\s*=\s*"([^"]+)"', source)
    if match and match.group(1) != project["version"]:
        raise BuildError(f"python/pyproject.toml says version {project['version']} but Scrim is "
                         f"{match.group(1)} (Sources/Scrim/Scrim.swift): make them equal")


def _run(command: list, cwd: Path) -> None:
    _log("$ " + " ".join(str(part) for part in command))
    result = subprocess.run([str(part) for part in command], cwd=str(cwd))
    if result.returncode != 0:
        raise BuildError(f"command failed with status {result.returncode}: {' '.join(map(str, command))}")


def _dynamic_section(library: Path) -> tuple[list, list]:
    """NEEDED entries and RUNPATH/RPATH of an ELF file, from readelf (binutils, which strip needs anyway)."""
    output = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output)
    paths = re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[([^\]]*)\]", output)
    return needed, paths


def build_library(destination: Path) -> Path:
    """Builds libscrim (static Swift runtime), strips it into `destination`/libscrim.so and checks that it does not
    need the toolchain at run time. Returns the path written."""
    root = _swift_root()
    _check_version(root, _project())
    swift = os.environ.get("SCRIM_SWIFT") or shutil.which("swift")
    if not swift:
        raise BuildError("the Swift toolchain (6.1 or later) is needed to build scrim's native library and was not "
                         "found on PATH (set SCRIM_SWIFT to the swift executable); the installed package does not "
                         "need it. Or install a wheel built elsewhere with scripts/build-wheel.sh")
    scratch = Path(os.environ.get("SCRIM_BUILD_SCRATCH") or root / ".build-python")
    _run([swift, "build", *SWIFT_BUILD_FLAGS, "--scratch-path", scratch], cwd=root)
    built = scratch / "release" / "libCScrim.so"
    if not built.is_file():
        raise BuildError(f"swift build succeeded but {built} is missing")
    destination.mkdir(parents=True, exist_ok=True)
    target = destination / "libscrim.so"
    strip = shutil.which("strip")
    if not strip:
        raise BuildError("strip (binutils) is needed to build the package: apt-get install binutils")
    _run([strip, "--strip-unneeded", "-o", target, built], cwd=root)
    needed, runpaths = _dynamic_section(target)
    wrong = [name for name in needed if TOOLCHAIN_LIBRARIES.search(name)]
    toolchain_paths = [path for path in runpaths if "swift" in path.lower()]
    if wrong or toolchain_paths:
        raise BuildError(f"{target} still needs the Swift toolchain at run time: NEEDED {wrong}, RUNPATH "
                         f"{toolchain_paths} (is this toolchain's static stdlib installed?)")
    _log(f"libscrim.so: {target.stat().st_size / 1e6:.1f} MB stripped; NEEDED {', '.join(needed)}")
    return target


# ---- wheel ---------------------------------------------------------------------------------------------------

def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _package_files() -> list:
    """(path in the wheel, source file) for the pure-Python part: everything under src/scrim but caches."""
    source = PACKAGE_DIR / "src" / "scrim"
    files = []
    for path in sorted(source.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".so"):
            files.append((f"scrim/{path.relative_to(source).as_posix()}", path))
    return files


def _write_dist_info(directory: Path, project: dict) -> str:
    name = _dist_info_name(project)
    info = directory / name
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata(project), encoding="utf-8")
    (info / "WHEEL").write_text(_wheel_file(f"py3-none-{_platform_tag()}"), encoding="utf-8")
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(Path(metadata_directory), _project())


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    tag = f"py3-none-{_platform_tag()}"
    wheel_name = f"{project['name']}-{project['version']}-{tag}.whl"
    with tempfile.TemporaryDirectory() as staging:
        library = build_library(Path(staging))
        entries = [(path, source.read_bytes()) for path, source in _package_files()]
        entries.append(("scrim/libscrim.so", library.read_bytes()))
        info = _dist_info_name(project)
        entries.append((f"{info}/METADATA", _metadata(project).encode()))
        entries.append((f"{info}/WHEEL", _wheel_file(tag).encode()))
        licence = _swift_root() / "LICENSE"
        if licence.is_file():
            entries.append((f"{info}/licenses/LICENSE", licence.read_bytes()))
        record = "\n".join(_record_line(path, data) for path, data in entries) + f"\n{info}/RECORD,,\n"
        entries.append((f"{info}/RECORD", record.encode()))
        out = Path(wheel_directory) / wheel_name
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as wheel:
            for path, data in entries:
                member = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                # Executable bit for the shared library, plain read/write for the rest.
                member.external_attr = (0o755 if path.endswith(".so") else 0o644) << 16
                wheel.writestr(member, data)
    _log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return wheel_name


# ---- sdist ---------------------------------------------------------------------------------------------------

def build_sdist(sdist_directory, config_settings=None):
    """The Python package plus the Swift package it builds under swift/ (Package.swift, Sources/, LICENSE, and Tests/,
    whose targets the manifest declares)."""
    project = _project()
    root = _swift_root()
    base = f"{project['name']}-{project['version']}"
    out = Path(sdist_directory) / f"{base}.tar.gz"

    def skip(info: tarfile.TarInfo):
        parts = Path(info.name).parts
        if "__pycache__" in parts or info.name.endswith((".pyc", ".so")) or ".build" in parts:
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(out, "w:gz") as sdist:
        for name in ("pyproject.toml", "README.md", "BUILD-NOTES.md", "_backend", "src", "tests"):
            if (PACKAGE_DIR / name).exists():
                sdist.add(PACKAGE_DIR / name, arcname=f"{base}/{name}", filter=skip)
        for name in ("Package.swift", "Package.resolved", "LICENSE", "Sources", "Tests"):
            if (root / name).exists():
                sdist.add(root / name, arcname=f"{base}/swift/{name}", filter=skip)
        pkg_info = _metadata(project).encode()
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(pkg_info)
        sdist.addfile(member, io.BytesIO(pkg_info))
    return out.name
