/*
 * Kernels for training on top of winograd.c (same module, same rules: no data segment, no stack, every
 * buffer from the caller). Built with winograd.c by scripts/build-winograd-wasm.sh.
 *
 * wino4_filter_simd: the same filter transform as winograd.c's wino4_filter, U[ξ = 6i+j][n/8][k][n%8] =
 * (G g_{k,n} Gᵀ)[i][j], four filters (n … n+3) at a time in SIMD lanes. In training every fine-tuned
 * filter changes every step, so its transforms (forward and ∂L/∂x) are redone every step: the scalar
 * transform took ≈ 65–100 ms per 512×512 filter (advbn bench --train --profile), 14 of them per step of
 * the block4_conv1 head.
 */
#include "winograd-simd.h"

/* The rows of G (points 0, ±1, ±2 and ∞, as wino4_filter) applied to (g0, g1, g2). */
#define GT(g0, g1, g2, o0, o1, o2, o3, o4, o5)                                  \
  do {                                                                          \
    const V s02 = add(g0, g2), q = add(mulc(g0, 1.f / 24), mulc(g2, 1.f / 6)), \
            h = mulc(g1, 1.f / 12);                                             \
    o0 = mulc(g0, 0.25f);                                                       \
    o1 = mulc(add(s02, g1), -1.f / 6);                                          \
    o2 = mulc(sub(s02, g1), -1.f / 6);                                          \
    o3 = add(q, h);                                                             \
    o4 = sub(q, h);                                                             \
    o5 = g2;                                                                    \
  } while (0)

/* Row i of t = G g times Gᵀ, stored at u + (6i + j)·su for j = 0…5. */
#define ROW(i, a, b, c)                                                          \
  do {                                                                           \
    V o0, o1, o2, o3, o4, o5;                                                    \
    GT(a, b, c, o0, o1, o2, o3, o4, o5);                                         \
    float *ui = u + (i) * 6 * su;                                                \
    wasm_v128_store(ui, o0); wasm_v128_store(ui + su, o1);                       \
    wasm_v128_store(ui + 2 * su, o2); wasm_v128_store(ui + 3 * su, o3);          \
    wasm_v128_store(ui + 4 * su, o4); wasm_v128_store(ui + 5 * su, o5);          \
  } while (0)

/* The 6×6 transform of nine vectors g{a}{b} (tap a, b) into u (lanes: four consecutive n). */
#define TRANSFORM()                                                                          \
  do {                                                                                       \
    V t00, t10, t20, t30, t40, t50, t01, t11, t21, t31, t41, t51, t02, t12, t22, t32, t42, t52; \
    GT(g00, g10, g20, t00, t10, t20, t30, t40, t50);                                         \
    GT(g01, g11, g21, t01, t11, t21, t31, t41, t51);                                         \
    GT(g02, g12, g22, t02, t12, t22, t32, t42, t52);                                         \
    ROW(0, t00, t01, t02); ROW(1, t10, t11, t12); ROW(2, t20, t21, t22);                     \
    ROW(3, t30, t31, t32); ROW(4, t40, t41, t42); ROW(5, t50, t51, t52);                     \
  } while (0)

/*
 * w: [3][3][Ci][Co]. flip = 0: K = Ci, N = Co; flip = 1: K = Co, N = Ci, g_{k,n}[a][b] = w[2-a][2-b][n][k]
 * (the filter of ∂L/∂x). Ci and Co multiples of 8 (checked by the caller). Transforms the filters n of
 * [n0, n1) (multiples of 8: threads split N, each writing its own panels of U).
 */
EXPORT(wino4_filter_simd)
void wino4_filter_simd(const float *w, float *U, int Ci, int Co, int flip, int n0, int n1) {
  const int K = flip ? Co : Ci, N = flip ? Ci : Co;
  const long su = (long)N * K, tap = (long)Ci * Co;
  if (!flip) {
    /* n in blocks of four, k inner: the stores of consecutive k are adjacent (32 bytes apart). */
    for (int n = n0; n < n1; n += 4) {
      for (int k = 0; k < K; k++) {
        const float *p = w + (long)k * Co + n;
#define L(a, b) wasm_v128_load(p + ((a) * 3 + (b)) * tap)
        const V g00 = L(0, 0), g01 = L(0, 1), g02 = L(0, 2), g10 = L(1, 0), g11 = L(1, 1), g12 = L(1, 2),
                g20 = L(2, 0), g21 = L(2, 1), g22 = L(2, 2);
#undef L
        float *u = U + (long)(n / 8) * K * 8 + k * 8 + n % 8;
        TRANSFORM();
      }
    }
  } else {
    /* n (= ci) in blocks of four, k (= co) inner: the four rows w[·][·][n … n+3][k] are read in order. */
    for (int n = n0; n < n1; n += 4) {
      for (int k = 0; k < K; k++) {
        const float *p = w + (long)n * Co + k;
#define L(a, b) wasm_f32x4_make(p[(8 - (a) * 3 - (b)) * tap], p[(8 - (a) * 3 - (b)) * tap + Co], \
                                p[(8 - (a) * 3 - (b)) * tap + 2 * Co], p[(8 - (a) * 3 - (b)) * tap + 3 * Co])
        const V g00 = L(0, 0), g01 = L(0, 1), g02 = L(0, 2), g10 = L(1, 0), g11 = L(1, 1), g12 = L(1, 2),
                g20 = L(2, 0), g21 = L(2, 1), g22 = L(2, 2);
#undef L
        float *u = U + (long)(n / 8) * K * 8 + k * 8 + n % 8;
        TRANSFORM();
      }
    }
  }
}

/*
 * ∂L/∂W of a 3×3 stride-1 convolution in the Winograd domain: the adjoint of winograd.c's forward pass,
 *
 *   Y = Aᵀ [U ⊙ V] A,  U = G g Gᵀ   ⇒   ∂L/∂U[ξ][k][n] = Σ_tiles V[ξ][t][k] · (A ∂Y_t Aᵀ)[ξ][n],
 *                                      ∂L/∂g = Gᵀ (∂L/∂U) G,
 *
 * with V = Bᵀ d B the input tiles (winograd.c's input_transform) and ∂Y_t the 4×4 tile of dy (zero outside
 * Ho×Wo, as the forward pass crops there). 36 GEMMs Vᵀ·∂M of K × T × N instead of 9 direct ones of
 * K × 16T × N: 4× fewer multiplications on whole tiles (≈ 2.8× at 10×10, 1.6× at 5×5).
 */
void input_transform(const float *x, float *Vb, float *tmp, int H, int W, int K, int padT, int padL,
                     int tilesW, int tilesPerImage, int t0, int t1, int packed);

/* A applied to four vectors (a row or a column of a 4×4 tile of dy): six vectors. */
#define AA(y0, y1, y2, y3, o0, o1, o2, o3, o4, o5)                        \
  do {                                                                    \
    const V e = add(y0, y2), f = add(y1, y3), e4 = add(y0, mulc(y2, 4.f)), \
            f2 = add(mulc(y1, 2.f), mulc(y3, 8.f));                       \
    o0 = y0; o1 = add(e, f); o2 = sub(e, f); o3 = add(e4, f2); o4 = sub(e4, f2); o5 = y3; \
  } while (0)

/*
 * ∂M = A ∂Y Aᵀ for tiles [t0, t1) and channels [n0, n1) of dy [·][Ho][Wo][N], packed in panels of 8 channels:
 * ∂M[ξ][(n − n0)/8][t − t0][(n − n0)%8] (gemm_tn then reads each panel front to back); tmp: 96 floats.
 */
static void dy_transform(const float *dy, float *Mb, float *tmp, int Ho, int Wo, int N, int n0, int n1,
                         int tilesW, int tilesPerImage, int t0, int t1) {
  const int T = t1 - t0, nw = n1 - n0;
  const long ms = (long)T * nw;
  const V zero = wasm_f32x4_splat(0.f);
  for (int t = t0; t < t1; t++) {
    const int img = t / tilesPerImage, r = t % tilesPerImage;
    const int y0 = (r / tilesW) * 4, x0 = (r % tilesW) * 4;
    const float *di = dy + (long)img * Ho * Wo * N;
    for (int c = n0; c < n1; c += 4) {
      for (int a = 0; a < 4; a++) {
        const int row = y0 + a < Ho;
        const float *d = di + ((long)(y0 + a) * Wo + x0) * N + c;
#define D(b) (row && x0 + (b) < Wo ? wasm_v128_load(d + (b) * N) : zero)
        const V d0 = D(0), d1 = D(1), d2 = D(2), d3 = D(3);
#undef D
        V o0, o1, o2, o3, o4, o5;
        AA(d0, d1, d2, d3, o0, o1, o2, o3, o4, o5);
        float *ta = tmp + a * 24;
        wasm_v128_store(ta, o0); wasm_v128_store(ta + 4, o1); wasm_v128_store(ta + 8, o2);
        wasm_v128_store(ta + 12, o3); wasm_v128_store(ta + 16, o4); wasm_v128_store(ta + 20, o5);
      }
      for (int j = 0; j < 6; j++) {
        V o0, o1, o2, o3, o4, o5;
        AA(wasm_v128_load(tmp + j * 4), wasm_v128_load(tmp + 24 + j * 4), wasm_v128_load(tmp + 48 + j * 4),
           wasm_v128_load(tmp + 72 + j * 4), o0, o1, o2, o3, o4, o5);
        float *m = Mb + (long)((c - n0) / 8) * T * 8 + (long)(t - t0) * 8 + (c - n0) % 8 + j * ms;
        wasm_v128_store(m, o0); wasm_v128_store(m + 6 * ms, o1); wasm_v128_store(m + 12 * ms, o2);
        wasm_v128_store(m + 18 * ms, o3); wasm_v128_store(m + 24 * ms, o4); wasm_v128_store(m + 30 * ms, o5);
      }
    }
  }
}

/*
 * C[K][nw] (+)= Aᵀ · B with A = V packed [K/4][T][4] (input_transform's packed 2), B = ∂M packed [nw/8][T][8]:
 * blocks of 4 k × 8 n held in registers over all T. Both operands are read front to back (16 and 32 bytes a
 * tile); A's T·16 bytes stay in L1 across the n loop.
 */
static void gemm_tn(const float *A, const float *B, float *C, int T, int K, int nw, int first) {
  for (int k = 0; k < K; k += 4) {
    for (int n = 0; n < nw; n += 8) {
      float *c = C + (long)k * nw + n;
      V c00, c01, c10, c11, c20, c21, c30, c31;
      if (first) {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.f);
      } else {
        c00 = wasm_v128_load(c); c01 = wasm_v128_load(c + 4);
        c10 = wasm_v128_load(c + nw); c11 = wasm_v128_load(c + nw + 4);
        c20 = wasm_v128_load(c + 2 * nw); c21 = wasm_v128_load(c + 2 * nw + 4);
        c30 = wasm_v128_load(c + 3 * nw); c31 = wasm_v128_load(c + 3 * nw + 4);
      }
      const float *a = A + (long)k * T, *b = B + (long)(n / 8) * T * 8;
      for (int t = 0; t < T; t++, a += 4, b += 8) MK4X8_STEP(a, b);
      wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
      wasm_v128_store(c + nw, c10); wasm_v128_store(c + nw + 4, c11);
      wasm_v128_store(c + 2 * nw, c20); wasm_v128_store(c + 2 * nw + 4, c21);
      wasm_v128_store(c + 3 * nw, c30); wasm_v128_store(c + 3 * nw + 4, c31);
    }
  }
}

/*
 * Accumulates ∂L/∂U for output tiles [t0, t1) and output channels [n0, n1) into dU[36][K][n1-n0] (first: overwrite).
 * x [·][H][W][K] with the forward pass's padding padT/padL, dy [·][Ho][Wo][N]. Vb: 36·(t1-t0)·K floats,
 * Mb: 36·(t1-t0)·(n1-n0), tmp: 144.
 */
EXPORT(wino4_dw)
void wino4_dw(const float *x, const float *dy, float *dU, float *Vb, float *Mb, float *tmp, int H, int W, int K,
              int N, int padT, int padL, int Ho, int Wo, int t0, int t1, int n0, int n1, int first) {
  const int tilesW = (Wo + 3) / 4, tilesPerImage = ((Ho + 3) / 4) * tilesW, T = t1 - t0, nw = n1 - n0;
  input_transform(x, Vb, tmp, H, W, K, padT, padL, tilesW, tilesPerImage, t0, t1, 2);
  dy_transform(dy, Mb, tmp, Ho, Wo, N, n0, n1, tilesW, tilesPerImage, t0, t1);
  for (int xi = 0; xi < 36; xi++)
    gemm_tn(Vb + (long)xi * T * K, Mb + (long)xi * T * nw, dU + (long)xi * K * nw, T, K, nw, first);
}

/* Gᵀ applied to six vectors: three. */
#define GTT(u0, u1, u2, u3, u4, u5, o0, o1, o2)                                          \
  do {                                                                                   \
    const V p12 = add(u1, u2), m12 = sub(u2, u1), p34 = add(u3, u4), m34 = sub(u3, u4); \
    o0 = add(add(mulc(u0, 0.25f), mulc(p12, -1.f / 6)), mulc(p34, 1.f / 24));           \
    o1 = add(mulc(m12, 1.f / 6), mulc(m34, 1.f / 12));                                  \
    o2 = add(add(mulc(p12, -1.f / 6), mulc(p34, 1.f / 6)), u5);                         \
  } while (0)

/* dW[3][3][K][N], columns [n0, n1) = Gᵀ dU G, dU[36][K][n1-n0] from wino4_dw. */
EXPORT(wino4_dw_finish)
void wino4_dw_finish(const float *dU, float *dW, int K, int N, int n0, int n1) {
  const int nw = n1 - n0;
  const long us = (long)K * nw, ws = (long)K * N;
  for (int k = 0; k < K; k++) {
    for (int n = 0; n < nw; n += 4) {
      const float *u = dU + (long)k * nw + n;
      V r0[3], r1[3], r2[3], r3[3], r4[3], r5[3];
#define R(i, r) GTT(wasm_v128_load(u + (6 * (i)) * us), wasm_v128_load(u + (6 * (i) + 1) * us), wasm_v128_load(u + (6 * (i) + 2) * us), \
                    wasm_v128_load(u + (6 * (i) + 3) * us), wasm_v128_load(u + (6 * (i) + 4) * us), wasm_v128_load(u + (6 * (i) + 5) * us), \
                    r[0], r[1], r[2])
      R(0, r0); R(1, r1); R(2, r2); R(3, r3); R(4, r4); R(5, r5);
#undef R
      float *o = dW + (long)k * N + n0 + n;
      for (int b = 0; b < 3; b++) {
        V g0, g1, g2;
        GTT(r0[b], r1[b], r2[b], r3[b], r4[b], r5[b], g0, g1, g2);
        wasm_v128_store(o + b * ws, g0); wasm_v128_store(o + (3 + b) * ws, g1); wasm_v128_store(o + (6 + b) * ws, g2);
      }
    }
  }
}

/*
 * Small maps (5×5, 6×6, 10×10: VGG-19's block4–5 at 80 px) waste most of a 4×4 tile: a 5×5 image needs
 * 2×2 tiles, 64 outputs for 25. Laid side by side in a mosaic with one zero row and column between them
 * (the 'same' padding each neighbour needs), a batch fills its tiles: 72 tiles instead of 128 for 32 images
 * of 5×5. The convolution runs on the mosaic as one image; only the images' cells are copied back.
 * mosaic_pack: m [Hm][Wm][C] = 0, then image b of x [B][H][W][C] at rows (b / cols)(H+1), columns (b % cols)(W+1).
 * mosaic_unpack: the reverse copy into y [B][H][W][C]. C a multiple of 4.
 */
EXPORT(mosaic_pack)
void mosaic_pack(const float *x, float *m, int B, int H, int W, int C, int cols, int Hm, int Wm) {
  const V zero = wasm_f32x4_splat(0.f);
  const long total = (long)Hm * Wm * C;
  for (long i = 0; i < total; i += 4) wasm_v128_store(m + i, zero);
  for (int b = 0; b < B; b++) {
    const int r0 = (b / cols) * (H + 1), c0 = (b % cols) * (W + 1);
    for (int h = 0; h < H; h++) {
      const float *s = x + (((long)b * H + h) * W) * C;
      float *d = m + ((long)(r0 + h) * Wm + c0) * C;
      for (long i = 0; i < (long)W * C; i += 4) wasm_v128_store(d + i, wasm_v128_load(s + i));
    }
  }
}

EXPORT(mosaic_unpack)
void mosaic_unpack(const float *m, float *y, int B, int H, int W, int C, int cols, int Wm) {
  for (int b = 0; b < B; b++) {
    const int r0 = (b / cols) * (H + 1), c0 = (b % cols) * (W + 1);
    for (int h = 0; h < H; h++) {
      const float *s = m + ((long)(r0 + h) * Wm + c0) * C;
      float *d = y + (((long)b * H + h) * W) * C;
      for (long i = 0; i < (long)W * C; i += 4) wasm_v128_store(d + i, wasm_v128_load(s + i));
    }
  }
}

/*
 * out[c] = scale · Σ_r x[r][c] for x [R][C] (C a multiple of 4): Sum and Mean over every axis but the last,
 * what BatchNorm's moments and gradients reduce. tfjs-backend-wasm transposes the input to bring those axes
 * innermost first (a full copy through a generic transpose) and then sums. Rows four at a time.
 */
EXPORT(colsum)
void colsum(const float *x, float *out, int R, int C, float scale) {
  const V zero = wasm_f32x4_splat(0.f);
  for (int c = 0; c < C; c += 4) wasm_v128_store(out + c, zero);
  int r = 0;
  for (; r + 4 <= R; r += 4) {
    const float *a = x + (long)r * C;
    for (int c = 0; c < C; c += 4) {
      const V s = add(add(wasm_v128_load(a + c), wasm_v128_load(a + C + c)), add(wasm_v128_load(a + 2 * C + c), wasm_v128_load(a + 3 * C + c)));
      wasm_v128_store(out + c, add(wasm_v128_load(out + c), s));
    }
  }
  for (; r < R; r++)
    for (int c = 0; c < C; c += 4) wasm_v128_store(out + c, add(wasm_v128_load(out + c), wasm_v128_load(x + (long)r * C + c)));
  if (scale != 1.f)
    for (int c = 0; c < C; c += 4) wasm_v128_store(out + c, mulc(wasm_v128_load(out + c), scale));
}

/*
 * One Adam update, fused (the same operations as tfjs's AdamOptimizer, in one pass instead of ~10):
 *   m' = β1·m + (1 − β1)·g,  v' = β2·v + (1 − β2)·g²,  w' = w − lr · (m'/c1) / (√(v'/c2) + ε),
 * c1 = 1 − β1^t, c2 = 1 − β2^t. Reads w, g, m, v, writes w', m', v' (n floats each, any n).
 */
EXPORT(adam_update)
void adam_update(const float *w, const float *g, const float *m, const float *v, float *wo, float *mo, float *vo, int n,
                 float lr, float b1, float b2, float c1, float c2, float eps) {
  const V B1 = wasm_f32x4_splat(b1), A1 = wasm_f32x4_splat(1.f - b1), B2 = wasm_f32x4_splat(b2), A2 = wasm_f32x4_splat(1.f - b2),
          C1 = wasm_f32x4_splat(c1), C2 = wasm_f32x4_splat(c2), E = wasm_f32x4_splat(eps), NL = wasm_f32x4_splat(-lr);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const V gi = wasm_v128_load(g + i);
    const V mi = add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gi, A1));
    const V vi = add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), A2));
    const V step = wasm_f32x4_div(wasm_f32x4_div(mi, C1), add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, C2)), E));
    wasm_v128_store(mo + i, mi);
    wasm_v128_store(vo + i, vi);
    wasm_v128_store(wo + i, add(wasm_f32x4_mul(step, NL), wasm_v128_load(w + i)));
  }
  for (; i < n; i++) {
    const float gi = g[i], mi = m[i] * b1 + gi * (1.f - b1), vi = v[i] * b2 + gi * gi * (1.f - b2);
    mo[i] = mi;
    vo[i] = vi;
    wo[i] = (mi / c1) / (__builtin_sqrtf(vi / c2) + eps) * -lr + w[i];
  }
}

/*
 * BatchNorm in training mode over x [R][C] (C a multiple of 4; the rows are every position of the batch):
 *   μ = Σ_r x / R,  σ² = Σ_r (x − μ)² / R (biased, as tf.moments),  y = γ (x − μ) / √(σ² + ε) + β.
 * Three passes (Σx, Σ(x − μ)², y) instead of tfjs's ~8 kernels (moments, then batchNorm); scratch: C floats.
 * relu: y = max(y, 0), the ReLU that follows every BN of the domains head, in the same pass.
 */
EXPORT(bn_train_fwd)
void bn_train_fwd(const float *x, const float *gamma, const float *beta, float *y, float *mean, float *var, float *scale,
                  int R, int C, float eps, int relu) {
  colsum(x, mean, R, C, 1.f / R);
  const V zero = wasm_f32x4_splat(0.f);
  for (int c = 0; c < C; c += 4) wasm_v128_store(var + c, zero);
  for (int r = 0; r < R; r++) {
    const float *a = x + (long)r * C;
    for (int c = 0; c < C; c += 4) {
      const V d = sub(wasm_v128_load(a + c), wasm_v128_load(mean + c));
      wasm_v128_store(var + c, add(wasm_v128_load(var + c), wasm_f32x4_mul(d, d)));
    }
  }
  const V inv = wasm_f32x4_splat(1.f / R), E = wasm_f32x4_splat(eps);
  for (int c = 0; c < C; c += 4) {
    const V v = wasm_f32x4_mul(wasm_v128_load(var + c), inv);
    wasm_v128_store(var + c, v);
    wasm_v128_store(scale + c, wasm_f32x4_div(wasm_v128_load(gamma + c), wasm_f32x4_sqrt(add(v, E))));
  }
  for (int r = 0; r < R; r++) {
    const float *a = x + (long)r * C;
    float *o = y + (long)r * C;
    for (int c = 0; c < C; c += 4) {
      const V v = add(wasm_f32x4_mul(sub(wasm_v128_load(a + c), wasm_v128_load(mean + c)), wasm_v128_load(scale + c)), wasm_v128_load(beta + c));
      wasm_v128_store(o + c, relu ? wasm_f32x4_max(v, zero) : v);
    }
  }
}

/*
 * The gradient of bn_train_fwd, outputs (y, μ, σ²) with upstream gradients (dy, dμ, dσ²); with r = 1/√(σ² + ε),
 * x̂ = (x − μ)·r and sums over the rows:
 *   ∂β = Σ dy,  ∂γ = Σ dy·x̂,
 *   ∂x = γr·dy − γr/R·(Σ dy + x̂·Σ dy·x̂) + dμ/R + 2·dσ²·(x − μ)/R
 *      = A·dy + B·(x − μ) + D,  A = γr,  B = 2dσ²/R − γr³·Σ dy·(x − μ)/R,  D = dμ/R − γr·Σ dy/R.
 * Two passes (the sums, then ∂x). scratch: 3·C floats. relu: the forward pass was max(BN, 0) with output y, and dy
 * is first zeroed where y ≤ 0 (the ReLU's gradient, as tfjs's: it passes where its input is > 0).
 */
EXPORT(bn_train_bwd)
void bn_train_bwd(const float *dy, const float *x, const float *mean, const float *var, const float *gamma, const float *dmean,
                  const float *dvar, float *dx, float *dgamma, float *dbeta, float *scratch, int R, int C, float eps,
                  const float *y, int relu) {
  float *sA = scratch, *sB = scratch + C, *sD = scratch + 2 * C;
  const V zero = wasm_f32x4_splat(0.f);
  for (int c = 0; c < C; c += 4) { wasm_v128_store(dbeta + c, zero); wasm_v128_store(sB + c, zero); }
#define DY(c) (relu ? wasm_v128_and(wasm_v128_load(g + (c)), wasm_f32x4_gt(wasm_v128_load(yr + (c)), zero)) : wasm_v128_load(g + (c)))
  for (int r = 0; r < R; r++) {
    const float *g = dy + (long)r * C, *a = x + (long)r * C, *yr = relu ? y + (long)r * C : 0;
    for (int c = 0; c < C; c += 4) {
      const V d = DY(c);
      wasm_v128_store(dbeta + c, add(wasm_v128_load(dbeta + c), d));
      wasm_v128_store(sB + c, add(wasm_v128_load(sB + c), wasm_f32x4_mul(d, sub(wasm_v128_load(a + c), wasm_v128_load(mean + c)))));
    }
  }
  const V E = wasm_f32x4_splat(eps), inv = wasm_f32x4_splat(1.f / R), one = wasm_f32x4_splat(1.f), two = wasm_f32x4_splat(2.f);
  for (int c = 0; c < C; c += 4) {
    const V r = wasm_f32x4_div(one, wasm_f32x4_sqrt(add(wasm_v128_load(var + c), E)));
    const V sdyx = wasm_v128_load(sB + c), gr = wasm_f32x4_mul(wasm_v128_load(gamma + c), r);
    wasm_v128_store(dgamma + c, wasm_f32x4_mul(sdyx, r));
    wasm_v128_store(sA + c, gr);
    wasm_v128_store(sB + c, wasm_f32x4_mul(sub(wasm_f32x4_mul(two, wasm_v128_load(dvar + c)), wasm_f32x4_mul(wasm_f32x4_mul(gr, wasm_f32x4_mul(r, r)), sdyx)), inv));
    wasm_v128_store(sD + c, wasm_f32x4_mul(sub(wasm_v128_load(dmean + c), wasm_f32x4_mul(gr, wasm_v128_load(dbeta + c))), inv));
  }
  for (int r = 0; r < R; r++) {
    const float *g = dy + (long)r * C, *a = x + (long)r * C, *yr = relu ? y + (long)r * C : 0;
    float *o = dx + (long)r * C;
    for (int c = 0; c < C; c += 4)
      wasm_v128_store(o + c, add(add(wasm_f32x4_mul(wasm_v128_load(sA + c), DY(c)),
                                     wasm_f32x4_mul(wasm_v128_load(sB + c), sub(wasm_v128_load(a + c), wasm_v128_load(mean + c)))),
                                 wasm_v128_load(sD + c)));
  }
#undef DY
}

/*
 * y[r][c] = x[r][c]·a[c] + b[c] over x [R][C] (C a multiple of 4): a per-channel affine map, what BatchNorm with
 * running statistics is. b may be 0 (no offset); mask, if not 0, zeroes x where mask ≤ 0 first; relu: y = max(y, 0).
 * The gradient of max(x·a + b, 0) with respect to x is this map of dy with a, no b, and the output as mask.
 */
EXPORT(channel_affine)
void channel_affine(const float *x, const float *a, const float *b, const float *mask, float *y, int R, int C, int relu) {
  const V zero = wasm_f32x4_splat(0.f);
  for (int r = 0; r < R; r++) {
    const float *s = x + (long)r * C, *m = mask ? mask + (long)r * C : 0;
    float *o = y + (long)r * C;
    for (int c = 0; c < C; c += 4) {
      V v = wasm_v128_load(s + c);
      if (mask) v = wasm_v128_and(v, wasm_f32x4_gt(wasm_v128_load(m + c), zero));
      v = wasm_f32x4_mul(v, wasm_v128_load(a + c));
      if (b) v = add(v, wasm_v128_load(b + c));
      wasm_v128_store(o + c, relu ? wasm_f32x4_max(v, zero) : v);
    }
  }
}

/*
 * ∂L/∂x of 2×2 max pooling with stride 2 and no padding (VGG-19's five pools): x [B][H][W][C], dy [B][H/2][W/2][C]
 * (floor), dx [B][H][W][C]. Each window's gradient goes to its first maximum in row-major order, as
 * wasm-max-pool-grad.ts's loop (tfjs CPU, WebGPU, PyTorch): position p takes over from the best so far only where
 * x[p] > best, so ties and all-zero windows go to the first. An odd last row or column gets 0. C a multiple of 4.
 */
EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const float *x, const float *dy, float *dx, int B, int H, int W, int C) {
  const int Ho = H / 2, Wo = W / 2;
  const V zero = wasm_f32x4_splat(0.f);
  for (int b = 0; b < B; b++) {
    for (int r = 0; r < Ho; r++) {
      for (int q = 0; q < Wo; q++) {
        const long p00 = (((long)b * H + 2 * r) * W + 2 * q) * C, p01 = p00 + C, p10 = p00 + (long)W * C, p11 = p10 + C;
        const float *g = dy + (((long)b * Ho + r) * Wo + q) * C;
        for (int c = 0; c < C; c += 4) {
          const V v0 = wasm_v128_load(x + p00 + c), v1 = wasm_v128_load(x + p01 + c), v2 = wasm_v128_load(x + p10 + c),
                  v3 = wasm_v128_load(x + p11 + c), d = wasm_v128_load(g + c);
          V best = v0;
          const V m1 = wasm_f32x4_gt(v1, best);
          best = wasm_v128_bitselect(v1, best, m1);
          const V m2 = wasm_f32x4_gt(v2, best);
          best = wasm_v128_bitselect(v2, best, m2);
          const V m3 = wasm_f32x4_gt(v3, best);
          /* the winner: 3 where m3, else 2 where m2, else 1 where m1, else 0 */
          const V w3 = m3, w2 = wasm_v128_andnot(m2, m3), w1 = wasm_v128_andnot(wasm_v128_andnot(m1, m2), m3),
                  w0 = wasm_v128_not(wasm_v128_or(wasm_v128_or(m1, m2), m3));
          wasm_v128_store(dx + p00 + c, wasm_v128_and(d, w0));
          wasm_v128_store(dx + p01 + c, wasm_v128_and(d, w1));
          wasm_v128_store(dx + p10 + c, wasm_v128_and(d, w2));
          wasm_v128_store(dx + p11 + c, wasm_v128_and(d, w3));
        }
      }
      if (W % 2) for (int c = 0; c < C; c += 4) {
        wasm_v128_store(dx + (((long)b * H + 2 * r) * W + W - 1) * C + c, zero);
        wasm_v128_store(dx + (((long)b * H + 2 * r + 1) * W + W - 1) * C + c, zero);
      }
    }
    if (H % 2) for (long i = 0; i < (long)W * C; i += 4) wasm_v128_store(dx + (((long)b * H + H - 1) * W) * C + i, zero);
  }
}
