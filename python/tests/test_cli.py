"""The binding gives the CLI's results: the same samples and the same report, on the samples written as 32-bit float
WAV files (the C API runs the CLI's own pipeline on the caller's float32 samples, so the audio must be bit-identical
and the report's command object equal; only the `file` object's timings and the paths differ)."""
from __future__ import annotations

import os

import numpy as np
import pytest

import scrim
import wavio
from conftest import assert_same_audio, load

# Keys of the CLI's `file` report that measure the run, not the audio.
VOLATILE = {"elapsedSeconds", "realTimeFactor"}


def stable(value):
    """A report object without the run's timings (and the temporaries cleanup, which depends on the folder)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE and k != "temporariesRemoved"}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def compare_reports(ours, theirs, key):
    assert ours["command"] == theirs["command"]
    assert ours["status"] == theirs["status"] == "done"
    assert ours["input"] is None and ours["output"] is None
    assert stable(ours[key]) == stable(theirs[key]), key
    assert ours["warnings"] == theirs["warnings"]


@pytest.mark.parametrize("name", ["dialogue_roomtone.wav", "poly_bwf_4ch.wav"])
def test_denoise(float_samples, cli, tmp_path, name):
    path, x, rate = float_samples[name]
    [line] = cli("denoise", path, "-o", tmp_path / "out.wav")
    expected, _ = wavio.read(tmp_path / "out.wav")
    audio, report = scrim.denoise(x, rate)
    assert audio.dtype == np.float32 and audio.shape == x.shape
    assert_same_audio(audio.reshape(expected.shape), expected, f"denoise {name}")
    compare_reports(report, line, "denoise")


def test_denoise_options(float_samples, cli, tmp_path):
    path, x, rate = float_samples["dialogue_roomtone.wav"]
    [line] = cli("denoise", path, "-o", tmp_path / "out.wav", "--reduction", "12", "--learn", "0-1.5")
    expected, _ = wavio.read(tmp_path / "out.wav")
    audio, report = scrim.denoise(x, rate, reduction_db=12, learn=(0, 1.5))
    assert_same_audio(audio[:, None], expected, "denoise --reduction 12 --learn 0-1.5")
    compare_reports(report, line, "denoise")
    assert report["denoise"]["reductionLimitDb"] == 12 and report["denoise"]["mode"] == "learned"


def test_denoise_neural(float_samples, cli, tmp_path):
    # DeepFilterNet3 on Scrim's kernels, from the model folder $SCRIM_MODEL_PATH (scripts/fetch-model.sh).
    model = os.environ.get("SCRIM_MODEL_PATH")
    if not model or not os.path.isfile(os.path.join(model, "enc.onnx")):
        pytest.skip("the DeepFilterNet3 model is not installed (scripts/fetch-model.sh; SCRIM_MODEL_PATH)")
    path, x, rate = float_samples["dialogue_roomtone.wav"]
    [line] = cli("denoise", path, "-o", tmp_path / "out.wav", "--engine", "neural", "--model", model)
    expected, _ = wavio.read(tmp_path / "out.wav")
    audio, report = scrim.denoise(x, rate, engine="neural", model=model)
    assert_same_audio(audio[:, None], expected, "denoise --engine neural")
    compare_reports(report, line, "denoise")
    assert report["denoise"]["engine"] == "neural"


def test_dehum(float_samples, cli, tmp_path):
    path, x, rate = float_samples["hum_take.wav"]
    [line] = cli("dehum", path, "-o", tmp_path / "out.wav")
    expected, _ = wavio.read(tmp_path / "out.wav")
    audio, report = scrim.dehum(x, rate)
    assert_same_audio(audio[:, None], expected, "dehum auto")
    compare_reports(report, line, "dehum")
    assert report["dehum"]["detection"]["present"] and 59 < report["dehum"]["removedFundamentalHz"] < 61


def test_dehum_fixed_frequency(float_samples, cli, tmp_path):
    path, x, rate = float_samples["hum_take.wav"]
    [line] = cli("dehum", path, "-o", tmp_path / "out.wav", "--frequency", "60")
    expected, _ = wavio.read(tmp_path / "out.wav")
    audio, report = scrim.dehum(x, rate, frequency=60)
    assert_same_audio(audio[:, None], expected, "dehum 60 Hz")
    compare_reports(report, line, "dehum")


def test_normalize(float_samples, cli, tmp_path):
    path, x, rate = float_samples["take_quiet.wav"]
    # -32 LUFS with a -16.9 dBTP peak: +12 dB stays under the -2 dBTP ceiling, so no limiting; the output then lands
    # within 0.1 LU of the target (Sources/scrim/README.md: only 24-bit rounding and the meter's histogram).
    [line] = cli("normalize", path, "-o", tmp_path / "out.wav", "--target", "-20", "--true-peak", "-2")
    expected, _ = wavio.read(tmp_path / "out.wav")
    audio, report = scrim.normalize(x, rate, target=-20, true_peak=-2)
    assert_same_audio(audio[:, None], expected, "normalize -20 LUFS")
    compare_reports(report, line, "normalize")
    assert not report["normalize"]["limiter"]["engaged"]
    assert abs(report["normalize"]["after"]["integratedLoudnessLufs"] - -20) < 0.1


def test_loudness(float_samples, cli):
    for name in ("take_loud.wav", "poly_bwf_4ch.wav"):
        path, x, rate = float_samples[name]
        [line] = cli("loudness", path)
        compare_reports(scrim.loudness(x, rate), line, "loudness")
    # A production poly file's tracks weigh equally in the CLI (its iXML says so; a buffer has none): layout="equal".
    [line] = cli("loudness", path, "--layout", "equal")
    report = scrim.loudness(x, rate, layout="equal")
    compare_reports(report, line, "loudness")
    assert report["loudness"]["channelLayout"]["name"] == "equal"


def test_analyze(float_samples, cli):
    for name in ("hum_take.wav", "poly_bwf_4ch.wav"):
        path, x, rate = float_samples[name]
        [line] = cli("analyze", path)
        compare_reports(scrim.analyze(x, rate), line, "analysis")


def test_match(float_samples, cli, tmp_path):
    (quiet_path, quiet, rate), (loud_path, loud, _) = float_samples["take_quiet.wav"], float_samples["take_loud.wav"]
    _, speech, _ = float_samples["dialogue_roomtone.wav"]
    lines = cli("match", "--together", quiet_path, loud_path, "-o", tmp_path / "together")
    (quiet_out, loud_out), report = scrim.match([quiet, loud], rate)
    assert_same_audio(quiet_out[:, None], wavio.read(tmp_path / "together" / quiet_path.name)[0], "match quiet")
    assert_same_audio(loud_out[:, None], wavio.read(tmp_path / "together" / loud_path.name)[0], "match loud")
    assert len(report) == len(lines) == 3
    for ours, theirs in zip(report[:2], lines[:2]):
        compare_reports(ours, theirs, "match")
    summary, expected = report[2]["matchSummary"], lines[2]["matchSummary"]
    assert {k: v for k, v in summary.items() if k != "reference"} == \
        {k: v for k, v in expected.items() if k != "reference"}
    # --reference: the reference take is only measured (returned unchanged) and has no line of its own.
    (speech_path, _, _) = float_samples["dialogue_roomtone.wav"]
    lines = cli("match", "--reference", speech_path, quiet_path, "-o", tmp_path / "reference")
    (speech_out, quiet_out), report = scrim.match([speech, quiet], rate, reference=0)
    assert np.array_equal(speech_out, speech)
    assert_same_audio(quiet_out[:, None], wavio.read(tmp_path / "reference" / quiet_path.name)[0], "match ref")
    assert len(report) == len(lines) == 2
    compare_reports(report[0], lines[0], "match")
    assert report[1]["matchSummary"]["reference"] == "takes[0]"


@pytest.mark.parametrize("name,preset", [("hum_take.wav", "dailies"), ("poly_bwf_4ch.wav", "dailies"),
                                         ("dialogue_roomtone.wav", "broadcast")])
def test_process_buffer(float_samples, cli, tmp_path, name, preset):
    path, x, rate = float_samples[name]
    [line] = cli("process", path, "-o", tmp_path / "out.wav", "--preset", preset)
    expected, _ = wavio.read(tmp_path / "out.wav")
    audio, report = scrim.process(x, rate, preset=preset)
    assert_same_audio(audio.reshape(expected.shape), expected, f"process {preset} {name}")
    compare_reports(report, line, "process")


@pytest.mark.parametrize("name", ["hum_take.wav", "poly_bwf_4ch.wav"])
def test_process_file(samples, cli, tmp_path, name):
    # File to file (24-bit PCM in and out), exactly `scrim process`: the same bytes, the same report.
    [line] = cli("process", samples / name, "-o", tmp_path / "cli.wav")
    report = scrim.process_file(samples / name, tmp_path / "py.wav")
    assert (tmp_path / "py.wav").read_bytes() == (tmp_path / "cli.wav").read_bytes()
    assert stable(report["process"]) == stable(line["process"])
    assert stable(report["file"]) == stable(line["file"])
    assert report["warnings"] == line["warnings"]


def test_float64_in_float64_out(float_samples):
    # float64 samples that are exactly float32 values give exactly the float32 result, as float64.
    _, x, rate = float_samples["dialogue_roomtone.wav"]
    audio32, report32 = scrim.denoise(x, rate)
    audio64, report64 = scrim.denoise(x.astype(np.float64), rate)
    assert audio64.dtype == np.float64 and audio64.shape == x.shape
    assert np.array_equal(audio64, audio32.astype(np.float64))
    assert report64["denoise"] == report32["denoise"]


def test_float64_rounding_is_within_float32_precision(float_samples):
    # Arbitrary float64 input is rounded to float32 on the way in (relative error at most 2^-24, about 6e-8 of each
    # sample, so at most 6e-8 of full scale here), which is what a 32-bit float file would hold; the result equals
    # processing that rounded signal.
    _, x, rate = float_samples["take_loud.wav"]
    x64 = x.astype(np.float64) * (1 + 1e-9)  # not representable in float32
    assert not np.array_equal(x64.astype(np.float32).astype(np.float64), x64)
    audio64, _ = scrim.normalize(x64, rate)
    audio32, _ = scrim.normalize(x64.astype(np.float32), rate)
    assert np.array_equal(audio64, audio32.astype(np.float64))
    assert np.max(np.abs(x64.astype(np.float32) - x64)) <= 6e-8


@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed-channels", "1-D as (n, 1)"])
def test_any_memory_order(float_samples, layout):
    _, x, rate = float_samples["poly_bwf_4ch.wav"]
    x = x[:96000]
    reference, reference_report = scrim.denoise(np.ascontiguousarray(x), rate)
    if layout == "C":
        y = np.ascontiguousarray(x)
    elif layout == "F":
        y = np.asfortranarray(x)
    elif layout == "strided":
        wide = np.zeros((x.shape[0] * 2, x.shape[1] * 3), dtype=np.float32)
        wide[::2, ::3] = x
        y = wide[::2, ::3]
    elif layout == "reversed-channels":
        y = np.ascontiguousarray(x[:, ::-1])[:, ::-1]
    else:
        mono = np.ascontiguousarray(x[:, 0])
        audio_1d, _ = scrim.denoise(mono, rate)
        audio_2d, _ = scrim.denoise(mono[:, None], rate)
        assert audio_1d.shape == mono.shape and audio_2d.shape == (mono.shape[0], 1)
        assert np.array_equal(audio_1d, audio_2d[:, 0])
        return
    assert not np.shares_memory(y, x) or layout == "C"
    audio, report = scrim.denoise(y, rate)
    assert audio.shape == x.shape
    assert np.array_equal(audio, reference)
    assert report["denoise"] == reference_report["denoise"]
