"""numpy arrays as the C API's audio views (scrim_audio_view: the array's own memory, its strides and dtype, read and
written by the library directly, so the binding copies no samples), and the checks made before any C call (dtype,
shape, channel and frame counts; the library checks that every sample is finite while it reads them)."""
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


SAMPLE_FLOAT32, SAMPLE_FLOAT64 = 1, 2  # scrim_sample_type


class View(ctypes.Structure):
    """struct scrim_audio_view (scrim.h): sample (channel c, frame i) at element c * channel_stride + i *
    frame_stride from data, in samples of the view's type."""
    _fields_ = [("data", ctypes.c_void_p), ("frame_count", ctypes.c_int64), ("frame_stride", ctypes.c_int64),
                ("channel_stride", ctypes.c_int64), ("channel_count", ctypes.c_int32),
                ("sample_type", ctypes.c_int32)]


assert ctypes.sizeof(View) == 40


def view_of(x: np.ndarray) -> Tuple[View, np.ndarray]:
    """The view of a checked audio array (float32/float64, (frames,) or (frames, channels)) over its own memory,
    with the array it describes (keep it alive during the call): `x` itself, or, when its strides are not whole
    samples or its data is not aligned (rare: views into raw bytes), a C-ordered copy."""
    itemsize = x.itemsize
    strides = x.strides
    if any(stride % itemsize for stride in strides) or x.ctypes.data % itemsize:
        x = x.copy(order="C")  # a new array is aligned; np.ascontiguousarray would keep a contiguous one as is
        strides = x.strides
    if x.ndim == 1:
        frame_stride, channel_stride, channels = strides[0] // itemsize, 0, 1
    else:
        frame_stride, channel_stride, channels = strides[0] // itemsize, strides[1] // itemsize, x.shape[1]
    sample_type = SAMPLE_FLOAT32 if x.dtype == np.float32 else SAMPLE_FLOAT64
    return View(x.ctypes.data, x.shape[0], frame_stride, channel_stride, channels, sample_type), x


def check_output(out: Any, x: np.ndarray) -> np.ndarray:
    """Checks an `out=` array: x's shape, float32/float64, writable, aligned, whole-sample strides (it is written
    where it is, never copied). Sharing memory with x is the library's to judge (only x itself is allowed)."""
    if not isinstance(out, np.ndarray):
        raise InvalidArgument(f"out must be a numpy.ndarray, got {type(out).__name__}", 0)
    if out.dtype not in _FLOAT_DTYPES:
        raise InvalidArgument(f"out must have dtype float32 or float64, got {out.dtype}", 0)
    if out.shape != x.shape:
        raise InvalidArgument(f"out has shape {out.shape}, x {x.shape}: they must match", 0)
    if not out.flags.writeable:
        raise InvalidArgument("out is read-only", 0)
    if not out.flags.aligned or any(stride % out.itemsize for stride in out.strides):
        raise InvalidArgument("out is not aligned to its samples (a view into raw bytes): give a numpy-allocated "
                              "array", 0)
    return out


def output_like(x: np.ndarray) -> np.ndarray:
    """A new array for a result: the input's shape and dtype and, for contiguous input, its memory order (a
    C-ordered input gets a C-ordered result, a Fortran-ordered one a Fortran-ordered result)."""
    return np.empty_like(x, order="K")
