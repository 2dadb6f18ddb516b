/* form.js - what the forms share: showing an API error next to the field it names
 * (in #<field>-error, the input marked aria-invalid) and clearing them again. A form
 * never resets what the user typed after a refusal: only the error text changes. */
import { $, $$ } from './dom.js';
import { showMessage, clearMessage } from './message.js';

export function clearErrors(form) {
  for (const el of $$('.field-error', form)) {
    el.textContent = '';
    el.hidden = true;
  }
  for (const el of $$('[aria-invalid="true"]', form)) el.removeAttribute('aria-invalid');
  clearMessage();
}

/* Put text under field `name`. Returns false when the form has no such field (or it is
 * hidden), so the caller can show the text elsewhere. */
export function fieldError(form, name, text) {
  const box = name ? $('#' + CSS.escape(name + '-error'), form) : null;
  const input = name ? form.elements.namedItem(name) : null;
  if (!box || (box.parentElement && box.parentElement.closest('[hidden]'))) return false;
  box.textContent = text;
  box.hidden = false;
  if (input && input.setAttribute) input.setAttribute('aria-invalid', 'true');
  return true;
}

/* Show an ApiError: next to its field (focused, so a keyboard user lands on it), else
 * as the page's message. */
export function showApiError(form, err) {
  if (fieldError(form, err.field, err.message)) {
    const input = form.elements.namedItem(err.field);
    if (input && input.focus) input.focus();
  } else {
    showMessage('error', err.message);
  }
}

/* Disable the submit buttons while a request is on its way (no double create). */
export function busy(form, on) {
  for (const b of $$('button[type="submit"]', form)) b.disabled = on;
  form.setAttribute('aria-busy', on ? 'true' : 'false');
}
