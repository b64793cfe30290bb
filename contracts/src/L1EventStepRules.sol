// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {L1EventTx} from "./lib/L1EventTx.sol";
import {RollupState} from "./lib/RollupState.sol";

/// @title L1EventStepRules
/// @notice The one-steps of the state rules of the txs L2 derives from L1 events that are inbox
/// messages (docs/rollup.md 8c): modelRegistered (0x83), l1InferenceRequest (0x84) and a queued
/// workerStake (0x85), the rules of sequencer/state/machine.ts `applySystem` on records proven
/// against the state root (layouts: sequencer/fault-proof/encoding.ts). BatchChallenge.proveStep has
/// already checked that the tx consumes L1's next inbox message; here the rule runs and, when it
/// applies, that message's hash is rolled into the inbox hash (as a deposit's). BatchStepVerifier
/// creates this contract and forwards these tx types' calldata to it as it is.
/// Also a slash's stake change (0x88: Bridge.settleDispute queues no inbox message, so nothing on
/// L1 backs its amounts): its rule is the one bound that holds without L1, that it only lowers
/// stake (seq after the record's, neither active nor unbonding above the record's); it consumes
/// no inbox message.
/// Records come in steps.ts `touchedKeys` order: model `model/<modelId>`; L1 request
/// `l1/request/<requestId>`, then `job/<tx hash>`; stake change and slash `stake/<worker>`. Each proof is
/// against the root with the ones before it written, or all against the pre root when the rule
/// refuses the tx.
contract L1EventStepRules {
    /// protocol/eip712.ts L1InferenceRequest: the derived tx's EIP-712 digest is its job's id.
    bytes32 internal constant L1_REQUEST_TYPEHASH = keccak256(
        "L1InferenceRequest(uint256 inboxIndex,uint256 requestId,address requester,bytes32 modelId,bytes32 inputRoot,bytes inputCid,uint256 escrow,uint64 deadline)"
    );

    /// A slash's stake change: kind || worker 20 || seq u64 || active u256 || unbonding u256.
    uint8 internal constant TX_WORKER_SLASH = 0x88;
    uint256 internal constant SLASH_LENGTH = 93;

    /// The L2 domain separator (BatchStepVerifier's).
    bytes32 public immutable l2DomainSeparator;

    error BadTxEncoding(uint8 txType, uint256 length);
    error RecordCount(uint256 expected, uint256 given);
    error NotAnL1EventTx(uint8 txType);

    constructor(bytes32 l2DomainSeparator_) {
        l2DomainSeparator = l2DomainSeparator_;
    }

    /// BatchStepVerifier.step for these tx types, with its ABI: pre = (state root, message chain,
    /// inbox hash). `applied` false when the rule refuses the tx (post is then pre: a refused L1
    /// event consumes no message, as the replay has it). No L2 -> L1 message: the chain passes
    /// through. Reverts when a proof does not open the root, a record is malformed or the bytes
    /// encode no such tx.
    function step(bytes32[3] calldata pre, bytes calldata b, RollupState.RecordProof[] calldata records)
        external
        view
        returns (bool applied, bytes32[3] memory post)
    {
        uint8 kind = b.length == 0 ? 0 : uint8(b[0]);
        if (kind == TX_WORKER_SLASH) {
            if (b.length != SLASH_LENGTH) revert BadTxEncoding(kind, b.length);
            (applied, post[0]) = _stake(pre[0], true, b[1:], records);
            (post[1], post[2]) = (pre[1], pre[2]); // no L2 -> L1 message, no inbox message
            return (applied, post);
        }
        (bool isEvent, bool wellFormed,, bytes32 message) = L1EventTx.message(b);
        if (!isEvent) revert NotAnL1EventTx(kind);
        if (!wellFormed) revert BadTxEncoding(kind, b.length);
        if (kind == L1EventTx.TX_MODEL_REGISTERED) (applied, post[0]) = _model(pre[0], b, records);
        else if (kind == L1EventTx.TX_L1_REQUEST) (applied, post[0]) = _request(pre[0], b, records);
        else (applied, post[0]) = _stake(pre[0], false, b[9:], records);
        post[1] = pre[1];
        post[2] = applied ? keccak256(abi.encodePacked(pre[2], message)) : pre[2];
    }

    /// machine.ts modelRegistered: once per model id (L1 registers a model once, so a second one is
    /// a replay); writes model/<id> = modelId || registrant || u16 length || cid.
    function _model(bytes32 root, bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bool, bytes32)
    {
        if (records.length != 1) revert RecordCount(1, records.length);
        uint256 cidLength = b.length - L1EventTx.MODEL_FIXED_END;
        if (cidLength > type(uint16).max) revert BadTxEncoding(L1EventTx.TX_MODEL_REGISTERED, b.length);
        bytes32 path = RollupState.modelPath(bytes32(b[9:41]));
        if (records[0].present) {
            RollupState.verify(root, path, records[0]); // already registered: refused
            return (false, root);
        }
        bytes32 valueHash = sha256(abi.encodePacked(b[9:61], uint16(cidLength), b[61:]));
        return (true, RollupState.update(root, path, records[0], valueHash));
    }

    /// machine.ts l1InferenceRequest: once per request id (its l1/request/<id> marker), then the L1
    /// job newJob builds: id = this tx's EIP-712 digest, source l1, postedAt the block time, open.
    function _request(bytes32 root, bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bool, bytes32)
    {
        if (records.length != 2) revert RecordCount(2, records.length);
        if (b.length - L1EventTx.REQUEST_FIXED_END > type(uint16).max) {
            revert BadTxEncoding(L1EventTx.TX_L1_REQUEST, b.length);
        }
        bytes32 markerPath = RollupState.requestPath(uint256(bytes32(b[17:49])));
        bytes32 jobId = _requestDigest(b);
        bytes32 jobPath = RollupState.jobPath(jobId);
        if (RollupState.isSeen(records[0])) {
            // already derived: refused, both proofs against the pre root
            RollupState.verify(root, markerPath, records[0]);
            RollupState.verify(root, jobPath, records[1]);
            return (false, root);
        }
        root = RollupState.update(root, markerPath, records[0], RollupState.SEEN_VALUE_HASH);
        // machine.ts writes the job whatever was at its key (its id is this tx's hash: fresh)
        root = RollupState.update(root, jobPath, records[1], sha256(_l1Job(jobId, b)));
        return (true, root);
    }

    /// The L1 request tx's EIP-712 digest under the L2 domain: its tx hash, the job's id.
    function _requestDigest(bytes calldata b) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                L1_REQUEST_TYPEHASH,
                uint256(uint64(bytes8(b[9:17]))), // inboxIndex
                uint256(bytes32(b[17:49])), // requestId
                address(bytes20(b[49:69])), // requester
                bytes32(b[69:101]), // modelId
                bytes32(b[101:133]), // inputRoot
                keccak256(b[L1EventTx.REQUEST_FIXED_END:]), // inputCid
                uint256(bytes32(b[133:165])), // escrow
                uint64(bytes8(b[165:173])) // deadline
            )
        );
        return keccak256(abi.encodePacked(hex"1901", l2DomainSeparator, structHash));
    }

    /// encoding.ts jobBytes of the new L1 job: id || source 1 || requester || opt(l1RequestId) ||
    /// modelId, inputRoot, escrow, deadline (as the tx holds them) || postedAt = block time ||
    /// status open, no worker, submittedAt, disputeId or refund reason || inputCid, no claim,
    /// signature or generation.
    function _l1Job(bytes32 jobId, bytes calldata b) internal pure returns (bytes memory) {
        return abi.encodePacked(
            abi.encodePacked(jobId, uint8(1), b[49:69], uint8(1), b[17:49]),
            b[69:173], // modelId, inputRoot, escrow, deadline
            b[1:9], // postedAt: the block time
            abi.encodePacked(uint8(0), uint8(0), bytes20(0), uint8(0), bytes8(0)), // open, worker, submittedAt
            abi.encodePacked(uint8(0), bytes32(0), uint8(0)), // disputeId, refundReason
            abi.encodePacked(uint16(b.length - L1EventTx.REQUEST_FIXED_END), b[L1EventTx.REQUEST_FIXED_END:]),
            abi.encodePacked(uint8(0), uint8(0), uint8(0)) // claim, claimSignature, generation
        );
    }

    /// machine.ts workerStake. `f`: worker 20 || seq u64 || active u256 || unbonding u256 (after a
    /// queued change's kind and inboxIndex, or a slash's kind). Only a seq after the record's; a
    /// `slash` (no inbox message) also never above the record's active or unbonding stake. Sets
    /// seq, active and unbonding, keeps the claims it backs (L2's own).
    function _stake(bytes32 root, bool slash, bytes calldata f, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bool, bytes32)
    {
        if (records.length != 1) revert RecordCount(1, records.length);
        bytes32 path = RollupState.stakePath(address(bytes20(f[0:20])));
        RollupState.Stake memory st = RollupState.decodeStake(records[0]);
        RollupState.Stake memory next = RollupState.Stake({
            seq: uint64(bytes8(f[20:28])),
            active: uint256(bytes32(f[28:60])),
            unbonding: uint256(bytes32(f[60:92])),
            backing: st.backing
        });
        if (next.seq <= st.seq || (slash && (next.active > st.active || next.unbonding > st.unbonding))) {
            // not after the last applied one, or a slash that would raise stake: refused
            RollupState.verify(root, path, records[0]);
            return (false, root);
        }
        return (true, RollupState.update(root, path, records[0], RollupState.stakeValueHash(next)));
    }
}
