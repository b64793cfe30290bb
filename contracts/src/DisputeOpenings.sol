// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Commitments} from "./lib/Commitments.sol";
import {NodeDescriptor} from "./lib/NodeDescriptor.sol";
import {OpSemantics} from "./lib/OpSemantics.sol";

/// @title DisputeOpenings
/// @notice The stateless checks of four DisputeGame moves: the claimer's level-0 answer (output k
/// of outputRoot bound to a trace leaf), its reveal of every output root, its level-2 leaf opening (a node's descriptor and
/// output data root against the disputed trace leaf), and the challenger's challengeInput (an input
/// element outside its declared range). They live apart from the game because
/// DisputeGame is close to EIP-170 (24,576 bytes of runtime code): the descriptor decoder alone
/// is ~2 KB. DisputeGame deploys one in its constructor, so deployments are unchanged.
/// @dev Every function is view and holds no state: a check that fails reverts with the same named
/// error the game used to raise itself (DisputeGame declares them too, so they stay in its ABI).
contract DisputeOpenings {
    /// The claimer's level-0 answer: output k's tensor root with its proof against the claim's
    /// outputRoot, the model's output ref k (node, slot) with its proof against outputRefsRoot, and
    /// trace leaf `node` (its output tensor roots) with its proof against the claim's traceRoot.
    struct OutputAnswer {
        bytes32 outputTensorRoot;
        bytes32[] outputProof;
        uint32 node;
        uint8 slot;
        bytes32[] refProof;
        bytes32[] leafOutputs;
        bytes32[] traceProof;
    }

    /// What the game keeps of an opened trace leaf: the node's descriptor hash and op, its output's
    /// dtype and byte length, and the number of 1 KiB chunks of its data tree.
    struct LeafOpening {
        bytes32 descriptorHash;
        uint8 opCode;
        uint8 outDtype;
        uint64 outBytes;
        uint64 chunkCount;
    }

    /// challengeInput's opening (docs/dispute-game.md "Inputs outside a declared range"): element
    /// `element` of graph input `input`, whose tensor root (dtype, shape, dataRoot) opens against
    /// the claim's inputRoot and whose chunk opens against dataRoot, and the input's range leaf
    /// (dtype, min, max) opened against the model's inputRangesRoot.
    struct InputOpening {
        uint32 input;
        uint64 element;
        uint8 dtype;
        uint32[] shape;
        bytes32 dataRoot;
        bytes32[] tensorProof;
        bytes chunk;
        bytes32[] chunkProof;
        int64 min;
        int64 max;
        bytes32[] rangeProof;
    }

    error BadInputOpening();
    error InputIndexOutOfRange(uint256 input, uint256 inputCount);
    error InputNotInRoot();
    error RangeLeafNotInModel();
    error InputHasNoRange(uint256 input);
    error ElementNotInInput(uint256 element, uint256 numel);
    error InputChunkNotInData();
    error InputElementInRange(int256 value, int64 min, int64 max);

    error OutputNotInRoot();
    error OutputRefNotInModel();
    error SlotOutOfRange(uint256 slot, uint256 outputCount);
    error TraceLeafNotInTrace();
    error DescriptorNotInGraph();
    error LeafMismatch();
    error NotAFold();

    /// Checks every opening of a level-0 answer (else a named revert) and returns the tensor root
    /// trace leaf `a.node` holds at `a.slot`: the game compares it with `a.outputTensorRoot`.
    function bindOutput(
        bytes32 outputRoot,
        bytes32 outputRefsRoot,
        bytes32 traceRoot,
        uint64 k,
        uint256 outputCount,
        uint256 nodeCount,
        OutputAnswer calldata a
    ) external view returns (bytes32 held) {
        if (!Commitments.requireProof(outputRoot, a.outputTensorRoot, k, outputCount, a.outputProof)) {
            revert OutputNotInRoot();
        }
        bytes32 ref = Commitments.outputRefLeaf(a.node, a.slot);
        if (!Commitments.requireProof(outputRefsRoot, ref, k, outputCount, a.refProof)) {
            revert OutputRefNotInModel();
        }
        if (a.slot >= a.leafOutputs.length) revert SlotOutOfRange(a.slot, a.leafOutputs.length);
        bytes32 leaf = Commitments.traceLeaf(a.node, a.leafOutputs);
        if (!Commitments.requireProof(traceRoot, leaf, a.node, nodeCount, a.traceProof)) {
            revert TraceLeafNotInTrace();
        }
        held = a.leafOutputs[a.slot];
    }

    /// challengeInput's check, on `encoded` = abi.encode(InputOpening): the game forwards the bytes
    /// as it got them, since decoding the struct there would cost it ~400 bytes of code (EIP-170).
    function inputOutsideRange(bytes32 inputRoot, bytes32 inputRangesRoot, uint256 inputCount, bytes calldata encoded)
        external
        view
        returns (int256)
    {
        // abi.encode of one dynamic struct: the offset 0x20, then the struct
        if (encoded.length < 0x20 || uint256(bytes32(encoded[:0x20])) != 0x20) revert BadInputOpening();
        InputOpening calldata o;
        assembly ("memory-safe") {
            o := add(encoded.offset, 0x20)
        }
        return _outsideRange(inputRoot, inputRangesRoot, inputCount, o);
    }

    /// The same check on a decoded opening (off-chain callers; its ABI is InputOpening's one definition).
    function checkInputOpening(bytes32 inputRoot, bytes32 inputRangesRoot, uint256 inputCount, InputOpening calldata o)
        external
        view
        returns (int256)
    {
        return _outsideRange(inputRoot, inputRangesRoot, inputCount, o);
    }

    /// Checks every opening of `o` (else a named revert) and returns the element, which lies
    /// outside the input's range (else InputElementInRange). An input whose range is its dtype's
    /// whole range declares none: no element can leave it (InputHasNoRange). The element must lie
    /// inside the tensor: the zero padding of its last chunk is no input element.
    function _outsideRange(bytes32 inputRoot, bytes32 inputRangesRoot, uint256 inputCount, InputOpening calldata o)
        internal
        view
        returns (int256 value)
    {
        if (o.input >= inputCount) revert InputIndexOutOfRange(o.input, inputCount);
        bytes32 tRoot = Commitments.tensorRoot(o.dtype, o.shape, o.dataRoot);
        if (!Commitments.requireProof(inputRoot, tRoot, o.input, inputCount, o.tensorProof)) revert InputNotInRoot();
        // The leaf binds the dtype too: a tensor of another dtype than the model's opens no leaf.
        bytes32 leaf = Commitments.rangeLeaf(o.dtype, o.min, o.max);
        if (!Commitments.requireProof(inputRangesRoot, leaf, o.input, inputCount, o.rangeProof)) {
            revert RangeLeafNotInModel();
        }
        if (o.min == OpSemantics.dtypeMin(o.dtype) && o.max == OpSemantics.dtypeMax(o.dtype)) {
            revert InputHasNoRange(o.input);
        }
        uint256 n = Commitments.numel(o.shape);
        if (o.element >= n) revert ElementNotInInput(o.element, n);
        (uint256 chunkIndex, uint256 offset) = Commitments.chunkOfElement(o.dtype, o.element);
        uint256 count = Commitments.chunkCount(o.dtype, o.shape);
        if (!Commitments.verifyChunkInData(o.dataRoot, count, chunkIndex, o.chunk, o.chunkProof)) {
            revert InputChunkNotInData();
        }
        value = Commitments.readElement(o.dtype, o.chunk, offset);
        if (value >= o.min && value <= o.max) revert InputElementInRange(value, o.min, o.max);
    }

    /// Opens trace leaf `nodeIndex` (hash `leaf`): node i's descriptor, proven against the model's
    /// graphRoot, whose output dtype and shape with `dataRoot` must give the leaf.
    function openLeaf(
        bytes32 graphRoot,
        uint256 nodeCount,
        uint32 nodeIndex,
        bytes32 leaf,
        bytes calldata descriptor,
        bytes32[] calldata descriptorProof,
        bytes32 dataRoot
    ) external view returns (LeafOpening memory o) {
        bytes32 descHash = sha256(descriptor);
        if (!Commitments.requireProof(graphRoot, descHash, nodeIndex, nodeCount, descriptorProof)) {
            revert DescriptorNotInGraph();
        }
        NodeDescriptor.Node memory node = NodeDescriptor.decode(descriptor);
        NodeDescriptor.TensorDesc memory out = node.outputs[0];
        bytes32 tRoot = _tensorRoot(out.dtype, out.shape, dataRoot);
        if (sha256(abi.encodePacked(bytes1(0x4c), nodeIndex, uint8(1), tRoot)) != leaf) revert LeafMismatch();
        uint256 bytesLen = _numel(out.shape) * Commitments.dtypeSize(out.dtype);
        o.descriptorHash = descHash;
        o.opCode = node.opCode;
        o.outDtype = out.dtype;
        o.outBytes = uint64(bytesLen);
        o.chunkCount = uint64((bytesLen + Commitments.CHUNK - 1) / Commitments.CHUNK);
    }

    /// The root of the binary tree over `leaves`, zero leaves padding it to a power of two
    /// (docs/commitments.md): the claim's outputRoot over the output tensor roots, and the node
    /// 2^levels revealed children hash to in a descent.
    function treeRoot(bytes32[] calldata leaves) external view returns (bytes32) {
        uint256 count = 1 << Commitments.treeDepth(leaves.length);
        bytes32[] memory layer = new bytes32[](count);
        for (uint256 k = 0; k < leaves.length; k++) {
            layer[k] = leaves[k];
        }
        while (count > 1) {
            count >>= 1;
            for (uint256 k = 0; k < count; k++) {
                layer[k] = Commitments.hashPair(layer[2 * k], layer[2 * k + 1]);
            }
        }
        return layer[0];
    }

    /// A fold state the claimer may post before the op's input types are known: in range for
    /// MatMulInteger (int32) and ReduceMax (the output dtype); for ArgMax a pack with an index < K.
    function plausibleFoldState(uint8 opCode, uint8 outDtype, uint64 foldLength, int256 s) external pure returns (bool) {
        // int32 accumulators for MatMulInteger and ConvInteger, the output dtype for the max folds
        if (opCode == NodeDescriptor.OP_MATMULINTEGER || opCode == NodeDescriptor.OP_CONVINTEGER) {
            return s >= type(int32).min && s <= type(int32).max;
        }
        if (opCode == NodeDescriptor.OP_REDUCEMAX || opCode == NodeDescriptor.OP_MAXPOOL) {
            return s >= OpSemantics.dtypeMin(outDtype) && s <= OpSemantics.dtypeMax(outDtype);
        }
        if (opCode == NodeDescriptor.OP_ARGMAX) return s >= 0 && (uint256(s) >> 64) < foldLength;
        revert NotAFold();
    }

    /// True when `chunk` is a whole 1 KiB chunk hashing to `node` whose bytes past `used` (the
    /// tensor's bytes from this chunk on) are zero.
    function chunkMatches(bytes calldata chunk, bytes32 node, uint256 used) external view returns (bool) {
        if (chunk.length != Commitments.CHUNK || Commitments.sha256Calldata(chunk) != node) return false;
        return used >= Commitments.CHUNK || Commitments.isZeroTail(chunk, used);
    }

    /// Element at byte `offset` of `chunk`, read as `dtype` (Commitments.readElement).
    function readElement(uint8 dtype, bytes calldata chunk, uint256 offset) external pure returns (int256) {
        return Commitments.readElement(dtype, chunk, offset);
    }

    /// sha256(0x54 || u8 dtype || u8 rank || u32 dim... || dataRoot) over a shape in memory.
    function _tensorRoot(uint8 dtype, uint32[] memory shape, bytes32 dataRoot) internal pure returns (bytes32) {
        bytes memory dims = new bytes(4 * shape.length);
        for (uint256 k = 0; k < shape.length; k++) {
            uint32 v = shape[k];
            dims[4 * k] = bytes1(uint8(v >> 24));
            dims[4 * k + 1] = bytes1(uint8(v >> 16));
            dims[4 * k + 2] = bytes1(uint8(v >> 8));
            dims[4 * k + 3] = bytes1(uint8(v));
        }
        return sha256(abi.encodePacked(bytes1(0x54), dtype, uint8(shape.length), dims, dataRoot));
    }

    function _numel(uint32[] memory shape) internal pure returns (uint256 n) {
        n = 1;
        for (uint256 k = 0; k < shape.length; k++) n *= shape[k];
    }
}
