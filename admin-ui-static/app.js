// SPDX-License-Identifier: Apache-2.0
// lockset admin console: sign in with a bearer token, then read and change the
// policy, watch the effective settings live, search and verify the audit log and
// manage API tokens, all through the daemon's REST API. No framework, no eval,
// no innerHTML: every piece of API data reaches the page as text.
'use strict';

(function () {
  const TOKEN_KEY = 'lockset.token';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const VIEWS = ['overview', 'settings', 'policy', 'audit', 'tokens'];
  const RULE_IDS = ['privileged', 'host-pid', 'host-ipc', 'host-uts', 'host-userns', 'host-network',
    'host-cgroupns', 'cap-add', 'device', 'security-opt', 'sysctl', 'bind-outside-shares',
    'protected-path', 'docker-socket', 'registry', 'docker-load', 'build-network-host',
    'plugin-install', 'missing-body'];

  const state = {
    token: null,
    role: null,
    view: null,
    health: null,
    settings: { etag: null, rows: new Map(), gen: 0, abort: null, user: '' },
    policy: { etag: null, selected: null },
    audit: { next: null, shown: 0, query: null },
  };

  const $ = (id) => document.getElementById(id);

  // Loaders await several calls; when one is started again before it ended
  // (a click, a hash change) only the newest may render.
  const seqs = {};
  function begin(key) {
    const n = (seqs[key] || 0) + 1;
    seqs[key] = n;
    return () => seqs[key] === n;
  }

  // ---------------------------------------------------------------------
  // DOM helpers: elements are built from text, never from markup.

  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of kids.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function show(node, on) {
    node.hidden = !on;
  }

  function setAlert(node, kind, ...content) {
    clear(node);
    node.className = 'alert alert-' + kind;
    node.append(...content.flat().filter((c) => c !== null && c !== undefined));
    node.hidden = false;
  }

  function lockIcon(locked) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const rect = document.createElementNS(SVG_NS, 'rect');
    for (const [k, v] of Object.entries({ x: 5, y: 11, width: 14, height: 10, rx: 2 })) rect.setAttribute(k, v);
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', locked ? 'M8 11V7.5a4 4 0 0 1 8 0V11' : 'M8 11V7.5a4 4 0 0 1 7.6-1.8');
    svg.append(rect, path);
    return svg;
  }

  let toastTimer = null;
  function toast(message) {
    const t = $('toast');
    t.textContent = message;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
  }

  // Times come as RFC 3339 strings or as Unix seconds.
  function isoOf(t) {
    if (typeof t === 'number') return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
    return t ? String(t) : '';
  }

  function fmtTime(t) {
    const iso = isoOf(t);
    if (!iso) return '';
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
    return m ? m[1] + ' ' + m[2] : String(iso);
  }

  function timeCell(t) {
    const iso = isoOf(t);
    return el('td', { class: 'nowrap', title: iso || null }, iso ? el('time', { datetime: iso, text: fmtTime(iso) }) : '—');
  }

  function fmtUptime(s) {
    s = Math.max(0, Math.floor(Number(s) || 0));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + sec + 's';
    return sec + 's';
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  // ---------------------------------------------------------------------
  // The API client. Every call carries the bearer token; a 401 on a signed-in
  // session means the token was revoked or expired, so the session ends.

  async function api(method, path, opts) {
    opts = opts || {};
    const headers = new Headers(opts.headers || {});
    if (state.token) headers.set('Authorization', 'Bearer ' + state.token);
    let body;
    if (opts.body !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    let res;
    try {
      res = await fetch(path, {
        method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error',
        signal: opts.signal,
      });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      return { status: 0, ok: false, headers: new Headers(), data: null, text: '', netError: true };
    }
    const out = { status: res.status, ok: res.ok, headers: res.headers, data: null, text: '' };
    if (opts.blob && res.ok) {
      out.blob = await res.blob();
      return out;
    }
    out.text = await res.text();
    if ((res.headers.get('Content-Type') || '').includes('json') && out.text) {
      try { out.data = JSON.parse(out.text); } catch (e) { out.data = null; }
    }
    if (res.status === 401 && state.token && !opts.signingIn) {
      signOut('Your token is no longer accepted (revoked or expired). Sign in again.');
    }
    return out;
  }

  // One line explaining a failed call: the API's own message where it gave one.
  function errorText(r, what) {
    if (r.netError) return 'Cannot reach the lockset daemon' + (what ? ' (' + what + ')' : '') + '.';
    const err = r.data && r.data.error;
    let msg = err && err.message ? err.message : (r.text || '').trim().slice(0, 200);
    if (r.status === 403) {
      msg = 'Your token\u2019s role (' + (state.role || 'unknown') + ') may not do this' + (err && err.message ? ': ' + err.message : '') + '.';
    } else if (r.status === 404 && what) {
      msg = what + ' is not available on this server (404).';
    } else if (r.status === 429) {
      msg = 'Too many failed attempts from this address; wait a minute and try again.';
    }
    return (err && err.code ? err.code + ' (' + r.status + '): ' : 'HTTP ' + r.status + ': ') + msg;
  }

  function detailsList(details) {
    if (!Array.isArray(details) || details.length === 0) return null;
    return el('ul', { class: 'problems' }, details.map((d) => el('li', null,
      el('span', { class: 'pointer', text: d.path === '' || d.path === undefined ? '/' : d.path }),
      d.line ? el('span', { class: 'muted', text: 'line ' + d.line + ', column ' + d.column + ': ' }) : null,
      String(d.message || ''))));
  }

  // ---------------------------------------------------------------------
  // Sign in, role, sign out

  async function detectRole() {
    const s = await api('GET', '/v1/settings', { signingIn: true });
    if (s.status === 401) return { error: 'That token was not accepted (401). Check that you pasted the whole secret and that it has not been revoked or has expired.' };
    if (s.status === 429) return { error: errorText(s) };
    if (s.netError) return { error: errorText(s) };
    if (!s.ok && s.status !== 403) return { error: 'Unexpected answer from the daemon: ' + errorText(s) };
    if (s.status === 403) return { error: 'That token has no role that may use this console (403).' };
    const t = await api('GET', '/v1/tokens', { signingIn: true });
    if (t.ok) return { role: 'admin' };
    const a = await api('GET', '/v1/audit' + query({ limit: 1 }), { signingIn: true });
    if (a.ok) return { role: 'auditor' };
    return { role: 'runtime' };
  }

  async function signIn(token) {
    const button = $('signin-button');
    button.disabled = true;
    state.token = token;
    try {
      const r = await detectRole();
      if (r.error) {
        state.token = null;
        setAlert($('signin-error'), 'error', r.error);
        $('token-input').focus();
        return false;
      }
      state.role = r.role;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('signin-error').hidden = true;
      $('token-input').value = '';
      enterSession();
      return true;
    } finally {
      button.disabled = false;
    }
  }

  function enterSession() {
    const badge = $('role-badge');
    badge.textContent = 'role: ' + state.role;
    badge.className = 'role-badge role-' + state.role;
    show($('session'), true);
    show($('nav'), true);
    show($('view-signin'), false);
    for (const b of ['policy-save', 'policy-validate', 'version-rollback', 'token-create']) {
      $(b).disabled = state.role !== 'admin';
    }
    if (!location.hash || !VIEWS.includes(location.hash.slice(1))) location.hash = '#overview'; // routes on hashchange
    else route();
  }

  function signOut(message) {
    state.token = null;
    state.role = null;
    sessionStorage.removeItem(TOKEN_KEY);
    stopSettings();
    show($('session'), false);
    show($('nav'), false);
    for (const v of VIEWS) show($('view-' + v), false);
    show($('view-signin'), true);
    state.view = null;
    if (message) setAlert($('signin-error'), 'error', message);
    else $('signin-error').hidden = true;
    $('token-input').focus();
  }

  // ---------------------------------------------------------------------
  // Navigation

  function route() {
    if (!state.token) return;
    const name = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'overview';
    if (state.view === 'settings' && name !== 'settings') stopSettings();
    if (state.view !== name) $('toast').hidden = true;
    state.view = name;
    for (const v of VIEWS) show($('view-' + v), v === name);
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = $(name + '-title').textContent + ' \u2013 lockset admin';
    ({ overview: loadOverview, settings: startSettings, policy: loadPolicy, audit: enterAudit, tokens: loadTokens })[name]();
  }

  // ---------------------------------------------------------------------
  // Overview: health, metrics, recent denials

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

  async function loadHealth() {
    const r = await api('GET', '/v1/health');
    if (r.ok && r.data) {
      state.health = r.data;
      $('footer-server').textContent = 'lockset ' + (r.data.version || '') + ' \u00b7 policy version ' +
        r.data.policyVersion + ' \u00b7 ' + location.host;
    }
    return r;
  }

  async function loadOverview() {
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
        stat('Status', h.status, h.status === 'ok' ? 'policy loaded, audit writable' : 'see the checks', h.status === 'ok' ? 'ok' : 'bad'),
        stat('Policy version', String(h.policyVersion), checks.policy ? 'policy ' + checks.policy : null),
        stat('Audit log', String(checks.audit || 'unknown'), 'hash-chained, append-only', checks.audit === 'ok' ? 'ok' : 'bad'),
        stat('Uptime', fmtUptime(h.uptimeSeconds), h.uptimeSeconds + ' seconds'),
        stat('Server version', String(h.version || '')));
    }

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
      const details = el('details', { class: 'all-metrics' }, el('summary', { text: 'All metrics (' + samples.length + ')' }), el('div', { class: 'table-wrap' }, table));
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
      if (ev.length === 0) tbody.append(el('tr', null, el('td', { colspan: 5, class: 'empty', text: 'No denials recorded.' })));
      for (const e of ev) {
        tbody.append(el('tr', null, timeCell(e.time), el('td', { text: e.action || '' }), el('td', { text: e.actor || '' }),
          el('td', { class: 'value', text: e.subject || '' }), el('td', null, ruleChips(e.rules))));
      }
    } else {
      tbody.append(el('tr', null, el('td', { colspan: 5, class: 'empty', text: a.status === 403 ? 'Reading the audit log needs the auditor or admin role.' : errorText(a) })));
    }
  }

  // ---------------------------------------------------------------------
  // Effective settings: a table of every key, refreshed by long-poll

  function valueNode(v) {
    if (v === null || v === undefined) return el('span', { class: 'value-empty', text: 'null' });
    if (typeof v === 'boolean') return el('span', { class: 'value value-bool-' + v, text: String(v) });
    if (typeof v === 'string') return v === '' ? el('span', { class: 'value-empty', text: '(empty)' }) : el('span', { class: 'value', text: v });
    if (typeof v === 'number') return el('span', { class: 'value', text: String(v) });
    if (Array.isArray(v)) {
      if (v.length === 0) return el('span', { class: 'value-empty', text: '(none)' });
      if (v.every((x) => typeof x !== 'object' || x === null)) return el('span', { class: 'chips' }, v.map((x) => el('span', { class: 'chip', text: String(x) })));
    }
    return el('span', { class: 'value', text: JSON.stringify(v) });
  }

  // A dotted key that may wrap after each dot.
  function breakable(key) {
    return key.split(/(?<=\.)/).flatMap((part, i) => (i ? [el('wbr'), part] : [part]));
  }

  // Turn the settings document into rows: {key, value, locked, source, kind}.
  function settingsRows(doc) {
    const rows = [];
    const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
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
      if (k === 'policyVersion' || k === 'configurationFileVersion') continue;
      if (k === 'filesharingAllowedDirectories' && v === null) {
        rows.push({ key: k, value: 'not restricted (any host path may be mounted)', locked: false, source: 'default', kind: 'scalar' });
        continue;
      }
      entry(k, v);
    }
    return rows;
  }

  function renderSettings(doc, etag, flashChanges) {
    const tbody = $('settings-table').tBodies[0];
    const filter = $('settings-filter').value.trim().toLowerCase();
    const lockedOnly = $('settings-locked-only').checked;
    const rows = settingsRows(doc);
    const prev = state.settings.rows;
    const next = new Map();
    clear(tbody);
    let shown = 0, locked = 0;
    for (const r of rows) {
      const fp = JSON.stringify([r.value, r.locked, r.source]);
      next.set(r.key, fp);
      if (r.locked && r.kind !== 'child') locked++;
      if (filter && !r.key.toLowerCase().includes(filter)) continue;
      if (lockedOnly && !r.locked) continue;
      shown++;
      // A group's fields are shown relative to the group row above them.
      const dot = r.kind === 'child' ? r.rel.lastIndexOf('.') : -1;
      const keyCell = r.kind === 'child'
        ? el('td', { class: 'key', title: r.key }, breakable(r.rel.slice(0, dot + 1)), el('span', { class: 'leaf', text: r.rel.slice(dot + 1) }))
        : el('td', { class: 'key' }, breakable(r.key));
      const lockCell = el('td', null, r.locked && r.kind === 'child'
        ? el('span', { class: 'lock lock-inherited', title: 'Locked with its group: users cannot change it' }, lockIcon(true), 'Locked (group)')
        : r.locked
        ? el('span', { class: 'lock lock-on', title: 'Users cannot change this setting' }, lockIcon(true), 'Locked by your administrator')
        : el('span', { class: 'lock lock-off', title: 'Users may change this setting' }, lockIcon(false), 'Unlocked'));
      const changed = flashChanges && prev.size > 0 && prev.get(r.key) !== fp;
      tbody.append(el('tr', {
        class: [r.kind === 'group' ? 'group-row' : r.kind === 'child' ? 'child-row' : '', changed ? 'flash' : ''].join(' ').trim() || null,
        dataset: { key: r.key, locked: String(r.locked), source: r.source },
      },
      keyCell,
      el('td', null, r.value === undefined ? el('span', { class: 'value-empty', text: 'group' }) : valueNode(r.value)),
      lockCell,
      el('td', null, r.source ? el('span', { class: 'badge badge-' + r.source, text: r.source }) : '')));
    }
    if (shown === 0) tbody.append(el('tr', null, el('td', { colspan: 4, class: 'empty', text: 'No settings match the filter.' })));
    state.settings.rows = next;
    state.settings.doc = doc;
    const user = state.settings.user;
    $('settings-meta').textContent = (user ? 'Settings for user ' + user : 'Org-wide settings (no user layer)') +
      ' \u00b7 policy version ' + (doc.policyVersion !== undefined ? doc.policyVersion : '?') +
      ' \u00b7 ' + rows.filter((r) => r.kind !== 'child').length + ' settings, ' + locked + ' locked' +
      (etag ? ' \u00b7 ETag ' + etag : '');
  }

  function setLive(kind, text) {
    const live = $('settings-live');
    live.className = 'live' + (kind ? ' live-' + kind : '');
    live.querySelector('.live-text').textContent = text;
  }

  function stopSettings() {
    state.settings.gen++;
    if (state.settings.abort) state.settings.abort.abort();
    state.settings.abort = null;
    setLive('', 'Not connected');
  }

  async function startSettings() {
    stopSettings();
    const gen = state.settings.gen;
    const ctl = new AbortController();
    state.settings.abort = ctl;
    state.settings.user = $('settings-user').value.trim();
    state.settings.rows = new Map();
    const errBox = $('settings-error');
    let r;
    try {
      r = await api('GET', '/v1/settings' + query({ user: state.settings.user }), { signal: ctl.signal });
    } catch (e) {
      return;
    }
    if (gen !== state.settings.gen) return;
    if (!r.ok || !r.data) {
      setAlert(errBox, 'error', errorText(r));
      clear($('settings-table').tBodies[0]);
      setLive('err', 'Not connected');
      return;
    }
    errBox.hidden = true;
    state.settings.etag = r.headers.get('ETag');
    renderSettings(r.data, state.settings.etag, false);
    watchSettings(gen, ctl.signal);
  }

  // Long-poll: ask again with If-None-Match and ?wait=60; 304 means nothing
  // changed in that time, 200 brings the new settings. The daemon long-polls
  // the org settings only, so for one user's view the org settings are
  // watched and the user's are fetched again after every round (at once when
  // the org policy changed, at the latest after the wait).
  async function watchSettings(gen, signal) {
    const user = state.settings.user;
    let orgEtag = user ? null : state.settings.etag;
    let failures = 0;
    while (gen === state.settings.gen && state.token) {
      setLive('on', user ? 'Live \u2014 refreshes when the policy changes (and every minute for this user)'
        : 'Live \u2014 updates when the policy changes');
      const started = Date.now();
      let r, u = null;
      try {
        r = await api('GET', '/v1/settings' + query({ wait: orgEtag ? 60 : null }), {
          signal, headers: orgEtag ? { 'If-None-Match': orgEtag } : {},
        });
        if (user && (r.status === 200 || r.status === 304)) {
          u = await api('GET', '/v1/settings' + query({ user }), {
            signal, headers: state.settings.etag ? { 'If-None-Match': state.settings.etag } : {},
          });
        }
      } catch (e) {
        return; // aborted
      }
      if (gen !== state.settings.gen) return;
      if (r.status === 200 || r.status === 304) {
        failures = 0;
        if (r.status === 200) orgEtag = r.headers.get('ETag');
        const fresh = user ? u : r;
        if (fresh && fresh.status === 200 && fresh.data) {
          state.settings.etag = fresh.headers.get('ETag');
          renderSettings(fresh.data, state.settings.etag, true);
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

  // ---------------------------------------------------------------------
  // Policy: editor, validate, save, versions, rollback

  function policyUnavailable(r) {
    const box = $('policy-unavailable');
    setAlert(box, 'info', r.status === 404
      ? 'The policy API (GET /v1/policy) is not available on this server (404). This daemon serves the policy from its settings file only.'
      : errorText(r, 'The policy API'));
    box.className = 'alert ' + (r.status === 404 || r.status === 403 ? 'alert-info' : 'alert-error');
    show($('policy-editor-block'), false);
  }

  async function loadPolicy() {
    const current = begin('policy');
    const result = $('policy-result');
    clear(result);
    const r = await api('GET', '/v1/policy');
    if (!current()) return;
    if (!r.ok || !r.data) {
      policyUnavailable(r);
    } else {
      $('policy-unavailable').hidden = true;
      show($('policy-editor-block'), true);
      const doc = r.data.document && !r.data.configurationFileVersion ? r.data.document : r.data;
      state.policy.etag = r.headers.get('ETag');
      $('policy-text').value = JSON.stringify(doc, null, 2) + '\n';
      $('policy-text').scrollTop = 0;
    }
    await loadHealth();
    if (!current()) return;
    $('policy-meta').textContent = state.health ? 'Current version ' + state.health.policyVersion + (state.policy.etag ? ' \u00b7 ETag ' + state.policy.etag : '') : '';
    await loadVersions();
  }

  function diffSummary(diff) {
    if (!diff) return null;
    const parts = [];
    for (const kind of ['added', 'removed', 'changed']) {
      const list = diff[kind] || [];
      if (list.length) parts.push(el('li', null, el('strong', { text: kind + ': ' }), list.map((p, i) => [i ? ', ' : '', el('code', { text: p })])));
    }
    if (diff.truncated) parts.push(el('li', { text: '\u2026 and more' }));
    return parts.length ? el('ul', null, parts) : null;
  }

  function showChangeError(r) {
    const result = $('policy-result');
    const box = el('div', { class: 'alert alert-error', role: 'alert' });
    const err = r.data && r.data.error;
    if (r.status === 422) {
      const n = err && err.details ? err.details.length : 0;
      box.append(el('strong', { text: 'The policy is invalid' + (n ? ' (' + n + ' problem' + (n === 1 ? '' : 's') + ')' : '') + '.' }), ' Nothing was saved.', detailsList(err && err.details));
    } else if (r.status === 412) {
      box.append(el('strong', { text: 'Changed by someone else.' }),
        ' The policy was changed since you loaded it, so your save was refused. Reload to get the current version, then make your edit again.',
        el('button', { type: 'button', class: 'btn btn-small', onclick: () => loadPolicy(), text: 'Reload' }));
    } else if (r.status === 400 && err && err.code === 'invalid_json') {
      box.append(el('strong', { text: 'Not valid JSON.' }), ' ' + (err.message || ''), detailsList(err.details));
    } else if (r.status === 404) {
      box.append(el('strong', { text: 'Not available.' }), ' The policy API is not available on this server (404).');
    } else {
      box.append(errorText(r), detailsList(err && err.details));
    }
    clear(result).append(box);
  }

  async function changePolicy(dryRun) {
    const result = $('policy-result');
    const text = $('policy-text').value;
    const comment = $('policy-comment').value.trim();
    const headers = {};
    const params = {};
    if (dryRun) {
      params.dry_run = 'true';
    } else {
      if (state.policy.etag) headers['If-Match'] = state.policy.etag;
      // Header values must be Latin-1; anything else goes in ?comment=.
      if (comment && /^[\x20-\x7e]*$/.test(comment)) headers['X-Lockset-Comment'] = comment;
      else if (comment) params.comment = comment;
    }
    clear(result).append(el('p', { class: 'muted', text: dryRun ? 'Validating\u2026' : 'Saving\u2026' }));
    const r = await api('PUT', '/v1/policy' + query(params), { body: text, headers });
    if (!r.ok || !r.data) {
      showChangeError(r);
      return r;
    }
    const d = r.data;
    const warnings = detailsList(d.warnings);
    if (dryRun) {
      clear(result).append(el('div', { class: 'alert alert-ok', role: 'status' },
        el('strong', { text: 'Valid.' }), ' ',
        d.changed ? 'Saving would replace version ' + d.version + ' with a new version.' : 'No change from the current version (' + d.version + ').',
        diffSummary(d.diff),
        warnings ? [el('p', { text: 'Warnings:' }), warnings] : null));
      return r;
    }
    if (r.headers.get('ETag')) state.policy.etag = r.headers.get('ETag');
    $('policy-comment').value = '';
    await loadPolicy();
    clear(result).append(el('div', { class: 'alert alert-ok', role: 'status' },
      el('strong', { text: d.changed ? 'Saved as version ' + d.version + '.' : 'No change: the document equals version ' + d.version + '.' }),
      diffSummary(d.diff), warnings ? [el('p', { text: 'Warnings:' }), warnings] : null));
    return r;
  }

  function formatPolicy() {
    const result = $('policy-result');
    try {
      $('policy-text').value = JSON.stringify(JSON.parse($('policy-text').value), null, 2) + '\n';
      clear(result);
    } catch (e) {
      clear(result).append(el('div', { class: 'alert alert-error', role: 'alert' }, el('strong', { text: 'Not valid JSON. ' }), String(e.message)));
    }
  }

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
    const list = Array.isArray(r.data) ? r.data : r.data.versions || [];
    const served = state.health ? state.health.policyVersion : null;
    if (list.length === 0) tbody.append(el('tr', null, el('td', { colspan: 6, class: 'empty', text: 'No versions recorded yet.' })));
    for (const v of list) {
      const isCurrent = v.version === served;
      tbody.append(el('tr', { dataset: { version: String(v.version) } },
        el('td', { class: 'num' }, 'v' + v.version, isCurrent ? [' ', el('span', { class: 'badge badge-allow', text: 'current' })] : null),
        timeCell(v.time),
        el('td', { text: v.actor || '' }),
        el('td', null, el('span', { class: 'badge', text: v.source || '' })),
        el('td', { text: v.comment || '' }),
        el('td', null, el('div', { class: 'row-actions' },
          el('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'View version ' + v.version, onclick: () => viewVersion(v.version), text: 'View' })))));
    }
  }

  async function viewVersion(n) {
    const box = $('version-view');
    const r = await api('GET', '/v1/policy/versions/' + encodeURIComponent(n));
    if (!r.ok || !r.data) {
      toast(errorText(r, 'Policy version ' + n));
      return;
    }
    state.policy.selected = r.data;
    $('version-view-title').textContent = 'Version ' + n + (r.data.time ? ' \u00b7 ' + fmtTime(r.data.time) : '') + (r.data.actor ? ' \u00b7 ' + r.data.actor : '');
    $('version-doc').textContent = JSON.stringify(r.data.document !== undefined ? r.data.document : r.data, null, 2);
    $('version-confirm').hidden = true;
    $('version-rollback').textContent = 'Roll back to this version';
    box.hidden = false;
    box.scrollIntoView({ block: 'nearest' });
    $('version-doc').focus();
  }

  async function rollback() {
    const v = state.policy.selected;
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
    clear($('policy-result')).append(el('div', { class: 'alert alert-ok', role: 'status', text: msg }));
  }

  // ---------------------------------------------------------------------
  // Audit: filters, keyset paging, verify, export

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

  function ruleChips(rules) {
    if (!Array.isArray(rules) || rules.length === 0) return '';
    return el('span', { class: 'chips' }, rules.map((x) => el('span', { class: 'chip', text: String(x) })));
  }

  function auditRow(e) {
    const detail = el('tr', { class: 'detail-row', hidden: true },
      el('td', { colspan: 9 }, el('pre', { class: 'code', text: JSON.stringify(e, null, 2) })));
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
      state.audit.query = auditFilters();
      state.audit.next = null;
      state.audit.shown = 0;
    }
    const params = Object.assign({}, state.audit.query, { limit: $('audit-limit').value, cursor: reset ? null : state.audit.next });
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
    state.audit.shown += events.length;
    state.audit.next = r.data.next || null;
    if (state.audit.shown === 0) tbody.append(el('tr', null, el('td', { colspan: 9, class: 'empty', text: 'No events match these filters.' })));
    $('audit-more').hidden = !state.audit.next;
    $('audit-count').textContent = state.audit.shown + ' event' + (state.audit.shown === 1 ? '' : 's') + ' shown' + (state.audit.next ? ' \u00b7 more available' : '');
  }

  function enterAudit() {
    $('audit-verify-result').hidden = true;
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
    const q = Object.assign({}, state.audit.query || auditFilters(), { format });
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

  // ---------------------------------------------------------------------
  // Tokens: list, create (secret shown once), revoke

  function tokenStatus(t) {
    if (t.revoked) return 'revoked';
    if (t.expires && Date.parse(isoOf(t.expires)) <= Date.now()) return 'expired';
    return t.active === false ? 'inactive' : 'active';
  }

  async function loadTokens() {
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
    if (!state.token) return; // revoked our own token
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

  // ---------------------------------------------------------------------
  // Wiring

  function init() {
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

    $('settings-form').addEventListener('submit', (ev) => { ev.preventDefault(); startSettings(); });
    const rerender = () => { if (state.settings.doc) renderSettings(state.settings.doc, state.settings.etag, false); };
    $('settings-filter').addEventListener('input', rerender);
    $('settings-locked-only').addEventListener('change', rerender);

    $('policy-reload').addEventListener('click', loadPolicy);
    $('policy-format').addEventListener('click', formatPolicy);
    $('policy-validate').addEventListener('click', () => changePolicy(true));
    $('policy-save').addEventListener('click', () => changePolicy(false));
    $('policy-text').addEventListener('keydown', (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === 's') { ev.preventDefault(); if (state.role === 'admin') changePolicy(false); }
    });
    $('version-close').addEventListener('click', () => { $('version-view').hidden = true; });
    $('version-load').addEventListener('click', () => {
      const v = state.policy.selected;
      if (!v) return;
      $('policy-text').value = JSON.stringify(v.document !== undefined ? v.document : v, null, 2) + '\n';
      $('policy-comment').value = 'restore version ' + v.version;
      $('policy-text').focus();
      toast('Version ' + v.version + ' loaded into the editor; Save to make it current.');
    });
    $('version-rollback').addEventListener('click', () => {
      const v = state.policy.selected;
      if (!v) return;
      $('version-confirm-text').textContent = 'Make version ' + v.version + '\u2019s document current again? This records a new version.';
      $('version-confirm').hidden = false;
      $('version-confirm-yes').focus();
    });
    $('version-confirm-yes').addEventListener('click', rollback);
    $('version-confirm-no').addEventListener('click', () => { $('version-confirm').hidden = true; });

    const rules = $('audit-rules');
    for (const id of RULE_IDS) rules.append(el('option', { value: id }));
    $('audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); auditPage(true); });
    $('audit-reset').addEventListener('click', () => { $('audit-form').reset(); auditPage(true); });
    $('audit-more').addEventListener('click', () => auditPage(false));
    $('audit-verify').addEventListener('click', verifyChain);
    $('audit-export-ndjson').addEventListener('click', () => exportAudit('ndjson'));
    $('audit-export-csv').addEventListener('click', () => exportAudit('csv'));

    $('token-form').addEventListener('submit', createToken);
    $('secret-copy').addEventListener('click', copySecret);
    $('secret-done').addEventListener('click', () => {
      $('secret-value').value = '';
      $('secret-box').hidden = true;
      $('token-name').focus();
    });

    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved);
    else signOut(null);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
