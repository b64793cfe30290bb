/**
 * After `get`: the bytes match their CID, but a CID only names bytes somebody added. Before use,
 * a model must be the registered model (model id) and an input the job's input (input root);
 * these helpers are the one place that check, using the commitments of prover-trace/commit.
 * Each throws a ContentError with code "commitment-mismatch" naming both values.
 */
import { bytesEqual, fromHex, toHex } from "../protocol/bytes.ts";
import { commitOnnxFile, inputRoot, type ModelCommitment, outputRoot } from "../prover-trace/commit/model.ts";
import type { TensorData } from "../prover-trace/commit/tensor.ts";
import type { ProfileModel } from "../prover-trace/profile/validate.ts";
import { decodeTensorFile } from "./tensor-file.ts";
import { ContentError } from "./types.ts";

type Bytes32 = Uint8Array | string;

function as32(v: Bytes32, what: string): Uint8Array {
  const b = typeof v === "string" ? fromHex(v) : v;
  if (b.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${b.length}`);
  return b;
}

function mismatch(what: string, expected: Uint8Array, got: Uint8Array): never {
  throw new ContentError(
    "commitment-mismatch",
    `${what} mismatch: expected ${toHex(expected)}, content gives ${toHex(got)}`,
  );
}

/**
 * ONNX bytes -> validated, committed model whose model id equals `expectedModelId`.
 * Throws ProfileError when the file is outside the profile.
 */
export async function verifyModelBytes(
  bytes: Uint8Array,
  expectedModelId: Bytes32,
): Promise<ModelCommitment> {
  const want = as32(expectedModelId, "model id");
  const c = await commitOnnxFile(bytes);
  if (!bytesEqual(c.modelId, want)) mismatch("model id", want, c.modelId);
  return c;
}

/** Tensor file bytes -> the model's input tensors, whose input root equals `expectedInputRoot`. */
export function verifyInputBytes(
  bytes: Uint8Array,
  model: ProfileModel,
  expectedInputRoot: Bytes32,
): TensorData[] {
  const want = as32(expectedInputRoot, "input root");
  const tensors = decodeTensors(bytes, "input");
  let got: Uint8Array;
  try {
    got = inputRoot(model, tensors);
  } catch (err) {
    throw new ContentError("commitment-mismatch", `input does not fit the model: ${(err as Error).message}`);
  }
  if (!bytesEqual(got, want)) mismatch("input root", want, got);
  return tensors;
}

/** Tensor file bytes -> the model's output tensors, whose output root equals `expectedOutputRoot`. */
export function verifyOutputBytes(
  bytes: Uint8Array,
  model: ProfileModel,
  expectedOutputRoot: Bytes32,
): TensorData[] {
  const want = as32(expectedOutputRoot, "output root");
  const tensors = decodeTensors(bytes, "output");
  let got: Uint8Array;
  try {
    got = outputRoot(model, tensors);
  } catch (err) {
    throw new ContentError("commitment-mismatch", `output does not fit the model: ${(err as Error).message}`);
  }
  if (!bytesEqual(got, want)) mismatch("output root", want, got);
  return tensors;
}

function decodeTensors(bytes: Uint8Array, what: string): TensorData[] {
  try {
    return decodeTensorFile(bytes);
  } catch (err) {
    throw new ContentError("malformed", `${what} is not a tensor file: ${(err as Error).message}`);
  }
}
