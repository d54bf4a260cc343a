"""Scrim's exceptions: one class per scrim_status of the C API, all under ScrimError."""
from __future__ import annotations

from typing import Dict, Optional, Type


class ScrimError(Exception):
    """A Scrim call failed. `message` is the library's own message (it names the file, key or argument at fault);
    `status` is the C API's scrim_status code (0 for errors found in Python before calling the library)."""

    status: int = -1

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgument(ScrimError, ValueError):
    """Bad audio or arguments: wrong dtype or shape, 0 frames, more than 64 channels, a sample rate that is not a
    finite positive number in range, NaN/Inf samples, a block that does not match a chain
    (SCRIM_ERROR_INVALID_ARGUMENT). Also a ValueError."""

    status = 1


class ConfigurationError(ScrimError):
    """Settings that cannot work: an unknown option, a value out of range, preset JSON that does not decode
    (SCRIM_ERROR_CONFIGURATION); the message names the key and why."""

    status = 3


class UnknownPresetError(ConfigurationError):
    """The preset name is not a built-in preset (SCRIM_ERROR_UNKNOWN_PRESET); the message lists the built-ins."""

    status = 2


class FileError(ScrimError):
    """A file could not be read or written (SCRIM_ERROR_FILE); the message names the file and the cause."""

    status = 4


class UnsupportedError(ScrimError):
    """The operation needs something this object or library cannot do, e.g. a preset with two-pass stages in a
    streaming Chain (SCRIM_ERROR_UNSUPPORTED)."""

    status = 5


class InternalError(ScrimError):
    """An unexpected internal failure (SCRIM_ERROR_INTERNAL): please report it with the message."""

    status = 6


class ModelError(ScrimError):
    """The neural engine's model is not installed where it is looked for (SCRIM_ERROR_MODEL); the message names
    the folder and scripts/fetch-model.sh."""

    status = 7


_BY_STATUS: Dict[int, Type[ScrimError]] = {
    cls.status: cls
    for cls in (InvalidArgument, UnknownPresetError, ConfigurationError, FileError, UnsupportedError, InternalError,
                ModelError)
}


def error_for_status(status: int, message: str) -> ScrimError:
    """The exception for a non-zero scrim_status (unknown codes: a plain ScrimError carrying the code)."""
    cls = _BY_STATUS.get(status, ScrimError)
    text = message or f"Scrim call failed with status {status} and no message"
    return cls(text, status)
