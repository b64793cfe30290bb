/**
 * End to end on a real anvil node started by the test: the same scenarios as on the embedded
 * chain (test/e2e/scenarios.ts), every role a separate process over real libp2p.
 */
import t from "tap";
import { runScenarios } from "./scenarios.ts";

await runScenarios(t, "anvil");
