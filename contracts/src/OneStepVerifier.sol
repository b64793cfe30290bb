// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Commitments} from "./lib/Commitments.sol";
import {NodeDescriptor} from "./lib/NodeDescriptor.sol";
import {OpChecker} from "./OpChecker.sol";
import {OpSemantics} from "./lib/OpSemantics.sol";

/// @title OneStepVerifier
/// @notice Level 3 of the dispute game (docs/dispute-game.md): binds the disputed node's data
/// inputs to their sources, reads the operand elements from Merkle-opened chunks and evaluates
/// one output element (map ops) or one fold step with OpSemantics. Stateless (view); the
/// DisputeGame calls it and decides the game from the result. A separate contract because the op
/// semantics alone would push the game past the 24 KB code size limit.
contract OneStepVerifier {
    /// One data input of the disputed node: its type and data root, whose tensor root is opened
    /// against its source (inputRoot, the model's weightsRoot, or leaf j < i of traceRoot).
    struct InputBinding {
        uint8 dtype;
        uint32[] shape;
        bytes32 dataRoot;
        bytes32[] proof;
    }

    /// One element read: the chunk holding it and the chunk's proof against its input's data root.
    struct ElementOpening {
        uint256 chunkIndex;
        bytes chunk;
        bytes32[] proof;
    }

    /// What the game knows about the disputed step: the roots inputs are opened against and the
    /// disputed node and output element.
    struct Context {
        bytes32 inputRoot;
        bytes32 weightsRoot;
        bytes32 traceRoot;
        uint32 inputCount;
        uint32 weightCount;
        uint32 nodeCount;
        uint32 nodeIndex;
        uint64 element;
    }

    /// The claimer's side of the last fold step k: s_{k-1} (or the op's s_0 when k = 1), s_k, and
    /// the fold length K it claimed at the start of the bisection.
    struct FoldClaim {
        uint64 foldLength;
        uint64 k;
        bool fromInitial;
        int256 sPrev;
        int256 sNext;
    }

    /// OpSemantics.check in a contract of its own (size), created with the verifier.
    OpChecker public immutable checker;

    constructor() {
        checker = new OpChecker();
    }

    error InputCountMismatch(uint256 expected, uint256 actual);
    error OpeningCountMismatch(uint256 expected, uint256 actual);
    error InputNotBound(uint256 slot);
    error InputNotEarlier(uint256 slot, uint32 node);
    error OpeningMismatch(uint256 read);
    error NotAMapOp(uint8 opCode);
    error NotAFold(uint8 opCode);

    /// Output element `c.element` of a map op, computed from the opened operands.
    function mapStep(
        Context calldata c,
        bytes calldata descriptor,
        InputBinding[] calldata inputs,
        ElementOpening[] calldata openings
    ) external view returns (int256) {
        OpSemantics.Op memory op = _bindOp(c, descriptor, inputs);
        if (OpSemantics.isFold(op.opCode)) revert NotAMapOp(op.opCode);
        return _evalMap(op, c.element, inputs, openings);
    }

    function _evalMap(
        OpSemantics.Op memory op,
        uint256 e,
        InputBinding[] calldata inputs,
        ElementOpening[] calldata openings
    ) internal view returns (int256) {
        checker.check(op);
        OpSemantics.Read[] memory reads = OpSemantics.mapReads(op, e);
        bool gather = op.opCode == NodeDescriptor.OP_GATHER;
        uint256 expected = gather ? 2 : reads.length;
        if (openings.length != expected) revert OpeningCountMismatch(expected, openings.length);
        int256[] memory values = new int256[](expected);
        for (uint256 i = 0; i < reads.length; i++) values[i] = _read(inputs, reads[i], openings[i], i);
        if (gather) values[1] = _read(inputs, OpSemantics.gatherDataRead(op, e, values[0]), openings[1], 1);
        return OpSemantics.evalMap(op, values);
    }

    /// Fold step f.k of output element `c.element`: whether the claimer's s_k follows from its
    /// s_{k-1} and the opened operands, the s_k computed, and why. Everything the claimer posted
    /// that no chain of this op can hold (a wrong K, an impossible state) loses it the game.
    function foldStep(
        Context calldata c,
        bytes calldata descriptor,
        InputBinding[] calldata inputs,
        ElementOpening[] calldata openings,
        FoldClaim calldata f
    ) external view returns (bool claimerWins, int256 next, string memory reason) {
        OpSemantics.Op memory op = _bindOp(c, descriptor, inputs);
        if (!OpSemantics.isFold(op.opCode)) revert NotAFold(op.opCode);
        return _evalFold(op, c.element, inputs, openings, f);
    }

    /// The fold length K of the disputed node's op over its bound inputs (their shapes are the
    /// registered model's: each input's tensor root is opened against its source).
    function foldLengthOf(Context calldata c, bytes calldata descriptor, InputBinding[] calldata inputs)
        external
        view
        returns (uint64)
    {
        OpSemantics.Op memory op = _bindOp(c, descriptor, inputs);
        if (!OpSemantics.isFold(op.opCode)) revert NotAFold(op.opCode);
        checker.check(op);
        return uint64(OpSemantics.foldLength(op));
    }

    function _evalFold(
        OpSemantics.Op memory op,
        uint256 e,
        InputBinding[] calldata inputs,
        ElementOpening[] calldata openings,
        FoldClaim calldata f
    ) internal view returns (bool claimerWins, int256 next, string memory reason) {
        checker.check(op);
        if (OpSemantics.foldLength(op) != f.foldLength) return (false, 0, "one step: wrong fold length");
        int256 sPrev = f.fromInitial ? OpSemantics.foldInitial(op) : f.sPrev;
        if (!OpSemantics.isFoldState(op, sPrev) || !OpSemantics.isFoldState(op, f.sNext)) {
            return (false, 0, "one step: invalid fold state");
        }
        OpSemantics.Read[] memory reads = OpSemantics.foldReads(op, e, f.k);
        if (openings.length != reads.length) revert OpeningCountMismatch(reads.length, openings.length);
        // A step in the padding (MaxPool, ConvInteger) reads nothing: its operand leaves the state as it is.
        int256 a = reads.length > 0 ? _read(inputs, reads[0], openings[0], 0) : OpSemantics.paddingOperand(op);
        int256 b = reads.length > 1 ? _read(inputs, reads[1], openings[1], 1) : int256(0);
        next = OpSemantics.foldStep(op, f.k, sPrev, a, b);
        claimerWins = next == f.sNext;
        reason = claimerWins ? "one step: claimer's state" : "one step: wrong state";
    }

    /// The op of the disputed node over its inputs, each input's tensor root opened against its
    /// source: graph input (inputRoot), initializer (weightsRoot), or an output of node j < i
    /// (trace leaf j of traceRoot, whose leaves before i the descent left equal to the truth).
    function _bindOp(Context calldata c, bytes calldata descriptor, InputBinding[] calldata inputs)
        internal
        view
        returns (OpSemantics.Op memory)
    {
        NodeDescriptor.Node memory node = NodeDescriptor.decode(descriptor);
        if (inputs.length != node.inputs.length) revert InputCountMismatch(node.inputs.length, inputs.length);
        NodeDescriptor.TensorDesc[] memory types = new NodeDescriptor.TensorDesc[](inputs.length);
        for (uint256 s = 0; s < inputs.length; s++) {
            if (!_bound(c, node.inputs[s], inputs[s], s)) revert InputNotBound(s);
            types[s] = NodeDescriptor.TensorDesc({dtype: inputs[s].dtype, shape: inputs[s].shape});
        }
        return OpSemantics.fromNode(node, types);
    }

    /// True iff input `s`'s tensor root opens against the source its reference names.
    function _bound(Context calldata c, NodeDescriptor.InputRef memory ref, InputBinding calldata b, uint256 s)
        internal
        view
        returns (bool)
    {
        bytes32 tRoot = Commitments.tensorRoot(b.dtype, b.shape, b.dataRoot);
        if (ref.kind == 0) return Commitments.verifyProof(c.inputRoot, tRoot, ref.index, c.inputCount, b.proof);
        if (ref.kind == 1) return Commitments.verifyProof(c.weightsRoot, tRoot, ref.index, c.weightCount, b.proof);
        if (ref.index >= c.nodeIndex || ref.slot != 0) revert InputNotEarlier(s, ref.index);
        bytes32 leaf = sha256(abi.encodePacked(bytes1(0x4c), ref.index, uint8(1), tRoot));
        return Commitments.verifyProof(c.traceRoot, leaf, ref.index, c.nodeCount, b.proof);
    }

    /// The value of element `r.index` of input `r.slot`, from `o` checked against that input's data root.
    function _read(InputBinding[] calldata inputs, OpSemantics.Read memory r, ElementOpening calldata o, uint256 i)
        internal
        view
        returns (int256)
    {
        InputBinding calldata b = inputs[r.slot];
        (uint256 chunkIndex, uint256 offset) = Commitments.chunkOfElement(b.dtype, r.index);
        if (o.chunkIndex != chunkIndex) revert OpeningMismatch(i);
        uint256 count = Commitments.chunkCount(b.dtype, b.shape);
        if (!Commitments.verifyChunkInData(b.dataRoot, count, chunkIndex, o.chunk, o.proof)) revert OpeningMismatch(i);
        return Commitments.readElement(b.dtype, o.chunk, offset);
    }
}
