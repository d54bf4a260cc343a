// CSoxr: system library shim for libsoxr, the SoX Resampler library (Debian libsoxr-dev, pkg-config soxr).
// This module has no stable API of its own; import ScrimSpectral (Resampler, ResamplingProcessor) instead.
#ifndef SCRIM_CSOXR_SHIM_H
#define SCRIM_CSOXR_SHIM_H
#include <soxr.h>

/// `soxr_strerror` is a macro, which Swift does not import: libsoxr's message for an error (NULL means none).
static inline const char *scrim_soxr_strerror(soxr_error_t error) { return error ? error : "no error"; }
#endif
