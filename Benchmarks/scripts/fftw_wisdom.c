// Prints FFTW wisdom for the complex transforms inside Scrim's RealFFT (see fftw_wisdom.sh).
//
// RealFFT plans, for an N-point real transform, a forward and a backward complex DFT of N/2 points, out of place,
// on buffers from fftwf_malloc. This plans exactly those problems with FFTW_MEASURE for the large transforms of
// the hum remover (16384-32768 points at 44.1-96 kHz) and the hum detector (32768-65536) and prints the wisdom FFTW
// accumulated. The noise reducer's 2048-4096 points are left to FFTW_ESTIMATE: with wisdom for them `scrim denoise`
// was 3 % slower (82.4 -> 85.1 ms on 60 s, interleaved runs), though 1024 complex points alone measured 0.79
// against 1.00 us.
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const int halves[] = {8192, 16384, 32768};
    for (size_t s = 0; s < sizeof halves / sizeof halves[0]; s++) {
        int n = halves[s];
        fftwf_complex *in = fftwf_alloc_complex((size_t)n), *packed = fftwf_alloc_complex((size_t)n);
        fftwf_complex *out = fftwf_alloc_complex((size_t)n);
        if (!in || !packed || !out) return 1;
        fftwf_plan forward = fftwf_plan_dft_1d(n, in, packed, FFTW_FORWARD, FFTW_MEASURE);
        fftwf_plan backward = fftwf_plan_dft_1d(n, packed, out, FFTW_BACKWARD, FFTW_MEASURE);
        if (!forward || !backward) return 1;
        fftwf_destroy_plan(forward);
        fftwf_destroy_plan(backward);
        fftwf_free(in);
        fftwf_free(packed);
        fftwf_free(out);
    }
    char *wisdom = fftwf_export_wisdom_to_string();
    if (!wisdom) return 1;
    fputs(wisdom, stdout);
    free(wisdom);
    return 0;
}
