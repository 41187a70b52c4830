import { cliCommand } from "../db/paths.js";
import { PROJECTION_NAMES, type ProjectionName } from "../projections/index.js";
import type { Store } from "../store/openStore.js";
import { compareTable, hasDrift, type TableDrift } from "./compareTables.js";
import type { OnProgress } from "./replay.js";
import { replayAside } from "./replayAside.js";
import { tablesOf } from "./tables.js";

/**
 * Which projections an audit compares, how many rows it lists, and a progress callback.
 * @example auditProjections(store, { only: ["generated_images"], maxRows: 10 })
 */
export interface AuditOptions {
  /** Audit only these projections' tables (default: all). */
  only?: readonly ProjectionName[];
  onProgress?: OnProgress;
  /** Rows listed per table and kind (counts are always exact). Default 100. */
  maxRows?: number;
}

/** An audit's verdict and, per table, how the live table departs from the replayed log. */
export interface AuditReport {
  /** True when every audited table equals the replayed log, row for row and byte for byte. */
  ok: boolean;
  /** The log position both sides were compared at. */
  position: number;
  events: number;
  durationMs: number;
  /** Every audited table, drifted or not. */
  tables: TableDrift[];
}

/**
 * Replay the log into a scratch database migrated the same way, then compare
 * it with the live tables row by row, both read in one snapshot of the store.
 * Writes nothing to the store.
 * @example const report = auditProjections(store); if (!report.ok) console.log(formatAuditReport(report));
 */
export const auditProjections = (store: Store, options: AuditOptions = {}): AuditReport => {
  const started = performance.now();
  const tables = tablesOf(options.only ?? PROJECTION_NAMES);
  return replayAside(store, { rounds: 1, onProgress: options.onProgress }, (aside) => {
    // One read transaction: the live tables and the log's tail come from the same snapshot.
    const compare = store.db.transaction(() => {
      const position = aside.catchUp();
      return { position, drift: tables.map((t) => compareTable(store.db, t, options.maxRows ?? 100)) };
    });
    const { position, drift } = compare();
    return {
      ok: !drift.some(hasDrift),
      position,
      events: aside.done,
      durationMs: performance.now() - started,
      tables: drift,
    };
  });
};

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));
const showKey = (key: Record<string, unknown>) =>
  Object.entries(key)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(" ");

/**
 * The audit report as lines an operator reads: one per drifted row, then a verdict naming the fix for `path`.
 * @example console.log(formatAuditReport(auditProjections(store), store.path))
 */
export const formatAuditReport = (report: AuditReport, path: string): string => {
  const lines: string[] = [];
  for (const t of report.tables) {
    const keyOfRow = (row: Record<string, unknown>) => showKey(Object.fromEntries(t.key.map((k) => [k, row[k]])));
    for (const row of t.missing)
      lines.push(`${t.table}: missing ${keyOfRow(row)} (the log has it, the table does not)`);
    for (const row of t.extra) lines.push(`${t.table}: extra ${keyOfRow(row)} (the table has it, the log does not)`);
    for (const d of t.differing)
      lines.push(
        `${t.table}: differs ${showKey(d.key)}: ${d.columns.map((c) => `${c.column} live ${show(c.live)} ≠ log ${show(c.replayed)}`).join(", ")}`,
      );
    const listed = t.missing.length + t.extra.length + t.differing.length;
    const counted = t.counts.missing + t.counts.extra + t.counts.differing;
    if (counted > listed) lines.push(`${t.table}: … and ${counted - listed} more drifted rows`);
    if (t.sequence)
      lines.push(`${t.table}: AUTOINCREMENT counter live ${show(t.sequence.live)} ≠ log ${show(t.sequence.replayed)}`);
  }
  const drifted = report.tables
    .filter(hasDrift)
    .map((t) => `${t.table} (${t.counts.missing} missing, ${t.counts.extra} extra, ${t.counts.differing} differing)`);
  lines.push(
    report.ok
      ? `audit ok: ${report.tables.map((t) => t.table).join(", ")} match the log at position ${report.position}`
      : `audit found drift at log position ${report.position}: ${drifted.join("; ")}; ` +
          `run \`${cliCommand("rebuild", path)}\` to derive the tables again`,
  );
  return lines.join("\n");
};
