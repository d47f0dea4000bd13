// SPDX-License-Identifier: Apache-2.0
// The overview: health, decision counts from /metrics, denials over time (the
// chart) and the latest denials.
import { $, el, clear, begin, query, fmtUptime, timeCell, ruleChips } from './dom.js';
import { api, errorText } from './api.js';
import { loadChart } from './chart.js';

function stat(label, value, sub, kind) {
  return el('div', { class: 'stat' + (kind ? ' stat-' + kind : '') },
    el('div', { class: 'stat-label', text: label }),
    el('div', { class: 'stat-value', text: value }),
    sub ? el('div', { class: 'stat-sub', text: sub }) : null);
}

function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) {
      for (const lm of m[2].slice(1, -1).matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    }
    out.push({ name: m[1], labels, value: Number(m[3]), raw: line });
  }
  return out;
}

// The health checks that need attention: every one whose answer is not a
// fine one, with its text; the containers the policy would refuse, as a table.
const CHECKS = [
  ['audit', 'Audit log', ['ok']],
  ['userns', 'User namespaces (ECI)', ['ok', 'not required']],
  ['containers', 'Containers the policy would refuse', ['ok']],
  ['shares', 'Shares without nosuid,nodev', ['ok', 'not restricted']],
  ['runtimes', 'Runtimes besides runc', ['ok']],
];
// Shown as warnings: what the policy leaves open without anything failing.
const INFORMATIONAL = ['shares', 'runtimes'];

function containersTable(list) {
  return el('div', { class: 'table-wrap', tabindex: '0' },
    el('table', { class: 'data', id: 'policy-containers' },
      el('caption', { class: 'sr-only', text: 'Containers whose start the policy would refuse' }),
      el('thead', null, el('tr', null, ['Name', 'Id', 'State', 'Made by', 'Rules'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', null, list.map((c) => el('tr', { 'data-name': String(c.name || '') },
        el('td', { class: 'value', text: String(c.name || '') }), el('td', { class: 'value', text: String(c.id || '') }),
        el('td', { text: String(c.state || '') }),
        el('td', { text: c.user ? String(c.user) : 'not known', class: c.user ? null : 'muted' }),
        el('td', null, ruleChips(c.rules)))))));
}

function renderChecks(h) {
  const box = $('health-checks'), checks = h.checks || {}, engine = h.engine || {};
  clear(box);
  for (const [key, label, fine] of CHECKS) {
    const v = checks[key];
    if (typeof v !== 'string' || fine.includes(v)) continue;
    const notChecked = v.startsWith('not checked');
    const kind = notChecked || INFORMATIONAL.includes(key) ? 'warn' : 'bad';
    const item = el('li', { class: 'check stat stat-' + kind, 'data-check': key },
      el('div', { class: 'stat-label', text: label }), el('p', { class: 'check-text', text: v }));
    if (key === 'containers' && Array.isArray(engine.policyContainerList) && engine.policyContainerList.length > 0) {
      item.append(containersTable(engine.policyContainerList));
    }
    box.append(item);
  }
  box.hidden = box.childElementCount === 0;
}

export async function loadHealth() {
  const r = await api('GET', '/v1/health');
  if (r.ok && r.data) {
    $('footer-server').textContent = 'lockset ' + (r.data.version || '') + ' \u00b7 policy version ' +
      r.data.policyVersion + ' \u00b7 ' + location.host;
  }
  return r;
}

export async function loadOverview() {
  const current = begin('overview');
  const cards = $('health-cards');
  const r = await loadHealth();
  if (!current()) return;
  clear(cards);
  if (!r.ok || !r.data) {
    cards.append(stat('Status', 'unreachable', errorText(r), 'bad'));
  } else {
    const h = r.data, checks = h.checks || {};
    cards.append(
      stat('Status', h.status, h.status === 'ok' ? 'policy loaded, audit writable' : 'see the checks below', h.status === 'ok' ? 'ok' : 'bad'),
      stat('Policy version', String(h.policyVersion), checks.policy ? 'policy ' + checks.policy : null),
      stat('Audit log', String(checks.audit || 'unknown'), 'hash-chained, append-only', checks.audit === 'ok' ? 'ok' : 'bad'),
      stat('Uptime', fmtUptime(h.uptimeSeconds), h.uptimeSeconds + ' seconds'),
      stat('Server version', String(h.version || '')));
    renderChecks(h);
  }

  loadChart();
  const mc = $('metric-cards'), note = $('metrics-note');
  const m = await api('GET', '/metrics');
  if (!current()) return;
  clear(mc);
  if (m.ok) {
    note.hidden = true;
    const samples = parseMetrics(m.text);
    const by = (name, label, value) => samples.find((s) => s.name === name && (!label || s.labels[label] === value));
    const cardsDef = [
      ['Allowed', 'lockset_decisions_total', 'outcome', 'allowed', null],
      ['Denied', 'lockset_decisions_total', 'outcome', 'denied', 'bad'],
      ['Audited (audit mode)', 'lockset_decisions_total', 'outcome', 'audited', 'warn'],
      ['Not inspected', 'lockset_decisions_total', 'outcome', 'not_inspected', null],
      ['Audit write failures', 'lockset_decision_audit_failures_total', null, null, null],
    ];
    for (const [label, name, lk, lv, kind] of cardsDef) {
      const s = by(name, lk, lv);
      if (s) mc.append(stat(label, String(s.value), null, s.value > 0 ? kind : null));
    }
    const table = el('table', { class: 'data' },
      el('caption', { class: 'sr-only', text: 'Every metric the daemon exports' }),
      el('thead', null, el('tr', null, el('th', { scope: 'col', text: 'Metric' }), el('th', { scope: 'col', text: 'Value' }))),
      el('tbody', null, samples.map((s) => el('tr', null,
        el('td', { class: 'value', text: s.raw.slice(0, s.raw.lastIndexOf(' ')).trim() }),
        el('td', { class: 'num', text: String(s.value) })))));
    mc.after(note);
    const details = el('details', { class: 'all-metrics' }, el('summary', { text: 'All metrics (' + samples.length + ')' }), el('div', { class: 'table-wrap', tabindex: '0' }, table));
    const old = document.querySelector('#view-overview details.all-metrics');
    if (old) old.remove();
    note.after(details);
  } else {
    note.textContent = m.status === 403 ? 'Decision counts need the auditor or admin role.' : 'Metrics unavailable: ' + errorText(m);
    note.hidden = false;
  }

  const tbody = $('recent-denials').tBodies[0], rnote = $('recent-note');
  const a = await api('GET', '/v1/audit' + query({ decision: 'deny', limit: 8 }));
  if (!current()) return;
  clear(tbody);
  if (a.ok && a.data) {
    rnote.hidden = true;
    const ev = a.data.events || [];
    if (ev.length === 0) tbody.append(el('tr', null, el('td', { colspan: 6, class: 'empty', text: 'No denials recorded.' })));
    for (const e of ev) {
      tbody.append(el('tr', null, timeCell(e.time), el('td', { text: e.action || '' }), el('td', { text: e.actor || '' }),
        el('td', { text: e.component || '' }), el('td', { class: 'value', text: e.subject || '' }),
        el('td', null, ruleChips(e.rules))));
    }
  } else {
    tbody.append(el('tr', null, el('td', { colspan: 6, class: 'empty', text: a.status === 403 ? 'Reading the audit log needs the auditor or admin role.' : errorText(a) })));
  }
}
