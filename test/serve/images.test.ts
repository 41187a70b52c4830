import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipelineDay } from "../../src/demo/pipelineDay.js";
import { placeholderPng, writePlaceholderImages } from "../../src/demo/placeholderImages.js";
import { tempDir } from "../support.js";
import { dashboardOf, getJson, storeWith } from "./support.js";

/** A folder of images with a.png (and sub/d.png) in it, and a secret file beside the folder. */
const imagesFolder = () => {
  const root = tempDir();
  const dir = join(root, "images");
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "a.png"), placeholderPng("a.png"));
  writeFileSync(join(dir, "sub", "d.png"), placeholderPng("d.png"));
  writeFileSync(join(root, "secret.txt"), "not for the web");
  symlinkSync(join(root, "secret.txt"), join(dir, "escape.png"));
  symlinkSync(root, join(dir, "parent"));
  return dir;
};

describe("images from --images-dir", () => {
  it("serves a file inside the folder, and the gallery links only the images whose file is there", async () => {
    const dir = imagesFolder();
    const { app } = dashboardOf(storeWith(), { imagesDir: dir });
    const response = await app.request("/images/a.png");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await response.arrayBuffer())).toEqual(readFileSync(join(dir, "a.png")));
    expect((await app.request("/images/sub/d.png")).status).toBe(200);
    const page = (await getJson(app, "/api/images")).body as {
      images: { filename: string; imageUrl: string | null }[];
    };
    expect(page.images.map((i) => [i.filename, i.imageUrl])).toEqual([
      ["a.png", "/images/a.png"],
      ["b.png", null],
      ["c.png", null],
    ]);
  });

  it.each([
    ["/images/..%2Fsecret.txt", 403],
    ["/images/%2e%2e%2fsecret.txt", 403],
    ["/images/sub%2F..%2F..%2Fsecret.txt", 403],
    ["/images/%2Fetc%2Fpasswd", 403],
    ["/images/escape.png", 403],
    ["/images/parent/secret.txt", 403],
    ["/images/missing.png", 404],
    ["/images/sub", 404],
    ["/images/a.png%00.txt", 404],
    ["/images/%E0%A4%A", 400],
  ])(
    "refuses %s with %i: nothing outside the folder is served, not even through a symbolic link",
    async (path, status) => {
      const { app } = dashboardOf(storeWith(), { imagesDir: imagesFolder() });
      const response = await app.request(path);
      expect(response.status).toBe(status);
      expect(await response.text()).not.toContain("not for the web");
    },
  );

  it("serves no image at all without an images folder", async () => {
    const { app } = dashboardOf(storeWith(), { imagesDir: join(tempDir(), "none") });
    expect(await getJson(app, "/images/a.png")).toEqual({
      status: 404,
      body: { error: "NO_IMAGES_DIR", message: "no --images-dir: images are not served" },
    });
  });
});

describe("the demo's placeholder images", () => {
  it("are PNG files drawn from the name alone: the same bytes on every run", () => {
    const png = placeholderPng("20260108_120000_sunset_42.png");
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(96);
    expect(placeholderPng("20260108_120000_sunset_42.png")).toEqual(png);
    expect(placeholderPng("another.png")).not.toEqual(png);
  });

  it("are written once per generated image of the demo day, and files already there are kept", () => {
    const dir = join(tempDir(), "images");
    const day = pipelineDay({ seed: 42 });
    const generated = day.filter((e) => e.type === "ImageGenerated");
    expect(writePlaceholderImages(dir, day)).toBe(generated.length);
    const first = generated[0];
    if (first?.type !== "ImageGenerated") throw new Error("the demo day generates images");
    writeFileSync(join(dir, first.data.filename), "mine");
    expect(writePlaceholderImages(dir, day)).toBe(0);
    expect(readFileSync(join(dir, first.data.filename), "utf8")).toBe("mine");
  });
});
