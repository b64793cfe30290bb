// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title L2Signature
/// @notice The canonical-signature rule of protocol/secp256k1.ts for L2 user txs, one definition
/// for every one-step (BatchStepVerifier, JobStepRules): v 27/28, 1 <= r < n, 1 <= s <= n/2.
library L2Signature {
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    /// The signer of `digest` by the 65-byte `r || s || v` signature, or 0 when it is not canonical.
    function signer(bytes32 digest, bytes calldata sig) internal pure returns (address) {
        uint256 r = uint256(bytes32(sig[0:32]));
        uint256 s = uint256(bytes32(sig[32:64]));
        uint8 v = uint8(sig[64]);
        if ((v != 27 && v != 28) || r == 0 || r >= N || s == 0 || s > HALF_N) return address(0);
        return ecrecover(digest, v, bytes32(r), bytes32(s));
    }
}
