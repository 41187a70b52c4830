import { describe, expect, it } from "vitest";
import { workload } from "../../src/demo/workload.js";
import { type ImageFilter, readImages } from "../../src/serve/views/images.js";
import { storeWith } from "./support.js";

/** Every page of a filter, read by following `next`. */
const allPages = (db: Parameters<typeof readImages>[0], filter: Omit<ImageFilter, "limit">, many: number) => {
  const ids: number[] = [];
  let cursor: ImageFilter["cursor"];
  for (;;) {
    const page = readImages(db, { ...filter, limit: 7, cursor }, many);
    ids.push(...page.images.map((i) => i.id));
    if (!page.next) return ids;
    cursor = page.next;
  }
};

describe("the gallery's two ways to a page", () => {
  it.each<Omit<ImageFilter, "limit">>([
    { sort: "score" },
    { sort: "score", model: "runwayml/stable-diffusion-v1-5" },
    { sort: "score", featured: true },
    { sort: "score", featured: false, status: "curated" },
    { sort: "recent", model: "black-forest-labs/flux.1-schnell" },
    { sort: "recent", minScore: 7 },
    { sort: "recent", maxScore: 5, featured: false },
    { sort: "score", minScore: 6, maxScore: 8, model: "sdxl-lora/portrait_style_v2" },
    { sort: "recent", status: "pending" },
    { sort: "score", tag: "winter", featured: true },
  ])("give the same images in the same order, page after page: %o", (filter) => {
    const store = storeWith([...workload({ images: 300, seed: 11, pendingShare: 0.05 })]);
    // many = 1: every filter walks the sort order; many = 2^53 - 1: every filter goes through its index.
    const walked = allPages(store.db, filter, 1);
    expect(walked).toEqual(allPages(store.db, filter, Number.MAX_SAFE_INTEGER));
    expect(walked.length).toBeGreaterThan(0);
  });
});
