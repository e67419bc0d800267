// index.html — file a report (POST /reports) with an idempotency key per form fill: the region by
// name (GET /regions), attachments (POST /uploads, then straight to S3), and a receipt to keep.
import {
  $, ApiError, api, clearErrors, fmtWIB, getCategories, getLang, h, loadCatalogue, localErrors, msg,
  onLangChange, showErrors, t,
} from './app.js';

const form = $('#report-form');
const result = $('#result');
const errorsBox = $('#errors');
const button = $('#submit');
const field = (name) => form.elements.namedItem(name);

const MAX_FILES = 5;
const MAX_BYTES = 10 * 1024 * 1024;
// What a file's first bytes say it is; the name and the browser's guess are not trusted.
const SIGNATURES = [
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'application/pdf'],
];

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
// The language for updates follows the page's language until the reporter picks one themselves.
let languageChosen = false;

function resetDefaults() {
  languageChosen = false;
  field('language').value = getLang();
  field('occurred_on').max = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(new Date());
  files.length = 0;
  renderFiles();
  setRegionSelects([]);
}

// ---- region picker: province -> regency/city -> district, and type-to-search -------------------

const search = $('#f-region');
const results = $('#region-results');
const regionStatus = $('#region-status');
const selects = [$('#f-province'), $('#f-regency'), $('#f-district')];

function chosenRegion() {
  for (const select of [...selects].reverse()) if (select.value) return select.value;
  return '';
}

function showChosen() {
  const picked = [...selects].map((s) => s.selectedOptions[0]).filter((o) => o && o.value);
  $('#region-chosen').textContent = picked.length
    ? t('f.region.chosen', { name: picked.reverse().map((o) => o.textContent).join(', ') }) : '';
}

async function fillSelect(select, parent, value = '') {
  const first = select.options[0];
  select.replaceChildren(first);
  if (parent === null) { select.disabled = select !== selects[0]; select.value = ''; return; }
  const list = await api(`/regions${parent ? `?parent=${encodeURIComponent(parent)}` : ''}`);
  select.append(...list.map((r) => h('option', { value: r.code }, r.name)));
  select.disabled = false;
  select.value = value;
}

/** Set the three selects to a region's path, e.g. ["35", "35.78"] for Kota Surabaya. */
async function setRegionSelects(path) {
  await fillSelect(selects[0], '', path[0] || '');
  await fillSelect(selects[1], path[0] || null, path[1] || '');
  await fillSelect(selects[2], path[1] || null, path[2] || '');
  showChosen();
}

selects.forEach((select, level) => select.addEventListener('change', async () => {
  const path = selects.slice(0, level + 1).map((s) => s.value);
  if (!select.value) path.pop();
  for (let below = level + 1; below < selects.length; below += 1) {
    await fillSelect(selects[below], below === level + 1 && select.value ? select.value : null);
  }
  showChosen();
}));

let searchTimer = null;
let searchSeq = 0;
search.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 200);
});
search.addEventListener('keydown', (event) => {
  if (event.key === 'ArrowDown' && !results.hidden) { event.preventDefault(); results.querySelector('button')?.focus(); }
  if (event.key === 'Escape') { results.hidden = true; }
});
results.addEventListener('keydown', (event) => {
  const buttons = [...results.querySelectorAll('button')];
  const i = buttons.indexOf(document.activeElement);
  if (event.key === 'ArrowDown' && i < buttons.length - 1) { event.preventDefault(); buttons[i + 1].focus(); }
  if (event.key === 'ArrowUp') { event.preventDefault(); (i > 0 ? buttons[i - 1] : search).focus(); }
  if (event.key === 'Escape') { results.hidden = true; search.focus(); }
});

async function runSearch() {
  const q = search.value.trim();
  const seq = ++searchSeq;
  if (q.length < 2) { results.hidden = true; results.replaceChildren(); regionStatus.textContent = ''; return; }
  let found = [];
  try { found = await api(`/regions?q=${encodeURIComponent(q)}&limit=8`); } catch { found = []; }
  if (seq !== searchSeq) return; // a newer search is on its way
  results.replaceChildren(...found.map((r) => h('li', {}, h('button', {
    type: 'button', class: 'region-option', onclick: () => chooseRegion(r),
  }, h('span', { class: 'region-name' }, r.name), ' ', h('span', { class: 'region-path' }, r.full_name)))));
  results.hidden = !found.length;
  regionStatus.textContent = found.length ? t('f.region.results', { n: found.length }) : t('f.region.none', { q });
}

async function chooseRegion(region) {
  const parts = region.code.split('.');
  const path = parts.map((_, i) => parts.slice(0, i + 1).join('.'));
  results.hidden = true;
  search.value = region.name;
  await setRegionSelects(path);
  selects[Math.min(path.length, selects.length) - 1].focus();
}

// ---- attachments: checked by content, uploaded on send -------------------------------------------

const fileInput = $('#f-files');
const files = [];

async function sniff(file) {
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const match = SIGNATURES.find(([sig]) => sig.every((byte, i) => head[i] === byte));
  return match ? match[1] : null;
}

$('#f-files-choose').addEventListener('click', () => fileInput.click());

function renderFiles() {
  $('#f-files-none').hidden = files.length > 0;
  $('#file-list').replaceChildren(...files.map((entry, i) => h('li', {},
    h('span', {}, `${entry.file.name} (${Math.max(1, Math.round(entry.file.size / 1024))} KB)`), ' ',
    h('button', {
      type: 'button', class: 'secondary small', 'aria-label': t('f.attachments.remove', { name: entry.file.name }),
      onclick: () => { files.splice(i, 1); renderFiles(); $('#f-files-choose').focus(); },
    }, t('f.attachments.removeShort')))));
}

fileInput.addEventListener('change', async () => {
  await loadCatalogue().catch(() => {});
  const errors = [];
  for (const file of fileInput.files) {
    const index = files.length;
    const name = `attachments.${index}`;
    const type = await sniff(file);
    if (files.length >= MAX_FILES) errors.push({ field: 'attachments', message: msg('list_too_long', { field: 'attachments', max: MAX_FILES }) });
    else if (!file.size) errors.push({ field: 'attachments', message: `${file.name}: ${msg('file_empty', { field: name })}` });
    else if (file.size > MAX_BYTES) errors.push({ field: 'attachments', message: `${file.name}: ${msg('file_too_large', { field: name, max_mb: 10 })}` });
    else if (!type) errors.push({ field: 'attachments', message: `${file.name}: ${msg('file_type', { field: name })}` });
    else files.push({ file, type });
  }
  fileInput.value = '';
  renderFiles();
  if (errors.length) showErrors(errorsBox, { message: msg('invalid_input'), errors: errors.slice(0, 1) }, form);
  else clearErrors(form, errorsBox);
});

/** POST /uploads for each file, then the file itself to S3 with the presigned form; their ids. */
async function uploadAll() {
  const ids = [];
  for (const [i, entry] of files.entries()) {
    button.textContent = t('submit.uploading', { i: i + 1, n: files.length });
    if (entry.id) { ids.push(entry.id); continue; }
    const ticket = await api('/uploads', {
      method: 'POST', body: { filename: entry.file.name, content_type: entry.type, size: entry.file.size },
    });
    const data = new FormData();
    for (const [key, value] of Object.entries(ticket.fields)) data.append(key, value);
    data.append('file', entry.file);
    let posted;
    try { posted = await fetch(ticket.url, { method: 'POST', body: data }); } catch { throw new ApiError(0, t('err.network')); }
    if (!posted.ok) throw new ApiError(422, msg('invalid_input'), [{ field: `attachments.${i}`, message: msg('upload_unknown', { field: `attachments.${i}` }) }]);
    entry.id = ticket.upload_id;
    ids.push(entry.id);
  }
  return ids;
}

// ---- the report ----------------------------------------------------------------------------------

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
  for (const k of ['category', 'occurred_on']) if (v(k)) body[k] = v(k);
  if (chosenRegion()) body.region = chosenRegion();
  const reporter = {};
  for (const k of ['name', 'email', 'phone']) if (v(`reporter.${k}`)) reporter[k] = v(`reporter.${k}`);
  if (Object.keys(reporter).length) body.reporter = reporter;
  return body;
}

function copyButton(text, label) {
  return h('button', {
    type: 'button', class: 'secondary small', 'aria-label': label,
    onclick: async (e) => {
      try { await navigator.clipboard.writeText(text); e.target.textContent = t('common.copied'); } catch { /* no clipboard */ }
    },
  }, t('common.copy'));
}

function receiptText(res) {
  const link = new URL(`track.html#${encodeURIComponent(res.id)}`, location.href).href;
  return [t('ok.file.title'), '', `${t('ok.code')}: ${res.id}`, `${t('ok.receipt')}: ${res.receipt}`,
    `${t('ok.track')}: ${link}`, '', t('ok.receipt.hint')].join('\n');
}

function saveFile(res) {
  const blob = new Blob([receiptText(res)], { type: 'text/plain;charset=utf-8' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `lapor-${res.id}.txt` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function mailto(res) {
  // The reporter's own mail program sends it to themselves: Lapor stores only the receipt's hash.
  const subject = encodeURIComponent(t('ok.mail.subject', { code: res.id }));
  const body = encodeURIComponent(receiptText(res));
  return `mailto:${encodeURIComponent(res.contact?.email || '')}?subject=${subject}&body=${body}`;
}

function showSuccess(res, focus = true) {
  shown = res;
  const where = res.contact?.email || res.contact?.phone;
  result.replaceChildren(h('section', { class: 'card success receipt-card', 'aria-labelledby': 'ok-title' },
    h('h2', { id: 'ok-title', tabindex: '-1' }, t('ok.title')),
    h('p', {}, t('ok.created', { date: fmtWIB(res.created_at) })),
    h('dl', { class: 'secrets' },
      h('dt', {}, t('ok.code')), h('dd', {}, h('code', { class: 'big', id: 'ok-code' }, res.id), ' ',
        copyButton(res.id, t('ok.copy.code'))),
      h('dt', {}, t('ok.receipt')), h('dd', {}, h('code', { class: 'big', id: 'ok-receipt' }, res.receipt), ' ',
        copyButton(res.receipt, t('ok.copy.receipt')))),
    h('p', { class: 'warning' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), t('ok.warning')),
    h('p', { class: 'actions keep' },
      h('button', { type: 'button', class: 'secondary', onclick: () => saveFile(res) }, t('ok.save')),
      h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, t('ok.print')),
      h('a', { class: 'button secondary', href: mailto(res) }, t('ok.email'))),
    h('h3', {}, t('ok.next')),
    h('p', { id: 'ok-agency', 'aria-live': 'polite' }, res.agencyText || t('ok.routing')),
    h('p', {}, where ? t('ok.where', { to: where }) : t('ok.where.none')),
    h('p', { class: 'actions' },
      h('a', { class: 'button primary', href: `track.html#${encodeURIComponent(res.id)}` }, t('ok.track')),
      h('button', { type: 'button', class: 'secondary', onclick: another }, t('ok.another')))));
  if (focus) $('#ok-title').focus();
}

/** The router assigns the agency within seconds: show it, with the verification deadline, once known. */
async function followDispatch(res) {
  for (let attempt = 0; attempt < 20 && shown === res; attempt += 1) {
    await new Promise((resolve) => { setTimeout(resolve, attempt ? 1000 : 300); });
    let view;
    try { view = await api(`/reports/${encodeURIComponent(res.id)}`); } catch { continue; }
    if (view.agency && view.deadlines?.verify_by) {
      res.agencyTextFor = () => t('ok.agency', { agency: view.agency.name, date: fmtWIB(view.deadlines.verify_by) });
      res.agencyText = res.agencyTextFor();
      const p = $('#ok-agency');
      if (p && shown === res) p.textContent = res.agencyText;
      return;
    }
  }
  const p = $('#ok-agency');
  if (p && shown === res) p.textContent = t('ok.agency.pending');
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
  await loadCatalogue().catch(() => {});
  const invalid = localErrors(form);
  if (invalid) { showErrors(errorsBox, invalid, form); return; }
  busy = true;
  button.disabled = true;
  button.textContent = t('submit.sending');
  form.setAttribute('aria-busy', 'true');
  try {
    const body = payload();
    if (files.length) body.attachments = await uploadAll();
    button.textContent = t('submit.sending');
    const res = await api('/reports', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } });
    idempotencyKey = newKey();
    res.contact = body.reporter || null;
    clearErrors(form, errorsBox);
    form.reset();
    resetDefaults();
    form.hidden = true;
    showSuccess(res);
    followDispatch(res);
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

field('language').addEventListener('change', () => { languageChosen = true; });

async function loadCategories() {
  const select = field('category');
  try {
    const list = await getCategories();
    select.append(...list.map((c) => h('option', { value: c.code }, c.name)));
  } catch {
    select.after(h('p', { class: 'hint' }, t('f.category.failed')));
  }
}

onLangChange((lang) => {
  if (!languageChosen) field('language').value = lang;
  if (shown) {
    if (shown.agencyTextFor) shown.agencyText = shown.agencyTextFor();
    showSuccess(shown, false);
  }
  showChosen();
});
resetDefaults();
loadCategories();
loadCatalogue().catch(() => {});
