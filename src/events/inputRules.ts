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

/** A problem on the way out of the walk: the keys to it, and the objects they are in (to tell a cycle from depth). */
type Found = { parts: (string | number)[]; containers: object[]; message: string; deep?: true };

const tooDeep = (): Found => ({
  parts: [],
  containers: [],
  message: `nested more than ${MAX_DEPTH} levels deep (the limit for data and metadata)`,
  deep: true,
});
const protoKey = (): Found => ({
  parts: ["__proto__"],
  containers: [],
  message: 'a key named "__proto__" is refused: JavaScript objects do not keep it as plain data',
});
const unsafeInteger = (n: number): Found => ({
  parts: [],
  containers: [],
  message: `${n} is an integer beyond ±(2^53-1), which JavaScript cannot hold exactly: send it as a string`,
});
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const withPart = (found: Found, part: string | number, container: object): Found => {
  found.parts.unshift(part);
  found.containers.push(container);
  return found;
};

/**
 * The first problem inside `value` at nesting level `depth` (the event itself is 0):
 * too deep, a `__proto__` key, an integer beyond the safe range. Recursion stops at
 * MAX_DEPTH, so no input can exhaust the stack (a cycle too ends there). Values JSON
 * cannot hold are left to the schemas. The path is built only on the way out of a
 * failure: a valid value allocates nothing.
 */
const findProblem = (value: unknown, depth: number): Found | undefined => {
  if (typeof value !== "object")
    // Beyond ±(2^53-1) every finite number is an integer, and none is held exactly.
    return typeof value === "number" && (value > MAX_SAFE || value < -MAX_SAFE) && Number.isFinite(value)
      ? unsafeInteger(value)
      : undefined;
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    if (depth > MAX_DEPTH) return tooDeep();
    for (let i = 0; i < value.length; i++) {
      const found = findProblem(value[i], depth + 1);
      if (found) return withPart(found, i, value);
    }
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  if (depth > MAX_DEPTH) return tooDeep();
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? "";
    if (key === "__proto__") return protoKey();
    const found = findProblem(Reflect.get(value, key), depth + 1);
    if (found) return withPart(found, key, value);
  }
  return undefined;
};

/**
 * The first problem in an event as given (envelope, data and metadata, before any
 * schema copies it: a copy would drop a `__proto__` key), or undefined.
 * @example inputProblem({ type: "BatchStarted", data: { batchId: "b" }, metadata: { n: 2 ** 64 } })
 */
export const inputProblem = (input: unknown): InputProblem | undefined => {
  const found = findProblem(input, 0);
  if (!found) return undefined;
  // Too deep because an object contains itself: JSON.stringify names the cycle better.
  if (found.deep && new Set(found.containers).size < found.containers.length) return undefined;
  const { parts } = found;
  const path = parts.join(".");
  const shown = found.deep && parts.length > SHOWN_PARTS ? `${parts.slice(0, SHOWN_PARTS).join(".")}…` : path;
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
