// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeDescriptor} from "../lib/NodeDescriptor.sol";
import {OpSemantics} from "../lib/OpSemantics.sol";
import {OpChecker} from "../OpChecker.sol";

/// @notice Test-only: exposes NodeDescriptor and OpSemantics so test/vectors/ops.json and
/// model.json run through them, and measures the gas of the one-step computation itself.
contract OpSemanticsHarness {
    /// The check runs in its own contract, as in the OneStepVerifier (code size).
    OpChecker public immutable checker;

    constructor() {
        checker = new OpChecker();
    }

    function decode(bytes calldata descriptor)
        external
        view
        returns (
            uint8 opCode,
            NodeDescriptor.InputRef[] memory inputs,
            NodeDescriptor.TensorDesc[] memory outputs,
            bytes memory attrs,
            bytes32 leaf
        )
    {
        NodeDescriptor.Node memory n = NodeDescriptor.decode(descriptor);
        return (n.opCode, n.inputs, n.outputs, n.attrs, NodeDescriptor.leafHash(descriptor));
    }

    function check(OpSemantics.Op calldata op) external view {
        checker.check(op);
    }

    /// A map op's output element from the read values (in read order; Gather: index, then data),
    /// with the reads the library computes: the caller compares them with what it opened.
    function evalElement(OpSemantics.Op calldata op, uint256 e, int256[] calldata values)
        external
        view
        returns (OpSemantics.Read[] memory reads, int256 output)
    {
        return _evalElement(op, e, values);
    }

    /// evalMap alone: the output from read values, without computing the reads.
    function evalValues(OpSemantics.Op calldata op, int256[] calldata values) external view returns (int256) {
        return OpSemantics.evalMap(op, values);
    }

    /// The decoded descriptor's op over the given input types: one element, as the game runs it.
    function evalNodeElement(
        bytes calldata descriptor,
        NodeDescriptor.TensorDesc[] calldata inputs,
        uint256 e,
        int256[] calldata values
    ) external view returns (OpSemantics.Read[] memory reads, int256 output) {
        OpSemantics.Op memory op = OpSemantics.fromNode(NodeDescriptor.decode(descriptor), inputs);
        return _evalElement(op, e, values);
    }

    /// evalElement for many elements of one op in one call (the vector and differential tests).
    function evalElements(OpSemantics.Op calldata op, uint256[] calldata es, int256[][] calldata values)
        external
        view
        returns (OpSemantics.Read[][] memory reads, int256[] memory outputs)
    {
        if (values.length != es.length) revert OpSemantics.ValueCountMismatch(es.length, values.length);
        OpSemantics.Op memory m = op;
        reads = new OpSemantics.Read[][](es.length);
        outputs = new int256[](es.length);
        for (uint256 i = 0; i < es.length; i++) {
            (reads[i], outputs[i]) = _evalElement(m, es[i], values[i]);
        }
    }

    /// Step k of output element e's chain from s_{k-1} and the operand values.
    struct StepCall {
        uint256 e;
        uint256 k;
        int256 sPrev;
        int256 a;
        int256 b;
    }

    /// foldStepAt for many steps of one op in one call.
    function foldStepsAt(OpSemantics.Op calldata op, StepCall[] calldata steps)
        external
        view
        returns (OpSemantics.Read[][] memory reads, int256[] memory next)
    {
        OpSemantics.Op memory m = op;
        reads = new OpSemantics.Read[][](steps.length);
        next = new int256[](steps.length);
        for (uint256 i = 0; i < steps.length; i++) {
            StepCall calldata s = steps[i];
            (reads[i], next[i]) = _foldStepAt(m, s.e, s.k, s.sPrev, s.a, s.b);
        }
    }

    function foldInfo(OpSemantics.Op calldata op) external view returns (uint256 length, int256 initial) {
        checker.check(op);
        return (OpSemantics.foldLength(op), OpSemantics.foldInitial(op));
    }

    /// Step k of output element e's chain: the reads and s_k from s_{k-1} and their values.
    function foldStepAt(OpSemantics.Op calldata op, uint256 e, uint256 k, int256 sPrev, int256 a, int256 b)
        external
        view
        returns (OpSemantics.Read[] memory reads, int256 next)
    {
        return _foldStepAt(op, e, k, sPrev, a, b);
    }

    function foldStep(OpSemantics.Op calldata op, uint256 k, int256 sPrev, int256 a, int256 b)
        external
        view
        returns (int256)
    {
        checker.check(op);
        return OpSemantics.foldStep(op, k, sPrev, a, b);
    }

    function isFoldState(OpSemantics.Op calldata op, int256 s) external view returns (bool) {
        checker.check(op);
        return OpSemantics.isFoldState(op, s);
    }

    function foldResult(OpSemantics.Op calldata op, int256 s) external view returns (int256) {
        checker.check(op);
        return OpSemantics.foldResult(op, s);
    }

    // ---------------------------------------------------------------- gas of the computation alone

    /// Gas of check + reads + evaluation of one map element (the op already in memory).
    function gasOfElement(OpSemantics.Op calldata op, uint256 e, int256[] calldata values)
        external
        view
        returns (uint256 used)
    {
        OpSemantics.Op memory m = op;
        int256[] memory v = values;
        uint256 g = gasleft();
        _evalElement(m, e, v);
        used = g - gasleft();
    }

    /// Gas of check + reads + one fold step (the op already in memory).
    function gasOfFoldStep(OpSemantics.Op calldata op, uint256 e, uint256 k, int256 sPrev, int256 a, int256 b)
        external
        view
        returns (uint256 used)
    {
        OpSemantics.Op memory m = op;
        uint256 g = gasleft();
        _foldStepAt(m, e, k, sPrev, a, b);
        used = g - gasleft();
    }

    /// Gas of decoding a descriptor already in memory.
    function gasOfDecode(bytes calldata descriptor) external view returns (uint256 used) {
        bytes memory d = descriptor;
        uint256 g = gasleft();
        NodeDescriptor.decode(d);
        used = g - gasleft();
    }

    function _evalElement(OpSemantics.Op memory op, uint256 e, int256[] memory values)
        private
        view
        returns (OpSemantics.Read[] memory reads, int256 output)
    {
        checker.check(op);
        reads = OpSemantics.mapReads(op, e);
        if (op.opCode == NodeDescriptor.OP_GATHER) {
            if (values.length != 2) revert OpSemantics.ValueCountMismatch(2, values.length);
            OpSemantics.Read[] memory r = new OpSemantics.Read[](2);
            r[0] = reads[0];
            r[1] = OpSemantics.gatherDataRead(op, e, values[0]);
            reads = r;
        }
        output = OpSemantics.evalMap(op, values);
    }

    function _foldStepAt(OpSemantics.Op memory op, uint256 e, uint256 k, int256 sPrev, int256 a, int256 b)
        private
        view
        returns (OpSemantics.Read[] memory reads, int256 next)
    {
        checker.check(op);
        reads = OpSemantics.foldReads(op, e, k);
        next = OpSemantics.foldStep(op, k, sPrev, a, b);
    }
}
