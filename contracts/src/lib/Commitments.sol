// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Commitments
/// @notice On-chain reading of the encodings in docs/commitments.md. TypeScript (protocol/,
/// prover-trace/commit/) defines each encoding once; test/vectors/commitments.json pins this
/// library to it. Every hash is sha256 through the precompile at address 0x02.
library Commitments {
    /// Bytes per tensor chunk: a one-step proof carries whole chunks as calldata.
    uint256 internal constant CHUNK = 1024;
    /// 2^64 leaves is far beyond any tree a commitment can hold; bounds loops and shifts.
    uint256 internal constant MAX_DEPTH = 64;

    uint8 internal constant DTYPE_UINT8 = 2;
    uint8 internal constant DTYPE_INT8 = 3;
    uint8 internal constant DTYPE_INT32 = 6;
    uint8 internal constant DTYPE_INT64 = 7;

    error EmptyTree();
    error TreeTooLarge(uint256 leafCount);
    error LeafIndexOutOfRange(uint256 index, uint256 leafCount);
    error ProofLengthMismatch(uint256 expected, uint256 actual);
    error UnsupportedDType(uint8 dtype);
    error RankTooLarge(uint256 rank);
    error EmptyTensor();
    error ElementOutOfChunk(uint256 offset, uint256 chunkLength);
    error InvalidOutputCount(uint256 count);
    error Sha256Failed();

    // ---------------------------------------------------------------- hashing

    /// sha256(a || b): one inner node of the Merkle tree, hashed in scratch space (no allocation).
    function hashPair(bytes32 a, bytes32 b) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                mstore(0x00, 0xc176b3c5) // Sha256Failed()
                revert(0x1c, 0x04)
            }
            h := mload(0x00)
        }
    }

    /// sha256 of calldata bytes (a chunk), copied once into free memory.
    function sha256Calldata(bytes calldata data) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, data.offset, data.length)
            if iszero(staticcall(gas(), 0x02, ptr, data.length, 0x00, 0x20)) {
                mstore(0x00, 0xc176b3c5)
                revert(0x1c, 0x04)
            }
            h := mload(0x00)
        }
    }

    // ---------------------------------------------------------------- Merkle tree

    /// depth = ceil(log2(leafCount)); the verifier always knows leafCount from the commitment.
    function treeDepth(uint256 leafCount) internal pure returns (uint256 depth) {
        if (leafCount == 0) revert EmptyTree();
        if (leafCount > (uint256(1) << MAX_DEPTH)) revert TreeTooLarge(leafCount);
        // depth <= MAX_DEPTH after the check above: nothing here can overflow.
        unchecked {
            while ((uint256(1) << depth) < leafCount) ++depth;
        }
    }

    /// Root implied by `leaf` at `index` with bottom-up `proof` siblings (no length check).
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        view
        returns (bytes32 node)
    {
        node = leaf;
        for (uint256 l = 0; l < proof.length; l++) {
            node = (index >> l) & 1 == 1 ? hashPair(proof[l], node) : hashPair(node, proof[l]);
        }
    }

    /// True iff `leaf` is leaf `index` of the tree of `leafCount` leaves with `root`. The proof must
    /// have exactly treeDepth(leafCount) siblings, so it cannot be re-read at another depth.
    function verifyProof(
        bytes32 root,
        bytes32 leaf,
        uint256 index,
        uint256 leafCount,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        if (index >= leafCount) return false;
        if (proof.length != treeDepth(leafCount)) return false;
        return rootFromProof(leaf, index, proof) == root;
    }

    /// verifyProof that reverts with the reason instead of returning false.
    function requireProof(
        bytes32 root,
        bytes32 leaf,
        uint256 index,
        uint256 leafCount,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        if (index >= leafCount) revert LeafIndexOutOfRange(index, leafCount);
        uint256 depth = treeDepth(leafCount);
        if (proof.length != depth) revert ProofLengthMismatch(depth, proof.length);
        return rootFromProof(leaf, index, proof) == root;
    }

    // ---------------------------------------------------------------- tensors

    function dtypeSize(uint8 dtype) internal pure returns (uint256) {
        if (dtype == DTYPE_UINT8 || dtype == DTYPE_INT8) return 1;
        if (dtype == DTYPE_INT32) return 4;
        if (dtype == DTYPE_INT64) return 8;
        revert UnsupportedDType(dtype);
    }

    function numel(uint32[] calldata shape) internal pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < shape.length; i++) n *= shape[i];
    }

    /// ceil(numel * elementSize / CHUNK): the leaf count of the tensor's data tree.
    function chunkCount(uint8 dtype, uint32[] calldata shape) internal pure returns (uint256) {
        return (tensorByteLength(dtype, shape) + CHUNK - 1) / CHUNK;
    }

    /// sha256(0x54 || u8 dtype || u8 rank || u32 dim... || dataRoot), dims big-endian.
    function tensorRoot(uint8 dtype, uint32[] calldata shape, bytes32 dataRoot)
        internal
        view
        returns (bytes32 h)
    {
        tensorByteLength(dtype, shape); // validates dtype, rank and numel like the TS encoder
        uint256 rank = shape.length;
        uint256 len = 3 + 4 * rank + 32;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x54)
            mstore8(add(ptr, 1), dtype)
            mstore8(add(ptr, 2), rank)
            let p := add(ptr, 3)
            for { let i := 0 } lt(i, rank) { i := add(i, 1) } {
                // each calldata element is a right-aligned 32-byte word; keep its low 4 bytes
                let dim := calldataload(add(shape.offset, mul(i, 0x20)))
                if gt(dim, 0xffffffff) { revert(0x00, 0x00) } // not ABI-clean uint32
                mstore(p, shl(224, dim))
                p := add(p, 4)
            }
            mstore(p, dataRoot)
            if iszero(staticcall(gas(), 0x02, ptr, len, 0x00, 0x20)) {
                mstore(0x00, 0xc176b3c5)
                revert(0x1c, 0x04)
            }
            h := mload(0x00)
        }
    }

    /// True iff `chunk` with `proof` opens chunk `chunkIndex` of the tensor committed by `root`, whose
    /// dtype and shape (known to the verifier from the commitment being opened) fix the chunk count
    /// and so the proof depth. The data root is recomputed from the proof, as in
    /// prover-trace/witness/chunk.ts `verifyChunkOpening`: a malformed opening (wrong length, index
    /// out of range, wrong proof length, non-zero padding in the last chunk) is false; an invalid
    /// dtype or shape is the caller's error and reverts.
    function verifyChunk(
        bytes32 root,
        uint8 dtype,
        uint32[] calldata shape,
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        uint256 byteLength = tensorByteLength(dtype, shape);
        uint256 count = (byteLength + CHUNK - 1) / CHUNK;
        if (chunkIndex >= count || chunk.length != CHUNK) return false;
        if (proof.length != treeDepth(count)) return false;
        uint256 used = byteLength - chunkIndex * CHUNK;
        if (used < CHUNK && !isZeroTail(chunk, used)) return false;
        bytes32 dataRoot = rootFromProof(sha256Calldata(chunk), chunkIndex, proof);
        return tensorRoot(dtype, shape, dataRoot) == root;
    }

    /// True iff chunk `chunkIndex` hashes into `dataRoot`, a tree of `count` chunks (tensor-level
    /// descents reveal the data root first, then open chunks against it).
    function verifyChunkInData(
        bytes32 dataRoot,
        uint256 count,
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        if (chunk.length != CHUNK) return false;
        return verifyProof(dataRoot, sha256Calldata(chunk), chunkIndex, count, proof);
    }

    /// numel * elementSize after validating dtype and shape (rank <= 255, numel >= 1).
    function tensorByteLength(uint8 dtype, uint32[] calldata shape) internal pure returns (uint256) {
        if (shape.length > 255) revert RankTooLarge(shape.length);
        uint256 byteLength = numel(shape) * dtypeSize(dtype);
        if (byteLength == 0) revert EmptyTensor();
        return byteLength;
    }

    /// True iff bytes [from, data.length) of `data` are all zero.
    function isZeroTail(bytes calldata data, uint256 from) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            ok := 1
            let end := add(data.offset, data.length)
            let p := add(data.offset, from)
            for {} and(ok, lt(add(p, 31), end)) { p := add(p, 0x20) } { if calldataload(p) { ok := 0 } }
            // Fewer than 32 bytes left: read the word ending at `end` and keep its last (end - p) bytes.
            if and(ok, lt(p, end)) {
                let keep := sub(end, p)
                let word := calldataload(sub(end, 0x20))
                if and(word, sub(shl(mul(keep, 8), 1), 1)) { ok := 0 }
            }
        }
    }

    /// Element `flatIndex` (row-major) lives in chunk floor(e*size/CHUNK) at byte (e*size) mod CHUNK.
    function chunkOfElement(uint8 dtype, uint256 flatIndex) internal pure returns (uint256 chunkIndex, uint256 offset) {
        uint256 b = flatIndex * dtypeSize(dtype);
        return (b / CHUNK, b % CHUNK);
    }

    /// The element of `dtype` at byte `offset` of `chunk` (little-endian), sign-extended when signed.
    function readElement(uint8 dtype, bytes calldata chunk, uint256 offset) internal pure returns (int256 v) {
        uint256 size = dtypeSize(dtype);
        if (offset % size != 0 || offset + size > chunk.length) revert ElementOutOfChunk(offset, chunk.length);
        uint256 u;
        for (uint256 k = 0; k < size; k++) u |= uint256(uint8(chunk[offset + k])) << (8 * k);
        if (dtype == DTYPE_UINT8) return int256(u);
        uint256 bits = size * 8;
        // Two's complement sign extension from `bits` bits.
        if (u >> (bits - 1) == 1) return int256(u) - int256(uint256(1) << bits);
        return int256(u);
    }

    // ---------------------------------------------------------------- trace and model

    /// sha256(0x4c || u32 nodeIndex || u8 outputCount || tensorRoot(out[0]) || ...).
    function traceLeaf(uint32 nodeIndex, bytes32[] calldata outputRoots) internal view returns (bytes32 h) {
        uint256 count = outputRoots.length;
        if (count == 0 || count > 255) revert InvalidOutputCount(count);
        uint256 len = 6 + 32 * count;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x4c)
            mstore(add(ptr, 1), shl(224, nodeIndex))
            mstore8(add(ptr, 5), count)
            calldatacopy(add(ptr, 6), outputRoots.offset, mul(count, 0x20))
            if iszero(staticcall(gas(), 0x02, ptr, len, 0x00, 0x20)) {
                mstore(0x00, 0xc176b3c5)
                revert(0x1c, 0x04)
            }
            h := mload(0x00)
        }
    }

    /// sha256(0x4f || u32 node || u8 slot): leaf k of outputRefsRoot, graph output k is output
    /// `slot` of node `node`.
    function outputRefLeaf(uint32 node, uint8 slot) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x4f), node, slot));
    }

    /// sha256(0x52 || u8 dtype || i64 min || i64 max): leaf j of inputRangesRoot, graph input j
    /// holds values in [min, max] (its declared range, else its dtype's whole range).
    function rangeLeaf(uint8 dtype, int64 min, int64 max) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x52), dtype, min, max));
    }

    /// sha256(0x4d || graphRoot || weightsRoot || outputRefsRoot || inputRangesRoot || u32 nodeCount
    ///        || u32 weightCount || u32 inputCount || u32 outputCount || cidBytes): the counts fix the
    /// depth of every proof against the roots.
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
    ) internal pure returns (bytes32) {
        return sha256(
            abi.encodePacked(
                bytes1(0x4d),
                graphRoot,
                weightsRoot,
                outputRefsRoot,
                inputRangesRoot,
                nodeCount,
                weightCount,
                inputCount,
                outputCount,
                cid
            )
        );
    }

    /// Batch data (sequencer/batch-data.ts): 0x03 || txCount u32 || (txLen u32 || txBytes) * txCount
    /// || body. The body is the readers' (headers, block split); the chain reads only the tx section.
    uint8 internal constant BATCH_DATA_VERSION = 0x03;

    /// Batch data whose tx section does not frame: another version, or a count or length running past
    /// the end (`offset`: where reading stopped).
    error BadBatchData(uint256 offset);

    /// The txRoot and txCount of batch data (sequencer/batch-data.ts batchDataTxRoot): the Merkle root
    /// over sha256 of each tx's bytes in the tx section, 0 for none. Reverts BadBatchData where the
    /// section does not frame, so every batch the Bridge holds has one well-defined tx list.
    function batchTxRootOf(bytes calldata txData) internal view returns (bytes32 root, uint32 count) {
        if (txData.length < 5 || uint8(txData[0]) != BATCH_DATA_VERSION) revert BadBatchData(0);
        count = uint32(bytes4(txData[1:5]));
        if (count == 0) return (bytes32(0), 0);
        // every tx takes at least its 4 length bytes: bounds the leaf array a hostile count asks for
        if (uint256(count) * 4 > txData.length - 5) revert BadBatchData(1);
        bytes32[] memory level = new bytes32[](count);
        uint256 p = 5;
        for (uint256 i; i < count; ++i) {
            if (p + 4 > txData.length) revert BadBatchData(p);
            uint256 len = uint32(bytes4(txData[p:p + 4]));
            p += 4;
            if (len > txData.length - p) revert BadBatchData(p);
            level[i] = sha256Calldata(txData[p:p + len]);
            p += len;
        }
        root = rootInPlace(level);
    }

    /// protocol/merkle.ts merkleRoot of `leaves` (at least one), hashed level by level in place: an odd
    /// level is padded with the zero subtree root of its height.
    function rootInPlace(bytes32[] memory leaves) internal view returns (bytes32) {
        uint256 n = leaves.length;
        bytes32 zero;
        while (n > 1) {
            uint256 half = (n + 1) / 2;
            for (uint256 i; i < half; ++i) {
                uint256 r = 2 * i + 1;
                leaves[i] = hashPair(leaves[2 * i], r < n ? leaves[r] : zero);
            }
            zero = hashPair(zero, zero);
            n = half;
        }
        return leaves[0];
    }

    /// Withdrawal leaf of a batch's withdrawalRoot:
    /// sha256(0x57 || recipient (20 bytes) || amount (u256 BE) || l2TxHash).
    function withdrawalLeaf(address recipient, uint256 amount, bytes32 l2TxHash) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x57), recipient, amount, l2TxHash));
    }
}
