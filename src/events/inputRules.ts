/**
 * Rules for what an append accepts, beyond each event's schema: values the store
 * would otherwise change silently (round, drop, split into two spellings) or could not
 * check without overflowing the stack. They hold for new events only: the schemas,
 * which also parse what the log already holds, stay as they were, so history stays
 * readable. docs/events.md ("What the store refuses") lists them.
 */

/** Deepest nesting of objects and arrays in `data` or `metadata`, counting it as the first level. */
export const MAX_DEPTH = 64;

/** A problem found in an event's raw input: the path to it and what is wrong. */
export interface InputProblem {
  path: string;
  message: string;
}

/** Paths of more than this many parts are shown with their middle left out (details keep the whole path). */
const SHOWN_PARTS = 8;

const isPlainObject = (v: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

type Found = { parts: (string | number)[]; message: string; elided?: true };

const tooDeep = (): Found => ({
  parts: [],
  message: `nested more than ${MAX_DEPTH} levels deep (the limit for data and metadata)`,
  elided: true,
});
const protoKey = (): Found => ({
  parts: ["__proto__"],
  message: 'a key named "__proto__" is refused: JavaScript objects do not keep it as plain data',
});
const unsafeInteger = (n: number): Found => ({
  parts: [],
  message: `${n} is an integer beyond ±(2^53-1), which JavaScript cannot hold exactly: send it as a string`,
});

/**
 * The first problem inside `value` at nesting level `depth` (the event itself is 0):
 * too deep, a `__proto__` key, an integer beyond the safe range. Recursion stops at
 * MAX_DEPTH, so no input can exhaust the stack. A cycle is left for JSON.stringify to name;
 * other values JSON cannot hold are left to the schemas.
 */
const findProblem = (value: unknown, depth: number, ancestors: object[]): Found | undefined => {
  if (typeof value === "number")
    return Number.isInteger(value) && !Number.isSafeInteger(value) ? unsafeInteger(value) : undefined;
  if (typeof value !== "object" || value === null || ancestors.includes(value)) return undefined;
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return undefined;
  if (depth > MAX_DEPTH) return tooDeep();
  ancestors.push(value);
  try {
    // The path is built only on the way out of a failure: a valid value allocates nothing.
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (key === "__proto__") return protoKey();
      const found = findProblem(Reflect.get(value, key), depth + 1, ancestors);
      if (found) {
        found.parts.unshift(isArray ? Number(key) : key);
        return found;
      }
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
};

/**
 * The first problem in an event as given (envelope, data and metadata, before any
 * schema copies it: a copy would drop a `__proto__` key), or undefined.
 * @example inputProblem({ type: "BatchStarted", data: { batchId: "b" }, metadata: { n: 2 ** 64 } })
 */
export const inputProblem = (input: unknown): InputProblem | undefined => {
  const found = findProblem(input, 0, []);
  if (!found) return undefined;
  const { parts } = found;
  const path = parts.join(".");
  const shown = found.elided && parts.length > SHOWN_PARTS ? `${parts.slice(0, SHOWN_PARTS).join(".")}…` : path;
  return { path, message: `${shown}: ${found.message}` };
};

/** Only characters outside ASCII can differ between Unicode normal forms. */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Why an identifier (filename, runId, batchId: the key of a stream) cannot be stored
 * exactly as one name, or undefined. Whitespace at an end is not trimmed, and another
 * Unicode spelling is not normalised: either would change what the emitter sent.
 * @example identifierProblem("caf\u0065\u0301.png") // "not in Unicode normalization form NFC ..."
 */
export const identifierProblem = (id: string): string | undefined => {
  if (id.trim() !== id) return `starts or ends with whitespace (${JSON.stringify(id)}): identifiers are kept exactly`;
  if (NON_ASCII.test(id) && id.normalize("NFC") !== id)
    return 'not in Unicode normalization form NFC: the same name could be spelled two ways; send it as name.normalize("NFC")';
  return undefined;
};
