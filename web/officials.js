// officials.html — token sign-in, the agency inbox (GET /inbox) and the report panel with actions.
import {
  $, api, badge, clearErrors, fmtWIB, getCategories, h, loadCatalogue, localErrors, msg, nextDeadline,
  officialMessage, onLangChange, parseIso, reportView, showErrors, statusLabel, t,
} from './app.js';

const TOKEN_KEY = 'lapor.idToken';
// Which actions the transition table allows from each status (the server still decides: 409).
const ALLOWED = {
  dispatched: ['verify', 'forward', 'reject'],
  verified: ['reject', 'respond', 'complete'],
  in_progress: ['respond', 'complete'],
};
const NOTE_REQUIRED = ['reject', 'respond', 'complete'];

const tokenForm = $('#token-form');
const localForm = $('#local-form');
const authErrors = $('#auth-errors');
const list = $('#inbox-list');
const inboxStatus = $('#inbox-status');
const more = $('#more');
const statusFilter = $('#o-status');
const panel = $('#panel');
const actionForm = $('#action-form');
const actionResult = $('#action-result');

let token = '';
try { token = sessionStorage.getItem(TOKEN_KEY) || ''; } catch { /* storage blocked */ }
let items = [];
let cursor = null;
let report = null;
let categories = [];

// ---- identity ----------------------------------------------------------------------------------

function claims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
  } catch { return null; }
}

function renderWho() {
  const c = token && claims(token);
  let text = t('auth.none');
  if (token) {
    const who = c?.['custom:official_id'] || c?.['cognito:username'] || c?.email || c?.sub || '?';
    const agency = c?.['custom:agency'];
    text = t('auth.as', { who: agency ? `${who} (${agency})` : who });
    if (c?.exp && c.exp * 1000 < Date.now()) text += ` ${t('auth.expired')}`;
  }
  $('#whoami').textContent = text;
  $('#signout').hidden = !token;
}

function setToken(value) {
  token = value.trim();
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* ignore */ }
  tokenForm.elements.token.value = token;
  clearErrors(tokenForm, authErrors);
  renderWho();
  loadInbox();
  if (report) openReport(report.id, false);
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const invalid = localErrors(tokenForm);
  if (invalid) { showErrors(authErrors, invalid, tokenForm); return; }
  setToken(tokenForm.elements.token.value);
});
$('#signout').addEventListener('click', () => setToken(''));

localForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const invalid = localErrors(localForm);
  if (invalid) { showErrors(authErrors, invalid, localForm); return; }
  try {
    const res = await api('/_local/token', { method: 'POST', body: { official_id: localForm.elements.official_id.value.trim() } });
    clearErrors(localForm);
    setToken(res?.id_token || '');
  } catch (err) {
    showErrors(authErrors, err, localForm);
  }
});

/** Is the local-only token endpoint there? Deployed stacks answer 403/404/405 for unknown routes. */
async function probeLocal() {
  try { await api('/_local/token', { method: 'POST', body: {} }); return true; } catch (err) {
    if (![0, 403, 404, 405, 501].includes(err.status)) return true;
  }
  try { return Array.isArray(await api('/_local/outbox')); } catch { return false; }
}

// ---- inbox -------------------------------------------------------------------------------------

function renderInbox(focusFrom = -1) {
  const catName = (code) => (code ? [categories.find((c) => c.code === code)?.name ?? code, ' · '] : null);
  list.replaceChildren(...items.map((it) => {
    const due = nextDeadline(it.deadlines);
    const late = due && parseIso(due).getTime() < Date.now();
    return h('li', { class: report?.id === it.id ? 'current' : null },
      h('a', { href: `#/reports/${encodeURIComponent(it.id)}`, 'aria-current': report?.id === it.id ? 'true' : null },
        h('strong', {}, it.id), ' — ', it.title ?? t('inbox.untitled')),
      h('p', { class: 'meta' }, badge(it.status), ' ', catName(it.category),
        h('time', { datetime: it.created_at }, fmtWIB(it.created_at))),
      due ? h('p', { class: late ? 'meta overdue' : 'meta' }, t('inbox.next', { date: fmtWIB(due) }),
        late ? ` (${t('d.overdue')})` : '') : null);
  }));
  more.hidden = !cursor;
  if (focusFrom >= 0) list.children[focusFrom]?.querySelector('a')?.focus();
}

async function loadInbox(append = false) {
  if (!token) {
    items = []; cursor = null;
    renderInbox();
    inboxStatus.replaceChildren(h('p', { class: 'note' }, t('inbox.need_token')));
    return;
  }
  const params = new URLSearchParams();
  if (statusFilter.value) params.set('status', statusFilter.value);
  if (append && cursor) params.set('cursor', cursor);
  const query = params.toString();
  inboxStatus.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  more.disabled = true;
  try {
    const data = await api(`/inbox${query ? `?${query}` : ''}`, { token });
    const page = Array.isArray(data) ? { items: data, next_cursor: null } : data || {};
    const start = append ? items.length : -1;
    items = (append ? items : []).concat(Array.isArray(page.items) ? page.items : []);
    cursor = page.next_cursor || null;
    renderInbox(start);
    inboxStatus.replaceChildren(h('p', {}, items.length ? t('inbox.count', { n: items.length }) : t('inbox.empty')));
  } catch (err) {
    showErrors(inboxStatus, err, null, officialMessage(err));
  } finally {
    more.disabled = false;
  }
}

$('#filter-form').addEventListener('submit', (event) => { event.preventDefault(); loadInbox(); });
statusFilter.addEventListener('change', () => loadInbox());
more.addEventListener('click', () => loadInbox(true));

// ---- report panel ------------------------------------------------------------------------------

function renderPanel() {
  $('#panel-heading').textContent = t('r.heading', { id: report.id });
  $('#panel-body').replaceChildren(reportView(report, categories));
  const allowed = ALLOWED[report.status] || [];
  for (const radio of actionForm.elements.action) {
    radio.disabled = !allowed.includes(radio.value);
    if (radio.disabled) radio.checked = false;
  }
  $('#act-none').hidden = allowed.length > 0;
  actionForm.querySelector('button[type=submit]').disabled = !allowed.length;
  $('#to-agency-field').hidden = actionForm.elements.action.value !== 'forward';
  actionForm.hidden = false;
}

/** The report's files, each with a download link that works for a few minutes (cleaned copies only). */
async function loadAttachments(current) {
  const section = $('#attachments');
  if (!current.attachments_count) { section.hidden = true; return; }
  let files = [];
  try { files = await api(`/reports/${encodeURIComponent(current.id)}/attachments`, { token }); } catch { files = []; }
  if (report?.id !== current.id) return;
  $('#attachments-list').replaceChildren(...files.map((f) => h('li', {},
    f.url
      ? h('a', { href: f.url, download: f.filename, 'aria-label': t('att.download', { name: f.filename }) }, f.filename)
      : h('span', {}, f.filename),
    ` (${Math.max(1, Math.round(f.size / 1024))} KB)`,
    f.status === 'ready' ? null : h('span', { class: 'note' }, ` — ${t(`att.${f.status}`)}`))));
  section.hidden = false;
}

async function openReport(id, focus = true) {
  panel.hidden = false;
  $('#panel-heading').textContent = t('r.heading', { id });
  const status = $('#panel-status');
  status.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  if (focus) { actionResult.replaceChildren(); clearErrors(actionForm); }
  try {
    report = await api(`/reports/${encodeURIComponent(id)}`, { token });
    status.replaceChildren();
    renderPanel();
    loadAttachments(report);
  } catch (err) {
    report = null;
    $('#panel-body').replaceChildren();
    $('#attachments').hidden = true;
    actionForm.hidden = true;
    showErrors(status, err.status === 404 ? { message: t('track.notfound', { code: id }), errors: [] } : err,
      null, officialMessage(err));
  }
  renderInbox();
  if (focus) $('#panel-heading').focus();
}

const routedId = () => {
  const m = /^#\/reports\/(.+)$/.exec(location.hash);
  try { return m ? decodeURIComponent(m[1]) : null; } catch { return null; }
};

function route() {
  const id = routedId();
  if (id) { openReport(id); return; }
  const previous = report?.id;
  report = null;
  panel.hidden = true;
  renderInbox();
  const link = previous && [...list.querySelectorAll('a')].find((a) => a.hash === `#/reports/${encodeURIComponent(previous)}`);
  (link || $('#inbox-heading')).focus();
}

actionForm.addEventListener('change', (event) => {
  if (event.target.name === 'action') $('#to-agency-field').hidden = event.target.value !== 'forward';
});

actionForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!report) return;
  const f = actionForm.elements;
  const action = f.action.value;
  const note = f.note.value.trim();
  const toAgency = f.to_agency.value.trim().toUpperCase();
  const errors = [];
  if (!action) errors.push({ field: 'action', message: msg('required', { field: 'action' }) });
  if (NOTE_REQUIRED.includes(action) && !note) errors.push({ field: 'note', message: msg('note_required', { field: 'note' }) });
  if (action === 'forward' && !toAgency) errors.push({ field: 'to_agency', message: msg('required', { field: 'to_agency' }) });
  if (errors.length) { showErrors(actionResult, { message: msg('invalid_input'), errors }, actionForm); return; }
  const body = { action, note };
  if (action === 'forward') body.to_agency = toAgency;
  const button = actionForm.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const res = await api(`/reports/${encodeURIComponent(report.id)}/actions`, { method: 'POST', body, token });
    clearErrors(actionForm, actionResult);
    actionForm.reset();
    await openReport(report.id, false);
    actionResult.replaceChildren(h('p', { class: 'alert alert-success' },
      t('act.ok', { status: statusLabel(res?.status ?? report?.status) })));
    loadInbox();
  } catch (err) {
    showErrors(actionResult, err, actionForm, officialMessage(err));
  } finally {
    button.disabled = report ? !(ALLOWED[report.status] || []).length : true;
  }
});

// ---- start -------------------------------------------------------------------------------------

onLangChange(() => { renderWho(); renderInbox(); if (report) renderPanel(); });
window.addEventListener('hashchange', route);
tokenForm.elements.token.value = token;
renderWho();
getCategories().then((cats) => {
  categories = cats;
  const codes = [...new Set(cats.map((c) => c.agency).filter(Boolean))].sort();
  $('#agency-codes').replaceChildren(...codes.map((code) => h('option', { value: code })));
  renderInbox();
  if (report) renderPanel();
}).catch(() => {});
probeLocal().then((present) => { localForm.hidden = !present; });
loadInbox();
if (routedId()) openReport(routedId(), false);
loadCatalogue().catch(() => {});
