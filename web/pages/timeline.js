// Timeline: the event log, newest first, filtered by type, stream and time, a page at a time.
import { getJson } from "../api.js";
import { el, field, table, time } from "../dom.js";

/** A payload in one line, cut to a length a table cell holds. */
const summary = (data) => {
  const text = JSON.stringify(data);
  return text.length > 110 ? `${text.slice(0, 109)}…` : text;
};

/** Requests one page may make: a filter on type or time reads a window of the log per request. */
const MAX_REQUESTS = 10;

/** A page of events: windows of a filtered log read one after another until the page is full. */
const readPage = async (query, limit) => {
  const events = [];
  let next = query.cursor;
  for (let i = 0; i < MAX_REQUESTS && events.length < limit; i++) {
    const answer = await getJson("/api/events", { ...query, cursor: next, limit: limit - events.length });
    events.push(...answer.events);
    next = answer.next ?? undefined;
    if (next === undefined) break;
  }
  return { events, next };
};

export const render = async (main, page) => {
  const [info, answer] = await Promise.all([
    getJson("/api/info"),
    readPage(
      {
        type: page.params.getAll("type"),
        stream: page.params.get("stream"),
        since: page.params.get("since"),
        until: page.params.get("until"),
        cursor: page.params.get("cursor"),
        ...page.asOf,
      },
      50,
    ),
  ]);
  const chosen = new Set(page.params.getAll("type"));
  const filters = {
    type: [...chosen],
    stream: page.params.get("stream"),
    since: page.params.get("since"),
    until: page.params.get("until"),
  };
  main.append(
    el("h1", {}, "Timeline"),
    el(
      "form",
      { class: "filters", method: "get", action: "/timeline" },
      el(
        "fieldset",
        { class: "types" },
        el("legend", {}, "types"),
        info.eventTypes.map((t) =>
          el("label", {}, el("input", { type: "checkbox", name: "type", value: t, checked: chosen.has(t) }), t),
        ),
      ),
      field("stream", el("input", { name: "stream", value: filters.stream, placeholder: "image:a.png" })),
      field("since", el("input", { name: "since", value: filters.since, placeholder: "2026-01-08" })),
      field("until", el("input", { name: "until", value: filters.until, placeholder: "2026-01-09T00:00:00Z" })),
      Object.entries(page.asOf)
        .filter(([, v]) => v !== undefined)
        .map(([name, value]) => el("input", { type: "hidden", name, value })),
      el("button", { type: "submit" }, "Filter"),
    ),
    answer.events.length === 0
      ? el(
          "p",
          { class: "empty" },
          answer.next
            ? "No match in the newest part of the log searched: “older” searches further back."
            : "No events match.",
        )
      : table(
          [
            ["position", (e) => e.position],
            ["occurred", (e) => time(e.occurredAt)],
            ["type", (e) => el("span", { class: "type" }, e.type)],
            ["stream", (e) => el("a", { href: page.link("/stream", { id: e.streamId }) }, e.streamId)],
            ["version", (e) => e.streamVersion],
            ["data", (e) => el("code", { class: "summary" }, summary(e.data))],
          ],
          answer.events,
          { id: "events" },
          (e) => ({ dataset: { position: e.position } }),
        ),
    el(
      "nav",
      { class: "pager", "aria-label": "pages" },
      page.params.get("cursor") ? el("a", { href: page.link("/timeline", filters) }, "« newest") : null,
      answer.next
        ? el("a", { rel: "next", href: page.link("/timeline", { ...filters, cursor: answer.next }) }, "older »")
        : null,
    ),
  );
};
