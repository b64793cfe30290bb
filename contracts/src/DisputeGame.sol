// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Bridge} from "./Bridge.sol";
import {DisputeOpenings} from "./DisputeOpenings.sol";
import {GenerationRule} from "./GenerationRule.sol";
import {Commitments} from "./lib/Commitments.sol";
import {NodeDescriptor} from "./lib/NodeDescriptor.sol";
import {OpSemantics} from "./lib/OpSemantics.sol";
import {OneStepVerifier} from "./OneStepVerifier.sol";

/// @title DisputeGame
/// @notice The interactive dispute game of docs/dispute-game.md over a worker's signed claim:
/// level 0 (challengeOutput) checks that graph output k of the claim's outputRoot is the tensor the
/// claim's trace holds for it, in one answer by the claimer; level 1 descends the trace tree 16-ary to one node, level 2 descends that node's output
/// tensor 16-ary to one chunk and one element, level 3 checks one step with OpSemantics (a map
/// op at once, a fold after bisecting its partial states 16-ary). At every level the claimer
/// reveals and the challenger picks; each side has a chess clock (a total time budget).
/// Stakes and bonds live in the Bridge; this contract locks and settles them through the
/// Bridge's dispute hooks.
/// @dev Revealed hashes, chunks and states are emitted in events (and are in calldata) rather
/// than stored: the next move re-supplies what it needs and the contract checks it against the
/// one hash it kept.
contract DisputeGame {
    // ------------------------------------------------------------------ types

    /// Whose move it is and what it must be.
    uint8 internal constant PHASE_NONE = 0;
    uint8 internal constant PHASE_TRACE_REVEAL = 1; // claimer: 16 children of the trace node
    uint8 internal constant PHASE_TRACE_PICK = 2; // challenger: a child
    uint8 internal constant PHASE_LEAF_REVEAL = 3; // claimer: descriptor + data root of leaf i
    uint8 internal constant PHASE_CHUNK_REVEAL = 4; // claimer: 16 children of the chunk-tree node
    uint8 internal constant PHASE_CHUNK_PICK = 5; // challenger: a child
    uint8 internal constant PHASE_CHUNK_DATA = 6; // claimer: the 1 KiB chunk
    uint8 internal constant PHASE_ELEMENT_PICK = 7; // challenger: an element of the chunk
    uint8 internal constant PHASE_FOLD_POST = 8; // claimer: intermediate fold states
    uint8 internal constant PHASE_FOLD_PICK = 9; // challenger: the first disputed segment
    uint8 internal constant PHASE_ONE_STEP = 10; // challenger (or claimer): operand openings
    uint8 internal constant PHASE_RESOLVED = 11;
    uint8 internal constant PHASE_OUTPUT_ANSWER = 12; // claimer: bind output k to its trace leaf (level 0)
    uint8 internal constant PHASE_OUTPUTS_REVEAL = 13; // claimer: every output tensor root (level 0, unnamed k)
    uint8 internal constant PHASE_OUTPUT_PICK = 14; // challenger: the output k it disputes
    uint8 internal constant PHASE_TRACE_COMMIT = 15; // claimer: the trace root of a deferred claim
    uint8 internal constant PHASE_OPENING_CHOICE = 16; // challenger: level 1, or level 0 (named k or not)

    /// chooseOpening's kinds: the same three openings a claim with a trace root is disputed with.
    uint8 internal constant OPENING_TRACE = 0; // level 1 (as openDispute)
    uint8 internal constant OPENING_OUTPUT = 1; // level 0 on output k (as challengeOutput)
    uint8 internal constant OPENING_OUTPUTS = 2; // level 0 without naming k (as challengeOutputs)

    /// A resolved dispute's winner; less one, it is the Bridge's settleDispute outcome
    /// (OUTCOME_CLAIMER_WON, OUTCOME_CHALLENGER_WON, OUTCOME_VOID, OUTCOME_UNBACKED).
    uint8 internal constant WINNER_NONE = 0;
    uint8 internal constant WINNER_CLAIMER = 1;
    uint8 internal constant WINNER_CHALLENGER = 2;
    uint8 internal constant WINNER_VOID = 3; // claim already invalidated: bond returned
    /// The claim's signer has no stake: the claim backs nothing and the dispute ends at once, the
    /// bond returned; the digest is not invalidated (that signer's loss alone: see _endAtOpen).
    uint8 internal constant WINNER_UNBACKED = 4;

    /// Levels per 16-ary descent round (2^4 children).
    uint256 internal constant ARITY_BITS = 4;
    uint256 internal constant MAX_FOLD_STATES = 15;

    struct Dispute {
        address claimer;
        uint64 openedAt; // when the dispute was opened (proveClaimFinal compares it with the window)
        address challenger;
        bytes32 claimKey; // EIP-712 digest of the claim
        bytes32 modelId;
        bytes32 inputRoot;
        bytes32 traceRoot;
        uint8 phase;
        uint8 winner;
        uint64 lastMoveAt;
        uint64 claimerTimeLeft;
        uint64 challengerTimeLeft;
        // descents (trace, then chunk tree): current node, its index at its level, levels below it;
        // level 0: node = the claim's outputRoot, index = the disputed graph output k
        bytes32 node;
        uint64 index;
        uint8 depthLeft;
        // the disputed node i and its output
        uint32 nodeIndex;
        uint8 opCode;
        uint8 outDtype;
        bytes32 descriptorHash;
        uint64 outBytes;
        uint64 chunkCount;
        // the disputed element and its claimed value v
        uint64 element;
        int256 value;
        // fold bisection: agreed s_kLo, disputed s_kHi (claimer's), K claimed by the claimer
        uint64 foldLength;
        uint64 kLo;
        uint64 kHi;
        int256 sLo;
        int256 sHi;
        bytes32 statesHash;
    }

    // ------------------------------------------------------------------ state

    Bridge public immutable bridge;
    /// Evaluates the one step (a separate contract: the op semantics alone are ~20 KB of code).
    OneStepVerifier public immutable verifier;
    /// Checks the level-0 answer and the level-2 leaf opening (a separate contract, deployed here:
    /// the descriptor decoder would not fit under EIP-170 beside the game).
    DisputeOpenings public immutable openings;
    /// Each side's total time budget per dispute (seconds).
    uint64 public immutable clockBudget;
    /// Checks the token move on generation claims and ends the dispute here (tokenMoveWon);
    /// deployed by the constructor, so deployments are unchanged, and its code is not this
    /// contract's (EIP-170).
    GenerationRule public immutable generationRule;

    Dispute[] internal _disputes;

    // ------------------------------------------------------------------ events

    event DisputeOpened(
        uint256 indexed disputeId,
        bytes32 indexed claimKey,
        address indexed claimer,
        address challenger,
        bytes32 jobId,
        bytes32 modelId,
        bytes32 traceRoot
    );
    event TraceChildrenRevealed(uint256 indexed disputeId, uint64 index, uint8 depthLeft, bytes32[] children);
    event TraceChildPicked(uint256 indexed disputeId, uint256 child, uint64 index, uint8 depthLeft);
    event LeafRevealed(
        uint256 indexed disputeId, uint32 nodeIndex, bytes descriptor, bytes32 dataRoot, uint64 chunkCount
    );
    event ChunkChildrenRevealed(uint256 indexed disputeId, uint64 index, uint8 depthLeft, bytes32[] children);
    event ChunkChildPicked(uint256 indexed disputeId, uint256 child, uint64 index, uint8 depthLeft);
    event ChunkRevealed(uint256 indexed disputeId, uint64 chunkIndex, bytes chunk);
    event ElementPicked(uint256 indexed disputeId, uint64 element, int256 value);
    event FoldStatesPosted(uint256 indexed disputeId, uint64 kLo, uint64 kHi, int256[] states);
    event FoldSegmentPicked(uint256 indexed disputeId, uint256 segment, uint64 kLo, uint64 kHi);
    event OneStepChecked(uint256 indexed disputeId, int256 computed, int256 claimed);
    /// kind 1: a trace leaf named directly, 2: a chunk supplied directly; `proof` is the claimer's
    /// path to it (the siblings a later proof of an earlier leaf against the trace root may need).
    event DirectMove(uint256 indexed disputeId, uint8 kind, uint256 index, bytes32 leaf, bytes32[] proof);
    event OutputChallenged(uint256 indexed disputeId, uint64 outputIndex, bytes32 outputRoot);
    event OutputsRevealed(uint256 indexed disputeId, bytes32[] outputTensorRoots);
    event OutputAnswered(
        uint256 indexed disputeId,
        uint64 outputIndex,
        uint32 nodeIndex,
        uint8 slot,
        bytes32 outputTensorRoot,
        bytes32 traceTensorRoot
    );
    /// A deferred claim's trace root, committed in the dispute (docs/dispute-game.md "Deferred trace").
    event TraceCommitted(uint256 indexed disputeId, bytes32 traceRoot);
    event OpeningChosen(uint256 indexed disputeId, uint8 kind, uint64 outputIndex);
    event DisputeResolved(uint256 indexed disputeId, bytes32 indexed claimKey, uint8 winner, string reason);

    // ------------------------------------------------------------------ errors

    error ZeroClockBudget();
    error ModelNotRegistered(bytes32 modelId);
    error UnknownDispute(uint256 disputeId);
    error WrongPhase(uint8 expected, uint8 actual);
    error NotYourMove(address caller);
    error NotAParty(address caller);
    error ClockExpired(uint64 overBy);
    error ClockNotExpired(uint64 timeLeft);
    error ChildCountMismatch(uint256 expected, uint256 actual);
    error ChildrenDoNotHashToNode();
    error ChildOutOfRange(uint256 child);
    error PaddingChildIsEmpty(uint256 child);
    error FoldLengthMatches(uint64 foldLength);
    error DescriptorNotInGraph();
    error LeafMismatch();
    error BadChunk();
    error ElementOutOfRange(uint256 element);
    error NotAFold();
    error StateCountMismatch(uint256 expected, uint256 actual);
    error BadFoldState(uint256 position, int256 state);
    error BadFoldLength(uint256 foldLength);
    error FinalStateMismatch(int256 state, int256 value);
    error StatesMismatch();
    error SegmentOutOfRange(uint256 segment);
    error DescriptorMismatch();
    error OutputIndexOutOfRange(uint256 outputIndex, uint256 outputCount);
    error OutputNotInRoot();
    error OutputRefNotInModel();
    error SlotOutOfRange(uint256 slot, uint256 outputCount);
    error TraceLeafNotInTrace();
    error ClaimStillDisputable(uint64 finalAt, uint64 openedAt);
    /// openDispute/challengeOutput(s) on a claim with traceRoot 0 (use openDeferred), or
    /// openDeferred on a claim with a trace root (use the others).
    error TraceDeferred(bool deferred);
    error ZeroTraceRoot();
    error BadOpeningKind(uint8 kind);

    constructor(Bridge bridge_, OneStepVerifier verifier_, uint64 clockBudget_) {
        if (clockBudget_ == 0) revert ZeroClockBudget();
        bridge = bridge_;
        verifier = verifier_;
        openings = new DisputeOpenings();
        clockBudget = clockBudget_;
        generationRule = new GenerationRule(bridge_);
    }

    // ================================================================== opening

    /// Opens a dispute on `claim`, locking the caller's challenger bond. A claim already
    /// invalidated ends the dispute at once (void: the bond is returned); a claim whose signer has
    /// no stake (active or unbonding) ends it at once too, won by the challenger.
    function openDispute(Bridge.Claim calldata claim, bytes calldata signature) external returns (uint256 id) {
        (uint256 id_, Dispute storage d, Bridge.Model memory m) = _open(claim, signature, false);
        id = id_;
        d.node = claim.traceRoot;
        d.depthLeft = uint8(Commitments.treeDepth(m.nodeCount));
        d.phase = d.depthLeft == 0 ? PHASE_LEAF_REVEAL : PHASE_TRACE_REVEAL;
        _endAtOpen(id, d);
    }

    /// Level 0: opens a dispute on the binding of graph output `outputIndex` (k) of the claim's
    /// outputRoot to the claim's trace: the claimer must answer (answerOutput) with the tensor the
    /// trace holds for output k, equal to the one under outputRoot, or lose. Same bond, clocks and
    /// settlement as openDispute.
    function challengeOutput(Bridge.Claim calldata claim, bytes calldata signature, uint64 outputIndex)
        external
        returns (uint256 id)
    {
        (uint256 id_, Dispute storage d, Bridge.Model memory m) = _open(claim, signature, false);
        id = id_;
        if (outputIndex >= m.outputCount) revert OutputIndexOutOfRange(outputIndex, m.outputCount);
        d.node = claim.outputRoot;
        d.index = outputIndex;
        d.phase = PHASE_OUTPUT_ANSWER;
        emit OutputChallenged(id, outputIndex, claim.outputRoot);
        _endAtOpen(id, d);
    }

    /// Level 0 without naming k (issue 18, attack 11): the challenger needs none of the claimer's
    /// files. The claimer must reveal every output tensor root (revealOutputs) or lose on time;
    /// the challenger then names the output it disputes (pickOutput), and the game goes on as if
    /// it had opened with challengeOutput(k).
    function challengeOutputs(Bridge.Claim calldata claim, bytes calldata signature) external returns (uint256 id) {
        Dispute storage d;
        (id, d,) = _open(claim, signature, false);
        d.node = claim.outputRoot;
        d.phase = PHASE_OUTPUTS_REVEAL;
        _endAtOpen(id, d);
    }

    // ================================================================== deferred trace

    /// A claim whose traceRoot is zero (DEFERRED_TRACE, docs/dispute-game.md "Deferred trace"):
    /// its trace is a certificate the claimer produces on demand. The claimer must first commit
    /// its full trace root (commitTrace, its clock runs: silent, it loses on time); the challenger
    /// then chooses the opening against that root (chooseOpening). Same bond, clocks, settlement.
    function openDeferred(Bridge.Claim calldata claim, bytes calldata signature) external returns (uint256 id) {
        Dispute storage d;
        (id, d,) = _open(claim, signature, true);
        d.node = claim.outputRoot;
        d.phase = PHASE_TRACE_COMMIT;
        _endAtOpen(id, d);
    }

    /// Claimer of a deferred claim: the root of its full trace of the claimed run. Any nonzero root
    /// is taken: a trace whose outputs are not the claim's loses at level 0, one with a wrong node
    /// loses at level 1, and both are the challenger's choice.
    function commitTrace(uint256 id, bytes32 traceRoot) external {
        Dispute storage d = _move(id, PHASE_TRACE_COMMIT, true);
        if (traceRoot == bytes32(0)) revert ZeroTraceRoot();
        d.traceRoot = traceRoot;
        d.phase = PHASE_OPENING_CHOICE;
        emit TraceCommitted(id, traceRoot);
    }

    /// Challenger of a deferred claim, after commitTrace: level 1 on the committed trace
    /// (OPENING_TRACE), level 0 on output `outputIndex` (OPENING_OUTPUT) or level 0 without
    /// naming it (OPENING_OUTPUTS); the game then goes on exactly as after the matching opening.
    function chooseOpening(uint256 id, uint8 kind, uint64 outputIndex) external {
        Dispute storage d = _move(id, PHASE_OPENING_CHOICE, false);
        Bridge.Model memory m = bridge.getModel(d.modelId);
        if (kind == OPENING_TRACE) {
            d.node = d.traceRoot;
            d.depthLeft = uint8(Commitments.treeDepth(m.nodeCount));
            d.phase = d.depthLeft == 0 ? PHASE_LEAF_REVEAL : PHASE_TRACE_REVEAL;
        } else if (kind == OPENING_OUTPUT) {
            if (outputIndex >= m.outputCount) revert OutputIndexOutOfRange(outputIndex, m.outputCount);
            d.index = outputIndex;
            d.phase = PHASE_OUTPUT_ANSWER;
            emit OutputChallenged(id, outputIndex, d.node);
        } else if (kind == OPENING_OUTPUTS) {
            d.phase = PHASE_OUTPUTS_REVEAL;
        } else {
            revert BadOpeningKind(kind);
        }
        emit OpeningChosen(id, kind, outputIndex);
    }

    /// An input outside its declared range (docs/dispute-game.md "Inputs outside a declared
    /// range"): `o` = abi.encode(DisputeOpenings.InputOpening) opens one element of a graph input
    /// against the claim's inputRoot and the input's range against the model's inputRangesRoot
    /// (DisputeOpenings.inputOutsideRange reverts by name unless the element is outside). The model
    /// has no output for such an input, so the claim is wrong whatever its trace: the challenger
    /// wins at once.
    function challengeInput(Bridge.Claim calldata claim, bytes calldata signature, bytes calldata o)
        external
        returns (uint256 id)
    {
        (uint256 id_, Dispute storage d, Bridge.Model memory m) = _open(claim, signature, claim.traceRoot == bytes32(0));
        id = id_;
        openings.inputOutsideRange(claim.inputRoot, m.inputRangesRoot, m.inputCount, o);
        _endAtOpen(id, d);
        if (d.phase == PHASE_NONE) _resolve(id, d, WINNER_CHALLENGER, "input outside its declared range");
    }

    /// A dispute that is decided by the time it opens: on a claim already invalidated it is void
    /// (the bond goes back); on a claim whose signer has no stake left it is won by the
    /// challenger at once. A dispute is never refused for the claimer's lack of stake: a signed
    /// claim with nothing behind it is worthless, and must not stand unchallengeable (issue 18,
    /// attacks 1-3: L2 then refunds the job and the Bridge never delivers the result).
    /// The claim names its worker and only that worker's signature opens a dispute on it
    /// (Bridge.claimSigner: ClaimSignerNotWorker), so a puppet's copy of an honest worker's claim
    /// is another claim under another key; an unbacked loss still leaves the digest standing.
    function _endAtOpen(uint256 id, Dispute storage d) internal {
        if (claimInvalidated(d.claimKey)) {
            _resolve(id, d, WINNER_VOID, "claim already invalidated");
        } else if (bridge.slashableStake(d.claimer) == 0) {
            _resolve(id, d, WINNER_UNBACKED, "no stake behind the claim");
        }
    }

    /// The checks and bookkeeping every dispute starts with: a claim with a canonical signature
    /// by the worker it names (Bridge.claimSigner) on a registered model; the caller's bond is locked. Whether the signer
    /// has stake is not a condition: see _endAtOpen.
    function _open(Bridge.Claim calldata claim, bytes calldata signature, bool deferred)
        internal
        returns (uint256 id, Dispute storage d, Bridge.Model memory m)
    {
        if ((claim.traceRoot == bytes32(0)) != deferred) revert TraceDeferred(!deferred);
        bytes32 key = bridge.claimDigest(claim);
        address claimer = bridge.claimSigner(claim, signature);
        m = bridge.getModel(claim.modelId);
        if (m.registrant == address(0)) revert ModelNotRegistered(claim.modelId);

        id = _disputes.length;
        d = _disputes.push();
        d.claimer = claimer;
        d.challenger = msg.sender;
        d.claimKey = key;
        d.modelId = claim.modelId;
        d.inputRoot = claim.inputRoot;
        d.traceRoot = claim.traceRoot;
        d.openedAt = uint64(block.timestamp);
        d.lastMoveAt = uint64(block.timestamp);
        d.claimerTimeLeft = clockBudget;
        d.challengerTimeLeft = clockBudget;
        bridge.lockDispute(msg.sender, claimer, key);
        emit DisputeOpened(id, key, claimer, msg.sender, claim.jobId, claim.modelId, claim.traceRoot);
    }

    // ================================================================== level 0: output binding

    /// Claimer: binds output k to the trace. Every opening must verify (else a named revert); then
    /// the tensor root under outputRoot is compared with the one trace leaf `node` holds at `slot`.
    /// Equal: the claimer wins (a challenger who disputes the trace itself opens a level-1 dispute);
    /// different: the claimer loses, exactly like a lost step.
    function answerOutput(uint256 id, DisputeOpenings.OutputAnswer calldata a) external {
        Dispute storage d = _move(id, PHASE_OUTPUT_ANSWER, true);
        Bridge.Model memory m = bridge.getModel(d.modelId);
        uint64 k = d.index;
        bytes32 held =
            openings.bindOutput(d.node, m.outputRefsRoot, d.traceRoot, k, m.outputCount, m.nodeCount, a);
        d.nodeIndex = a.node;
        emit OutputAnswered(id, k, a.node, a.slot, a.outputTensorRoot, held);
        if (held == a.outputTensorRoot) _resolve(id, d, WINNER_CLAIMER, "level 0: output bound to the trace");
        else _resolve(id, d, WINNER_CHALLENGER, "level 0: output differs from the trace");
    }

    /// The token move on a generation claim (docs/dispute-game.md "Generation claims"): the
    /// challenger of dispute `id` has shown GenerationRule (which deployed here alone may call
    /// this) that the claim breaks a rule; the claimer loses at once, at any phase.
    function tokenMoveWon(uint256 id) external {
        if (msg.sender != address(generationRule)) revert NotAParty(msg.sender);
        Dispute storage d = _get(id);
        if (d.phase == PHASE_RESOLVED) revert WrongPhase(PHASE_NONE, d.phase);
        _resolve(id, d, WINNER_CHALLENGER, "token move: a generation rule is broken");
    }

    /// Claimer: the tensor roots of every graph output, which must be the outputCount leaves of
    /// the claim's outputRoot (zero padding: DisputeOpenings.treeRoot).
    function revealOutputs(uint256 id, bytes32[] calldata roots) external {
        Dispute storage d = _move(id, PHASE_OUTPUTS_REVEAL, true);
        uint256 count = bridge.getModel(d.modelId).outputCount;
        if (roots.length != count) revert ChildCountMismatch(count, roots.length);
        if (openings.treeRoot(roots) != d.node) revert ChildrenDoNotHashToNode();
        d.statesHash = keccak256(abi.encodePacked(roots));
        d.phase = PHASE_OUTPUT_PICK;
        emit OutputsRevealed(id, roots);
    }

    /// Challenger: output k of the revealed roots (re-supplied), the one it disputes; the claimer
    /// then answers it with answerOutput.
    function pickOutput(uint256 id, bytes32[] calldata roots, uint64 outputIndex) external {
        Dispute storage d = _move(id, PHASE_OUTPUT_PICK, false);
        if (keccak256(abi.encodePacked(roots)) != d.statesHash) revert StatesMismatch();
        if (outputIndex >= roots.length) revert OutputIndexOutOfRange(outputIndex, roots.length);
        d.index = outputIndex;
        d.phase = PHASE_OUTPUT_ANSWER;
        emit OutputChallenged(id, outputIndex, d.node);
    }

    /// Ends a running dispute whose claim another dispute has invalidated: the bond goes back.
    function closeVoid(uint256 id) external {
        Dispute storage d = _get(id);
        if (d.phase == PHASE_RESOLVED) revert WrongPhase(PHASE_NONE, d.phase);
        if (!claimInvalidated(d.claimKey)) revert WrongPhase(PHASE_RESOLVED, d.phase);
        _resolve(id, d, WINNER_VOID, "claim already invalidated");
    }

    /// Anyone, at any phase: ends a dispute opened after its claim's challenge window, won by the
    /// claimer (issue 18, attack 6). The claim must be in batch `batchIndex`'s claims tree on the
    /// Bridge, and the dispute opened at or after Bridge.claimFinalAt: a final claim is never
    /// re-litigated, so an honest worker that dropped the model cannot lose it. A dispute opened
    /// inside the window (or on a claim in no recorded batch) runs on as before.
    function proveClaimFinal(
        uint256 id,
        uint256 batchIndex,
        uint256 leafIndex,
        uint256 leafCount,
        bytes32[] calldata proof
    ) external {
        Dispute storage d = _get(id);
        if (d.phase == PHASE_RESOLVED) revert WrongPhase(PHASE_NONE, d.phase);
        uint64 finalAt = bridge.claimFinalAt(batchIndex, d.claimKey, leafIndex, leafCount, proof);
        if (d.openedAt < finalAt) revert ClaimStillDisputable(finalAt, d.openedAt);
        _resolve(id, d, WINNER_CLAIMER, "claim final before the dispute");
    }

    // ================================================================== level 1: trace descent

    /// Claimer: the children of the current trace node, ARITY_BITS levels down (fewer at the bottom).
    function revealTraceChildren(uint256 id, bytes32[] calldata children) external {
        Dispute storage d = _move(id, PHASE_TRACE_REVEAL, true);
        _checkChildren(d, children);
        d.phase = PHASE_TRACE_PICK;
        d.statesHash = keccak256(abi.encodePacked(children));
        emit TraceChildrenRevealed(id, d.index, d.depthLeft, children);
    }

    /// Challenger: the child it disputes (the honest one names the leftmost that differs).
    function pickTraceChild(uint256 id, bytes32[] calldata children, uint256 child) external {
        Dispute storage d = _move(id, PHASE_TRACE_PICK, false);
        Bridge.Model memory m = bridge.getModel(d.modelId);
        if (_pickChild(d, children, child, m.nodeCount)) {
            _resolve(id, d, WINNER_CHALLENGER, "level 1: padding of the trace tree is not empty");
            return;
        }
        if (d.depthLeft == 0) {
            d.nodeIndex = uint32(d.index);
            d.phase = PHASE_LEAF_REVEAL;
        } else {
            d.phase = PHASE_TRACE_REVEAL;
        }
        emit TraceChildPicked(id, child, d.index, d.depthLeft);
    }

    // ================================================================== direct mode

    /// Challenger, when the claimer published its trace: skips the rest of the trace descent by
    /// naming leaf `nodeIndex` of the claimer's trace with its hash and the Merkle path up to the
    /// current node (`depthLeft` siblings). Allowed whenever the trace descent is on.
    function directTraceLeaf(uint256 id, uint32 nodeIndex, bytes32 leaf, bytes32[] calldata proof) external {
        Dispute storage d = _direct(id, PHASE_TRACE_REVEAL, PHASE_TRACE_PICK);
        Bridge.Model memory m = bridge.getModel(d.modelId);
        _jumpTo(d, nodeIndex, leaf, proof, m.nodeCount);
        d.nodeIndex = nodeIndex;
        d.phase = PHASE_LEAF_REVEAL;
        emit DirectMove(id, 1, nodeIndex, leaf, proof);
    }

    /// Challenger, when the claimer published the tensor: skips the rest of the chunk descent
    /// with chunk `chunkIndex` itself and its path up to the current node; it then names an element.
    function directChunk(uint256 id, uint64 chunkIndex, bytes calldata chunk, bytes32[] calldata proof) external {
        Dispute storage d = _direct(id, PHASE_CHUNK_REVEAL, PHASE_CHUNK_PICK);
        _jumpTo(d, chunkIndex, Commitments.sha256Calldata(chunk), proof, d.chunkCount);
        _checkChunk(d, chunk);
        d.phase = PHASE_ELEMENT_PICK;
        emit DirectMove(id, 2, chunkIndex, d.node, proof);
        emit ChunkRevealed(id, chunkIndex, chunk);
    }

    /// A direct move by the challenger in either phase of a descent: the time since the last move
    /// is charged to the side whose turn it was.
    function _direct(uint256 id, uint8 revealPhase, uint8 pickPhase) internal returns (Dispute storage d) {
        d = _get(id);
        if (d.phase != revealPhase && d.phase != pickPhase) revert WrongPhase(revealPhase, d.phase);
        if (msg.sender != d.challenger) revert NotYourMove(msg.sender);
        _tick(d, d.phase == revealPhase);
    }

    /// Moves the descent to leaf `index` (a global leaf index under the current node) given its
    /// hash and its `depthLeft` siblings bottom-up.
    function _jumpTo(Dispute storage d, uint256 index, bytes32 leaf, bytes32[] calldata proof, uint256 leafCount)
        internal
    {
        uint256 depth = d.depthLeft;
        if (index >= leafCount || index >> depth != d.index) revert ChildOutOfRange(index);
        if (proof.length != depth) revert ChildCountMismatch(depth, proof.length);
        if (Commitments.rootFromProof(leaf, index, proof) != d.node) revert ChildrenDoNotHashToNode();
        d.node = leaf;
        d.index = uint64(index);
        d.depthLeft = 0;
    }

    // ================================================================== level 2: tensor descent

    /// Claimer: the preimage of trace leaf i: node i's descriptor (opened against graphRoot, its
    /// output dtype and shape fix the tensor root) and its output's data root.
    function revealLeaf(uint256 id, bytes calldata descriptor, bytes32[] calldata descriptorProof, bytes32 dataRoot)
        external
    {
        Dispute storage d = _move(id, PHASE_LEAF_REVEAL, true);
        _openLeaf(d, descriptor, descriptorProof, dataRoot);
        emit LeafRevealed(id, d.nodeIndex, descriptor, dataRoot, d.chunkCount);
    }

    function _openLeaf(Dispute storage d, bytes calldata descriptor, bytes32[] calldata descriptorProof, bytes32 dataRoot)
        internal
    {
        Bridge.Model memory m = bridge.getModel(d.modelId);
        DisputeOpenings.LeafOpening memory o =
            openings.openLeaf(m.graphRoot, m.nodeCount, d.nodeIndex, d.node, descriptor, descriptorProof, dataRoot);
        d.descriptorHash = o.descriptorHash;
        d.opCode = o.opCode;
        d.outDtype = o.outDtype;
        d.outBytes = o.outBytes;
        d.chunkCount = o.chunkCount;
        d.node = dataRoot;
        d.index = 0;
        d.depthLeft = uint8(Commitments.treeDepth(o.chunkCount));
        d.phase = d.depthLeft == 0 ? PHASE_CHUNK_DATA : PHASE_CHUNK_REVEAL;
    }

    /// Claimer: the children of the current chunk-tree node.
    function revealChunkChildren(uint256 id, bytes32[] calldata children) external {
        Dispute storage d = _move(id, PHASE_CHUNK_REVEAL, true);
        _checkChildren(d, children);
        d.phase = PHASE_CHUNK_PICK;
        d.statesHash = keccak256(abi.encodePacked(children));
        emit ChunkChildrenRevealed(id, d.index, d.depthLeft, children);
    }

    /// Challenger: the chunk-tree child it disputes.
    function pickChunkChild(uint256 id, bytes32[] calldata children, uint256 child) external {
        Dispute storage d = _move(id, PHASE_CHUNK_PICK, false);
        if (_pickChild(d, children, child, d.chunkCount)) {
            _resolve(id, d, WINNER_CHALLENGER, "level 2: padding of the chunk tree is not empty");
            return;
        }
        d.phase = d.depthLeft == 0 ? PHASE_CHUNK_DATA : PHASE_CHUNK_REVEAL;
        emit ChunkChildPicked(id, child, d.index, d.depthLeft);
    }

    /// Claimer: the disputed 1 KiB chunk (the last one's padding must be zero).
    function revealChunk(uint256 id, bytes calldata chunk) external {
        Dispute storage d = _move(id, PHASE_CHUNK_DATA, true);
        _checkChunk(d, chunk);
        d.phase = PHASE_ELEMENT_PICK;
        emit ChunkRevealed(id, d.index, chunk);
    }

    /// Challenger: the element of the revealed chunk it disputes (re-supplying the chunk). The
    /// claimed value v is read from it. Map ops go to the one-step check, folds to bisection.
    function pickElement(uint256 id, bytes calldata chunk, uint256 elementInChunk) external {
        Dispute storage d = _move(id, PHASE_ELEMENT_PICK, false);
        _checkChunk(d, chunk);
        uint256 size = Commitments.dtypeSize(d.outDtype);
        uint256 byteOffset = elementInChunk * size;
        if (byteOffset >= Commitments.CHUNK) revert ElementOutOfRange(elementInChunk);
        uint256 e = (uint256(d.index) * Commitments.CHUNK + byteOffset) / size;
        if ((e + 1) * size > d.outBytes) revert ElementOutOfRange(elementInChunk);
        d.element = uint64(e);
        d.value = openings.readElement(d.outDtype, chunk, byteOffset);
        d.phase = OpSemantics.isFold(d.opCode) ? PHASE_FOLD_POST : PHASE_ONE_STEP;
        emit ElementPicked(id, uint64(e), d.value);
    }

    // ================================================================== level 3: fold bisection

    /// Claimer: the intermediate states of the current segment [kLo, kHi]: all of them when it has
    /// at most 16 steps, else the 15 at kLo + (kHi - kLo) * t / 16. The first round also sets the
    /// fold length K (checked against the op at the one step) and, for ArgMax, the final state
    /// s_K whose index must be v (other folds: s_K = v, `finalState` is ignored).
    function postFoldStates(uint256 id, uint64 foldLength, int256 finalState, int256[] calldata states) external {
        Dispute storage d = _move(id, PHASE_FOLD_POST, true);
        if (d.kHi == 0) {
            if (foldLength == 0 || foldLength > type(uint32).max) revert BadFoldLength(foldLength);
            d.foldLength = foldLength;
            d.kHi = foldLength;
            if (d.opCode == NodeDescriptor.OP_ARGMAX) {
                if (finalState < 0 || uint256(finalState) >> 128 != 0 || int256(uint256(finalState) >> 64) != d.value)
                {
                    revert FinalStateMismatch(finalState, d.value);
                }
                d.sHi = finalState;
            } else {
                d.sHi = d.value;
            }
            if (!_plausibleState(d, d.sHi)) revert BadFoldState(foldLength, d.sHi);
        }
        uint256 n = d.kHi - d.kLo;
        uint256 expected = n <= 16 ? n - 1 : MAX_FOLD_STATES;
        if (states.length != expected) revert StateCountMismatch(expected, states.length);
        for (uint256 t = 0; t < states.length; t++) {
            if (!_plausibleState(d, states[t])) revert BadFoldState(t, states[t]);
        }
        d.statesHash = keccak256(abi.encodePacked(states));
        d.phase = n == 1 ? PHASE_ONE_STEP : PHASE_FOLD_PICK;
        emit FoldStatesPosted(id, d.kLo, d.kHi, states);
    }

    /// Challenger: the first segment whose end state it disputes (re-supplying the posted states).
    function pickFoldSegment(uint256 id, int256[] calldata states, uint256 segment) external {
        Dispute storage d = _move(id, PHASE_FOLD_PICK, false);
        if (keccak256(abi.encodePacked(states)) != d.statesHash) revert StatesMismatch();
        uint256 n = d.kHi - d.kLo;
        uint256 segments = states.length + 1;
        if (segment >= segments) revert SegmentOutOfRange(segment);
        uint64 lo = d.kLo;
        uint64 newLo = uint64(n <= 16 ? lo + segment : lo + (n * segment) / 16);
        uint64 newHi = uint64(n <= 16 ? lo + segment + 1 : lo + (n * (segment + 1)) / 16);
        if (segment != 0) d.sLo = states[segment - 1];
        if (segment != segments - 1) d.sHi = states[segment];
        d.kLo = newLo;
        d.kHi = newHi;
        d.phase = newHi - newLo == 1 ? PHASE_ONE_STEP : PHASE_FOLD_POST;
        emit FoldSegmentPicked(id, segment, newLo, newHi);
    }

    /// Challenger, once the claimer has posted a fold length K (any fold phase, or the one step):
    /// the disputed node's descriptor and its data inputs bound to their sources fix the op's
    /// true K (the registered model's shapes, docs/commitments.md "Canonical shapes"). A K that
    /// differs loses the claimer the game at once, however far the bisection has gone, so the
    /// honest challenger never has to bisect into a step that does not exist. The time since the
    /// last move is charged to the side whose turn it was.
    function challengeFoldLength(uint256 id, bytes calldata descriptor, OneStepVerifier.InputBinding[] calldata inputs)
        external
    {
        Dispute storage d = _get(id);
        uint8 p = d.phase;
        if (d.foldLength == 0 || (p != PHASE_FOLD_POST && p != PHASE_FOLD_PICK && p != PHASE_ONE_STEP)) {
            revert WrongPhase(PHASE_FOLD_PICK, p);
        }
        if (msg.sender != d.challenger) revert NotYourMove(msg.sender);
        _tick(d, _claimerTurn(p));
        if (sha256(descriptor) != d.descriptorHash) revert DescriptorMismatch();
        uint64 k = verifier.foldLengthOf(_context(d), descriptor, inputs);
        if (k == d.foldLength) revert FoldLengthMatches(k);
        emit OneStepChecked(id, int256(uint256(k)), int256(uint256(d.foldLength)));
        _resolve(id, d, WINNER_CHALLENGER, "level 3: fold length is not the op's");
    }

    // ================================================================== level 3: the one step

    /// Either party: the disputed node's descriptor, its data inputs bound to their sources, and
    /// the opening of every element the step reads (in OpSemantics read order). The contract
    /// evaluates the step: equal to the claimer's value, the claimer wins; otherwise the challenger.
    function oneStep(
        uint256 id,
        bytes calldata descriptor,
        OneStepVerifier.InputBinding[] calldata inputs,
        OneStepVerifier.ElementOpening[] calldata openings
    ) external {
        Dispute storage d = _get(id);
        if (d.phase != PHASE_ONE_STEP) revert WrongPhase(PHASE_ONE_STEP, d.phase);
        if (msg.sender == d.challenger) {
            _tick(d, false);
        } else if (msg.sender != d.claimer) {
            revert NotAParty(msg.sender);
        }
        if (sha256(descriptor) != d.descriptorHash) revert DescriptorMismatch();
        (bool claimerWins, string memory reason) = _runStep(id, d, descriptor, inputs, openings);
        _resolve(id, d, claimerWins ? WINNER_CLAIMER : WINNER_CHALLENGER, reason);
    }

    function _runStep(
        uint256 id,
        Dispute storage d,
        bytes calldata descriptor,
        OneStepVerifier.InputBinding[] calldata inputs,
        OneStepVerifier.ElementOpening[] calldata openings
    ) internal returns (bool claimerWins, string memory reason) {
        OneStepVerifier.Context memory c = _context(d);
        int256 computed;
        if (OpSemantics.isFold(d.opCode)) {
            OneStepVerifier.FoldClaim memory f = OneStepVerifier.FoldClaim({
                foldLength: d.foldLength,
                k: d.kHi,
                fromInitial: d.kLo == 0,
                sPrev: d.sLo,
                sNext: d.sHi
            });
            (claimerWins, computed, reason) = verifier.foldStep(c, descriptor, inputs, openings, f);
            emit OneStepChecked(id, computed, d.sHi);
        } else {
            computed = verifier.mapStep(c, descriptor, inputs, openings);
            claimerWins = computed == d.value;
            reason = claimerWins ? "one step: claimer's value" : "one step: wrong value";
            emit OneStepChecked(id, computed, d.value);
        }
    }

    function _context(Dispute storage d) internal view returns (OneStepVerifier.Context memory) {
        (bytes32 weightsRoot, uint32 nodeCount, uint32 weightCount, uint32 inputCount) = bridge.modelOpening(d.modelId);
        return OneStepVerifier.Context({
            inputRoot: d.inputRoot,
            weightsRoot: weightsRoot,
            traceRoot: d.traceRoot,
            inputCount: inputCount,
            weightCount: weightCount,
            nodeCount: nodeCount,
            nodeIndex: d.nodeIndex,
            element: d.element
        });
    }

    // ================================================================== timeouts and views

    /// Anyone: ends the dispute against the side whose move it is once its clock has run out.
    function timeout(uint256 id) external {
        Dispute storage d = _get(id);
        if (d.phase == PHASE_RESOLVED) revert WrongPhase(PHASE_NONE, d.phase);
        bool claimerTurn = _claimerTurn(d.phase);
        uint64 elapsed = uint64(block.timestamp) - d.lastMoveAt;
        uint64 left = claimerTurn ? d.claimerTimeLeft : d.challengerTimeLeft;
        if (elapsed <= left) revert ClockNotExpired(left - elapsed);
        _resolve(id, d, claimerTurn ? WINNER_CHALLENGER : WINNER_CLAIMER, "timeout");
    }

    function getDispute(uint256 id) external view returns (Dispute memory) {
        return _disputes[id];
    }

    function disputeCount() external view returns (uint256) {
        return _disputes.length;
    }

    /// True when the claimer must move next (the one step: the challenger's clock runs).
    function _claimerTurn(uint8 phase) internal pure returns (bool) {
        return phase == PHASE_TRACE_REVEAL || phase == PHASE_LEAF_REVEAL || phase == PHASE_CHUNK_REVEAL
            || phase == PHASE_CHUNK_DATA || phase == PHASE_FOLD_POST || phase == PHASE_OUTPUT_ANSWER
            || phase == PHASE_OUTPUTS_REVEAL || phase == PHASE_TRACE_COMMIT;
    }

    // ================================================================== internals: moves

    function _get(uint256 id) internal view returns (Dispute storage) {
        if (id >= _disputes.length) revert UnknownDispute(id);
        return _disputes[id];
    }

    /// Checks that `phase` is current and the caller is the side to move, and charges its clock.
    function _move(uint256 id, uint8 phase, bool byClaimer) internal returns (Dispute storage d) {
        d = _get(id);
        if (d.phase != phase) revert WrongPhase(phase, d.phase);
        if (msg.sender != (byClaimer ? d.claimer : d.challenger)) revert NotYourMove(msg.sender);
        _tick(d, byClaimer);
    }

    function _tick(Dispute storage d, bool claimer) internal {
        uint64 elapsed = uint64(block.timestamp) - d.lastMoveAt;
        uint64 left = claimer ? d.claimerTimeLeft : d.challengerTimeLeft;
        if (elapsed > left) revert ClockExpired(elapsed - left);
        if (claimer) d.claimerTimeLeft = left - elapsed;
        else d.challengerTimeLeft = left - elapsed;
        d.lastMoveAt = uint64(block.timestamp);
    }

    /// The revealed children must be the 2^min(4, depthLeft) nodes below `d.node` in order.
    function _checkChildren(Dispute storage d, bytes32[] calldata children) internal view {
        uint256 levels = d.depthLeft < ARITY_BITS ? d.depthLeft : ARITY_BITS;
        uint256 count = 1 << levels;
        if (children.length != count) revert ChildCountMismatch(count, children.length);
        if (openings.treeRoot(children) != d.node) revert ChildrenDoNotHashToNode();
    }

    /// Descends into `child` of the revealed `children` (checked against the hash kept at reveal).
    /// A child whose whole subtree lies past `leafCount` is padding, a constant of its height
    /// (docs/commitments.md "Canonical shapes"): picking one is a move only when the claimer's
    /// hash differs from that constant, and then the claimer has lost (returns true, the caller
    /// resolves); an empty padding child holds nothing to dispute (`PaddingChildIsEmpty`).
    function _pickChild(Dispute storage d, bytes32[] calldata children, uint256 child, uint256 leafCount)
        internal
        returns (bool paddingNotEmpty)
    {
        if (keccak256(abi.encodePacked(children)) != d.statesHash) revert StatesMismatch();
        if (child >= children.length) revert ChildOutOfRange(child);
        uint256 levels = d.depthLeft < ARITY_BITS ? d.depthLeft : ARITY_BITS;
        uint256 index = (uint256(d.index) << levels) + child;
        uint256 below = d.depthLeft - levels;
        if ((index << below) >= leafCount) {
            if (children[child] == _zeroSubtree(below)) revert PaddingChildIsEmpty(child);
            return true;
        }
        d.index = uint64(index);
        d.depthLeft = uint8(below);
        d.node = children[child];
    }

    /// The root of 2^height zero leaves: the only value a padding subtree of that height may have.
    function _zeroSubtree(uint256 height) internal view returns (bytes32 z) {
        for (uint256 h = 0; h < height; h++) z = Commitments.hashPair(z, z);
    }

    function _checkChunk(Dispute storage d, bytes calldata chunk) internal view {
        if (!openings.chunkMatches(chunk, d.node, d.outBytes - uint256(d.index) * Commitments.CHUNK)) revert BadChunk();
    }

    /// A state the claimer may post before the op's input types are known (DisputeOpenings).
    function _plausibleState(Dispute storage d, int256 s) internal view returns (bool) {
        return openings.plausibleFoldState(d.opCode, d.outDtype, d.foldLength, s);
    }

    // ================================================================== internals: resolution

    /// Ends the dispute once: settles bonds and stake in the Bridge, which also keeps the claim's
    /// record (Bridge.ClaimRecord: running disputes, invalidation, refund reserve) in one slot. A
    /// claim is invalidated (and its worker slashed) only by the first dispute it loses: a later
    /// challenger win on it comes back from the Bridge as void.
    function _resolve(uint256 id, Dispute storage d, uint8 winner, string memory reason) internal {
        d.phase = PHASE_RESOLVED;
        // The Bridge's outcome is the winner less one (see WINNER_CLAIMER); it comes back void for
        // a challenger win on a claim already invalidated.
        winner = bridge.settleDispute(d.challenger, d.claimer, d.claimKey, winner - 1) + 1;
        d.winner = winner;
        emit DisputeResolved(id, d.claimKey, winner, reason);
    }

    /// Whether the claim (by EIP-712 digest) lost a dispute: the Bridge keeps it (Bridge.ClaimRecord).
    function claimInvalidated(bytes32 claimKey) public view returns (bool) {
        return bridge.claimInvalidated(claimKey);
    }
}
