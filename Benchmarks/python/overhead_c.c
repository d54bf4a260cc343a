/* The C side of Benchmarks/python/overhead.py: times scrim_denoise_buffer on a mono buffer from C.
 * usage: overhead_c RAW_FLOAT32_FILE SAMPLE_RATE RUNS   prints {"medianSeconds": ..., "runs": N}
 * The buffer is restored from the original before every run, outside the timed region (the call works in place). */
#define _POSIX_C_SOURCE 199309L
#include <scrim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s RAW SAMPLE_RATE RUNS\n", argv[0]); return 2; }
    FILE *file = fopen(argv[1], "rb");
    if (!file) { perror(argv[1]); return 1; }
    fseek(file, 0, SEEK_END);
    long bytes = ftell(file);
    fseek(file, 0, SEEK_SET);
    int64_t frames = bytes / (long)sizeof(float);
    float *original = malloc((size_t)bytes), *work = malloc((size_t)bytes);
    if (!original || !work || fread(original, 1, (size_t)bytes, file) != (size_t)bytes) { fclose(file); return 1; }
    fclose(file);
    double rate = atof(argv[2]);
    int runs = atoi(argv[3]);
    if (runs < 1 || runs > 1000) return 2;
    double *times = malloc(sizeof(double) * (size_t)(runs + 1));
    float *channels[1] = {work};
    for (int run = 0; run <= runs; run++) {  /* run 0 warms up */
        memcpy(work, original, (size_t)bytes);
        char *report = NULL;
        double start = now();
        scrim_status status = scrim_denoise_buffer(channels, 1, frames, rate, NULL, &report);
        double elapsed = now() - start;
        scrim_string_free(report);
        if (status != SCRIM_OK) { fprintf(stderr, "%s\n", scrim_last_error()); return 1; }
        times[run] = elapsed;
    }
    qsort(times + 1, (size_t)runs, sizeof(double), compare);
    double median = runs % 2 ? times[1 + runs / 2] : 0.5 * (times[runs / 2] + times[runs / 2 + 1]);
    printf("{\"medianSeconds\": %.6f, \"runs\": %d}\n", median, runs);
    free(times); free(original); free(work);
    return 0;
}
