import { createHash } from 'node:crypto'

// Settings' own stylesheet and script, beside the app's (../assets.ts), for the same reasons:
// carried by the binary, nothing from another host, cached for good under a content-hashed URL.

export const SETTINGS_CSS = `
/* Visually hidden labels are absolutely positioned: keep them inside a table's scroll box on a phone. */
.table-wrap { position: relative; }
.settings-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem .75rem; padding: 0; margin: 0 0 .5rem; }
.settings-nav a { display: inline-block; padding: .45rem .2rem; min-height: 44px; }
.settings-nav a[aria-current="page"] { font-weight: 700; border-bottom: 3px solid var(--accent); }
.settings-list { list-style: none; margin: 0 0 1rem; padding: 0; display: grid; gap: .75rem; }
.settings-list > li { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem; }
.settings-list > li.dragging { opacity: .5; }
.settings-list > li.drop-target { border-color: var(--accent); box-shadow: 0 0 0 2px var(--accent); }
.settings-list h3 { margin: 0 0 .4rem; font-size: 1.05rem; display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.swatch { display: inline-block; width: 1rem; height: 1rem; border-radius: 4px; border: 1px solid #0003; }
button:disabled { opacity: .5; cursor: default; }
.actions button.danger, button.danger { background: var(--danger); border-color: var(--danger); }
.actions .grow input { width: 14rem; }
.secret { font-family: ui-monospace, monospace; overflow-wrap: anywhere; background: #fff; padding: .5rem; border: 1px solid var(--line); display: block; white-space: pre-wrap; }
.button.secondary { background: #fff; color: var(--accent); }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 .8rem; padding: .5rem .75rem; }
fieldset label { display: inline-flex; gap: .35rem; align-items: center; font-weight: 400; margin-right: 1rem; min-height: 32px; }
.settings-form { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem; margin-bottom: 1rem; }
.settings-form input[type="text"], .settings-form input[type="url"], .settings-form input[type="email"] { width: 100%; max-width: 32rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
`

// Progressive enhancement of Settings; every action also works without it.
// - [data-copy="ID"] buttons (hidden until this runs) copy the text of element ID.
// - A list marked data-reorder can be reordered by dragging its items: the drop posts the item's
//   "move" form with the new position (the same form the Move up/down buttons send).
export const SETTINGS_JS = `
(function () {
  'use strict';
  var status = document.getElementById('status');
  function say(text) { if (status) { status.textContent = ''; setTimeout(function () { status.textContent = text; }, 50); } }
  var buttons = document.querySelectorAll('[data-copy]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener('click', function (event) {
      var source = document.getElementById(event.currentTarget.getAttribute('data-copy'));
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () { say('Copied'); }, function () { say('Copy failed; select the text instead'); });
    });
  }
  var list = document.querySelector('[data-reorder]');
  if (!list) return;
  var dragged = null;
  list.addEventListener('dragstart', function (event) {
    dragged = event.target.closest('li[draggable]');
    if (!dragged) return;
    dragged.classList.add('dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', dragged.getAttribute('data-name'));
  });
  list.addEventListener('dragend', function () { if (dragged) dragged.classList.remove('dragging'); dragged = null; });
  list.addEventListener('dragover', function (event) {
    var over = event.target.closest && event.target.closest('li[draggable]');
    if (!dragged || !over) return;
    event.preventDefault();
    var marked = list.querySelector('.drop-target');
    if (marked && marked !== over) marked.classList.remove('drop-target');
    if (over !== dragged) over.classList.add('drop-target');
  });
  list.addEventListener('drop', function (event) {
    var over = event.target.closest && event.target.closest('li[draggable]');
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    var form = dragged.querySelector('form[data-move]');
    var body = new URLSearchParams(new FormData(form));
    body.set('position', over.getAttribute('data-position'));
    fetch(form.action, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (r) { return r.text().then(function (html) { return { ok: r.ok, html: html }; }); })
      .then(function (res) {
        var doc = new DOMParser().parseFromString(res.html, 'text/html');
        var fresh = doc.querySelector('[data-reorder]');
        var notice = doc.querySelector('.notice');
        if (fresh) list.replaceChildren.apply(list, Array.prototype.slice.call(fresh.childNodes));
        var old = document.querySelector('main > .notice');
        if (old) old.remove();
        if (notice) document.querySelector('main h1').after(document.importNode(notice, true));
        say(notice ? notice.textContent : (res.ok ? 'Moved' : 'The move failed'));
      })
      .catch(function () { form.submit(); });
  });
})();
`

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12)

export const SETTINGS_CSS_URL = `/assets/settings.css?v=${version(SETTINGS_CSS)}`
export const SETTINGS_JS_URL = `/assets/settings.js?v=${version(SETTINGS_JS)}`
