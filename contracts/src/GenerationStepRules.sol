// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {JobStepBase} from "./JobStepBase.sol";
import {GenerationCommitments} from "./lib/GenerationCommitments.sol";
import {RollupState} from "./lib/RollupState.sol";
import {UserTxRules} from "./lib/UserTxRules.sol";

/// @title GenerationStepRules
/// @notice The one-steps of the generation job txs (docs/rollup.md 2a, 8c): postGenerationJob and
/// submitGeneration, the same rules as sequencer/state/machine.ts on records proven against the
/// state root (layouts: sequencer/fault-proof/encoding.ts). BatchStepVerifier creates it beside
/// JobStepRules with the same genesis parameters and forwards these two tx types' calldata to it
/// as it is; the user tx around the rule and the shared part of a submitted claim are
/// JobStepBase's, the generation bindings (params, generationSpec, the int32 [T] tensor root)
/// GenerationCommitments', the ones the L1 token move (GenerationRule) reads.
contract GenerationStepRules is JobStepBase {
    uint8 internal constant TX_POST_GENERATION_JOB = 0x05;
    uint8 internal constant TX_SUBMIT_GENERATION = 0x09;
    bytes32 internal constant POST_GENERATION_JOB_TYPEHASH = keccak256(
        "PostGenerationJob(address from,uint64 nonce,uint256 fee,bytes32 modelId,bytes prompt,uint32 window,bytes params,uint256 escrow,uint64 deadline)"
    );
    bytes32 internal constant SUBMIT_GENERATION_TYPEHASH = keccak256(
        "SubmitGeneration(address from,uint64 nonce,uint256 fee,Claim claim,bytes claimSignature,bytes generated)Claim(bytes32 jobId,address worker,bytes32 modelId,bytes32 inputRoot,bytes32 outputRoot,bytes32 traceRoot,bytes32 generationSpec,bytes outputCid,bytes traceCid)"
    );

    error NotAGenerationTx(uint8 txType);

    constructor(
        bytes32 l2DomainSeparator_,
        uint256 minFee_,
        address feeRecipient_,
        uint256 claimCollateral_,
        uint64 challengeWindowMs_,
        address bridge
    ) JobStepBase(l2DomainSeparator_, minFee_, feeRecipient_, claimCollateral_, challengeWindowMs_, bridge) {}

    /// BatchStepVerifier.step for the two generation tx types, with its ABI (the verifier forwards
    /// its calldata as it is): pre = (state root, message chain, inbox hash). `applied` false when
    /// the rule refuses the tx (post is then pre). User txs that send no message: the message chain
    /// and the inbox hash pass through. Reverts when a proof does not open the root, a record is
    /// malformed or the tx bytes are not a tx of these types.
    function step(bytes32[3] calldata pre, bytes calldata b, RollupState.RecordProof[] calldata records)
        external
        view
        returns (bool applied, bytes32[3] memory post)
    {
        uint8 kind = b.length == 0 ? 0 : uint8(b[0]);
        Step memory s;
        if (kind == TX_POST_GENERATION_JOB) s = _postGenerationJob(b, records);
        else if (kind == TX_SUBMIT_GENERATION) s = _submitGeneration(b, records);
        else revert NotAGenerationTx(kind);
        (applied, post[0]) = _finish(pre[0], s, records);
        post[1] = pre[1];
        post[2] = pre[2];
    }

    // ------------------------------------------------------------------ postGenerationJob

    /// 0x05 || blockTime 8 || from 20 || nonce 8 || fee 32 || modelId 32 || escrow 32 || deadline 8
    /// || window u32 || promptCount u32 || prompt u32 each || paramsLen u16 || params || sig 65
    /// (BadTxEncoding also for fields decodeTx refuses: `_postWellFormed`; the
    /// part from window to params is the job record's generation part as it is). Records: accounts,
    /// model/<modelId> (read), job/<this tx's hash> (must be absent; written).
    function _postGenerationJob(bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (Step memory s)
    {
        if (b.length < 151) revert BadTxEncoding(TX_POST_GENERATION_JOB, b.length);
        uint256 promptEnd = 149 + 4 * uint256(uint32(bytes4(b[145:149])));
        if (b.length < promptEnd + 2) revert BadTxEncoding(TX_POST_GENERATION_JOB, b.length);
        uint256 paramsEnd = promptEnd + 2 + uint16(bytes2(b[promptEnd:promptEnd + 2]));
        if (b.length != paramsEnd + 65) revert BadTxEncoding(TX_POST_GENERATION_JOB, b.length);
        if (!_postWellFormed(b, promptEnd, paramsEnd)) revert BadTxEncoding(TX_POST_GENERATION_JOB, b.length);
        bytes32 jobId = _postGenerationJobDigest(b, promptEnd, paramsEnd);
        s = _open(
            address(bytes20(b[9:29])),
            uint64(bytes8(b[29:37])),
            uint256(bytes32(b[37:69])),
            jobId,
            b[paramsEnd:],
            2,
            records
        );
        uint256 m = s.accounts;
        s.paths[m] = RollupState.modelPath(bytes32(b[69:101]));
        s.paths[m + 1] = RollupState.jobPath(jobId);
        s.hashes[m] = RollupState.oldValueHash(records[m]);
        uint256 escrow = uint256(bytes32(b[101:133]));
        // machine.ts postGenerationJob then checkServable: a window the prompt and maxTokens fit in,
        // escrow > 0, the deadline after the block time, the model registered, a fresh job id, the
        // escrow from the balance
        if (
            !s.ok || !_fits(b, promptEnd, paramsEnd) || escrow == 0 || uint64(bytes8(b[133:141])) <= uint64(bytes8(b[1:9]))
                || !records[m].present || records[m + 1].present || s.sender.balance < escrow
        ) {
            s.ok = false;
            return s;
        }
        (bool tokensOk, bytes32 promptRoot) = _tokensRoot((promptEnd - 149) / 4, b[149:promptEnd], b[0:0]);
        if (!tokensOk) {
            s.ok = false; // a prompt token past 2^31 - 1: no tx L2 decodes
            return s;
        }
        s.sender.balance -= escrow;
        s.hashes[m + 1] = _newGenerationJobHash(jobId, b, paramsEnd, promptRoot);
    }

    /// The record of a fresh generation job (encoding.ts jobBytes): as postJob's, its inputRoot the
    /// prompt's root (generationInputRoot), no inputCid, the generation part as the tx holds it
    /// (window, prompt, params), nothing generated.
    function _newGenerationJobHash(bytes32 jobId, bytes calldata b, uint256 paramsEnd, bytes32 promptRoot)
        internal
        pure
        returns (bytes32)
    {
        bytes memory head = _newJobHead(
            jobId,
            address(bytes20(b[9:29])),
            abi.encodePacked(b[69:101], promptRoot, b[101:141]), // modelId, inputRoot, escrow, deadline
            uint64(bytes8(b[1:9]))
        );
        return sha256(abi.encodePacked(head, uint16(0), uint8(0), uint8(0), uint8(1), b[141:paramsEnd], uint8(0)));
    }

    /// The fields protocol/tx.ts decodeTx checks (docs/rollup.md 8a), from the bytes alone: nonce and
    /// deadline at most 2^53 - 1, window in [2, 8192], 1 to 8192 prompt tokens, each a token id,
    /// params encodeGenerationParams's image (GenerationCommitments.decodeParams).
    function _postWellFormed(bytes calldata b, uint256 promptEnd, uint256 paramsEnd) internal pure returns (bool) {
        uint256 T = uint32(bytes4(b[141:145]));
        uint256 P = uint32(bytes4(b[145:149]));
        (bool ok,) = GenerationCommitments.decodeParams(b[promptEnd + 2:paramsEnd]);
        return ok && UserTxRules.safeInteger(b, 29) && UserTxRules.safeInteger(b, 133) && T >= 2
            && T <= UserTxRules.MAX_WINDOW && P >= 1 && P <= UserTxRules.MAX_WINDOW
            && UserTxRules.tokenIdsOk(b[149:promptEnd]);
    }

    /// machine.ts postGenerationJob's own rule on well-formed bytes: prompt + maxTokens <= window
    /// (so the prompt leaves a position to generate).
    function _fits(bytes calldata b, uint256 promptEnd, uint256 paramsEnd) internal pure returns (bool) {
        (, GenerationCommitments.Params memory r) = GenerationCommitments.decodeParams(b[promptEnd + 2:paramsEnd]);
        return (promptEnd - 149) / 4 + r.maxTokens <= uint32(bytes4(b[141:145]));
    }

    /// The postGenerationJob's EIP-712 digest: its tx hash, the posted job's id.
    function _postGenerationJobDigest(bytes calldata b, uint256 promptEnd, uint256 paramsEnd)
        internal
        view
        returns (bytes32)
    {
        return _digest(
            keccak256(
                abi.encode(
                    POST_GENERATION_JOB_TYPEHASH,
                    address(bytes20(b[9:29])),
                    uint64(bytes8(b[29:37])),
                    uint256(bytes32(b[37:69])),
                    bytes32(b[69:101]),
                    keccak256(b[149:promptEnd]),
                    uint32(bytes4(b[141:145])),
                    keccak256(b[promptEnd + 2:paramsEnd]),
                    uint256(bytes32(b[101:133])),
                    uint64(bytes8(b[133:141]))
                )
            )
        );
    }

    // ------------------------------------------------------------------ submitGeneration

    /// 0x09 || blockTime 8 || from 20 || nonce 8 || fee 32 || claim (as submitResult's) ||
    /// claimSignature 65 || generatedCount u32 || generated u32 each || sig 65 (BadTxEncoding also for
    /// fields decodeTx refuses: UserTxRules). Records: as
    /// submitResult's (accounts, job/<jobId>, disputes/<jobId> and stake/<from> read, worker/<from>).
    function _submitGeneration(bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (Step memory s)
    {
        uint256 claimEnd = _claimEnd(TX_SUBMIT_GENERATION, b);
        _submitWellFormed(b, claimEnd);
        bytes32 claimHash = _claimStructHash(b[CLAIM_AT:claimEnd]);
        s = _open(
            address(bytes20(b[9:29])),
            uint64(bytes8(b[29:37])),
            uint256(bytes32(b[37:69])),
            _submitGenerationDigest(b, claimHash, claimEnd),
            b[b.length - 65:],
            4,
            records
        );
        _claimRecords(s, bytes32(b[CLAIM_AT:CLAIM_AT + 32]), records);
        _acceptClaim(s, b, records, claimEnd, claimHash);
        if (s.ok) _generationClaim(s, b, records, claimEnd);
    }

    /// Reverts BadTxEncoding unless the generated tokens' count gives the bytes' length and the
    /// fields decodeTx checks hold (docs/rollup.md 8a): nonce at most 2^53 - 1, the claim's CIDs at
    /// most 128 bytes, 1 to 8192 generated tokens, each a token id.
    function _submitWellFormed(bytes calldata b, uint256 claimEnd) internal pure {
        uint256 g = claimEnd + 65; // the generated tokens: u32 count, then the ids
        if (b.length < g + 4 + 65) revert BadTxEncoding(TX_SUBMIT_GENERATION, b.length);
        uint256 n = uint32(bytes4(b[g:g + 4]));
        if (b.length != g + 4 + 4 * n + 65) revert BadTxEncoding(TX_SUBMIT_GENERATION, b.length);
        uint256 outputCid = uint16(bytes2(b[CLAIM_AT + CLAIM_FIXED:CLAIM_AT + CLAIM_FIXED + 2]));
        if (
            !UserTxRules.safeInteger(b, 29) || outputCid > UserTxRules.MAX_CID_BYTES
                || claimEnd - (CLAIM_AT + CLAIM_FIXED + 4) - outputCid > UserTxRules.MAX_CID_BYTES || n == 0
                || n > UserTxRules.MAX_WINDOW || !UserTxRules.tokenIdsOk(b[g + 4:b.length - 65])
        ) revert BadTxEncoding(TX_SUBMIT_GENERATION, b.length);
    }

    function _submitGenerationDigest(bytes calldata b, bytes32 claimHash, uint256 claimEnd)
        internal
        view
        returns (bytes32)
    {
        return _digest(
            keccak256(
                abi.encode(
                    SUBMIT_GENERATION_TYPEHASH,
                    address(bytes20(b[9:29])),
                    uint64(bytes8(b[29:37])),
                    uint256(bytes32(b[37:69])),
                    claimHash,
                    keccak256(b[claimEnd:claimEnd + 65]),
                    keccak256(b[claimEnd + 69:b.length - 65])
                )
            )
        );
    }

    /// Where the parts of a generation job's record are: the claim's flag, the generation part
    /// (window) at `at` (0: a single-pass job), the prompt's and the params' ends, and T.
    struct Generation {
        uint256 claimAt;
        uint256 at;
        uint256 window;
        uint256 promptEnd;
        uint256 paramsEnd;
    }

    /// submitGeneration's own rule after the shared part (machine.ts submitGeneration): a generation
    /// job; with n the generated tokens, 1 <= n <= maxTokens, the stop token only as the last token,
    /// n == maxTokens unless the last token is the stop token; the claim's inputRoot the root of
    /// the pass input int32 [T] = prompt ++ generated ++ 0-padding, its generationSpec
    /// generationSpec(P, n, sha256(params)). Writes the job with the tokens in it (the job's
    /// window, prompt and params, then the tx's u32 count and ids).
    function _generationClaim(
        Step memory s,
        bytes calldata b,
        RollupState.RecordProof[] calldata records,
        uint256 claimEnd
    ) internal view {
        Generation memory gen = _generationOf(records[s.accounts].value);
        s.ok = gen.at != 0 && _generationHolds(records[s.accounts].value, gen, b, claimEnd);
        if (!s.ok) return;
        s.hashes[s.accounts] = _submittedGenerationHash(records[s.accounts], records[s.accounts + 1], gen, b, claimEnd);
    }

    /// The generation job's record after the submission (encoding.ts jobBytes): submitted (disputed
    /// when a dispute on it is open) with the claim, then opt(generation) with the job's window,
    /// prompt and params and the tx's generated tokens (u32 count, ids), copied from calldata once.
    function _submittedGenerationHash(
        RollupState.RecordProof calldata job,
        RollupState.RecordProof calldata disputes,
        Generation memory gen,
        bytes calldata b,
        uint256 claimEnd
    ) internal pure returns (bytes32) {
        bytes memory prefix = _submittedJobPrefix(job.value, gen.claimAt, b, claimEnd, _openDisputes(disputes) > 0);
        bytes calldata generated = b[claimEnd + 65:b.length - 65];
        return sha256(abi.encodePacked(prefix, uint8(1), job.value[gen.at:gen.paramsEnd], uint8(1), generated));
    }

    /// The generated `tokens` keep the job's count and stop rules, and the claim's inputRoot and
    /// generationSpec are the ones they make with the job's prompt, window and params.
    function _generationHolds(bytes calldata job, Generation memory gen, bytes calldata b, uint256 claimEnd)
        internal
        view
        returns (bool)
    {
        bytes calldata tokens = b[claimEnd + 69:b.length - 65];
        bytes calldata params = job[gen.promptEnd + 2:gen.paramsEnd];
        if (!_countRules(tokens, params)) return false;
        (bool ok, bytes32 passRoot) = _tokensRoot(gen.window, job[gen.at + 8:gen.promptEnd], tokens);
        return ok && passRoot == bytes32(b[CLAIM_INPUT_ROOT:CLAIM_INPUT_ROOT + 32])
            && GenerationCommitments.spec(
                uint32((gen.promptEnd - gen.at - 8) / 4), uint32(tokens.length / 4), sha256(params)
            ) == bytes32(b[CLAIM_SPEC:CLAIM_SPEC + 32]);
    }

    /// The generation part of a job record, parsed to the record's end (BadJobRecord when it does
    /// not parse); `gen.at` 0 for a single-pass job.
    function _generationOf(bytes calldata job) internal pure returns (Generation memory gen) {
        uint256 genAt;
        (gen.claimAt, genAt) = _jobTail(job);
        if (uint8(job[genAt]) != 1) {
            if (job.length != genAt + 1) revert RollupState.BadJobRecord(job.length);
            return gen;
        }
        gen.at = genAt + 1;
        if (job.length < gen.at + 8) revert RollupState.BadJobRecord(job.length);
        gen.window = uint32(bytes4(job[gen.at:gen.at + 4]));
        gen.promptEnd = gen.at + 8 + 4 * uint256(uint32(bytes4(job[gen.at + 4:gen.at + 8])));
        if (job.length < gen.promptEnd + 2) revert RollupState.BadJobRecord(job.length);
        gen.paramsEnd = gen.promptEnd + 2 + uint16(bytes2(job[gen.promptEnd:gen.promptEnd + 2]));
        uint256 p = gen.paramsEnd; // opt(generated)
        if (job.length <= p) revert RollupState.BadJobRecord(job.length);
        if (uint8(job[p]) == 1) {
            if (job.length < p + 5) revert RollupState.BadJobRecord(job.length);
            p += 4 + 4 * uint256(uint32(bytes4(job[p + 1:p + 5])));
        }
        if (job.length != p + 1) revert RollupState.BadJobRecord(job.length);
    }

    /// The count and stop rules on the generated ids (u32 each) under the job's params. The stop
    /// token is looked for eight tokens a word (a token at a time cost ~83 gas, 680k over 8,191
    /// tokens): the word XOR the stop token in every lane has a zero lane where a token is the stop
    /// token, and (y - ones) & ~y & highs is non-zero exactly when some lane of y is zero (a borrow
    /// only leaves a lane that is zero). Lanes past the scanned tokens are set to all ones, never
    /// zero and never borrowing. No token id has its top bit set (tokenIdsOk), so the absent stop
    /// token (0xffffffff) is never found.
    function _countRules(bytes calldata tokens, bytes calldata params) internal pure returns (bool) {
        (bool ok, GenerationCommitments.Params memory r) = GenerationCommitments.decodeParams(params);
        uint256 n = tokens.length / 4;
        if (!ok || n == 0 || n > r.maxTokens) return false;
        uint256 stopToken = r.stopToken;
        uint256 early; // non-zero: the stop token before the last token (the generation goes on after it)
        uint256 last;
        assembly ("memory-safe") {
            let ones := 0x0000000100000001000000010000000100000001000000010000000100000001
            let highs := 0x8000000080000000800000008000000080000000800000008000000080000000
            let stops := mul(stopToken, ones)
            let p := tokens.offset
            let scanEnd := add(p, mul(4, sub(n, 1))) // the tokens before the last
            let whole := add(p, and(sub(scanEnd, p), not(31)))
            let pairs := add(p, and(sub(scanEnd, p), not(63))) // two words an iteration
            for {} lt(p, pairs) { p := add(p, 64) } {
                let y := xor(calldataload(p), stops)
                let z := xor(calldataload(add(p, 32)), stops)
                early := or(early, and(or(and(sub(y, ones), not(y)), and(sub(z, ones), not(z))), highs))
            }
            if lt(p, whole) {
                let y := xor(calldataload(p), stops)
                early := or(early, and(and(sub(y, ones), not(y)), highs))
                p := add(p, 32)
            }
            let left := sub(scanEnd, p) // bytes of scanned tokens in the last, partial word
            if left {
                let y := or(xor(calldataload(p), stops), shr(mul(8, left), not(0)))
                early := or(early, and(and(sub(y, ones), not(y)), highs))
            }
            last := shr(224, calldataload(scanEnd))
        }
        return early == 0 && (last == stopToken || n == r.maxTokens);
    }

    /// The root of int32 [T] = prompt ++ generated ++ 0-padding: generationPassInputRoot(prompt,
    /// generated, T), and with T = P and nothing generated a prompt's generationInputRoot. `ok`
    /// false when they do not fit in T or a token is not a token id (past 2^31 - 1).
    function _tokensRoot(uint256 T, bytes calldata prompt, bytes calldata generated)
        internal
        view
        returns (bool ok, bytes32 root)
    {
        if (prompt.length + generated.length > 4 * T) return (false, bytes32(0));
        bytes memory seq = new bytes(4 * T);
        ok = GenerationCommitments.putTokensLE(seq, 0, prompt)
            && GenerationCommitments.putTokensLE(seq, prompt.length, generated);
        if (ok) root = GenerationCommitments.int32TensorListRoot(seq);
    }
}
