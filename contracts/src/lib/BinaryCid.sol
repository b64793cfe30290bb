// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title BinaryCid
/// @notice Whether bytes are a binary CID as protocol/cid.ts decodeBinaryCid (multiformats 14
/// CID.decode) takes them: the postJob one-step refuses a job whose inputCid is not one, as L2 does.
/// test/vectors/fault-proof.json `cids` pins the verdicts on the edge cases (varint length and
/// minimality, CIDv0, versions, trailing bytes).
library BinaryCid {
    /// protocol/cid.ts decodeBinaryCid (multiformats CID.decode): [version varint, codec varint]
    /// (a first varint of 18 is a CIDv0: no prefix) then the multihash's code and digest-size
    /// varints, the digest filling the rest exactly; version 0 or 1; each varint at most 9 bytes
    /// and minimally encoded.
    function isValid(bytes calldata c) internal pure returns (bool) {
        (bool ok, uint256 version, uint256 off) = varint(c, 0);
        if (!ok) return false;
        if (version == 18) {
            off = 0;
        } else {
            (ok,, off) = varint(c, off);
            if (!ok || version > 1) return false;
        }
        (ok,, off) = varint(c, off);
        if (!ok) return false;
        uint256 size;
        (ok, size, off) = varint(c, off);
        return ok && c.length - off == size;
    }

    function varint(bytes calldata c, uint256 off) internal pure returns (bool, uint256 v, uint256) {
        uint256 i = off;
        uint256 shift;
        while (true) {
            if (i >= c.length) return (false, 0, 0);
            uint8 x = uint8(c[i++]);
            v |= uint256(x & 0x7f) << shift;
            shift += 7;
            if (x < 0x80) break;
            if (i - off == 9) return (false, 0, 0); // a 10th byte: too long
        }
        if (i - off > 1 && c[i - 1] == 0) return (false, 0, 0); // not minimally encoded
        return (true, v, i);
    }
}
