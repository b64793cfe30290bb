/** A tensor file read from a Node Buffer (what content backends return) decodes to its own bytes. */
import t from "tap";
import { decodeTensorFile, encodeTensorFile } from "../../../content/tensor-file.ts";

t.test("decoding from a pooled Buffer copies exactly the tensor's bytes", async (t) => {
  const data = new Uint8Array(64).map((_, i) => i);
  const file = encodeTensorFile([{ dtype: 2, shape: [64], data }]);
  // Buffer.from(Uint8Array) of a small file lands in Node's shared 8 KiB pool
  const pooled = Buffer.from(file);
  t.ok(pooled.buffer.byteLength > file.length, "the Buffer is a view into a larger pool");
  const [tensor] = decodeTensorFile(pooled);
  t.equal(tensor.data.byteLength, 64);
  t.strictSame([...(tensor.data as Uint8Array)], [...data]);
});
