// Scrim's hottest loops (the noise reducer's per-band steps, the real FFT's twiddle passes, the STFT's windowing
// and overlap-add, the sample encoder), compiled once per x86-64 level and picked at load time.
//
// Swift has no per-function target attribute, so its loops are built for the x86-64 baseline (SSE2, four
// lanes). These loops are written in C so the compiler can clone them for AVX2 and AVX-512 machines
// (`target_clones`, resolved once when the library loads, through the dynamic linker's IFUNC mechanism) and
// run eight or sixteen lanes there; other architectures get one plain build.
//
// Each loop's result does not depend on which clone runs: no contraction into fused multiply-adds, no
// reassociation (sums are split into a fixed number of partial sums written out in the source). Where a loop
// replaced Swift code it performs the same operations in the same order, so the noise reducer's output did not
// change by a bit when its loops moved here. (FFTW picks its own codelets per CPU, so a whole transform may still
// differ in the last bits between machines.) The Swift callers (ScrimCleanup's NoiseReductionKernel,
// ScrimSpectral's RealFFT and STFTEngine, ScrimFiles' SampleEncoder) document the mathematics and the sources;
// the comments here name the step each loop implements.
//
// All pointers must be valid for `count` floats and must not alias unless stated. Nothing here allocates.

#ifndef SCRIM_VECTOR_H
#define SCRIM_VECTOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The noise reducer's input hygiene, in place: NaN and ±Inf become 0 (added to *nonFinite), finite samples
/// beyond ±limit become ±limit (added to *clamped).
void scrim_vector_sanitize(float *x, int64_t count, float limit, int64_t *nonFinite, int64_t *clamped);

/// power[k] = re[k]² + im[k]² (`accumulate` = 0), or power[k] += re[k]² + im[k]² (`accumulate` ≠ 0).
void scrim_vector_power(float *power, const float *re, const float *im, int64_t count, int32_t accumulate);

/// x[k] *= scale.
void scrim_vector_scale(float *x, float scale, int64_t count);

/// re[k] *= gain[k] and im[k] *= gain[k].
void scrim_vector_apply_gain(float *re, float *im, const float *gain, int64_t count);

/// re[k] *= 1 − gain[k] and im[k] *= 1 − gain[k] (the residual: what the gain removed).
void scrim_vector_apply_residual(float *re, float *im, const float *gain, int64_t count);

/// How the noise reducer groups bins into bands (NoiseReductionKernel.bandLayout): bins [0, singlesEnd) one per
/// band, [singlesEnd, pairsEnd) two per band, [pairsEnd, quadsEnd) four per band, [quadsEnd, binCount) one per
/// band again. 0 ≤ singlesEnd ≤ pairsEnd ≤ quadsEnd ≤ binCount; pairsEnd − singlesEnd must be even and
/// quadsEnd − pairsEnd a multiple of 4. The band rows hold singlesEnd + (pairsEnd − singlesEnd)/2 +
/// (quadsEnd − pairsEnd)/4 + (binCount − quadsEnd) floats, the bin rows binCount.
typedef struct {
    int64_t singlesEnd;
    int64_t pairsEnd;
    int64_t quadsEnd;
    int64_t binCount;
} scrim_band_layout;

/// bands[b] = the mean of the bins in band b (pairs as ½·(x₀ + x₁), quads as ¼·((x₀ + x₁) + (x₂ + x₃))).
void scrim_vector_pool_bands(float *bands, const float *bins, const scrim_band_layout *layout);

/// bins[k] = bands[the band holding bin k] (each band's value repeated over its bins).
void scrim_vector_expand_bands(float *bins, const float *bands, const scrim_band_layout *layout);

/// Smooths gains across frequency: t[k] = ¼·gain[k−1] + ½·gain[k] + ¼·gain[k+1] (t = gain at the two edges), then
/// gain[k] = (1 − strength)·gain[k] + strength·t[k]. `scratch` holds `count` floats. Nothing changes for
/// strength ≤ 0 or count < 3.
void scrim_vector_smooth_gains(float *gain, float *scratch, int64_t count, float strength);

/// Constants of the speech-presence-weighted noise tracker (Gerkmann & Hendriks 2012), per hop.
typedef struct {
    float scale;            ///< lifts a partial first frame's power to a full frame's (1 otherwise)
    float exponentScale;    ///< −log₂e · ξ_H1 / (1 + ξ_H1)
    float priorRatio;       ///< 1 + ξ_H1
    float alpha;            ///< noise smoothing α; beta = 1 − α
    float beta;
    float presenceAlpha;    ///< presence smoothing; presenceBeta = 1 − presenceAlpha
    float presenceBeta;
    float threshold;        ///< stagnation threshold
    float posteriorLimit;   ///< largest a posteriori SNR used
    float floor;            ///< smallest noise power
} scrim_tracker_params;

/// One hop of the recursive noise tracker: updates `lambda` and `presence` from `power`.
void scrim_vector_track(float *lambda, float *presence, const float *power, int64_t count,
                        const scrim_tracker_params *params);

/// Constants of the minimum-statistics bound (Martin 2001), per hop.
typedef struct {
    float scale;        ///< as in scrim_tracker_params
    float a;            ///< smoothing weight of the previous smoothed power (0 on the first hop); b = 1 − a
    float b;
    float bound;        ///< start-up: the ceiling factor; afterwards: the margin
    float floor;        ///< smallest noise power (start-up only)
    int32_t startup;    ///< ≠ 0 while the minimum window has not filled
    int32_t filled;     ///< start-up only: ≠ 0 once one sub-window has ended (the window minimum is usable)
} scrim_minimum_params;

/// One hop of minimum statistics: smooths the power, keeps the running minimum, bounds `lambda` (from above
/// during start-up, from below afterwards).
void scrim_vector_track_minimum(float *lambda, float *smoothed, float *current, const float *window,
                                const float *power, int64_t count, const scrim_minimum_params *params);

/// The per-band gain floors from the long-term mean a priori SNR (NoiseReductionKernel.updateFloors):
/// limit = max(target − log₂ max(mean, meanFloor), lower) in log₂ power units; log2Floor = max(−½·limit,
/// log2UserFloor); linear = 2^log2Floor. Returns Σ weight[k]·min(mean[k], clip) (in 16 partial sums, the same
/// on every CPU; the weight is the number of bins in band k).
float scrim_vector_floors(const float *mean, const float *weight, float *log2Floor, float *linear, int64_t count,
                          float target, float lower, float log2UserFloor, float meanFloor, float clip);

/// Partial sums of the hop's statistics (NoiseReductionKernel.accumulateStatistics) over all `count` bands, each
/// weighted by w = weight[k] (its number of bins): sums[0…3] Σwλ, sums[4…7] Σwλg², sums[8…11] ΣwP, sums[12…15]
/// ΣwPg², four partial sums each (summed in sixteen lanes, band k in lane k mod 16, lanes i, i + 4, i + 8 and
/// i + 12 folded into i; the same order on every CPU).
void scrim_vector_statistics(const float *lambda, const float *power, const float *gain, const float *weight,
                             int64_t count, float sums[16]);

/// Constants of the OM-LSA gain, per hop.
typedef struct {
    float alpha;            ///< decision-directed weight; beta = 1 − α
    float beta;
    float xiMin;            ///< a priori SNR floor
    float gammaMax;         ///< largest a posteriori SNR used
    float priorRatio;       ///< q / (1 − q)
    float log2e;            ///< log₂ e
    float longAlpha;        ///< long-term ξ smoothing; longBeta = 1 − longAlpha
    float longBeta;
    const float *table;     ///< ½E₁(v)·log₂e table (LogSpectralAmplitudeTable)
    float tableLowest;      ///< smallest v in the table
    float tableHighest;     ///< largest v in the table
    uint32_t tableLowestBits;  ///< IEEE bits of tableLowest
    uint32_t tableShift;       ///< mantissa bits below the segment index (23 − segment bits)
} scrim_gain_params;

/// One hop of OM-LSA gains: reads `power`, `lambda`, `previous` (|Â|² of the last hop), the per-band floors;
/// writes `applied` (the gains), `previous`, `longSNR`; `work`, `ratio` and `gain` are scratch rows.
void scrim_vector_gains(const float *power, const float *lambda, float *previous, float *longSNR,
                        const float *log2Floors, const float *linearFloors, float *work, float *ratio,
                        float *gain, float *applied, int64_t count, const scrim_gain_params *params);

/// The LSA table lookup alone (for tests): result[k] = ½E₁(v[k])·log₂e, interpolated. `result` may be `v`.
void scrim_vector_lsa_lookup(const float *v, float *result, int64_t count, const scrim_gain_params *params);

/// SampleEncoder's integer pass: integers[k] = round-to-nearest-even(source[k]·scale) (by adding and
/// subtracting 1.5·2⁵²), clipped to [lowest, highest] where the rounded value is outside [minimum, maximum],
/// 0 for NaN; adds the number of clipped samples to *clipped and of NaN samples to *nonFinite.
void scrim_vector_quantize(const float *source, int32_t *integers, int64_t count, double scale, double minimum,
                           double maximum, int32_t lowest, int32_t highest, int64_t *clipped, int64_t *nonFinite);

/// destination[i] = a[i]·b[i] (the STFT's analysis window).
void scrim_vector_multiply(float *destination, const float *a, const float *b, int64_t count);

/// One hop of the STFT's overlap-add with the shift: accumulator[i] = accumulator[i + hop] + frame[i]·window[i]
/// for i < count − hop, frame[i]·window[i] above (`accumulator` holds `count` floats; it may not alias the
/// others).
void scrim_vector_overlap_add(float *accumulator, const float *frame, const float *window, int64_t hop,
                              int64_t count);

/// Real FFT of N = 2m points from the m-point complex FFT `z` (m interleaved pairs) of the even (real parts) and
/// odd (imaginary parts) samples: bins 0…m into `real` and `imag`. twiddleReal[k] = cos(2πk/N),
/// twiddleImag[k] = −sin(2πk/N), k = 0…m. `z` must have room for m + 1 pairs: pair m is overwritten with pair 0.
void scrim_vector_real_forward_finish(float *z, const float *twiddleReal, const float *twiddleImag,
                                      float *real, float *imag, int64_t m);

/// The inverse's first step: the m complex values `z` (interleaved) whose m-point inverse FFT is N·(x_even +
/// i·x_odd) for the real signal x with bins 0…m in `real` / `imag` (imag[0] and imag[m] ignored).
void scrim_vector_real_inverse_start(const float *real, const float *imag, const float *twiddleReal,
                                     const float *twiddleImag, float *z, int64_t m);

/// `count` little-endian signed 16-, 24- or 32-bit integers at `source` to Float, scaled by 2^−(bits−1) (as
/// libsndfile's normalised float read, bit for bit).
void scrim_vector_decode_pcm16(const uint8_t *source, float *samples, int64_t count);
void scrim_vector_decode_pcm24(const uint8_t *source, float *samples, int64_t count);
void scrim_vector_decode_pcm32(const uint8_t *source, float *samples, int64_t count);

/// The hum tracker's angle-domain resampler (ScrimCleanup's SincKernel): y[i] = Σⱼ taps[row + j]·x[base + j],
/// j = 0…2·halfWidth − 1, where base = ⌊times[i]⌋ − halfWidth + 1 and row = 2·halfWidth·p, p the fraction of
/// times[i] in 1/phases steps rounded half away from zero; taps outside x[0…n−1] are skipped. Summed eight lanes at
/// a time in a fixed order (the same bits from every clone).
void scrim_vector_sinc_reads(float *y, const double *times, int64_t count, const float *taps, int64_t phases,
                             int64_t halfWidth, const float *x, int64_t n);

/// The hum tracker's comb search grid (ScrimCleanup's CombSearch), eight grid points per block:
/// scores[8b + l] = Σₖ (vRe[k]·tableRe[(b·stride + k)·8 + l] − vIm[k]·tableIm[…]), k = 0…harmonics − 1 in order
/// (harmonics ≤ stride, the table's harmonics per block).
void scrim_vector_comb_scores(double *scores, const double *vRe, const double *vIm, const double *tableRe,
                              const double *tableIm, int64_t harmonics, int64_t stride, int64_t blocks);

/// The hum tracker's decimator: y[j] = Σᵢ taps[i]·x[j·factor − half + i] for i = 0…2·half and j = 0…count − 1,
/// samples outside x[0…n−1] taken as 0 (summed as scrim_vector_sinc_reads sums).
void scrim_vector_fir_decimate(float *y, int64_t count, const float *x, int64_t n, const float *taps, int64_t half,
                               int64_t factor);

/// cos(kδ) into c[k − 1] and sin(kδ) into s[k − 1] for k = 1…count, from cosDelta = cos δ and sinDelta = sin δ by
/// recurrence (eight side by side; relative error about count·1e-16).
void scrim_vector_phasors(double *c, double *s, int64_t count, double cosDelta, double sinDelta);

/// The hum tracker's residual weights in three steps (HumTracker.residualWeights; cells m·harmonics + k): each cell's
/// residual power |re + j·im − gain[m]·(ar[k] + j·ai[k])|²; each cell's mean over frames m − half … m + half
/// (clipped), summed in frame order; and 1 / (max(smooth, clamp·floors[k]) + floors[k] + 1e-30).
void scrim_vector_hum_residual_power(double *power, const double *re, const double *im, const double *gain,
                                     const double *ar, const double *ai, int64_t frames, int64_t harmonics);
void scrim_vector_hum_local_means(double *smooth, const double *power, int64_t frames, int64_t harmonics,
                                  int64_t half);
void scrim_vector_hum_weights(double *out, const double *smooth, const double *floors, double clamp, int64_t frames,
                              int64_t harmonics);

/// The hum tracker's amplitude sums (HumTracker.amplitudes): per harmonic k, over the frames in order,
/// nr[k] += w·g·re, ni[k] += w·g·im, den[k] += w·g·g, with w = weights[m·harmonics + k]² (1 when weights is NULL)
/// and g = gain[m]; the sums start at 0.
void scrim_vector_hum_amplitude_sums(double *nr, double *ni, double *den, const double *re, const double *im,
                                     const double *weights, const double *gain, int64_t frames, int64_t harmonics);

/// The hum tracker's bootstrap, one frame (HumTracker.rotate and .bootstrap; arrays of `harmonics`): the rotation
/// r = (re + j·im)·(c − j·s); the comb's inputs (each harmonic's weight from the scatter of |r| around mag, kept in
/// local and floor, and v = weight·r·conj(mag·u)); and, after the correction, mag following the positive projection
/// of r on u (time constant tau frames), returning the lock quality Σ w·proj / max(Σ |w·(proj, quad)|, 1e-30)
/// (summed in the order of k; scratch holds 2·harmonics doubles).
void scrim_vector_hum_rotate(double *rRe, double *rIm, const double *re, const double *im, const double *c,
                             const double *s, int64_t harmonics);
void scrim_vector_hum_bootstrap_weigh(double *vRe, double *vIm, double *weight, double *local, double *floor,
                                      const double *rRe, const double *rIm, const double *mag, const double *uRe,
                                      const double *uIm, double floorRate, int64_t harmonics);
double scrim_vector_hum_bootstrap_follow(double *mag, const double *rRe, const double *rIm, const double *uRe,
                                         const double *uIm, const double *weight, double tau, double *scratch,
                                         int64_t harmonics);

/// The hum tracker's candidate smoothers: for each lane l of 8·blocks, the log-likelihood (from the innovations) of
/// the two-state (value, change per frame) Kalman filter with transition [[1, 1], [0, 1]], process noises q0s[l]
/// and q1s[l], prior covariance diag(p00Start, p11Start) and measurement variances r[m]·scales[l], over z[0…count−1]
/// (frames whose r is not finite are predicted only), into logLikelihoods[l].
void scrim_vector_kalman_likelihoods(double *logLikelihoods, const double *z, const double *r, int64_t count,
                                     const double *q0s, const double *q1s, const double *scales, int64_t blocks,
                                     double p00Start, double p11Start);
/// The same for three-state (value, change per frame, change of that per frame) filters with transition
/// [[1, 1, 1/2], [0, 1, 1], [0, 0, 1]], process noises q0s[l], q1s[l], q2s[l] and prior covariance
/// diag(p00Start, p11Start, p22Start).
void scrim_vector_kalman3_likelihoods(double *logLikelihoods, const double *z, const double *r, int64_t count,
                                      const double *q0s, const double *q1s, const double *q2s, const double *scales,
                                      int64_t blocks, double p00Start, double p11Start, double p22Start);

#ifdef __cplusplus
}
#endif

#endif
