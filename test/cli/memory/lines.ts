import { closeSync, openSync, writeSync } from "node:fs";

/**
 * A JSON-lines file of n BatchStarted events, each opening its own stream, written a MiB at a time.
 * @example writeLines("/tmp/x/lines.jsonl", 500_000)
 */
export const writeLines = (path: string, n: number): string => {
  const fd = openSync(path, "w");
  let chunk = "";
  for (let i = 1; i <= n; i++) {
    chunk += `{"type":"BatchStarted","data":{"batchId":"b${String(i).padStart(9, "0")}","theme":"landscapes"}}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  return path;
};
