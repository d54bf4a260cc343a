"""scrim.Chain: a preset's stages as a streaming processor over numpy blocks (scrim_chain_* in the C API)."""
from __future__ import annotations

import ctypes
import threading
from types import TracebackType
from typing import Any, Dict, Optional, Type, Union

import numpy as np

from . import _native
from ._api import _preset_text
from ._audio import MAX_CHANNELS, check_audio, check_finite, check_sample_rate, to_planar
from ._errors import InvalidArgument

_DEFAULT_BLOCK = 8192


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
        max_block_frames: the size of the block handed to the library at a time (larger blocks are split);
            frames, 1 to 1048576.

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
        # The flush buffer and its pointer table, reused.
        self._scratch = np.empty((channels, min(max_block_frames, max(self._latency, 1))), dtype=np.float32)
        base, stride = self._scratch.ctypes.data, self._scratch.strides[0]
        self._table = (ctypes.c_void_p * channels)(*[base + c * stride for c in range(channels)])
        self._start_stream()

    def _start_stream(self) -> None:
        self._to_drop = self._latency if self.aligned else 0
        self._flushed = False
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

    def _flush_block(self, count: int) -> np.ndarray:
        """Flushes the next `count` frames into the scratch buffer; returns a copy, shape (channels, count)."""
        _native.check(_native.lib.scrim_chain_flush(self._object(), self._table, self.channels, count))
        return self._scratch[:, :count].copy()

    def _shape(self, planar: np.ndarray) -> np.ndarray:
        """Drops what alignment still has to drop and returns the block in the caller's shape and dtype."""
        if self._to_drop:
            dropped = min(self._to_drop, planar.shape[1])
            planar = planar[:, dropped:]
            self._to_drop -= dropped
        out = planar[0] if self._one_dimensional else planar.T
        return out.astype(self._dtype, copy=False)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Processes a block of any length (0 included): float32 or float64, shape (frames,) (one channel) or
        (frames, channels).

        Returns a new array of the block's dtype and dimensionality: as many frames as given (aligned=False), or,
        with aligned=True, that many less what is still held back to remove the latency (possibly 0 frames).
        """
        if isinstance(block, np.ndarray) and block.ndim in (1, 2) and block.shape[0] == 0 \
                and block.dtype in (np.float32, np.float64) \
                and (block.shape[1] if block.ndim == 2 else 1) == self.channels:
            return block.copy()  # an empty block is allowed in a stream: nothing in, nothing out
        frames, channels = check_audio(block, "block")
        if channels != self.channels:
            raise InvalidArgument(f"block has {channels} channels, the chain {self.channels}", 0)
        # The block's own planar float32 copy, checked whole before any of it goes in, then processed in place.
        planar = to_planar(block, frames, channels)
        check_finite(planar, "block")
        with self._lock:
            handle = self._object()
            if self._flushed:
                raise InvalidArgument("the stream was flushed: call reset() to start a new one", 0)
            self._dtype = block.dtype
            self._one_dimensional = block.ndim == 1
            table = (ctypes.c_void_p * channels)()
            base, stride, itemsize = planar.ctypes.data, planar.strides[0], planar.itemsize
            for start in range(0, frames, self._block):
                count = min(self._block, frames - start)
                for c in range(channels):
                    table[c] = base + c * stride + start * itemsize
                _native.check(_native.lib.scrim_chain_process(handle, table, channels, count))
            return self._shape(planar)

    def flush(self) -> np.ndarray:
        """Ends the stream: returns the output still held in the chain (with aligned=True, what completes the
        input's length; otherwise the last `latency` frames), in the dtype and dimensionality of the last block.
        Call reset() before the next stream."""
        with self._lock:
            if self._flushed:
                raise InvalidArgument("the stream was already flushed: call reset() to start a new one", 0)
            pieces = [np.empty((self.channels, 0), dtype=np.float32)]
            remaining = self._latency
            while remaining > 0:
                count = min(self._block, remaining)
                pieces.append(self._flush_block(count))
                remaining -= count
            self._flushed = True
            return self._shape(np.concatenate(pieces, axis=1))

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

