// The row editor of the Extensions grid: a row of inputs in the grid's own
// columns plus a row of the additional fields. New: POST; edit: PATCH of the
// changed fields with the `version` read, so a concurrent edit is refused
// (409 version_conflict) and reported rather than overwritten.

import { api, enc } from './api.js';
import { el, markField, select, toast, uid } from './ui.js';
import { catalog, vendorOf } from './catalog.js';

export const DEVICE_TYPES = ['SIP', 'IAX2', 'DAHDI', 'VIRTUAL', 'SIP-VIRTUAL'];

// The additional fields, in the portal's order and words.
export const MORE = [
  ['did', 'DID'], ['twinning_number', 'Twinning #'], ['phone_make', 'Phone Make'], ['phone_model', 'Phone Model'],
  ['mac', 'MAC'], ['phone_reg', 'Phone Reg #'], ['external_callerid', 'External CallerID'],
  ['call_forward', 'All Call Forward'], ['class_of_service', 'Class of Service'], ['phone_group', 'Phone Group'],
];

function cellControl(label, control) {
  if (!control.id) control.id = uid('ed');
  const err = el('span', { class: 'field-error', id: `${control.id}-err` });
  control.setAttribute('aria-describedby', err.id);
  return el('div', { class: 'cell-field' }, el('label', { for: control.id, class: 'sr-only', text: label }), control, err);
}

function str(v) { return v === null || v === undefined ? '' : String(v); }

// Unchanged as far as the server is concerned: the catalog's select offers
// "yealink" for a stored "Yealink".
function same(key, now, before) {
  const b = before === undefined && typeof now === 'boolean' ? false : before;
  if (key === 'phone_make' || key === 'phone_model') return str(now).toLowerCase() === str(b).toLowerCase();
  return str(now) === str(b);
}

// Draws the editor into `tbody` before `before` (null: at the top). `ext`:
// the extension to edit, or null for a new one. onDone(saved) after a save
// or cancel (saved false).
export async function openEditor(tbody, before, ext, columns, onDone) {
  const isNew = !ext;
  const orig = ext || { device_type: 'SIP', voicemail_enabled: false };
  const c = {};
  c.extension = el('input', { name: 'extension', value: str(orig.extension), readonly: !isNew, autocomplete: 'off' });
  c.device_type = select(DEVICE_TYPES, orig.device_type || 'SIP');
  c.device_type.name = 'device_type';
  c.callerid_name = el('input', { name: 'callerid_name', value: str(orig.callerid_name) });
  c.user = el('input', { name: 'user', value: str(orig.user) });
  c.voicemail_enabled = el('input', { type: 'checkbox', name: 'voicemail_enabled', checked: Boolean(orig.voicemail_enabled) });
  c.voicemail_pin = el('input', { name: 'voicemail_pin', value: str(orig.voicemail_pin), inputmode: 'numeric', autocomplete: 'off' });
  c.voicemail_email = el('input', { name: 'voicemail_email', type: 'email', value: str(orig.voicemail_email) });
  const pinBox = cellControl('Voicemail PIN', c.voicemail_pin);
  const showPin = () => { pinBox.hidden = !c.voicemail_enabled.checked; };
  c.voicemail_enabled.addEventListener('change', showPin);
  showPin();

  const cat = await catalog();
  for (const [key] of MORE) c[key] = el('input', { name: key, value: str(orig[key]), autocomplete: 'off' });
  if (cat.ok) {
    const makes = [['', '(none)'], ...cat.vendors.map((v) => [v.vendor, v.name || v.vendor])];
    const make = vendorOf(cat, orig.phone_make);
    c.phone_make = select(makes, make ? make.vendor : '');
    c.phone_make.name = 'phone_make';
    const models = () => {
      const v = vendorOf(cat, c.phone_make.value);
      const list = [['', '(none)'], ...((v && v.models) || []).map((m) => [m.model, m.model])];
      const keep = c.phone_model.value || orig.phone_model || '';
      const fresh = select(list, list.some(([m]) => m === keep) ? keep : '');
      fresh.name = 'phone_model';
      fresh.id = c.phone_model.id;
      fresh.setAttribute('aria-describedby', `${fresh.id}-err`);
      c.phone_model.replaceWith(fresh);
      c.phone_model = fresh;
    };
    c.phone_model = el('select', { name: 'phone_model', id: uid('ed') });
    c.phone_make.addEventListener('change', models);
    setTimeout(models);
  }
  c.secret = el('input', { name: 'secret', type: 'password', autocomplete: 'new-password' });

  const general = el('div', { class: 'message', role: 'alert' });
  const save = el('button', { type: 'submit', class: 'primary', text: isNew ? 'Save New Extension' : 'Save' });
  const cancel = el('button', { type: 'button', text: 'Cancel' });

  const cells = {
    extension: cellControl('Extension', c.extension), device_type: cellControl('Device Type', c.device_type),
    callerid_name: cellControl('CallerID Name', c.callerid_name), user: cellControl('User', c.user),
    voicemail_enabled: cellControl('Voicemail', c.voicemail_enabled), voicemail_pin: pinBox,
    voicemail_email: cellControl('Voicemail Email', c.voicemail_email),
  };
  const formId = uid('edit-form');
  for (const k of Object.keys(c)) c[k].setAttribute('form', formId);
  const row = el('tr', { class: 'editor', 'data-extension': str(orig.extension) },
    columns.map((col) => el('td', { 'data-label': col.label },
      cells[col.key] || el('span', { class: 'ro', text: col.show ? col.show(orig) : '' }))),
    el('td', { class: 'controls' }, el('form', { id: formId, novalidate: true, onsubmit: (e) => e.preventDefault() }), save, cancel));
  save.setAttribute('form', formId);
  const moreBox = el('div', { class: 'more-fields' },
    MORE.map(([k, label]) => cellControl(label, c[k])),
    cellControl(isNew ? 'Secret' : 'New secret (blank keeps it)', c.secret));
  for (const f of moreBox.querySelectorAll('.cell-field')) f.querySelector('label').classList.remove('sr-only');
  const more = el('tr', { class: 'editor-more' },
    el('td', { colspan: columns.length + 1 },
      el('fieldset', {}, el('legend', { text: isNew ? 'New Extension: additional fields' : `Extension ${orig.extension}: additional fields` }), moreBox),
      general));
  tbody.insertBefore(row, before);
  tbody.insertBefore(more, before);
  (isNew ? c.extension : c.callerid_name).focus();

  const close = (saved) => { row.remove(); more.remove(); onDone(saved); };
  cancel.addEventListener('click', () => close(false));
  row.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(false); });

  const value = (k) => {
    const ctl = c[k];
    if (ctl.type === 'checkbox') return ctl.checked;
    return ctl.value.trim();
  };
  const bodyFor = () => {
    const b = {};
    const keys = ['extension', 'device_type', 'callerid_name', 'user', 'voicemail_enabled', 'voicemail_pin',
      'voicemail_email', ...MORE.map(([k]) => k), 'secret'];
    for (const k of keys) {
      let v = value(k);
      if (k === 'voicemail_pin' && !c.voicemail_enabled.checked) continue;
      if (k === 'secret' && v === '') continue;
      if (k === 'phone_reg' || k === 'mac') v = v === '' ? null : (k === 'phone_reg' && /^\d+$/.test(v) ? Number(v) : v);
      if (isNew) {
        if (v === '' || v === null) continue;
        b[k] = v;
      } else if (k !== 'extension' && !same(k, v, orig[k])) {
        b[k] = v;
      }
    }
    return b;
  };

  const submit = async (ev) => {
    ev.preventDefault();
    for (const k of Object.keys(c)) markField(c[k], '');
    general.textContent = '';
    general.className = 'message';
    const body = bodyFor();
    if (!isNew && Object.keys(body).length === 0) { close(false); return; }
    save.disabled = true;
    try {
      if (isNew) await api('POST', '/extensions', body);
      else await api('PATCH', `/extensions/${enc(orig.extension)}`, { ...body, version: orig.version });
      toast('Changes Saved');
      close(true);
    } catch (e) {
      save.disabled = false;
      await showError(e, c, general, orig);
    }
  };
  save.addEventListener('click', submit);
  row.addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.target.tagName === 'INPUT') submit(e); });
  more.addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.target.tagName === 'INPUT') submit(e); });
}

async function showError(e, c, general, orig) {
  const lines = [];
  let first = null;
  for (const [k, why] of Object.entries(e.fields || {})) {
    if (c[k]) { markField(c[k], why); first = first || c[k]; } else lines.push(`${k}: ${why}`);
  }
  if (e.code === 'duplicate' || e.code === 'already_exists') { markField(c.extension, e.message); first = first || c.extension; }
  if (e.code === 'license_limit_reached') {
    let text = e.message;
    try {
      const l = (await api('GET', '/license')).body;
      text = `Licence limit reached: ${l.extensions_used} of ${l.extensions_allowed} extensions in use. ${e.message}`;
    } catch (_) { /* the refusal's own words are enough */ }
    markField(c.device_type, text);
    first = first || c.device_type;
    lines.unshift(text);
  } else if (e.code === 'version_conflict') {
    lines.unshift(`Extension ${orig.extension} was changed by someone else since you opened it; your changes were ` +
      'not saved. Cancel and open it again to see the current values.');
  } else {
    lines.unshift(e.message);
  }
  general.textContent = lines.join(' ');
  general.className = 'message error';
  if (first) first.focus();
}
