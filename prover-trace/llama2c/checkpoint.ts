/**
 * llama2.c checkpoints ("legacy" layout, little-endian; ../shared/models/stories260K/README.md):
 * a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), then
 * float32 arrays, every matrix row-major `[out][in]` (y = W x). A negative vocab_size means a
 * separate classifier matrix follows the RoPE tables; otherwise the classifier is the token
 * embedding (tied).
 */

export class CheckpointFormatError extends Error {
  override name = "CheckpointFormatError";
}

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  headSize: number;
  kvDim: number;
  /** false: the classifier is the token-embedding table. */
  separateClassifier: boolean;
}

export interface Llama2cWeights {
  tokenEmbedding: Float32Array; // [vocab][dim]
  rmsAtt: Float32Array[]; // per layer [dim]
  wq: Float32Array[]; // [dim][dim]
  wk: Float32Array[]; // [kvDim][dim]
  wv: Float32Array[]; // [kvDim][dim]
  wo: Float32Array[]; // [dim][dim]
  rmsFfn: Float32Array[]; // [dim]
  w1: Float32Array[]; // [hidden][dim]
  w2: Float32Array[]; // [dim][hidden]
  w3: Float32Array[]; // [hidden][dim]
  rmsFinal: Float32Array; // [dim]
  classifier: Float32Array; // [vocab][dim]
}

export interface Llama2cCheckpoint {
  config: Llama2cConfig;
  weights: Llama2cWeights;
}

const HEADER_BYTES = 7 * 4;

export function parseCheckpoint(bytes: Uint8Array): Llama2cCheckpoint {
  if (bytes.length < HEADER_BYTES)
    throw new CheckpointFormatError(`checkpoint is ${bytes.length} bytes, shorter than its 28-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = Array.from({ length: 7 }, (_, i) => view.getInt32(i * 4, true));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = h;
  const vocabSize = Math.abs(rawVocab);
  const bad = (what: string) =>
    new CheckpointFormatError(`checkpoint header: ${what} (header ${h.join(", ")})`);
  for (const [name, v, max] of [
    ["dim", dim, 1 << 14],
    ["hidden_dim", hiddenDim, 1 << 16],
    ["n_layers", nLayers, 1024],
    ["n_heads", nHeads, 1024],
    ["n_kv_heads", nKvHeads, 1024],
    ["vocab_size", vocabSize, 1 << 20],
    ["seq_len", seqLen, 1 << 20],
  ] as const)
    if (!(v >= 1 && v <= max)) throw bad(`${name} ${v} outside [1, ${max}]`);
  if (dim % nHeads !== 0) throw bad(`dim ${dim} is not a multiple of n_heads ${nHeads}`);
  if (nHeads % nKvHeads !== 0) throw bad(`n_heads ${nHeads} is not a multiple of n_kv_heads ${nKvHeads}`);
  const headSize = dim / nHeads;
  if (headSize % 2 !== 0) throw bad(`head size ${headSize} is odd (RoPE rotates pairs)`);
  const kvDim = nKvHeads * headSize;
  const separateClassifier = rawVocab < 0;
  const config: Llama2cConfig = {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize,
    seqLen,
    headSize,
    kvDim,
    separateClassifier,
  };

  const floats =
    vocabSize * dim +
    nLayers * (2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * hiddenDim * dim) +
    dim +
    seqLen * headSize + // the two old RoPE tables, seq_len * head_size / 2 each
    (separateClassifier ? vocabSize * dim : 0);
  const expected = HEADER_BYTES + floats * 4;
  if (bytes.length !== expected)
    throw new CheckpointFormatError(
      `checkpoint is ${bytes.length} bytes; its header needs exactly ${expected}`,
    );

  let off = HEADER_BYTES;
  const take = (n: number): Float32Array => {
    const out = new Float32Array(n);
    // Copy (not a view): the file buffer is not guaranteed to be 4-byte aligned.
    new Uint8Array(out.buffer).set(bytes.subarray(off, off + n * 4));
    off += n * 4;
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(out[i]))
        throw new CheckpointFormatError(`non-finite weight at byte ${off - n * 4 + i * 4}`);
    return out;
  };
  const perLayer = (n: number) => Array.from({ length: nLayers }, () => take(n));
  const tokenEmbedding = take(vocabSize * dim);
  const rmsAtt = perLayer(dim);
  const wq = perLayer(dim * dim);
  const wk = perLayer(kvDim * dim);
  const wv = perLayer(kvDim * dim);
  const wo = perLayer(dim * dim);
  const rmsFfn = perLayer(dim);
  const w1 = perLayer(hiddenDim * dim);
  const w2 = perLayer(dim * hiddenDim);
  const w3 = perLayer(hiddenDim * dim);
  const rmsFinal = take(dim);
  off += seqLen * headSize * 4; // freq_cis_real, freq_cis_imag: unused (RoPE is computed)
  const classifier = separateClassifier ? take(vocabSize * dim) : tokenEmbedding;
  return {
    config,
    weights: { tokenEmbedding, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, classifier },
  };
}
