// The harness of the editor's browser tests: Debian's headless Chromium
// (/usr/bin/chromium or $CHROMIUM) driven by playwright-core, a fresh empty
// profile per run (so no stored token), every console error, page error,
// failed request and dialog collected, one line per check and
// "N passed, N failed" at the end; exit 1 on any failure.
//
//   browserTest('usage: node test/X.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check, errors, args }) => { … }, opts);
//
// opts.expected: a RegExp of console errors and failed responses the test
// provokes on purpose (401s of a server that wants a token), not counted.
// opts.expectedFailures: a RegExp of failed requests' error texts the test
// provokes on purpose (a cut network), not counted.
// opts.context: more options of the browser context (a phone's viewport,
// touch, permissions).
// args are the command-line arguments after BASE_URL and SCREENSHOT.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function browserTest(usage, body, opts = {}) {
  const [base, shot, ...args] = process.argv.slice(2);
  if (!base) {
    console.error(usage);
    process.exit(2);
  }
  let passed = 0;
  let failed = 0;
  const check = (name, ok, detail = '') => {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
    return ok;
  };
  const profile = mkdtempSync(join(tmpdir(), 'gridmap-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1600, height: 900 },
    ...opts.context, // a phone: viewport, isMobile, hasTouch, permissions
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
      '--disable-component-update', '--disable-sync', '--disable-quic',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    ],
  });
  const errors = [];
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => m.type() === 'error' && !opts.expected?.test(m.text()) && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => {
      // The event stream is cut when the page goes elsewhere: not a failure;
      // MapLibre cancels the tiles a moved or closed map no longer needs.
      const path = new URL(r.url()).pathname;
      if (/ERR_ABORTED/.test(r.failure()?.errorText ?? '') && (path === '/api/v1/events' || path.startsWith('/tiles/'))) return;
      if (opts.expectedFailures?.test(r.failure()?.errorText ?? '')) return; // a network cut on purpose
      errors.push('request failed: ' + r.url() + ' (' + (r.failure()?.errorText ?? '') + ')');
    });
    page.on('dialog', (d) => {
      errors.push('unexpected dialog: ' + d.message());
      d.dismiss();
    });
    await body({ base, shot, page, check, errors, args, context: browser });
    check('no console error or failed request', errors.length === 0, errors.join(' | '));
  } catch (err) {
    check('test ran to the end', false, err.stack + '\n' + errors.join('\n'));
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
