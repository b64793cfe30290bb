/**
 * The dtype matrix: for every accepted ONNX op and every combination of profile dtypes on its
 * data inputs, the validator accepts exactly the combinations its spec lists (`dataDtypes`), and
 * ONNX Runtime (CPU) has a kernel for each accepted one and runs it.
 */
import t from "tap";
import { DTYPES, type DTypeCode, type DTypeName, dtypeByCode } from "../../../protocol/dtype.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { ONNX_OPS } from "../../../prover-trace/profile/ops.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";
import { feedsFor, ortRunAll, ortSession, prng } from "./helpers.ts";

const ALL: DTypeCode[] = [2, 3, 6, 7];
const nameOf = (c: DTypeCode) => dtypeByCode(c).name as DTypeName;

/** A model with one node of `op` whose data inputs have dtypes `ds`; its output is the graph output. */
function example(op: string, ds: DTypeCode[]): GraphBuilder {
  const g = new GraphBuilder(`${op}_${ds.join("_")}`);
  const [a, b] = ds.map(nameOf);
  let out: string;
  switch (op) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Max":
    case "Min":
      out = g.op(op, [g.input("a", a, [2, 3]), g.input("b", b, [3])]);
      break;
    case "Div":
      out = g.op(op, [g.input("a", a, [4]), g.constant(b, [4], [1, 2, 3, 4])]);
      break;
    case "Gather":
      out = g.op(op, [g.input("d", a, [4, 3]), g.constant(b, [2], [0, -1])]);
      break;
    case "MatMulInteger":
      out = g.op(op, [g.input("a", a, [2, 3]), g.input("b", b, [3, 2])]);
      break;
    case "Cast":
      out = g.op(op, [g.input("x", a, [2, 1, 3])], { to: 6 });
      break;
    case "Reshape":
      out = g.op(op, [g.input("x", a, [2, 1, 3]), g.constant("int64", [1], [-1])]);
      break;
    case "Unsqueeze":
      out = g.op(op, [g.input("x", a, [2, 1, 3]), g.constant("int64", [1], [0])]);
      break;
    case "Slice":
      out = g.op(op, [
        g.input("x", a, [2, 1, 3]),
        ...[[2], [0], [2], [-1]].map((v) => g.constant("int64", [1], v)),
      ]);
      break;
    case "Pad":
      out = g.op(op, [g.input("x", a, [2, 1, 3]), g.constant("int64", [6], [0, 1, 1, 1, 0, -1])]);
      break;
    case "Tile":
      out = g.op(op, [g.input("x", a, [2, 1, 3]), g.constant("int64", [3], [1, 2, 2])]);
      break;
    case "Concat":
      out = g.op(op, [g.input("x", a, [2, 1, 3]), g.input("y", a, [1, 1, 3])], { axis: 0 });
      break;
    case "Expand":
      out = g.op(op, [g.input("x", a, [2, 1, 3]), g.constant("int64", [2], [4, 1])]);
      break;
    case "ReduceMax":
      out = g.op(op, [g.input("x", a, [2, 1, 3])], { axes: [2] });
      break;
    case "ArgMax":
      out = g.op(op, [g.input("x", a, [2, 1, 3])], { axis: 2 });
      break;
    case "ConvInteger":
      out = g.op(op, [g.input("x", a, [1, 2, 3]), g.input("w", b, [2, 2, 2])], { pads: [1, 0] });
      break;
    case "MaxPool":
      out = g.op(op, [g.input("x", a, [2, 1, 3])], { kernel_shape: [2], pads: [1, 0] });
      break;
    default:
      out = g.op(op, [g.input("x", a, [2, 1, 3])]);
  }
  const outDtype =
    op === "Cast" || op === "MatMulInteger" || op === "ConvInteger" ? "int32" : op === "ArgMax" ? "int64" : a;
  g.output(out, outDtype);
  return g;
}

function tuples(n: number): DTypeCode[][] {
  return n === 1 ? ALL.map((d) => [d]) : ALL.flatMap((x) => ALL.map((y) => [x, y]));
}

for (const [op, spec] of Object.entries(ONNX_OPS)) {
  t.test(`${op}: accepted dtypes = spec = ORT kernels`, async (t) => {
    const allowed = new Set(spec.dataDtypes.map((x) => x.join()));
    let ran = 0;
    for (const ds of tuples(spec.dataDtypes[0].length)) {
      const label = ds.map((d) => nameOf(d)).join(" x ");
      const r = validateModel(example(op, ds).build());
      if (!allowed.has(ds.join())) {
        t.notOk(r.ok, `${label} rejected`);
        if (!r.ok)
          t.match(r.errors.join("\n"), /takes|needs one dtype|mixed uint8\/int8/, `${label}: dtype reason`);
        continue;
      }
      if (!r.ok) {
        t.fail(`${label} accepted by the spec but rejected: ${r.errors.join(" | ")}`);
        continue;
      }
      const s = await ortSession(r.profileModel.ir);
      try {
        const res = await ortRunAll(s, feedsFor(r.profileModel, "random", prng(ds[0] * 7 + (ds[1] ?? 0))));
        const v = r.profileModel.outputs[0];
        t.equal(res[v.name].type, DTYPES[nameOf(v.dtype)].name, `${label}: ORT runs it`);
        ran++;
      } finally {
        await s.release();
      }
    }
    t.equal(ran, spec.dataDtypes.length);
  });
}
