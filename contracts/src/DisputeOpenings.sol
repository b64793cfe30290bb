// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Commitments} from "./lib/Commitments.sol";
import {NodeDescriptor} from "./lib/NodeDescriptor.sol";

/// @title DisputeOpenings
/// @notice The stateless checks of two DisputeGame moves: the claimer's level-0 answer (output k
/// of outputRoot bound to a trace leaf) and its level-2 leaf opening (a node's descriptor and
/// output data root against the disputed trace leaf). They live apart from the game because
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

    error OutputNotInRoot();
    error OutputRefNotInModel();
    error SlotOutOfRange(uint256 slot, uint256 outputCount);
    error TraceLeafNotInTrace();
    error DescriptorNotInGraph();
    error LeafMismatch();

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
