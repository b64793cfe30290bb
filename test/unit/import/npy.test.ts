import t from "tap";
import { encodeNpy, NpyFormatError, parseNpy } from "../../../prover-trace/import/npy.ts";

// Bytes written by numpy 1.x `np.save` (so the reader is checked against the real format).
const NUMPY_I4_2x3 =
  "934e554d5059010076007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000100000002000000030000000400000005000000";
const NUMPY_F4_2 =
  "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000000c0";
const NUMPY_I8_2x2 =
  "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100000000000000feffffffffffffff03000000000000000400000000000000";
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

t.test("reads numpy's own files", async (t) => {
  const a = parseNpy(hex(NUMPY_I4_2x3));
  t.equal(a.dtype, "int32");
  t.same(a.shape, [2, 3]);
  t.same([...a.data], [0, 1, 2, 3, 4, 5]);
  const b = parseNpy(hex(NUMPY_F4_2));
  t.same([b.dtype, b.shape, [...b.data]], ["float32", [2], [1.5, -2]]);
  const c = parseNpy(hex(NUMPY_I8_2x2));
  t.same([...(c.data as BigInt64Array)], [1n, -2n, 3n, 4n]);
});

t.test("writes exactly what numpy writes, and round-trips", async (t) => {
  t.equal(
    Buffer.from(encodeNpy({ dtype: "int32", shape: [2, 3], data: Int32Array.of(0, 1, 2, 3, 4, 5) })).toString(
      "hex",
    ),
    NUMPY_I4_2x3,
  );
  t.equal(
    Buffer.from(encodeNpy({ dtype: "float32", shape: [2], data: Float32Array.of(1.5, -2) })).toString("hex"),
    NUMPY_F4_2,
  );
  const u = { dtype: "uint8" as const, shape: [3, 1, 2], data: Uint8Array.of(1, 2, 3, 250, 0, 9) };
  const back = parseNpy(encodeNpy(u));
  t.same([back.dtype, back.shape, [...back.data]], [u.dtype, u.shape, [...u.data]]);
  const scalar = parseNpy(encodeNpy({ dtype: "int8", shape: [], data: Int8Array.of(-7) }));
  t.same([scalar.shape, [...scalar.data]], [[], [-7]]);
  t.throws(() => encodeNpy({ dtype: "int8", shape: [2], data: Int8Array.of(1) }), RangeError);
});

t.test("hostile .npy files get a clear error", async (t) => {
  const good = hex(NUMPY_I4_2x3);
  const header = (h: string) => {
    const b = good.slice();
    const s = Buffer.from(b.subarray(10, 128))
      .toString("latin1")
      .replace(/'descr': '<i4'/, h);
    b.set(Buffer.from(s.padEnd(118, " ").slice(0, 118), "latin1"), 10);
    return b;
  };
  t.throws(() => parseNpy(new Uint8Array(5)), NpyFormatError);
  t.throws(() => parseNpy(good.subarray(0, good.length - 1)), /needs 24 data bytes/);
  t.throws(() => parseNpy(header("'descr': '>i4'")), /dtype '>i4' not supported/);
  t.throws(() => parseNpy(header("'descr': '<f8'")), /not supported/);
  const fortran = Buffer.from(Buffer.from(good).toString("latin1").replace("False", "True "), "latin1");
  t.throws(() => parseNpy(new Uint8Array(fortran)), /Fortran/);
  const huge = Buffer.from(Buffer.from(good).toString("latin1").replace("(2, 3)", "(9999999999,)"), "latin1");
  t.throws(() => parseNpy(new Uint8Array(huge)), /too large/);
  const v9 = good.slice();
  v9[6] = 9;
  t.throws(() => parseNpy(v9), /version 9/);
  const longHeader = good.slice();
  new DataView(longHeader.buffer).setUint16(8, 60000, true);
  t.throws(() => parseNpy(longHeader), /longer than the file/);
});
