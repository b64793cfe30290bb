/**
 * Which ONNX Runtime execution providers this installation can use. onnxruntime-node bundles the
 * CPU provider; the CUDA provider's shared libraries are only present when the package was
 * installed with `--onnxruntime-node-install=cuda12`, and they also need the NVIDIA driver,
 * CUDA 12 and cuDNN 9 at run time.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";

export type ExecutionProviderName = "cpu" | "cuda";

export const CUDA_INSTALL_HINT =
  "reinstall onnxruntime-node with its CUDA 12 provider (`npm install onnxruntime-node --onnxruntime-node-install=cuda12`, " +
  "or ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci) on a machine with an NVIDIA GPU, the NVIDIA driver, CUDA 12 and cuDNN 9; " +
  "or run with --ep cpu";

/** Directory holding onnxruntime-node's native libraries for this platform. */
function ortBinaryDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve("onnxruntime-node/package.json");
    const napi = join(dirname(pkg), "bin", "napi-v6", process.platform, process.arch);
    return existsSync(napi) ? napi : null;
  } catch {
    return null;
  }
}

/**
 * Why the CUDA provider cannot be used here, or null when it looks installed (session creation
 * can still fail, e.g. without a GPU; the runner reports that with the same prefix).
 */
export function cudaProviderProblem(): string | null {
  const listed = ort.listSupportedBackends().some((b) => b.name === "cuda");
  if (!listed)
    return `onnxruntime-node ${ort.env.versions.common} on ${process.platform}/${process.arch} has no CUDA backend; ${CUDA_INSTALL_HINT}`;
  const dir = ortBinaryDir();
  if (dir) {
    const lib =
      process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
    if (!existsSync(join(dir, lib))) return `${lib} is not installed in ${dir}; ${CUDA_INSTALL_HINT}`;
  }
  return null;
}
