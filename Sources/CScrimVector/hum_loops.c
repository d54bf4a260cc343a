// The hum tracker's angle-domain resampler (ScrimCleanup's SincKernel); see include/scrim_vector.h for the contract.
#include "scrim_vector.h"

#include "loops.h"

#include <math.h>

typedef float scrim_v8f __attribute__((vector_size(32)));

// Eight floats from any address (no vectors passed by value: the default clone has no AVX registers).
#define LOAD8(destination, source) memcpy(&(destination), (source), sizeof(scrim_v8f))

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

// SincKernel.place: floor(t), and the fraction's phase rounded half away from zero (t ≥ 0; the fraction v − ⌊v⌋ of
// a double is exact, so the comparison with 0.5 rounds exactly as Swift's rounded()).
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

// One read, in order, skipping taps outside the input (SincKernel.sample).
static inline float read_one(const float *taps, int64_t row, int64_t base, int64_t width, const float *x, int64_t n) {
    float s = 0;
    if (base >= 0 && base + width <= n) {
        for (int64_t j = 0; j < width; j++) s += taps[row + j] * x[base + j];
    } else {
        for (int64_t j = 0; j < width; j++) {
            if (base + j >= 0 && base + j < n) s += taps[row + j] * x[base + j];
        }
    }
    return s;
}

SCRIM_CLONES
void scrim_vector_sinc_reads(float *restrict y, const double *restrict times, int64_t count,
                             const float *restrict taps, int64_t phases, int64_t halfWidth,
                             const float *restrict x, int64_t n) {
    const int64_t width = 2 * halfWidth;
    const int64_t blocks = width / 8;
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        int64_t row[8], base[8];
        int inside = 1;
        for (int l = 0; l < 8; l++) {
            place(times[i + l], phases, halfWidth, &row[l], &base[l]);
            if (base[l] < 0 || base[l] + width > n) inside = 0;
        }
        if (!inside) {
            // A read near the ends (taps outside the input are skipped): one at a time.
            for (int l = 0; l < 8; l++) y[i + l] = read_one(taps, row[l], base[l], width, x, n);
            continue;
        }
        scrim_v8f s = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int64_t b = 0; b < blocks; b++) {
            scrim_v8f tr[8], xr[8];
            for (int l = 0; l < 8; l++) {
                LOAD8(tr[l], taps + row[l] + 8 * b);
                LOAD8(xr[l], x + base[l] + 8 * b);
            }
            transpose8(tr);
            transpose8(xr);
            // Each lane adds its products one after another, in the order of j.
            for (int j = 0; j < 8; j++) s = s + tr[j] * xr[j];
        }
        float lanes[8];
        memcpy(lanes, &s, sizeof lanes);
        for (int64_t j = 8 * blocks; j < width; j++) {
            for (int l = 0; l < 8; l++) lanes[l] += taps[row[l] + j] * x[base[l] + j];
        }
        memcpy(y + i, lanes, sizeof lanes);
    }
    // The last reads (fewer than eight): one at a time.
    for (; i < count; i++) {
        int64_t row, base;
        place(times[i], phases, halfWidth, &row, &base);
        y[i] = read_one(taps, row, base, width, x, n);
    }
}

typedef double scrim_v8d __attribute__((vector_size(64)));

// The hum tracker's comb search grid (ScrimCleanup's CombSearch): scores[8b + l] = Σₖ vRe[k]·tableRe[b][k][l] −
// vIm[k]·tableIm[b][k][l], each lane summing over k in order.
SCRIM_CLONES
void scrim_vector_comb_scores(double *restrict scores, const double *restrict vRe, const double *restrict vIm,
                              const double *restrict tableRe, const double *restrict tableIm, int64_t harmonics,
                              int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        scrim_v8d s = {0, 0, 0, 0, 0, 0, 0, 0};
        const double *re = tableRe + 8 * harmonics * b, *im = tableIm + 8 * harmonics * b;
        for (int64_t k = 0; k < harmonics; k++) {
            scrim_v8d tr, ti;
            memcpy(&tr, re + 8 * k, sizeof tr);
            memcpy(&ti, im + 8 * k, sizeof ti);
            s += vRe[k] * tr - vIm[k] * ti;
        }
        memcpy(scores + 8 * b, &s, sizeof s);
    }
}
