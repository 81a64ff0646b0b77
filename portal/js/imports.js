// Inventory import: pick a CSV, dry run first (every problem with its line
// and column in a table), then the import itself, all or nothing, with
// progress (POST /imports?async=true, GET /imports/{id}); and the export.

import { api } from './api.js';
import { el, clear, message, table } from './ui.js';

export function importScreen(box) {
  const file = el('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv' });
  const dry = el('button', { type: 'button', class: 'primary', id: 'import-dry-run', text: 'Dry run' });
  const run = el('button', { type: 'button', id: 'import-run', disabled: true, text: 'Import' });
  const status = el('div', { class: 'message', role: 'status', id: 'import-status' });
  const progress = el('progress', { id: 'import-progress', max: '100', value: '0', hidden: true, 'aria-label': 'Import progress' });
  const problems = el('div', { id: 'import-problems' });
  const exportBtn = el('button', { type: 'button', id: 'export', text: 'Export inventory (CSV)' });
  box.append(
    el('div', { class: 'card' },
      el('div', { class: 'field' }, el('label', { for: 'import-file', text: 'Inventory CSV' }), file),
      el('div', { class: 'buttons' }, dry, run), progress, status, problems),
    el('div', { class: 'card' }, el('h2', { text: 'Export' }), exportBtn));

  let csv = '';
  let stopped = false;
  file.addEventListener('change', () => { run.disabled = true; clear(problems); message(status, ''); });

  const read = async () => {
    if (!file.files.length) { message(status, 'Choose a CSV file first.'); return false; }
    csv = await file.files[0].text();
    return true;
  };
  const summary = (r) => `${r.message}: ${r.rows} row(s); extensions ${r.extensions.created} new, ${r.extensions.changed} changed; devices ${r.devices.created} new, ${r.devices.changed} changed.`;
  const showProblems = (e) => {
    clear(problems);
    if (!e.problems.length) return;
    // The server lists the first 1000; problems_total counts them all.
    const total = e.problems_total || e.problems.length;
    const caption = total > e.problems.length ? `${total} problem(s), the first ${e.problems.length} shown` : `${total} problem(s)`;
    problems.append(table(caption, ['Line', 'Column', 'Problem'],
      e.problems.map((p) => el('tr', {}, el('td', { text: p.line }), el('td', { text: p.column }), el('td', { text: p.reason })))));
  };

  dry.addEventListener('click', async () => {
    run.disabled = true;
    if (!await read()) return;
    try {
      const r = await api('POST', '/imports?dry_run=true', csv);
      clear(problems);
      message(status, `${summary(r.body)} Nothing was stored: press Import to store it.`, 'ok');
      run.disabled = false;
      run.focus();
    } catch (e) {
      message(status, e.message);
      showProblems(e);
    }
  });

  run.addEventListener('click', async () => {
    run.disabled = true;
    dry.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      const r = await api('POST', '/imports?async=true', csv);
      if (r.status === 202) await follow(r.body.id);
      else { progress.value = 100; message(status, summary(r.body), 'ok'); }
    } catch (e) {
      message(status, e.message);
      showProblems(e);
    }
    dry.disabled = false;
  });

  const follow = async (id) => {
    for (let i = 0; i < 3600 && !stopped; i += 1) {
      const s = (await api('GET', `/imports/${id}`)).body;
      if (s.rows_total) progress.value = Math.round((100 * s.rows_done) / s.rows_total);
      message(status, `Importing: ${s.rows_done || 0} of ${s.rows_total || '?'} rows…`, 'info');
      if (s.state === 'done') { progress.value = 100; message(status, summary(s.report), 'ok'); return; }
      if (s.state === 'failed') {
        const err = (s.report && s.report.error) || {};
        message(status, err.message || 'The import failed: nothing was stored.');
        showProblems({ problems: err.problems || [] });
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  exportBtn.addEventListener('click', async () => {
    // Fetched, not linked: a refusal is shown here instead of a JSON page.
    const r = await fetch('/api/v1/exports', { credentials: 'same-origin' });
    if (!r.ok) { message(status, `Export refused (${r.status}).`); return; }
    const url = URL.createObjectURL(await r.blob());
    const a = el('a', { href: url, download: 'inventory.csv' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  return () => { stopped = true; };
}
