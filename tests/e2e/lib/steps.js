// steps.js - the end-to-end test as a list of named steps on node:test. A step that
// fails saves a screenshot of the page and the server's log to build/e2e-failures/
// and names them in its error; the steps after it are skipped (they would only fail
// for the same reason), so the first failure is the one to read.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { ROOT } = require('./server');

const FAILURES = path.join(ROOT, 'build', 'e2e-failures');

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

// state: {page(), server()}, the current page and server, read when a step fails.
function makeStep(state) {
  let failed = null;
  let n = 0;
  fs.rmSync(FAILURES, { recursive: true, force: true });
  return function step(name, fn, { timeout = 60000 } = {}) {
    const num = String(++n).padStart(2, '0');
    test(`${num} ${name}`, { timeout }, async (t) => {
      if (failed) {
        t.skip(`step ${failed} failed first`);
        return;
      }
      try {
        await fn(t);
      } catch (err) {
        failed = num;
        const base = path.join(FAILURES, `${num}-${slug(name)}`);
        fs.mkdirSync(FAILURES, { recursive: true });
        const saved = [];
        const page = state.page();
        if (page && !page.isClosed()) {
          try {
            await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5000 });
            saved.push(`${base}.png (page ${page.url()})`);
          } catch (e) {
            saved.push(`no screenshot: ${e.message.split('\n')[0]}`);
          }
        }
        const srv = state.server();
        if (srv) {
          fs.writeFileSync(`${base}.server.log`, srv.log());
          saved.push(`${base}.server.log`);
        }
        // the reporter prints the stack, made when the message was still the original
        const where = `step ${num} "${name}" failed; saved: ${saved.join(', ')}`;
        err.message = `${where}\n${err.message}`;
        if (typeof err.stack === 'string' && !err.stack.includes(where)) err.stack = `${where}\n${err.stack}`;
        throw err;
      }
    });
  };
}

module.exports = { makeStep };
