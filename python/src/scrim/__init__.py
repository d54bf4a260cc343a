"""Scrim from Python: audio cleanup for production sound (noise reduction, de-hum, loudness) on numpy arrays.

    import scrim
    clean, report = scrim.denoise(x, 48000)          # x: float32/float64, (frames,) or (frames, channels)
    print(report["denoise"]["noiseFloorAfterDbfs"])

Every function takes audio as soundfile returns it: float32 or float64 samples (full scale ±1.0), shape (frames,)
or (frames, channels), 1 to 64 channels, any memory order, and the sample rate in Hz. Processing functions return a
Result(audio, report): a new array of the input's shape and dtype, sample-aligned with it (same frame count, the
latency compensated), and the report as a dict: the same JSON object `scrim COMMAND --json` prints for a file
(input and output are None). The input array is never modified. Processing runs in float32 (a float64 input is
rounded to float32 on the way in, as a 32-bit float file would be).

The library reads the caller's array where it is (any strides, float32 or float64) and writes the new array
directly (C API audio views): the binding itself copies no samples.

Errors raise ScrimError subclasses carrying the library's message; bad arguments (dtype, shape, 0 frames, more than
64 channels, a sample rate that is not a finite number above 0) raise InvalidArgument before the library is called;
NaN/Inf samples (and float64 samples beyond float32's range) raise InvalidArgument from the library's own check,
naming the first by frame and channel, before any processing.

Threads: the GIL is released while the library works. Every whole-buffer function builds its own objects, so
calls may run concurrently from several threads; a Chain is used by one thread at a time (separate Chains may run
concurrently).

The native library (scrim/libscrim.so, Scrim's C API with the Swift runtime linked in) needs only the system's
FFTW, libsndfile, libsoxr and libpng. Units everywhere: Hz, seconds, frames (one sample per channel), dB, dBFS,
LUFS, LU, dBTP.
"""
from ._api import (MatchResult, Result, analyze, dehum, denoise, loudness, match, normalize, presets, process,
                   process_file)
from ._chain import Chain
from ._errors import (ConfigurationError, FileError, InternalError, InvalidArgument, ModelError, ScrimError,
                      UnknownPresetError, UnsupportedError)
from ._native import ABI_VERSION as abi_version
from ._native import LIBRARY_VERSION as library_version

__version__ = "0.1.0"

__all__ = [
    "Chain", "ConfigurationError", "FileError", "InternalError", "InvalidArgument", "MatchResult", "ModelError",
    "Result", "ScrimError", "UnknownPresetError", "UnsupportedError", "abi_version", "analyze", "dehum", "denoise",
    "library_version", "loudness", "match", "normalize", "presets", "process", "process_file",
]
