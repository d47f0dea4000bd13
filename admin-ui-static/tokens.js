// SPDX-License-Identifier: Apache-2.0
// API tokens: list, create (the secret is shown once, then only its hash is
// kept) and revoke, which takes effect on the next request.
import { $, el, clear, setAlert, toast, timeCell, begin, isoOf, fmtTime } from './dom.js';
import { api, session, errorText, detailsList } from './api.js';

function tokenStatus(t) {
  if (t.revoked) return 'revoked';
  if (t.expires && Date.parse(isoOf(t.expires)) <= Date.now()) return 'expired';
  return t.active === false ? 'inactive' : 'active';
}

export async function loadTokens() {
  const tbody = $('tokens-table').tBodies[0];
  const current = begin('tokens');
  const r = await api('GET', '/v1/tokens');
  if (!current()) return;
  clear(tbody);
  if (!r.ok || !r.data) {
    tbody.append(el('tr', null, el('td', { colspan: 7, class: 'empty', text: r.status === 403 ? 'Managing tokens needs the admin role.' : errorText(r) })));
    return;
  }
  const list = r.data.tokens || [];
  if (list.length === 0) tbody.append(el('tr', null, el('td', { colspan: 7, class: 'empty', text: 'No tokens.' })));
  for (const t of list) {
    const status = tokenStatus(t);
    const actions = el('td', null);
    const row = el('tr', { dataset: { name: t.name, status } },
      el('td', { class: 'value', text: t.name }),
      el('td', { text: t.role }),
      timeCell(t.created),
      el('td', { text: t.createdBy || '' }),
      t.expires ? timeCell(t.expires) : el('td', { class: 'muted', text: 'never' }),
      el('td', null, el('span', { class: 'badge badge-' + status, text: status }), t.revoked ? el('span', { class: 'muted small', text: ' ' + fmtTime(t.revoked) }) : null),
      actions);
    if (status === 'active') renderRevoke(actions, t.name);
    tbody.append(row);
  }
}

function renderRevoke(cell, name) {
  clear(cell).append(el('div', { class: 'row-actions' }, el('button', {
    type: 'button', class: 'btn btn-small btn-danger', 'aria-label': 'Revoke token ' + name, text: 'Revoke',
    onclick: () => {
      const yes = el('button', { type: 'button', class: 'btn btn-small btn-danger', text: 'Confirm revoke', onclick: () => revokeToken(name) });
      clear(cell).append(el('div', { class: 'row-actions' }, el('span', { class: 'small', text: 'Revoke \u201c' + name + '\u201d now?' }), yes,
        el('button', { type: 'button', class: 'btn btn-small btn-ghost', text: 'Cancel', onclick: () => renderRevoke(cell, name) })));
      yes.focus();
    },
  })));
}

async function revokeToken(name) {
  const r = await api('DELETE', '/v1/tokens/' + encodeURIComponent(name));
  if (!session.token) return; // revoked our own token
  if (r.status === 204 || r.ok) toast('Token \u201c' + name + '\u201d revoked.');
  else toast(errorText(r));
  loadTokens();
}

async function createToken(ev) {
  ev.preventDefault();
  const errBox = $('token-error');
  const name = $('token-name').value.trim();
  if (!name) {
    setAlert(errBox, 'error', 'Give the token a name.');
    $('token-name').focus();
    return;
  }
  const ttl = Number($('token-expiry').value);
  const r = await api('POST', '/v1/tokens', { body: { name, role: $('token-role').value, expiresIn: ttl > 0 ? ttl : null } });
  if (r.status !== 201 || !r.data) {
    const err = r.data && r.data.error;
    setAlert(errBox, 'error', r.status === 409 ? 'A token named \u201c' + name + '\u201d already exists.' : errorText(r), detailsList(err && err.details));
    return;
  }
  errBox.hidden = true;
  $('token-name').value = '';
  $('secret-value').value = r.data.secret;
  $('secret-copied').textContent = '';
  $('secret-box').hidden = false;
  $('secret-value').focus();
  $('secret-value').select();
  loadTokens();
}

async function copySecret() {
  const input = $('secret-value');
  const note = $('secret-copied');
  try {
    await navigator.clipboard.writeText(input.value);
    note.textContent = 'Copied to the clipboard.';
  } catch (e) {
    input.focus();
    input.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
    note.textContent = ok ? 'Copied to the clipboard.' : 'Select the secret and copy it with Ctrl+C.';
  }
}

export function initTokens() {
  $('token-form').addEventListener('submit', createToken);
  $('secret-copy').addEventListener('click', copySecret);
  $('secret-done').addEventListener('click', () => {
    $('secret-value').value = '';
    $('secret-box').hidden = true;
    $('token-name').focus();
  });
}
