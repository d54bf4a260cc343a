// Times FFTW's FFTW_ESTIMATE and FFTW_MEASURE plans for complex DFTs of the sizes Scrim's RealFFT uses inside
// (half the real size), out of place on fftwf_malloc buffers: planning time and the mean of 2000 executions.
//
//     cc -O2 Benchmarks/scripts/fft_plan_timing.c -o /tmp/fft_plan_timing -lfftw3f && taskset -c 1 /tmp/fft_plan_timing
#include <fftw3.h>
#include <stdio.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
    const int sizes[] = {1024, 8192, 16384};
    const unsigned flags[] = {FFTW_ESTIMATE, FFTW_MEASURE};
    const char *names[] = {"estimate", "measure"};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        fftwf_complex *in = fftwf_alloc_complex((size_t)n), *out = fftwf_alloc_complex((size_t)n);
        if (!in || !out) return 1;
        for (int f = 0; f < 2; f++) {
            double start = seconds();
            fftwf_plan plan = fftwf_plan_dft_1d(n, in, out, FFTW_FORWARD, flags[f]);
            double planning = seconds() - start;
            if (!plan) return 1;
            for (int i = 0; i < n; i++) {
                in[i][0] = (float)(i % 7);
                in[i][1] = (float)(i % 3);
            }
            const int repetitions = 2000;
            start = seconds();
            for (int r = 0; r < repetitions; r++) fftwf_execute(plan);
            double each = (seconds() - start) / repetitions;
            printf("%6d points  %-8s  planning %8.1f ms  execution %7.2f us\n", n, names[f], planning * 1e3,
                   each * 1e6);
            fftwf_destroy_plan(plan);
        }
        fftwf_free(in);
        fftwf_free(out);
    }
    return 0;
}
