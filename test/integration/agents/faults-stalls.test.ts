/**
 * Issue 5, must show: liars that stop answering (a trace leaf nobody can open, withheld data, no
 * move at all) are caught by one honest `verdict watch` and lose on time, all real processes on the
 * embedded L1; L1 time is moved past the liar's clock once it has stalled on its turn. The honest
 * worker's jobs are paid meanwhile (faults.ts).
 */
import t from "tap";
import { runFaults } from "./faults.ts";

await runFaults(t, ["wrong-leaf", "withhold", "silent"], 4);
