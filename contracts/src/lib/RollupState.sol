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
    error BadWorkerRecord(uint256 length);
    error BadStakeRecord(uint256 length);
    error BadJobRecord(uint256 length);

    /// A worker's stake record (stake/<addr>): seq || active || unbonding u256 || backing u32.
    struct Stake {
        uint256 seq;
        uint256 active;
        uint256 unbonding;
        uint32 backing;
    }

    /// Byte offsets of the record layouts (sequencer/fault-proof/encoding.ts JOB_OFFSETS, WORKER_OFFSETS).
    uint256 internal constant JOB_MODEL_ID = 86;
    uint256 internal constant JOB_DEADLINE = 182;
    uint256 internal constant JOB_STATUS = 198;
    uint256 internal constant JOB_WORKER = 199;
    uint256 internal constant JOB_HEAD = 263;
    uint256 internal constant WORKER_CAPACITY = 52;
    uint256 internal constant WORKER_ACTIVE = 56;
    uint256 internal constant WORKER_MODEL_COUNT = 60;
    uint256 internal constant WORKER_MODELS = 61;

    /// sha256("acct/0x" || lower-case hex of `a`), the path of keys.account(a).
    function accountPath(address a) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("acct/", _hex(uint160(a), 40)));
    }

    /// Lower-case hex of the low `nibbles` nibbles of `v`, with 0x. In assembly: the one-steps
    /// build up to five key paths per tx, and a checked byte-by-byte loop cost ~150 gas a nibble.
    function _hex(uint256 v, uint256 nibbles) private pure returns (bytes memory s) {
        s = new bytes(nibbles + 2);
        assembly ("memory-safe") {
            let p := add(s, 32)
            mstore8(p, 0x30) // "0"
            mstore8(add(p, 1), 0x78) // "x"
            for { let i := 0 } lt(i, nibbles) { i := add(i, 1) } {
                let n := and(v, 0xf)
                // "0".."9" are 0x30.., "a".."f" are 0x61.. (0x30 + 10 + 39)
                mstore8(add(p, sub(add(nibbles, 1), i)), add(add(n, 0x30), mul(gt(n, 9), 39)))
                v := shr(4, v)
            }
        }
    }

    /// sha256("worker/0x" || hex of `a`), the path of keys.worker(a).
    function workerPath(address a) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("worker/", _hex(uint160(a), 40)));
    }

    /// sha256("stake/0x" || hex of `a`), the path of keys.stake(a).
    function stakePath(address a) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("stake/", _hex(uint160(a), 40)));
    }

    /// sha256("job/0x" || hex of `id`), the path of keys.job(id).
    function jobPath(bytes32 id) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("job/", _hex(uint256(id), 64)));
    }

    /// sha256("disputes/0x" || hex of `id`), the path of keys.jobDisputes(id).
    function disputesPath(bytes32 id) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("disputes/", _hex(uint256(id), 64)));
    }

    /// sha256("model/0x" || hex of `id`), the path of keys.model(id).
    function modelPath(bytes32 id) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("model/", _hex(uint256(id), 64)));
    }

    /// sha256("l1/deposit/" || decimal id), the path of keys.deposit(id).
    function depositPath(uint256 id) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("l1/deposit/", _decimal(id)));
    }

    /// sha256("l1/request/" || decimal id), the path of keys.l1Request(id).
    function requestPath(uint256 id) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("l1/request/", _decimal(id)));
    }

    /// sha256("l1/dispute/" || decimal id), the path of keys.dispute(id).
    function disputePath(uint256 id) internal pure returns (bytes32) {
        return sha256(abi.encodePacked("l1/dispute/", _decimal(id)));
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

    /// sha256(l || r) in the scratch space (no memory allocated per node: a proof folds ~20 of them
    /// per record). `view` only because inline staticcall is: the sha256 precompile reads nothing.
    function _pair(bytes32 l, bytes32 r) private view returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, l)
            mstore(0x20, r)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    function _bit(bytes32 path, uint256 depth) private pure returns (uint256) {
        return (uint256(path) >> (255 - depth)) & 1;
    }

    function _fold(bytes32 node, bytes32 path, bytes32[] calldata siblings) private view returns (bytes32) {
        for (uint256 d = siblings.length; d > 0; d--) {
            node = _bit(path, d - 1) == 0 ? _pair(node, siblings[d - 1]) : _pair(siblings[d - 1], node);
        }
        return node;
    }

    /// Checks `p` (the key's value before the write) against `root` and returns the root with the
    /// key's value hash set to `newValueHash`. Reverts when the proof does not open `root`.
    function update(bytes32 root, bytes32 path, RecordProof calldata p, bytes32 newValueHash)
        internal
        view
        returns (bytes32)
    {
        verify(root, path, p);
        uint256 depth = p.siblings.length;
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

    /// Checks `p` (the key's value, or its absence) against `root`; reverts when it does not open
    /// it. What a one-step does with a record it reads and leaves as it is (an absent one stays
    /// absent: `update` would insert it).
    function verify(bytes32 root, bytes32 path, RecordProof calldata p) internal view {
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

    /// An L1 marker record (l1/deposit/<id>, l1/request/<id>, l1/dispute/<id>): the single byte 0x01
    /// when present.
    function isSeen(RecordProof calldata p) internal pure returns (bool) {
        if (!p.present) return false;
        if (p.value.length != 1 || p.value[0] != 0x01) revert BadSeenRecord(p.value.length);
        return true;
    }

    bytes32 internal constant SEEN_VALUE_HASH = sha256(hex"01");

    /// The value hash a record proof opens: sha256 of its bytes, 0 when absent (a one-step's
    /// "write" of a record it only reads; an absent one is then verified, not inserted).
    function oldValueHash(RecordProof calldata p) internal pure returns (bytes32) {
        return p.present ? sha256(p.value) : bytes32(0);
    }

    /// A worker record's length must be its layout's: address, price, capacity, active, the model
    /// list and the multiaddr (reverts BadWorkerRecord otherwise). Absent: not a worker.
    function checkWorker(bytes calldata v) internal pure {
        if (v.length < WORKER_MODELS) revert BadWorkerRecord(v.length);
        uint256 end = WORKER_MODELS + 32 * uint8(v[WORKER_MODEL_COUNT]);
        if (v.length < end + 2 || v.length != end + 2 + uint16(bytes2(v[end:end + 2]))) {
            revert BadWorkerRecord(v.length);
        }
    }

    function workerCapacity(bytes calldata v) internal pure returns (uint32) {
        return uint32(bytes4(v[WORKER_CAPACITY:WORKER_CAPACITY + 4]));
    }

    function workerActive(bytes calldata v) internal pure returns (uint32) {
        return uint32(bytes4(v[WORKER_ACTIVE:WORKER_ACTIVE + 4]));
    }

    /// Whether the worker record `v` (checked) lists `modelId`.
    function workerServes(bytes calldata v, bytes32 modelId) internal pure returns (bool) {
        uint256 n = uint8(v[WORKER_MODEL_COUNT]);
        for (uint256 i = 0; i < n; i++) {
            uint256 at = WORKER_MODELS + 32 * i;
            if (bytes32(v[at:at + 32]) == modelId) return true;
        }
        return false;
    }

    /// The stake record: 100 bytes; absent = all zero (EMPTY_STAKE).
    function decodeStake(RecordProof calldata p) internal pure returns (Stake memory st) {
        if (!p.present) return st;
        if (p.value.length != 100) revert BadStakeRecord(p.value.length);
        st.seq = uint256(bytes32(p.value[0:32]));
        st.active = uint256(bytes32(p.value[32:64]));
        st.unbonding = uint256(bytes32(p.value[64:96]));
        st.backing = uint32(bytes4(p.value[96:100]));
    }

    function stakeValueHash(Stake memory st) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(st.seq, st.active, st.unbonding, st.backing));
    }

    /// A job record holds at least its fixed head and the inputCid length after it. (Its tail is
    /// carried over as it is by the one-steps that only patch the head.)
    function checkJobHead(bytes calldata v) internal pure {
        if (v.length < JOB_HEAD + 2) revert BadJobRecord(v.length);
    }
}
