/*
 * Winograd F(4×4, 3×3) convolution for tfjs's WASM backend (NHWC, float32, stride 1, dilation 1).
 * Build: scripts/build-winograd-wasm.sh (clang-19 --target=wasm32 -msimd128; see that script). It builds two
 * variants: strict SIMD, and relaxed SIMD (-DADVBN_RELAXED: madd is relaxed_madd, a fused multiply-add where
 * the CPU has one — 1.3× the GEMM's throughput on the dev machine's AMD EPYC), used where the engine has it.
 *
 * The module imports tfjs-backend-wasm's memory and works only through pointers it is given: no data
 * segment, no stack (every buffer, scratch included, comes from the caller, who allocates it with
 * tfjs's malloc), so it can share the emscripten heap without touching anything it does not own.
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A      (Lavin & Gray 2016, points 0, ±1, ±2, ±1/2)
 *
 * One call: the input transform of a block of tiles into V[36][T][K], 36 GEMMs
 * M[ξ] = V[ξ] · U[ξ] (U = the transformed filter, packed [36][N/8][K][8]) and the output transform.
 * K (input channels) and N (output channels) must be multiples of 8 (checked by the caller).
 */
#include "winograd-simd.h"

/*
 * The filter transform U[ξ = 6i+j][n/8][k][n%8] = (G g_{k,n} Gᵀ)[i][j], once per filter.
 * w: [3][3][Ci][Co]. flip = 0: K = Ci, N = Co (the forward convolution);
 * flip = 1: K = Co, N = Ci, g_{k,n}[a][b] = w[2-a][2-b][n][k] (∂L/∂x = conv(dy, rot180(W)ᵀ)).
 */
EXPORT(wino4_filter)
void wino4_filter(const float *w, float *U, int Ci, int Co, int flip) {
  const int K = flip ? Co : Ci, N = flip ? Ci : Co;
  const long sa = flip ? -3L * Ci * Co : 3L * Ci * Co, sb = flip ? -(long)Ci * Co : (long)Ci * Co;
  for (int k = 0; k < K; k++) {
    for (int n = 0; n < N; n++) {
      /* g[a][b] = p[a·sa + b·sb]: w[a][b][k][n], or w[2-a][2-b][n][k] when flipped. */
      const float *p = flip ? w + 8L * Ci * Co + (long)n * Co + k : w + (long)k * Co + n;
      float *u = U + (long)(n / 8) * K * 8 + k * 8 + n % 8;
      const long su = (long)(N / 8) * K * 8; /* from one ξ to the next */
      /* t = G g (6×3), one column b at a time, then each row of t times Gᵀ. */
      float t0[3], t1[3], t2[3], t3[3], t4[3], t5[3];
#define GCOL(b)                                                                              \
  do {                                                                                       \
    const float g0 = p[(b) * sb], g1 = p[sa + (b) * sb], g2 = p[2 * sa + (b) * sb];          \
    t0[b] = g0 / 4; t1[b] = -(g0 + g1 + g2) / 6; t2[b] = -(g0 - g1 + g2) / 6;              \
    t3[b] = g0 / 24 + g1 / 12 + g2 / 6; t4[b] = g0 / 24 - g1 / 12 + g2 / 6; t5[b] = g2;      \
  } while (0)
      GCOL(0); GCOL(1); GCOL(2);
#define GROW(i, t)                                                                           \
  do {                                                                                       \
    const float g0 = t[0], g1 = t[1], g2 = t[2];                                             \
    float *ui = u + (i) * 6 * su;                                                            \
    ui[0] = g0 / 4; ui[su] = -(g0 + g1 + g2) / 6; ui[2 * su] = -(g0 - g1 + g2) / 6;         \
    ui[3 * su] = g0 / 24 + g1 / 12 + g2 / 6; ui[4 * su] = g0 / 24 - g1 / 12 + g2 / 6;       \
    ui[5 * su] = g2;                                                                         \
  } while (0)
      GROW(0, t0); GROW(1, t1); GROW(2, t2); GROW(3, t3); GROW(4, t4); GROW(5, t5);
    }
  }
}

/* Bᵀ applied to six vectors (a column or a row of a 6×6 tile). */
#define BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5)                 \
  do {                                                                     \
    V s13 = sub(d4, mulc(d2, 4.f)), s24 = sub(d3, mulc(d1, 4.f));          \
    V p13 = sub(d4, d2), p24 = mulc(sub(d3, d1), 2.f);                     \
    o0 = add(sub(mulc(d0, 4.f), mulc(d2, 5.f)), d4);                       \
    o1 = add(s13, s24);                                                    \
    o2 = sub(s13, s24);                                                    \
    o3 = add(p13, p24);                                                    \
    o4 = sub(p13, p24);                                                    \
    o5 = add(sub(mulc(d1, 4.f), mulc(d3, 5.f)), d5);                       \
  } while (0)

/* Aᵀ applied to six vectors. */
#define AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3)                         \
  do {                                                                     \
    V a12 = add(m1, m2), s12 = sub(m1, m2), a34 = add(m3, m4), s34 = sub(m3, m4); \
    o0 = add(add(m0, a12), a34);                                           \
    o1 = add(s12, mulc(s34, 2.f));                                         \
    o2 = add(a12, mulc(a34, 4.f));                                         \
    o3 = add(add(s12, mulc(s34, 8.f)), m5);                                \
  } while (0)

/*
 * Input transform of tiles [t0, t1) into V, laid out for the GEMM that reads it:
 *   packed 1 (the forward GEMM): groups of four tiles, V[36][T/4][K][4] (T = t1 − t0 rounded up to a multiple
 *     of 4; the rows past t1 are zero), so that the GEMM's four rows at one k are one 16-byte line;
 *   packed 2 (the filter gradient's Vᵀ·∂M): groups of four channels, V[36][K/4][T][4] (T = t1 − t0), so that
 *     four channels of one tile are one 16-byte line and the next tile's follow.
 * tmp: 36·4 floats of scratch.
 */
void input_transform(const float *x, float *Vb, float *tmp, int H, int W, int K, int padT, int padL,
                     int tilesW, int tilesPerImage, int t0, int t1, int packed) {
  const int T = packed == 1 ? (t1 - t0 + 3) & ~3 : t1 - t0;
  const V zero = wasm_f32x4_splat(0.f);
  for (int t = t1; t < t0 + T; t++)
    for (int xi = 0; xi < 36; xi++)
      for (int c = 0; c < K; c++) Vb[(long)xi * T * K + (long)((t - t0) >> 2) * K * 4 + c * 4 + ((t - t0) & 3)] = 0.f;
  /* packed 2 writes one tile's channels T·16 bytes apart: channels go in chunks of 64, tiles inside, so that the
     36 × 16 lines being filled stay in L1 (all K at once: 4.7 → 12–15 ms at 242 tiles × 512 channels). */
  const int chunk = packed == 2 ? 64 : K;
  for (int cc = 0; cc < K; cc += chunk)
  for (int t = t0; t < t1; t++) {
    const int img = t / tilesPerImage, r = t % tilesPerImage;
    const int y0 = (r / tilesW) * 4 - padT, x0 = (r % tilesW) * 4 - padL;
    const float *xi = x + (long)img * H * W * K;
    unsigned rowOk = 0, colOk = 0;
    for (int a = 0; a < 6; a++) {
      if (y0 + a >= 0 && y0 + a < H) rowOk |= 1u << a;
      if (x0 + a >= 0 && x0 + a < W) colOk |= 1u << a;
    }
    float *vt = packed == 1 ? Vb + (long)((t - t0) >> 2) * K * 4 + ((t - t0) & 3) : Vb + (long)(t - t0) * 4;
    for (int c = cc; c < cc + chunk && c < K; c += 4) {
      for (int j = 0; j < 6; j++) {
        const float *xc = xi + ((long)y0 * W + x0 + j) * K + c;
        const long rs = (long)W * K;
#define D(a) ((((rowOk >> (a)) & (colOk >> j)) & 1) ? ld(xc + (a) * rs) : zero)
        const V d0 = D(0), d1 = D(1), d2 = D(2), d3 = D(3), d4 = D(4), d5 = D(5);
#undef D
        V o0, o1, o2, o3, o4, o5;
        BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5);
        st(tmp + (0 * 6 + j) * 4, o0); st(tmp + (1 * 6 + j) * 4, o1); st(tmp + (2 * 6 + j) * 4, o2);
        st(tmp + (3 * 6 + j) * 4, o3); st(tmp + (4 * 6 + j) * 4, o4); st(tmp + (5 * 6 + j) * 4, o5);
      }
      for (int i = 0; i < 6; i++) {
        const float *ti = tmp + i * 6 * 4;
        V o0, o1, o2, o3, o4, o5;
        BT(ld(ti), ld(ti + 4), ld(ti + 8), ld(ti + 12), ld(ti + 16), ld(ti + 20), o0, o1, o2, o3, o4, o5);
        const long xs = (long)T * K;
        if (packed == 1) {
          float *vo = vt + 4 * c + (long)(i * 6) * xs;
#define ST4(p, v) do { wasm_v128_store32_lane(p, v, 0); wasm_v128_store32_lane((p) + 4, v, 1); \
                       wasm_v128_store32_lane((p) + 8, v, 2); wasm_v128_store32_lane((p) + 12, v, 3); } while (0)
          ST4(vo, o0); ST4(vo + xs, o1); ST4(vo + 2 * xs, o2); ST4(vo + 3 * xs, o3); ST4(vo + 4 * xs, o4); ST4(vo + 5 * xs, o5);
#undef ST4
        } else {
          float *vo = vt + (long)c * T + (long)(i * 6) * xs;
          st(vo, o0); st(vo + xs, o1); st(vo + 2 * xs, o2); st(vo + 3 * xs, o3); st(vo + 4 * xs, o4); st(vo + 5 * xs, o5);
        }
      }
    }
  }
}

/* Output transform of M[36][T][n1 − n0] (T = t1 − t0 rounded up to a multiple of 4) into y for tiles [t0, t1). */
static void output_transform(const float *Mb, float *y, float *tmp, int Ho, int Wo, int N, int n0, int n1,
                             int tilesW, int tilesPerImage, int t0, int t1) {
  const int T = (t1 - t0 + 3) & ~3, nw = n1 - n0;
  const long ms = (long)T * nw;
  for (int t = t0; t < t1; t++) {
    const int img = t / tilesPerImage, r = t % tilesPerImage;
    const int y0 = (r / tilesW) * 4, x0 = (r % tilesW) * 4;
    float *yi = y + (long)img * Ho * Wo * N;
    const float *mt = Mb + (long)(t - t0) * nw - n0;
    for (int c = n0; c < n1; c += 4) {
      for (int j = 0; j < 6; j++) {
        const float *m = mt + c + (long)j * ms;
        V o0, o1, o2, o3;
        AT(ld(m), ld(m + 6 * ms), ld(m + 12 * ms), ld(m + 18 * ms), ld(m + 24 * ms), ld(m + 30 * ms), o0, o1, o2, o3);
        st(tmp + (0 * 6 + j) * 4, o0); st(tmp + (1 * 6 + j) * 4, o1);
        st(tmp + (2 * 6 + j) * 4, o2); st(tmp + (3 * 6 + j) * 4, o3);
      }
      for (int i = 0; i < 4 && y0 + i < Ho; i++) {
        const float *ti = tmp + i * 6 * 4;
        V o0, o1, o2, o3;
        AT(ld(ti), ld(ti + 4), ld(ti + 8), ld(ti + 12), ld(ti + 16), ld(ti + 20), o0, o1, o2, o3);
        float *yr = yi + ((long)(y0 + i) * Wo + x0) * N + c;
        const int cols = Wo - x0;
        st(yr, o0);
        if (cols > 1) st(yr + N, o1);
        if (cols > 2) st(yr + 2 * N, o2);
        if (cols > 3) st(yr + 3 * N, o3);
      }
    }
  }
}

/*
 * C[T][p0·8 … p1·8) (row stride ldc, C at column p0·8) = A · B: A packed in groups of four rows [T/4][K][4]
 * (T a multiple of 4), B packed [N/8][K][8]. Blocks of 4 rows × 8 columns in registers; the four rows' values
 * at one k are adjacent, so a block reads A front to back (rows one at a time: four lines at once, 14 % slower).
 */
static void gemm(const float *A, const float *B, float *C, int T, int K, int p0, int p1, int ldc) {
  C -= p0 * 8;
  for (int p = p0; p < p1; p++) {
    const float *Bp = B + (long)p * K * 8;
    for (int t = 0; t < T; t += 4) {
      const float *a = A + (long)t * K;
      V c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float *b = Bp;
      for (int k = 0; k < K; k++, b += 8, a += 4) MK4X8_STEP(a, b);
      float *c = C + (long)t * ldc + p * 8;
      st(c, c00); st(c + 4, c01); c += ldc;
      st(c, c10); st(c + 4, c11); c += ldc;
      st(c, c20); st(c + 4, c21); c += ldc;
      st(c, c30); st(c + 4, c31);
    }
  }
}

/*
 * y[Nimg][Ho][Wo][n0 … n1) = conv(x[Nimg][H][W][K], filter) for tiles [t0, t1) of the 4×4 output tiles
 * (numbered image by image, row by row) and output channels [n0, n1) (multiples of 8: threads split the
 * channels, each reading only its part of U). With T = t1 − t0 rounded up to a multiple of 4, Vb: 36·T·K
 * floats, Mb: 36·T·(n1-n0) floats, tmp: 144 floats. x is read at rows 4·ty − padT … +5 and columns likewise; outside is zero padding.
 */
EXPORT(wino4_conv)
void wino4_conv(const float *x, const float *U, float *y, float *Vb, float *Mb, float *tmp, int H, int W, int K,
                int N, int padT, int padL, int Ho, int Wo, int t0, int t1, int n0, int n1) {
  const int tilesW = (Wo + 3) / 4, tilesPerImage = ((Ho + 3) / 4) * tilesW, T = (t1 - t0 + 3) & ~3, nw = n1 - n0;
  input_transform(x, Vb, tmp, H, W, K, padT, padL, tilesW, tilesPerImage, t0, t1, 1);
  for (int xi = 0; xi < 36; xi++)
    gemm(Vb + (long)xi * T * K, U + (long)xi * K * N, Mb + (long)xi * T * nw, T, K, n0 / 8, n1 / 8, nw);
  output_transform(Mb, y, tmp, Ho, Wo, N, n0, n1, tilesW, tilesPerImage, t0, t1);
}

/*
 * Matrix–vector products for the fully connected layers at batch 1 (VGG-19's fc1 is 25088×4096: 411 MB
 * streamed once per product, so what counts is reading the weights at memory speed).
 * gemv_rows: y[N] = x[K] · B, B row-major K×N (the forward pass): four rows of B per pass over y.
 * gemv_dots: y[N] with y[n] = B[n][·] · x[K], B row-major N×K (∂L/∂x = dy · Bᵀ): row dot products.
 * Threads split the outputs: columns [n0, n1) of gemv_rows, rows [r0, r1) of gemv_dots. N and K (the
 * inner dimension of gemv_dots) must be multiples of 4 and 8 respectively (checked by the caller).
 */
EXPORT(gemv_rows)
void gemv_rows(const float *x, const float *B, float *y, int K, int N, int n0, int n1) {
  const V zero = wasm_f32x4_splat(0.f);
  for (int n = n0; n < n1; n += 4) st(y + n, zero);
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    const V x0 = wasm_f32x4_splat(x[k]), x1 = wasm_f32x4_splat(x[k + 1]), x2 = wasm_f32x4_splat(x[k + 2]), x3 = wasm_f32x4_splat(x[k + 3]);
    const float *b0 = B + (long)k * N, *b1 = b0 + N, *b2 = b1 + N, *b3 = b2 + N;
    for (int n = n0; n < n1; n += 4) {
      V acc = ld(y + n);
      acc = madd(x0, ld(b0 + n), acc);
      acc = madd(x1, ld(b1 + n), acc);
      acc = madd(x2, ld(b2 + n), acc);
      acc = madd(x3, ld(b3 + n), acc);
      st(y + n, acc);
    }
  }
  for (; k < K; k++) {
    const V xk = wasm_f32x4_splat(x[k]);
    const float *b = B + (long)k * N;
    for (int n = n0; n < n1; n += 4) st(y + n, madd(xk, ld(b + n), ld(y + n)));
  }
}

static inline float hsum(V v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

EXPORT(gemv_dots)
void gemv_dots(const float *x, const float *B, float *y, int K, int r0, int r1) {
  int n = r0;
  for (; n + 2 <= r1; n += 2) {
    const float *b0 = B + (long)n * K, *b1 = b0 + K;
    V a0 = wasm_f32x4_splat(0.f), a1 = a0, c0 = a0, c1 = a0;
    for (int k = 0; k < K; k += 8) {
      const V xa = ld(x + k), xb = ld(x + k + 4);
      a0 = madd(xa, ld(b0 + k), a0); c0 = madd(xb, ld(b0 + k + 4), c0);
      a1 = madd(xa, ld(b1 + k), a1); c1 = madd(xb, ld(b1 + k + 4), c1);
    }
    y[n] = hsum(add(a0, c0));
    y[n + 1] = hsum(add(a1, c1));
  }
  for (; n < r1; n++) {
    const float *b0 = B + (long)n * K;
    V a0 = wasm_f32x4_splat(0.f), c0 = a0;
    for (int k = 0; k < K; k += 8) {
      a0 = madd(ld(x + k), ld(b0 + k), a0); c0 = madd(ld(x + k + 4), ld(b0 + k + 4), c0);
    }
    y[n] = hsum(add(a0, c0));
  }
}
