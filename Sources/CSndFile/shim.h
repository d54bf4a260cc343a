// CSndFile: system library shim for libsndfile.
// This module has no stable API of its own; import ScrimFiles instead.
#ifndef SCRIM_CSNDFILE_SHIM_H
#define SCRIM_CSNDFILE_SHIM_H
#include <sndfile.h>
#endif
