// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BinaryCid} from "./lib/BinaryCid.sol";
import {L2Signature} from "./lib/L2Signature.sol";
import {RollupState} from "./lib/RollupState.sol";

/// @title JobStepRules
/// @notice The one-steps of the worker and job txs (docs/rollup.md 8c): registerWorker, postJob,
/// claimJob, the same rules as sequencer/state/machine.ts on records proven against the state root
/// (layouts: sequencer/fault-proof/encoding.ts). BatchStepVerifier creates it and hands it these tx
/// types, so neither contract nears EIP-170 as more rules come.
/// Records come in steps.ts `touchedKeys` order: sender account, fee recipient account (fee > 0 and
/// not the sender), then the tx type's own records; each proof against the root with the ones
/// before it written, or all against the pre root when the rule refuses the tx.
contract JobStepRules {
    uint8 internal constant TX_REGISTER_WORKER = 0x03;
    uint8 internal constant TX_POST_JOB = 0x04;
    uint8 internal constant TX_CLAIM_JOB = 0x06;
    uint8 internal constant STATUS_OPEN = 0;
    uint8 internal constant STATUS_CLAIMED = 1;

    bytes32 internal constant REGISTER_WORKER_TYPEHASH = keccak256(
        "RegisterWorker(address from,uint64 nonce,uint256 fee,bytes32[] models,uint256 price,uint32 capacity,string multiaddr)"
    );
    bytes32 internal constant POST_JOB_TYPEHASH = keccak256(
        "PostJob(address from,uint64 nonce,uint256 fee,bytes32 modelId,bytes32 inputRoot,bytes inputCid,uint256 escrow,uint64 deadline)"
    );
    bytes32 internal constant CLAIM_JOB_TYPEHASH =
        keccak256("ClaimJob(address from,uint64 nonce,uint256 fee,bytes32 jobId)");

    bytes32 public immutable l2DomainSeparator;
    uint256 public immutable minFee;
    address public immutable feeRecipient;
    /// ChainParams.claimCollateral: the L1 stake each open claim holds (0: no check).
    uint256 public immutable claimCollateral;

    error BadTxEncoding(uint8 txType, uint256 length);
    error RecordCount(uint256 expected, uint256 given);
    error NotAJobTx(uint8 txType);

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
        bytes32[] paths;
        bytes32[] hashes;
    }

    constructor(bytes32 l2DomainSeparator_, uint256 minFee_, address feeRecipient_, uint256 claimCollateral_) {
        l2DomainSeparator = l2DomainSeparator_;
        minFee = minFee_;
        feeRecipient = feeRecipient_;
        claimCollateral = claimCollateral_;
    }

    /// BatchStepVerifier.step for the tx types here: `applied` false when the rule refuses the tx
    /// (the roots are then the pre roots). Reverts when a proof does not open the root, a record is
    /// malformed or the tx bytes are not a tx of these types.
    function step(bytes32 root, bytes32 chain, bytes calldata b, RollupState.RecordProof[] calldata records)
        external
        view
        returns (bool applied, bytes32 postStateRoot, bytes32 postChain)
    {
        uint8 kind = uint8(b[0]);
        Step memory s;
        if (kind == TX_REGISTER_WORKER) s = _registerWorker(b, records);
        else if (kind == TX_POST_JOB) s = _postJob(b, records);
        else if (kind == TX_CLAIM_JOB) s = _claimJob(b, records);
        else revert NotAJobTx(kind);
        return _finish(root, chain, s, records);
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
    function _finish(bytes32 root, bytes32 chain, Step memory s, RollupState.RecordProof[] calldata records)
        internal
        pure
        returns (bool, bytes32, bytes32)
    {
        if (!s.ok) {
            for (uint256 i = 0; i < records.length; i++) {
                RollupState.update(root, s.paths[i], records[i], RollupState.oldValueHash(records[i]));
            }
            return (false, root, chain);
        }
        s.hashes[0] = RollupState.accountValueHash(s.sender);
        if (s.accounts == 2) s.hashes[1] = RollupState.accountValueHash(s.feeAccount);
        bytes32 post = root;
        for (uint256 i = 0; i < records.length; i++) {
            post = RollupState.update(post, s.paths[i], records[i], s.hashes[i]);
        }
        return (true, post, chain);
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
}
