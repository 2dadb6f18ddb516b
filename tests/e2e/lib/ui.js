// ui.js - finding things on the web admin's pages the way a person does: a field by its
// label, a button or link by its visible text, a dialog by its question, and waiting
// for a text to appear (playwright-core has no `expect`; these waits poll instead and
// say what they saw when they give up).
'use strict';

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn() until it returns a truthy value; returns it. On timeout throws with
// `what` and the last value fn's `seen` callback describes.
async function waitFor(fn, what, { timeout = 10000, seen = null } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      let saw = last instanceof Error ? last.message.split('\n')[0] : JSON.stringify(last);
      if (seen) saw = await seen().catch((e) => e.message);
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; saw: ${saw}`);
    }
    await sleep(100);
  }
}

// The visible form control labelled `label` (the label may go on, e.g. "Token TTL (in
// seconds)", but must start with it).
function field(page, label) {
  return page.getByLabel(new RegExp(`^\\s*${esc(label)}\\b`)).filter({ visible: true });
}

// The visible link or button whose text is exactly `text`, inside `scope`.
function control(scope, text) {
  return scope.locator('a, button, input[type=submit], input[type=button]')
    .filter({ visible: true })
    .filter({ hasText: new RegExp(`^\\s*${esc(text)}\\s*$`) });
}

// Waits until the textContent of `locator` (whitespace collapsed) contains `text`.
async function expectText(locator, text, what) {
  const norm = async () => ((await locator.first().textContent({ timeout: 1000 })) || '').replace(/\s+/g, ' ').trim();
  return waitFor(async () => {
    const t = await norm();
    return (typeof text === 'string' ? t.includes(text) : text.test(t)) ? t : null;
  }, `${what} to show ${JSON.stringify(String(text))}`, { seen: norm });
}

// The open confirmation <dialog> asking `question`; clicks `answer` ("OK"/"Cancel") and
// waits until it is closed.
async function answerDialog(page, question, answer) {
  const dialog = page.locator('dialog[open]').filter({ hasText: question });
  await waitFor(async () => (await dialog.count()) === 1, `a <dialog> asking "${question}"`,
    { seen: async () => page.locator('dialog[open]').allTextContents() });
  await control(dialog, answer).click();
  await waitFor(async () => (await dialog.count()) === 0, `the dialog to close after ${answer}`);
}

// Throws unless `locator` is on screen as it is, not scrolled or clipped away: its centre
// is inside the viewport and the element a click there would hit.
async function assertOnScreen(page, locator, what) {
  const r = await locator.evaluate((el) => {
    const b = el.getBoundingClientRect();
    const x = b.left + b.width / 2;
    const y = b.top + b.height / 2;
    const hit = document.elementFromPoint(x, y);
    return { x: Math.round(b.left), right: Math.round(b.right), width: window.innerWidth, hit: !!hit && el.contains(hit) };
  });
  if (!r.hit || r.x < 0 || r.right > r.width) {
    throw new Error(`${what} is not on screen without scrolling: it spans x ${r.x}..${r.right} ` +
      `in a ${r.width} px wide window${r.hit ? '' : ', and a click at its centre hits something else'}`);
  }
}

// The page's body text, whitespace collapsed.
async function bodyText(page) {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

module.exports = { waitFor, field, control, expectText, answerDialog, assertOnScreen, bodyText, sleep };
