// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Commitments} from "../lib/Commitments.sol";

/// @notice Test-only: exposes the Commitments library so the shared vectors can run through it.
contract CommitmentsHarness {
    function batchTxRootOf(bytes calldata txData) external view returns (bytes32 root, uint32 count) {
        return Commitments.batchTxRootOf(txData);
    }

    function treeDepth(uint256 leafCount) external pure returns (uint256) {
        return Commitments.treeDepth(leafCount);
    }

    function rootFromProof(bytes32 leaf, uint256 index, bytes32[] calldata proof) external view returns (bytes32) {
        return Commitments.rootFromProof(leaf, index, proof);
    }

    function verifyProof(bytes32 root, bytes32 leaf, uint256 index, uint256 leafCount, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return Commitments.verifyProof(root, leaf, index, leafCount, proof);
    }

    function chunkCount(uint8 dtype, uint32[] calldata shape) external pure returns (uint256) {
        return Commitments.chunkCount(dtype, shape);
    }

    function tensorRoot(uint8 dtype, uint32[] calldata shape, bytes32 dataRoot) external view returns (bytes32) {
        return Commitments.tensorRoot(dtype, shape, dataRoot);
    }

    function chunkHash(bytes calldata chunk) external view returns (bytes32) {
        return Commitments.sha256Calldata(chunk);
    }

    function verifyChunk(
        bytes32 root,
        uint8 dtype,
        uint32[] calldata shape,
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return Commitments.verifyChunk(root, dtype, shape, chunkIndex, chunk, proof);
    }

    function verifyChunkInData(
        bytes32 dataRoot,
        uint256 count,
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return Commitments.verifyChunkInData(dataRoot, count, chunkIndex, chunk, proof);
    }

    function chunkOfElement(uint8 dtype, uint256 flatIndex) external pure returns (uint256, uint256) {
        return Commitments.chunkOfElement(dtype, flatIndex);
    }

    function readElement(uint8 dtype, bytes calldata chunk, uint256 offset) external pure returns (int256) {
        return Commitments.readElement(dtype, chunk, offset);
    }

    function traceLeaf(uint32 nodeIndex, bytes32[] calldata outputRoots) external view returns (bytes32) {
        return Commitments.traceLeaf(nodeIndex, outputRoots);
    }

    function modelId(
        bytes32 graphRoot,
        bytes32 weightsRoot,
        bytes32 outputRefsRoot,
        bytes32 inputRangesRoot,
        uint32 nodeCount,
        uint32 weightCount,
        uint32 inputCount,
        uint32 outputCount,
        bytes calldata cid
    ) external pure returns (bytes32) {
        return Commitments.modelId(
            graphRoot, weightsRoot, outputRefsRoot, inputRangesRoot, nodeCount, weightCount, inputCount, outputCount, cid
        );
    }

    function rangeLeaf(uint8 dtype, int64 min, int64 max) external pure returns (bytes32) {
        return Commitments.rangeLeaf(dtype, min, max);
    }

    function outputRefLeaf(uint32 node, uint8 slot) external pure returns (bytes32) {
        return Commitments.outputRefLeaf(node, slot);
    }

    function withdrawalLeaf(address recipient, uint256 amount, bytes32 l2TxHash) external pure returns (bytes32) {
        return Commitments.withdrawalLeaf(recipient, amount, l2TxHash);
    }
}
