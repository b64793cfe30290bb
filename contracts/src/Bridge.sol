// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Commitments} from "./lib/Commitments.sol";
import {IInferenceConsumer} from "./IInferenceConsumer.sol";

/// The batch challenge's hooks (contracts/src/BatchChallenge.sol, docs/rollup.md 8c).
interface IBatchChallengeHooks {
    function onBatchPosted(uint256 batchIndex) external;
    function isBatchUnchallenged(uint256 batchIndex) external view returns (bool);
}

/// @title Bridge
/// @notice Verdict's L1 contract: worker stakes with an unbonding delay, challenger bonds, the model
/// registry, sequencer batch roots, ETH deposits to L2 and withdrawals proven against finalized
/// batches. The dispute game is built on top of these parts (it locks stakes and bonds through the
/// counters below and slashes through the internal helpers).
/// @dev Every payout is nonReentrant and follows checks-effects-interactions. Plain ETH transfers are
/// rejected (no receive function): value only enters through stake, depositBond and deposit, so the
/// three pools can be accounted separately and a bad withdrawal root cannot drain stakes or bonds.
contract Bridge is ReentrancyGuard, EIP712 {
    // ------------------------------------------------------------------ types

    /// A worker's signed result (protocol/eip712.ts `Claim`), signed in the domain
    /// ("Verdict", "1", L1 chain id, this contract), so a signature is good on this bridge only.
    struct Claim {
        bytes32 jobId;
        /// the worker whose claim this is: only its signature makes the claim valid (claimSigner),
        /// so a puppet signing the same content makes a claim with another digest
        address worker;
        bytes32 modelId;
        bytes32 inputRoot;
        bytes32 outputRoot;
        bytes32 traceRoot;
        /// generationSpec(P, n, paramsHash) of a generation job (docs/generation.md), 0 for a
        /// single-pass job: which positions of the pass are generated and by which decoding rule
        bytes32 generationSpec;
        bytes outputCid;
        bytes traceCid;
    }

    struct WorkerStake {
        uint256 active; // bonded stake, counts towards minWorkerStake
        uint256 unbonding; // leaving stake, still slashable until withdrawn
        uint64 unlockAt; // when `unbonding` may be withdrawn
        uint32 openDisputes; // disputes against this worker still running: freeze withdrawals
        uint64 seq; // StakeChanged events emitted so far for this worker
    }

    struct ChallengerBond {
        uint256 free; // withdrawable at any time
        uint256 locked; // held by running disputes
    }

    /// What registerModel takes: the model's roots and the leaf counts that fix every proof depth.
    struct ModelCommitment {
        bytes32 graphRoot;
        bytes32 weightsRoot;
        bytes32 outputRefsRoot; // graph output k -> (node, slot) of the trace leaf holding it
        bytes32 inputRangesRoot; // graph input j -> its admissible [min, max] (challengeInput)
        uint32 nodeCount; // trace leaves and graph descriptors
        uint32 weightCount; // initializers under weightsRoot
        uint32 inputCount; // graph inputs under a job's inputRoot
        uint32 outputCount; // graph outputs under a claim's outputRoot
    }

    /// A registered model: its commitment, who registered it and when.
    struct Model {
        bytes32 graphRoot;
        bytes32 weightsRoot;
        bytes32 outputRefsRoot; // graph output k -> (node, slot) of the trace leaf holding it
        bytes32 inputRangesRoot; // graph input j -> its admissible [min, max] (challengeInput)
        uint32 nodeCount; // trace leaves and graph descriptors
        uint32 weightCount; // initializers under weightsRoot
        uint32 inputCount; // graph inputs under a job's inputRoot
        uint32 outputCount; // graph outputs under a claim's outputRoot
        address registrant;
        uint64 registeredAt;
    }

    /// An L1 inference request and, once delivered, its result.
    struct InferenceRequest {
        address requester;
        uint64 deadline; // seconds (L1 block time)
        uint8 result; // RESULT_NONE, RESULT_DELIVERED, RESULT_CALLBACK_FAILED or RESULT_REFUNDED
        bytes32 claimKey; // the worker's claim (EIP-712 digest) the delivered or refunded result came from
        bytes32 outputRoot;
        bytes32 subject; // keccak256(abi.encode(modelId, inputRoot)): what a claim must be about to answer it
        uint256 escrow; // what the requester paid: the most an invalidated claim refunds on L1
    }

    /// Where a leaf sits in one of a batch's trees (its message tree for a result leaf, its claims
    /// tree for a claim): the batch, the leaf's index, the tree's leaf count and the sibling path.
    struct BatchLeafProof {
        uint256 batchIndex;
        uint256 leafIndex;
        uint256 leafCount;
        bytes32[] proof;
    }

    struct Batch {
        bytes32 stateRoot;
        bytes32 withdrawalRoot;
        // Merkle root of the batch's txs, computed here over the tx section of its data (never stated by
        // the sequencer): the tree the batch challenge bisects (Commitments.batchTxRootOf)
        bytes32 txRoot;
        uint64 firstBlock;
        uint64 lastBlock;
        uint64 postedAt;
        uint64 inboxCount; // inbox messages (deposits, forced txs, L1 events) consumed by this batch and all before it
        bytes32 inboxHash; // the inbox's rolling hash after message inboxCount - 1 (0 when none)
        // block time (ms) of the batch's last timed tx as the batch states it (the previous batch's
        // when it has none): its C_n carries it, the next batch's C_0 starts from it; never above
        // postBatch's own block time (docs/rollup.md 8c "Block time bounds")
        uint64 lastTime;
        uint32 txCount; // leaves under txRoot
    }

    /// One message of the L1 inbox (deposits, forced L2 txs, models, L1 requests, stake changes, in L1 order).
    struct InboxMessage {
        bytes32 rollingHash; // keccak256(previous rollingHash || messageHash); the first follows 0
        uint64 queuedAt;
    }

    /// What the disputes on one claim (by EIP-712 digest) left behind, in one slot: a dispute's end
    /// writes this slot alone (a one step won by the challenger wrote three new slots before, in
    /// two contracts: ~44k of its gas, docs/one-step.md "Gas").
    struct ClaimRecord {
        uint64 openDisputes; // disputes on the claim still running: delivery waits for them
        bool invalidated; // the claim lost a dispute (by a staked signer): delivery refused, refund allowed
        uint128 refundReserve; // the burned half of its lost disputes' slashes (refundInvalidatedRequest)
    }

    /// The claims a batch's blocks submitted (issue 18, attack 6): the root of the claim-key tree
    /// (protocol/claims.ts) and when L1 learned it, which starts every such claim's dispute window.
    struct BatchClaims {
        bytes32 root;
        uint64 recordedAt;
    }

    // ------------------------------------------------------------------ configuration

    address public immutable sequencer;
    /// Seconds after posting before a batch is final (and withdrawals against it can be proven).
    uint64 public immutable challengeWindow;
    /// Seconds between unbond() and withdrawUnbonded(); longer than challengeWindow so a worker cannot
    /// sign a bad claim and leave before a watcher can dispute it.
    uint64 public immutable unbondingDelay;
    /// Active stake a worker needs to count as bonded.
    uint256 public immutable minWorkerStake;
    /// Bond a challenger puts up for each dispute it opens.
    uint256 public immutable challengerBond;

    uint256 internal constant MAX_CID_LENGTH = 128;
    /// Largest signed L2 tx forceTransaction takes (wire JSON; a registerWorker with 32 models and
    /// a 256-char multiaddr is about 3 KiB).
    uint256 public constant MAX_FORCED_TX_LENGTH = 8192;
    uint8 public constant INBOX_DEPOSIT = 1;
    uint8 public constant INBOX_FORCED_TX = 2;
    /// L1 events L2 derives a system tx from go through the inbox too (docs/rollup.md 8), so a
    /// made-up, dropped or reordered one is provable against the inbox hash (8c). Each queues its
    /// message before its event, so the event's InboxQueued precedes it in the same call.
    uint8 public constant INBOX_MODEL = 3;
    uint8 public constant INBOX_REQUEST = 4;
    uint8 public constant INBOX_STAKE = 5;
    /// Latest request deadline (seconds): L2 keeps deadlines as ms in a JS number, so
    /// deadline * 1000 must stay <= 2^53 - 1.
    uint64 public constant MAX_REQUEST_DEADLINE = 9_007_199_254_740;
    /// Gas the requester's onInferenceResult gets; deliverResult refuses to run with less than it
    /// can forward (so a relayer cannot starve the callback on purpose and mark it failed).
    uint256 public constant RESULT_CALLBACK_GAS = 300_000;
    /// Gas the CALL itself may cost before the callee runs (cold account, memory), on top of the
    /// 64/63 the stipend needs to survive the 63/64 rule.
    uint256 internal constant CALLBACK_OVERHEAD = 5_000;
    uint8 public constant RESULT_NONE = 0;
    uint8 public constant RESULT_DELIVERED = 1;
    uint8 public constant RESULT_CALLBACK_FAILED = 2;
    /// The request's claim lost a dispute after L2 had paid it: the escrow came back on L1
    /// (refundInvalidatedRequest) and the request is closed.
    uint8 public constant RESULT_REFUNDED = 3;
    bytes32 public constant CLAIM_TYPEHASH = keccak256(
        "Claim(bytes32 jobId,address worker,bytes32 modelId,bytes32 inputRoot,bytes32 outputRoot,bytes32 traceRoot,bytes32 generationSpec,bytes outputCid,bytes traceCid)"
    );

    // ------------------------------------------------------------------ state

    mapping(address worker => WorkerStake) internal _stakes;
    mapping(address challenger => ChallengerBond) internal _bonds;
    mapping(bytes32 modelId => Model) internal _models;
    Batch[] internal _batches;
    /// The inbox: every deposit and forced tx, in order. A batch must consume each message older
    /// than forcedInclusionDelay() (docs/bridge.md "Forced inclusion").
    InboxMessage[] internal _inbox;
    /// Claims root per batch index, recorded by the sequencer after the batch (recordBatchClaims).
    mapping(uint256 batchIndex => BatchClaims) public batchClaims;
    /// Withdrawal leaves already paid out; a leaf names (recipient, amount, l2TxHash) uniquely.
    mapping(bytes32 leaf => bool) public withdrawalClaimed;

    /// The dispute game allowed to lock bonds and settle disputes (set once by the deployer).
    address public disputeGame;
    /// ETH taken from losers and burned (kept here forever, in no pool), less the refunds paid
    /// from it (refundReserve); read with burned(). Beside disputeGame, whose slot every
    /// settlement reads (onlyDisputeGame): the first slash a Bridge takes then writes a slot that
    /// is already nonzero and warm (2.9k) instead of a new one (22.1k). 96 bits hold 79 billion ETH.
    uint96 internal _burned;
    /// The batch challenge (set once by the deployer): holds the sequencer's bond, may remove batches.
    address public batchChallenge;
    address internal immutable _deployer;
    /// Per claim (by EIP-712 digest): running disputes, invalidation and refund reserve (ClaimRecord).
    mapping(bytes32 claimKey => ClaimRecord) internal _claims;

    uint256 public depositCount;
    /// ETH deposited to L2 minus ETH withdrawn from it: the most withdrawals can ever pay out.
    uint256 public bridgedBalance;

    /// L1 inference requests made so far; request ids are 0, 1, 2, ... in order.
    uint256 public requestCount;
    mapping(uint256 requestId => InferenceRequest) internal _requests;

    // ------------------------------------------------------------------ events

    event Staked(address indexed worker, uint256 amount, uint256 activeStake);
    event UnbondRequested(address indexed worker, uint256 amount, uint256 unbondingTotal, uint64 unlockAt);
    event StakeWithdrawn(address indexed worker, uint256 amount);
    /// A worker's stake after any change (stake, unbond, withdrawal, slash), numbered per worker:
    /// L2 derives it like a deposit (a `workerStake` system tx) and lets a worker hold only as many
    /// disputable claims as its active stake covers (docs/bridge.md "Collateral per claim").
    event StakeChanged(address indexed worker, uint64 indexed seq, uint256 active, uint256 unbonding, uint64 unlockAt);
    event BondDeposited(address indexed challenger, uint256 amount, uint256 freeBond);
    event BondWithdrawn(address indexed challenger, uint256 amount, uint256 freeBond);
    event ModelRegistered(
        bytes32 indexed modelId, address indexed registrant, bytes32 graphRoot, bytes32 weightsRoot, bytes cid
    );
    event BatchPosted(
        uint256 indexed batchIndex,
        uint64 firstBlock,
        uint64 lastBlock,
        bytes32 stateRoot,
        bytes32 withdrawalRoot,
        bytes32 txDataHash,
        bytes cid
    );
    event BatchesRemoved(uint256 indexed fromBatchIndex, uint256 previousCount);
    event BatchClaimsRecorded(uint256 indexed batchIndex, bytes32 claimsRoot);
    event Deposited(uint256 indexed depositId, address indexed l2Recipient, uint256 amount);
    /// A message joined the inbox (after its Deposited or TransactionForced event).
    event InboxQueued(uint256 indexed inboxIndex, uint8 kind, bytes32 messageHash, bytes32 rollingHash, uint64 queuedAt);
    /// An L2 tx sent through L1 so the sequencer cannot leave it out (`signedL2Tx`: its wire JSON).
    event TransactionForced(uint256 indexed inboxIndex, address indexed sender, bytes signedL2Tx);
    event WithdrawalProven(
        uint256 indexed batchIndex, bytes32 indexed leaf, address indexed recipient, uint256 amount, bytes32 l2TxHash
    );
    event InferenceRequested(
        uint256 indexed requestId,
        address indexed requester,
        bytes32 modelId,
        bytes32 inputRoot,
        bytes inputCid,
        uint256 escrow,
        uint64 deadline
    );
    /// A result was handed to its requester; `callbackSucceeded` is false when onInferenceResult
    /// reverted or ran out of its stipend (the delivery still counts: it is not retried).
    event ResultDelivered(
        uint256 indexed requestId,
        uint256 indexed batchIndex,
        bytes32 claimKey,
        bytes32 outputRoot,
        bytes outputCid,
        bool callbackSucceeded
    );
    /// A request whose claim was invalidated after L2 paid it got `amount` of its escrow back on L1.
    event RequestRefunded(uint256 indexed requestId, bytes32 claimKey, uint256 amount);

    event DisputeGameSet(address indexed game);
    event DisputeSettled(
        address indexed challenger, address indexed worker, uint8 outcome, uint256 slashed, uint256 burnedAmount
    );

    // ------------------------------------------------------------------ errors

    error NotDeployer(address caller);
    error DisputeGameAlreadySet(address game);
    error NotDisputeGame(address caller);
    error NotBatchChallenge(address caller);
    error BatchChallengeAlreadySet(address challenge);
    error BatchUnderChallenge(uint256 batchIndex);
    /// Raised by BatchChallenge.onBatchPosted (declared here so postBatch's callers can name it).
    error SequencerBondTooLow(uint256 balance, uint256 required);
    error InvalidOutcome(uint8 outcome);

    error UnbondingDelayNotAboveChallengeWindow(uint64 unbondingDelay, uint64 challengeWindow);
    error ZeroAddress();
    error ZeroAmount();
    error InsufficientStake(uint256 requested, uint256 available);
    error NothingUnbonding();
    error StillUnbonding(uint64 unlockAt, uint64 nowTime);
    error StakeFrozenByDispute(uint32 openDisputes);
    error InsufficientFreeBond(uint256 requested, uint256 available);
    error InvalidCid(uint256 length);
    error EmptyGraphRoot();
    error EmptyOutputRefsRoot();
    error EmptyInputRangesRoot();
    error ModelAlreadyRegistered(bytes32 modelId);
    error InvalidModelCounts(uint32 nodeCount, uint32 inputCount, uint32 outputCount);
    error WeightsRootCountMismatch(bytes32 weightsRoot, uint32 weightCount);
    error NotSequencer(address caller);
    error InvalidBlockRange(uint64 firstBlock, uint64 lastBlock);
    /// postBatch: the batch states a last block time (ms) after its own L1 block's time.
    error LastTimeAhead(uint64 lastTime, uint64 l1TimeMs);
    error NonContiguousBatch(uint64 expectedFirstBlock, uint64 firstBlock);
    error EmptyBatchData();
    error InvalidInboxCount(uint64 previous, uint64 inboxCount, uint256 inboxLength);
    error InboxMessageOverdue(uint256 inboxIndex, uint64 dueBy);
    error InvalidForcedTx(uint256 length);
    error BatchDataMismatch(bytes32 committed, bytes32 actual);
    error UnknownBatch(uint256 batchIndex, uint256 batchCount);
    error BatchNotFinalized(uint256 batchIndex, uint64 finalizesAt);
    error EmptyClaimsRoot();
    error BatchClaimsAlreadyRecorded(uint256 batchIndex);
    error BatchClaimsNotRecorded(uint256 batchIndex);
    error ClaimNotInBatch(bytes32 claimKey, uint256 batchIndex);
    error WithdrawalAlreadyClaimed(bytes32 leaf);
    error InvalidWithdrawalProof();
    error InsufficientBridgedBalance(uint256 amount, uint256 available);
    error TransferFailed(address to, uint256 amount);
    error UnknownModel(bytes32 modelId);
    error DeadlineNotInFuture(uint64 deadline, uint64 nowTime);
    error DeadlineTooLate(uint64 deadline, uint64 maxDeadline);
    error UnknownRequest(uint256 requestId);
    error ResultAlreadyDelivered(uint256 requestId);
    error RequestAlreadyRefunded(uint256 requestId);
    error EscrowAboveRefundable(uint256 escrow, uint256 maxEscrow);
    error ClaimNotForRequest(uint256 requestId, bytes32 modelId, bytes32 inputRoot);
    error ClaimNotFinal(bytes32 claimKey, uint64 finalAt);
    error ClaimSignerUnbacked(address signer, uint256 slashableStake, uint256 minWorkerStake);
    error ClaimNotInvalidated(bytes32 claimKey);
    error InvalidResultProof();
    error ClaimInvalidated(bytes32 claimKey);
    error ClaimUnderDispute(bytes32 claimKey);
    error InsufficientGasForCallback(uint256 gasLeft, uint256 needed);
    /// A signature outside the one canonical encoding (signerOf).
    error SignatureLength(uint256 length);
    error SignatureV(uint8 v);
    error SignatureR();
    error SignatureS();
    error NoSigner();
    /// A claim signed by a key other than the worker it names (claimSigner).
    error ClaimSignerNotWorker(address signer, address worker);

    constructor(
        address sequencer_,
        uint64 challengeWindow_,
        uint64 unbondingDelay_,
        uint256 minWorkerStake_,
        uint256 challengerBond_
    ) EIP712("Verdict", "1") {
        if (sequencer_ == address(0)) revert ZeroAddress();
        if (minWorkerStake_ == 0 || challengerBond_ == 0) revert ZeroAmount();
        if (unbondingDelay_ <= challengeWindow_) {
            revert UnbondingDelayNotAboveChallengeWindow(unbondingDelay_, challengeWindow_);
        }
        sequencer = sequencer_;
        challengeWindow = challengeWindow_;
        unbondingDelay = unbondingDelay_;
        minWorkerStake = minWorkerStake_;
        challengerBond = challengerBond_;
        _deployer = msg.sender;
    }

    // ================================================================== worker stake

    function stake() external payable {
        if (msg.value == 0) revert ZeroAmount();
        WorkerStake storage s = _stakes[msg.sender];
        s.active += msg.value;
        emit Staked(msg.sender, msg.value, s.active);
        _stakeChanged(msg.sender, s, true);
    }

    /// `queued`: the change is an inbox message (stake, unbond, withdrawUnbonded). A slash's change
    /// is not: its message (~45k gas, two new slots) would put the dispute game's one-step win over
    /// its 300k goal; L2 takes a change without a message only when it lowers stake.
    function _stakeChanged(address worker, WorkerStake storage s, bool queued) internal {
        uint64 seq = ++s.seq;
        if (queued) {
            _queue(INBOX_STAKE, keccak256(abi.encodePacked(INBOX_STAKE, worker, seq, s.active, s.unbonding)));
        }
        emit StakeChanged(worker, seq, s.active, s.unbonding, s.unlockAt);
    }

    /// Moves `amount` of active stake into unbonding. Each call restarts the delay for the whole
    /// unbonding amount, so the newest stake always gets the full delay.
    function unbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        WorkerStake storage s = _stakes[msg.sender];
        if (amount > s.active) revert InsufficientStake(amount, s.active);
        s.active -= amount;
        s.unbonding += amount;
        uint64 unlockAt = uint64(block.timestamp) + unbondingDelay;
        s.unlockAt = unlockAt;
        emit UnbondRequested(msg.sender, amount, s.unbonding, unlockAt);
        _stakeChanged(msg.sender, s, true);
    }

    function withdrawUnbonded() external nonReentrant {
        WorkerStake storage s = _stakes[msg.sender];
        uint256 amount = s.unbonding;
        if (amount == 0) revert NothingUnbonding();
        if (block.timestamp < s.unlockAt) revert StillUnbonding(s.unlockAt, uint64(block.timestamp));
        if (s.openDisputes != 0) revert StakeFrozenByDispute(s.openDisputes);
        s.unbonding = 0;
        s.unlockAt = 0;
        emit StakeWithdrawn(msg.sender, amount);
        _stakeChanged(msg.sender, s, true);
        _send(msg.sender, amount);
    }

    function stakeOf(address worker) external view returns (WorkerStake memory) {
        return _stakes[worker];
    }

    /// A worker may take jobs (and its claims are worth disputing) while its active stake covers
    /// the minimum.
    function isBondedWorker(address worker) public view returns (bool) {
        return _stakes[worker].active >= minWorkerStake;
    }

    // ================================================================== challenger bonds

    function depositBond() external payable {
        if (msg.value == 0) revert ZeroAmount();
        ChallengerBond storage b = _bonds[msg.sender];
        b.free += msg.value;
        emit BondDeposited(msg.sender, msg.value, b.free);
    }

    function withdrawBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        ChallengerBond storage b = _bonds[msg.sender];
        if (amount > b.free) revert InsufficientFreeBond(amount, b.free);
        b.free -= amount;
        emit BondWithdrawn(msg.sender, amount, b.free);
        _send(msg.sender, amount);
    }

    function bondOf(address challenger) external view returns (ChallengerBond memory) {
        return _bonds[challenger];
    }

    // ================================================================== model registry

    /// Registers a model by its four roots, its four counts and the binary CIDv1 of its ONNX file.
    /// Anyone may register; the id is content-derived (docs/commitments.md):
    /// modelId = sha256(0x4d || graphRoot || weightsRoot || outputRefsRoot || inputRangesRoot
    ///                  || u32 nodeCount || u32 weightCount || u32 inputCount || u32 outputCount || cid).
    function registerModel(ModelCommitment calldata m, bytes calldata cid) external returns (bytes32 modelId) {
        // A binary CIDv1 starts with the version varint 0x01; anything shorter than version + codec +
        // multihash header cannot name a file.
        if (cid.length < 4 || cid.length > MAX_CID_LENGTH || cid[0] != 0x01) revert InvalidCid(cid.length);
        if (m.graphRoot == bytes32(0)) revert EmptyGraphRoot();
        if (m.outputRefsRoot == bytes32(0)) revert EmptyOutputRefsRoot();
        if (m.inputRangesRoot == bytes32(0)) revert EmptyInputRangesRoot();
        if (m.nodeCount == 0 || m.inputCount == 0 || m.outputCount == 0) {
            revert InvalidModelCounts(m.nodeCount, m.inputCount, m.outputCount);
        }
        // weightsRoot is 0x00*32 exactly when there is no initializer.
        if ((m.weightCount == 0) != (m.weightsRoot == bytes32(0))) {
            revert WeightsRootCountMismatch(m.weightsRoot, m.weightCount);
        }
        modelId = Commitments.modelId(
            m.graphRoot,
            m.weightsRoot,
            m.outputRefsRoot,
            m.inputRangesRoot,
            m.nodeCount,
            m.weightCount,
            m.inputCount,
            m.outputCount,
            cid
        );
        if (_models[modelId].registrant != address(0)) revert ModelAlreadyRegistered(modelId);
        Model storage stored = _models[modelId];
        stored.graphRoot = m.graphRoot;
        stored.weightsRoot = m.weightsRoot;
        stored.outputRefsRoot = m.outputRefsRoot;
        stored.inputRangesRoot = m.inputRangesRoot;
        stored.nodeCount = m.nodeCount;
        stored.weightCount = m.weightCount;
        stored.inputCount = m.inputCount;
        stored.outputCount = m.outputCount;
        stored.registrant = msg.sender;
        stored.registeredAt = uint64(block.timestamp);
        _queue(INBOX_MODEL, keccak256(abi.encodePacked(INBOX_MODEL, modelId, msg.sender, keccak256(cid))));
        emit ModelRegistered(modelId, msg.sender, m.graphRoot, m.weightsRoot, cid);
    }

    function getModel(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// What a one-step proof opens its inputs against: the weights root and the counts that fix
    /// the proof depths. Two storage slots where getModel reads five (about 6k gas of every one
    /// step); zero for a model never registered, like getModel.
    function modelOpening(bytes32 modelId)
        external
        view
        returns (bytes32 weightsRoot, uint32 nodeCount, uint32 weightCount, uint32 inputCount)
    {
        Model storage m = _models[modelId];
        return (m.weightsRoot, m.nodeCount, m.weightCount, m.inputCount);
    }

    function isModelRegistered(bytes32 modelId) public view returns (bool) {
        return _models[modelId].registrant != address(0);
    }

    // ================================================================== batches

    /// Posts the commitment to L2 blocks firstBlock..lastBlock. Batches are contiguous: each starts
    /// right after the previous one ends (the first may start anywhere).
    /// `txData` is the batch data itself (docs/rollup.md 8 "Batch data": its txs as binary tx bytes,
    /// then the blocks' headers deflated), carried as calldata so anyone can rebuild L2 state from L1
    /// alone; `txDataHash` must be sha256(txData) (the event names the data to readers). The Bridge
    /// computes the batch's txRoot over the data's tx section itself (Commitments.batchTxRootOf):
    /// the txs a challenge opens are the published ones, whatever the sequencer says.
    function postBatch(
        uint64 firstBlock,
        uint64 lastBlock,
        bytes32 stateRoot,
        bytes32 withdrawalRoot,
        bytes32 txDataHash,
        bytes calldata cid,
        bytes calldata txData,
        uint64 inboxCount,
        uint64 lastTime
    ) external returns (uint256 batchIndex) {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        if (lastBlock < firstBlock) revert InvalidBlockRange(firstBlock, lastBlock);
        if (txData.length == 0) revert EmptyBatchData();
        if (sha256(txData) != txDataHash) revert BatchDataMismatch(txDataHash, sha256(txData));
        // the upper bound of every timed tx's block time: the step commitments are monotone in it
        // and end at this value, so a tx stamped later is provably wrong (docs/rollup.md 8c)
        if (lastTime > uint64(block.timestamp) * 1000) revert LastTimeAhead(lastTime, uint64(block.timestamp) * 1000);
        batchIndex = _batches.length;
        if (batchIndex != 0) {
            uint64 expected = _batches[batchIndex - 1].lastBlock + 1;
            if (firstBlock != expected) revert NonContiguousBatch(expected, firstBlock);
        }
        Batch storage b = _batches.push();
        b.stateRoot = stateRoot;
        b.withdrawalRoot = withdrawalRoot;
        (b.txRoot, b.txCount) = Commitments.batchTxRootOf(txData);
        (b.firstBlock, b.lastBlock, b.postedAt, b.inboxCount) = (firstBlock, lastBlock, uint64(block.timestamp), inboxCount);
        b.inboxHash = _checkInbox(batchIndex, inboxCount);
        b.lastTime = lastTime;
        emit BatchPosted(batchIndex, firstBlock, lastBlock, stateRoot, withdrawalRoot, txDataHash, cid);
        if (batchChallenge != address(0)) IBatchChallengeHooks(batchChallenge).onBatchPosted(batchIndex);
    }

    /// The batch challenge removes a batch proven wrong with every batch after it (and their claims
    /// roots); the sequencer then posts the honest chain from there.
    function removeBatchesFrom(uint256 batchIndex) external {
        if (msg.sender != batchChallenge || batchChallenge == address(0)) revert NotBatchChallenge(msg.sender);
        emit BatchesRemoved(batchIndex, _batches.length);
        while (_batches.length > batchIndex) {
            delete batchClaims[_batches.length - 1];
            _batches.pop();
        }
    }

    function setBatchChallenge(address challenge) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (challenge == address(0)) revert ZeroAddress();
        if (batchChallenge != address(0)) revert BatchChallengeAlreadySet(batchChallenge);
        batchChallenge = challenge;
    }

    /// A batch consumes the inbox up to `inboxCount` (never fewer than the batch before it) and must
    /// leave no message queued forcedInclusionDelay() ago or earlier behind.
    function _checkInbox(uint256 batchIndex, uint64 inboxCount) internal view returns (bytes32) {
        uint64 previous = batchIndex == 0 ? 0 : _batches[batchIndex - 1].inboxCount;
        if (inboxCount < previous || inboxCount > _inbox.length) {
            revert InvalidInboxCount(previous, inboxCount, _inbox.length);
        }
        if (inboxCount < _inbox.length) {
            uint64 dueBy = _inbox[inboxCount].queuedAt + forcedInclusionDelay();
            if (block.timestamp >= dueBy) revert InboxMessageOverdue(inboxCount, dueBy);
        }
        return inboxCount == 0 ? bytes32(0) : _inbox[inboxCount - 1].rollingHash;
    }

    /// Seconds an inbox message may wait before every batch must consume it: the challenge window
    /// (so the devnet's short window scales it too).
    function forcedInclusionDelay() public view returns (uint64) {
        return challengeWindow;
    }

    function inboxLength() external view returns (uint256) {
        return _inbox.length;
    }

    function getInboxMessage(uint256 inboxIndex) external view returns (InboxMessage memory) {
        return _inbox[inboxIndex];
    }

    /// Sends a signed L2 tx (its wire JSON, docs/rollup.md section 1) through L1: the sequencer
    /// derives it like a deposit and must include it (or find it invalid at that point) before
    /// forcedInclusionDelay() passes, or no batch is accepted.
    function forceTransaction(bytes calldata signedL2Tx) external {
        if (signedL2Tx.length == 0 || signedL2Tx.length > MAX_FORCED_TX_LENGTH) {
            revert InvalidForcedTx(signedL2Tx.length);
        }
        uint256 inboxIndex = _queue(
            INBOX_FORCED_TX, keccak256(abi.encodePacked(INBOX_FORCED_TX, msg.sender, keccak256(signedL2Tx)))
        );
        emit TransactionForced(inboxIndex, msg.sender, signedL2Tx);
    }

    function _queue(uint8 kind, bytes32 messageHash) internal returns (uint256 inboxIndex) {
        inboxIndex = _inbox.length;
        bytes32 previous = inboxIndex == 0 ? bytes32(0) : _inbox[inboxIndex - 1].rollingHash;
        bytes32 rolling = keccak256(abi.encodePacked(previous, messageHash));
        _inbox.push(InboxMessage({rollingHash: rolling, queuedAt: uint64(block.timestamp)}));
        emit InboxQueued(inboxIndex, kind, messageHash, rolling, uint64(block.timestamp));
    }

    /// Records the root of the claim keys submitted in batch `batchIndex`'s blocks (sequencer only,
    /// once per batch, never an empty root: a batch without claims is not recorded). The claims in
    /// it can be disputed until `recordedAt + challengeWindow` (claimFinalAt); after that a dispute
    /// on one of them ends with the claimer winning (DisputeGame.proveClaimFinal).
    function recordBatchClaims(uint256 batchIndex, bytes32 claimsRoot) external {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        _batch(batchIndex);
        if (claimsRoot == bytes32(0)) revert EmptyClaimsRoot();
        BatchClaims storage c = batchClaims[batchIndex];
        if (c.recordedAt != 0) revert BatchClaimsAlreadyRecorded(batchIndex);
        c.root = claimsRoot;
        c.recordedAt = uint64(block.timestamp);
        emit BatchClaimsRecorded(batchIndex, claimsRoot);
    }

    /// When the claim `claimKey` stopped being disputable: `recordedAt + challengeWindow` of batch
    /// `batchIndex`, whose claims tree must hold claimLeaf(claimKey) at `leafIndex` (else reverts).
    function claimFinalAt(
        uint256 batchIndex,
        bytes32 claimKey,
        uint256 leafIndex,
        uint256 leafCount,
        bytes32[] calldata proof
    ) external view returns (uint64) {
        return _claimFinalAt(batchIndex, claimKey, leafIndex, leafCount, proof);
    }

    function _claimFinalAt(
        uint256 batchIndex,
        bytes32 claimKey,
        uint256 leafIndex,
        uint256 leafCount,
        bytes32[] calldata proof
    ) internal view returns (uint64) {
        BatchClaims storage c = batchClaims[batchIndex];
        if (c.recordedAt == 0) revert BatchClaimsNotRecorded(batchIndex);
        if (!Commitments.requireProof(c.root, claimLeaf(claimKey), leafIndex, leafCount, proof)) {
            revert ClaimNotInBatch(claimKey, batchIndex);
        }
        return c.recordedAt + challengeWindow;
    }

    /// A leaf of a batch's claims tree (protocol/claims.ts `claimLeaf`): sha256(0x43 || claimKey).
    function claimLeaf(bytes32 claimKey) public pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x43), claimKey));
    }

    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    function getBatch(uint256 batchIndex) external view returns (Batch memory) {
        return _batch(batchIndex);
    }

    function batchFinalizesAt(uint256 batchIndex) public view returns (uint64) {
        return _batch(batchIndex).postedAt + challengeWindow;
    }

    function isBatchFinalized(uint256 batchIndex) public view returns (bool) {
        return block.timestamp >= batchFinalizesAt(batchIndex);
    }

    // ================================================================== deposits and withdrawals

    /// Locks msg.value on L1 for `l2Recipient`; the sequencer derives the L2 credit from the event.
    function deposit(address l2Recipient) external payable {
        if (msg.value == 0) revert ZeroAmount();
        if (l2Recipient == address(0)) revert ZeroAddress();
        uint256 depositId = depositCount++;
        bridgedBalance += msg.value;
        emit Deposited(depositId, l2Recipient, msg.value);
        _queue(INBOX_DEPOSIT, keccak256(abi.encodePacked(INBOX_DEPOSIT, depositId, l2Recipient, msg.value)));
    }

    /// Pays a withdrawal committed in a finalized batch's withdrawalRoot, once per leaf. Anyone may
    /// submit it; the ETH always goes to `recipient`.
    function proveWithdrawal(
        uint256 batchIndex,
        address recipient,
        uint256 amount,
        bytes32 l2TxHash,
        uint256 leafIndex,
        uint256 leafCount,
        bytes32[] calldata proof
    ) external nonReentrant {
        Batch storage batch = _batch(batchIndex);
        uint64 finalizesAt = batch.postedAt + challengeWindow;
        if (block.timestamp < finalizesAt) revert BatchNotFinalized(batchIndex, finalizesAt);
        if (batchChallenge != address(0) && !IBatchChallengeHooks(batchChallenge).isBatchUnchallenged(batchIndex)) {
            revert BatchUnderChallenge(batchIndex);
        }
        if (recipient == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        bytes32 leaf = Commitments.withdrawalLeaf(recipient, amount, l2TxHash);
        if (withdrawalClaimed[leaf]) revert WithdrawalAlreadyClaimed(leaf);
        if (!Commitments.requireProof(batch.withdrawalRoot, leaf, leafIndex, leafCount, proof)) {
            revert InvalidWithdrawalProof();
        }
        if (amount > bridgedBalance) revert InsufficientBridgedBalance(amount, bridgedBalance);

        withdrawalClaimed[leaf] = true;
        bridgedBalance -= amount;
        emit WithdrawalProven(batchIndex, leaf, recipient, amount, l2TxHash);
        _send(recipient, amount);
    }

    // ================================================================== L1 inference requests

    /// Asks L2 for inference of registered model `modelId` on the input committed by `inputRoot`
    /// (the input file at `inputCid`), paying msg.value as the job's escrow. `deadline` is in
    /// seconds since the epoch (L1 block time); L2 reads it as deadline * 1000 ms. The escrow
    /// enters bridgedBalance: on L2 it is minted as the job's escrow and leaves again as an L2
    /// withdrawal, to the worker when paid or to the requester when refunded.
    function requestInference(bytes32 modelId, bytes32 inputRoot, bytes calldata inputCid, uint64 deadline)
        external
        payable
        returns (uint256 requestId)
    {
        if (msg.value == 0) revert ZeroAmount();
        if (!isModelRegistered(modelId)) revert UnknownModel(modelId);
        if (inputCid.length < 4 || inputCid.length > MAX_CID_LENGTH || inputCid[0] != 0x01) {
            revert InvalidCid(inputCid.length);
        }
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline, uint64(block.timestamp));
        if (deadline > MAX_REQUEST_DEADLINE) revert DeadlineTooLate(deadline, MAX_REQUEST_DEADLINE);
        if (msg.value > maxRequestEscrow()) revert EscrowAboveRefundable(msg.value, maxRequestEscrow());
        requestId = requestCount++;
        bridgedBalance += msg.value;
        InferenceRequest storage r = _requests[requestId];
        r.requester = msg.sender;
        r.deadline = deadline;
        r.subject = _requestSubject(modelId, inputRoot);
        r.escrow = msg.value;
        _queueRequest(requestId, modelId, inputRoot, inputCid, deadline);
        emit InferenceRequested(requestId, msg.sender, modelId, inputRoot, inputCid, msg.value, deadline);
    }

    /// The request's inbox message; its deadline in ms as L2 keeps it (MAX_REQUEST_DEADLINE keeps
    /// deadline * 1000 below 2^53).
    function _queueRequest(
        uint256 requestId,
        bytes32 modelId,
        bytes32 inputRoot,
        bytes calldata inputCid,
        uint64 deadline
    ) internal {
        _queue(
            INBOX_REQUEST,
            keccak256(
                abi.encodePacked(
                    INBOX_REQUEST,
                    requestId,
                    msg.sender,
                    modelId,
                    inputRoot,
                    msg.value,
                    deadline * 1000,
                    keccak256(inputCid)
                )
            )
        );
    }

    /// The largest escrow an L1 request may carry: the burned half of one slash (minWorkerStake),
    /// so a claim invalidated after L2 paid it refunds the whole escrow from that slash
    /// (refundInvalidatedRequest). A job paying more than a lie costs would also make lying pay.
    function maxRequestEscrow() public view returns (uint256) {
        return minWorkerStake / 2;
    }

    /// What a claim answering a request must be about: keccak256(abi.encode(modelId, inputRoot)).
    function _requestSubject(bytes32 modelId, bytes32 inputRoot) internal pure returns (bytes32) {
        return keccak256(abi.encode(modelId, inputRoot));
    }

    /// Hands the result of request `requestId` to its requester, from the worker's signed `claim`:
    /// the claim is about the request's model and input, L2 paid it for this request (its result
    /// leaf is in final batch `result.batchIndex`'s message tree), it has been on L1 (in batch
    /// `inclusion.batchIndex`'s claims tree) for the whole challenge window, its signer has
    /// slashable stake of at least minWorkerStake, and no dispute on it is running or won. So a
    /// result leaf the sequencer made up is useless without a staked worker's signature, and a
    /// signed lie is one watchers could dispute for a full window (docs/bridge.md "Delivery").
    /// Anyone may relay it. The requester's onInferenceResult runs with RESULT_CALLBACK_GAS; if it
    /// reverts, the delivery is recorded as RESULT_CALLBACK_FAILED (getRequest) and not retried.
    function deliverResult(
        uint256 requestId,
        Claim calldata claim,
        bytes calldata signature,
        BatchLeafProof calldata result,
        BatchLeafProof calldata inclusion
    ) external nonReentrant returns (bool callbackSucceeded) {
        (InferenceRequest storage r, bytes32 claimKey) = _paidClaim(requestId, claim, result);
        uint64 finalAt =
            _claimFinalAt(inclusion.batchIndex, claimKey, inclusion.leafIndex, inclusion.leafCount, inclusion.proof);
        if (block.timestamp < finalAt) revert ClaimNotFinal(claimKey, finalAt);
        // Every dispute counts, whenever it ends: a won one refuses the claim (the request is then
        // refunded, refundInvalidatedRequest), one still running holds it back.
        {
            ClaimRecord storage c = _claims[claimKey];
            if (c.invalidated) revert ClaimInvalidated(claimKey);
            if (c.openDisputes != 0) revert ClaimUnderDispute(claimKey);
        }
        // A signer without stake could never be slashed for it: its claim is worth nothing.
        address signer = _claimSigner(claimKey, claim.worker, signature);
        uint256 backing = _slashableStake(signer);
        if (backing < minWorkerStake) revert ClaimSignerUnbacked(signer, backing, minWorkerStake);

        r.result = RESULT_DELIVERED;
        r.claimKey = claimKey;
        r.outputRoot = claim.outputRoot;
        callbackSucceeded = _callConsumer(r.requester, requestId, claim.outputRoot, claim.outputCid);
        if (!callbackSucceeded) r.result = RESULT_CALLBACK_FAILED;
        emit ResultDelivered(requestId, result.batchIndex, claimKey, claim.outputRoot, claim.outputCid, callbackSucceeded);
    }

    /// Refunds request `requestId` on L1 when the claim L2 paid for it (its result leaf in final
    /// batch `result.batchIndex`) has since lost a dispute: L2 cannot take the worker's pay back,
    /// so the escrow comes from the burned half of that claim's slash (refundReserve), at most
    /// the escrow. Anyone may call it; the ETH goes to the requester (which, if a contract, needs
    /// to accept ETH). A request L2 refunded itself has no result leaf: its escrow is an L2
    /// withdrawal (proveWithdrawal), never both.
    function refundInvalidatedRequest(uint256 requestId, Claim calldata claim, BatchLeafProof calldata result)
        external
        nonReentrant
        returns (uint256 amount)
    {
        (InferenceRequest storage r, bytes32 claimKey) = _paidClaim(requestId, claim, result);
        ClaimRecord storage c = _claims[claimKey];
        if (!c.invalidated) revert ClaimNotInvalidated(claimKey);
        uint256 reserve = c.refundReserve;
        amount = r.escrow < reserve ? r.escrow : reserve;
        c.refundReserve = uint128(reserve - amount);
        _burned -= uint96(amount);
        r.result = RESULT_REFUNDED;
        r.claimKey = claimKey;
        emit RequestRefunded(requestId, claimKey, amount);
        if (amount != 0) _send(r.requester, amount);
    }

    /// The checks delivery and refund share: request `requestId` is open, `claim` is about its
    /// model and input, and the claim's result leaf for it is in final batch `p.batchIndex`'s
    /// message tree (L2 paid this claim for this request).
    function _paidClaim(uint256 requestId, Claim calldata claim, BatchLeafProof calldata p)
        internal
        view
        returns (InferenceRequest storage r, bytes32 claimKey)
    {
        r = _requests[requestId];
        if (r.requester == address(0)) revert UnknownRequest(requestId);
        if (r.result == RESULT_REFUNDED) revert RequestAlreadyRefunded(requestId);
        if (r.result != RESULT_NONE) revert ResultAlreadyDelivered(requestId);
        if (_requestSubject(claim.modelId, claim.inputRoot) != r.subject) {
            revert ClaimNotForRequest(requestId, claim.modelId, claim.inputRoot);
        }
        Batch storage batch = _batch(p.batchIndex);
        uint64 finalizesAt = batch.postedAt + challengeWindow;
        if (block.timestamp < finalizesAt) revert BatchNotFinalized(p.batchIndex, finalizesAt);
        if (claim.outputCid.length > MAX_CID_LENGTH) revert InvalidCid(claim.outputCid.length);
        claimKey = claimDigest(claim);
        bytes32 leaf = resultLeaf(requestId, claimKey, claim.outputRoot, claim.outputCid);
        if (!Commitments.requireProof(batch.withdrawalRoot, leaf, p.leafIndex, p.leafCount, p.proof)) {
            revert InvalidResultProof();
        }
    }

    /// The result leaf of a batch's message tree (protocol/withdrawal.ts `resultLeaf`):
    /// sha256(0x52 || requestId (u256) || claimKey || outputRoot || sha256(outputCid)).
    function resultLeaf(uint256 requestId, bytes32 claimKey, bytes32 outputRoot, bytes calldata outputCid)
        public
        pure
        returns (bytes32)
    {
        return sha256(abi.encodePacked(bytes1(0x52), requestId, claimKey, outputRoot, sha256(outputCid)));
    }

    function getRequest(uint256 requestId) external view returns (InferenceRequest memory) {
        return _requests[requestId];
    }

    /// Calls onInferenceResult with exactly RESULT_CALLBACK_GAS and without copying return data
    /// (a consumer cannot make delivery expensive by returning a lot).
    function _callConsumer(address to, uint256 requestId, bytes32 outputRoot, bytes calldata outputCid)
        internal
        returns (bool ok)
    {
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInferenceResult, (requestId, outputRoot, outputCid));
        uint256 needed = (RESULT_CALLBACK_GAS * 64) / 63 + CALLBACK_OVERHEAD;
        if (gasleft() < needed) revert InsufficientGasForCallback(gasleft(), needed);
        uint256 stipend = RESULT_CALLBACK_GAS;
        assembly ("memory-safe") {
            ok := call(stipend, to, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }

    // ================================================================== claims

    /// The EIP-712 digest a worker signs for `claim` on this bridge.
    function claimDigest(Claim calldata claim) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CLAIM_TYPEHASH,
                    claim.jobId,
                    claim.worker,
                    claim.modelId,
                    claim.inputRoot,
                    claim.outputRoot,
                    claim.traceRoot,
                    claim.generationSpec,
                    keccak256(claim.outputCid),
                    keccak256(claim.traceCid)
                )
            )
        );
    }

    /// The worker that signed `claim`: reverts on any signature that is not canonical (signerOf)
    /// and on one by any key but claim.worker (ClaimSignerNotWorker). The dispute game opens
    /// disputes through this, so a dispute is always against the worker the claim names.
    function claimSigner(Claim calldata claim, bytes calldata signature) public view returns (address) {
        return _claimSigner(claimDigest(claim), claim.worker, signature);
    }

    function _claimSigner(bytes32 claimKey, address worker, bytes calldata signature)
        internal
        pure
        returns (address signer)
    {
        signer = signerOf(claimKey, signature);
        if (signer != worker) revert ClaimSignerNotWorker(signer, worker);
    }

    /// Group order n of secp256k1 and n/2: an s above n/2 is the malleable twin of a valid one.
    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant SECP256K1_HALF_N = SECP256K1_N >> 1;

    /// The signer of `digest` under Verdict's one signature encoding (docs/commitments.md
    /// "Signatures"): 65 bytes r || s || v, 1 <= r < n, 1 <= s <= n/2, v in {27, 28}, and some key
    /// recovers from it. L2 and the SDK apply the same rule (protocol/secp256k1.ts
    /// nonCanonicalSignature, test/vectors/signatures.json), so every claim L2 accepts is one a
    /// challenger can dispute here, and no claim has a second encoding with another digest of it.
    function signerOf(bytes32 digest, bytes calldata signature) public pure returns (address signer) {
        if (signature.length != 65) revert SignatureLength(signature.length);
        uint256 r = uint256(bytes32(signature[0:32]));
        uint256 s = uint256(bytes32(signature[32:64]));
        uint8 v = uint8(signature[64]);
        if (v != 27 && v != 28) revert SignatureV(v);
        if (r == 0 || r >= SECP256K1_N) revert SignatureR();
        if (s == 0 || s > SECP256K1_HALF_N) revert SignatureS();
        signer = ecrecover(digest, v, bytes32(r), bytes32(s));
        if (signer == address(0)) revert NoSigner();
    }

    // ================================================================== dispute game hooks

    /// Outcomes of settleDispute: the claimer (worker) won, the challenger won (the claim is
    /// invalidated), the dispute was void (its claim had already been invalidated by another
    /// dispute: the bond goes back), or the challenger won against a signer with no stake
    /// (unbacked: the bond goes back, nothing to slash, the claim is not invalidated).
    uint8 public constant OUTCOME_CLAIMER_WON = 0;
    uint8 public constant OUTCOME_CHALLENGER_WON = 1;
    uint8 public constant OUTCOME_VOID = 2;
    uint8 public constant OUTCOME_UNBACKED = 3;

    /// Names the dispute game once; only the deployer may, and only before any dispute exists.
    function setDisputeGame(address game) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (game == address(0)) revert ZeroAddress();
        if (disputeGame != address(0)) revert DisputeGameAlreadySet(disputeGame);
        disputeGame = game;
        emit DisputeGameSet(game);
    }

    modifier onlyDisputeGame() {
        if (msg.sender != disputeGame) revert NotDisputeGame(msg.sender);
        _;
    }

    /// What backs a worker's claims: active and unbonding stake alike (a worker that starts
    /// unbonding right after signing a claim can still be disputed and slashed until it withdraws).
    function slashableStake(address worker) external view returns (uint256) {
        return _slashableStake(worker);
    }

    /// A dispute opens: lock the challenger's bond, freeze the worker's stake withdrawals and count
    /// a running dispute on the claim (deliverResult waits for it).
    function lockDispute(address challenger, address worker, bytes32 claimKey) external onlyDisputeGame {
        ChallengerBond storage b = _bonds[challenger];
        if (b.free < challengerBond) revert InsufficientFreeBond(challengerBond, b.free);
        b.free -= challengerBond;
        b.locked += challengerBond;
        _stakes[worker].openDisputes += 1;
        _claims[claimKey].openDisputes += 1;
    }

    /// A dispute ends. A challenger that loses pays its whole bond to the worker (it covers the
    /// honest claimer's game gas); a worker that loses is slashed at most minWorkerStake, active
    /// stake first, half credited to the challenger's free bond (withdrawn with withdrawBond) and
    /// half burned, so a worker disputing itself through a puppet still loses; the claim is
    /// invalidated. A challenger win on a claim another dispute has already invalidated is void
    /// (returned as `settled`): a claim is invalidated, and its worker slashed, once. No ETH
    /// leaves the contract here.
    function settleDispute(address challenger, address worker, bytes32 claimKey, uint8 outcome)
        external
        onlyDisputeGame
        returns (uint8 settled)
    {
        if (outcome > OUTCOME_UNBACKED) revert InvalidOutcome(outcome);
        ClaimRecord storage c = _claims[claimKey];
        if (outcome == OUTCOME_CHALLENGER_WON && c.invalidated) outcome = OUTCOME_VOID;
        settled = outcome;
        ChallengerBond storage b = _bonds[challenger];
        WorkerStake storage s = _stakes[worker];
        b.locked -= challengerBond;
        s.openDisputes -= 1;
        c.openDisputes -= 1;
        uint256 slashed;
        uint256 burnedAmount;
        if (outcome == OUTCOME_CLAIMER_WON) {
            // The whole bond: it must pay for the honest claimer's gas over the game (docs/bridge.md
            // "Bond sizing"); nothing is burned, as a dispute a worker's own puppet loses only
            // delays that worker's pay.
            _bonds[worker].free += challengerBond;
        } else {
            b.free += challengerBond;
            if (outcome == OUTCOME_CHALLENGER_WON) {
                c.invalidated = true;
                uint256 total = s.active + s.unbonding;
                slashed = total < minWorkerStake ? total : minWorkerStake;
                uint256 fromActive = slashed < s.active ? slashed : s.active;
                s.active -= fromActive;
                s.unbonding -= slashed - fromActive;
                if (slashed != 0) _stakeChanged(worker, s, false);
                uint256 half = slashed / 2;
                b.free += half;
                burnedAmount = slashed - half;
                // Kept for the L1 request this claim may have answered (refundInvalidatedRequest).
                if (burnedAmount != 0) {
                    _burned += uint96(burnedAmount);
                    c.refundReserve += uint128(burnedAmount);
                }
            }
        }
        emit DisputeSettled(challenger, worker, outcome, slashed, burnedAmount);
    }

    /// ETH taken from losers and burned, less the refunds paid from it.
    function burned() external view returns (uint256) {
        return _burned;
    }

    /// Whether the claim (by EIP-712 digest) lost a dispute (DisputeGame.claimInvalidated reads this).
    function claimInvalidated(bytes32 claimKey) external view returns (bool) {
        return _claims[claimKey].invalidated;
    }

    /// Disputes on the claim still running.
    function openDisputesOn(bytes32 claimKey) external view returns (uint256) {
        return _claims[claimKey].openDisputes;
    }

    /// The burned half of the slashes the claim's lost disputes took, less what refunds took.
    function refundReserve(bytes32 claimKey) external view returns (uint256) {
        return _claims[claimKey].refundReserve;
    }

    // ================================================================== internals

    function _batch(uint256 batchIndex) internal view returns (Batch storage) {
        if (batchIndex >= _batches.length) revert UnknownBatch(batchIndex, _batches.length);
        return _batches[batchIndex];
    }

    /// Everything a worker can lose in a dispute: active and unbonding stake alike.
    function _slashableStake(address worker) internal view returns (uint256) {
        WorkerStake storage s = _stakes[worker];
        return s.active + s.unbonding;
    }

    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
