// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IInferenceConsumer
/// @notice What an L1 contract that calls Bridge.requestInference implements to be handed its
/// result. The Bridge calls it from deliverResult, once per request, after the batch holding the
/// result is final and only if the DisputeGame has not invalidated the worker's claim; the call
/// gets a fixed gas stipend (Bridge.RESULT_CALLBACK_GAS) and a revert here is recorded by the
/// Bridge, not retried. A consumer must check msg.sender is the Bridge.
interface IInferenceConsumer {
    /// `outputRoot` commits to the model's outputs (docs/commitments.md); `outputCid` is the binary
    /// CIDv1 of the output file the worker published.
    function onInferenceResult(uint256 requestId, bytes32 outputRoot, bytes calldata outputCid) external;
}
