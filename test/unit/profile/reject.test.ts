/**
 * Rejections: each model outside the profile gets exactly the expected lines, one per offending
 * node or graph entry, in the format `node <index> <name> (<op>): <subject>: <why>`.
 */
import t from "tap";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";

function errorsOf(m: IrModel): string[] {
  const r = validateModel(m);
  return r.ok ? [] : r.errors;
}

interface Case {
  name: string;
  model(): IrModel;
  lines: string[];
}

const gb = (f: (g: GraphBuilder) => void): (() => IrModel) => {
  return () => {
    const g = new GraphBuilder("m");
    f(g);
    return g.build();
  };
};

const INT32_FULL = "[-2147483648, 2147483647]";

const cases: Case[] = [
  {
    name: "a float model: every float node is named",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [2, 2]);
        const r = g.op("Relu", [x]);
        const s = g.op("Add", [r, r]);
        g.output(s, "int8");
      })();
      m.graph.inputs[0].dtype = 1;
      m.graph.outputs[0].dtype = 1;
      return m;
    },
    lines: [
      "graph input 'x' float: dtype outside the integer profile (int8, uint8, int32, int64)",
      "node 0 relu_0 (Relu): input 0 'x' float: dtype outside the integer profile",
      "node 1 add_1 (Add): input 0 'relu_0' float: dtype outside the integer profile",
    ],
  },
  {
    name: "uint8 x int8 MatMulInteger",
    model: gb((g) => {
      g.output(g.op("MatMulInteger", [g.input("a", "uint8", [2, 3]), g.input("b", "int8", [3, 2])]), "int32");
    }),
    lines: [
      "node 0 matmulinteger_0 (MatMulInteger): A uint8 x B int8: mixed uint8/int8 MatMulInteger may saturate on CPUs without VNNI; use int8 x int8 or uint8 x uint8",
    ],
  },
  {
    name: "Div by a tensor that may be 0",
    model: gb((g) => {
      g.output(
        g.op("Div", [g.input("a", "int32", [4]), g.op("Relu", [g.input("b", "int32", [4])])]),
        "int32",
      );
    }),
    lines: [
      "node 1 div_1 (Div): divisor 'relu_0' int32 [0, 2147483647]: may be 0 (division by zero is a run error); guard it, e.g. Max(divisor, 1)",
    ],
  },
  {
    name: "Div by a constant containing 0",
    model: gb((g) => {
      g.output(g.op("Div", [g.input("a", "int32", [3]), g.constant("int32", [3], [4, 0, 2], "d")]), "int32");
    }),
    lines: [
      "node 0 div_0 (Div): divisor 'd' int32 [0, 4]: constant contains 0 (division by zero is a run error)",
    ],
  },
  {
    name: "INT_MIN / -1 possible",
    model: gb((g) => {
      g.output(g.op("Div", [g.input("a", "int32", [2]), g.constant("int32", [2], [-1, 3], "d")]), "int32");
    }),
    lines: [
      `node 0 div_0 (Div): divisor 'd' int32 [-1, 3]: may be -1 while dividend 'a' ${INT32_FULL} may be -2147483648 (INT_MIN / -1 kills ONNX Runtime with SIGFPE)`,
    ],
  },
  {
    name: "INT_MIN / -1 possible through a computed divisor",
    model: gb((g) => {
      const d = g.op("Clip", [g.input("b", "int32", [2]), g.scalar("int32", -4), g.scalar("int32", -1)]);
      g.output(g.op("Div", [g.input("a", "int32", [2]), d]), "int32");
    }),
    lines: [
      `node 1 div_3 (Div): divisor 'clip_2' int32 [-4, -1]: may be -1 while dividend 'a' ${INT32_FULL} may be -2147483648 (INT_MIN / -1 kills ONNX Runtime with SIGFPE)`,
    ],
  },
  {
    name: "Div on int8 (outside the Div dtypes)",
    model: gb((g) => {
      g.output(g.op("Div", [g.input("a", "int8", [2]), g.scalar("int8", 2)]), "int8");
    }),
    lines: ["node 0 div_1 (Div): input 0 'a' int8: Div takes int32"],
  },
  {
    name: "Gather with unbounded indices",
    model: gb((g) => {
      g.output(
        g.op("Gather", [g.constant("int8", [256], new Int8Array(256), "table"), g.input("i", "int32", [3])]),
        "int8",
      );
    }),
    lines: [
      `node 0 gather_0 (Gather): indices 'i' int32 ${INT32_FULL}: must lie in [-256, 255] for axis 0 of size 256 (an out-of-range index is a run error); clip them first or declare the graph input's range`,
    ],
  },
  {
    name: "Gather with a constant index one past the end",
    model: gb((g) => {
      g.output(
        g.op("Gather", [g.input("d", "int8", [2, 4]), g.constant("int64", [2], [0, 4], "i")], { axis: 1 }),
        "int8",
      );
    }),
    lines: [
      "node 0 gather_0 (Gather): indices 'i' int64 [0, 4]: must lie in [-4, 3] for axis 1 of size 4 (an out-of-range index is a run error); clip them first or declare the graph input's range",
    ],
  },
  {
    name: "ReduceSum",
    model: gb((g) => {
      g.output(g.op("ReduceSum", [g.input("x", "int32", [2, 3]), g.constant("int64", [1], [1])]), "int32");
    }),
    lines: [
      "node 0 reducesum_1 (ReduceSum): op: ONNX Runtime saturates integer ReduceSum; sum with MatMulInteger against a ones vector",
    ],
  },
  {
    name: "dynamic and unknown dims",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [1, 4]);
        const y = g.input("y", "int8", [4]);
        g.output(g.op("Add", [x, y]), "int8");
      })();
      m.graph.inputs[0].shape = ["batch", 4];
      m.graph.inputs[1].shape = [null];
      return m;
    },
    lines: [
      "graph input 'x': dim 0 is symbolic 'batch': shapes must be static",
      "graph input 'y': dim 0 is unknown: shapes must be static",
    ],
  },
  {
    name: "zero and missing dims",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [0, 4]);
        const y = g.input("y", "int8", [4]);
        g.output(g.op("Add", [x, y]), "int8");
      })();
      m.graph.inputs[1].shape = null;
      return m;
    },
    lines: [
      "graph input 'x' int8[0,4]: dim 0: dims must be static and >= 1",
      "graph input 'y': no shape: shapes must be static",
    ],
  },
  {
    name: "non-constant Clip bounds",
    model: gb((g) => {
      g.output(
        g.op("Clip", [g.input("x", "int8", [3]), g.input("lo", "int8", []), g.scalar("int8", 5)]),
        "int8",
      );
    }),
    lines: ["node 0 clip_1 (Clip): min 'lo': must be a constant initializer (constant scalar)"],
  },
  {
    name: "Clip bound of the wrong dtype or shape",
    model: gb((g) => {
      const x = g.input("x", "int8", [3]);
      g.output(g.op("Clip", [x, g.scalar("int32", 0, "lo")]), "int8");
      g.output(g.op("Clip", [x, "", g.constant("int8", [2], [1, 2], "hi")]), "int8");
    }),
    lines: [
      "node 0 clip_0 (Clip): min 'lo' int32: must have the operand dtype int8",
      "node 1 clip_1 (Clip): max 'hi' int8[2]: must be a scalar",
    ],
  },
  {
    name: "non-constant Reshape shape",
    model: gb((g) => {
      g.output(g.op("Reshape", [g.input("x", "int8", [4]), g.input("s", "int64", [2])]), "int8");
    }),
    lines: [
      "node 0 reshape_0 (Reshape): shape 's': must be a constant initializer (Reshape shape is resolved at validation time)",
    ],
  },
  {
    name: "Reshape to a shape that does not hold the elements",
    model: gb((g) => {
      g.output(g.op("Reshape", [g.input("x", "int8", [6]), g.constant("int64", [2], [4, -1])]), "int8");
    }),
    lines: ["node 0 reshape_1 (Reshape): shape [4,-1]: cannot hold the 6 elements of [6]"],
  },
  {
    name: "non-constant or per-row zero points",
    model: gb((g) => {
      const a = g.input("a", "int8", [2, 3]);
      const b = g.input("b", "int8", [3, 2]);
      g.output(g.op("MatMulInteger", [a, b, g.input("za", "int8", [])]), "int32");
      g.output(g.op("MatMulInteger", [a, b, "", g.constant("int8", [2], [1, 2], "zb")]), "int32");
      g.output(g.op("MatMulInteger", [a, b, g.scalar("uint8", 1, "zu")]), "int32");
    }),
    lines: [
      "node 0 matmulinteger_0 (MatMulInteger): a_zero_point 'za': must be a constant initializer (constant scalar)",
      "node 1 matmulinteger_1 (MatMulInteger): b_zero_point 'zb' int8[2]: must be a scalar (or a 1-element vector)",
      "node 2 matmulinteger_2 (MatMulInteger): a_zero_point 'zu' uint8: must have the operand dtype int8",
    ],
  },
  {
    name: "MatMulInteger shapes",
    model: gb((g) => {
      g.output(g.op("MatMulInteger", [g.input("a", "int8", [3]), g.input("b", "int8", [3, 2])]), "int32");
      g.output(g.op("MatMulInteger", [g.input("c", "int8", [2, 3]), g.input("d", "int8", [4, 2])]), "int32");
      g.output(
        g.op("MatMulInteger", [g.input("e", "int8", [2, 2, 3]), g.input("f", "int8", [3, 3, 2])]),
        "int32",
      );
      g.output(
        g.op("MatMulInteger", [g.input("h", "int8", [2, 3]), g.input("k", "int8", [2, 3, 2])]),
        "int32",
      );
    }),
    lines: [
      "node 0 matmulinteger_0 (MatMulInteger): A int8[3]: must have rank >= 2",
      "node 1 matmulinteger_1 (MatMulInteger): A int8[2,3], B int8[4,2]: inner dims differ",
      "node 2 matmulinteger_2 (MatMulInteger): A int8[2,2,3], B int8[3,3,2]: batch dims differ (no broadcasting)",
      "node 3 matmulinteger_3 (MatMulInteger): B int8[2,3,2]: must have rank 2 or the rank of A (2)",
    ],
  },
  {
    name: "multi-axis and all-axis ReduceMax, select_last_index, unknown attribute",
    model: gb((g) => {
      const x = g.input("x", "int8", [2, 3]);
      g.output(g.op("ReduceMax", [x], { axes: [0, 1] }), "int8");
      g.output(g.op("ReduceMax", [x]), "int8");
      g.output(g.op("ArgMax", [x], { select_last_index: 1 }), "int64");
      g.output(g.op("Relu", [x], { alpha: 1 }), "int8");
      g.output(g.op("ReduceMax", [x], { axes: [2] }), "int8");
    }),
    lines: [
      "node 0 reducemax_0 (ReduceMax): attr axes=[0,1]: the profile reduces exactly one axis per node",
      "node 1 reducemax_1 (ReduceMax): attr axes=(all): the profile reduces exactly one axis per node",
      "node 2 argmax_2 (ArgMax): attr select_last_index=1: only 0 (ties go to the first index) is in the profile",
      "node 3 relu_3 (Relu): attr alpha: unknown attribute for Relu",
      "node 4 reducemax_4 (ReduceMax): attr axes=[2]: out of range for rank 2 (allowed -2..1)",
    ],
  },
  {
    name: "ops and dtypes ONNX Runtime has no kernel for, non-profile casts",
    model: gb((g) => {
      g.output(g.op("Relu", [g.input("u", "uint8", [2])]), "uint8");
      g.output(g.op("Max", [g.input("l", "int64", [2]), g.input("m", "int64", [2])]), "int64");
      g.output(g.op("Cast", [g.input("c", "int8", [2])], { to: 1 }), "int8");
      g.output(g.op("Add", [g.input("p", "int8", [2]), g.input("q", "int32", [2])]), "int32");
      g.output(g.op("Where", [g.input("w", "int8", [2])]), "int8");
    }),
    lines: [
      "node 0 relu_0 (Relu): input 0 'u' uint8: Relu takes int8, int32",
      "node 1 max_1 (Max): input 0 'l' int64: Max takes int8, uint8, int32",
      "node 2 cast_2 (Cast): attr to=1 (float): only casts between int8, uint8, int32, int64",
      "node 3 add_3 (Add): inputs 'p' int8, 'q' int32: Add needs one dtype for all inputs",
      "node 4 where_4 (Where): op: ONNX Runtime has no int8 Where kernel; not in the profile",
    ],
  },
  {
    name: "Transpose and axis attributes",
    model: gb((g) => {
      const x = g.input("x", "int8", [2, 3]);
      g.output(g.op("Transpose", [x], { perm: [0, 0] }), "int8");
      g.output(g.op("Gather", [x, g.scalar("int32", 0)], { axis: 2 }), "int8");
      g.output(g.op("Squeeze", [x, g.constant("int64", [1], [1])]), "int8");
      g.output(g.op("Unsqueeze", [x, g.constant("int64", [2], [0, 0])]), "int8");
      g.output(g.op("Flatten", [x], { axis: 3 }), "int8");
    }),
    lines: [
      "node 0 transpose_0 (Transpose): attr perm=[0,0]: is not a permutation of 0..1",
      "node 1 gather_2 (Gather): attr axis=2: out of range for rank 2 (allowed -2..1)",
      "node 2 squeeze_4 (Squeeze): axes [1]: dim 1 has size 3, not 1",
      "node 3 unsqueeze_6 (Unsqueeze): axes [0,0]: axis 0 repeated",
      "node 4 flatten_7 (Flatten): attr axis=3: out of range for rank 2 (allowed -2..2)",
    ],
  },
  {
    name: "opset version gates (each measured: ORT refuses the same node at that opset)",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [2, 3]);
        g.op("Add", [x, x]);
        g.op("Relu", [x]);
        g.op("Reshape", [x, g.constant("int64", [1], [6])], { allowzero: 0 });
        g.op("Cast", [x], { to: 6, saturate: 1 });
        g.output(g.op("ReduceMax", [x, g.constant("int64", [1], [1])]), "int8");
      })();
      m.opsetImports = [{ domain: "", version: 13 }];
      return m;
    },
    lines: [
      "node 0 add_0 (Add): int8 Add: Add on int8 needs opset >= 14 (the model imports opset 13)",
      "node 1 relu_1 (Relu): op: integer Relu (Relu-14) needs opset >= 14 (the model imports opset 13)",
      "node 2 reshape_3 (Reshape): attr allowzero: allowzero (Reshape-14) needs opset >= 14 (the model imports opset 13)",
      "node 3 cast_4 (Cast): attr saturate: saturate (Cast-19) needs opset >= 19 (the model imports opset 13)",
      "node 4 reducemax_6 (ReduceMax): input 1 'const_5': axes as an input needs opset >= 18 (the model imports opset 13)",
    ],
  },
  {
    name: "ReduceMax-18 takes axes as an input; Cast-19 saturate=0 is refused",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [2, 3]);
        g.op("ReduceMax", [x], { axes: [1] });
        g.op("Cast", [x], { to: 6, saturate: 0 });
        g.output(g.op("ReduceMax", [x, g.constant("int64", [1], [-1])], { keepdims: 0 }), "int8", [2]);
      })();
      m.opsetImports = [{ domain: "", version: 19 }];
      return m;
    },
    lines: [
      "node 0 reducemax_0 (ReduceMax): attr axes: ReduceMax-18 takes axes as an input (the model imports opset 19)",
      "node 1 cast_1 (Cast): attr saturate=0: ONNX Runtime refuses saturate=0 on integer casts; omit it",
    ],
  },
  {
    name: "Slice and Expand hazards: empty slices, zero steps, repeated axes, runtime starts, shapes",
    model: gb((g) => {
      const x = g.input("x", "int8", [4, 5]);
      const c = (vals: number[], dt: "int64" | "int32" = "int64") => g.constant(dt, [vals.length], vals);
      g.op("Slice", [x, c([3]), c([1])]);
      g.op("Slice", [x, c([0]), c([4]), c([0]), c([0])]);
      g.op("Slice", [x, c([0, 0]), c([2, 2]), c([1, -1])]);
      g.op("Slice", [x, g.input("s", "int64", [1]), c([2])]);
      g.op("Slice", [x, c([0, 0]), c([2])]);
      g.op("Expand", [x, c([3, 5])]);
      g.output(
        g.op("Slice", [x, c([-2], "int32"), c([9], "int32"), c([1], "int32"), c([-1], "int32")]),
        "int8",
      );
    }),
    lines: [
      "node 0 slice_2 (Slice): axis 0: start 3, end 1, step 1: selects no element of dim 4 (empty tensors are outside the profile)",
      "node 1 slice_7 (Slice): steps[0]=0: a step must not be 0",
      "node 2 slice_11 (Slice): axes[1]=-1: repeated",
      "node 3 slice_13 (Slice): starts 's': must be a constant initializer (Slice starts is resolved at validation time)",
      "node 4 slice_16 (Slice): starts, ends, axes, steps: must have the same length",
      "node 5 expand_18 (Expand): shape [3,5]: does not broadcast with int8[4,5] (dims must be >= 1)",
      "node 6 slice_23 (Slice): axis 1: start -2, end 9, step -1: selects no element of dim 5 (empty tensors are outside the profile)",
    ],
  },
  {
    name: "Concat: shapes off the axis, dtypes, missing axis, too many inputs",
    model: gb((g) => {
      const x = g.input("x", "int8", [2, 3]);
      const y = g.input("y", "int8", [3, 3]);
      g.op("Concat", [x, y], { axis: 1 });
      g.op("Concat", [x, g.input("z", "int32", [2, 3])], { axis: 0 });
      g.op("Concat", [x, x]);
      g.output(g.op("Concat", Array(9).fill(x), { axis: 0 }), "int8");
    }),
    lines: [
      "node 0 concat_0 (Concat): inputs int8[2,3], int8[3,3]: must agree on every dim but axis 1",
      "node 1 concat_1 (Concat): inputs 'x' int8, 'z' int32: Concat needs one dtype for all inputs",
      "node 2 concat_2 (Concat): attr axis: missing (required by Concat)",
      "node 3 concat_3 (Concat): 9 inputs: Concat takes 1..8 (inputs)",
    ],
  },
  {
    name: "Tile: repeats per dim, >= 1, constant",
    model: gb((g) => {
      const x = g.input("x", "int8", [2, 3]);
      g.op("Tile", [x, g.constant("int64", [1], [2])]);
      g.op("Tile", [x, g.constant("int64", [2], [0, 1])]);
      g.output(g.op("Tile", [x, g.input("r", "int64", [2])]), "int8");
    }),
    lines: [
      "node 0 tile_1 (Tile): repeats [2]: needs one entry per dim of int8[2,3]",
      "node 1 tile_3 (Tile): repeats [0,1]: entries must be >= 1 (empty tensors are outside the profile)",
      "node 2 tile_4 (Tile): repeats 'r': must be a constant initializer (Tile repeats is resolved at validation time)",
    ],
  },
  {
    name: "Pad: constant mode only, pads length, empty axes, runtime pads, axes before 18",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [2, 3]);
        const c = (v: number[]) => g.constant("int64", [v.length], v);
        g.op("Pad", [x, c([1, 1, 1, 1])], { mode: "reflect" });
        g.op("Pad", [x, c([1, 1])]);
        g.op("Pad", [x, c([0, -2, 0, -2])]);
        g.op("Pad", [x, g.input("p", "int64", [4])]);
        g.op("Pad", [x, c([1, 1]), g.scalar("int8", 0), c([1])]);
        g.output(g.op("Pad", [x, c([1, 1, 1, 1]), g.scalar("int32", 0)]), "int8");
      })();
      m.opsetImports = [{ domain: "", version: 17 }];
      return m;
    },
    lines: [
      "node 0 pad_1 (Pad): attr mode=reflect: only constant padding is in the profile",
      "node 1 pad_3 (Pad): pads [1,1]: needs 4 entries (begin and end per axis)",
      "node 2 pad_5 (Pad): pads [0,-2,0,-2]: axis 1: -1 elements left (empty tensors are outside the profile)",
      "node 3 pad_6 (Pad): pads 'p': must be a constant initializer (Pad pads is resolved at validation time)",
      "node 4 pad_10 (Pad): input 3 (axes): Pad axes (Pad-18) needs opset >= 18 (the model imports opset 17)",
      "node 5 pad_13 (Pad): constant_value 'const_12' int32: must have the operand dtype int8",
    ],
  },
  {
    name: "opset, IR version and domain",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [2]);
        g.output(g.op("Relu", [x]), "int8");
      })();
      m.opsetImports = [{ domain: "", version: 12 }];
      m.irVersion = 3;
      m.graph.nodes[0].domain = "com.microsoft";
      return m;
    },
    lines: [
      "model: opset 12: the profile reads ONNX opsets 13..21 (default domain)",
      "model: ir_version 3: must be 7..12",
      "node 0 relu_0 (Relu): domain com.microsoft: only the default ONNX domain is in the profile",
    ],
  },
  {
    name: "graph structure: order, undefined values, duplicate names, outputs",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [2]);
        const a = g.op("Relu", [x], {}, "a");
        g.op("Relu", [a], {}, "b");
        g.op("Relu", [x], {}, "x");
        g.op("Relu", ["ghost"], {}, "c");
        g.output("b", "int8", [2]);
        g.output("x", "int8", [2]);
        g.output("nowhere", "int8", [2]);
        g.output("a", "int32", [2]);
      })();
      // Move node 1 (b = Relu(a)) before node 0 (a = Relu(x)).
      const [n0, n1] = m.graph.nodes;
      m.graph.nodes[0] = n1;
      m.graph.nodes[1] = n0;
      return m;
    },
    lines: [
      "node 0 relu_1 (Relu): input 'a': produced by node 1, which comes later: nodes must be in topological order",
      "node 2 relu_2 (Relu): output 'x': name already defined (every value is defined once)",
      "node 3 relu_3 (Relu): input 'ghost': is not defined (not a graph input, initializer or earlier node output)",
      "graph output 'x': is a graph input or initializer; outputs must be node outputs",
      "graph output 'nowhere': is not produced by any node",
      "graph output 'a' int32: the node computes int8",
    ],
  },
  {
    name: "declared output shape disagrees",
    model: gb((g) => {
      g.output(g.op("Add", [g.input("x", "int8", [2, 3]), g.input("y", "int8", [3])]), "int8", [3, 2]);
    }),
    lines: ["graph output 'add_0': declared shape [3,2], the node computes [2,3]"],
  },
  {
    name: "float initializer and non-broadcasting shapes",
    model: () => {
      const m = gb((g) => {
        const x = g.input("x", "int8", [2, 3]);
        g.output(g.op("Add", [x, g.constant("int8", [2], [1, 2], "w")]), "int8");
        g.output(g.op("Mul", [x, g.constant("int8", [1], [1], "f")]), "int8");
      })();
      const f = m.graph.initializers[1];
      m.graph.initializers[1] = { ...f, dtype: 1, data: null };
      return m;
    },
    lines: [
      "initializer 'f' float: dtype outside the integer profile (int8, uint8, int32, int64)",
      "node 0 add_0 (Add): shapes int8[2,3], int8[2]: do not broadcast (Add uses numpy broadcasting)",
      "node 1 mul_1 (Mul): input 1 'f' float: dtype outside the integer profile",
    ],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    t.same(errorsOf(c.model()), c.lines);
  });
}

t.test("weights listed as graph inputs (keep_initializers_as_inputs) are rejected", async (t) => {
  const m = gb((g) => {
    const x = g.input("x", "int8", [4]);
    g.output(g.op("Add", [x, g.constant("int8", [4], [1, 2, 3, 4], "w")]), "int8");
  })();
  m.graph.inputs.push({ name: "w", dtype: 3, shape: [4] });
  t.same(errorsOf(m), ["initializer 'w': also a graph input (weights must not be overridable inputs)"]);
});

t.test("downstream of a rejected node nothing more is reported", async (t) => {
  const m = gb((g) => {
    const x = g.input("x", "int32", [2]);
    const d = g.op("Div", [x, x]);
    g.output(g.op("Relu", [g.op("Add", [d, d])]), "int32");
  })();
  const errs = errorsOf(m);
  t.equal(errs.length, 1);
  t.match(errs[0], /^node 0 div_0 \(Div\): divisor 'x'/);
});

t.test(
  "a float model fed by ops outside the profile (Conv, Constant, If): every node is named",
  async (t) => {
    const m = gb((g) => {
      g.input("x", "int8", [1, 3, 4, 4]);
      g.output("out", "int8");
    })();
    const f32 = { name: "", dtype: 1, shape: [] as number[], data: null };
    m.graph.inputs[0].dtype = 1;
    m.graph.initializers.push({ name: "w", dtype: 1, shape: [2, 3, 1, 1], data: null });
    m.graph.initializers.push({ name: "table", dtype: 3, shape: [4], data: Int8Array.from([1, 2, 3, 4]) });
    const node = (name: string, opType: string, inputs: string[], attrs = {}) =>
      m.graph.nodes.push({ name, opType, domain: "", inputs, outputs: [name], attrs });
    node("conv", "Conv", ["x", "w"]);
    node("relu", "Relu", ["conv"]);
    node("scale", "Constant", [], { value: { type: "tensor", value: { ...f32, name: "s" } } });
    node("mul", "Mul", ["relu", "scale"]);
    node("idx", "Constant", [], {
      value: { type: "tensor", value: { name: "i", dtype: 7, shape: [], data: BigInt64Array.of(1n) } },
    });
    node("lookup", "Gather", ["table", "idx"]);
    node("lookup2", "Relu", ["lookup"]);
    node("cond", "Constant", [], { value_int: { type: "int", value: 1n } });
    node("branch", "If", ["cond"], {
      then_branch: { type: "unsupported", onnxType: 5, graphOutputs: [{ name: "o", dtype: 1, shape: null }] },
      else_branch: { type: "unsupported", onnxType: 5, graphOutputs: [{ name: "o", dtype: 1, shape: null }] },
    });
    node("after_if", "Neg", ["branch"]);
    node("untyped_if", "If", ["cond"], {
      then_branch: { type: "unsupported", onnxType: 5, graphOutputs: [{ name: "o", dtype: 0, shape: null }] },
    });
    node("out", "Max", ["untyped_if", "lookup2"]);
    t.same(errorsOf(m), [
      "graph input 'x' float: dtype outside the integer profile (int8, uint8, int32, int64)",
      "initializer 'w' float: dtype outside the integer profile (int8, uint8, int32, int64)",
      "node 0 conv (Conv): op: not in the integer profile",
      "node 1 relu (Relu): input 0 'conv' float: dtype outside the integer profile",
      "node 2 scale (Constant): op: constants must be graph initializers",
      "node 3 mul (Mul): input 0 'relu' float: dtype outside the integer profile",
      "node 4 idx (Constant): op: constants must be graph initializers",
      "node 5 lookup (Gather): input 1 'idx': computed from an op outside the profile (by node 4)",
      "node 6 lookup2 (Relu): input 0 'lookup': computed from an op outside the profile (by node 5)",
      "node 7 cond (Constant): op: constants must be graph initializers",
      "node 8 branch (If): op: not in the integer profile",
      "node 9 after_if (Neg): input 0 'branch' float: dtype outside the integer profile",
      "node 10 untyped_if (If): op: not in the integer profile",
      "node 11 out (Max): input 0 'untyped_if': computed from an op outside the profile (by node 10)",
    ]);
  },
);

t.test("If's branch outputs survive decoding (they type what a rejected If produces)", async (t) => {
  const { onnx } = (await import("onnx-proto")).default;
  const branch = { output: [{ name: "o", type: { tensorType: { elemType: 1 } } }] };
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ version: 17 }],
    graph: {
      node: [
        {
          opType: "If",
          input: ["c"],
          output: ["y"],
          attribute: [{ name: "then_branch", type: onnx.AttributeProto.AttributeType.GRAPH, g: branch }],
        },
        { opType: "Relu", input: ["y"], output: ["z"] },
      ],
      input: [{ name: "c", type: { tensorType: { elemType: 9, shape: { dim: [] } } } }],
      output: [{ name: "z", type: { tensorType: { elemType: 1 } } }],
    },
  }).finish();
  const m = (await import("../../../prover-trace/onnx/io.ts")).decodeOnnx(bytes);
  const a = m.graph.nodes[0].attrs.then_branch;
  t.same(a.type === "unsupported" ? a.graphOutputs?.map((o) => o.dtype) : null, [1]);
  t.match(
    errorsOf(m).join("\n"),
    /node 1 node_1 \(Relu\): input 0 'y' float: dtype outside the integer profile/,
  );
});
