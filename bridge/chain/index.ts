export * from "./accounts.ts";
export * from "./chain.ts";
export * from "./errors.ts";
export * from "./http.ts";
export * from "./rpc.ts";
