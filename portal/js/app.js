// The portal's shell: sign-in, the navigation a role may use, and a hash
// router (#/extensions, #/devices, ...) that draws one screen at a time.

import { api, auth, whenSignedOut } from './api.js';
import { dropEarly } from './boot.js';
import { el, clear } from './ui.js';
import { extensionsScreen } from './extensions.js';
import { devicesScreen } from './devices.js';
import { importScreen } from './imports.js';
import { stagingScreen } from './staging.js';
import { settingsScreen, eventsScreen, auditScreen, usersScreen } from './admin.js';

const SCREENS = [
  { path: 'extensions', title: 'Extensions', draw: extensionsScreen, roles: ['admin', 'installer', 'viewer'] },
  { path: 'devices', title: 'Devices', draw: devicesScreen, roles: ['admin', 'installer', 'viewer'] },
  { path: 'import', title: 'Import', draw: importScreen, roles: ['admin'] },
  { path: 'staging', title: 'Staging', draw: stagingScreen, roles: ['admin', 'installer', 'viewer'] },
  { path: 'settings', title: 'Settings', draw: settingsScreen, roles: ['admin', 'installer', 'viewer'] },
  { path: 'events', title: 'Events', draw: eventsScreen, roles: ['admin', 'installer', 'viewer'] },
  { path: 'audit', title: 'Audit', draw: auditScreen, roles: ['admin', 'viewer'] },
  { path: 'users', title: 'Users', draw: usersScreen, roles: ['admin'] },
];

let cleanup = null;  // the current screen's stop function (timers, streams)

function allowed() { return SCREENS.filter((s) => s.roles.includes(auth.role)); }

function showSignIn(text = '') {
  if (cleanup) { cleanup(); cleanup = null; }
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('whoami').textContent = '';
  document.getElementById('screen').hidden = true;
  document.getElementById('sign-in').hidden = false;
  document.getElementById('sign-in-error').textContent = text;
  document.title = 'Sign in · Provisioner';
}

function drawNav() {
  const nav = clear(document.getElementById('nav'));
  const current = location.hash.replace(/^#\/?/, '').split('?')[0];
  for (const s of allowed()) {
    nav.append(el('a', { href: `#/${s.path}`, 'aria-current': s.path === current ? 'page' : false, text: s.title }));
  }
  nav.hidden = false;
  document.getElementById('sign-out').hidden = false;
  document.getElementById('whoami').textContent = `${auth.name} (${auth.role})`;
}

function route() {
  if (!auth.role) return;
  const path = location.hash.replace(/^#\/?/, '').split('?')[0];
  const screens = allowed();
  const s = screens.find((x) => x.path === path) || screens[0];
  if (s.path !== path) { location.replace(`#/${s.path}`); return; }
  if (cleanup) { cleanup(); cleanup = null; }
  document.getElementById('sign-in').hidden = true;
  const box = clear(document.getElementById('screen'));
  box.hidden = false;
  box.setAttribute('aria-labelledby', 'screen-title');
  box.append(el('h1', { id: 'screen-title', text: s.title }));
  document.title = `${s.title} · Provisioner`;
  drawNav();
  cleanup = s.draw(box) || null;
  // The screen has sent its first request by now: an early one (boot.js)
  // that no screen took is not kept for a later one.
  dropEarly();
}

function tookSession(body) {
  auth.name = body.user.name;
  auth.role = body.user.role;
  auth.csrf = body.csrf_token;
}

function forget() { Object.assign(auth, { name: '', role: '', csrf: '' }); }

async function signIn(ev) {
  ev.preventDefault();
  const f = ev.target;
  const err = document.getElementById('sign-in-error');
  err.textContent = '';
  if (!f.name.value || !f.password.value) { err.textContent = 'Enter your name and password.'; return; }
  // For bench/portal_grid.py: from here to the painted grid.
  performance.clearMarks('portal:sign-in');
  performance.mark('portal:sign-in');
  try {
    const r = await api('POST', '/session', { name: f.name.value, password: f.password.value });
    tookSession(r.body);
    f.reset();
    route();
  } catch (e) {
    forget();
    if (e.status === 429) err.textContent = `Too many attempts: try again in ${e.retryAfter || 'a few'} seconds.`;
    else if (e.status === 401) err.textContent = 'Wrong name or password.';
    else err.textContent = e.message;
  }
}

async function signOut() {
  await api('DELETE', '/session').catch(() => {});
  forget();
  showSignIn();
}

async function start() {
  // An API token an earlier portal kept for the tab: gone, unused.
  sessionStorage.removeItem('provisioner.token');
  document.getElementById('sign-in-form').addEventListener('submit', signIn);
  document.getElementById('sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  whenSignedOut(() => {
    if (!auth.role) return;
    forget();
    showSignIn('Your session has ended: sign in again.');
  });
  try {
    tookSession((await api('GET', '/session')).body);
    route();
  } catch (e) {
    dropEarly();
    forget();
    showSignIn();
  }
}

start();
