/* layout.js - what every page but the login has: the header (product, cluster, the menu
 * Connections -> Channels -> WebSockets beside Security and Servers, the user, Change
 * password, Log out) and links that keep ?cluster= as the user moves around. start()
 * checks the session first, so a page never shows itself to nobody. */
import { session, logout } from './api.js';
import { h, $ } from './dom.js';
import { showMessage } from './message.js';

/* The cluster in use: ?cluster=N, default 1 (the only one today). */
export function cluster() {
  const c = new URLSearchParams(location.search).get('cluster');
  return c && /^[1-9][0-9]{0,17}$/.test(c) ? c : '1';
}

/* path?cluster=N&params..., empty params left out. */
export function link(path, params = {}) {
  const q = new URLSearchParams({ cluster: cluster() });
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  return path + '?' + q.toString();
}

export const PATHS = {
  channels: '/zato/channel/web-socket/',
  create: '/zato/channel/web-socket/create/',
  edit: (id) => `/zato/channel/web-socket/edit/${id}/`,
  connections: (id) => `/zato/channel/web-socket/${id}/connections/`,
  security: '/zato/security/',
  servers: '/zato/servers/',
  password: '/zato/account/password/',
};

function navLink(text, href, current) {
  return h('a', { href, class: 'nav-link', 'aria-current': current ? 'page' : null }, text);
}

/* active: 'channels' | 'security' | 'servers' | 'password' */
function header(active, username) {
  const menu = h('nav', { class: 'menu', 'aria-label': 'Main menu' },
    h('ul', {},
      h('li', { class: 'menu-path' },
        h('span', { class: 'menu-group' }, 'Connections'),
        h('span', { class: 'menu-sep', 'aria-hidden': 'true' }, '\u2192'),
        h('span', { class: 'menu-group' }, 'Channels'),
        h('span', { class: 'menu-sep', 'aria-hidden': 'true' }, '\u2192'),
        navLink('WebSockets', link(PATHS.channels), active === 'channels')),
      h('li', {}, navLink('Security', link(PATHS.security), active === 'security')),
      h('li', {}, navLink('Servers', link(PATHS.servers), active === 'servers'))));

  const logoutButton = h('button', { type: 'button', class: 'button button-small', id: 'logout' },
    'Log out');
  logoutButton.addEventListener('click', async () => {
    logoutButton.disabled = true;
    try {
      await logout();
    } catch (e) {
      showMessage('error', 'Could not log out: ' + e.message);
      logoutButton.disabled = false;
      return;
    }
    location.assign('/zato/login');
  });

  const user = h('div', { class: 'user' },
    h('span', { class: 'user-name' }, 'Logged in as ', h('strong', { id: 'current-user' }, username)),
    navLink('Change password', link(PATHS.password), active === 'password'),
    logoutButton);

  return [
    h('a', { href: '#main', class: 'skip-link' }, 'Skip to content'),
    h('div', { class: 'header-top' },
      h('a', { href: link(PATHS.channels), class: 'brand' },
        h('span', { class: 'brand-name' }, 'wsx'),
        h('span', { class: 'brand-sub' }, 'web admin')),
      h('span', { class: 'cluster', id: 'cluster' }, 'Cluster: ' + cluster()),
      user),
    menu,
  ];
}

/* Check the session (the login page if none), draw the header; resolves with
 * {username, csrf_token}. */
export async function start(active) {
  const s = await session();
  const box = $('#app-header');
  if (box) box.replaceChildren(...header(active, s.username));
  /* Links written in the page's HTML get the cluster too. */
  for (const a of document.querySelectorAll('a[data-path]')) a.href = link(a.dataset.path);
  return s;
}
