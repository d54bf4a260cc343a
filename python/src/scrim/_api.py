"""The whole-buffer functions: numpy arrays in, (audio, report) out."""
from __future__ import annotations

import ctypes
import json
import math
import os
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._audio import View, check_audio, check_hertz, check_output, check_sample_rate, output_like, view_of
from ._errors import InvalidArgument

PathLike = Union[str, "os.PathLike[str]"]
Report = Dict[str, Any]


class Result(NamedTuple):
    """What a processing call returns: `audio`, a new array with the input's shape and dtype, sample-aligned with
    it (same frame count, latency compensated), and `report`, the same JSON object `scrim COMMAND --json` prints
    for a file, as a dict (the envelope: command, input and output (None here), status, error, warnings, then the
    report under the command's key). Unpacks as `audio, report = scrim.denoise(x, sr)`."""

    audio: np.ndarray
    report: Report


class MatchResult(NamedTuple):
    """What scrim.match returns: `audio`, one new array per take (each with its take's shape and dtype; the
    reference take unchanged), and `report`, the list of JSON lines `scrim match --json` prints, as dicts: one per
    take matched (in take order, the reference left out; the gain under report[i]["match"]), then the summary
    line (report[-1]["matchSummary"])."""

    audio: List[np.ndarray]
    report: List[Report]


def _options(values: Dict[str, Any]) -> Optional[bytes]:
    """Options JSON for the C call: keys mirror the CLI's flags in camelCase with units; None values are left out
    (the library's default)."""
    present = {key: value for key, value in values.items() if value is not None}
    return json.dumps(present).encode() if present else None


# The library's names for its view arguments, as the binding's user knows them (in the library's messages).
_X = {"input": "x"}


def _in_place(name: str, x: Any, sample_rate: Any, options: Optional[bytes], out: Optional[np.ndarray]) -> Result:
    """Runs one of the processing functions (denoise, dehum, normalize) out of place: the library reads `x` where it
    is (any layout, float32 or float64, checking every sample is finite) and writes the new array (or `out`)
    directly. The binding copies nothing itself."""
    check_audio(x)
    rate = check_sample_rate(sample_rate)
    function = _native.function(name)
    source, keep = view_of(x)  # keep: the array the view describes (x itself, or a copy), alive until we return
    out = output_like(x) if out is None else check_output(out, x)
    target, _ = view_of(out)
    report = _native.call_for_object(function, ctypes.byref(source), ctypes.byref(target), rate, options,
                                     names={"input": "x", "output": "out"})
    return Result(out, report)


def denoise(x: np.ndarray, sr: float, *, engine: str = "spectral", reduction_db: Optional[float] = None,
            learn: Union[None, str, Tuple[float, float]] = None, model: Optional[PathLike] = None,
            out: Optional[np.ndarray] = None) -> Result:
    """Reduces broadband noise (as `scrim denoise`).

    Args:
        x: samples, float32 or float64, full scale ±1.0, shape (frames,) or (frames, channels), 1-64 channels.
        sr: sample rate in Hz.
        engine: "spectral" (Scrim's spectral noise reducer) or "neural" (DeepFilterNet3; needs the model, see
            scripts/fetch-model.sh, and runs at 48 kHz).
        reduction_db: the deepest cut allowed, in dB (spectral 0-40, neural 0-100; None: the engine's default,
            24 dB for spectral, no limit for neural).
        learn: None (adaptive: the noise estimate follows the take), "auto" (learn from the quietest 0.5 s), or
            (start_seconds, end_seconds) to learn from that stretch.
        model: the neural engine's model folder (None: $SCRIM_MODEL_PATH, then ~/.local/share/scrim/models).

        out: None (a new array) or an array to write the result into: the shape of `x`, float32 or float64,
            writable, aligned, not sharing memory with `x` (or `x` itself, to work in place). Reusing one saves
            the new array's first touch (a few ms for tens of MB); the result is the same.
    Returns:
        Result(audio, report); report["denoise"] holds the noise floor before/after (dBFS), average reduction (dB).
    """
    learn_option: Union[None, str, List[float]] = learn if learn is None or isinstance(learn, str) else None
    if learn is not None and not isinstance(learn, str):
        try:
            start, end = learn
            learn_option = [float(start), float(end)]
        except (TypeError, ValueError):
            raise InvalidArgument(f"learn must be None, \"auto\" or (start_seconds, end_seconds), got {learn!r}", 0)
    options = _options({"engine": engine, "reductionDb": reduction_db, "learn": learn_option,
                        "modelPath": os.fspath(model) if model is not None else None})
    return _in_place("scrim_denoise_view", x, sr, options, out)


def dehum(x: np.ndarray, sr: float, *, frequency: Union[str, float] = "auto", engine: Optional[str] = None,
          out: Optional[np.ndarray] = None) -> Result:
    """Removes mains hum and its harmonics (as `scrim dehum`).

    Args:
        x: samples, float32 or float64, shape (frames,) or (frames, channels).
        sr: sample rate in Hz.
        frequency: "auto" (detect the hum, 45-65 Hz, then remove it; nothing found = audio unchanged, said in the
            report) or the mains fundamental in Hz (e.g. 50 or 60).
        engine: None (the default, "tracker": one phase track through speech) or "classic".

        out: None (a new array) or an array to write the result into: the shape of `x`, float32 or float64,
            writable, aligned, not sharing memory with `x` (or `x` itself, to work in place). Reusing one saves
            the new array's first touch (a few ms for tens of MB); the result is the same.
    Returns:
        Result(audio, report); report["dehum"] holds the detection (fundamentalHz, harmonics) and what was removed.
    """
    if isinstance(frequency, str):
        if frequency != "auto":
            raise InvalidArgument(f"frequency must be \"auto\" or a number of Hz, got {frequency!r}", 0)
        hertz = None
    else:
        hertz = check_hertz(frequency, "frequency")
    return _in_place("scrim_dehum_view", x, sr, _options({"frequencyHz": hertz, "engine": engine}), out)


def normalize(x: np.ndarray, sr: float, *, target: float = -23.0, true_peak: float = -1.0,
              limiter: bool = True, layout: Optional[str] = None, dialogue: bool = False,
              out: Optional[np.ndarray] = None) -> Result:
    """Brings the integrated loudness to a target with one static gain (as `scrim normalize`: two passes, a
    true-peak limiter only where the gain would push a peak over the ceiling).

    Args:
        x: samples, float32 or float64, shape (frames,) or (frames, channels).
        sr: sample rate in Hz.
        target: integrated loudness target in LUFS (default -23, EBU R 128).
        true_peak: true-peak ceiling in dBTP (default -1).
        limiter: True to catch peaks over the ceiling with the look-ahead limiter; False lowers the gain instead.
        layout: channel weights as the CLI's --layout ("auto", "equal", "mono", "stereo", "5.0", "5.1", "7.1");
            None: "auto", by channel count.
        dialogue: True to measure (and normalise) dialogue loudness: gate on the blocks judged to be speech.

        out: None (a new array) or an array to write the result into: the shape of `x`, float32 or float64,
            writable, aligned, not sharing memory with `x` (or `x` itself, to work in place). Reusing one saves
            the new array's first touch (a few ms for tens of MB); the result is the same.
    Returns:
        Result(audio, report); report["normalize"] holds gainDb, before/after loudness (LUFS), the limiter.
    """
    options = _options({"targetLufs": float(target), "truePeakDbtp": float(true_peak), "limiter": bool(limiter),
                        "layout": layout, "dialogue": bool(dialogue)})
    return _in_place("scrim_normalize_view", x, sr, options, out)


def process(x: np.ndarray, sr: float, *, preset: Union[str, Dict[str, Any]] = "dailies",
            out: Optional[np.ndarray] = None) -> Result:
    """Runs a whole preset on the whole buffer, two-pass stages included (as `scrim process` on a file).

    Args:
        x: samples, float32 or float64, shape (frames,) or (frames, channels).
        sr: sample rate in Hz.
        preset: a built-in preset name ("dailies", "broadcast", "podcast", "denoise-only"; `scrim presets`), or a
            preset as a dict or JSON text.

        out: None (a new array) or an array to write the result into: the shape of `x`, float32 or float64,
            writable, aligned, not sharing memory with `x` (or `x` itself, to work in place). Reusing one saves
            the new array's first touch (a few ms for tens of MB); the result is the same.
    Returns:
        Result(audio, report); report["process"] holds every stage's decisions.
    """
    check_audio(x)
    rate = check_sample_rate(sr)
    function = _native.function("scrim_process_view")
    text = _preset_text(preset)
    source, keep = view_of(x)
    out = output_like(x) if out is None else check_output(out, x)
    target, _ = view_of(out)
    report = _native.call_for_object(function, text, ctypes.byref(source), ctypes.byref(target), rate,
                                     names={"input": "x", "output": "out"})
    return Result(out, report)


def analyze(x: np.ndarray, sr: float) -> Report:
    """Analyses the audio (as `scrim analyze`): hum, noise floor, loudness, peaks, per-track QC (clipping, DC, dead
    and silent tracks, polarity). The audio is only read.

    Returns:
        The report dict; report["analysis"] holds the measurements (dBFS, LUFS, dBTP, Hz).
    """
    check_audio(x)
    rate = check_sample_rate(sr)
    function = _native.function("scrim_analyze_view")
    source, keep = view_of(x)
    report = _native.call_for_object(function, ctypes.byref(source), rate, None, names=_X)
    return report


def match(takes: Sequence[np.ndarray], sr: float, *, reference: Optional[int] = None,
          true_peak: Optional[float] = None, limiter: Optional[bool] = None, layout: Optional[str] = None,
          dialogue: Optional[bool] = None) -> MatchResult:
    """Brings several takes to one loudness, one static gain per take (as `scrim match`).

    Args:
        takes: two or more takes, each float32 or float64 of shape (frames,) or (frames, channels); all with the
            same channel count (lengths may differ).
        sr: sample rate in Hz (of every take).
        reference: index of the take the others are brought to (`scrim match --reference`: it is only measured);
            None: the takes' median integrated loudness (`scrim match --together`).
        true_peak: true-peak ceiling in dBTP (None: the default, -1).
        limiter, layout, dialogue: as for normalize (None: their defaults). To bring takes to a fixed loudness,
            normalize each.

    Returns:
        MatchResult(audio=[one array per take], report=[the CLI's JSON lines]).
    """
    if isinstance(takes, np.ndarray) or not isinstance(takes, Sequence) or len(takes) == 0:
        raise InvalidArgument("takes must be a non-empty list of arrays (one per take)", 0)
    rate = check_sample_rate(sr)
    channel_count = None
    for index, take in enumerate(takes):
        frames, channels = check_audio(take, f"takes[{index}]")
        if channel_count is None:
            channel_count = channels
        elif channels != channel_count:
            raise InvalidArgument(f"takes[{index}] has {channels} channels, takes[0] {channel_count}: every take "
                                  "needs the same channel count", 0)
    if reference is not None and not (isinstance(reference, int) and 0 <= reference < len(takes)):
        raise InvalidArgument(f"reference must be a take index 0..{len(takes) - 1}, got {reference!r}", 0)
    function = _native.function("scrim_match_views")
    viewed = [view_of(take) for take in takes]
    outs = [output_like(take) for take in takes]
    inputs = (View * len(takes))(*[view for view, _ in viewed])
    outputs = (View * len(takes))(*[view_of(out)[0] for out in outs])
    options = _options({"reference": reference, "truePeakDbtp": true_peak, "limiter": limiter, "layout": layout,
                        "dialogue": dialogue})
    report = _native.call_with_report(function, inputs, outputs, len(takes), rate, options,
                                      names={"inputs[": "takes["})
    if not isinstance(report, list):
        report = [report]
    return MatchResult(outs, report)


def loudness(x: np.ndarray, sr: float, *, layout: Optional[str] = None) -> Report:
    """Measures loudness (as `scrim loudness`): ITU-R BS.1770-4 / EBU R 128 integrated loudness (LUFS), loudness
    range (LU), true peak (dBTP), sample peak (dBFS), max momentary and short-term loudness (LUFS).

    Args:
        x: samples, float32 or float64, shape (frames,) or (frames, channels). Only read.
        sr: sample rate in Hz.
        layout: channel weights: None or "auto" (by channel count: 1 mono, 2 stereo, 5 = 5.0, 6 = 5.1, 8 = 7.1,
            other counts 1.0 each), "equal" (every channel 1.0: a poly file's microphones, as the CLI weighs a
            production poly file), "mono", "stereo", "5.0", "5.1", "7.1".

    Returns:
        The envelope `scrim loudness --json` prints, as a dict; the measurement is report["loudness"].
    """
    frames, channels = check_audio(x)
    rate = check_sample_rate(sr)
    add_view = _native.function("scrim_meter_add_view")
    source, keep = view_of(x)
    meter = ctypes.c_void_p()
    block = min(frames, 1 << 20)
    _native.check(_native.lib.scrim_meter_create_with_layout(
        rate, channels, block, 1, layout.encode() if layout is not None else None, ctypes.byref(meter)))
    try:
        # One call: the library reads the array where it is (in pieces of at most `block` frames), checking that
        # every sample is finite before any is measured.
        _native.check(add_view(meter, ctypes.byref(source)), names={"block": "x"})
        measurement = _native.call_for_object(_native.lib.scrim_meter_result_json, meter)
    finally:
        _native.lib.scrim_meter_destroy(meter)
    # The keys `scrim loudness` adds after the meter's (Sources/Scrim/LoudnessJob.swift), with its rounding: the
    # duration to 6 places, half away from zero; no invalid samples (they are refused above).
    scaled = frames / rate * 1e6
    whole = math.floor(scaled)
    measurement.update(channelCount=channels, durationSeconds=(whole + (1 if scaled - whole >= 0.5 else 0)) / 1e6,
                       invalidSamplesZeroed=0)
    return {"command": "loudness", "input": None, "output": None, "status": "done", "error": None, "warnings": [],
            "loudness": measurement}


def process_file(src: PathLike, dst: PathLike, *, preset: Union[str, Dict[str, Any]] = "dailies",
                 overwrite: bool = False) -> Report:
    """Processes a file with a preset, writing `dst` atomically, sample-aligned, bext/iXML passed through (exactly
    as `scrim process`). The output's container follows its extension (.wav, .rf64, .w64, .aiff, .flac, .caf).

    Returns:
        The report dict (`scrim process --json`'s envelope, plus temporariesRemoved).
    Raises:
        FileError for an unreadable input, an existing output without overwrite, an unwritable output.
    """
    source = os.fsencode(os.fspath(src))
    destination = os.fsencode(os.fspath(dst))
    return _native.call_for_object(_native.lib.scrim_process_file, source, destination, _preset_text(preset),
                                   1 if overwrite else 0)


def presets() -> List[Dict[str, Any]]:
    """The built-in presets: [{"name": ..., "streamable": bool}, ...] ("streamable": usable in a Chain; the others
    run with process or process_file)."""
    out = ctypes.c_void_p()
    _native.check(_native.function("scrim_presets_json")(ctypes.byref(out)))
    text = _native.take_string(out)
    return json.loads(text) if text else []


def _preset_text(preset: Union[str, Dict[str, Any]]) -> bytes:
    if isinstance(preset, dict):
        return json.dumps(preset).encode()
    if not isinstance(preset, str) or not preset:
        raise InvalidArgument(f"preset must be a preset name, JSON text or a dict, got {preset!r}", 0)
    return preset.encode()
