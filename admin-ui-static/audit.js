// SPDX-License-Identifier: Apache-2.0
// The audit log: filters (also taken from links such as the chart's), keyset
// paging with the daemon's cursor, chain verification and NDJSON/CSV export
// of every matching row.
import { $, el, clear, setAlert, toast, timeCell, begin, query, ruleChips } from './dom.js';
import { api, errorText, detailsList } from './api.js';

const RULE_IDS = ['privileged', 'host-pid', 'host-ipc', 'host-uts', 'host-userns', 'host-network',
  'host-cgroupns', 'cap-add', 'device', 'security-opt', 'sysctl', 'bind-outside-shares',
  'protected-path', 'docker-socket', 'registry', 'docker-load', 'build-network-host',
  'plugin-install', 'missing-body'];
const st = { next: null, shown: 0, query: null };

function utc(localValue) {
  if (!localValue) return '';
  return (localValue.length === 16 ? localValue + ':00' : localValue) + 'Z';
}

function auditFilters() {
  return {
    action: $('audit-action').value.trim(),
    actor: $('audit-actor').value.trim(),
    rule: $('audit-rule').value.trim(),
    decision: $('audit-decision').value,
    since: utc($('audit-since').value),
    until: utc($('audit-until').value),
  };
}

function auditRow(e) {
  const detail = el('tr', { class: 'detail-row', hidden: true },
    el('td', { colspan: 9 }, el('pre', { class: 'code', tabindex: '0', 'aria-label': 'Event ' + e.id + ' as JSON', text: JSON.stringify(e, null, 2) })));
  const toggle = el('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-expanded': 'false', 'aria-label': 'Details of event ' + e.id, text: 'Details' });
  toggle.addEventListener('click', () => {
    detail.hidden = !detail.hidden;
    toggle.setAttribute('aria-expanded', String(!detail.hidden));
  });
  const row = el('tr', { dataset: { id: String(e.id), action: e.action || '' } },
    el('td', { class: 'num', text: String(e.id) }),
    timeCell(e.time),
    el('td', { class: 'value', text: e.action || '' }),
    el('td', { text: e.actor || '' }),
    el('td', { class: 'value', text: e.subject || '' }),
    el('td', null, e.decision ? el('span', { class: 'badge badge-' + e.decision, text: e.decision }) : ''),
    el('td', null, ruleChips(e.rules)),
    el('td', { class: 'num', text: e.policy_version === null || e.policy_version === undefined ? '' : 'v' + e.policy_version }),
    el('td', null, toggle));
  return [row, detail];
}

async function auditPage(reset) {
  const tbody = $('audit-table').tBodies[0];
  const errBox = $('audit-error');
  if (reset) {
    st.query = auditFilters();
    st.next = null;
    st.shown = 0;
  }
  const params = Object.assign({}, st.query, { limit: $('audit-limit').value, cursor: reset ? null : st.next });
  const current = begin('audit');
  const r = await api('GET', '/v1/audit' + query(params));
  if (!current()) return;
  if (reset) clear(tbody);
  if (!r.ok || !r.data) {
    setAlert(errBox, 'error', errorText(r), detailsList(r.data && r.data.error && r.data.error.details));
    $('audit-more').hidden = true;
    return;
  }
  errBox.hidden = true;
  const events = r.data.events || [];
  for (const e of events) tbody.append(...auditRow(e));
  st.shown += events.length;
  st.next = r.data.next || null;
  if (st.shown === 0) tbody.append(el('tr', null, el('td', { colspan: 9, class: 'empty', text: 'No events match these filters.' })));
  $('audit-more').hidden = !st.next;
  $('audit-count').textContent = st.shown + ' event' + (st.shown === 1 ? '' : 's') + ' shown' + (st.next ? ' \u00b7 more available' : '');
}

// Fill the filters from a link (#audit?rule=...&since=...) and search.
export function enterAudit(params) {
  $('audit-verify-result').hidden = true;
  if (params && [...params.keys()].length > 0) {
    $('audit-form').reset();
    const local = (t) => (t ? t.replace(/(\.\d+)?Z$/, '').slice(0, 19) : '');
    for (const k of ['action', 'actor', 'rule', 'decision']) if (params.has(k)) $('audit-' + k).value = params.get(k);
    if (params.has('since')) $('audit-since').value = local(params.get('since'));
    if (params.has('until')) $('audit-until').value = local(params.get('until'));
  }
  auditPage(true);
}

async function verifyChain() {
  const box = $('audit-verify-result');
  const btn = $('audit-verify');
  btn.disabled = true;
  setAlert(box, 'info', 'Verifying the hash chain\u2026');
  try {
    const r = await api('GET', '/v1/audit/verify');
    if (!r.ok || !r.data) {
      setAlert(box, 'error', errorText(r, 'Chain verification'));
    } else if (r.data.ok) {
      setAlert(box, 'ok', el('strong', { text: 'Chain OK.' }), ' ' + r.data.rows + ' event' + (r.data.rows === 1 ? '' : 's') + ' verified; no row was changed, removed or reordered.');
    } else {
      setAlert(box, 'error', el('strong', { text: 'Chain broken' }), ' at event #' + r.data.first_bad_id + ': ' + (r.data.reason || 'hash mismatch') + '. ' + r.data.rows + ' events checked.');
    }
  } finally {
    btn.disabled = false;
  }
}

async function exportAudit(format) {
  const q = Object.assign({}, st.query || auditFilters(), { format });
  const r = await api('GET', '/v1/audit' + query(q), { blob: true });
  if (!r.ok || !r.blob) {
    setAlert($('audit-error'), 'error', errorText(r, 'Export'));
    return;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const url = URL.createObjectURL(r.blob);
  const a = el('a', { href: url, download: 'lockset-audit-' + stamp + '.' + format, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  toast('Exported ' + format.toUpperCase() + ' (' + r.blob.size + ' bytes).');
}

export function initAudit() {
  const rules = $('audit-rules');
  for (const id of RULE_IDS) rules.append(el('option', { value: id }));
  $('audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); auditPage(true); });
  $('audit-reset').addEventListener('click', () => { $('audit-form').reset(); auditPage(true); });
  $('audit-more').addEventListener('click', () => auditPage(false));
  $('audit-verify').addEventListener('click', verifyChain);
  $('audit-export-ndjson').addEventListener('click', () => exportAudit('ndjson'));
  $('audit-export-csv').addEventListener('click', () => exportAudit('csv'));
}
