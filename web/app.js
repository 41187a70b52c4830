// The dashboard's one script: the navigation, the time-travel form, then the page its path names.
// Every page module exports render(main, page), which reads the API and draws into main.
import { getJson, withParams } from "./api.js";
import { append, el, field, num, replace } from "./dom.js";

const PAGES = {
  "/": { title: "Overview", module: "./pages/overview.js" },
  "/gallery": { title: "Gallery", module: "./pages/gallery.js" },
  "/training": { title: "Training", module: "./pages/training.js" },
  "/timeline": { title: "Timeline", module: "./pages/timeline.js" },
  "/stream": { title: "Stream", module: "./pages/stream.js", hidden: true },
  "/status": { title: "Health", module: "./pages/status.js" },
};

const params = new URLSearchParams(window.location.search);
/** The time-travel parameters of this page, carried over to every link. */
const asOf = {
  asOfPosition: params.get("asOfPosition") ?? undefined,
  asOfTime: params.get("asOfTime") ?? undefined,
};
const traveling = asOf.asOfPosition !== undefined || asOf.asOfTime !== undefined;

/** What a page module gets: the query, the as-of parameters, links that keep them, and the banner. */
const page = {
  params,
  asOf,
  /** A link to a dashboard path that keeps this page's time travel. */
  link: (path, query = {}) => withParams(path, { ...query, ...asOf }),
  /** Say on the banner which point of the log the page shows (from an API answer's `asOf`). */
  showAsOf(answer) {
    const banner = document.getElementById("banner");
    if (!answer) return;
    const asked = answer.requested.time ? `time ${answer.requested.time}` : `position ${answer.requested.position}`;
    const cost = answer.replayMs > 0 ? `, replayed in ${num(answer.replayMs)} ms` : "";
    replace(
      banner,
      `Time travel: as of ${asked}, the log up to position ${num(answer.position)} (${num(answer.events)} events${cost}). `,
      el("a", { href: window.location.pathname }, "Back to now"),
    );
    banner.hidden = false;
  },
};

const drawNavigation = (current) => {
  const nav = document.getElementById("nav");
  for (const [path, { title, hidden }] of Object.entries(PAGES))
    if (!hidden)
      nav.append(el("a", { href: page.link(path), "aria-current": path === current ? "page" : undefined }, title));
};

const drawTimeTravel = () => {
  const form = document.getElementById("as-of");
  const position = el("input", {
    name: "asOfPosition",
    type: "number",
    min: "0",
    step: "1",
    placeholder: "position",
    value: asOf.asOfPosition,
  });
  const at = el("input", { name: "asOfTime", type: "text", placeholder: "2026-01-08T12:00:00Z", value: asOf.asOfTime });
  append(form, [field("As of position", position), field("or time", at), el("button", { type: "submit" }, "Travel")]);
  if (traveling) form.append(el("a", { href: window.location.pathname }, "Now"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, value] of params)
      if (!["asOfPosition", "asOfTime", "cursor"].includes(key)) query.append(key, value);
    if (position.value !== "") query.set("asOfPosition", position.value);
    else if (at.value.trim() !== "") query.set("asOfTime", at.value.trim());
    window.location.search = query.toString();
  });
};

const main = document.getElementById("main");
const path = window.location.pathname in PAGES ? window.location.pathname : "/";
document.title = `${PAGES[path].title} · artist-store`;
drawNavigation(path);
drawTimeTravel();
getJson("/api/info")
  .then((info) => replace(document.getElementById("db-path"), `${info.path} · log head ${num(info.head)}`))
  .catch(() => {});
try {
  const module = await import(PAGES[path].module);
  replace(main);
  await module.render(main, page);
  document.body.dataset.ready = "true";
} catch (error) {
  replace(
    main,
    el("div", { class: "error", role: "alert" }, el("strong", {}, "Cannot show this page: "), error.message),
  );
  document.body.dataset.ready = "error";
} finally {
  main.removeAttribute("aria-busy");
}
