import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { writePlaceholderImages } from "../../src/demo/placeholderImages.js";
import { openStore, runConsumer } from "../../src/index.js";
import { createMigratedDatabase } from "../../src/replay/scratch.js";
import { type RunningDashboard, startDashboard } from "../../src/serve/server.js";
import { ROOT } from "../cli/run.js";

// Debian's chromium, driven by playwright-core (its own browser download does not work here); .ci/run installs it.
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = join(ROOT, "screenshots");
const INJECTED = "injected.png";
const INJECTED_CONSUMER = `<img src=x onerror="window.__injected = 'consumer'">`;
const INJECTED_PROMPT = `<script>window.__injected = "script"</script><img src=x onerror="window.__injected = 'img'">`;

let browser: Browser;
let dashboard: RunningDashboard;
// The whole file shares one database and images folder (test/support's tempDir is emptied after each test).
const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-browser-"));
let expected: {
  quality: { qualityTier: string; count: number }[];
  featured: string[];
  head: number;
  stream: { streamVersion: number; type: string; position: number }[];
  image: string;
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const path = join(dir, "demo.db");
  const images = join(dir, "images");
  createMigratedDatabase(path);
  const writer = openStore({ url: path });
  const day = pipelineDay({ seed: 42 });
  writer.append(day);
  writePlaceholderImages(images, day);
  // A consumer that has handled the day, named with markup: the health page lists it, 2 events behind, as text.
  await runConsumer(writer, { name: INJECTED_CONSUMER, stopAtHead: true, batchSize: 1000, handle: () => {} });
  // A prompt and a tag that are markup: they must show as text, and nothing in them may run.
  writer.append([
    {
      type: "ImageGenerated",
      occurredAt: "2026-01-08T23:00:00Z",
      data: { filename: INJECTED, prompt: INJECTED_PROMPT, modelId: "sdxl-1.0", tags: ["<b>bold</b>"] },
    },
    {
      type: "ImageCurated",
      occurredAt: "2026-01-08T23:01:00Z",
      data: { filename: INJECTED, status: "curated", finalScore: 9.99, isFeatured: true },
    },
  ]);
  const image = z.string().parse(writer.queries.recentHighQualityImages({ minScore: 9, limit: 2 })[1]?.filename);
  expected = {
    quality: writer.queries.qualityDistribution(),
    featured: z
      .array(z.string())
      .parse(
        writer.db
          .prepare("SELECT filename FROM generated_images WHERE is_featured = 1 ORDER BY final_score DESC, id")
          .pluck()
          .all(),
      ),
    head: writer.headPosition(),
    stream: writer.readStream(`image:${image}`),
    image,
  };
  writer.close();
  mkdirSync(SCREENSHOTS, { recursive: true });
  dashboard = await startDashboard({ url: path, port: 0, host: "127.0.0.1", imagesDir: images });
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Open a page of the dashboard, wait until it has drawn, keep its console errors, write its screenshot. */
const visit = async (path: string, screenshot: string): Promise<{ page: Page; errors: string[] }> => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(new URL(path, dashboard.url).href);
  await page.waitForSelector("body[data-ready]");
  expect(await page.getAttribute("body", "data-ready")).toBe("true");
  await page.screenshot({ path: join(SCREENSHOTS, `${screenshot}.png`), fullPage: true });
  return { page, errors };
};

describe("the dashboard in a real browser (chromium)", () => {
  it.each([
    ["/", "overview"],
    ["/gallery", "gallery"],
    ["/training", "training"],
    ["/timeline", "timeline"],
    ["/stream?id=training:lora-portrait-2026-01-08", "stream"],
    ["/status", "health"],
    ["/?asOfPosition=300", "overview-as-of"],
    ["/gallery?featured=true&asOfTime=2026-01-08T12:00:00Z", "gallery-as-of"],
  ])("loads %s with no console error, and writes its screenshot", async (path, name) => {
    const { page, errors } = await visit(path, name);
    expect(errors).toEqual([]);
    expect(await page.locator("main h1").count()).toBe(1);
    expect(existsSync(join(SCREENSHOTS, `${name}.png`))).toBe(true);
    await page.close();
  });

  it("lists each consumer on the health page with its position and lag, its name shown as text", async () => {
    const { page, errors } = await visit("/status", "health-consumers");
    expect(errors).toEqual([]);
    const row = page.locator("#consumer-lag tbody tr");
    expect(await row.count()).toBe(1);
    const cells = await row.locator("td").allTextContents();
    expect(cells.slice(0, 3)).toEqual([INJECTED_CONSUMER, (expected.head - 2).toLocaleString("en"), "2"]);
    expect(cells[4]).toBe("nobody");
    expect(await page.evaluate("window.__injected")).toBeUndefined();
    await page.close();
  });

  it("draws the quality chart with one bar per tier, each with its count", async () => {
    const { page } = await visit("/", "overview");
    const bars = page.locator('#quality-chart svg g[aria-label="bar"] rect');
    expect(await bars.count()).toBe(expected.quality.length);
    expect(await bars.locator("title").allTextContents()).toEqual(
      expected.quality.map((q) => `${q.qualityTier}: ${q.count}`),
    );
    await page.close();
  });

  it("shows the featured images in the gallery, best first, with their files (or a placeholder when missing)", async () => {
    const { page } = await visit("/gallery?featured=true", "gallery-featured");
    const cards = page.locator("#gallery article");
    expect(await cards.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-filename")))).toEqual(
      expected.featured,
    );
    // Every thumbnail decoded (a string: the test's TypeScript has no DOM types).
    await page.waitForFunction(
      "[...document.querySelectorAll('#gallery img')].every((i) => i.complete && i.naturalWidth > 0)",
    );
    expect(await page.locator("#gallery img").count()).toBe(expected.featured.length - 1);
    const placeholder = page.locator(`article[data-filename="${INJECTED}"] .placeholder`);
    expect(await placeholder.textContent()).toBe(`no image file${INJECTED}`);
    await page.close();
  });

  it("pages through the timeline, newest first, each page continuing where the last ended", async () => {
    const { page } = await visit("/timeline", "timeline");
    const positions = () =>
      page.locator("#events tbody tr").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-position"))));
    const first = await positions();
    expect(first).toEqual(Array.from({ length: 50 }, (_, i) => expected.head - i));
    await Promise.all([page.waitForURL(/cursor=/), page.click("a[rel=next]")]);
    await page.waitForSelector("body[data-ready]");
    expect(await positions()).toEqual(Array.from({ length: 50 }, (_, i) => expected.head - 50 - i));
    await page.screenshot({ path: join(SCREENSHOTS, "timeline-page-2.png"), fullPage: true });
    await page.close();
  });

  it("shows one image's events on its stream page, in order", async () => {
    const { page } = await visit(`/stream?id=${encodeURIComponent(`image:${expected.image}`)}`, "stream-image");
    const events = await page
      .locator("#history li")
      .evaluateAll((items) => items.map((li) => [li.getAttribute("data-version"), li.getAttribute("data-type")]));
    expect(events).toEqual(expected.stream.map((e) => [String(e.streamVersion), e.type]));
    expect(events.map(([, type]) => type)).toEqual(["ImageGenerated", "ImageCurated"]);
    await page.close();
  });

  it("shows a prompt that holds a <script> as text, and runs nothing of it", async () => {
    for (const [path, name] of [
      ["/gallery?featured=true", "gallery-injected"],
      [`/stream?id=${encodeURIComponent(`image:${INJECTED}`)}`, "stream-injected"],
      ["/timeline", "timeline-injected"],
    ] as const) {
      const { page, errors } = await visit(path, name);
      expect(errors).toEqual([]);
      expect(await page.evaluate("window.__injected")).toBeUndefined();
      expect(await page.locator("main script, main img[src=x]").count()).toBe(0);
      expect(await page.locator("main").textContent()).toContain("<script>window.__injected = ");
      await page.close();
    }
    const { page } = await visit("/gallery?featured=true", "gallery-injected");
    const card = page.locator(`article[data-filename="${INJECTED}"]`);
    expect(await card.locator(".prompt").textContent()).toBe(INJECTED_PROMPT);
    expect(await card.locator(".tag").textContent()).toBe("<b>bold</b>");
    await page.close();
  });
});
