// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title L1EventTx
/// @notice The tx bytes of the txs L2 derives from L1 events that are inbox messages
/// (sequencer/fault-proof/encoding.ts, pinned by test/vectors/fault-proof.json) and the inbox
/// message hash each one consumes, one definition for BatchStepVerifier (the inbox check) and
/// L1EventStepRules (the state rule, which rolls the same hash into the inbox hash):
///   0x83 model       kind || inboxIndex u64 || modelId 32 || registrant 20 || cid
///   0x84 L1 request  kind || blockTime u64 || inboxIndex u64 || requestId u256 || requester 20
///                    || modelId 32 || inputRoot 32 || escrow u256 || deadline u64 (ms) || inputCid
///   0x85 stake       kind || inboxIndex u64 || worker 20 || seq u64 || active u256 || unbonding u256
/// message hash = keccak256(kind - 0x80 || fixed fields || keccak256(cid)) (a stake change has no
/// CID: keccak256(0x05 || fixed fields)), exactly what Bridge._queue is given.
library L1EventTx {
    uint8 internal constant TX_MODEL_REGISTERED = 0x83;
    uint8 internal constant TX_L1_REQUEST = 0x84;
    uint8 internal constant TX_WORKER_STAKE = 0x85;
    /// Where the fields Bridge._queue hashes end (the CID follows), per kind.
    uint256 internal constant MODEL_FIXED_END = 61;
    uint256 internal constant REQUEST_FIXED_END = 173;
    uint256 internal constant STAKE_LENGTH = 101;

    /// `isEvent` false for any other tx. `wellFormed` false: the bytes are too short for their
    /// kind's fixed fields (or a stake change not 101 bytes), so they encode no such tx.
    function message(bytes calldata b)
        internal
        pure
        returns (bool isEvent, bool wellFormed, uint64 inboxIndex, bytes32 messageHash)
    {
        uint8 kind = b.length == 0 ? 0 : uint8(b[0]);
        // where inboxIndex starts: after the kind, and after an L1 request's block time
        uint256 at = 1;
        uint256 fixedEnd;
        if (kind == TX_MODEL_REGISTERED) {
            fixedEnd = MODEL_FIXED_END;
        } else if (kind == TX_L1_REQUEST) {
            at = 9;
            fixedEnd = REQUEST_FIXED_END;
        } else if (kind == TX_WORKER_STAKE) {
            fixedEnd = STAKE_LENGTH;
        } else {
            return (false, false, 0, bytes32(0));
        }
        isEvent = true;
        if (b.length < fixedEnd || (kind == TX_WORKER_STAKE && b.length != fixedEnd)) {
            return (true, false, 0, bytes32(0));
        }
        wellFormed = true;
        inboxIndex = uint64(bytes8(b[at:at + 8]));
        messageHash = kind == TX_WORKER_STAKE
            ? keccak256(abi.encodePacked(kind - 0x80, b[at + 8:]))
            : keccak256(abi.encodePacked(kind - 0x80, b[at + 8:fixedEnd], keccak256(b[fixedEnd:])));
    }
}
