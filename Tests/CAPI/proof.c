/*
 * Proof that Scrim links from C: processes a sample file with a preset, streams blocks through a chain and a
 * meter, and checks the results and the error paths. Built and run by Tests/CAPI/run.sh.
 * usage: proof SAMPLES_DIR WORK_DIR
 */
#include "scrim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>

/* The view struct's layout is part of the ABI (scrim.h: 40 bytes, fields at 0, 8, 16, 24, 32, 36); the library
 * reads it at those offsets. */
_Static_assert(sizeof(scrim_audio_view) == 40, "scrim_audio_view is 40 bytes");
_Static_assert(offsetof(scrim_audio_view, frame_count) == 8 && offsetof(scrim_audio_view, frame_stride) == 16
               && offsetof(scrim_audio_view, channel_stride) == 24 && offsetof(scrim_audio_view, channel_count) == 32
               && offsetof(scrim_audio_view, sample_type) == 36, "scrim_audio_view field offsets");

static int failures = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, " (last error: %s)\n", scrim_last_error());    \
        }                                                                  \
    } while (0)

/* Finds "key": number in a flat JSON text (enough for a proof; a real client uses a JSON parser). */
static double json_number(const char *json, const char *key) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    if (!at) return NAN;
    return strtod(at + strlen(pattern), NULL);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SAMPLES_DIR WORK_DIR\n", argv[0]);
        return 2;
    }
    char input[1024], output[1024];
    snprintf(input, sizeof input, "%s/dialogue_roomtone.wav", argv[1]);
    snprintf(output, sizeof output, "%s/proof_c_denoised.wav", argv[2]);

    CHECK(scrim_abi_version() == SCRIM_ABI_VERSION, "ABI %d vs header %d", scrim_abi_version(), SCRIM_ABI_VERSION);
    CHECK(strlen(scrim_version()) > 0, "empty version");

    /* 1. A whole file through a preset. */
    char *report = NULL;
    scrim_status status = scrim_process_file(input, output, "denoise-only", 1, &report);
    CHECK(status == SCRIM_OK, "process_file status %d", status);
    CHECK(report != NULL && strstr(report, "\"frameCount\":480000") != NULL, "report lacks the frame count");
    scrim_string_free(report);

    /* 2. The output measured: denoising room tone at -50 dBFS must not raise the loudness. */
    char *before = NULL, *after = NULL;
    CHECK(scrim_measure_file_loudness(input, 0, &before) == SCRIM_OK, "measure input");
    CHECK(scrim_measure_file_loudness(output, 0, &after) == SCRIM_OK, "measure output");
    if (before && after) {
        double lin = json_number(before, "integratedLoudnessLufs");
        double lout = json_number(after, "integratedLoudnessLufs");
        CHECK(isfinite(lin) && isfinite(lout) && lout <= lin + 0.5 && lout > lin - 6,
              "loudness before %.2f after %.2f", lin, lout);
    }
    scrim_string_free(before);
    scrim_string_free(after);

    /* 3. Streaming: a 1 kHz tone through a chain, aligned by the reported latency. */
    enum { RATE = 48000, FRAMES = 48000, BLOCK = 1000 };
    scrim_chain *chain = NULL;
    CHECK(scrim_chain_create("denoise-only", RATE, 2, BLOCK, &chain) == SCRIM_OK, "chain_create");
    int64_t latency = -1;
    CHECK(chain && scrim_chain_latency(chain, &latency) == SCRIM_OK && latency >= 0, "latency");
    float *left = calloc(FRAMES + BLOCK, sizeof(float)), *right = calloc(FRAMES + BLOCK, sizeof(float));
    for (int i = 0; i < FRAMES; i++) left[i] = right[i] = 0.25f * sinf(2.0f * 3.14159265f * 1000.0f * i / RATE);
    for (int start = 0; chain && start < FRAMES; start += BLOCK) {
        float *block[2] = {left + start, right + start};
        CHECK(scrim_chain_process(chain, block, 2, BLOCK) == SCRIM_OK, "process at %d", start);
    }
    /* A steady tone is stationary, so the adaptive denoiser treats it as noise: it must come out lowered by
     * about the reduction limit (default 15 dB), neither untouched nor gated to silence. Expected RMS of the
     * input tone: 0.25/sqrt(2) = 0.177; the band below allows 5-30 dB of reduction. */
    double energy = 0;
    int finite = 1;
    for (int i = (int)latency; i < FRAMES; i++) {
        energy += (double)left[i] * left[i];
        finite &= isfinite(left[i]) && left[i] == right[i];
    }
    double rms = sqrt(energy / (FRAMES - latency));
    double reduction = 20 * log10(0.25 / sqrt(2.0) / rms);
    CHECK(finite, "output not finite or channels differ");
    CHECK(reduction > 5 && reduction < 30, "a steady tone is reduced by %.1f dB", reduction);
    char *chain_report = NULL;
    CHECK(chain && scrim_chain_report_json(chain, &chain_report) == SCRIM_OK && chain_report, "chain report");
    scrim_string_free(chain_report);

    /* 4. Bad arguments return errors, never crash. */
    float *one[1] = {left};
    CHECK(scrim_chain_process(chain, one, 1, BLOCK) == SCRIM_ERROR_INVALID_ARGUMENT, "wrong channel count");
    CHECK(strlen(scrim_last_error()) > 0, "no message for a wrong channel count");
    CHECK(scrim_chain_process(chain, NULL, 2, BLOCK) == SCRIM_ERROR_INVALID_ARGUMENT, "NULL channels");
    CHECK(scrim_chain_process(chain, one, 2, BLOCK * 2) == SCRIM_ERROR_INVALID_ARGUMENT, "block too large");
    CHECK(scrim_chain_process(NULL, one, 1, 1) == SCRIM_ERROR_INVALID_ARGUMENT, "NULL chain");
    scrim_chain *bad = NULL;
    CHECK(scrim_chain_create("no-such-preset", RATE, 2, BLOCK, &bad) == SCRIM_ERROR_UNKNOWN_PRESET && !bad,
          "unknown preset");
    CHECK(scrim_chain_create("{\"name\": 3}", RATE, 2, BLOCK, &bad) == SCRIM_ERROR_CONFIGURATION, "bad JSON");
    CHECK(scrim_chain_create(NULL, RATE, 2, BLOCK, &bad) == SCRIM_ERROR_INVALID_ARGUMENT, "NULL preset");
    CHECK(scrim_chain_create("denoise-only", RATE, 2, BLOCK, NULL) == SCRIM_ERROR_INVALID_ARGUMENT, "NULL out");
    CHECK(scrim_chain_create("denoise-only", 0, 2, BLOCK, &bad) != SCRIM_OK, "0 Hz");
    char *nothing = NULL;
    CHECK(scrim_process_file("/nonexistent/x.wav", output, "denoise-only", 1, &nothing) == SCRIM_ERROR_FILE,
          "missing file");
    CHECK(strstr(scrim_last_error(), "x.wav") != NULL, "message names the file");
    scrim_string_free(nothing);
    CHECK(scrim_process_file(input, input, "denoise-only", 1, NULL) == SCRIM_ERROR_FILE, "output onto input");
    scrim_chain_destroy(chain);
    scrim_chain_destroy(NULL);

    /* 5. A meter on blocks. BS.1770-4: a 0 dBFS 1 kHz sine in one channel reads -3.01 LUFS (the -0.691 offset
     *    cancels K-weighting's gain at 1 kHz), so amplitude 0.1 (-20 dB) in both channels of a stereo pair reads
     *    -3.01 - 20 + 3.01 = -20.0 LUFS; checked within EBU Tech 3341's 0.1 LU. */
    scrim_meter *meter = NULL;
    CHECK(scrim_meter_create(RATE, 2, BLOCK, 1, &meter) == SCRIM_OK, "meter_create");
    for (int i = 0; i < FRAMES; i++) left[i] = right[i] = 0.1f * sinf(2.0f * 3.14159265f * 1000.0f * i / RATE);
    for (int pass = 0; pass < 5 && meter; pass++)
        for (int start = 0; start < FRAMES; start += BLOCK) {
            const float *block[2] = {left + start, right + start};
            CHECK(scrim_meter_add(meter, block, 2, BLOCK) == SCRIM_OK, "meter_add");
        }
    char *loudness = NULL;
    CHECK(meter && scrim_meter_result_json(meter, &loudness) == SCRIM_OK, "meter result");
    if (loudness) {
        double i = json_number(loudness, "integratedLoudnessLufs");
        CHECK(fabs(i - (-20.0)) < 0.1, "integrated %.3f LUFS, expected -20.0", i);
    }
    scrim_string_free(loudness);
    scrim_meter_destroy(meter);

    /* 6. A layout by name: three channels, the tone only in the first. "equal" weighs every track 1.0, so it reads
     *    -3.01 - 20 = -23.0 LUFS; "5.1" does not fit three channels and is refused, naming the layout. An output
     *    extension the library cannot write is refused before any work. */
    scrim_meter *tracks = NULL;
    CHECK(scrim_meter_create_with_layout(RATE, 3, BLOCK, 0, "equal", &tracks) == SCRIM_OK, "equal meter");
    float *silent = calloc(FRAMES, sizeof(float));
    for (int start = 0; tracks && silent && start < FRAMES; start += BLOCK) {
        const float *block[3] = {left + start, silent + start, silent + start};
        CHECK(scrim_meter_add(tracks, block, 3, BLOCK) == SCRIM_OK, "equal meter add");
    }
    char *equal = NULL;
    CHECK(tracks && scrim_meter_result_json(tracks, &equal) == SCRIM_OK, "equal result");
    if (equal) {
        double i = json_number(equal, "integratedLoudnessLufs");
        CHECK(fabs(i - (-23.0)) < 0.1, "equal weights %.3f LUFS, expected -23.0", i);
        CHECK(strstr(equal, "\"equal\"") != NULL, "the layout is named in the result");
    }
    scrim_string_free(equal);
    scrim_meter_destroy(tracks);
    scrim_meter *wrong = NULL;
    CHECK(scrim_meter_create_with_layout(RATE, 3, BLOCK, 0, "5.1", &wrong) == SCRIM_ERROR_INVALID_ARGUMENT,
          "5.1 on three channels");
    CHECK(strstr(scrim_last_error(), "5.1") != NULL, "message names the layout");
    char *mp3 = NULL;
    CHECK(scrim_process_file(input, "/tmp/never-written.mp3", "denoise-only", 1, &mp3) == SCRIM_ERROR_FILE,
          "an mp3 output is refused");
    CHECK(strstr(scrim_last_error(), ".mp3") != NULL, "message names the extension");

    /* 7. ABI 2 from C: a preset with stages that cannot stream is refused (naming them), and the whole buffer runs
     *    it instead. The 1 kHz tone at -20 LUFS (section 5) normalised with the defaults reads -23.0 LUFS within
     *    EBU Tech 3341's 0.1 LU, and the report says so; a NaN is refused naming its channel and frame. */
    scrim_chain *dailies = NULL;
    CHECK(scrim_chain_create("dailies", RATE, 2, BLOCK, &dailies) == SCRIM_ERROR_UNSUPPORTED && !dailies,
          "dailies does not stream");
    CHECK(strstr(scrim_last_error(), "loudness") != NULL && strstr(scrim_last_error(), "scrim_process_buffer"),
          "the refusal names the stage and the way out");
    float *pair[2] = {left, right};
    char *normalized = NULL;
    CHECK(scrim_normalize_buffer(pair, 2, FRAMES, RATE, NULL, &normalized) == SCRIM_OK, "normalize_buffer");
    if (normalized) {
        const char *after_object = strstr(normalized, "\"after\":");
        double after = after_object ? json_number(after_object, "integratedLoudnessLufs") : NAN;
        CHECK(fabs(after - (-23.0)) < 0.1, "normalized to %.3f LUFS, expected -23.0", after);
    }
    scrim_string_free(normalized);
    right[123] = NAN;
    char *refused = NULL;
    CHECK(scrim_analyze_buffer((const float *const *)pair, 2, FRAMES, RATE, "{}", &refused)
              == SCRIM_ERROR_INVALID_ARGUMENT && refused == NULL, "NaN refused");
    CHECK(strstr(scrim_last_error(), "channel 1 at frame 123") != NULL, "NaN message names channel and frame");
    CHECK(scrim_process_buffer("dailies", pair, 2, 0, RATE, NULL) == SCRIM_ERROR_INVALID_ARGUMENT, "0 frames");

    free(silent);
    free(left);
    free(right);

    printf("C proof: %s (%d failure%s)\n", failures ? "FAILED" : "passed", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
