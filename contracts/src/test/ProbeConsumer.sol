// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Bridge} from "../Bridge.sol";

/// @notice Test-only hostile L1 consumer: asks for inference like any requester, and in
/// onInferenceResult either reverts, burns all the gas it is given, or re-enters the Bridge with
/// calldata chosen by the test (recording how that ended), depending on `mode`.
contract ProbeConsumer {
    uint8 public constant MODE_REVERT = 0;
    uint8 public constant MODE_BURN_GAS = 1;
    uint8 public constant MODE_REENTER = 2;

    Bridge public immutable bridge;
    uint8 public mode;
    bytes public reentryCalldata;
    bool public reentryAttempted;
    bool public reentrySucceeded;
    bytes public reentryError;

    error Refused(uint256 requestId);

    constructor(Bridge bridge_, uint8 mode_) {
        bridge = bridge_;
        mode = mode_;
    }

    function ask(bytes32 modelId, bytes32 inputRoot, bytes calldata inputCid, uint64 deadline)
        external
        payable
        returns (uint256)
    {
        return bridge.requestInference{value: msg.value}(modelId, inputRoot, inputCid, deadline);
    }

    function arm(bytes calldata data) external {
        reentryCalldata = data;
    }

    function onInferenceResult(uint256 requestId, bytes32, bytes calldata) external {
        if (mode == MODE_REVERT) revert Refused(requestId);
        if (mode == MODE_BURN_GAS) {
            uint256 x;
            while (true) x++;
        }
        reentryAttempted = true;
        (bool ok, bytes memory ret) = address(bridge).call(reentryCalldata);
        reentrySucceeded = ok;
        reentryError = ret;
    }
}
