// officials.html — sign-in through Cognito's own API, the inboxes (GET /inbox), the full report
// panel (GET /reports/{id} as an official) and the moves the caller may make (POST .../actions).
import {
  $, addStrings, api, applyI18n, badge, clearErrors, fmtWIB, getCategories, h, kindLabel, onLangChange,
  parseIso, statusLabel, t, trackLabel,
} from './app.js';
import { CognitoError, Session } from './cognito.js';
import { OFFICIALS_STRINGS } from './officials-strings.js';

addStrings(OFFICIALS_STRINGS);
applyI18n();

const SCOPES = ['agency', 'mine', 'escalated', 'copies'];
const STATUSES = ['dispatched', 'verified', 'in_progress', 'completed', 'closed', 'rejected'];
const SORTS = ['deadline', 'created', '-created'];
const ACTIONS = ['verify', 'respond', 'complete', 'assign', 'forward', 'reject'];
const NOTE_REQUIRED = ['reject', 'respond', 'complete'];
const DUE_SOON_MS = 24 * 60 * 60 * 1000;
const PAGE = 25;

const signin = $('#signin');
const workspace = $('#workspace');
const desk = $('#desk');
const forms = {
  password: $('#password-form'), newpass: $('#newpass-form'), totp: $('#totp-form'), enrol: $('#enrol-form'),
};
const signinErrors = $('#signin-errors');
const list = $('#inbox-list');
const inboxStatus = $('#inbox-status');
const more = $('#more');
const filterForm = $('#filter-form');
const panel = $('#panel');
const actionForm = $('#action-form');
const actionResult = $('#action-result');

let session = null;
let me = null;
let scope = 'agency';
let summary = null;
let items = [];
let cursor = null;
let counts = null;
let report = null;
let categories = [];
let agencies = [];
let assignees = [];
let challenge = null;
let step = 'password';

// ---- API calls as the signed-in official ---------------------------------------------------------

/** An API call with the ID token; on 401 the token is refreshed once, then the official signs in again. */
async function call(path, options = {}) {
  try {
    return await api(path, { ...options, token: session?.idToken });
  } catch (err) {
    if (err.status !== 401 || !session?.refreshToken) throw err;
    try { await session.refresh(); } catch { expire(); throw err; }
    return api(path, { ...options, token: session.idToken });
  }
}

function expire() {
  session?.signOut();
  showSignIn('password', t('auth.expired'));
}

// ---- sign-in ---------------------------------------------------------------------------------------

function authMessage(err) {
  if (err instanceof CognitoError) {
    const key = `auth.err.${err.code}`;
    return t(key) === key ? t('auth.err.other') : t(key);
  }
  return t('auth.err.other');
}

function alertBox(box, message) {
  const alert = h('div', { class: 'alert alert-error', role: 'alert', tabindex: '-1' }, h('p', {}, h('strong', {}, message)));
  box.replaceChildren(alert);
  alert.focus();
}

function markField(form, name, message) {
  const el = form.elements[name];
  const wrap = el.closest('.field');
  const id = `err-${form.id}-${name}`;
  wrap.append(h('p', { class: 'field-error', id }, message));
  el.setAttribute('aria-invalid', 'true');
  el.dataset.describedby = el.getAttribute('aria-describedby') || '';
  el.setAttribute('aria-describedby', `${el.dataset.describedby} ${id}`.trim());
}

function showSignIn(next, message = null) {
  step = next;
  workspace.hidden = true;
  signin.hidden = false;
  for (const [name, form] of Object.entries(forms)) form.hidden = name !== next;
  const heading = { password: 'auth.heading', newpass: 'auth.new.heading', totp: 'auth.totp.heading', enrol: 'auth.enrol.heading' }[next];
  const intro = { password: 'auth.intro', newpass: 'auth.new.intro', totp: 'auth.totp.intro', enrol: 'auth.enrol.intro' }[next];
  $('#signin-heading').textContent = t(heading);
  const wanted = routedId();
  $('#signin-intro').textContent = next === 'password' && wanted ? `${t('auth.for_report', { id: wanted })} ${t(intro)}` : t(intro);
  if (message) alertBox(signinErrors, message); else signinErrors.replaceChildren();
  const first = forms[next].querySelector('input');
  if (next !== 'password' || !message) first?.focus();
}

async function afterChallenge(result) {
  if (result.done) { await enter(); return; }
  challenge = result;
  if (result.challenge === 'NEW_PASSWORD_REQUIRED') showSignIn('newpass');
  else if (result.challenge === 'SOFTWARE_TOKEN_MFA') showSignIn('totp');
  else if (result.challenge === 'MFA_SETUP') showSignIn('password', t('auth.err.other'));
  else showSignIn('password', t('auth.err.other'));
}

function guard(form, fn) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form, signinErrors);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try { await fn(form.elements); } catch (err) {
      if (err instanceof CognitoError) alertBox(signinErrors, authMessage(err));
      else alertBox(signinErrors, err.message || t('auth.err.other'));
    } finally { button.disabled = false; }
  });
}

guard(forms.password, async (f) => {
  const username = f.username.value.trim().toLowerCase();
  let bad = false;
  if (!username) { markField(forms.password, 'username', t('err.required')); bad = true; }
  if (!f.password.value) { markField(forms.password, 'password', t('err.required')); bad = true; }
  if (bad) { alertBox(signinErrors, t('act.err.fields')); return; }
  const result = await session.signIn(username, f.password.value);
  f.password.value = '';
  await afterChallenge(result);
});

guard(forms.newpass, async (f) => {
  if (!f.new_password.value) { markField(forms.newpass, 'new_password', t('err.required')); alertBox(signinErrors, t('act.err.fields')); return; }
  if (f.new_password.value !== f.confirm.value) { markField(forms.newpass, 'confirm', t('auth.err.mismatch')); alertBox(signinErrors, t('auth.err.mismatch')); return; }
  const result = await session.newPassword(challenge.session, f.new_password.value);
  f.new_password.value = ''; f.confirm.value = '';
  await afterChallenge(result);
});

guard(forms.totp, async (f) => {
  const code = f.code.value.replace(/\s/g, '');
  if (!/^\d{6}$/.test(code)) { markField(forms.totp, 'code', t('auth.err.code')); alertBox(signinErrors, t('auth.err.code')); return; }
  const result = await session.totp(challenge.session, code);
  f.code.value = '';
  await afterChallenge(result);
});

guard(forms.enrol, async (f) => {
  const code = f.code.value.replace(/\s/g, '');
  if (!/^\d{6}$/.test(code)) { markField(forms.enrol, 'code', t('auth.err.code')); alertBox(signinErrors, t('auth.err.code')); return; }
  await session.verifyTotp(code);
  f.code.value = '';
  await enter(t('auth.enrol.ok'));
});

async function startEnrolment() {
  const secret = await session.associateTotp();
  $('#enrol-key').textContent = secret.replace(/(.{4})/g, '$1 ').trim();
  const label = encodeURIComponent(`Lapor:${me.id}`);
  $('#enrol-link').href = `otpauth://totp/${label}?secret=${encodeURIComponent(secret)}&issuer=Lapor`;
  showSignIn('enrol');
}

$('#signout').addEventListener('click', async () => {
  await session.signOut();
  me = null; report = null; items = [];
  showSignIn('password');
});

/** Signed in: who am I, then the workspace (or the authenticator enrolment my role needs first). */
async function enter(notice = null) {
  me = await call('/me');
  if (me.mfa.required && !me.mfa.enrolled) { await startEnrolment(); return; }
  signin.hidden = true;
  workspace.hidden = false;
  renderWho();
  if (notice) inboxStatus.replaceChildren(h('p', { class: 'alert alert-success' }, notice));
  loadLists();
  await Promise.all([loadSummary(), loadInbox()]);
  if (routedId()) openReport(routedId()); else $('#inbox-heading').focus();
}

function roleLabel(role, nationalAdmin = false) { return t(`role.${nationalAdmin ? 'national_admin' : role}`); }

function renderWho() {
  if (!me) return;
  $('#whoami').textContent = t('auth.as', { name: me.name, role: roleLabel(me.role, me.national_admin), agency: me.agency.name });
}

// ---- tabs, filters and the list ---------------------------------------------------------------------

function renderTabs() {
  const tabs = $('#tabs');
  tabs.replaceChildren(...SCOPES.map((name) => {
    const c = summary?.[name];
    const selected = name === scope;
    return h('button', {
      type: 'button', role: 'tab', id: `tab-${name}`, 'aria-selected': String(selected), 'aria-controls': 'inbox-panel',
      tabindex: selected ? '0' : '-1', class: 'tab',
      onclick: () => selectScope(name),
      onkeydown: (e) => {
        const i = SCOPES.indexOf(name);
        const next = e.key === 'ArrowRight' ? SCOPES[(i + 1) % SCOPES.length] : e.key === 'ArrowLeft' ? SCOPES[(i + SCOPES.length - 1) % SCOPES.length] : null;
        if (next) { e.preventDefault(); selectScope(next); $(`#tab-${next}`).focus(); }
      },
    }, t(`scope.${name}`), c ? [
      h('span', { class: 'tab-count', 'aria-hidden': 'true' }, String(c.total),
        c.overdue ? h('span', { class: 'tab-late' }, ` · ${c.overdue}!`) : null),
      h('span', { class: 'sr-only' }, ` (${t('scope.count', { n: c.total, late: c.overdue })})`),
    ] : null);
  }));
  $('#inbox-panel').setAttribute('aria-labelledby', `tab-${scope}`);
}

function selectScope(name) {
  scope = name;
  renderTabs();
  loadInbox();
}

function fillSelect(select, allKey, values, label) {
  const current = select.value;
  select.replaceChildren(...(allKey ? [h('option', { value: '' }, t(allKey))] : []),
    ...values.map((v) => h('option', { value: v }, label(v))));
  select.value = values.includes(current) ? current : (allKey ? '' : values[0]);
}

function renderFilters() {
  fillSelect($('#f-status'), 'f.status.all', STATUSES, statusLabel);
  fillSelect($('#f-category'), 'f.category.all', categories.map((c) => c.code), (code) => categories.find((c) => c.code === code)?.name ?? code);
  fillSelect($('#f-track'), 'f.track.all', ['standard', 'covid19'], trackLabel);
  fillSelect($('#f-sort'), null, SORTS, (s) => t(`f.sort.${s}`));
}

function dueBadges(deadline, overdue) {
  if (overdue) return h('span', { class: 'flag flag-overdue' }, t('badge.overdue'));
  const at = deadline && parseIso(deadline.at);
  if (at && at.getTime() - Date.now() < DUE_SOON_MS) return h('span', { class: 'flag flag-soon' }, t('badge.soon'));
  return null;
}

function deadlineText(deadline) {
  return deadline ? t('inbox.deadline', { stage: t(`stage.${deadline.stage}`), date: fmtWIB(deadline.at) }) : t('inbox.no_deadline');
}

function renderInbox(focusFrom = -1) {
  const catName = (code) => categories.find((c) => c.code === code)?.name ?? code;
  list.replaceChildren(...items.map((it) => {
    const current = report?.id === it.id;
    return h('li', { class: current ? 'current' : null },
      h('a', { href: `#/reports/${encodeURIComponent(it.id)}`, 'aria-current': current ? 'true' : null },
        h('strong', {}, it.id), ' — ', it.title),
      h('p', { class: 'meta' }, badge(it.status), ' ', dueBadges(it.next_deadline, it.overdue), ' ',
        it.category ? `${catName(it.category)} · ` : '', it.assignee ? `${it.assignee.name ?? it.assignee.id}` : ''),
      h('p', { class: it.overdue ? 'meta overdue' : 'meta' }, deadlineText(it.next_deadline)));
  }));
  more.hidden = !cursor;
  if (focusFrom >= 0) list.children[focusFrom]?.querySelector('a')?.focus();
}

function filterParams() {
  const f = filterForm.elements;
  const params = new URLSearchParams({ scope, limit: String(PAGE) });
  for (const name of ['q', 'status', 'category', 'track', 'sort']) {
    const value = f[name].value.trim();
    if (value && !(name === 'sort' && value === 'deadline')) params.set(name, value);
  }
  if (f.overdue.checked) params.set('overdue', 'true');
  return params;
}

async function loadInbox(append = false) {
  const params = filterParams();
  if (append && cursor) params.set('cursor', cursor);
  inboxStatus.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  more.disabled = true;
  try {
    const page = await call(`/inbox?${params}`);
    const start = append ? items.length : -1;
    items = (append ? items : []).concat(page.items || []);
    cursor = page.next_cursor || null;
    counts = page.counts;
    renderInbox(start);
    const status = items.length ? t('inbox.shown', { n: items.length, total: counts.total }) : t('inbox.empty');
    const partial = cursor && (page.items || []).length < PAGE ? ` ${t('inbox.partial')}` : '';
    inboxStatus.replaceChildren(h('p', {}, status + partial));
  } catch (err) {
    inboxStatus.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert' }, apiMessage(err)));
  } finally {
    more.disabled = false;
  }
}

async function loadSummary() {
  try { summary = await call('/inbox/summary'); } catch { summary = null; }
  renderTabs();
}

async function loadLists() {
  try { categories = await getCategories(); } catch { categories = []; }
  try { agencies = await api('/agencies'); } catch { agencies = []; }
  renderFilters();
  $('#agency-list').replaceChildren(...agencies.map((a) => h('option', { value: `${a.name} (${a.code})` })));
  renderInbox();
}

filterForm.addEventListener('submit', (event) => { event.preventDefault(); loadInbox(); });
for (const name of ['status', 'category', 'track', 'sort', 'overdue']) filterForm.elements[name].addEventListener('change', () => loadInbox());
more.addEventListener('click', () => loadInbox(true));

function apiMessage(err) {
  if (err.status === 0) return t('err.network');
  if (err.status >= 500) return t('err.server', { status: err.status });
  if (err.status === 403) return t('err.403');
  if (err.status === 409) return t('act.err.409');
  return t('err.http', { status: err.status });
}

// ---- the report panel -------------------------------------------------------------------------------

const routedId = () => {
  const m = /^#\/reports\/(.+)$/.exec(location.hash);
  try { return m ? decodeURIComponent(m[1]) : null; } catch { return null; }
};

function officialName(ref) { return ref ? (ref.name ?? ref.id) : '–'; }

function timelineLine(e) {
  let label = t(`tl.${e.action}`);
  const esc = /^escalate_(\w+)_(\d)$/.exec(e.action);
  if (esc) label = t('tl.escalate', { stage: t(`stage.${esc[1]}`).toLowerCase(), level: esc[2] });
  if (e.delivery) {
    const d = e.delivery;
    const msg = t(`msg.${d.message}`) === `msg.${d.message}` ? d.message : t(`msg.${d.message}`);
    label = t(d.state === 'sent' ? 'tl.delivered' : 'tl.failed', { channel: t(`ch.${d.channel}`), message: msg, code: d.code || '' });
    label += ` — ${t('p.to', { who: d.recipient ? officialName(d.recipient) : t('p.reporter_short') })}`;
  } else if (e.recipients?.length) {
    label += ` — ${t('p.to', { who: e.recipients.map(officialName).join(', ') })}`;
  }
  const actor = e.actor ? `${e.actor.name ?? (e.actor.role === 'reporter' ? t('role.reporter') : e.actor.id)} (${roleLabel(e.actor.role)})` : null;
  return h('li', { class: e.internal ? 'internal' : null },
    h('time', { datetime: e.at }, fmtWIB(e.at)), ' — ', h('strong', {}, label), ' ', badge(e.status),
    e.internal ? h('span', { class: 'flag flag-internal' }, t('p.internal')) : null,
    actor ? h('p', { class: 'meta' }, actor) : null,
    e.note && e.actor ? h('p', { class: 'report-text' }, e.note) : null);
}

function officialView(r) {
  const cat = categories.find((c) => c.code === r.category);
  const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const contact = r.reporter
    ? dl([r.reporter.name && [t('p.name'), r.reporter.name], r.reporter.email && [t('p.email'), h('a', { href: `mailto:${r.reporter.email}` }, r.reporter.email)],
      r.reporter.phone && [t('p.phone'), h('a', { href: `tel:${r.reporter.phone}` }, r.reporter.phone)]])
    : h('p', {}, r.anonymous ? t('p.anonymous') : t('p.no_contact'));
  const loc = r.location;
  return h('div', { class: 'report' },
    h('p', { class: 'report-status' }, badge(r.status), ' ', dueBadges(r.next_deadline, r.overdue)),
    r.read_only ? h('p', { class: 'note' }, t('panel.readonly')) : null,
    r.confidential ? h('p', { class: 'warning' }, t('p.confidential')) : null,
    h('h3', {}, t('r.title')), h('p', { class: 'report-title' }, r.title),
    h('h3', {}, t('r.description')), h('p', { class: 'report-text' }, r.description),
    h('h3', {}, t('p.reporter')), contact,
    dl([
      [t('r.kind'), kindLabel(r.kind)],
      [t('r.category'), cat ? cat.name : r.category || t('r.unknown')],
      [t('r.agency'), r.agency ? `${r.agency.name} (${r.agency.code})` : t('r.unknown')],
      [t('p.assignee'), officialName(r.assignee)],
      [t('r.track'), r.track ? trackLabel(r.track) : t('r.unknown')],
      r.region && [t('p.region'), r.region.name ? `${r.region.name} (${r.region.code})` : r.region.code],
      loc && [t('p.location'), h('a', { href: `https://www.openstreetmap.org/?mlat=${loc.lat}&mlon=${loc.lon}#map=17/${loc.lat}/${loc.lon}`, rel: 'noopener noreferrer', target: '_blank' }, `${loc.lat}, ${loc.lon} — ${t('p.map')}`)],
      r.occurred_on && [t('p.occurred'), r.occurred_on],
      [t('r.created'), h('time', { datetime: r.created_at }, fmtWIB(r.created_at))],
      [t('p.next'), h('span', { class: r.overdue ? 'overdue' : null }, deadlineText(r.next_deadline))],
    ]),
    h('h3', {}, t('p.history')),
    h('ol', { class: 'timeline' }, (r.timeline || []).map(timelineLine)));
}

function publicView(r) {
  return h('div', { class: 'report' }, h('p', { class: 'note' }, t('panel.public')),
    h('p', { class: 'report-status' }, badge(r.status)),
    r.agency ? h('p', {}, `${t('r.agency')}: ${r.agency.name}`) : null);
}

function renderPanel() {
  $('#panel-heading').textContent = t('r.heading', { id: report.id });
  const official = report.view === 'official';
  $('#panel-body').replaceChildren(official ? officialView(report) : publicView(report));
  const allowed = official ? ACTIONS.filter((a) => report.allowed_actions.includes(a)) : [];
  const current = actionForm.elements.action?.value;
  $('#action-options').replaceChildren(...allowed.map((a) => h('label', {},
    h('input', { type: 'radio', name: 'action', value: a, checked: a === current || allowed.length === 1 }), ' ', h('span', {}, t(`act.${a}`)))));
  $('#action-choices').hidden = !allowed.length;
  $('#act-none').hidden = allowed.length > 0;
  $('#act-submit').hidden = !allowed.length;
  $('#note-field').hidden = !allowed.length;
  actionForm.hidden = !official || report.read_only;
  showActionFields();
}

function showActionFields() {
  const action = actionForm.elements.action?.value || '';
  $('#to-agency-field').hidden = action !== 'forward';
  $('#to-official-field').hidden = action !== 'assign';
  if (action === 'assign') loadAssignees();
}

async function loadAssignees() {
  const select = $('#a-official');
  try {
    assignees = await call(`/officials?agency=${encodeURIComponent(report.agency.code)}`);
  } catch { assignees = []; }
  const others = assignees.filter((o) => o.id !== report.assignee?.id);
  select.replaceChildren(h('option', { value: '' }, t('act.to_official.choose')),
    ...others.map((o) => h('option', { value: o.id }, t('act.to_official.option', { name: o.name, role: roleLabel(o.role), open: o.open }))));
}

/** The report's files, each with a download link that works for a few minutes (cleaned copies only). */
async function loadAttachments(current) {
  const section = $('#attachments');
  if (!current.attachments_count || current.view !== 'official') { section.hidden = true; return; }
  let files = [];
  try { files = await call(`/reports/${encodeURIComponent(current.id)}/attachments`); } catch { files = []; }
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
  desk.classList.add('report-open');
  panel.hidden = false;
  $('#panel-heading').textContent = t('r.heading', { id });
  const status = $('#panel-status');
  status.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  if (focus) { actionResult.replaceChildren(); clearErrors(actionForm); actionForm.reset(); }
  try {
    report = await call(`/reports/${encodeURIComponent(id)}`);
    status.replaceChildren();
    renderPanel();
    loadAttachments(report);
  } catch (err) {
    report = null;
    $('#panel-body').replaceChildren();
    $('#attachments').hidden = true;
    actionForm.hidden = true;
    status.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert' },
      err.status === 404 ? t('track.notfound', { code: id }) : apiMessage(err)));
  }
  renderInbox();
  if (focus) $('#panel-heading').focus();
}

function route() {
  if (!me) { if (!signin.hidden && step === 'password') showSignIn('password'); return; }
  const id = routedId();
  if (id) { openReport(id); return; }
  const previous = report?.id;
  report = null;
  panel.hidden = true;
  desk.classList.remove('report-open');
  renderInbox();
  const link = previous && [...list.querySelectorAll('a')].find((a) => a.hash === `#/reports/${encodeURIComponent(previous)}`);
  (link || $('#inbox-heading')).focus();
}

actionForm.addEventListener('change', (event) => { if (event.target.name === 'action') showActionFields(); });

function agencyCode(text) {
  const value = text.trim();
  const m = /\(([A-Z0-9-]+)\)\s*$/.exec(value);
  const code = (m ? m[1] : value).toUpperCase();
  return agencies.some((a) => a.code === code) ? code : null;
}

actionForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!report) return;
  clearErrors(actionForm, actionResult);
  const f = actionForm.elements;
  const action = f.action?.value || '';
  const note = f.note.value.trim();
  const body = { action, note };
  let bad = false;
  if (!action) { actionResult.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert' }, t('act.choose'))); return; }
  if (NOTE_REQUIRED.includes(action) && !note) { markField(actionForm, 'note', t('act.err.note')); bad = true; }
  if (action === 'forward') {
    body.to_agency = agencyCode(f.to_agency.value);
    if (!body.to_agency || body.to_agency === report.agency?.code) { markField(actionForm, 'to_agency', t('act.err.to_agency')); bad = true; }
  }
  if (action === 'assign') {
    body.to_official = f.to_official.value;
    if (!body.to_official) { markField(actionForm, 'to_official', t('act.err.to_official')); bad = true; }
  }
  if (bad) { alertBox(actionResult, t('act.err.fields')); return; }
  const button = $('#act-submit');
  button.disabled = true;
  try {
    const res = await call(`/reports/${encodeURIComponent(report.id)}/actions`, { method: 'POST', body });
    actionForm.reset();
    await openReport(report.id, false);
    actionResult.replaceChildren(h('p', { class: 'alert alert-success', role: 'status' }, t('act.ok', { status: statusLabel(res?.status) })));
    loadInbox();
    loadSummary();
  } catch (err) {
    if (err.status === 422) {
      for (const e of err.errors || []) {
        const message = { note: 'act.err.note', to_agency: 'act.err.to_agency', to_official: 'act.err.to_official' }[e.field];
        if (message && f[e.field]) markField(actionForm, e.field, t(message));
      }
      alertBox(actionResult, t('act.err.fields'));
    } else if (err.status === 409) {
      await openReport(report.id, false);
      alertBox(actionResult, t('act.err.409'));
    } else if (err.status === 403) {
      alertBox(actionResult, t('act.err.403'));
    } else {
      alertBox(actionResult, apiMessage(err));
    }
  } finally {
    button.disabled = false;
  }
});

// ---- start ------------------------------------------------------------------------------------------

onLangChange(() => {
  if (!signin.hidden) showSignIn(step);
  renderWho(); renderTabs(); renderFilters(); renderInbox();
  if (report) renderPanel();
});
window.addEventListener('hashchange', route);

async function start() {
  let config;
  try { config = await api('/auth/config'); } catch {
    signin.hidden = false;
    for (const form of Object.values(forms)) form.hidden = true;
    $('#signin-heading').textContent = t('auth.heading');
    alertBox(signinErrors, t('auth.unavailable'));
    return;
  }
  session = new Session(config);
  if (await session.resume()) {
    try { await enter(); return; } catch { /* fall through to the sign-in form */ }
  }
  showSignIn('password');
}
start();
