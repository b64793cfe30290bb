/*
 * N-API binding. hashChunks(data, out, tail?, impl?) hashes every 1024-byte chunk of `data`
 * (read in place, no copy) and then the optional 1024-byte `tail` chunk, writing 32-byte
 * digests to `out` in order. `impl` ("avx512" | "avx2" | "scalar") forces one path, for tests
 * and benchmarks; by default the widest path this CPU supports runs.
 */
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256_chunks.h"

#define BATCH 256 /* chunk pointers per call into the kernels: a multiple of 16, on the stack */

static napi_value throw_error(napi_env env, int range, const char *msg) {
  if (range)
    napi_throw_range_error(env, "ERR_VERDICT_SHA256", msg);
  else
    napi_throw_type_error(env, "ERR_VERDICT_SHA256", msg);
  return NULL;
}

/* Reads a Uint8Array (or Buffer) argument; returns 0 and throws when it is something else. */
static int get_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    char msg[96];
    snprintf(msg, sizeof msg, "hashChunks: %s must be a Uint8Array", what);
    throw_error(env, 0, msg);
    return 0;
  }
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "hashChunks: %s must be a Uint8Array", what);
    throw_error(env, 0, msg);
    return 0;
  }
  *data = (uint8_t *)ptr;
  return 1;
}

static int parse_impl(napi_env env, napi_value v, sha_impl *impl) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) {
    *impl = sha_best_impl();
    return 1;
  }
  char name[16] = {0};
  size_t n = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, v, name, sizeof name, &n) != napi_ok) {
    throw_error(env, 0, "hashChunks: impl must be \"avx512\", \"avx2\" or \"scalar\"");
    return 0;
  }
  if (strcmp(name, "avx512") == 0)
    *impl = SHA_IMPL_AVX512;
  else if (strcmp(name, "avx2") == 0)
    *impl = SHA_IMPL_AVX2;
  else if (strcmp(name, "scalar") == 0)
    *impl = SHA_IMPL_SCALAR;
  else {
    throw_error(env, 0, "hashChunks: impl must be \"avx512\", \"avx2\" or \"scalar\"");
    return 0;
  }
  if (!sha_impl_supported(*impl)) {
    char msg[96];
    snprintf(msg, sizeof msg, "hashChunks: this CPU cannot run the %s path", name);
    throw_error(env, 1, msg);
    return 0;
  }
  return 1;
}

static napi_value hash_chunks(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_error(env, 0, "hashChunks(data, out, tail?, impl?) needs data and out");
  uint8_t *data, *out, *tail = NULL;
  size_t data_len, out_len, tail_len = 0;
  if (!get_bytes(env, argv[0], "data", &data, &data_len)) return NULL;
  if (!get_bytes(env, argv[1], "out", &out, &out_len)) return NULL;
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t != napi_undefined && t != napi_null) {
      if (!get_bytes(env, argv[2], "tail", &tail, &tail_len)) return NULL;
      if (tail_len != VERDICT_CHUNK)
        return throw_error(env, 1, "hashChunks: tail must be exactly one 1024-byte chunk");
    }
  }
  sha_impl impl = sha_best_impl();
  if (argc >= 4 && !parse_impl(env, argv[3], &impl)) return NULL;
  if (data_len % VERDICT_CHUNK != 0)
    return throw_error(env, 1, "hashChunks: data length must be a multiple of 1024 bytes");
  size_t full = data_len / VERDICT_CHUNK;
  size_t total = full + (tail ? 1 : 0);
  if (out_len < 32 * total)
    return throw_error(env, 1, "hashChunks: out is shorter than 32 bytes per chunk");

  const uint8_t *ptrs[BATCH];
  for (size_t i = 0; i < total; i += BATCH) {
    size_t count = total - i < BATCH ? total - i : BATCH;
    for (size_t j = 0; j < count; j++)
      ptrs[j] = (i + j < full) ? data + (i + j) * VERDICT_CHUNK : tail;
    sha_hash_chunks(impl, ptrs, count, out + 32 * i);
  }
  napi_value undef;
  napi_get_undefined(env, &undef);
  return undef;
}

/*
 * hashParts(parts, out, impl?): every 1024-byte chunk of parts[0], then of parts[1], ..., in one
 * multi-buffer stream, so many small tensors (and their padded tails) fill all SIMD lanes.
 */
static napi_value hash_parts(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_error(env, 0, "hashParts(parts, out, impl?) needs parts and out");
  bool is_array = false;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array)
    return throw_error(env, 0, "hashParts: parts must be an array of Uint8Arrays");
  uint8_t *out;
  size_t out_len;
  if (!get_bytes(env, argv[1], "out", &out, &out_len)) return NULL;
  sha_impl impl = sha_best_impl();
  if (argc >= 3 && !parse_impl(env, argv[2], &impl)) return NULL;
  uint32_t nparts = 0;
  napi_get_array_length(env, argv[0], &nparts);

  /* Validate every part and count chunks first, so nothing is written on bad input; the
   * part pointers are kept so that the hashing pass cannot see different parts. */
  uint8_t **part_data = malloc(sizeof(uint8_t *) * (nparts ? nparts : 1));
  size_t *part_len = malloc(sizeof(size_t) * (nparts ? nparts : 1));
  if (!part_data || !part_len) {
    free(part_data);
    free(part_len);
    return throw_error(env, 1, "hashParts: out of memory");
  }
  size_t total = 0;
  for (uint32_t k = 0; k < nparts; k++) {
    napi_value el;
    if (napi_get_element(env, argv[0], k, &el) != napi_ok ||
        !get_bytes(env, el, "every part", &part_data[k], &part_len[k])) {
      free(part_data);
      free(part_len);
      return NULL;
    }
    if (part_len[k] % VERDICT_CHUNK != 0) {
      free(part_data);
      free(part_len);
      return throw_error(env, 1, "hashParts: every part must be a multiple of 1024 bytes");
    }
    total += part_len[k] / VERDICT_CHUNK;
  }
  if (out_len / 32 < total) {
    free(part_data);
    free(part_len);
    return throw_error(env, 1, "hashParts: out is shorter than 32 bytes per chunk");
  }

  const uint8_t *ptrs[BATCH];
  size_t fill = 0, done = 0;
  for (uint32_t k = 0; k < nparts; k++) {
    for (size_t off = 0; off < part_len[k]; off += VERDICT_CHUNK) {
      ptrs[fill++] = part_data[k] + off;
      if (fill == BATCH) {
        sha_hash_chunks(impl, ptrs, fill, out + 32 * done);
        done += fill;
        fill = 0;
      }
    }
  }
  free(part_data);
  free(part_len);
  if (fill > 0) sha_hash_chunks(impl, ptrs, fill, out + 32 * done);
  napi_value undef;
  napi_get_undefined(env, &undef);
  return undef;
}

/*
 * hashPartsAsync(parts, out, impl, callback): hashParts on a libuv thread-pool thread, so several
 * calls hash in parallel and the JS thread stays free. The parts and out are referenced until the
 * callback runs; the caller must not detach (transfer) their buffers meanwhile.
 */
typedef struct {
  napi_async_work work;
  napi_ref *refs; /* one per part, plus out */
  uint32_t nrefs;
  napi_ref callback;
  const uint8_t **ptrs;
  size_t count;
  uint8_t *out;
  sha_impl impl;
} async_job;

static void async_execute(napi_env env, void *data) {
  (void)env;
  async_job *job = data;
  for (size_t i = 0; i < job->count; i += BATCH) {
    size_t n = job->count - i < BATCH ? job->count - i : BATCH;
    sha_hash_chunks(job->impl, job->ptrs + i, n, job->out + 32 * i);
  }
}

static void async_free(napi_env env, async_job *job) {
  for (uint32_t k = 0; k < job->nrefs; k++)
    if (job->refs[k]) napi_delete_reference(env, job->refs[k]);
  if (job->callback) napi_delete_reference(env, job->callback);
  if (job->work) napi_delete_async_work(env, job->work);
  free(job->refs);
  free(job->ptrs);
  free(job);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  async_job *job = data;
  napi_value cb, global, arg;
  if (napi_get_reference_value(env, job->callback, &cb) == napi_ok && cb) {
    napi_get_global(env, &global);
    if (status == napi_ok)
      napi_get_null(env, &arg);
    else
      napi_create_string_utf8(env, "hashPartsAsync: cancelled", NAPI_AUTO_LENGTH, &arg);
    napi_call_function(env, global, cb, 1, &arg, NULL);
  }
  async_free(env, job);
}

static napi_value hash_parts_async(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) return throw_error(env, 0, "hashPartsAsync(parts, out, impl, callback) needs four arguments");
  napi_valuetype cbt;
  napi_typeof(env, argv[3], &cbt);
  if (cbt != napi_function) return throw_error(env, 0, "hashPartsAsync: callback must be a function");
  bool is_array = false;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array)
    return throw_error(env, 0, "hashPartsAsync: parts must be an array of Uint8Arrays");
  uint8_t *out;
  size_t out_len;
  if (!get_bytes(env, argv[1], "out", &out, &out_len)) return NULL;
  sha_impl impl;
  if (!parse_impl(env, argv[2], &impl)) return NULL;
  uint32_t nparts = 0;
  napi_get_array_length(env, argv[0], &nparts);

  async_job *job = calloc(1, sizeof *job);
  if (!job) return throw_error(env, 1, "hashPartsAsync: out of memory");
  job->refs = calloc((size_t)nparts + 1, sizeof(napi_ref));
  uint8_t **part_data = malloc(sizeof(uint8_t *) * (nparts ? nparts : 1));
  size_t *part_len = malloc(sizeof(size_t) * (nparts ? nparts : 1));
  napi_value fail = NULL;
  int ok = job->refs && part_data && part_len;
  size_t total = 0;
  for (uint32_t k = 0; ok && k < nparts; k++) {
    napi_value el;
    ok = napi_get_element(env, argv[0], k, &el) == napi_ok &&
         get_bytes(env, el, "every part", &part_data[k], &part_len[k]);
    if (!ok) break;
    if (part_len[k] % VERDICT_CHUNK != 0) {
      fail = throw_error(env, 1, "hashPartsAsync: every part must be a multiple of 1024 bytes");
      ok = 0;
      break;
    }
    total += part_len[k] / VERDICT_CHUNK;
    napi_create_reference(env, el, 1, &job->refs[job->nrefs++]);
  }
  if (ok && out_len / 32 < total) {
    fail = throw_error(env, 1, "hashPartsAsync: out is shorter than 32 bytes per chunk");
    ok = 0;
  }
  if (ok) {
    napi_create_reference(env, argv[1], 1, &job->refs[job->nrefs++]);
    napi_create_reference(env, argv[3], 1, &job->callback);
    job->ptrs = malloc(sizeof(uint8_t *) * (total ? total : 1));
    ok = job->ptrs != NULL;
  }
  if (ok) {
    size_t i = 0;
    for (uint32_t k = 0; k < nparts; k++)
      for (size_t off = 0; off < part_len[k]; off += VERDICT_CHUNK) job->ptrs[i++] = part_data[k] + off;
    job->count = total;
    job->out = out;
    job->impl = impl;
    napi_value name;
    napi_create_string_utf8(env, "verdict:sha256chunks", NAPI_AUTO_LENGTH, &name);
    ok = napi_create_async_work(env, NULL, name, async_execute, async_complete, job, &job->work) == napi_ok &&
         napi_queue_async_work(env, job->work) == napi_ok;
  }
  free(part_data);
  free(part_len);
  if (!ok) {
    async_free(env, job);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending && !fail) throw_error(env, 1, "hashPartsAsync: could not queue the work");
    return NULL;
  }
  napi_value undef;
  napi_get_undefined(env, &undef);
  return undef;
}

static napi_value supported(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[16] = {0};
  size_t n = 0;
  int ok = 0;
  if (argc >= 1 && napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) == napi_ok) {
    if (strcmp(name, "avx512") == 0) ok = sha_impl_supported(SHA_IMPL_AVX512);
    if (strcmp(name, "avx2") == 0) ok = sha_impl_supported(SHA_IMPL_AVX2);
    if (strcmp(name, "scalar") == 0) ok = 1;
  }
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, best;
  napi_create_function(env, "hashChunks", NAPI_AUTO_LENGTH, hash_chunks, NULL, &fn);
  napi_set_named_property(env, exports, "hashChunks", fn);
  napi_create_function(env, "hashParts", NAPI_AUTO_LENGTH, hash_parts, NULL, &fn);
  napi_set_named_property(env, exports, "hashParts", fn);
  napi_create_function(env, "hashPartsAsync", NAPI_AUTO_LENGTH, hash_parts_async, NULL, &fn);
  napi_set_named_property(env, exports, "hashPartsAsync", fn);
  napi_create_function(env, "supported", NAPI_AUTO_LENGTH, supported, NULL, &fn);
  napi_set_named_property(env, exports, "supported", fn);
  napi_create_string_utf8(env, sha_impl_name(sha_best_impl()), NAPI_AUTO_LENGTH, &best);
  napi_set_named_property(env, exports, "impl", best);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
