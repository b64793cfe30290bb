// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Test-only hostile withdrawal recipient: when the Bridge pays it, it calls back into the
/// Bridge with calldata chosen by the test (a replay, or a second valid withdrawal) and records
/// how that re-entry ended. With `revertOnBlocked` it reverts the whole payout instead.
contract ReentrantRecipient {
    address public immutable bridge;
    bytes public reentryCalldata;
    bool public revertOnBlocked;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryError;
    uint256 public received;

    error ReentryBlocked(bytes reason);

    constructor(address bridge_) {
        bridge = bridge_;
    }

    function arm(bytes calldata data, bool revertOnBlocked_) external {
        reentryCalldata = data;
        revertOnBlocked = revertOnBlocked_;
        attempted = false;
    }

    receive() external payable {
        received += msg.value;
        if (attempted || reentryCalldata.length == 0) return;
        attempted = true;
        (bool ok, bytes memory ret) = bridge.call(reentryCalldata);
        reentrySucceeded = ok;
        if (!ok) {
            reentryError = ret;
            if (revertOnBlocked) revert ReentryBlocked(ret);
        }
    }
}
