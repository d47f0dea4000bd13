// SPDX-License-Identifier: Apache-2.0
// The org policy page: the structured editor (with the raw JSON as an
// advanced tab), a review of the change (diff and impact preview) before
// saving, saving with If-Match so a concurrent edit is shown rather than
// overwritten, the daemon's 422 problems at their fields, and the history
// with rollback.
import { $, el, clear, setAlert, show, toast, fmtTime, timeCell, begin, query } from './dom.js';
import { api, session, errorText, errorDetails, detailsList, commentArgs } from './api.js';
import { loadSchema } from './schema.js';
import { createPanel } from './panel.js';
import { diffDocs, renderDiff } from './diff.js';
import { renderReview } from './review.js';
import { loadHealth } from './overview.js';

const st = { panel: null, base: null, etag: null, version: null, selected: null };

async function ensurePanel() {
  if (st.panel) return st.panel;
  const schema = await loadSchema();
  st.panel = createPanel({ schema, layer: 'org', sourceOf: () => 'default', label: 'Org policy document' });
  st.panel.onChange(onEdit);
  $('policy-panel').append(st.panel.node);
  return st.panel;
}

function onEdit() {
  $('policy-review-box').hidden = true;
  updateProblemCount();
}

function updateProblemCount() {
  const n = st.panel.problems().length;
  $('policy-problem-count').textContent = n ? n + ' problem' + (n === 1 ? '' : 's') + ' to fix' : '';
}

async function loadHealthVersion() {
  const h = await loadHealth(); // also brings the footer up to date
  return h.ok && h.data ? h.data.policyVersion : null;
}

function setMeta() {
  $('policy-meta').textContent = (st.version !== null ? 'Current version ' + st.version : '') + (st.etag ? ' \u00b7 ETag ' + st.etag : '');
  $('policy-meta').dataset.version = String(st.version);
}

export async function loadPolicy() {
  const current = begin('policy');
  clear($('policy-result'));
  $('policy-review-box').hidden = true;
  let panel;
  try {
    panel = await ensurePanel();
  } catch (e) {
    setAlert($('policy-unavailable'), 'error', String(e.message || e));
    return;
  }
  const r = await api('GET', '/v1/policy');
  if (!current()) return;
  if (!r.ok || !r.data) {
    setAlert($('policy-unavailable'), r.status === 404 || r.status === 403 ? 'info' : 'error', r.status === 404
      ? 'The policy API (GET /v1/policy) is not available on this server (404). This daemon serves the policy from its settings file only.'
      : errorText(r, 'The policy API'));
    show($('policy-editor-block'), false);
  } else {
    $('policy-unavailable').hidden = true;
    show($('policy-editor-block'), true);
    st.base = r.data;
    st.etag = r.headers.get('ETag');
    panel.setDocument(r.data);
    panel.setReadOnly(session.role !== 'admin');
    updateProblemCount();
  }
  st.version = await loadHealthVersion();
  if (!current()) return;
  setMeta();
  $('policy-review').disabled = session.role !== 'admin';
  await loadVersions();
}

// Check the edit with the daemon (dry run), then show the diff and impact.
async function review() {
  const result = $('policy-result');
  const doc = st.panel.getDocument();
  clear(result);
  if (!doc) {
    result.append(el('div', { class: 'alert alert-error', role: 'alert', text: 'The JSON tab holds a syntax error; fix it before reviewing.' }));
    return;
  }
  const rows = diffDocs(st.base, doc);
  if (rows.length === 0) {
    result.append(el('div', { class: 'alert alert-info', role: 'status', text: 'No changes to review: the document equals version ' + st.version + '.' }));
    return;
  }
  const r = await api('PUT', '/v1/policy' + query({ dry_run: 'true' }), { body: doc });
  if (!r.ok) {
    showChangeError(r);
    return;
  }
  renderReview($('policy-review-body'), rows, { impact: true, doc, caption: 'Changes from version ' + st.version });
  const warnings = r.data && r.data.warnings && r.data.warnings.length ? [el('p', { text: 'Warnings:' }), detailsList(r.data.warnings)] : [];
  if (warnings.length) $('policy-review-body').prepend(el('div', { class: 'alert alert-warn' }, warnings));
  $('policy-save').textContent = 'Save as version ' + ((st.version || 0) + 1);
  $('policy-review-box').hidden = false;
  $('policy-review-title').focus();
}

function showChangeError(r) {
  const result = $('policy-result');
  const err = r.data && r.data.error;
  const box = el('div', { class: 'alert alert-error', role: 'alert' });
  if (r.status === 422) {
    const details = errorDetails(r);
    st.panel.showDaemonProblems(details);
    updateProblemCount();
    box.append(el('strong', { text: 'The daemon refused the policy (' + details.length + ' problem' + (details.length === 1 ? '' : 's') + ').' }),
      ' Nothing was saved; each problem is shown at its field.', detailsList(details));
    clear(result).append(box);
    if (st.panel.tabs.selected() === 'settings') st.panel.editor.focusFirstProblem();
    return;
  }
  if (r.status === 412) {
    clear(result);
    showConflict();
    return;
  }
  box.append(errorText(r), detailsList(err && err.details));
  clear(result).append(box);
}

// Someone saved since this page loaded: show what they changed and let the
// admin choose; nothing is overwritten.
async function showConflict() {
  $('policy-review-box').hidden = true;
  const cur = await api('GET', '/v1/policy');
  const version = await loadHealthVersion();
  const box = el('div', { class: 'alert alert-warn conflict', role: 'alert' });
  if (!cur.ok || !cur.data) {
    box.append(el('strong', { text: 'Changed by someone else.' }), ' ' + errorText(cur));
    $('policy-result').replaceChildren(box);
    return;
  }
  const theirs = diffDocs(st.base, cur.data);
  box.append(el('strong', { text: 'Changed by someone else.' }),
    ' Version ' + version + ' was saved after you loaded version ' + st.version + ', so your save was refused and nothing was overwritten. Their changes:',
    renderDiff(theirs, 'Changes made by someone else'),
    el('div', { class: 'form-actions' },
      el('button', { type: 'button', class: 'btn', text: 'Discard my edits and load version ' + version, onclick: () => loadPolicy() }),
      el('button', { type: 'button', class: 'btn btn-primary', text: 'Keep my edits and review them against version ' + version,
        onclick: () => {
          st.base = cur.data;
          st.etag = cur.headers.get('ETag');
          st.version = version;
          setMeta();
          review();
        } })));
  $('policy-result').replaceChildren(box);
  box.querySelector('button').focus();
}

async function save() {
  const doc = st.panel.getDocument();
  if (!doc) return;
  const headers = {};
  const params = {};
  if (st.etag) headers['If-Match'] = st.etag;
  commentArgs($('policy-comment').value.trim(), headers, params);
  $('policy-save').disabled = true;
  const r = await api('PUT', '/v1/policy' + query(params), { body: doc, headers });
  $('policy-save').disabled = false;
  if (!r.ok || !r.data) {
    $('policy-review-box').hidden = true;
    showChangeError(r);
    return;
  }
  $('policy-comment').value = '';
  const d = r.data;
  await loadPolicy();
  $('policy-result').replaceChildren(el('div', { class: 'alert alert-ok', role: 'status' },
    el('strong', { text: d.changed ? 'Saved as version ' + d.version + '.' : 'No change: the document equals version ' + d.version + '.' }), ' ',
    d.changed ? el('a', { href: '#audit?action=policy.updated', text: 'See the policy.updated record in the audit log' }) : null));
}

// ---- versions and rollback ------------------------------------------------

async function loadVersions() {
  const tbody = $('versions-table').tBodies[0];
  const note = $('versions-unavailable');
  const current = begin('versions');
  const r = await api('GET', '/v1/policy/versions' + query({ limit: 50 }));
  if (!current()) return;
  clear(tbody);
  if (!r.ok || !r.data) {
    setAlert(note, 'info', r.status === 404 ? 'Policy history is not available on this server (404).'
      : r.status === 403 ? 'The policy history needs the admin role.' : errorText(r));
    return;
  }
  note.hidden = true;
  const list = r.data.versions || [];
  if (list.length === 0) tbody.append(el('tr', null, el('td', { colspan: 6, class: 'empty', text: 'No versions recorded yet.' })));
  for (const v of list) {
    tbody.append(el('tr', { dataset: { version: String(v.version) } },
      el('td', { class: 'num' }, 'v' + v.version, v.version === st.version ? [' ', el('span', { class: 'badge badge-allow', text: 'current' })] : null),
      timeCell(v.time),
      el('td', { text: v.actor || '' }),
      el('td', null, el('span', { class: 'badge', text: v.source || '' })),
      el('td', { text: v.comment || '' }),
      el('td', null, el('div', { class: 'row-actions' },
        el('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'View version ' + v.version, onclick: () => viewVersion(v.version), text: 'View' })))));
  }
}

async function viewVersion(n) {
  const r = await api('GET', '/v1/policy/versions/' + encodeURIComponent(n));
  if (!r.ok || !r.data) {
    toast(errorText(r, 'Policy version ' + n));
    return;
  }
  st.selected = r.data;
  $('version-view-title').textContent = 'Version ' + n + (r.data.time ? ' \u00b7 ' + fmtTime(r.data.time) : '') + (r.data.actor ? ' \u00b7 ' + r.data.actor : '');
  $('version-doc').textContent = JSON.stringify(r.data.document !== undefined ? r.data.document : r.data, null, 2);
  $('version-confirm').hidden = true;
  $('version-view').hidden = false;
  $('version-view').scrollIntoView({ block: 'nearest' });
  $('version-doc').focus();
}

async function rollback() {
  const v = st.selected;
  if (!v) return;
  $('version-confirm').hidden = true;
  const r = await api('POST', '/v1/policy/rollback', { body: { version: v.version } });
  if (!r.ok || !r.data) {
    toast(errorText(r, 'Rollback'));
    showChangeError(r);
    return;
  }
  $('version-view').hidden = true;
  await loadPolicy();
  const msg = r.data.changed ? 'Rolled back: version ' + r.data.version + ' now serves the document of version ' + v.version + '.'
    : 'Version ' + v.version + ' is already what is being served.';
  $('policy-result').replaceChildren(el('div', { class: 'alert alert-ok', role: 'status', text: msg }));
}

export function initPolicy() {
  $('policy-reload').addEventListener('click', loadPolicy);
  $('policy-review').addEventListener('click', review);
  $('policy-save').addEventListener('click', save);
  $('policy-review-close').addEventListener('click', () => { $('policy-review-box').hidden = true; $('policy-review').focus(); });
  $('view-policy').addEventListener('keydown', (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 's') { ev.preventDefault(); if (session.role === 'admin') review(); }
  });
  $('version-close').addEventListener('click', () => { $('version-view').hidden = true; });
  $('version-load').addEventListener('click', () => {
    const v = st.selected;
    if (!v || !st.panel) return;
    st.panel.setDocument(v.document);
    updateProblemCount();
    $('policy-comment').value = 'restore version ' + v.version;
    toast('Version ' + v.version + ' loaded into the editor; review and save to make it current.');
  });
  $('version-rollback').addEventListener('click', () => {
    const v = st.selected;
    if (!v) return;
    $('version-confirm-text').textContent = 'Make version ' + v.version + '\u2019s document current again? This records a new version.';
    $('version-confirm').hidden = false;
    $('version-confirm-yes').focus();
  });
  $('version-confirm-yes').addEventListener('click', rollback);
  $('version-confirm-no').addEventListener('click', () => { $('version-confirm').hidden = true; });
}
