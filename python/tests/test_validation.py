"""Bad input raises before the library is called (InvalidArgument, with a message naming what is wrong), and what
only the library can judge comes back as the ScrimError subclass of its status, with its message."""
from __future__ import annotations

import math

import numpy as np
import pytest

import scrim

RATE = 48000
GOOD = (0.1 * np.sin(2 * np.pi * 440 * np.arange(4800) / RATE)).astype(np.float32)

# Every whole-buffer entry point, called on (x, sr).
CALLS = {
    "denoise": lambda x, sr: scrim.denoise(x, sr),
    "dehum": lambda x, sr: scrim.dehum(x, sr),
    "normalize": lambda x, sr: scrim.normalize(x, sr),
    "loudness": lambda x, sr: scrim.loudness(x, sr),
    "analyze": lambda x, sr: scrim.analyze(x, sr),
    "process": lambda x, sr: scrim.process(x, sr),
    "match": lambda x, sr: scrim.match([x, x], sr),
}

BAD_AUDIO = {
    "int16": (np.zeros(4800, dtype=np.int16), "dtype float32 or float64, got int16"),
    "float16": (np.zeros(4800, dtype=np.float16), "got float16"),
    "complex64": (np.zeros(4800, dtype=np.complex64), "got complex64"),
    "list": ([0.0] * 4800, "numpy.ndarray"),
    "3-D": (np.zeros((4800, 2, 2), dtype=np.float32), "shape (frames,) or (frames, channels)"),
    "0-D": (np.zeros((), dtype=np.float32), "shape (frames,) or (frames, channels)"),
    "0 frames": (np.zeros(0, dtype=np.float32), "0 frames"),
    "0 frames stereo": (np.zeros((0, 2), dtype=np.float32), "0 frames"),
    "0 channels": (np.zeros((4800, 0), dtype=np.float32), "0 channels"),
    "65 channels": (np.zeros((4800, 65), dtype=np.float32), "65 channels"),
    "(channels, frames) by mistake": (np.zeros((2, 4800), dtype=np.float32), "4800 channels"),
}


def with_bad_sample(value, dtype=np.float32, frame=1234, channel=1):
    x = np.zeros((4800, 2), dtype=dtype)
    x[frame, channel] = value
    return x


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("case", BAD_AUDIO.keys())
def test_bad_audio(call, case):
    x, expected = BAD_AUDIO[case]
    with pytest.raises(scrim.InvalidArgument, match=expected.replace("(", r"\(").replace(")", r"\)")) as raised:
        call(x, RATE)
    assert raised.value.status == 0  # found in Python, before any C call
    assert isinstance(raised.value, ValueError)


def test_non_finite_sample_past_the_first_chunk():
    # The test runs in chunks of 2^20 samples: a NaN in the last sample of a long stereo buffer is still found.
    x = np.zeros((1_500_000, 2), dtype=np.float32)
    x[-1, 1] = math.nan
    with pytest.raises(scrim.InvalidArgument, match="at frame 1499999 of channel 1"):
        scrim.loudness(x, RATE)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["NaN", "Inf", "-Inf"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_finite_samples(call, value, dtype):
    with pytest.raises(scrim.InvalidArgument, match="non-finite sample .* at frame 1234 of channel 1"):
        call(with_bad_sample(value, dtype), RATE)


def test_beyond_float32_range_is_refused():
    # 1e39 is finite in float64 but Inf in float32, which the library works in.
    with pytest.raises(scrim.InvalidArgument, match="beyond float32's range"):
        scrim.loudness(with_bad_sample(1e39, np.float64), RATE)


def test_huge_finite_samples_are_not_mistaken_for_inf():
    # Finite, though their sum would overflow float32: the test looks at each sample, not at a sum.
    x = np.full(4800, 3e38, dtype=np.float32)
    report = scrim.loudness(x, RATE)
    assert report["loudness"]["frameCount"] == 4800


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("rate", [0, -48000, math.nan, math.inf, "48000", True, None])
def test_bad_sample_rate(call, rate):
    with pytest.raises(scrim.InvalidArgument, match="sample rate must be"):
        call(GOOD, rate)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_sample_rate_out_of_the_library_range(call):
    # A finite positive rate that the library refuses (8 to 192 kHz): its own status and message.
    with pytest.raises(scrim.InvalidArgument) as raised:
        call(GOOD, 1000)
    assert raised.value.status == 1 and "1000" in raised.value.message


def test_unknown_option_value_is_a_configuration_error():
    with pytest.raises(scrim.ConfigurationError, match="engine"):
        scrim.denoise(GOOD, RATE, engine="magic")
    with pytest.raises(scrim.ConfigurationError, match="reductionDb"):
        scrim.denoise(GOOD, RATE, reduction_db=400)


def test_bad_python_side_options():
    with pytest.raises(scrim.InvalidArgument, match="frequency must be"):
        scrim.dehum(GOOD, RATE, frequency="fifty")
    with pytest.raises(scrim.InvalidArgument, match="frequency must be"):
        scrim.dehum(GOOD, RATE, frequency=-50)
    with pytest.raises(scrim.InvalidArgument, match="learn must be"):
        scrim.denoise(GOOD, RATE, learn=3)
    with pytest.raises(scrim.InvalidArgument, match="takes must be"):
        scrim.match([], RATE)
    with pytest.raises(scrim.InvalidArgument, match="takes must be"):
        scrim.match(GOOD, RATE)
    with pytest.raises(scrim.InvalidArgument, match="same channel count"):
        scrim.match([GOOD, np.zeros((4800, 2), dtype=np.float32)], RATE)
    with pytest.raises(scrim.InvalidArgument, match="reference must be"):
        scrim.match([GOOD, GOOD], RATE, reference=2)


def test_unknown_preset_names_it():
    with pytest.raises(scrim.UnknownPresetError, match="no-such-preset") as raised:
        scrim.process(GOOD, RATE, preset="no-such-preset")
    assert raised.value.status == 2 and isinstance(raised.value, scrim.ConfigurationError)
    with pytest.raises(scrim.UnknownPresetError, match="no-such-preset"):
        scrim.Chain("no-such-preset", RATE, 1)


def test_missing_file_is_a_file_error(tmp_path):
    with pytest.raises(scrim.FileError, match="nothing-here.wav"):
        scrim.process_file(tmp_path / "nothing-here.wav", tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_existing_output_is_refused_without_overwrite(tmp_path, samples):
    target = tmp_path / "out.wav"
    target.write_bytes(b"keep me")
    with pytest.raises(scrim.FileError):
        scrim.process_file(samples / "take_quiet.wav", target, preset="denoise-only")
    assert target.read_bytes() == b"keep me"


def test_missing_model_is_a_model_error(tmp_path):
    x = np.zeros(48000, dtype=np.float32)
    with pytest.raises(scrim.ModelError, match="fetch-model.sh"):
        scrim.denoise(x, RATE, engine="neural", model=tmp_path / "no-model")


def test_chain_arguments():
    with pytest.raises(scrim.InvalidArgument, match="channels must be"):
        scrim.Chain("denoise-only", RATE, 65)
    with pytest.raises(scrim.InvalidArgument, match="channels must be"):
        scrim.Chain("denoise-only", RATE, 0)
    with pytest.raises(scrim.InvalidArgument, match="sample rate must be"):
        scrim.Chain("denoise-only", 0, 1)
    with scrim.Chain("denoise-only", RATE, 2) as chain:
        with pytest.raises(scrim.InvalidArgument, match="block has 1 channels, the chain 2"):
            chain.process(GOOD)
        with pytest.raises(scrim.InvalidArgument, match="non-finite"):
            chain.process(with_bad_sample(math.nan))
        with pytest.raises(scrim.InvalidArgument, match="dtype"):
            chain.process(np.zeros((10, 2), dtype=np.int32))
        chain.process(np.zeros((100, 2), dtype=np.float32))
        chain.flush()
        with pytest.raises(scrim.InvalidArgument, match="flushed"):
            chain.process(np.zeros((100, 2), dtype=np.float32))
    with pytest.raises(scrim.InvalidArgument, match="closed"):
        chain.process(np.zeros((100, 2), dtype=np.float32))


def test_chain_refuses_stages_that_cannot_stream():
    # dailies finds the hum itself and normalises loudness: both need the whole take (ABI 2 refuses, naming them).
    with pytest.raises(scrim.UnsupportedError, match="loudness"):
        scrim.Chain("dailies", RATE, 1)


@pytest.mark.parametrize("layout", ["C", "F", "1-D"])
def test_input_is_never_written(layout):
    # Also for the layouts that loudness and analyze read in place (1-D, Fortran order), and for the ones copied.
    x = (0.1 * np.random.default_rng(5).standard_normal((9600, 2))).astype(np.float32)
    x = {"C": x, "F": np.asfortranarray(x), "1-D": np.ascontiguousarray(x[:, 0])}[layout]
    before = x.copy()
    for name, call in CALLS.items():
        call(x, RATE)
        assert np.array_equal(x, before), name


def test_read_in_place_equals_copied():
    x = (0.1 * np.random.default_rng(6).standard_normal((48000, 3))).astype(np.float32)
    for call in (scrim.loudness, scrim.analyze):
        assert call(np.asfortranarray(x), RATE) == call(np.ascontiguousarray(x), RATE)
        assert call(np.ascontiguousarray(x[:, 1]), RATE) == call(x[:, 1], RATE)  # contiguous vs strided
