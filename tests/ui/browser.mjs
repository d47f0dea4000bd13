// SPDX-License-Identifier: Apache-2.0
// What every browser test of the admin UI shares: Debian's headless Chromium
// in a throw-away profile (driven by playwright-core), a record of the
// console errors and dialogs the page causes, screenshots, axe-core at both
// page sizes, and signing in with a token. Used by ui.test.mjs (tests/ui/
// test_ui.sh) and scan.test.mjs (tests/e2e/test_docker_scan.sh).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';

export const TIMEOUT = 15000;
export const WIDE = { width: 1280, height: 800 };
export const NARROW = { width: 390, height: 844 };
const AXE_SRC = readFileSync(join(dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js'), 'utf8');

// The browser, its page and what the page said. close() ends both and
// removes the profile.
export async function launch({ chromiumPath = process.env.LOCKSET_UI_CHROMIUM || '/usr/bin/chromium', out = tmpdir() } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'lockset-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: WIDE,
    acceptDownloads: true,
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const consoleErrors = [];
  const dialogs = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const shot = async (name, opts = {}) => {
    const file = join(out, name + '.png');
    await page.screenshot({ path: file, fullPage: true, ...opts });
    console.log('screenshot: ' + file);
  };
  const nextFrame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  // axe-core on the page as it stands (injected through the DevTools
  // protocol, so the page's CSP still holds for everything it loads itself):
  // no serious or critical violation, at both sizes, with a screenshot of
  // each; the page is left at the wide size.
  const axeCheck = async (name) => {
    for (const vp of [WIDE, NARROW]) {
      await page.setViewportSize(vp);
      await nextFrame();
      if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SRC);
      const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')));
      assert.deepEqual(violations, [], name + ' at ' + vp.width + 'x' + vp.height);
      // Reads at this width: nothing makes the page itself scroll sideways.
      const wide = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(wide[0] <= wide[1], name + ' at ' + vp.width + ': the page is ' + wide[0] + 'px wide');
      await shot(name + '-' + vp.width);
    }
    await page.setViewportSize(WIDE);
    await nextFrame();
  };
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, consoleErrors, dialogs, shot, axeCheck, close };
}

// Sign in on the page (showing the sign-in form) with token.
export async function signIn(page, token) {
  await page.fill('#token-input', token);
  await page.click('#signin-button');
  await page.waitForSelector('#nav', { state: 'visible' });
}
