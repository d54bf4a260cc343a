// CFFTW: system library shim for single-precision FFTW 3 (libfftw3f).
// This module has no stable API of its own; import ScrimSpectral instead.
#ifndef SCRIM_CFFTW_SHIM_H
#define SCRIM_CFFTW_SHIM_H
#include <fftw3.h>

/// FFTW's version string, e.g. "fftw-3.3.10-sse2-avx" (`fftwf_version` is an array of unknown size, which Swift
/// does not import).
static inline const char *fftwf_version_pointer(void) { return fftwf_version; }
#endif
