// Child process of sha256-chunks.test.ts: hashes with whatever backend this process got.
import { CHUNK, chunkHashBackend, hashChunks } from "../../../prover-trace/native/index.ts";

const data = new Uint8Array(20 * CHUNK).map((_, i) => (i * 7) & 0xff);
const tail = new Uint8Array(CHUNK).fill(9);
const out = new Uint8Array(21 * 32);
hashChunks(data, out, tail);
hashChunks(data, out, tail); // a second call must not warn again
process.stdout.write(
  JSON.stringify({ backend: chunkHashBackend(), digests: Buffer.from(out).toString("hex") }),
);
