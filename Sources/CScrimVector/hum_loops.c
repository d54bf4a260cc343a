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
static inline void place(double t, int64_t phases, int64_t halfWidth, int64_t *row, int64_t *base) {
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
    *row = p * 2 * halfWidth;
    *base = i0 - halfWidth + 1;
}

// Rows r[l] = (a[l][0…7]) become columns r[j] = (a[0…7][j]): unpack pairs, then pairs of pairs, then halves.
__attribute__((always_inline)) static inline void transpose8(scrim_v8f r[8]) {
    scrim_v8f t0 = __builtin_shufflevector(r[0], r[1], 0, 8, 1, 9, 4, 12, 5, 13);
    scrim_v8f t1 = __builtin_shufflevector(r[0], r[1], 2, 10, 3, 11, 6, 14, 7, 15);
    scrim_v8f t2 = __builtin_shufflevector(r[2], r[3], 0, 8, 1, 9, 4, 12, 5, 13);
    scrim_v8f t3 = __builtin_shufflevector(r[2], r[3], 2, 10, 3, 11, 6, 14, 7, 15);
    scrim_v8f t4 = __builtin_shufflevector(r[4], r[5], 0, 8, 1, 9, 4, 12, 5, 13);
    scrim_v8f t5 = __builtin_shufflevector(r[4], r[5], 2, 10, 3, 11, 6, 14, 7, 15);
    scrim_v8f t6 = __builtin_shufflevector(r[6], r[7], 0, 8, 1, 9, 4, 12, 5, 13);
    scrim_v8f t7 = __builtin_shufflevector(r[6], r[7], 2, 10, 3, 11, 6, 14, 7, 15);
    scrim_v8f u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    scrim_v8f u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    scrim_v8f u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    scrim_v8f u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    scrim_v8f u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
    scrim_v8f u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    scrim_v8f u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
    scrim_v8f u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    r[0] = __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11);
    r[1] = __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11);
    r[2] = __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11);
    r[3] = __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11);
    r[4] = __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);
    r[5] = __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);
    r[6] = __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);
    r[7] = __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);
}

// The vector part of a read inside the input: the products of the whole blocks of eight taps summed eight lanes at
// a time into four partial sums (blocks b, b+1, b+2, b+3), the partials added pairwise.
__attribute__((always_inline)) static inline void read_lanes(const float *restrict t, const float *restrict xs,
                                                             int64_t width, scrim_v8f *out) {
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
    *out = (a0 + a1) + (a2 + a3);
}

// One read inside the input: read_lanes, the lanes added pairwise, then the taps past the last whole block one
// after another. A fixed order of additions (no fused multiply-adds), so every clone gives the same bits.
static inline float read_inside(const float *restrict t, const float *restrict xs, int64_t width) {
    const int64_t blocks = width / 8;
    scrim_v8f a;
    read_lanes(t, xs, width, &a);
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

// One read: read_inside where every tap falls inside the input, read_edge where some do not.
static inline float read_one(const float *taps, int64_t base, int64_t width, const float *x, int64_t n) {
    return base >= 0 && base + width <= n ? read_inside(taps, x + base, width) : read_edge(taps, base, width, x, n);
}

SCRIM_CLONES
void scrim_vector_sinc_reads(float *restrict y, const double *restrict times, int64_t count,
                             const float *restrict taps, int64_t phases, int64_t halfWidth,
                             const float *restrict x, int64_t n) {
    const int64_t width = 2 * halfWidth, whole = 8 * (width / 8);
    int64_t i = 0;
    // Eight reads at a time: each read's lanes as read_inside sums them, then the eight reads' lanes transposed so
    // that their pairwise sums and the taps past the whole blocks run across the reads, eight in a vector, each lane
    // the same additions in the same order as read_inside (the same bits, without its chain of scalar additions).
    for (; i + 8 <= count; i += 8) {
        int64_t row[8], base[8];
        int inside = 1;
        for (int l = 0; l < 8; l++) {
            place(times[i + l], phases, halfWidth, &row[l], &base[l]);
            if (base[l] < 0 || base[l] + width > n) inside = 0;
        }
        if (!inside) {
            // Near the ends: one at a time.
            for (int l = 0; l < 8; l++) y[i + l] = read_one(taps + row[l], base[l], width, x, n);
            continue;
        }
        scrim_v8f lanes[8];
        for (int l = 0; l < 8; l++) read_lanes(taps + row[l], x + base[l], width, &lanes[l]);
        transpose8(lanes);
        scrim_v8f sum =
            ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
        for (int64_t j = whole; j < width; j++) {
            scrim_v8f tj, xj;
            for (int l = 0; l < 8; l++) {
                tj[l] = taps[row[l] + j];
                xj[l] = x[base[l] + j];
            }
            sum = sum + tj * xj;
        }
        memcpy(y + i, &sum, sizeof sum);
    }
    for (; i < count; i++) {
        int64_t row, base;
        place(times[i], phases, halfWidth, &row, &base);
        y[i] = read_one(taps + row, base, width, x, n);
    }
}

// The hum tracker's decimator: y[j] = Σᵢ taps[i]·x[j·factor − half + i], i = 0…2·half, samples outside x[0…n−1]
// taken as 0.
SCRIM_CLONES
void scrim_vector_fir_decimate(float *restrict y, int64_t count, const float *restrict x, int64_t n,
                               const float *restrict taps, int64_t half, int64_t factor) {
    for (int64_t j = 0; j < count; j++) y[j] = read_one(taps, j * factor - half, 2 * half + 1, x, n);
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

// The candidate filters' log-likelihoods, eight lanes: the innovations' quadratic terms summed, the innovation
// variances multiplied over eight measurements and the log taken of the product.
typedef struct {
    scrim_v8d quadratic, product;
    double logs[8];
    int pending;
} scrim_kalman_score;

static inline void scrim_kalman_score_start(scrim_kalman_score *score) {
    const scrim_v8d zero = {0, 0, 0, 0, 0, 0, 0, 0}, one = {1, 1, 1, 1, 1, 1, 1, 1};
    score->quadratic = zero;
    score->product = one;
    for (int l = 0; l < 8; l++) score->logs[l] = 0;
    score->pending = 0;
}

static inline void scrim_kalman_score_add(scrim_kalman_score *score, const scrim_v8d *innovation,
                                          const scrim_v8d *variance, const scrim_v8d *inverse) {
    const scrim_v8d one = {1, 1, 1, 1, 1, 1, 1, 1};
    score->quadratic += *innovation * *innovation * *inverse;
    score->product *= *variance;
    if (++score->pending == 8) {
        double lanes[8];
        memcpy(lanes, &score->product, sizeof lanes);
        for (int l = 0; l < 8; l++) score->logs[l] += log(lanes[l]);
        score->product = one;
        score->pending = 0;
    }
}

static inline void scrim_kalman_score_finish(const scrim_kalman_score *score, double *out) {
    double lanes[8], quadratics[8];
    memcpy(lanes, &score->product, sizeof lanes);
    memcpy(quadratics, &score->quadratic, sizeof quadratics);
    for (int l = 0; l < 8; l++) out[l] = -0.5 * ((score->logs[l] + log(lanes[l])) + quadratics[l]);
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
        scrim_v8d x0 = zero, x1 = zero, p01 = zero, p10 = zero;
        scrim_v8d p00 = zero + p00Start, p11 = zero + p11Start;
        scrim_kalman_score score;
        scrim_kalman_score_start(&score);
        for (int64_t m = 0; m < count; m++) {
            x0 += x1;
            scrim_v8d a00 = p00 + p01 + p10 + p11 + q0, a01 = p01 + p11, a10 = p10 + p11, a11 = p11 + q1;
            p00 = a00; p01 = a01; p10 = a10; p11 = a11;
            if (isfinite(r[m])) {
                scrim_v8d s = p00 + r[m] * scale;
                scrim_v8d inverse = one / s;
                scrim_v8d k0 = p00 * inverse, k1 = p10 * inverse;
                scrim_v8d innovation = z[m] - x0;
                scrim_kalman_score_add(&score, &innovation, &s, &inverse);
                x0 += k0 * innovation;
                x1 += k1 * innovation;
                scrim_v8d n00 = p00 - k0 * p00, n01 = p01 - k0 * p01, n10 = p10 - k1 * p00, n11 = p11 - k1 * p01;
                p00 = n00; p01 = n01; p10 = n10; p11 = n11;
            }
        }
        scrim_kalman_score_finish(&score, logLikelihoods + 8 * b);
    }
}

// The same for three-state filters (value, change per frame, change of that per frame; transition
// [[1, 1, 1/2], [0, 1, 1], [0, 0, 1]]): the covariance kept as its six distinct entries, the log again taken of the
// innovation variances' product over eight measurements.
SCRIM_CLONES
void scrim_vector_kalman3_likelihoods(double *restrict logLikelihoods, const double *restrict z,
                                      const double *restrict r, int64_t count, const double *restrict q0s,
                                      const double *restrict q1s, const double *restrict q2s,
                                      const double *restrict scales, int64_t blocks, double p00Start,
                                      double p11Start, double p22Start) {
    for (int64_t b = 0; b < blocks; b++) {
        scrim_v8d q0, q1, q2, scale;
        memcpy(&q0, q0s + 8 * b, sizeof q0);
        memcpy(&q1, q1s + 8 * b, sizeof q1);
        memcpy(&q2, q2s + 8 * b, sizeof q2);
        memcpy(&scale, scales + 8 * b, sizeof scale);
        const scrim_v8d zero = {0, 0, 0, 0, 0, 0, 0, 0}, one = {1, 1, 1, 1, 1, 1, 1, 1};
        const scrim_v8d half = one * 0.5;
        scrim_v8d x0 = zero, x1 = zero, x2 = zero;
        scrim_v8d p00 = zero + p00Start, p01 = zero, p02 = zero, p11 = zero + p11Start, p12 = zero;
        scrim_v8d p22 = zero + p22Start;
        scrim_kalman_score score;
        scrim_kalman_score_start(&score);
        for (int64_t m = 0; m < count; m++) {
            x0 += x1 + half * x2;
            x1 += x2;
            // F P Fᵀ + Q, row by row: a = F P, then a Fᵀ.
            scrim_v8d a00 = p00 + p01 + half * p02, a01 = p01 + p11 + half * p12, a02 = p02 + p12 + half * p22;
            scrim_v8d a11 = p11 + p12, a12 = p12 + p22;
            p00 = a00 + a01 + half * a02 + q0;
            p01 = a01 + a02;
            p02 = a02;
            p11 = a11 + a12 + q1;
            p12 = a12;
            p22 = p22 + q2;
            if (isfinite(r[m])) {
                scrim_v8d s = p00 + r[m] * scale;
                scrim_v8d inverse = one / s;
                scrim_v8d innovation = z[m] - x0;
                scrim_kalman_score_add(&score, &innovation, &s, &inverse);
                scrim_v8d k0 = p00 * inverse, k1 = p01 * inverse, k2 = p02 * inverse;
                x0 += k0 * innovation;
                x1 += k1 * innovation;
                x2 += k2 * innovation;
                scrim_v8d n00 = p00 - k0 * p00, n01 = p01 - k0 * p01, n02 = p02 - k0 * p02;
                scrim_v8d n11 = p11 - k1 * p01, n12 = p12 - k1 * p02, n22 = p22 - k2 * p02;
                p00 = n00; p01 = n01; p02 = n02; p11 = n11; p12 = n12; p22 = n22;
            }
        }
        scrim_kalman_score_finish(&score, logLikelihoods + 8 * b);
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

// The hum tracker's residual weights (ScrimCleanup's HumTracker.residualWeights), step 1: each cell's residual power
// against the model, power[m·K + k] = |c − g[m]·A[k]|², the same operations per cell as the Swift loop it replaces.
SCRIM_CLONES
void scrim_vector_hum_residual_power(double *restrict power, const double *restrict re, const double *restrict im,
                                     const double *restrict gain, const double *restrict ar,
                                     const double *restrict ai, int64_t frames, int64_t harmonics) {
    for (int64_t m = 0; m < frames; m++) {
        const double g = gain[m];
        const double *r = re + m * harmonics, *i = im + m * harmonics;
        double *p = power + m * harmonics;
        for (int64_t k = 0; k < harmonics; k++) {
            const double dr = r[k] - g * ar[k], di = i[k] - g * ai[k];
            p[k] = dr * dr + di * di;
        }
    }
}

// Step 2: each cell's mean over frames m − half … m + half (clipped to the stretch), summed directly in frame order
// and divided by the count.
SCRIM_CLONES
void scrim_vector_hum_local_means(double *restrict smooth, const double *restrict power, int64_t frames,
                                  int64_t harmonics, int64_t half) {
    for (int64_t m = 0; m < frames; m++) {
        const int64_t lo = m - half < 0 ? 0 : m - half;
        const int64_t hi = m + half > frames - 1 ? frames - 1 : m + half;
        const double count = (double)(hi - lo + 1);
        double *row = smooth + m * harmonics;
        const double *first = power + lo * harmonics;
        for (int64_t k = 0; k < harmonics; k++) row[k] = first[k];
        for (int64_t j = lo + 1; j <= hi; j++) {
            const double *cells = power + j * harmonics;
            for (int64_t k = 0; k < harmonics; k++) row[k] += cells[k];
        }
        for (int64_t k = 0; k < harmonics; k++) row[k] /= count;
    }
}

// Step 3: out = 1 / (max(smooth, clamp·floor[k]) + floor[k] + 1e-30) (Swift's max, operand order included).
SCRIM_CLONES
void scrim_vector_hum_weights(double *restrict out, const double *restrict smooth, const double *restrict floors,
                              double clamp, int64_t frames, int64_t harmonics) {
    for (int64_t m = 0; m < frames; m++) {
        const double *s = smooth + m * harmonics;
        double *o = out + m * harmonics;
        for (int64_t k = 0; k < harmonics; k++) {
            const double low = clamp * floors[k];
            o[k] = 1 / (SWIFT_MAX(s[k], low) + floors[k] + 1e-30);
        }
    }
}

// The hum tracker's amplitudes (ScrimCleanup's HumTracker.amplitudes): for each harmonic, over the frames in order,
// nr += w·g·re, ni += w·g·im, den += w·g·g with w = weights² (1 when weights is NULL); the caller divides.
SCRIM_CLONES
void scrim_vector_hum_amplitude_sums(double *restrict nr, double *restrict ni, double *restrict den,
                                     const double *restrict re, const double *restrict im,
                                     const double *restrict weights, const double *restrict gain, int64_t frames,
                                     int64_t harmonics) {
    for (int64_t k = 0; k < harmonics; k++) {
        nr[k] = 0;
        ni[k] = 0;
        den[k] = 0;
    }
    // Two loops, not one with a test per harmonic: with the test inside, the loop ran scalar (9 % more time on a
    // 10 min take).
    for (int64_t m = 0; m < frames; m++) {
        const double g = gain[m];
        const double *r = re + m * harmonics, *i = im + m * harmonics;
        if (weights) {
            const double *w = weights + m * harmonics;
            for (int64_t k = 0; k < harmonics; k++) {
                const double ww = w[k] * w[k];
                nr[k] += ww * g * r[k];
                ni[k] += ww * g * i[k];
                den[k] += ww * g * g;
            }
        } else {
            for (int64_t k = 0; k < harmonics; k++) {
                nr[k] += g * r[k];
                ni[k] += g * i[k];
                den[k] += g * g;
            }
        }
    }
}

// The hum tracker's bootstrap (ScrimCleanup's HumTracker.rotate and .bootstrap), one frame's loops over the
// harmonics, the same operations per harmonic as the Swift loops they replace.
// Rotation: r = c·e^{−jkδ} from the phasors cos kδ, sin kδ.
SCRIM_CLONES
void scrim_vector_hum_rotate(double *restrict rRe, double *restrict rIm, const double *restrict re,
                             const double *restrict im, const double *restrict c, const double *restrict s,
                             int64_t harmonics) {
    for (int64_t k = 0; k < harmonics; k++) {
        const double xr = re[k], xi = im[k];
        rRe[k] = xr * c[k] + xi * s[k];
        rIm[k] = xi * c[k] - xr * s[k];
    }
}

// The comb's inputs: each harmonic's weight from its magnitude's recent scatter around the reference magnitude
// (`local`, updated at 0.3 a frame; `floor`, at `floorRate`), and v = weight·r·conj(mag·u).
SCRIM_CLONES
void scrim_vector_hum_bootstrap_weigh(double *restrict vRe, double *restrict vIm, double *restrict weight,
                                      double *restrict local, double *restrict floor, const double *restrict rRe,
                                      const double *restrict rIm, const double *restrict mag,
                                      const double *restrict uRe, const double *restrict uIm, double floorRate,
                                      int64_t harmonics) {
    for (int64_t k = 0; k < harmonics; k++) {
        const double absR = sqrt(rRe[k] * rRe[k] + rIm[k] * rIm[k]);
        const double mm = (absR - mag[k]) * (absR - mag[k]);
        local[k] += (mm - local[k]) * 0.3;
        weight[k] = 1 / (floor[k] + local[k] + 1e-3 * mag[k] * mag[k] + 1e-30);
        const double refRe = mag[k] * uRe[k], refIm = mag[k] * uIm[k];
        vRe[k] = weight[k] * (rRe[k] * refRe + rIm[k] * refIm);
        vIm[k] = weight[k] * (rIm[k] * refRe - rRe[k] * refIm);
        floor[k] += (mm - floor[k]) * floorRate;
    }
}

// After the loop's correction: each magnitude follows the positive projection on its reference (time constant
// tau frames), and the lock quality Σ w·proj / Σ |w·(proj, quadrature)| (summed in the order of k; `scratch`
// holds 2·harmonics values).
SCRIM_CLONES
double scrim_vector_hum_bootstrap_follow(double *restrict mag, const double *restrict rRe, const double *restrict rIm,
                                         const double *restrict uRe, const double *restrict uIm,
                                         const double *restrict weight, double tau, double *restrict scratch,
                                         int64_t harmonics) {
    double *qrs = scratch, *qabs = scratch + harmonics;
    for (int64_t k = 0; k < harmonics; k++) {
        const double proj = rRe[k] * uRe[k] + rIm[k] * uIm[k];
        mag[k] += (SWIFT_MAX(proj, 0.0) - mag[k]) / tau;
        const double qr = weight[k] * proj;
        const double qi = weight[k] * (rIm[k] * uRe[k] - rRe[k] * uIm[k]);
        qrs[k] = qr;
        qabs[k] = sqrt(qr * qr + qi * qi);
    }
    double sumRe = 0, sumAbs = 0;
    for (int64_t k = 0; k < harmonics; k++) {
        sumRe += qrs[k];
        sumAbs += qabs[k];
    }
    return sumRe / SWIFT_MAX(sumAbs, 1e-30);
}
