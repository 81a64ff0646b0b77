// The Extensions screen: the grid (search, sort and paging by the server),
// the row editor (editor.js), additional fields in an expandable row, the
// red X with its references dialog, secrets revealed on request (admins),
// phone buttons (buttons.js) and softphone invitations (invitations.js).

import { api, auth, enc, missing } from './api.js';
import { afterPaint, el, clear, message, pager, toast } from './ui.js';
import { openEditor, MORE } from './editor.js';
import { buttonsPanel } from './buttons.js';
import { invitationsBox } from './invitations.js';
import { catalog, isSoftphone } from './catalog.js';
import { FIRST, listPath } from './boot.js';

const yesNo = (v) => (v && !/^(no|false|0)$/i.test(String(v)) ? 'Yes' : 'No');

export const COLUMNS = [
  { key: 'extension', label: 'Extension' },
  { key: 'device_type', label: 'Device Type' },
  { key: 'callerid_name', label: 'CallerID Name' },
  { key: 'user', label: 'User' },
  { key: 'voicemail_enabled', label: 'Voicemail' },
  { key: 'voicemail_pin', label: 'Voicemail PIN', show: (e) => (e.voicemail_enabled ? e.voicemail_pin || '' : '') },
  { key: 'voicemail_email', label: 'Voicemail Email' },
  { key: 'agent', label: 'Agent', show: (e) => yesNo(e.agent) },
  { key: 'status', label: 'Status', show: (e) => e.status || '' },
  { key: 'ip', label: 'IP' },
  { key: 'port', label: 'Port', show: (e) => (e.port === null || e.port === undefined ? '' : String(e.port)) },
];

export function extensionsScreen(box) {
  const admin = auth.role === 'admin';
  const state = { ...FIRST, editing: false };
  const status = el('div', { class: 'message', role: 'status' });
  const search = el('input', { type: 'search', id: 'ext-search', placeholder: 'extension, name, user, MAC…' });
  const size = el('select', { id: 'ext-size' }, [25, 50, 100, 200].map((n) => el('option', { value: n, text: n, selected: n === 50 })));
  const newBtn = admin ? el('button', { type: 'button', class: 'primary', id: 'new-extension', text: 'New Extension' }) : null;
  const licence = el('span', { class: 'licence', id: 'licence' });
  const tbody = el('tbody');
  const thead = el('thead');
  const grid = el('table', { class: 'grid extensions', id: 'extensions-grid' },
    el('caption', { class: 'sr-only', text: 'Extensions (double-click a row to edit it)' }), thead, tbody);
  const paging = el('div');
  const side = el('div', { id: 'side-panel' });
  const dialog = deleteDialog();
  box.append(
    el('div', { class: 'toolbar' },
      el('div', { class: 'field inline' }, el('label', { for: 'ext-search', text: 'Search' }), search),
      el('div', { class: 'field inline' }, el('label', { for: 'ext-size', text: 'Rows per page' }), size),
      newBtn, licence),
    status, el('div', { class: 'scroll' }, grid), paging, side, dialog.node);

  const headers = () => {
    clear(thead).append(el('tr', {},
      COLUMNS.map((col) => {
        const sorted = state.sort === col.key;
        const th = el('th', { scope: 'col', 'aria-sort': sorted ? (state.order === 'asc' ? 'ascending' : 'descending') : false });
        th.append(el('button', { type: 'button', class: 'sort', onclick: () => sortBy(col.key) },
          col.label, sorted ? (state.order === 'asc' ? ' ▲' : ' ▼') : ''));
        return th;
      }),
      el('th', { scope: 'col', text: 'Controls' })));
  };
  const sortBy = (key) => {
    if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
    else { state.sort = key; state.order = 'asc'; }
    state.offset = 0;
    load();
  };

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const t0 = performance.now();
    try {
      const r = await api('GET', listPath(state));
      if (mine !== seq) return;
      headers();
      draw(r.body);
      // For bench/portal_grid.py: once these rows are painted, a mark (the
      // latest only), the time since this load began and a count of paints.
      afterPaint(() => {
        if (mine !== seq) return;
        performance.clearMarks('portal:grid-painted');
        performance.mark('portal:grid-painted');
        grid.dataset.loadMs = String(Math.round(performance.now() - t0));
        grid.dataset.paints = String(Number(grid.dataset.paints || 0) + 1);
      });
    } catch (e) {
      message(status, e.message);
    }
    refreshLicence();
  };
  const refreshLicence = async () => {
    try {
      const l = (await api('GET', '/license')).body;
      licence.textContent = `Licence: ${l.extensions_used} of ${l.extensions_allowed} extensions used`;
    } catch (_) { licence.textContent = ''; }
  };

  const draw = (page) => {
    clear(tbody);
    if (!page.items.length) tbody.append(el('tr', {}, el('td', { colspan: COLUMNS.length + 1, text: state.q ? 'No extension matches.' : 'No extensions yet.' })));
    for (const ext of page.items) tbody.append(...rowFor(ext));
    clear(paging).append(pager(page, (offset) => { state.offset = offset; load(); }));
  };

  const rowFor = (ext) => {
    const detail = el('tr', { class: 'details', hidden: true }, el('td', { colspan: COLUMNS.length + 1 }));
    const toggle = el('button', { type: 'button', class: 'toggle', 'aria-expanded': 'false', 'aria-label': `More fields for ${ext.extension}`, text: '▸' });
    toggle.addEventListener('click', () => {
      const open = detail.hidden;
      detail.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? '▾' : '▸';
      if (open) drawDetails(detail.firstChild, ext);
    });
    const controls = el('td', { class: 'controls' });
    if (admin) {
      controls.append(el('button', { type: 'button', 'aria-label': `Edit extension ${ext.extension}`, text: 'Edit', onclick: () => edit(row, detail, ext) }));
    }
    controls.append(el('button', { type: 'button', 'aria-label': `Phone buttons of extension ${ext.extension}`, text: 'Buttons', onclick: () => buttonsPanel(side, ext, admin) }));
    if (admin) {
      controls.append(el('button', { type: 'button', class: 'delete', 'aria-label': `Delete extension ${ext.extension}`, title: 'Delete', text: '✕', onclick: () => remove(ext) }));
    }
    const row = el('tr', { 'data-extension': ext.extension },
      COLUMNS.map((col) => {
        const td = el('td', { 'data-label': col.label });
        if (col.key === 'extension') td.append(toggle, ' ', ext.extension);
        else if (col.key === 'voicemail_enabled') td.append(el('input', { type: 'checkbox', disabled: true, checked: Boolean(ext.voicemail_enabled), 'aria-label': `Voicemail of ${ext.extension}` }));
        else if (col.key === 'status') td.append(el('span', { class: `status s-${(ext.status || 'none').toLowerCase()}`, text: col.show(ext) }));
        else td.textContent = col.show ? col.show(ext) : (ext[col.key] ?? '');
        return td;
      }),
      controls);
    if (admin) row.addEventListener('dblclick', () => edit(row, detail, ext));
    return [row, detail];
  };

  const drawDetails = async (td, ext) => {
    clear(td);
    const dl = el('dl', { class: 'details-list' });
    for (const [k, label] of MORE) dl.append(el('dt', { text: label }), el('dd', { text: ext[k] ?? '' }));
    const secret = el('dd', { class: 'secret' }, el('span', { text: ext.secret ? '••••••••' : '(none)' }));
    if (admin && ext.secret) {
      secret.append(' ', el('button', { type: 'button', 'aria-label': `Reveal the secret of ${ext.extension}`, text: 'Reveal', onclick: () => reveal(secret, ext) }));
    } else if (!admin) {
      secret.firstChild.textContent = 'hidden';
    }
    dl.append(el('dt', { text: 'Secret' }), secret);
    td.append(dl);
    const cat = await catalog();
    if (isSoftphone(cat, ext.phone_make)) td.append(invitationsBox(ext, admin));
  };

  const reveal = async (dd, ext) => {
    try {
      const r = await api('POST', `/extensions/${enc(ext.extension)}/secret/reveal`, {});
      clear(dd).append(el('code', { class: 'revealed', text: r.body.secret }));
    } catch (e) {
      clear(dd).append(el('span', { class: 'error', text: missing(e, 'Revealing a secret') }));
    }
  };

  // Opens the editor on the extension as it is now (its current version),
  // not as the page last drew it.
  const edit = async (row, detail, ext) => {
    if (state.editing) return;
    state.editing = true;
    let fresh = ext;
    try {
      fresh = (await api('GET', `/extensions/${enc(ext.extension)}`)).body;
    } catch (e) {
      state.editing = false;
      message(status, e.message);
      load();
      return;
    }
    row.hidden = true;
    detail.hidden = true;
    openEditor(tbody, row, fresh, COLUMNS, (saved) => {
      state.editing = false;
      row.hidden = false;
      if (saved) message(status, 'Changes Saved', 'ok');
      load();
    });
  };

  if (newBtn) {
    newBtn.addEventListener('click', () => {
      if (state.editing) return;
      state.editing = true;
      message(status, '');
      openEditor(tbody, tbody.firstChild, null, COLUMNS, (saved) => {
        state.editing = false;
        if (saved) { message(status, 'Changes Saved', 'ok'); load(); }
        newBtn.focus();
      });
    });
  }

  const remove = async (ext) => {
    message(status, '');
    const confirmed = await dialog.ask(ext);
    if (!confirmed) { message(status, `Extension ${ext.extension} was not deleted.`, 'info'); return; }
    try {
      await api('DELETE', `/extensions/${enc(ext.extension)}${confirmed.force ? '?force=true' : ''}`);
      message(status, `Extension ${ext.extension} deleted. Changes Saved`, 'ok');
      toast('Changes Saved');
      load();
    } catch (e) {
      if (e.code === 'extension_in_use') {
        // The references appeared after the dialog read them: ask again.
        const again = await dialog.ask(ext, e.references);
        if (!again) { message(status, `Extension ${ext.extension} was not deleted.`, 'info'); return; }
        try {
          await api('DELETE', `/extensions/${enc(ext.extension)}?force=true`);
          message(status, `Extension ${ext.extension} deleted. Changes Saved`, 'ok');
        } catch (x) { message(status, x.message); }
        load();
        return;
      }
      message(status, e.message);
    }
  };

  let timer = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.q = search.value.trim(); state.offset = 0; load(); }, 250);
  });
  size.addEventListener('change', () => { state.limit = Number(size.value); state.offset = 0; load(); });
  headers();
  load();
  return () => clearTimeout(timer);
}

// The delete confirmation: lists what still uses the extension (GET
// .../references) and warns; resolves to {force} on Delete, null on Cancel.
function deleteDialog() {
  const title = el('h2', { id: 'delete-title' });
  const list = el('ul', { class: 'references' });
  const warn = el('p', { class: 'warning' });
  const cancel = el('button', { type: 'button', id: 'delete-cancel', text: 'Cancel' });
  const confirm = el('button', { type: 'button', class: 'danger', id: 'delete-confirm', text: 'Delete' });
  const node = el('dialog', { id: 'delete-dialog', 'aria-labelledby': 'delete-title' },
    title, warn, list, el('div', { class: 'buttons' }, cancel, confirm));
  let resolve = null;
  let force = false;
  const done = (v) => { node.close(); if (resolve) { const r = resolve; resolve = null; r(v); } };
  cancel.addEventListener('click', () => done(null));
  confirm.addEventListener('click', () => done({ force }));
  node.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
  const ask = async (ext, known) => {
    title.textContent = `Delete extension ${ext.extension}?`;
    clear(list);
    let refs = known;
    let unknown = '';
    if (!refs) {
      try {
        const b = (await api('GET', `/extensions/${enc(ext.extension)}/references`)).body;
        refs = Array.isArray(b) ? b : b.references || b.items || [];
      } catch (e) {
        refs = [];
        unknown = missing(e, 'The list of what uses an extension');
      }
    }
    force = refs.length > 0;
    for (const r of refs) list.append(el('li', { text: typeof r === 'string' ? r : r.description || JSON.stringify(r) }));
    warn.textContent = refs.length
      ? `Still in use by ${refs.length} item(s) below. Deleting it removes it from all of them: call forwards, voicemail, BLF keys on other phones, its phone group and its bound device lose it. This cannot be undone.`
      : (unknown ? `${unknown} If anything still uses it, the server refuses and lists it.` : 'Nothing else uses this extension. This cannot be undone.');
    node.showModal();
    cancel.focus();
    return new Promise((r) => { resolve = r; });
  };
  return { node, ask };
}
