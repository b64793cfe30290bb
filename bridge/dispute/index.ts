/** The dispute game's TypeScript side: views, pure planners, the contract client and a driver. */

export * from "../../verifier/game/planner.ts";
export * from "../../verifier/game/play.ts";
export * from "../../verifier/game/view.ts";
export * from "./game.ts";
