// SPDX-License-Identifier: Apache-2.0
// A policy document editor with two tabs: the structured settings (editor.js)
// and the raw JSON for advanced edits. Both edit one document and are kept in
// sync both ways: a settings edit rewrites the JSON, JSON that parses to an
// object becomes the document the settings show.
import { el, uid, tabList } from './dom.js';
import { createEditor } from './editor.js';
import { detailsList } from './api.js';

// opts: {schema, layer, sourceOf, label}
export function createPanel(opts) {
  const editor = createEditor(opts);
  const jsonId = uid('json');
  const text = el('textarea', { id: jsonId, class: 'code', spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', rows: 22 });
  const syntax = el('div', { class: 'alert alert-error json-syntax', role: 'alert', hidden: true });
  const daemonBox = el('div', { class: 'alert alert-error json-problems', hidden: true });
  const formatBtn = el('button', { type: 'button', class: 'btn btn-small', text: 'Format JSON' });
  const staleNote = el('p', { class: 'alert alert-warn stale-note', hidden: true,
    text: 'The JSON tab holds a syntax error; these settings show the last document that parsed.' });
  const settingsPanel = el('div', { id: uid('tab-settings'), class: 'tab-panel' }, staleNote, editor.node);
  const jsonPanel = el('div', { id: uid('tab-json'), class: 'tab-panel' },
    el('label', { for: jsonId, text: opts.label + ' (JSON)' }), text,
    el('div', { class: 'form-actions' }, formatBtn), syntax, daemonBox);
  const tabs = tabList(opts.label + ' views', [
    { id: 'settings', label: 'Settings', panel: settingsPanel },
    { id: 'json', label: 'JSON (advanced)', panel: jsonPanel },
  ]);
  const node = el('div', { class: 'policy-panel' }, tabs.node, settingsPanel, jsonPanel);
  let jsonBad = false;
  let changeCb = null;

  const writeJson = (doc) => { text.value = JSON.stringify(doc, null, 2) + '\n'; };
  editor.onChange((doc) => {
    jsonBad = false;
    syntax.hidden = true;
    staleNote.hidden = true;
    daemonBox.hidden = true;
    writeJson(doc);
    if (changeCb) changeCb();
  });
  text.addEventListener('input', () => {
    let doc;
    try {
      doc = JSON.parse(text.value);
    } catch (e) {
      jsonBad = true;
      syntax.hidden = false;
      syntax.textContent = 'Not valid JSON: ' + e.message;
      staleNote.hidden = false;
      if (changeCb) changeCb();
      return;
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      jsonBad = true;
      syntax.hidden = false;
      syntax.textContent = 'The policy must be a JSON object.';
      staleNote.hidden = false;
    } else {
      jsonBad = false;
      syntax.hidden = true;
      staleNote.hidden = true;
      editor.setDocument(doc);
    }
    daemonBox.hidden = true;
    if (changeCb) changeCb();
  });
  formatBtn.addEventListener('click', () => { if (!jsonBad) writeJson(editor.getDocument()); });

  return {
    node,
    editor,
    tabs,
    setDocument(doc) {
      const copy = structuredClone(doc);
      editor.setDocument(copy);
      writeJson(copy);
      jsonBad = false;
      syntax.hidden = true;
      staleNote.hidden = true;
      daemonBox.hidden = true;
    },
    // The document being edited, or null while the JSON does not parse.
    getDocument: () => (jsonBad ? null : editor.getDocument()),
    jsonBad: () => jsonBad,
    onChange(cb) { changeCb = cb; },
    problems: () => (jsonBad ? [{ path: '', message: 'the JSON does not parse' }] : editor.problems()),
    showDaemonProblems(details) {
      editor.showDaemonProblems(details);
      daemonBox.hidden = !details || details.length === 0;
      daemonBox.replaceChildren(el('strong', { text: 'The daemon refused this document.' }), detailsList(details) || '');
    },
    setReadOnly(b) {
      editor.setReadOnly(b);
      text.readOnly = b;
      formatBtn.disabled = b;
    },
  };
}
