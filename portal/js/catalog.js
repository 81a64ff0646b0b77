// The vendor catalog (GET /api/v1/catalog): makes, models, key counts and
// which makes are softphones. Fetched once; a server without the route
// answers 404 and the portal falls back to free text.

import { api } from './api.js';

let cached = null;

export async function catalog() {
  if (cached) return cached;
  try {
    const r = await api('GET', '/catalog');
    cached = { ok: true, vendors: r.body.vendors || [] };
  } catch (e) {
    cached = { ok: false, vendors: [], why: e.status === 404 ? 'The server has no vendor catalog yet.' : e.message };
  }
  return cached;
}

function same(a, b) { return String(a || '').toLowerCase() === String(b || '').toLowerCase(); }

export function vendorOf(cat, make) {
  return cat.vendors.find((v) => same(v.vendor, make) || same(v.name, make)) || null;
}

export function modelOf(cat, make, model) {
  const v = vendorOf(cat, make);
  return v ? (v.models || []).find((m) => same(m.model, model)) || null : null;
}

// A softphone make: flagged in the catalog, or IntellaPhone by name when
// the server has no catalog.
export function isSoftphone(cat, make) {
  const v = vendorOf(cat, make);
  return v ? Boolean(v.softphone) : /^intellaphone$/i.test(make || '');
}
