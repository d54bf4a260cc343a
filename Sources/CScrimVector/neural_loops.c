// Kernels of ScrimNeural's DeepFilterNet3 layers; see include/scrim_neural.h for the contract (the same results on
// every CPU: each sum in one written order, the lanes across independent outputs).
#include "scrim_neural.h"

#include "loops.h"

// The reference loops are plain scalar code: no clones, no vectorisation, so they are the definition the fast
// loops are compared against.
#define SCRIM_SCALAR __attribute__((noinline))

// The helpers of the cloned kernels must be inlined into each clone: a helper left out of line is compiled once,
// for the baseline, and the AVX2 and AVX-512 clones would call that copy.
#define SCRIM_INLINE static inline __attribute__((always_inline))

// e^x: x = k·ln2 + r with k = round(x·log₂e) (the 1.5·2²³ rounding trick) and r from Cody & Waite's two-part
// ln 2 (W. J. Cody, W. Waite, Software Manual for the Elementary Functions, 1980, ch. 6: ln2_hi has 16 significant
// bits so k·ln2_hi is exact), |r| ≤ ½ln 2; e^r by its Taylor series to r⁷ (remainder r⁸/8! < 1.3·10⁻⁸ there), in
// Horner form; 2^k put into the exponent bits. x is clamped to [−87, 88] so 2^k stays a normal number.
SCRIM_INLINE float neural_exp(float x) {
    const float magic = 12582912.0f;
    float c = SWIFT_MIN(SWIFT_MAX(x, -87.0f), 88.0f);
    float k = (c * 1.44269504088896341f + magic) - magic;
    float r = (c - k * 0.693145751953125f) - k * 1.42860682030941723e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t n = (int32_t)k;
    return p * float_of((uint32_t)(n + 127) << 23);
}

SCRIM_INLINE float neural_sigmoid(float x) { return 1.0f / (1.0f + neural_exp(-x)); }

SCRIM_INLINE float neural_tanh(float x) {
    float a = x < 0.0f ? -x : x;
    float t = 1.0f - 2.0f / (neural_exp(2.0f * a) + 1.0f);
    return x < 0.0f ? -t : t;
}

// The vector × matrix product: scrim_neural_linear_frames' loop for one frame (below).
SCRIM_INLINE void matvec_body(float *restrict y, const float *restrict x, const float *restrict w,
                              const float *restrict bias, int64_t k, int64_t n);

SCRIM_CLONES
void scrim_neural_matvec(float *restrict y, const float *restrict x, const float *restrict w,
                         const float *restrict bias, int64_t k, int64_t n) {
    matvec_body(y, x, w, bias, k, n);
}

SCRIM_SCALAR
void scrim_neural_matvec_reference(float *y, const float *x, const float *w, const float *bias, int64_t k,
                                   int64_t n) {
#pragma clang loop vectorize(disable)
    for (int64_t j = 0; j < n; j++) {
        float sum = bias ? bias[j] : 0.0f;
        for (int64_t i = 0; i < k; i++) sum = sum + x[i] * w[i * n + j];
        y[j] = sum;
    }
}

// Register blocks for the matrix products: ROWS × COLS sums held in registers while their terms run through in
// order (i = 0…k−1), so the block shape changes the speed only, never a bit. Instantiated for the shapes the loops
// below use; COLS 32/16/8 are two/one/half AVX-512 registers per row.
// GCC/clang vector types (element alignment only, so any float address loads): one lane per output, so the lanes
// never mix the terms of one sum; on the baseline they are split into SSE registers.
typedef float scrim_v16 __attribute__((vector_size(64), aligned(4)));
typedef float scrim_v8 __attribute__((vector_size(32), aligned(4)));
typedef float scrim_v1 __attribute__((vector_size(4), aligned(4)));

// ROWS output rows × NV vectors of VT (LANES floats each) of outputs, for scrim_neural_matmul.
#define MATMUL_BLOCK(ROWS, COLS, VT, NV, LANES)                                                                     \
    SCRIM_INLINE void matmul_block_##ROWS##_##COLS(float *restrict out, const float *restrict w,                   \
                                                   const float *restrict in, const float *restrict bias,           \
                                                   int64_t o0, int64_t f0, int64_t k, int64_t n) {                 \
        VT acc[ROWS][NV];                                                                                           \
        for (int64_t r = 0; r < ROWS; r++) {                                                                        \
            const float b = bias ? bias[o0 + r] : 0.0f;                                                             \
            for (int64_t v = 0; v < NV; v++) acc[r][v] = (VT){0} + b;                                               \
        }                                                                                                           \
        for (int64_t i = 0; i < k; i++) {                                                                           \
            const VT *src = (const VT *)(in + i * n + f0);                                                          \
            VT x[NV];                                                                                               \
            for (int64_t v = 0; v < NV; v++) x[v] = src[v];                                                         \
            for (int64_t r = 0; r < ROWS; r++) {                                                                    \
                const float wv = w[(o0 + r) * k + i];                                                               \
                for (int64_t v = 0; v < NV; v++) acc[r][v] = acc[r][v] + wv * x[v];                                 \
            }                                                                                                       \
        }                                                                                                           \
        for (int64_t r = 0; r < ROWS; r++) {                                                                        \
            VT *dst = (VT *)(out + (o0 + r) * n + f0);                                                              \
            for (int64_t v = 0; v < NV; v++) dst[v] = acc[r][v];                                                    \
        }                                                                                                           \
    }
MATMUL_BLOCK(4, 32, scrim_v16, 2, 16)
MATMUL_BLOCK(4, 16, scrim_v16, 1, 16)
MATMUL_BLOCK(4, 8, scrim_v8, 1, 8)
MATMUL_BLOCK(4, 1, scrim_v1, 1, 1)
MATMUL_BLOCK(1, 32, scrim_v16, 2, 16)
MATMUL_BLOCK(1, 16, scrim_v16, 1, 16)
MATMUL_BLOCK(1, 8, scrim_v8, 1, 8)
MATMUL_BLOCK(1, 1, scrim_v1, 1, 1)

#define MATMUL_ROW_BLOCKS(ROWS)                                                                                     \
    do {                                                                                                            \
        int64_t f0 = 0;                                                                                             \
        for (; f0 + 32 <= n; f0 += 32) matmul_block_##ROWS##_32(out, w, in, bias, o0, f0, k, n);                   \
        for (; f0 + 16 <= n; f0 += 16) matmul_block_##ROWS##_16(out, w, in, bias, o0, f0, k, n);                   \
        for (; f0 + 8 <= n; f0 += 8) matmul_block_##ROWS##_8(out, w, in, bias, o0, f0, k, n);                      \
        for (; f0 < n; f0++) matmul_block_##ROWS##_1(out, w, in, bias, o0, f0, k, n);                              \
    } while (0)

SCRIM_CLONES
void scrim_neural_matmul(float *restrict out, const float *restrict w, const float *restrict in,
                         const float *restrict bias, int64_t m, int64_t k, int64_t n) {
    int64_t o0 = 0;
    for (; o0 + 4 <= m; o0 += 4) MATMUL_ROW_BLOCKS(4);
    for (; o0 < m; o0++) MATMUL_ROW_BLOCKS(1);
}

SCRIM_SCALAR
void scrim_neural_matmul_reference(float *out, const float *w, const float *in, const float *bias, int64_t m,
                                   int64_t k, int64_t n) {
#pragma clang loop vectorize(disable)
    for (int64_t o = 0; o < m; o++) {
        for (int64_t f = 0; f < n; f++) {
            float sum = bias ? bias[o] : 0.0f;
            for (int64_t i = 0; i < k; i++) sum = sum + w[o * k + i] * in[i * n + f];
            out[o * n + f] = sum;
        }
    }
}

SCRIM_CLONES
void scrim_neural_grouped_linear(float *restrict y, const float *restrict x, const float *restrict w, int64_t groups,
                                 int64_t inCount, int64_t outCount) {
    for (int64_t g = 0; g < groups; g++) {
        matvec_body(y + g * outCount, x + g * inCount, w + g * inCount * outCount, 0, inCount, outCount);
    }
}

SCRIM_SCALAR
void scrim_neural_grouped_linear_reference(float *y, const float *x, const float *w, int64_t groups,
                                           int64_t inCount, int64_t outCount) {
    for (int64_t g = 0; g < groups; g++) {
        scrim_neural_matvec_reference(y + g * outCount, x + g * inCount, w + g * inCount * outCount, 0, inCount,
                                      outCount);
    }
}

// Frames × outputs register blocks for scrim_neural_linear_frames: FRAMES × COLS sums, each over i in order from
// its bias, the weight row segment loaded once per i for all FRAMES frames (the reuse a frame-by-frame product
// cannot have).
#define LINEAR_BLOCK(FRAMES, COLS, VT, NV, LANES)                                                                   \
    SCRIM_INLINE void linear_block_##FRAMES##_##COLS(float *restrict y, int64_t yStride, const float *restrict x,  \
                                                     int64_t xStride, const float *restrict w,                     \
                                                     const float *restrict bias, int64_t t0, int64_t j0, int64_t k, \
                                                     int64_t n) {                                                   \
        VT acc[FRAMES][NV];                                                                                         \
        for (int64_t v = 0; v < NV; v++) {                                                                          \
            VT b = (VT){0};                                                                                         \
            if (bias) b = *(const VT *)(bias + j0 + v * LANES);                                                     \
            for (int64_t t = 0; t < FRAMES; t++) acc[t][v] = b;                                                     \
        }                                                                                                           \
        for (int64_t i = 0; i < k; i++) {                                                                           \
            const VT *row = (const VT *)(w + i * n + j0);                                                           \
            VT wv[NV];                                                                                              \
            for (int64_t v = 0; v < NV; v++) wv[v] = row[v];                                                        \
            for (int64_t t = 0; t < FRAMES; t++) {                                                                  \
                const float xv = x[(t0 + t) * xStride + i];                                                         \
                for (int64_t v = 0; v < NV; v++) acc[t][v] = acc[t][v] + xv * wv[v];                                \
            }                                                                                                       \
        }                                                                                                           \
        for (int64_t t = 0; t < FRAMES; t++) {                                                                      \
            VT *dst = (VT *)(y + (t0 + t) * yStride + j0);                                                          \
            for (int64_t v = 0; v < NV; v++) dst[v] = acc[t][v];                                                    \
        }                                                                                                           \
    }
LINEAR_BLOCK(8, 32, scrim_v16, 2, 16)
LINEAR_BLOCK(8, 16, scrim_v16, 1, 16)
LINEAR_BLOCK(8, 8, scrim_v8, 1, 8)
LINEAR_BLOCK(8, 1, scrim_v1, 1, 1)
LINEAR_BLOCK(1, 128, scrim_v16, 8, 16)
LINEAR_BLOCK(1, 32, scrim_v16, 2, 16)
LINEAR_BLOCK(1, 16, scrim_v16, 1, 16)
LINEAR_BLOCK(1, 8, scrim_v8, 1, 8)
LINEAR_BLOCK(1, 1, scrim_v1, 1, 1)

// One frame takes 128 outputs at a time: eight independent sums per lane, enough to hide the add latency that a
// block of 32 (two chains) waits on; eight frames × 32 have sixteen.
#define LINEAR_FRAME_BLOCKS(FRAMES)                                                                                 \
    do {                                                                                                            \
        int64_t j0 = 0;                                                                                             \
        if (FRAMES == 1) {                                                                                          \
            for (; j0 + 128 <= n; j0 += 128) linear_block_1_128(y, yStride, x, xStride, w, bias, t0, j0, k, n);    \
        }                                                                                                           \
        for (; j0 + 32 <= n; j0 += 32) linear_block_##FRAMES##_32(y, yStride, x, xStride, w, bias, t0, j0, k, n);  \
        for (; j0 + 16 <= n; j0 += 16) linear_block_##FRAMES##_16(y, yStride, x, xStride, w, bias, t0, j0, k, n);  \
        for (; j0 + 8 <= n; j0 += 8) linear_block_##FRAMES##_8(y, yStride, x, xStride, w, bias, t0, j0, k, n);     \
        for (; j0 < n; j0++) linear_block_##FRAMES##_1(y, yStride, x, xStride, w, bias, t0, j0, k, n);             \
    } while (0)

SCRIM_INLINE void linear_frames_body(float *restrict y, int64_t yStride, const float *restrict x, int64_t xStride,
                                      const float *restrict w, const float *restrict bias, int64_t frames, int64_t k,
                                      int64_t n) {
    int64_t t0 = 0;
    for (; t0 + 8 <= frames; t0 += 8) LINEAR_FRAME_BLOCKS(8);
    for (; t0 < frames; t0++) LINEAR_FRAME_BLOCKS(1);
}

SCRIM_INLINE void matvec_body(float *restrict y, const float *restrict x, const float *restrict w,
                              const float *restrict bias, int64_t k, int64_t n) {
    linear_frames_body(y, 0, x, 0, w, bias, 1, k, n);
}

SCRIM_CLONES
void scrim_neural_linear_frames(float *restrict y, int64_t yStride, const float *restrict x, int64_t xStride,
                                const float *restrict w, const float *restrict bias, int64_t frames, int64_t k,
                                int64_t n) {
    linear_frames_body(y, yStride, x, xStride, w, bias, frames, k, n);
}

SCRIM_SCALAR
void scrim_neural_linear_frames_reference(float *y, int64_t yStride, const float *x, int64_t xStride, const float *w,
                                          const float *bias, int64_t frames, int64_t k, int64_t n) {
    for (int64_t t = 0; t < frames; t++) {
        scrim_neural_matvec_reference(y + t * yStride, x + t * xStride, w, bias, k, n);
    }
}

SCRIM_CLONES
void scrim_neural_grouped_linear_frames(float *restrict y, const float *restrict x, const float *restrict w,
                                        int64_t frames, int64_t groups, int64_t inCount, int64_t outCount) {
    for (int64_t g = 0; g < groups; g++) {
        linear_frames_body(y + g * outCount, groups * outCount, x + g * inCount, groups * inCount,
                           w + g * inCount * outCount, 0, frames, inCount, outCount);
    }
}

SCRIM_SCALAR
void scrim_neural_grouped_linear_frames_reference(float *y, const float *x, const float *w, int64_t frames,
                                                  int64_t groups, int64_t inCount, int64_t outCount) {
    for (int64_t t = 0; t < frames; t++) {
        scrim_neural_grouped_linear_reference(y + t * groups * outCount, x + t * groups * inCount, w, groups,
                                              inCount, outCount);
    }
}

int64_t scrim_neural_conv2d_output_count(const scrim_conv2d_shape *shape) {
    return (shape->frequencyCount + 2 * shape->padFrequency - shape->kernelFrequency) / shape->strideFrequency + 1;
}

// Output bin q of channel o (group g) as one sum in the order c, dt, df, terms outside the input skipped: the
// reference's loop, for the bins near the edges.
SCRIM_INLINE float conv2d_bin(const float *const *frames, const float *restrict w, float start, int64_t o, int64_t g,
                              int64_t q, int64_t in_per_group, int64_t kt, int64_t kf, int64_t F, int64_t stride,
                              int64_t pad) {
    float sum = start;
    for (int64_t c = 0; c < in_per_group; c++) {
        for (int64_t dt = 0; dt < kt; dt++) {
            const float *restrict plane = frames[dt] + (g * in_per_group + c) * F;
            for (int64_t df = 0; df < kf; df++) {
                const int64_t p = q * stride + df - pad;
                if (p < 0 || p >= F) continue;
                sum = sum + w[((o * in_per_group + c) * kt + dt) * kf + df] * plane[p];
            }
        }
    }
    return sum;
}

// Stride 1, bins q0 ..< q0 + NV·LANES where every tap lies inside the input: NV·LANES sums in registers (NV
// independent chains, so the adds' latency overlaps), each over c, dt, df in order.
#define CONV_BLOCK(NAME, VT, NV, LANES)                                                                             \
    SCRIM_INLINE void conv2d_block_##NAME(float *restrict row, const float *const *frames, const float *restrict w, \
                                          float start, int64_t o, int64_t g, int64_t q0, int64_t in_per_group,      \
                                          int64_t kt, int64_t kf, int64_t F, int64_t pad) {                         \
        VT acc[NV];                                                                                                 \
        for (int64_t v = 0; v < NV; v++) acc[v] = start - (VT){0};                                                  \
        for (int64_t c = 0; c < in_per_group; c++) {                                                                \
            for (int64_t dt = 0; dt < kt; dt++) {                                                                   \
                const float *restrict plane = frames[dt] + (g * in_per_group + c) * F + q0 - pad;                   \
                const float *restrict wr = w + ((o * in_per_group + c) * kt + dt) * kf;                             \
                for (int64_t df = 0; df < kf; df++) {                                                               \
                    const float wv = wr[df];                                                                        \
                    const VT *src = (const VT *)(plane + df);                                                       \
                    for (int64_t v = 0; v < NV; v++) acc[v] = acc[v] + wv * src[v];                                 \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
        VT *dst = (VT *)(row + q0);                                                                                 \
        for (int64_t v = 0; v < NV; v++) dst[v] = acc[v];                                                          \
    }
// The same for two output channels o and o + 1 of one group at once (they read the same input planes): two
// independent sets of sums, so the adds' latency overlaps when a sum has few terms.
#define CONV_BLOCK2(NAME, VT, NV, LANES)                                                                            \
    SCRIM_INLINE void conv2d_block2_##NAME(float *restrict row, int64_t row_stride, const float *const *frames,     \
                                           const float *restrict w, float start0, float start1, int64_t o,         \
                                           int64_t g, int64_t q0, int64_t in_per_group, int64_t kt, int64_t kf,    \
                                           int64_t F, int64_t pad) {                                               \
        VT acc0[NV], acc1[NV];                                                                                      \
        for (int64_t v = 0; v < NV; v++) {                                                                          \
            acc0[v] = start0 - (VT){0};                                                                             \
            acc1[v] = start1 - (VT){0};                                                                             \
        }                                                                                                           \
        const int64_t taps = in_per_group * kt * kf;                                                                \
        for (int64_t c = 0; c < in_per_group; c++) {                                                                \
            for (int64_t dt = 0; dt < kt; dt++) {                                                                   \
                const float *restrict plane = frames[dt] + (g * in_per_group + c) * F + q0 - pad;                   \
                const float *restrict wr = w + ((o * in_per_group + c) * kt + dt) * kf;                             \
                for (int64_t df = 0; df < kf; df++) {                                                               \
                    const float wv0 = wr[df], wv1 = wr[taps + df];                                                  \
                    const VT *src = (const VT *)(plane + df);                                                       \
                    for (int64_t v = 0; v < NV; v++) {                                                              \
                        acc0[v] = acc0[v] + wv0 * src[v];                                                           \
                        acc1[v] = acc1[v] + wv1 * src[v];                                                           \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
        VT *dst0 = (VT *)(row + q0), *dst1 = (VT *)(row + row_stride + q0);                                         \
        for (int64_t v = 0; v < NV; v++) {                                                                          \
            dst0[v] = acc0[v];                                                                                      \
            dst1[v] = acc1[v];                                                                                      \
        }                                                                                                           \
    }
CONV_BLOCK2(64, scrim_v16, 4, 16)
CONV_BLOCK2(32, scrim_v16, 2, 16)
CONV_BLOCK2(16, scrim_v16, 1, 16)

CONV_BLOCK(96, scrim_v16, 6, 16)
CONV_BLOCK(64, scrim_v16, 4, 16)
CONV_BLOCK(32, scrim_v16, 2, 16)
CONV_BLOCK(16, scrim_v16, 1, 16)
CONV_BLOCK(8, scrim_v8, 1, 8)

// Depthwise convolutions one frame long (groups = inChannels = outChannels, kT = 1), the shapes the graphs use, with
// the lanes across bins: each bin's sum is bias, then its taps df = 0, 1, 2 (or the one tap) in order, skipping the
// taps outside the input, as conv2d_bin takes them. `b` is splat by b − 0, which keeps a bias of −0 (0 + b would not).
typedef float scrim_v4 __attribute__((vector_size(16), aligned(4)));

// kF 3, pad 1, stride 2, F a multiple of 16: out[q] = ((b + w0·x[2q − 1]) + w1·x[2q]) + w2·x[2q + 1]; bin 0 has no
// first tap. Eight bins from 16 inputs: the even and odd inputs deinterleaved, x[2q − 1] the odd ones one lane on.
SCRIM_INLINE void depthwise3_stride2(float *restrict out, const float *restrict in, const float *restrict w,
                                     const float *restrict bias, int64_t channels, int64_t F) {
    const int64_t q_count = F / 2;
    for (int64_t c = 0; c < channels; c++) {
        const float *restrict x = in + c * F;
        float *restrict row = out + c * q_count;
        const float b = bias ? bias[c] : 0.0f;
        const float w0 = w[c * 3], w1 = w[c * 3 + 1], w2 = w[c * 3 + 2];
        const scrim_v8 bv = b - (scrim_v8){0};
        for (int64_t q0 = 0; q0 < q_count; q0 += 8) {
            const scrim_v16 v = *(const scrim_v16 *)(x + 2 * q0);
            const scrim_v8 even = __builtin_shufflevector(v, v, 0, 2, 4, 6, 8, 10, 12, 14);
            const scrim_v8 odd = __builtin_shufflevector(v, v, 1, 3, 5, 7, 9, 11, 13, 15);
            const float before = q0 > 0 ? x[2 * q0 - 1] : 0.0f;
            const scrim_v8 previous = __builtin_shufflevector(odd, (scrim_v8){before}, 8, 0, 1, 2, 3, 4, 5, 6);
            const scrim_v8 acc = ((bv + w0 * previous) + w1 * even) + w2 * odd;
            *(scrim_v8 *)(row + q0) = acc;
        }
        row[0] = (b + w1 * x[0]) + w2 * x[1];
    }
}

// kF 3, pad 1, stride 1, F = 8: out[q] = ((b + w0·x[q − 1]) + w1·x[q]) + w2·x[q + 1]; bins 0 and 7 lack a tap.
SCRIM_INLINE void depthwise3_8(float *restrict out, const float *restrict in, const float *restrict w,
                               const float *restrict bias, int64_t channels) {
    for (int64_t c = 0; c < channels; c++) {
        const float *restrict x = in + c * 8;
        float *restrict row = out + c * 8;
        const float b = bias ? bias[c] : 0.0f;
        const float w0 = w[c * 3], w1 = w[c * 3 + 1], w2 = w[c * 3 + 2];
        const scrim_v8 v = *(const scrim_v8 *)x;
        const scrim_v8 zero = {0};
        const scrim_v8 left = __builtin_shufflevector(v, zero, 8, 0, 1, 2, 3, 4, 5, 6);
        const scrim_v8 right = __builtin_shufflevector(v, zero, 1, 2, 3, 4, 5, 6, 7, 8);
        const scrim_v8 acc = (((b - zero) + w0 * left) + w1 * v) + w2 * right;
        *(scrim_v8 *)row = acc;
        row[0] = (b + w1 * x[0]) + w2 * x[1];
        row[7] = (b + w0 * x[6]) + w1 * x[7];
    }
}

// kF 1, pad 0, stride 1, F a multiple of 4: out[q] = b + w·x[q].
SCRIM_INLINE void depthwise1(float *restrict out, const float *restrict in, const float *restrict w,
                             const float *restrict bias, int64_t channels, int64_t F) {
    for (int64_t c = 0; c < channels; c++) {
        const float b = bias ? bias[c] : 0.0f, wc = w[c];
        const scrim_v4 bv = b - (scrim_v4){0};
        for (int64_t q = 0; q < F; q += 4) {
            *(scrim_v4 *)(out + c * F + q) = bv + wc * *(const scrim_v4 *)(in + c * F + q);
        }
    }
}

// Stride 1: the bins whose taps all lie inside the input, [pad, F − kF + pad], in register blocks (the last one
// may overlap the one before: its bins get the same sums again), the rest one by one. Other strides (the encoder's frequency-halving depthwise convolutions): for each weight, the outputs q
// whose input bin q·stride + df − pad lies in 0…F−1 form one range [lo, hi) and the loop over it is the
// vectorised one. Either way each q's sum takes its terms in the order c, dt, df. Frame dt of the kernel's window
// is frames[dt], [inChannels][F].
SCRIM_INLINE void conv2d_body(float *restrict out, const float *const *frames, const float *restrict w,
                              const float *restrict bias, const scrim_conv2d_shape *shape) {
    const int64_t cin = shape->inChannels, cout = shape->outChannels, groups = shape->groups;
    const int64_t F = shape->frequencyCount, kt = shape->kernelTime, kf = shape->kernelFrequency;
    const int64_t stride = shape->strideFrequency, pad = shape->padFrequency;
    const int64_t q_count = (F + 2 * pad - kf) / stride + 1;
    const int64_t in_per_group = cin / groups, out_per_group = cout / groups;
    if (kt == 1 && groups == cin && groups == cout) {
        if (kf == 3 && pad == 1 && stride == 2 && F % 16 == 0) {
            depthwise3_stride2(out, frames[0], w, bias, cout, F);
            return;
        }
        if (kf == 3 && pad == 1 && stride == 1 && F == 8) {
            depthwise3_8(out, frames[0], w, bias, cout);
            return;
        }
        if (kf == 1 && pad == 0 && stride == 1 && F % 4 == 0) {
            depthwise1(out, frames[0], w, bias, cout, F);
            return;
        }
    }
    if (stride == 1) {
        int64_t qa = pad < q_count ? pad : q_count;
        int64_t qb = F - kf + pad + 1;
        if (qb > q_count) qb = q_count;
        if (qb < qa) qb = qa;
        int64_t o = 0;
        // Sums of few terms (the 3×3 convolutions over one input channel per group): two output channels at a time,
        // the interior in blocks of 64/32/16 bins, the last one overlapping the one before.
        if (in_per_group * kt * kf <= 32 && out_per_group % 2 == 0 && qb - qa >= 16) {
            for (; o < cout; o += 2) {
                float *restrict row = out + o * q_count;
                const float b0 = bias ? bias[o] : 0.0f, b1 = bias ? bias[o + 1] : 0.0f;
                const int64_t g = o / out_per_group;
                for (int64_t q = 0; q < qa; q++) {
                    row[q] = conv2d_bin(frames, w, b0, o, g, q, in_per_group, kt, kf, F, 1, pad);
                    row[q_count + q] = conv2d_bin(frames, w, b1, o + 1, g, q, in_per_group, kt, kf, F, 1, pad);
                }
                int64_t q = qa;
                for (; q + 64 <= qb; q += 64)
                    conv2d_block2_64(row, q_count, frames, w, b0, b1, o, g, q, in_per_group, kt, kf, F, pad);
                for (; q + 32 <= qb; q += 32)
                    conv2d_block2_32(row, q_count, frames, w, b0, b1, o, g, q, in_per_group, kt, kf, F, pad);
                for (; q + 16 <= qb; q += 16)
                    conv2d_block2_16(row, q_count, frames, w, b0, b1, o, g, q, in_per_group, kt, kf, F, pad);
                if (q < qb) {
                    conv2d_block2_16(row, q_count, frames, w, b0, b1, o, g, qb - 16, in_per_group, kt, kf, F, pad);
                }
                for (q = qb; q < q_count; q++) {
                    row[q] = conv2d_bin(frames, w, b0, o, g, q, in_per_group, kt, kf, F, 1, pad);
                    row[q_count + q] = conv2d_bin(frames, w, b1, o + 1, g, q, in_per_group, kt, kf, F, 1, pad);
                }
            }
        }
        for (; o < cout; o++) {
            float *restrict row = out + o * q_count;
            const float b = bias ? bias[o] : 0.0f;
            const int64_t g = o / out_per_group;
            for (int64_t q = 0; q < qa; q++) {
                row[q] = conv2d_bin(frames, w, b, o, g, q, in_per_group, kt, kf, F, 1, pad);
            }
            int64_t q = qa;
            for (; q + 96 <= qb; q += 96) conv2d_block_96(row, frames, w, b, o, g, q, in_per_group, kt, kf, F, pad);
            for (; q + 64 <= qb; q += 64) conv2d_block_64(row, frames, w, b, o, g, q, in_per_group, kt, kf, F, pad);
            for (; q + 32 <= qb; q += 32) conv2d_block_32(row, frames, w, b, o, g, q, in_per_group, kt, kf, F, pad);
            for (; q + 16 <= qb; q += 16) conv2d_block_16(row, frames, w, b, o, g, q, in_per_group, kt, kf, F, pad);
            for (; q + 8 <= qb; q += 8) conv2d_block_8(row, frames, w, b, o, g, q, in_per_group, kt, kf, F, pad);
            if (q < qb && qb - qa >= 8) {
                conv2d_block_8(row, frames, w, b, o, g, qb - 8, in_per_group, kt, kf, F, pad);
                q = qb;
            }
            for (; q < q_count; q++) row[q] = conv2d_bin(frames, w, b, o, g, q, in_per_group, kt, kf, F, 1, pad);
        }
        return;
    }
    for (int64_t o = 0; o < cout; o++) {
        float *restrict row = out + o * q_count;
        const float b = bias ? bias[o] : 0.0f;
        for (int64_t q = 0; q < q_count; q++) row[q] = b;
        const int64_t g = o / out_per_group;
        for (int64_t c = 0; c < in_per_group; c++) {
            for (int64_t dt = 0; dt < kt; dt++) {
                const float *restrict plane = frames[dt] + (g * in_per_group + c) * F;
                for (int64_t df = 0; df < kf; df++) {
                    const float wv = w[((o * in_per_group + c) * kt + dt) * kf + df];
                    // q·stride + df − pad ≥ 0 and ≤ F − 1.
                    const int64_t offset = df - pad;
                    int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
                    int64_t hi = (F - 1 - offset) < 0 ? 0 : (F - 1 - offset) / stride + 1;
                    if (hi > q_count) hi = q_count;
                    for (int64_t q = lo; q < hi; q++) row[q] = row[q] + wv * plane[q * stride + offset];
                }
            }
        }
    }
}

SCRIM_CLONES
void scrim_neural_conv2d(float *restrict out, const float *restrict in, const float *restrict w,
                         const float *restrict bias, const scrim_conv2d_shape *shape) {
    const float *frames[SCRIM_CONV2D_MAX_KERNEL_TIME];
    const int64_t kt = shape->kernelTime <= SCRIM_CONV2D_MAX_KERNEL_TIME ? shape->kernelTime : 0;
    for (int64_t dt = 0; dt < kt; dt++) frames[dt] = in + dt * shape->inChannels * shape->frequencyCount;
    if (kt > 0) conv2d_body(out, frames, w, bias, shape);
}

SCRIM_CLONES
void scrim_neural_conv2d_frames(float *restrict out, const float *const *frames, const float *restrict w,
                                const float *restrict bias, const scrim_conv2d_shape *shape) {
    conv2d_body(out, frames, w, bias, shape);
}

SCRIM_SCALAR
void scrim_neural_conv2d_frames_reference(float *out, const float *const *frames, const float *w, const float *bias,
                                          const scrim_conv2d_shape *shape) {
    const int64_t cin = shape->inChannels, cout = shape->outChannels, groups = shape->groups;
    const int64_t F = shape->frequencyCount, kt = shape->kernelTime, kf = shape->kernelFrequency;
    const int64_t stride = shape->strideFrequency, pad = shape->padFrequency;
    const int64_t q_count = scrim_neural_conv2d_output_count(shape);
    const int64_t in_per_group = cin / groups, out_per_group = cout / groups;
#pragma clang loop vectorize(disable)
    for (int64_t o = 0; o < cout; o++) {
        const int64_t g = o / out_per_group;
        for (int64_t q = 0; q < q_count; q++) {
            float sum = bias ? bias[o] : 0.0f;
            for (int64_t c = 0; c < in_per_group; c++) {
                for (int64_t dt = 0; dt < kt; dt++) {
                    for (int64_t df = 0; df < kf; df++) {
                        const int64_t p = q * stride + df - pad;
                        if (p < 0 || p >= F) continue;
                        sum = sum + w[((o * in_per_group + c) * kt + dt) * kf + df]
                                        * frames[dt][(g * in_per_group + c) * F + p];
                    }
                }
            }
            out[o * q_count + q] = sum;
        }
    }
}

SCRIM_SCALAR
void scrim_neural_conv2d_reference(float *out, const float *in, const float *w, const float *bias,
                                   const scrim_conv2d_shape *shape) {
    const float *frames[SCRIM_CONV2D_MAX_KERNEL_TIME];
    const int64_t kt = shape->kernelTime <= SCRIM_CONV2D_MAX_KERNEL_TIME ? shape->kernelTime : 0;
    for (int64_t dt = 0; dt < kt; dt++) frames[dt] = in + dt * shape->inChannels * shape->frequencyCount;
    if (kt > 0) scrim_neural_conv2d_frames_reference(out, frames, w, bias, shape);
}

// The decoder's shape (kernel 3, stride 2, pad 1, output_padding 1: outCount = 2·inCount, inCount a multiple of 8),
// with the lanes across input bins: even output 2p is 0 + w1·in[p]; odd output 2p + 1 is (0 + w0·in[p + 1]) +
// w2·in[p] (the df = 0 term first), the last one 0 + w2·in[inCount − 1]; the two interleaved into 16 outputs.
SCRIM_INLINE void conv_transpose3_stride2(float *restrict out, const float *restrict in, const float *restrict w,
                                          int64_t channels, int64_t inCount) {
    const scrim_v8 zero = {0};
    for (int64_t c = 0; c < channels; c++) {
        const float *restrict src = in + c * inCount;
        float *restrict row = out + c * 2 * inCount;
        const float w0 = w[c * 3], w1 = w[c * 3 + 1], w2 = w[c * 3 + 2];
        for (int64_t p = 0; p < inCount; p += 8) {
            const scrim_v8 a = *(const scrim_v8 *)(src + p);
            const float after = p + 8 < inCount ? src[p + 8] : 0.0f;
            const scrim_v8 next = __builtin_shufflevector(a, (scrim_v8){after}, 1, 2, 3, 4, 5, 6, 7, 8);
            const scrim_v8 even = zero + w1 * a;
            const scrim_v8 odd = (zero + w0 * next) + w2 * a;
            *(scrim_v16 *)(row + 2 * p) =
                __builtin_shufflevector(even, odd, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
        }
        row[2 * inCount - 1] = 0.0f + w2 * src[inCount - 1];
    }
}

// Scatter form, as the reference: for df = 0…kF−1 in order, every input bin p adds w[df]·in[p] to output bin
// p·stride + df − pad, so each output takes its terms in the order df (the gather order) from 0; the loop over p has
// no division and vectorises.
SCRIM_CLONES
void scrim_neural_conv_transpose_depthwise(float *restrict out, const float *restrict in, const float *restrict w,
                                           int64_t channels, int64_t inCount, int64_t outCount, int64_t kernel,
                                           int64_t stride, int64_t pad) {
    if (kernel == 3 && stride == 2 && pad == 1 && outCount == 2 * inCount && inCount % 8 == 0) {
        conv_transpose3_stride2(out, in, w, channels, inCount);
        return;
    }
    for (int64_t c = 0; c < channels; c++) {
        const float *restrict src = in + c * inCount;
        const float *restrict wc = w + c * kernel;
        float *restrict row = out + c * outCount;
        for (int64_t q = 0; q < outCount; q++) row[q] = 0.0f;
        for (int64_t df = 0; df < kernel; df++) {
            // p·stride + df − pad in 0 ..< outCount.
            const int64_t offset = df - pad;
            int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
            int64_t hi = (outCount - 1 - offset) < 0 ? 0 : (outCount - 1 - offset) / stride + 1;
            if (hi > inCount) hi = inCount;
            const float wv = wc[df];
            for (int64_t p = lo; p < hi; p++) row[p * stride + offset] = row[p * stride + offset] + wv * src[p];
        }
    }
}

SCRIM_SCALAR
void scrim_neural_conv_transpose_depthwise_reference(float *out, const float *in, const float *w, int64_t channels,
                                                     int64_t inCount, int64_t outCount, int64_t kernel,
                                                     int64_t stride, int64_t pad) {
    // Scatter form, the definition of a transposed convolution (each input bin p adds w[df]·in[p] to output bin
    // p·stride + df − pad), with the adds reordered per output by df, as the gather form takes them.
#pragma clang loop vectorize(disable)
    for (int64_t c = 0; c < channels; c++) {
        for (int64_t q = 0; q < outCount; q++) out[c * outCount + q] = 0.0f;
        for (int64_t df = 0; df < kernel; df++) {
            for (int64_t p = 0; p < inCount; p++) {
                const int64_t q = p * stride + df - pad;
                if (q < 0 || q >= outCount) continue;
                out[c * outCount + q] = out[c * outCount + q] + w[c * kernel + df] * in[c * inCount + p];
            }
        }
    }
}

SCRIM_INLINE void gru_gates(float *restrict h, const float *restrict gx, const float *restrict gh, int64_t H) {
    for (int64_t j = 0; j < H; j++) {
        const float z = neural_sigmoid(gx[j] + gh[j]);
        const float r = neural_sigmoid(gx[H + j] + gh[H + j]);
        const float n = neural_tanh(gx[2 * H + j] + r * gh[2 * H + j]);
        h[j] = (1.0f - z) * n + z * h[j];
    }
}

SCRIM_CLONES
void scrim_neural_gru_step(float *restrict h, const float *restrict x, const float *restrict wT,
                           const float *restrict rT, const float *restrict bias, float *restrict scratch,
                           int64_t inputCount, int64_t hiddenCount) {
    const int64_t H3 = 3 * hiddenCount;
    matvec_body(scratch, x, wT, bias, inputCount, H3);
    matvec_body(scratch + H3, h, rT, bias + H3, hiddenCount, H3);
    gru_gates(h, scratch, scratch + H3, hiddenCount);
}

SCRIM_SCALAR
void scrim_neural_gru_step_reference(float *h, const float *x, const float *wT, const float *rT, const float *bias,
                                     float *scratch, int64_t inputCount, int64_t hiddenCount) {
    const int64_t H = hiddenCount, H3 = 3 * hiddenCount;
    scrim_neural_matvec_reference(scratch, x, wT, bias, inputCount, H3);
    scrim_neural_matvec_reference(scratch + H3, h, rT, bias + H3, hiddenCount, H3);
    const float *gx = scratch, *gh = scratch + H3;
#pragma clang loop vectorize(disable)
    for (int64_t j = 0; j < H; j++) {
        const float z = neural_sigmoid(gx[j] + gh[j]);
        const float r = neural_sigmoid(gx[H + j] + gh[H + j]);
        const float n = neural_tanh(gx[2 * H + j] + r * gh[2 * H + j]);
        h[j] = (1.0f - z) * n + z * h[j];
    }
}

void scrim_neural_pack_panels(float *restrict dst, const float *restrict src, int64_t rows, int64_t columns) {
    for (int64_t p0 = 0; p0 < columns; p0 += SCRIM_NEURAL_PANEL) {
        const int64_t width = columns - p0 < SCRIM_NEURAL_PANEL ? columns - p0 : SCRIM_NEURAL_PANEL;
        float *restrict panel = dst + p0 * rows;
        for (int64_t i = 0; i < rows; i++) {
            for (int64_t j = 0; j < width; j++) panel[i * width + j] = src[i * columns + p0 + j];
        }
    }
}

// Each panel's product is scrim_neural_matvec's loop over that panel's columns: the same terms in the same order
// per output, read from one contiguous block instead of rows 3H floats apart.
SCRIM_CLONES
void scrim_neural_gru_sequence(float *restrict h, float *restrict out, int64_t outStride, const float *restrict gx,
                               int64_t gxStride, const float *restrict rPacked, const float *restrict recurrentBias,
                               float *restrict scratch, int64_t frames, int64_t hiddenCount) {
    const int64_t H = hiddenCount, H3 = 3 * hiddenCount;
    for (int64_t t = 0; t < frames; t++) {
        for (int64_t p0 = 0; p0 < H3; p0 += SCRIM_NEURAL_PANEL) {
            const int64_t width = H3 - p0 < SCRIM_NEURAL_PANEL ? H3 - p0 : SCRIM_NEURAL_PANEL;
            linear_frames_body(scratch + p0, 0, h, 0, rPacked + p0 * H, recurrentBias + p0, 1, H, width);
        }
        gru_gates(h, gx + t * gxStride, scratch, H);
        for (int64_t j = 0; j < H; j++) out[t * outStride + j] = h[j];
    }
}

SCRIM_SCALAR
void scrim_neural_gru_sequence_reference(float *h, float *out, int64_t outStride, const float *gx, int64_t gxStride,
                                         const float *rPacked, const float *recurrentBias, float *scratch,
                                         int64_t frames, int64_t hiddenCount) {
    const int64_t H = hiddenCount, H3 = 3 * hiddenCount;
    for (int64_t t = 0; t < frames; t++) {
        // gh = Rb + h·Rᵀ, column j of Rᵀ read from its panel.
#pragma clang loop vectorize(disable)
        for (int64_t j = 0; j < H3; j++) {
            const int64_t p0 = j / SCRIM_NEURAL_PANEL * SCRIM_NEURAL_PANEL;
            const int64_t width = H3 - p0 < SCRIM_NEURAL_PANEL ? H3 - p0 : SCRIM_NEURAL_PANEL;
            float sum = recurrentBias[j];
            for (int64_t i = 0; i < H; i++) sum = sum + h[i] * rPacked[p0 * H + i * width + (j - p0)];
            scratch[j] = sum;
        }
        const float *g = gx + t * gxStride;
#pragma clang loop vectorize(disable)
        for (int64_t j = 0; j < H; j++) {
            const float z = neural_sigmoid(g[j] + scratch[j]);
            const float r = neural_sigmoid(g[H + j] + scratch[H + j]);
            const float n = neural_tanh(g[2 * H + j] + r * scratch[2 * H + j]);
            h[j] = (1.0f - z) * n + z * h[j];
        }
        for (int64_t j = 0; j < H; j++) out[t * outStride + j] = h[j];
    }
}

SCRIM_CLONES
void scrim_neural_relu(float *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) x[i] = x[i] < 0.0f ? 0.0f : x[i];
}

SCRIM_CLONES
void scrim_neural_sigmoid(float *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) x[i] = neural_sigmoid(x[i]);
}

SCRIM_CLONES
void scrim_neural_tanh(float *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) x[i] = neural_tanh(x[i]);
}

SCRIM_CLONES
void scrim_neural_add(float *y, const float *a, const float *b, int64_t count) {
    for (int64_t i = 0; i < count; i++) y[i] = a[i] + b[i];
}

SCRIM_CLONES
void scrim_neural_exp(float *restrict y, const float *restrict x, int64_t count) {
    for (int64_t i = 0; i < count; i++) y[i] = neural_exp(x[i]);
}
