/* dialog.js - modal dialogs on the <dialog> element: focus moves in, Tab and Shift+Tab
 * stay inside, Escape cancels, and focus goes back to what opened it. confirmDialog()
 * is the OK/Cancel question asked before a delete or a disconnect. */
import { h, rich } from './dom.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
  'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(dlg) {
  return Array.from(dlg.querySelectorAll(FOCUSABLE)).filter((el) => el.getClientRects().length > 0);
}

/* Keep Tab inside the dialog: the page behind is inert, but Tab would otherwise leave
 * for the browser's own toolbar. */
function trapTab(dlg, e) {
  if (e.key !== 'Tab') return;
  const f = focusables(dlg);
  if (!f.length) return;
  const first = f[0], last = f[f.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

/* aria-hidden on everything outside dlg while it is open. Browsers already make it
 * inert; this also keeps the page's own buttons (an "Invoke" behind an "OK") out of
 * the accessibility tree for tools that read it. Returns the undo. */
function hideOthers(dlg) {
  const hidden = [];
  for (let el = dlg; el.parentElement && el !== document.body; el = el.parentElement) {
    for (const sib of el.parentElement.children) {
      if (sib === el || sib.tagName === 'SCRIPT' || sib.hasAttribute('aria-hidden')) continue;
      sib.setAttribute('aria-hidden', 'true');
      hidden.push(sib);
    }
  }
  return () => hidden.forEach((el) => el.removeAttribute('aria-hidden'));
}

/* Show dlg as a modal. Resolves with its returnValue when it closes ('' on Escape).
 * focus: the element to start on (default: [autofocus], else the first focusable). */
export function openDialog(dlg, focus = null) {
  const opener = document.activeElement;
  const onKey = (e) => trapTab(dlg, e);
  dlg.returnValue = '';
  dlg.showModal();
  const unhide = hideOthers(dlg);
  (focus || dlg.querySelector('[autofocus]') || focusables(dlg)[0] || dlg).focus();
  dlg.addEventListener('keydown', onKey);
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      dlg.removeEventListener('keydown', onKey);
      unhide();
      if (opener && opener.isConnected && opener.focus) opener.focus();
      resolve(dlg.returnValue);
    }, { once: true });
  });
}

let confirmBox = null;

function confirmElement() {
  if (confirmBox) return confirmBox;
  confirmBox = h('dialog', { id: 'confirm-dialog', class: 'dialog dialog-small',
    'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
  h('form', { method: 'dialog' },
    h('h2', { id: 'confirm-title' }),
    h('p', { id: 'confirm-text' }),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', value: 'ok', class: 'button danger', id: 'confirm-ok' }, 'OK'),
      h('button', { type: 'submit', value: 'cancel', class: 'button', id: 'confirm-cancel' },
        'Cancel'))));
  document.body.append(confirmBox);
  return confirmBox;
}

/* Ask; resolves true for OK, false for Cancel or Escape. Cancel has the focus, so an
 * Enter pressed by habit deletes nothing. */
export async function confirmDialog(title, parts) {
  const dlg = confirmElement();
  dlg.querySelector('#confirm-title').textContent = title;
  dlg.querySelector('#confirm-text').replaceChildren(...rich(Array.isArray(parts) ? parts : [parts]));
  return (await openDialog(dlg, dlg.querySelector('#confirm-cancel'))) === 'ok';
}
