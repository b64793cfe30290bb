// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BatchStepVerifier} from "./BatchStepVerifier.sol";
import {Commitments} from "./lib/Commitments.sol";
import {RollupState} from "./lib/RollupState.sol";
import {UserTxRules} from "./lib/UserTxRules.sol";

/// What the batch challenge reads from and asks of the Bridge (its hooks stay small).
interface IBatchBridge {
    struct Batch {
        bytes32 stateRoot;
        bytes32 withdrawalRoot;
        bytes32 txRoot;
        uint64 firstBlock;
        uint64 lastBlock;
        uint64 postedAt;
        uint64 inboxCount;
        bytes32 inboxHash;
        uint64 lastTime;
        uint32 txCount;
    }

    /// One message of the inbox (Bridge.InboxMessage).
    struct InboxMessage {
        bytes32 rollingHash;
        uint64 queuedAt;
    }

    function getBatch(uint256 batchIndex) external view returns (Batch memory);
    function getInboxMessage(uint256 inboxIndex) external view returns (InboxMessage memory);
    function batchCount() external view returns (uint256);
    function sequencer() external view returns (address);
    function challengeWindow() external view returns (uint64);
    function removeBatchesFrom(uint256 batchIndex) external;
}

/// @title BatchChallenge
/// @notice Permissionless state-root fault proofs for the Bridge's batches (docs/rollup.md 8c).
/// The sequencer keeps a bond here (postBatch needs it; locked while a batch of its is in its window
/// or challenged). Within a batch's window anyone with `challengerBond` challenges it; the sequencer
/// reveals the batch's L2 -> L1 messages (they must be the withdrawalRoot's leaves), then the
/// step commitment C_mid = sha256(stateRoot || messageChain || inboxHash || lastTime u64) in the
/// middle of the disputed tx range (inboxHash: the L1 inbox's rolling hash over the derived txs so
/// far; lastTime: the block time of the last timed tx so far, which a timed tx may not go below;
/// C_0 and C_n carry the previous batch's and this batch's inboxHash and lastTime as the Bridge
/// recorded them),
/// and the challenger agrees or disagrees, until one tx: the challenger then executes it on chain
/// (BatchStepVerifier) from the agreed C_i and wins when the result is not the disputed C_i+1.
/// Every move has a chess clock; a side that lets its clock run out loses. A lost batch is removed
/// with every later one, the sequencer's bond is slashed (half to the challenger, half burned).
contract BatchChallenge is ReentrancyGuard {
    uint8 internal constant AWAIT_MESSAGES = 1; // sequencer's move
    uint8 internal constant AWAIT_MID = 2; // sequencer's move
    uint8 internal constant AWAIT_VERDICT = 3; // challenger's move
    uint8 internal constant AWAIT_ONE_STEP = 4; // challenger's move
    uint8 internal constant SEQUENCER_WON = 5;
    uint8 internal constant CHALLENGER_WON = 6;
    uint8 internal constant VOID = 7; // the batch was removed by another challenge meanwhile

    struct Challenge {
        uint64 batchIndex;
        uint64 epoch; // removals when the batch was posted: a reposted index is another batch
        address challenger;
        uint8 phase;
        uint64 lo; // agreed: C_lo
        uint64 hi; // disputed: C_hi
        uint64 txCount;
        uint64 lastMoveAt;
        uint64 sequencerClock; // seconds left
        uint64 challengerClock;
        bytes32 cLo;
        bytes32 cHi;
        bytes32 cMid;
        bytes32 txRoot;
    }

    IBatchBridge public immutable bridge;
    BatchStepVerifier public immutable verifier;
    /// The state root before batch 0 (the genesis state: batch 0 starts at block 1).
    bytes32 public immutable genesisStateRoot;
    uint256 public immutable sequencerBond;
    uint256 public immutable challengerBond;
    /// Seconds each side has for all its moves of one challenge.
    uint64 public immutable clock;

    uint256 public sequencerBondBalance;
    uint64 public bondLockedUntil;
    uint256 public removals;
    /// Challenges not yet resolved or closed (a void one counts until closeVoid).
    uint256[] internal _openIds;
    mapping(uint256 challengeId => uint256) internal _openSlot; // index in _openIds + 1
    uint256 public burned;
    mapping(uint256 batchIndex => uint256) public batchEpoch;
    Challenge[] internal _challenges;

    event SequencerBondDeposited(address indexed from, uint256 amount, uint256 balance);
    event SequencerBondWithdrawn(uint256 amount, uint256 balance);
    event BatchChallenged(uint256 indexed challengeId, uint256 indexed batchIndex, address indexed challenger, uint64 txCount);
    event MessagesRevealed(uint256 indexed challengeId, uint256 messageCount, bytes32 finalCommitment);
    event MidRevealed(uint256 indexed challengeId, uint64 index, bytes32 commitment);
    event MidJudged(uint256 indexed challengeId, uint64 index, bool agreed);
    event ChallengeResolved(uint256 indexed challengeId, uint256 indexed batchIndex, bool challengerWon, string reason);
    event BatchesRemoved(uint256 indexed fromBatchIndex, uint256 slashed, uint256 challengerReward);

    /// BatchStepVerifier's, bubbled up by proveStep (declared here so callers can decode it).
    error NotBridge(address caller);
    error NotSequencer(address caller);
    error NotChallenger(address caller);
    error SequencerBondTooLow(uint256 balance, uint256 required);
    error BondLocked(uint64 lockedUntil, uint256 openChallenges);
    error WrongChallengerBond(uint256 sent, uint256 required);
    error UnknownBatch(uint256 batchIndex);
    error WindowClosed(uint256 batchIndex, uint64 closedAt);
    error UnknownChallenge(uint256 challengeId);
    error WrongPhase(uint8 phase);
    error ClockRanOut(uint64 elapsed, uint64 left);
    error ClockNotOut(uint64 elapsed, uint64 left);
    error MessagesMismatch(bytes32 withdrawalRoot, bytes32 revealed);
    error PreStateMismatch(bytes32 agreed, bytes32 given);
    error TxNotInBatch(uint64 index);
    error StepIsRight(uint64 index);
    error NotVoid(uint256 challengeId);
    error TransferFailed(address to, uint256 amount);

    constructor(
        IBatchBridge bridge_,
        BatchStepVerifier verifier_,
        bytes32 genesisStateRoot_,
        uint256 sequencerBond_,
        uint256 challengerBond_,
        uint64 clock_
    ) {
        bridge = bridge_;
        verifier = verifier_;
        genesisStateRoot = genesisStateRoot_;
        sequencerBond = sequencerBond_;
        challengerBond = challengerBond_;
        clock = clock_;
    }

    // ------------------------------------------------------------------ the sequencer's bond

    /// Anyone may add to the sequencer's bond (the deployer funds it on a devnet).
    function depositSequencerBond() external payable {
        sequencerBondBalance += msg.value;
        emit SequencerBondDeposited(msg.sender, msg.value, sequencerBondBalance);
    }

    /// The sequencer takes bond back once no batch of its is in its window and none is challenged.
    function withdrawSequencerBond(uint256 amount) external nonReentrant {
        address seq = bridge.sequencer();
        if (msg.sender != seq) revert NotSequencer(msg.sender);
        if (block.timestamp < bondLockedUntil || _openIds.length != 0) {
            revert BondLocked(bondLockedUntil, _openIds.length);
        }
        sequencerBondBalance -= amount;
        emit SequencerBondWithdrawn(amount, sequencerBondBalance);
        _send(seq, amount);
    }

    /// Bridge.postBatch's hook: the bond must cover a slash; it stays locked through the window.
    function onBatchPosted(uint256 batchIndex) external {
        if (msg.sender != address(bridge)) revert NotBridge(msg.sender);
        if (sequencerBondBalance < sequencerBond) revert SequencerBondTooLow(sequencerBondBalance, sequencerBond);
        batchEpoch[batchIndex] = removals;
        uint64 until = uint64(block.timestamp) + bridge.challengeWindow();
        if (until > bondLockedUntil) bondLockedUntil = until;
    }

    /// Bridge.proveWithdrawal's hook: no live challenge is open on this batch or an earlier one
    /// (a removal takes every later batch with it, so a later batch is not final either).
    function isBatchUnchallenged(uint256 batchIndex) external view returns (bool) {
        for (uint256 i = 0; i < _openIds.length; i++) {
            Challenge storage c = _challenges[_openIds[i]];
            if (c.batchIndex <= batchIndex && !_removed(c)) return false;
        }
        return true;
    }

    function openChallengeCount() external view returns (uint256) {
        return _openIds.length;
    }

    function _closeOpen(uint256 id) internal {
        uint256 slot = _openSlot[id] - 1;
        uint256 last = _openIds[_openIds.length - 1];
        _openIds[slot] = last;
        _openSlot[last] = slot + 1;
        _openIds.pop();
        delete _openSlot[id];
    }

    // ------------------------------------------------------------------ the challenge

    /// Challenges batch `batchIndex` over the txs the Bridge hashed from its data at postBatch
    /// (IBatchBridge.Batch txRoot, txCount): nothing to open, the challenge costs the same whatever
    /// the batch's size.
    function challengeBatch(uint256 batchIndex) external payable returns (uint256 id) {
        if (msg.value != challengerBond) revert WrongChallengerBond(msg.value, challengerBond);
        if (batchIndex >= bridge.batchCount()) revert UnknownBatch(batchIndex);
        IBatchBridge.Batch memory b = bridge.getBatch(batchIndex);
        uint64 closesAt = b.postedAt + bridge.challengeWindow();
        if (block.timestamp >= closesAt) revert WindowClosed(batchIndex, closesAt);
        id = _open(batchIndex, b.txRoot, b.txCount);
    }

    /// Opens challenge `id` of batch `batchIndex` over the `txCount` txs under `txRoot`, from the
    /// previous batch's commitment (the genesis state before batch 0).
    function _open(uint256 batchIndex, bytes32 txRoot, uint64 txCount) internal returns (uint256 id) {
        bytes32 pre = genesisStateRoot;
        bytes32 preInbox;
        uint64 preLastTime;
        if (batchIndex > 0) {
            IBatchBridge.Batch memory prev = bridge.getBatch(batchIndex - 1);
            pre = prev.stateRoot;
            preInbox = prev.inboxHash;
            preLastTime = prev.lastTime;
        }
        id = _challenges.length;
        uint256 epoch = batchEpoch[batchIndex];
        _challenges.push(
            Challenge({
                batchIndex: uint64(batchIndex),
                epoch: uint64(epoch),
                challenger: msg.sender,
                phase: AWAIT_MESSAGES,
                lo: 0,
                hi: txCount,
                txCount: txCount,
                lastMoveAt: uint64(block.timestamp),
                sequencerClock: clock,
                challengerClock: clock,
                cLo: stepCommitment([pre, bytes32(0), preInbox], preLastTime),
                cHi: bytes32(0),
                cMid: bytes32(0),
                txRoot: txRoot
            })
        );
        _openIds.push(id);
        _openSlot[id] = _openIds.length;
        emit BatchChallenged(id, batchIndex, msg.sender, txCount);
    }

    function getChallenge(uint256 id) external view returns (Challenge memory) {
        return _challenge(id);
    }

    function challengeCount() external view returns (uint256) {
        return _challenges.length;
    }

    /// The sequencer opens the batch's message root: `leaves` must be its leaves, in order. Its
    /// claimed final commitment is then C_n = sha256(stateRoot || chain of the leaves || inboxHash
    /// || lastTime).
    function revealMessages(uint256 id, bytes32[] calldata leaves) external {
        Challenge storage c = _sequencerMove(id, AWAIT_MESSAGES);
        IBatchBridge.Batch memory b = bridge.getBatch(c.batchIndex);
        bytes32 root = leaves.length == 0 ? bytes32(0) : _merkleRoot(leaves);
        if (root != b.withdrawalRoot) revert MessagesMismatch(b.withdrawalRoot, root);
        bytes32 chain;
        for (uint256 i = 0; i < leaves.length; i++) {
            chain = sha256(abi.encodePacked(chain, leaves[i]));
        }
        c.cHi = stepCommitment([b.stateRoot, chain, b.inboxHash], b.lastTime);
        emit MessagesRevealed(id, leaves.length, c.cHi);
        if (c.hi == c.lo) {
            // No tx: the batch must leave the state and messages as they were.
            if (c.cHi == c.cLo) _resolve(id, c, false, "batch without txs keeps the state");
            else _resolve(id, c, true, "batch without txs changes the state");
        } else {
            c.phase = c.hi - c.lo == 1 ? AWAIT_ONE_STEP : AWAIT_MID;
        }
    }

    /// The sequencer reveals C_mid, mid = (lo + hi) / 2.
    function revealMid(uint256 id, bytes32 commitment) external {
        Challenge storage c = _sequencerMove(id, AWAIT_MID);
        c.cMid = commitment;
        c.phase = AWAIT_VERDICT;
        emit MidRevealed(id, (c.lo + c.hi) / 2, commitment);
    }

    /// The challenger agrees (the lie is after mid) or disagrees (at or before mid) with C_mid.
    function judgeMid(uint256 id, bool agree) external {
        Challenge storage c = _challengerMove(id, AWAIT_VERDICT);
        uint64 mid = (c.lo + c.hi) / 2;
        if (agree) {
            c.lo = mid;
            c.cLo = c.cMid;
        } else {
            c.hi = mid;
            c.cHi = c.cMid;
        }
        c.phase = c.hi - c.lo == 1 ? AWAIT_ONE_STEP : AWAIT_MID;
        emit MidJudged(id, mid, agree);
    }

    /// The challenger executes tx `lo` from the agreed C_lo, opened as pre = (stateRoot,
    /// messageChain, inboxHash) and preLastTime: wins when the tx is refused by the rules (a timed tx
    /// stamped below preLastTime included) or its result is not C_hi.
    function proveStep(
        uint256 id,
        bytes32[3] calldata pre,
        uint64 preLastTime,
        bytes calldata txBytes,
        bytes32[] calldata txProof,
        RollupState.RecordProof[] calldata records
    ) external {
        Challenge storage c = _challengerMove(id, AWAIT_ONE_STEP);
        bytes32 cPre = stepCommitment(pre, preLastTime);
        if (cPre != c.cLo) revert PreStateMismatch(c.cLo, cPre);
        if (!Commitments.requireProof(c.txRoot, sha256(txBytes), c.lo, c.txCount, txProof)) {
            revert TxNotInBatch(c.lo);
        }
        // Block time bounds: a timed tx may not go below the last timed tx's time (lower bound);
        // the chain of lastTimes ends at the batch's lastTime, which postBatch kept at or below its
        // L1 block time, so a tx stamped after that breaks this rule at some step (upper bound).
        (bool inOrder, uint64 postLastTime) = lastTimeAfter(preLastTime, txBytes);
        if (!inOrder) {
            _resolve(id, c, true, "tx refused by the rules");
            return;
        }
        // An L1 event's tx (model, L1 request, queued stake change) must consume the inbox's next
        // message before anything else is asked of it: a made-up, skipped or replaced one is
        // refused here; L1's real one then runs its state rule (L1EventStepRules, via the verifier).
        if (!_consumesNextInboxMessage(c, pre[2], txBytes)) {
            _resolve(id, c, true, "tx refused by the rules");
            return;
        }
        (bool applied, bytes32[3] memory post) = _step(pre, txBytes, records);
        if (!applied) {
            _resolve(id, c, true, "tx refused by the rules");
            return;
        }
        if (stepCommitment(post, postLastTime) == c.cHi) revert StepIsRight(c.lo);
        _resolve(id, c, true, "tx executes to another state");
    }

    /// The verifier's step, where bytes that encode no tx (its `BadTxEncoding`, decided by the tx
    /// bytes alone, never by the record proofs) are a tx refused: the tx section is L1's, so the
    /// sequencer put them in the batch and an honest batch has none (decode-tx-bytes.ts). Any other
    /// revert (a bad witness) reverts the move.
    function _step(bytes32[3] calldata pre, bytes calldata txBytes, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bool applied, bytes32[3] memory post)
    {
        try verifier.step(pre, txBytes, records) returns (bool a, bytes32[3] memory p) {
            return (a, p);
        } catch (bytes memory err) {
            if (err.length < 4 || bytes4(err) != BatchStepVerifier.BadTxEncoding.selector) {
                assembly ("memory-safe") {
                    revert(add(err, 0x20), mload(err))
                }
            }
            return (false, post);
        }
    }

    /// Ends a challenge whose side to move has used up its clock: the other side wins.
    function timeout(uint256 id) external {
        Challenge storage c = _challenge(id);
        _requireLive(id, c);
        bool sequencerToMove = c.phase == AWAIT_MESSAGES || c.phase == AWAIT_MID;
        uint64 left = sequencerToMove ? c.sequencerClock : c.challengerClock;
        uint64 elapsed = uint64(block.timestamp) - c.lastMoveAt;
        if (elapsed <= left) revert ClockNotOut(elapsed, left);
        _resolve(id, c, sequencerToMove, sequencerToMove ? "sequencer ran out of time" : "challenger ran out of time");
    }

    /// Closes a challenge whose batch another challenge removed: the challenger gets its bond back.
    function closeVoid(uint256 id) external nonReentrant {
        Challenge storage c = _challenge(id);
        if (c.phase >= SEQUENCER_WON || !_removed(c)) revert NotVoid(id);
        c.phase = VOID;
        _closeOpen(id);
        emit ChallengeResolved(id, c.batchIndex, false, "batch removed by another challenge");
        _send(c.challenger, challengerBond);
    }

    // ------------------------------------------------------------------ block time bounds

    /// C = sha256(stateRoot || messageChain || inboxHash || lastTime u64): encoding.ts stepCommitment.
    function stepCommitment(bytes32[3] memory roots, uint64 lastTime) public pure returns (bytes32) {
        return sha256(abi.encodePacked(roots[0], roots[1], roots[2], lastTime));
    }

    /// The last timed tx's block time after `txBytes` (encoding.ts lastTimeAfter): a timed kind
    /// (postJob 0x04 .. submitGeneration 0x09, the forced tx 0x82, the L1 request 0x84) carries its block time (u64 ms)
    /// after the kind byte and sets it, refused (`inOrder` false) below `lastTime` or past 2^53 - 1; any other kind
    /// keeps `lastTime`.
    function lastTimeAfter(uint64 lastTime, bytes calldata txBytes) public pure returns (bool inOrder, uint64) {
        if (txBytes.length == 0) return (true, lastTime);
        uint8 kind = uint8(txBytes[0]);
        if ((kind < 0x04 || kind > 0x09) && kind != 0x82 && kind != 0x84) return (true, lastTime);
        if (txBytes.length < 9) return (false, lastTime);
        uint64 t = uint64(bytes8(txBytes[1:9]));
        // past 2^53 - 1 (encoding.ts MAX_SAFE): no block time L2 holds, refused in TS alike
        if (t > UserTxRules.MAX_SAFE_INTEGER) return (false, lastTime);
        return (t >= lastTime, t);
    }

    // ------------------------------------------------------------------ internals

    /// True unless `txBytes` is an L1 event's tx whose message is not the inbox's next one after
    /// `preInbox` (the agreed inbox hash): message `inboxIndex` (named by the tx) must be counted by
    /// the batch, follow `preInbox` on L1 and roll it into L1's own hash after it. The rolling
    /// hash names its position, so an honest tx always passes and no other index can.
    function _consumesNextInboxMessage(Challenge storage c, bytes32 preInbox, bytes calldata txBytes)
        internal
        view
        returns (bool)
    {
        (bool isEvent, bool wellFormed, uint64 inboxIndex, bytes32 message) = verifier.l1EventMessage(txBytes);
        if (!isEvent) return true;
        if (!wellFormed || inboxIndex >= bridge.getBatch(c.batchIndex).inboxCount) return false;
        bytes32 before = inboxIndex == 0 ? bytes32(0) : bridge.getInboxMessage(inboxIndex - 1).rollingHash;
        return before == preInbox
            && bridge.getInboxMessage(inboxIndex).rollingHash == keccak256(abi.encodePacked(preInbox, message));
    }

    function _challenge(uint256 id) internal view returns (Challenge storage) {
        if (id >= _challenges.length) revert UnknownChallenge(id);
        return _challenges[id];
    }

    function _removed(Challenge storage c) internal view returns (bool) {
        return c.epoch != removals && (c.batchIndex >= bridge.batchCount() || batchEpoch[c.batchIndex] != c.epoch);
    }

    function _requireLive(uint256 id, Challenge storage c) internal view {
        if (c.phase >= SEQUENCER_WON) revert WrongPhase(c.phase);
        if (_removed(c)) revert NotVoid(id); // closeVoid it instead
    }

    function _move(uint256 id, uint8 phase, bool bySequencer) internal returns (Challenge storage c) {
        c = _challenge(id);
        _requireLive(id, c);
        if (c.phase != phase) revert WrongPhase(c.phase);
        uint64 elapsed = uint64(block.timestamp) - c.lastMoveAt;
        uint64 left = bySequencer ? c.sequencerClock : c.challengerClock;
        if (elapsed > left) revert ClockRanOut(elapsed, left);
        if (bySequencer) c.sequencerClock = left - elapsed;
        else c.challengerClock = left - elapsed;
        c.lastMoveAt = uint64(block.timestamp);
    }

    function _sequencerMove(uint256 id, uint8 phase) internal returns (Challenge storage) {
        if (msg.sender != bridge.sequencer()) revert NotSequencer(msg.sender);
        return _move(id, phase, true);
    }

    function _challengerMove(uint256 id, uint8 phase) internal returns (Challenge storage c) {
        c = _move(id, phase, false);
        if (msg.sender != c.challenger) revert NotChallenger(msg.sender);
    }

    function _resolve(uint256 id, Challenge storage c, bool challengerWon, string memory reason) internal {
        c.phase = challengerWon ? CHALLENGER_WON : SEQUENCER_WON;
        _closeOpen(id);
        emit ChallengeResolved(id, c.batchIndex, challengerWon, reason);
        if (!challengerWon) {
            sequencerBondBalance += challengerBond; // the sequencer's reward for a false challenge
            return;
        }
        bridge.removeBatchesFrom(c.batchIndex);
        removals++;
        uint256 slash = sequencerBondBalance < sequencerBond ? sequencerBondBalance : sequencerBond;
        sequencerBondBalance -= slash;
        uint256 reward = slash / 2;
        burned += slash - reward;
        emit BatchesRemoved(c.batchIndex, slash, reward);
        _send(c.challenger, challengerBond + reward);
    }

    /// protocol/merkle.ts: zero leaves pad to a power of two, inner = sha256(left || right).
    function _merkleRoot(bytes32[] calldata leaves) internal pure returns (bytes32) {
        uint256 n = leaves.length;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            level[i] = leaves[i];
        }
        bytes32 zero;
        while (n > 1) {
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; i++) {
                bytes32 r = 2 * i + 1 < n ? level[2 * i + 1] : zero;
                level[i] = sha256(abi.encodePacked(level[2 * i], r));
            }
            zero = sha256(abi.encodePacked(zero, zero));
            n = m;
        }
        return level[0];
    }

    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
