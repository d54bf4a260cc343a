"""scrim.Chain: a preset's stages as a streaming processor over numpy blocks (scrim_chain_* in the C API)."""
from __future__ import annotations

import ctypes
import threading
from types import TracebackType
from typing import Any, Dict, Optional, Type, Union

import numpy as np

from . import _native
from ._api import _preset_text
from ._audio import MAX_CHANNELS, SAMPLE_FLOAT32, SAMPLE_FLOAT64, View, check_audio, check_sample_rate
from ._errors import InvalidArgument

_DEFAULT_BLOCK = 8192
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_addressof = ctypes.addressof
_char_at = ctypes.c_char.from_buffer


class Chain:
    """A streaming chain built from a preset, for audio that arrives in blocks (a live feed, a network stream, a
    file read piece by piece). Memory stays bounded by the block size; any block sizes give the same output.

    Only stages that can stream run here: de-hum at a fixed frequency (with the classic remover; the tracker
    works on 28 s chunks) and denoise. A preset with stages that need the whole take first (automatic hum
    detection, loudness normalisation) is refused with UnsupportedError naming them: use scrim.process on the
    whole buffer, or scrim.process_file. scrim.presets() says which built-in presets stream.

    Args:
        preset: a built-in preset name ("denoise-only"), or a preset as a dict or JSON text.
        sr: sample rate in Hz (8000 to 192000).
        channels: channel count, 1 to 64.
        aligned: True (default): the output is aligned with the input, the chain's latency already removed:
            process() returns fewer frames than it was given until `latency` frames have gone in, and flush()
            returns the rest, so that everything returned adds up to exactly the input, sample for sample.
            False: process() returns as many frames as it is given, delayed by `latency` frames, and flush()
            returns the last `latency` frames (drop the first `latency` yourself).
        max_block_frames: the largest piece the chain's stages process at a time, frames, 1 to 1048576 (any block
            may be given to process(): the library splits longer ones; the output does not depend on it).

    Use as a context manager, or call close(); the object is not usable after that.
    Threads: one Chain is used by one thread at a time (a lock serialises calls on the same object); separate
    Chains run concurrently, and the GIL is released while the library works.
    """

    def __init__(self, preset: Union[str, Dict[str, Any]], sr: float, channels: int, *,
                 aligned: bool = True, max_block_frames: int = _DEFAULT_BLOCK):
        self._handle: Optional[ctypes.c_void_p] = None
        self._lock = threading.Lock()
        rate = check_sample_rate(sr)
        if isinstance(channels, bool) or not isinstance(channels, int) or not 1 <= channels <= MAX_CHANNELS:
            raise InvalidArgument(f"channels must be an int from 1 to {MAX_CHANNELS}, got {channels!r}", 0)
        if isinstance(max_block_frames, bool) or not isinstance(max_block_frames, int) \
                or not 1 <= max_block_frames <= 1 << 20:
            raise InvalidArgument(f"max_block_frames must be an int from 1 to 1048576, got {max_block_frames!r}", 0)
        handle = ctypes.c_void_p()
        _native.check(_native.lib.scrim_chain_create(_preset_text(preset), rate, channels, max_block_frames,
                                                     ctypes.byref(handle)))
        self._handle = handle
        self.sample_rate = rate
        self.channels = channels
        self.aligned = aligned
        self._block = max_block_frames
        latency = ctypes.c_int64()
        _native.check(_native.lib.scrim_chain_latency(handle, ctypes.byref(latency)))
        self._latency = int(latency.value)
        # The two views handed to the library, reused for every block (only their fields change).
        self._in_view, self._out_view = View(), View()
        self._in_ref, self._out_ref = ctypes.byref(self._in_view), ctypes.byref(self._out_view)
        self._process_view = _native.function("scrim_chain_process_view")
        self._flush_view = _native.function("scrim_chain_flush_view")
        self._start_stream()

    def _start_stream(self) -> None:
        self._to_drop = self._latency if self.aligned else 0
        self._flushed = False
        # (strides, dtype) of the last C-ordered block, whose layout the two views still describe; None: refill.
        self._layout_key: Optional[tuple] = None
        self._dtype = np.dtype(np.float32)
        self._one_dimensional = self.channels == 1

    @property
    def latency(self) -> int:
        """The chain's latency in frames (what aligned=True removes from the start of the output)."""
        return self._latency

    def _object(self) -> ctypes.c_void_p:
        if self._handle is None:
            raise InvalidArgument("the chain is closed", 0)
        return self._handle

    def _shape(self, out: np.ndarray) -> np.ndarray:
        """Drops what alignment still has to drop from the start of `out` (a view: no copy)."""
        if self._to_drop:
            dropped = min(self._to_drop, out.shape[0])
            self._to_drop -= dropped
            return out[dropped:]
        return out

    @staticmethod
    def _fill(view: View, x: np.ndarray, channels: int) -> None:
        """Points `view` at the array `x` ((frames,) or (frames, channels), float32/float64, whole-sample strides)."""
        itemsize = x.itemsize
        strides = x.strides
        # The address: through the buffer protocol for a writable C-contiguous array (a fraction of a microsecond),
        # else numpy's ctypes interface (about 2 µs: it matters at thousands of blocks a second).
        flags = x.flags
        view.data = _addressof(_char_at(x)) if flags.c_contiguous and flags.writeable else x.ctypes.data
        view.frame_count = x.shape[0]
        view.frame_stride = strides[0] // itemsize
        view.channel_stride = strides[1] // itemsize if x.ndim == 2 else 0
        view.channel_count = channels
        view.sample_type = SAMPLE_FLOAT32 if itemsize == 4 else SAMPLE_FLOAT64

    def process(self, block: np.ndarray) -> np.ndarray:
        """Processes a block of any length (0 included): float32 or float64, shape (frames,) (one channel) or
        (frames, channels), any memory order.

        Returns a new array of the block's dtype and dimensionality: as many frames as given (aligned=False), or,
        with aligned=True, that many less what is still held back to remove the latency (possibly 0 frames).
        The library reads the block where it is and writes the new array directly (one call, whatever the block's
        length); a NaN or Inf sample is refused before any of the block goes in.
        """
        channels = self.channels
        flags = block.flags if type(block) is np.ndarray else None
        if flags is not None and flags.c_contiguous and flags.aligned and block.dtype in _FLOAT_DTYPES \
                and block.shape[0] > 0 \
                and ((block.ndim == 2 and block.shape[1] == channels) or (block.ndim == 1 and channels == 1)):
            # The usual block (a C-ordered array or a slice of one along frames): nothing more to check here, and
            # when its strides and dtype are the last block's, only the addresses and the length change.
            shape = block.shape
            out = np.empty(shape, block.dtype)
            key = (block.strides, block.dtype)
            with self._lock:
                handle = self._handle
                if handle is None or self._flushed:
                    self._object()  # raises: closed
                    raise InvalidArgument("the stream was flushed: call reset() to start a new one", 0)
                if key == self._layout_key:
                    in_view, out_view = self._in_view, self._out_view
                    in_view.data = _addressof(_char_at(block)) if flags.writeable else block.ctypes.data
                    out_view.data = _addressof(_char_at(out))
                    in_view.frame_count = out_view.frame_count = shape[0]
                else:
                    self._dtype = block.dtype
                    self._one_dimensional = block.ndim == 1
                    self._fill(self._in_view, block, channels)
                    self._fill(self._out_view, out, channels)
                    self._layout_key = key
                status = self._process_view(handle, self._in_ref, self._out_ref)
                if status:
                    _native.check(status, names={"input": "block"})
                return self._shape(out) if self._to_drop else out
        else:
            if isinstance(block, np.ndarray) and block.ndim in (1, 2) and block.shape[0] == 0 \
                    and block.dtype in _FLOAT_DTYPES and (block.shape[1] if block.ndim == 2 else 1) == channels:
                return block.copy()  # an empty block is allowed in a stream: nothing in, nothing out
            frames, block_channels = check_audio(block, "block")
            if block_channels != channels:
                raise InvalidArgument(f"block has {block_channels} channels, the chain {channels}", 0)
            itemsize = block.itemsize
            if any(stride % itemsize for stride in block.strides) or block.ctypes.data % itemsize:
                block = block.copy(order="C")  # views into raw bytes: unaligned or not whole-sample strides
            out = np.empty_like(block, order="K")
        with self._lock:
            handle = self._object()
            if self._flushed:
                raise InvalidArgument("the stream was flushed: call reset() to start a new one", 0)
            self._dtype = block.dtype
            self._one_dimensional = block.ndim == 1
            self._fill(self._in_view, block, channels)
            self._fill(self._out_view, out, channels)
            self._layout_key = None
            status = self._process_view(handle, self._in_ref, self._out_ref)
            if status:
                _native.check(status, names={"input": "block"})
            return self._shape(out)

    def flush(self) -> np.ndarray:
        """Ends the stream: returns the output still held in the chain (with aligned=True, what completes the
        input's length; otherwise the last `latency` frames), in the dtype and dimensionality of the last block.
        Call reset() before the next stream."""
        with self._lock:
            if self._flushed:
                raise InvalidArgument("the stream was already flushed: call reset() to start a new one", 0)
            shape = (self._latency,) if self._one_dimensional else (self._latency, self.channels)
            out = np.empty(shape, dtype=self._dtype)
            if self._latency:
                self._fill(self._out_view, out, self.channels)
                self._layout_key = None
                _native.check(self._flush_view(self._object(), self._out_ref))
            self._flushed = True
            return self._shape(out)

    def reset(self) -> None:
        """Clears the stream state for an unrelated stream: the chain then behaves as freshly created."""
        with self._lock:
            _native.check(_native.lib.scrim_chain_reset(self._object()))
            self._start_stream()

    def report(self) -> Dict[str, Any]:
        """What the chain has done so far (stages, noise floor, frames processed, ...), as a dict."""
        with self._lock:
            return _native.call_for_object(_native.lib.scrim_chain_report_json, self._object())

    def close(self) -> None:
        """Releases the chain (also done by the context manager and when the object is collected)."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before the chain existed
            return
        with lock:
            handle, self._handle = self._handle, None
            if handle is not None:
                _native.lib.scrim_chain_destroy(handle)

    def __enter__(self) -> "Chain":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else f"latency {self._latency} frames"
        return f"<scrim.Chain {self.channels} ch at {self.sample_rate:g} Hz, {state}>"

