// SPDX-License-Identifier: Apache-2.0
// Before a save: the readable diff of the change beside the impact preview
// (POST /v1/policy/impact): which recently recorded requests would change
// outcome under the proposed policy, by rule.
import { el, fmtTime, ruleChips } from './dom.js';
import { api, errorText } from './api.js';
import { renderDiff } from './diff.js';

function byRule(title, part, kind) {
  const entries = Object.entries((part && part.byRule) || {}).sort((a, b) => b[1] - a[1]);
  return el('div', { class: 'impact-part impact-' + kind, dataset: { kind } },
    el('h4', null, title, ' ', el('span', { class: 'impact-count', text: String((part && part.count) || 0) })),
    entries.length === 0 ? el('p', { class: 'muted small', text: 'None.' })
      : el('ul', { class: 'impact-rules' }, entries.map(([rule, n]) => el('li', { dataset: { rule } },
        el('code', { text: rule }), ' ', el('span', { class: 'num', text: n + ' request' + (n === 1 ? '' : 's') })))));
}

function examples(list) {
  if (!Array.isArray(list) || list.length === 0) return null;
  return el('details', { class: 'impact-examples' }, el('summary', { text: 'Requests that would change (' + list.length + ')' }),
    el('div', { class: 'table-wrap', tabindex: '0' }, el('table', { class: 'data' },
      el('caption', { class: 'sr-only', text: 'Recorded requests whose outcome would change' }),
      el('thead', null, el('tr', null, ['Last seen', 'User', 'Request', 'Outcome', 'Rules', 'Count'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', null, list.map((x) => el('tr', null,
        el('td', { class: 'nowrap', text: fmtTime(x.time) }),
        el('td', { text: x.user || '' }),
        el('td', { class: 'value', text: (x.method || '') + ' ' + (x.uri || '') }),
        el('td', { class: 'nowrap' }, el('span', { class: 'badge badge-' + x.before, text: x.before }), ' \u2192 ', el('span', { class: 'badge badge-' + x.after, text: x.after })),
        el('td', null, ruleChips(x.rules)),
        el('td', { class: 'num', text: String(x.count) })))))));
}

// Fill box with the impact of doc on the recorded traffic.
export async function showImpact(box, doc) {
  box.replaceChildren(el('h3', { text: 'Impact on recorded traffic' }), el('p', { class: 'muted', text: 'Replaying recent requests\u2026' }));
  const r = await api('POST', '/v1/policy/impact', { body: doc });
  const head = el('h3', { text: 'Impact on recorded traffic' });
  if (!r.ok || !r.data) {
    box.replaceChildren(head, el('p', { class: 'alert alert-info', text: r.status === 404 ? 'The impact preview is not available on this server.' : errorText(r, 'The impact preview') }));
    return;
  }
  const d = r.data;
  const changed = (d.newlyDenied.count || 0) + (d.newlyAllowed.count || 0);
  box.replaceChildren(head,
    el('p', { class: 'muted small impact-summary', text: d.replayed + ' recorded request' + (d.replayed === 1 ? '' : 's') + ' since ' + fmtTime(d.since) + ' replayed' +
      (d.skipped ? ' (' + d.skipped + ' too large to keep, skipped)' : '') + '; ' + (changed ? changed + ' would change outcome.' : 'none would change outcome.') }),
    el('div', { class: 'impact-grid' }, byRule('Newly denied', d.newlyDenied, 'denied'), byRule('Newly allowed', d.newlyAllowed, 'allowed')),
    examples(d.examples));
}

// The review block: diff (left) and impact (right, org policy only).
export function renderReview(container, rows, opts) {
  const impactBox = el('div', { class: 'review-impact', 'aria-live': 'polite' });
  const diffBox = el('div', { class: 'review-diff' }, el('h3', { text: 'Changes' }), renderDiff(rows, opts.caption));
  if (!opts.impact) impactBox.append(el('h3', { text: 'Impact on recorded traffic' }), el('p', { class: 'muted small', text: opts.noImpactNote || '' }));
  container.replaceChildren(el('div', { class: 'review-grid' }, diffBox, impactBox));
  if (opts.impact) showImpact(impactBox, opts.doc);
}
