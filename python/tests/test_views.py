"""The binding hands numpy arrays to the library as they are (C API audio views): every layout and dtype gives the
same audio as the C-ordered float32 array (float64 rounded to float32 on the way in), the result follows the input's
memory order, and the arrays the binding cannot describe directly (unaligned, read-only) still work."""
from __future__ import annotations

import numpy as np
import pytest

import scrim

RATE = 48000


def stereo(seconds: float = 2.0, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    x = 0.1 * np.sin(2 * np.pi * 220 * t)[:, None] * (t[:, None] % 1 > 0.5) + 0.01 * rng.standard_normal((t.size, 2))
    return x  # float64, values float32 cannot hold exactly


def unaligned(x: np.ndarray) -> np.ndarray:
    """The same samples in memory one byte off the sample size's alignment (a view into raw bytes)."""
    raw = np.zeros(x.nbytes + 1, dtype=np.uint8)
    y = np.frombuffer(raw.data, dtype=x.dtype, count=x.size, offset=1).reshape(x.shape)
    y[...] = x
    assert not y.flags.aligned
    return y


LAYOUTS = {
    "C float32": lambda x: np.ascontiguousarray(x, dtype=np.float32),
    "C float64": lambda x: np.ascontiguousarray(x),
    "F float64": lambda x: np.asfortranarray(x),
    "reversed frames twice": lambda x: np.ascontiguousarray(x[::-1].astype(np.float32))[::-1],
    "read-only": lambda x: np.ascontiguousarray(x, dtype=np.float32).copy().view(),
    "unaligned float32": lambda x: unaligned(x.astype(np.float32)),
}


@pytest.mark.parametrize("layout", LAYOUTS.keys())
@pytest.mark.parametrize("name", ["denoise", "normalize"])
def test_every_layout_and_dtype_gives_the_float32_result(name, layout):
    x = stereo()
    call = getattr(scrim, name)
    reference, reference_report = call(x.astype(np.float32), RATE)
    y = LAYOUTS[layout](x)
    if layout == "read-only":
        y.flags.writeable = False
    before = y.copy()
    audio, report = call(y, RATE)
    assert audio.dtype == y.dtype and audio.shape == y.shape
    # float32 results widen exactly: the float64 output is the float32 result, bit for bit
    assert np.array_equal(audio.astype(np.float32), reference)
    assert report[name] == reference_report[name]
    assert np.array_equal(y, before)


def test_result_follows_the_input_memory_order():
    x = stereo(0.5).astype(np.float32)
    assert scrim.denoise(np.ascontiguousarray(x), RATE).audio.flags.c_contiguous
    assert scrim.denoise(np.asfortranarray(x), RATE).audio.flags.f_contiguous


def test_loudness_and_analyze_read_any_layout():
    x = stereo()
    reference_loudness = scrim.loudness(x.astype(np.float32), RATE)
    reference_analysis = scrim.analyze(x.astype(np.float32), RATE)
    for layout, make in LAYOUTS.items():
        y = make(x)
        assert scrim.loudness(y, RATE) == reference_loudness, layout
        assert scrim.analyze(y, RATE)["analysis"] == reference_analysis["analysis"], layout


@pytest.mark.parametrize("layout", LAYOUTS.keys())
def test_chain_blocks_in_any_layout(layout):
    x = stereo()
    with scrim.Chain("denoise-only", RATE, 2) as chain:
        reference = np.concatenate([chain.process(x.astype(np.float32)), chain.flush()])
    y = LAYOUTS[layout](x)
    if layout == "read-only":
        y.flags.writeable = False
    with scrim.Chain("denoise-only", RATE, 2, max_block_frames=2048) as chain:
        pieces = [chain.process(y[start:start + 3000]) for start in range(0, y.shape[0], 3000)]
        pieces.append(chain.flush())
    out = np.concatenate(pieces)
    assert out.dtype == y.dtype
    assert np.array_equal(out.astype(np.float32), reference)


def test_match_takes_of_mixed_layouts():
    a, b = stereo(1.0, 1), 0.3 * stereo(1.5, 2)
    reference = scrim.match([a.astype(np.float32), b.astype(np.float32)], RATE)
    result = scrim.match([np.asfortranarray(a), b.astype(np.float32)], RATE)
    assert result.audio[0].dtype == np.float64 and result.audio[1].dtype == np.float32
    assert np.array_equal(result.audio[0].astype(np.float32), reference.audio[0])
    assert np.array_equal(result.audio[1], reference.audio[1])
    assert [line.get("match", {}).get("gainDb") for line in result.report] == \
        [line.get("match", {}).get("gainDb") for line in reference.report]


def test_match_names_the_take_with_a_bad_sample():
    a, b = stereo(1.0, 1).astype(np.float32), stereo(1.0, 2).astype(np.float32)
    b[500, 1] = np.nan
    with pytest.raises(scrim.InvalidArgument, match=r"takes\[1\] has a non-finite sample .* at frame 500 of channel 1"):
        scrim.match([a, b], RATE)


def test_out_receives_the_same_result():
    x = stereo(1.0).astype(np.float32)
    reference, reference_report = scrim.denoise(x, RATE)
    for out in (np.full_like(x, 7.0), np.full(x.shape, 7.0, dtype=np.float64), np.asfortranarray(np.zeros_like(x))):
        audio, report = scrim.denoise(x, RATE, out=out)
        assert audio is out
        assert np.array_equal(out.astype(np.float32), reference)
        assert report["denoise"] == reference_report["denoise"]
    y = x.copy()
    audio, _ = scrim.denoise(y, RATE, out=y)  # out=x: in place
    assert audio is y and np.array_equal(y, reference)
    audio, _ = scrim.process(x, RATE, preset="denoise-only", out=np.empty_like(x))
    assert np.array_equal(audio, scrim.process(x, RATE, preset="denoise-only").audio)


def test_bad_out_is_refused_and_left_alone():
    x = stereo(0.5).astype(np.float32)
    cases = {
        "shape": (np.zeros((x.shape[0] - 1, 2), np.float32), "out has shape"),
        "dtype": (np.zeros(x.shape, np.int16), "out must have dtype"),
        "read-only": (np.zeros(x.shape, np.float32), "read-only"),
        "unaligned": (unaligned(np.zeros(x.shape, np.float32)), "not aligned"),
        "overlapping x": (None, "out overlaps"),
        "list": ([0.0], "numpy.ndarray"),
    }
    for name, (out, expected) in cases.items():
        if name == "read-only":
            out.flags.writeable = False
        if name == "overlapping x":
            wide = np.zeros((x.shape[0] + 1, 2), np.float32)
            wide[:-1] = x
            x_view, out = wide[:-1], wide[1:]
            with pytest.raises(scrim.InvalidArgument, match=expected):
                scrim.denoise(x_view, RATE, out=out)
            assert np.array_equal(wide[:-1], x)
            continue
        with pytest.raises(scrim.InvalidArgument, match=expected):
            scrim.denoise(x, RATE, out=out)
