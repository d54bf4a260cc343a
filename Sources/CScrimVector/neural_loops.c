// Kernels of ScrimNeural's DeepFilterNet3 layers; see include/scrim_neural.h for the contract (the same results on
// every CPU: each sum in one written order, the lanes across independent outputs).
#include "scrim_neural.h"

#include "loops.h"

// The reference loops are plain scalar code: no clones, no vectorisation, so they are the definition the fast
// loops are compared against.
#define SCRIM_SCALAR __attribute__((noinline))

// e^x: x = k·ln2 + r with k = round(x·log₂e) (the 1.5·2²³ rounding trick) and r from Cody & Waite's two-part
// ln 2 (W. J. Cody, W. Waite, Software Manual for the Elementary Functions, 1980, ch. 6: ln2_hi has 16 significant
// bits so k·ln2_hi is exact), |r| ≤ ½ln 2; e^r by its Taylor series to r⁷ (remainder r⁸/8! < 1.3·10⁻⁸ there), in
// Horner form; 2^k put into the exponent bits. x is clamped to [−87, 88] so 2^k stays a normal number.
static inline float neural_exp(float x) {
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

static inline float neural_sigmoid(float x) { return 1.0f / (1.0f + neural_exp(-x)); }

static inline float neural_tanh(float x) {
    float a = x < 0.0f ? -x : x;
    float t = 1.0f - 2.0f / (neural_exp(2.0f * a) + 1.0f);
    return x < 0.0f ? -t : t;
}

// The blocked vector × matrix product: 32 outputs at a time kept in registers (two AVX-512, four AVX2 or eight
// SSE registers), each summed over i in order, so any lane count gives the reference's bits.
enum { MATVEC_BLOCK = 32 };

static inline void matvec_body(float *restrict y, const float *restrict x, const float *restrict w,
                               const float *restrict bias, int64_t k, int64_t n) {
    int64_t j0 = 0;
    for (; j0 + MATVEC_BLOCK <= n; j0 += MATVEC_BLOCK) {
        float acc[MATVEC_BLOCK];
        for (int64_t j = 0; j < MATVEC_BLOCK; j++) acc[j] = bias ? bias[j0 + j] : 0.0f;
        for (int64_t i = 0; i < k; i++) {
            const float xi = x[i];
            const float *row = w + i * n + j0;
            for (int64_t j = 0; j < MATVEC_BLOCK; j++) acc[j] = acc[j] + xi * row[j];
        }
        for (int64_t j = 0; j < MATVEC_BLOCK; j++) y[j0 + j] = acc[j];
    }
    if (j0 < n) {
        for (int64_t j = j0; j < n; j++) y[j] = bias ? bias[j] : 0.0f;
        for (int64_t i = 0; i < k; i++) {
            const float xi = x[i];
            const float *row = w + i * n;
            for (int64_t j = j0; j < n; j++) y[j] = y[j] + xi * row[j];
        }
    }
}

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

SCRIM_CLONES
void scrim_neural_matmul(float *restrict out, const float *restrict w, const float *restrict in,
                         const float *restrict bias, int64_t m, int64_t k, int64_t n) {
    for (int64_t o = 0; o < m; o++) {
        float *restrict row = out + o * n;
        const float b = bias ? bias[o] : 0.0f;
        for (int64_t f = 0; f < n; f++) row[f] = b;
        for (int64_t i = 0; i < k; i++) {
            const float wi = w[o * k + i];
            const float *restrict src = in + i * n;
            for (int64_t f = 0; f < n; f++) row[f] = row[f] + wi * src[f];
        }
    }
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

int64_t scrim_neural_conv2d_output_count(const scrim_conv2d_shape *shape) {
    return (shape->frequencyCount + 2 * shape->padFrequency - shape->kernelFrequency) / shape->strideFrequency + 1;
}

// For each weight, the outputs q whose input bin q·stride + df − pad lies in 0…F−1 form one range [lo, hi); the
// loop over that range is the vectorised one (each q's sum still takes its terms in the order c, dt, df).
SCRIM_CLONES
void scrim_neural_conv2d(float *restrict out, const float *restrict in, const float *restrict w,
                         const float *restrict bias, const scrim_conv2d_shape *shape) {
    const int64_t cin = shape->inChannels, cout = shape->outChannels, groups = shape->groups;
    const int64_t F = shape->frequencyCount, kt = shape->kernelTime, kf = shape->kernelFrequency;
    const int64_t stride = shape->strideFrequency, pad = shape->padFrequency;
    const int64_t q_count = (F + 2 * pad - kf) / stride + 1;
    const int64_t in_per_group = cin / groups, out_per_group = cout / groups;
    for (int64_t o = 0; o < cout; o++) {
        float *restrict row = out + o * q_count;
        const float b = bias ? bias[o] : 0.0f;
        for (int64_t q = 0; q < q_count; q++) row[q] = b;
        const int64_t g = o / out_per_group;
        for (int64_t c = 0; c < in_per_group; c++) {
            for (int64_t dt = 0; dt < kt; dt++) {
                const float *restrict plane = in + (dt * cin + g * in_per_group + c) * F;
                for (int64_t df = 0; df < kf; df++) {
                    const float wv = w[((o * in_per_group + c) * kt + dt) * kf + df];
                    // q·stride + df − pad ≥ 0 and ≤ F − 1.
                    const int64_t offset = df - pad;
                    int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
                    int64_t hi = (F - 1 - offset) < 0 ? 0 : (F - 1 - offset) / stride + 1;
                    if (hi > q_count) hi = q_count;
                    if (stride == 1) {
                        for (int64_t q = lo; q < hi; q++) row[q] = row[q] + wv * plane[q + offset];
                    } else {
                        for (int64_t q = lo; q < hi; q++) row[q] = row[q] + wv * plane[q * stride + offset];
                    }
                }
            }
        }
    }
}

SCRIM_SCALAR
void scrim_neural_conv2d_reference(float *out, const float *in, const float *w, const float *bias,
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
                                        * in[(dt * cin + g * in_per_group + c) * F + p];
                    }
                }
            }
            out[o * q_count + q] = sum;
        }
    }
}

// Gather form: each output bin sums its (at most kF) contributions in the order df = 0…kF−1.
SCRIM_CLONES
void scrim_neural_conv_transpose_depthwise(float *restrict out, const float *restrict in, const float *restrict w,
                                           int64_t channels, int64_t inCount, int64_t outCount, int64_t kernel,
                                           int64_t stride, int64_t pad) {
    for (int64_t c = 0; c < channels; c++) {
        const float *restrict src = in + c * inCount;
        const float *restrict wc = w + c * kernel;
        float *restrict row = out + c * outCount;
        for (int64_t q = 0; q < outCount; q++) {
            float sum = 0.0f;
            for (int64_t df = 0; df < kernel; df++) {
                const int64_t t = q + pad - df;
                if (t < 0 || t % stride != 0 || t / stride >= inCount) continue;
                sum = sum + wc[df] * src[t / stride];
            }
            row[q] = sum;
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

static inline void gru_gates(float *restrict h, const float *restrict gx, const float *restrict gh, int64_t H) {
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
