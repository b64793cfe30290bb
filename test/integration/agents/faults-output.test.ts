/**
 * Issue 5, must show: a worker that claims a wrong final output over an honest trace is caught at
 * level 0 (challengeOutput) by one honest `verdict watch` and slashed, all real processes on the
 * embedded L1; the honest worker's jobs are paid meanwhile (faults.ts).
 */
import t from "tap";
import { runFaults } from "./faults.ts";

await runFaults(t, ["wrong-output"], 4);
