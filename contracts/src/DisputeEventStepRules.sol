// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Bridge} from "./Bridge.sol";
import {DisputeGame} from "./DisputeGame.sol";
import {JobStepBase} from "./JobStepBase.sol";
import {RollupState} from "./lib/RollupState.sol";

/// @title DisputeEventStepRules
/// @notice The one-steps of the txs L2 derives from the DisputeGame's events (docs/rollup.md 8c):
/// disputeOpened (0x86) and disputeResolved (0x87). They are no inbox messages (queuing one would
/// cost the game's own one-step an inbox write), so the tx is checked against what L1 already
/// stores and never changes once written: the game's dispute `disputeId` (its claimer,
/// challenger and claim key, set when it opens; its winner, set once when it ends). Then the rule
/// of sequencer/state/machine.ts `disputeOpened` / `disputeResolved` runs on the job and its
/// disputes record. BatchStepVerifier forwards these tx types' calldata to this contract as it is;
/// deployed apart (like GenerationStepRules: the verifier's init code has no room for it).
/// Records come in steps.ts `touchedKeys` order: job/<jobId>, disputes/<jobId>; an opening then
/// its marker l1/dispute/<disputeId> (L1 opens a dispute once: a present marker refuses a replayed
/// opening, also one after the dispute's resolution, when it is no longer open); a loss of a job
/// still claimed, submitted or disputed then adds, read from the job before the tx, worker/<w>
/// (claimed only), stake/<w> and an L2 requester's account. Each proof is against the root with
/// the ones before written, or all against the pre root when the rule refuses the tx.
/// One more entry may follow when the job record holds no claim yet (claimed, not submitted): a
/// claim witness (its `value` the claim's bytes as a job record holds them, encoding.ts
/// claimBytes; its proof fields unused). L2 then follows a dispute on any claim the worker signed
/// for the job, and L1's dispute does not name the job: a witness whose digest is the dispute's
/// claim key and whose jobId is another job proves the tx's jobId made up (the digest binds the
/// jobId). Without it the tx stands, so an honest tx never loses, and only a challenger holding
/// the disputed claim (its opener, the worker, anyone reading the opening tx's calldata) can
/// prove such a lie.
contract DisputeEventStepRules is JobStepBase {
    uint8 internal constant TX_DISPUTE_OPENED = 0x86;
    uint8 internal constant TX_DISPUTE_RESOLVED = 0x87;
    uint256 internal constant OPENED_LENGTH = 137;
    uint256 internal constant RESOLVED_LENGTH = 118;
    uint8 internal constant REFUND_DISPUTE_LOST = 2;
    /// DisputeGame's winners (WINNER_*): the claimer's win and an unbacked claim leave the claim
    /// standing on L2 (bridge/follower.ts: claimerWon true); the challenger's win and void do not.
    uint8 internal constant WINNER_NONE = 0;
    uint8 internal constant WINNER_CLAIMER = 1;
    uint8 internal constant WINNER_UNBACKED = 4;
    /// Where a job record's opt(disputeId) and refundReason sit in its head (encoding.ts JOB_OFFSETS).
    uint256 internal constant JOB_DISPUTE = 229;
    uint256 internal constant JOB_REASON = 262;
    /// protocol/eip712.ts DisputeResolved: the tx's EIP-712 digest (L2 domain) is its tx hash, which
    /// an L1 job's refund leaf names.
    bytes32 internal constant DISPUTE_RESOLVED_TYPEHASH = keccak256(
        "DisputeResolved(uint256 disputeId,bytes32 jobId,bytes32 claimKey,address claimer,bool claimerWon)"
    );

    /// The DisputeGame whose disputes the txs must match: the Bridge's (checked at deploy).
    DisputeGame public immutable game;

    error NotADisputeEventTx(uint8 txType);
    /// The game given is not the Bridge's disputeGame.
    error DisputeGameMismatch(address given, address bridges);
    /// A claim witness that does not parse as a claim's bytes.
    error BadClaimWitness(uint256 length);
    /// A claim witness whose digest is not the dispute's claim key: it says nothing about the tx.
    error ClaimWitnessNotDisputed(bytes32 digest, bytes32 claimKey);

    /// One tx's fields and the step's records (paths, new value hashes; 0 for one only read and
    /// absent).
    struct Dispute {
        bool resolved; // 0x87
        uint256 id;
        bytes32 jobId;
        bytes32 claimKey;
        address claimer;
        address challenger; // disputeOpened
        bool claimerWon; // disputeResolved
        bool ok;
        uint256 base; // the records touchedKeys lists (a claim witness may follow)
        bytes32[] paths;
        bytes32[] hashes;
        bytes32 message; // an L1 job's refund leaf (0: none)
    }

    constructor(
        bytes32 l2DomainSeparator_,
        uint256 minFee_,
        address feeRecipient_,
        uint256 claimCollateral_,
        uint64 challengeWindowMs_,
        address bridge,
        DisputeGame game_
    ) JobStepBase(l2DomainSeparator_, minFee_, feeRecipient_, claimCollateral_, challengeWindowMs_, bridge) {
        // a Bridge with code must name this game (a codeless one: only the encoding vectors' tests)
        if (bridge.code.length != 0) {
            address bridges = Bridge(payable(bridge)).disputeGame();
            if (bridges != address(game_)) revert DisputeGameMismatch(address(game_), bridges);
        }
        game = game_;
    }

    /// BatchStepVerifier.step for these tx types, with its ABI: pre = (state root, message chain,
    /// inbox hash). `applied` false when L1 holds no such dispute (or outcome) or the rule refuses
    /// the tx (post is then pre). The inbox hash passes through; a lost L1 job sends its refund
    /// leaf. Reverts when a proof does not open the root, a record is malformed, a claim witness
    /// is hostile or the bytes encode no such tx.
    function step(bytes32[3] calldata pre, bytes calldata b, RollupState.RecordProof[] calldata records)
        external
        view
        returns (bool applied, bytes32[3] memory post)
    {
        Dispute memory t = _decode(b);
        if (records.length == 0) revert RecordCount(2, 0);
        bytes calldata job = records[0].value;
        if (records[0].present) RollupState.checkJobHead(job);
        _recordsOf(t, records);
        t.ok = t.ok && records[0].present && _onL1(t);
        if (t.ok) {
            if (!t.resolved) _opened(t, records);
            else if (t.claimerWon) _claimerWon(t, records);
            else _lost(t, records);
        }
        post[2] = pre[2];
        if (!t.ok) {
            for (uint256 i = 0; i < t.base; i++) {
                RollupState.verify(pre[0], t.paths[i], records[i]);
            }
            return (false, [pre[0], pre[1], pre[2]]);
        }
        bytes32 root = pre[0];
        for (uint256 i = 0; i < t.base; i++) {
            if (!records[i].present && t.hashes[i] == bytes32(0)) RollupState.verify(root, t.paths[i], records[i]);
            else root = RollupState.update(root, t.paths[i], records[i], t.hashes[i]);
        }
        post[0] = root;
        post[1] = t.message == bytes32(0) ? pre[1] : sha256(abi.encodePacked(pre[1], t.message));
        applied = true;
    }

    /// 0x86 || disputeId u256 || jobId 32 || claimKey 32 || claimer 20 || challenger 20, or
    /// 0x87 || disputeId || jobId || claimKey || claimer || claimerWon u8 (0 or 1).
    function _decode(bytes calldata b) internal pure returns (Dispute memory t) {
        uint8 kind = b.length == 0 ? 0 : uint8(b[0]);
        if (kind == TX_DISPUTE_OPENED) {
            if (b.length != OPENED_LENGTH) revert BadTxEncoding(kind, b.length);
            t.challenger = address(bytes20(b[117:137]));
        } else if (kind == TX_DISPUTE_RESOLVED) {
            if (b.length != RESOLVED_LENGTH || uint8(b[117]) > 1) revert BadTxEncoding(kind, b.length);
            t.resolved = true;
            t.claimerWon = uint8(b[117]) == 1;
        } else {
            revert NotADisputeEventTx(kind);
        }
        t.id = uint256(bytes32(b[1:33]));
        t.jobId = bytes32(b[33:65]);
        t.claimKey = bytes32(b[65:97]);
        t.claimer = address(bytes20(b[97:117]));
        t.ok = true;
    }

    /// The touched records' paths (steps.ts touchedKeys), each hash first its old value's (a
    /// record left as it is), and the claim witness's place: it may only follow when the job
    /// record holds no claim.
    function _recordsOf(Dispute memory t, RollupState.RecordProof[] calldata records) internal pure {
        bytes calldata job = records[0].value;
        address worker;
        uint8 status;
        if (records[0].present) {
            status = uint8(job[RollupState.JOB_STATUS]);
            if (uint8(job[RollupState.JOB_WORKER]) == 1) {
                worker = address(bytes20(job[RollupState.JOB_WORKER + 1:RollupState.JOB_WORKER + 21]));
            }
        }
        bool loss = t.resolved && !t.claimerWon && records[0].present && _disputable(status);
        bool lostClaimed = loss && worker != address(0) && status == STATUS_CLAIMED;
        bool lostStake = loss && worker != address(0);
        bool lostL2 = loss && uint8(job[32]) == 0;
        t.base = 2 + (t.resolved ? 0 : 1) + (lostClaimed ? 1 : 0) + (lostStake ? 1 : 0) + (lostL2 ? 1 : 0);
        bool witness = records[0].present && !(t.resolved && t.claimerWon) && !_hasClaim(job);
        if (records.length != t.base && !(witness && records.length == t.base + 1)) {
            revert RecordCount(t.base, records.length);
        }
        t.paths = new bytes32[](t.base);
        t.hashes = new bytes32[](t.base);
        t.paths[0] = RollupState.jobPath(t.jobId);
        t.paths[1] = RollupState.disputesPath(t.jobId);
        uint256 k = 2;
        if (!t.resolved) t.paths[k++] = RollupState.disputePath(t.id);
        if (lostClaimed) t.paths[k++] = RollupState.workerPath(worker);
        if (lostStake) t.paths[k++] = RollupState.stakePath(worker);
        if (lostL2) t.paths[k++] = RollupState.accountPath(address(bytes20(job[33:53])));
        for (uint256 i = 0; i < t.base; i++) {
            t.hashes[i] = RollupState.oldValueHash(records[i]);
        }
    }

    /// What L1 stores for the dispute agrees with the tx: the game has it, with this claimer and
    /// claim key (and challenger: disputeOpened); a resolution only of a dispute L1 ended, with a
    /// winner that maps to claimerWon. All of it is written when the dispute opens or once when
    /// it ends, so a later read sees what the tx saw (a dispute still running now was running
    /// then).
    function _onL1(Dispute memory t) internal view returns (bool) {
        if (address(game).code.length == 0 || t.id >= game.disputeCount()) return false;
        DisputeGame.Dispute memory d = game.getDispute(t.id);
        if (d.claimer != t.claimer || d.claimKey != t.claimKey) return false;
        if (!t.resolved) return d.challenger == t.challenger;
        if (d.winner == WINNER_NONE) return false;
        return (d.winner == WINNER_CLAIMER || d.winner == WINNER_UNBACKED) == t.claimerWon;
    }

    // ------------------------------------------------------------------ the rules

    /// machine.ts disputeOpened: never opened before (its marker absent), the job still
    /// disputable, the dispute on its worker's claim, not already open; the marker is written, the
    /// dispute joins the open ones, a submitted job becomes disputed (a claimed one stays claimed)
    /// and its disputeId is this one.
    function _opened(Dispute memory t, RollupState.RecordProof[] calldata records) internal view {
        bytes calldata job = records[0].value;
        uint8 status = uint8(job[RollupState.JOB_STATUS]);
        (uint256 n,) = _find(records[1], t);
        t.ok = !RollupState.isSeen(records[2]) && _disputable(status) && _concernsJob(t, records)
            && !_isOpen(records[1], t.id);
        if (!t.ok) return;
        t.hashes[2] = RollupState.SEEN_VALUE_HASH;
        t.hashes[1] = sha256(
            abi.encodePacked(uint16(n + 1), n == 0 ? bytes("") : records[1].value[2:], t.id, t.claimKey)
        );
        t.hashes[0] = _jobHash(job, status == STATUS_CLAIMED ? STATUS_CLAIMED : STATUS_DISPUTED, true, t.id);
    }

    /// machine.ts disputeResolved with claimerWon: the dispute must be one L2 follows (open on the
    /// job with this claim key); it closes, a disputed job goes back to submitted once none is
    /// left open, and the job's disputeId is the latest one left.
    function _claimerWon(Dispute memory t, RollupState.RecordProof[] calldata records) internal pure {
        (uint256 n, uint256 at) = _find(records[1], t);
        t.ok = at < n;
        if (!t.ok) return;
        bytes calldata list = records[1].value;
        uint256 from = 2 + 64 * at;
        t.hashes[1] = sha256(abi.encodePacked(uint16(n - 1), list[2:from], list[from + 64:]));
        bytes calldata job = records[0].value;
        uint8 status = uint8(job[RollupState.JOB_STATUS]);
        if (status == STATUS_DISPUTED && n == 1) status = STATUS_SUBMITTED;
        if (n == 1) {
            t.hashes[0] = _jobHash(job, status, false, 0);
        } else {
            // the last one left: the list's last entry, or the one before it when that is the closed one
            uint256 last = at == n - 1 ? n - 2 : n - 1;
            t.hashes[0] = _jobHash(job, status, true, uint256(bytes32(list[2 + 64 * last:34 + 64 * last])));
        }
    }

    /// machine.ts disputeResolved with the claimer's loss (or void): the job still claimed,
    /// submitted or disputed; a dispute L2 did not follow must concern the job as disputeOpened
    /// checks it. The job's open disputes are dropped, a claimed job's worker freed, the claim's
    /// collateral released, and the escrow refunded (reason dispute lost): credited to an L2
    /// requester, sent to an L1 one as a withdrawal leaf named by this tx's hash.
    function _lost(Dispute memory t, RollupState.RecordProof[] calldata records) internal view {
        bytes calldata job = records[0].value;
        uint8 status = uint8(job[RollupState.JOB_STATUS]);
        (uint256 n, uint256 at) = _find(records[1], t);
        t.ok = _disputable(status) && (at < n || _concernsJob(t, records));
        if (!t.ok) return;
        t.hashes[1] = sha256(abi.encodePacked(uint16(0)));
        uint256 k = _released(t, records, status == STATUS_CLAIMED);
        _refunded(t, records, k);
        t.hashes[0] = sha256(
            abi.encodePacked(
                job[0:RollupState.JOB_STATUS],
                STATUS_REFUNDED,
                job[RollupState.JOB_WORKER:JOB_DISPUTE],
                uint8(1),
                t.id,
                REFUND_DISPUTE_LOST,
                job[RollupState.JOB_HEAD:]
            )
        );
    }

    /// machine.ts releaseWorker (a claimed job only: its worker's active count) and
    /// releaseCollateral (the claim's backing); returns the index of the record after them.
    function _released(Dispute memory t, RollupState.RecordProof[] calldata records, bool claimed)
        internal
        pure
        returns (uint256 k)
    {
        k = 2;
        if (claimed) {
            RollupState.RecordProof calldata w = records[k];
            if (w.present) {
                RollupState.checkWorker(w.value);
                uint32 active = RollupState.workerActive(w.value);
                if (active > 0) {
                    t.hashes[k] = sha256(
                        abi.encodePacked(
                            w.value[0:RollupState.WORKER_ACTIVE], active - 1, w.value[RollupState.WORKER_ACTIVE + 4:]
                        )
                    );
                }
            }
            k++;
        }
        RollupState.Stake memory st = RollupState.decodeStake(records[k]);
        if (st.backing > 0) {
            st.backing -= 1;
            t.hashes[k] = RollupState.stakeValueHash(st);
        }
        k++;
    }

    /// machine.ts refund's escrow: an L2 requester's account (record `k`) credited, an L1
    /// requester sent the withdrawal leaf sha256(0x57 || requester || escrow || this tx's hash).
    function _refunded(Dispute memory t, RollupState.RecordProof[] calldata records, uint256 k) internal view {
        bytes calldata job = records[0].value;
        uint256 escrow = uint256(bytes32(job[150:182]));
        if (uint8(job[32]) == 1) {
            t.message = sha256(abi.encodePacked(bytes1(0x57), job[33:53], escrow, _txHash(t)));
        } else if (escrow > 0) {
            RollupState.Account memory a = RollupState.decodeAccount(records[k]);
            a.balance += escrow;
            t.hashes[k] = RollupState.accountValueHash(a);
        }
    }

    // ------------------------------------------------------------------ helpers

    function _disputable(uint8 status) internal pure returns (bool) {
        return status == STATUS_CLAIMED || status == STATUS_SUBMITTED || status == STATUS_DISPUTED;
    }

    /// machine.ts checkDisputedClaim: the job has a worker and the dispute is against it; once a
    /// claim is submitted, the dispute's claim key is that claim's digest. Before that, any claim
    /// the worker signed for the job counts, and a claim witness (the last record) refutes the tx
    /// when the disputed claim names another job.
    function _concernsJob(Dispute memory t, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bool)
    {
        bytes calldata job = records[0].value;
        if (uint8(job[RollupState.JOB_WORKER]) != 1) return false;
        if (address(bytes20(job[RollupState.JOB_WORKER + 1:RollupState.JOB_WORKER + 21])) != t.claimer) return false;
        (uint256 claimAt,) = _jobTail(job);
        if (uint8(job[claimAt]) == 1) {
            uint256 end = _claimBytesEnd(job, claimAt + 1);
            return _claimKey(job[claimAt + 1:end]) == t.claimKey;
        }
        if (records.length == t.base) return true;
        bytes calldata w = records[t.base].value;
        if (_claimBytesEnd(w, 0) != w.length) revert BadClaimWitness(w.length);
        bytes32 digest = _claimKey(w);
        if (digest != t.claimKey) revert ClaimWitnessNotDisputed(digest, t.claimKey);
        return bytes32(w[0:32]) == t.jobId;
    }

    function _hasClaim(bytes calldata job) internal pure returns (bool) {
        (uint256 claimAt,) = _jobTail(job);
        return uint8(job[claimAt]) == 1;
    }

    /// Where a claim's bytes starting at `at` end (its two CIDs are length-prefixed); reverts
    /// BadClaimWitness when they do not fit.
    function _claimBytesEnd(bytes calldata v, uint256 at) internal pure returns (uint256 end) {
        end = at + CLAIM_FIXED;
        for (uint256 k = 0; k < 2; k++) {
            if (v.length < end + 2) revert BadClaimWitness(v.length);
            end += 2 + uint16(bytes2(v[end:end + 2]));
        }
        if (v.length < end) revert BadClaimWitness(v.length);
    }

    function _claimKey(bytes calldata claim) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", claimDomainSeparator, _claimStructHash(claim)));
    }

    /// The disputes record's entry count (checked layout) and where the tx's (id, claim key) is
    /// in it (`at == n`: not there).
    function _find(RollupState.RecordProof calldata p, Dispute memory t) internal pure returns (uint256 n, uint256 at) {
        n = _openDisputes(p);
        for (at = 0; at < n; at++) {
            uint256 o = 2 + 64 * at;
            if (uint256(bytes32(p.value[o:o + 32])) == t.id && bytes32(p.value[o + 32:o + 64]) == t.claimKey) return (n, at);
        }
    }

    /// Whether dispute `id` is open on the job (whatever its claim key: machine.ts's `already open`).
    function _isOpen(RollupState.RecordProof calldata p, uint256 id) internal pure returns (bool) {
        uint256 n = _openDisputes(p);
        for (uint256 i = 0; i < n; i++) {
            if (uint256(bytes32(p.value[2 + 64 * i:34 + 64 * i])) == id) return true;
        }
        return false;
    }

    /// The job record with its status and opt(disputeId) patched.
    function _jobHash(bytes calldata job, uint8 status, bool hasDispute, uint256 disputeId)
        internal
        pure
        returns (bytes32)
    {
        return sha256(
            abi.encodePacked(
                job[0:RollupState.JOB_STATUS],
                status,
                job[RollupState.JOB_WORKER:JOB_DISPUTE],
                hasDispute ? uint8(1) : uint8(0),
                disputeId,
                job[JOB_REASON:]
            )
        );
    }

    /// The disputeResolved tx's EIP-712 digest under the L2 domain (its tx hash).
    function _txHash(Dispute memory t) internal view returns (bytes32) {
        return _digest(
            keccak256(abi.encode(DISPUTE_RESOLVED_TYPEHASH, t.id, t.jobId, t.claimKey, t.claimer, t.claimerWon))
        );
    }
}
