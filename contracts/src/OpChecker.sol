// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {OpSemantics} from "./lib/OpSemantics.sol";

/// @title OpChecker
/// @notice OpSemantics.check behind an external call: the well-formedness check of every op is
/// the largest part of the one-step semantics, and keeping it in its own contract leaves the
/// OneStepVerifier room under the 24,576-byte code limit (EIP-170) for more ops. The verifier
/// creates its checker in its constructor, so deployment is unchanged; a failed check reverts
/// with OpSemantics' error, which the verifier's call passes on unchanged.
contract OpChecker {
    function check(OpSemantics.Op calldata op) external pure {
        OpSemantics.check(op);
    }
}
