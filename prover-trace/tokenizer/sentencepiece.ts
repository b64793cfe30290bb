/**
 * The llama2.c SentencePiece-style BPE tokenizer (`tok512.bin` format), encode and decode exactly
 * as the reference `run.c` does (../shared/models/stories260K/README.md):
 *
 * - file: int32 `max_token_length`, then per id: float32 score, int32 byte length, the piece's
 *   bytes (little-endian);
 * - ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`; byte pieces `<0x00>`..`<0xFF>` are ids 3..258;
 * - encode: BOS, a leading space for a non-empty text, one piece per UTF-8 code point (bytes
 *   fallback to id byte + 3), then repeatedly merge the adjacent pair whose concatenated piece
 *   text exists with the highest score (first such pair on ties);
 * - decode: piece text, leading space dropped right after BOS, `<0xXX>` pieces as the raw byte.
 *
 * Pieces are kept as "binary strings" (one char per byte, latin1) so that merging concatenates
 * bytes, as run.c's C strings do, whatever the pieces' UTF-8 validity.
 */

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
/** Id of the byte piece `<0x00>`; byte b is id b + BYTE_OFFSET. */
export const BYTE_OFFSET = 3;

export class TokenizerFormatError extends Error {
  override name = "TokenizerFormatError";
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly maxTokenLength: number;
  /** Piece bytes of an id, as a binary string. */
  piece(id: number): string;
  score(id: number): number;
  encode(text: string, options?: { bos?: boolean; eos?: boolean }): number[];
  /** Bytes of one token's text given the previous token (run.c's `decode`). */
  decodeToken(prev: number, id: number): Uint8Array;
  /** UTF-8 text of a token sequence; `ids[0]` is taken as the previous token of `ids[1]`... */
  decode(ids: readonly number[]): string;
}

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

function binaryString(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Parses a tok*.bin file for a vocabulary of `vocabSize` ids (the model header says how many). */
export function parseTokenizer(bytes: Uint8Array, vocabSize: number): Tokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize < BYTE_OFFSET + 256)
    throw new TokenizerFormatError(`vocabulary size ${vocabSize} cannot hold the 3 specials and 256 bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const need = (n: number, what: string) => {
    if (off + n > bytes.length)
      throw new TokenizerFormatError(
        `tokenizer file ends inside ${what} (offset ${off}, ${bytes.length} bytes)`,
      );
  };
  need(4, "max_token_length");
  const maxTokenLength = view.getInt32(off, true);
  off += 4;
  if (maxTokenLength < 1 || maxTokenLength > 1 << 16)
    throw new TokenizerFormatError(`max_token_length ${maxTokenLength} out of range`);
  const pieces: string[] = [];
  const scores = new Float32Array(vocabSize);
  for (let id = 0; id < vocabSize; id++) {
    need(8, `piece ${id} header`);
    const score = view.getFloat32(off, true);
    const len = view.getInt32(off + 4, true);
    off += 8;
    if (!Number.isFinite(score)) throw new TokenizerFormatError(`piece ${id}: score is not finite`);
    if (len < 0 || len > maxTokenLength)
      throw new TokenizerFormatError(`piece ${id}: length ${len} outside [0, ${maxTokenLength}]`);
    need(len, `piece ${id} bytes`);
    pieces.push(binaryString(bytes.subarray(off, off + len)));
    scores[id] = score;
    off += len;
  }
  if (off !== bytes.length)
    throw new TokenizerFormatError(`${bytes.length - off} trailing bytes after ${vocabSize} pieces`);
  for (let b = 0; b < 256; b++) {
    const want = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
    if (pieces[b + BYTE_OFFSET] !== want)
      throw new TokenizerFormatError(`id ${b + BYTE_OFFSET} must be the byte piece ${want}`);
  }
  // run.c looks pieces up by binary search over the sorted vocabulary; with duplicates it would
  // find an arbitrary one, so a duplicate piece is refused rather than guessed.
  const ids = new Map<string, number>();
  pieces.forEach((p, id) => {
    if (ids.has(p))
      throw new TokenizerFormatError(`piece ${JSON.stringify(p)} appears twice (ids ${ids.get(p)}, ${id})`);
    ids.set(p, id);
  });

  const checkId = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new RangeError(`token id ${id} outside [0, ${vocabSize - 1}]`);
  };

  function encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    const out: number[] = [];
    if (options.bos ?? true) out.push(BOS_ID);
    if (text.length > 0) {
      const tokens: number[] = [];
      // Dummy prefix, as SentencePiece's add_dummy_prefix: the piece for " ".
      const space = ids.get(" ");
      if (space === undefined)
        throw new TokenizerFormatError("vocabulary has no ' ' piece for the dummy prefix");
      tokens.push(space);
      const utf8 = new TextEncoder().encode(text);
      // One piece per code point (1-4 bytes: a lead byte and its 10xxxxxx continuation bytes).
      let i = 0;
      while (i < utf8.length) {
        let j = i + 1;
        while (j < utf8.length && j - i < 4 && (utf8[j] & 0xc0) === 0x80) j++;
        const cp = binaryString(utf8.subarray(i, j));
        const id = ids.get(cp);
        if (id !== undefined) tokens.push(id);
        else for (let k = i; k < j; k++) tokens.push(utf8[k] + BYTE_OFFSET);
        i = j;
      }
      for (;;) {
        let bestScore = -Infinity;
        let bestId = -1;
        let bestIdx = -1;
        for (let k = 0; k + 1 < tokens.length; k++) {
          const id = ids.get(pieces[tokens[k]] + pieces[tokens[k + 1]]);
          if (id !== undefined && scores[id] > bestScore) {
            bestScore = scores[id];
            bestId = id;
            bestIdx = k;
          }
        }
        if (bestIdx < 0) break;
        tokens.splice(bestIdx, 2, bestId);
      }
      out.push(...tokens);
    }
    if (options.eos ?? false) out.push(EOS_ID);
    return out;
  }

  function decodeToken(prev: number, id: number): Uint8Array {
    checkId(id);
    let p = pieces[id];
    if (prev === BOS_ID && p.startsWith(" ")) p = p.slice(1);
    const m = BYTE_PIECE.exec(p);
    if (m) return Uint8Array.of(Number.parseInt(m[1], 16));
    return Uint8Array.from(p, (c) => c.charCodeAt(0));
  }

  function decode(ids: readonly number[]): string {
    const parts: Uint8Array[] = [];
    for (let k = 0; k < ids.length; k++) {
      checkId(ids[k]);
      // BOS itself prints nothing; run.c only decodes what follows a token.
      if (k === 0 && ids[k] === BOS_ID) continue;
      parts.push(decodeToken(k === 0 ? -1 : ids[k - 1], ids[k]));
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return new TextDecoder().decode(all);
  }

  return {
    vocabSize,
    maxTokenLength,
    piece: (id) => {
      checkId(id);
      return pieces[id];
    },
    score: (id) => {
      checkId(id);
      return scores[id];
    },
    encode,
    decodeToken,
    decode,
  };
}
