// stats.html — per-agency handling statistics for one WIB month (GET /stats?period=YYYY-MM).
import {
  $, api, clearErrors, currentWibMonth, fmtMonth, fmtNum, fmtPct, h, loadCatalogue, localErrors, onLangChange, showErrors, t,
} from './app.js';

const form = $('#stats-form');
const input = $('#s-period');
const status = $('#status');
const wrap = $('#table-wrap');
const BUCKETS = ['completed', 'in_process', 'not_followed_up', 'unverified'];
let data = null;

function bar(bucket, pct) {
  const fill = h('span');
  fill.style.width = `${Math.max(0, Math.min(100, Number(pct) || 0))}%`; // CSSOM, so CSP-safe
  return h('span', { class: `bar bar-${bucket}`, 'aria-hidden': 'true' }, fill);
}

const hours = (n) => (n == null ? '–' : t('stats.hours', { n: fmtNum(n) }));

function render() {
  if (!data) return;
  const period = fmtMonth(data.period);
  const agencies = Array.isArray(data.agencies) ? data.agencies : [];
  wrap.hidden = !agencies.length;
  if (!agencies.length) {
    wrap.replaceChildren();
    status.replaceChildren(h('p', { class: 'note' }, t('stats.empty', { period })));
    return;
  }
  status.replaceChildren();
  const cols = ['col.agency', 'col.total', ...BUCKETS.map((b) => `col.${b}`), 'col.rejected',
    'col.verified_on_time', 'col.followed_up_on_time', 'col.median_verify', 'col.median_follow'];
  const num = (v) => h('td', { class: 'num' }, v);
  wrap.replaceChildren(h('table', { class: 'stats' },
    h('caption', {}, t('stats.caption', { period })),
    h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t(c))))),
    h('tbody', {}, agencies.map((a) => h('tr', {},
      h('th', { scope: 'row' }, a.agency?.name ?? '–', h('span', { class: 'code' }, a.agency?.code ?? '')),
      num(fmtNum(a.total, 0)),
      BUCKETS.map((b) => h('td', { class: 'num bucket' },
        h('span', { class: 'pct' }, fmtPct(a.percent?.[b])), ' ',
        h('span', { class: 'count' }, `(${fmtNum(a[b], 0)})`),
        bar(b, a.percent?.[b]))),
      num(fmtNum(a.rejected, 0)),
      num(fmtPct(a.verified_on_time_pct)),
      num(fmtPct(a.followed_up_on_time_pct)),
      num(hours(a.median_hours_to_verify)),
      num(hours(a.median_hours_to_follow_up)))))));
}

async function load(period) {
  status.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  try {
    data = await api(`/stats?period=${encodeURIComponent(period)}`);
    render();
  } catch (err) {
    data = null;
    wrap.hidden = true;
    showErrors(status, err, form);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const invalid = localErrors(form);
  if (invalid) { showErrors(status, invalid, form); return; }
  clearErrors(form);
  history.replaceState(null, '', `?period=${encodeURIComponent(input.value)}`);
  load(input.value);
});

onLangChange(render);
input.max = currentWibMonth();
const wanted = new URLSearchParams(location.search).get('period');
input.value = /^\d{4}-\d{2}$/.test(wanted || '') ? wanted : currentWibMonth();
load(input.value);
loadCatalogue().catch(() => {});
