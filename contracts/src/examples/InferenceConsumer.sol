// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Bridge} from "../Bridge.sol";
import {IInferenceConsumer} from "../IInferenceConsumer.sol";

/// @title InferenceConsumer
/// @notice Example L1 consumer: its owner asks for inference through the Bridge (paying the
/// escrow), and the Bridge hands it the result once the batch holding it is final and the worker's
/// claim stood. It keeps each result, accepts results only from the Bridge and only for requests
/// it made, and takes ETH only from the Bridge (an escrow refunded through an L2 withdrawal, which
/// the owner can sweep).
contract InferenceConsumer is IInferenceConsumer {
    struct Result {
        bool received;
        bytes32 outputRoot;
        bytes outputCid;
    }

    Bridge public immutable bridge;
    address public immutable owner;
    /// Requests this contract made and has not been answered for yet.
    mapping(uint256 requestId => bool) public pending;
    mapping(uint256 requestId => Result) internal _results;

    event Asked(uint256 indexed requestId, bytes32 modelId, bytes32 inputRoot, uint256 escrow);
    event Answered(uint256 indexed requestId, bytes32 outputRoot, bytes outputCid);

    error NotOwner(address caller);
    error NotBridge(address caller);
    error NotPending(uint256 requestId);
    error SweepFailed();

    constructor(Bridge bridge_) {
        bridge = bridge_;
        owner = msg.sender;
    }

    /// Asks the Bridge for inference; msg.value is the escrow, `deadline` is in seconds.
    function ask(bytes32 modelId, bytes32 inputRoot, bytes calldata inputCid, uint64 deadline)
        external
        payable
        returns (uint256 requestId)
    {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        requestId = bridge.requestInference{value: msg.value}(modelId, inputRoot, inputCid, deadline);
        pending[requestId] = true;
        emit Asked(requestId, modelId, inputRoot, msg.value);
    }

    /// Called by the Bridge (deliverResult) with the final result; stores it.
    function onInferenceResult(uint256 requestId, bytes32 outputRoot, bytes calldata outputCid) external {
        if (msg.sender != address(bridge)) revert NotBridge(msg.sender);
        if (!pending[requestId]) revert NotPending(requestId);
        pending[requestId] = false;
        _results[requestId] = Result({received: true, outputRoot: outputRoot, outputCid: outputCid});
        emit Answered(requestId, outputRoot, outputCid);
    }

    function resultOf(uint256 requestId) external view returns (Result memory) {
        return _results[requestId];
    }

    /// Refunded escrows arrive as Bridge withdrawals.
    receive() external payable {
        if (msg.sender != address(bridge)) revert NotBridge(msg.sender);
    }

    /// Sends refunded escrow to the owner.
    function sweep() external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        (bool ok,) = owner.call{value: address(this).balance}("");
        if (!ok) revert SweepFailed();
    }
}
