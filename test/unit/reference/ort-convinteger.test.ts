/**
 * The measurement ConvInteger's admission rests on: ONNX Runtime CPU's ConvInteger against an exact bigint
 * convolution written here (x padded with its zero point, int32 wrap of the sum), on the four
 * int8/uint8 pairings, 2-D with padding, strides, dilations and groups, random, extreme and
 * wrapping (a 40,000-long sum of -255 * 255 products) inputs, independent of the reference
 * interpreter (docs/profile.md, ConvInteger); it pins what ORT does, so that an ORT upgrade that
 * changes it fails here. Mixed signedness is exact on this VNNI CPU only, as for MatMulInteger:
 * the profile admits same-signedness only.
 */
import t from "tap";
import { DTYPES, type DTypeName, numel } from "../../../protocol/dtype.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { readElement, tensorOf } from "../../../prover-trace/reference/tensor.ts";
import { rng } from "./cases.ts";
import { ortRunSession, ortSession } from "./ort-harness.ts";

const r0 = rng(7);
const r = () => r0() / 4294967296;
/** Y[n, m, oh, ow] = wrap32(sum over the group's channels and the kernel of (x - azp) * (w - bzp)). */
function conv(
  x: bigint[],
  xs: number[],
  w: bigint[],
  ws: number[],
  azp: bigint,
  bzp: bigint,
  s: number[],
  d: number[],
  pads: number[],
  group: number,
) {
  const [N, C, H, W] = xs;
  const [M, Cg, KH, KW] = ws;
  const OH = Math.floor((H + pads[0] + pads[2] - ((KH - 1) * d[0] + 1)) / s[0]) + 1;
  const OW = Math.floor((W + pads[1] + pads[3] - ((KW - 1) * d[1] + 1)) / s[1]) + 1;
  const out: bigint[] = [];
  const Mg = M / group;
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0n;
          const g = Math.floor(m / Mg);
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const h = oh * s[0] - pads[0] + i * d[0];
                const ww = ow * s[1] - pads[1] + j * d[1];
                const xv =
                  h >= 0 && h < H && ww >= 0 && ww < W ? x[((n * C + g * Cg + c) * H + h) * W + ww] : azp;
                acc += (xv - azp) * (w[((m * Cg + c) * KH + i) * KW + j] - bzp);
              }
          out.push(BigInt.asIntN(32, acc));
        }
  return { out, shape: [N, M, OH, OW] };
}
for (const [xt, wt] of [
  ["uint8", "uint8"],
  ["int8", "int8"],
  ["uint8", "int8"],
  ["int8", "uint8"],
] as [DTypeName, DTypeName][]) {
  for (const [xs, ws, attrs] of [
    [[1, 2, 5, 5], [3, 2, 3, 3], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }],
    [[2, 4, 6, 5], [4, 2, 2, 3], { group: 2, dilations: [2, 1], pads: [0, 2, 1, 0] }],
    [[1, 64, 4, 4], [2, 64, 3, 3], { pads: [1, 1, 1, 1] }],
    [[1, 40000, 1, 2], [2, 40000, 1, 1], {}],
  ] as [number[], number[], Record<string, number[] | number>][]) {
    for (const mode of ["random", "edge", "wrap"]) {
      const dx = DTYPES[xt];
      const dw = DTYPES[wt];
      const val = (dd: typeof dx) =>
        mode === "edge"
          ? r() < 0.5
            ? dd.min
            : dd.max
          : dd.min + BigInt(Math.floor(r() * Number(dd.max - dd.min + 1n)));
      const x = Array.from({ length: numel(xs) }, () => (mode === "wrap" ? dx.min : val(dx)));
      const w = Array.from({ length: numel(ws) }, () => (mode === "wrap" ? dw.max : val(dw)));
      const azp = mode !== "random" ? dx.max : val(dx);
      const bzp = mode !== "random" ? dw.min : val(dw);
      const g = new GraphBuilder("ConvInteger");
      g.input("x", xt, xs);
      const y = g.op(
        "ConvInteger",
        ["x", g.constant(wt, ws, w, "w"), g.scalar(xt, azp), g.scalar(wt, bzp)],
        attrs as never,
        "y",
      );
      const s = (attrs.strides as number[]) ?? [1, 1];
      const d = (attrs.dilations as number[]) ?? [1, 1];
      const p = (attrs.pads as number[]) ?? [0, 0, 0, 0];
      const ref = conv(x, xs, w, ws, azp, bzp, s, d, p, (attrs.group as number) ?? 1);
      g.output(y, "int32");
      try {
        const sess = await ortSession(g.build());
        const [o] = await ortRunSession(sess, g.build(), [tensorOf(dx.code, xs, x)]);
        let bad = 0;
        for (let i = 0; i < ref.out.length; i++) if (readElement(o, i) !== ref.out[i]) bad++;
        t.equal(
          bad,
          0,
          `${xt}x${wt} [${xs}] ${JSON.stringify(attrs)} ${mode}: ${bad}/${ref.out.length} differ; ref[0] ${ref.out[0]} ort[0] ${readElement(o, 0)}`,
        );
        await sess.release();
      } catch (e) {
        t.fail(`${xt}x${wt} [${xs}]: ${(e as Error).message.slice(0, 160)}`);
      }
    }
  }
}
