export * from "./tensor.ts";
export * from "./trace.ts";
