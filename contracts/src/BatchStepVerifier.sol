// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DisputeEventStepRules} from "./DisputeEventStepRules.sol";
import {GenerationStepRules} from "./GenerationStepRules.sol";
import {JobStepRules} from "./JobStepRules.sol";
import {L1EventStepRules} from "./L1EventStepRules.sol";
import {Commitments} from "./lib/Commitments.sol";
import {L1EventTx} from "./lib/L1EventTx.sol";
import {L2Signature} from "./lib/L2Signature.sol";
import {RollupState} from "./lib/RollupState.sol";
import {UserTxRules} from "./lib/UserTxRules.sol";

/// @title BatchStepVerifier
/// @notice The one-step of the batch challenge (docs/rollup.md 8c): executes one L2 tx in Solidity,
/// the same rule as sequencer/state/machine.ts, on records proven against the state root before it,
/// and returns the state root, message chain and L1 inbox hash after it. Kept apart from
/// BatchChallenge so either can grow under EIP-170.
/// Built: transfer, withdraw, deposit, and a forced tx of any user kind (the job txs run in their
/// rules contract) or whose bytes encode no user tx, here; registerWorker, postJob, claimJob, submitResult, finalize in
/// JobStepRules (which this contract creates with the same genesis parameters); the L1 events'
/// state rules (model, L1 request, queued stake change) in L1EventStepRules (created here too);
/// postGenerationJob and submitGeneration in GenerationStepRules (deployed beside it with the same
/// parameters, checked by the constructor); the DisputeGame's events (disputeOpened,
/// disputeResolved) in DisputeEventStepRules (deployed beside it the same way); a slash's stake
/// change in L1EventStepRules. Bytes of any other kind encode no tx: refused (not applied).
/// A derived tx (deposit, forced tx) consumes the next L1 inbox message: its message hash, as
/// Bridge._queue was given it, is rolled into the inbox hash; a user tx leaves the inbox hash as is.
contract BatchStepVerifier {
    uint8 public constant TX_TRANSFER = 0x01;
    uint8 public constant TX_WITHDRAW = 0x02;
    uint8 public constant TX_DEPOSIT = 0x81;
    uint8 public constant TX_FORCED = 0x82;
    /// The txs L2 derives from L1 events that are inbox messages (sequencer/fault-proof/encoding.ts):
    /// kind || (an L1 request: blockTime u64) || inboxIndex u64 || fields (lib/L1EventTx.sol).
    uint8 public constant TX_MODEL_REGISTERED = 0x83;
    uint8 public constant TX_L1_REQUEST = 0x84;
    uint8 public constant TX_WORKER_STAKE = 0x85;
    /// The txs L2 derives from the DisputeGame's events (no inbox message: DisputeEventStepRules).
    uint8 internal constant TX_DISPUTE_OPENED = 0x86;
    uint8 internal constant TX_DISPUTE_RESOLVED = 0x87;
    /// A slash's stake change (no inbox message: L1EventStepRules' lower-only rule).
    uint8 internal constant TX_WORKER_SLASH = 0x88;
    uint8 internal constant TX_REGISTER_WORKER = 0x03;
    uint8 internal constant TX_POST_JOB = 0x04;
    uint8 internal constant TX_POST_GENERATION_JOB = 0x05;
    uint8 internal constant TX_CLAIM_JOB = 0x06;
    uint8 internal constant TX_SUBMIT_RESULT = 0x07;
    uint8 internal constant TX_FINALIZE = 0x08;
    uint8 internal constant TX_SUBMIT_GENERATION = 0x09;
    /// Bridge.INBOX_DEPOSIT / INBOX_FORCED_TX.
    uint8 internal constant INBOX_DEPOSIT = 1;
    uint8 internal constant INBOX_FORCED_TX = 2;

    bytes32 internal constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    bytes32 internal constant TRANSFER_TYPEHASH =
        keccak256("Transfer(address from,uint64 nonce,uint256 fee,address to,uint256 amount)");
    bytes32 internal constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(address from,uint64 nonce,uint256 fee,address l1Recipient,uint256 amount)");

    /// The L2 domain separator (name "Verdict", version "1", the L2 chain id; no verifying contract).
    bytes32 public immutable l2DomainSeparator;
    /// Chain parameters of the genesis (ChainParams): every fee goes to feeRecipient.
    uint256 public immutable minFee;
    address public immutable feeRecipient;
    /// The worker and job rules (registerWorker, postJob, claimJob), with the same genesis.
    JobStepRules public immutable jobRules;
    /// The state rules of the L1 events that are inbox messages (model, L1 request, stake change).
    L1EventStepRules public immutable l1EventRules;
    /// The generation job rules (postGenerationJob, submitGeneration), with the same genesis.
    GenerationStepRules public immutable generationRules;
    /// The DisputeGame events' rules (disputeOpened, disputeResolved), with the same genesis.
    DisputeEventStepRules public immutable disputeRules;

    error BadTxEncoding(uint8 txType, uint256 length);
    error RecordCount(uint256 expected, uint256 given);
    /// The GenerationStepRules given to the constructor hold other genesis parameters than the
    /// JobStepRules it creates.
    error GenerationRulesMismatch();
    /// The DisputeEventStepRules given to the constructor hold other genesis parameters.
    error DisputeRulesMismatch();

    /// A user tx's common fields and its two-field body (to/l1Recipient, amount).
    struct UserTx {
        address from;
        uint64 nonce;
        uint256 fee;
        address target;
        uint256 amount;
        bytes32 digest;
        bool signed; // the signature is canonical and recovers to `from`
    }

    /// `claimCollateral`: ChainParams.claimCollateral of the genesis (the stake each open claim holds);
    /// `challengeWindowMs`: ChainParams.challengeWindowMs (when finalize may pay a submitted job);
    /// `bridge`: the Bridge whose claim domain worker claims are signed under (submitResult);
    /// `generationRules_`: GenerationStepRules deployed with the same genesis (checked here). It is
    /// deployed on its own, not created here: this contract's init code, which holds the creation
    /// code of every contract it creates, would pass EIP-3860's 49,152 bytes with both rules in it.
    constructor(
        uint256 l2ChainId,
        uint256 minFee_,
        address feeRecipient_,
        uint256 claimCollateral,
        uint64 challengeWindowMs,
        address bridge,
        GenerationStepRules generationRules_,
        DisputeEventStepRules disputeRules_
    ) {
        bytes32 separator = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Verdict"), keccak256("1"), l2ChainId));
        l2DomainSeparator = separator;
        minFee = minFee_;
        feeRecipient = feeRecipient_;
        jobRules = new JobStepRules(separator, minFee_, feeRecipient_, claimCollateral, challengeWindowMs, bridge);
        l1EventRules = new L1EventStepRules(separator);
        if (
            generationRules_.l2DomainSeparator() != separator || generationRules_.minFee() != minFee_
                || generationRules_.feeRecipient() != feeRecipient_ || generationRules_.claimCollateral() != claimCollateral
                || generationRules_.challengeWindowMs() != challengeWindowMs
                || generationRules_.claimDomainSeparator() != jobRules.claimDomainSeparator()
        ) revert GenerationRulesMismatch();
        generationRules = generationRules_;
        // the dispute rules read the claim domain (the dispute's claim key) and the L2 domain (an L1
        // job's refund leaf names the tx hash); the others are unused there but must agree too
        if (
            disputeRules_.l2DomainSeparator() != separator || disputeRules_.minFee() != minFee_
                || disputeRules_.feeRecipient() != feeRecipient_ || disputeRules_.claimCollateral() != claimCollateral
                || disputeRules_.challengeWindowMs() != challengeWindowMs
                || disputeRules_.claimDomainSeparator() != jobRules.claimDomainSeparator()
        ) revert DisputeRulesMismatch();
        disputeRules = disputeRules_;
    }

    /// Executes tx `txBytes` on pre = (state root, message chain, inbox hash) and returns post, the
    /// same three after it. `applied` false: the rule refuses the tx (a batch holding it is wrong);
    /// post is then pre (also for a kind byte no tx has). Reverts BadTxEncoding for bytes that
    /// encode no tx (decided from them alone), and when a record proof does not open the roots.
    function step(bytes32[3] calldata pre, bytes calldata txBytes, RollupState.RecordProof[] calldata records)
        external
        view
        returns (bool applied, bytes32[3] memory post)
    {
        if (txBytes.length == 0) return (false, pre); // no kind byte: no tx, refused as below
        uint8 kind = uint8(txBytes[0]);
        // A user tx's nonce past 2^53 - 1 is no tx L2 holds (decode-tx-bytes.ts refuses it): decided
        // on the bytes alone, before any record is asked for, as the batch's reader decides it.
        if (kind >= TX_TRANSFER && kind <= TX_SUBMIT_GENERATION) {
            uint256 at = kind >= TX_POST_JOB ? 29 : 21; // after kind (and the block time) and from
            if (txBytes.length < at + 8 || !UserTxRules.safeInteger(txBytes, at)) {
                revert BadTxEncoding(kind, txBytes.length);
            }
        }
        if (
            kind == TX_REGISTER_WORKER || kind == TX_POST_JOB || kind == TX_CLAIM_JOB || kind == TX_SUBMIT_RESULT
                || kind == TX_FINALIZE
        ) {
            _forward(address(jobRules)); // returns: a user tx, the inbox hash passes through
        }
        if (
            kind == TX_MODEL_REGISTERED || kind == TX_L1_REQUEST || kind == TX_WORKER_STAKE
                || kind == TX_WORKER_SLASH
        ) {
            _forward(address(l1EventRules)); // returns: an inbox event rolls its message in, a slash none
        }
        if (kind == TX_POST_GENERATION_JOB || kind == TX_SUBMIT_GENERATION) _forward(address(generationRules));
        if (kind == TX_DISPUTE_OPENED || kind == TX_DISPUTE_RESOLVED) _forward(address(disputeRules));
        post[2] = pre[2]; // a user tx consumes no inbox message
        if (kind == TX_DEPOSIT) {
            (applied, post[0], post[1]) = _deposit(pre[0], pre[1], txBytes, records);
            // message hash: keccak256(INBOX_DEPOSIT || depositId || recipient || amount), the
            // deposit's own bytes after its tx kind (Bridge.deposit)
            if (applied) post[2] = _roll(pre[2], keccak256(abi.encodePacked(INBOX_DEPOSIT, txBytes[1:])));
        } else if (kind == TX_TRANSFER || kind == TX_WITHDRAW) {
            (applied, post[0], post[1]) = _user(kind, pre[0], pre[1], txBytes, records);
        } else if (kind == TX_FORCED) {
            if (txBytes.length < 29) revert BadTxEncoding(TX_FORCED, txBytes.length);
            // message hash: keccak256(INBOX_FORCED_TX || sender || keccak256(data)) (Bridge.forceTransaction)
            post[2] = _roll(
                pre[2], keccak256(abi.encodePacked(INBOX_FORCED_TX, bytes20(txBytes[9:29]), keccak256(txBytes[29:])))
            );
            (post[0], post[1]) = _forced(pre, txBytes, records);
            applied = true;
        } else {
            // No tx encodes to this kind (encoding.ts txBytes): bytes no honest batch holds, so the
            // rules refuse them (a revert here would leave the challenger no winning move).
            return (false, pre);
        }
    }

    /// The inbox message of an L1 event's tx (0x83 model, 0x84 L1 request, 0x85 queued stake change):
    /// `isEvent` false for any other tx. The message hash is Bridge._queue's (lib/L1EventTx.sol).
    /// `wellFormed` false: the bytes are too short (or a stake change not 101 bytes), so they encode
    /// no such tx and a batch holding them is wrong.
    function l1EventMessage(bytes calldata txBytes)
        external
        pure
        returns (bool isEvent, bool wellFormed, uint64 inboxIndex, bytes32 messageHash)
    {
        return L1EventTx.message(txBytes);
    }

    /// Bridge._queue's rolling hash.
    function _roll(bytes32 inbox, bytes32 message) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(inbox, message));
    }

    // ------------------------------------------------------------------ forced tx

    /// 0x82 || blockTime u64 || sender (the L1 account that called forceTransaction) || data (the
    /// bytes it sent: the user tx's bytes without a block time). Always applied (step rolls its
    /// inbox message in): it runs as the user tx `data` encodes when that is valid here, else
    /// changes nothing (sequencer/state/machine.ts forcedTx). A job tx runs in its rules contract
    /// as its tx bytes (kind || blockTime || data[1:] for a timed kind, data itself for a
    /// registerWorker); a refusal there changes nothing too. Whether the bytes encode a tx at all is
    /// decided from them alone, before any record is read: here from the length fields for the
    /// kinds whose bytes are only those (transfer, withdraw, postJob, claimJob, submitResult,
    /// finalize), by the rules contract's own BadTxEncoding for registerWorker, postGenerationJob
    /// and submitGeneration (lib/UserTxRules.sol: the same rule as in a batch). No tx: no record.
    function _forced(bytes32[3] calldata pre, bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bytes32, bytes32)
    {
        uint8 inner = _forcedKind(b[29:]);
        if (inner == 0) return _noTx(pre, records);
        if (inner != TX_TRANSFER && inner != TX_WITHDRAW) return _forcedJob(inner, pre, b, records);
        (bool ok, bytes32 postRoot, bytes32 postChain) = _user(inner, pre[0], pre[1], b[29:], records);
        if (!ok) return (pre[0], pre[1]); // found invalid at this point: no change
        return (postRoot, postChain);
    }

    /// A forced tx whose bytes encode no user tx (encoding.ts decodeForcedData throws): consumed,
    /// nothing else changes, no record.
    function _noTx(bytes32[3] calldata pre, RollupState.RecordProof[] calldata records)
        internal
        pure
        returns (bytes32, bytes32)
    {
        if (records.length != 0) revert RecordCount(0, records.length);
        return (pre[0], pre[1]);
    }

    /// The kind of the user tx forced bytes `d` encode, 0 for none (encoding.ts decodeForcedData);
    /// registerWorker, postGenerationJob and submitGeneration as they come (their rules decide).
    function _forcedKind(bytes calldata d) internal pure returns (uint8 kind) {
        kind = d.length == 0 ? 0 : uint8(d[0]);
        if (kind == TX_REGISTER_WORKER || kind == TX_POST_GENERATION_JOB || kind == TX_SUBMIT_GENERATION) return kind;
        bool shaped = kind == TX_TRANSFER || kind == TX_WITHDRAW ? d.length == 178 : _forcedJobShape(kind, d);
        if (!shaped || !UserTxRules.safeInteger(d, 21)) return 0; // L2 keeps nonces as JS numbers
    }

    /// A forced job tx run by its rules contract as its tx bytes. The rules' BadTxEncoding (raised
    /// from the bytes alone, before any record) means the bytes encode no user tx.
    function _forcedJob(uint8 kind, bytes32[3] calldata pre, bytes calldata b, RollupState.RecordProof[] calldata records)
        internal
        view
        returns (bytes32, bytes32)
    {
        bytes memory txb = kind == TX_REGISTER_WORKER ? b[29:] : abi.encodePacked(b[29], b[1:9], b[30:]);
        address rules =
            kind == TX_POST_GENERATION_JOB || kind == TX_SUBMIT_GENERATION ? address(generationRules) : address(jobRules);
        (bool ok, bytes memory ret) = rules.staticcall(abi.encodeCall(JobStepRules.step, (pre, txb, records)));
        if (!ok) {
            bytes4 selector;
            assembly ("memory-safe") {
                selector := mload(add(ret, 32))
            }
            if (ret.length == 68 && selector == BadTxEncoding.selector) return _noTx(pre, records);
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        (bool applied, bytes32[3] memory post) = abi.decode(ret, (bool, bytes32[3]));
        return applied ? (post[0], post[1]) : (pre[0], pre[1]);
    }

    /// A forced job tx's length fields hold (encoding.ts forcedJobShape: JobStepRules' BadTxEncoding
    /// checks less the 8 bytes of block time), and a postJob's deadline is at most 2^53 - 1.
    function _forcedJobShape(uint8 kind, bytes calldata d) internal pure returns (bool) {
        uint256 n = d.length;
        if (kind != TX_POST_JOB && kind != TX_CLAIM_JOB && kind != TX_SUBMIT_RESULT && kind != TX_FINALIZE) return false;
        if (kind == TX_CLAIM_JOB || kind == TX_FINALIZE) return n == 158;
        if (kind == TX_POST_JOB) {
            return n > 165 && n == 231 + uint256(uint8(d[165])) && UserTxRules.safeInteger(d, 157);
        }
        uint256 end = 273; // submitResult: the claim's fixed fields end, then its two CIDs
        if (n < end + 2) return false;
        end += 2 + uint16(bytes2(d[end:end + 2]));
        if (n < end + 2) return false;
        end += 2 + uint16(bytes2(d[end:end + 2]));
        return n == end + 130;
    }

    /// Hands this call's calldata as it is to `target`'s `step` (the same signature) and returns or
    /// reverts with its answer. Raw: re-encoding the record proofs for a typed call cost ~10% of a
    /// job one-step's gas.
    function _forward(address target) internal view {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := staticcall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ------------------------------------------------------------------ deposit

    function _deposit(
        bytes32 root,
        bytes32 chain,
        bytes calldata b,
        RollupState.RecordProof[] calldata records
    ) internal view returns (bool, bytes32, bytes32) {
        if (b.length != 85) revert BadTxEncoding(TX_DEPOSIT, b.length);
        uint256 depositId = uint256(bytes32(b[1:33]));
        address recipient = address(bytes20(b[33:53]));
        uint256 amount = uint256(bytes32(b[53:85]));
        uint256 count = amount > 0 ? 2 : 1;
        if (records.length != count) revert RecordCount(count, records.length);
        bytes32 markerPath = RollupState.depositPath(depositId);
        if (RollupState.isSeen(records[0])) {
            // Credited before: the rule refuses it. Only check the proof (the write is a no-op).
            RollupState.update(root, markerPath, records[0], sha256(records[0].value));
            return (false, root, chain);
        }
        root = RollupState.update(root, markerPath, records[0], RollupState.SEEN_VALUE_HASH);
        if (count == 2) {
            RollupState.Account memory a = RollupState.decodeAccount(records[1]);
            a.balance += amount;
            root = RollupState.update(
                root, RollupState.accountPath(recipient), records[1], RollupState.accountValueHash(a)
            );
        }
        return (true, root, chain);
    }

    // ------------------------------------------------------------------ transfer, withdraw

    function _decodeUser(uint8 kind, bytes calldata b) internal view returns (UserTx memory t) {
        if (b.length != 178) revert BadTxEncoding(kind, b.length);
        t.from = address(bytes20(b[1:21]));
        t.nonce = uint64(bytes8(b[21:29]));
        t.fee = uint256(bytes32(b[29:61]));
        t.target = address(bytes20(b[61:81]));
        t.amount = uint256(bytes32(b[81:113]));
        bytes32 typeHash = kind == TX_TRANSFER ? TRANSFER_TYPEHASH : WITHDRAW_TYPEHASH;
        bytes32 structHash = keccak256(abi.encode(typeHash, t.from, t.nonce, t.fee, t.target, t.amount));
        t.digest = keccak256(abi.encodePacked(hex"1901", l2DomainSeparator, structHash));
        t.signed = L2Signature.signer(t.digest, b[113:178]) == t.from && t.from != address(0);
    }

    /// The distinct accounts the tx touches, in the order the records come (steps.ts touchedKeys).
    function _accounts(uint8 kind, UserTx memory t) internal view returns (address[] memory list) {
        address[3] memory tmp;
        uint256 n;
        tmp[n++] = t.from;
        if (t.fee > 0 && feeRecipient != t.from) tmp[n++] = feeRecipient;
        if (kind == TX_TRANSFER && t.amount > 0 && t.target != t.from && (t.fee == 0 || t.target != feeRecipient)) {
            tmp[n++] = t.target;
        }
        list = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            list[i] = tmp[i];
        }
    }

    function _user(
        uint8 kind,
        bytes32 root,
        bytes32 chain,
        bytes calldata b,
        RollupState.RecordProof[] calldata records
    ) internal view returns (bool, bytes32, bytes32) {
        UserTx memory t = _decodeUser(kind, b);
        address[] memory who = _accounts(kind, t);
        if (records.length != who.length) revert RecordCount(who.length, records.length);
        RollupState.Account[] memory acc = new RollupState.Account[](who.length);
        for (uint256 i = 0; i < who.length; i++) {
            acc[i] = RollupState.decodeAccount(records[i]);
        }
        bool ok = _rule(kind, t, who, acc);
        bytes32 post = _writeAccounts(root, who, acc, records, ok);
        if (!ok) return (false, root, chain);
        if (kind == TX_WITHDRAW) {
            chain = sha256(abi.encodePacked(chain, Commitments.withdrawalLeaf(t.target, t.amount, t.digest)));
        }
        return (true, post, chain);
    }

    /// Writes the accounts in order, each proof against the root with the ones before written.
    /// A refused tx writes nothing: its proofs are then all against the pre root.
    function _writeAccounts(
        bytes32 root,
        address[] memory who,
        RollupState.Account[] memory acc,
        RollupState.RecordProof[] calldata records,
        bool ok
    ) internal view returns (bytes32 post) {
        post = root;
        for (uint256 i = 0; i < who.length; i++) {
            bytes32 path = RollupState.accountPath(who[i]);
            if (!ok) RollupState.update(root, path, records[i], _oldValueHash(records[i]));
            else post = RollupState.update(post, path, records[i], RollupState.accountValueHash(acc[i]));
        }
    }

    function _oldValueHash(RollupState.RecordProof calldata p) internal pure returns (bytes32) {
        return p.present ? sha256(p.value) : bytes32(0);
    }

    function _find(address[] memory who, address a) internal pure returns (uint256) {
        for (uint256 i = 0; i < who.length; i++) {
            if (who[i] == a) return i;
        }
        return type(uint256).max; // never: every account the rule touches is in `who`
    }

    /// sequencer/state/machine.ts applyUser + transfer / withdraw, on the accounts in memory.
    function _rule(uint8 kind, UserTx memory t, address[] memory who, RollupState.Account[] memory acc)
        internal
        view
        returns (bool)
    {
        if (!t.signed) return false;
        RollupState.Account memory sender = acc[0];
        if (t.nonce != sender.nonce) return false;
        if (t.fee < minFee) return false;
        if (sender.balance < t.fee) return false;
        sender.balance -= t.fee;
        sender.nonce += 1;
        if (t.fee > 0) acc[_find(who, feeRecipient)].balance += t.fee;
        if (kind == TX_WITHDRAW && t.amount == 0) return false;
        if (sender.balance < t.amount) return false;
        sender.balance -= t.amount;
        if (kind == TX_TRANSFER && t.amount > 0) acc[_find(who, t.target)].balance += t.amount;
        return true;
    }
}
