// The neural network's kernels (ScrimNeural's DeepFilterNet3 layers): products, grouped linear layers, the causal
// 2-D convolution and the depthwise transposed convolution the graphs use, a GRU step, and the elementwise
// activations; and batch forms (`_frames`, `gru_sequence`) that run many frames at once with each frame's bits.
// Compiled once per x86-64 level and picked at load time, as the loops of scrim_vector.h.
//
// The same results on every CPU, by the same rules as scrim_vector.h: no contraction into fused multiply-adds, no
// reassociation. Every sum runs over its terms in one fixed order written here (the vector lanes run across
// independent outputs, never across the terms of one sum), so each clone, and the plain `_reference` loop beside
// each kernel, gives the same bits. The exponential behind the sigmoid and tanh is this file's own (Cody & Waite
// range reduction and a degree-7 Taylor polynomial, relative error below 2·10⁻⁷), not libm's, whose expf is
// itself picked per CPU. ScrimNeuralTests compares each kernel with its reference bit for bit and with the
// definition in double precision; Benchmarks/neural/clone_equality.sh compares the clones.
//
// Layouts are row-major, C order, as in the ONNX graphs: a [C][F] plane holds channel c's F frequency values at
// c·F. All pointers must be valid for the sizes stated; outputs must not alias inputs unless stated. Nothing
// here allocates.

#ifndef SCRIM_NEURAL_H
#define SCRIM_NEURAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Vector × matrix: y[j] = bias[j] + Σᵢ x[i]·w[i·n + j], i = 0…k−1 in order (the sum starts at 0 without a bias).
/// `w` is [k][n] (the transposed weight of a linear layer y = W·x); `bias` may be NULL. y: n, x: k.
void scrim_neural_matvec(float *y, const float *x, const float *w, const float *bias, int64_t k, int64_t n);
void scrim_neural_matvec_reference(float *y, const float *x, const float *w, const float *bias, int64_t k,
                                   int64_t n);

/// Matrix × matrix (a 1×1 convolution): out[o·n + f] = bias[o] + Σᵢ w[o·k + i]·in[i·n + f], i in order.
/// out: [m][n], w: [m][k], in: [k][n]; `bias` (m values) may be NULL.
void scrim_neural_matmul(float *out, const float *w, const float *in, const float *bias, int64_t m, int64_t k,
                         int64_t n);
void scrim_neural_matmul_reference(float *out, const float *w, const float *in, const float *bias, int64_t m,
                                   int64_t k, int64_t n);

/// Vector × matrix for `frames` frames at once (a linear layer over a batch): for each t, y[t·yStride + j] =
/// bias[j] + Σᵢ x[t·xStride + i]·w[i·n + j], i = 0…k−1 in order: each output is exactly scrim_neural_matvec's
/// for that frame (same terms, same order), whatever the frame count; the fast loop reuses each weight row for up
/// to 8 frames. `bias` may be NULL.
void scrim_neural_linear_frames(float *y, int64_t yStride, const float *x, int64_t xStride, const float *w,
                                const float *bias, int64_t frames, int64_t k, int64_t n);
void scrim_neural_linear_frames_reference(float *y, int64_t yStride, const float *x, int64_t xStride, const float *w,
                                          const float *bias, int64_t frames, int64_t k, int64_t n);

/// Grouped linear layer (the graphs' Einsum btgi,gih->btgh for one frame): y[g·h + j] = Σᵢ x[g·i + i']·
/// w[(g·i + i')·h + j] for each of `groups` groups, i' in order. y: groups·outCount, x: groups·inCount,
/// w: [groups][inCount][outCount] (the ONNX initializer as stored).
void scrim_neural_grouped_linear(float *y, const float *x, const float *w, int64_t groups, int64_t inCount,
                                 int64_t outCount);
void scrim_neural_grouped_linear_reference(float *y, const float *x, const float *w, int64_t groups,
                                           int64_t inCount, int64_t outCount);

/// scrim_neural_grouped_linear for `frames` frames at once, bit for bit: x [frames][groups·inCount], y
/// [frames][groups·outCount].
void scrim_neural_grouped_linear_frames(float *y, const float *x, const float *w, int64_t frames, int64_t groups,
                                        int64_t inCount, int64_t outCount);
void scrim_neural_grouped_linear_frames_reference(float *y, const float *x, const float *w, int64_t frames,
                                                  int64_t groups, int64_t inCount, int64_t outCount);

/// The longest kernel in time scrim_neural_conv2d accepts (it writes nothing for longer ones; the _frames form
/// has no limit).
#define SCRIM_CONV2D_MAX_KERNEL_TIME 16

/// One output frame of a 2-D convolution over [time][frequency] that is causal in time (the graph pads
/// kernelTime − 1 zero frames before the sequence and none after, so the frame needs this frame and the
/// kernelTime − 1 before it) and zero-padded by padFrequency bins on both sides in frequency.
typedef struct {
    int64_t inChannels;
    int64_t outChannels;
    int64_t groups;           ///< divides both channel counts (ONNX Conv `group`)
    int64_t frequencyCount;   ///< input bins F
    int64_t kernelTime;       ///< kT frames
    int64_t kernelFrequency;  ///< kF bins
    int64_t strideFrequency;  ///< stride in frequency (1 in time)
    int64_t padFrequency;     ///< zero bins on each side in frequency
} scrim_conv2d_shape;

/// Output bins of a convolution: (F + 2·pad − kF) / stride + 1.
int64_t scrim_neural_conv2d_output_count(const scrim_conv2d_shape *shape);

/// out[o][q] = bias[o] + Σ over the group's input channels c (in order), then dt = 0…kT−1, then df = 0…kF−1 of
/// w[o][c][dt][df]·in[dt][g·cpg + c][q·stride + df − pad] (terms outside 0…F−1 skipped: zero padding).
/// in: [kT][inChannels][F], oldest frame first; w: [outChannels][inChannels/groups][kT][kF] (ONNX Conv `W`);
/// out: [outChannels][output count]; `bias` may be NULL. kernelTime must be at most SCRIM_CONV2D_MAX_KERNEL_TIME.
void scrim_neural_conv2d(float *out, const float *in, const float *w, const float *bias,
                         const scrim_conv2d_shape *shape);
void scrim_neural_conv2d_reference(float *out, const float *in, const float *w, const float *bias,
                                   const scrim_conv2d_shape *shape);

/// scrim_neural_conv2d with the kernel's kT input frames given one by one: frames[dt] points to frame dt's
/// [inChannels][F] (oldest first), so a causal convolution can run over a batch of frames and a short history
/// without copying them together. The same sums in the same order: scrim_neural_conv2d gives the same bits when its
/// `in` holds the same frames.
void scrim_neural_conv2d_frames(float *out, const float *const *frames, const float *w, const float *bias,
                                const scrim_conv2d_shape *shape);
void scrim_neural_conv2d_frames_reference(float *out, const float *const *frames, const float *w, const float *bias,
                                          const scrim_conv2d_shape *shape);

/// Depthwise transposed convolution in frequency (ONNX ConvTranspose with group = channels, one output channel
/// per group, kernel 1 × kF): out[c][q] = Σ over df = 0…kF−1 (in order) with q + pad − df = stride·p,
/// 0 ≤ p < inCount, of w[c][df]·in[c][p]. The output count carries ONNX's output_padding: (inCount − 1)·stride
/// − 2·pad + kF + output_padding. in: [channels][inCount], w: [channels][kF], out: [channels][outCount].
void scrim_neural_conv_transpose_depthwise(float *out, const float *in, const float *w, int64_t channels,
                                           int64_t inCount, int64_t outCount, int64_t kernel, int64_t stride,
                                           int64_t pad);
void scrim_neural_conv_transpose_depthwise_reference(float *out, const float *in, const float *w, int64_t channels,
                                                     int64_t inCount, int64_t outCount, int64_t kernel,
                                                     int64_t stride, int64_t pad);

/// One step of an ONNX GRU (forward, linear_before_reset = 1, default activations), in place on h (H values):
///   gx = Wb + x·Wᵀ, gh = Rb + h·Rᵀ (scrim_neural_matvec order), gates z, r, n in that order (ONNX's zrh):
///   z = σ(gx_z + gh_z), r = σ(gx_r + gh_r), n = tanh(gx_n + r·gh_n), h ← (1 − z)·n + z·h.
/// wT: [inputCount][3H] (the ONNX W [3H][inputCount] transposed), rT: [H][3H] (R transposed), bias: [6H]
/// (ONNX B: Wb then Rb), scratch: 6H floats.
void scrim_neural_gru_step(float *h, const float *x, const float *wT, const float *rT, const float *bias,
                           float *scratch, int64_t inputCount, int64_t hiddenCount);
void scrim_neural_gru_step_reference(float *h, const float *x, const float *wT, const float *rT, const float *bias,
                                     float *scratch, int64_t inputCount, int64_t hiddenCount);

/// Column panels: a [rows][columns] matrix cut into blocks of SCRIM_NEURAL_PANEL columns (the last one narrower),
/// each stored whole, [rows][width], panel p (columns 128p ..< 128p + width) at dst + 128·p·rows. A product y = x·M
/// then reads each panel front to back instead of rows `columns` floats apart; scrim_neural_linear_frames on one
/// panel (w = the panel, n = its width, y and bias offset by 128p) gives the bits of the product on the unpacked
/// matrix. dst and src: rows·columns floats, not overlapping.
#define SCRIM_NEURAL_PANEL 128
void scrim_neural_pack_panels(float *dst, const float *src, int64_t rows, int64_t columns);

/// A GRU over `frames` frames whose input parts gx = Wb + x·Wᵀ are already computed (scrim_neural_linear_frames
/// with the GRU's wT and Wb, 3H per frame at gx + t·gxStride): per frame t in order, gh = Rb + h·Rᵀ and the gates
/// exactly as scrim_neural_gru_step, then h is copied to out + t·outStride. So the input products of all frames can
/// run as one matrix product and only h·Rᵀ stays frame by frame; the bits equal `frames` calls of
/// scrim_neural_gru_step. h: H, in place; rPacked: Rᵀ ([H][3H]) packed by scrim_neural_pack_panels; recurrentBias:
/// Rb (3H, ONNX B + 3H); scratch: 3H floats.
void scrim_neural_gru_sequence(float *h, float *out, int64_t outStride, const float *gx, int64_t gxStride,
                               const float *rPacked, const float *recurrentBias, float *scratch, int64_t frames,
                               int64_t hiddenCount);
void scrim_neural_gru_sequence_reference(float *h, float *out, int64_t outStride, const float *gx, int64_t gxStride,
                                         const float *rPacked, const float *recurrentBias, float *scratch,
                                         int64_t frames, int64_t hiddenCount);

/// x[i] = max(x[i], 0) in place (NaN stays NaN).
void scrim_neural_relu(float *x, int64_t count);
/// x[i] = 1 / (1 + e^(−x[i])) in place, with this file's exponential (x clamped to ±87 inside the exponential).
void scrim_neural_sigmoid(float *x, int64_t count);
/// x[i] = tanh x[i] in place: sign(x)·(1 − 2/(e^(2|x|) + 1)); absolute error below 3·10⁻⁷.
void scrim_neural_tanh(float *x, int64_t count);
/// y[i] = a[i] + b[i] (`y` may be `a` or `b`).
void scrim_neural_add(float *y, const float *a, const float *b, int64_t count);
/// The exponential behind the sigmoid and tanh, for tests: y[i] = e^x[i], x clamped to [−87, 88].
void scrim_neural_exp(float *y, const float *x, int64_t count);

#ifdef __cplusplus
}
#endif

#endif
