"""The installed package: its library is the one in the package folder, of the right ABI and version, and needs no
Swift toolchain at run time."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import scrim
from scrim import _native

PACKAGE = Path(scrim.__file__).resolve().parent
# Libraries that only a Swift toolchain provides (the static build links them in).
TOOLCHAIN = re.compile(r"libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime|/opt/swift")


def test_library_is_the_packaged_one():
    assert Path(_native._PATH).resolve() == PACKAGE / "libscrim.so" or "SCRIM_LIBRARY" in os.environ
    assert (PACKAGE / "py.typed").is_file()


def test_versions_agree():
    # The package is built from the same checkout as its library: one version, and the ABI the binding is written
    # against (2: the whole-buffer functions, Sources/CScrim/include/scrim.h).
    assert scrim.library_version == scrim.__version__
    assert scrim.abi_version == 2


def test_no_toolchain_library_is_loaded():
    # Every file mapped into this process after `import scrim` (and a call into it): none from a Swift toolchain.
    scrim.loudness(__import__("numpy").zeros(4800, dtype="float32"), 48000)
    mapped = {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
              if len(line.split()) >= 6 and line.split()[-1].startswith("/")}
    assert not [path for path in mapped if TOOLCHAIN.search(path)]


def test_needed_entries_are_system_libraries():
    readelf = shutil.which("readelf")
    if readelf is None:
        import pytest
        pytest.skip("readelf (binutils) is not installed")
    dynamic = subprocess.run([readelf, "-d", _native._PATH], capture_output=True, text=True,
                             check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
    assert needed, dynamic
    assert not [name for name in needed if TOOLCHAIN.search(name)], needed
    # The audio libraries come from the system (they are not bundled).
    assert {"libfftw3f.so.3", "libsndfile.so.1"} <= set(needed), needed
    assert "swift" not in " ".join(re.findall(r"\((?:RUNPATH|RPATH)\).*\[([^\]]*)\]", dynamic))
