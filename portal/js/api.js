// The one client of /api/v1: the session cookie of a signed-in portal user,
// with its CSRF token on every change. API tokens are for scripts, not for
// the portal: a token kept in the page would be readable by any script on
// this origin. Errors become ApiError with the API's code, message and fields.

import { takeEarly } from './boot.js';

export const auth = { name: '', role: '', csrf: '' };

export class ApiError extends Error {
  constructor(status, body, headers) {
    const e = (body && body.error) || {};
    super(e.message || `the server answered ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.fields = e.fields || {};
    this.references = e.references || [];
    this.problems = e.problems || [];
    this.retryAfter = headers ? headers.get('Retry-After') : null;
  }
}

function headersFor(method) {
  const h = {};
  if (auth.csrf && method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = auth.csrf;
  return h;
}

// Calls METHOD /api/v1PATH. `body`: an object (sent as JSON) or a string
// (sent as `type`, CSV by default). Resolves to {status, body, headers};
// rejects with ApiError for any status from 400. A GET that boot.js sent
// already is answered from that request.
export async function api(method, path, body, type = 'text/csv') {
  const early = method === 'GET' ? takeEarly(path) : null;
  const headers = headersFor(method);
  let payload;
  if (typeof body === 'string') {
    payload = body;
    headers['Content-Type'] = type;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let r;
  try {
    r = await (early || fetch(`/api/v1${path}`, { method, headers, body: payload, credentials: 'same-origin' }));
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: 'the server cannot be reached' } });
  }
  let parsed = null;
  const ct = r.headers.get('Content-Type') || '';
  if (ct.startsWith('application/json')) parsed = await r.json().catch(() => null);
  else if (r.status !== 204) parsed = await r.text();
  if (r.status === 401 && path !== '/session' && onSignedOut) onSignedOut();
  if (!r.ok) throw new ApiError(r.status, parsed, r.headers);
  return { status: r.status, body: parsed, headers: r.headers };
}

// The UI's handler for a session that ended (set by app.js).
let onSignedOut = null;
export function whenSignedOut(f) { onSignedOut = f; }

// The message for an error of a route this server may not have yet.
export function missing(e, what) {
  return e.status === 404 && (e.code === 'not_found' || !e.code)
    ? `${what} is not available on this server yet.`
    : e.message;
}

export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) s.set(k, v);
  const t = s.toString();
  return t ? `?${t}` : '';
}

export const enc = encodeURIComponent;
