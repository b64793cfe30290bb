// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Bridge} from "./Bridge.sol";
import {DisputeGame} from "./DisputeGame.sol";
import {GenerationCommitments} from "./lib/GenerationCommitments.sol";

/// @title GenerationRule
/// @notice The token move of a generation claim (docs/dispute-game.md "Generation claims"): from
/// the claim's roots and spec, and a proof a challenger builds from the honest pass
/// (verifier/game/token-move.ts), decides whether the claim breaks its own decoding rule or the
/// count, stop and padding rules; if it does, the DisputeGame that deployed this contract opens and
/// ends the dispute against the claimer (DisputeGame.settleTokenMove), so the game holds none of
/// this code (it is near EIP-170). One call, no bisection, no reveal by the claimer.
///
/// A generation claim is an ordinary claim over one causal pass over `prompt ++ generated ++
/// 0-padding` (int32 [T]). With P = promptLength and n = generatedCount from the spec, the claim
/// says: seq[P + k] = decode(rule, logits row P + k - 1, step k) for k in [0, n); the stop token
/// only at the last generated position; n == maxTokens unless the last token is the stop token;
/// every position from P + n on is 0. Decoding is prover-trace/generation/decoding.ts, pinned by
/// test/vectors/generation.json.
contract GenerationRule {
    /// What the challenger supplies (abi-encoded in DisputeGame.proveTokenRuleBroken's `proof`).
    struct TokenProof {
        uint32 promptLength; // P and n: the preimage of the claim's generationSpec, with params
        uint32 generatedCount;
        bytes params; // encodeGenerationParams (protocol/generation-job.ts)
        bytes sequence; // the pass input's bytes: int32 [T] little-endian, opened against inputRoot
        uint32 position; // the generated index k whose token the move checks
        uint8 logitsDType; // graph output 0 (the logits [T, vocab]) as committed: dtype, shape,
        uint32[] logitsShape; // data root, and its proof in the claim's outputRoot
        bytes32 logitsDataRoot;
        bytes32[] outputProof;
        uint64 firstChunk; // the chunks that hold row P + k - 1, in order, whole 1 KiB each,
        bytes chunks; // with their proofs in the data root, depth siblings each, concatenated
        bytes32[] chunkProofs;
        uint32[] candidates; // sample: the topK indices in rule order (checked, not trusted)
    }

    /// The move won: dispute `disputeId` on claim `claimKey` ended against the claimer for `reason`.
    event TokenRuleBroken(uint256 indexed disputeId, bytes32 indexed claimKey, string reason);

    uint256 internal constant CHUNK = GenerationCommitments.CHUNK;
    uint8 internal constant DTYPE_INT32 = GenerationCommitments.DTYPE_INT32;
    uint32 internal constant NO_STOP_TOKEN = GenerationCommitments.NO_STOP_TOKEN;

    error NotTheChallenger(address caller);
    error NotTheDisputedClaim(bytes32 claimKey, bytes32 disputedClaimKey);
    /// The claim is a single-pass claim (generationSpec 0): no positions are generated.
    error NotAGeneration();
    /// promptLength, generatedCount and params are not the preimage of the claim's generationSpec.
    error SpecMismatch();
    /// The sequence's tensor root is not the claim's inputRoot.
    error SequenceNotInput();
    /// dtype, shape and data root do not make the tensor under the claim's outputRoot at output 0.
    error LogitsNotInOutput();
    error PositionOutOfRange(uint256 position, uint256 generatedCount);
    /// The chunks do not open row P + k - 1 of the logits.
    error BadRowOpening();
    /// The candidates are not the topK indices of the row in rule order.
    error BadCandidates();
    /// Nothing the proof shows is broken: the token at generated index `position` follows the rule.
    error RuleHolds(uint256 position);

    Bridge public immutable bridge;
    DisputeGame public immutable game;

    constructor(Bridge bridge_) {
        bridge = bridge_;
        game = DisputeGame(msg.sender);
    }

    /// The token move, after the caller opened dispute `id` on `claim` (DisputeGame.openDispute):
    /// `proof` shows that the claim breaks a rule, and the game ends the dispute against the
    /// claimer at once. Reverts (the dispute runs on) when the proof shows no broken rule.
    function proveTokenRuleBroken(uint256 id, Bridge.Claim calldata claim, TokenProof calldata proof) external {
        DisputeGame.Dispute memory d = game.getDispute(id);
        if (d.challenger != msg.sender) revert NotTheChallenger(msg.sender);
        bytes32 key = bridge.claimDigest(claim);
        if (d.claimKey != key) revert NotTheDisputedClaim(key, d.claimKey);
        uint256 outputCount = bridge.getModel(claim.modelId).outputCount;
        string memory reason =
            brokenRuleOf(claim.inputRoot, claim.outputRoot, claim.generationSpec, outputCount, proof);
        game.tokenMoveWon(id);
        emit TokenRuleBroken(id, key, reason);
    }

    /// The broken rule, named, or a revert: RuleHolds when the claim keeps every rule the proof can
    /// show, another named error when the proof does not open the claim.
    function brokenRuleOf(
        bytes32 inputRoot,
        bytes32 outputRoot,
        bytes32 spec,
        uint256 outputCount,
        TokenProof memory p
    ) public view returns (string memory) {
        if (spec == bytes32(0)) revert NotAGeneration();
        if (generationSpecOf(p.promptLength, p.generatedCount, p.params) != spec) revert SpecMismatch();
        uint256 T = p.sequence.length / 4;
        if (p.sequence.length % 4 != 0 || T == 0 || passInputRootOf(p.sequence) != inputRoot) {
            revert SequenceNotInput();
        }
        (bool ok, GenerationCommitments.Params memory r) = decodeParams(p.params);
        if (!ok) return "generation params are not a valid encoding";
        string memory broken = _countRules(p.sequence, p.promptLength, p.generatedCount, T, r);
        if (bytes(broken).length != 0) return broken;
        return _tokenRule(outputRoot, outputCount, p, T, r);
    }

    /// generationSpec(P, n, paramsHash) (prover-trace/commit/generation.ts): sha256(0x4b || u32 P ||
    /// u32 n || sha256(params)). Pinned by test/vectors/generation.json.
    function generationSpecOf(uint32 promptLength, uint32 generatedCount, bytes memory params)
        public
        pure
        returns (bytes32)
    {
        return GenerationCommitments.spec(promptLength, generatedCount, sha256(params));
    }

    /// generationPassInputRoot: the Merkle root over the pass's one input tensor, int32 [T] over
    /// `sequence` (little-endian, T = length / 4); a one-leaf tree's root is its leaf. Pinned by
    /// test/vectors/generation.json.
    function passInputRootOf(bytes memory sequence) public view returns (bytes32) {
        return GenerationCommitments.int32TensorListRoot(sequence);
    }

    /// The rules the claim's own numbers and tokens break: no logits needed. "" when none.
    function _countRules(bytes memory seq, uint256 P, uint256 n, uint256 T, GenerationCommitments.Params memory r)
        internal
        pure
        returns (string memory)
    {
        if (P == 0 || n == 0) return "no prompt or no generated token";
        if (P + n > T) return "generated positions past the window";
        if (n > r.maxTokens) return "more generated tokens than maxTokens";
        bool hasStop = r.stopToken != NO_STOP_TOKEN;
        for (uint256 k = 0; k + 1 < n; k++) {
            if (hasStop && _token(seq, P + k) == r.stopToken) return "stop token before the last generated token";
        }
        if (!(hasStop && _token(seq, P + n - 1) == r.stopToken) && n != r.maxTokens) {
            return "generation ends before maxTokens without the stop token";
        }
        for (uint256 q = P + n; q < T; q++) {
            if (_token(seq, q) != 0) return "padding after the generation is not zero";
        }
        return "";
    }

    /// The decoding rule at generated index `position`, from logits row P + position - 1 of the pass.
    function _tokenRule(bytes32 outputRoot, uint256 outputCount, TokenProof memory p, uint256 T, GenerationCommitments.Params memory r)
        internal
        view
        returns (string memory)
    {
        uint256 pos = p.position;
        if (pos >= p.generatedCount) revert PositionOutOfRange(pos, p.generatedCount);
        bytes32 logitsRoot = _tensorRoot(p.logitsDType, p.logitsShape, p.logitsDataRoot);
        if (!_proves(outputRoot, logitsRoot, 0, outputCount, p.outputProof)) revert LogitsNotInOutput();
        uint256 V = _vocab(p.logitsDType, p.logitsShape, T);
        if (V == 0) return "output 0 is not int32 logits [T, vocab]";
        int256[] memory row = _openRow(p, T, V, p.promptLength + pos - 1);
        uint256 expected;
        if (r.kind == 0) {
            expected = argmax(row);
        } else {
            if (r.topK > V) return "topK exceeds the vocabulary";
            expected = sampleToken(row, r.topK, r.halfLife, r.seed, uint32(pos), p.candidates);
        }
        if (_token(p.sequence, p.promptLength + pos) != expected) return "generated token breaks the decoding rule";
        revert RuleHolds(pos);
    }

    // ================================================================== decoding (decoding.ts)

    /// Index of the largest logit, the lowest index on ties.
    function argmax(int256[] memory row) public pure returns (uint256 best) {
        for (uint256 i = 1; i < row.length; i++) {
            if (row[i] > row[best]) best = i;
        }
    }

    /// round(2^30 * 2^(-j/16)), j = 0..16 (docs/generation.md section 3).
    function _exp2(uint256 j) internal pure returns (uint256) {
        uint32[17] memory E = [
            uint32(1073741824),
            1028218693,
            984625594,
            942880699,
            902905651,
            864625413,
            827968132,
            792865000,
            759250125,
            727060411,
            696235434,
            666717336,
            638450708,
            611382493,
            585461881,
            560640218,
            536870912
        ];
        return E[j];
    }

    /// floor(2^30 * 2^(-d / halfLife)) as docs/generation.md section 3 computes it.
    function sampleWeight(uint256 d, uint256 halfLife) public pure returns (uint256) {
        uint256 q = (d * 65536) / halfLife;
        uint256 e = q >> 16;
        if (e >= 31) return 0;
        uint256 f = q & 0xffff;
        uint256 j = f >> 12;
        uint256 r = f & 0xfff;
        uint256 a = _exp2(j);
        uint256 w0 = a - ((a - _exp2(j + 1)) * r) / 4096;
        return w0 >> e;
    }

    /// First 16 bytes of sha256("verdict/sample/v1" || seed || u32 step), big-endian.
    function sampleDraw(bytes32 seed, uint32 step) public pure returns (uint256) {
        return uint256(uint128(bytes16(sha256(abi.encodePacked("verdict/sample/v1", seed, step)))));
    }

    /// The sampled token of step `step`. `candidates` must be the topK indices of `row` in rule
    /// order (logit descending, index ascending): checked in O(vocab) instead of sorting on chain.
    function sampleToken(
        int256[] memory row,
        uint256 topK,
        uint256 halfLife,
        bytes32 seed,
        uint32 step,
        uint32[] memory candidates
    ) public pure returns (uint256) {
        uint256 V = row.length;
        if (topK == 0 || topK > V || candidates.length != topK) revert BadCandidates();
        bool[] memory isCandidate = new bool[](V);
        for (uint256 c = 0; c < topK; c++) {
            uint256 i = candidates[c];
            if (i >= V) revert BadCandidates();
            if (c > 0 && !_before(row, candidates[c - 1], i)) revert BadCandidates();
            isCandidate[i] = true;
        }
        uint256 last = candidates[topK - 1];
        for (uint256 i = 0; i < V; i++) {
            if (!isCandidate[i] && _before(row, i, last)) revert BadCandidates();
        }
        int256 max = row[candidates[0]];
        uint256[] memory w = new uint256[](topK);
        uint256 total;
        for (uint256 c = 0; c < topK; c++) {
            w[c] = sampleWeight(uint256(max - row[candidates[c]]), halfLife);
            total += w[c];
        }
        uint256 u = sampleDraw(seed, step) % total;
        uint256 acc;
        for (uint256 c = 0; c < topK; c++) {
            acc += w[c];
            if (u < acc) return candidates[c];
        }
        revert BadCandidates(); // unreachable: u < total
    }

    /// True iff index `a` comes strictly before `b` in rule order.
    function _before(int256[] memory row, uint256 a, uint256 b) internal pure returns (bool) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
    }

    /// encodeGenerationParams's image: 0x4a || u32 maxTokens || u32 stopToken || u8 kind || u32 topK
    /// || u32 halfLife || seed, with checkGenerationParams's bounds (greedy: zeros after kind).
    function decodeParams(bytes memory b) public pure returns (bool ok, GenerationCommitments.Params memory r) {
        return GenerationCommitments.decodeParams(b);
    }

    // ================================================================== commitments (memory)

    /// The int32 at element `i` of little-endian data, as its u32 bit pattern.
    function _token(bytes memory seq, uint256 i) internal pure returns (uint256) {
        uint256 o = 4 * i;
        return uint256(uint8(seq[o])) | (uint256(uint8(seq[o + 1])) << 8) | (uint256(uint8(seq[o + 2])) << 16)
            | (uint256(uint8(seq[o + 3])) << 24);
    }

    function _tensorRoot(uint8 dtype, uint32[] memory shape, bytes32 dataRoot) internal pure returns (bytes32) {
        bytes memory dims;
        for (uint256 i = 0; i < shape.length; i++) dims = abi.encodePacked(dims, shape[i]);
        return sha256(abi.encodePacked(bytes1(0x54), dtype, uint8(shape.length), dims, dataRoot));
    }

    function _depth(uint256 count) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < count) d++;
    }

    function _up(bytes32 node, uint256 index, bytes32[] memory proof, uint256 from, uint256 depth)
        internal
        pure
        returns (bytes32)
    {
        for (uint256 l = 0; l < depth; l++) {
            bytes32 s = proof[from + l];
            node = (index >> l) & 1 == 1 ? sha256(abi.encodePacked(s, node)) : sha256(abi.encodePacked(node, s));
        }
        return node;
    }

    function _proves(bytes32 root, bytes32 leaf, uint256 index, uint256 count, bytes32[] memory proof)
        internal
        pure
        returns (bool)
    {
        if (index >= count || count == 0 || proof.length != _depth(count)) return false;
        return _up(leaf, index, proof, 0, proof.length) == root;
    }

    /// The vocabulary of logits int32 [..., V] whose leading dims multiply to T, or 0 if not that.
    function _vocab(uint8 dtype, uint32[] memory shape, uint256 T) internal pure returns (uint256) {
        if (dtype != DTYPE_INT32 || shape.length < 2) return 0;
        uint256 lead = 1;
        for (uint256 i = 0; i + 1 < shape.length; i++) {
            lead *= shape[i];
            if (lead > T) return 0;
        }
        if (lead != T) return 0;
        return shape[shape.length - 1];
    }

    /// Row `rowIndex` of the logits, opened from the proof's chunks against its data root.
    function _openRow(TokenProof memory p, uint256 T, uint256 V, uint256 rowIndex)
        internal
        view
        returns (int256[] memory row)
    {
        uint256 start = rowIndex * 4 * V;
        uint256 c0 = start / CHUNK;
        uint256 chunks = (start + 4 * V - 1) / CHUNK - c0 + 1;
        uint256 depth = _depth((T * 4 * V + CHUNK - 1) / CHUNK);
        if (p.firstChunk != c0 || p.chunks.length != chunks * CHUNK || p.chunkProofs.length != chunks * depth) {
            revert BadRowOpening();
        }
        for (uint256 c = 0; c < chunks; c++) _checkChunk(p, c0, c, depth);
        row = new int256[](V);
        uint256 first = (start - c0 * CHUNK) / 4;
        bytes memory data = p.chunks;
        for (uint256 v = 0; v < V; v++) {
            row[v] = int256(int32(uint32(_token(data, first + v))));
        }
    }

    /// Chunk `c` of the proof (chunk c0 + c of the logits) is in the data root.
    function _checkChunk(TokenProof memory p, uint256 c0, uint256 c, uint256 depth) internal view {
        bytes memory data = p.chunks;
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(add(data, 32), mul(c, 1024))
        }
        if (_up(GenerationCommitments.sha256Mem(ptr, CHUNK), c0 + c, p.chunkProofs, c * depth, depth) != p.logitsDataRoot) {
            revert BadRowOpening();
        }
    }
}
