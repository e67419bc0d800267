// track.html — public tracking view (GET /reports/{id}) and the reporter's feedback form.
import {
  $, api, clearErrors, fmtWIB, getCategories, h, loadCatalogue, localErrors, normalizeCode, onLangChange,
  reportView, showErrors, t,
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
let prefill = null; // {action, receipt} from a completion email's link (#CODE?action=accept&receipt=...)

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
  $('#report-body').replaceChildren(reportView(report, categories, { onEarlier: loadEarlier }));
  section.hidden = false;
  fbSection.hidden = report.status !== 'completed';
  const until = report.deadlines?.close_after;
  $('#fb-window').textContent = until ? t('fb.window', { date: fmtWIB(until) }) : '';
  if (!fbSection.hidden && prefill) {
    fbForm.elements.receipt.value = prefill.receipt;
    for (const radio of fbForm.elements.action) radio.checked = radio.value === prefill.action;
    fbResult.replaceChildren(h('p', { class: 'alert alert-info' }, t('fb.prefilled')));
    prefill = null;
    $('#fb-heading').setAttribute('tabindex', '-1');
    $('#fb-heading').focus();
    return;
  }
  if (focus) heading.focus();
}

/** Put the page of entries before the shown ones in front of them; focus the first one it added. */
async function loadEarlier(event) {
  if (!current?.timeline_cursor) return;
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const cursor = encodeURIComponent(current.timeline_cursor);
    const page = await api(`/reports/${encodeURIComponent(current.id)}/timeline?cursor=${cursor}`);
    render({ ...current, timeline: [...page.timeline, ...current.timeline], timeline_cursor: page.next_cursor }, false);
    const first = $('#report-body ol.timeline li');
    if (first) { first.setAttribute('tabindex', '-1'); first.focus(); }
  } catch (err) {
    button.disabled = false;
    showErrors(status, err);
  }
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
    showErrors(status, err);  // the API's own words: "no report with tracking code ..."
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  await loadCatalogue().catch(() => {});
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
  await loadCatalogue().catch(() => {});
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
    // A wrong receipt is one message, the API's, next to the receipt field and once above the form.
    showErrors(fbResult, err, fbForm, err.status === 409 ? t('fb.409') : null);
  } finally {
    button.disabled = false;
  }
});

/** The tracking code of the page's hash; a completion email's link also carries the feedback choice
 *  and a receipt (#CODE?action=accept&receipt=XXXX-...), which fill in the form. */
function fromHash() {
  let raw = '';
  try { raw = decodeURIComponent(location.hash.slice(1)); } catch { return ''; }
  const [code, query] = raw.split('?');
  if (query) {
    const params = new URLSearchParams(query);
    const receipt = params.get('receipt');
    if (receipt) prefill = { receipt, action: params.get('action') === 'reopen' ? 'reopen' : 'accept' };
  }
  return code;
}
window.addEventListener('hashchange', () => { const code = fromHash(); if (code) load(code); });
onLangChange(() => { fillRatings(); if (current) render(current, false); });
fillRatings();
loadCatalogue().catch(() => {});
{ const code = fromHash(); if (code) load(code, false); }
