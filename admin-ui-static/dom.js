// SPDX-License-Identifier: Apache-2.0
// DOM helpers for the admin console: elements are built from text, never from
// markup (no innerHTML anywhere), plus time formatting and small utilities
// shared by every page.

export const SVG_NS = 'http://www.w3.org/2000/svg';

export const $ = (id) => document.getElementById(id);

// Characters that act instead of showing: controls other than tab and line
// feed, C1, the line and paragraph separators, and the bidirectional
// controls that reorder what follows them (an image named
// "nginx\u202e4pm.sdrawkcab" would read "nginxbackwards.mp4"). Every text
// the console shows has them as \uXXXX, as locksetctl shows them.
const ACTING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
export function shown(s) {
  return String(s).replace(ACTING, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

// el('td', {class: 'x', text: 'y', onclick: f, dataset: {k: v}}, ...children)
export function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  setProps(e, props);
  for (const c of kids.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : shown(c));
  }
  return e;
}

// The same for SVG elements (attributes only).
export function svg(tag, attrs, ...kids) {
  const e = document.createElementNS(SVG_NS, tag);
  setProps(e, attrs);
  for (const c of kids.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : shown(c));
  }
  return e;
}

function setProps(e, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = shown(v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function show(node, on) {
  node.hidden = !on;
}

export function setAlert(node, kind, ...content) {
  clear(node);
  node.className = 'alert alert-' + kind;
  node.append(...content.flat().filter((c) => c !== null && c !== undefined));
  node.hidden = false;
}

export function lockIcon(locked) {
  return svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false', class: 'lock-icon' },
    svg('rect', { x: 5, y: 11, width: 14, height: 10, rx: 2 }),
    svg('path', { d: locked ? 'M8 11V7.5a4 4 0 0 1 8 0V11' : 'M8 11V7.5a4 4 0 0 1 7.6-1.8' }));
}

let toastTimer = null;
export function toast(message) {
  const t = $('toast');
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
}

// Times come as RFC 3339 strings or as Unix seconds.
export function isoOf(t) {
  if (typeof t === 'number') return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
  return t ? String(t) : '';
}

export function fmtTime(t) {
  const iso = isoOf(t);
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? m[1] + ' ' + m[2] : String(iso);
}

export function timeCell(t) {
  const iso = isoOf(t);
  return el('td', { class: 'nowrap', title: iso || null }, iso ? el('time', { datetime: iso, text: fmtTime(iso) }) : '\u2014');
}

export function fmtUptime(s) {
  s = Math.max(0, Math.floor(Number(s) || 0));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d > 0) return d + 'd ' + h + 'h';
  if (h > 0) return h + 'h ' + m + 'm';
  if (m > 0) return m + 'm ' + sec + 's';
  return sec + 's';
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// Loaders await several calls; when one is started again before it ended
// (a click, a hash change) only the newest may render.
const seqs = {};
export function begin(key) {
  const n = (seqs[key] || 0) + 1;
  seqs[key] = n;
  return () => seqs[key] === n;
}

// A dotted key that may wrap after each dot.
export function breakable(key) {
  return key.split(/(?<=[./])/).flatMap((part, i) => (i ? [el('wbr'), part] : [part]));
}

export function valueNode(v) {
  if (v === null || v === undefined) return el('span', { class: 'value-empty', text: 'null' });
  if (typeof v === 'boolean') return el('span', { class: 'value value-bool-' + v, text: String(v) });
  if (typeof v === 'string') return v === '' ? el('span', { class: 'value-empty', text: '(empty)' }) : el('span', { class: 'value', text: v });
  if (typeof v === 'number') return el('span', { class: 'value', text: String(v) });
  if (Array.isArray(v)) {
    if (v.length === 0) return el('span', { class: 'value-empty', text: '(none)' });
    if (v.every((x) => typeof x !== 'object' || x === null)) return el('span', { class: 'chips' }, v.map((x) => el('span', { class: 'chip', text: String(x) })));
  }
  return el('span', { class: 'value', text: JSON.stringify(v) });
}

export function ruleChips(rules) {
  if (!Array.isArray(rules) || rules.length === 0) return '';
  return el('span', { class: 'chips' }, rules.map((x) => el('span', { class: 'chip', text: String(x) })));
}

// "analyticsEnabled" -> "Analytics enabled", "exposeDockerAPIOnTCP2375" ->
// "Expose Docker API on TCP2375".
export function humanize(key) {
  const words = String(key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').split(' ');
  return words.map((w, i) => {
    if (i === 0) return w.charAt(0).toUpperCase() + w.slice(1);
    return /^[A-Z][a-z]+$/.test(w) && !/^(Docker|Kubernetes|Rosetta|Scout|Kerberos|Ntlm|Sysbox)$/.test(w) ? w.toLowerCase() : w;
  }).join(' ');
}

// Unique ids for generated controls.
let idn = 0;
export function uid(prefix) {
  idn++;
  return (prefix || 'id') + '-' + idn;
}

// An ARIA tab list: arrow keys move between tabs, each tab shows its panel.
// tabs: [{id, label, panel}]; onSelect(id) runs after a tab is shown.
export function tabList(label, tabs, onSelect, vertical) {
  const list = el('div', { class: 'tablist' + (vertical ? ' tablist-vertical' : ''), role: 'tablist', 'aria-label': label,
    'aria-orientation': vertical ? 'vertical' : null });
  const buttons = tabs.map((t, i) => {
    const b = el('button', {
      type: 'button', role: 'tab', id: t.id + '-tab', 'aria-controls': t.panel.id,
      'aria-selected': i === 0 ? 'true' : 'false', tabindex: i === 0 ? '0' : '-1', text: t.label,
      dataset: { tab: t.id },
    });
    t.panel.setAttribute('role', 'tabpanel');
    t.panel.setAttribute('aria-labelledby', b.id);
    t.panel.hidden = i !== 0;
    b.addEventListener('click', () => select(i, true));
    b.addEventListener('keydown', (ev) => {
      const k = ev.key;
      let n = -1;
      if (k === 'ArrowRight' || k === 'ArrowDown') n = (i + 1) % tabs.length;
      else if (k === 'ArrowLeft' || k === 'ArrowUp') n = (i - 1 + tabs.length) % tabs.length;
      else if (k === 'Home') n = 0;
      else if (k === 'End') n = tabs.length - 1;
      if (n < 0) return;
      ev.preventDefault();
      select(n, true);
      buttons[n].focus();
    });
    return b;
  });
  function select(n, user) {
    tabs.forEach((t, j) => {
      buttons[j].setAttribute('aria-selected', String(j === n));
      buttons[j].tabIndex = j === n ? 0 : -1;
      t.panel.hidden = j !== n;
    });
    if (onSelect) onSelect(tabs[n].id, user);
  }
  list.append(...buttons);
  return {
    node: list,
    buttons,
    select: (id) => select(tabs.findIndex((t) => t.id === id), false),
    selected: () => tabs[buttons.findIndex((b) => b.getAttribute('aria-selected') === 'true')].id,
  };
}
