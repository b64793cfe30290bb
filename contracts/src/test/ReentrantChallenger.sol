// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Test-only hostile challenger: a contract that deposits a bond and opens disputes
/// through `exec`, and when the Bridge pays it out tries to withdraw again from inside the payment
/// (recording how that re-entry ended).
contract ReentrantChallenger {
    address public immutable bridge;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryError;
    uint256 public received;

    constructor(address bridge_) {
        bridge = bridge_;
    }

    /// Calls `target` with `data` (and msg.value) as this contract, bubbling up a revert.
    function exec(address target, bytes calldata data) external payable returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    receive() external payable {
        received += msg.value;
        if (attempted) return;
        attempted = true;
        (bool ok, bytes memory ret) = bridge.call(abi.encodeWithSignature("withdrawBond(uint256)", msg.value));
        reentrySucceeded = ok;
        reentryError = ret;
    }
}
