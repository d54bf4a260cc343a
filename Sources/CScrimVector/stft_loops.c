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

// A real FFT of N = 2M points from a complex FFT of M points (the even samples as real parts, the odd ones as
// imaginary parts): with Z that transform, E[k] = ½(Z[k] + conj Z[M−k]) and O[k] = −½i(Z[k] − conj Z[M−k]) are
// the transforms of the even and odd samples, and X[k] = E[k] + W^k·O[k], W = e^(−2πi/N) (Cooley & Tukey's
// split of one real transform into two halves; e.g. Press et al., Numerical Recipes, 3rd ed., §12.3.2).
// twiddleReal[k] = cos(2πk/N), twiddleImag[k] = −sin(2πk/N), k = 0…M.
SCRIM_CLONES
void scrim_vector_real_forward_finish(float *z, const float *restrict twiddleReal,
                                      const float *restrict twiddleImag, float *restrict real, float *restrict imag,
                                      int64_t m) {
    // Z[m] = Z[0] (the transform is periodic), so the loop can start at k = 0, where it gives X[0] = Re Z[0] +
    // Im Z[0] and Im X[0] = 0, and its stores stay aligned (from k = 1 every 64-byte store straddled two cache
    // lines and the loop took three times as long). `z` has room for m + 1 pairs.
    z[2 * m] = z[0];
    z[2 * m + 1] = z[1];
    const float z0r = z[0], z0i = z[1];
    for (int64_t k = 0; k < m; k++) {
        float ar = z[2 * k], ai = z[2 * k + 1];
        float cr = z[2 * (m - k)], ci = z[2 * (m - k) + 1];
        float er = 0.5f * (ar + cr), ei = 0.5f * (ai - ci);
        float or_ = 0.5f * (ai + ci), oi = 0.5f * (cr - ar);
        float wr = twiddleReal[k], wi = twiddleImag[k];
        real[k] = er + (wr * or_ - wi * oi);
        imag[k] = ei + (wr * oi + wi * or_);
    }
    real[m] = z0r - z0i;
    imag[m] = 0.0f;
}

// The inverse's first step: from X's M + 1 bins, Z[k] = (X[k] + conj X[M−k]) + i·conj(W^k)·(X[k] − conj X[M−k])
// (twice the transform of x_even + i·x_odd, so the M-point inverse gives N·x as an N-point one would). The
// imaginary parts of X[0] and X[M] are ignored, as a real inverse transform ignores them.
SCRIM_CLONES
void scrim_vector_real_inverse_start(const float *restrict real, const float *restrict imag,
                                     const float *restrict twiddleReal, const float *restrict twiddleImag,
                                     float *restrict z, int64_t m) {
    // From k = 0 so the stores stay aligned; bin 0 is then redone from the real parts alone.
    for (int64_t k = 0; k < m; k++) {
        float pr = real[k], pi = imag[k], qr = real[m - k], qi = imag[m - k];
        float sr = pr + qr, si = pi - qi;
        float dr = pr - qr, di = pi + qi;
        float wr = twiddleReal[k], wi = twiddleImag[k];
        float tr = wr * dr + wi * di, ti = wr * di - wi * dr;
        z[2 * k] = sr - ti;
        z[2 * k + 1] = si + tr;
    }
    z[0] = real[0] + real[m];
    z[1] = real[0] - real[m];
}
