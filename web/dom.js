// The one way the dashboard puts data on a page: elements built with the DOM API, every value
// from the log added as a text node or an attribute value. Nothing here (or anywhere in web/)
// parses a string as HTML, so a prompt such as "<script>…" shows as the text it is.

/**
 * An element with attributes and children. Strings and numbers become text nodes; null and
 * undefined children are skipped; `on` maps event names to listeners.
 * @example el("a", { href: "/gallery", class: "nav" }, "Gallery")
 */
export const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") for (const [event, listener] of Object.entries(value)) node.addEventListener(event, listener);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
};

/** Append children (nested lists flattened) to a node as elements or text nodes. */
export const append = (node, children) => {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

/** Replace every child of a node. */
export const replace = (node, ...children) => {
  node.replaceChildren();
  return append(node, children);
};

/** A number for people: thousands separated, at most `digits` decimals; "–" for none. */
export const num = (value, digits = 0) =>
  value === null || value === undefined
    ? "–"
    : Number(value).toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A share as a percentage. */
export const percent = (value) => (value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)} %`);

/** Seconds as hours and minutes. */
export const duration = (seconds) => {
  if (seconds === null || seconds === undefined) return "–";
  const minutes = Math.round(seconds / 60);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
};

/** An ISO time, shortened to what a person reads (UTC). */
export const time = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : "–");

/** An age in seconds, in the largest unit that fits. */
export const age = (seconds) => {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
};

/**
 * A table from rows: `columns` are [heading, cell(row)] pairs (a cell returns text or an element),
 * `rowAttrs(row)` the attributes of each row.
 */
export const table = (columns, rows, attrs = {}, rowAttrs = () => ({})) =>
  el(
    "table",
    attrs,
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        columns.map(([heading]) => el("th", { scope: "col" }, heading)),
      ),
    ),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el(
          "tr",
          rowAttrs(row),
          columns.map(([, cell]) => el("td", {}, cell(row))),
        ),
      ),
    ),
  );

/** A labelled form field. */
export const field = (label, input) => el("label", { class: "field" }, el("span", {}, label), input);
