/** The dispute game's TypeScript side: views, pure planners, the contract client and a driver. */
export * from "./game.ts";
export * from "./planner.ts";
export * from "./play.ts";
export * from "./view.ts";
