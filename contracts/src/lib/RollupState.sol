// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RollupState
/// @notice The L2 state tree (docs/rollup.md section 3, sequencer/state/smt.ts) and the binary
/// records the batch challenge reads (sequencer/fault-proof/encoding.ts; test/vectors/fault-proof.json
/// pins both sides). A sparse Merkle tree over sha256(utf8(key)) paths, one-leaf subtrees collapsed:
///   leafHash = sha256(0x53 || path || valueHash), inner = sha256(left || right), empty = 0.
library RollupState {
    /// One touched record as the one-step takes it: its bytes before the tx (empty when absent)
    /// and its proof against the root as the records before it in the list were already written.
    struct RecordProof {
        bytes value;
        bool present;
        bytes32[] siblings; // from the root down
        bool hasOther; // an absent key whose path ends at another key's leaf
        bytes32 otherPath;
        bytes32 otherValueHash;
    }

    struct Account {
        uint256 balance;
        uint64 nonce;
    }

    error RecordProofMismatch(bytes32 path, bytes32 root);
    error RecordProofTooDeep(uint256 depth);
    error RecordProofShape(bytes32 path);
    error BadAccountRecord(uint256 length);
    error BadSeenRecord(uint256 length);

    bytes16 private constant HEX = "0123456789abcdef";

    /// sha256("acct/0x" || lower-case hex of `a`), the path of keys.account(a).
    function accountPath(address a) internal pure returns (bytes32) {
        bytes memory s = new bytes(47);
        s[0] = "a";
        s[1] = "c";
        s[2] = "c";
        s[3] = "t";
        s[4] = "/";
        s[5] = "0";
        s[6] = "x";
        uint160 v = uint160(a);
        for (uint256 i = 0; i < 40; i++) {
            s[46 - i] = HEX[v & 0xf];
            v >>= 4;
        }
        return sha256(s);
    }

    /// sha256("l1/deposit/" || decimal id), the path of keys.deposit(id).
    function depositPath(uint256 id) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("l1/deposit/", _decimal(id)));
    }

    function _decimal(uint256 v) private pure returns (bytes memory out) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) len++;
        out = new bytes(len);
        while (v != 0) {
            out[--len] = bytes1(uint8(48 + (v % 10)));
            v /= 10;
        }
    }

    function leafHash(bytes32 path, bytes32 valueHash) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x53), path, valueHash));
    }

    function _pair(bytes32 l, bytes32 r) private pure returns (bytes32) {
        return sha256(abi.encodePacked(l, r));
    }

    function _bit(bytes32 path, uint256 depth) private pure returns (uint256) {
        return (uint256(path) >> (255 - depth)) & 1;
    }

    function _fold(bytes32 node, bytes32 path, bytes32[] calldata siblings) private pure returns (bytes32) {
        for (uint256 d = siblings.length; d > 0; d--) {
            node = _bit(path, d - 1) == 0 ? _pair(node, siblings[d - 1]) : _pair(siblings[d - 1], node);
        }
        return node;
    }

    /// Checks `p` (the key's value before the write) against `root` and returns the root with the
    /// key's value hash set to `newValueHash`. Reverts when the proof does not open `root`.
    function update(bytes32 root, bytes32 path, RecordProof calldata p, bytes32 newValueHash)
        internal
        pure
        returns (bytes32)
    {
        uint256 depth = p.siblings.length;
        if (depth > 255) revert RecordProofTooDeep(depth);
        bytes32 old;
        if (p.present) {
            if (p.hasOther) revert RecordProofShape(path);
            old = leafHash(path, sha256(p.value));
        } else if (p.hasOther) {
            if (p.otherPath == path || p.value.length != 0) revert RecordProofShape(path);
            old = leafHash(p.otherPath, p.otherValueHash);
        } else if (p.value.length != 0) {
            revert RecordProofShape(path);
        }
        if (_fold(old, path, p.siblings) != root) revert RecordProofMismatch(path, root);

        bytes32 node = leafHash(path, newValueHash);
        if (p.hasOther) {
            // Split where the two paths part; the levels between hold one non-empty child each.
            uint256 split = depth;
            while (_bit(path, split) == _bit(p.otherPath, split)) split++;
            bytes32 other = leafHash(p.otherPath, p.otherValueHash);
            node = _bit(path, split) == 0 ? _pair(node, other) : _pair(other, node);
            for (uint256 d = split; d > depth; d--) {
                node = _bit(path, d - 1) == 0 ? _pair(node, bytes32(0)) : _pair(bytes32(0), node);
            }
        }
        return _fold(node, path, p.siblings);
    }

    /// An account record: balance u256 BE || nonce u64 BE; absent = (0, 0).
    function decodeAccount(RecordProof calldata p) internal pure returns (Account memory a) {
        if (!p.present) return a;
        if (p.value.length != 40) revert BadAccountRecord(p.value.length);
        a.balance = uint256(bytes32(p.value[0:32]));
        a.nonce = uint64(bytes8(p.value[32:40]));
    }

    function accountValueHash(Account memory a) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(a.balance, a.nonce));
    }

    /// An L1 marker record (l1/deposit/<id>): the single byte 0x01 when present.
    function isSeen(RecordProof calldata p) internal pure returns (bool) {
        if (!p.present) return false;
        if (p.value.length != 1 || p.value[0] != 0x01) revert BadSeenRecord(p.value.length);
        return true;
    }

    bytes32 internal constant SEEN_VALUE_HASH = sha256(hex"01");
}
