import { messageOf } from "../db/sqliteErrors.js";
import { findDuplicateKey } from "./duplicateKeys.js";
import { type LineInput, lineText } from "./lines.js";

/** Only JSON's own whitespace makes a blank line: a line of U+00A0 or U+FEFF is refused by name, not skipped. */
const BLANK = /^[ \t\r\n]*$/;
const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
const isVisibleAscii = (char: string) => /^[\x21-\x7e]$/.test(char);
/** JSON.parse quotes an unexpected character as it is, or gives its position: name an invisible or non-ASCII one by its code point. */
const namingCodePoints = (message: string, text: string): string => {
  const token = /^Unexpected token '(.)'/u.exec(message);
  if (token?.[1] !== undefined)
    return isVisibleAscii(token[1]) ? message : message.replace(token[0], `${token[0]} (${codePoint(token[1])})`);
  const position = /at position (\d+)/.exec(message);
  const char = position ? String.fromCodePoint(text.codePointAt(Number(position[1])) ?? 0x20) : " ";
  return isVisibleAscii(char) || char === " " ? message : `${message} (${codePoint(char)})`;
};

/**
 * The JSON of one line, as `emit` and `readJsonl` read it: UTF-8 (bytes are checked,
 * never decoded lossily), a byte order mark only at the start of the input, no key
 * twice in one object. Undefined for a blank line.
 * @example parseJsonLine(Buffer.from('{"type":"BatchStarted","data":{"batchId":"b1"}}'), 1) // { ok: true, json: {...} }
 */
export const parseJsonLine = (
  raw: LineInput,
  line: number,
): { ok: true; json: unknown } | { ok: false; reason: string } | undefined => {
  const decoded = lineText(raw, line);
  if (!decoded.ok) return decoded;
  const { text } = decoded;
  if (BLANK.test(text)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not valid JSON: ${namingCodePoints(messageOf(e), text)}` };
  }
  // Only an object or array can hold a key twice.
  const duplicate = typeof json === "object" && json !== null ? findDuplicateKey(text) : undefined;
  if (duplicate) {
    const where = duplicate.path.length === 0 ? "the event" : duplicate.path.join(".");
    return { ok: false, reason: `key ${JSON.stringify(duplicate.key)} appears twice in ${where}` };
  }
  return { ok: true, json };
};
