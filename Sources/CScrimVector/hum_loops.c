// The hum tracker's angle-domain resampler (ScrimCleanup's SincKernel); see include/scrim_vector.h for the contract.
#include "scrim_vector.h"

#include "loops.h"

#include <math.h>

typedef float scrim_v8f __attribute__((vector_size(32)));

// Eight floats from any address (no vectors passed by value: the default clone has no AVX registers).
#define LOAD8(destination, source) memcpy(&(destination), (source), sizeof(scrim_v8f))

// SincKernel's row and first input sample of a read at time t: ⌊t⌋, and the fraction's phase rounded half away
// from zero (t ≥ 0; the fraction v − ⌊v⌋ of a double is exact, so the comparison with 0.5 rounds as Swift's
// rounded() does).
static inline void place(double t, int64_t phases, int64_t halfWidth, int64_t rowStride, int64_t *row,
                         int64_t *base) {
    int64_t i0, p;
    if (t >= 0 && t < 1e15) {
        i0 = (int64_t)t;
        double v = (t - (double)i0) * (double)phases;
        int64_t whole = (int64_t)v;
        p = v - (double)whole >= 0.5 ? whole + 1 : whole;
    } else {
        i0 = (int64_t)floor(t);
        p = (int64_t)round((t - (double)i0) * (double)phases);
    }
    *row = p * rowStride;
    *base = i0 - halfWidth + 1;
}

// One read inside the input: the products summed eight lanes at a time into four partial sums (blocks b, b+1, b+2,
// b+3 of eight taps), the partials added pairwise, the lanes pairwise, then the taps past the last whole block.
// A fixed order of additions (no fused multiply-adds), so every clone gives the same bits.
static inline float read_inside(const float *restrict t, const float *restrict xs, int64_t width) {
    const int64_t blocks = width / 8;
    scrim_v8f a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;
    int64_t b = 0;
    for (; b + 4 <= blocks; b += 4) {
        scrim_v8f t0, t1, t2, t3, x0, x1, x2, x3;
        LOAD8(t0, t + 8 * b); LOAD8(x0, xs + 8 * b);
        LOAD8(t1, t + 8 * b + 8); LOAD8(x1, xs + 8 * b + 8);
        LOAD8(t2, t + 8 * b + 16); LOAD8(x2, xs + 8 * b + 16);
        LOAD8(t3, t + 8 * b + 24); LOAD8(x3, xs + 8 * b + 24);
        a0 += t0 * x0;
        a1 += t1 * x1;
        a2 += t2 * x2;
        a3 += t3 * x3;
    }
    for (; b < blocks; b++) {
        scrim_v8f t0, x0;
        LOAD8(t0, t + 8 * b); LOAD8(x0, xs + 8 * b);
        a0 += t0 * x0;
    }
    scrim_v8f a = (a0 + a1) + (a2 + a3);
    float lanes[8];
    memcpy(lanes, &a, sizeof lanes);
    float s = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    for (int64_t j = 8 * blocks; j < width; j++) s += t[j] * xs[j];
    return s;
}

// One read near the ends, skipping taps outside the input.
static inline float read_edge(const float *taps, int64_t base, int64_t width, const float *x, int64_t n) {
    float s = 0;
    for (int64_t j = 0; j < width; j++) {
        if (base + j >= 0 && base + j < n) s += taps[j] * x[base + j];
    }
    return s;
}

SCRIM_CLONES
void scrim_vector_sinc_reads(float *restrict y, const double *restrict times, int64_t count,
                             const float *restrict taps, int64_t phases, int64_t halfWidth, int64_t rowStride,
                             const float *restrict x, int64_t n) {
    for (int64_t i = 0; i < count; i++) {
        int64_t row, base;
        place(times[i], phases, halfWidth, rowStride, &row, &base);
        if (base >= 0 && base + 2 * halfWidth <= n) {
            y[i] = read_inside(taps + row, x + base, 2 * halfWidth);
        } else {
            y[i] = read_edge(taps + row, base, 2 * halfWidth, x, n);
        }
    }
}

// The hum tracker's decimator: y[j] = Σᵢ taps[i]·x[j·factor − half + i], i = 0…2·half (`width` = 2·half + 1),
// samples outside x[0…n−1] taken as 0.
SCRIM_CLONES
void scrim_vector_fir_decimate(float *restrict y, int64_t count, const float *restrict x, int64_t n,
                               const float *restrict taps, int64_t half, int64_t width, int64_t factor) {
    for (int64_t j = 0; j < count; j++) {
        const int64_t base = j * factor - half;
        if (base >= 0 && base + width <= n) {
            y[j] = read_inside(taps, x + base, width);
        } else {
            y[j] = read_edge(taps, base, 2 * half + 1, x, n);
        }
    }
}

typedef double scrim_v8d __attribute__((vector_size(64)));

// The hum tracker's comb search grid (ScrimCleanup's CombSearch): scores[8b + l] = Σₖ vRe[k]·tableRe[b][k][l] −
// vIm[k]·tableIm[b][k][l], each lane summing over k in order.
SCRIM_CLONES
void scrim_vector_comb_scores(double *restrict scores, const double *restrict vRe, const double *restrict vIm,
                              const double *restrict tableRe, const double *restrict tableIm, int64_t harmonics,
                              int64_t stride, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        scrim_v8d s = {0, 0, 0, 0, 0, 0, 0, 0};
        const double *re = tableRe + 8 * stride * b, *im = tableIm + 8 * stride * b;
        for (int64_t k = 0; k < harmonics; k++) {
            scrim_v8d tr, ti;
            memcpy(&tr, re + 8 * k, sizeof tr);
            memcpy(&ti, im + 8 * k, sizeof ti);
            s += vRe[k] * tr - vIm[k] * ti;
        }
        memcpy(scores + 8 * b, &s, sizeof s);
    }
}

// The hum tracker's candidate smoothers (ScrimCleanup's HumTracker.mostLikely): eight two-state Kalman filters per
// block, one per lane, each with its own process noises and variance factor, over the same measurements. The log of
// the innovation variances is taken of their product over eight measurements (a product of eight variances between
// 1e-13 and 1e32 stays well inside a double's range), not of each.
SCRIM_CLONES
void scrim_vector_kalman_likelihoods(double *restrict logLikelihoods, const double *restrict z,
                                     const double *restrict r, int64_t count, const double *restrict q0s,
                                     const double *restrict q1s, const double *restrict scales, int64_t blocks,
                                     double p00Start, double p11Start) {
    for (int64_t b = 0; b < blocks; b++) {
        scrim_v8d q0, q1, scale;
        memcpy(&q0, q0s + 8 * b, sizeof q0);
        memcpy(&q1, q1s + 8 * b, sizeof q1);
        memcpy(&scale, scales + 8 * b, sizeof scale);
        const scrim_v8d zero = {0, 0, 0, 0, 0, 0, 0, 0}, one = {1, 1, 1, 1, 1, 1, 1, 1};
        scrim_v8d x0 = zero, x1 = zero, p01 = zero, p10 = zero, quadratic = zero, product = one;
        scrim_v8d p00 = zero + p00Start, p11 = zero + p11Start;
        double logs[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int pending = 0;
        for (int64_t m = 0; m < count; m++) {
            x0 += x1;
            scrim_v8d a00 = p00 + p01 + p10 + p11 + q0, a01 = p01 + p11, a10 = p10 + p11, a11 = p11 + q1;
            p00 = a00; p01 = a01; p10 = a10; p11 = a11;
            if (isfinite(r[m])) {
                scrim_v8d s = p00 + r[m] * scale;
                scrim_v8d inverse = one / s;
                scrim_v8d k0 = p00 * inverse, k1 = p10 * inverse;
                scrim_v8d innovation = z[m] - x0;
                quadratic += innovation * innovation * inverse;
                product *= s;
                if (++pending == 8) {
                    double lanes[8];
                    memcpy(lanes, &product, sizeof lanes);
                    for (int l = 0; l < 8; l++) logs[l] += log(lanes[l]);
                    product = one;
                    pending = 0;
                }
                x0 += k0 * innovation;
                x1 += k1 * innovation;
                scrim_v8d n00 = p00 - k0 * p00, n01 = p01 - k0 * p01, n10 = p10 - k1 * p00, n11 = p11 - k1 * p01;
                p00 = n00; p01 = n01; p10 = n10; p11 = n11;
            }
        }
        double lanes[8], quadratics[8];
        memcpy(lanes, &product, sizeof lanes);
        memcpy(quadratics, &quadratic, sizeof quadratics);
        for (int l = 0; l < 8; l++) logLikelihoods[8 * b + l] = -0.5 * ((logs[l] + log(lanes[l])) + quadratics[l]);
    }
}

// cos(kδ) and sin(kδ) for k = 1…count: the powers of (cosDelta, sinDelta) up to the eighth one after another, then
// eight recurrences side by side, each stepping by the eighth power (a serial recurrence is bound by the
// multiplier's latency: one harmonic every eight or so cycles).
SCRIM_CLONES
void scrim_vector_phasors(double *restrict c, double *restrict s, int64_t count, double cosDelta, double sinDelta) {
    double pr[8], pi[8];
    pr[0] = cosDelta;
    pi[0] = sinDelta;
    for (int l = 1; l < 8; l++) {
        pr[l] = pr[l - 1] * cosDelta - pi[l - 1] * sinDelta;
        pi[l] = pr[l - 1] * sinDelta + pi[l - 1] * cosDelta;
    }
    const double wr = pr[7], wi = pi[7];
    scrim_v8d cr, ci;
    memcpy(&cr, pr, sizeof cr);
    memcpy(&ci, pi, sizeof ci);
    int64_t k = 0;
    for (; k + 8 <= count; k += 8) {
        memcpy(c + k, &cr, sizeof cr);
        memcpy(s + k, &ci, sizeof ci);
        scrim_v8d nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
    }
    if (k < count) {
        double lr[8], li[8];
        memcpy(lr, &cr, sizeof lr);
        memcpy(li, &ci, sizeof li);
        for (int l = 0; k + l < count; l++) {
            c[k + l] = lr[l];
            s[k + l] = li[l];
        }
    }
}
