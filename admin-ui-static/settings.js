// SPDX-License-Identifier: Apache-2.0
// Effective settings: a table of every key with its value, its lock and the
// layer it comes from (GET /v1/settings[?user=U]), kept live by long-poll. The
// table renderer is shared with the per-user page.
import { $, el, clear, setAlert, toast, sleep, query, lockIcon, breakable, valueNode } from './dom.js';
import { api, session, errorText } from './api.js';

const st = { etag: null, rows: new Map(), gen: 0, abort: null, user: '', doc: null };
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// The settings document as rows: {key, rel, value, locked, source, kind}.
export function settingsRows(doc) {
  const rows = [];
  const children = (group, prefix, obj, locked, source) => {
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'locked' || k === 'source' || k === 'value') continue;
      const key = prefix + '.' + k;
      if (isObj(v) && Object.keys(v).length > 0) children(group, key, v, locked, source);
      else rows.push({ key, rel: key.slice(group.length + 1), value: v, locked, source, kind: 'child' });
    }
  };
  const entry = (key, v) => {
    if (Array.isArray(v)) {
      if (v.length === 0) rows.push({ key, value: [], locked: false, source: '', kind: 'scalar' });
      v.forEach((item, i) => {
        if (isObj(item)) {
          const shown = item.path !== undefined ? String(item.path) +
            (item.expandedPath && item.expandedPath !== item.path ? '  \u2192  ' + item.expandedPath : '') +
            (item.sharedByDefault ? '  (shared by default)' : '') : JSON.stringify(item);
          rows.push({ key: key + '[' + i + ']', value: shown, locked: !!item.locked, source: item.source || '', kind: 'scalar' });
        } else {
          rows.push({ key: key + '[' + i + ']', value: item, locked: false, source: '', kind: 'scalar' });
        }
      });
      return;
    }
    if (!isObj(v)) {
      rows.push({ key, value: v, locked: false, source: '', kind: 'scalar' });
      return;
    }
    if ('locked' in v || 'source' in v) {
      const fields = Object.keys(v).filter((k) => k !== 'locked' && k !== 'source' && k !== 'value');
      const group = fields.length > 0;
      rows.push({ key, value: 'value' in v ? v.value : undefined, locked: !!v.locked, source: v.source || '', kind: group ? 'group' : 'scalar' });
      if (group) children(key, key, v, !!v.locked, v.source || '');
      return;
    }
    // A namespace (linuxVM, windowsContainers): each child locks on its own.
    for (const [k, c] of Object.entries(v)) entry(key + '.' + k, c);
  };
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'policyVersion' || k === 'configurationFileVersion' || k === 'user' || k === 'userPolicyVersion') continue;
    if (k === 'filesharingAllowedDirectories' && v === null) {
      rows.push({ key: k, value: 'not restricted (any host path may be mounted)', locked: false, source: 'default', kind: 'scalar' });
      continue;
    }
    entry(k, v);
  }
  return rows;
}

function lockCell(r) {
  if (r.locked && r.kind === 'child') return el('span', { class: 'lock lock-inherited', title: 'Locked with its group: users cannot change it' }, lockIcon(true), 'Locked (group)');
  if (r.locked) return el('span', { class: 'lock lock-on', title: 'Users cannot change this setting' }, lockIcon(true), 'Locked by your administrator');
  return el('span', { class: 'lock lock-off', title: 'Users may change this setting' }, lockIcon(false), 'Unlocked');
}

// Render rows into tbody. opts: {filter, lockedOnly, prev (Map key -> print)
// to flash changed rows}. Returns {next, shown, locked, total}.
export function renderSettingsTable(tbody, doc, opts) {
  const rows = settingsRows(doc);
  const prev = opts.prev || new Map();
  const next = new Map();
  clear(tbody);
  let shown = 0, locked = 0;
  for (const r of rows) {
    const fp = JSON.stringify([r.value, r.locked, r.source]);
    next.set(r.key, fp);
    if (r.locked && r.kind !== 'child') locked++;
    if (opts.filter && !r.key.toLowerCase().includes(opts.filter)) continue;
    if (opts.lockedOnly && !r.locked) continue;
    shown++;
    // A group's fields are shown relative to the group row above them.
    const dot = r.kind === 'child' ? r.rel.lastIndexOf('.') : -1;
    const keyCell = r.kind === 'child'
      ? el('td', { class: 'key', title: r.key }, breakable(r.rel.slice(0, dot + 1)), el('span', { class: 'leaf', text: r.rel.slice(dot + 1) }))
      : el('td', { class: 'key' }, breakable(r.key));
    const changed = opts.prev && prev.size > 0 && prev.get(r.key) !== fp;
    tbody.append(el('tr', {
      class: [r.kind === 'group' ? 'group-row' : r.kind === 'child' ? 'child-row' : '', changed ? 'flash' : ''].join(' ').trim() || null,
      dataset: { key: r.key, locked: String(r.locked), source: r.source },
    },
    keyCell,
    el('td', null, r.value === undefined ? el('span', { class: 'value-empty', text: 'group' }) : valueNode(r.value)),
    el('td', null, lockCell(r)),
    el('td', null, r.source ? el('span', { class: 'badge badge-' + r.source, text: r.source }) : '')));
  }
  if (shown === 0) tbody.append(el('tr', null, el('td', { colspan: 4, class: 'empty', text: 'No settings match the filter.' })));
  return { next, shown, locked, total: rows.filter((r) => r.kind !== 'child').length };
}

function renderSettings(doc, etag, flashChanges) {
  const res = renderSettingsTable($('settings-table').tBodies[0], doc, {
    filter: $('settings-filter').value.trim().toLowerCase(),
    lockedOnly: $('settings-locked-only').checked,
    prev: flashChanges ? st.rows : null,
  });
  st.rows = res.next;
  st.doc = doc;
  $('settings-meta').textContent = (st.user ? 'Settings for user ' + st.user : 'Org-wide settings (no user layer)') +
    ' \u00b7 policy version ' + (doc.policyVersion !== undefined ? doc.policyVersion : '?') +
    ' \u00b7 ' + res.total + ' settings, ' + res.locked + ' locked' + (etag ? ' \u00b7 ETag ' + etag : '');
}

function setLive(kind, text) {
  const live = $('settings-live');
  live.className = 'live' + (kind ? ' live-' + kind : '');
  live.querySelector('.live-text').textContent = text;
}

export function stopSettings() {
  st.gen++;
  if (st.abort) st.abort.abort();
  st.abort = null;
  setLive('', 'Not connected');
}

export async function startSettings() {
  stopSettings();
  const gen = st.gen;
  const ctl = new AbortController();
  st.abort = ctl;
  st.user = $('settings-user').value.trim();
  st.rows = new Map();
  const errBox = $('settings-error');
  let r;
  try {
    r = await api('GET', '/v1/settings' + query({ user: st.user }), { signal: ctl.signal });
  } catch (e) {
    return;
  }
  if (gen !== st.gen) return;
  if (!r.ok || !r.data) {
    setAlert(errBox, 'error', errorText(r));
    clear($('settings-table').tBodies[0]);
    setLive('err', 'Not connected');
    return;
  }
  errBox.hidden = true;
  st.etag = r.headers.get('ETag');
  renderSettings(r.data, st.etag, false);
  watchSettings(gen, ctl.signal);
}

// Long-poll: ask again with If-None-Match and ?wait=60; 304 means nothing
// changed in that time, 200 brings the new settings. The daemon long-polls
// the org settings only, so for one user's view the org settings are watched
// and the user's are fetched again after every round.
async function watchSettings(gen, signal) {
  const user = st.user;
  let orgEtag = user ? null : st.etag;
  let failures = 0;
  while (gen === st.gen && session.token) {
    setLive('on', user ? 'Live \u2014 refreshes when the policy changes (and every minute for this user)'
      : 'Live \u2014 updates when the policy changes');
    const started = Date.now();
    let r, u = null;
    try {
      r = await api('GET', '/v1/settings' + query({ wait: orgEtag ? 60 : null }), {
        signal, headers: orgEtag ? { 'If-None-Match': orgEtag } : {},
      });
      if (user && (r.status === 200 || r.status === 304)) {
        u = await api('GET', '/v1/settings' + query({ user }), { signal, headers: st.etag ? { 'If-None-Match': st.etag } : {} });
      }
    } catch (e) {
      return; // aborted
    }
    if (gen !== st.gen) return;
    if (r.status === 200 || r.status === 304) {
      failures = 0;
      if (r.status === 200) orgEtag = r.headers.get('ETag');
      const fresh = user ? u : r;
      if (fresh && fresh.status === 200 && fresh.data) {
        st.etag = fresh.headers.get('ETag');
        renderSettings(fresh.data, st.etag, true);
        toast('Settings updated to policy version ' + fresh.data.policyVersion + '.');
      }
      if (r.status === 304 && Date.now() - started < 1000) await sleep(2000, signal); // no long-poll here
    } else {
      failures++;
      setLive('err', 'Disconnected \u2014 retrying');
      await sleep(Math.min(30000, 2000 * failures), signal);
    }
  }
}

export function initSettings() {
  $('settings-form').addEventListener('submit', (ev) => { ev.preventDefault(); startSettings(); });
  const rerender = () => { if (st.doc) renderSettings(st.doc, st.etag, false); };
  $('settings-filter').addEventListener('input', rerender);
  $('settings-locked-only').addEventListener('change', rerender);
}
