// CPNG: system library shim for libpng 1.6 (the simplified `png_image` API, which reports errors through the
// image's `warning_or_error` and `message` fields instead of longjmp).
// This module has no stable API of its own; import ScrimPlot instead.
#ifndef SCRIM_CPNG_SHIM_H
#define SCRIM_CPNG_SHIM_H
#include <png.h>
#endif
