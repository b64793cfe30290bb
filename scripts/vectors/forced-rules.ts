/**
 * Forced bytes of registerWorker, postGenerationJob and submitGeneration: valid ones at the edges
 * of decodeTx's field checks and bytes just past them (bad UTF-8, unprintable or too many
 * characters, too many models, a window, token or params out of range, a CID too long, no
 * generated token, a nonce or deadline past 2^53 - 1) and cut, lengthened or length-field-off
 * bytes. fault-proof.ts gives each decodeForcedData's verdict (docs/rollup.md 8a "Forced bytes");
 * the contracts must agree forced (BatchStepVerifier `_forced`) and in a batch (the rules'
 * BadTxEncoding on the same bytes with the block time put back).
 */
import { concatBytes, fromHex, u8, u16be, u32be } from "../../protocol/bytes.ts";
import { encodeGenerationParams, type GenerationParams } from "../../protocol/generation-job.ts";
import type { Hex } from "../../protocol/tx.ts";
import {
  TX_POST_GENERATION_JOB,
  TX_REGISTER_WORKER,
  TX_SUBMIT_GENERATION,
  u64,
  u256,
} from "../../sequencer/fault-proof/encoding.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const filled = (n: number, v: number) => new Uint8Array(n).fill(v);
const tokenBytes = (ids: readonly number[]) => concatBytes(...ids.map((t) => u32be(t >>> 0)));

/** `from` and a 65-byte signature (the verdict never reads it) for every case. */
export function forcedRuleCases(from: Hex, sig: Hex): { what: string; data: Uint8Array }[] {
  const user = (nonce: bigint) => concatBytes(fromHex(from), u64(nonce), u256(1n));
  const signature = fromHex(sig);

  const worker = (o: { multiaddr?: Uint8Array; models?: number; nonce?: bigint; lenDelta?: number } = {}) => {
    const m = o.multiaddr ?? utf8("/ip4/127.0.0.1/tcp/4001");
    const count = o.models ?? 2;
    return concatBytes(
      u8(TX_REGISTER_WORKER),
      user(o.nonce ?? 3n),
      u256(7n),
      u32be(4),
      u8(count),
      ...Array.from({ length: count }, (_, i) => filled(32, i + 1)),
      u16be(m.length + (o.lenDelta ?? 0)),
      m,
      signature,
    );
  };
  const greedy: GenerationParams = { maxTokens: 5, stopToken: 2, rule: { kind: "greedy" } };
  const params = encodeGenerationParams(greedy);
  const post = (
    o: {
      nonce?: bigint;
      deadline?: bigint;
      window?: number;
      prompt?: Uint8Array;
      count?: number;
      params?: Uint8Array;
    } = {},
  ) => {
    const prompt = o.prompt ?? tokenBytes([1, 2, 0x7fffffff]);
    const p = o.params ?? params;
    return concatBytes(
      u8(TX_POST_GENERATION_JOB),
      user(o.nonce ?? 7n),
      filled(32, 11),
      u256(12n),
      u64(o.deadline ?? 1_700_000_060_000n),
      u32be(o.window ?? 16),
      u32be(o.count ?? prompt.length / 4),
      prompt,
      u16be(p.length),
      p,
      signature,
    );
  };
  const submit = (
    o: {
      nonce?: bigint;
      outputCid?: Uint8Array;
      traceCid?: Uint8Array;
      generated?: Uint8Array;
      count?: number;
    } = {},
  ) => {
    const out = o.outputCid ?? fromHex(`0x01551220${"ef".repeat(32)}`);
    const trace = o.traceCid ?? fromHex("0x0155");
    const gen = o.generated ?? tokenBytes([7, 8, 2]);
    return concatBytes(
      u8(TX_SUBMIT_GENERATION),
      user(o.nonce ?? 8n),
      filled(32, 14),
      fromHex(from),
      filled(32 * 5, 9),
      u16be(out.length),
      out,
      u16be(trace.length),
      trace,
      filled(65, 25),
      u32be(o.count ?? gen.length / 4),
      gen,
      signature,
    );
  };
  /** params bytes with byte `at` (or a u32 at `at`) replaced. */
  const paramsWith = (p: GenerationParams, at: number, v: number, width: 1 | 4 = 4) => {
    const b = encodeGenerationParams(p).slice();
    if (width === 1) b[at] = v;
    else new DataView(b.buffer).setUint32(at, v >>> 0);
    return b;
  };
  const sample: GenerationParams = {
    maxTokens: 4,
    stopToken: null,
    rule: { kind: "sample", topK: 40, halfLife: 3, seed: filled(32, 0xab) },
  };
  const cutAndLong = (name: string, d: Uint8Array) => [
    { what: `${name} cut by a byte`, data: d.subarray(0, d.length - 1) },
    { what: `${name} with a byte more`, data: Uint8Array.of(...d, 0) },
    { what: `${name} cut to its kind and sender`, data: d.subarray(0, 21) },
  ];

  return [
    // registerWorker: the multiaddr's text, the model count, the nonce, the lengths
    { what: "registerWorker", data: worker() },
    ...cutAndLong("registerWorker", worker()),
    { what: "registerWorker multiaddr length + 1", data: worker({ lenDelta: 1 }) },
    { what: "registerWorker multiaddr length - 1", data: worker({ lenDelta: -1 }) },
    { what: "registerWorker empty multiaddr", data: worker({ multiaddr: new Uint8Array(0) }) },
    {
      what: "registerWorker multiaddr 2-, 3- and 4-byte UTF-8",
      data: worker({ multiaddr: utf8("/dns/wörker-€-😀") }),
    },
    {
      what: "registerWorker multiaddr starting with a BOM (kept)",
      data: worker({ multiaddr: utf8("\ufeff/ip4/1.2.3.4") }),
    },
    {
      what: "registerWorker multiaddr U+FFFD and U+10FFFF",
      data: worker({ multiaddr: utf8("\ufffd\u{10ffff}") }),
    },
    { what: "registerWorker multiaddr 256 ASCII characters", data: worker({ multiaddr: filled(256, 0x61) }) },
    { what: "registerWorker multiaddr 257 ASCII characters", data: worker({ multiaddr: filled(257, 0x61) }) },
    {
      what: "registerWorker multiaddr 256 3-byte characters (768 bytes)",
      data: worker({ multiaddr: utf8("€".repeat(256)) }),
    },
    {
      what: "registerWorker multiaddr 257 3-byte characters",
      data: worker({ multiaddr: utf8("€".repeat(257)) }),
    },
    {
      what: "registerWorker multiaddr 128 4-byte characters (256 units)",
      data: worker({ multiaddr: utf8("😀".repeat(128)) }),
    },
    {
      what: "registerWorker multiaddr 255 ASCII and a 4-byte character (257 units)",
      data: worker({ multiaddr: utf8(`${"a".repeat(255)}😀`) }),
    },
    { what: "registerWorker multiaddr with a NUL", data: worker({ multiaddr: utf8("/ip4\u0000") }) },
    { what: "registerWorker multiaddr with U+001F", data: worker({ multiaddr: utf8("a\u001f") }) },
    { what: "registerWorker multiaddr with U+0020 and U+007E", data: worker({ multiaddr: utf8(" ~") }) },
    { what: "registerWorker multiaddr with DEL U+007F", data: worker({ multiaddr: utf8("a\u007f") }) },
    { what: "registerWorker multiaddr with C1 U+0080", data: worker({ multiaddr: utf8("a\u0080") }) },
    { what: "registerWorker multiaddr with C1 U+009F", data: worker({ multiaddr: utf8("a\u009f") }) },
    { what: "registerWorker multiaddr with U+00A0", data: worker({ multiaddr: utf8("a\u00a0") }) },
    { what: "registerWorker multiaddr with U+061B (no bidi)", data: worker({ multiaddr: utf8("a\u061b") }) },
    { what: "registerWorker multiaddr with bidi U+061C", data: worker({ multiaddr: utf8("a\u061c") }) },
    { what: "registerWorker multiaddr with U+200D", data: worker({ multiaddr: utf8("a\u200d") }) },
    { what: "registerWorker multiaddr with bidi U+200E", data: worker({ multiaddr: utf8("a\u200e") }) },
    { what: "registerWorker multiaddr with bidi U+200F", data: worker({ multiaddr: utf8("a\u200f") }) },
    { what: "registerWorker multiaddr with U+2010", data: worker({ multiaddr: utf8("a\u2010") }) },
    { what: "registerWorker multiaddr with U+2029", data: worker({ multiaddr: utf8("a\u2029") }) },
    { what: "registerWorker multiaddr with bidi U+202A", data: worker({ multiaddr: utf8("a\u202a") }) },
    { what: "registerWorker multiaddr with bidi U+202E", data: worker({ multiaddr: utf8("a\u202e") }) },
    { what: "registerWorker multiaddr with U+202F", data: worker({ multiaddr: utf8("a\u202f") }) },
    { what: "registerWorker multiaddr with U+2065", data: worker({ multiaddr: utf8("a\u2065") }) },
    { what: "registerWorker multiaddr with bidi U+2066", data: worker({ multiaddr: utf8("a\u2066") }) },
    { what: "registerWorker multiaddr with bidi U+2069", data: worker({ multiaddr: utf8("a\u2069") }) },
    { what: "registerWorker multiaddr with U+206A", data: worker({ multiaddr: utf8("a\u206a") }) },
    {
      what: "registerWorker multiaddr a lone continuation byte",
      data: worker({ multiaddr: Uint8Array.of(0x61, 0x80) }),
    },
    {
      what: "registerWorker multiaddr overlong NUL C0 80",
      data: worker({ multiaddr: Uint8Array.of(0xc0, 0x80) }),
    },
    {
      what: "registerWorker multiaddr overlong C1 BF",
      data: worker({ multiaddr: Uint8Array.of(0xc1, 0xbf) }),
    },
    {
      what: "registerWorker multiaddr overlong 3-byte E0 9F BF",
      data: worker({ multiaddr: Uint8Array.of(0xe0, 0x9f, 0xbf) }),
    },
    {
      what: "registerWorker multiaddr E0 A0 80 (U+0800)",
      data: worker({ multiaddr: Uint8Array.of(0xe0, 0xa0, 0x80) }),
    },
    {
      what: "registerWorker multiaddr surrogate ED A0 80",
      data: worker({ multiaddr: Uint8Array.of(0xed, 0xa0, 0x80) }),
    },
    {
      what: "registerWorker multiaddr ED 9F BF (U+D7FF)",
      data: worker({ multiaddr: Uint8Array.of(0xed, 0x9f, 0xbf) }),
    },
    {
      what: "registerWorker multiaddr overlong 4-byte F0 8F BF BF",
      data: worker({ multiaddr: Uint8Array.of(0xf0, 0x8f, 0xbf, 0xbf) }),
    },
    {
      what: "registerWorker multiaddr past U+10FFFF F4 90 80 80",
      data: worker({ multiaddr: Uint8Array.of(0xf4, 0x90, 0x80, 0x80) }),
    },
    {
      what: "registerWorker multiaddr lead byte F5",
      data: worker({ multiaddr: Uint8Array.of(0xf5, 0x80, 0x80, 0x80) }),
    },
    { what: "registerWorker multiaddr lead byte FF", data: worker({ multiaddr: Uint8Array.of(0x61, 0xff) }) },
    {
      what: "registerWorker multiaddr cut 3-byte sequence",
      data: worker({ multiaddr: Uint8Array.of(0x61, 0xe2, 0x82) }),
    },
    {
      what: "registerWorker multiaddr 3-byte sequence broken by ASCII",
      data: worker({ multiaddr: Uint8Array.of(0xe2, 0x41, 0xac) }),
    },
    { what: "registerWorker 32 models", data: worker({ models: 32 }) },
    { what: "registerWorker 33 models", data: worker({ models: 33 }) },
    { what: "registerWorker no model", data: worker({ models: 0 }) },
    { what: "registerWorker nonce 2^53 - 1", data: worker({ nonce: (1n << 53n) - 1n }) },
    { what: "registerWorker nonce 2^53", data: worker({ nonce: 1n << 53n }) },

    // postGenerationJob: window, prompt, params, nonce, deadline, the lengths
    { what: "postGenerationJob", data: post() },
    ...cutAndLong("postGenerationJob", post()),
    {
      what: "postGenerationJob sampling params, no stop token",
      data: post({ params: encodeGenerationParams(sample) }),
    },
    { what: "postGenerationJob window 1", data: post({ window: 1 }) },
    { what: "postGenerationJob window 2", data: post({ window: 2 }) },
    { what: "postGenerationJob window 8192", data: post({ window: 8192 }) },
    { what: "postGenerationJob window 8193", data: post({ window: 8193 }) },
    { what: "postGenerationJob empty prompt", data: post({ prompt: new Uint8Array(0) }) },
    {
      what: "postGenerationJob 8192-token prompt",
      data: post({ window: 8192, prompt: tokenBytes(Array(8192).fill(5)) }),
    },
    {
      what: "postGenerationJob 8193-token prompt",
      data: post({ window: 8192, prompt: tokenBytes(Array(8193).fill(5)) }),
    },
    { what: "postGenerationJob prompt token 2^31", data: post({ prompt: tokenBytes([1, 0x80000000, 3]) }) },
    {
      what: "postGenerationJob prompt token 2^32 - 1 first",
      data: post({ prompt: tokenBytes([0xffffffff]) }),
    },
    {
      what: "postGenerationJob 9th prompt token 2^31 (second word)",
      data: post({ prompt: tokenBytes([...Array(8).fill(1), 0x80000000]) }),
    },
    { what: "postGenerationJob prompt count + 1", data: post({ count: 4 }) },
    { what: "postGenerationJob nonce 2^53", data: post({ nonce: 1n << 53n }) },
    { what: "postGenerationJob deadline 2^53 - 1", data: post({ deadline: (1n << 53n) - 1n }) },
    { what: "postGenerationJob deadline 2^53", data: post({ deadline: 1n << 53n }) },
    { what: "postGenerationJob params of 49 bytes", data: post({ params: params.subarray(0, 49) }) },
    { what: "postGenerationJob params of 51 bytes", data: post({ params: Uint8Array.of(...params, 0) }) },
    { what: "postGenerationJob params tag 0x4b", data: post({ params: paramsWith(greedy, 0, 0x4b, 1) }) },
    { what: "postGenerationJob params maxTokens 0", data: post({ params: paramsWith(greedy, 1, 0) }) },
    {
      what: "postGenerationJob params maxTokens 2^31",
      data: post({ params: paramsWith(greedy, 1, 0x80000000) }),
    },
    {
      what: "postGenerationJob params stopToken 2^31 - 1",
      data: post({ params: paramsWith(greedy, 5, 0x7fffffff) }),
    },
    {
      what: "postGenerationJob params stopToken 2^31",
      data: post({ params: paramsWith(greedy, 5, 0x80000000) }),
    },
    {
      what: "postGenerationJob params stopToken 2^32 - 2",
      data: post({ params: paramsWith(greedy, 5, 0xfffffffe) }),
    },
    { what: "postGenerationJob params rule kind 2", data: post({ params: paramsWith(greedy, 9, 2, 1) }) },
    {
      what: "postGenerationJob greedy params with a topK",
      data: post({ params: paramsWith(greedy, 10, 1) }),
    },
    {
      what: "postGenerationJob greedy params with a seed byte",
      data: post({ params: paramsWith(greedy, 49, 1, 1) }),
    },
    { what: "postGenerationJob sampling topK 0", data: post({ params: paramsWith(sample, 10, 0) }) },
    {
      what: "postGenerationJob sampling topK 2^31",
      data: post({ params: paramsWith(sample, 10, 0x80000000) }),
    },
    { what: "postGenerationJob sampling halfLife 0", data: post({ params: paramsWith(sample, 14, 0) }) },
    {
      what: "postGenerationJob sampling halfLife 2^31 - 1",
      data: post({ params: paramsWith(sample, 14, 0x7fffffff) }),
    },
    {
      what: "postGenerationJob sampling halfLife 2^31",
      data: post({ params: paramsWith(sample, 14, 0x80000000) }),
    },
    {
      what: "postGenerationJob maxTokens past the window (a rule, not an encoding)",
      data: post({ window: 4 }),
    },

    // submitGeneration: the claim's CIDs, the generated tokens, the nonce, the lengths
    { what: "submitGeneration", data: submit() },
    ...cutAndLong("submitGeneration", submit()),
    { what: "submitGeneration outputCid of 128 bytes", data: submit({ outputCid: filled(128, 1) }) },
    { what: "submitGeneration outputCid of 129 bytes", data: submit({ outputCid: filled(129, 1) }) },
    { what: "submitGeneration traceCid of 128 bytes", data: submit({ traceCid: filled(128, 1) }) },
    { what: "submitGeneration traceCid of 129 bytes", data: submit({ traceCid: filled(129, 1) }) },
    {
      what: "submitGeneration empty CIDs",
      data: submit({ outputCid: new Uint8Array(0), traceCid: new Uint8Array(0) }),
    },
    { what: "submitGeneration no generated token", data: submit({ generated: new Uint8Array(0) }) },
    {
      what: "submitGeneration 8192 generated tokens",
      data: submit({ generated: tokenBytes(Array(8192).fill(3)) }),
    },
    {
      what: "submitGeneration 8193 generated tokens",
      data: submit({ generated: tokenBytes(Array(8193).fill(3)) }),
    },
    {
      what: "submitGeneration generated token 2^31 - 1",
      data: submit({ generated: tokenBytes([0x7fffffff]) }),
    },
    {
      what: "submitGeneration generated token 2^31",
      data: submit({ generated: tokenBytes([7, 0x80000000]) }),
    },
    { what: "submitGeneration generated count + 1", data: submit({ count: 4 }) },
    { what: "submitGeneration nonce 2^53 - 1", data: submit({ nonce: (1n << 53n) - 1n }) },
    { what: "submitGeneration nonce 2^53", data: submit({ nonce: 1n << 53n }) },
  ];
}
