/* duizhao reader: layout modes, sentence pairs, glossary, review, 简/繁, pinyin,
   dictionary, keys and edit mode. Text is only ever set with textContent / text nodes. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("reader-data").textContent);
  var body = document.body;
  var MODES = ["side", "inter", "zh", "en"];
  var MODE_NAMES = { side: "side by side", inter: "interleaved", zh: "Chinese only", en: "English only" };
  var ORIG = DATA.script === "traditional" ? "hant" : "hans";
  var state = { mode: "side", script: ORIG, pinyin: false };
  try {
    var saved = JSON.parse(localStorage.getItem(DATA.storageKey) || "{}");
    if (MODES.indexOf(saved.mode) >= 0) state.mode = saved.mode;
    if (saved.script === "hans" || saved.script === "hant") state.script = saved.script;
    state.pinyin = saved.pinyin === true;
  } catch (e) { /* storage unavailable: defaults */ }

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var tip = $("#tip"), dict = $("#dict"), keys = $("#keys"), status = $("#status");
  var rows = $$(".row");
  var zhSentences = $$(".cell.zh .s");

  function save() {
    try { localStorage.setItem(DATA.storageKey, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function pair(id) { return $$('.s[data-s="' + CSS.escape(id) + '"]'); }

  /* ---- Chinese sentences: words, script and pinyin from DATA.tokens ----
     The page arrives as plain text in the original script. A sentence is cut into
     word elements only when needed: when it is pointed at (for the dictionary) or
     when pinyin or the other script is switched on, which redraws every sentence. */
  var pristine = new Map(), drawnAs = new Map();
  var PLAIN = ORIG + "|false";
  function look() { return state.script + "|" + state.pinyin; }

  function wordNode(tok) {
    if (tok.length < 3) return document.createTextNode(tok[0]);
    var shown = state.script === ORIG ? tok[0] : (tok[1] || tok[0]);
    var node = el(state.pinyin ? "ruby" : "span", "w");
    node.dataset.w = shown;
    node.dataset.py = tok[2];
    if (!state.pinyin) { node.textContent = shown; return node; }
    var chars = Array.from(shown), syllables = tok[2].split(" ");
    if (chars.length !== syllables.length) { chars = [shown]; syllables = [tok[2]]; }
    chars.forEach(function (ch, i) { node.append(ch); node.append(el("rt", null, syllables[i])); });
    return node;
  }

  function draw(s) {
    var toks = DATA.tokens[s.dataset.s];
    drawnAs.set(s, look());
    if (!toks) return;
    var base = pristine.get(s);
    if (!base) { base = s.cloneNode(true); pristine.set(s, base); }
    var copy = base.cloneNode(true);
    var walker = document.createTreeWalker(copy, NodeFilter.SHOW_TEXT), nodes = [], i = 0;
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (var n = 0; n < nodes.length; n++) {
      var node = nodes[n], frag = document.createDocumentFragment(), text = "";
      while (text.length < node.data.length && i < toks.length) { text += toks[i][0]; frag.append(wordNode(toks[i])); i++; }
      if (text !== node.data) return; // page and word data disagree: keep the plain text
      node.replaceWith(frag);
    }
    s.replaceChildren.apply(s, Array.prototype.slice.call(copy.childNodes));
  }
  function ensureWords(s) { if (drawnAs.get(s) !== look()) draw(s); }

  /* ---- applying the state ---- */
  function apply() {
    MODES.forEach(function (m) { body.classList.toggle("mode-" + m, state.mode === m); });
    $$("[data-mode]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.mode === state.mode)); });
    $$("[data-script]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.script === state.script)); });
    $("#btn-pinyin").setAttribute("aria-pressed", String(state.pinyin));
    body.classList.toggle("pinyin", state.pinyin);
    var lang = state.script === "hant" ? "zh-Hant" : "zh-Hans";
    $$(".cell.zh:not(.verbatim)").forEach(function (c) { if (c.lang !== lang) c.lang = lang; });
    var now = look();
    var stale = zhSentences.filter(function (s) {
      var drawn = drawnAs.get(s);
      return drawn ? drawn !== now : now !== PLAIN;
    });
    if (stale.length) hideDict();
    stale.forEach(draw);
  }

  /* ---- sentence pairs: hover/focus highlights, click pins ---- */
  var hovered = null, pinned = null;
  function highlight(id) {
    if (hovered === id) return;
    $$(".s.hl").forEach(function (e) { e.classList.remove("hl"); });
    hovered = id;
    if (id) pair(id).forEach(function (e) { e.classList.add("hl"); });
  }
  function pin(id) {
    $$(".s.pin").forEach(function (e) { e.classList.remove("pin"); });
    pinned = id;
    if (id) pair(id).forEach(function (e) { e.classList.add("pin"); });
  }

  /* ---- pop-ups ---- */
  function place(box, anchor) {
    var r = anchor.getBoundingClientRect();
    box.hidden = false;
    var width = box.offsetWidth, height = box.offsetHeight;
    var left = Math.max(8, Math.min(r.left, document.documentElement.clientWidth - width - 8));
    var top = r.bottom + 6;
    if (top + height > window.innerHeight && r.top - height - 6 > 0) top = r.top - height - 6;
    box.style.left = (left + window.scrollX) + "px";
    box.style.top = (top + window.scrollY) + "px";
  }
  function showTip(mark) {
    var detail = document.getElementById("gd-" + mark.dataset.term);
    if (!detail) return;
    var copy = detail.cloneNode(true);
    copy.removeAttribute("id");
    tip.replaceChildren(copy);
    place(tip, mark);
  }
  function hideTip() { tip.hidden = true; }

  var openWord = null, DICT = null;
  function lookup(word) {
    if (!DICT) DICT = JSON.parse(document.getElementById("reader-dict").textContent);
    return (DICT.k[word] || []).map(function (i) { return DICT.e[i]; });
  }
  function entryNode(entry, shownScript) {
    var box = el("div", "dict-entry");
    var head = el("p");
    head.append(el("span", "py", entry[2]));
    var other = shownScript === "hant" ? entry[1] : entry[0];
    var headword = shownScript === "hant" ? entry[0] : entry[1];
    if (other !== headword) { head.append(" "); head.append(el("span", null, "(" + other + ")")); }
    box.append(head);
    var list = el("ol");
    entry[3].forEach(function (sense) { list.append(el("li", null, sense)); });
    box.append(list);
    return box;
  }
  function showDict(w) {
    var word = w.dataset.w, lang = state.script === "hant" ? "zh-Hant" : "zh-Hans";
    var out = $(".dict-body", dict);
    out.replaceChildren();
    var title = el("p", "dict-word", word);
    title.lang = lang;
    out.append(title);
    out.append(el("p", "dict-py", w.dataset.py));
    var entries = lookup(word);
    if (entries.length) {
      entries.forEach(function (e) { out.append(entryNode(e, state.script)); });
    } else {
      out.append(el("p", "hint", "Not in CC-CEDICT as one word; its characters:"));
      Array.from(word).forEach(function (ch) {
        var found = lookup(ch);
        if (!found.length) return;
        var head = el("p", "dict-char", ch);
        head.lang = lang;
        out.append(head);
        out.append(entryNode(found[0], state.script));
      });
    }
    if (openWord) openWord.classList.remove("open");
    openWord = w;
    w.classList.add("open");
    place(dict, w);
  }
  function hideDict() {
    dict.hidden = true;
    if (openWord) openWord.classList.remove("open");
    openWord = null;
  }

  /* ---- panels ---- */
  function panel(name, open) {
    $$(".panel").forEach(function (p) {
      var mine = p.id === "panel-" + name;
      p.hidden = !(mine && open);
    });
    $$("[data-panel]").forEach(function (b) { b.setAttribute("aria-expanded", String(b.dataset.panel === name && open)); });
    document.documentElement.classList.toggle("panel-open", !!(name && open));
  }
  function measureBar() { document.documentElement.style.setProperty("--bar-h", $(".bar").offsetHeight + "px"); }
  window.addEventListener("resize", measureBar);
  function openPanel() { var p = $(".panel:not([hidden])"); return p ? p.id.slice(6) : null; }

  var stepAt = {};
  function stepTerm(button) {
    var id = button.dataset.term;
    var marks = $$('.cell.zh mark.term[data-term="' + CSS.escape(id) + '"]');
    if (!marks.length) return;
    var i = stepAt[id] = ((stepAt[id] === undefined ? -1 : stepAt[id]) + 1) % marks.length;
    var mark = marks[i];
    $$("mark.occ").forEach(function (m) { m.classList.remove("occ"); });
    var both = $$('mark[data-o="' + CSS.escape(mark.dataset.o) + '"]');
    both.forEach(function (m) { m.classList.add("occ"); });
    var visible = both.filter(function (m) { return m.offsetParent !== null; })[0] || mark;
    visible.scrollIntoView({ block: "center" });
    pin(mark.closest(".s").dataset.s);
    $$(".glist li.active").forEach(function (li) { li.classList.remove("active"); });
    button.parentNode.classList.add("active"); // shows the term's note under it
    var pos = button.parentNode.querySelector(".pos");
    if (pos) pos.textContent = (i + 1) + " / " + marks.length;
  }

  function copyLink(button) {
    var url = location.href.split("#")[0] + "#" + button.dataset.id;
    var done = function () {
      button.textContent = "copied";
      status.textContent = "Link copied";
      setTimeout(function () { button.textContent = "copy link"; }, 1500);
    };
    var fallback = function () {
      var area = el("textarea");
      area.value = url;
      body.append(area);
      area.select();
      try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
      area.remove();
      done();
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(done, fallback);
    else fallback();
    history.replaceState(null, "", "#" + button.dataset.id);
  }

  /* ---- edit mode: the English editable in place, saved as <stem>.edits.tsv ----
     DATA.edit.sentences[id] is [source text, machine output] and, for a sentence a
     run already post-edited, its English (and, when that edit is stale, the older
     machine output it was made against: saved unchanged unless the user edits again). Edits made on the page are kept in
     localStorage by source text (the key pipeline/edits.py matches on) until they are
     discarded, or until a run applies them and the page shows them itself. */
  var EDIT = DATA.edit, EDIT_KEY = "duizhao.edits:" + EDIT.source;
  var enSentences = $$(".cell.en .s"), enPristine = new Map();
  var editing = false, session = {}, editStart = null, discardTimer = null;
  var LINE_BREAK = /[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+/g; // every line end Python's splitlines knows
  var PLAINTEXT_ONLY = (function () {
    try { var d = el("div"); d.contentEditable = "plaintext-only"; return d.contentEditable === "plaintext-only"; }
    catch (e) { return false; }
  })();

  function info(s) { return EDIT.sentences[s.dataset.s]; }
  function shownEnglish(i) { return i.length > 2 ? i[2] : i[1]; }
  function plainText(text) { return text.replace(/\u00a0/g, " ").replace(LINE_BREAK, " ").trim(); }
  function editable(t) { return t && t.closest ? t.closest(".cell.en .s[contenteditable]") : null; }
  function storeSession() {
    try {
      if (Object.keys(session).length) localStorage.setItem(EDIT_KEY, JSON.stringify(session));
      else localStorage.removeItem(EDIT_KEY);
    } catch (e) { /* storage unavailable: the edits last as long as the page */ }
  }
  function keepPristine(s) { if (!enPristine.has(s)) enPristine.set(s, s.cloneNode(true)); }
  function restore(s) {
    var base = enPristine.get(s);
    if (base) {
      s.replaceChildren.apply(s, Array.prototype.slice.call(base.cloneNode(true).childNodes));
      s.classList.toggle("missing", base.classList.contains("missing"));
    }
    s.classList.remove("changed");
  }
  function showEdit(s, english) {
    keepPristine(s);
    s.textContent = english;
    s.classList.add("changed");
    s.classList.remove("missing");
  }

  /* The rows of the edits file, in page order: this page's edits, the post-edits a
     run applied, then edits kept for sentences this page no longer has. */
  function editRows() {
    var rows = [], seen = {};
    Object.keys(EDIT.sentences).forEach(function (id) {
      var i = EDIT.sentences[id], mine = session[i[0]];
      if (seen[i[0]]) return;
      if (mine) rows.push([i[0], mine[1], mine[0]]);
      else if (i.length > 2) rows.push([i[0], i.length > 3 ? i[3] : i[1], i[2]]); // a stale edit stays stale
      else return;
      seen[i[0]] = true;
    });
    Object.keys(session).forEach(function (src) { if (!seen[src]) rows.push([src, session[src][1], session[src][0]]); });
    return rows;
  }
  function updateCount() {
    var total = editRows().length, fresh = Object.keys(session).length;
    $("#btn-save .edits-n").textContent = String(total);
    $("#btn-save").disabled = total === 0;
    $("#btn-discard").disabled = fresh === 0;
  }
  function record(s) {
    var i = info(s), text = plainText(s.textContent);
    if (!i) return;
    if (!text || text === shownEnglish(i)) delete session[i[0]];
    else session[i[0]] = [text, i[1]];
    s.classList.toggle("changed", !!session[i[0]]);
    storeSession();
    updateCount();
  }

  function setEditing(on) {
    if (!on) { var active = editable(document.activeElement); if (active) active.blur(); }
    editing = on;
    if (on && state.mode === "zh") { state.mode = "side"; save(); apply(); }
    body.classList.toggle("editing", on);
    $("#btn-edit").setAttribute("aria-pressed", String(on));
    enSentences.forEach(function (s) {
      if (on) s.contentEditable = PLAINTEXT_ONLY ? "plaintext-only" : "true";
      else s.removeAttribute("contenteditable");
    });
    status.textContent = on ? "Edit mode: the English sentences are editable" : "Edit mode off";
  }
  function cancelEdit(s) {
    if (editStart && editStart.s === s) {
      s.replaceChildren.apply(s, Array.prototype.slice.call(editStart.copy.childNodes));
    }
    record(s);
    s.blur();
  }
  function insertPlain(text) {
    if (document.execCommand("insertText", false, text)) return; // fires "input"
    var selection = getSelection();
    if (!selection.rangeCount) return;
    var range = selection.getRangeAt(0), node = document.createTextNode(text);
    range.deleteContents();
    range.insertNode(node);
    range.setStartAfter(node);
    selection.removeAllRanges();
    selection.addRange(range);
    var s = editable(node.parentNode);
    if (s) record(s);
  }

  function saveEdits() {
    var rows = editRows();
    if (!rows.length) return;
    var cell = function (text) { return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n"); };
    var lines = ["# duizhao edits for " + EDIT.source, "source\tmachine\tenglish"];
    rows.forEach(function (row) { lines.push(row.map(cell).join("\t")); });
    var url = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/tab-separated-values;charset=utf-8" }));
    var link = el("a");
    link.href = url;
    link.download = EDIT.file;
    link.hidden = true;
    body.append(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    status.textContent = rows.length + " edit" + (rows.length === 1 ? "" : "s") + " saved to " + EDIT.file +
      "; duizhao edits import " + EDIT.file + " puts them beside the source";
  }
  function discardEdits(button) {
    var fresh = Object.keys(session).length;
    if (!discardTimer) { // a second click within a few seconds confirms
      button.textContent = "Discard " + fresh + " edit" + (fresh === 1 ? "" : "s") + "?";
      discardTimer = setTimeout(function () { discardTimer = null; button.textContent = "Discard edits"; }, 4000);
      return;
    }
    clearTimeout(discardTimer);
    discardTimer = null;
    button.textContent = "Discard edits";
    enSentences.forEach(function (s) { if (s.classList.contains("changed")) restore(s); });
    session = {};
    storeSession();
    updateCount();
    status.textContent = fresh + " edit" + (fresh === 1 ? "" : "s") + " discarded";
  }

  document.addEventListener("focusin", function (e) {
    var s = editable(e.target), i = s && info(s);
    if (!i) return;
    keepPristine(s);
    if (s.classList.contains("missing") && !session[i[0]]) { s.textContent = ""; s.classList.remove("missing"); }
    editStart = { s: s, copy: s.cloneNode(true) };
  });
  document.addEventListener("focusout", function (e) {
    var s = editable(e.target), i = s && info(s);
    if (!i) return;
    editStart = null;
    if (session[i[0]]) { if (s.textContent !== session[i[0]][0]) s.textContent = session[i[0]][0]; }
    else restore(s);
  });
  document.addEventListener("input", function (e) { var s = editable(e.target); if (s) record(s); });
  document.addEventListener("beforeinput", function (e) {
    if (editable(e.target) && (e.inputType === "insertParagraph" || e.inputType === "insertLineBreak")) e.preventDefault();
  });
  document.addEventListener("keydown", function (e) {
    var s = editable(e.target);
    if (!s || e.isComposing) return;
    if (e.key === "Enter") { e.preventDefault(); s.blur(); }
    else if (e.key === "Escape") { e.preventDefault(); cancelEdit(s); }
  });
  document.addEventListener("paste", function (e) {
    if (!editable(e.target)) return;
    e.preventDefault();
    insertPlain((e.clipboardData ? e.clipboardData.getData("text/plain") : "").replace(LINE_BREAK, " "));
  });
  document.addEventListener("drop", function (e) { if (editable(e.target)) e.preventDefault(); });

  (function restoreSession() {
    try { session = JSON.parse(localStorage.getItem(EDIT_KEY) || "{}") || {}; } catch (e) { session = {}; }
    if (!Object.keys(session).length) { updateCount(); return; }
    var applied = false;
    enSentences.forEach(function (s) {
      var i = info(s), mine = i && session[i[0]];
      if (!mine) return;
      if (mine[0] === shownEnglish(i)) { delete session[i[0]]; applied = true; } // a run applied it
      else showEdit(s, mine[0]);
    });
    if (applied) storeSession();
    updateCount();
  })();

  /* ---- keyboard: j/k blocks, m modes, ? keys ---- */
  var current = -1;
  function moveBlock(step) {
    if (current < 0) {
      var barBottom = $(".bar").getBoundingClientRect().bottom;
      current = rows.findIndex(function (r) { return r.getBoundingClientRect().bottom > barBottom + 4; });
      if (step > 0 && current >= 0 && rows[current].getBoundingClientRect().top >= barBottom) step = 0;
    }
    current = Math.max(0, Math.min(rows.length - 1, current + step));
    rows.forEach(function (r, i) { r.classList.toggle("current", i === current); });
    rows[current].focus({ preventScroll: true });
    rows[current].scrollIntoView({ block: "start" });
  }
  function cycleMode() {
    state.mode = MODES[(MODES.indexOf(state.mode) + 1) % MODES.length];
    save();
    apply();
    status.textContent = "Layout: " + MODE_NAMES[state.mode];
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    if (keys.open && e.key !== "Escape") return;
    if (e.key === "Escape") {
      hideDict(); hideTip(); pin(null); panel(null, false);
    } else if (e.key === "j" || e.key === "k") {
      moveBlock(e.key === "j" ? 1 : -1); e.preventDefault();
    } else if (e.key === "m") {
      cycleMode(); e.preventDefault();
    } else if (e.key === "e") {
      setEditing(!editing); e.preventDefault();
    } else if (e.key === "?") {
      keys.showModal(); e.preventDefault();
    } else if ((e.key === "Enter" || e.key === " ") && t.classList && t.classList.contains("s")) {
      pin(pinned === t.dataset.s ? null : t.dataset.s); e.preventDefault();
    }
  });

  /* ---- pointer and focus ---- */
  document.addEventListener("mouseover", function (e) {
    var s = e.target.closest(".s");
    highlight(s ? s.dataset.s : null);
    if (s && s.parentNode.classList.contains("zh")) ensureWords(s);
    var mark = e.target.closest("mark.term[data-term]");
    if (mark) showTip(mark); else hideTip();
  });
  document.addEventListener("focusin", function (e) {
    var s = e.target.closest && e.target.closest(".s");
    highlight(s ? s.dataset.s : null);
    var row = e.target.closest && e.target.closest(".row");
    if (row) current = rows.indexOf(row);
  });
  document.addEventListener("click", function (e) {
    var t = e.target, hit;
    if (!dict.hidden && !dict.contains(t) && !t.closest(".w")) hideDict();
    if ((hit = t.closest("[data-mode]"))) { state.mode = hit.dataset.mode; save(); apply(); return; }
    if ((hit = t.closest("[data-script]"))) { state.script = hit.dataset.script; save(); apply(); return; }
    if (t.closest("#btn-pinyin")) { state.pinyin = !state.pinyin; save(); apply(); return; }
    if ((hit = t.closest("[data-panel]"))) { panel(hit.dataset.panel, openPanel() !== hit.dataset.panel); return; }
    if ((hit = t.closest("[data-close]"))) { panel(null, false); return; }
    if (t.closest("#btn-keys")) { keys.showModal(); return; }
    if (t.closest("#btn-edit")) { setEditing(!editing); return; }
    if (t.closest("#btn-save")) { saveEdits(); return; }
    if ((hit = t.closest("#btn-discard"))) { discardEdits(hit); return; }
    if (t.closest(".dict .close")) { hideDict(); return; }
    if ((hit = t.closest(".gterm"))) { stepTerm(hit); return; }
    if ((hit = t.closest(".copy"))) { copyLink(hit); return; }
    if ((hit = t.closest(".fm"))) { panel("qa", true); return; }
    if ((hit = t.closest("a[data-goto]"))) {
      if (hit.dataset.goto) {
        e.preventDefault();
        var target = pair(hit.dataset.goto)[0];
        if (target) { target.scrollIntoView({ block: "center" }); target.focus({ preventScroll: true }); pin(hit.dataset.goto); }
      }
      if (window.matchMedia("(max-width: 760px)").matches) panel(null, false);
      return;
    }
    var s = t.closest(".s");
    if (!s) return;
    if (editable(s)) { pin(s.dataset.s); return; } // a click places the caret: pinned, never unpinned
    if (s.parentNode.classList.contains("zh") && drawnAs.get(s) !== look()) {
      ensureWords(s); // a click with no hover first (touch, scripts): find the word now drawn there
      t = document.elementFromPoint(e.clientX, e.clientY) || t;
    }
    var w = t.closest(".cell.zh .w");
    if (w) { showDict(w); pin(s.dataset.s); return; }
    pin(pinned === s.dataset.s ? null : s.dataset.s);
  });

  apply();
  requestAnimationFrame(measureBar); // after the first layout, not forcing one now
  body.classList.add("ready");
  performance.mark("duizhao-ready");
})();
