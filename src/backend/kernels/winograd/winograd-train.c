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
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
typedef v128_t V;

static inline V add(V a, V b) { return wasm_f32x4_add(a, b); }
static inline V sub(V a, V b) { return wasm_f32x4_sub(a, b); }
static inline V mulc(V a, float c) { return wasm_f32x4_mul(a, wasm_f32x4_splat(c)); }

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
 * (the filter of ∂L/∂x). Ci and Co multiples of 8 (checked by the caller).
 */
EXPORT(wino4_filter_simd)
void wino4_filter_simd(const float *w, float *U, int Ci, int Co, int flip) {
  const int K = flip ? Co : Ci, N = flip ? Ci : Co;
  const long su = (long)N * K, tap = (long)Ci * Co;
  if (!flip) {
    /* n in blocks of four, k inner: the stores of consecutive k are adjacent (32 bytes apart). */
    for (int n = 0; n < N; n += 4) {
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
    for (int n = 0; n < N; n += 4) {
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
