import { createHash } from 'node:crypto'

// The app's only stylesheet and script, kept as text in the program itself: the compiled binary
// carries them with no files beside it, `npm run dev` serves the same bytes, and nothing is
// fetched from another host. Their URLs carry a hash of the content, so browsers may cache them
// for good and still get a new version after an upgrade.

export const APP_CSS = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #d5d9e0; --bg: #f5f6f8; --card: #fff; --accent: #1f5fbf; --danger: #a4262c; --ok: #1e6b37; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
* { box-sizing: border-box; }
body { margin: 0; line-height: 1.45; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { background: #1d2330; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
header.top a { color: #fff; }
header.top nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
header.top nav a { display: inline-block; padding: .5rem .25rem; min-height: 44px; text-decoration: none; }
header.top nav a[aria-current="page"] { border-bottom: 3px solid #f0a500; }
header.top .org, header.top form { display: flex; gap: .5rem; align-items: center; margin: 0; }
header.top .spacer { flex: 1; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
button, .button { font: inherit; min-height: 44px; padding: .4rem .9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: #fff; color: var(--accent); }
header.top button { background: transparent; border-color: #fff; }
input, select { font: inherit; min-height: 44px; padding: .35rem .5rem; border: 1px solid #8a93a5; border-radius: 6px; background: #fff; color: var(--ink); max-width: 100%; }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
.field { margin-bottom: .8rem; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin-bottom: 1rem; background: var(--card); padding: .75rem; border: 1px solid var(--line); border-radius: 8px; }
.filters .field { margin: 0; }
.board { display: grid; gap: 1rem; grid-template-columns: 1fr; }
@media (min-width: 900px) { .board { grid-template-columns: repeat(3, 1fr); } }
.section h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
.count { display: inline-block; min-width: 2ch; padding: 0 .45rem; border-radius: 999px; background: #e3e7ee; font-size: .95rem; }
.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem; }
.card h3 { margin: 0 0 .25rem; font-size: 1.05rem; }
.card .msg { margin: .25rem 0; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: .9rem; margin: .25rem 0; }
.tags { display: flex; flex-wrap: wrap; gap: .25rem; list-style: none; padding: 0; margin: .25rem 0; }
.tag { border-radius: 999px; padding: 0 .5rem; font-size: .85rem; border: 1px solid var(--line); background: #fff; }
.tag .dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; margin-right: .3rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .5rem; }
.actions form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end; margin: 0; }
.actions .field { margin: 0; }
.actions input { width: 11rem; }
.notice { padding: .6rem .8rem; border-radius: 6px; margin-bottom: 1rem; }
.notice.error { background: #fde7e9; color: var(--danger); border: 1px solid #f1b8bd; }
.notice.ok { background: #e6f4ea; color: var(--ok); border: 1px solid #b7dfc3; }
.login { max-width: 24rem; margin: 3rem auto; background: var(--card); padding: 1.5rem; border-radius: 8px; border: 1px solid var(--line); }
.login input { width: 100%; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.table-wrap { overflow-x: auto; }
.more { margin-top: .75rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
svg.chart { display: block; width: 100%; max-width: 640px; height: auto; margin: .5rem 0; }
.legend, .presets { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: .25rem 0 .75rem; padding: 0; }
.presets { gap: .5rem; }
.presets a.button { background: #fff; color: var(--accent); }
.presets a[aria-current] { background: var(--accent); color: #fff; }
.range form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; }
.range .field { margin: 0; }
.sticky th[scope="row"] { position: sticky; left: 0; background: var(--card); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th[aria-sort] a { font-weight: 700; }
.block { display: block; font-weight: 400; }
details { margin: .5rem 0 1.5rem; }
summary { cursor: pointer; min-height: 44px; padding: .6rem 0; }
code.link { display: block; overflow-wrap: anywhere; background: #fff; padding: .5rem; border: 1px solid var(--line); }
main:has(.pipeline) { max-width: none; }
.pipeline { display: flex; gap: 1rem; overflow-x: auto; align-items: stretch; padding-bottom: .5rem; }
.lane { flex: 0 0 15.5rem; background: #e9ecf1; border-radius: 8px; padding: .5rem; }
.lane h2 { font-size: 1.05rem; margin: .25rem 0 .5rem; }
.lane .cards { min-height: 3rem; }
.lane.drop-target { outline: 3px dashed var(--accent); outline-offset: -3px; }
@media (max-width: 600px) { .pipeline { flex-direction: column; align-items: stretch; } .lane { flex-basis: auto; } }
.card-head { display: flex; justify-content: space-between; align-items: flex-start; gap: .5rem; }
.grip { cursor: grab; touch-action: none; user-select: none; -webkit-user-select: none; font-size: 1.3rem; line-height: 44px; min-width: 44px; min-height: 44px; text-align: center; color: var(--muted); border-radius: 6px; }
.grip:hover { background: #eef1f5; }
.card.dragging { box-shadow: 0 8px 24px rgba(0,0,0,.25); position: relative; z-index: 10; pointer-events: none; }
.move { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0 0; }
.move label { margin: 0; font-weight: normal; }
svg.dot { display: inline-block; vertical-align: middle; margin-right: .3rem; }
.due { color: var(--danger); font-weight: 600; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem; margin-bottom: 1rem; }
.panel h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
form.inline { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; }
form.inline .field { margin: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 .5rem; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.columns { display: grid; gap: 1rem; }
@media (min-width: 900px) { .columns { grid-template-columns: 2fr 1fr 1fr; } }
.messages, .notes, .activity { list-style: none; padding: 0; margin: 0; display: grid; gap: .6rem; }
.message { border-left: 3px solid var(--line); padding-left: .5rem; }
.message.outbound { border-color: var(--accent); }
.message p, .notes p { margin: .15rem 0; overflow-wrap: anywhere; white-space: pre-wrap; }
.who { color: var(--muted); }
.badge { background: #efe3fb; color: #5b1f8f; border-radius: 999px; padding: 0 .5rem; font-size: .85rem; }
.tags.editable .tag { display: inline-flex; align-items: center; gap: .2rem; }
.tags.editable form { margin: 0; }
button.link { background: none; border: none; color: var(--danger); min-height: 24px; min-width: 24px; padding: 0 .3rem; }
button.danger, .button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
.button.secondary { background: #fff; color: var(--accent); }
textarea { font: inherit; width: 100%; max-width: 40rem; border: 1px solid #8a93a5; border-radius: 6px; padding: .35rem .5rem; }
h1 a.small { font-size: .9rem; font-weight: normal; }
`

// Progressive enhancement: every form and link works without this script.
// - Forms marked data-enhance are sent with fetch; the page's #live region is swapped in place.
// - "Show more" links marked data-more append the next page of cards to their list.
// - A page with data-live listens to /events (Server-Sent Events) and refreshes #live when a
//   contact of the organization changes (with data-contact: only that contact, the contact page);
//   EventSource reconnects by itself and sends Last-Event-ID. A refresh keeps every form the
//   person has started filling in, or is in, as it is (their input, their focus and the version
//   the form was drawn from, so a stale status form is still refused rather than overwriting),
//   and the notice of their last action. It waits for an edit under way, and one asked for before
//   an edit began is dropped (it may show the state before the edit).
// - "Load more" links marked data-auto load as they scroll into view.
// - Pipeline cards move by dragging their grip (Pointer Events: mouse, touch and pen alike) onto
//   another column; the move is the card's own "Move to" form, sent with fetch. A failed move puts
//   the card back and says why. The page is not refreshed under a card being dragged.
export const APP_JS = `
(function () {
  'use strict';
  var live = document.getElementById('live');
  var status = document.getElementById('status');
  function say(text) { if (status) { status.textContent = ''; setTimeout(function () { status.textContent = text; }, 50); } }
  function parse(html) { return new DOMParser().parseFromString(html, 'text/html'); }
  // A form someone is working in: a field changed from how the page drew it.
  function dirty(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (el.tagName === 'SELECT') return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      if (el.type === 'checkbox' || el.type === 'radio') return el.checked !== el.defaultChecked;
      return el.type !== 'hidden' && 'defaultValue' in el && el.value !== el.defaultValue;
    });
  }
  // The forms of a region by what they do (action and hidden fields but the version: each tag's
  // remove form is its own), to find each one in a fresh copy.
  function forms(root) {
    var seen = {}, out = {};
    root.querySelectorAll('form').forEach(function (f) {
      var key = (f.getAttribute('action') || '') + '?' + Array.prototype.filter.call(f.elements, function (el) {
        return el.type === 'hidden' && el.name !== 'version';
      }).map(function (el) { return el.name + '=' + el.value; }).join('&');
      seen[key] = (seen[key] || 0) + 1;
      out[key + '#' + seen[key]] = f;
    });
    return out;
  }
  // A redraw in the background keeps the notice the person's own last action put up (saved, moved,
  // or why not): the fresh copy is drawn without it and would take it away before it is read.
  function keepNotice(holder) {
    var notice = live.querySelector(':scope > .notice');
    if (!notice || holder.querySelector(':scope > .notice')) return;
    var before = notice.previousElementSibling;
    var anchor = before && before.id ? holder.querySelector('#' + CSS.escape(before.id)) : null;
    if (anchor) anchor.after(notice); else holder.insertBefore(notice, holder.firstChild);
  }
  // Puts the fresh page's #live in place, keeping the forms being filled in (all but \`sent\`, the
  // form whose answer this is; none for a redraw in the \`background\`, which keeps the notice too).
  function swap(doc, sent, background) {
    var fresh = doc.getElementById('live');
    if (!live || !fresh) return;
    var holder = document.createElement('div');
    Array.prototype.forEach.call(fresh.childNodes, function (n) { holder.appendChild(document.importNode(n, true)); });
    if (background) keepNotice(holder);
    var active = document.activeElement;
    var range = active && typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;
    var mine = forms(live), theirs = forms(holder);
    Object.keys(mine).forEach(function (key) {
      var form = mine[key];
      if (form !== sent && theirs[key] && (dirty(form) || form.contains(active))) theirs[key].replaceWith(form);
    });
    live.replaceChildren.apply(live, Array.prototype.slice.call(holder.childNodes));
    if (active && active !== document.activeElement && live.contains(active)) {
      active.focus({ preventScroll: true });
      try { if (range) active.setSelectionRange(range[0], range[1]); } catch (e) {}
    }
  }
  var drag = null;
  var pending = false;
  // Edits (a form sent, a card moved) begun, and those still waiting for their answer. A redraw
  // waits for the edits under way, and one whose request began before an edit is dropped: the
  // server may have drawn it before that edit's write, so it would put back the state before the
  // edit (and the versions it was drawn from) over the edit's own answer. The edit's change event
  // brings a fresh redraw anyway.
  var edits = 0, sending = 0;
  function editing() { edits++; sending++; }
  function edited() { sending--; if (pending && !sending) setTimeout(refresh, 0); }
  function refresh() {
    if (drag || sending) { pending = true; return; }
    pending = false;
    var at = edits;
    fetch(location.href, { headers: { 'X-Requested-With': 'fetch' }, credentials: 'same-origin' })
      .then(function (r) { if (r.redirected || !r.ok) { location.reload(); throw new Error('reload'); } return r.text(); })
      .then(function (html) { if (at === edits) swap(parse(html), null, true); })
      .catch(function () {});
  }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.hasAttribute('data-enhance')) return;
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    var button = form.querySelector('button');
    if (button) button.disabled = true;
    editing();
    fetch(form.action, { method: 'POST', body: body, headers: { 'X-Requested-With': 'fetch' }, credentials: 'same-origin' })
      .then(function (r) { return r.text().then(function (html) { return { ok: r.ok, html: html }; }); })
      .then(function (res) {
        var doc = parse(res.html);
        swap(doc, form);
        var notice = doc.querySelector('.notice');
        say(notice ? notice.textContent : (res.ok ? 'Saved' : 'Something went wrong'));
        var heading = document.querySelector('h1[tabindex]');
        if (heading && !live.contains(document.activeElement)) heading.focus();
        edited();
      })
      .catch(function () { form.submit(); });
  });
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[data-more]');
    if (!link) return;
    event.preventDefault();
    var list = document.getElementById(link.getAttribute('data-more'));
    fetch(link.href, { headers: { 'X-Requested-With': 'fetch' }, credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = parse(html);
        var items = doc.querySelectorAll('#' + list.id + ' > li');
        for (var i = 0; i < items.length; i++) list.appendChild(document.importNode(items[i], true));
        var next = doc.querySelector('a[data-more="' + list.id + '"]');
        if (next) link.href = next.href; else link.remove();
        say(items.length + ' more loaded');
      });
  });
  if (window.IntersectionObserver) {
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { if (entry.isIntersecting && entry.target.isConnected) entry.target.click(); });
    }, { rootMargin: '200px' });
    var watch = function () { document.querySelectorAll('a[data-more][data-auto]').forEach(function (a) { seen.observe(a); }); };
    watch();
    new MutationObserver(watch).observe(document.body, { childList: true, subtree: true });
  }
  function laneAt(x, y) {
    var el = document.elementFromPoint(x, y);
    return el && el.closest ? el.closest('.lane') : null;
  }
  // Near an edge while dragging, scroll the columns (sideways) or the page (up and down).
  function edgeScroll(x, y) {
    var strip = document.querySelector('.pipeline');
    if (strip) {
      var box = strip.getBoundingClientRect();
      if (x > box.right - 40) strip.scrollLeft += 24; else if (x < box.left + 40) strip.scrollLeft -= 24;
    }
    if (y > window.innerHeight - 40) window.scrollBy(0, 24); else if (y < 40) window.scrollBy(0, -24);
  }
  function mark(lane) {
    document.querySelectorAll('.lane.drop-target').forEach(function (l) { if (l !== lane) l.classList.remove('drop-target'); });
    if (lane) lane.classList.add('drop-target');
  }
  function moveCard(d, lane) {
    var stage = lane.getAttribute('data-stage');
    var list = lane.querySelector('ul.cards');
    list.insertBefore(d.card, list.firstChild);
    var form = d.card.querySelector('form.move');
    var body = new URLSearchParams(new FormData(form));
    body.set('stage', stage);
    var putBack = function () { d.from.insertBefore(d.card, d.next && d.next.parentNode === d.from ? d.next : null); };
    say('Moving to ' + stage);
    editing();
    fetch(form.action, { method: 'POST', body: body, headers: { 'X-Requested-With': 'fetch' }, credentials: 'same-origin' })
      .then(function (r) { return r.text().then(function (html) { return { ok: r.ok, html: html }; }); })
      .then(function (res) {
        if (!res.ok) putBack();
        var doc = parse(res.html);
        var notice = doc.querySelector('.notice');
        swap(doc);
        say(notice ? notice.textContent : (res.ok ? 'Moved' : 'The card was not moved'));
      })
      .catch(function () { putBack(); say('The card was not moved: the server could not be reached. Try again.'); })
      .then(edited);
  }
  document.addEventListener('pointerdown', function (event) {
    var grip = event.target.closest && event.target.closest('[data-grip]');
    if (!grip || event.button > 0 || drag) return;
    var card = grip.closest('.card');
    event.preventDefault();
    drag = { card: card, grip: grip, pointer: event.pointerId, x: event.clientX, y: event.clientY, from: card.parentNode, next: card.nextSibling, moved: false };
    try { grip.setPointerCapture(event.pointerId); } catch (e) {}
  });
  document.addEventListener('pointermove', function (event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 6) return;
    drag.moved = true;
    drag.card.classList.add('dragging');
    drag.card.style.transform = 'translate(' + dx + 'px,' + dy + 'px)';
    edgeScroll(event.clientX, event.clientY);
    mark(laneAt(event.clientX, event.clientY));
  });
  function endDrag(event, drop) {
    if (!drag || event.pointerId !== drag.pointer) return;
    var d = drag;
    drag = null;
    d.card.classList.remove('dragging');
    d.card.style.transform = '';
    mark(null);
    var lane = drop && d.moved ? laneAt(event.clientX, event.clientY) : null;
    if (lane && !lane.contains(d.from)) moveCard(d, lane);
    else if (pending) refresh();
  }
  document.addEventListener('pointerup', function (event) { endDrag(event, true); });
  document.addEventListener('pointercancel', function (event) { endDrag(event, false); });
  if (live && live.hasAttribute('data-live') && window.EventSource) {
    var timer;
    var source = new EventSource('/events');
    var soon = function () { clearTimeout(timer); timer = setTimeout(refresh, 250); };
    var only = live.getAttribute('data-contact');
    source.addEventListener('contact', function (event) {
      try { if (only && JSON.parse(event.data).contact_id !== only) return; } catch (e) {}
      soon();
    });
    source.addEventListener('reset', soon);
    source.addEventListener('ready', function () { document.documentElement.setAttribute('data-live-ready', '1'); });
  }
})();
`

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12)

export const CSS_URL = `/assets/app.css?v=${version(APP_CSS)}`
export const JS_URL = `/assets/app.js?v=${version(APP_JS)}`
