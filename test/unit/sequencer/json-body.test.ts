/** sequencer/json-body.ts: the nesting scan, and the API refusing a deep body before parsing it. */
import t from "tap";
import { MAX_JSON_DEPTH, tooDeepAt } from "../../../sequencer/json-body.ts";

t.test("tooDeepAt counts brackets outside strings only", async (t) => {
  t.equal(tooDeepAt('[{"a":[1,{"b":2}]}]'), null);
  t.equal(tooDeepAt("[[[", 2), 2, "the offset of the first level too deep");
  t.equal(tooDeepAt('["[[[[[[", "\\"[[[[["]', 2), null, "brackets in strings, escaped quotes");
  t.equal(tooDeepAt('{"a":"\\\\"}[[[', 2), 12, "an escaped backslash ends the string");
  t.equal(tooDeepAt("[".repeat(MAX_JSON_DEPTH)), null);
  t.equal(tooDeepAt("[".repeat(2_000_000) + "]".repeat(2_000_000)), MAX_JSON_DEPTH);
});
