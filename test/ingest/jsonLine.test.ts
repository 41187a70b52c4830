import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findDuplicateKey } from "../../src/ingest/duplicateKeys.js";
import { parseJsonLine } from "../../src/ingest/jsonLine.js";
import { byteLines, byteLinesOf, lineText } from "../../src/ingest/lines.js";

describe("findDuplicateKey", () => {
  it("finds none in any JSON that JSON.stringify writes (keys with escapes, strings full of braces and quotes)", () => {
    const awkward = fc.constantFrom('"', "\\", "{", "}", "[", "]", ",", ":", '\\"', "\u0000", "é", "🎨", "a");
    const text = fc.array(awkward, { maxLength: 6 }).map((parts) => parts.join(""));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, text, fc.integer(), fc.constant(null), tie("array"), tie("object")),
      array: fc.array(tie("value"), { maxLength: 4 }),
      object: fc.dictionary(text, tie("value"), { maxKeys: 5 }),
    })).value;
    fc.assert(
      fc.property(fc.oneof(json, fc.jsonValue()), (value) => findDuplicateKey(JSON.stringify(value)) === undefined),
    );
  });

  it("finds a key written twice in any object, with the path of that object", () => {
    const key = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.jsonValue(), { minKeys: 1, maxKeys: 6 }),
        key,
        fc.nat(),
        (object, outer, pick) => {
          const keys = Object.keys(object);
          const twice = keys[pick % keys.length] ?? "";
          const inner = JSON.stringify(object);
          const doubled = `${inner.slice(0, -1)},${JSON.stringify(twice)}:0}`;
          const text = `{${JSON.stringify(outer)}:[1,${doubled}]}`;
          expect(JSON.parse(text)).toBeTypeOf("object");
          expect(findDuplicateKey(text)).toEqual({ key: twice, path: [outer, 1] });
        },
      ),
    );
  });

  it("walks 100,000 levels of nesting without recursion", () => {
    const deep = `${'{"a":['.repeat(100_000)}1${"]}".repeat(100_000)}`;
    expect(findDuplicateKey(deep)).toBeUndefined();
    expect(findDuplicateKey(`${'{"a":['.repeat(100_000)}{"x":1,"x":2}${"]}".repeat(100_000)}`)?.key).toBe("x");
  });
});

describe("lines as bytes", () => {
  const utf8 = new TextDecoder("utf-8", { fatal: true });

  it("splits any text at \\n, \\r\\n and \\r however it is cut into chunks, keeping characters split across chunks", async () => {
    const lineText = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !/[\r\n]/.test(s));
    const ending = fc.constantFrom("\n", "\r\n", "\r");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(lineText, ending), { maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        async (lines, endsLast, cuts) => {
          const text = lines.map(([l, e], i) => (i < lines.length - 1 || endsLast ? l + e : l)).join("");
          const bytes = Buffer.from(text);
          const chunks: Uint8Array[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length] ?? 1;
            chunks.push(bytes.subarray(at, at + size), new Uint8Array(0));
            at += size;
          }
          async function* stream() {
            yield* chunks;
          }
          const got: string[] = [];
          for await (const line of byteLines(stream())) got.push(utf8.decode(line));
          // readline's rule as the reference: a last line without its end is a line, an empty one is none.
          const expected = text === "" ? [] : text.split(/\r\n|\n|\r/);
          if (/[\r\n]$/.test(text)) expected.pop();
          expect(got).toEqual(expected);
          expect(Array.from(byteLinesOf(bytes), (l) => utf8.decode(l))).toEqual(expected);
        },
      ),
    );
  });

  it("accepts exactly the lines a fatal UTF-8 decoder accepts, and decodes them the same", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.integer({ min: 2, max: 3 }), (bytes, line) => {
        let expected: string | undefined;
        try {
          expected = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
        } catch {
          expected = undefined;
        }
        const got = lineText(bytes, line);
        if (expected === undefined)
          expect(got).toMatchObject({
            ok: false,
            reason: expect.stringMatching(/^not valid UTF-8: byte 0x[0-9a-f]{2} at byte \d+ of the line$/),
          });
        else if (expected.startsWith("\uFEFF"))
          expect(got).toMatchObject({ ok: false, reason: expect.stringMatching(/byte order mark/) });
        else expect(got).toEqual({ ok: true, text: expected });
      }),
      { numRuns: 2000 },
    );
  });

  it("names the first byte that breaks UTF-8", () => {
    expect(lineText(Buffer.from([0x61, 0xe2, 0x82, 0x28]), 2)).toEqual({
      ok: false,
      reason: "not valid UTF-8: byte 0x28 at byte 4 of the line",
    });
    expect(lineText(Buffer.from([0x61, 0xc0, 0xaf]), 2)).toEqual({
      ok: false,
      reason: "not valid UTF-8: byte 0xc0 at byte 2 of the line",
    });
  });
});

describe("parseJsonLine", () => {
  it("skips blank lines of JSON whitespace only, and names any other invisible character", () => {
    expect(parseJsonLine(" \t\r", 2)).toBeUndefined();
    expect(parseJsonLine("\uFEFF", 1)).toBeUndefined();
    expect(parseJsonLine("\u00a0", 2)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^not valid JSON: Unexpected token '.' \(U\+00A0\)/u),
    });
    expect(parseJsonLine('{"a":1}\u200b', 2)).toEqual({ ok: false, reason: expect.stringMatching(/\(U\+200B\)$/) });
  });
});
