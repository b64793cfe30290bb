/**
 * End to end on the embedded L1 chain (`verdict l1 node`, its own process): every role a separate
 * process over real libp2p, driven through the client SDK (test/e2e/scenarios.ts).
 */
import t from "tap";
import { runScenarios } from "./scenarios.ts";

await runScenarios(t, "embedded");
