// Sample conversion loops of ScrimFiles; see include/scrim_vector.h for the contract.
#include "scrim_vector.h"

#include "loops.h"

// SampleEncoder.encodeIntegers: x·scale rounded to nearest-even by adding and subtracting 1.5·2⁵² (the sum's
// low bits then hold the integer), clipped to [lowest, highest], NaN to 0; clipped and NaN samples counted.
SCRIM_CLONES
void scrim_vector_quantize(const float *restrict source, int32_t *restrict integers, int64_t count, double scale,
                           double minimum, double maximum, int32_t lowest, int32_t highest,
                           int64_t *restrict clipped, int64_t *restrict nonFinite) {
    const double magic = 6755399441055744.0;
    int64_t clippedCount = 0, nanCount = 0;
    for (int64_t k = 0; k < count; k++) {
        double shifted = (double)source[k] * scale + magic;
        double value = shifted - magic;
        int isNaN = value != value;
        int isHigh = value > maximum, isLow = value < minimum;
        nanCount += isNaN;
        clippedCount += isHigh | isLow;
        int32_t rounded = (int32_t)(uint32_t)bits_of_double(shifted);
        integers[k] = isNaN ? 0 : (isHigh ? highest : (isLow ? lowest : rounded));
    }
    *clipped += clippedCount;
    *nonFinite += nanCount;
}

// Little-endian signed integers to Float, scaled by 2^−(bits−1): exactly libsndfile's normalised read
// (sf_readf_float with SFC_SET_NORM_FLOAT), since the scale is a power of two and 16- and 24-bit integers are
// exact in Float (32-bit ones are rounded once either way).
SCRIM_CLONES
void scrim_vector_decode_pcm16(const uint8_t *restrict source, float *restrict samples, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        int16_t v = (int16_t)((uint16_t)source[2 * i] | (uint16_t)source[2 * i + 1] << 8);
        samples[i] = (float)v * (1.0f / 32768.0f);
    }
}

SCRIM_CLONES
void scrim_vector_decode_pcm24(const uint8_t *restrict source, float *restrict samples, int64_t count) {
    // Four bytes from each sample's start, shifted up by one byte: the fourth byte (the next sample's) falls off
    // the top. Three times as fast as assembling three bytes; the last sample, whose fourth byte may lie past the
    // buffer, is assembled byte by byte.
    int64_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 1 < count; i++) {
        uint32_t u;
        memcpy(&u, source + 3 * i, sizeof u);
        samples[i] = (float)(int32_t)(u << 8) * (1.0f / 2147483648.0f);
    }
#endif
    for (; i < count; i++) {
        uint32_t u = (uint32_t)source[3 * i] << 8 | (uint32_t)source[3 * i + 1] << 16
                     | (uint32_t)source[3 * i + 2] << 24;
        samples[i] = (float)(int32_t)u * (1.0f / 2147483648.0f);
    }
}

SCRIM_CLONES
void scrim_vector_decode_pcm32(const uint8_t *restrict source, float *restrict samples, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        uint32_t u = (uint32_t)source[4 * i] | (uint32_t)source[4 * i + 1] << 8 | (uint32_t)source[4 * i + 2] << 16
                     | (uint32_t)source[4 * i + 3] << 24;
        samples[i] = (float)(int32_t)u * (1.0f / 2147483648.0f);
    }
}
