"""numpy arrays to and from the C API's planar float32 buffers, and the checks made before any C call."""
from __future__ import annotations

import ctypes
import math
import numbers
from typing import Any, Tuple

import numpy as np

from ._errors import InvalidArgument

MAX_CHANNELS = 64
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_hertz(value: Any, what: str = "sample rate") -> float:
    """A finite frequency above 0 Hz as a float (the library checks its own ranges, e.g. 8-192 kHz for rates)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgument(f"{what} must be a number in Hz, got {type(value).__name__}", 0)
    hertz = float(value)
    if not math.isfinite(hertz) or hertz <= 0:
        raise InvalidArgument(f"{what} must be a finite number of Hz above 0, got {value!r}", 0)
    return hertz


def check_sample_rate(sample_rate: Any) -> float:
    return check_hertz(sample_rate, "sample rate")


def check_audio(x: Any, name: str = "x") -> Tuple[int, int]:
    """Checks an audio array: float32/float64, shape (frames,) or (frames, channels), 1-64 channels, frames > 0.
    Returns (frames, channels)."""
    if not isinstance(x, np.ndarray):
        raise InvalidArgument(f"{name} must be a numpy.ndarray of float32 or float64 samples (full scale ±1.0), "
                              f"got {type(x).__name__}", 0)
    if x.dtype not in _FLOAT_DTYPES:
        hint = ""
        if x.dtype.kind in "iu":
            hint = " (integer PCM: convert, e.g. x.astype(np.float32) / 32768 for int16)"
        raise InvalidArgument(f"{name} must have dtype float32 or float64, got {x.dtype}{hint}", 0)
    if x.ndim not in (1, 2):
        raise InvalidArgument(f"{name} must have shape (frames,) or (frames, channels), got shape {x.shape}", 0)
    frames = x.shape[0]
    channels = 1 if x.ndim == 1 else x.shape[1]
    if frames == 0:
        raise InvalidArgument(f"{name} has 0 frames (shape {x.shape})", 0)
    if not 1 <= channels <= MAX_CHANNELS:
        raise InvalidArgument(f"{name} has {channels} channels (shape {x.shape}); Scrim takes 1 to {MAX_CHANNELS} "
                              "(shape is (frames, channels), as soundfile returns it)", 0)
    return frames, channels


_FINITE_CHUNK = 1 << 20  # samples tested at a time: bounds the test's temporary to 1 MB of bools


def check_finite(planar: np.ndarray, name: str = "x") -> None:
    """Refuses NaN or ±Inf samples (also float64 samples beyond float32's range, which became Inf), naming the
    first by channel and frame. `planar` is a C-contiguous (channels, frames) float32 array or view."""
    flat = planar.reshape(-1)
    for start in range(0, flat.shape[0], _FINITE_CHUNK):
        if np.isfinite(flat[start:start + _FINITE_CHUNK]).all():
            continue
        bad = np.argwhere(~np.isfinite(planar))
        channel, frame = (int(v) for v in bad[0])
        raise InvalidArgument(f"{name} has a non-finite sample ({planar[channel, frame]}) at frame {frame} of "
                              f"channel {channel} (0-based; NaN, Inf, or beyond float32's range); "
                              f"{len(bad)} such sample{'s' if len(bad) != 1 else ''} in all", 0)


def to_planar(x: np.ndarray, frames: int, channels: int) -> np.ndarray:
    """A new C-contiguous float32 array of shape (channels, frames): one contiguous run per channel, as the C API
    wants. Works from any memory order and strides (the copy is also what keeps the caller's array unwritten).
    Copied channel by channel: a strided gather into one contiguous run each is about three times as fast as numpy's
    copy of the whole transposed view for interleaved (C-order) input."""
    planar = np.empty((channels, frames), dtype=np.float32)
    if x.dtype == np.float32:
        _copy_channels(planar, x, channels)
    else:
        with np.errstate(over="ignore"):  # float64 beyond float32's range becomes Inf, refused by check_finite
            _copy_channels(planar, x, channels)
    return planar


def _copy_channels(planar: np.ndarray, x: np.ndarray, channels: int) -> None:
    if x.ndim == 1:
        np.copyto(planar[0], x, casting="same_kind")
    else:
        for c in range(channels):
            np.copyto(planar[c], x[:, c], casting="same_kind")


def planar_view(x: np.ndarray, frames: int, channels: int) -> np.ndarray:
    """For the functions that only read: the caller's own float32 samples when they already lie one contiguous run
    per channel (a contiguous 1-D array, or a Fortran-ordered 2-D one), else a planar copy (to_planar)."""
    if x.dtype == np.float32:
        if x.ndim == 1 and x.flags.c_contiguous:
            return x.reshape(1, frames)
        if x.ndim == 2 and x.T.flags.c_contiguous:
            return x.T
    return to_planar(x, frames, channels)


def from_planar(planar: np.ndarray, like: np.ndarray) -> np.ndarray:
    """The processed planar buffer in the caller's shape and dtype. 2-D results are Fortran-ordered (one contiguous
    run per channel: for float32 a view of the planar buffer, no copy); np.ascontiguousarray gives C order."""
    if like.ndim == 1:
        channel: np.ndarray = planar[0]
        return channel if like.dtype == planar.dtype else channel.astype(like.dtype)
    if like.dtype == planar.dtype:
        return planar.T
    out = np.empty(planar.T.shape, dtype=like.dtype, order="F")
    for c in range(planar.shape[0]):
        out[:, c] = planar[c]
    return out


def pointer_table(planar: np.ndarray) -> Any:
    """A C array of channel pointers (float *const *) into a C-contiguous (channels, frames) float32 array.
    The caller keeps `planar` alive for as long as the table is used."""
    base = planar.ctypes.data
    stride = planar.strides[0]
    return (ctypes.c_void_p * planar.shape[0])(*[base + c * stride for c in range(planar.shape[0])])
