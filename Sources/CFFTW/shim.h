// CFFTW: system library shim for single-precision FFTW 3 (libfftw3f).
// This module has no stable API of its own; import ScrimSpectral instead.
#ifndef SCRIM_CFFTW_SHIM_H
#define SCRIM_CFFTW_SHIM_H
#include <fftw3.h>
#endif
