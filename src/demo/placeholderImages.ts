import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { NewEvent } from "../events/envelope.js";

const SIZE = 96;

const chunk = (type: string, data: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/**
 * A small PNG drawn from a name alone: a diagonal gradient between two colours and a disc, all
 * chosen by the name's hash. The same name gives the same bytes on every machine.
 * @example writeFileSync("a.png", placeholderPng("a.png"))
 */
export const placeholderPng = (name: string): Buffer => {
  const h = createHash("sha256").update(name).digest();
  const from = [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0];
  const to = [h[3] ?? 0, h[4] ?? 0, h[5] ?? 0];
  const cx = 20 + ((h[6] ?? 0) % (SIZE - 40));
  const cy = 20 + ((h[7] ?? 0) % (SIZE - 40));
  const r = 10 + ((h[8] ?? 0) % 16);
  const rows: Buffer[] = [];
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 3); // filter byte 0: none
    for (let x = 0; x < SIZE; x++) {
      const t = (x + y) / (2 * (SIZE - 1));
      const disc = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
      for (let c = 0; c < 3; c++) {
        const base = Math.round((from[c] ?? 0) * (1 - t) + (to[c] ?? 0) * t);
        row[1 + x * 3 + c] = disc ? 255 - Math.round(base / 3) : base;
      }
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
};

/**
 * Write a placeholder PNG for each image these events generate, into `dir` (created if needed), so
 * the dashboard's gallery has something to show. A file already there is left alone; a filename that
 * would land outside `dir` is skipped. Returns the number of files written.
 * @example writePlaceholderImages("data/images", pipelineDay({ seed: 42 })) // 312
 */
export const writePlaceholderImages = (dir: string, events: readonly NewEvent[]): number => {
  const root = resolve(dir);
  let written = 0;
  for (const event of events) {
    if (event.type !== "ImageGenerated") continue;
    const file = resolve(root, event.data.filename);
    if (!file.startsWith(root + sep) || existsSync(file)) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, placeholderPng(event.data.filename));
    written++;
  }
  return written;
};
