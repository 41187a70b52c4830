// The documented queries at a million images: latency of each, and the document's
// index table reproduced (each query with its index and with none).
import { z } from "zod";
import { type Db, openConnection } from "../../src/db/connection.js";
import { quote } from "../../src/db/tableInfo.js";
import { workload } from "../../src/demo/workload.js";
import { type NewEvent, openStore, QUERY_NAMES } from "../../src/index.js";
import { explainQuery } from "../../src/maintenance/doctor.js";
import { QUALITY_TIER_CASE } from "../../src/projections/qualityTiers.js";
import { QUERY_SQL } from "../../src/queries/index.js";
import { rawDirectApplier } from "./rawDirect.js";
import { freshDb, log, measure, quantile } from "./support.js";

const IndexDefinitions = z.array(z.object({ name: z.string(), sql: z.string() }));
const PlanStep = z.object({ detail: z.string() });

type ImageData = Extract<NewEvent, { type: "ImageGenerated" }>["data"];
type Curation = Extract<NewEvent, { type: "ImageCurated" }>["data"];

/**
 * A database of `images` images in their final state, written straight into the
 * tables (one INSERT per image, its curation folded in; sessions through the
 * raw-direct statements, creation_days with them), secondary indexes built
 * after loading, quality_tiers summed from the table. Same seeded workload as the append figures, 1% awaiting curation.
 */
export const loadImages = (images: number): { path: string; seconds: number } => {
  const path = freshDb("queries");
  const db = openConnection(path);
  const indexes = IndexDefinitions.parse(
    db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'generated_images' AND sql IS NOT NULL",
      )
      .all(),
  );
  const m = measure(() => {
    for (const { name } of indexes) db.exec(`DROP INDEX ${quote(name)}`);
    const insert = db.prepare(
      `INSERT INTO generated_images (filename, prompt, negative_prompt, source_url, source_query, model_id, generation_params, seed,
         aesthetic_score, clip_score, technical_score, final_score, created_at, status, is_featured, tags, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const session = rawDirectApplier(db);
    let held: { data: ImageData; at: string } | undefined;
    const flush = (c?: Curation, curatedAt?: string) => {
      if (!held) return;
      const d = held.data;
      insert.run(
        d.filename,
        d.prompt,
        d.negativePrompt ?? "",
        d.sourceUrl ?? null,
        d.sourceQuery ?? null,
        d.modelId,
        JSON.stringify(d.generationParams ?? {}),
        d.seed ?? null,
        c?.aestheticScore ?? null,
        c?.clipScore ?? null,
        c?.technicalScore ?? null,
        c?.finalScore ?? null,
        held.at,
        c?.status ?? "pending",
        c?.isFeatured ? 1 : 0,
        JSON.stringify(d.tags ?? []),
        curatedAt ?? held.at,
      );
      held = undefined;
    };
    const begin = db.prepare("BEGIN");
    const commit = db.prepare("COMMIT");
    begin.run();
    let n = 0;
    for (const e of workload({ images, seed: 1, pendingShare: 0.01 })) {
      if (e.type === "ImageGenerated") {
        flush();
        held = { data: e.data, at: e.occurredAt ?? "" };
        if (++n % 50_000 === 0) {
          commit.run();
          begin.run();
        }
      } else if (e.type === "ImageCurated") flush(e.data, e.occurredAt);
      else session(e);
    }
    flush();
    commit.run();
    for (const { sql } of indexes) db.exec(sql);
    db.exec(`INSERT INTO quality_tiers (tier, images, scored, score_sum)
      SELECT ${QUALITY_TIER_CASE} AS tier, COUNT(*), COUNT(final_score), coalesce(SUM(final_score), 0.0)
      FROM generated_images WHERE status = 'curated' GROUP BY tier`);
  });
  db.close();
  return { path, seconds: m.wall };
};

/** Run fn until `iterations` samples or `budgetMs` spent; p50 and p99 in milliseconds. */
export const latency = (fn: () => unknown, iterations: number, budgetMs: number) => {
  fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < iterations && performance.now() - start < budgetMs) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), samples: samples.length };
};

const plan = (db: Db, sql: string, params: unknown[]) =>
  db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((r) => PlanStep.parse(r).detail)
    .join("; ");

export interface QueryFigure {
  query: string;
  rows: number;
  p50Ms: number;
  p99Ms: number;
  plan: string;
}

export interface IndexFigure {
  index: string;
  purpose: string;
  sql: string;
  claim: string;
  withIndexP50Ms: number;
  withoutIndexP50Ms: number;
  speedup: number;
  planWith: string;
  planWithout: string;
}

/** The store's five query functions on the loaded database (typed rows, as callers get them), with the plan of the very SQL they run. */
export const measureDocumentedQueries = (path: string): QueryFigure[] => {
  const store = openStore({ url: `sqlite:${path}` });

  const figures = QUERY_NAMES.map((name) => {
    const run = () => store.queries[name]();
    const { p50, p99 } = latency(run, 300, 3000);
    return {
      query: name,
      rows: run().length,
      p50Ms: p50,
      p99Ms: p99,
      plan: explainQuery(store.db, name, QUERY_SQL[name])
        .plan.map((line) => line.trim())
        .join("; "),
    };
  });
  store.close();
  return figures;
};

/** The document's index table: each query forced through its index, then with none (NOT INDEXED). */
export const measureIndexTable = (path: string): IndexFigure[] => {
  const db = openConnection(path, { readonly: true });
  const middle = String(
    db
      .prepare("SELECT created_at FROM generated_images WHERE id = (SELECT max(id) / 2 FROM generated_images)")
      .pluck()
      .get(),
  );
  const hourLater = new Date(Date.parse(middle) + 3600_000).toISOString();
  const someFile = String(
    db
      .prepare("SELECT filename FROM generated_images WHERE id = (SELECT max(id) / 3 FROM generated_images)")
      .pluck()
      .get(),
  );
  const cases = [
    {
      index: "idx_created_at",
      purpose: "Recent images (one hour of them)",
      claim: "~100x",
      sql: "SELECT id, filename, created_at FROM generated_images %s WHERE created_at >= ? AND created_at < ? ORDER BY created_at DESC",
      params: [middle, hourLater],
    },
    {
      index: "idx_final_score",
      purpose: "Top quality images",
      claim: "~50x",
      sql: "SELECT id, filename, final_score FROM generated_images %s ORDER BY final_score DESC LIMIT 10",
      params: [],
    },
    {
      index: "idx_status",
      purpose: "Filter by curation status (pending)",
      claim: "~75x",
      sql: "SELECT id, filename FROM generated_images %s WHERE status = 'pending'",
      params: [],
    },
    {
      index: "sqlite_autoindex_generated_images_1",
      purpose: "Lookup by filename (idx_filename: UNIQUE's own index)",
      claim: "~1000x",
      sql: "SELECT * FROM generated_images %s WHERE filename = ?",
      params: [someFile],
    },
  ];
  const figures = cases.map((c) => {
    const withSql = c.sql.replace("%s", `INDEXED BY ${c.index}`);
    const withoutSql = c.sql.replace("%s", "NOT INDEXED");
    const withStmt = db.prepare(withSql);
    const withoutStmt = db.prepare(withoutSql);
    const withIndex = latency(() => withStmt.all(...c.params), 300, 2000);
    const withoutIndex = latency(() => withoutStmt.all(...c.params), 7, 4000);
    log(`  ${c.index}: ${withIndex.p50.toFixed(3)} ms with, ${withoutIndex.p50.toFixed(1)} ms without`);
    return {
      index: c.index,
      purpose: c.purpose,
      sql: c.sql.replace("%s ", ""),
      claim: c.claim,
      withIndexP50Ms: withIndex.p50,
      withoutIndexP50Ms: withoutIndex.p50,
      speedup: withoutIndex.p50 / withIndex.p50,
      planWith: plan(db, withSql, c.params),
      planWithout: plan(db, withoutSql, c.params),
    };
  });
  db.close();
  return figures;
};
