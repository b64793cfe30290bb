// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BinaryCid} from "./lib/BinaryCid.sol";
import {L2Signature} from "./lib/L2Signature.sol";
import {RollupState} from "./lib/RollupState.sol";

/// @title JobStepRules
/// @notice The one-steps of the worker and job txs (docs/rollup.md 8c): registerWorker, postJob,
/// claimJob, submitResult, finalize, the same rules as sequencer/state/machine.ts on records proven against the state root
/// (layouts: sequencer/fault-proof/encoding.ts). BatchStepVerifier creates it and hands it these tx
/// types, so neither contract nears EIP-170 as more rules come.
/// Records come in steps.ts `touchedKeys` order: sender account, fee recipient account (fee > 0 and
/// not the sender), then the tx type's own records; each proof against the root with the ones
/// before it written, or all against the pre root when the rule refuses the tx.
contract JobStepRules {
    uint8 internal constant TX_REGISTER_WORKER = 0x03;
    uint8 internal constant TX_POST_JOB = 0x04;
    uint8 internal constant TX_CLAIM_JOB = 0x06;
    uint8 internal constant TX_SUBMIT_RESULT = 0x07;
    uint8 internal constant TX_FINALIZE = 0x08;
    uint8 internal constant STATUS_OPEN = 0;
    uint8 internal constant STATUS_CLAIMED = 1;
    uint8 internal constant STATUS_SUBMITTED = 2;
    uint8 internal constant STATUS_DISPUTED = 3;
    uint8 internal constant STATUS_PAID = 4;
    uint8 internal constant STATUS_REFUNDED = 5;
    /// encoding.ts REFUND_REASON["deadline missed"].
    uint8 internal constant REFUND_DEADLINE_MISSED = 1;
    /// A claim's fixed fields (jobId, worker, modelId, inputRoot, outputRoot, traceRoot, generationSpec).
    uint256 internal constant CLAIM_FIXED = 212;

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
    bytes32 internal constant CLAIM_TYPEHASH = keccak256(
        "Claim(bytes32 jobId,address worker,bytes32 modelId,bytes32 inputRoot,bytes32 outputRoot,bytes32 traceRoot,bytes32 generationSpec,bytes outputCid,bytes traceCid)"
    );
    bytes32 internal constant SUBMIT_RESULT_TYPEHASH = keccak256(
        "SubmitResult(address from,uint64 nonce,uint256 fee,Claim claim,bytes claimSignature)Claim(bytes32 jobId,address worker,bytes32 modelId,bytes32 inputRoot,bytes32 outputRoot,bytes32 traceRoot,bytes32 generationSpec,bytes outputCid,bytes traceCid)"
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
    error NotAJobTx(uint8 txType);
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

    // ------------------------------------------------------------------ registerWorker

    /// 0x03 || from 20 || nonce 8 || fee 32 || price 32 || capacity 4 || modelCount 1 || models 32 each
    /// || multiaddrLen 2 || multiaddr || sig 65. The worker record is the tx's fields with the active
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
            abi.encodePacked(jobId, uint8(0), from, uint8(0), bytes32(0)),
            b[69:173], // modelId, inputRoot, escrow, deadline
            blockTime, // postedAt
            abi.encodePacked(uint8(STATUS_OPEN), uint8(0), bytes20(0), uint8(0), bytes8(0)),
            abi.encodePacked(uint8(0), bytes32(0), uint8(0)), // disputeId, refundReason
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
        uint256 claimEnd = _claimEnd(b);
        if (b.length != claimEnd + 130) revert BadTxEncoding(TX_SUBMIT_RESULT, b.length);
        bytes32 claimHash = _claimStructHash(b[69:claimEnd]);
        address from = address(bytes20(b[9:29]));
        s = _open(
            from,
            uint64(bytes8(b[29:37])),
            uint256(bytes32(b[37:69])),
            _submitResultDigest(b, claimHash, claimEnd),
            b[claimEnd + 65:],
            4,
            records
        );
        uint256 j = s.accounts;
        s.paths[j] = RollupState.jobPath(bytes32(b[69:101]));
        s.paths[j + 1] = RollupState.disputesPath(bytes32(b[69:101]));
        s.paths[j + 2] = RollupState.stakePath(from);
        s.paths[j + 3] = RollupState.workerPath(from);
        for (uint256 k = j + 1; k < j + 4; k++) {
            s.hashes[k] = RollupState.oldValueHash(records[k]);
        }
        _acceptClaim(s, b, records, claimEnd, claimHash);
    }

    /// machine.ts acceptClaim and submitResult's own checks, on the records after the accounts;
    /// writes the job (claim submitted) and frees the worker's active count.
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
        s.ok = s.ok && records[j].present && _stakeCovers(records[j + 2]);
        if (!s.ok) return;
        uint256 tail = _singlePassTail(records[j].value);
        s.ok = tail != 0 && _claimMatchesJob(b, records[j].value, s.from)
            && _claimSigner(claimHash, b[claimEnd:claimEnd + 65]) == s.from;
        if (!s.ok) return;
        s.hashes[j] =
            _submittedJobHash(records[j].value, tail, b, claimEnd, _openDisputes(records[j + 1]) > 0);
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

    /// The job record after the claim: status submitted (disputed when a dispute on the job is
    /// already open), submittedAt the block time, the claim and its signature in the tail.
    function _submittedJobHash(bytes calldata job, uint256 tail, bytes calldata b, uint256 claimEnd, bool disputed)
        internal
        pure
        returns (bytes32)
    {
        return sha256(
            abi.encodePacked(
                abi.encodePacked(
                    job[0:RollupState.JOB_STATUS],
                    disputed ? STATUS_DISPUTED : STATUS_SUBMITTED,
                    job[RollupState.JOB_WORKER:RollupState.JOB_WORKER + 21],
                    uint8(1),
                    bytes8(b[1:9]), // submittedAt: the block time
                    job[RollupState.JOB_WORKER + 30:RollupState.JOB_HEAD]
                ),
                job[RollupState.JOB_HEAD:tail], // inputCid
                uint8(1),
                b[69:claimEnd], // the claim
                uint8(1),
                b[claimEnd:claimEnd + 65], // its signature
                uint8(0) // no generation
            )
        );
    }

    /// Where the claim in a submitResult's bytes ends (its two CIDs are length-prefixed).
    function _claimEnd(bytes calldata b) internal pure returns (uint256 end) {
        end = 69 + CLAIM_FIXED;
        if (b.length < end + 2) revert BadTxEncoding(TX_SUBMIT_RESULT, b.length);
        end += 2 + uint16(bytes2(b[end:end + 2]));
        if (b.length < end + 2) revert BadTxEncoding(TX_SUBMIT_RESULT, b.length);
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

    /// The job is claimed by `from`, its deadline not passed, and the claim is about it: its job id
    /// (the record's), model, input root, no generation spec, and it names `from` as its worker.
    function _claimMatchesJob(bytes calldata b, bytes calldata job, address from) internal pure returns (bool) {
        return uint8(job[RollupState.JOB_STATUS]) == STATUS_CLAIMED && uint8(job[RollupState.JOB_WORKER]) == 1
            && address(bytes20(job[RollupState.JOB_WORKER + 1:RollupState.JOB_WORKER + 21])) == from
            && uint64(bytes8(b[1:9])) <= uint64(bytes8(job[RollupState.JOB_DEADLINE:RollupState.JOB_DEADLINE + 8]))
            && bytes32(b[121:153]) == bytes32(job[RollupState.JOB_MODEL_ID:RollupState.JOB_MODEL_ID + 32])
            && bytes32(b[153:185]) == bytes32(job[RollupState.JOB_MODEL_ID + 32:RollupState.JOB_MODEL_ID + 64])
            && bytes32(b[249:281]) == bytes32(0) && address(bytes20(b[101:121])) == from;
    }

    /// Where a job record's inputCid ends (the tail after it is rewritten), or 0 when the job is a
    /// generation job (submitResult refuses it: its result is a submitGeneration). Reverts
    /// BadJobRecord on a tail that does not parse.
    function _singlePassTail(bytes calldata v) internal pure returns (uint256 cidEnd) {
        RollupState.checkJobHead(v);
        cidEnd = RollupState.JOB_HEAD + 2 + uint16(bytes2(v[RollupState.JOB_HEAD:RollupState.JOB_HEAD + 2]));
        uint256 p = cidEnd;
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
        if (uint8(v[p]) != 0) return 0;
        if (v.length != p + 1) revert RollupState.BadJobRecord(v.length);
    }

    /// The number of open disputes on the job (disputes/<id>: count u16 || (id u256 || claimKey 32)
    /// each; absent: none).
    function _openDisputes(RollupState.RecordProof calldata p) internal pure returns (uint256 n) {
        if (!p.present) return 0;
        if (p.value.length < 2) revert BadDisputesRecord(p.value.length);
        n = uint16(bytes2(p.value[0:2]));
        if (p.value.length != 2 + 64 * n) revert BadDisputesRecord(p.value.length);
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
