/**
 * JSON request bodies with bounded nesting. V8's JSON.parse spends ~1 s on a 4 MB body of
 * 2,000,000 `[` (and the schema validator more), all on the event loop that acknowledges txs and
 * seals blocks. A linear scan refuses a body nested deeper than any tx can be before it is parsed;
 * its cost is one pass over the bytes, stopping at the first level too deep.
 */
import type { FastifyInstance } from "fastify";

/** Deepest nesting any request needs: a batch [ tx { claim { } } ] is 3. */
export const MAX_JSON_DEPTH = 16;

/** The first nesting level past `max` (its byte offset), or null when the text stays within it. */
export function tooDeepAt(text: string, max = MAX_JSON_DEPTH): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return null;
}

/** Replace fastify's JSON parser by the same parser behind a nesting bound (400 past it). */
export function boundJsonNesting(app: FastifyInstance, max = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const at = tooDeepAt(body as string, max);
    if (at !== null) {
      const err = new Error(`JSON nested deeper than ${max} levels (at byte ${at})`) as Error & {
        statusCode: number;
      };
      err.statusCode = 400;
      done(err, undefined);
      return;
    }
    parse(req, body as string, done);
  });
}
