// index.html — file a report (POST /reports) with an idempotency key per form fill.
import { $, api, clearErrors, fmtWIB, getCategories, getLang, h, localErrors, onLangChange, showErrors, t } from './app.js';

const form = $('#report-form');
const result = $('#result');
const errorsBox = $('#errors');
const button = $('#submit');
const field = (name) => form.elements.namedItem(name);

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// One key per form fill: reused when a send fails without an answer (network error, 5xx),
// so a retry or a double click never files twice; replaced after success or a refused input.
let idempotencyKey = newKey();
let busy = false;
let shown = null;

function resetDefaults() {
  field('language').value = getLang();
  field('occurred_on').max = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(new Date());
}

function payload() {
  const v = (name) => field(name).value.trim();
  const body = {
    kind: v('kind') || 'complaint',
    title: v('title'),
    description: v('description'),
    anonymous: field('anonymous').checked,
    confidential: field('confidential').checked,
    language: v('language'),
  };
  for (const k of ['category', 'region', 'occurred_on']) if (v(k)) body[k] = v(k);
  const reporter = {};
  for (const k of ['name', 'email', 'phone']) if (v(`reporter.${k}`)) reporter[k] = v(`reporter.${k}`);
  if (Object.keys(reporter).length) body.reporter = reporter;
  return body;
}

function copyButton(text) {
  return h('button', {
    type: 'button', class: 'secondary small',
    onclick: async (e) => {
      try { await navigator.clipboard.writeText(text); e.target.textContent = t('common.copied'); } catch { /* no clipboard */ }
    },
  }, t('common.copy'));
}

function showSuccess(res, focus = true) {
  shown = res;
  result.replaceChildren(h('section', { class: 'card success', 'aria-labelledby': 'ok-title' },
    h('h2', { id: 'ok-title', tabindex: '-1' }, t('ok.title')),
    h('p', {}, t('ok.created', { date: fmtWIB(res.created_at) })),
    h('dl', { class: 'secrets' },
      h('dt', {}, t('ok.code')), h('dd', {}, h('code', { class: 'big' }, res.id), ' ', copyButton(res.id)),
      h('dt', {}, t('ok.receipt')), h('dd', {}, h('code', { class: 'big' }, res.receipt), ' ', copyButton(res.receipt))),
    h('p', { class: 'warning' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), t('ok.warning')),
    h('p', { class: 'actions' },
      h('a', { class: 'button primary', href: `track.html#${encodeURIComponent(res.id)}` }, t('ok.track')),
      h('button', { type: 'button', class: 'secondary', onclick: another }, t('ok.another')))));
  if (focus) $('#ok-title').focus();
}

function another() {
  shown = null;
  result.replaceChildren();
  form.hidden = false;
  field('title').focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;
  const invalid = localErrors(form);
  if (invalid) { showErrors(errorsBox, invalid, form); return; }
  busy = true;
  button.disabled = true;
  button.textContent = t('submit.sending');
  form.setAttribute('aria-busy', 'true');
  try {
    const res = await api('/reports', { method: 'POST', body: payload(), headers: { 'Idempotency-Key': idempotencyKey } });
    idempotencyKey = newKey();
    clearErrors(form, errorsBox);
    form.reset();
    resetDefaults();
    form.hidden = true;
    showSuccess(res);
  } catch (err) {
    // No answer or a server fault: the report may or may not exist, so keep the key for the retry.
    const retry = err.status === 0 || err.status >= 500 || err.status === 409 || err.status === 429;
    if (!retry) idempotencyKey = newKey();
    showErrors(errorsBox, err, form, retry ? t('submit.retry') : null);
  } finally {
    busy = false;
    button.disabled = false;
    button.textContent = t('submit.button');
    form.removeAttribute('aria-busy');
  }
});

async function loadCategories() {
  const select = field('category');
  try {
    const list = await getCategories();
    select.append(...list.map((c) => h('option', { value: c.code }, c.name)));
  } catch {
    select.after(h('p', { class: 'hint' }, t('f.category.failed')));
  }
}

onLangChange(() => { if (shown) showSuccess(shown, false); });
resetDefaults();
loadCategories();
