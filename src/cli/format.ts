import type { Io } from "./common.js";
import { cell } from "./table.js";

export { cell, table } from "./table.js";

/** Two columns, label and value: for a report of one thing. */
export const keyValues = (io: Io, pairs: readonly [string, unknown][]): string => {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return `${pairs.map(([k, v]) => `${io.color.dim(k.padEnd(width))}  ${cell(v)}`).join("\n")}\n`;
};

/** A horizontal bar chart: one bar per label, scaled to the largest value. */
export const barChart = (
  io: Io,
  bars: readonly { label: string; value: number; note?: string }[],
  width = 40,
): string => {
  if (bars.length === 0) return `${io.color.dim("(no data)")}\n`;
  const max = Math.max(...bars.map((b) => b.value), 0);
  const labelWidth = Math.max(...bars.map((b) => b.label.length));
  return `${bars
    .map((b) => {
      const len = max > 0 ? Math.round((b.value / max) * width) : 0;
      const bar = "█".repeat(len) + (len === 0 && b.value > 0 ? "▏" : "");
      return `${b.label.padStart(labelWidth)} ${io.color.cyan(bar)} ${b.value}${b.note ? io.color.dim(`  ${b.note}`) : ""}`;
    })
    .join("\n")}\n`;
};

export const formatBytes = (bytes: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
};

export const heading = (io: Io, text: string): string => `${io.color.bold(io.color.underline(text))}\n`;
