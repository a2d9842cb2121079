/* duizhao reader: layout modes, sentence pairs, glossary, review, 简/繁, pinyin,
   dictionary, keys and edit mode. Text is only ever set with textContent / text nodes. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("reader-data").textContent);
  var body = document.body;
  var MODES = ["side", "inter", "zh", "en"];
  var MODE_NAMES = { side: "side by side", inter: "interleaved", zh: "Chinese only", en: "English only" };
  var ORIG = DATA.script === "traditional" ? "hant" : "hans";
  var SCALES = [0.85, 1, 1.15, 1.3, 1.5, 1.75];
  var NARROW = window.matchMedia("(max-width: 760px)");
  /* On a phone, sentence by sentence (each Chinese sentence followed by its English)
     unless the reader chose otherwise. */
  var state = { mode: NARROW.matches ? "inter" : "side", script: ORIG, pinyin: false, terms: false, tones: false, scale: 1 };
  try {
    var saved = JSON.parse(localStorage.getItem(DATA.storageKey) || "{}");
    if (MODES.indexOf(saved.mode) >= 0) state.mode = saved.mode;
    if (saved.script === "hans" || saved.script === "hant") state.script = saved.script;
    state.pinyin = saved.pinyin === true;
    state.terms = saved.terms === true;
    state.tones = saved.tones === true;
    if (SCALES.indexOf(saved.scale) >= 0) state.scale = saved.scale;
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
  /* A sentence's two elements, Chinese then English, by id: looked up once (the
     elements stay; a query of the whole page per look-up costs a long page dearly). */
  var PAIRS = new Map();
  $$("main .s[data-s]").forEach(function (s) {
    var both = PAIRS.get(s.dataset.s);
    if (both) both.push(s); else PAIRS.set(s.dataset.s, [s]);
  });
  function pair(id) { return (PAIRS.get(id) || []).slice(); }

  /* ---- Chinese sentences: words, script and pinyin from DATA.tokens ----
     The page arrives as plain text in the original script. When pinyin or the other
     script is switched on, each sentence is redrawn as words from its tokens (see
     "drawing" below for when). */
  /* pristine: a sentence's markup as the page arrived (the words drawn from it), and
     the script its characters were in when it was kept (简/繁 converts in place). */
  var pristine = new Map(), pristineScript = new Map(), drawnAs = new Map();
  var PLAIN = ORIG + "|false";
  function look() { return state.script + "|" + state.pinyin; }

  var TONE_MARKS = { "\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4 };
  function tone(syllable) {
    var marks = syllable.normalize("NFD").match(/[\u0300\u0301\u0304\u030c]/);
    return marks ? TONE_MARKS[marks[0]] : 5;
  }
  function wordNode(tok) {
    if (tok.length < 3) return document.createTextNode(tok[0]);
    var shown = state.script === ORIG ? tok[0] : (tok[1] || tok[0]);
    var node = el(state.pinyin ? "ruby" : "span", "w");
    node.dataset.w = shown;
    node.dataset.py = tok[2];
    node.append(shown);
    if (!state.pinyin) return node;
    // One annotation per word, its syllables joined as pinyin is written (xī'ān:
    // an apostrophe before a syllable that starts with a, o or e), each marked
    // with its tone for the tone colours.
    var rt = el("rt");
    tok[2].split(" ").forEach(function (syllable, i) {
      if (!syllable) return;
      var text = i && /^[aoeāáǎàōóǒòēéěè]/i.test(syllable) ? "'" + syllable : syllable;
      rt.append(el("span", "t" + tone(syllable), text));
    });
    node.append(rt);
    return node;
  }

  function draw(s) {
    var toks = DATA.tokens[s.dataset.s];
    drawnAs.set(s, look());
    if (!toks) return;
    var base = pristine.get(s);
    if (!base) { base = s.cloneNode(true); pristine.set(s, base); pristineScript.set(s, textScript.get(s) || ORIG); }
    var baseScript = pristineScript.get(s);
    var copy = base.cloneNode(true);
    var walker = document.createTreeWalker(copy, NodeFilter.SHOW_TEXT), nodes = [], i = 0;
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (var n = 0; n < nodes.length; n++) {
      var node = nodes[n], frag = document.createDocumentFragment(), text = "";
      while (text.length < node.data.length && i < toks.length) {
        text += baseScript === ORIG || !toks[i][1] ? toks[i][0] : toks[i][1];
        frag.append(wordNode(toks[i]));
        i++;
      }
      if (text !== node.data) return; // page and word data disagree: keep the plain text
      node.replaceWith(frag);
    }
    s.replaceChildren.apply(s, Array.prototype.slice.call(copy.childNodes));
    textScript.set(s, state.script);
  }

  /* 简/繁 converts every sentence of the page at once, in place (each text node gets
     its characters in the other script; the words' structure stays), so find-in-page
     and copying never meet two scripts; that costs little, unlike drawing words,
     which the switch does only where a sentence's pinyin must change too. */
  var scriptShown = ORIG, textScript = new Map(); // the script a sentence's characters are in now
  var FORMS = new Map(); // a sentence's text in both scripts, and whether each word keeps its length
  function formsOf(s) {
    var forms = FORMS.get(s), toks = DATA.tokens[s.dataset.s];
    if (!forms && toks) {
      forms = { orig: "", other: "", same: true };
      toks.forEach(function (t) {
        forms.orig += t[0];
        forms.other += t[1] || t[0];
        if (t[1] && t[1].length !== t[0].length) forms.same = false;
      });
      FORMS.set(s, forms);
    }
    return forms;
  }
  function swapScript(s) {
    var forms = formsOf(s);
    if (!forms) return true; // no words: nothing to convert
    if (!forms.same) return false; // a word of another length: drawn instead
    var nodes = textNodes(s), now = "";
    for (var n = 0; n < nodes.length; n++) now += nodes[n].data;
    if (now !== ((textScript.get(s) || ORIG) === ORIG ? forms.orig : forms.other)) return false; // disagree: drawn
    var target = state.script === ORIG ? forms.orig : forms.other, at = 0;
    nodes.forEach(function (node) {
      var part = target.substr(at, node.data.length);
      at += part.length;
      if (node.data !== part) node.data = part;
    });
    if (drawnAs.has(s)) $$(".w", s).forEach(function (w) { w.dataset.w = shownText(w); }); // drawn as words
    textScript.set(s, state.script);
    return true;
  }
  function convertAll() {
    if (looked) hideDict();
    scriptShown = state.script;
    zhSentences.forEach(function (s) {
      if ((textScript.get(s) || ORIG) === state.script) return;
      // A sentence whose pinyin changes too is converted now and drawn with its
      // pinyin as below; one with a word of another length in the other script is drawn now.
      var samePinyin = (drawnAs.get(s) || PLAIN).split("|")[1] === String(state.pinyin);
      if (!swapScript(s)) draw(s);
      else if (samePinyin) drawnAs.set(s, look());
    });
  }

  /* Chinese outside the sentences (glossary terms and notes, orphaned edits, review
     messages) carries its other-script form, made by the page's one conversion, as
     data-alt: the 简/繁 switch puts it in place. */
  var altShown = false;
  function swapAlt(other, lang) {
    if (other !== altShown) {
      altShown = other;
      $$("[data-alt]").forEach(function (e) {
        var now = e.textContent;
        e.textContent = e.dataset.alt;
        e.dataset.alt = now;
      });
      if (qaListed) listGroups();
    }
    $$("[data-alt]").forEach(function (e) { if (e.lang !== lang) e.lang = lang; });
  }

  /* ---- applying the state ---- */
  function apply() {
    var focused = roving && document.activeElement === roving; // a layout that hides it moves the focus across
    MODES.forEach(function (m) { body.classList.toggle("mode-" + m, state.mode === m); });
    $$("[data-mode]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.mode === state.mode)); });
    $$("[data-script]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.script === state.script)); });
    $("#btn-pinyin").setAttribute("aria-pressed", String(state.pinyin));
    $("#btn-terms").setAttribute("aria-pressed", String(state.terms));
    body.classList.toggle("terms-all", state.terms);
    body.classList.toggle("pinyin", state.pinyin);
    var lang = state.script === "hant" ? "zh-Hant" : "zh-Hans";
    $$(".cell.zh:not(.verbatim)").forEach(function (c) { if (c.lang !== lang) c.lang = lang; });
    swapAlt(state.script !== ORIG, lang);
    if (state.script !== scriptShown) convertAll();
    body.classList.toggle("tones", state.tones);
    $("#btn-tones").setAttribute("aria-pressed", String(state.tones));
    document.documentElement.style.setProperty("--scale", String(state.scale));
    $("#size-now").textContent = Math.round(state.scale * 100) + "%";
    if (state.mode === "inter") orderSentences();
    drawNear();
    keepRovingShown(focused);
    estimateHeights();
  }

  /* ---- drawing: the blocks on or near the screen at once, the rest in the
     background (a few milliseconds at a time, while the page is idle), so a switch
     costs the same on a long page as on a short one and the input never waits;
     a block that comes near before its turn is drawn then. body[data-drawn] says
     which look every sentence has (for tests and for a printout). ---- */
  var near = new Set(), ZH_OF = new Map(), drainAt = 0, drainPending = 0;
  rows.forEach(function (r) { ZH_OF.set(r, $$(".cell.zh .s", r)); });
  function stale(s) {
    var drawn = drawnAs.get(s);
    return drawn ? drawn !== look() : look() !== PLAIN;
  }
  function drawRow(row) {
    var changed = false;
    ZH_OF.get(row).forEach(function (s) {
      if (!stale(s)) return;
      if (looked && looked.s === s) hideDict();
      draw(s);
      changed = true;
    });
    return changed;
  }
  function drawNear() {
    var changed = false;
    near.forEach(function (row) { changed = drawRow(row) || changed; });
    if (changed && findQuery) scheduleFindHighlights();
    drainAt = 0;
    delete body.dataset.drawn;
    if (!drainPending) drainPending = idle(drain);
  }
  var idle = window.requestIdleCallback ? function (f) { return requestIdleCallback(f, { timeout: 100 }); }
    : function (f) { return setTimeout(function () { f({ timeRemaining: function () { return 8; } }); }, 16); };
  function drain(deadline) {
    drainPending = 0;
    var changed = false;
    while (drainAt < rows.length && deadline.timeRemaining() > 1) changed = drawRow(rows[drainAt++]) || changed;
    if (drainAt < rows.length) { drainPending = idle(drain); return; }
    body.dataset.drawn = look();
    if (findQuery) scheduleFindHighlights();
  }
  function drawAll() { rows.forEach(drawRow); body.dataset.drawn = look(); }
  function ensureDrawn(s) { if (stale(s)) draw(s); }
  var nearObserver = new IntersectionObserver(function (entries) {
    var changed = false;
    entries.forEach(function (e) {
      if (e.isIntersecting) { near.add(e.target); changed = drawRow(e.target) || changed; } else near.delete(e.target);
    });
    if (changed && findQuery) scheduleFindHighlights();
  }, { rootMargin: "50% 0px" }); // half a screen ahead: the rest while idle
  rows.forEach(function (r) { nearObserver.observe(r); });
  window.addEventListener("beforeprint", drawAll); // a printout shows every block as chosen

  /* Interleaved: each Chinese sentence, then its English (grid order in the row). */
  var ordered = false;
  function orderSentences() {
    if (ordered) return;
    ordered = true;
    rows.forEach(function (row) {
      $$(".cell.zh > .s", row).forEach(function (s, i) { s.style.order = String(2 * i + 2); });
      $$(".cell.en > .u", row).forEach(function (u, i) { u.style.order = String(2 * i + 3); });
      var flags = $(".bflags", row);
      if (flags) flags.style.order = "100000";
    });
  }

  /* ---- stable scroll geometry: off-screen blocks are not laid out (content-visibility),
     so each gets an estimated height from its text, the column width and the fonts,
     and keeps its real one once it has been shown ---- */
  var LENGTHS = new Map(), heightsPending = 0;
  rows.forEach(function (row) {
    LENGTHS.set(row, {
      zh: $$(".cell.zh .s, pre.cell.zh", row).map(function (s) { return s.textContent.length; }),
      en: $$(".cell.en .s, pre.cell.en", row).map(function (s) { return s.textContent.length; })
    });
  });
  function estimateHeights() {
    if (!heightsPending) heightsPending = requestAnimationFrame(function () { heightsPending = 0; setHeights(); });
  }
  /* With pinyin a word is as wide as its annotation when that is wider: measured on
     the seed, a line holds about 1/1.3 of the characters it holds without. */
  var PINYIN_SPREAD = 1.3, canvas = null;
  function charWidth(cell) { // mean advance of a character of this cell's font, in px
    var style = getComputedStyle(cell), size = parseFloat(style.fontSize);
    if (cell.classList.contains("zh") && !cell.classList.contains("verbatim")) return size;
    canvas = canvas || document.createElement("canvas").getContext("2d");
    canvas.font = style.fontStyle + " " + style.fontWeight + " " + style.fontSize + " " + style.fontFamily;
    var sample = "The port handled 500,000 containers in 2023, up 17.3 percent on the year before.";
    return canvas.measureText(sample).width / sample.length;
  }
  function px(value) { return parseFloat(value) || 0; }
  function setHeights() {
    var metrics = {}, side = getComputedStyle(rows[0] || body).gridTemplateColumns.split(" ").length > 1;
    rows.forEach(function (row) {
      var kind = row.className.match(/\bk-[\w-]+/), key = (kind ? kind[0] : "") + (row.querySelector("pre.cell") ? "-pre" : "");
      var m = metrics[key];
      if (!m) {
        var zh = $(".cell.zh", row), en = $(".cell.en", row);
        m = metrics[key] = { cells: {} };
        [["zh", zh], ["en", en]].forEach(function (pair) {
          if (!pair[1]) return;
          var cs = getComputedStyle(pair[1]);
          m.cells[pair[0]] = { line: px(cs.lineHeight) || px(cs.fontSize) * 1.6, char: charWidth(pair[1]),
            extra: px(cs.marginTop) + px(cs.marginBottom) + px(cs.paddingTop) + px(cs.paddingBottom) +
                   (getComputedStyle(pair[1], "::before").content !== "none" ? px(cs.fontSize) : 0),
            indent: px(cs.paddingLeft) + px(cs.paddingRight) + px(cs.borderLeftWidth) };
        });
      }
      row.style.containIntrinsicSize = "auto " + Math.round(estimate(row, m, side)) + "px";
    });
  }
  var widthOf = {};
  function columnWidth(col, side) {
    var key = col + side + state.mode + state.scale;
    if (!widthOf[key]) {
      var main = $("main"), ms = getComputedStyle(main);
      var inner = Math.min(main.clientWidth, px(ms.maxWidth) || main.clientWidth) - px(ms.paddingLeft) - px(ms.paddingRight);
      var rs = getComputedStyle(rows[0]);
      inner -= px(rs.paddingLeft) + px(rs.paddingRight);
      widthOf[key] = side ? (inner - px(rs.columnGap)) / 2 : inner;
    }
    return widthOf[key];
  }
  function estimate(row, m, side) {
    var lengths = LENGTHS.get(row), inter = state.mode === "inter", h = { zh: 0, en: 0 };
    ["zh", "en"].forEach(function (col) {
      var c = m.cells[col];
      if (!c || (state.mode === "zh" && col === "en") || (state.mode === "en" && col === "zh")) return;
      var spread = state.pinyin && col === "zh" ? PINYIN_SPREAD : 1;
      var perLine = Math.max(1, (columnWidth(col, side) - c.indent - (inter && col === "en" ? 16 : 0)) / (c.char * spread));
      var lines = 0;
      if (inter) lengths[col].forEach(function (n) { lines += Math.max(1, Math.ceil(n / perLine)); });
      else lines = Math.max(lengths[col].length ? 1 : 0, Math.ceil(lengths[col].reduce(function (a, b) { return a + b; }, 0) / perLine));
      h[col] = lines * c.line + c.extra + (inter && col === "en" ? lengths.en.length * 10 : 0);
    });
    return side ? Math.max(h.zh, h.en) : h.zh + h.en; // the content box: the row adds its padding
  }
  window.addEventListener("resize", function () { widthOf = {}; estimateHeights(); });

