/**
 * Issue 5, must show: a worker that changes one MatMulInteger element deep in the graph answers
 * every move and loses the one-step proof against one honest `verdict watch`, is slashed, all real
 * processes on the embedded L1; the honest worker's jobs are paid meanwhile (faults.ts).
 */
import t from "tap";
import { runFaults } from "./faults.ts";

await runFaults(t, ["wrong-element"], 4);
