"""A small WAV reader and 32-bit float writer for the tests (standard library + numpy), so that the tests do not
depend on another audio package. Reads PCM 16/24/32-bit and IEEE float 32/64 (plain, extensible, RF64 not needed)
and scales integers exactly as libsndfile does for float reads: by 2^-(bits-1), exact in float32 for 16 and 24 bits.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def read(path) -> tuple:
    """Returns (samples float32 of shape (frames, channels), sample rate in Hz)."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    position, fmt, payload = 12, None, None
    while position + 8 <= len(data):
        chunk_id, size = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        body = data[position + 8:position + 8 + size]
        if chunk_id == b"fmt ":
            fmt = body
        elif chunk_id == b"data":
            payload = body
        position += 8 + size + (size & 1)
    if fmt is None or payload is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE:
        tag = struct.unpack("<H", fmt[24:26])[0]
    frames = len(payload) // block_align
    raw = payload[:frames * block_align]
    if tag == 3 and bits == 32:
        samples = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif tag == 3 and bits == 64:
        samples = np.frombuffer(raw, dtype="<f8").astype(np.float32)
    elif tag == 1 and bits == 16:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / np.float32(2 ** 15)
    elif tag == 1 and bits == 24:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        values = bytes3[:, 0] | (bytes3[:, 1] << 8) | (bytes3[:, 2] << 16)
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
        samples = values.astype(np.float32) / np.float32(2 ** 23)
    elif tag == 1 and bits == 32:
        samples = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2 ** 31).astype(np.float32)
    else:
        raise ValueError(f"{path}: format tag {tag} with {bits} bits is not read by these tests")
    return samples.reshape(frames, channels), rate


def write_float(path, samples: np.ndarray, rate: int) -> None:
    """Writes a 32-bit IEEE float WAV (WAVE_FORMAT_IEEE_FLOAT, with the fact chunk) of (frames,) or
    (frames, channels) samples."""
    block = np.asarray(samples, dtype="<f4")
    if block.ndim == 1:
        block = block[:, None]
    frames, channels = block.shape
    payload = np.ascontiguousarray(block).tobytes()
    fmt = struct.pack("<HHIIHHH", 3, channels, rate, rate * channels * 4, channels * 4, 32, 0)
    fact = struct.pack("<I", frames)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<I", 4) + fact
            + b"data" + struct.pack("<I", len(payload)) + payload)
    Path(path).write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
