// SPDX-License-Identifier: Apache-2.0
// The overview's table of the engine's containers that the policy would
// refuse a start, in real headless Chromium, against a daemon judging a real
// dockerd's containers: run by tests/e2e/test_docker_scan.sh (with
// tests/ui/lib.sh), which sets LOCKSET_UI_URL, LOCKSET_UI_TOKEN (an admin
// token), LOCKSET_UI_OUT and LOCKSET_UI_CONTAINERS: the engine's
// policyContainerList from /v1/health, which the table must show row for row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { launch, signIn } from './browser.mjs';

const BASE = process.env.LOCKSET_UI_URL;
const TOKEN = process.env.LOCKSET_UI_TOKEN;
const OUT = process.env.LOCKSET_UI_OUT || tmpdir();
const LISTED = JSON.parse(process.env.LOCKSET_UI_CONTAINERS || 'null');

assert.ok(BASE && TOKEN && Array.isArray(LISTED) && LISTED.length > 0,
  'LOCKSET_UI_URL, LOCKSET_UI_TOKEN and LOCKSET_UI_CONTAINERS (a non-empty list) must be set');

test('the overview names the containers the policy would refuse', async () => {
  const browser = await launch({ out: OUT });
  const { page, consoleErrors, dialogs, axeCheck } = browser;
  try {
    await page.goto(BASE + '/ui/');
    await page.waitForSelector('#signin-form', { state: 'visible' });
    await signIn(page, TOKEN);
    await page.waitForSelector('#health-cards .stat');
    assert.match(await page.textContent('#health-cards'), /Status\s*degraded/);

    // The check, as a failure (not a warning), with the daemon's own words.
    const item = '#health-checks li[data-check="containers"]';
    await page.waitForSelector(item + '.stat-bad');
    assert.match(await page.textContent(item),
      new RegExp('^Containers the policy would refuse\\s*' + LISTED.length + ' containers of the engine at '));

    // The table: one row a container, in the daemon's order, each cell as
    // the daemon gave it; a container made before lockset saw it has no
    // known maker, said so in muted text.
    const rows = await page.$$eval(item + ' #policy-containers tbody tr', (trs) => trs.map((tr) => ({
      key: tr.dataset.name,
      cells: [...tr.cells].map((td) => td.textContent),
      chips: [...tr.querySelectorAll('.chip')].map((c) => c.textContent),
      muted: tr.cells[3].classList.contains('muted'),
    })));
    assert.equal(rows.length, LISTED.length);
    LISTED.forEach((c, i) => {
      const r = rows[i];
      assert.equal(r.key, c.name, 'row ' + i);
      assert.deepEqual(r.cells.slice(0, 3), [c.name, c.id, c.state], c.name);
      assert.equal(r.cells[3], c.user ? String(c.user) : 'not known', c.name + ': made by');
      assert.equal(r.muted, !c.user, c.name + ': an unknown maker is muted');
      assert.deepEqual(r.chips, c.rules, c.name + ': its rules, one chip each');
    });
    // Headers a screen reader announces, and a caption saying what it is.
    assert.deepEqual(await page.$$eval('#policy-containers thead th[scope="col"]', (ths) => ths.map((th) => th.textContent)),
      ['Name', 'Id', 'State', 'Made by', 'Rules']);
    assert.equal(await page.textContent('#policy-containers caption'), 'Containers whose start the policy would refuse');
    await axeCheck('overview-containers');

    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(dialogs, []);
  } finally {
    await browser.close();
  }
});
