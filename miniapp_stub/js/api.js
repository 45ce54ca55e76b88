// The gridhub API from a page: one signed-in session per role page, tokens refreshed when
// they expire, errors turned into ApiError carrying the envelope's Chinese message and reason.

const API = "/api/v1";
const TICKET_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || (status ? `请求失败（${status}）` : "网络不可用，请稍后重试"));
    this.status = status;
    this.reason = body && body.errors ? body.errors.reason : undefined;
    this.body = body;
  }
}

let configPromise = null;

/** The page settings from the server: hall region, demo flags. */
export function config() {
  if (!configPromise) {
    configPromise = fetch("config.json", { cache: "no-store" }).then((r) => {
      if (!r.ok) throw new ApiError(r.status, null);
      return r.json();
    });
  }
  return configPromise;
}

function store() {
  try { return window.localStorage; } catch { return null; }  // private mode: session in memory
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) return response.json();
  return null;
}

export class Session {
  constructor(role) {
    this.key = `gridhub.${role}.session`;
    const saved = store() && store().getItem(this.key);
    try { this.tokens = saved ? JSON.parse(saved) : null; } catch { this.tokens = null; }
    this.refreshing = null;
  }

  get signedIn() { return Boolean(this.tokens && this.tokens.access); }

  save(answer) {
    this.tokens = { access: answer.access_token, refresh: answer.refresh_token || null };
    if (store()) store().setItem(this.key, JSON.stringify(this.tokens));
  }

  clear() {
    this.tokens = null;
    if (store()) store().removeItem(this.key);
  }

  async grant(fields) {
    let response;
    try {
      response = await fetch(`${API}/auth/token`, {
        method: "POST", body: new URLSearchParams(fields),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
    } catch {
      throw new ApiError(0, null);
    }
    const body = await parse(response);
    if (!response.ok) throw new ApiError(response.status, body);
    this.save(body);
    return body;
  }

  /** Staff: username and password. */
  signIn(username, password) {
    return this.grant({ grant_type: "password", username, password });
  }

  /** Residents: the hub container's SSO ticket, exchanged for our tokens (RFC 8693). */
  exchange(ticket) {
    return this.grant({ grant_type: TICKET_GRANT, subject_token: ticket.ticket,
                        subject_token_type: ticket.subject_token_type });
  }

  async signOut() {
    if (!this.signedIn) return;
    // The server revokes this token and its refresh family.
    try { await this.request("POST", "/auth/logout"); } catch { /* signed out here anyway */ }
    this.clear();
  }

  refresh() {
    if (!this.tokens || !this.tokens.refresh) return Promise.resolve(false);
    if (!this.refreshing) {
      // Refused (the refresh token expired or was revoked): signed out. No signal: kept, for
      // the next try — a phone offline for an hour is not signed out by it.
      this.refreshing = this.grant({ grant_type: "refresh_token", refresh_token: this.tokens.refresh })
        .then(() => true, (error) => { if (error.status) this.clear(); return false; })
        .finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  /** One API call: {json | form} body, {query} parameters, extra {headers}; returns
   *  {data, headers, status}. A 401 with a refresh token refreshes once and retries. */
  async request(method, path, options = {}, retried = false) {
    const headers = { ...(options.headers || {}) };
    const had = this.signedIn || retried;
    if (this.signedIn) headers.Authorization = `Bearer ${this.tokens.access}`;
    let body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;  // FormData: the browser sets the multipart boundary
    }
    let url = API + path;
    if (options.query) {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(options.query)) {
        if (v !== undefined && v !== null && v !== "") query.set(k, v);
      }
      if ([...query].length) url += `?${query}`;
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body });
    } catch {
      throw new ApiError(0, null);
    }
    if (response.status === 401 && !retried && this.signedIn && await this.refresh()) {
      return this.request(method, path, options, true);
    }
    if (options.blob && response.ok) return { data: await response.blob(), headers: response.headers };
    const data = await parse(response);
    if (!response.ok) {
      if (response.status === 401 && had && !["/me", "/auth/logout"].includes(path)) {
        this.clear();  // lapsed and not refreshable: the page signs in again
        window.dispatchEvent(new CustomEvent("gridhub:expired"));
      } else if (response.status === 401) {
        this.clear();
      }
      throw new ApiError(response.status, data);
    }
    return { data, headers: response.headers, status: response.status };
  }

  async get(path, query) { return (await this.request("GET", path, { query })).data; }

  async post(path, json, headers) { return (await this.request("POST", path, { json, headers })).data; }

  /** A list page and its X-Pagination metadata. */
  async page(path, query) {
    const { data, headers } = await this.request("GET", path, { query });
    let meta = {};
    try { meta = JSON.parse(headers.get("X-Pagination") || "{}"); } catch { /* no metadata */ }
    return { items: data || [], total: meta.total ?? (data || []).length };
  }

  /** An image the API serves to signed-in users, as an object URL for <img>. */
  async imageUrl(path) {
    const { data } = await this.request("GET", path, { blob: true });
    return URL.createObjectURL(data);
  }

  /** Upload one photo (a File or Blob); returns the attachment. */
  async upload(file) {
    const form = new FormData();
    form.append("file", file, file.name || "photo.jpg");
    return (await this.request("POST", "/attachments", { form })).data;
  }
}
