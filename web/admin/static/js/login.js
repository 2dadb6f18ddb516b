/* login.js - the login page: POST /api/v1/session, then on to ?next= when it is a page
 * of this admin (a relative /zato/ path: never another host), else the channels list.
 * Shows the API's refusal as it is: a wrong password, or the 429 of the rate limit
 * with how long to wait (the button waits that long too). */
import { login, currentSession } from './api.js';
import { $ } from './dom.js';
import { showMessage, clearMessage } from './message.js';

const HOME = '/zato/channel/web-socket/?cluster=1';
const form = $('#login-form');
const button = $('#login');

/* Where to go after the login: only a path of this admin, e.g. "/zato/security/". */
function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '';
  const ok = next.startsWith('/zato/') && !next.startsWith('/zato/login') &&
    !/[\\\s]/.test(next) && !next.includes('//');
  return ok ? next : HOME;
}

function waitBeforeRetry(seconds) {
  let left = Math.ceil(seconds);
  button.disabled = true;
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = 'Log in';
      return;
    }
    button.textContent = `Log in (wait ${left} s)`;
    left--;
    setTimeout(tick, 1000);
  };
  tick();
}

async function submit(e) {
  e.preventDefault();
  if (button.disabled) return;
  clearMessage();
  const username = form.elements.namedItem('username').value;
  const password = form.elements.namedItem('password').value;
  if (!username || !password) {
    showMessage('error', 'Type your username and password.');
    form.elements.namedItem(username ? 'password' : 'username').focus();
    return;
  }
  button.disabled = true;
  try {
    await login(username, password);
  } catch (err) {
    button.disabled = false;
    showMessage('error', err.message);
    if (err.status === 429) {
      const s = parseInt(err.retryAfter || '0', 10);
      if (s > 0) waitBeforeRetry(s);
    } else {
      form.elements.namedItem('password').select();
    }
    return;
  }
  location.replace(nextPage());
}

async function main() {
  form.addEventListener('submit', submit);
  try {
    if (await currentSession()) location.replace(nextPage()); /* already logged in */
  } catch {
    /* the server is unreachable: the form stays, its submit will say so */
  }
}

main();
