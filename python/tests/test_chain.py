"""scrim.Chain: streaming blocks give the CLI's file result, whatever the block sizes, aligned or not."""
from __future__ import annotations

import numpy as np
import pytest

import scrim
import wavio
from conftest import assert_same_audio


def stream(chain, x, sizes):
    """Feeds x through the chain in blocks cycling through `sizes`, then flushes; returns everything returned."""
    parts, start, k = [], 0, 0
    while start < x.shape[0]:
        n = sizes[k % len(sizes)]
        parts.append(chain.process(x[start:start + n]))
        start, k = start + n, k + 1
    parts.append(chain.flush())
    return np.concatenate(parts)


def test_stream_equals_scrim_process(float_samples, cli, tmp_path):
    # The streaming chain runs the same stages as `scrim process` on a file (which streams blocks itself and
    # compensates the latency): the aligned stream is bit-identical to it.
    path, x, rate = float_samples["dialogue_roomtone.wav"]
    cli("process", path, "-o", tmp_path / "out.wav", "--preset", "denoise-only")
    expected, _ = wavio.read(tmp_path / "out.wav")
    with scrim.Chain("denoise-only", rate, 1) as chain:
        assert chain.latency > 0
        out = stream(chain, x, [4800])
        report = chain.report()
    assert out.shape == x.shape and out.dtype == np.float32
    assert_same_audio(out[:, None], expected, "Chain denoise-only")
    assert report["framesProcessed"] == x.shape[0] and report["latencyFrames"] == chain.latency


@pytest.mark.parametrize("sizes", [[1], [17, 3000, 1], [100000], [8192], [20000, 5]])
def test_block_sizes_do_not_matter(float_samples, sizes):
    _, x, rate = float_samples["poly_bwf_4ch.wav"]
    x = x[:60000]
    with scrim.Chain("denoise-only", rate, 4) as chain:
        reference = stream(chain, x, [4096])
        chain.reset()
        out = stream(chain, x, sizes)
    assert np.array_equal(out, reference)


def test_unaligned_is_the_delayed_stream(float_samples):
    _, x, rate = float_samples["take_quiet.wav"]
    x = x[:50000]
    with scrim.Chain("denoise-only", rate, 1) as aligned_chain, \
            scrim.Chain("denoise-only", rate, 1, aligned=False) as raw_chain:
        aligned = stream(aligned_chain, x, [3000])
        raw_parts = [raw_chain.process(x[i:i + 3000]) for i in range(0, x.shape[0], 3000)]
        assert [p.shape[0] for p in raw_parts] == [min(3000, x.shape[0] - i) for i in range(0, x.shape[0], 3000)]
        tail = raw_chain.flush()
        assert tail.shape[0] == raw_chain.latency
        raw = np.concatenate(raw_parts + [tail])
    assert np.array_equal(raw[raw_chain.latency:], aligned)


def test_shorter_than_latency(float_samples):
    _, x, rate = float_samples["take_quiet.wav"]
    with scrim.Chain("denoise-only", rate, 1) as chain:
        short = x[:chain.latency // 3]
        first = chain.process(short)
        assert first.shape == (0,)
        out = np.concatenate([first, chain.flush()])
    assert out.shape == short.shape
    # The same as the whole-buffer preset run on those few frames (the file pipeline streams the same chain).
    assert np.array_equal(out, scrim.process(short, rate, preset="denoise-only").audio)


def test_dtype_and_shape_follow_the_blocks(float_samples):
    _, x, rate = float_samples["take_quiet.wav"]
    x = x[:30000]
    with scrim.Chain("denoise-only", rate, 1) as chain:
        out32 = stream(chain, x, [5000])
        chain.reset()
        out64 = stream(chain, x.astype(np.float64), [5000])
        chain.reset()
        out2d = stream(chain, x[:, None], [5000])
    assert out64.dtype == np.float64 and np.array_equal(out64, out32.astype(np.float64))
    assert out2d.shape == (x.shape[0], 1) and np.array_equal(out2d[:, 0], out32)


def test_preset_as_dict_and_json():
    preset = {"name": "mine", "denoise": {"engine": "spectral", "reductionLimitDb": 6}}
    x = (0.05 * np.random.default_rng(3).standard_normal(24000)).astype(np.float32)
    with scrim.Chain(preset, 48000, 1) as a, scrim.Chain(__import__("json").dumps(preset), 48000, 1) as b:
        assert np.array_equal(stream(a, x, [1000]), stream(b, x, [1000]))
        assert a.report()["preset"] == "mine"
        assert a.report()["stages"][0]["reductionLimitDb"] == 6


def test_streamable_presets_are_listed():
    listed = {p["name"]: p["streamable"] for p in scrim.presets()}
    assert listed["denoise-only"] is True and listed["dailies"] is False
    for name, streamable in listed.items():
        if streamable:
            scrim.Chain(name, 48000, 2).close()
        else:
            with pytest.raises(scrim.UnsupportedError):
                scrim.Chain(name, 48000, 2)


def test_empty_blocks_pass_through(float_samples):
    _, x, rate = float_samples["take_quiet.wav"]
    x = x[:20000]
    with scrim.Chain("denoise-only", rate, 1) as chain:
        reference = stream(chain, x, [5000])
        chain.reset()
        parts = []
        for i in range(0, x.shape[0], 5000):
            parts.append(chain.process(np.zeros(0, dtype=np.float32)))
            parts.append(chain.process(x[i:i + 5000]))
        assert parts[0].shape == (0,)
        out = np.concatenate(parts + [chain.flush()])
    assert np.array_equal(out, reference)
