// "Send Invitation Email" on a softphone extension: POST queues it; the list
// (GET) shows queued / sent / failed with the SMTP server's reply, polled
// while one is queued (sending may take 30 seconds or more). The status line
// (a live region) follows the invitation just sent until it is sent or
// failed: the list alone would change without a screen reader saying so.

import { api, enc, missing } from './api.js';
import { el, clear, fmtTime, message, uid } from './ui.js';

export function invitationsBox(ext, admin) {
  const status = el('div', { class: 'message', role: 'status' });
  const list = el('ul', { class: 'invitations' });
  const box = el('div', { class: 'card invitations-box' }, el('h3', { text: 'Softphone invitation' }), status);
  let timer = 0;
  let polls = 0;
  let sending = 0; // the id of the invitation this box sent and still follows
  const load = async () => {
    clearTimeout(timer);
    try {
      const b = (await api('GET', `/extensions/${enc(ext.extension)}/invitations`)).body;
      const items = Array.isArray(b) ? b : b.items || [];
      clear(list);
      for (const i of items) {
        list.append(el('li', { class: `inv-${i.state}` },
          `${i.email || ''}: ${i.state}${i.revoked ? ' (revoked)' : ''}`,
          i.smtp_reply ? ` — SMTP: ${i.smtp_reply}` : '',
          i.sent_at ? ` — sent ${fmtTime(i.sent_at)}` : '',
          i.state === 'queued' && i.next_try_at ? ` — next try ${fmtTime(i.next_try_at)}` : ''));
      }
      const mine = items.find((i) => i.id === sending);
      if (mine && mine.state !== 'queued') {
        sending = 0;
        const reply = mine.smtp_reply ? ` (SMTP: ${mine.smtp_reply})` : '';
        if (mine.state === 'sent') message(status, `Invitation sent to ${mine.email}${reply}.`, 'ok');
        else message(status, `Invitation to ${mine.email} ${mine.state}${reply}.`);
      }
      if (items.some((i) => i.state === 'queued') && polls < 60 && box.isConnected) {
        polls += 1;
        timer = setTimeout(load, 3000);
      }
    } catch (e) {
      message(status, missing(e, 'Invitations'), 'info');
    }
  };
  if (admin) {
    const email = el('input', { type: 'email', id: uid('inv-email'), value: ext.voicemail_email || '' });
    const send = el('button', { type: 'button', class: 'primary', text: 'Send Invitation Email' });
    send.addEventListener('click', async () => {
      send.disabled = true;
      try {
        const body = email.value.trim() ? { email: email.value.trim() } : {};
        sending = (await api('POST', `/extensions/${enc(ext.extension)}/invitations`, body)).body.id;
        message(status, 'Invitation queued: sending may take 30 seconds or more.', 'ok');
        polls = 0;
        load();
      } catch (e) {
        message(status, e.fields && e.fields.email ? `E-mail: ${e.fields.email}` : missing(e, 'Sending invitations'));
      }
      send.disabled = false;
    });
    box.append(el('div', { class: 'field inline' }, el('label', { for: email.id, text: 'E-mail' }), email), send);
  }
  box.append(list);
  load();
  return box;
}
