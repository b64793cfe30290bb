/*
 * Multi-buffer sha256 for 1024-byte tensor chunks: 16 lanes with AVX-512, 8 lanes with AVX2,
 * and a scalar path, chosen at run time. The SIMD kernels are compiled with target pragmas so
 * one binary runs on any x86-64 (and the scalar path everywhere else).
 */
#include "sha256_chunks.h"

#include <string.h>

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t IV256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/*
 * K[t] + W[t] of the padding block every 1024-byte message ends with: 0x80, zeros, and the
 * bit length 8192 in the last word. Filled once at load.
 */
static uint32_t PAD_KW[64];

static inline uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static inline uint32_t load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

__attribute__((constructor)) static void init_pad_schedule(void) {
  uint32_t w[64] = {0};
  w[0] = 0x80000000u;
  w[15] = VERDICT_CHUNK * 8;
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  for (int t = 0; t < 64; t++) PAD_KW[t] = w[t] + K256[t];
}

/* ---------------------------------------------------------------- scalar */

static void compress_scalar(uint32_t s[8], const uint32_t *kw_or_null, const uint8_t *block) {
  uint32_t w[64];
  if (block) {
    for (int t = 0; t < 16; t++) w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
      uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3);
      uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    for (int t = 0; t < 64; t++) w[t] += K256[t];
  } else {
    memcpy(w, kw_or_null, sizeof w);
  }
  uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int t = 0; t < 64; t++) {
    uint32_t t1 = h + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) + w[t];
    uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s[0] += a;
  s[1] += b;
  s[2] += c;
  s[3] += d;
  s[4] += e;
  s[5] += f;
  s[6] += g;
  s[7] += h;
}

static void hash_chunk_scalar(const uint8_t *chunk, uint8_t *out) {
  uint32_t s[8];
  memcpy(s, IV256, sizeof s);
  for (size_t off = 0; off < VERDICT_CHUNK; off += 64) compress_scalar(s, NULL, chunk + off);
  compress_scalar(s, PAD_KW, NULL);
  for (int i = 0; i < 8; i++) store_be32(out + 4 * i, s[i]);
}

#if defined(__x86_64__) || defined(_M_X64)
#define VERDICT_X86 1
#include <immintrin.h>

/* ---------------------------------------------------------------- AVX2, 8 lanes */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

/* 8x8 transpose of 32-bit words: r[j] = 8 words of lane j -> w[i] = word i of every lane. */
static inline void transpose8(const __m256i r[8], __m256i *w) {
  __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  w[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  w[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  w[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  w[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  w[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  w[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  w[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  w[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

static inline void load_words_avx2(__m256i w[16], const uint8_t *const *p, size_t off) {
  const __m256i bswap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0,
                                         7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  __m256i r[8];
  for (int h = 0; h < 2; h++) {
    for (int j = 0; j < 8; j++)
      r[j] = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(p[j] + off + 32 * h)), bswap);
    transpose8(r, w + 8 * h);
  }
}

#define V __m256i
#define LANES 8
#define ADD(a, b) _mm256_add_epi32(a, b)
#define XOR3(a, b, c) _mm256_xor_si256(_mm256_xor_si256(a, b), c)
#define ROR(x, n) _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - (n)))
#define SHR(x, n) _mm256_srli_epi32(x, n)
#define CH(e, f, g) _mm256_xor_si256(_mm256_and_si256(_mm256_xor_si256(f, g), e), g)
#define MAJ(a, b, c) \
  _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)))
#define SET1(x) _mm256_set1_epi32((int)(x))
#define LOAD_WORDS(w, p, off) load_words_avx2(w, p, off)
#define STORE(ptr, v) _mm256_storeu_si256((__m256i *)(ptr), v)
#define KERNEL kernel_avx2
#include "sha256_mb_core.inc"
#undef V
#undef LANES
#undef ADD
#undef XOR3
#undef ROR
#undef SHR
#undef CH
#undef MAJ
#undef SET1
#undef LOAD_WORDS
#undef STORE
#undef KERNEL

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/* ---------------------------------------------------------------- AVX-512, 16 lanes */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw")
#endif

/* 16x16 transpose of 32-bit words: r[j] = block of lane j -> w[i] = word i of every lane. */
static inline void transpose16(const __m512i r[16], __m512i w[16]) {
  __m512i t[16], u[16];
  for (int k = 0; k < 8; k++) {
    t[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
  }
  /* u[4q + m] holds, in 128-bit lane k, word 4k+m of rows 4q..4q+3. */
  for (int q = 0; q < 4; q++) {
    u[4 * q + 0] = _mm512_unpacklo_epi64(t[4 * q], t[4 * q + 2]);
    u[4 * q + 1] = _mm512_unpackhi_epi64(t[4 * q], t[4 * q + 2]);
    u[4 * q + 2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
    u[4 * q + 3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
  }
  for (int m = 0; m < 4; m++) {
    __m512i v0 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x44);
    __m512i v1 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xEE);
    __m512i v2 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x44);
    __m512i v3 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xEE);
    w[m] = _mm512_shuffle_i32x4(v0, v2, 0x88);
    w[4 + m] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
    w[8 + m] = _mm512_shuffle_i32x4(v1, v3, 0x88);
    w[12 + m] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
  }
}

static inline void load_words_avx512(__m512i w[16], const uint8_t *const *p, size_t off) {
  const __m512i bswap = _mm512_set_epi32(
      0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203, 0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203,
      0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203, 0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
  __m512i r[16];
  for (int j = 0; j < 16; j++) r[j] = _mm512_shuffle_epi8(_mm512_loadu_si512(p[j] + off), bswap);
  transpose16(r, w);
}

#define V __m512i
#define LANES 16
#define ADD(a, b) _mm512_add_epi32(a, b)
#define XOR3(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0x96)
#define ROR(x, n) _mm512_ror_epi32(x, n)
#define SHR(x, n) _mm512_srli_epi32(x, n)
#define CH(e, f, g) _mm512_ternarylogic_epi32(e, f, g, 0xCA)
#define MAJ(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0xE8)
#define SET1(x) _mm512_set1_epi32((int)(x))
#define LOAD_WORDS(w, p, off) load_words_avx512(w, p, off)
#define STORE(ptr, v) _mm512_storeu_si512((void *)(ptr), v)
#define KERNEL kernel_avx512
#include "sha256_mb_core.inc"
#undef V
#undef LANES
#undef ADD
#undef XOR3
#undef ROR
#undef SHR
#undef CH
#undef MAJ
#undef SET1
#undef LOAD_WORDS
#undef STORE
#undef KERNEL

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif /* x86-64 */

/* ---------------------------------------------------------------- dispatch */

int sha_impl_supported(sha_impl impl) {
  switch (impl) {
    case SHA_IMPL_SCALAR:
      return 1;
#ifdef VERDICT_X86
    case SHA_IMPL_AVX2:
      return __builtin_cpu_supports("avx2");
    case SHA_IMPL_AVX512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
    default:
      return 0;
  }
}

sha_impl sha_best_impl(void) {
  if (sha_impl_supported(SHA_IMPL_AVX512)) return SHA_IMPL_AVX512;
  if (sha_impl_supported(SHA_IMPL_AVX2)) return SHA_IMPL_AVX2;
  return SHA_IMPL_SCALAR;
}

const char *sha_impl_name(sha_impl impl) {
  switch (impl) {
    case SHA_IMPL_AVX512:
      return "avx512";
    case SHA_IMPL_AVX2:
      return "avx2";
    default:
      return "scalar";
  }
}

#ifdef VERDICT_X86
/* Run one kernel over `count` real chunks (count <= lanes); spare lanes rehash chunk 0. */
static void run_lanes(sha_impl impl, const uint8_t *const *chunks, size_t count, uint8_t *out) {
  const uint8_t *p[16];
  size_t lanes = (size_t)impl;
  for (size_t j = 0; j < lanes; j++) p[j] = chunks[j < count ? j : 0];
  if (impl == SHA_IMPL_AVX512) {
    uint32_t st[8][16];
    kernel_avx512(p, st);
    for (size_t j = 0; j < count; j++)
      for (int i = 0; i < 8; i++) store_be32(out + 32 * j + 4 * i, st[i][j]);
  } else {
    uint32_t st[8][8];
    kernel_avx2(p, st);
    for (size_t j = 0; j < count; j++)
      for (int i = 0; i < 8; i++) store_be32(out + 32 * j + 4 * i, st[i][j]);
  }
}
#endif

/*
 * Remainders. Measured in CPU time on the Cascade Lake dev machine: one 16-lane AVX-512 pass
 * costs ~7 us, one 8-lane AVX2 pass ~8 us, one scalar chunk ~5.5 us. So a partly filled wide pass
 * beats hashing the leftovers one by one as soon as two chunks are left, and on AVX-512 a padded
 * 16-lane pass beats any AVX2 pass.
 */
#define AVX512_MIN_FILL 2
#define AVX2_MIN_FILL 2

void sha_hash_chunks(sha_impl impl, const uint8_t *const *chunks, size_t n, uint8_t *out) {
  size_t i = 0;
#ifdef VERDICT_X86
  if (impl == SHA_IMPL_AVX512) {
    for (; n - i >= 16; i += 16) run_lanes(SHA_IMPL_AVX512, chunks + i, 16, out + 32 * i);
    if (n - i >= AVX512_MIN_FILL) {
      run_lanes(SHA_IMPL_AVX512, chunks + i, n - i, out + 32 * i);
      i = n;
    }
  }
  if (impl == SHA_IMPL_AVX512 || impl == SHA_IMPL_AVX2) {
    for (; n - i >= 8; i += 8) run_lanes(SHA_IMPL_AVX2, chunks + i, 8, out + 32 * i);
    if (n - i >= AVX2_MIN_FILL) {
      run_lanes(SHA_IMPL_AVX2, chunks + i, n - i, out + 32 * i);
      i = n;
    }
  }
#else
  (void)impl;
#endif
  for (; i < n; i++) hash_chunk_scalar(chunks[i], out + 32 * i);
}
