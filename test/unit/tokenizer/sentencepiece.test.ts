import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { STORIES260K_ENV, stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import {
  BOS_ID,
  EOS_ID,
  parseTokenizer,
  TokenizerFormatError,
} from "../../../prover-trace/tokenizer/sentencepiece.ts";

const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);
const tokBytes = new Uint8Array(readFileSync(files.tokenizer));
const golden = JSON.parse(readFileSync(files.golden, "utf8")) as {
  cases: { prompt: string; promptTokens: number[]; generated: number[] }[];
};
const tok = parseTokenizer(tokBytes, 512);

t.test("the model files are the published ones (sha256 as in their README)", async (t) => {
  const readme = readFileSync(join(files.dir, "README.md"), "utf8");
  for (const [path, name] of [
    [files.checkpoint, "stories260K.bin"],
    [files.tokenizer, "tok512.bin"],
  ]) {
    const want = new RegExp(
      `\\| \`${name.replace(".", "\\.")}\` \\| [\\d,]+ \\| \`([0-9a-f]{64})\` \\|`,
    ).exec(readme)?.[1];
    t.equal(createHash("sha256").update(readFileSync(path)).digest("hex"), want, name);
  }
  const fixture = stories260kFiles({
    [STORIES260K_ENV]: join(import.meta.dirname, "../../fixtures/stories260K"),
  });
  t.ok(fixture.ok, "the in-repo copy is complete");
  if (fixture.ok)
    for (const k of ["checkpoint", "tokenizer", "golden"] as const)
      t.ok(readFileSync(fixture[k]).equals(readFileSync(files[k])), `in-repo ${k} equals the one in use`);
  const none = stories260kFiles({ [STORIES260K_ENV]: "/nonexistent" });
  t.notOk(none.ok);
  if (!none.ok) t.match(none.why, /VERDICT_STORIES260K_DIR/);
});

t.test("encode reproduces golden.json's prompt tokens for every case", async (t) => {
  t.equal(golden.cases.length, 5);
  for (const c of golden.cases) t.same(tok.encode(c.prompt), c.promptTokens, JSON.stringify(c.prompt));
});

t.test("decode round-trips the prompts and prints the golden stories as text", async (t) => {
  for (const c of golden.cases) {
    t.equal(tok.decode(c.promptTokens), c.prompt);
    const story = tok.decode([...c.promptTokens, ...c.generated]);
    t.ok(story.startsWith(c.prompt), "the story continues the prompt");
  }
  t.match(
    tok.decode([BOS_ID, ...golden.cases[0].generated]),
    /^Once upon a time, there was a little girl named Lily\./,
  );
});

t.test("encode/decode details", async (t) => {
  t.same(tok.encode(""), [BOS_ID], "empty text: BOS only, no dummy space");
  t.same(tok.encode("", { bos: false }), []);
  t.equal(tok.encode("hi", { eos: true }).at(-1), EOS_ID);
  // A code point with no piece falls back to its UTF-8 bytes (id = byte + 3) and decodes back.
  const snow = tok.encode("é☃");
  t.ok(
    snow.some((id) => id >= 3 && id < 259),
    "byte fallback ids",
  );
  t.equal(tok.decode(snow), "é☃");
  for (const s of ["Tom's cat\nsat.", "  two  spaces", "émoji 🦄 ok"]) t.equal(tok.decode(tok.encode(s)), s);
  t.equal(
    new TextDecoder().decode(tok.decodeToken(BOS_ID, tok.encode("Once")[1])),
    "Once",
    "space dropped after BOS",
  );
  t.equal(new TextDecoder().decode(tok.decodeToken(5, tok.encode("Once")[1])), " Once");
  t.throws(() => tok.decode([1, 512]), RangeError);
  t.throws(() => tok.decode([-1]), RangeError);
});

t.test("hostile tokenizer files are refused with a clear error", async (t) => {
  t.throws(() => parseTokenizer(tokBytes.subarray(0, 3), 512), TokenizerFormatError);
  t.throws(() => parseTokenizer(tokBytes.subarray(0, tokBytes.length - 1), 512), /ends inside/);
  t.throws(() => parseTokenizer(new Uint8Array([...tokBytes, 0]), 512), /trailing/);
  t.throws(() => parseTokenizer(tokBytes, 511), /trailing/);
  t.throws(() => parseTokenizer(tokBytes, 100), /cannot hold/);
  const badLen = tokBytes.slice();
  new DataView(badLen.buffer).setInt32(8, -5, true); // piece 0's length
  t.throws(() => parseTokenizer(badLen, 512), /length -5/);
  const badByte = tokBytes.slice();
  // piece 3 starts after <unk>, <s>, </s>: find its text "<0x00>" and corrupt it.
  const at = Buffer.from(badByte).indexOf("<0x00>");
  badByte[at + 4] = "1".charCodeAt(0);
  t.throws(() => parseTokenizer(badByte, 512), /byte piece <0x00>/);
});
