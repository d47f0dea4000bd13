// SPDX-License-Identifier: Apache-2.0
// Hosts: fleet compliance from GET /v1/hosts (which host holds which bundle
// version, which are stale, expired or behind, denies per host). Reads
// {"bundleVersion", "summary", "hosts": [{host, bundleVersion, locksetVersion,
// lastSeen, stale, expired, behind, denies}]}. Expired: the bundle the host
// holds is past its signature's expiry, so its updates are being held back. A daemon that signs no bundles and has
// no reports (or an older one that answers 404) is not a fleet's centre, and
// the page says so.
import { $, el, clear, setAlert, timeCell, begin, isoOf } from './dom.js';
import { api, errorText } from './api.js';

const STALE_AFTER_MS = 3600e3; // when the daemon does not say

function summary(label, value, kind) {
  return el('div', { class: 'stat' + (kind ? ' stat-' + kind : '') }, el('div', { class: 'stat-label', text: label }), el('div', { class: 'stat-value', text: String(value) }));
}

function render(data, current) {
  const hosts = Array.isArray(data) ? data : data.hosts || [];
  const latest = data.bundleVersion ?? data.currentVersion ?? current;
  const now = Date.now();
  const rows = hosts.map((h) => {
    const seen = Date.parse(isoOf(h.lastSeen || h.time || ''));
    const stale = typeof h.stale === 'boolean' ? h.stale : !(seen > now - STALE_AFTER_MS);
    const v = h.bundleVersion ?? h.policyVersion ?? h.version;
    const behind = typeof h.behind === 'boolean' ? h.behind : latest !== null && latest !== undefined && v !== undefined && v < latest;
    return { h, v, stale, behind, expired: h.expired === true };
  });
  const tbody = $('hosts-table').tBodies[0];
  clear(tbody);
  $('hosts-summary').replaceChildren(
    summary('Hosts', rows.length),
    summary('On the current version', rows.filter((r) => !r.behind && !r.stale && !r.expired).length, 'ok'),
    summary('Behind', rows.filter((r) => r.behind).length, rows.some((r) => r.behind) ? 'warn' : null),
    summary('Stale', rows.filter((r) => r.stale).length, rows.some((r) => r.stale) ? 'bad' : null),
    summary('Expired', rows.filter((r) => r.expired).length, rows.some((r) => r.expired) ? 'bad' : null));
  if (rows.length === 0) tbody.append(el('tr', null, el('td', { colspan: 5, class: 'empty', text: 'No host has reported yet.' })));
  for (const r of rows) {
    const status = r.stale ? 'stale' : r.expired ? 'expired' : r.behind ? 'behind' : 'current';
    tbody.append(el('tr', { dataset: { host: String(r.h.host || r.h.name || ''), status } },
      el('td', { class: 'value', text: String(r.h.host || r.h.name || '') }),
      el('td', { class: 'num', text: r.v === undefined ? '\u2014' : 'v' + r.v }),
      el('td', { text: String(r.h.locksetVersion || r.h.daemonVersion || '') }),
      timeCell(r.h.lastSeen || r.h.time),
      el('td', null, el('span', { class: 'badge badge-' + (status === 'current' ? 'allow' : status === 'behind' ? 'audit' : 'deny'), text: status }))));
  }
}

export async function loadHosts() {
  const current = begin('hosts');
  const [r, h] = await Promise.all([api('GET', '/v1/hosts'), api('GET', '/v1/health')]);
  if (!current()) return;
  const note = $('hosts-unavailable');
  const noFleet = r.ok && r.data && !Array.isArray(r.data) && r.data.bundleVersion == null && (r.data.hosts || []).length === 0;
  if (r.status === 404 || noFleet) {
    setAlert(note, 'info', el('strong', { text: 'Fleet mode is not enabled on this daemon.' }),
      ' Hosts report their policy version to a central lockset that signs policy bundles (',
      el('code', { text: '--bundle-signing-key' }), '); each host follows it with ',
      el('code', { text: '--upstream' }), '. Start this daemon as the central one to see the fleet here.');
    $('hosts-body').hidden = true;
    return;
  }
  if (!r.ok || !r.data) {
    setAlert(note, 'error', errorText(r, 'The host list'));
    $('hosts-body').hidden = true;
    return;
  }
  note.hidden = true;
  $('hosts-body').hidden = false;
  render(r.data, h.ok && h.data ? h.data.policyVersion : null);
}
