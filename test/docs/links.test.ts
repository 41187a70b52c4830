import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** README.md and every docs/*.md, as absolute paths. */
const documents = (): string[] => [
  join(ROOT, "README.md"),
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(ROOT, "docs", name)),
];

/** The text outside fenced code blocks, line by line (fenced lines become empty, so line numbers stay). */
const proseLines = (markdown: string): string[] => {
  let fence: string | undefined;
  return markdown.split("\n").map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return "";
    }
    if (fence !== undefined) {
      if (marker?.startsWith(fence)) fence = undefined;
      return "";
    }
    return line;
  });
};

/** Inline code spans removed: a `[x](y)` shown as code is not a link. */
const withoutCodeSpans = (line: string): string => line.replace(/(`+)[^`]*?\1/g, "");

/** A heading's anchor as GitHub makes it: the text as rendered, lower-cased, punctuation dropped, spaces to hyphens. */
const githubSlug = (heading: string): string =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");

/** Every anchor a markdown file offers: its headings' slugs (repeats numbered as GitHub does) and HTML ids. */
const anchorsOf = (markdown: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(heading);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) if (m[1]) anchors.add(m[1]);
  }
  return anchors;
};

interface Link {
  line: number;
  target: string;
}

/** Relative link targets: inline links and images `[text](target "title")`, and reference definitions `[ref]: target`. */
const relativeLinks = (markdown: string): Link[] => {
  const links: Link[] = [];
  for (const [i, raw] of proseLines(markdown).entries()) {
    const line = withoutCodeSpans(raw);
    const targets = [
      ...[...line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
      /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line)?.[1],
    ];
    for (const target of targets)
      if (target !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("//"))
        links.push({ line: i + 1, target });
  }
  return links;
};

/** The broken links of one markdown file: a target file that does not exist, or an anchor its .md file lacks. */
const brokenLinks = (file: string): string[] => {
  const markdown = readFileSync(file, "utf8");
  const broken: string[] = [];
  for (const { line, target } of relativeLinks(markdown)) {
    const hash = target.indexOf("#");
    const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === "" ? file : resolve(dirname(file), pathPart);
    const where = `${relative(ROOT, file)}:${line}: ${target}`;
    if (!existsSync(resolved)) broken.push(`${where} (no such file)`);
    else if (anchor !== undefined && resolved.endsWith(".md") && statSync(resolved).isFile()) {
      if (!anchorsOf(readFileSync(resolved, "utf8")).has(anchor))
        broken.push(`${where} (no heading #${anchor} in ${relative(ROOT, resolved)})`);
    }
  }
  return broken;
};

describe("links in README.md and docs/", () => {
  it.each(documents().map((file) => [relative(ROOT, file), file]))("%s has no broken relative link", (_, file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it("README links to every page in docs/", () => {
    const linked = new Set(relativeLinks(readFileSync(join(ROOT, "README.md"), "utf8")).map((l) => l.target));
    const pages = documents()
      .slice(1)
      .map((file) => `docs/${relative(join(ROOT, "docs"), file)}`);
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it("every json code block is a JSON document or JSON lines", () => {
    const invalid: string[] = [];
    for (const file of documents()) {
      const blocks = readFileSync(file, "utf8").matchAll(/^```json\n([\s\S]*?)^```/gm);
      for (const [, body = ""] of blocks) {
        try {
          JSON.parse(body);
        } catch {
          for (const line of body.split("\n").filter((l) => l.trim() !== ""))
            try {
              JSON.parse(line);
            } catch (e) {
              invalid.push(`${relative(ROOT, file)}: ${line.slice(0, 60)}… ${String(e)}`);
            }
        }
      }
    }
    expect(invalid).toEqual([]);
  });
});

describe("the link checker", () => {
  it("slugs headings as GitHub does", () => {
    expect(githubSlug("Backup, retention and restore")).toBe("backup-retention-and-restore");
    expect(githubSlug("`emit --follow`: pipelines in other languages")).toBe(
      "emit---follow-pipelines-in-other-languages",
    );
    expect(githubSlug("Rebuild, audit and time travel")).toBe("rebuild-audit-and-time-travel");
    expect(githubSlug("The `generated_images` table")).toBe("the-generated_images-table");
    expect([...anchorsOf("# A\n## Notes\n```\n# not a heading\n```\n### Notes\n")]).toEqual(["a", "notes", "notes-1"]);
  });

  it("finds links and images outside code, with or without an anchor, and skips URLs", () => {
    const markdown = [
      "See [events](docs/events.md#errors), ![chart](img/chart.png) and [top](#intro).",
      "Not these: [site](https://example.com), [mail](mailto:a@b.c), `[code](x.md)`.",
      "```md",
      "[fenced](y.md)",
      "```",
      "[ref]: docs/cli.md",
    ].join("\n");
    expect(relativeLinks(markdown)).toEqual([
      { line: 1, target: "docs/events.md#errors" },
      { line: 1, target: "img/chart.png" },
      { line: 1, target: "#intro" },
      { line: 6, target: "docs/cli.md" },
    ]);
  });

  it("reports a missing file and a missing heading, and accepts good links", () => {
    const dir = mkdtempSync(join(tmpdir(), "ai-artist-store-links-"));
    try {
      writeFileSync(join(dir, "other.md"), "# Other\n## Some section\n");
      const page = join(dir, "page.md");
      writeFileSync(
        page,
        [
          "# Page",
          "[ok](other.md#some-section) [ok too](#page) [dir](.)",
          "[gone](missing.md) [bad anchor](other.md#no-such-section) [bad local](#nowhere)",
        ].join("\n"),
      );
      expect(brokenLinks(page).map((b) => b.replace(/^.*?:(\d+): /, "$1: "))).toEqual([
        "3: missing.md (no such file)",
        `3: other.md#no-such-section (no heading #no-such-section in ${relative(ROOT, join(dir, "other.md"))})`,
        `3: #nowhere (no heading #nowhere in ${relative(ROOT, page)})`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
