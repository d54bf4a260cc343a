/* The C side of Benchmarks/python/overhead.py: the C calls a C programmer makes for each case, timed in C
 * (CLOCK_MONOTONIC around the calls only), on the very arrays the binding gets, through the audio views of
 * scrim.h (out of place: the input read where it is, the output written into memory the caller provides).
 * Built by run.sh as a shared library and called from overhead.py through ctypes, one call per timed run (the
 * ctypes call itself is outside the timed region).
 *
 *   overhead_view_call(which, in, out, rate, fresh)  scrim_denoise_view (which 0), scrim_normalize_view (1),
 *       scrim_analyze_view (2; out unused); report freed after the timing. fresh != 0: the output is a new
 *       malloc'd buffer of out's size each run (allocated inside the timed region, freed outside), as a program
 *       making a new result buffer per call has; else `out` (allocated once by the caller, already touched).
 *   overhead_meter(in, rate)        scrim_meter_create_with_layout (block min(frames, 2^20)), scrim_meter_add_view
 *       of the whole input, scrim_meter_result_json, scrim_meter_destroy (what scrim.loudness does from Python).
 *   overhead_chain(in, out, rate, max_block, step)  scrim_chain_create("denoise-only", max_block_frames
 *       max_block), then scrim_chain_process_view over the input in blocks of `step` frames (the library splits a
 *       block longer than max_block) into the same frames of `out`, scrim_chain_destroy.
 *   overhead_planar_denoise(channels, channel_count, frames, rate)  the older in-place planar scrim_denoise_buffer,
 *       for comparison of the C calls themselves (the caller restores the samples between runs).
 * Each returns the seconds taken, or -1 on an error (printed). */
#define _POSIX_C_SOURCE 199309L
#include <scrim.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double failed(const char *what) {
    fprintf(stderr, "overhead_c: %s: %s\n", what, scrim_last_error());
    return -1;
}

double overhead_view_call(int which, const scrim_audio_view *in, const scrim_audio_view *out, double rate,
                          int fresh) {
    scrim_audio_view target = *out;
    size_t bytes = (size_t)(out->frame_count * out->channel_count)
                   * (out->sample_type == SCRIM_SAMPLE_FLOAT64 ? sizeof(double) : sizeof(float));
    char *report = NULL;
    scrim_status status;
    double start = now();
    if (fresh && which != 2) {
        target.data = malloc(bytes);
        if (!target.data) return failed("malloc");
    }
    switch (which) {
    case 0: status = scrim_denoise_view(in, &target, rate, NULL, &report); break;
    case 1: status = scrim_normalize_view(in, &target, rate, NULL, &report); break;
    default: status = scrim_analyze_view(in, rate, NULL, &report); break;
    }
    double elapsed = now() - start;
    scrim_string_free(report);
    if (fresh && which != 2) free(target.data);
    return status == SCRIM_OK ? elapsed : failed("view call");
}

double overhead_meter(const scrim_audio_view *in, double rate) {
    int block = in->frame_count < (1 << 20) ? (int)in->frame_count : 1 << 20;
    double start = now();
    scrim_meter *meter = NULL;
    if (scrim_meter_create_with_layout(rate, in->channel_count, block, 1, NULL, &meter) != SCRIM_OK)
        return failed("meter create");
    if (scrim_meter_add_view(meter, in) != SCRIM_OK) return failed("meter add");
    char *json = NULL;
    if (scrim_meter_result_json(meter, &json) != SCRIM_OK) return failed("meter result");
    scrim_meter_destroy(meter);
    double elapsed = now() - start;
    scrim_string_free(json);
    return elapsed;
}

double overhead_chain(const scrim_audio_view *in, const scrim_audio_view *out, double rate, int max_block,
                      int64_t block) {
    size_t in_size = in->sample_type == SCRIM_SAMPLE_FLOAT64 ? sizeof(double) : sizeof(float);
    size_t out_size = out->sample_type == SCRIM_SAMPLE_FLOAT64 ? sizeof(double) : sizeof(float);
    double start = now();
    scrim_chain *chain = NULL;
    if (scrim_chain_create("denoise-only", rate, in->channel_count, max_block, &chain) != SCRIM_OK)
        return failed("chain create");
    for (int64_t offset = 0; offset < in->frame_count; offset += block) {
        scrim_audio_view a = *in, b = *out;
        int64_t count = in->frame_count - offset < block ? in->frame_count - offset : block;
        a.data = (char *)in->data + (size_t)(offset * in->frame_stride) * in_size;
        b.data = (char *)out->data + (size_t)(offset * out->frame_stride) * out_size;
        a.frame_count = b.frame_count = count;
        if (scrim_chain_process_view(chain, &a, &b) != SCRIM_OK) return failed("chain process");
    }
    scrim_chain_destroy(chain);
    return now() - start;
}

double overhead_planar_denoise(float *const *channels, int channel_count, int64_t frames, double rate) {
    char *report = NULL;
    double start = now();
    scrim_status status = scrim_denoise_buffer(channels, channel_count, frames, rate, NULL, &report);
    double elapsed = now() - start;
    scrim_string_free(report);
    return status == SCRIM_OK ? elapsed : failed("planar denoise");
}
