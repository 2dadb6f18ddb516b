// browser.js - Debian's Chromium driven by playwright-core (never a browser of its own),
// with every request, console error and page error of the context recorded, so the test
// can check that the pages talk to nobody but the server and raise no error.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

// Flags known to work here: no sandbox (root), no GPU, and no background traffic
// (Google's hosts are unreachable from this network, and would pollute the request log).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The browser's complaints that are the server's HTTP answers, which the test checks
// on its own (a 401 for a wrong password, the 403 of the CSRF check): Chromium logs each
// as a console error.
const HTTP_STATUS_LOG = /^Failed to load resource: the server responded with a status of (\d+)/;

// Starts Chromium on a fresh profile; returns {context, requests, problems, close}.
// requests: every URL the browser asked for; problems: console errors, uncaught page
// errors and failed or server-error responses, as readable strings.
async function launch({ viewport = { width: 1280, height: 800 } } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wsx-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport,
    timezoneId: 'Europe/Warsaw', // local time differs from UTC, so the connections page shows both
    locale: 'en-GB',
  });
  context.setDefaultTimeout(10000);
  const requests = [];
  const problems = [];
  context.on('request', (req) => requests.push(req.url()));
  context.on('requestfailed', (req) => {
    const f = req.failure();
    // a navigation away cancels the requests of the page being left
    if (f && f.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.method()} ${req.url()}: ${f ? f.errorText : '?'}`);
  });
  context.on('response', (res) => {
    const s = res.status();
    // an API call may answer 4xx (the test asks for some); a page or asset may not be missing
    const missing = s === 404 && !new URL(res.url()).pathname.startsWith('/api/');
    if (s >= 500 || missing) problems.push(`HTTP ${s} for ${res.request().method()} ${res.url()}`);
  });
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      if (HTTP_STATUS_LOG.test(msg.text()) && Number(msg.text().match(HTTP_STATUS_LOG)[1]) < 500) return;
      problems.push(`console error on ${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`uncaught error on ${page.url()}: ${err.stack || err}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, requests, problems, close };
}

module.exports = { launch };
