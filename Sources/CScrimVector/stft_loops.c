// Loops of ScrimSpectral's STFT engine and FFT wrapper; see include/scrim_vector.h for the contract.
#include "scrim_vector.h"

#include "loops.h"

SCRIM_CLONES
void scrim_vector_multiply(float *restrict destination, const float *restrict a, const float *restrict b,
                           int64_t count) {
    for (int64_t i = 0; i < count; i++) destination[i] = a[i] * b[i];
}

// acc[i] = acc[i + hop] + y[i]·w[i] below count − hop, y[i]·w[i] above: one hop's shift and overlap-add. The
// read of acc[i + hop] always lies ahead of the write to acc[i], so the loop runs forward safely.
SCRIM_CLONES
void scrim_vector_overlap_add(float *accumulator, const float *restrict frame, const float *restrict window,
                              int64_t hop, int64_t count) {
    const int64_t overlap = count - hop;
    const float *ahead = accumulator + hop;
    for (int64_t i = 0; i < overlap; i++) accumulator[i] = ahead[i] + frame[i] * window[i];
    for (int64_t i = overlap; i < count; i++) accumulator[i] = frame[i] * window[i];
}

SCRIM_CLONES
void scrim_vector_split(const float *restrict packed, float *restrict real, float *restrict imag, int64_t count) {
    for (int64_t k = 0; k < count; k++) {
        real[k] = packed[2 * k];
        imag[k] = packed[2 * k + 1];
    }
}

SCRIM_CLONES
void scrim_vector_join(const float *restrict real, const float *restrict imag, float *restrict packed,
                       int64_t count) {
    for (int64_t k = 0; k < count; k++) {
        packed[2 * k] = real[k];
        packed[2 * k + 1] = imag[k];
    }
}
