// SPDX-License-Identifier: Apache-2.0
// lockset admin console, the entry module: sign in with a bearer token (kept
// in sessionStorage only), find the token's role, and route between the pages
// by the location hash ("#audit?rule=privileged" opens the audit log with that
// filter). Every page lives in its own module; no framework, no eval, no
// innerHTML: every piece of API data reaches the page as text.
import { $, show, setAlert, query } from './dom.js';
import { api, session, errorText } from './api.js';
import { loadOverview, loadHealth } from './overview.js';
import { initChart } from './chart.js';
import { initSettings, startSettings, stopSettings } from './settings.js';
import { initPolicy, loadPolicy } from './policy.js';
import { initUsers, enterUsers } from './users.js';
import { initAudit, enterAudit } from './audit.js';
import { loadHosts } from './hosts.js';
import { initTokens, loadTokens } from './tokens.js';

const TOKEN_KEY = 'lockset.token';
const VIEWS = {
  overview: loadOverview,
  settings: startSettings,
  policy: loadPolicy,
  users: enterUsers,
  audit: enterAudit,
  hosts: loadHosts,
  tokens: loadTokens,
};
let view = null;

function parseHash() {
  const h = location.hash.slice(1);
  const q = h.indexOf('?');
  const name = q < 0 ? h : h.slice(0, q);
  return { name: name in VIEWS ? name : null, params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
}

async function detectRole() {
  const s = await api('GET', '/v1/settings', { signingIn: true });
  if (s.status === 401) return { error: 'That token was not accepted (401). Check that you pasted the whole secret and that it has not been revoked or has expired.' };
  if (s.status === 429 || s.netError) return { error: errorText(s) };
  if (s.status === 403) return { error: 'That token has no role that may use this console (403).' };
  if (!s.ok) return { error: 'Unexpected answer from the daemon: ' + errorText(s) };
  const t = await api('GET', '/v1/tokens', { signingIn: true });
  if (t.ok) return { role: 'admin' };
  const a = await api('GET', '/v1/audit' + query({ limit: 1 }), { signingIn: true });
  if (a.ok) return { role: 'auditor' };
  return { role: 'runtime' };
}

async function signIn(token) {
  const button = $('signin-button');
  button.disabled = true;
  session.token = token;
  try {
    const r = await detectRole();
    if (r.error) {
      session.token = null;
      setAlert($('signin-error'), 'error', r.error);
      $('token-input').focus();
      return;
    }
    session.role = r.role;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('signin-error').hidden = true;
    $('token-input').value = '';
    enterSession();
  } finally {
    button.disabled = false;
  }
}

function enterSession() {
  const badge = $('role-badge');
  badge.textContent = 'role: ' + session.role;
  badge.className = 'role-badge role-' + session.role;
  show($('session'), true);
  show($('nav'), true);
  show($('view-signin'), false);
  for (const b of ['version-rollback', 'token-create']) $(b).disabled = session.role !== 'admin';
  loadHealth();
  if (!parseHash().name) location.hash = '#overview'; // routes on hashchange
  else route();
}

function signOut(message) {
  session.token = null;
  session.role = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopSettings();
  show($('session'), false);
  show($('nav'), false);
  for (const v of Object.keys(VIEWS)) show($('view-' + v), false);
  show($('view-signin'), true);
  view = null;
  if (message) setAlert($('signin-error'), 'error', message);
  else $('signin-error').hidden = true;
  $('token-input').focus();
}

function route() {
  if (!session.token) return;
  const { name: parsed, params } = parseHash();
  const name = parsed || 'overview';
  if (view === 'settings' && name !== 'settings') stopSettings();
  if (view !== name) $('toast').hidden = true;
  const moved = view !== null && view !== name;
  view = name;
  for (const v of Object.keys(VIEWS)) show($('view-' + v), v === name);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = $(name + '-title').textContent + ' \u2013 lockset admin';
  // A new page takes the focus to its heading, so keyboard and screen-reader
  // users start at its top.
  if (moved) $(name + '-title').focus({ preventScroll: false });
  VIEWS[name](params);
}

function init() {
  session.onUnauthorized = signOut;
  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('token-input').value.trim();
    if (!t) {
      setAlert($('signin-error'), 'error', 'Paste an API token first.');
      return;
    }
    signIn(t);
  });
  $('sign-out').addEventListener('click', () => signOut(null));
  // The skip link must not touch the hash: the hash names the view.
  document.querySelector('.skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    $('main').focus();
  });
  window.addEventListener('hashchange', route);
  $('overview-refresh').addEventListener('click', loadOverview);
  initChart();
  initSettings();
  initPolicy();
  initUsers();
  initAudit();
  initTokens();

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
  else signOut(null);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
