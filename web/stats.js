// stats.html — follow-up statistics for a WIB month or year (GET /stats?period=YYYY-MM|YYYY):
// national totals, the four buckets per kind of agency, a 12-month trend, sortable agency rows.
import {
  $, api, clearErrors, currentWibMonth, fmtMonth, fmtNum, fmtPct, getLang, h, loadCatalogue, onLangChange, showErrors, t,
} from './app.js';

const form = $('#stats-form');
const monthSelect = $('#s-month');
const yearSelect = $('#s-year');
const monthField = $('#s-month-field');
const status = $('#status');
const summary = $('#summary');
const agenciesSection = $('#agencies');
const wrap = $('#table-wrap');
const BUCKETS = ['completed', 'in_process', 'not_followed_up', 'unverified'];
const KINDS = ['kementerian', 'lembaga', 'pemda', 'bumn'];
const PERIOD = /^(\d{4})(?:-(0[1-9]|1[0-2]))?$/;
let data = null;
let trend = [];
let sort = { key: 'total', dir: 'desc' };

const scope = () => form.elements.scope.value;
const period = () => (scope() === 'year' ? yearSelect.value : `${yearSelect.value}-${monthSelect.value}`);
const fmtPeriod = (p) => (p && p.length === 4 ? p : fmtMonth(p));
const hours = (n) => (n == null ? '–' : t('stats.hours', { n: fmtNum(n) }));

// ---- the picker: month and year selects, so the hint always describes what is on screen ----------

function fillPicker(selected) {
  const [cy, cm] = currentWibMonth().split('-').map(Number);
  const [year, month] = (selected || currentWibMonth()).split('-');
  yearSelect.replaceChildren(...Array.from({ length: cy - 2019 }, (_, i) => String(cy - i))
    .map((y) => h('option', { value: y, selected: y === year }, y)));
  monthSelect.replaceChildren(...Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0'))
    .map((m) => h('option', { value: m, selected: m === (month || String(cm).padStart(2, '0')) },
      new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'id-ID', { month: 'long', timeZone: 'UTC' })
        .format(new Date(Date.UTC(2000, Number(m) - 1, 15))))));
  form.elements.scope.value = month ? 'month' : 'year';
  showScope();
}

function showScope() {
  monthField.hidden = scope() === 'year';
  $('#s-year-hint').textContent = t(scope() === 'year' ? 'stats.year.hint.year' : 'stats.year.hint');
}

// ---- charts: plain HTML bars (they reflow on a phone), each an image with a caption and a table ------

function segment(bucket, size, axis) {
  const seg = h('span', { class: `seg fill-${bucket}` });
  seg.style[axis] = `${Math.max(0, Math.min(100, size))}%`; // CSSOM, so CSP-safe
  return seg;
}

function legend() {
  return h('ul', { class: 'legend-list', 'aria-label': t('stats.legend') }, BUCKETS.map((b) =>
    h('li', {}, h('span', { class: `swatch fill-${b}`, 'aria-hidden': 'true' }), t(`col.${b}`))));
}

function kindChart(groups, captionId) {
  return h('div', { class: 'kind-chart', role: 'img', 'aria-labelledby': captionId }, groups.map((g) =>
    h('div', { class: 'kind-row' },
      h('span', { class: 'kind-label' }, t(`kind.agency.${g.kind}`)),
      g.total
        ? h('span', { class: 'stack' }, BUCKETS.map((b) => segment(b, g.percent?.[b] || 0, 'width')))
        : h('span', { class: 'stack empty' }, t('stats.none')))));
}

function trendChart(months, captionId) {
  const max = Math.max(1, ...months.map((m) => m.totals?.total || 0));
  return h('div', { class: 'trend-chart', role: 'img', 'aria-labelledby': captionId }, months.map((m) =>
    h('div', { class: 'trend-col' },
      h('span', { class: 'stack-v' }, BUCKETS.map((b) => segment(b, (100 * (m.totals?.[b] || 0)) / max, 'height'))),
      h('span', { class: 'trend-label' }, m.period.slice(5)))));
}

function dataTable(caption, rows, head) {
  return h('table', { class: 'stats compact' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
    h('tbody', {}, rows.map(([label, ...cells]) => h('tr', {}, h('th', { scope: 'row' }, label), cells.map((c) => h('td', { class: 'num' }, c))))));
}

// ---- rendering -------------------------------------------------------------------------------

function renderSummary() {
  const p = fmtPeriod(data.period);
  $('#summary-heading').textContent = t('stats.summary', { period: p });
  const tot = data.totals || {};
  const facts = [
    ['stats.total', fmtNum(tot.total, 0)],
    ...BUCKETS.map((b) => [`col.${b}`, `${fmtPct(tot.percent?.[b])} (${fmtNum(tot[b], 0)})`]),
    ['col.rejected', fmtNum(tot.rejected, 0)],
    ['col.verified_on_time', fmtPct(tot.verified_on_time_pct)],
    ['col.followed_up_on_time', fmtPct(tot.followed_up_on_time_pct)],
    ['col.median_verify', hours(tot.median_hours_to_verify)],
    ['col.median_follow', hours(tot.median_hours_to_follow_up)],
  ];
  $('#totals').replaceChildren(...facts.map(([k, v]) => h('div', {}, h('dt', {}, t(k)), h('dd', {}, v))));
  $('#legend').replaceChildren(legend());
  const groups = KINDS.map((k) => (data.by_kind || []).find((g) => g.kind === k) || { kind: k, total: 0, agencies: 0, percent: {} });
  $('#kind-caption').textContent = t('stats.chart.kind', { period: p });
  $('#kind-chart').replaceChildren(kindChart(groups, 'kind-caption'));
  $('#kind-table').replaceChildren(dataTable(t('stats.chart.kind', { period: p }),
    groups.map((g) => [t(`kind.agency.${g.kind}`), fmtNum(g.agencies, 0), fmtNum(g.total, 0), ...BUCKETS.map((b) => fmtPct(g.percent?.[b]))]),
    [t('stats.kind'), t('stats.agency_count'), t('col.total'), ...BUCKETS.map((b) => t(`col.${b}`))]));
  renderTrend();
}

function renderTrend() {
  const first = trend[0]?.period; const last = trend[trend.length - 1]?.period;
  const caption = t('stats.chart.trend', { from: fmtMonth(first), to: fmtMonth(last) });
  $('#trend-caption').textContent = caption;
  $('#trend-chart').replaceChildren(trendChart(trend, 'trend-caption'));
  $('#trend-table').replaceChildren(dataTable(caption,
    trend.map((m) => [fmtMonth(m.period), fmtNum(m.totals?.total, 0), ...BUCKETS.map((b) => fmtNum(m.totals?.[b], 0))]),
    [t('stats.month'), t('col.total'), ...BUCKETS.map((b) => t(`col.${b}`))]));
}

const COLUMNS = [
  ['agency', 'col.agency', (a) => a.agency?.name ?? ''],
  ['kind', 'stats.kind', (a) => (a.kind ? t(`kind.agency.${a.kind}`) : '')],
  ['total', 'col.total', (a) => a.total],
  ...BUCKETS.map((b) => [b, `col.${b}`, (a) => a.percent?.[b] ?? -1]),
  ['rejected', 'col.rejected', (a) => a.rejected],
  ['verified_on_time_pct', 'col.verified_on_time', (a) => a.verified_on_time_pct ?? -1],
  ['followed_up_on_time_pct', 'col.followed_up_on_time', (a) => a.followed_up_on_time_pct ?? -1],
  ['median_hours_to_verify', 'col.median_verify', (a) => a.median_hours_to_verify ?? Infinity],
  ['median_hours_to_follow_up', 'col.median_follow', (a) => a.median_hours_to_follow_up ?? Infinity],
];

function cells(a) {
  const label = (key) => t(COLUMNS.find((c) => c[0] === key)[1]);
  const num = (key, v) => h('td', { class: 'num', 'data-label': label(key) }, v);
  return [
    h('th', { scope: 'row', 'data-label': label('agency') }, a.agency?.name ?? '–', h('span', { class: 'code' }, a.agency?.code ?? '')),
    h('td', { 'data-label': label('kind') }, a.kind ? t(`kind.agency.${a.kind}`) : '–'),
    num('total', fmtNum(a.total, 0)),
    BUCKETS.map((b) => h('td', { class: 'num bucket', 'data-label': label(b) },
      h('span', { class: 'pct' }, fmtPct(a.percent?.[b])), ' ', h('span', { class: 'count' }, `(${fmtNum(a[b], 0)})`),
      h('span', { class: `bar bar-${b}`, 'aria-hidden': 'true' }, barFill(a.percent?.[b])))),
    num('rejected', fmtNum(a.rejected, 0)),
    num('verified_on_time_pct', fmtPct(a.verified_on_time_pct)),
    num('followed_up_on_time_pct', fmtPct(a.followed_up_on_time_pct)),
    num('median_hours_to_verify', hours(a.median_hours_to_verify)),
    num('median_hours_to_follow_up', hours(a.median_hours_to_follow_up)),
  ];
}

function barFill(pct) {
  const fill = h('span');
  fill.style.width = `${Math.max(0, Math.min(100, Number(pct) || 0))}%`; // CSSOM, so CSP-safe
  return fill;
}

function renderTable() {
  const agencies = [...(data.agencies || [])];
  const [, , value] = COLUMNS.find((c) => c[0] === sort.key);
  const factor = sort.dir === 'asc' ? 1 : -1;
  agencies.sort((a, b) => {
    const x = value(a); const y = value(b);
    const order = typeof x === 'string' ? x.localeCompare(y, getLang()) : x - y;
    return order * factor || (a.agency?.code || '').localeCompare(b.agency?.code || '');
  });
  const head = COLUMNS.map(([key, label], i) => h('th', {
    scope: 'col', class: i > 1 ? 'num' : null,
    'aria-sort': sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : null,
  }, h('button', { type: 'button', class: 'sort', onclick: () => {
    // A second click reverses the order; names start A–Z, figures start with the largest.
    if (sort.key === key) sort = { key, dir: sort.dir === 'asc' ? 'desc' : 'asc' };
    else sort = { key, dir: key === 'agency' || key === 'kind' ? 'asc' : 'desc' };
    renderTable();
    wrap.querySelector(`th[aria-sort] button`)?.focus();
  } }, t(label))));
  wrap.replaceChildren(h('table', { class: 'stats' },
    h('caption', {}, t('stats.caption', { period: fmtPeriod(data.period) })),
    h('thead', {}, h('tr', {}, head)),
    h('tbody', {}, agencies.map((a) => h('tr', {}, cells(a))))));
}

function render() {
  if (!data) return;
  summary.hidden = false;
  renderSummary();
  const any = (data.agencies || []).length > 0;
  agenciesSection.hidden = !any;
  if (any) { status.replaceChildren(); renderTable(); } else {
    wrap.replaceChildren();
    status.replaceChildren(h('p', { class: 'note' }, t('stats.empty', { period: fmtPeriod(data.period) })));
  }
}

// ---- loading ------------------------------------------------------------------------------------

function lastTwelve(end) {
  let [y, m] = end.split('-').map(Number);
  const months = [];
  for (let i = 0; i < 12; i += 1) { months.unshift(`${y}-${String(m).padStart(2, '0')}`); m -= 1; if (!m) { m = 12; y -= 1; } }
  return months;
}

function invalid(message) {
  data = null; summary.hidden = true; agenciesSection.hidden = true;
  showErrors(status, { message: t('stats.invalid'), errors: [{ field: 'period', message }] }, form);
}

async function load(p) {
  const match = PERIOD.exec(p || '');
  if (!match || Number(match[1]) < 2000 || Number(match[1]) > 2100) { invalid(t('stats.invalid.format', { value: p })); return; }
  clearErrors(form);
  status.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  try {
    const end = match[2] ? p : (p === currentWibMonth().slice(0, 4) ? currentWibMonth() : `${p}-12`);
    const [view, ...months] = await Promise.all([api(`/stats?period=${encodeURIComponent(p)}`),
      ...lastTwelve(end).map((m) => api(`/stats?period=${m}`))]);
    data = view; trend = months;
    render();
  } catch (err) {
    data = null; summary.hidden = true; agenciesSection.hidden = true;
    if (err.status === 422) invalid(err.errors?.[0]?.message || err.message);
    else showErrors(status, err, form);
  }
}

form.addEventListener('change', (event) => { if (event.target.name === 'scope') showScope(); });
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const p = period();
  history.replaceState(null, '', `?period=${encodeURIComponent(p)}`);
  load(p);
});

onLangChange(() => { fillPicker(data?.period); render(); });
const wanted = new URLSearchParams(location.search).get('period');
fillPicker(wanted && PERIOD.test(wanted) ? wanted : currentWibMonth());
load(wanted ?? currentWibMonth());
loadCatalogue().catch(() => {});
