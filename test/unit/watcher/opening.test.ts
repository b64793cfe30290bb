/**
 * The dispute the watcher opens from its record of a checked claim (verifier/watcher/scheduler.ts
 * `recordOpening`): a wrong trace is level 1; a wrong outputRoot is level 0 on the output the
 * checker named, or, when nothing verified named one (issue 18, attack 11), level 0 unnamed.
 */
import t from "tap";
import { recordOpening } from "../../../verifier/watcher/scheduler.ts";

t.same(recordOpening({ level: "trace" }), { kind: "openDispute" }, "a wrong trace: level 1");
t.same(recordOpening({}), { kind: "openDispute" }, "no level recorded: level 1");
t.same(
  recordOpening({ level: "output", outputIndex: 2 }),
  { kind: "challengeOutput", outputIndex: 2 },
  "a named output: level 0 on it",
);
t.same(
  recordOpening({ level: "output", outputIndex: 0 }),
  { kind: "challengeOutput", outputIndex: 0 },
  "output 0 is a name, not a missing one",
);
t.same(
  recordOpening({ level: "output" }),
  { kind: "challengeOutputs" },
  "no output named: level 0 without naming it, never a guess",
);
