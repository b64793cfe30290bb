// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {JobStepBase} from "./JobStepBase.sol";
import {BinaryCid} from "./lib/BinaryCid.sol";
import {RollupState} from "./lib/RollupState.sol";
import {UserTxRules} from "./lib/UserTxRules.sol";

/// @title JobStepRules
/// @notice The one-steps of the worker and job txs (docs/rollup.md 8c): registerWorker, postJob,
/// claimJob, submitResult, finalize, the same rules as sequencer/state/machine.ts on records proven against the state root
/// (layouts: sequencer/fault-proof/encoding.ts). BatchStepVerifier creates it and hands it these tx
/// types, so neither contract nears EIP-170 as more rules come.
/// What it shares with GenerationStepRules (the user tx around a rule, the shared part of a
/// submitted claim) is JobStepBase's.
contract JobStepRules is JobStepBase {
    uint8 internal constant TX_REGISTER_WORKER = 0x03;
    uint8 internal constant TX_POST_JOB = 0x04;
    uint8 internal constant TX_CLAIM_JOB = 0x06;
    uint8 internal constant TX_SUBMIT_RESULT = 0x07;
    uint8 internal constant TX_FINALIZE = 0x08;
    /// encoding.ts REFUND_REASON["deadline missed"].
    uint8 internal constant REFUND_DEADLINE_MISSED = 1;
    bytes32 internal constant REGISTER_WORKER_TYPEHASH = keccak256(
        "RegisterWorker(address from,uint64 nonce,uint256 fee,bytes32[] models,uint256 price,uint32 capacity,string multiaddr)"
    );
    bytes32 internal constant POST_JOB_TYPEHASH = keccak256(
        "PostJob(address from,uint64 nonce,uint256 fee,bytes32 modelId,bytes32 inputRoot,bytes inputCid,uint256 escrow,uint64 deadline)"
    );
    bytes32 internal constant CLAIM_JOB_TYPEHASH =
        keccak256("ClaimJob(address from,uint64 nonce,uint256 fee,bytes32 jobId)");
    bytes32 internal constant FINALIZE_TYPEHASH =
        keccak256("Finalize(address from,uint64 nonce,uint256 fee,bytes32 jobId)");
    bytes32 internal constant SUBMIT_RESULT_TYPEHASH = keccak256(
        "SubmitResult(address from,uint64 nonce,uint256 fee,Claim claim,bytes claimSignature)Claim(bytes32 jobId,address worker,bytes32 modelId,bytes32 inputRoot,bytes32 outputRoot,bytes32 traceRoot,bytes32 generationSpec,bytes outputCid,bytes traceCid)"
    );

    error NotAJobTx(uint8 txType);

    constructor(
        bytes32 l2DomainSeparator_,
        uint256 minFee_,
        address feeRecipient_,
        uint256 claimCollateral_,
        uint64 challengeWindowMs_,
        address bridge
    ) JobStepBase(l2DomainSeparator_, minFee_, feeRecipient_, claimCollateral_, challengeWindowMs_, bridge) {}

    /// BatchStepVerifier.step for the tx types here, with its ABI (the verifier forwards its calldata
    /// as it is): pre = (state root, message chain, inbox hash). `applied` false when the rule
    /// refuses the tx (post is then pre). These are user txs: the inbox hash passes through, and
    /// the message chain too except for a finalize of an L1 job (its refund or result message). Reverts when a proof does not open the root, a record is malformed or the tx
    /// bytes are not a tx of these types.
    function step(bytes32[3] calldata pre, bytes calldata b, RollupState.RecordProof[] calldata records)
        external
        view
        returns (bool applied, bytes32[3] memory post)
    {
        uint8 kind = uint8(b[0]);
        Step memory s;
        if (kind == TX_REGISTER_WORKER) s = _registerWorker(b, records);
        else if (kind == TX_POST_JOB) s = _postJob(b, records);
        else if (kind == TX_CLAIM_JOB) s = _claimJob(b, records);
        else if (kind == TX_SUBMIT_RESULT) s = _submitResult(b, records);
        else if (kind == TX_FINALIZE) s = _finalize(b, records);
        else revert NotAJobTx(kind);
        (applied, post[0]) = _finish(pre[0], s, records);
        post[1] = applied && s.message != bytes32(0) ? sha256(abi.encodePacked(pre[1], s.message)) : pre[1];
        post[2] = pre[2];
    }

    // ------------------------------------------------------------------ registerWorker

    /// 0x03 || from 20 || nonce 8 || fee 32 || price 32 || capacity 4 || modelCount 1 || models 32 each
    /// || multiaddrLen 2 || multiaddr || sig 65; BadTxEncoding also for more than 32 models, a nonce
    /// past 2^53 - 1 or a multiaddr L2 refuses (UserTxRules). The worker record is the tx's fields with the active
    /// count kept: address || price || capacity || active || (modelCount .. multiaddr) as in the tx.
    function _registerWorker(bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (Step memory s)
    {
        if (b.length < 98) revert BadTxEncoding(TX_REGISTER_WORKER, b.length);
        uint256 n = uint8(b[97]);
        uint256 modelsEnd = 98 + 32 * n;
        if (b.length < modelsEnd + 2 + 65) revert BadTxEncoding(TX_REGISTER_WORKER, b.length);
        uint256 addrEnd = modelsEnd + 2 + uint16(bytes2(b[modelsEnd:modelsEnd + 2]));
        if (b.length != addrEnd + 65) revert BadTxEncoding(TX_REGISTER_WORKER, b.length);
        // the fields decodeTx checks (docs/rollup.md 8a): from the bytes alone, before any record
        if (
            n > UserTxRules.MAX_MODELS || !UserTxRules.safeInteger(b, 21)
                || !UserTxRules.multiaddrOk(b[modelsEnd + 2:addrEnd])
        ) revert BadTxEncoding(TX_REGISTER_WORKER, b.length);
        address from = address(bytes20(b[1:21]));
        s = _open(
            from,
            uint64(bytes8(b[21:29])),
            uint256(bytes32(b[29:61])),
            _registerWorkerDigest(b, modelsEnd, addrEnd),
            b[addrEnd:addrEnd + 65],
            1,
            records
        );
        uint256 w = s.accounts;
        s.paths[w] = RollupState.workerPath(from);
        uint32 active;
        if (records[w].present) {
            RollupState.checkWorker(records[w].value);
            active = RollupState.workerActive(records[w].value);
        }
        if (!s.ok) return s;
        // models: duplicate model id
        for (uint256 i = 0; i < n; i++) {
            for (uint256 j = i + 1; j < n; j++) {
                if (bytes32(b[98 + 32 * i:130 + 32 * i]) == bytes32(b[98 + 32 * j:130 + 32 * j])) {
                    s.ok = false;
                    return s;
                }
            }
        }
        s.hashes[w] = sha256(abi.encodePacked(from, b[61:97], active, b[97:addrEnd]));
    }

    function _registerWorkerDigest(bytes calldata b, uint256 modelsEnd, uint256 addrEnd)
        internal
        view
        returns (bytes32)
    {
        return _digest(
            keccak256(
                abi.encode(
                    REGISTER_WORKER_TYPEHASH,
                    address(bytes20(b[1:21])),
                    uint64(bytes8(b[21:29])),
                    uint256(bytes32(b[29:61])),
                    keccak256(b[98:modelsEnd]),
                    uint256(bytes32(b[61:93])),
                    uint32(bytes4(b[93:97])),
                    keccak256(b[modelsEnd + 2:addrEnd])
                )
            )
        );
    }

    // ------------------------------------------------------------------ postJob

    /// 0x04 || blockTime 8 || from 20 || nonce 8 || fee 32 || modelId 32 || inputRoot 32 || escrow 32
    /// || deadline 8 || cidLen 1 || inputCid || sig 65. Records: accounts, model/<modelId> (read),
    /// job/<this tx's hash> (must be absent; written).
    function _postJob(bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (Step memory s)
    {
        if (b.length < 174) revert BadTxEncoding(TX_POST_JOB, b.length);
        uint256 cidEnd = 174 + uint8(b[173]);
        if (b.length != cidEnd + 65) revert BadTxEncoding(TX_POST_JOB, b.length);
        // a deadline past 2^53 - 1 is no tx L2 holds (a JS number): the bytes encode none, as TS reads them
        if (!UserTxRules.safeInteger(b, 165)) revert BadTxEncoding(TX_POST_JOB, b.length);
        address from = address(bytes20(b[9:29]));
        bytes32 jobId = _postJobDigest(b, cidEnd);
        s = _open(from, uint64(bytes8(b[29:37])), uint256(bytes32(b[37:69])), jobId, b[cidEnd:], 2, records);
        uint256 m = s.accounts;
        s.paths[m] = RollupState.modelPath(bytes32(b[69:101]));
        s.paths[m + 1] = RollupState.jobPath(jobId);
        s.hashes[m] = RollupState.oldValueHash(records[m]);
        uint256 escrow = uint256(bytes32(b[133:165]));
        uint64 blockTime = uint64(bytes8(b[1:9]));
        // machine.ts postJob then checkServable: a CID, escrow > 0, deadline after the block time,
        // the model registered, a fresh job id, the escrow from the balance
        if (
            !s.ok || !BinaryCid.isValid(b[174:cidEnd]) || escrow == 0 || uint64(bytes8(b[165:173])) <= blockTime
                || !records[m].present || records[m + 1].present || s.sender.balance < escrow
        ) {
            s.ok = false;
            return s;
        }
        s.sender.balance -= escrow;
        s.hashes[m + 1] = sha256(_newJob(jobId, from, b, blockTime, cidEnd));
    }

    /// The postJob's EIP-712 digest: its tx hash, the posted job's id.
    function _postJobDigest(bytes calldata b, uint256 cidEnd) internal view returns (bytes32) {
        return _digest(
            keccak256(
                abi.encode(
                    POST_JOB_TYPEHASH,
                    address(bytes20(b[9:29])),
                    uint64(bytes8(b[29:37])),
                    uint256(bytes32(b[37:69])),
                    bytes32(b[69:101]),
                    bytes32(b[101:133]),
                    keccak256(b[174:cidEnd]),
                    uint256(bytes32(b[133:165])),
                    uint64(bytes8(b[165:173]))
                )
            )
        );
    }

    /// The record of a fresh L2 job (encoding.ts jobBytes): status open, no worker, claim or
    /// generation; postedAt the block time.
    function _newJob(bytes32 jobId, address from, bytes calldata b, uint64 blockTime, uint256 cidEnd)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            _newJobHead(jobId, from, b[69:173], blockTime), // modelId, inputRoot, escrow, deadline
            abi.encodePacked(uint16(cidEnd - 174), b[174:cidEnd], uint8(0), uint8(0), uint8(0))
        );
    }

    // ------------------------------------------------------------------ claimJob

    /// 0x06 || blockTime 8 || from 20 || nonce 8 || fee 32 || jobId 32 || sig 65. Records: accounts,
    /// job/<jobId>, worker/<from>, stake/<from>.
    function _claimJob(bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (Step memory s)
    {
        if (b.length != 166) revert BadTxEncoding(TX_CLAIM_JOB, b.length);
        address from = address(bytes20(b[9:29]));
        bytes32 jobId = bytes32(b[69:101]);
        bytes32 digest = _digest(
            keccak256(
                abi.encode(CLAIM_JOB_TYPEHASH, from, uint64(bytes8(b[29:37])), uint256(bytes32(b[37:69])), jobId)
            )
        );
        s = _open(from, uint64(bytes8(b[29:37])), uint256(bytes32(b[37:69])), digest, b[101:166], 3, records);
        uint256 j = s.accounts;
        s.paths[j] = RollupState.jobPath(jobId);
        s.paths[j + 1] = RollupState.workerPath(from);
        s.paths[j + 2] = RollupState.stakePath(from);
        RollupState.RecordProof calldata job = records[j];
        RollupState.RecordProof calldata worker = records[j + 1];
        if (job.present) RollupState.checkJobHead(job.value);
        if (worker.present) RollupState.checkWorker(worker.value);
        RollupState.Stake memory st = RollupState.decodeStake(records[j + 2]);
        s.ok = s.ok && job.present && _claimable(job.value, uint64(bytes8(b[1:9]))) && worker.present
            && RollupState.workerServes(worker.value, bytes32(job.value[RollupState.JOB_MODEL_ID:RollupState.JOB_MODEL_ID + 32]))
            && RollupState.workerActive(worker.value) < RollupState.workerCapacity(worker.value)
            && (claimCollateral == 0 || st.active / claimCollateral >= uint256(st.backing) + 1);
        if (!s.ok) return s;
        st.backing += 1;
        s.hashes[j] = sha256(
            abi.encodePacked(
                job.value[0:RollupState.JOB_STATUS],
                uint8(STATUS_CLAIMED),
                uint8(1),
                from,
                job.value[RollupState.JOB_WORKER + 21:]
            )
        );
        s.hashes[j + 1] = sha256(
            abi.encodePacked(
                worker.value[0:RollupState.WORKER_ACTIVE],
                RollupState.workerActive(worker.value) + 1,
                worker.value[RollupState.WORKER_ACTIVE + 4:]
            )
        );
        s.hashes[j + 2] = RollupState.stakeValueHash(st);
    }

    /// machine.ts claimJob: the job is open and its deadline not passed at the block time.
    function _claimable(bytes calldata job, uint64 blockTime) internal pure returns (bool) {
        return uint8(job[RollupState.JOB_STATUS]) == STATUS_OPEN
            && blockTime <= uint64(bytes8(job[RollupState.JOB_DEADLINE:RollupState.JOB_DEADLINE + 8]));
    }

    // ------------------------------------------------------------------ submitResult

    /// 0x07 || blockTime 8 || from 20 || nonce 8 || fee 32 || claim (jobId 32, worker 20, modelId 32,
    /// inputRoot 32, outputRoot 32, traceRoot 32, generationSpec 32, outputCid and traceCid each a u16
    /// length then bytes) || claimSignature 65 || sig 65. Records: accounts, job/<jobId>,
    /// disputes/<jobId> (read), stake/<from> (read), worker/<from> (active count freed).
    function _submitResult(bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (Step memory s)
    {
        uint256 claimEnd = _claimEnd(TX_SUBMIT_RESULT, b);
        if (b.length != claimEnd + 130) revert BadTxEncoding(TX_SUBMIT_RESULT, b.length);
        bytes32 claimHash = _claimStructHash(b[CLAIM_AT:claimEnd]);
        s = _open(
            address(bytes20(b[9:29])),
            uint64(bytes8(b[29:37])),
            uint256(bytes32(b[37:69])),
            _submitResultDigest(b, claimHash, claimEnd),
            b[claimEnd + 65:],
            4,
            records
        );
        _claimRecords(s, bytes32(b[CLAIM_AT:CLAIM_AT + 32]), records);
        _acceptClaim(s, b, records, claimEnd, claimHash);
        if (s.ok) _singlePassClaim(s, b, records, claimEnd);
    }

    /// submitResult's own rule after the shared part: a single-pass job, the claim's inputRoot the
    /// job's, no generationSpec; writes the job.
    function _singlePassClaim(Step memory s, bytes calldata b, RollupState.RecordProof[] calldata records, uint256 claimEnd)
        internal
        pure
    {
        bool disputed = _openDisputes(records[s.accounts + 1]) > 0;
        bytes calldata job = records[s.accounts].value;
        uint256 claimAt;
        {
            uint256 genAt;
            (claimAt, genAt) = _jobTail(job);
            s.ok = uint8(job[genAt]) == 0
                && bytes32(b[CLAIM_INPUT_ROOT:CLAIM_INPUT_ROOT + 32])
                    == bytes32(job[RollupState.JOB_MODEL_ID + 32:RollupState.JOB_MODEL_ID + 64])
                && bytes32(b[CLAIM_SPEC:CLAIM_SPEC + 32]) == bytes32(0);
            if (!s.ok) return;
            if (job.length != genAt + 1) revert RollupState.BadJobRecord(job.length);
        }
        s.hashes[s.accounts] = sha256(abi.encodePacked(_submittedJobPrefix(job, claimAt, b, claimEnd, disputed), uint8(0)));
    }

    function _submitResultDigest(bytes calldata b, bytes32 claimHash, uint256 claimEnd)
        internal
        view
        returns (bytes32)
    {
        return _digest(
            keccak256(
                abi.encode(
                    SUBMIT_RESULT_TYPEHASH,
                    address(bytes20(b[9:29])),
                    uint64(bytes8(b[29:37])),
                    uint256(bytes32(b[37:69])),
                    claimHash,
                    keccak256(b[claimEnd:claimEnd + 65])
                )
            )
        );
    }

    // ------------------------------------------------------------------ finalize

    /// 0x08 || blockTime 8 || from 20 || nonce 8 || fee 32 || jobId 32 || sig 65. Records (steps.ts
    /// touchedKeys): accounts, job/<jobId>, then, the job present: the payee's account (the worker of
    /// a submitted job, the requester of an open or claimed L2 job; none for the other statuses and
    /// for an L1 refund) unless it is one of the accounts already listed, and with a worker on the
    /// job: worker/<w>, stake/<w>. machine.ts finalize: a refund after a missed deadline (open or
    /// claimed), the pay after the challenge window (submitted), anything else refused.
    function _finalize(bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (Step memory s)
    {
        if (b.length != 166) revert BadTxEncoding(TX_FINALIZE, b.length);
        Parties memory p;
        p.accounts = uint256(bytes32(b[37:69])) > 0 && feeRecipient != address(bytes20(b[9:29])) ? 2 : 1;
        if (records.length <= p.accounts) revert RecordCount(p.accounts + 1, records.length);
        _finalizeParties(p, records[p.accounts], address(bytes20(b[9:29])));
        p.digest = _digest(
            keccak256(
                abi.encode(
                    FINALIZE_TYPEHASH,
                    address(bytes20(b[9:29])),
                    uint64(bytes8(b[29:37])),
                    uint256(bytes32(b[37:69])),
                    bytes32(b[69:101])
                )
            )
        );
        s = _open(
            address(bytes20(b[9:29])),
            uint64(bytes8(b[29:37])),
            uint256(bytes32(b[37:69])),
            p.digest,
            b[101:166],
            1 + p.payeeRecord + (p.worker != address(0) ? 2 : 0),
            records
        );
        uint256 j = p.accounts;
        s.paths[j] = RollupState.jobPath(bytes32(b[69:101]));
        for (uint256 k = j; k < records.length; k++) {
            s.hashes[k] = RollupState.oldValueHash(records[k]);
        }
        if (p.payeeRecord == 1) s.paths[j + 1] = RollupState.accountPath(p.payee);
        uint256 w = j + 1 + p.payeeRecord;
        if (p.worker != address(0)) {
            s.paths[w] = RollupState.workerPath(p.worker);
            s.paths[w + 1] = RollupState.stakePath(p.worker);
            if (records[w].present) RollupState.checkWorker(records[w].value);
        }
        if (!s.ok || !records[j].present) {
            s.ok = false;
            return s;
        }
        _finalizeRule(s, p, uint64(bytes8(b[1:9])), records);
    }

    /// What a finalize's records name: the job's status, who its escrow goes to as an L2 credit (the
    /// worker of a submitted job, the requester of an open or claimed L2 job, else none), its worker
    /// (0: none), and whether the payee has a record of its own (not the sender nor the fee account).
    struct Parties {
        uint256 accounts;
        uint8 status;
        address payee;
        address worker;
        uint256 payeeRecord;
        bytes32 digest;
    }

    /// machine.ts finalize on the records after the accounts (the job present, the user tx accepted).
    function _finalizeRule(
        Step memory s,
        Parties memory p,
        uint64 blockTime,
        RollupState.RecordProof[] calldata records
    ) internal view {
        uint256 j = p.accounts;
        uint256 w = j + 1 + p.payeeRecord;
        bytes calldata job = records[j].value;
        bool refund = p.status == STATUS_OPEN || p.status == STATUS_CLAIMED;
        if (refund) {
            s.ok = blockTime > uint64(bytes8(job[RollupState.JOB_DEADLINE:RollupState.JOB_DEADLINE + 8]));
        } else {
            s.ok = p.status == STATUS_SUBMITTED && blockTime >= _submittedAt(job) + challengeWindowMs;
        }
        if (!s.ok) return;
        // a refund frees the worker's active count; both release the claim's collateral
        if (refund && p.worker != address(0) && records[w].present && RollupState.workerActive(records[w].value) > 0) {
            s.hashes[w] = sha256(
                abi.encodePacked(
                    records[w].value[0:RollupState.WORKER_ACTIVE],
                    RollupState.workerActive(records[w].value) - 1,
                    records[w].value[RollupState.WORKER_ACTIVE + 4:]
                )
            );
        }
        if (p.worker != address(0)) {
            RollupState.Stake memory st = RollupState.decodeStake(records[w + 1]);
            if (st.backing > 0) {
                st.backing -= 1;
                s.hashes[w + 1] = RollupState.stakeValueHash(st);
            }
        }
        if (p.payee != address(0)) _credit(s, records, p.payee, p.payeeRecord == 1 ? j + 1 : 0, uint256(bytes32(job[150:182])));
        s.hashes[j] = sha256(
            abi.encodePacked(
                job[0:RollupState.JOB_STATUS],
                refund ? STATUS_REFUNDED : STATUS_PAID,
                job[RollupState.JOB_STATUS + 1:RollupState.JOB_HEAD - 1],
                refund ? REFUND_DEADLINE_MISSED : uint8(job[RollupState.JOB_HEAD - 1]),
                job[RollupState.JOB_HEAD:]
            )
        );
        if (uint8(job[32]) == 1) s.message = refund ? _refundLeaf(job, p.digest) : _resultLeaf(job);
    }

    /// Fills `p` from the job record (absent: no parties) and the sender.
    function _finalizeParties(Parties memory p, RollupState.RecordProof calldata r, address from) internal view {
        if (!r.present) return;
        RollupState.checkJobHead(r.value);
        bytes calldata job = r.value;
        p.status = uint8(job[RollupState.JOB_STATUS]);
        if (uint8(job[RollupState.JOB_WORKER]) == 1) {
            p.worker = address(bytes20(job[RollupState.JOB_WORKER + 1:RollupState.JOB_WORKER + 21]));
        }
        if (p.status == STATUS_SUBMITTED) p.payee = p.worker;
        else if ((p.status == STATUS_OPEN || p.status == STATUS_CLAIMED) && uint8(job[32]) == 0) {
            p.payee = address(bytes20(job[33:53]));
        }
        p.payeeRecord = p.payee != address(0) && p.payee != from && (p.accounts == 1 || p.payee != feeRecipient) ? 1 : 0;
    }

    /// machine.ts credit: the escrow to `payee`'s account (the sender's, the fee recipient's or its
    /// own record at `index`).
    function _credit(
        Step memory s,
        RollupState.RecordProof[] calldata records,
        address payee,
        uint256 index,
        uint256 amount
    ) internal view {
        if (amount == 0) return;
        if (payee == s.from) {
            s.sender.balance += amount;
        } else if (index == 0) {
            s.feeAccount.balance += amount;
        } else {
            RollupState.Account memory a = RollupState.decodeAccount(records[index]);
            a.balance += amount;
            s.hashes[index] = RollupState.accountValueHash(a);
        }
    }

    function _submittedAt(bytes calldata job) internal pure returns (uint64) {
        return uint64(bytes8(job[RollupState.JOB_WORKER + 22:RollupState.JOB_WORKER + 30]));
    }

    /// An L1 requester's refund: protocol/withdrawal.ts withdrawalLeaf(requester, escrow, the
    /// finalize's tx hash).
    function _refundLeaf(bytes calldata job, bytes32 txHash) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x57), job[33:53], job[150:182], txHash));
    }

    /// An L1 job's result (machine.ts resultMessage, withdrawal.ts resultLeaf): requestId, the
    /// claim's key in the claim domain, its outputRoot and sha256 of its outputCid, from the claim in
    /// the record's tail.
    function _resultLeaf(bytes calldata job) internal view returns (bytes32) {
        uint256 c = RollupState.JOB_HEAD + 2 + uint16(bytes2(job[RollupState.JOB_HEAD:RollupState.JOB_HEAD + 2]));
        if (job.length < c + 1 + CLAIM_FIXED + 2 || uint8(job[c]) != 1) revert RollupState.BadJobRecord(job.length);
        c += 1;
        uint256 cid1 = c + CLAIM_FIXED + 2;
        uint256 cid1End = cid1 + uint16(bytes2(job[cid1 - 2:cid1]));
        if (job.length < cid1End + 2) revert RollupState.BadJobRecord(job.length);
        uint256 end = cid1End + 2 + uint16(bytes2(job[cid1End:cid1End + 2]));
        if (job.length < end) revert RollupState.BadJobRecord(job.length);
        bytes32 claimKey = keccak256(abi.encodePacked(hex"1901", claimDomainSeparator, _claimStructHash(job[c:end])));
        return sha256(
            abi.encodePacked(bytes1(0x52), job[54:86], claimKey, job[c + 116:c + 148], sha256(job[cid1:cid1End]))
        );
    }
}
