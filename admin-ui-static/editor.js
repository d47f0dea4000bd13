// SPDX-License-Identifier: Apache-2.0
// The structured policy editor, generated from the schema: every top-level key
// becomes a setting (scalar {locked, value}), a group with one lock for all its
// fields, a namespace of settings, or the file share list, placed in Docker
// Desktop's categories (a key the categories do not name lands in General).
// Each setting shows its control, its lock and its source layer; problems
// (typed ones at once, the daemon's 422 ones after a check) appear at the field
// their JSON pointer names.
import { el, clear, humanize, uid, tabList } from './dom.js';
import { resolve, pointer, validate, defaultOf } from './schema.js';
import { makeControl, lockSwitch } from './controls.js';

export const CATEGORIES = [
  { id: 'general', label: 'General' },
  { id: 'eci', label: 'Enhanced Container Isolation and socket mount', keys: ['enhancedContainerIsolation'] },
  { id: 'files', label: 'File sharing', keys: ['filesharingAllowedDirectories', 'useVirtualizationFrameworkVirtioFS', 'useGrpcfuse'] },
  { id: 'proxy', label: 'Proxy', keys: ['proxy', 'containersProxy'] },
  { id: 'kubernetes', label: 'Kubernetes', keys: ['kubernetes'] },
  { id: 'scout', label: 'Scout', keys: ['scout'] },
  { id: 'ai', label: 'AI and beta features', keys: ['allowBetaFeatures', 'allowExperimentalFeatures', 'enableDockerAI', 'enableDockerMCPToolkit', 'enableCloud'], prefixes: ['enableInference'] },
  { id: 'containerPolicy', label: 'Container policy (lockset)', keys: ['containerPolicy'] },
];

export function categoryOf(key) {
  for (const c of CATEGORIES) {
    if ((c.keys || []).includes(key) || (c.prefixes || []).some((p) => key.startsWith(p))) return c.id;
  }
  return 'general';
}

const LAYER_NAMES = { org: 'org policy', 'user-policy': 'user policy', default: 'default', user: 'user preference' };
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// opts: {schema, layer: 'org' | 'user-policy', sourceOf(pointer) -> layer of
// an unset key, readOnly}. onChange(doc) runs after every edit.
export function createEditor(opts) {
  const root = opts.schema;
  const node = el('div', { class: 'editor' });
  const rows = new Map(); // pointer -> {row, refresh(), error, control}
  const refreshers = [];
  let doc = { configurationFileVersion: 2 };
  let daemonProblems = [];
  let readOnly = !!opts.readOnly;
  let changeCb = null;
  const general = el('div', { class: 'alert alert-error editor-problems', role: 'alert', hidden: true });

  // ---- the document -------------------------------------------------------
  const get = (parts) => parts.reduce((o, k) => (o !== undefined && o !== null ? o[k] : undefined), doc);
  function set(parts, value) {
    let o = doc;
    for (const k of parts.slice(0, -1)) {
      if (!isObj(o[k])) o[k] = {};
      o = o[k];
    }
    o[parts[parts.length - 1]] = value;
    changed();
  }
  function remove(parts) {
    const parent = get(parts.slice(0, -1));
    if (isObj(parent)) delete parent[parts[parts.length - 1]];
    changed();
  }
  function changed() {
    daemonProblems = [];
    refresh();
    if (changeCb) changeCb(doc);
  }

  // ---- pieces of a setting --------------------------------------------------
  function sourceBadge() {
    const b = el('span', { class: 'badge source' });
    return {
      node: b,
      set(layer) {
        b.className = 'badge source badge-' + layer;
        b.textContent = LAYER_NAMES[layer] || layer;
        b.title = 'Source layer: ' + (LAYER_NAMES[layer] || layer);
      },
    };
  }
  const srcOf = (ptr, isSet) => (isSet ? opts.layer : opts.sourceOf ? opts.sourceOf(ptr) : 'default');

  function removeButton(label, parts) {
    return el('button', {
      type: 'button', class: 'btn btn-small btn-ghost unset', text: 'Not managed',
      title: 'Remove from this policy: the lower layer (or the default) decides',
      'aria-label': 'Not managed: ' + label, onclick: () => remove(parts),
    });
  }

  function errorSlot(ptr, row, control) {
    const e = el('div', { class: 'field-error', id: uid('err'), hidden: true });
    rows.set(ptr, { row, error: e, control });
    return e;
  }

  // A field inside a group (or a scalar's value): label, control, source.
  function fieldRow(parts, sch, label, opt) {
    const ptr = pointer(parts);
    const id = uid('f');
    const descId = id + '-d';
    const n = resolve(root, sch);
    const control = makeControl({
      root, schemaNode: sch, id, label, describedBy: descId, shape: opt.shape,
      onInput: (v) => opt.write(v),
    });
    const src = sourceBadge();
    const head = el('div', { class: 'setting-head' },
      control.node.tagName === 'FIELDSET' || control.node.classList.contains('list-editor')
        ? el('span', { class: 'setting-name', id: id + '-l' }, label)
        : el('label', { for: id, class: 'setting-name' }, label),
      el('code', { class: 'setting-key', text: opt.keyText || parts.join('.') }),
      src.node);
    const desc = el('p', { class: 'setting-desc', id: descId, text: n.description || opt.desc || '' });
    const extra = el('div', { class: 'setting-extra' });
    const row = el('div', { class: 'setting', dataset: { pointer: ptr } }, head, desc, el('div', { class: 'setting-control' }, control.node, extra));
    const err = errorSlot(ptr, row, control);
    row.append(err);
    const target = control.node.classList.contains('switch-wrap') ? control.focusEl : control.node;
    target.setAttribute('aria-describedby', descId + ' ' + err.id);
    return { row, control, src, extra, ptr };
  }

  // ---- shapes ----------------------------------------------------------------
  function scalarRow(parts, sch) {
    const key = parts.join('.');
    const n = resolve(root, sch);
    const valueSch = (n.properties || {}).value || {};
    const label = humanize(parts[parts.length - 1]);
    const f = fieldRow(parts, valueSch, label, {
      desc: n.description, keyText: key,
      write: (v) => {
        const cur = get(parts);
        set(parts, Object.assign(isObj(cur) ? cur : { locked: false }, { value: v }));
      },
    });
    f.row.querySelector('.setting-desc').textContent = n.description || '';
    const lock = lockSwitch('Lock ' + label, (locked) => {
      const cur = get(parts);
      const next = isObj(cur) ? cur : { locked, value: defaultOf(root, valueSch) };
      next.locked = locked;
      set(parts, next);
    });
    const rm = removeButton(label, parts);
    f.extra.append(lock.node, rm);
    f.row.classList.add('setting-scalar');
    refreshers.push(() => {
      const cur = get(parts);
      const isSet = cur !== undefined;
      const value = isObj(cur) && 'value' in cur ? cur.value : defaultOf(root, valueSch);
      f.control.set(value);
      lock.set(isObj(cur) && cur.locked === true);
      f.src.set(srcOf(f.ptr, isSet));
      rm.hidden = !isSet || readOnly;
      f.row.dataset.state = isSet ? 'set' : 'unset';
      f.row.dataset.locked = String(isObj(cur) && cur.locked === true);
      f.control.disable(readOnly);
      lock.input.disabled = readOnly;
    });
    return f.row;
  }

  // Fields of a group (recursively for nested objects), locked by the group.
  function groupFields(groupParts, parts, sch, container) {
    const n = resolve(root, sch);
    for (const [k, sub] of Object.entries(n.properties || {})) {
      if (parts.length === groupParts.length && (k === 'locked' || k === 'value')) continue;
      const p = parts.concat(k);
      const s = resolve(root, sub);
      if (s.type === 'object' && s.properties) {
        const fs = el('fieldset', { class: 'subgroup', dataset: { pointer: pointer(p) } },
          el('legend', null, humanize(k), ' ', el('code', { class: 'setting-key', text: p.join('.') })),
          s.description ? el('p', { class: 'setting-desc', text: s.description }) : null);
        groupFields(groupParts, p, sub, fs);
        container.append(fs);
        continue;
      }
      container.append(groupField(groupParts, p, sub, humanize(k)));
    }
  }

  function groupField(groupParts, p, sub, label) {
    const f = fieldRow(p, sub, label, { write: (v) => set(p, v) });
    const ind = el('span', { class: 'lock lock-inherited group-lock-note' });
    const rm = removeButton(label, p);
    f.extra.append(ind, rm);
    refreshers.push(() => {
      const cur = get(p);
      const isSet = cur !== undefined;
      const gl = get(groupParts.concat('locked')) === true;
      f.control.set(isSet ? cur : defaultOf(root, sub));
      f.src.set(srcOf(f.ptr, isSet));
      ind.textContent = gl ? 'Locked with its group' : 'Unlocked with its group';
      ind.className = 'lock group-lock-note ' + (gl ? 'lock-inherited is-locked' : 'lock-off');
      rm.hidden = !isSet || readOnly;
      f.row.dataset.state = isSet ? 'set' : 'unset';
      f.row.dataset.locked = String(gl);
      f.control.disable(readOnly);
    });
    return f.row;
  }

  function groupBox(key, sch, withValue) {
    const n = resolve(root, sch);
    const parts = [key];
    const ptr = pointer(parts);
    const label = humanize(key);
    const src = sourceBadge();
    const lock = lockSwitch('Lock the whole ' + label + ' group', (locked) => {
      const cur = get(parts);
      set(parts, Object.assign(isObj(cur) ? cur : {}, { locked }));
    });
    const rm = removeButton(label, parts);
    const legend = el('legend', { class: 'group-legend' }, label, ' ', el('code', { class: 'setting-key', text: key }));
    const box = el('fieldset', { class: 'group', dataset: { pointer: ptr } }, legend,
      el('div', { class: 'group-head' }, lock.node, src.node, rm),
      el('p', { class: 'setting-desc', text: n.description || '' }));
    const err = errorSlot(ptr, box, null);
    box.append(err);
    if (withValue) {
      const vs = n.properties.value;
      box.append(groupField(parts, parts.concat('value'), vs, resolve(root, vs).description ? humanize(key) + ' on' : 'Value'));
    }
    groupFields(parts, parts, sch, box);
    refreshers.push(() => {
      const cur = get(parts);
      const locked = isObj(cur) && cur.locked === true;
      lock.set(locked);
      lock.input.disabled = readOnly;
      src.set(srcOf(ptr, cur !== undefined));
      rm.hidden = cur === undefined || readOnly;
      box.dataset.state = cur === undefined ? 'unset' : 'set';
      box.dataset.locked = String(locked);
    });
    return box;
  }

  function namespaceBox(key, sch) {
    const n = resolve(root, sch);
    const box = el('fieldset', { class: 'group namespace', dataset: { pointer: pointer([key]) } },
      el('legend', { class: 'group-legend' }, humanize(key), ' ', el('code', { class: 'setting-key', text: key })),
      el('p', { class: 'setting-desc', text: n.description || '' }));
    for (const [k, sub] of Object.entries(n.properties || {})) box.append(scalarRow([key, k], sub));
    return box;
  }

  function shareListBox(key, sch) {
    const label = humanize(key);
    const f = fieldRow([key], sch, label, { write: (v) => set([key], v) });
    const id = uid('restrict');
    const on = el('input', { type: 'checkbox', role: 'switch', id, class: 'switch' });
    on.addEventListener('change', () => (on.checked ? set([key], []) : remove([key])));
    f.row.querySelector('.setting-head').after(el('div', { class: 'restrict' }, on, el('label', { for: id, text: 'Restrict file sharing to these directories' })));
    refreshers.push(() => {
      const cur = get([key]);
      on.checked = Array.isArray(cur);
      on.disabled = readOnly;
      f.control.node.hidden = !Array.isArray(cur);
      f.control.set(cur);
      f.src.set(srcOf(f.ptr, cur !== undefined));
      f.row.dataset.state = cur === undefined ? 'unset' : 'set';
      f.control.disable(readOnly);
    });
    return f.row;
  }

  function settingFor(key, sch) {
    const shape = resolve(root, sch)['x-lockset-shape'];
    if (shape === 'group') return groupBox(key, sch, false);
    if (shape === 'group-value') return groupBox(key, sch, true);
    if (shape === 'namespace') return namespaceBox(key, sch);
    if (shape === 'share-list') return shareListBox(key, sch);
    return scalarRow([key], sch);
  }

  // ---- layout ------------------------------------------------------------------
  const unknownBox = el('div', { class: 'unknown-keys', hidden: true });
  // Categories are vertical tabs: one category's settings at a time, each tab
  // naming how many problems its settings hold.
  let cats = null;
  function build() {
    const sections = new Map(CATEGORIES.map((c) => [c.id, []]));
    for (const [key, sch] of Object.entries(root.properties || {})) {
      if (resolve(root, sch)['x-lockset-shape'] === 'version') continue;
      sections.get(categoryOf(key)).push(settingFor(key, sch));
    }
    const tabs = [];
    for (const c of CATEGORIES) {
      const items = sections.get(c.id);
      if (items.length === 0) continue;
      const panel = el('section', { id: uid('cat'), class: 'cat', dataset: { category: c.id } }, el('h3', { class: 'cat-title', text: c.label }), items);
      tabs.push({ id: c.id, label: c.label, panel });
    }
    cats = tabList('Setting categories', tabs, null, true);
    cats.buttons.forEach((b) => b.append(el('span', { class: 'cat-count', 'aria-hidden': 'true' })));
    node.append(general, el('div', { class: 'cat-layout' }, cats.node, el('div', { class: 'cat-panels' }, tabs.map((t) => t.panel))), unknownBox);
  }

  function countByCategory() {
    for (const b of cats.buttons) {
      const panel = document.getElementById(b.getAttribute('aria-controls'));
      const n = panel.querySelectorAll('.has-error').length;
      b.classList.toggle('cat-has-error', n > 0);
      b.querySelector('.cat-count').textContent = n ? String(n) : '';
      b.setAttribute('aria-label', b.firstChild.textContent + (n ? ' (' + n + ' problem' + (n === 1 ? '' : 's') + ')' : ''));
    }
  }

  function refreshUnknown() {
    const known = root.properties || {};
    const extra = Object.keys(doc).filter((k) => !(k in known));
    unknownBox.hidden = extra.length === 0;
    if (extra.length) {
      unknownBox.replaceChildren(el('h3', { text: 'Keys this version does not know' }),
        el('p', { class: 'muted small', text: 'Kept as they are (newer Docker Desktop settings). Edit them in the JSON tab.' }),
        el('pre', { class: 'code', tabindex: '0', text: JSON.stringify(Object.fromEntries(extra.map((k) => [k, doc[k]])), null, 2) }));
    }
  }

  // ---- problems -----------------------------------------------------------------
  function place(problems) {
    for (const r of rows.values()) {
      r.row.classList.remove('has-error');
      r.error.hidden = true;
      clear(r.error);
      if (r.control) r.control.invalid(false);
    }
    const unplaced = [];
    // The daemon's word wins over the same problem found here.
    const said = new Set(problems.filter((p) => p.origin === 'daemon').map((p) => p.path + '\n' + p.message));
    for (const p of problems) {
      if (p.origin !== 'daemon' && said.has(p.path + '\n' + p.message)) continue;
      let ptr = p.path || '';
      while (ptr && !rows.has(ptr)) ptr = ptr.slice(0, ptr.lastIndexOf('/'));
      const r = rows.get(ptr);
      if (!r) { unplaced.push(p); continue; }
      r.row.classList.add('has-error');
      r.error.hidden = false;
      r.error.append(el('p', { dataset: { origin: p.origin, path: p.path } },
        el('span', { class: 'origin', text: p.origin === 'daemon' ? 'The daemon refused this: ' : '' }), p.message));
      if (r.control) r.control.invalid(true);
    }
    countByCategory();
    general.hidden = unplaced.length === 0;
    general.replaceChildren(...unplaced.map((p) => el('p', null, el('code', { text: p.path || '/' }), ' ', p.message)));
  }

  function clientProblems() {
    return validate(root, doc).map((p) => Object.assign(p, { origin: 'client' }));
  }

  function refresh() {
    for (const f of refreshers) f();
    refreshUnknown();
    place(clientProblems().concat(daemonProblems));
  }

  build();
  return {
    node,
    setDocument(d) {
      doc = isObj(d) ? d : { configurationFileVersion: 2 };
      daemonProblems = [];
      refresh();
    },
    getDocument: () => doc,
    onChange(cb) { changeCb = cb; },
    problems: clientProblems,
    showDaemonProblems(list) {
      daemonProblems = (list || []).map((p) => ({ path: p.path, message: p.message, origin: 'daemon' }));
      refresh();
    },
    setReadOnly(b) { readOnly = b; refresh(); },
    // Show the category holding the field at pointer (or the first problem).
    reveal(ptr) {
      const r = ptr ? node.querySelector('[data-pointer="' + CSS.escape(ptr) + '"]') : node.querySelector('.has-error');
      const cat = r && r.closest('.cat');
      if (cat) cats.select(cat.dataset.category);
      return r;
    },
    focusFirstProblem() {
      const r = this.reveal(null);
      if (!r) return;
      r.scrollIntoView({ block: 'center' });
      const f = r.querySelector('input, select, textarea, button');
      if (f) f.focus({ preventScroll: true });
    },
  };
}
