// SPDX-License-Identifier: Apache-2.0
// The admin web UI in real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): served headers, sign-in, the denial chart and its
// click-through, live settings, the structured policy editor (locks, group
// locks, typed constraints, JSON sync, review with diff and impact, save,
// 422 at the field, 412), per-user policies, the hosts page without fleet mode,
// audit search/verify/export and token create/revoke. axe-core (pinned in
// package-lock.json, never served by the daemon) checks every page at 1280x800
// and 390x844, where screenshots are kept. Run by tests/ui/test_ui.sh, which
// starts the daemon and sets LOCKSET_UI_URL, LOCKSET_UI_TOKEN, LOCKSET_UI_STATE
// (its state directory) and LOCKSET_UI_OUT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { launch, WIDE, NARROW } from './browser.mjs';

const BASE = process.env.LOCKSET_UI_URL;
const TOKEN = process.env.LOCKSET_UI_TOKEN;
const OUT = process.env.LOCKSET_UI_OUT || tmpdir();
const STATE = process.env.LOCKSET_UI_STATE;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const UI_FILES = ['index.html', 'style.css', 'app.js', 'api.js', 'audit.js', 'chart.js', 'controls.js', 'diff.js', 'dom.js',
  'editor.js', 'flags.js', 'hosts.js', 'overview.js', 'panel.js', 'policy.js', 'review.js', 'schema.js', 'settings.js',
  'tokens.js', 'users.js', 'admin-settings.schema.json'];

assert.ok(BASE && TOKEN && STATE, 'LOCKSET_UI_URL, LOCKSET_UI_TOKEN and LOCKSET_UI_STATE must be set');

// Direct API calls, for setting up and for checking what the UI did.
async function api(method, path, { body, headers = {}, token = TOKEN } = {}) {
  const h = { Authorization: 'Bearer ' + token, ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(BASE + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, data, text };
}

async function policyVersion() {
  return (await api('GET', '/v1/health')).data.policyVersion;
}

// Console messages the UI may cause on purpose: the browser logs every
// non-2xx fetch it made (bad token, 403 role probes, bad JSON, 422, 412, 409, 404).
const EXPECTED_CONSOLE = /^Failed to load resource: the server responded with a status of (400|401|403|404|409|412|422)\b/;

test('admin UI in headless Chromium', async (t) => {
  const browser = await launch({ out: OUT });
  const { page, consoleErrors, dialogs, shot, axeCheck } = browser;
  const unexpected = () => consoleErrors.filter((m) => !EXPECTED_CONSOLE.test(m));
  // axe-core at both sizes (browser.mjs), then the chart redraws at the new
  // width (after a short debounce).
  const checkPage = async (name) => {
    await axeCheck(name);
    await page.waitForFunction(() => {
      const w = document.querySelector('#chart .chart-wrap');
      return !w || w.offsetParent === null || String(w.clientWidth) === document.getElementById('chart').dataset.width;
    });
  };
  const setting = (ptr) => page.locator(`#policy-panel [data-pointer="${ptr}"]`);
  const showCategory = async (panel, cat) => {
    await page.click(`${panel} [role="tab"][data-tab="${cat}"]`);
    await page.waitForSelector(`${panel} .cat[data-category="${cat}"]`, { state: 'visible' });
  };
  const showTab = async (panel, tab) => {
    await page.click(`${panel} .policy-panel > [role="tablist"] [data-tab="${tab}"]`);
  };
  const editorJson = async (panel) => JSON.parse(await page.inputValue(`${panel} .policy-panel textarea.code:not(.json-field)`));

  try {
    await t.test('served files carry the security headers, a strong ETag and 304', async () => {
      let r = await fetch(BASE + '/ui', { redirect: 'manual' });
      assert.equal(r.status, 308);
      assert.equal(r.headers.get('location'), '/ui/');
      r = await fetch(BASE + '/ui/');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(r.headers.get('content-security-policy'), CSP);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      const types = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8', json: 'application/json; charset=utf-8' };
      for (const file of UI_FILES) {
        const type = types[file.slice(file.lastIndexOf('.') + 1)];
        r = await fetch(BASE + '/ui/' + file);
        assert.equal(r.status, 200, file);
        assert.equal(r.headers.get('content-type'), type, file);
        const etag = r.headers.get('etag');
        assert.match(etag, /^"[0-9a-f]{32}"$/, 'strong ETag for ' + file);
        await r.arrayBuffer();
        r = await fetch(BASE + '/ui/' + file, { headers: { 'If-None-Match': etag } });
        assert.equal(r.status, 304, file);
        assert.equal(r.headers.get('etag'), etag);
      }
      r = await fetch(BASE + '/ui/no-such-file.js');
      assert.equal(r.status, 404);
      assert.equal((await r.json()).error.code, 'not_found');
    });

    await t.test('the page loads with no console errors under its CSP', async () => {
      const resp = await page.goto(BASE + '/ui');
      assert.equal(new URL(page.url()).pathname, '/ui/');
      assert.equal(resp.status(), 200);
      assert.equal(resp.headers()['content-security-policy'], CSP);
      await page.waitForSelector('#signin-form', { state: 'visible' });
      await page.waitForLoadState('networkidle');
      assert.equal(await page.title(), 'lockset admin');
      assert.deepEqual(consoleErrors, []);
      // Every form control is labelled; Tab reaches the skip link first.
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
        .filter((e) => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id));
      assert.deepEqual(unlabelled, []);
      // The token field has the focus; the skip link moves it to the content
      // without changing the hash (which names the view).
      assert.equal(await page.evaluate(() => document.activeElement.id), 'token-input');
      await page.focus('.skip-link');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
      assert.equal(new URL(page.url()).hash, '');
      await checkPage('signin');
    });

    await t.test('a bad token is refused with a clear error', async () => {
      await page.fill('#token-input', 'lst_not-a-real-token');
      await page.click('#signin-button');
      await page.waitForSelector('#signin-error', { state: 'visible' });
      assert.match(await page.textContent('#signin-error'), /not accepted \(401\)/);
      assert.equal(await page.isVisible('#nav'), false);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('lockset.token')), null);
      await shot('signin-error');
    });

    // Some decisions to see: denials (one with markup in its image name, which
    // must be shown as text) for the overview, metrics and audit paging, and
    // one that a proposed policy will newly deny (--sysctl is not yet denied).
    const sysctl = await api('POST', '/v1/decisions', {
      body: { method: 'POST', uri: '/v1.43/containers/create', user: 'bob', body: { Image: 'alpine', HostConfig: { Sysctls: { 'net.ipv4.ip_forward': '1' } } } },
    });
    assert.equal(sysctl.data.allow, true, 'sysctls are allowed by the starting policy');
    // The chart test expects the 12 denials in one clock hour: when the hour is
    // about to turn, wait for the turn (a condition on the clock, polled).
    while (3600 - ((Date.now() / 1000) % 3600) < 20) await new Promise((r) => setTimeout(r, 250));
    for (let i = 0; i < 12; i++) {
      const image = i === 11 ? '<img src=x onerror=alert(1)>' : i === 10 ? 'nginx\u202e4pm.sdrawkcab' : 'alpine:' + i;
      const r = await api('POST', '/v1/decisions', {
        body: { method: 'POST', uri: '/v1.43/containers/create', user: 'alice', body: { Image: image, HostConfig: { Privileged: true } } },
      });
      assert.equal(r.status, 200);
      assert.equal(r.data.allow, false);
    }

    await t.test('the admin token signs in; the overview shows health, metrics and denials', async () => {
      await page.fill('#token-input', TOKEN);
      await page.click('#signin-button');
      await page.waitForSelector('#nav', { state: 'visible' });
      assert.equal(await page.textContent('#role-badge'), 'role: admin');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('lockset.token')), TOKEN);
      await page.waitForSelector('#health-cards .stat');
      assert.match(await page.textContent('#health-cards'), /Status\s*ok/);
      // No engine answers here: the scan of its containers says why it did
      // not run, as a warning, and no table of containers is drawn.
      await page.waitForSelector('#health-checks li[data-check="containers"].stat-warn');
      assert.match(await page.textContent('#health-checks li[data-check="containers"]'),
        /Containers the policy would refuse\s*not checked: /);
      assert.equal(await page.$$eval('#policy-containers', (x) => x.length), 0);
      // ... and so does the check of its runtimes, as a warning too.
      assert.match(await page.textContent('#health-checks li[data-check="runtimes"].stat-warn'),
        /Runtimes besides runc\s*not checked: /);
      await page.waitForSelector('#metric-cards .stat');
      assert.match(await page.textContent('#metric-cards'), /Denied\s*12/);
      await page.waitForSelector('#recent-denials tbody tr td:nth-child(5)');
      const subjects = await page.$$eval('#recent-denials tbody td:nth-child(5)', (tds) => tds.map((td) => td.textContent));
      const sources = await page.$$eval('#recent-denials tbody td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
      assert.ok(sources.includes('api'), 'the source of a decision made through POST /v1/decisions');
      assert.ok(subjects.includes('<img src=x onerror=alert(1)>'), 'markup shown as text');
      assert.ok(subjects.includes('nginx\\u202e4pm.sdrawkcab'), 'a right-to-left override shown as an escape, reordering nothing');
      assert.equal(await page.$$eval('#recent-denials img', (x) => x.length), 0, 'no element injected');
      await page.waitForSelector('#chart a.seg[data-rule="privileged"]');
      await checkPage('overview');
    });

    await t.test('the denial chart: hover shows the bucket, a click opens the filtered audit table', async () => {
      const seg = page.locator('#chart a.seg[data-rule="privileged"]').last();
      assert.equal(await seg.getAttribute('data-count'), '12');
      assert.match(await seg.getAttribute('aria-label'), /^privileged: 12 denials, /);
      await seg.hover();
      const tip = page.locator('#chart .chart-tip');
      await tip.waitFor({ state: 'visible' });
      assert.match(await tip.textContent(), /12 denials/);
      assert.match(await tip.locator('li.tip-focus').textContent(), /privileged\s*12/);
      await shot('overview-chart-hover');
      await page.mouse.move(0, 0);
      await tip.waitFor({ state: 'hidden' });
      // The keyboard reaches the segments too: focus shows the same detail.
      await seg.focus();
      await tip.waitFor({ state: 'visible' });
      await seg.press('Enter');
      await page.waitForSelector('#view-audit', { state: 'visible' });
      assert.match(new URL(page.url()).hash, /^#audit\?rule=privileged&decision=deny&since=/);
      assert.equal(await page.inputValue('#audit-rule'), 'privileged');
      assert.equal(await page.inputValue('#audit-decision'), 'deny');
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('#audit-table tbody tr[data-id]')];
        return rows.length === 12 && rows.every((r) => r.textContent.includes('privileged'));
      });
      // The legend links the same way for the whole period.
      await page.click('#nav a[data-view="overview"]');
      await page.waitForSelector('#chart .legend a[data-rule="privileged"]');
      assert.match(await page.textContent('#chart .legend'), /privileged\s*12/);
      // Another period asks again; the hour of these denials is in all three.
      await page.selectOption('#chart-range', 'minute');
      await page.waitForSelector('#chart a.seg[data-rule="privileged"]');
      await page.selectOption('#chart-range', 'hour');
      await page.waitForSelector('#chart a.seg[data-rule="privileged"]');
    });

    await t.test('effective settings: ECI locked by the org, refreshed live', async () => {
      await page.click('#nav a[data-view="settings"]');
      const eci = page.locator('#settings-table tr[data-key="enhancedContainerIsolation"]');
      await eci.waitFor();
      assert.equal(await eci.getAttribute('data-locked'), 'true');
      assert.equal(await eci.getAttribute('data-source'), 'org');
      assert.match(await eci.textContent(), /Locked by your administrator/);
      assert.match(await eci.textContent(), /true/);
      const analytics = page.locator('#settings-table tr[data-key="analyticsEnabled"]');
      assert.equal(await analytics.getAttribute('data-locked'), 'false');
      assert.equal(await analytics.getAttribute('data-source'), 'default');
      assert.ok(await page.locator('#settings-table tr[data-key="containerPolicy.deniedFlags"]').count() === 1, 'group fields expanded');
      assert.ok(await page.locator('#settings-table tr[data-key="linuxVM.wslEngineEnabled"]').count() === 1, 'namespaces expanded');
      await page.waitForSelector('#settings-live.live-on');
      await checkPage('settings');
      // Change the policy behind the page's back: the long-poll brings it in.
      const cur = await api('GET', '/v1/policy');
      const doc = { ...cur.data, analyticsEnabled: { locked: true, value: false } };
      const put = await api('PUT', '/v1/policy', { body: doc, headers: { 'If-Match': cur.headers.get('etag'), 'X-Lockset-Comment': 'ui test: live refresh' } });
      assert.equal(put.status, 200, put.text);
      await page.waitForSelector('#settings-table tr[data-key="analyticsEnabled"][data-locked="true"][data-source="org"]');
      assert.match(await page.textContent('#settings-meta'), new RegExp('policy version ' + put.data.version));
      // The filter narrows the table without a request.
      await page.fill('#settings-filter', 'proxy');
      assert.equal(await page.locator('#settings-table tr[data-key="enhancedContainerIsolation"]').count(), 0);
      assert.ok(await page.locator('#settings-table tr[data-key="proxy"]').count() === 1);
      await page.fill('#settings-filter', '');

      // One user's view: the per-user policy layer shows as its source.
      const up = await api('PUT', '/v1/policy/users/alice', { body: { configurationFileVersion: 2, displayedOnboarding: { locked: true, value: true } } });
      assert.equal(up.status, 200, up.text);
      await page.fill('#settings-user', 'alice');
      await page.click('#settings-form button[type="submit"]');
      await page.waitForSelector('#settings-table tr[data-key="displayedOnboarding"][data-source="user-policy"][data-locked="true"]');
      assert.match(await page.textContent('#settings-meta'), /Settings for user alice/);
      await page.waitForSelector('#settings-live.live-on');
      await page.fill('#settings-user', '');
      await page.click('#settings-form button[type="submit"]');
      await page.waitForSelector('#settings-table tr[data-key="displayedOnboarding"][data-source="default"]');
    });

    await t.test('policy editor: generated from the schema, in Docker Desktop\'s categories', async () => {
      await page.click('#nav a[data-view="policy"]');
      await setting('/analyticsEnabled').waitFor();
      const schema = await (await fetch(BASE + '/ui/admin-settings.schema.json')).json();
      for (const key of Object.keys(schema.properties)) {
        if (key === 'configurationFileVersion') continue;
        assert.equal(await setting('/' + key).count(), 1, 'a control for ' + key);
      }
      const cats = await page.$$eval('#policy-panel .tablist-vertical [role="tab"]', (b) => b.map((x) => x.dataset.tab));
      assert.deepEqual(cats, ['general', 'eci', 'files', 'proxy', 'kubernetes', 'scout', 'ai', 'containerPolicy']);
      // The arrow keys move between categories.
      await page.focus('#policy-panel .tablist-vertical [data-tab="general"]');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'eci');
      await page.waitForSelector('#policy-panel .cat[data-category="eci"]', { state: 'visible' });
      assert.equal(await page.isVisible('#policy-panel .cat[data-category="general"]'), false);
      // Each kind of control: a switch, a select, a number, a list.
      await showCategory('#policy-panel', 'general');
      assert.equal(await setting('/analyticsEnabled').locator('input[role="switch"].switch:not(.lock-switch)').count(), 1);
      assert.equal(await setting('/defaultNetworkingMode').locator('select').count(), 1);
      await showCategory('#policy-panel', 'ai');
      assert.equal(await setting('/enableInferenceTCPPort').locator('input[type="number"]').count(), 1);
      await showCategory('#policy-panel', 'containerPolicy');
      assert.equal(await setting('/containerPolicy/protectedHostPaths').locator('.list-editor').count(), 1);
      assert.match(await setting('/containerPolicy/deniedFlags').textContent(), /--sysctl.*kernel parameter/s);
      await checkPage('policy');
    });

    let saved;
    await t.test('policy editor: lock, group lock, flags, typed constraints, JSON sync, review, save', async () => {
      const before = await policyVersion();
      await showCategory('#policy-panel', 'general');
      // Lock a setting through its toggle: the source becomes this policy.
      const silent = setting('/silentModulesUpdate');
      assert.equal(await silent.getAttribute('data-locked'), 'false');
      assert.equal(await silent.locator('.badge.source').textContent(), 'default');
      await silent.locator('.lock-toggle label').click();
      assert.equal(await silent.getAttribute('data-locked'), 'true');
      assert.equal(await silent.locator('.badge.source').textContent(), 'org policy');
      await silent.locator('input.switch:not(.lock-switch)').uncheck();
      // ... and the JSON tab says the same.
      await showTab('#view-policy', 'json');
      let doc = await editorJson('#view-policy');
      assert.deepEqual(doc.silentModulesUpdate, { locked: true, value: false });
      // The other way: an edit in the JSON shows in the settings.
      doc.disableUpdate = { locked: true, value: true };
      await page.fill('#view-policy .policy-panel textarea.code:not(.json-field)', JSON.stringify(doc, null, 2));
      await showTab('#view-policy', 'settings');
      assert.equal(await setting('/disableUpdate').getAttribute('data-locked'), 'true');
      assert.equal(await setting('/disableUpdate').locator('input.switch:not(.lock-switch)').isChecked(), true);
      // A group lock locks every field of the group.
      await showCategory('#policy-panel', 'proxy');
      await setting('/proxy').locator('.group-head .lock-toggle label').click();
      const fields = setting('/proxy').locator('.setting');
      assert.ok(await fields.count() >= 8);
      for (const f of await fields.all()) {
        assert.equal(await f.getAttribute('data-locked'), 'true');
        assert.equal(await f.locator('.group-lock-note').textContent(), 'Locked with its group');
      }
      // Denied flags come from the closed vocabulary.
      await showCategory('#policy-panel', 'containerPolicy');
      const flags = setting('/containerPolicy/deniedFlags');
      await flags.locator('li.flag[data-flag="--sysctl"] input').check();
      await flags.locator('details[data-group="capabilities"] summary').click();
      await flags.locator('li.flag[data-flag="--cap-add=NET_ADMIN"] input').check();
      assert.match(await flags.locator('li.flag[data-flag="--cap-add=NET_ADMIN"]').textContent(), /CAP_NET_ADMIN: configure interfaces/);
      // A constraint is enforced as it is typed, at its field.
      await showCategory('#policy-panel', 'ai');
      const port = setting('/enableInferenceTCPPort');
      await port.locator('input[type="number"]').fill('70000');
      await port.locator('.field-error').waitFor({ state: 'visible' });
      assert.match(await port.locator('.field-error').textContent(), /expected a number <= 65535; found 70000/);
      assert.equal(await port.locator('input[type="number"]').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.textContent('#policy-panel [role="tab"][data-tab="ai"] .cat-count'), '1');
      assert.match(await page.textContent('#policy-problem-count'), /1 problem to fix/);
      await shot('policy-typed-error');
      await port.locator('input[type="number"]').fill('12435');
      await port.locator('.field-error').waitFor({ state: 'hidden' });
      assert.equal(await page.textContent('#policy-problem-count'), '');

      // Review: a readable diff beside the impact on recorded traffic.
      await page.click('#policy-review');
      await page.waitForSelector('#policy-review-box', { state: 'visible' });
      const diff = await page.$$eval('#policy-review-box table.diff tbody tr', (rs) => Object.fromEntries(rs.map((r) => [r.dataset.path, r.cells[3].textContent])));
      assert.equal(diff['/silentModulesUpdate/locked'], 'locked');
      assert.equal(diff['/silentModulesUpdate/value'], 'set to false');
      assert.equal(diff['/disableUpdate/locked'], 'locked');
      assert.equal(diff['/proxy/locked'], 'locked');
      assert.equal(diff['/enableInferenceTCPPort/value'], 'set to 12435');
      assert.equal(diff['/containerPolicy/deniedFlags'], 'added --sysctl, --cap-add=NET_ADMIN');
      await page.waitForSelector('#policy-review-box .impact-denied li[data-rule="sysctl"]');
      assert.match(await page.textContent('#policy-review-box .impact-denied'), /Newly denied\s*1.*sysctl\s*1 request/s);
      assert.equal(await policyVersion(), before, 'a review stores nothing');
      await checkPage('policy-review');

      // Save: the version moves on, and the audit log has its policy.updated row.
      await page.fill('#policy-comment', 'ui test: lock module updates, deny sysctls');
      await page.click('#policy-save');
      await page.waitForFunction((v) => document.getElementById('policy-result').textContent.includes('Saved as version ' + v), before + 1);
      saved = before + 1;
      assert.equal(await policyVersion(), saved);
      assert.equal(await page.getAttribute('#policy-meta', 'data-version'), String(saved));
      assert.match(await page.textContent('#policy-meta'), new RegExp('Current version ' + saved));
      await page.waitForSelector(`#versions-table tr[data-version="${saved}"]`);
      const now = (await api('GET', '/v1/policy')).data;
      assert.deepEqual(now.silentModulesUpdate, { locked: true, value: false });
      assert.equal(now.proxy.locked, true);
      assert.equal(now.enableInferenceTCPPort.value, 12435);
      assert.ok(now.containerPolicy.deniedFlags.includes('--cap-add=NET_ADMIN'));
      await page.click('#policy-result a:has-text("policy.updated")');
      await page.waitForFunction((v) => {
        const row = document.querySelector('#audit-table tbody tr[data-id]');
        return row && row.dataset.action === 'policy.updated' && row.textContent.includes('v' + v);
      }, saved);
      assert.equal(await page.inputValue('#audit-action'), 'policy.updated');
    });

    await t.test('policy editor: the daemon\'s 422 problems appear at their fields', async () => {
      await page.click('#nav a[data-view="policy"]');
      await setting('/analyticsEnabled').waitFor({ state: 'attached' });
      await showTab('#view-policy', 'json');
      const bad = await editorJson('#view-policy');
      bad.containerPolicy.deniedFlags = [...bad.containerPolicy.deniedFlags, '--no-such-flag'];
      bad.blockDockerLoad = { locked: true, value: 'yes' };
      await page.fill('#view-policy .policy-panel textarea.code:not(.json-field)', JSON.stringify(bad, null, 2));
      await page.click('#policy-review');
      await page.waitForFunction(() => /The daemon refused the policy \(2 problems\)/.test(document.getElementById('policy-result').textContent));
      assert.equal(await page.isVisible('#policy-review-box'), false);
      assert.match(await page.textContent('#view-policy .json-problems'), /\/containerPolicy\/deniedFlags\/\d+/);
      await showTab('#view-policy', 'settings');
      await showCategory('#policy-panel', 'containerPolicy');
      const flagErr = setting('/containerPolicy/deniedFlags').locator('.field-error p[data-origin="daemon"]');
      await flagErr.waitFor();
      assert.match(await flagErr.textContent(), /The daemon refused this: unknown flag "--no-such-flag"/);
      assert.match(await setting('/containerPolicy/deniedFlags').locator('.picker-unknown').textContent(), /--no-such-flag/);
      await showCategory('#policy-panel', 'general');
      assert.match(await setting('/blockDockerLoad').locator('.field-error p[data-origin="daemon"]').textContent(), /expected boolean; found "yes"/);
      assert.equal(await setting('/blockDockerLoad').locator('.field-error p').count(), 1, 'the same problem is not listed twice');
      await shot('policy-daemon-error');
      assert.equal(await policyVersion(), saved, 'nothing was stored');
    });

    await t.test('policy editor: a concurrent save is shown, not overwritten; rollback', async () => {
      await page.click('#policy-reload');
      await page.waitForFunction(() => document.getElementById('policy-problem-count').textContent === '');
      await showCategory('#policy-panel', 'general');
      await setting('/extensionsEnabled').locator('.lock-toggle label').click();
      // Someone else saves meanwhile.
      const cur = await api('GET', '/v1/policy');
      const put = await api('PUT', '/v1/policy', { body: { ...cur.data, displayedOnboarding: { locked: true, value: true } }, headers: { 'If-Match': cur.headers.get('etag') } });
      assert.equal(put.status, 200);
      await page.click('#policy-review');
      await page.waitForSelector('#policy-review-box', { state: 'visible' });
      await page.click('#policy-save');
      await page.waitForSelector('#policy-result .conflict');
      assert.match(await page.textContent('#policy-result .conflict'), new RegExp('Changed by someone else\\. Version ' + (saved + 1) + ' was saved after you loaded version ' + saved));
      assert.equal(await page.locator('#policy-result .conflict tr[data-path="/displayedOnboarding/locked"]').count(), 1, 'their change is shown');
      assert.equal(await policyVersion(), saved + 1, 'nothing overwritten');
      assert.equal((await api('GET', '/v1/policy')).data.extensionsEnabled, undefined);
      await shot('policy-conflict');
      await page.click('#policy-result button:has-text("Discard my edits")');
      await page.waitForFunction(() => document.querySelector('#policy-panel [data-pointer="/displayedOnboarding"]').dataset.locked === 'true');

      // Versions: view the first one and roll back to it.
      await page.click('#versions-table tr[data-version="1"] button:has-text("View")');
      await page.waitForSelector('#version-view', { state: 'visible' });
      assert.match(await page.textContent('#version-doc'), /configurationFileVersion/);
      await page.click('#version-rollback');
      await page.click('#version-confirm-yes');
      await page.waitForFunction((v) => document.getElementById('policy-result').textContent.includes('version ' + v + ' now serves the document of version 1'), saved + 2);
      assert.equal(await policyVersion(), saved + 2);
      assert.equal((await api('GET', '/v1/policy')).data.silentModulesUpdate, undefined, 'version 1 had no silentModulesUpdate');
    });

    await t.test('per-user policies: list, edit with the same editor, history, effective settings', async () => {
      await page.click('#nav a[data-view="users"]');
      await page.waitForSelector('#users-table tr[data-user="alice"]');
      await page.click('#users-table tr[data-user="alice"] button:has-text("Edit")');
      await page.waitForSelector('#user-detail', { state: 'visible' });
      const u = (ptr) => page.locator(`#user-panel [data-pointer="${ptr}"]`);
      await u('/displayedOnboarding').waitFor();
      assert.equal(await u('/displayedOnboarding').locator('.badge.source').textContent(), 'user policy');
      assert.equal(await u('/blockDockerLoad').locator('.badge.source').textContent(), 'org policy', 'an unset key shows the layer below');
      assert.equal(await u('/analyticsEnabled').locator('.badge.source').textContent(), 'default');
      assert.equal(await page.getAttribute('#user-meta', 'data-version'), '1');
      // Lock analytics off for alice.
      await u('/analyticsEnabled').locator('.lock-toggle label').click();
      await u('/analyticsEnabled').locator('input.switch:not(.lock-switch)').uncheck();
      await page.fill('#user-comment', 'ui test: no analytics for alice');
      await page.click('#user-review');
      await page.waitForSelector('#user-review-box', { state: 'visible' });
      assert.equal(await page.locator('#user-review-box table.diff tr[data-path="/analyticsEnabled/locked"]').count(), 1);
      await checkPage('users');
      await page.click('#user-save');
      await page.waitForFunction(() => /Saved alice’s policy as version 2/.test(document.getElementById('user-result').textContent));
      assert.deepEqual((await api('GET', '/v1/policy/users/alice')).data.document.analyticsEnabled, { locked: true, value: false });
      await page.waitForSelector('#users-table tr[data-user="alice"][data-version="2"]');
      // Its history says what each version changed.
      await page.waitForSelector('#user-history tr[data-version="2"]');
      assert.match(await page.textContent('#user-history tr[data-version="2"]'), /ui test: no analytics for alice.*analyticsEnabled/s);
      // Effective settings for alice, with the source of each key.
      await page.waitForSelector('#user-effective tr[data-key="analyticsEnabled"][data-source="user-policy"][data-locked="true"]');
      await page.waitForSelector('#user-effective tr[data-key="displayedOnboarding"][data-source="user-policy"]');
      await page.waitForSelector('#user-effective tr[data-key="blockDockerLoad"][data-source="org"]');

      // A new user's policy starts empty and is created on save.
      await page.fill('#users-name', 'carol');
      await page.click('#users-open');
      await page.waitForFunction(() => document.getElementById('user-title').textContent === 'Policy for carol');
      assert.match(await page.textContent('#user-meta'), /No policy yet/);
      await page.locator('#user-panel [role="tab"][data-tab="containerPolicy"]').click();
      await u('/containerPolicy').locator('.group-head .lock-toggle label').click();
      await u('/containerPolicy/deniedFlags').locator('li.flag[data-flag="--privileged"] input').check();
      await page.click('#user-review');
      await page.click('#user-save');
      await page.waitForSelector('#users-table tr[data-user="carol"][data-version="1"]');
      const carol = await api('POST', '/v1/decisions', { body: { method: 'POST', uri: '/v1.43/containers/create', user: 'carol', body: { Image: 'alpine', HostConfig: { Privileged: true } } } });
      assert.equal(carol.data.allow, false, 'carol\'s own policy is in force');
      // And is deleted with a confirmation.
      await page.click('#user-delete');
      await page.click('#user-confirm-yes');
      await page.waitForFunction(() => !document.querySelector('#users-table tr[data-user="carol"]'));
      assert.equal((await api('GET', '/v1/policy/users/carol')).status, 404);
    });

    await t.test('hosts: a daemon without fleet mode says so', async () => {
      await page.click('#nav a[data-view="hosts"]');
      await page.waitForSelector('#hosts-unavailable', { state: 'visible' });
      assert.match(await page.textContent('#hosts-unavailable'), /Fleet mode is not enabled on this daemon\./);
      assert.equal(await page.isVisible('#hosts-body'), false);
      await checkPage('hosts');
    });

    await t.test('hosts: a reporting host is listed with its bundle version and status', async () => {
      const rep = await api('POST', '/v1/hosts/dev-laptop-1/status', {
        body: { locksetVersion: '1.0', bundleVersion: 3, mode: 'enforce', status: 'ok', decisions: 40, denies: 2 },
      });
      assert.equal(rep.status, 404, 'a daemon that is not a central takes no reports');
      // The row a central would have stored, written with the sqlite3 CLI.
      const now = new Date().toISOString().replace('Z', '000Z');
      execFileSync('sqlite3', ['-cmd', '.timeout 5000', join(STATE, 'lockset.db'),
        'INSERT INTO hosts (host, lockset_version, bundle_version, mode, status, decisions, denies, ' +
        `first_seen, last_seen) VALUES ('dev-laptop-1', '1.0', 3, 'enforce', 'ok', 40, 2, '${now}', '${now}')`]);
      await page.click('#nav a[data-view="overview"]');
      await page.click('#nav a[data-view="hosts"]');
      await page.waitForSelector('#hosts-table tbody tr[data-host="dev-laptop-1"]');
      const row = page.locator('#hosts-table tbody tr[data-host="dev-laptop-1"]');
      assert.match(await row.textContent(), /v3/);
      assert.equal(await row.getAttribute('data-status'), 'current');
      assert.equal(await page.isVisible('#hosts-unavailable'), false);
      await checkPage('hosts-with-a-host');
      // A host whose bundle expired: its updates are being held back.
      execFileSync('sqlite3', ['-cmd', '.timeout 5000', join(STATE, 'lockset.db'),
        'INSERT INTO hosts (host, lockset_version, bundle_version, bundle_expires, mode, status, ' +
        `first_seen, last_seen) VALUES ('dev-laptop-2', '1.0', 3, '2020-01-01T00:00:00Z', 'enforce', ` +
        `'degraded', '${now}', '${now}')`]);
      await page.click('#nav a[data-view="overview"]');
      await page.click('#nav a[data-view="hosts"]');
      await page.waitForSelector('#hosts-table tbody tr[data-host="dev-laptop-2"]');
      const held = page.locator('#hosts-table tbody tr[data-host="dev-laptop-2"]');
      assert.equal(await held.getAttribute('data-status'), 'expired');
      assert.match(await page.textContent('#hosts-summary'), /Expired\s*1/);
    });

    await t.test('audit: search, paging, verify and export', async () => {
      await page.click('#nav a[data-view="audit"]');
      await page.waitForSelector('#audit-table tbody tr[data-id]');
      const want = 'policy.updated';
      await page.fill('#audit-action', want);
      await page.click('#audit-search');
      await page.waitForFunction((a) => {
        const rows = [...document.querySelectorAll('#audit-table tbody tr[data-id]')];
        return rows.length > 0 && rows.every((r) => r.dataset.action === a);
      }, want);
      // Paging with the next cursor: 10 per page over at least 12 denials.
      await page.click('#audit-reset');
      await page.fill('#audit-action', 'container.*');
      await page.selectOption('#audit-decision', 'deny');
      await page.selectOption('#audit-limit', '10');
      await page.click('#audit-search');
      await page.waitForFunction(() => document.querySelectorAll('#audit-table tbody tr[data-id]').length === 10);
      await page.waitForSelector('#audit-more', { state: 'visible' });
      await page.click('#audit-more');
      await page.waitForFunction(() => document.querySelectorAll('#audit-table tbody tr[data-id]').length >= 12);
      const ids = await page.$$eval('#audit-table tbody tr[data-id]', (rs) => rs.map((r) => Number(r.dataset.id)));
      assert.equal(new Set(ids).size, ids.length, 'no row twice');
      assert.deepEqual([...ids].sort((a, b) => b - a), ids, 'newest first');
      assert.ok((await page.textContent('#audit-table')).includes('<img src=x onerror=alert(1)>'));
      assert.equal(await page.$$eval('#audit-table img', (x) => x.length), 0);
      // Details open as text.
      await page.click('#audit-table tbody tr[data-id] button');
      await page.waitForSelector('#audit-table tr.detail-row:not([hidden]) pre');

      await page.click('#audit-verify');
      await page.waitForSelector('#audit-verify-result.alert-ok');
      assert.match(await page.textContent('#audit-verify-result'), /Chain OK\. \d+ events? verified/);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-export-csv')]);
      assert.match(download.suggestedFilename(), /^lockset-audit-\d{8}T\d{6}Z\.csv$/);
      const csv = readFileSync(await download.path(), 'utf8');
      assert.ok(csv.startsWith('id,time,action,'), csv.slice(0, 80));
      assert.ok(csv.split('\r\n').filter(Boolean).length >= 13, 'every matching row, not one page');
      const [nd] = await Promise.all([page.waitForEvent('download'), page.click('#audit-export-ndjson')]);
      const lines = readFileSync(await nd.path(), 'utf8').trim().split('\n');
      assert.equal(JSON.parse(lines[0]).action.startsWith('container.'), true);
      await checkPage('audit');
    });

    await t.test('tokens: create shows the secret once, revoke takes effect', async () => {
      await page.click('#nav a[data-view="tokens"]');
      await page.waitForSelector('#tokens-table tr[data-name="ui"]');
      await page.fill('#token-name', 'ui-test-bot');
      await page.selectOption('#token-role', 'auditor');
      await page.selectOption('#token-expiry', '604800');
      await page.click('#token-create');
      await page.waitForSelector('#secret-box', { state: 'visible' });
      const secret = await page.inputValue('#secret-value');
      assert.ok(secret.length > 20, 'a secret is shown');
      assert.equal((await api('GET', '/v1/audit?limit=1', { token: secret })).status, 200, 'the new token works');
      await page.click('#secret-copy');
      await page.waitForFunction(() => document.getElementById('secret-copied').textContent !== '');
      await page.waitForSelector('#tokens-table tr[data-name="ui-test-bot"][data-status="active"]');
      await checkPage('tokens');
      await page.click('#secret-done');
      assert.equal(await page.isVisible('#secret-box'), false);
      assert.equal(await page.inputValue('#secret-value'), '', 'the secret is gone from the page');

      // A duplicate name is refused with a clear message.
      await page.fill('#token-name', 'ui-test-bot');
      await page.click('#token-create');
      await page.waitForSelector('#token-error', { state: 'visible' });
      assert.match(await page.textContent('#token-error'), /already exists/);

      await page.click('#tokens-table tr[data-name="ui-test-bot"] button:has-text("Revoke")');
      await page.click('#tokens-table tr[data-name="ui-test-bot"] button:has-text("Confirm revoke")');
      await page.waitForSelector('#tokens-table tr[data-name="ui-test-bot"][data-status="revoked"]');
      assert.equal((await api('GET', '/v1/audit?limit=1', { token: secret })).status, 401, 'revoked at once');
    });

    await t.test('narrow screens and sign-out', async () => {
      await page.setViewportSize(NARROW);
      await page.click('#nav a[data-view="settings"]');
      await page.waitForSelector('#settings-table tr[data-key="enhancedContainerIsolation"]');
      await shot('settings-narrow-viewport', { fullPage: false });
      await page.click('#nav a[data-view="policy"]');
      await page.waitForSelector('#policy-panel [data-pointer="/analyticsEnabled"]');
      await shot('policy-narrow-viewport', { fullPage: false });
      await page.setViewportSize(WIDE);
      await page.click('#sign-out');
      await page.waitForSelector('#signin-form', { state: 'visible' });
      assert.equal(await page.evaluate(() => sessionStorage.getItem('lockset.token')), null);
      assert.equal(await page.isVisible('#nav'), false);
    });

    await t.test('an auditor token: role shown, admin-only actions refused clearly', async () => {
      const made = await api('POST', '/v1/tokens', { body: { name: 'ui-auditor', role: 'auditor', expiresIn: 3600 } });
      assert.equal(made.status, 201);
      await page.fill('#token-input', made.data.secret);
      await page.click('#signin-button');
      await page.waitForSelector('#nav', { state: 'visible' });
      assert.equal(await page.textContent('#role-badge'), 'role: auditor');
      await page.click('#nav a[data-view="policy"]');
      await page.waitForSelector('#versions-unavailable', { state: 'visible' });
      assert.match(await page.textContent('#versions-unavailable'), /needs the admin role/);
      assert.equal(await page.isDisabled('#policy-review'), true);
      assert.equal(await setting('/analyticsEnabled').locator('input.lock-switch').isDisabled(), true, 'the editor is read-only');
      assert.equal(await page.getAttribute('#view-policy .policy-panel textarea.code:not(.json-field)', 'readonly'), '');
      await page.click('#nav a[data-view="users"]');
      await page.waitForSelector('#users-table tr[data-user="alice"]');
      await page.click('#nav a[data-view="tokens"]');
      await page.waitForSelector('#tokens-table td.empty');
      assert.match(await page.textContent('#tokens-table'), /needs the admin role/);
      await page.click('#nav a[data-view="audit"]');
      await page.waitForSelector('#audit-table tbody tr[data-id]');
      await page.click('#sign-out');
      await page.waitForSelector('#signin-form', { state: 'visible' });
    });

    await t.test('no unexpected console errors, CSP violations or dialogs', () => {
      assert.deepEqual(unexpected(), []);
      assert.deepEqual(dialogs, []);
    });
  } finally {
    await browser.close();
  }
});
