// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeDescriptor} from "./NodeDescriptor.sol";

/// @title OpSemantics
/// @notice The one-step semantics of every profile op (docs/profile.md section 4 and "Reference
/// semantics"), exactly as prover-trace/reference/ (elementDependencies, evalElement, foldInitial,
/// foldStep, foldResult, foldLength) computes them; test/vectors/ops.json pins the two together.
///
/// An `Op` is a node's op code and attribute bytes (from its descriptor), the dtype and shape of
/// each data input (bound by the input tensor roots the game opens) and of the output (from the
/// descriptor). `check` re-derives the output type from the inputs and attributes, like the
/// reference's checkNode, and must pass before anything else is asked of an op: every index
/// function below then stays inside the tensors it names.
///
/// Map ops (Add, Sub, Mul, Div, Max, Min, Clip, Relu, Cast, Gather, Reshape, Transpose, Slice, Abs,
/// Neg, Concat, Tile, Pad): output
/// element e is f(reads). `mapReads` names the reads; Gather's data read depends on the value of
/// its index read, so `mapReads` returns only the index read and `gatherDataRead` the second one.
/// `evalMap` takes the read values in read order (Gather: index, then data).
///
/// Folds (MatMulInteger, ReduceMax, ArgMax, MaxPool): output element e is foldResult(s_K) with
/// s_0 = foldInitial and s_k = foldStep(k, s_{k-1}, a_k, b_k); `foldReads(e, k)` names a_k (and
/// b_k). A MaxPool step whose window position lies in the padding reads nothing; its a_k is the
/// dtype minimum (the running max is unchanged).
///
/// Values are int256 holding the element's integer value (signed or unsigned per dtype: uint8 2,
/// int8 3, int32 6, int64 7). Fold states are int256 too; an ArgMax state is the non-negative
/// pack index * 2^64 + (max mod 2^64).
library OpSemantics {
    struct Op {
        uint8 opCode;
        bytes attrs;
        NodeDescriptor.TensorDesc[] inputs;
        NodeDescriptor.TensorDesc output;
    }

    /// Element `index` (flat, row-major) of data input `slot`.
    struct Read {
        uint256 slot;
        uint256 index;
    }

    uint256 private constant MASK64 = (1 << 64) - 1;

    error ArityMismatch(uint8 opCode, uint256 inputCount);
    error InputDTypeMismatch(uint8 opCode, uint256 slot, uint8 dtype);
    error InputShapeMismatch(uint8 opCode, uint256 slot);
    error OutputTypeMismatch(uint8 opCode);
    error BadAttributes(uint8 opCode);
    error BadTensorDesc(uint8 dtype, uint256 rank);
    error NotAMapOp(uint8 opCode);
    error NotAFold(uint8 opCode);
    error OutputIndexOutOfRange(uint256 index, uint256 numel);
    error ValueCountMismatch(uint256 expected, uint256 actual);
    error ValueOutOfRange(uint256 slot, int256 value);
    error DivisionByZero();
    error DivOverflow(int256 dividend);
    error GatherIndexOutOfRange(int256 index, uint256 dim);
    error FoldStepOutOfRange(uint256 k, uint256 foldLength);
    error InvalidFoldState(int256 state);

    // ------------------------------------------------------------------ building and checking

    /// The op of a decoded descriptor over inputs of the given types, one per input reference
    /// (the types come from the input tensor roots the game opened). Still to be `check`ed.
    function fromNode(NodeDescriptor.Node memory node, NodeDescriptor.TensorDesc[] memory inputs)
        internal
        pure
        returns (Op memory)
    {
        if (inputs.length != node.inputs.length) revert ArityMismatch(node.opCode, inputs.length);
        return Op({opCode: node.opCode, attrs: node.attrs, inputs: inputs, output: node.outputs[0]});
    }

    function isFold(uint8 opCode) internal pure returns (bool) {
        // A bit set rather than a chain of comparisons: DisputeGame inlines this and is near EIP-170.
        uint256 folds = (1 << NodeDescriptor.OP_MATMULINTEGER) | (1 << NodeDescriptor.OP_REDUCEMAX)
            | (1 << NodeDescriptor.OP_ARGMAX) | (1 << NodeDescriptor.OP_MAXPOOL) | (1 << NodeDescriptor.OP_CONVINTEGER);
        return (folds >> opCode) & 1 == 1;
    }

    /// Reverts unless the op is well formed: its arity, input dtypes and attributes are the
    /// op's, and the output dtype and shape are the ones the op infers from its inputs
    /// (prover-trace/reference/infer.ts checkNode).
    function check(Op memory op) internal pure {
        uint8 c = op.opCode;
        uint256 n = op.inputs.length;
        _checkDesc(op.output);
        for (uint256 i = 0; i < n; i++) _checkDesc(op.inputs[i]);
        if (c >= NodeDescriptor.OP_ADD && c <= NodeDescriptor.OP_MIN) {
            if (c <= NodeDescriptor.OP_DIV ? n != 2 : n == 0) revert ArityMismatch(c, n);
            uint8 dt = op.inputs[0].dtype;
            for (uint256 i = 1; i < n; i++) {
                if (op.inputs[i].dtype != dt) revert InputDTypeMismatch(c, i, op.inputs[i].dtype);
            }
            if (op.output.dtype != dt) revert OutputTypeMismatch(c);
            _checkBroadcast(op);
            _noAttrs(op);
        } else if (c == NodeDescriptor.OP_CLIP) {
            _unary(op, true);
            if (op.attrs.length != 16) revert BadAttributes(c);
            uint8 dt = op.inputs[0].dtype;
            if (!_inRange(_i64(op.attrs, 0), dt) || !_inRange(_i64(op.attrs, 8), dt)) revert BadAttributes(c);
        } else if (c == NodeDescriptor.OP_RELU || c == NodeDescriptor.OP_ABS || c == NodeDescriptor.OP_NEG) {
            _unary(op, true);
            _noAttrs(op);
        } else if (c == NodeDescriptor.OP_CAST) {
            _unary(op, false);
            _noAttrs(op);
        } else if (c == NodeDescriptor.OP_RESHAPE) {
            if (n != 1) revert ArityMismatch(c, n);
            if (op.output.dtype != op.inputs[0].dtype) revert OutputTypeMismatch(c);
            if (_numel(op.output.shape) != _numel(op.inputs[0].shape)) revert OutputTypeMismatch(c);
            _noAttrs(op);
        } else if (c == NodeDescriptor.OP_TRANSPOSE) {
            _checkTranspose(op);
        } else if (c == NodeDescriptor.OP_SLICE) {
            _checkSlice(op);
        } else if (c == NodeDescriptor.OP_CONCAT) {
            _checkConcat(op);
        } else if (c == NodeDescriptor.OP_TILE) {
            _checkTile(op);
        } else if (c == NodeDescriptor.OP_PAD) {
            _checkPad(op);
        } else if (c == NodeDescriptor.OP_MAXPOOL) {
            _checkMaxPool(op);
        } else if (c == NodeDescriptor.OP_CONVINTEGER) {
            _checkConv(op);
        } else if (c == NodeDescriptor.OP_GATHER) {
            _checkGather(op);
        } else if (c == NodeDescriptor.OP_MATMULINTEGER) {
            _checkMatMul(op);
        } else if (c == NodeDescriptor.OP_REDUCEMAX || c == NodeDescriptor.OP_ARGMAX) {
            _checkReduce(op);
        } else {
            revert NodeDescriptor.UnknownOpCode(c);
        }
    }

    // ------------------------------------------------------------------ whole one-step checks

    /// Everything a one-step proof of map-op element `e` needs, checks included: the reads
    /// (Gather: the index read, then the data read that `values[0]` selects) and the output
    /// computed from `values`, the values opened at those reads, in the same order. The caller
    /// verifies that opening i is element reads[i].index of input reads[i].slot holding values[i].
    function evalElement(Op memory op, uint256 e, int256[] memory values)
        internal
        pure
        returns (Read[] memory reads, int256 output)
    {
        check(op);
        reads = mapReads(op, e);
        if (op.opCode == NodeDescriptor.OP_GATHER) {
            if (values.length != 2) revert ValueCountMismatch(2, values.length);
            Read[] memory both = new Read[](2);
            both[0] = reads[0];
            both[1] = gatherDataRead(op, e, values[0]);
            reads = both;
        }
        output = evalMap(op, values);
    }

    /// Everything a one-step proof of fold step k (1..K) of output element `e` needs, checks
    /// included: the operand reads and s_k from s_{k-1} and the operand values (`b` only for
    /// MatMulInteger; pass 0 otherwise).
    function evalFoldStep(Op memory op, uint256 e, uint256 k, int256 sPrev, int256 a, int256 b)
        internal
        pure
        returns (Read[] memory reads, int256 next)
    {
        check(op);
        reads = foldReads(op, e, k);
        next = foldStep(op, k, sPrev, a, b);
    }

    // ------------------------------------------------------------------ map ops

    /// The input elements output element `e` of a map op reads, in order. Gather: only the index
    /// read (slot 1); its data read comes from `gatherDataRead` once the index value is known.
    function mapReads(Op memory op, uint256 e) internal pure returns (Read[] memory reads) {
        uint8 c = op.opCode;
        _checkOutputIndex(op, e);
        if (c >= NodeDescriptor.OP_ADD && c <= NodeDescriptor.OP_MIN) {
            reads = _broadcastReads(op, e);
        } else if (
            c == NodeDescriptor.OP_CLIP || c == NodeDescriptor.OP_RELU || c == NodeDescriptor.OP_CAST
                || c == NodeDescriptor.OP_RESHAPE || c == NodeDescriptor.OP_ABS || c == NodeDescriptor.OP_NEG
        ) {
            reads = new Read[](1);
            reads[0] = Read(0, e);
        } else if (c == NodeDescriptor.OP_TRANSPOSE) {
            reads = new Read[](1);
            reads[0] = Read(0, _transposeSource(op, e));
        } else if (c == NodeDescriptor.OP_SLICE) {
            reads = new Read[](1);
            reads[0] = Read(0, _sliceSource(op, e));
        } else if (c == NodeDescriptor.OP_CONCAT) {
            reads = new Read[](1);
            reads[0] = _concatSource(op, e);
        } else if (c == NodeDescriptor.OP_TILE) {
            reads = new Read[](1);
            reads[0] = Read(0, _tileSource(op, e));
        } else if (c == NodeDescriptor.OP_PAD) {
            (bool inside, uint256 src) = _padSource(op, e);
            reads = new Read[](inside ? 1 : 0); // the padding constant reads nothing
            if (inside) reads[0] = Read(0, src);
        } else if (c == NodeDescriptor.OP_GATHER) {
            (,, uint256 mid,) = _gatherSplit(op, e);
            reads = new Read[](1);
            reads[0] = Read(1, mid);
        } else {
            revert NotAMapOp(c);
        }
    }

    /// Gather's second read: the data element that index value `indexValue` (the value of the
    /// read `mapReads` returned) selects for output element `e`. A negative index counts from the
    /// end of the axis; one outside [-dim, dim-1] is a fault (a run error in ONNX Runtime).
    function gatherDataRead(Op memory op, uint256 e, int256 indexValue) internal pure returns (Read memory) {
        if (op.opCode != NodeDescriptor.OP_GATHER) revert NotAMapOp(op.opCode);
        _checkOutputIndex(op, e);
        if (!_inRange(indexValue, op.inputs[1].dtype)) revert ValueOutOfRange(1, indexValue);
        (uint256 outer, uint256 inner, , uint256 innerIdx) = _gatherSplit(op, e);
        uint256 dim = op.inputs[0].shape[uint8(op.attrs[0])];
        uint256 pos = _gatherPosition(indexValue, dim);
        return Read(0, (outer * dim + pos) * inner + innerIdx);
    }

    /// Output element of a map op from the values of its reads, in read order (Gather: the index
    /// value, then the data value). Reverts on the faults the profile excludes (division by zero,
    /// int32/int64 INT_MIN / -1, a Gather index out of range) and on a value outside its dtype.
    function evalMap(Op memory op, int256[] memory values) internal pure returns (int256) {
        uint8 c = op.opCode;
        if (c < NodeDescriptor.OP_ADD || c > NodeDescriptor.OP_LAST || isFold(c)) revert NotAMapOp(c);
        uint8 outType = op.output.dtype;
        if (c <= NodeDescriptor.OP_MIN) {
            _checkValues(op, values, op.inputs.length);
            int256 a = values[0];
            if (c == NodeDescriptor.OP_MAX || c == NodeDescriptor.OP_MIN) {
                for (uint256 i = 1; i < values.length; i++) {
                    int256 v = values[i];
                    if (c == NodeDescriptor.OP_MAX ? v > a : v < a) a = v;
                }
                return a;
            }
            int256 b = values[1];
            if (c == NodeDescriptor.OP_ADD) return wrap(a + b, outType);
            if (c == NodeDescriptor.OP_SUB) return wrap(a - b, outType);
            if (c == NodeDescriptor.OP_MUL) return wrap(a * b, outType);
            // Div: Solidity's signed `/` truncates toward zero, as ONNX Runtime does.
            if (b == 0) revert DivisionByZero();
            if (b == -1 && (outType == NodeDescriptor.DTYPE_INT32 || outType == NodeDescriptor.DTYPE_INT64)) {
                if (a == dtypeMin(outType)) revert DivOverflow(a);
            }
            return wrap(a / b, outType); // int8 -128 / -1 wraps to -128, as in ONNX Runtime
        }
        if (c == NodeDescriptor.OP_GATHER) {
            if (values.length != 2) revert ValueCountMismatch(2, values.length);
            if (!_inRange(values[0], op.inputs[1].dtype)) revert ValueOutOfRange(1, values[0]);
            if (!_inRange(values[1], op.inputs[0].dtype)) revert ValueOutOfRange(0, values[1]);
            _gatherPosition(values[0], op.inputs[0].shape[uint8(op.attrs[0])]);
            return values[1];
        }
        // Pad: no value where the output is the constant (mapReads returned no read there).
        if (c == NodeDescriptor.OP_PAD && values.length == 0) return _i64(op.attrs, 0);
        _checkValues(op, values, 1);
        int256 x = values[0];
        if (c == NodeDescriptor.OP_CLIP) {
            int256 lo = _i64(op.attrs, 0);
            int256 hi = _i64(op.attrs, 8);
            int256 t = x < lo ? lo : x;
            return t > hi ? hi : t; // lo > hi gives hi everywhere, as ONNX Runtime does
        }
        if (c == NodeDescriptor.OP_RELU) return x > 0 ? x : int256(0);
        // Abs and Neg wrap: |min| and -min are min again, as in ONNX Runtime.
        if (c == NodeDescriptor.OP_ABS) return wrap(x < 0 ? -x : x, outType);
        if (c == NodeDescriptor.OP_NEG) return wrap(-x, outType);
        if (c == NodeDescriptor.OP_CAST) return wrap(x, outType);
        return x; // Reshape, Transpose, Slice, Concat, Tile, Pad: the element moves unchanged
    }

    // ------------------------------------------------------------------ folds

    /// K: the number of steps of every fold chain of this op (the folded axis length).
    function foldLength(Op memory op) internal pure returns (uint256) {
        uint8 c = op.opCode;
        uint32[] memory x = op.inputs[0].shape;
        if (c == NodeDescriptor.OP_MATMULINTEGER) return x[x.length - 1];
        if (c == NodeDescriptor.OP_REDUCEMAX || c == NodeDescriptor.OP_ARGMAX) return x[uint8(op.attrs[0])];
        if (c == NodeDescriptor.OP_CONVINTEGER) return _numel(op.inputs[1].shape) / op.inputs[1].shape[0];
        if (c == NodeDescriptor.OP_MAXPOOL) {
            uint256 K = 1;
            for (uint256 p = 0; p < op.attrs.length; p += 32) K *= uint256(_i64(op.attrs, p));
            return K;
        }
        revert NotAFold(c);
    }

    /// s_0, a constant of the op: 0 for MatMulInteger, the input dtype's minimum for ReduceMax,
    /// pack(dtype minimum, 0) for ArgMax.
    function foldInitial(Op memory op) internal pure returns (int256) {
        uint8 c = op.opCode;
        if (c == NodeDescriptor.OP_MATMULINTEGER || c == NodeDescriptor.OP_CONVINTEGER) return 0;
        if (c == NodeDescriptor.OP_REDUCEMAX || c == NodeDescriptor.OP_MAXPOOL) return dtypeMin(op.inputs[0].dtype);
        if (c == NodeDescriptor.OP_ARGMAX) return packArgMax(dtypeMin(op.inputs[0].dtype), 0);
        revert NotAFold(c);
    }

    /// The operands step k (1..K) of output element e's chain consumes: element k-1 of the folded
    /// axis. MatMulInteger: A[b.., i, k-1] (slot 0) and B[(b..,) k-1, j] (slot 1); ReduceMax and
    /// ArgMax: X[.., k-1, ..] (slot 0).
    function foldReads(Op memory op, uint256 e, uint256 k) internal pure returns (Read[] memory reads) {
        uint8 c = op.opCode;
        _checkOutputIndex(op, e);
        uint256 K = foldLength(op);
        if (k == 0 || k > K) revert FoldStepOutOfRange(k, K);
        if (c == NodeDescriptor.OP_MATMULINTEGER) {
            uint32[] memory b = op.inputs[1].shape;
            uint256 rb = b.length;
            uint256 N = b[rb - 1];
            uint256 M = op.inputs[0].shape[op.inputs[0].shape.length - 2];
            uint256 j = e % N;
            uint256 i = (e / N) % M;
            uint256 batch = e / (N * M);
            reads = new Read[](2);
            reads[0] = Read(0, (batch * M + i) * K + (k - 1));
            reads[1] = Read(1, rb == 2 ? (k - 1) * N + j : (batch * K + (k - 1)) * N + j);
        } else if (c == NodeDescriptor.OP_MAXPOOL) {
            reads = _poolRead(op, e, k);
        } else if (c == NodeDescriptor.OP_CONVINTEGER) {
            reads = _convReads(op, e, k);
        } else {
            // The output keeps (keepdims) or drops the axis; either way e = outer * inner + innerIdx.
            uint32[] memory x = op.inputs[0].shape;
            uint256 axis = uint8(op.attrs[0]);
            uint256 inner = 1;
            for (uint256 d = axis + 1; d < x.length; d++) inner *= x[d];
            reads = new Read[](1);
            reads[0] = Read(0, ((e / inner) * K + (k - 1)) * inner + (e % inner));
        }
    }

    /// s_k from s_{k-1} and the k-th operands (k is 1-based; `b` is only read by MatMulInteger):
    ///   MatMulInteger  wrap_int32(s + (a - aZeroPoint) * (b - bZeroPoint))
    ///   ReduceMax      max(s, a)
    ///   ArgMax         a > max(s) ? pack(a, k-1) : s   (strict: ties keep the first index)
    /// Reverts on a step outside 1..K, an operand outside its dtype, or a state no chain of this
    /// op can hold (MatMulInteger: outside int32; ReduceMax: outside the input dtype; ArgMax: not
    /// a pack of a value of the input dtype and an index below K).
    function foldStep(Op memory op, uint256 k, int256 sPrev, int256 a, int256 b) internal pure returns (int256) {
        uint8 c = op.opCode;
        uint256 K = foldLength(op);
        if (k == 0 || k > K) revert FoldStepOutOfRange(k, K);
        uint8 dtA = op.inputs[0].dtype;
        if (!_inRange(a, dtA)) revert ValueOutOfRange(0, a);
        if (c == NodeDescriptor.OP_MATMULINTEGER || c == NodeDescriptor.OP_CONVINTEGER) {
            if (!_inRange(b, op.inputs[1].dtype)) revert ValueOutOfRange(1, b);
            if (!_inRange(sPrev, NodeDescriptor.DTYPE_INT32)) revert InvalidFoldState(sPrev);
            int256 azp = _i64(op.attrs, 0);
            int256 bzp = _i64(op.attrs, 8);
            return wrap(sPrev + (a - azp) * (b - bzp), NodeDescriptor.DTYPE_INT32);
        }
        if (c == NodeDescriptor.OP_REDUCEMAX || c == NodeDescriptor.OP_MAXPOOL) {
            if (!_inRange(sPrev, dtA)) revert InvalidFoldState(sPrev);
            return a > sPrev ? a : sPrev;
        }
        // ArgMax (foldLength rejected every other op)
        if (!isArgMaxState(sPrev, dtA, K)) revert InvalidFoldState(sPrev);
        return a > argMaxValue(sPrev) ? packArgMax(a, k - 1) : sPrev;
    }

    /// True iff some chain of this op can hold state `s`: MatMulInteger an int32, ReduceMax a value
    /// of the input dtype, ArgMax a pack of such a value and an index below K. The game can refuse
    /// any other state when it is posted, so that foldStep's InvalidFoldState never decides a game.
    function isFoldState(Op memory op, int256 s) internal pure returns (bool) {
        uint8 c = op.opCode;
        if (c == NodeDescriptor.OP_MATMULINTEGER || c == NodeDescriptor.OP_CONVINTEGER) {
            return _inRange(s, NodeDescriptor.DTYPE_INT32);
        }
        if (c == NodeDescriptor.OP_REDUCEMAX || c == NodeDescriptor.OP_MAXPOOL) return _inRange(s, op.inputs[0].dtype);
        if (c == NodeDescriptor.OP_ARGMAX) return isArgMaxState(s, op.inputs[0].dtype, foldLength(op));
        revert NotAFold(c);
    }

    /// The operand of a fold step that reads nothing (its window position is padding), which
    /// leaves the state as it is: ConvInteger's x zero point (its term is 0), else the input
    /// dtype's minimum (MaxPool's max is unchanged).
    function paddingOperand(Op memory op) internal pure returns (int256) {
        if (op.opCode == NodeDescriptor.OP_CONVINTEGER) return _i64(op.attrs, 0);
        return dtypeMin(op.inputs[0].dtype);
    }

    /// The output element a final state stands for: ArgMax the packed index, otherwise the state.
    function foldResult(Op memory op, int256 s) internal pure returns (int256) {
        uint8 c = op.opCode;
        if (c == NodeDescriptor.OP_ARGMAX) {
            if (s < 0 || uint256(s) >> 128 != 0) revert InvalidFoldState(s);
            return int256(uint256(s) >> 64);
        }
        if (
            c == NodeDescriptor.OP_MATMULINTEGER || c == NodeDescriptor.OP_REDUCEMAX || c == NodeDescriptor.OP_MAXPOOL
                || c == NodeDescriptor.OP_CONVINTEGER
        ) return s;
        revert NotAFold(c);
    }

    /// ArgMax state: index * 2^64 + (max mod 2^64).
    function packArgMax(int256 max, uint256 index) internal pure returns (int256) {
        return int256((index << 64) | (uint256(max) & MASK64));
    }

    /// The running maximum of an ArgMax state (low 64 bits, two's complement).
    function argMaxValue(int256 s) internal pure returns (int256 v) {
        assembly ("memory-safe") {
            v := signextend(7, s)
        }
    }

    /// True iff `s` packs a value of `dtype` and an index below `foldLen`.
    function isArgMaxState(int256 s, uint8 dtype, uint256 foldLen) internal pure returns (bool) {
        if (s < 0) return false;
        uint256 index = uint256(s) >> 64;
        return index < foldLen && _inRange(argMaxValue(s), dtype);
    }

    // ------------------------------------------------------------------ dtypes

    /// v reduced modulo 2^bits into the dtype's range (two's complement for signed types).
    function wrap(int256 v, uint8 dtype) internal pure returns (int256 r) {
        if (dtype == NodeDescriptor.DTYPE_UINT8) {
            assembly ("memory-safe") {
                r := and(v, 0xff)
            }
        } else if (dtype == NodeDescriptor.DTYPE_INT8) {
            assembly ("memory-safe") {
                r := signextend(0, v)
            }
        } else if (dtype == NodeDescriptor.DTYPE_INT32) {
            assembly ("memory-safe") {
                r := signextend(3, v)
            }
        } else if (dtype == NodeDescriptor.DTYPE_INT64) {
            assembly ("memory-safe") {
                r := signextend(7, v)
            }
        } else {
            revert NodeDescriptor.UnsupportedDType(dtype);
        }
    }

    function dtypeMin(uint8 dtype) internal pure returns (int256) {
        if (dtype == NodeDescriptor.DTYPE_UINT8) return 0;
        if (dtype == NodeDescriptor.DTYPE_INT8) return type(int8).min;
        if (dtype == NodeDescriptor.DTYPE_INT32) return type(int32).min;
        if (dtype == NodeDescriptor.DTYPE_INT64) return type(int64).min;
        revert NodeDescriptor.UnsupportedDType(dtype);
    }

    function dtypeMax(uint8 dtype) internal pure returns (int256) {
        if (dtype == NodeDescriptor.DTYPE_UINT8) return int256(uint256(type(uint8).max));
        if (dtype == NodeDescriptor.DTYPE_INT8) return type(int8).max;
        if (dtype == NodeDescriptor.DTYPE_INT32) return type(int32).max;
        if (dtype == NodeDescriptor.DTYPE_INT64) return type(int64).max;
        revert NodeDescriptor.UnsupportedDType(dtype);
    }

    // ------------------------------------------------------------------ internals: values

    function _inRange(int256 v, uint8 dtype) private pure returns (bool) {
        return wrap(v, dtype) == v;
    }

    function _checkValues(Op memory op, int256[] memory values, uint256 expected) private pure {
        if (values.length != expected) revert ValueCountMismatch(expected, values.length);
        for (uint256 i = 0; i < expected; i++) {
            if (!_inRange(values[i], op.inputs[i].dtype)) revert ValueOutOfRange(i, values[i]);
        }
    }

    /// Big-endian two's complement i64 at byte `p` of `attrs` (length checked by `check`).
    function _i64(bytes memory attrs, uint256 p) private pure returns (int256 v) {
        assembly ("memory-safe") {
            v := signextend(7, shr(192, mload(add(add(attrs, 0x20), p))))
        }
    }

    /// Position on the Gather axis that index value v selects; faults outside [-dim, dim-1].
    function _gatherPosition(int256 v, uint256 dim) private pure returns (uint256) {
        int256 d = int256(dim);
        if (v < -d || v >= d) revert GatherIndexOutOfRange(v, dim);
        return uint256(v < 0 ? v + d : v);
    }

    // ------------------------------------------------------------------ internals: indices

    function _numel(uint32[] memory shape) private pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < shape.length; i++) n *= shape[i];
    }

    function _checkOutputIndex(Op memory op, uint256 e) private pure {
        uint256 n = _numel(op.output.shape);
        if (e >= n) revert OutputIndexOutOfRange(e, n);
    }

    /// Numpy broadcasting: operand k's element for output element e. Per operand, walks the
    /// output dims from the last (right-aligned), skipping the dims where the operand has 1.
    function _broadcastReads(Op memory op, uint256 e) private pure returns (Read[] memory reads) {
        uint256 n = op.inputs.length;
        uint32[] memory out = op.output.shape;
        uint256 r = out.length;
        reads = new Read[](n);
        unchecked {
            for (uint256 k = 0; k < n; k++) {
                uint32[] memory s = op.inputs[k].shape;
                uint256 sr = s.length; // check() made it <= r
                uint256 rest = e;
                uint256 stride = 1;
                uint256 index;
                for (uint256 i = 1; i <= sr; i++) {
                    uint256 dim = out[r - i];
                    uint256 sd = s[sr - i];
                    if (sd != 1) index += (rest % dim) * stride;
                    rest /= dim;
                    stride *= sd;
                }
                reads[k] = Read(k, index);
            }
        }
    }

    /// Transpose: output coordinate k is input coordinate perm[k].
    function _transposeSource(Op memory op, uint256 e) private pure returns (uint256 src) {
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        bytes memory perm = op.attrs;
        uint256 r = x.length;
        uint256[] memory inStride = new uint256[](r);
        unchecked {
            uint256 acc = 1;
            for (uint256 d = r; d > 0; d--) {
                inStride[d - 1] = acc;
                acc *= x[d - 1];
            }
            uint256 rest = e;
            for (uint256 d = r; d > 0; d--) {
                uint256 dim = out[d - 1];
                src += (rest % dim) * inStride[uint8(perm[d - 1])];
                rest /= dim;
            }
        }
    }

    /// Slice: output axis d reads input coordinate start_d + step_d * o_d on the input axis
    /// right-aligned with it (check() bounded every such coordinate inside the input).
    function _sliceSource(Op memory op, uint256 e) private pure returns (uint256 src) {
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        uint256 off = out.length - x.length;
        unchecked {
            uint256 stride = 1;
            uint256 rest = e;
            for (uint256 d = out.length; d > off; d--) {
                uint256 od = rest % out[d - 1];
                rest /= out[d - 1];
                int256 coord = _i64(op.attrs, 16 * (d - 1)) + _i64(op.attrs, 16 * (d - 1) + 8) * int256(od);
                src += uint256(coord) * stride;
                stride *= x[d - 1 - off];
            }
        }
    }

    /// Pad: input coordinate o_d - begin_d on every axis, when all of them lie in the input.
    function _padSource(Op memory op, uint256 e) private pure returns (bool inside, uint256 src) {
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        inside = true;
        unchecked {
            uint256 stride = 1;
            uint256 rest = e;
            for (uint256 d = out.length; d > 0; d--) {
                int256 coord = int256(rest % out[d - 1]) - _i64(op.attrs, 8 * d);
                rest /= out[d - 1];
                if (coord < 0 || coord >= int256(uint256(x[d - 1]))) inside = false;
                else src += uint256(coord) * stride;
                stride *= x[d - 1];
            }
        }
        if (!inside) src = 0;
    }

    /// MaxPool step k: kernel position k-1 (row-major) of output element e's window, at input
    /// coordinate o_d * stride_d - begin_d + j_d * dilation_d on each spatial axis; no read when
    /// that lies outside the input (padding). N and C are the output's.
    function _poolRead(Op memory op, uint256 e, uint256 k) private pure returns (Read[] memory reads) {
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        bool inside = true;
        uint256 src;
        uint256 stride = 1;
        unchecked {
            uint256 w = k - 1;
            for (uint256 d = x.length - 1; d >= 2; d--) {
                uint256 kd = uint256(_i64(op.attrs, 32 * (d - 2)));
                int256 pos = _poolPos(op.attrs, 32 * (d - 2), e % out[d], w % kd);
                w /= kd;
                e /= out[d];
                if (pos < 0 || pos >= int256(uint256(x[d]))) inside = false;
                else src += uint256(pos) * stride;
                stride *= x[d];
            }
        }
        reads = new Read[](inside ? 1 : 0);
        if (inside) reads[0] = Read(0, e * stride + src); // e is now the (n, c) index
    }

    /// ConvInteger step k: input channel c of the group and kernel position t, (c, t) = k-1
    /// row-major; x [n, g * Cg + c, position] (slot 0) and w [m, c, t] (slot 1), or no read where
    /// the position is padding (the term is 0).
    function _convReads(Op memory op, uint256 e, uint256 k) private pure returns (Read[] memory reads) {
        uint32[] memory w = op.inputs[1].shape;
        uint256 taps = _numel(w) / (uint256(w[0]) * w[1]);
        (uint256 xi, uint256 nm) = _convX(op, e, k - 1, taps);
        if (xi == type(uint256).max) return new Read[](0);
        reads = new Read[](2);
        reads[0] = Read(0, xi);
        reads[1] = Read(1, ((nm % w[0]) * w[1] + (k - 1) / taps) * taps + (k - 1) % taps);
    }

    /// Step s = k-1's x index (type(uint256).max in the padding) and output element e's (n, m).
    function _convX(Op memory op, uint256 e, uint256 s, uint256 taps) private pure returns (uint256 xi, uint256 nm) {
        (bool inside, uint256 src, uint256 rest, uint256 plane) = _convSpatial(op, e, s % taps);
        nm = rest;
        xi = inside ? _convChannel(op, rest, s / taps) * plane + src : type(uint256).max;
    }

    /// The flat channel index n * C + g * Cg + c in x of input channel c of filter (n, m)'s group.
    function _convChannel(Op memory op, uint256 nm, uint256 c) private pure returns (uint256) {
        uint32[] memory w = op.inputs[1].shape;
        uint256 g = (nm % w[0]) / (w[0] / uint256(_i64(op.attrs, 16)));
        return (nm / w[0]) * op.inputs[0].shape[1] + g * w[1] + c;
    }

    /// The input position of kernel position t for output element e on every spatial axis:
    /// whether it lies in the input, its flat index in the input plane, e's (n, m) index, and
    /// the plane's size.
    function _convSpatial(Op memory op, uint256 e, uint256 t)
        private
        pure
        returns (bool inside, uint256 src, uint256 rest, uint256 plane)
    {
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory w = op.inputs[1].shape;
        uint32[] memory out = op.output.shape;
        inside = true;
        plane = 1;
        unchecked {
            for (uint256 d = x.length - 1; d >= 2; d--) {
                int256 pos = _convPos(op.attrs, 24 * (d - 1), e % out[d], t % w[d]);
                e /= out[d];
                t /= w[d];
                if (pos < 0 || pos >= int256(uint256(x[d]))) inside = false;
                else src += uint256(pos) * plane;
                plane *= x[d];
            }
        }
        rest = e;
    }

    /// ConvInteger: o * stride - begin + j * dilation for the spatial axis whose attributes start at `p`.
    function _convPos(bytes memory attrs, uint256 p, uint256 o, uint256 j) private pure returns (int256) {
        return int256(o) * _i64(attrs, p) - _i64(attrs, p + 16) + int256(j) * _i64(attrs, p + 8);
    }

    /// o * stride - begin + j * dilation for the spatial axis whose attributes start at `p`.
    function _poolPos(bytes memory attrs, uint256 p, uint256 o, uint256 j) private pure returns (int256) {
        return int256(o) * _i64(attrs, p + 8) - _i64(attrs, p + 24) + int256(j) * _i64(attrs, p + 16);
    }

    /// Tile: input coordinate o_d mod x_d on every axis.
    function _tileSource(Op memory op, uint256 e) private pure returns (uint256 src) {
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        unchecked {
            uint256 stride = 1;
            uint256 rest = e;
            for (uint256 d = out.length; d > 0; d--) {
                src += ((rest % out[d - 1]) % x[d - 1]) * stride;
                rest /= out[d - 1];
                stride *= x[d - 1];
            }
        }
    }

    /// Concat: output element e = (outer * outDim + a) * inner + innerIdx; the input k whose
    /// stretch [off_k, off_k + dim_k) of the axis holds a, at a - off_k.
    function _concatSource(Op memory op, uint256 e) private pure returns (Read memory) {
        uint32[] memory out = op.output.shape;
        uint256 axis = uint8(op.attrs[0]);
        unchecked {
            uint256 inner = 1;
            for (uint256 d = axis + 1; d < out.length; d++) inner *= out[d];
            uint256 innerIdx = e % inner;
            uint256 a = (e / inner) % out[axis];
            uint256 outer = e / inner / out[axis];
            for (uint256 k = 0; k < op.inputs.length; k++) {
                uint256 dim = op.inputs[k].shape[axis];
                if (a < dim) return Read(k, (outer * dim + a) * inner + innerIdx);
                a -= dim;
            }
        }
        revert OutputIndexOutOfRange(e, _numel(out)); // unreachable after check()
    }

    /// Gather output element e = ((outer * q) + mid) * inner + innerIdx, where q = numel(indices)
    /// and inner = the data dims after the axis; mid is the flat index into the indices tensor.
    function _gatherSplit(Op memory op, uint256 e)
        private
        pure
        returns (uint256 outer, uint256 inner, uint256 mid, uint256 innerIdx)
    {
        unchecked {
            uint32[] memory data = op.inputs[0].shape;
            uint256 axis = uint8(op.attrs[0]);
            inner = 1;
            for (uint256 d = axis + 1; d < data.length; d++) inner *= data[d];
            uint256 q = _numel(op.inputs[1].shape);
            innerIdx = e % inner;
            uint256 rest = e / inner;
            mid = rest % q;
            outer = rest / q;
        }
    }

    // ------------------------------------------------------------------ internals: checks

    function _checkDesc(NodeDescriptor.TensorDesc memory t) private pure {
        unchecked {
            uint256 r = t.shape.length;
            if (!NodeDescriptor.isProfileDType(t.dtype) || r > NodeDescriptor.MAX_RANK) {
                revert BadTensorDesc(t.dtype, r);
            }
            for (uint256 i = 0; i < r; i++) {
                if (t.shape[i] == 0) revert BadTensorDesc(t.dtype, r);
            }
        }
    }

    function _noAttrs(Op memory op) private pure {
        if (op.attrs.length != 0) revert BadAttributes(op.opCode);
    }

    function _sameShape(uint32[] memory a, uint32[] memory b) private pure returns (bool) {
        unchecked {
            if (a.length != b.length) return false;
            for (uint256 i = 0; i < a.length; i++) {
                if (a[i] != b[i]) return false;
            }
            return true;
        }
    }

    /// One input, same shape out; `keepType`: same dtype out (Cast alone changes it).
    function _unary(Op memory op, bool keepType) private pure {
        if (op.inputs.length != 1) revert ArityMismatch(op.opCode, op.inputs.length);
        if (keepType && op.output.dtype != op.inputs[0].dtype) revert OutputTypeMismatch(op.opCode);
        if (!_sameShape(op.output.shape, op.inputs[0].shape)) revert OutputTypeMismatch(op.opCode);
    }

    /// The output shape is the numpy broadcast of the operand shapes.
    function _checkBroadcast(Op memory op) private pure {
        uint32[] memory out = op.output.shape;
        uint256 r = out.length;
        uint256 n = op.inputs.length;
        unchecked {
            uint256 maxRank;
            for (uint256 k = 0; k < n; k++) {
                uint256 rk = op.inputs[k].shape.length;
                if (rk > maxRank) maxRank = rk;
            }
            if (maxRank != r) revert OutputTypeMismatch(op.opCode);
            // want[d]: 1 unless some operand has a dim other than 1 there; every operand with a
            // dim other than 1 must then agree on it
            uint256[] memory want = new uint256[](r);
            for (uint256 d = 0; d < r; d++) want[d] = 1;
            for (uint256 k = 0; k < n; k++) {
                uint32[] memory s = op.inputs[k].shape;
                uint256 off = r - s.length;
                for (uint256 i = 0; i < s.length; i++) {
                    uint256 sd = s[i];
                    if (sd == 1) continue;
                    uint256 w = want[off + i];
                    if (w == 1) want[off + i] = sd;
                    else if (sd != w) revert InputShapeMismatch(op.opCode, k);
                }
            }
            for (uint256 d = 0; d < r; d++) {
                if (out[d] != want[d]) revert OutputTypeMismatch(op.opCode);
            }
        }
    }

    function _checkTranspose(Op memory op) private pure {
        unchecked {
            uint8 c = op.opCode;
            if (op.inputs.length != 1) revert ArityMismatch(c, op.inputs.length);
            uint32[] memory x = op.inputs[0].shape;
            uint256 r = x.length;
            if (op.attrs.length != r) revert BadAttributes(c);
            if (op.output.dtype != op.inputs[0].dtype || op.output.shape.length != r) revert OutputTypeMismatch(c);
            uint256 seen;
            for (uint256 k = 0; k < r; k++) {
                uint256 p = uint8(op.attrs[k]);
                if (p >= r || (seen >> p) & 1 == 1) revert BadAttributes(c);
                seen |= 1 << p;
                if (op.output.shape[k] != x[p]) revert OutputTypeMismatch(c);
            }
        }
    }

    /// Slice: one input, same dtype, output rank >= input rank; per output axis (i64 start, i64
    /// step): left of the input's rank both 0, else start and start + step * (dim - 1) inside
    /// the aligned input axis (so every coordinate in between is too).
    function _checkSlice(Op memory op) private pure {
        uint8 c = op.opCode;
        if (op.inputs.length != 1) revert ArityMismatch(c, op.inputs.length);
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        if (op.output.dtype != op.inputs[0].dtype || out.length < x.length) revert OutputTypeMismatch(c);
        if (op.attrs.length != 16 * out.length) revert BadAttributes(c);
        uint256 off = out.length - x.length;
        for (uint256 d = 0; d < out.length; d++) {
            int256 start = _i64(op.attrs, 16 * d);
            int256 step = _i64(op.attrs, 16 * d + 8);
            if (d < off) {
                if (start != 0 || step != 0) revert BadAttributes(c);
                continue;
            }
            int256 dim = int256(uint256(x[d - off]));
            int256 last = start + step * (int256(uint256(out[d])) - 1);
            if (start < 0 || start >= dim || last < 0 || last >= dim) revert BadAttributes(c);
        }
    }

    /// Concat: 1..8 inputs of the output's dtype and rank, equal off the axis; the output's
    /// axis dim is the sum of theirs.
    function _checkConcat(Op memory op) private pure {
        uint8 c = op.opCode;
        uint256 n = op.inputs.length;
        if (n == 0 || n > 8) revert ArityMismatch(c, n);
        if (op.attrs.length != 1) revert BadAttributes(c);
        uint32[] memory out = op.output.shape;
        uint256 r = out.length;
        uint256 axis = uint8(op.attrs[0]);
        if (axis >= r) revert BadAttributes(c);
        uint256 sum;
        for (uint256 k = 0; k < n; k++) {
            if (op.inputs[k].dtype != op.output.dtype) revert InputDTypeMismatch(c, k, op.inputs[k].dtype);
            uint32[] memory s = op.inputs[k].shape;
            if (s.length != r) revert InputShapeMismatch(c, k);
            for (uint256 d = 0; d < r; d++) {
                if (d != axis && s[d] != out[d]) revert InputShapeMismatch(c, k);
            }
            sum += s[axis];
        }
        if (sum != out[axis]) revert OutputTypeMismatch(c);
    }

    /// Tile: one input, same dtype and rank, every output dim a multiple (>= 1) of the input's.
    function _checkTile(Op memory op) private pure {
        uint8 c = op.opCode;
        if (op.inputs.length != 1) revert ArityMismatch(c, op.inputs.length);
        _noAttrs(op);
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        if (op.output.dtype != op.inputs[0].dtype || out.length != x.length) revert OutputTypeMismatch(c);
        for (uint256 d = 0; d < x.length; d++) {
            if (out[d] % x[d] != 0) revert OutputTypeMismatch(c);
        }
    }

    /// Pad: one input, same dtype and rank; attrs `i64 value || i64 begin` per axis, the value in
    /// the dtype, each begin in [-x_d, out_d] (the canonical form: a begin past either end is
    /// clamped to it, the whole axis being padding either way).
    function _checkPad(Op memory op) private pure {
        uint8 c = op.opCode;
        if (op.inputs.length != 1) revert ArityMismatch(c, op.inputs.length);
        uint32[] memory out = op.output.shape;
        if (op.output.dtype != op.inputs[0].dtype || out.length != op.inputs[0].shape.length) {
            revert OutputTypeMismatch(c);
        }
        if (op.attrs.length != 8 + 8 * out.length) revert BadAttributes(c);
        if (!_inRange(_i64(op.attrs, 0), op.output.dtype)) revert BadAttributes(c);
        for (uint256 d = 0; d < out.length; d++) {
            int256 b = _i64(op.attrs, 8 + 8 * d);
            if (b < -int256(uint256(op.inputs[0].shape[d])) || b > int256(uint256(out[d]))) revert BadAttributes(c);
        }
    }

    function _checkGather(Op memory op) private pure {
        unchecked {
            uint8 c = op.opCode;
            if (op.inputs.length != 2) revert ArityMismatch(c, op.inputs.length);
            uint8 it = op.inputs[1].dtype;
            if (it != NodeDescriptor.DTYPE_INT32 && it != NodeDescriptor.DTYPE_INT64) {
                revert InputDTypeMismatch(c, 1, it);
            }
            uint32[] memory data = op.inputs[0].shape;
            uint32[] memory idx = op.inputs[1].shape;
            if (data.length == 0) revert InputShapeMismatch(c, 0);
            if (op.attrs.length != 1) revert BadAttributes(c);
            uint256 axis = uint8(op.attrs[0]);
            if (axis >= data.length) revert BadAttributes(c);
            // output shape = data[:axis] ++ idx ++ data[axis+1:]
            uint32[] memory out = op.output.shape;
            if (op.output.dtype != op.inputs[0].dtype || out.length != data.length - 1 + idx.length) {
                revert OutputTypeMismatch(c);
            }
            for (uint256 d = 0; d < out.length; d++) {
                uint256 want;
                if (d < axis) want = data[d];
                else if (d < axis + idx.length) want = idx[d - axis];
                else want = data[d - idx.length + 1];
                if (out[d] != want) revert OutputTypeMismatch(c);
            }
        }
    }

    function _checkMatMul(Op memory op) private pure {
        unchecked {
            uint8 c = op.opCode;
            if (op.inputs.length != 2) revert ArityMismatch(c, op.inputs.length);
            for (uint256 k = 0; k < 2; k++) {
                uint8 dt = op.inputs[k].dtype;
                if (dt != NodeDescriptor.DTYPE_INT8 && dt != NodeDescriptor.DTYPE_UINT8) {
                    revert InputDTypeMismatch(c, k, dt);
                }
            }
            uint32[] memory a = op.inputs[0].shape;
            uint32[] memory b = op.inputs[1].shape;
            uint256 ra = a.length;
            uint256 rb = b.length;
            if (ra < 2) revert InputShapeMismatch(c, 0);
            if (rb != 2 && rb != ra) revert InputShapeMismatch(c, 1);
            if (rb == ra) {
                for (uint256 d = 0; d + 2 < ra; d++) {
                    if (a[d] != b[d]) revert InputShapeMismatch(c, 1);
                }
            }
            if (a[ra - 1] != b[rb - 2]) revert InputShapeMismatch(c, 1);
            if (op.attrs.length != 16) revert BadAttributes(c);
            if (!_inRange(_i64(op.attrs, 0), op.inputs[0].dtype) || !_inRange(_i64(op.attrs, 8), op.inputs[1].dtype)) {
                revert BadAttributes(c);
            }
            // output int32 [..a[:-1], b[-1]]
            uint32[] memory out = op.output.shape;
            if (op.output.dtype != NodeDescriptor.DTYPE_INT32 || out.length != ra) revert OutputTypeMismatch(c);
            for (uint256 d = 0; d + 1 < ra; d++) {
                if (out[d] != a[d]) revert OutputTypeMismatch(c);
            }
            if (out[ra - 1] != b[rb - 1]) revert OutputTypeMismatch(c);
        }
    }

    /// MaxPool: one int8/uint8 input [N, C, 1..3 spatial], output of that dtype and rank with its
    /// N and C; per spatial axis a kernel, stride and dilation in 1..65536 and a pad begin in
    /// 0..kernel-1. Every read stays inside the input (a position outside is padding); the
    /// output dims (floor mode) carry the pad ends.
    function _checkMaxPool(Op memory op) private pure {
        uint8 c = op.opCode;
        if (op.inputs.length != 1) revert ArityMismatch(c, op.inputs.length);
        uint8 dt = op.inputs[0].dtype;
        uint32[] memory x = op.inputs[0].shape;
        uint32[] memory out = op.output.shape;
        uint256 r = x.length;
        if (
            (dt != NodeDescriptor.DTYPE_INT8 && dt != NodeDescriptor.DTYPE_UINT8) || r < 3 || r > 5
                || op.output.dtype != dt || out.length != r || out[0] != x[0] || out[1] != x[1]
        ) revert OutputTypeMismatch(c);
        bytes memory a = op.attrs;
        if (a.length != 32 * (r - 2)) revert BadAttributes(c);
        for (uint256 p = 0; p < a.length; p += 8) {
            int256 v = _i64(a, p);
            // kernel, stride, dilation in 1..65536; the pad begin (every 4th) in 0..kernel-1
            if (p % 32 == 24 ? (v < 0 || v >= _i64(a, p - 24)) : (v < 1 || v > 65536)) revert BadAttributes(c);
        }
    }

    /// ConvInteger: x [N, C, 1..3 spatial] and w [M, C / group, kernel..] of one dtype, int8 or
    /// uint8; output int32 [N, M, ..]; zero points in the dtype; group >= 1 dividing M with
    /// C = group * w's channels; per spatial axis a stride and dilation in 1..65536 and a pad
    /// begin in 0..kernel-1. Every read stays inside x and w (a position outside is padding).
    function _checkConv(Op memory op) private pure {
        uint8 c = op.opCode;
        if (op.inputs.length != 2) revert ArityMismatch(c, op.inputs.length);
        _checkConvTypes(op);
        bytes memory a = op.attrs;
        uint32[] memory w = op.inputs[1].shape;
        if (a.length != 24 * (w.length - 1)) revert BadAttributes(c);
        uint8 dt = op.inputs[0].dtype;
        if (!_inRange(_i64(a, 0), dt) || !_inRange(_i64(a, 8), dt)) revert BadAttributes(c);
        int256 group = _i64(a, 16);
        if (group < 1 || group > 65536 || uint256(group) * w[1] != op.inputs[0].shape[1] || w[0] % uint256(group) != 0) {
            revert BadAttributes(c);
        }
        for (uint256 p = 24; p < a.length; p += 8) {
            int256 v = _i64(a, p);
            // stride, dilation in 1..65536; the pad begin (every 3rd) in 0..kernel-1
            if (p % 24 == 16 ? (v < 0 || v >= int256(uint256(w[p / 24 + 1]))) : (v < 1 || v > 65536)) {
                revert BadAttributes(c);
            }
        }
    }

    function _checkConvTypes(Op memory op) private pure {
        NodeDescriptor.TensorDesc memory x = op.inputs[0];
        NodeDescriptor.TensorDesc memory w = op.inputs[1];
        uint32[] memory out = op.output.shape;
        uint256 r = x.shape.length;
        if (
            (x.dtype != NodeDescriptor.DTYPE_INT8 && x.dtype != NodeDescriptor.DTYPE_UINT8) || w.dtype != x.dtype || r < 3
                || r > 5 || w.shape.length != r || op.output.dtype != NodeDescriptor.DTYPE_INT32 || out.length != r
                || out[0] != x.shape[0] || out[1] != w.shape[0]
        ) revert OutputTypeMismatch(op.opCode);
    }

    function _checkReduce(Op memory op) private pure {
        unchecked {
            uint8 c = op.opCode;
            if (op.inputs.length != 1) revert ArityMismatch(c, op.inputs.length);
            uint32[] memory x = op.inputs[0].shape;
            uint256 r = x.length;
            if (r == 0) revert InputShapeMismatch(c, 0);
            if (op.attrs.length != 2) revert BadAttributes(c);
            uint256 axis = uint8(op.attrs[0]);
            uint8 keep = uint8(op.attrs[1]);
            if (axis >= r || keep > 1) revert BadAttributes(c);
            uint8 outType = c == NodeDescriptor.OP_ARGMAX ? NodeDescriptor.DTYPE_INT64 : op.inputs[0].dtype;
            uint32[] memory out = op.output.shape;
            if (op.output.dtype != outType || out.length != (keep == 1 ? r : r - 1)) revert OutputTypeMismatch(c);
            for (uint256 d = 0; d < out.length; d++) {
                uint256 want = keep == 1 ? (d == axis ? 1 : x[d]) : x[d < axis ? d : d + 1];
                if (out[d] != want) revert OutputTypeMismatch(c);
            }
        }
    }
}
