// SPDX-License-Identifier: Apache-2.0
// A readable diff of two policy documents: one row per changed setting, in
// words ("locked", "added --sysctl"), not a text diff of the JSON.
import { el } from './dom.js';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const scalarList = (v) => Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object');
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// [{path: ['proxy', 'mode'], kind: 'added'|'removed'|'changed', before, after,
// added?: [...], removed?: [...]}] for every leaf that differs.
export function diffDocs(before, after) {
  const out = [];
  walk(before, after, [], out);
  return out;
}

function walk(a, b, path, out) {
  if (same(a, b)) return;
  // A setting that appears or goes whole is shown field by field.
  if ((isObj(a) && (isObj(b) || b === undefined)) || (a === undefined && isObj(b))) {
    a = a || {};
    b = b || {};
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) walk(a[k], b[k], path.concat(k), out);
    return;
  }
  if (a === undefined) { out.push({ path, kind: 'added', after: b }); return; }
  if (b === undefined) { out.push({ path, kind: 'removed', before: a }); return; }
  const row = { path, kind: 'changed', before: a, after: b };
  if (scalarList(a) && scalarList(b)) {
    row.added = b.filter((x) => !a.includes(x));
    row.removed = a.filter((x) => !b.includes(x));
  }
  out.push(row);
}

function show(v, r) {
  if (v === undefined) return el('span', { class: 'value-empty', text: 'not set' });
  if (r && r.added) return el('span', { class: 'muted', text: v.length + ' entr' + (v.length === 1 ? 'y' : 'ies') });
  if (typeof v === 'boolean' || typeof v === 'number') return el('span', { class: 'value', text: String(v) });
  if (typeof v === 'string') return el('span', { class: 'value', text: JSON.stringify(v) });
  if (scalarList(v)) return v.length ? el('span', { class: 'chips' }, v.map((x) => el('span', { class: 'chip', text: String(x) }))) : el('span', { class: 'value-empty', text: '(empty list)' });
  return el('code', { class: 'value diff-json', text: JSON.stringify(v) });
}

// One sentence for a row ("locked", "set to false", "added --sysctl").
function sentence(r) {
  const last = r.path[r.path.length - 1];
  if (last === 'locked' && (typeof r.after === 'boolean' || r.after === undefined)) {
    if (r.after === true) return 'locked';
    if (r.kind === 'removed' && r.before === true) return 'no longer locked';
    return r.after === false ? 'unlocked' : 'lock removed';
  }
  if (r.kind === 'added') return 'set to ' + JSON.stringify(r.after);
  if (r.kind === 'removed') return 'no longer set (the default or a lower layer decides)';
  if (r.added || r.removed) {
    const parts = [];
    if (r.added.length) parts.push('added ' + r.added.join(', '));
    if (r.removed.length) parts.push('removed ' + r.removed.join(', '));
    return parts.join('; ') || 'reordered';
  }
  return 'changed';
}

// The diff as a table (or a "no changes" note).
export function renderDiff(rows, caption) {
  if (rows.length === 0) return el('p', { class: 'muted diff-none', text: 'No changes.' });
  return el('div', { class: 'table-wrap', tabindex: '0' }, el('table', { class: 'data diff' },
    el('caption', { class: 'sr-only', text: caption || 'Changes' }),
    el('thead', null, el('tr', null, ['Setting', 'Before', 'After', 'Change'].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', null, rows.map((r) => el('tr', { class: 'diff-' + r.kind, dataset: { path: '/' + r.path.join('/') } },
      el('td', { class: 'key' }, el('code', { text: r.path.join('.') || '(document)' })),
      el('td', null, show(r.before, r)),
      el('td', null, show(r.after, r)),
      el('td', { text: sentence(r) }))))));
}

// A short summary of a diff ("3 settings changed") for history tables.
export function diffSummary(rows) {
  if (rows.length === 0) return 'no change';
  const keys = [...new Set(rows.map((r) => r.path[0]))].filter((k) => k !== 'configurationFileVersion');
  return keys.slice(0, 4).join(', ') + (keys.length > 4 ? ' and ' + (keys.length - 4) + ' more' : '');
}
