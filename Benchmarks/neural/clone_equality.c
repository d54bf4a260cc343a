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
    fill(wt, H * 3 * H, 0.06f); fill(rt, H * 3 * H, 0.06f); fill(h, H, 0.5f);
    for (int step = 0; step < 8; step++) {
        fill(x, H, 1);
        scrim_neural_gru_step(h, x, wt, rt, b, scratch, H, H);
    }
    fwrite(h, 4, H, f);
    for (int i = 0; i < 4096; i++) act[i] = (float)(i - 2048) * 0.02f + noise() * 0.01f;
    static float e[4096];
    scrim_neural_exp(e, act, 4096); fwrite(e, 4, 4096, f);
    scrim_neural_tanh(act, 4096); fwrite(act, 4, 4096, f);
    scrim_neural_sigmoid(act, 4096); fwrite(act, 4, 4096, f);
    scrim_neural_relu(mm, 64 * 96); fwrite(mm, 4, 64 * 96, f);
    fclose(f);
    return 0;
}
