export * from "./bytes.ts";
export * from "./dtype.ts";
export * from "./merkle.ts";
export * from "./sha256.ts";
