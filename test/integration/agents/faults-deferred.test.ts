/**
 * Issue 15, the deferred trace with real processes: every worker claims deferred (a plain run, no
 * trace committed or published). A worker whose output node has one wrong element (a trace
 * consistent with its wrong output) and one that claims a wrong output over the honest trace are
 * both caught by one honest `verdict watch` from its plain run's outputRoot: openDeferred, the
 * liar commits its trace, the watcher chooses level 1 (the one step) or level 0, and the liar is
 * slashed; the honest worker's deferred jobs are paid meanwhile (faults.ts).
 */
import t from "tap";
import { runFaults } from "./faults.ts";

await runFaults(t, ["wrong-element", "wrong-output"], 3, { deferred: true });
