// SPDX-License-Identifier: Apache-2.0
// Denials over time by rule (GET /v1/audit/stats?by=rule&decision=deny), drawn
// as inline SVG stacked bars with no third-party code. Each bar segment is a
// link into the audit table filtered by its rule and time bucket; hovering or
// focusing one shows the bucket's detail. A table of the same numbers follows
// for screen readers and copying.
import { $, el, svg, clear, fmtTime, begin, query } from './dom.js';
import { api, errorText } from './api.js';

const RANGES = {
  minute: { step: 60e3, count: 60, label: 'Last hour, per minute' },
  hour: { step: 3600e3, count: 24, label: 'Last 24 hours, per hour' },
  day: { step: 86400e3, count: 30, label: 'Last 30 days, per day' },
};
// Distinct, colour-blind-friendly, each at least 3:1 against white.
const PALETTE = ['#1d4ed8', '#b91c1c', '#047857', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#4d7c0f', '#475569', '#9a3412'];
const H = 240, M = { l: 40, r: 10, t: 12, b: 28 };
let last = null; // {data, bucket, since, until} of the chart on show

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function label(ms, bucket) {
  const s = iso(ms);
  if (bucket === 'day') return s.slice(5, 10);
  return s.slice(11, 16);
}

// The smallest round maximum >= v that divides into 4 whole-number ticks.
function niceMax(v) {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 5, 8, 10]) if (m * p >= v && (m * p) % 4 === 0) return m * p;
  return Math.ceil(v / 4) * 4;
}

function auditLink(rule, from, to) {
  return '#audit' + query({ rule, decision: 'deny', since: iso(from), until: iso(to) });
}

// Bucket starts (ms) and counts: {starts, rules: [{rule, total, color}], cell(i, rule)}.
function shape(series, bucket, now) {
  const r = RANGES[bucket];
  const end = Math.floor(now / r.step) * r.step;
  const starts = Array.from({ length: r.count }, (_, i) => end - (r.count - 1 - i) * r.step);
  const index = new Map(starts.map((s, i) => [s, i]));
  const counts = new Map();
  const totals = new Map();
  for (const p of series) {
    const i = index.get(Date.parse(p.t));
    if (i === undefined) continue;
    counts.set(i + '|' + p.key, (counts.get(i + '|' + p.key) || 0) + p.count);
    totals.set(p.key, (totals.get(p.key) || 0) + p.count);
  }
  const rules = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([rule, total], k) => ({ rule, total, color: PALETTE[k % PALETTE.length] }));
  return { starts, step: r.step, rules, cell: (i, rule) => counts.get(i + '|' + rule) || 0 };
}

function tooltipFor(tip, data, i, bucket, focusRule) {
  const from = data.starts[i], to = from + data.step;
  const items = data.rules.map((r) => ({ r, n: data.cell(i, r.rule) })).filter((x) => x.n > 0);
  const total = items.reduce((a, x) => a + x.n, 0);
  tip.replaceChildren(
    el('div', { class: 'tip-time', text: fmtTime(iso(from)) + ' \u2013 ' + (bucket === 'day' ? fmtTime(iso(to)) : label(to, bucket)) + ' UTC' }),
    el('div', { class: 'tip-total', text: total + ' denial' + (total === 1 ? '' : 's') }),
    el('ul', null, items.map((x) => el('li', { class: x.r.rule === focusRule ? 'tip-focus' : null, dataset: { rule: x.r.rule } },
      el('span', { class: 'swatch', dataset: { color: x.r.color } }), el('code', { text: x.r.rule }), ' ' + x.n))),
    el('div', { class: 'tip-hint', text: 'Click a segment to see its events' }));
  for (const s of tip.querySelectorAll('.swatch')) s.style.background = s.dataset.color;
}

function bars(data, bucket, tip, wrap, W) {
  const plotW = W - M.l - M.r, plotH = H - M.t - M.b;
  const bw = plotW / data.starts.length;
  const max = niceMax(Math.max(1, ...data.starts.map((_, i) => data.rules.reduce((a, r) => a + data.cell(i, r.rule), 0))));
  const y = (v) => M.t + plotH - (v / max) * plotH;
  const g = [];
  for (let k = 0; k <= 4; k++) {
    const v = (max / 4) * k;
    g.push(svg('line', { x1: M.l, x2: W - M.r, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: M.l - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  const every = Math.ceil(data.starts.length / Math.max(2, Math.floor(plotW / 70)));
  const showTip = (i, rule, evTarget) => {
    tooltipFor(tip, data, i, bucket, rule);
    tip.hidden = false;
    const box = wrap.getBoundingClientRect(), t = evTarget.getBoundingClientRect();
    const left = Math.min(Math.max(0, t.left - box.left + t.width / 2 - 110), Math.max(0, box.width - 230));
    tip.style.left = left + 'px';
    tip.style.top = Math.max(0, t.top - box.top - tip.offsetHeight - 8) + 'px';
  };
  data.starts.forEach((s, i) => {
    const x = M.l + i * bw;
    if (i % every === 0) g.push(svg('text', { x: x + bw / 2, y: H - 10, class: 'axis', 'text-anchor': 'middle' }, label(s, bucket)));
    let acc = 0;
    const col = svg('g', { class: 'col', dataset: { t: iso(s), i: String(i) } });
    col.append(svg('rect', { x, y: M.t, width: bw, height: plotH, class: 'hit' }));
    for (const r of data.rules) {
      const n = data.cell(i, r.rule);
      if (!n) continue;
      const top = y(acc + n), h = y(acc) - top;
      acc += n;
      const a = svg('a', { href: auditLink(r.rule, s, s + data.step), class: 'seg', dataset: { rule: r.rule, t: iso(s), count: String(n) },
        'aria-label': r.rule + ': ' + n + ' denial' + (n === 1 ? '' : 's') + ', ' + fmtTime(iso(s)) + ' UTC; show these events' },
      svg('rect', { x: x + Math.min(2, bw * 0.15), y: top, width: Math.max(1, bw - Math.min(4, bw * 0.3)), height: Math.max(1, h), fill: r.color }));
      a.addEventListener('focus', (ev) => showTip(i, r.rule, ev.currentTarget));
      a.addEventListener('blur', () => { tip.hidden = true; });
      col.append(a);
    }
    g.push(col);
  });
  const chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, class: 'chart-svg', role: 'group', 'aria-label': 'Denials per ' + bucket + ' by rule; each segment links to its events' }, g);
  // One listener: the innermost element under the pointer names the bucket
  // and, over a segment, its rule.
  chart.addEventListener('mouseover', (ev) => {
    const col = ev.target.closest('.col');
    if (!col) return;
    const seg = ev.target.closest('a.seg');
    showTip(Number(col.dataset.i), seg ? seg.dataset.rule : null, seg || col);
  });
  chart.addEventListener('mouseleave', () => { tip.hidden = true; });
  return chart;
}

function legend(data, from, to) {
  return el('ul', { class: 'legend', 'aria-label': 'Rules' }, data.rules.map((r) => {
    const sw = el('span', { class: 'swatch' });
    sw.style.background = r.color;
    return el('li', null, el('a', { href: auditLink(r.rule, from, to), dataset: { rule: r.rule } }, sw, el('code', { text: r.rule }), ' ' + r.total));
  }));
}

function dataTable(data, bucket) {
  const rows = data.starts.map((s, i) => ({ s, cells: data.rules.map((r) => data.cell(i, r.rule)) })).filter((x) => x.cells.some((n) => n > 0));
  return el('details', { class: 'chart-table' }, el('summary', { text: 'The numbers as a table' }),
    el('div', { class: 'table-wrap', tabindex: '0' }, el('table', { class: 'data' },
      el('caption', { class: 'sr-only', text: 'Denials per ' + bucket + ' and rule' }),
      el('thead', null, el('tr', null, el('th', { scope: 'col', text: 'From (UTC)' }), data.rules.map((r) => el('th', { scope: 'col', text: r.rule })))),
      el('tbody', null, rows.map((x) => el('tr', null, el('th', { scope: 'row', class: 'nowrap', text: fmtTime(iso(x.s)) }), x.cells.map((n) => el('td', { class: 'num', text: String(n) }))))))));
}

export async function loadChart() {
  const current = begin('chart');
  const box = $('chart');
  const bucket = $('chart-range').value;
  const r = RANGES[bucket];
  const now = Date.now();
  const since = Math.floor(now / r.step) * r.step - (r.count - 1) * r.step;
  const res = await api('GET', '/v1/audit/stats' + query({ bucket, by: 'rule', decision: 'deny', since: iso(since) }));
  if (!current()) return;
  clear(box);
  last = null;
  if (!res.ok || !res.data) {
    box.append(el('p', { class: 'muted chart-empty', text: res.status === 403 ? 'The chart needs the auditor or admin role.' : errorText(res, 'Audit statistics') }));
    return;
  }
  const data = shape(res.data.series || [], bucket, now);
  if (data.rules.length === 0) {
    box.append(el('p', { class: 'muted chart-empty', text: 'No denials in this period.' }));
    return;
  }
  last = { data, bucket, since, until: since + r.count * r.step };
  draw();
}

// Draw at the box's own width, so text is never scaled.
function draw() {
  const box = $('chart');
  if (!last) return;
  const { data, bucket, since, until } = last;
  const tip = el('div', { class: 'chart-tip', role: 'status', hidden: true });
  const wrap = el('div', { class: 'chart-wrap' });
  box.replaceChildren(wrap, legend(data, since, until), dataTable(data, bucket));
  wrap.append(bars(data, bucket, tip, wrap, Math.max(300, Math.floor(wrap.clientWidth || 700))), tip);
  box.dataset.width = String(wrap.clientWidth);
}

export function initChart() {
  $('chart-range').addEventListener('change', loadChart);
  let pending = null;
  new ResizeObserver(() => {
    const box = $('chart');
    if (!last || box.offsetParent === null || String(box.querySelector('.chart-wrap')?.clientWidth) === box.dataset.width) return;
    clearTimeout(pending);
    pending = setTimeout(draw, 100);
  }).observe($('chart'));
}
