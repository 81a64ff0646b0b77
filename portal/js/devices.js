// Devices: the list (state, site, model, firmware, last fetch) with search,
// sort and paging by the server; unknown phones claimed (bound to an
// extension and a site); the exact file a phone would get (admins).

import { api, auth, enc, q } from './api.js';
import { el, clear, field, fmtTime, message, pager } from './ui.js';

const COLS = [
  ['mac', 'MAC'], ['state', 'State'], ['label', 'Site'], ['model', 'Model'], ['last_firmware', 'Firmware'],
  ['last_seen_at', 'Last fetch'],
];

export function devicesScreen(box) {
  const admin = auth.role === 'admin';
  const canClaim = admin || auth.role === 'installer';
  const state = { q: '', sort: 'mac', order: 'asc', offset: 0, limit: 50, unknown: false };
  const status = el('div', { class: 'message', role: 'status' });
  const search = el('input', { type: 'search', id: 'dev-search' });
  const unknown = el('input', { type: 'checkbox', id: 'dev-unknown' });
  const thead = el('thead');
  const tbody = el('tbody');
  const paging = el('div');
  const side = el('div', { id: 'device-panel' });
  box.append(
    el('div', { class: 'toolbar' },
      el('div', { class: 'field inline' }, el('label', { for: 'dev-search', text: 'Search' }), search),
      el('div', { class: 'field inline check' }, unknown, el('label', { for: 'dev-unknown', text: 'Only unknown phones (to claim)' }))),
    status,
    el('div', { class: 'scroll' }, el('table', { class: 'grid', id: 'devices-grid' }, el('caption', { class: 'sr-only', text: 'Devices' }), thead, tbody)),
    paging, side);

  const headers = () => clear(thead).append(el('tr', {},
    COLS.map(([k, label]) => el('th', { scope: 'col', 'aria-sort': state.sort === k ? (state.order === 'asc' ? 'ascending' : 'descending') : false },
      el('button', { type: 'button', class: 'sort', onclick: () => { if (state.sort === k) state.order = state.order === 'asc' ? 'desc' : 'asc'; else { state.sort = k; state.order = 'asc'; } load(); } },
        label, state.sort === k ? (state.order === 'asc' ? ' ▲' : ' ▼') : ''))),
    el('th', { scope: 'col', text: 'Controls' })));

  const load = async () => {
    try {
      const r = await api('GET', `/devices${q({ q: state.q, sort: state.sort, order: state.order, offset: state.offset, limit: state.limit, state: state.unknown ? 'unassigned' : '' })}`);
      headers();
      clear(tbody);
      if (!r.body.items.length) tbody.append(el('tr', {}, el('td', { colspan: COLS.length + 1, text: 'No devices.' })));
      for (const d of r.body.items) tbody.append(rowFor(d));
      clear(paging).append(pager(r.body, (o) => { state.offset = o; load(); }));
    } catch (e) { message(status, e.message); }
  };

  const rowFor = (d) => {
    const controls = el('td', { class: 'controls' });
    if (canClaim && (d.state === 'new' || d.state === 'unassigned')) {
      controls.append(el('button', { type: 'button', 'aria-label': `Claim ${d.mac}`, text: 'Claim', onclick: () => claim(d) }));
    }
    if (admin) controls.append(el('button', { type: 'button', 'aria-label': `Preview the files of ${d.mac}`, text: 'Preview', onclick: () => preview(d) }));
    return el('tr', { 'data-mac': d.mac },
      COLS.map(([k, label]) => el('td', { 'data-label': label, text: k === 'last_seen_at' ? fmtTime(d[k]) : k === 'model' ? `${d.make || ''} ${d.model || ''}`.trim() : (d[k] ?? '') })),
      controls);
  };

  const claim = (d) => {
    clear(side);
    const ext = el('input', { id: 'claim-ext', autocomplete: 'off' });
    const site = el('input', { id: 'claim-site', value: d.label || '' });
    const msg = el('div', { class: 'message', role: 'status' });
    const form = el('form', { class: 'card', 'aria-labelledby': 'claim-title', novalidate: true },
      el('h2', { id: 'claim-title', text: `Claim ${d.mac}` }),
      field('Extension to bind', ext), field('Site', site), msg,
      el('button', { type: 'submit', class: 'primary', text: 'Claim' }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        if (site.value.trim() !== (d.label || '')) await api('PATCH', `/devices/${enc(d.mac)}`, { label: site.value.trim() });
        if (ext.value.trim()) await api('PATCH', `/extensions/${enc(ext.value.trim())}`, { mac: d.mac });
        message(msg, 'Changes Saved', 'ok');
        load();
      } catch (x) {
        const f = Object.entries(x.fields).map(([k, v]) => `${k}: ${v}`).join('; ');
        message(msg, f ? `${x.message} (${f})` : x.message);
      }
    });
    side.append(form);
    ext.focus();
  };

  const preview = (d) => {
    clear(side);
    const file = el('input', { id: 'preview-file', value: `${d.mac.replace(/[:-]/g, '').toLowerCase()}.cfg` });
    const out = el('pre', { class: 'preview', tabindex: '0', role: 'region', 'aria-label': 'The file' });
    const msg = el('div', { class: 'message', role: 'status' });
    const form = el('form', { class: 'card', 'aria-labelledby': 'preview-title', novalidate: true },
      el('h2', { id: 'preview-title', text: `The exact file ${d.mac} would get` }),
      field('File name', file), el('button', { type: 'submit', text: 'Show' }), msg, out);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      out.textContent = '';
      try {
        const r = await api('GET', `/devices/${enc(d.mac)}/preview/${enc(file.value.trim())}`);
        out.textContent = typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2);
        message(msg, '');
      } catch (x) { message(msg, x.message); }
    });
    side.append(form);
    file.focus();
  };

  let timer = 0;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { state.q = search.value.trim(); state.offset = 0; load(); }, 250); });
  unknown.addEventListener('change', () => { state.unknown = unknown.checked; state.offset = 0; load(); });
  headers();
  load();
  return () => clearTimeout(timer);
}
