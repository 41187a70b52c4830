import { isUtf8 } from "node:buffer";

/**
 * The input of the JSON-lines protocol as bytes: split into lines, each line checked
 * to be UTF-8 before it is decoded. Node's own decoding (a stream's `encoding`,
 * readline) turns invalid bytes into U+FFFD, so `x\xff.png` and `x\xfe.png` would
 * become one name.
 */

/** A line as emitLines takes it: text from a caller that decoded it, or bytes to be checked here. */
export type LineInput = string | Uint8Array;

const LF = 0x0a;
const CR = 0x0d;
const BOM = "\uFEFF";

/**
 * The lines of a byte stream, undecoded, as they arrive: ended by \n, \r\n or a lone \r,
 * as readline ends them (a \r\n split across two chunks is one end). A last line without
 * an end is a line; an empty input has none.
 * @example for await (const bytes of byteLines(process.stdin)) console.log(lineText(bytes, 1));
 */
export async function* byteLines(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  const splitter = lineSplitter();
  for await (const chunk of input) yield* splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  yield* splitter.end();
}

/**
 * The lines of bytes held whole in memory (a fixture file), split as byteLines splits a stream.
 * @example for (const bytes of byteLinesOf(readFileSync(file))) ...
 */
export function* byteLinesOf(bytes: Uint8Array): Generator<Uint8Array> {
  const splitter = lineSplitter();
  yield* splitter.push(bytes);
  yield* splitter.end();
}

const lineSplitter = () => {
  let carry: Uint8Array[] = [];
  let afterCr = false;
  const withCarry = (part: Uint8Array): Uint8Array => {
    if (carry.length === 0) return part;
    const line = Buffer.concat([...carry, part]);
    carry = [];
    return line;
  };
  return {
    *push(chunk: Uint8Array): Generator<Uint8Array> {
      if (chunk.length === 0) return;
      let start = afterCr && chunk[0] === LF ? 1 : 0;
      afterCr = false;
      // Each search runs once per end it finds, not once per line: a chunk without a \r is scanned for one once.
      let lf = chunk.indexOf(LF, start);
      let cr = chunk.indexOf(CR, start);
      while (lf !== -1 || cr !== -1) {
        const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
        yield withCarry(chunk.subarray(start, end));
        start = end + 1;
        if (end === cr) {
          if (start === chunk.length) afterCr = true;
          else if (chunk[start] === LF) start++;
        }
        if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start);
        if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start);
      }
      // A chunk may be reused by its stream once handed on: keep a copy of the unfinished line.
      if (start < chunk.length) carry.push(Uint8Array.prototype.slice.call(chunk, start));
    },
    *end(): Generator<Uint8Array> {
      if (carry.length > 0) yield withCarry(new Uint8Array(0));
    },
  };
};

/** The offset and value of the first byte of `bytes` that does not continue well-formed UTF-8 (RFC 3629). */
const firstInvalidByte = (bytes: Uint8Array): { offset: number; byte: number } => {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const [length, min, max] =
      b < 0x80
        ? [1, 0, 0]
        : b >= 0xc2 && b <= 0xdf
          ? [2, 0x80, 0xbf]
          : b === 0xe0
            ? [3, 0xa0, 0xbf] // no overlong 3-byte forms
            : b === 0xed
              ? [3, 0x80, 0x9f] // no UTF-16 surrogates
              : b >= 0xe1 && b <= 0xef
                ? [3, 0x80, 0xbf]
                : b === 0xf0
                  ? [4, 0x90, 0xbf] // no overlong 4-byte forms
                  : b >= 0xf1 && b <= 0xf3
                    ? [4, 0x80, 0xbf]
                    : b === 0xf4
                      ? [4, 0x80, 0x8f] // nothing above U+10FFFF
                      : [0, 0, 0];
    if (length === 0) return { offset: i, byte: b };
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      const [lo, hi] = k === 1 ? [min, max] : [0x80, 0xbf];
      if (c === undefined || c < lo || c > hi) return { offset: c === undefined ? i : i + k, byte: c ?? b };
    }
    i += length;
  }
  return { offset: bytes.length, byte: 0 };
};

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, "0")}`;

/**
 * The text of one line, or the reason it has none: bytes that are not UTF-8 (named
 * by the first bad byte, counted from 1), or a byte order mark on any line but the
 * first (at the very start of the input it is skipped: it marks the encoding, it is not content).
 * @example lineText(Buffer.from([0x78, 0xff]), 2) // { ok: false, reason: "not valid UTF-8: byte 0xff at byte 2 of the line" }
 */
export const lineText = (raw: LineInput, line: number): { ok: true; text: string } | { ok: false; reason: string } => {
  let text: string;
  if (typeof raw === "string") text = raw;
  else {
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (!isUtf8(bytes)) {
      const { offset, byte } = firstInvalidByte(bytes);
      return { ok: false, reason: `not valid UTF-8: byte ${hex(byte)} at byte ${offset + 1} of the line` };
    }
    text = bytes.toString("utf8");
  }
  if (!text.startsWith(BOM)) return { ok: true, text };
  if (line === 1) return { ok: true, text: text.slice(1) };
  return { ok: false, reason: "starts with a byte order mark (U+FEFF), which only the first line of the input may" };
};
