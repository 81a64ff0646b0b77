// Settings, Events, Audit and Users: plain screens over the existing API.

import { api, auth, enc, missing, q } from './api.js';
import { el, clear, field, fmtTime, markField, message, pager, select, table } from './ui.js';

export function settingsScreen(box) {
  const admin = auth.role === 'admin';
  const status = el('div', { class: 'message', role: 'status' });
  const form = el('form', { class: 'card settings', novalidate: true });
  box.append(status, form);
  const controls = {};
  api('GET', '/settings').then((r) => {
    for (const [k, v] of Object.entries(r.body)) {
      let c;
      if (typeof v === 'boolean') c = select([['true', 'true'], ['false', 'false']], String(v));
      else c = el('input', { value: v === null ? '' : String(v), type: typeof v === 'number' ? 'number' : 'text' });
      c.name = k;
      c.disabled = !admin;
      controls[k] = { c, orig: v };
      form.append(field(k, c));
    }
    if (admin) form.append(el('button', { type: 'submit', class: 'primary', text: 'Save Settings' }));
  }).catch((e) => message(status, e.message));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const [k, { c, orig }] of Object.entries(controls)) {
      markField(c, '');
      const v = typeof orig === 'boolean' ? c.value === 'true' : typeof orig === 'number' ? Number(c.value) : c.value;
      if (v !== orig) body[k] = v;
    }
    try {
      await api('PUT', '/settings', body);
      message(status, 'Changes Saved', 'ok');
    } catch (x) {
      for (const [k, why] of Object.entries(x.fields)) if (controls[k]) markField(controls[k].c, why);
      message(status, x.message);
    }
  });
}

function listScreen(box, path, caption, cols, filters = []) {
  const status = el('div', { class: 'message', role: 'status' });
  // A wide table scrolls sideways; with no control inside, the region itself
  // takes the focus so that the keyboard can scroll it.
  const holder = el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption });
  const paging = el('div');
  const state = { offset: 0, limit: 50 };
  const inputs = filters.map(([k, label]) => [k, el('input', { id: `filter-${k}`, name: k }), label]);
  const form = el('form', { class: 'toolbar', novalidate: true },
    inputs.map(([, c, label]) => el('div', { class: 'field inline' }, el('label', { for: c.id, text: label }), c)),
    inputs.length ? el('button', { type: 'submit', text: 'Filter' }) : null);
  box.append(form, status, holder, paging);
  const load = async () => {
    const params = { offset: state.offset, limit: state.limit };
    for (const [k, c] of inputs) params[k] = c.value.trim();
    try {
      const r = (await api('GET', `${path}${q(params)}`)).body;
      clear(holder).append(table(caption, cols.map(([, l]) => l),
        r.items.map((it) => el('tr', {}, cols.map(([k, , f]) => el('td', { text: f ? f(it[k], it) : (it[k] ?? '') }))))));
      clear(paging).append(pager(r, (o) => { state.offset = o; load(); }));
      message(status, '');
    } catch (e) { message(status, missing(e, caption)); }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); state.offset = 0; load(); });
  load();
}

export function eventsScreen(box) {
  listScreen(box, '/events', 'Events', [['at', 'Time', fmtTime], ['mac', 'MAC'], ['peer_ip', 'From'], ['protocol', 'Protocol'],
    ['path', 'File'], ['outcome', 'Outcome'], ['model', 'Model'], ['firmware', 'Firmware'], ['user_agent', 'User-Agent']],
  [['mac', 'MAC'], ['outcome', 'Outcome']]);
}

export function auditScreen(box) {
  const brief = (v) => (v === null || v === undefined ? '' : JSON.stringify(v).slice(0, 160));
  listScreen(box, '/audit', 'Audit', [['at', 'Time', fmtTime], ['actor', 'Who'], ['action', 'Action'], ['entity', 'What'],
    ['entity_id', 'Which'], ['source', 'From'], ['after', 'Now', brief]], [['entity', 'Entity'], ['entity_id', 'Id']]);
}

export function usersScreen(box) {
  const status = el('div', { class: 'message', role: 'status' });
  const holder = el('div', { class: 'scroll' });
  const name = el('input', { id: 'user-name', autocomplete: 'off' });
  const role = select(['admin', 'installer', 'viewer'], 'viewer');
  role.id = 'user-role';
  const pass = el('input', { id: 'user-password', type: 'password', autocomplete: 'new-password' });
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'add-user-title' },
    el('h2', { id: 'add-user-title', text: 'Add a user' }),
    field('Name', name), field('Role', role), field('Password', pass),
    el('button', { type: 'submit', class: 'primary', text: 'Add User' }));
  box.append(status, holder, form);
  const load = async () => {
    try {
      const b = (await api('GET', '/users')).body;
      const items = Array.isArray(b) ? b : b.items || [];
      clear(holder).append(table('Users', ['Name', 'Role', 'State', 'Created', 'Last sign-in', 'Controls'],
        items.map((u) => el('tr', {},
          el('td', { text: u.name }), el('td', { text: u.role }), el('td', { text: u.disabled ? 'disabled' : 'active' }),
          el('td', { text: fmtTime(u.created_at) }), el('td', { text: fmtTime(u.last_sign_in_at) }),
          el('td', { class: 'controls' },
            el('button', { type: 'button', 'aria-label': `${u.disabled ? 'Enable' : 'Disable'} ${u.name}`, text: u.disabled ? 'Enable' : 'Disable',
              onclick: () => api('PATCH', `/users/${enc(u.name)}`, { disabled: !u.disabled }).then(load, (e) => message(status, e.message)) }),
            el('button', { type: 'button', class: 'delete', 'aria-label': `Delete user ${u.name}`, text: '✕',
              onclick: () => api('DELETE', `/users/${enc(u.name)}`).then(load, (e) => message(status, e.message)) }))))));
    } catch (e) { message(status, missing(e, 'Portal users')); }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const c of [name, role, pass]) markField(c, '');
    try {
      await api('POST', '/users', { name: name.value.trim(), role: role.value, password: pass.value });
      form.reset();
      message(status, 'Changes Saved', 'ok');
      load();
    } catch (x) {
      const by = { name, role, password: pass };
      for (const [k, why] of Object.entries(x.fields)) if (by[k]) markField(by[k], why);
      message(status, missing(x, 'Portal users'));
    }
  });
  load();
}
