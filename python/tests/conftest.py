"""Shared fixtures: the samples, the `scrim` CLI the results are compared with, and the samples as float arrays.

SCRIM_CLI names the scrim executable built from the same objects as the installed library (Tests/Python/run.sh
builds it in the package's scratch folder with the same flags); without it the CLI comparisons are skipped, with
that reason. SCRIM_SAMPLES overrides the samples folder (default: the checkout's samples/).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import wavio

SAMPLES = Path(os.environ.get("SCRIM_SAMPLES") or Path(__file__).resolve().parents[2] / "samples")


@pytest.fixture(scope="session")
def samples() -> Path:
    if not (SAMPLES / "hum_take.wav").is_file():
        pytest.fail(f"the samples are not in {SAMPLES} (set SCRIM_SAMPLES)")
    return SAMPLES


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI with --json; returns the parsed JSON lines (a list of dicts)."""
    path = os.environ.get("SCRIM_CLI")
    if not path:
        pytest.skip("SCRIM_CLI is not set: no scrim executable to compare with (Tests/Python/run.sh sets it)")

    def run(*args):
        result = subprocess.run([path, *map(str, args), "--json"], capture_output=True, text=True)
        assert result.returncode == 0, f"scrim {' '.join(map(str, args))} failed: {result.stderr}"
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    return run


def load(samples: Path, name: str, one_dimensional: bool = True):
    """A sample as float32 (frames,) for mono (or (frames, channels)) and its rate."""
    x, rate = wavio.read(samples / name)
    if one_dimensional and x.shape[1] == 1:
        x = x[:, 0]
    return x, rate


@pytest.fixture(scope="session")
def float_samples(samples, tmp_path_factory):
    """Each sample written as a 32-bit float WAV (what the C API's buffer functions are specified against), with
    its float32 array: {name: (path, array (frames,) or (frames, channels), rate)}."""
    folder = tmp_path_factory.mktemp("float-samples")
    out = {}
    for name in ("dialogue_roomtone.wav", "hum_take.wav", "poly_bwf_4ch.wav", "take_loud.wav", "take_quiet.wav"):
        x, rate = load(samples, name)
        path = folder / name.replace(".wav", ".f32.wav")
        wavio.write_float(path, x, rate)
        out[name] = (path, x, rate)
    return out


def assert_same_audio(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Bit-identical audio: same shape, every sample equal (the C API runs the CLI's pipeline on the same float32
    samples, so nothing may differ)."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    differ = np.flatnonzero(actual.ravel() != expected.ravel())
    assert differ.size == 0, (f"{what}: {differ.size} samples differ, first at flat index {differ[0]}: "
                              f"{actual.ravel()[differ[0]]} != {expected.ravel()[differ[0]]}")
