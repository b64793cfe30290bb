// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title UserTxRules
/// @notice The encoding rules of the user txs whose bytes carry content beyond their length fields
/// (registerWorker, postGenerationJob, submitGeneration; docs/rollup.md 8a "Forced bytes"): what
/// protocol/tx.ts decodeTx checks of the same fields, one definition on chain. The rules contracts
/// revert BadTxEncoding on bytes that fail them, in a batch and forced alike (the verifier then
/// takes a forced tx as one that encodes no user tx), so a rule never runs on bytes L2 would not
/// decode. sequencer/fault-proof/encoding.ts decodeForcedData decides the same (pinned by the
/// forcedShapes vectors).
library UserTxRules {
    /// Number.MAX_SAFE_INTEGER: L2 keeps nonces and deadlines as JS numbers.
    uint64 internal constant MAX_SAFE_INTEGER = 2 ** 53 - 1;
    /// protocol/tx.ts LIMITS: models per worker, multiaddr characters (UTF-16 code units), CID bytes,
    /// the generation window (and so token count) a tx carries.
    uint256 internal constant MAX_MODELS = 32;
    uint256 internal constant MAX_MULTIADDR_UNITS = 256;
    uint256 internal constant MAX_CID_BYTES = 128;
    uint256 internal constant MAX_WINDOW = 8192;

    /// protocol/tx.ts fieldMultiaddr over the multiaddr's bytes as L2 reads them (TextDecoder, fatal,
    /// the BOM kept): well-formed UTF-8 (Unicode table 3-7: no overlong form, no surrogate, nothing
    /// past U+10FFFF, no cut sequence), at most 256 UTF-16 code units (a 4-byte character is two), and
    /// none of the unprintable code points L2 refuses: C0 U+0000-001F, DEL and C1 U+007F-009F, the
    /// bidi controls U+061C, U+200E-200F, U+202A-202E, U+2066-2069.
    function multiaddrOk(bytes calldata s) internal pure returns (bool) {
        uint256 n = s.length;
        // 256 code units are at most 768 bytes (3 bytes a unit in the BMP, 4 bytes two units above)
        if (n > 3 * MAX_MULTIADDR_UNITS) return false;
        uint256 units;
        uint256 i;
        unchecked {
            while (i < n) {
                uint256 c = uint8(s[i]);
                uint256 len;
                uint256 cp;
                if (c < 0x80) {
                    len = 1;
                    cp = c;
                } else if (c >= 0xc2 && c <= 0xdf) {
                    len = 2; // C0, C1: an overlong 2-byte form
                    cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                    len = 3;
                    cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                    len = 4;
                    cp = c & 0x07;
                } else {
                    return false; // a continuation byte first, or F5..FF
                }
                if (i + len > n) return false;
                for (uint256 k = 1; k < len; k++) {
                    uint256 x = uint8(s[i + k]);
                    if (x & 0xc0 != 0x80) return false;
                    cp = (cp << 6) | (x & 0x3f);
                }
                if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return false;
                if (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) return false;
                if (
                    cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f
                        || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)
                ) return false;
                units += len == 4 ? 2 : 1;
                i += len;
            }
        }
        return units <= MAX_MULTIADDR_UNITS;
    }

    /// Every u32 big-endian id in `t` (a whole number of them) is a token id, at most 2^31 - 1: no
    /// top bit set. Eight ids a word, the words OR-ed together two at a time and their top bits read
    /// once (a test per word cost ~90 gas a word, ~93k over 8,192 ids).
    function tokenIdsOk(bytes calldata t) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            let top := 0x8000000080000000800000008000000080000000800000008000000080000000
            let all := 0
            let p := t.offset
            let whole := add(p, and(t.length, not(31))) // the end of the whole words
            let pairs := add(p, and(t.length, not(63))) // two words an iteration: half the loop's own cost
            for {} lt(p, pairs) { p := add(p, 64) } { all := or(all, or(calldataload(p), calldataload(add(p, 32)))) }
            if lt(p, whole) {
                all := or(all, calldataload(p))
                p := add(p, 32)
            }
            let left := sub(add(t.offset, t.length), p) // bytes of ids in the last, partial word
            if left { all := or(all, and(calldataload(p), not(shr(mul(8, left), not(0))))) }
            ok := iszero(and(all, top))
        }
    }

    /// A u64 big-endian count L2 keeps as a JS number (a nonce, a deadline) at `b[at:at + 8]`.
    function safeInteger(bytes calldata b, uint256 at) internal pure returns (bool) {
        return uint64(bytes8(b[at:at + 8])) <= MAX_SAFE_INTEGER;
    }
}
