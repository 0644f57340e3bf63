// The bearer token of state-changing requests (POST, PUT) when the state service is reachable
// from other hosts (docs/api.md, "Access"). A browser on the service's own machine gets it from
// GET /api/session; a browser elsewhere from the dashboard address `snet up` prints
// (http://host:port/#token=...): a fragment never reaches a server or its logs. The token is
// kept for this tab only and removed from the address bar.

const STORAGE_KEY = "snet-token";
let token = "";

function fromFragment() {
  if (typeof location === "undefined") return "";
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const given = params.get("token") ?? "";
  if (given) {
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  }
  return given;
}

/** Learns the token (if one is needed); resolves once known. Never rejects. */
export async function loadSession() {
  try {
    token = fromFragment() || (globalThis.sessionStorage?.getItem(STORAGE_KEY) ?? "");
    if (!token) {
      const res = await fetch("/api/session", { cache: "no-store" });
      const body = await res.json().catch(() => ({}));
      token = typeof body.token === "string" ? body.token : "";
    }
    if (token) globalThis.sessionStorage?.setItem(STORAGE_KEY, token);
  } catch {
    token = "";  // an answer 401 names what is missing when it matters
  }
}

/** `headers` plus Authorization when a token is known. */
export function withToken(headers = {}) {
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}
