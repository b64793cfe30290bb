// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {L2Signature} from "./lib/L2Signature.sol";
import {RollupState} from "./lib/RollupState.sol";

/// @title JobStepBase
/// @notice What the one-steps of the worker and job txs share (docs/rollup.md 8c), one definition
/// for JobStepRules and GenerationStepRules (each under EIP-170 on its own): the genesis
/// parameters, the user tx around a rule (signature, nonce, fee, the records' writes) and the part
/// of a submitted claim every job kind checks (sequencer/state/machine.ts acceptClaim).
/// Records come in steps.ts `touchedKeys` order: sender account, fee recipient account (fee > 0 and
/// not the sender), then the tx type's own records; each proof against the root with the ones
/// before it written, or all against the pre root when the rule refuses the tx.
abstract contract JobStepBase {
    uint8 internal constant STATUS_OPEN = 0;
    uint8 internal constant STATUS_CLAIMED = 1;
    uint8 internal constant STATUS_SUBMITTED = 2;
    uint8 internal constant STATUS_DISPUTED = 3;
    uint8 internal constant STATUS_PAID = 4;
    uint8 internal constant STATUS_REFUNDED = 5;
    /// A claim's fixed fields (jobId, worker, modelId, inputRoot, outputRoot, traceRoot, generationSpec).
    uint256 internal constant CLAIM_FIXED = 212;
    /// Where a submitResult's or submitGeneration's claim starts in its tx bytes (after kind,
    /// blockTime, from, nonce, fee), and its fields there.
    uint256 internal constant CLAIM_AT = 69;
    uint256 internal constant CLAIM_INPUT_ROOT = CLAIM_AT + 84;
    uint256 internal constant CLAIM_SPEC = CLAIM_AT + 180;

    bytes32 internal constant CLAIM_TYPEHASH = keccak256(
        "Claim(bytes32 jobId,address worker,bytes32 modelId,bytes32 inputRoot,bytes32 outputRoot,bytes32 traceRoot,bytes32 generationSpec,bytes outputCid,bytes traceCid)"
    );
    bytes32 internal constant CLAIM_DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    bytes32 public immutable l2DomainSeparator;
    uint256 public immutable minFee;
    address public immutable feeRecipient;
    /// ChainParams.claimCollateral: the L1 stake each open claim holds (0: no check).
    uint256 public immutable claimCollateral;
    /// ChainParams.challengeWindowMs: a submitted job is paid this long after its submittedAt.
    uint64 public immutable challengeWindowMs;
    /// The worker claims' EIP-712 domain (protocol/eip712.ts claimDomain): this L1, the Bridge.
    bytes32 public immutable claimDomainSeparator;

    error BadTxEncoding(uint8 txType, uint256 length);
    error RecordCount(uint256 expected, uint256 given);
    error BadDisputesRecord(uint256 length);

    /// The state a user tx's one-step works on: its records' paths and new value hashes, and the
    /// sender's and fee recipient's accounts after the fee.
    struct Step {
        address from;
        uint64 nonce;
        uint256 fee;
        bool ok; // the rule accepts the tx so far
        uint256 accounts; // how many account records lead the list (1 or 2)
        RollupState.Account sender;
        RollupState.Account feeAccount; // only when accounts == 2
        bytes32 message; // the leaf of the L2 -> L1 message the tx sends (0: none)
        bytes32[] paths;
        bytes32[] hashes;
    }

    constructor(
        bytes32 l2DomainSeparator_,
        uint256 minFee_,
        address feeRecipient_,
        uint256 claimCollateral_,
        uint64 challengeWindowMs_,
        address bridge
    ) {
        challengeWindowMs = challengeWindowMs_;
        l2DomainSeparator = l2DomainSeparator_;
        minFee = minFee_;
        feeRecipient = feeRecipient_;
        claimCollateral = claimCollateral_;
        claimDomainSeparator =
            keccak256(abi.encode(CLAIM_DOMAIN_TYPEHASH, keccak256("Verdict"), keccak256("1"), block.chainid, bridge));
    }

    // ------------------------------------------------------------------ the user tx around the rule

    /// Opens the step of a user tx with `extra` records after its accounts: checks the signature
    /// and machine.ts applyUser (nonce, minFee, the fee from the balance), moves the fee.
    function _open(
        address from,
        uint64 nonce,
        uint256 fee,
        bytes32 digest,
        bytes calldata sig,
        uint256 extra,
        RollupState.RecordProof[] calldata records
    ) internal view returns (Step memory s) {
        s.from = from;
        s.nonce = nonce;
        s.fee = fee;
        s.accounts = fee > 0 && feeRecipient != from ? 2 : 1;
        uint256 count = s.accounts + extra;
        if (records.length != count) revert RecordCount(count, records.length);
        s.paths = new bytes32[](count);
        s.hashes = new bytes32[](count);
        s.paths[0] = RollupState.accountPath(from);
        s.sender = RollupState.decodeAccount(records[0]);
        if (s.accounts == 2) {
            s.paths[1] = RollupState.accountPath(feeRecipient);
            s.feeAccount = RollupState.decodeAccount(records[1]);
        }
        s.ok = from != address(0) && L2Signature.signer(digest, sig) == from && nonce == s.sender.nonce
            && fee >= minFee && s.sender.balance >= fee;
        if (!s.ok) return s;
        s.sender.balance -= fee;
        s.sender.nonce += 1;
        if (s.accounts == 2) s.feeAccount.balance += fee;
        else if (fee > 0) s.sender.balance += fee; // the sender is the fee recipient
    }

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", l2DomainSeparator, structHash));
    }

    /// Writes the records in order (each proof against the root with the ones before written), or
    /// when the rule refused the tx checks every proof against the pre root and writes nothing.
    function _finish(bytes32 root, Step memory s, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bool, bytes32)
    {
        if (!s.ok) {
            for (uint256 i = 0; i < records.length; i++) {
                RollupState.verify(root, s.paths[i], records[i]);
            }
            return (false, root);
        }
        s.hashes[0] = RollupState.accountValueHash(s.sender);
        if (s.accounts == 2) s.hashes[1] = RollupState.accountValueHash(s.feeAccount);
        bytes32 post = root;
        for (uint256 i = 0; i < records.length; i++) {
            // a record read and left absent (a job's disputes, a stake) stays absent
            if (!records[i].present && s.hashes[i] == bytes32(0)) RollupState.verify(post, s.paths[i], records[i]);
            else post = RollupState.update(post, s.paths[i], records[i], s.hashes[i]);
        }
        return (true, post);
    }

    // ------------------------------------------------------------------ a new job

    /// The head of a fresh L2 job's record (encoding.ts jobBytes): status open, no worker, no
    /// submission or dispute; postedAt the block time. `fields`: modelId, inputRoot, escrow, deadline.
    function _newJobHead(bytes32 jobId, address from, bytes memory fields, uint64 blockTime)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            abi.encodePacked(jobId, uint8(0), from, uint8(0), bytes32(0)),
            fields,
            blockTime, // postedAt
            abi.encodePacked(uint8(STATUS_OPEN), uint8(0), bytes20(0), uint8(0), bytes8(0)),
            abi.encodePacked(uint8(0), bytes32(0), uint8(0)) // disputeId, refundReason
        );
    }

    // ------------------------------------------------------------------ a submitted claim

    /// Where the claim in a submitResult's or submitGeneration's bytes ends (its two CIDs are
    /// length-prefixed).
    function _claimEnd(uint8 kind, bytes calldata b) internal pure returns (uint256 end) {
        end = CLAIM_AT + CLAIM_FIXED;
        if (b.length < end + 2) revert BadTxEncoding(kind, b.length);
        end += 2 + uint16(bytes2(b[end:end + 2]));
        if (b.length < end + 2) revert BadTxEncoding(kind, b.length);
        end += 2 + uint16(bytes2(b[end:end + 2]));
    }

    /// The claim's EIP-712 struct hash from its bytes (encoding.ts claimBytes).
    function _claimStructHash(bytes calldata c) internal pure returns (bytes32) {
        uint256 cid1 = CLAIM_FIXED + 2;
        uint256 cid1End = cid1 + uint16(bytes2(c[CLAIM_FIXED:cid1]));
        return keccak256(
            abi.encode(
                CLAIM_TYPEHASH,
                bytes32(c[0:32]),
                address(bytes20(c[32:52])),
                bytes32(c[52:84]),
                bytes32(c[84:116]),
                bytes32(c[116:148]),
                bytes32(c[148:180]),
                bytes32(c[180:212]),
                keccak256(c[cid1:cid1End]),
                keccak256(c[cid1End + 2:])
            )
        );
    }

    function _claimSigner(bytes32 claimHash, bytes calldata sig) internal view returns (address) {
        return L2Signature.signer(keccak256(abi.encodePacked(hex"1901", claimDomainSeparator, claimHash)), sig);
    }

    /// The records of a submitted claim after the accounts (steps.ts touchedKeys): job/<jobId>,
    /// disputes/<jobId> (read), stake/<from> (read), worker/<from> (active count freed).
    function _claimRecords(Step memory s, bytes32 jobId, RollupState.RecordProof[] calldata records) internal pure {
        uint256 j = s.accounts;
        s.paths[j] = RollupState.jobPath(jobId);
        s.paths[j + 1] = RollupState.disputesPath(jobId);
        s.paths[j + 2] = RollupState.stakePath(s.from);
        s.paths[j + 3] = RollupState.workerPath(s.from);
        for (uint256 k = j + 1; k < j + 4; k++) {
            s.hashes[k] = RollupState.oldValueHash(records[k]);
        }
    }

    /// machine.ts acceptClaim, the part every job kind shares, on the records after the accounts:
    /// the job claimed by the sender, its deadline not passed at the block time, the claim's modelId
    /// the job's, its worker the sender, its signature canonical and by the sender in the claim
    /// domain, the stake still covering the claims the worker backs. Frees the worker's active
    /// count; the caller checks the job kind's own rules and writes the job.
    function _acceptClaim(
        Step memory s,
        bytes calldata b,
        RollupState.RecordProof[] calldata records,
        uint256 claimEnd,
        bytes32 claimHash
    ) internal view {
        uint256 j = s.accounts;
        RollupState.RecordProof calldata worker = records[j + 3];
        if (worker.present) RollupState.checkWorker(worker.value);
        if (records[j].present) RollupState.checkJobHead(records[j].value);
        s.ok = s.ok && records[j].present && _stakeCovers(records[j + 2]) && _claimedBy(b, records[j].value, s.from)
            && _claimSigner(claimHash, b[claimEnd:claimEnd + 65]) == s.from;
        if (!s.ok) return;
        if (worker.present && RollupState.workerActive(worker.value) > 0) {
            s.hashes[j + 3] = sha256(
                abi.encodePacked(
                    worker.value[0:RollupState.WORKER_ACTIVE],
                    RollupState.workerActive(worker.value) - 1,
                    worker.value[RollupState.WORKER_ACTIVE + 4:]
                )
            );
        }
    }

    /// The worker's active stake still covers the claims it backs (it may have been unbonded or
    /// slashed since it claimed): backing * claimCollateral <= active.
    function _stakeCovers(RollupState.RecordProof calldata p) internal view returns (bool) {
        RollupState.Stake memory st = RollupState.decodeStake(p);
        return claimCollateral == 0 || st.backing == 0 || st.active / st.backing >= claimCollateral;
    }

    /// The job is claimed by `from`, its deadline not passed, and the claim names it and its model
    /// and `from` as its worker.
    function _claimedBy(bytes calldata b, bytes calldata job, address from) internal pure returns (bool) {
        return uint8(job[RollupState.JOB_STATUS]) == STATUS_CLAIMED && uint8(job[RollupState.JOB_WORKER]) == 1
            && address(bytes20(job[RollupState.JOB_WORKER + 1:RollupState.JOB_WORKER + 21])) == from
            && uint64(bytes8(b[1:9])) <= uint64(bytes8(job[RollupState.JOB_DEADLINE:RollupState.JOB_DEADLINE + 8]))
            && bytes32(b[CLAIM_AT + 52:CLAIM_AT + 84])
                == bytes32(job[RollupState.JOB_MODEL_ID:RollupState.JOB_MODEL_ID + 32])
            && address(bytes20(b[CLAIM_AT + 32:CLAIM_AT + 52])) == from;
    }

    /// Where a job record's parts start: `claimAt` the opt(claim) flag after the inputCid, `genAt`
    /// the opt(generation) flag (encoding.ts jobBytes). Reverts BadJobRecord on a tail that does
    /// not parse up to there.
    function _jobTail(bytes calldata v) internal pure returns (uint256 claimAt, uint256 genAt) {
        RollupState.checkJobHead(v);
        claimAt = RollupState.JOB_HEAD + 2 + uint16(bytes2(v[RollupState.JOB_HEAD:RollupState.JOB_HEAD + 2]));
        uint256 p = claimAt;
        if (v.length <= p) revert RollupState.BadJobRecord(v.length);
        if (uint8(v[p++]) == 1) {
            p += CLAIM_FIXED;
            for (uint256 k = 0; k < 2; k++) {
                if (v.length < p + 2) revert RollupState.BadJobRecord(v.length);
                p += 2 + uint16(bytes2(v[p:p + 2]));
            }
        }
        if (v.length <= p) revert RollupState.BadJobRecord(v.length);
        if (uint8(v[p++]) == 1) p += 65;
        if (v.length <= p) revert RollupState.BadJobRecord(v.length);
        genAt = p;
    }

    /// The job record after the claim up to its opt(generation): status submitted (disputed when a
    /// dispute on the job is already open), submittedAt the block time, the claim and its
    /// signature in the tail. The record is this then 0x00 for a single-pass job, or 0x01 || the
    /// job's window, prompt and params || 0x01 || the generated tokens, appended by the caller
    /// from calldata (a generation's tokens copied once, into the record's bytes).
    function _submittedJobPrefix(bytes calldata job, uint256 claimAt, bytes calldata b, uint256 claimEnd, bool disputed)
        internal
        pure
        returns (bytes memory)
    {
        bytes memory head = _submittedHead(job, bytes8(b[1:9]), disputed);
        bytes memory claim = abi.encodePacked(job[RollupState.JOB_HEAD:claimAt], uint8(1), b[CLAIM_AT:claimEnd]);
        return abi.encodePacked(head, claim, uint8(1), b[claimEnd:claimEnd + 65]);
    }

    /// The job's head submitted at `submittedAt`: its status and submittedAt patched.
    function _submittedHead(bytes calldata job, bytes8 submittedAt, bool disputed) internal pure returns (bytes memory) {
        return abi.encodePacked(
            job[0:RollupState.JOB_STATUS],
            disputed ? STATUS_DISPUTED : STATUS_SUBMITTED,
            job[RollupState.JOB_WORKER:RollupState.JOB_WORKER + 21],
            uint8(1),
            submittedAt,
            job[RollupState.JOB_WORKER + 30:RollupState.JOB_HEAD]
        );
    }

    /// The number of open disputes on the job (disputes/<id>: count u16 || (id u256 || claimKey 32)
    /// each; absent: none).
    function _openDisputes(RollupState.RecordProof calldata p) internal pure returns (uint256 n) {
        if (!p.present) return 0;
        if (p.value.length < 2) revert BadDisputesRecord(p.value.length);
        n = uint16(bytes2(p.value[0:2]));
        if (p.value.length != 2 + 64 * n) revert BadDisputesRecord(p.value.length);
    }
}
