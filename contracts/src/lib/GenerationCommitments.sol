// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title GenerationCommitments
/// @notice The generation job's bindings, one definition each on chain (prover-trace/commit/generation.ts,
/// protocol/generation-job.ts; pinned by test/vectors/generation.json): the params encoding, the
/// claim's generationSpec and the root of an int32 [T] token tensor (the pass input root, and a
/// prompt's root). GenerationRule (the L1 token move) and GenerationStepRules (the batch
/// challenge's one-steps of the generation txs) both read them from here.
library GenerationCommitments {
    uint256 internal constant CHUNK = 1024;
    uint8 internal constant DTYPE_INT32 = 6;
    uint32 internal constant NO_STOP_TOKEN = 0xffffffff;
    uint32 internal constant MAX_TOKEN_ID = 0x7fffffff;
    /// encodeGenerationParams's length: 0x4a || u32 maxTokens || u32 stopToken || u8 kind || u32 topK
    /// || u32 halfLife || seed 32.
    uint256 internal constant PARAMS_BYTES = 50;

    struct Params {
        uint32 maxTokens;
        uint32 stopToken;
        uint8 kind;
        uint32 topK;
        uint32 halfLife;
        bytes32 seed;
    }

    /// encodeGenerationParams's image: 0x4a || u32 maxTokens || u32 stopToken || u8 kind || u32 topK
    /// || u32 halfLife || seed, with checkGenerationParams's bounds (greedy: zeros after kind).
    function decodeParams(bytes memory b) internal pure returns (bool ok, Params memory r) {
        if (b.length != PARAMS_BYTES || b[0] != 0x4a) return (false, r);
        r.maxTokens = uint32(_be(b, 1));
        r.stopToken = uint32(_be(b, 5));
        r.kind = uint8(b[9]);
        r.topK = uint32(_be(b, 10));
        r.halfLife = uint32(_be(b, 14));
        bytes32 seed;
        assembly ("memory-safe") {
            seed := mload(add(b, 50)) // bytes 18..50 of the data (data starts at b + 32)
        }
        r.seed = seed;
        if (r.maxTokens == 0 || r.maxTokens > MAX_TOKEN_ID) return (false, r);
        if (r.stopToken > MAX_TOKEN_ID && r.stopToken != NO_STOP_TOKEN) return (false, r);
        if (r.kind == 0) ok = r.topK == 0 && r.halfLife == 0 && seed == bytes32(0);
        else if (r.kind == 1) ok = r.topK >= 1 && r.topK <= MAX_TOKEN_ID && r.halfLife >= 1 && r.halfLife <= MAX_TOKEN_ID;
    }

    /// generationSpec(P, n, paramsHash): sha256(0x4b || u32 P || u32 n || paramsHash).
    function spec(uint32 promptLength, uint32 generatedCount, bytes32 paramsHash) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x4b), promptLength, generatedCount, paramsHash));
    }

    /// The Merkle root over one tensor, int32 [T] over `sequence` (little-endian, T = length / 4): a
    /// one-leaf tree's root is its leaf. The claim's pass input root (generationPassInputRoot) and a
    /// prompt's root (generationInputRoot) alike.
    function int32TensorListRoot(bytes memory sequence) internal view returns (bytes32) {
        return tensorRoot1(sequence.length / 4, dataRoot(sequence));
    }

    /// Writes the u32 big-endian token ids `be` (encodeTokenIds) as int32 little-endian into `out`
    /// from byte `at` on. False when one is not a token id (> MAX_TOKEN_ID). Eight tokens a word:
    /// each 4-byte lane byte-swapped at once (a token at a time cost ~150 gas), the words' top bits
    /// read once at the end, two words an iteration and the last, partial word masked outside the
    /// loop (~190 gas a word with a word an iteration and both in it). Writes whole words: up to 31 bytes after the last token are zeroed (the
    /// caller's padding, or free memory).
    function putTokensLE(bytes memory out, uint256 at, bytes calldata be) internal pure returns (bool ok) {
        if (at + be.length > out.length) return false;
        uint256 all;
        assembly ("memory-safe") {
            let m8 := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
            let m16 := 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff
            let dst := add(add(out, 32), at)
            let src := be.offset
            let whole := add(src, and(be.length, not(31))) // the end of the whole words
            let pairs := add(src, and(be.length, not(63))) // two words an iteration: half the loop's own cost
            for {} lt(src, pairs) {
                src := add(src, 64)
                dst := add(dst, 64)
            } {
                let x := calldataload(src)
                let y := calldataload(add(src, 32))
                all := or(all, or(x, y))
                x := or(shl(8, and(x, m8)), and(shr(8, x), m8)) // [a b c d] -> [b a d c]
                mstore(dst, or(shl(16, and(x, m16)), and(shr(16, x), m16))) // -> [d c b a]
                y := or(shl(8, and(y, m8)), and(shr(8, y), m8))
                mstore(add(dst, 32), or(shl(16, and(y, m16)), and(shr(16, y), m16)))
            }
            if lt(src, whole) {
                let x := calldataload(src)
                all := or(all, x)
                x := or(shl(8, and(x, m8)), and(shr(8, x), m8))
                mstore(dst, or(shl(16, and(x, m16)), and(shr(16, x), m16)))
                src := add(src, 32)
                dst := add(dst, 32)
            }
            let left := sub(add(be.offset, be.length), src) // bytes of tokens in the last word
            if left {
                let x := and(calldataload(src), not(shr(mul(8, left), not(0))))
                all := or(all, x)
                x := or(shl(8, and(x, m8)), and(shr(8, x), m8))
                mstore(dst, or(shl(16, and(x, m16)), and(shr(16, x), m16)))
            }
        }
        ok = all & 0x8000000080000000800000008000000080000000800000008000000080000000 == 0;
    }

    /// dataRoot of tensor bytes (docs/commitments.md "Tensor root"): 1 KiB chunks, the last one
    /// zero-padded, Merkle tree padded with zero leaves.
    function dataRoot(bytes memory data) internal view returns (bytes32) {
        uint256 count = (data.length + CHUNK - 1) / CHUNK;
        uint256 width = 1;
        while (width < count) width <<= 1;
        bytes32[] memory level = new bytes32[](width);
        for (uint256 c = 0; c < count; c++) {
            uint256 len = data.length - c * CHUNK;
            uint256 ptr;
            assembly ("memory-safe") {
                ptr := add(add(data, 32), mul(c, 1024))
            }
            if (len < CHUNK) {
                bytes memory last = new bytes(CHUNK); // zeroed: the last chunk's padding
                assembly ("memory-safe") {
                    mcopy(add(last, 32), ptr, len)
                    ptr := add(last, 32)
                }
            }
            level[c] = sha256Mem(ptr, CHUNK);
        }
        for (; width > 1; width >>= 1) {
            for (uint256 i = 0; i < width / 2; i++) level[i] = sha256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
        }
        return level[0];
    }

    /// tensorRoot(int32, [T], dataRoot).
    function tensorRoot1(uint256 T, bytes32 root) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x54), DTYPE_INT32, uint8(1), uint32(T), root));
    }

    function sha256Mem(uint256 ptr, uint256 len) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            if iszero(staticcall(gas(), 0x02, ptr, len, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// u32 big-endian at byte `off` of `b`.
    function _be(bytes memory b, uint256 off) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(224, mload(add(add(b, 32), off)))
        }
    }
}
