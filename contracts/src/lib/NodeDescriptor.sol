// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NodeDescriptor
/// @notice Decodes a canonical node descriptor (docs/commitments.md "Model commitments",
/// attribute bytes per op in docs/profile.md section 6):
///
///   descriptor = 0x4e || u8 opCode || u8 inputCount || inputRef... || u8 outputCount
///                || outputDesc... || u16 attrLength || attrBytes
///   inputRef   = u8 kind || u32 index || u8 slot
///   outputDesc = u8 dtype || u8 rank || u32 dim...
///
/// Integers are big-endian. The descriptor is a leaf of the model's graph tree (its sha256), so
/// the dispute game opens it against graphRoot and then decodes it here. Decoding rejects every
/// byte string that the TypeScript encoder (prover-trace/commit/model.ts) cannot produce for a
/// profile node: wrong tag, truncation, trailing bytes, unknown op code, unknown input kind, a
/// non-profile dtype, rank above 8, a zero dim, an output count other than one, and attribute
/// bytes of the wrong length for the op. test/vectors/model.json pins it to the encoder.
library NodeDescriptor {
    uint8 internal constant TAG = 0x4e;
    /// Profile limit on tensor rank (docs/profile.md section 1).
    uint256 internal constant MAX_RANK = 8;

    uint8 internal constant OP_ADD = 1;
    uint8 internal constant OP_SUB = 2;
    uint8 internal constant OP_MUL = 3;
    uint8 internal constant OP_DIV = 4;
    uint8 internal constant OP_MAX = 5;
    uint8 internal constant OP_MIN = 6;
    uint8 internal constant OP_CLIP = 7;
    uint8 internal constant OP_RELU = 8;
    uint8 internal constant OP_CAST = 9;
    uint8 internal constant OP_GATHER = 10;
    uint8 internal constant OP_RESHAPE = 11;
    uint8 internal constant OP_TRANSPOSE = 12;
    uint8 internal constant OP_MATMULINTEGER = 13;
    uint8 internal constant OP_REDUCEMAX = 14;
    uint8 internal constant OP_ARGMAX = 15;
    /// Strided view (ONNX Slice, Expand): per output axis an i64 start and an i64 step.
    uint8 internal constant OP_SLICE = 16;
    uint8 internal constant OP_ABS = 17;
    uint8 internal constant OP_NEG = 18;
    /// Concatenation of 1..8 inputs along `u8 axis`.
    uint8 internal constant OP_CONCAT = 19;
    /// Tile: output element o reads input o mod dim on every axis.
    uint8 internal constant OP_TILE = 20;
    /// Constant padding: `i64 value || i64 begin` per axis.
    uint8 internal constant OP_PAD = 21;
    /// Max pooling (a fold over the window): per spatial axis `i64 kernel || i64 stride ||
    /// i64 dilation || i64 pad begin`.
    uint8 internal constant OP_MAXPOOL = 22;
    /// Integer convolution (a fold over input channel and window): `i64 x zero point || i64 w
    /// zero point || i64 group`, then per spatial axis `i64 stride || i64 dilation || i64 pad begin`.
    uint8 internal constant OP_CONVINTEGER = 23;
    /// The highest op code in the profile.
    uint8 internal constant OP_LAST = OP_CONVINTEGER;

    uint8 internal constant DTYPE_UINT8 = 2;
    uint8 internal constant DTYPE_INT8 = 3;
    uint8 internal constant DTYPE_INT32 = 6;
    uint8 internal constant DTYPE_INT64 = 7;

    /// Where a data input comes from: kind 0 graph input, 1 data initializer, 2 node output
    /// (index = node, slot = output).
    struct InputRef {
        uint8 kind;
        uint32 index;
        uint8 slot;
    }

    /// dtype (ONNX code) and static shape of a tensor.
    struct TensorDesc {
        uint8 dtype;
        uint32[] shape;
    }

    struct Node {
        uint8 opCode;
        InputRef[] inputs;
        TensorDesc[] outputs;
        bytes attrs;
    }

    error BadDescriptorTag(uint8 tag);
    error DescriptorTruncated(uint256 needed, uint256 length);
    error DescriptorTrailingBytes(uint256 expected, uint256 length);
    error UnknownOpCode(uint8 opCode);
    error InvalidInputKind(uint256 input, uint8 kind);
    error InvalidOutputCount(uint256 count);
    error UnsupportedDType(uint8 dtype);
    error RankTooLarge(uint256 rank);
    error ZeroDim(uint256 axis);
    error AttrLengthMismatch(uint8 opCode, uint256 expected, uint256 actual);

    /// sha256(descriptor): the descriptor's leaf in the graph tree.
    function leafHash(bytes memory descriptor) internal pure returns (bytes32) {
        return sha256(descriptor);
    }

    function isProfileDType(uint8 dtype) internal pure returns (bool) {
        return dtype == DTYPE_UINT8 || dtype == DTYPE_INT8 || dtype == DTYPE_INT32 || dtype == DTYPE_INT64;
    }

    /// Decodes and validates a canonical descriptor; reverts with the first fault found.
    function decode(bytes memory d) internal pure returns (Node memory node) {
        uint256 len = d.length;
        if (len < 3) revert DescriptorTruncated(3, len);
        if (uint8(d[0]) != TAG) revert BadDescriptorTag(uint8(d[0]));
        node.opCode = uint8(d[1]);
        if (node.opCode < OP_ADD || node.opCode > OP_LAST) revert UnknownOpCode(node.opCode);

        uint256 inputCount = uint8(d[2]);
        uint256 p = 3;
        _need(p + 6 * inputCount + 1, len);
        node.inputs = new InputRef[](inputCount);
        for (uint256 i = 0; i < inputCount; i++) {
            uint8 kind = uint8(d[p]);
            if (kind > 2) revert InvalidInputKind(i, kind);
            node.inputs[i] = InputRef({kind: kind, index: uint32(_readUint(d, p + 1, 4)), slot: uint8(d[p + 5])});
            p += 6;
        }

        // Profile nodes have exactly one output (docs/profile.md section 1).
        uint256 outputCount = uint8(d[p]);
        if (outputCount != 1) revert InvalidOutputCount(outputCount);
        p += 1;
        node.outputs = new TensorDesc[](outputCount);
        for (uint256 o = 0; o < outputCount; o++) {
            _need(p + 2, len);
            uint8 dtype = uint8(d[p]);
            if (!isProfileDType(dtype)) revert UnsupportedDType(dtype);
            uint256 rank = uint8(d[p + 1]);
            if (rank > MAX_RANK) revert RankTooLarge(rank);
            p += 2;
            _need(p + 4 * rank, len);
            uint32[] memory shape = new uint32[](rank);
            for (uint256 k = 0; k < rank; k++) {
                uint32 dim = uint32(_readUint(d, p, 4));
                if (dim == 0) revert ZeroDim(k);
                shape[k] = dim;
                p += 4;
            }
            node.outputs[o] = TensorDesc({dtype: dtype, shape: shape});
        }

        _need(p + 2, len);
        uint256 attrLength = _readUint(d, p, 2);
        p += 2;
        _need(p + attrLength, len);
        if (p + attrLength != len) revert DescriptorTrailingBytes(p + attrLength, len);
        uint256 expected = attrLengthOf(node.opCode, node.outputs[0].shape.length);
        if (attrLength != expected) revert AttrLengthMismatch(node.opCode, expected, attrLength);
        // One mcopy rather than a checked byte loop: 13k gas of a ConvInteger one step (72 bytes).
        // In bounds: p + attrLength == len was checked above.
        bytes memory attrs = new bytes(attrLength);
        assembly ("memory-safe") {
            mcopy(add(attrs, 0x20), add(add(d, 0x20), p), attrLength)
        }
        node.attrs = attrs;
    }

    /// Attribute byte count of an op (docs/profile.md section 6). Transpose holds one byte per
    /// axis, and its output has the input's rank.
    function attrLengthOf(uint8 opCode, uint256 outputRank) internal pure returns (uint256) {
        if (opCode == OP_CLIP || opCode == OP_MATMULINTEGER) return 16;
        if (opCode == OP_GATHER || opCode == OP_CONCAT) return 1;
        if (opCode == OP_TRANSPOSE) return outputRank;
        if (opCode == OP_REDUCEMAX || opCode == OP_ARGMAX) return 2;
        if (opCode == OP_SLICE) return 16 * outputRank;
        if (opCode == OP_PAD) return 8 + 8 * outputRank;
        if (opCode == OP_MAXPOOL) return outputRank > 2 ? 32 * (outputRank - 2) : 0;
        if (opCode == OP_CONVINTEGER) return outputRank > 2 ? 24 * (outputRank - 1) : 0;
        return 0;
    }

    function _need(uint256 needed, uint256 len) private pure {
        if (needed > len) revert DescriptorTruncated(needed, len);
    }

    /// Big-endian unsigned integer of `n` (<= 32) bytes at offset `p` (bounds checked by the caller).
    function _readUint(bytes memory d, uint256 p, uint256 n) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(sub(256, mul(n, 8)), mload(add(add(d, 0x20), p)))
        }
    }
}
