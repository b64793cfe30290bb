/** The reference interpreter of the integer profile: whole tensors, single elements, fold witnesses. */
export {
  type ElementDeps,
  type ElementNode,
  type ElementRead,
  elementDependencies,
  elementNode,
  evalElement,
  type FoldWitness,
  foldWitness,
  type ReadInput,
} from "./eval-element.ts";
export { evalNode } from "./eval-tensor.ts";
export {
  foldInitial,
  foldLength,
  foldPaddingOperand,
  foldResult,
  foldStep,
  isFold,
  packArgMaxState,
  unpackArgMaxState,
} from "./fold.ts";
export { checkNode } from "./infer.ts";
export { fromProfileModel, isProfileModel } from "./profile-model.ts";
export { resolveModel } from "./resolve.ts";
export { type RunResult, runModel } from "./run.ts";
export { allocTensor, readElement, type Tensor, type TensorType, tensorOf, writeElement } from "./tensor.ts";
export {
  type InputRef,
  ModelInputError,
  type NodeAttrs,
  ReferenceFault,
  type RefModel,
  type RefNode,
  ResolveError,
} from "./types.ts";
