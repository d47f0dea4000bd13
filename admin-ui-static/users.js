// SPDX-License-Identifier: Apache-2.0
// Per-user policies: the list (GET /v1/policy/users), one user's policy in the
// same editor as the org policy, a review before saving, its history with what
// each version changed, and the user's effective settings with the source
// layer of every key.
import { $, el, clear, setAlert, toast, timeCell, begin, query } from './dom.js';
import { api, session, errorText, errorDetails, detailsList, commentArgs } from './api.js';
import { loadSchema } from './schema.js';
import { createPanel } from './panel.js';
import { diffDocs, diffSummary } from './diff.js';
import { renderReview } from './review.js';
import { renderSettingsTable } from './settings.js';

const st = { panel: null, user: null, base: null, version: null, exists: false, org: null, history: [] };
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const enc = encodeURIComponent;

// The layer an unset key falls to: the org-wide effective settings say.
function orgSource(ptr) {
  const parts = ptr.split('/').slice(1);
  let v = st.org ? st.org[parts[0]] : undefined;
  if (Array.isArray(v)) return v.length && v[0].source ? v[0].source : 'default';
  if (isObj(v) && !('source' in v) && parts.length > 1 && isObj(v[parts[1]])) v = v[parts[1]];
  return isObj(v) && v.source ? v.source : 'default';
}

async function ensurePanel() {
  if (st.panel) return st.panel;
  const schema = await loadSchema();
  st.panel = createPanel({ schema, layer: 'user-policy', sourceOf: orgSource, label: 'User policy document' });
  st.panel.onChange(() => { $('user-review-box').hidden = true; });
  $('user-panel').append(st.panel.node);
  return st.panel;
}

export async function loadUsers() {
  const current = begin('users');
  const tbody = $('users-table').tBodies[0];
  const r = await api('GET', '/v1/policy/users');
  if (!current()) return;
  clear(tbody);
  if (!r.ok || !r.data) {
    tbody.append(el('tr', null, el('td', { colspan: 3, class: 'empty', text: r.status === 404 ? 'Listing per-user policies is not available on this server (404).' : errorText(r) })));
    return;
  }
  const list = r.data.users || [];
  if (list.length === 0) tbody.append(el('tr', null, el('td', { colspan: 3, class: 'empty', text: 'No user has a policy of their own yet.' })));
  for (const u of list) {
    tbody.append(el('tr', { dataset: { user: u.user, version: String(u.version) }, class: u.user === st.user ? 'selected' : null },
      el('td', { class: 'value', text: u.user }),
      el('td', { class: 'num', text: 'v' + u.version }),
      el('td', null, el('div', { class: 'row-actions' },
        el('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'Edit the policy of ' + u.user, text: 'Edit', onclick: () => openUser(u.user) })))));
  }
}

export async function openUser(user) {
  const current = begin('user');
  $('users-error').hidden = true;
  const panel = await ensurePanel();
  const [r, org] = await Promise.all([api('GET', '/v1/policy/users/' + enc(user)), api('GET', '/v1/settings')]);
  if (!current()) return;
  st.org = org.ok ? org.data : null;
  if (!r.ok && r.status !== 404) {
    setAlert($('users-error'), 'error', errorText(r));
    return;
  }
  st.user = user;
  st.exists = r.ok;
  st.base = r.ok ? r.data.document : { configurationFileVersion: 2 };
  st.version = r.ok ? r.data.version : null;
  panel.setDocument(st.base);
  panel.setReadOnly(session.role !== 'admin');
  $('user-title').textContent = 'Policy for ' + user;
  $('user-meta').textContent = st.exists ? 'Version ' + st.version : 'No policy yet: saving creates version 1';
  $('user-meta').dataset.version = String(st.version);
  $('user-delete').hidden = !st.exists;
  $('user-delete').disabled = session.role !== 'admin';
  $('user-review').disabled = session.role !== 'admin';
  $('user-review-box').hidden = true;
  $('user-confirm').hidden = true;
  clear($('user-result'));
  $('user-detail').hidden = false;
  $('user-effective-title').textContent = 'Effective settings for ' + user;
  $('user-title').focus();
  for (const tr of $('users-table').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.user === user);
  await Promise.all([loadHistory(), loadEffective()]);
}

async function loadHistory() {
  const tbody = $('user-history').tBodies[0];
  const r = await api('GET', '/v1/policy/users/' + enc(st.user) + '/versions');
  clear(tbody);
  if (!r.ok || !r.data) {
    tbody.append(el('tr', null, el('td', { colspan: 6, class: 'empty', text: r.status === 403 ? 'The history needs the admin role.' : errorText(r) })));
    return;
  }
  const list = r.data.versions || [];
  st.history = list;
  if (list.length === 0) tbody.append(el('tr', null, el('td', { colspan: 6, class: 'empty', text: 'No versions yet.' })));
  list.forEach((v, i) => {
    const older = list[i + 1];
    const what = v.deleted ? 'policy deleted' : diffSummary(diffDocs(older && !older.deleted ? older.document : {}, v.document || {}));
    tbody.append(el('tr', { dataset: { version: String(v.version) } },
      el('td', { class: 'num', text: 'v' + v.version }),
      timeCell(v.time),
      el('td', { text: v.actor || '' }),
      el('td', { text: v.comment || '' }),
      el('td', { class: 'small', text: what }),
      el('td', null, v.deleted ? '' : el('div', { class: 'row-actions' },
        el('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'Load version ' + v.version + ' into the editor', text: 'Load',
          onclick: () => { st.panel.setDocument(v.document); toast('Version ' + v.version + ' loaded into the editor; review and save to make it current.'); } })))));
  });
}

async function loadEffective() {
  const r = await api('GET', '/v1/settings' + query({ user: st.user }));
  const tbody = $('user-effective').tBodies[0];
  if (!r.ok || !r.data) {
    clear(tbody).append(el('tr', null, el('td', { colspan: 4, class: 'empty', text: errorText(r) })));
    return;
  }
  renderSettingsTable(tbody, r.data, {});
}

async function review() {
  const doc = st.panel.getDocument();
  const result = $('user-result');
  clear(result);
  if (!doc) {
    result.append(el('div', { class: 'alert alert-error', role: 'alert', text: 'The JSON tab holds a syntax error; fix it before reviewing.' }));
    return;
  }
  const rows = diffDocs(st.base, doc);
  if (rows.length === 0 && st.exists) {
    result.append(el('div', { class: 'alert alert-info', role: 'status', text: 'No changes to review.' }));
    return;
  }
  const problems = st.panel.problems();
  if (problems.length) {
    st.panel.editor.focusFirstProblem();
    result.append(el('div', { class: 'alert alert-error', role: 'alert' }, el('strong', { text: 'Fix these first:' }), detailsList(problems)));
    return;
  }
  renderReview($('user-review-body'), rows, { impact: false, caption: 'Changes to ' + st.user + '\u2019s policy',
    noImpactNote: 'The impact preview replays recorded traffic against a proposed org policy; a user policy change is not previewed.' });
  $('user-save').textContent = 'Save as version ' + (st.exists ? st.history.length ? st.history[0].version + 1 : st.version + 1 : 1);
  $('user-review-box').hidden = false;
  $('user-review-title').focus();
}

async function save() {
  const doc = st.panel.getDocument();
  if (!doc) return;
  // The route has no If-Match: check the version has not moved meanwhile.
  const now = await api('GET', '/v1/policy/users/' + enc(st.user));
  const nowVersion = now.ok && now.data ? now.data.version : null;
  if (nowVersion !== (st.exists ? st.version : null)) {
    $('user-review-box').hidden = true;
    $('user-result').replaceChildren(el('div', { class: 'alert alert-warn conflict', role: 'alert' },
      el('strong', { text: 'Changed by someone else.' }),
      ' ' + st.user + '\u2019s policy is now ' + (nowVersion ? 'version ' + nowVersion : 'deleted') + '; nothing was saved.',
      el('button', { type: 'button', class: 'btn btn-small', text: 'Load the current policy', onclick: () => openUser(st.user) })));
    return;
  }
  const headers = {};
  const params = {};
  commentArgs($('user-comment').value.trim(), headers, params);
  const r = await api('PUT', '/v1/policy/users/' + enc(st.user) + query(params), { body: doc, headers });
  $('user-review-box').hidden = true;
  if (!r.ok || !r.data) {
    const details = errorDetails(r);
    if (r.status === 422) st.panel.showDaemonProblems(details);
    $('user-result').replaceChildren(el('div', { class: 'alert alert-error', role: 'alert' }, errorText(r), detailsList(details)));
    return;
  }
  $('user-comment').value = '';
  const user = st.user;
  await openUser(user);
  await loadUsers();
  $('user-result').replaceChildren(el('div', { class: 'alert alert-ok', role: 'status', text: 'Saved ' + user + '\u2019s policy as version ' + r.data.version + '.' }));
}

async function remove() {
  $('user-confirm').hidden = true;
  const headers = {};
  const params = {};
  commentArgs($('user-comment').value.trim(), headers, params);
  const r = await api('DELETE', '/v1/policy/users/' + enc(st.user) + query(params), { headers });
  if (r.status !== 204) {
    $('user-result').replaceChildren(el('div', { class: 'alert alert-error', role: 'alert', text: errorText(r) }));
    return;
  }
  const user = st.user;
  await loadUsers();
  await openUser(user);
  $('user-result').replaceChildren(el('div', { class: 'alert alert-ok', role: 'status', text: user + '\u2019s policy was deleted; the org policy applies to them again.' }));
}

export function initUsers() {
  $('users-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = $('users-name').value.trim();
    if (!name || name.includes('/')) {
      setAlert($('users-error'), 'error', 'Give a user name (without \u201c/\u201d).');
      $('users-name').focus();
      return;
    }
    openUser(name);
  });
  $('user-review').addEventListener('click', review);
  $('user-save').addEventListener('click', save);
  $('user-review-close').addEventListener('click', () => { $('user-review-box').hidden = true; $('user-review').focus(); });
  $('user-delete').addEventListener('click', () => {
    $('user-confirm-text').textContent = 'Delete ' + st.user + '\u2019s policy? The org policy applies to them again; the history keeps it.';
    $('user-confirm').hidden = false;
    $('user-confirm-yes').focus();
  });
  $('user-confirm-yes').addEventListener('click', remove);
  $('user-confirm-no').addEventListener('click', () => { $('user-confirm').hidden = true; });
}

export function enterUsers() {
  loadUsers();
}
