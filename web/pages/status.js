// Health: the log head, each projection's lag, consumer lag, the last backup and its age, integrity.
import { getJson } from "../api.js";
import { age, el, num, replace, table, time } from "../dom.js";

const integrityResult = (result) =>
  result.ok
    ? el(
        "p",
        { class: "ok", id: "integrity-result" },
        `${result.mode} check: ok (${time(result.checkedAt)}, ${num(result.ms)} ms)`,
      )
    : el(
        "div",
        { class: "error", id: "integrity-result" },
        el("p", {}, `${result.mode} check found ${result.problems.length} problem(s):`),
        el(
          "ul",
          {},
          result.problems.map((p) => el("li", {}, p)),
        ),
      );

/** Databases up to this size get a quick check when the page opens. */
const AUTO_CHECK_BYTES = 256 * 1024 * 1024;

export const render = async (main) => {
  const health = await getJson("/api/health");
  const integrity = el("div", { id: "integrity" }, el("p", { class: "muted" }, "Checking…"));
  const runCheck = async (mode) => {
    replace(integrity, el("p", { class: "muted" }, `Running the ${mode} check…`));
    replace(integrity, integrityResult(await getJson("/api/integrity", { mode })));
  };
  const last = health.backups.last;
  main.append(
    el("h1", {}, "Health"),
    el(
      "p",
      { class: health.ok ? "ok" : "error", id: "verdict" },
      health.ok
        ? `Healthy: every projection within ${num(health.maxLag)} events of the log, every consumer within ${num(health.maxConsumerLag)}.`
        : `Lagging: a projection is more than ${num(health.maxLag)} events behind the log, or a consumer more than ${num(health.maxConsumerLag)} (GET /health answers 503).`,
    ),
    el(
      "section",
      { class: "cards" },
      el("div", { class: "card total" }, el("div", { class: "value" }, num(health.head)), "log head"),
      el(
        "div",
        { class: "card total" },
        el("div", { class: "value" }, num(health.database.bytes / 1048576, 1)),
        "database MB",
      ),
      el(
        "div",
        { class: "card total" },
        el("div", { class: "value" }, num(health.database.walBytes / 1048576, 1)),
        "WAL MB",
      ),
    ),
    el(
      "section",
      { class: "panel" },
      el("h2", {}, "Projections"),
      table(
        [
          ["projection", (p) => p.projection],
          ["state", (p) => el("span", { class: `badge ${p.state}` }, p.state)],
          ["position", (p) => num(p.position)],
          ["lag", (p) => num(p.lag)],
        ],
        health.projections,
        { id: "projections" },
      ),
    ),
    el(
      "section",
      { class: "panel", id: "consumers" },
      el("h2", {}, "Consumers"),
      health.consumers.length === 0
        ? el("p", { class: "muted" }, "No named consumer follows this log.")
        : table(
            [
              ["consumer", (c) => c.name],
              ["position", (c) => num(c.position)],
              ["lag (events)", (c) => num(c.lag)],
              ["oldest unhandled", (c) => (c.lag === 0 ? "caught up" : `${age(Math.round(c.lagSeconds))} ago`)],
              [
                "held by",
                (c) => (c.lease === null ? "nobody" : `${c.lease.holder}${c.lease.live ? "" : " (expired)"}`),
              ],
              ["", (c) => (c.lag > health.maxConsumerLag ? "over --max-consumer-lag" : "")],
            ],
            health.consumers,
            { id: "consumer-lag" },
          ),
    ),
    el(
      "section",
      { class: "panel", id: "backups" },
      el("h2", {}, "Backups"),
      last
        ? el(
            "p",
            {},
            `Last backup ${last.name}, ${time(last.time)}, ${age(last.ageSeconds)} ago; ${health.backups.count} in ${health.backups.dir}.`,
          )
        : el("p", { class: "empty" }, `No backup in ${health.backups.dir}.`),
    ),
    el(
      "section",
      { class: "panel" },
      el("h2", {}, "Integrity"),
      el(
        "div",
        { class: "filters" },
        el("button", { type: "button", on: { click: () => runCheck("quick") } }, "Quick check"),
        el("button", { type: "button", on: { click: () => runCheck("full") } }, "Full check"),
      ),
      integrity,
    ),
  );
  // quick_check reads the whole file and holds up the server meanwhile: on its own only for a small database.
  if (health.database.bytes <= AUTO_CHECK_BYTES) await runCheck("quick");
  else
    replace(
      integrity,
      health.integrity
        ? integrityResult(health.integrity)
        : el(
            "p",
            { class: "muted" },
            `Not checked yet: a check reads all ${num(health.database.bytes / 1048576)} MB and holds up the dashboard meanwhile.`,
          ),
    );
};
