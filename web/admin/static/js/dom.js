/* dom.js - building elements without innerHTML. Everything the server sends (names,
 * addresses, client ids) reaches the page as text nodes, never as markup, so a channel
 * called "<img onerror=...>" is shown, not run. */

/* h('a', {href: '/x', class: 'button'}, 'text', child, ...) -> element.
 * Attributes: `class`, `text` (textContent), `dataset` (object), `on` (object of
 * event listeners), booleans (true sets the attribute, false/null/undefined skips it),
 * anything else via setAttribute. Children: strings (text), nodes, null (skipped) and
 * arrays of those. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/* Text with some parts in <code>: rich(['WebSocket channel ', {code: name}, ' deleted']). */
export function rich(parts) {
  return parts.map((p) => (p && typeof p === 'object' && 'code' in p ? h('code', {}, p.code) : String(p)));
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
