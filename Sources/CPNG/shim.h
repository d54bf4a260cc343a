// CPNG: system library shim for libpng 1.6.
// Decoding and RGB encoding go through the simplified `png_image` API, which reports errors through the image's
// `warning_or_error` and `message` fields. Palette pictures are written by `scrim_png_write_indexed` below through
// libpng's full API, because only that API sets zlib's level and strategy; the full API reports errors by
// `longjmp`, which must never cross a Swift frame: the `setjmp` is in that C function, and every libpng call that
// can jump is made from it, so a jump lands in C and the function returns 0 with the message.
// This module has no stable API of its own; import ScrimPlot instead.
#ifndef SCRIM_CPNG_SHIM_H
#define SCRIM_CPNG_SHIM_H
#include <png.h>
#include <setjmp.h>
#include <stddef.h>
#include <string.h>

/// Where `scrim_png_write_indexed` writes: a caller-owned buffer of `capacity` bytes. `count` is the PNG's size;
/// when it exceeds `capacity` the bytes past it were not stored and the caller writes again with a larger buffer.
typedef struct scrim_png_sink {
    unsigned char *bytes;
    size_t capacity;
    size_t count;
    char message[200];
} scrim_png_sink;

static void scrim_png_on_error(png_structp png, png_const_charp message) {
    scrim_png_sink *sink = (scrim_png_sink *)png_get_error_ptr(png);
    if (sink != NULL) {
        strncpy(sink->message, message != NULL ? message : "error", sizeof sink->message - 1);
        sink->message[sizeof sink->message - 1] = 0;
    }
    png_longjmp(png, 1);
}

static void scrim_png_on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void scrim_png_on_write(png_structp png, png_bytep data, size_t length) {
    scrim_png_sink *sink = (scrim_png_sink *)png_get_io_ptr(png);
    if (sink->count <= sink->capacity && length <= sink->capacity - sink->count) {
        memcpy(sink->bytes + sink->count, data, length);
    }
    sink->count += length;
}

static void scrim_png_on_flush(png_structp png) { (void)png; }

/// Writes an 8-bit palette PNG of `width × height` indices (rows top first, `width` bytes each) with
/// `entries` (1…256) RGB colours from `colormap`, without row filters (they do not help palette rows). `smallest`
/// 0: zlib level 1 with the run-length strategy (for a spectrogram's palette rows 2.3× faster than libpng's fast
/// setting, the file 3.5 % larger); 1: level 9 with the default strategy (for thumbnails, where bytes count).
/// Returns 1 on success (`sink->count` bytes, possibly more than `sink->capacity`: write again), 0 with
/// `sink->message` when libpng fails.
static int scrim_png_write_indexed(const unsigned char *indices, unsigned width, unsigned height,
                                   const unsigned char *colormap, int entries, int smallest,
                                   scrim_png_sink *sink) {
    sink->count = 0;
    sink->message[0] = 0;
    if (entries < 1 || entries > 256 || width == 0 || height == 0) {
        strncpy(sink->message, "bad palette picture size", sizeof sink->message - 1);
        return 0;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, scrim_png_on_error,
                                              scrim_png_on_warning);
    if (png == NULL) {
        strncpy(sink->message, "cannot create the writer", sizeof sink->message - 1);
        return 0;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        strncpy(sink->message, "cannot create the header", sizeof sink->message - 1);
        return 0;
    }
    // `png` and `info` are not changed after this point, so they keep their values after a jump back here.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return 0;
    }
    png_color palette[256];
    for (int i = 0; i < entries; i++) {
        palette[i].red = colormap[3 * i];
        palette[i].green = colormap[3 * i + 1];
        palette[i].blue = colormap[3 * i + 2];
    }
    png_set_write_fn(png, sink, scrim_png_on_write, scrim_png_on_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_PLTE(png, info, palette, entries);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    // zlib.h's Z_RLE is 3 and Z_DEFAULT_STRATEGY 0 (zlib 1.2 manual, deflateInit2).
    png_set_compression_level(png, smallest ? 9 : 1);
    png_set_compression_strategy(png, smallest ? 0 : 3);
    png_write_info(png, info);
    for (unsigned y = 0; y < height; y++) png_write_row(png, indices + (size_t)y * width);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 1;
}
#endif
