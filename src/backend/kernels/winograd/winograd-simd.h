/*
 * What winograd.c and winograd-train.c share: the SIMD helpers and the 4×8 GEMM micro-kernel's step.
 * Built into both by scripts/build-winograd-wasm.sh (-DADVBN_RELAXED: madd is relaxed_madd, a fused multiply-add
 * where the CPU has one).
 */
#ifndef ADVBN_WINOGRAD_SIMD_H
#define ADVBN_WINOGRAD_SIMD_H
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
typedef v128_t V;

static inline V ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, V v) { wasm_v128_store(p, v); }
static inline V add(V a, V b) { return wasm_f32x4_add(a, b); }
static inline V sub(V a, V b) { return wasm_f32x4_sub(a, b); }
static inline V mulc(V a, float c) { return wasm_f32x4_mul(a, wasm_f32x4_splat(c)); }
#ifdef ADVBN_RELAXED
static inline V madd(V a, V b, V c) { return __builtin_wasm_relaxed_madd_f32x4(a, b, c); }
#else
static inline V madd(V a, V b, V c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
#endif

/*
 * One step of the 4×8 micro-kernel: accumulators c00 … c31 (row r, lanes 0–3 and 4–7) += a[r] · b[0 … 7], with the
 * four a values adjacent (both GEMMs pack their A operand so) and b eight adjacent floats.
 */
#define MK4X8_STEP(a, b)                                                  \
  do {                                                                    \
    const V b0_ = ld(b), b1_ = ld((b) + 4);                               \
    V s_ = wasm_v128_load32_splat(a);                                     \
    c00 = madd(s_, b0_, c00); c01 = madd(s_, b1_, c01);                   \
    s_ = wasm_v128_load32_splat((a) + 1);                                 \
    c10 = madd(s_, b0_, c10); c11 = madd(s_, b1_, c11);                   \
    s_ = wasm_v128_load32_splat((a) + 2);                                 \
    c20 = madd(s_, b0_, c20); c21 = madd(s_, b1_, c21);                   \
    s_ = wasm_v128_load32_splat((a) + 3);                                 \
    c30 = madd(s_, b0_, c30); c31 = madd(s_, b1_, c31);                   \
  } while (0)

#endif
