// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BinaryCid} from "../lib/BinaryCid.sol";
import {RollupState} from "../lib/RollupState.sol";

/// @notice Test-only: exposes the RollupState library so test/vectors/fault-proof.json runs through it.
contract RollupStateHarness {
    function accountPath(address a) external pure returns (bytes32) {
        return RollupState.accountPath(a);
    }

    function depositPath(uint256 id) external pure returns (bytes32) {
        return RollupState.depositPath(id);
    }

    function disputePath(uint256 id) external pure returns (bytes32) {
        return RollupState.disputePath(id);
    }

    function isBinaryCid(bytes calldata c) external pure returns (bool) {
        return BinaryCid.isValid(c);
    }

    function workerPath(address a) external pure returns (bytes32) {
        return RollupState.workerPath(a);
    }

    function stakePath(address a) external pure returns (bytes32) {
        return RollupState.stakePath(a);
    }

    function jobPath(bytes32 id) external pure returns (bytes32) {
        return RollupState.jobPath(id);
    }

    function disputesPath(bytes32 id) external pure returns (bytes32) {
        return RollupState.disputesPath(id);
    }

    function modelPath(bytes32 id) external pure returns (bytes32) {
        return RollupState.modelPath(id);
    }

    /// The stake record decoded and hashed again (the claimJob one-step's write of an unchanged stake).
    function stakeRoundTrip(RollupState.RecordProof calldata p) external pure returns (bytes32) {
        return RollupState.stakeValueHash(RollupState.decodeStake(p));
    }

    /// Checks a worker record's layout and reads its capacity and active count.
    function workerFields(bytes calldata v) external pure returns (uint32 capacity, uint32 active) {
        RollupState.checkWorker(v);
        return (RollupState.workerCapacity(v), RollupState.workerActive(v));
    }

    function accountValueHash(uint256 balance, uint64 nonce) external pure returns (bytes32) {
        return RollupState.accountValueHash(RollupState.Account(balance, nonce));
    }

    function decodeAccount(RollupState.RecordProof calldata p) external pure returns (uint256, uint64) {
        RollupState.Account memory a = RollupState.decodeAccount(p);
        return (a.balance, a.nonce);
    }

    function update(bytes32 root, bytes32 path, RollupState.RecordProof calldata p, bytes32 newValueHash)
        external
        view
        returns (bytes32)
    {
        return RollupState.update(root, path, p, newValueHash);
    }
}
