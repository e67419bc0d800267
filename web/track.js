// track.html — public tracking view (GET /reports/{id}) and the reporter's feedback form.
import {
  $, api, clearErrors, getCategories, h, localErrors, normalizeCode, onLangChange, reportView, showErrors, t,
} from './app.js';

const form = $('#track-form');
const input = $('#t-code');
const status = $('#status');
const section = $('#report');
const heading = $('#report-heading');
const fbSection = $('#feedback');
const fbForm = $('#fb-form');
const fbResult = $('#fb-result');
let current = null;
let categories = [];

function fillRatings() {
  const select = fbForm.elements.rating;
  const value = select.value;
  select.querySelectorAll('option:not([value=""])').forEach((o) => o.remove());
  for (let n = 5; n >= 1; n -= 1) select.append(h('option', { value: n }, t('fb.rating.n', { n })));
  select.value = value;
}

function render(report, focus) {
  current = report;
  heading.textContent = t('r.heading', { id: report.id });
  $('#report-body').replaceChildren(reportView(report, categories));
  section.hidden = false;
  fbSection.hidden = report.status !== 'completed';
  if (focus) heading.focus();
}

async function load(raw, focus = true) {
  const code = normalizeCode(raw);
  if (!code) return;
  input.value = code;
  status.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  try {
    const [report] = await Promise.all([
      api(`/reports/${encodeURIComponent(code)}`),
      getCategories().then((list) => { categories = list; }).catch(() => {}),
    ]);
    status.replaceChildren();
    render(report, focus);
  } catch (err) {
    current = null;
    section.hidden = true;
    fbSection.hidden = true;
    showErrors(status, err.status === 404 ? { message: t('track.notfound', { code }), errors: [] } : err);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const invalid = localErrors(form);
  if (invalid) { showErrors(status, invalid, form); return; }
  clearErrors(form);
  const code = normalizeCode(input.value);
  history.pushState(null, '', `#${encodeURIComponent(code)}`);
  load(code);
});

fbForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!current) return;
  const invalid = localErrors(fbForm);
  if (invalid) { showErrors(fbResult, invalid, fbForm); return; }
  const f = fbForm.elements;
  const body = { receipt: f.receipt.value.trim(), action: f.action.value };
  if (f.rating.value) body.rating = Number(f.rating.value);
  if (f.comment.value.trim()) body.comment = f.comment.value.trim();
  const button = fbForm.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api(`/reports/${encodeURIComponent(current.id)}/feedback`, { method: 'POST', body });
    clearErrors(fbForm, fbResult);
    fbForm.reset();
    await load(current.id, true);
    status.replaceChildren(h('p', { class: 'alert alert-success' }, t(body.action === 'accept' ? 'fb.ok.accept' : 'fb.ok.reopen')));
  } catch (err) {
    if (err.status === 403 && !err.errors.length) err.errors = [{ field: 'receipt', message: t('fb.403') }];
    const message = { 403: t('fb.403'), 409: t('fb.409') }[err.status] ?? null;
    showErrors(fbResult, err, fbForm, message);
  } finally {
    button.disabled = false;
  }
});

const fromHash = () => { try { return decodeURIComponent(location.hash.slice(1)); } catch { return ''; } };
window.addEventListener('hashchange', () => { if (fromHash()) load(fromHash()); });
onLangChange(() => { fillRatings(); if (current) render(current, false); });
fillRatings();
if (fromHash()) load(fromHash(), false);
