// SPDX-License-Identifier: Apache-2.0
// Value controls for the structured policy editor, one per schema type: a
// switch (boolean), a number, a select (enum), a text or JSON field (string),
// a list (array of strings), a flag picker (array of an enum) and the file
// share list. Each returns {node, focusEl, set(value), disable(bool),
// invalid(bool)} and reports every edit through onInput(value).
import { el, uid } from './dom.js';
import { resolve, types } from './schema.js';
import { explainFlag, groupFlags } from './flags.js';

function base(node, focusEl, set, inputs) {
  return {
    node, focusEl, set,
    disable(b) { for (const i of inputs()) i.disabled = b; },
    invalid(b) { for (const i of inputs()) { if (b) i.setAttribute('aria-invalid', 'true'); else i.removeAttribute('aria-invalid'); } },
  };
}

// Set an input's value unless the user is typing in it (keeps the caret).
function setText(input, text) {
  if (document.activeElement === input && input.dataset.dirty === '1') return;
  if (input.value !== text) input.value = text;
}

function switchControl(o) {
  const input = el('input', { type: 'checkbox', role: 'switch', id: o.id, class: 'switch', 'aria-describedby': o.describedBy });
  const state = el('span', { class: 'switch-state', 'aria-hidden': 'true' });
  input.addEventListener('change', () => o.onInput(input.checked));
  const node = el('span', { class: 'switch-wrap' }, input, state);
  return base(node, input, (v) => {
    input.checked = v === true;
    state.textContent = v === true ? 'On' : v === false ? 'Off' : JSON.stringify(v);
  }, () => [input]);
}

function numberControl(o) {
  const n = o.schemaNode;
  const input = el('input', {
    type: 'number', id: o.id, class: 'num-input', step: n.type === 'integer' ? 1 : 'any',
    min: n.minimum, max: n.maximum, 'aria-describedby': o.describedBy,
  });
  input.addEventListener('input', () => {
    input.dataset.dirty = '1';
    const t = input.value.trim();
    o.onInput(t === '' ? null : Number(t));
  });
  input.addEventListener('blur', () => { input.dataset.dirty = ''; });
  return base(input, input, (v) => setText(input, v === null || v === undefined ? '' : String(v)), () => [input]);
}

function selectControl(o) {
  const select = el('select', { id: o.id, 'aria-describedby': o.describedBy },
    o.schemaNode.enum.map((v) => el('option', { value: String(v), text: String(v) })));
  select.addEventListener('change', () => o.onInput(select.value));
  return base(select, select, (v) => {
    const known = o.schemaNode.enum.includes(v);
    for (const opt of [...select.options]) if (opt.dataset.extra) opt.remove();
    if (!known && v !== undefined) select.append(el('option', { value: String(v), text: String(v) + ' (not allowed)', dataset: { extra: '1' } }));
    select.value = String(v);
  }, () => [select]);
}

function textControl(o) {
  const json = o.schemaNode['x-lockset-format'] === 'json-object';
  const input = json
    ? el('textarea', { id: o.id, class: 'code json-field', rows: 3, spellcheck: 'false', 'aria-describedby': o.describedBy })
    : el('input', { type: 'text', id: o.id, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': o.describedBy });
  input.addEventListener('input', () => { input.dataset.dirty = '1'; o.onInput(input.value); });
  input.addEventListener('blur', () => { input.dataset.dirty = ''; });
  return base(input, input, (v) => setText(input, typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v)), () => [input]);
}

// An editable list of strings (or of share objects when shareList).
function listControl(o) {
  const list = el('ul', { class: 'list-items' });
  const add = el('button', { type: 'button', class: 'btn btn-small', text: 'Add ' + (o.itemNoun || 'entry'), 'aria-describedby': o.describedBy });
  const node = el('div', { class: 'list-editor', id: o.id, role: 'group', 'aria-label': o.label, 'aria-describedby': o.describedBy }, list, add);
  let items = [];
  let disabled = false;
  const emit = () => o.onInput(items.map((x) => (o.shareList ? Object.assign({}, x) : x)));
  const newItem = () => (o.shareList ? { path: '', sharedByDefault: false } : '');
  add.addEventListener('click', () => {
    items.push(newItem());
    emit();
    const inputs = list.querySelectorAll('input[type="text"]');
    if (inputs.length) inputs[inputs.length - 1].focus();
  });
  function row(i) {
    const text = el('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', 'aria-label': o.label + ': ' + (o.itemNoun || 'entry') + ' ' + (i + 1) });
    text.addEventListener('input', () => {
      text.dataset.dirty = '1';
      if (o.shareList) items[i].path = text.value; else items[i] = text.value;
      emit();
    });
    text.addEventListener('blur', () => { text.dataset.dirty = ''; });
    const kids = [text];
    if (o.shareList) {
      const sid = uid('share');
      const cb = el('input', { type: 'checkbox', id: sid });
      cb.addEventListener('change', () => { items[i].sharedByDefault = cb.checked; emit(); });
      kids.push(el('span', { class: 'share-default' }, cb, el('label', { for: sid, text: 'Shared by default' })));
    }
    const rm = el('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': 'Remove ' + (o.itemNoun || 'entry') + ' ' + (i + 1) + ' of ' + o.label, text: 'Remove' });
    rm.addEventListener('click', () => {
      items.splice(i, 1);
      emit();
      add.focus();
    });
    kids.push(rm);
    return el('li', { dataset: { index: String(i) } }, kids);
  }
  function set(v) {
    const next = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
    items = next.map((x) => (o.shareList ? Object.assign({ path: '', sharedByDefault: false }, x) : typeof x === 'string' ? x : JSON.stringify(x)));
    if (list.children.length !== items.length) {
      list.replaceChildren(...items.map((_, i) => row(i)));
      for (const i of list.querySelectorAll('input, button')) i.disabled = disabled;
    }
    items.forEach((x, i) => {
      const li = list.children[i];
      setText(li.querySelector('input[type="text"]'), o.shareList ? String(x.path) : x);
      if (o.shareList) li.querySelector('input[type="checkbox"]').checked = x.sharedByDefault === true;
    });
    node.classList.toggle('list-empty', items.length === 0);
  }
  const c = base(node, add, set, () => [...node.querySelectorAll('input, button')]);
  c.disable = (b) => { disabled = b; for (const i of node.querySelectorAll('input, button')) i.disabled = b; };
  return c;
}

// An array of a closed vocabulary: one checkbox per allowed value, grouped and
// explained (deniedFlags). Entries outside the vocabulary are listed so they
// can be removed.
function pickerControl(o, vocabulary) {
  let chosen = [];
  const boxes = new Map();
  const unknownBox = el('div', { class: 'picker-unknown', hidden: true });
  const groups = groupFlags(vocabulary).map((g) => {
    const items = g.flags.map((flag) => {
      const id = uid('flag');
      const ex = explainFlag(flag);
      const cb = el('input', { type: 'checkbox', id, value: flag, 'aria-describedby': id + '-d' });
      cb.addEventListener('change', () => {
        chosen = cb.checked ? chosen.concat(flag) : chosen.filter((f) => f !== flag);
        o.onInput(chosen.slice());
      });
      boxes.set(flag, cb);
      return el('li', { class: 'flag', dataset: { flag } }, cb,
        el('div', null, el('label', { for: id }, el('code', { text: flag })),
          el('span', { class: 'flag-desc', id: id + '-d' }, ex.rule ? el('span', { class: 'rule-id', text: ex.rule }) : null, ' ', ex.text)));
    });
    const count = el('span', { class: 'picker-count' });
    const ul = el('ul', { class: 'flag-list' }, items);
    const wrap = g.id === 'capabilities'
      ? el('details', { class: 'flag-group', dataset: { group: g.id } }, el('summary', null, el('span', { text: g.label }), ' ', count), ul)
      : el('div', { class: 'flag-group', dataset: { group: g.id } }, el('h5', null, el('span', { text: g.label }), ' ', count), ul);
    return { wrap, count, flags: g.flags };
  });
  const node = el('fieldset', { class: 'picker', id: o.id, 'aria-describedby': o.describedBy },
    el('legend', { class: 'sr-only', text: o.label }), groups.map((g) => g.wrap), unknownBox);
  function set(v) {
    chosen = Array.isArray(v) ? v.slice() : [];
    for (const [flag, cb] of boxes) cb.checked = chosen.includes(flag);
    for (const g of groups) {
      const n = g.flags.filter((f) => chosen.includes(f)).length;
      g.count.textContent = n + ' of ' + g.flags.length + ' denied';
    }
    const unknown = chosen.filter((f) => !boxes.has(f));
    unknownBox.hidden = unknown.length === 0;
    unknownBox.replaceChildren(el('span', { text: 'Not in the vocabulary (the daemon refuses these): ' }),
      ...unknown.map((f) => el('span', { class: 'chip chip-bad' }, String(f), ' ',
        el('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': 'Remove ' + String(f), text: '\u00d7',
          onclick: () => { chosen = chosen.filter((x) => x !== f); o.onInput(chosen.slice()); } }))));
  }
  return base(node, boxes.values().next().value, set, () => [...node.querySelectorAll('input, button')]);
}

// The control for a schema node. o: {root, schemaNode, id, label,
// describedBy, shape, onInput}.
export function makeControl(o) {
  const n = resolve(o.root, o.schemaNode);
  o.schemaNode = n;
  const ts = types(n);
  if (o.shape === 'share-list') return listControl(Object.assign(o, { shareList: true, itemNoun: 'directory' }));
  if (ts.includes('array')) {
    const items = resolve(o.root, n.items);
    if (Array.isArray(items.enum)) return pickerControl(o, items.enum);
    return listControl(o);
  }
  if (Array.isArray(n.enum)) return selectControl(o);
  if (ts.includes('boolean')) return switchControl(o);
  if (ts.includes('integer') || ts.includes('number')) return numberControl(o);
  return textControl(o);
}

// The lock switch beside a setting (or a group).
export function lockSwitch(label, onInput) {
  const id = uid('lock');
  const input = el('input', { type: 'checkbox', role: 'switch', id, class: 'switch lock-switch' });
  const text = el('span', { class: 'lock-text' });
  input.addEventListener('change', () => onInput(input.checked));
  const node = el('span', { class: 'lock-toggle' }, input, el('label', { for: id, class: 'lock-label' }, el('span', { class: 'sr-only', text: label + ': ' }), text));
  return {
    node, input,
    set(locked) {
      input.checked = locked;
      text.textContent = locked ? 'Locked' : 'Unlocked';
      node.classList.toggle('is-locked', locked);
    },
  };
}
