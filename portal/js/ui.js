// Small DOM helpers: no framework, no innerHTML with data (text only).

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(node) { while (node.firstChild) node.firstChild.remove(); return node; }

let toastTimer = 0;
// A short polite announcement ("Changes Saved").
export function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('shown'), 4000);
}

// A message box in a screen: kind is 'error', 'ok' or 'info'.
export function message(box, text, kind = 'error') {
  box.textContent = text || '';
  box.className = `message ${text ? kind : ''}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

export function fmtTime(t) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
}

let idSeq = 0;
export function uid(prefix) { idSeq += 1; return `${prefix}-${idSeq}`; }

// A labelled input (or select/textarea given as `control`) with a place for
// its error, marked in place by markField.
export function field(labelText, control, extra = {}) {
  if (!control.id) control.id = uid('f');
  const err = el('span', { class: 'field-error', id: `${control.id}-err` });
  control.setAttribute('aria-describedby', err.id);
  const wrap = el('div', { class: `field ${extra.class || ''}` },
    el('label', { for: control.id, text: labelText }), control, err);
  return wrap;
}

export function markField(control, text) {
  const err = document.getElementById(`${control.id}-err`);
  if (err) err.textContent = text || '';
  if (text) control.setAttribute('aria-invalid', 'true'); else control.removeAttribute('aria-invalid');
}

export function select(options, value) {
  const s = el('select');
  for (const o of options) {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    s.append(el('option', { value: v, text: label, selected: v === value }));
  }
  if (value !== undefined && value !== null) s.value = value;
  return s;
}

// Paging controls for a list answer {total, offset, limit}.
export function pager(page, onGo) {
  const { total = 0, offset = 0, limit = 50 } = page;
  const first = total ? offset + 1 : 0;
  const last = Math.min(offset + limit, total);
  return el('div', { class: 'pager' },
    el('button', { type: 'button', disabled: offset <= 0, onclick: () => onGo(Math.max(0, offset - limit)) }, 'Previous'),
    el('span', { 'aria-live': 'polite', text: `${first}–${last} of ${total}` }),
    el('button', { type: 'button', disabled: last >= total, onclick: () => onGo(offset + limit) }, 'Next'));
}

export function table(caption, headers, rows) {
  return el('table', { class: 'grid' },
    el('caption', { class: 'sr-only', text: caption }),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, rows));
}

// Calls `f` once the frame drawn after the current changes was painted: the
// next animation frame runs just before that paint, and a task queued from it
// runs after. For the in-page timings (performance marks) of the grid.
export function afterPaint(f) { requestAnimationFrame(() => setTimeout(f, 0)); }
