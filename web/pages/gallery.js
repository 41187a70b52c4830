// Gallery: images as thumbnails with their prompt, model, seed, scores and tags; filters; paged.
import { getJson } from "../api.js";
import { el, field, num } from "../dom.js";

const FILTERS = ["status", "model", "tag", "featured", "minScore", "maxScore", "sort"];

const select = (name, value, options) =>
  el(
    "select",
    { name },
    options.map(([v, label]) => el("option", { value: v, selected: v === (value ?? "") }, label)),
  );

const filterForm = (params, models, asOf) => {
  const modelList = el(
    "datalist",
    { id: "models" },
    models.map((m) => el("option", { value: m })),
  );
  return el(
    "form",
    { class: "filters", method: "get", action: "/gallery" },
    field(
      "status",
      select("status", params.get("status"), [
        ["", "any"],
        ["curated", "curated"],
        ["rejected", "rejected"],
        ["pending", "pending"],
      ]),
    ),
    field("model", el("input", { name: "model", list: "models", value: params.get("model") })),
    modelList,
    field("tag", el("input", { name: "tag", value: params.get("tag") })),
    field(
      "score from",
      el("input", { name: "minScore", type: "number", min: 0, max: 10, step: 0.1, value: params.get("minScore") }),
    ),
    field(
      "to",
      el("input", { name: "maxScore", type: "number", min: 0, max: 10, step: 0.1, value: params.get("maxScore") }),
    ),
    field(
      "featured only",
      el("input", { name: "featured", type: "checkbox", value: "true", checked: params.get("featured") === "true" }),
    ),
    field(
      "order",
      select("sort", params.get("sort"), [
        ["", "best score first"],
        ["recent", "newest first"],
      ]),
    ),
    Object.entries(asOf)
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => el("input", { type: "hidden", name, value })),
    el("button", { type: "submit" }, "Filter"),
  );
};

const score = (label, value, digits) =>
  el("div", { class: "score" }, el("span", { class: "muted" }, label), " ", num(value, digits));

const card = (image, page) =>
  el(
    "article",
    { class: `card image ${image.isFeatured ? "featured" : ""}`, dataset: { filename: image.filename } },
    image.imageUrl
      ? el("img", { class: "thumb", src: image.imageUrl, alt: image.prompt, loading: "lazy", width: 256, height: 256 })
      : el(
          "div",
          { class: "thumb placeholder", role: "img", "aria-label": `no file for ${image.filename}` },
          "no image file",
          el("small", {}, image.filename),
        ),
    el(
      "div",
      { class: "meta" },
      el(
        "div",
        { class: "badges" },
        el("span", { class: `badge ${image.status}` }, image.status),
        image.isFeatured ? el("span", { class: "badge featured" }, "★ featured") : null,
      ),
      el("p", { class: "prompt" }, image.prompt),
      el(
        "div",
        { class: "scores" },
        score("final", image.finalScore, 2),
        score("aesthetic", image.aestheticScore, 2),
        score("clip", image.clipScore, 3),
        score("technical", image.technicalScore, 3),
      ),
      el("div", { class: "muted" }, image.modelId, " · seed ", image.seed ?? "–"),
      el(
        "div",
        { class: "tags" },
        (image.tags ?? []).map((t) => el("a", { class: "tag", href: page.link("/gallery", { tag: t }) }, t)),
      ),
      el("a", { class: "history", href: page.link("/stream", { id: `image:${image.filename}` }) }, image.filename),
    ),
  );

export const render = async (main, page) => {
  const query = Object.fromEntries(FILTERS.map((f) => [f, page.params.get(f)]));
  const [answer, models] = await Promise.all([
    getJson("/api/images", { ...query, cursor: page.params.get("cursor"), ...page.asOf }),
    getJson("/api/models", { limit: 100, ...page.asOf }),
  ]);
  page.showAsOf(answer.asOf);
  const paged = page.params.get("cursor") !== null;
  main.append(
    el("h1", {}, "Gallery"),
    filterForm(page.params, models.models, page.asOf),
    answer.images.length === 0
      ? el("p", { class: "empty" }, "No images match these filters.")
      : el(
          "section",
          { class: "grid", id: "gallery" },
          answer.images.map((image) => card(image, page)),
        ),
    el(
      "nav",
      { class: "pager", "aria-label": "pages" },
      paged ? el("a", { href: page.link("/gallery", query) }, "« first page") : null,
      answer.next
        ? el("a", { rel: "next", href: page.link("/gallery", { ...query, cursor: answer.next }) }, "next page »")
        : null,
    ),
  );
};
