// Training: each LoRA run with its status, loss, duration and dataset size; failures with their reason.
import { getJson } from "../api.js";
import { duration, el, field, num, table, time } from "../dom.js";

/** Final loss of each completed run against its start: how the runs went. */
const lossChart = (runs) => {
  const Plot = window.Plot;
  const data = runs.filter((r) => r.finalLoss !== null).map((r) => ({ ...r, started: new Date(r.startedAt) }));
  if (data.length === 0) return null;
  return el(
    "figure",
    { id: "loss-chart" },
    el("figcaption", {}, "Final loss of the runs on this page"),
    Plot.plot({
      height: 200,
      marginLeft: 60,
      x: { type: "utc", label: null },
      y: { label: "final loss", grid: true, zero: true },
      marks: [
        Plot.dot(data, {
          x: "started",
          y: "finalLoss",
          fill: "#2f9e44",
          r: 5,
          title: (d) => `${d.name}: ${d.finalLoss}`,
        }),
      ],
    }),
  );
};

export const render = async (main, page) => {
  const status = page.params.get("status");
  const answer = await getJson("/api/training", { status, cursor: page.params.get("cursor"), ...page.asOf });
  page.showAsOf(answer.asOf);
  const statusSelect = el(
    "select",
    { name: "status" },
    ["", "running", "completed", "failed"].map((s) =>
      el("option", { value: s, selected: s === (status ?? "") }, s || "any"),
    ),
  );
  main.append(
    el("h1", {}, "Training"),
    el(
      "form",
      { class: "filters", method: "get", action: "/training" },
      field("status", statusSelect),
      Object.entries(page.asOf)
        .filter(([, v]) => v !== undefined)
        .map(([name, value]) => el("input", { type: "hidden", name, value })),
      el("button", { type: "submit" }, "Filter"),
    ),
    lossChart(answer.runs),
    answer.runs.length === 0
      ? el("p", { class: "empty" }, "No training runs.")
      : table(
          [
            ["run", (r) => el("a", { href: page.link("/stream", { id: `training:${r.runId}` }) }, r.name)],
            ["status", (r) => el("span", { class: `badge ${r.status}` }, r.status)],
            ["dataset", (r) => num(r.datasetSize)],
            ["final loss", (r) => num(r.finalLoss, 4)],
            ["duration", (r) => duration(r.trainingSeconds)],
            ["started", (r) => time(r.startedAt)],
            ["ended", (r) => time(r.completedAt)],
            ["failure", (r) => r.failureReason ?? ""],
          ],
          answer.runs,
          { id: "training-runs" },
          (r) => ({ dataset: { status: r.status } }),
        ),
    el(
      "nav",
      { class: "pager", "aria-label": "pages" },
      page.params.get("cursor") ? el("a", { href: page.link("/training", { status }) }, "« newest") : null,
      answer.next
        ? el("a", { rel: "next", href: page.link("/training", { status, cursor: answer.next }) }, "older »")
        : null,
    ),
  );
};
