// The phone buttons manager of one extension: one row per key of its phone
// model (count from the catalog), each with type, value, label and line;
// reordered by dragging a row's handle (pointer events, so mouse, touch and
// pen alike) or with its Up/Down buttons. Saved with PUT .../buttons.

import { api, enc } from './api.js';
import { el, clear, markField, message, select, toast, uid } from './ui.js';
import { catalog, modelOf } from './catalog.js';

const TYPES = ['', 'line', 'blf', 'speed_dial', 'park', 'transfer', 'forward', 'conference', 'hold', 'dnd', 'pickup', 'voicemail'];

export async function buttonsPanel(box, ext, admin) {
  clear(box);
  const status = el('div', { class: 'message', role: 'status' });
  const heading = el('h2', { id: 'buttons-title', tabindex: '-1', text: `Phone buttons of extension ${ext.extension}` });
  const list = el('ol', { class: 'keys', id: 'buttons-list', 'aria-labelledby': 'buttons-title' });
  box.append(el('section', { class: 'card buttons-panel', 'aria-labelledby': 'buttons-title' }, heading, status, list));
  heading.focus();
  let current = [];
  try {
    current = (await api('GET', `/extensions/${enc(ext.extension)}/buttons`)).body || [];
  } catch (e) { message(status, e.message); return; }
  const cat = await catalog();
  const model = modelOf(cat, ext.phone_make, ext.phone_model);
  const maxIndex = current.reduce((m, b) => Math.max(m, b.index), 0);
  let count = model ? model.keys : Math.max(maxIndex, 10);
  if (!model) {
    message(status, cat.ok
      ? `The catalog does not know ${ext.phone_make || 'this'} ${ext.phone_model || 'phone'}: showing ${count} keys.`
      : `${cat.why} Showing ${count} keys.`, 'info');
  }
  count = Math.max(count, maxIndex);
  const byIndex = new Map(current.map((b) => [b.index, b]));
  const rows = [];
  for (let i = 1; i <= count; i += 1) rows.push(keyRow(byIndex.get(i) || { type: '' }, admin));
  list.append(...rows.map((r) => r.node));
  const renumber = () => {
    [...list.children].forEach((li, i) => { li.querySelector('.key-no').textContent = `Key ${i + 1}`; });
  };
  renumber();
  if (!admin) { for (const c of list.querySelectorAll('input, select, button')) c.disabled = true; return; }

  list.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-move]');
    if (!b) return;
    const li = b.closest('li');
    if (b.dataset.move === 'up' && li.previousElementSibling) li.previousElementSibling.before(li);
    if (b.dataset.move === 'down' && li.nextElementSibling) li.nextElementSibling.after(li);
    renumber();
    b.focus();
  });
  dragToReorder(list, renumber);

  const save = el('button', { type: 'button', class: 'primary', id: 'buttons-save', text: 'Save Buttons' });
  box.firstChild.append(el('div', { class: 'buttons' }, save));
  save.addEventListener('click', async () => {
    const items = [...list.children];
    const body = [];
    const ctl = [];
    items.forEach((li, i) => {
      const get = (n) => li.querySelector(`[name=${n}]`);
      for (const n of ['type', 'value', 'label', 'line']) markField(get(n), '');
      if (!get('type').value) return;
      const b = { index: i + 1, type: get('type').value, value: get('value').value.trim(), label: get('label').value.trim() };
      if (get('line').value) b.line = Number(get('line').value);
      body.push(b);
      ctl.push(li);
    });
    try {
      await api('PUT', `/extensions/${enc(ext.extension)}/buttons`, body);
      message(status, 'Changes Saved', 'ok');
      toast('Changes Saved');
    } catch (e) {
      const rest = [];
      for (const [k, why] of Object.entries(e.fields)) {
        const m = /^buttons\[(\d+)\](?:\.(\w+))?$/.exec(k);
        const li = m && ctl[Number(m[1])];
        const input = li && li.querySelector(`[name=${m[2] === 'index' || !m[2] ? 'type' : m[2]}]`);
        if (input) markField(input, why); else rest.push(`${k}: ${why}`);
      }
      message(status, [e.message, ...rest].join(' '));
    }
  });
}

function keyRow(b, admin) {
  const id = uid('key');
  const type = select(TYPES.map((t) => [t, t || '(unused)']), b.type || '');
  type.name = 'type';
  const value = el('input', { name: 'value', value: b.value || '' });
  const label = el('input', { name: 'label', value: b.label || '' });
  const line = el('input', { name: 'line', type: 'number', min: '1', max: '64', value: b.line || '' });
  const f = (text, c) => {
    c.id = `${id}-${c.name}`;
    c.setAttribute('aria-describedby', `${c.id}-err`);
    return el('span', { class: 'key-field' }, el('label', { for: c.id, text }), c, el('span', { class: 'field-error', id: `${c.id}-err` }));
  };
  const node = el('li', { class: 'key' },
    el('span', { class: 'handle', 'aria-hidden': 'true', title: 'Drag to reorder', text: '⠿' }),
    el('span', { class: 'key-no' }),
    f('Type', type), f('Value', value), f('Label', label), f('Line', line),
    admin ? el('span', { class: 'move' },
      el('button', { type: 'button', 'data-move': 'up', 'aria-label': 'Move up', text: '↑' }),
      el('button', { type: 'button', 'data-move': 'down', 'aria-label': 'Move down', text: '↓' })) : null);
  return { node };
}

// Dragging a handle moves its row to where the pointer is released.
function dragToReorder(list, after) {
  let dragging = null;
  list.addEventListener('pointerdown', (e) => {
    if (!e.target.classList.contains('handle')) return;
    dragging = e.target.closest('li');
    dragging.classList.add('dragging');
    list.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  const over = (e) => {
    const under = document.elementFromPoint(e.clientX, e.clientY);
    const li = under && under.closest('ol.keys > li');
    return li && li.parentNode === list ? li : null;
  };
  list.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    const li = over(e);
    if (!li || li === dragging) return;
    const r = li.getBoundingClientRect();
    if (e.clientY > r.top + r.height / 2) li.after(dragging); else li.before(dragging);
  });
  list.addEventListener('pointerup', () => {
    if (!dragging) return;
    dragging.classList.remove('dragging');
    dragging = null;
    after();
  });
}
