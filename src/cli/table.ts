import { stripVTControlCharacters } from "node:util";
import type { Io } from "./common.js";

/** East Asian wide and fullwidth characters and emoji: two columns on a terminal. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
/** Combining marks and variation selectors (Mn, Me), zero-width spaces and joiners (Cf): no column of their own. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;
const PRINTABLE_ASCII = /^[ -~]*$/;

/**
 * The columns a text takes on a terminal: colour codes take none, wide characters two.
 * @example displayWidth("漢字") // 4
 */
export const displayWidth = (text: string): number => {
  const plain = stripVTControlCharacters(text);
  if (PRINTABLE_ASCII.test(plain)) return plain.length;
  let width = 0;
  for (const ch of plain) width += ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
};

/** A cell as people read it: numbers rounded, null as a dash, objects as compact JSON, line breaks shown as \n. */
export const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number")
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value.replace(/\r\n|\r|\n|\t/g, (c) => JSON.stringify(c).slice(1, -1));
  return JSON.stringify(value);
};

type Align = "left" | "right";
interface Layout {
  head: readonly string[];
  align: readonly Align[];
  widths: number[];
}

const pad = (text: string, width: number, align: Align): string => {
  const space = " ".repeat(Math.max(0, width - displayWidth(text)));
  return align === "right" ? space + text : text + space;
};

/** Rows a table renders at once: its memory is a chunk's, however many rows go through. */
export const TABLE_CHUNK = 1000;

/**
 * Render rows as boxed tables, chunk by chunk, for output of any length: column widths
 * come from the first chunk, and only grow; a chunk that needs wider columns closes the
 * box and opens a new one under a repeated header. Number columns (by the first row)
 * are right-aligned. `end()` closes the last box, or says there were no rows.
 * @example const t = tableWriter(io); out(t.chunk(rows.slice(0, 1000))); out(t.end());
 */
export const tableWriter = (io: Io, columns?: readonly string[]) => {
  const c = io.color;
  const border = (s: string) => (io.tty ? c.gray(s) : s);
  const rule = (widths: readonly number[], [left, mid, right]: readonly [string, string, string]) =>
    `${border(left + widths.map((w) => "─".repeat(w + 2)).join(mid) + right)}\n`;
  const line = (layout: Layout, cells: readonly string[]) =>
    `${border("│")}${cells.map((t, i) => ` ${pad(t, layout.widths[i] ?? 0, layout.align[i] ?? "left")} `).join(border("│"))}${border("│")}\n`;
  const top = (layout: Layout) =>
    rule(layout.widths, ["┌", "┬", "┐"]) +
    line(
      layout,
      layout.head.map((h) => c.bold(h)),
    );
  const bottom = (layout: Layout) => rule(layout.widths, ["└", "┴", "┘"]);
  let layout: Layout | undefined;

  return {
    /** The text of these rows: the opening of the table (or of a wider box) first when needed. */
    chunk: (rows: readonly Record<string, unknown>[]): string => {
      const first = rows[0];
      if (!first) return "";
      const head = layout?.head ?? columns ?? Object.keys(first);
      const cells = rows.map((row) => head.map((h) => cell(row[h])));
      const widths = head.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i] ?? ""))));
      let text = "";
      if (!layout) {
        layout = { head, align: head.map((h) => (typeof first[h] === "number" ? "right" : "left")), widths };
        text += top(layout);
      } else if (widths.some((w, i) => w > (layout?.widths[i] ?? 0))) {
        text += bottom(layout);
        layout.widths = layout.widths.map((w, i) => Math.max(w, widths[i] ?? 0));
        text += top(layout);
      }
      for (const r of cells) text += line(layout, r);
      return text;
    },
    end: (): string => (layout ? bottom(layout) : `${c.dim("(no rows)")}\n`),
  };
};

/**
 * An aligned table of rows (objects with the same keys), or a dim "(no rows)" line when there are none.
 * @example io.out(table(io, [{ name: "a", rows: 3 }]))
 */
export const table = (io: Io, rows: readonly Record<string, unknown>[], columns?: readonly string[]): string => {
  const writer = tableWriter(io, columns);
  let text = "";
  for (let i = 0; i < rows.length; i += TABLE_CHUNK) text += writer.chunk(rows.slice(i, i + TABLE_CHUNK));
  return text + writer.end();
};
