// Runs every kernel of scrim_neural.h on fixed inputs and writes the outputs to $OUT (see clone_equality.sh).
#include <stdio.h>
#include <stdlib.h>

#include "scrim_neural.h"

static uint32_t state = 2024u;
static float noise(void) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return (float)(state >> 8) / 8388608.0f - 1.0f;
}
static void fill(float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) x[i] = noise() * scale;
}

int main(void) {
    enum { K = 256, N = 768, H = 256 };
    static float x[K], w[K * N], b[2 * N], y[N], wt[H * 3 * H], rt[H * 3 * H], h[H], scratch[6 * H];
    static float in[3 * 2 * 96], cw[64 * 9], cb[64], out[64 * 96], t[64 * 16], tw[64 * 3], tout[64 * 32];
    static float act[4096], mm[64 * 96], mw[64 * 64], gl[512], glw[32 * 96 * 16];
    FILE *f = fopen(getenv("OUT"), "wb");
    if (!f) return 1;
    fill(x, K, 1); fill(w, K * N, 0.1f); fill(b, 2 * N, 0.5f);
    scrim_neural_matvec(y, x, w, b, K, N); fwrite(y, 4, N, f);
    fill(mw, 64 * 64, 0.2f); fill(out, 64 * 96, 1);
    scrim_neural_matmul(mm, mw, out, cb, 64, 64, 96); fwrite(mm, 4, 64 * 96, f);
    fill(glw, 32 * 96 * 16, 0.1f); fill(out, 32 * 96, 1);
    scrim_neural_grouped_linear(gl, out, glw, 32, 96, 16); fwrite(gl, 4, 512, f);
    fill(in, 3 * 2 * 96, 1); fill(cw, 64 * 9, 0.5f); fill(cb, 64, 0.1f);
    scrim_conv2d_shape s = {2, 64, 2, 96, 3, 3, 1, 1};
    scrim_neural_conv2d(out, in, cw, cb, &s); fwrite(out, 4, 64 * 96, f);
    scrim_conv2d_shape d = {64, 64, 64, 32, 1, 3, 2, 1};
    fill(out, 64 * 32, 1);
    scrim_neural_conv2d(t, out, cw, 0, &d); fwrite(t, 4, 64 * 16, f);
    fill(tw, 64 * 3, 0.5f);
    scrim_neural_conv_transpose_depthwise(tout, t, tw, 64, 16, 32, 3, 2, 1); fwrite(tout, 4, 64 * 32, f);
    // The depthwise loops (kF 3 stride 2 over 96 and 16 bins, kF 3 over 8 bins, kF 1 with a bias), the 64 → 1
    // convolution whose last register block overlaps the one before, erb_dec's transposed convolution over 8 bins
    // and erb_conv0's shape (two output channels at a time, as df_conv0's above).
    static float dw[64 * 96];
    fill(out, 64 * 96, 1);
    scrim_conv2d_shape d96 = {64, 64, 64, 96, 1, 3, 2, 1};
    scrim_neural_conv2d(dw, out, cw, 0, &d96); fwrite(dw, 4, 64 * 48, f);
    scrim_conv2d_shape d16 = {64, 64, 64, 16, 1, 3, 2, 1};
    scrim_neural_conv2d(dw, out, cw, cb, &d16); fwrite(dw, 4, 64 * 8, f);
    scrim_conv2d_shape d8 = {64, 64, 64, 8, 1, 3, 1, 1};
    scrim_neural_conv2d(dw, out, cw, cb, &d8); fwrite(dw, 4, 64 * 8, f);
    scrim_conv2d_shape p32 = {64, 64, 64, 32, 1, 1, 1, 0};
    scrim_neural_conv2d(dw, out, cw, cb, &p32); fwrite(dw, 4, 64 * 32, f);
    scrim_conv2d_shape o32 = {64, 1, 1, 32, 1, 3, 1, 1};
    scrim_neural_conv2d(dw, out, cw, cb, &o32); fwrite(dw, 4, 32, f);
    scrim_neural_conv_transpose_depthwise(tout, out, tw, 64, 8, 16, 3, 2, 1); fwrite(tout, 4, 64 * 16, f);
    scrim_conv2d_shape e32 = {1, 64, 1, 32, 3, 3, 1, 1};
    scrim_neural_conv2d(dw, out, cw, cb, &e32); fwrite(dw, 4, 64 * 32, f);
    fill(wt, H * 3 * H, 0.06f); fill(rt, H * 3 * H, 0.06f); fill(h, H, 0.5f);
    for (int step = 0; step < 8; step++) {
        fill(x, H, 1);
        scrim_neural_gru_step(h, x, wt, rt, b, scratch, H, H);
    }
    fwrite(h, 4, H, f);
    // The batch kernels: 13 frames (one 8-frame block and five single frames).
    enum { T = 13 };
    static float xs[T * K], ys[T * N], gx[T * 3 * H], hs[T * H], gxs[T * 3072], gys[T * 512];
    static float cframes[5][64 * 96], cp[10 * 96], cpw[10 * 32 * 5];
    fill(xs, T * K, 1);
    scrim_neural_linear_frames(ys, N, xs, K, w, b, T, K, N); fwrite(ys, 4, T * N, f);
    scrim_neural_linear_frames(ys, 60, xs, K, w, 0, T, 200, 60); fwrite(ys, 4, T * 60, f);
    fill(gxs, T * 3072, 1);
    scrim_neural_grouped_linear_frames(gys, gxs, glw, T, 32, 96, 16); fwrite(gys, 4, T * 512, f);
    scrim_neural_linear_frames(gx, 3 * H, xs, K, wt, b, T, H, 3 * H);
    fill(h, H, 0.5f);
    static float packed[H * 3 * H];
    scrim_neural_pack_panels(packed, rt, H, 3 * H);
    scrim_neural_gru_sequence(h, hs, H, gx, 3 * H, packed, b + 3 * H, scratch, T, H); fwrite(hs, 4, T * H, f);
    for (int i = 0; i < 5; i++) fill(cframes[i], 64 * 96, 1);
    fill(cpw, 10 * 32 * 5, 0.2f);
    const float *window[5] = {cframes[0], cframes[1], cframes[2], cframes[3], cframes[4]};
    scrim_conv2d_shape p = {64, 10, 2, 96, 5, 1, 1, 0};
    scrim_neural_conv2d_frames(cp, window, cpw, 0, &p); fwrite(cp, 4, 10 * 96, f);
    fill(mw, 64 * 64, 0.2f); fill(out, 64 * 96, 1);
    scrim_neural_matmul(mm, mw, out, cb, 10, 64, 59); fwrite(mm, 4, 10 * 59, f);
    for (int i = 0; i < 4096; i++) act[i] = (float)(i - 2048) * 0.02f + noise() * 0.01f;
    static float e[4096];
    scrim_neural_exp(e, act, 4096); fwrite(e, 4, 4096, f);
    scrim_neural_tanh(act, 4096); fwrite(act, 4, 4096, f);
    scrim_neural_sigmoid(act, 4096); fwrite(act, 4, 4096, f);
    scrim_neural_relu(mm, 64 * 96); fwrite(mm, 4, 64 * 96, f);
    fclose(f);
    return 0;
}
