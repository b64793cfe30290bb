export * from "./chunk.ts";
export * from "./element.ts";
export * from "./trace.ts";
