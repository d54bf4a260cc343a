"""Loads libscrim.so (the C API, Sources/CScrim/include/scrim.h) with ctypes and declares its signatures.

The library is the one installed beside this file; SCRIM_LIBRARY (a path) overrides it, for development only.
ctypes.CDLL releases the GIL around every foreign call, so Scrim's work runs while other Python threads go on.
"""
from __future__ import annotations

import ctypes
import json
import os
from ctypes import POINTER, c_char_p, c_double, c_int, c_int64, c_void_p
from typing import Any, Dict, Optional

from ._errors import InternalError, UnsupportedError, error_for_status

_PATH = os.environ.get("SCRIM_LIBRARY") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libscrim.so")

try:
    lib = ctypes.CDLL(_PATH)
except OSError as failure:  # pragma: no cover - a broken installation
    raise ImportError(
        f"scrim: cannot load its native library {_PATH}: {failure}. It needs the system's FFTW (single precision), "
        "libsndfile, libsoxr and libpng: on Debian/Ubuntu `apt-get install libfftw3-single3 libsndfile1 libsoxr0 "
        "libpng16-16`") from failure

# char ** out parameters are declared as c_void_p so that the pointer can be freed with scrim_string_free.
_out_string = POINTER(c_void_p)

_SIGNATURES = {
    "scrim_version": (c_char_p, []),
    "scrim_abi_version": (c_int, []),
    "scrim_last_error": (c_char_p, []),
    "scrim_string_free": (None, [c_void_p]),
    "scrim_chain_create": (c_int, [c_char_p, c_double, c_int, c_int, POINTER(c_void_p)]),
    "scrim_chain_destroy": (None, [c_void_p]),
    "scrim_chain_process": (c_int, [c_void_p, c_void_p, c_int, c_int]),
    "scrim_chain_flush": (c_int, [c_void_p, c_void_p, c_int, c_int]),
    "scrim_chain_latency": (c_int, [c_void_p, POINTER(c_int64)]),
    "scrim_chain_reset": (c_int, [c_void_p]),
    "scrim_chain_report_json": (c_int, [c_void_p, _out_string]),
    "scrim_process_file": (c_int, [c_char_p, c_char_p, c_char_p, c_int, _out_string]),
    "scrim_measure_file_loudness": (c_int, [c_char_p, c_int, _out_string]),
    "scrim_meter_create": (c_int, [c_double, c_int, c_int, c_int, POINTER(c_void_p)]),
    "scrim_meter_create_with_layout": (c_int, [c_double, c_int, c_int, c_int, c_char_p, POINTER(c_void_p)]),
    "scrim_meter_add": (c_int, [c_void_p, c_void_p, c_int, c_int]),
    "scrim_meter_result_json": (c_int, [c_void_p, _out_string]),
    "scrim_meter_destroy": (None, [c_void_p]),
    # ABI 2 (issue 21): whole buffers in memory, in place on planar float32 channels.
    "scrim_denoise_buffer": (c_int, [c_void_p, c_int, c_int64, c_double, c_char_p, _out_string]),
    "scrim_dehum_buffer": (c_int, [c_void_p, c_int, c_int64, c_double, c_char_p, _out_string]),
    "scrim_normalize_buffer": (c_int, [c_void_p, c_int, c_int64, c_double, c_char_p, _out_string]),
    "scrim_analyze_buffer": (c_int, [c_void_p, c_int, c_int64, c_double, c_char_p, _out_string]),
    "scrim_match_buffers": (c_int, [c_void_p, c_void_p, c_int, c_int, c_double, c_char_p, _out_string]),
    "scrim_process_buffer": (c_int, [c_char_p, c_void_p, c_int, c_int64, c_double, _out_string]),
    "scrim_presets_json": (c_int, [_out_string]),
    # ABI 2 additions: audio views (struct scrim_audio_view, passed by address), out of place, any layout and type.
    "scrim_denoise_view": (c_int, [c_void_p, c_void_p, c_double, c_char_p, _out_string]),
    "scrim_dehum_view": (c_int, [c_void_p, c_void_p, c_double, c_char_p, _out_string]),
    "scrim_normalize_view": (c_int, [c_void_p, c_void_p, c_double, c_char_p, _out_string]),
    "scrim_analyze_view": (c_int, [c_void_p, c_double, c_char_p, _out_string]),
    "scrim_process_view": (c_int, [c_char_p, c_void_p, c_void_p, c_double, _out_string]),
    "scrim_match_views": (c_int, [c_void_p, c_void_p, c_int, c_double, c_char_p, _out_string]),
    "scrim_chain_process_view": (c_int, [c_void_p, c_void_p, c_void_p]),
    "scrim_chain_flush_view": (c_int, [c_void_p, c_void_p]),
    "scrim_meter_add_view": (c_int, [c_void_p, c_void_p]),
}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(lib, _name, None)
    if _function is not None:
        _function.restype = _restype
        _function.argtypes = _argtypes

ABI_VERSION: int = lib.scrim_abi_version()
LIBRARY_VERSION: str = lib.scrim_version().decode()


def function(name: str) -> Any:
    """The library's function `name`; UnsupportedError when this libscrim predates it."""
    found = getattr(lib, name, None)
    if found is None:
        raise UnsupportedError(f"this libscrim ({_PATH}, C API ABI {ABI_VERSION}) has no {name}: reinstall the "
                               "package from a checkout whose C API has it", 5)
    return found


def last_error() -> str:
    message = lib.scrim_last_error()
    return message.decode("utf-8", "replace") if message else ""


def check(status: int, names: Optional[Dict[str, str]] = None) -> None:
    """Raises the ScrimError subclass for a failed call, with the calling thread's message from the library
    (`names`: the library's argument names at the start of the message replaced by the binding's, see rename)."""
    if status != 0:
        raise error_for_status(status, rename(last_error(), names))


def rename(message: str, names: Optional[Dict[str, str]]) -> str:
    """The library names a view argument at the start of its message ("input has a non-finite sample ...",
    "inputs[2] has ..."); the binding's user knows it as `x`, `takes[2]`, `block`."""
    if names:
        for library_name, own_name in names.items():
            if message.startswith(library_name + " ") or message.startswith(library_name + "."):
                return own_name + message[len(library_name):]
            if library_name.endswith("[") and message.startswith(library_name):
                return own_name + message[len(library_name):]
    return message


def take_string(pointer: c_void_p) -> Optional[str]:
    """Copies a string Scrim returned through a char ** and frees it."""
    if not pointer.value:
        return None
    try:
        return ctypes.string_at(pointer.value).decode("utf-8", "replace")
    finally:
        lib.scrim_string_free(pointer.value)
        pointer.value = None


def take_json(pointer: c_void_p) -> Any:
    text = take_string(pointer)
    return json.loads(text) if text else None


def call_with_report(function_: Any, *args: Any, names: Optional[Dict[str, str]] = None) -> Any:
    """Calls a C function whose last argument is `char **out_json`; returns the parsed report (a dict, or a list
    for scrim_match_*), raising on failure (`names`: as for check).
    The string is freed on every path (a failed call may also hand one out)."""
    out = c_void_p()
    status = function_(*args, ctypes.byref(out))
    # Read the message before anything else can make another Scrim call on this thread.
    message = last_error() if status != 0 else ""
    report = take_json(out)
    if status != 0:
        raise error_for_status(status, rename(message, names))
    return report if report is not None else {}


def call_for_object(function_: Any, *args: Any, names: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """call_with_report for the functions whose report is one JSON object."""
    report = call_with_report(function_, *args, names=names)
    if not isinstance(report, dict):
        raise InternalError(f"expected a JSON object from the library, got {type(report).__name__}", 6)
    return report
