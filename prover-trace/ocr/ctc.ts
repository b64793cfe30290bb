/**
 * PaddleOCR text-line recognition output -> text (pure). The rec network ends in a softmax over
 * the CTC classes of each horizontal position: class 0 is the CTC blank, classes 1..n are the
 * dictionary's lines in file order, and class n + 1 is the space PaddleOCR appends when
 * `use_space_char` is on (it is for the PP-OCRv4 models). Greedy decoding takes the best class
 * per position, merges runs of the same class, then drops blanks: "aa-ab" (- blank) reads "aab".
 */

export class OcrDictionaryError extends Error {
  override name = "OcrDictionaryError";
}

/** CTC classes from a PaddleOCR dictionary file (one character per line, LF or CRLF). */
export function ctcClasses(dictText: string): string[] {
  const lines = dictText.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new OcrDictionaryError("empty OCR dictionary");
  const empty = lines.findIndex((l) => l.length === 0);
  if (empty >= 0) throw new OcrDictionaryError(`OCR dictionary line ${empty + 1} is empty`);
  return ["", ...lines, " "];
}

/** Best class per position of a [T, C] row-major score matrix (first index wins ties). */
export function argmaxRows(scores: ArrayLike<number>, T: number, C: number): number[] {
  if (scores.length !== T * C) throw new RangeError(`${scores.length} scores for ${T} x ${C}`);
  const best: number[] = [];
  for (let t = 0; t < T; t++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (scores[t * C + c] > scores[t * C + b]) b = c;
    best.push(b);
  }
  return best;
}

/** Greedy CTC: merge repeats, drop blanks (class 0), map classes to characters. */
export function ctcGreedyText(best: readonly number[], classes: readonly string[]): string {
  let out = "";
  for (let t = 0; t < best.length; t++) {
    const c = best[t];
    if (c < 0 || c >= classes.length)
      throw new RangeError(`class ${c} outside the ${classes.length} CTC classes`);
    if (c === 0 || (t > 0 && best[t - 1] === c)) continue;
    out += classes[c];
  }
  return out;
}

/** Decode a [T, C] score matrix (probabilities, logits, or their integer form: only order matters). */
export function ctcDecode(scores: ArrayLike<number>, T: number, classes: readonly string[]): string {
  return ctcGreedyText(argmaxRows(scores, T, classes.length), classes);
}
