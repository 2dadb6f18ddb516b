/* api.js - the one way the pages talk to the server: fetch /api/v1/... with the session
 * cookie, the CSRF token on every state-changing request, JSON in and out. A refused
 * request becomes an ApiError {status, code, message, field}; a 401 sends the browser
 * to the login page, which brings the user back here afterwards. */

const TOKEN_KEY = 'wsx.csrf';
const SAFE = new Set(['GET', 'HEAD']);

/* Kept for this tab only: sessionStorage survives a reload, not a closed tab. */
let csrf = sessionStorage.getItem(TOKEN_KEY);

export class ApiError extends Error {
  constructor(status, code, message, field = null, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

function remember(token) {
  csrf = token || null;
  if (csrf) sessionStorage.setItem(TOKEN_KEY, csrf);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/* '/zato/login?next=<this page>' */
export function loginUrl() {
  return '/zato/login?next=' + encodeURIComponent(location.pathname + location.search);
}

/* '?a=1&b=x' from an object, leaving out empty values; '' when nothing is left. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!SAFE.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'Cannot reach the server (' + e.message + '). Is it running?');
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const e = (data && data.error) || {};
  throw new ApiError(
    res.status,
    e.code || 'http_' + res.status,
    e.message || `The server answered ${res.status} ${res.statusText}`.trim(),
    e.field || null,
    res.headers.get('Retry-After'),
  );
}

/* Stop here: the browser is on its way to another page. */
const never = () => new Promise(() => {});

/* A request to /api/v1 + path. Resolves with the parsed JSON (null for 204), rejects
 * with an ApiError. opts.login: false for the login request itself (a 401 there is a
 * wrong password, not an expired session). */
export async function api(method, path, body, opts = {}) {
  const followLogin = opts.login !== false;
  if (!SAFE.has(method) && !csrf && followLogin) await session();
  try {
    return await send(method, path, body);
  } catch (e) {
    if (e.status === 401 && followLogin) {
      remember(null);
      location.assign(loginUrl());
      return never();
    }
    /* The token is stale (a new login in another tab, a server restart): fetch the
     * current one and try once more. */
    if (e.status === 403 && e.code === 'csrf' && followLogin) {
      await session();
      return send(method, path, body);
    }
    throw e;
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/* The logged-in user {username, csrf_token}; goes to the login page if there is none. */
export async function session() {
  const s = await api('GET', '/session');
  remember(s && s.csrf_token);
  return s;
}

/* The session if there is one, else null (no redirect: for the login page). */
export async function currentSession() {
  try {
    const s = await api('GET', '/session', undefined, { login: false });
    remember(s && s.csrf_token);
    return s;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/* Log in; resolves with {username, csrf_token}, rejects with the ApiError (401, 429). */
export async function login(username, password) {
  const s = await api('POST', '/session', { username, password }, { login: false });
  remember(s && s.csrf_token);
  return s;
}

/* Log out: the server forgets the session; so does this tab. */
export async function logout() {
  try {
    if (!csrf) await session();
    try {
      await api('DELETE', '/session', undefined, { login: false });
    } catch (e) {
      /* this tab's token may be of an older session (another tab logged in again) */
      if (e.status !== 403 || e.code !== 'csrf') throw e;
      await session();
      await api('DELETE', '/session', undefined, { login: false });
    }
  } finally {
    remember(null);
  }
}
