// Per-bin loops of the noise reducer; see include/scrim_vector.h for the contract (the same results on every CPU).
#include "scrim_vector.h"

#include "loops.h"

// DenoiseMath.fastLog2 (ScrimCleanup): exponent bits plus a degree-5 polynomial in the mantissa − 1.
static inline float fast_log2(float x) {
    uint32_t b = bits_of(x);
    float exponent = (float)((int32_t)(b >> 23) - 127);
    float t = float_of((b & 0x007FFFFFu) | 0x3F800000u) - 1.0f;
    float p = 0.04588553f;
    float q = ((((p * t - 0.19442267f) * t + 0.41542195f) * t - 0.7086821f) * t + 1.4418258f) * t;
    return exponent + q;
}

// DenoiseMath.fastExp2: round to the nearest integer by the 1.5·2²³ trick, a degree-5 polynomial for 2^f.
static inline float fast_exp2(float x) {
    const float magic = 12582912.0f;
    float clamped = SWIFT_MIN(SWIFT_MAX(x, -126.0f), 126.0f);
    float shifted = clamped + magic;
    float whole = shifted - magic;
    float f = clamped - whole;
    uint32_t n = bits_of(shifted) - bits_of(magic);
    float p = 0.00133953f * f + 0.00966725f;
    p = ((((p * f) + 0.05550341f) * f + 0.24022309f) * f + 0.6931472f) * f + 1.0f;
    return float_of(bits_of(p) + (n << 23));
}

SCRIM_CLONES
void scrim_vector_sanitize(float *restrict x, int64_t count, float limit, int64_t *restrict nonFinite,
                           int64_t *restrict clamped) {
    int64_t bad = 0, over = 0;
    for (int64_t i = 0; i < count; i++) {
        float v = x[i];
        int finite = (bits_of(v) & 0x7F800000u) != 0x7F800000u;
        float a = finite ? v : 0.0f;
        bad += !finite;
        over += (a > limit) | (a < -limit);
        x[i] = SWIFT_MIN(SWIFT_MAX(a, -limit), limit);
    }
    *nonFinite += bad;
    *clamped += over;
}

SCRIM_CLONES
void scrim_vector_power(float *restrict power, const float *restrict re, const float *restrict im, int64_t count,
                        int32_t accumulate) {
    if (accumulate) {
        for (int64_t k = 0; k < count; k++) power[k] += re[k] * re[k] + im[k] * im[k];
    } else {
        for (int64_t k = 0; k < count; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    }
}

SCRIM_CLONES
void scrim_vector_scale(float *restrict x, float scale, int64_t count) {
    for (int64_t k = 0; k < count; k++) x[k] *= scale;
}

SCRIM_CLONES
void scrim_vector_apply_gain(float *restrict re, float *restrict im, const float *restrict gain, int64_t count) {
    for (int64_t k = 0; k < count; k++) {
        re[k] *= gain[k];
        im[k] *= gain[k];
    }
}

SCRIM_CLONES
void scrim_vector_apply_residual(float *restrict re, float *restrict im, const float *restrict gain,
                                 int64_t count) {
    for (int64_t k = 0; k < count; k++) {
        float g = 1.0f - gain[k];
        re[k] *= g;
        im[k] *= g;
    }
}

// NoiseReductionKernel.process, step 1: the bins' power pooled into bands.
SCRIM_CLONES
void scrim_vector_pool_bands(float *restrict bands, const float *restrict bins, const scrim_band_layout *layout) {
    const int64_t singles = layout->singlesEnd, pairs = layout->pairsEnd, quads = layout->quadsEnd;
    const int64_t count = layout->binCount;
    for (int64_t k = 0; k < singles; k++) bands[k] = bins[k];
    float *pairBands = bands + singles;
    const float *pairBins = bins + singles;
    const int64_t pairCount = (pairs - singles) / 2;
    for (int64_t j = 0; j < pairCount; j++) pairBands[j] = 0.5f * (pairBins[2 * j] + pairBins[2 * j + 1]);
    float *quadBands = pairBands + pairCount;
    const float *quadBins = bins + pairs;
    const int64_t quadCount = (quads - pairs) / 4;
    for (int64_t j = 0; j < quadCount; j++) {
        const float *x = quadBins + 4 * j;
        quadBands[j] = 0.25f * ((x[0] + x[1]) + (x[2] + x[3]));
    }
    float *tail = quadBands + quadCount;
    for (int64_t k = quads; k < count; k++) tail[k - quads] = bins[k];
}

// NoiseReductionKernel.process, step 5: each band's gain over its bins.
SCRIM_CLONES
void scrim_vector_expand_bands(float *restrict bins, const float *restrict bands, const scrim_band_layout *layout) {
    const int64_t singles = layout->singlesEnd, pairs = layout->pairsEnd, quads = layout->quadsEnd;
    const int64_t count = layout->binCount;
    for (int64_t k = 0; k < singles; k++) bins[k] = bands[k];
    const float *pairBands = bands + singles;
    float *pairBins = bins + singles;
    const int64_t pairCount = (pairs - singles) / 2;
    for (int64_t j = 0; j < pairCount; j++) {
        pairBins[2 * j] = pairBands[j];
        pairBins[2 * j + 1] = pairBands[j];
    }
    const float *quadBands = pairBands + pairCount;
    float *quadBins = bins + pairs;
    const int64_t quadCount = (quads - pairs) / 4;
    for (int64_t j = 0; j < quadCount; j++) {
        for (int i = 0; i < 4; i++) quadBins[4 * j + i] = quadBands[j];
    }
    const float *tail = quadBands + quadCount;
    for (int64_t k = quads; k < count; k++) bins[k] = tail[k - quads];
}

// NoiseReductionKernel.process, step 4 at high SNR: a (¼, ½, ¼) smoother across frequency, mixed in by `strength`.
SCRIM_CLONES
void scrim_vector_smooth_gains(float *restrict gain, float *restrict scratch, int64_t count, float strength) {
    if (count < 3 || !(strength > 0.0f)) return;
    scratch[0] = gain[0];
    scratch[count - 1] = gain[count - 1];
    for (int64_t k = 1; k < count - 1; k++) scratch[k] = 0.25f * gain[k - 1] + 0.5f * gain[k] + 0.25f * gain[k + 1];
    const float keep = 1.0f - strength;
    for (int64_t k = 0; k < count; k++) gain[k] = keep * gain[k] + strength * scratch[k];
}

// NoiseReductionKernel.track: P(H1|y), its smoothed value against stagnation, E|N|², recursive average.
SCRIM_CLONES
void scrim_vector_track(float *restrict lambda, float *restrict presence, const float *restrict power,
                        int64_t count, const scrim_tracker_params *params) {
    const float scale = params->scale, exponentScale = params->exponentScale, priorRatio = params->priorRatio;
    const float alpha = params->alpha, beta = params->beta;
    const float presenceA = params->presenceAlpha, presenceB = params->presenceBeta;
    const float threshold = params->threshold, limit = params->posteriorLimit, floor = params->floor;
    for (int64_t k = 0; k < count; k++) {
        float y = power[k] * scale;
        float previous = lambda[k];
        float gamma = SWIFT_MIN(y / previous, limit);
        float speech = 1.0f / (1.0f + priorRatio * fast_exp2(gamma * exponentScale));
        float meanPresence = presenceA * presence[k] + presenceB * speech;
        presence[k] = meanPresence;
        speech = meanPresence > threshold ? SWIFT_MIN(speech, threshold) : speech;
        float expected = (1.0f - speech) * y + speech * previous;
        lambda[k] = SWIFT_MAX(alpha * previous + beta * expected, floor);
    }
}

// NoiseReductionKernel.trackMinimum: smoothed power, running sub-window minimum, and the bound on λ.
SCRIM_CLONES
void scrim_vector_track_minimum(float *restrict lambda, float *restrict smoothed, float *restrict current,
                                const float *restrict window, const float *restrict power, int64_t count,
                                const scrim_minimum_params *params) {
    const float scale = params->scale, a = params->a, b = params->b, bound = params->bound;
    if (params->startup) {
        const float floor = params->floor;
        if (params->filled) {
            for (int64_t k = 0; k < count; k++) {
                float value = a * smoothed[k] + b * power[k] * scale;
                smoothed[k] = value;
                float running = SWIFT_MIN(current[k], value);
                current[k] = running;
                float lowest = SWIFT_MIN(window[k], running);
                lambda[k] = SWIFT_MAX(SWIFT_MIN(lambda[k], bound * lowest), floor);
            }
        } else {
            for (int64_t k = 0; k < count; k++) {
                float value = a * smoothed[k] + b * power[k] * scale;
                smoothed[k] = value;
                float running = SWIFT_MIN(current[k], value);
                current[k] = running;
                lambda[k] = SWIFT_MAX(SWIFT_MIN(lambda[k], bound * running), floor);
            }
        }
        return;
    }
    for (int64_t k = 0; k < count; k++) {
        float value = a * smoothed[k] + b * power[k] * scale;
        smoothed[k] = value;
        current[k] = SWIFT_MIN(current[k], value);
        float minimum = window[k];
        lambda[k] = minimum > bound * lambda[k] ? minimum : lambda[k];
    }
}

SCRIM_CLONES
float scrim_vector_floors(const float *restrict mean, const float *restrict weight, float *restrict log2Floor,
                          float *restrict linear, int64_t count, float target, float lower, float log2UserFloor,
                          float meanFloor, float clip) {
    // Sixteen partial sums (a vector's worth; one running sum was a chain of dependent adds, slower than the
    // rest of the function), added pairwise at the end.
    float lanes[16] = {0};
    int64_t k0 = 0;
    for (; k0 + 16 <= count; k0 += 16) {
        for (int lane = 0; lane < 16; lane++) lanes[lane] += weight[k0 + lane] * SWIFT_MIN(mean[k0 + lane], clip);
    }
    for (int width = 8; width >= 1; width /= 2) {
        for (int lane = 0; lane < width; lane++) lanes[lane] += lanes[lane + width];
    }
    float total = lanes[0];
    for (; k0 < count; k0++) total += weight[k0] * SWIFT_MIN(mean[k0], clip);
    for (int64_t k = 0; k < count; k++) {
        float limitLog2 = SWIFT_MAX(target - fast_log2(SWIFT_MAX(mean[k], meanFloor)), lower);
        float floorLog2 = SWIFT_MAX(-0.5f * limitLog2, log2UserFloor);
        log2Floor[k] = floorLog2;
        linear[k] = fast_exp2(floorLog2);
    }
    return total;
}

SCRIM_CLONES
void scrim_vector_statistics(const float *restrict lambda, const float *restrict power, const float *restrict gain,
                             const float *restrict weight, int64_t count, float sums[16]) {
    // Sixteen lanes (a vector's worth), band k in lane k mod 16, folded to four at the end: lane i + 4j into i.
    float before[16] = {0}, after[16] = {0}, input[16] = {0}, kept[16] = {0};
    int64_t k0 = 0;
    // Lane `lane` takes band k: Σwλ, Σwλg², ΣwP, ΣwPg².
#define SCRIM_STATISTICS_TERM(lane, k)                                                 \
    do {                                                                               \
        float w = weight[k];                                                           \
        float l = w * lambda[k], q = w * power[k], g = gain[k];                        \
        float g2 = g * g;                                                              \
        before[lane] += l;                                                             \
        after[lane] += l * g2;                                                         \
        input[lane] += q;                                                              \
        kept[lane] += q * g2;                                                          \
    } while (0)
    for (; k0 + 16 <= count; k0 += 16) {
        for (int lane = 0; lane < 16; lane++) SCRIM_STATISTICS_TERM(lane, k0 + lane);
    }
    for (int lane = 0; k0 + lane < count; lane++) SCRIM_STATISTICS_TERM(lane, k0 + lane);
#undef SCRIM_STATISTICS_TERM
    for (int lane = 0; lane < 4; lane++) {
        sums[lane] = (before[lane] + before[lane + 4]) + (before[lane + 8] + before[lane + 12]);
        sums[4 + lane] = (after[lane] + after[lane + 4]) + (after[lane + 8] + after[lane + 12]);
        sums[8 + lane] = (input[lane] + input[lane + 4]) + (input[lane + 8] + input[lane + 12]);
        sums[12 + lane] = (kept[lane] + kept[lane + 4]) + (kept[lane + 8] + kept[lane + 12]);
    }
}

// LogSpectralAmplitudeTable.halfE1Log2: clamp, segment index from the IEEE bits, linear interpolation.
static inline float lsa_lookup(float v, const scrim_gain_params *params) {
    float clamped = SWIFT_MIN(SWIFT_MAX(v, params->tableLowest), params->tableHighest);
    uint32_t offset = bits_of(clamped) - params->tableLowestBits;
    uint32_t shift = params->tableShift;
    int32_t index = (int32_t)(offset >> shift);
    float fraction = (float)(int32_t)(offset & ((1u << shift) - 1u)) * (1.0f / (float)(1u << shift));
    float lower = params->table[index];
    float upper = params->table[index + 1];
    return lower + (upper - lower) * fraction;
}

SCRIM_CLONES
void scrim_vector_lsa_lookup(const float *v, float *result, int64_t count, const scrim_gain_params *params) {
    for (int64_t k = 0; k < count; k++) result[k] = lsa_lookup(v[k], params);
}

// NoiseReductionKernel.computeGains: decision-directed ξ, MMSE-LSA G_H1, speech presence, OM-LSA mix.
SCRIM_CLONES
void scrim_vector_gains(const float *restrict power, const float *restrict lambda, float *restrict previous,
                        float *restrict longSNR, const float *restrict log2Floors,
                        const float *restrict linearFloors, float *restrict work, float *restrict ratio,
                        float *restrict gain, float *restrict applied, int64_t count,
                        const scrim_gain_params *params) {
    const float alpha = params->alpha, beta = params->beta, xiMin = params->xiMin, gammaMax = params->gammaMax;
    // Pass 1: ξ, ξ/(1+ξ), v = γξ/(1+ξ); 1+ξ parked in `applied`.
    for (int64_t k = 0; k < count; k++) {
        float inverse = 1.0f / lambda[k];
        float gamma = SWIFT_MIN(power[k] * inverse, gammaMax);
        float fresh = SWIFT_MAX(gamma - 1.0f, 0.0f);
        float dd = alpha * SWIFT_MIN(previous[k] * inverse, gammaMax) + beta * fresh;
        float xi = SWIFT_MAX(dd, xiMin);
        float onePlusXi = 1.0f + xi;
        float rk = xi / onePlusXi;
        ratio[k] = rk;
        work[k] = rk * gamma;
        applied[k] = onePlusXi;
    }
    // Pass 2: ½E₁(v)·log₂e from the table.
    for (int64_t k = 0; k < count; k++) gain[k] = lsa_lookup(work[k], params);
    // Pass 3: speech presence, OM-LSA gain in the log domain, decision-directed memory, floors.
    const float priorRatio = params->priorRatio, log2e = params->log2e;
    const float la = params->longAlpha, lb = params->longBeta;
    for (int64_t k = 0; k < count; k++) {
        float log2H1 = SWIFT_MIN(fast_log2(ratio[k]) + gain[k], 0.0f);
        float absence = priorRatio * applied[k] * fast_exp2(-work[k] * log2e);
        float presenceProbability = 1.0f / (1.0f + absence);
        longSNR[k] = la * longSNR[k] + lb * (applied[k] - 1.0f);
        float log2Gain = presenceProbability * log2H1 + (1.0f - presenceProbability) * log2Floors[k];
        float gk = fast_exp2(log2Gain);
        previous[k] = gk * gk * power[k];
        applied[k] = SWIFT_MAX(gk, linearFloors[k]);
    }
}
