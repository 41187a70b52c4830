// Overview: totals, the quality distribution, and the daily trend over a chosen range.
import { getJson } from "../api.js";
import { el, field, num, percent, table } from "../dom.js";

const TIERS = ["Excellent", "Good", "Fair", "Poor"];
const TIER_COLORS = ["#2f9e44", "#74b816", "#f59f00", "#e03131"];

const totalCard = (label, value, href) =>
  el(
    "div",
    { class: "card total" },
    el("div", { class: "value" }, num(value)),
    href ? el("a", { href }, label) : label,
  );

/** The quality chart: one bar per tier present, its count written above it and in its title. */
const qualityChart = (quality) => {
  const Plot = window.Plot;
  return Plot.plot({
    height: 260,
    marginLeft: 50,
    x: { domain: TIERS.filter((t) => quality.some((q) => q.qualityTier === t)), label: null },
    y: { label: "curated images", grid: true },
    color: { domain: TIERS, range: TIER_COLORS },
    marks: [
      Plot.barY(quality, {
        x: "qualityTier",
        y: "count",
        fill: "qualityTier",
        title: (d) => `${d.qualityTier}: ${d.count}`,
      }),
      Plot.text(quality, { x: "qualityTier", y: "count", text: (d) => num(d.count), dy: -8 }),
      Plot.ruleY([0]),
    ],
  });
};

const utcDay = (date) => new Date(`${date}T00:00:00Z`);

/** A small line chart of one figure per day, with a dot on each day (a range of one day is a dot). */
const dailyChart = (range, days, y, label, scale, color) => {
  const Plot = window.Plot;
  const data = days.filter((d) => d[y] !== null).map((d) => ({ ...d, day: utcDay(d.date) }));
  return Plot.plot({
    width: 420,
    height: 200,
    marginLeft: 50,
    x: { type: "utc", label: null, domain: [utcDay(range.from), utcDay(range.to)], inset: 12 },
    y: { label, grid: true, zero: true, ...scale },
    marks: [
      Plot.lineY(data, { x: "day", y, stroke: color, z: null }),
      Plot.dot(data, { x: "day", y, fill: color, title: (d) => `${d.date}: ${d[y]}` }),
    ],
  });
};

/** Created and kept per day, as two series of one chart. */
const countsChart = (range, days) => {
  const Plot = window.Plot;
  const data = days.flatMap((d) => {
    const day = utcDay(d.date);
    return [
      { day, series: "created", value: d.created, date: d.date },
      { day, series: "kept", value: d.kept, date: d.date },
    ];
  });
  return Plot.plot({
    width: 420,
    height: 200,
    marginLeft: 50,
    x: { type: "utc", label: null, domain: [utcDay(range.from), utcDay(range.to)], inset: 12 },
    y: { label: "images", grid: true, zero: true },
    color: { legend: true, domain: ["created", "kept"], range: ["#868e96", "#2f9e44"] },
    marks: [
      Plot.lineY(data, { x: "day", y: "value", stroke: "series", z: "series" }),
      Plot.dot(data, { x: "day", y: "value", fill: "series", title: (d) => `${d.date} ${d.series}: ${d.value}` }),
    ],
  });
};

export const render = async (main, page) => {
  const overview = await getJson("/api/overview", {
    from: page.params.get("from"),
    to: page.params.get("to"),
    ...page.asOf,
  });
  page.showAsOf(overview.asOf);
  const t = overview.totals;
  main.append(
    el("h1", {}, "Overview"),
    el(
      "section",
      { class: "cards", "aria-label": "totals" },
      totalCard("events", t.events, page.link("/timeline")),
      totalCard("images", t.images, page.link("/gallery")),
      totalCard("curated", t.curated, page.link("/gallery", { status: "curated" })),
      totalCard("rejected", t.rejected, page.link("/gallery", { status: "rejected" })),
      totalCard("pending", t.pending, page.link("/gallery", { status: "pending" })),
      totalCard("featured", t.featured, page.link("/gallery", { featured: "true" })),
      totalCard("training runs", t.trainingRuns, page.link("/training")),
      totalCard("batches", t.batches),
    ),
    el(
      "section",
      { class: "panel" },
      el("h2", {}, "Quality distribution"),
      el("p", { class: "muted" }, "Curated images per tier: Excellent ≥ 8, Good ≥ 6, Fair ≥ 4, else Poor."),
      overview.quality.length === 0
        ? el("p", { class: "empty" }, "No curated images yet.")
        : el("figure", { id: "quality-chart" }, qualityChart(overview.quality)),
      table(
        [
          ["tier", (q) => q.qualityTier],
          ["images", (q) => num(q.count)],
          ["average score", (q) => num(q.avgScore, 2)],
        ],
        overview.quality,
        { id: "quality-table" },
      ),
    ),
    dailySection(overview.daily, page),
  );
};

const dailySection = (daily, page) => {
  const from = el("input", { type: "date", name: "from", value: daily.from, required: true });
  const to = el("input", { type: "date", name: "to", value: daily.to, required: true });
  const form = el(
    "form",
    { class: "filters", method: "get", action: "/" },
    field("from", from),
    field("to", to),
    Object.entries(page.asOf)
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => el("input", { type: "hidden", name, value })),
    el("button", { type: "submit" }, "Show"),
  );
  const days = daily.days;
  return el(
    "section",
    { class: "panel" },
    el("h2", {}, "Daily trend"),
    el("p", { class: "muted" }, `Creation batches by the UTC day they started, ${daily.from} to ${daily.to}.`),
    form,
    days.length === 0
      ? el("p", { class: "empty" }, "No creation batches in this range.")
      : el(
          "div",
          { class: "charts" },
          el("figure", { id: "daily-counts" }, el("figcaption", {}, "Created and kept"), countsChart(daily, days)),
          el(
            "figure",
            { id: "daily-keep-rate" },
            el("figcaption", {}, "Keep rate"),
            dailyChart(daily, days, "keepRate", "kept (%)", { percent: true, domain: [0, 100] }, "#2f9e44"),
          ),
          el(
            "figure",
            { id: "daily-score" },
            el("figcaption", {}, "Average score"),
            dailyChart(daily, days, "avgScore", "score", { domain: [0, 10] }, "#f59f00"),
          ),
        ),
    table(
      [
        ["day", (d) => d.date],
        ["batches", (d) => num(d.sessions)],
        ["created", (d) => num(d.created)],
        ["kept", (d) => num(d.kept)],
        ["keep rate", (d) => percent(d.keepRate)],
        ["average score", (d) => num(d.avgScore, 2)],
      ],
      [...days].reverse(),
      { id: "daily-table" },
    ),
  );
};
