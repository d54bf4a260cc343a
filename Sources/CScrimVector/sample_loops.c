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
