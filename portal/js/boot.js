// The portal's first requests, sent as soon as the page starts: index.html
// runs this small module (no imports) ahead of the rest, so that GET
// /session and the first screen's list are on their way while app.js and
// its modules still load. api.js hands each answer to the first api() call
// for the same GET; app.js drops what no screen took.

// The Extensions grid's first page: every role's first screen.
export const FIRST = { q: '', sort: 'extension', order: 'asc', offset: 0, limit: 50 };

// The grid's request for a state like FIRST (empty values left out).
export function listPath(s) {
  const p = new URLSearchParams();
  for (const k of ['q', 'sort', 'order', 'offset', 'limit']) {
    if (s[k] !== '' && s[k] !== undefined && s[k] !== null) p.set(k, s[k]);
  }
  return `/extensions?${p}`;
}

const early = new Map();

function send(path) {
  const answer = fetch(`/api/v1${path}`, { credentials: 'same-origin' });
  answer.catch(() => {});  // seen by the api() call that takes it
  early.set(path, answer);
}

// The fetch() already under way for GET /api/v1PATH, once; else null.
export function takeEarly(path) {
  const answer = early.get(path) || null;
  early.delete(path);
  return answer;
}

export function dropEarly() { early.clear(); }

send('/session');
if (['', 'extensions'].includes(location.hash.replace(/^#\/?/, '').split('?')[0])) send(listPath(FIRST));
