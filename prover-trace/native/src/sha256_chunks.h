/*
 * Multi-buffer sha256 of equal-length 1024-byte messages (tensor chunks, docs/commitments.md).
 * Every message is exactly CHUNK bytes, so the final sha256 padding block is the same for all
 * of them and its message schedule is a constant computed once.
 */
#ifndef VERDICT_SHA256_CHUNKS_H
#define VERDICT_SHA256_CHUNKS_H
#include <stddef.h>
#include <stdint.h>

#define VERDICT_CHUNK 1024

typedef enum { SHA_IMPL_SCALAR = 1, SHA_IMPL_AVX2 = 8, SHA_IMPL_AVX512 = 16 } sha_impl;

/* Widest implementation this CPU runs. */
sha_impl sha_best_impl(void);
/* 1 when this CPU can run `impl`. */
int sha_impl_supported(sha_impl impl);
const char *sha_impl_name(sha_impl impl);

/*
 * out[32*i .. 32*i+32) = sha256(chunks[i][0 .. 1024)) for i < n. Chunk pointers are arbitrary
 * (need not be contiguous or aligned), which lets the caller hash a padded tail chunk that
 * lives in another buffer in the same SIMD pass.
 */
void sha_hash_chunks(sha_impl impl, const uint8_t *const *chunks, size_t n, uint8_t *out);
#endif
