// Stream: one image's (run's, batch's) whole history, in order.
import { getJson } from "../api.js";
import { el, time } from "../dom.js";

export const render = async (main, page) => {
  const id = page.params.get("id");
  if (!id) {
    main.append(el("h1", {}, "Stream"), el("p", { class: "empty" }, "Open a stream from the timeline or the gallery."));
    return;
  }
  const events = [];
  let next;
  // A stream is short (an image has two or three events); read it whole, a page at a time.
  do {
    const answer = await getJson("/api/stream", { id, cursor: next, ...page.asOf });
    events.push(...answer.events);
    next = answer.next ?? undefined;
  } while (next !== undefined && events.length < 5000);
  main.append(
    el("h1", {}, "Stream ", el("code", { id: "stream-id" }, id)),
    el("p", { class: "muted" }, `${events.length} events, in stream order.`),
    events.length === 0
      ? el("p", { class: "empty" }, "No events in this stream.")
      : el(
          "ol",
          { class: "history", id: "history" },
          events.map((e) =>
            el(
              "li",
              { class: "event", dataset: { version: e.streamVersion, position: e.position, type: e.type } },
              el(
                "div",
                { class: "event-head" },
                el("strong", {}, `v${e.streamVersion} `, el("span", { class: "type" }, e.type)),
                el(
                  "span",
                  { class: "muted" },
                  ` at position ${e.position}, occurred ${time(e.occurredAt)}, recorded ${time(e.recordedAt)}`,
                ),
              ),
              el("pre", { class: "data" }, JSON.stringify(e.data, null, 2)),
              Object.keys(e.metadata).length > 0 ? el("pre", { class: "metadata" }, JSON.stringify(e.metadata)) : null,
            ),
          ),
        ),
  );
};
