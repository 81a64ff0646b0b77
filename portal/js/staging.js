// Staging for installers: pick a site, watch live counts per state and the
// device list. Server-sent events (/staging/stream) with the session cookie;
// polling GET /staging every 2 s when the stream is not there.

import { api, q } from './api.js';
import { el, clear, fmtTime, message } from './ui.js';

const STATES = ['unassigned', 'new', 'staged', 'provisioned', 'applied', 'stale'];

export function stagingScreen(box) {
  const site = el('input', { id: 'staging-site', list: 'staging-sites', autocomplete: 'off' });
  const sites = el('datalist', { id: 'staging-sites' });
  const watch = el('button', { type: 'submit', class: 'primary', text: 'Watch' });
  const status = el('div', { class: 'message', role: 'status', id: 'staging-status' });
  const counts = el('ul', { class: 'counts', id: 'staging-counts', 'aria-label': 'Devices per state' });
  const list = el('ul', { class: 'staging-list', id: 'staging-list', 'aria-label': 'Devices' });
  const form = el('form', { class: 'toolbar', novalidate: true },
    el('div', { class: 'field inline' }, el('label', { for: 'staging-site', text: 'Site' }), site, sites), watch);
  box.append(form, status, counts, list);

  let source = null;
  let timer = 0;
  let seq = 0;
  const stop = () => { if (source) source.close(); source = null; clearTimeout(timer); seq += 1; };

  const draw = (s) => {
    clear(counts).append(...STATES.map((k) => el('li', { class: `count st-${k}`, 'data-state': k },
      el('span', { class: 'n', text: (s.counts && s.counts[k]) || 0 }), el('span', { class: 'what', text: k }))));
    clear(list);
    if (!s.items.length) list.append(el('li', { text: 'No devices at this site yet.' }));
    for (const d of s.items) {
      list.append(el('li', { class: `dev st-${d.state}`, 'data-mac': d.mac },
        el('strong', { text: d.mac }), ' ', el('span', { class: 'badge', text: d.state }),
        el('div', { class: 'sub', text: `${d.make || ''} ${d.model || ''} ${d.firmware ? `fw ${d.firmware}` : ''}`.trim() }),
        el('div', { class: 'sub', text: [(d.extensions || []).join(', '), d.last_seen_at ? `last fetch ${fmtTime(d.last_seen_at)}` : 'not fetched yet', d.last_seen_ip].filter(Boolean).join(' · ') })));
    }
  };

  const poll = async (mine, name) => {
    if (mine !== seq) return;
    try {
      draw((await api('GET', `/staging${q({ site: name })}`)).body);
      message(status, `Site ${name || '(all)'}: updated ${new Date().toLocaleTimeString()} (every 2 s)`, 'info');
    } catch (e) { message(status, e.message); }
    if (mine === seq) timer = setTimeout(() => poll(mine, name), 2000);
  };

  const start = (name) => {
    stop();
    const mine = seq;
    if (typeof EventSource === 'undefined') { poll(mine, name); return; }
    source = new EventSource(`/api/v1/staging/stream${q({ site: name })}`);
    source.addEventListener('staging', (ev) => {
      draw(JSON.parse(ev.data));
      message(status, `Site ${name || '(all)'}: live, updated ${new Date().toLocaleTimeString()}`, 'info');
    });
    source.addEventListener('error', () => {
      if (mine !== seq) return;
      // No stream here (404) or it ended: poll instead; a live stream that
      // dropped is retried by polling too, which never stops.
      if (source) source.close();
      source = null;
      poll(mine, name);
    });
  };

  form.addEventListener('submit', (e) => { e.preventDefault(); start(site.value.trim()); });
  // Sites known from the devices, for the picker.
  api('GET', '/devices?limit=1000').then((r) => {
    const names = [...new Set(r.body.items.map((d) => d.label).filter(Boolean))].sort();
    sites.append(...names.map((n) => el('option', { value: n })));
  }).catch(() => {});
  const fromHash = new URLSearchParams(location.hash.split('?')[1] || '').get('site');
  if (fromHash !== null) { site.value = fromHash; start(fromHash); }
  return stop;
}
