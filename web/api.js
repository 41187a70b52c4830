// Reading the JSON API: one function, and the error it throws with the server's message.

/** A refusal or failure of the API, with the server's one-line message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** A URL path with query parameters; undefined, null and "" are left out, a list repeats its key. */
export const withParams = (path, params = {}) => {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
  return `${url.pathname}${url.search}`;
};

/**
 * GET a JSON document of the API. `accept` lists statuses besides 2xx that carry a normal answer
 * (the health report is a 503 when a projection lags); any other status throws an ApiError.
 * @example const overview = await getJson("/api/overview", { from: "2026-01-01" });
 */
export const getJson = async (path, params = {}, { accept = [] } = {}) => {
  const response = await fetch(withParams(path, params), { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok && !accept.includes(response.status))
    throw new ApiError(response.status, body.error ?? "HTTP", body.message ?? response.statusText);
  return body;
};
