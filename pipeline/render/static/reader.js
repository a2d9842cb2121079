/* duizhao reader: layout modes, sentence pairs, glossary, review, 简/繁, pinyin,
   dictionary and keys. Text is only ever set with textContent / text nodes. */
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
