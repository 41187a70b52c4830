/**
 * JSON.parse keeps the last of two equal keys and says nothing, so
 * `{"batchId":"a","batchId":"b"}` would be stored as b. These find such a key in the
 * text itself, once JSON.parse has accepted it.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** One open object or array: the keys seen so far and the current one, or the current index. */
interface Frame {
  keys: Set<string> | undefined;
  key: string;
  index: number;
}

/** The index of the quote that ends the string whose opening quote is at `open`. */
const stringEnd = (text: string, open: number): number => {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
};

/** Where the innermost open object is: its key or index in each enclosing one. */
const pathOf = (stack: readonly Frame[]): (string | number)[] =>
  stack.slice(0, -1).map((f) => (f.keys === undefined ? f.index : f.key));

/**
 * The first key that appears twice in one object of `text` (valid JSON), with the path
 * of that object, or undefined. Keys are compared as JSON.parse reads them, so `"a"` and
 * `"\u0061"` are the same key. Iterative: nesting of any depth costs heap, not stack.
 * @example findDuplicateKey('{"data":{"a":1,"a":2}}') // { key: "a", path: ["data"] }
 */
export const findDuplicateKey = (text: string): { key: string; path: (string | number)[] } | undefined => {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack.at(-1);
      if (expectKey && top?.keys) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? String(JSON.parse(`"${raw}"`)) : raw;
        if (top.keys.has(key)) return { key, path: pathOf(stack) };
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = end;
      continue;
    }
    switch (c) {
      case 0x7b: // {
        stack.push({ keys: new Set(), key: "", index: 0 });
        expectKey = true;
        break;
      case 0x5b: // [
        stack.push({ keys: undefined, key: "", index: 0 });
        expectKey = false;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        expectKey = false;
        break;
      case 0x2c: {
        // ,
        const top = stack.at(-1);
        if (top?.keys) expectKey = true;
        else if (top) top.index++;
        break;
      }
    }
  }
  return undefined;
};
