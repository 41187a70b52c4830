// The README's first command: play a deterministic pipeline day into the default
// database (DATABASE_URL, else data/ai_artist.db) and print the five documented queries.
import { pipelineDay } from "../src/demo/pipelineDay.js";
import { openStore } from "../src/index.js";

const store = openStore({ migrate: true });
try {
  const events = pipelineDay({ seed: 42 });
  const appended = store.append(events);
  const fresh = appended.filter((e) => !e.duplicate).length;
  console.log(`${store.path}: ${fresh} new events appended, ${appended.length - fresh} already there (log head at ${store.headPosition()})\n`);
  const q = store.queries;
  console.log("Recent high-quality images (curated, final_score >= 7.0)");
  console.table(q.recentHighQualityImages().map(({ id, filename, finalScore, isFeatured, createdAt }) => ({ id, filename, finalScore, isFeatured, createdAt })));
  console.log("Uncurated images for processing (first 10 of up to 100)");
  console.table(q.uncuratedImages().slice(0, 10));
  console.log("Quality distribution");
  console.table(q.qualityDistribution());
  console.log("Training session statistics");
  console.table(q.trainingSessionStatistics());
  console.log("Daily creation statistics");
  console.table(q.dailyCreationStatistics());
} finally {
  store.close();
}
