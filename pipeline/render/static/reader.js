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
  var pristine = new Map(), drawnAs = new Map();
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
    body.classList.toggle("tones", state.tones);
    $("#btn-tones").setAttribute("aria-pressed", String(state.tones));
    document.documentElement.style.setProperty("--scale", String(state.scale));
    $("#size-now").textContent = Math.round(state.scale * 100) + "%";
    if (state.mode === "inter") orderSentences();
    drawNear();
    keepRovingShown();
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

  /* ---- pop-ups: one at a time, never over the English counterpart ---- */
  function overlap(a, b) {
    var w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return w > 0 && h > 0 ? w * h : 0;
  }
  /* Put box next to rect (viewport coordinates), away from the avoid rects: below or
     above the anchor, or below or above the rects to avoid (the English counterpart),
     left-aligned with the anchor, right-aligned with it or at the screen's edges; the
     first place on screen that covers none of them. When every such place is off
     screen, the page is scrolled to make room (once) and the box placed again. */
  function place(box, rect, avoid, scrolled) {
    box.hidden = false;
    box.style.left = "0px";
    box.style.top = window.scrollY + "px";
    avoid = avoid || [];
    var width = box.offsetWidth, height = box.offsetHeight, vw = document.documentElement.clientWidth;
    var barBottom = $(".bar").getBoundingClientRect().bottom, best = null;
    var lefts = [rect.left, rect.right - width, 8, vw - width - 8].map(function (x) { return Math.max(8, Math.min(x, vw - width - 8)); });
    var tops = [rect.bottom + 6, rect.top - height - 6];
    if (avoid.length) {
      tops.push(Math.max.apply(null, avoid.map(function (a) { return a.bottom; })) + 6);
      tops.push(Math.min.apply(null, avoid.map(function (a) { return a.top; })) - height - 6);
    }
    var room = [];
    tops.forEach(function (top) {
      lefts.forEach(function (left) {
        var r = { left: left, right: left + width, top: top, bottom: top + height };
        var cover = avoid.reduce(function (sum, a) { return sum + overlap(r, a); }, 0);
        var off = Math.max(0, barBottom - top) + Math.max(0, r.bottom - window.innerHeight);
        if (!cover && off) room.push(top < barBottom ? -(barBottom - top + 6) : r.bottom - window.innerHeight + 6);
        var cost = cover + off * 1e6;
        if (!best || cost < best.cost) best = { left: left, top: top, cost: cost };
      });
    });
    if (best.cost > 0 && !scrolled) {
      var most = document.documentElement.scrollHeight - window.innerHeight;
      var by = room.filter(function (d) { return d < 0 ? window.scrollY >= -d : window.scrollY + d <= most; })
        .sort(function (a, b) { return Math.abs(a) - Math.abs(b); })[0];
      if (by !== undefined) { window.scrollBy(0, by); return "scrolled"; }
    }
    box.style.left = (best.left + window.scrollX) + "px";
    box.style.top = (best.top + window.scrollY) + "px";
    return "placed";
  }
  function counterpartRects(s) {
    var out = [];
    pair(s.dataset.s).forEach(function (e) { if (e !== s) out.push.apply(out, Array.prototype.slice.call(e.getClientRects())); });
    return out;
  }
  function showTip(mark) {
    if (!dict.hidden) return; // the dictionary is open: it already says what the tip would
    var detail = document.getElementById("gd-" + mark.dataset.term);
    if (!detail) return;
    var copy = detail.cloneNode(true);
    copy.removeAttribute("id");
    tip.replaceChildren(copy);
    var s = mark.closest(".s");
    place(tip, mark.getBoundingClientRect(), s ? counterpartRects(s) : [], true);
  }
  function hideTip() { tip.hidden = true; }

  /* ---- the dictionary: a glossary term is one unit; elsewhere the longest
     CC-CEDICT headword from the character looked up, and the shorter ones there
     too, as Zhongwen does. DICT.k is keyed by the page's own text in both scripts. */
  var DICT = null, LOOKUP = 8, looked = null, lookupHome = null;
  var HAN_CHAR = /\p{Script=Han}/u;
  function entriesOf(text) {
    if (!DICT) DICT = JSON.parse(document.getElementById("reader-dict").textContent);
    return (DICT.k[text] || []).map(function (i) { return DICT.e[i]; });
  }
  function textNodes(s) { // the sentence's text as shown, without pinyin
    var walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT), nodes = [];
    while (walker.nextNode()) if (!walker.currentNode.parentNode.closest("rt")) nodes.push(walker.currentNode);
    return nodes;
  }
  function shownText(s) { return textNodes(s).map(function (n) { return n.data; }).join(""); }
  function offsetOf(s, node, offset) {
    var at = 0, nodes = textNodes(s);
    for (var i = 0; i < nodes.length; i++) { if (nodes[i] === node) return at + offset; at += nodes[i].data.length; }
    return -1;
  }
  function rangeOf(s, start, end) {
    var range = document.createRange(), at = 0, started = false, ended = false;
    textNodes(s).forEach(function (n) {
      var len = n.data.length;
      if (!started && start < at + len) { range.setStart(n, start - at); started = true; }
      if (started && !ended && end <= at + len) { range.setEnd(n, end - at); ended = true; }
      at += len;
    });
    return range;
  }
  function termAt(s, i) { // the term mark holding character i, with its offsets
    var marks = $$("mark.term", s);
    for (var m = 0; m < marks.length; m++) {
      var nodes = textNodes(marks[m]);
      if (!nodes.length) continue;
      var start = offsetOf(s, nodes[0], 0), end = start + shownText(marks[m]).length;
      if (i >= start && i < end) return { mark: marks[m], start: start, end: end };
    }
    return null;
  }
  function unitAt(s, i) {
    var text = shownText(s);
    if (i < 0 || i >= text.length || !HAN_CHAR.test(text[i])) return null;
    var term = termAt(s, i);
    if (term) return { start: term.start, end: term.end, text: text.slice(term.start, term.end), term: term.mark };
    var matches = [];
    for (var n = Math.min(LOOKUP, text.length - i); n >= 1; n--) {
      var word = text.substr(i, n);
      if (Array.from(word).every(function (c) { return HAN_CHAR.test(c); }) && entriesOf(word).length) matches.push(word);
    }
    var length = matches.length ? matches[0].length : 1;
    return { start: i, end: i + length, text: text.substr(i, length), matches: matches };
  }
  function otherFormOf(s, start, end) { // characters start..end in the other script, from the words
    var toks = DATA.tokens[s.dataset.s] || [], at = 0, out = "";
    toks.forEach(function (tok) {
      var shown = state.script === ORIG || !tok[1] ? tok[0] : tok[1], len = shown.length;
      var other = state.script === ORIG ? (tok[1] || tok[0]) : tok[0];
      if (at < end && at + len > start) {
        out += other.length === len ? other.slice(Math.max(start, at) - at, Math.min(end, at + len) - at) : other;
      }
      at += len;
    });
    return out;
  }
  function readingOf(s, start, end) { // pinyin of characters start..end as the page's words read them
    var toks = DATA.tokens[s.dataset.s] || [], at = 0, out = [];
    toks.forEach(function (tok) {
      var shown = state.script === ORIG || !tok[1] ? tok[0] : tok[1], len = shown.length;
      if (tok.length === 3 && at < end && at + len > start) {
        var syllables = tok[2].split(" ");
        for (var c = Math.max(start, at); c < Math.min(end, at + len); c++) if (syllables[c - at]) out.push(syllables[c - at]);
      }
      at += len;
    });
    return out.join(" ");
  }
  function entryNode(entry) { // its pinyin and senses (the headword is the page's own text, above)
    var box = el("div", "dict-entry");
    var head = el("p");
    head.append(el("span", "py", entry[2]));
    box.append(head);
    var list = el("ol");
    entry[3].forEach(function (sense) { list.append(withLang(el("li"), sense)); });
    box.append(list);
    return box;
  }
  function zhSpan(cls, text) { var node = el("span", cls, text); node.lang = zhLang(); return node; }
  function partsOf(text) { // greedy longest headwords, left to right
    var parts = [], i = 0;
    while (i < text.length) {
      var n = Math.min(LOOKUP, text.length - i);
      while (n > 1 && !entriesOf(text.substr(i, n)).length) n--;
      parts.push(text.substr(i, n));
      i += n;
    }
    return parts;
  }
  function showLookup(s, i) {
    var unit = unitAt(s, i);
    if (!unit) return false;
    var out = $(".dict-body", dict);
    out.replaceChildren();
    var title = zhSpan("dict-word", unit.text);
    var head = el("p");
    head.append(title);
    var reading = readingOf(s, unit.start, unit.end), other = otherFormOf(s, unit.start, unit.end);
    if (reading) head.append(" ", el("span", "dict-py", reading));
    if (other && other !== unit.text) { // as the page's 简/繁 switch writes it
      var otherLang = state.script === "hant" ? "zh-Hans" : "zh-Hant";
      var alt = el("span", "dict-alt", (state.script === "hant" ? "简 " : "繁 "));
      var form = el("span", null, other);
      form.lang = otherLang;
      alt.append(form);
      head.append(" ", alt);
    }
    out.append(head);
    var whole = entriesOf(unit.text);
    if (unit.term) {
      var detail = document.getElementById("gd-" + unit.term.dataset.term);
      if (detail) {
        var copy = detail.cloneNode(true);
        copy.removeAttribute("id");
        copy.className = "dict-gloss";
        copy.prepend(el("p", "dict-label", "Glossary"));
        out.append(copy);
      }
      if (whole.length) {
        out.append(el("p", "dict-label", "CC-CEDICT"));
        whole.forEach(function (e) { out.append(entryNode(e)); });
      } else {
        out.append(el("p", "dict-label", "Not in CC-CEDICT as one word; its parts (each on its own, not the term's meaning):"));
        partsOf(unit.text).forEach(function (part) {
          var found = entriesOf(part);
          out.append(zhSpan("dict-part", part));
          if (found.length) found.forEach(function (e) { out.append(entryNode(e)); });
          else out.append(el("p", "hint", "not in CC-CEDICT"));
        });
      }
    } else if (unit.matches.length) {
      unit.matches.forEach(function (word, n) {
        if (unit.matches.length > 1) out.append(zhSpan("dict-part" + (n ? "" : " first"), word));
        entriesOf(word).forEach(function (e) { out.append(entryNode(e)); });
      });
    } else {
      out.append(el("p", "hint", "Not in CC-CEDICT."));
    }
    var range = rangeOf(s, unit.start, unit.end);
    if (window.CSS && CSS.highlights && window.Highlight) CSS.highlights.set("lookup", new Highlight(range));
    looked = { s: s, start: unit.start, end: unit.end };
    hideTip();
    var rects = range.getClientRects(), rect = rects.length ? rects[rects.length - 1] : s.getBoundingClientRect();
    if (place(dict, rect, counterpartRects(s)) === "scrolled") {
      rects = range.getClientRects();
      place(dict, rects.length ? rects[rects.length - 1] : s.getBoundingClientRect(), counterpartRects(s), true);
    }
    return true;
  }
  function stepLookup(step) { // the next / previous unit of the sentence
    if (!looked) return;
    var s = looked.s, text = shownText(s), i = step > 0 ? looked.end : looked.start - 1;
    while (i >= 0 && i < text.length && !HAN_CHAR.test(text[i])) i += step > 0 ? 1 : -1;
    if (i < 0 || i >= text.length) { status.textContent = step > 0 ? "End of the sentence" : "Start of the sentence"; return; }
    if (step < 0) { var term = termAt(s, i); if (term) i = term.start; }
    showLookup(s, i);
    dict.focus();
  }
  function openLookup(s) { // from the keyboard: the first word of the sentence
    var text = shownText(s), i = 0;
    while (i < text.length && !HAN_CHAR.test(text[i])) i++;
    lookupHome = s;
    if (showLookup(s, i)) dict.focus();
  }
  function hideDict() {
    if (dict.hidden) return;
    var focused = dict.contains(document.activeElement);
    dict.hidden = true;
    looked = null;
    if (window.CSS && CSS.highlights) CSS.highlights.delete("lookup");
    if (focused && lookupHome) lookupHome.focus({ preventScroll: true });
    lookupHome = null;
  }
  function charAtPoint(s, x, y) { // offset in s of the character under (x, y), or -1
    var pos = document.caretPositionFromPoint ? document.caretPositionFromPoint(x, y) : null;
    var node = pos ? pos.offsetNode : null, offset = pos ? pos.offset : 0;
    if (!node && document.caretRangeFromPoint) {
      var range = document.caretRangeFromPoint(x, y);
      if (range) { node = range.startContainer; offset = range.startOffset; }
    }
    if (!node || !s.contains(node)) return -1;
    if (node.nodeType !== 3 || node.parentNode.closest("rt")) { // on pinyin: its word's first character
      var word = (node.nodeType === 3 ? node.parentNode : node).closest(".w");
      var first = word ? textNodes(word)[0] : null;
      return first ? offsetOf(s, first, 0) : -1;
    }
    var at = offsetOf(s, node, 0);
    for (var c = offset; c >= Math.max(0, offset - 1); c--) { // the caret may be after the character
      if (c >= node.data.length) continue;
      var r = document.createRange();
      r.setStart(node, c);
      r.setEnd(node, c + 1);
      var box = r.getBoundingClientRect();
      if (x >= box.left - 1 && x <= box.right + 1 && y >= box.top - 1 && y <= box.bottom + 1) return at + c;
    }
    return -1;
  }

  /* ---- panels ---- */
  /* A panel takes the focus when it opens and gives it back when it closes. */
  var panelOpener = null, qaListed = false;
  function panel(name, open) {
    var was = openPanel();
    if (open && !was) panelOpener = document.activeElement;
    $$(".panel").forEach(function (p) {
      var mine = p.id === "panel-" + name;
      p.hidden = !(mine && open);
    });
    $$("[data-panel]").forEach(function (b) { b.setAttribute("aria-expanded", String(b.dataset.panel === name && open)); });
    document.documentElement.classList.toggle("panel-open", !!(name && open));
    body.classList.toggle("qa-open", name === "qa" && !!open);
    if (!(name === "glossary" && open)) selectTerm(null);
    if (name === "qa" && open && !qaListed) { qaListed = true; listGroups(); }
    if (open && name !== was) $("#panel-" + name + " h2").focus();
    if (!open && was) {
      var back = panelOpener && panelOpener.isConnected ? panelOpener : null;
      panelOpener = null;
      if (back && back !== body) back.focus({ preventScroll: true });
    }
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
    selectTerm(id);
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

  var selected = null;
  function selectTerm(id) { // every occurrence of the term chosen in the Glossary panel, coloured
    if (selected === id) return;
    $$("mark.term.sel").forEach(function (m) { m.classList.remove("sel"); });
    selected = id;
    if (id) $$('main mark.term[data-term="' + CSS.escape(id) + '"]').forEach(function (m) { m.classList.add("sel"); });
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
     localStorage by source text (the key pipeline/review/edits.py matches on) until they are
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

  /* The rows of the edits file: [source, machine, english, resolved codes], in page
     order: this page's edits, the post-edits a run applied, the flags marked resolved
     (a row of its own, english empty, when the sentence has no edit; its machine
     column is the English they were resolved for), then edits kept for sentences this
     page no longer has. */
  function fileRows() {
    var rows = [], at = {}, blocks = {};
    function row(src) {
      if (!at[src]) { at[src] = [src, "", "", []]; rows.push(at[src]); }
      return at[src];
    }
    function addResolved(g) {
      if (g === undefined) return;
      var codes = resolvedCodes(g);
      if (!codes.length && !docCodes(g).length) return; // nothing resolved, now or by a run
      var where = REVIEW[g][0], r = row(REVIEW[g][1]);
      if (!r[2] && isSentence(where)) r[1] = englishOf(where);
      codes.forEach(function (c) { if (r[3].indexOf(c) < 0) r[3].push(c); });
    }
    Object.keys(EDIT.sentences).forEach(function (id) {
      var block = id.split(".")[0], i = EDIT.sentences[id], mine = session[i[0]], r;
      if (!blocks[block]) { blocks[block] = true; addResolved(GROUP_OF[block]); }
      if (!(at[i[0]] && at[i[0]][2])) {
        if (mine) { r = row(i[0]); r[1] = mine[1]; r[2] = mine[0]; }
        else if (i.length > 2) { r = row(i[0]); r[1] = i.length > 3 ? i[3] : i[1]; r[2] = i[2]; } // a stale edit stays stale
      }
      addResolved(GROUP_OF[id]);
    });
    REVIEW.forEach(function (group, g) { if (!isSentence(group[0]) && !blocks[group[0]]) addResolved(g); });
    Object.keys(session).forEach(function (src) { if (!at[src]) rows.push([src, session[src][1], session[src][0], []]); });
    return rows;
  }
  function updateCount() {
    var total = fileRows().length, fresh = Object.keys(session).length;
    body.classList.toggle("unsaved", fresh > 0 || Object.keys(marks).length > 0); // the Save control shows
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
    enSentences.forEach(function (s) { // in edit mode each English sentence is a tab stop of its own
      if (on) { s.contentEditable = PLAINTEXT_ONLY ? "plaintext-only" : "true"; s.tabIndex = 0; }
      else { s.removeAttribute("contenteditable"); s.tabIndex = s === roving ? 0 : -1; }
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
    var rows = fileRows();
    if (!rows.length) return;
    var cell = function (text) { return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n"); };
    var resolved = rows.some(function (r) { return r[3].length || !r[2]; });
    var lines = ["# duizhao edits for " + EDIT.source, "source\tmachine\tenglish" + (resolved ? "\tresolved" : "")];
    rows.forEach(function (r) {
      lines.push([r[0], r[1], r[2]].concat(resolved ? [r[3].join(" ")] : []).map(cell).join("\t"));
    });
    var url = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/tab-separated-values;charset=utf-8" }));
    var link = el("a");
    link.href = url;
    link.download = EDIT.file;
    link.hidden = true;
    body.append(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    status.textContent = rows.length + " row" + (rows.length === 1 ? "" : "s") + " (edits and resolved flags) saved to " +
      EDIT.file + "; duizhao edits import " + EDIT.file + " puts them beside the source";
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
  document.addEventListener("change", function (e) {
    var t = e.target, item;
    if (t.id === "qa-code") { filter.code = t.value; listGroups(); }
    else if (t.id === "qa-resolved") { filter.done = t.checked; listGroups(); }
    else if (t.dataset.code && (item = t.closest(".qa-g"))) setResolved(+item.dataset.g, t.dataset.code, t.checked);
  });
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

  function restoreSession() {
    try { session = JSON.parse(localStorage.getItem(EDIT_KEY) || "{}") || {}; } catch (e) { session = {}; }
    var applied = false;
    enSentences.forEach(function (s) {
      var i = info(s), mine = i && session[i[0]];
      if (!mine) return;
      if (mine[0] === shownEnglish(i)) { delete session[i[0]]; applied = true; } // a run applied it
      else showEdit(s, mine[0]);
    });
    if (applied) storeSession();
  }

  /* ---- review: flags grouped by sentence, filters, resolved marks, n / p ----
     DATA.review is [where, source text, [[code, level, message, resolved 0/1], ...]]
     per sentence (where = p12.3) or block (p12) with flags, in reading order. A flag
     marked resolved on this page is kept in localStorage by source text (the key
     pipeline/review/edits.py matches on) with the English it was resolved for, and saved
     with the edits; a rerun then shows it resolved while that English stays. The
     panel's list is drawn a chunk at a time, as it is scrolled. */
  var REVIEW = DATA.review, RESOLVED_KEY = "duizhao.resolved:" + DATA.edit.source;
  var GROUP_OF = {}, ROW_AT = {};
  REVIEW.forEach(function (group, g) { GROUP_OF[group[0]] = g; });
  rows.forEach(function (r, i) { ROW_AT[r.id] = i; });
  var marks = {}; // "s\t" or "b\t" + source text → {codes, english}: this page's resolved marks
  var filter = { sev: { error: true, warning: true, info: false }, code: "", done: false };
  var qaList = $("#qa-list"), qaShown = [], qaDrawn = 0, qaAt = -1, qaMore = null;
  var QA_CHUNK = 50, SUMMARY = $("#qa-summary");
  var HAN = /[\p{Script=Han}][\p{Script=Han}\u3000-\u303f\uff01-\uff60“”‘’]*/gu;

  function isSentence(where) { return where.indexOf(".") > 0; }
  function englishOf(where) {
    var i = EDIT.sentences[where];
    if (!i) return "";
    return session[i[0]] ? session[i[0]][0] : shownEnglish(i);
  }
  function markKey(g) { return (isSentence(REVIEW[g][0]) ? "s\t" : "b\t") + REVIEW[g][1]; }
  function docCodes(g) {
    var codes = [];
    REVIEW[g][2].forEach(function (f) { if (f[3] && codes.indexOf(f[0]) < 0) codes.push(f[0]); });
    return codes;
  }
  function resolvedCodes(g) {
    var mark = marks[markKey(g)];
    return mark && mark.english === englishOf(REVIEW[g][0]) ? mark.codes : docCodes(g);
  }
  function sameCodes(a, b) { return a.length === b.length && a.every(function (c) { return b.indexOf(c) >= 0; }); }
  function storeMarks() {
    try {
      if (Object.keys(marks).length) localStorage.setItem(RESOLVED_KEY, JSON.stringify(marks));
      else localStorage.removeItem(RESOLVED_KEY);
    } catch (e) { /* storage unavailable: the marks last as long as the page */ }
  }
  function worstOpen(g) {
    var done = resolvedCodes(g), worst = "done";
    REVIEW[g][2].forEach(function (f) {
      if (done.indexOf(f[0]) >= 0) return;
      if (f[1] === "error" || (f[1] === "warning" && worst !== "error") || worst === "done") worst = f[1];
    });
    return worst;
  }
  var MARK = { error: "◆", warning: "▲", info: "•", done: "✓" };
  function drawMarker(g) {
    var marker = document.getElementById("fm-" + REVIEW[g][0]);
    if (!marker) return;
    var worst = worstOpen(g), done = resolvedCodes(g);
    marker.className = "fm sev-" + worst;
    marker.textContent = MARK[worst];
    var flags = REVIEW[g][2], label = flags.length + " flag" + (flags.length > 1 ? "s" : "") + ": " +
      flags.map(function (f) { return f[0] + " (" + (done.indexOf(f[0]) >= 0 ? "resolved" : f[1]) + ")"; }).join("; ");
    marker.title = label;
    marker.setAttribute("aria-label", label);
  }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function countFlags() {
    var c = { error: 0, warning: 0, info: 0, resolved: 0, codes: {} };
    REVIEW.forEach(function (group, g) {
      var done = resolvedCodes(g);
      group[2].forEach(function (f) {
        c.codes[f[0]] = c.codes[f[0]] || 0;
        if (done.indexOf(f[0]) >= 0) { c.resolved++; return; }
        c[f[1]]++;
        c.codes[f[0]]++;
      });
    });
    return c;
  }
  function drawCounts() {
    var c = countFlags(), todo = c.error + c.warning;
    $(".qa-n").textContent = String(todo);
    SUMMARY.textContent = plural(todo, "flag", "flags") + " to do, " + plural(c.info, "note", "notes") + ", " + c.resolved + " resolved";
    $$("[data-sev]").forEach(function (b) { $(".n", b).textContent = String(c[b.dataset.sev]); });
    $$("#qa-code option[value]").forEach(function (o) { if (o.value) o.textContent = o.value + " (" + c.codes[o.value] + ")"; });
  }

  function passes(f, done) {
    return filter.sev[f[1]] && (!filter.code || f[0] === filter.code) && (filter.done || done.indexOf(f[0]) < 0);
  }
  function withLang(node, text) { // Chinese inside a message is marked as Chinese
    var at = 0, m;
    HAN.lastIndex = 0;
    while ((m = HAN.exec(text))) {
      if (m.index > at) node.append(text.slice(at, m.index));
      var zh = el("span", null, m[0]);
      zh.lang = zhLang();
      node.append(zh);
      at = m.index + m[0].length;
    }
    if (at < text.length) node.append(text.slice(at));
    return node;
  }
  function zhLang() { return state.script === "hant" ? "zh-Hant" : "zh-Hans"; }
  function groupNode(g, keep) { // keep: codes shown before (a flag just ticked stays in view)
    var group = REVIEW[g], where = group[0], done = resolvedCodes(g);
    var item = el("li", "qa-g sev-" + worstOpen(g));
    item.dataset.g = String(g);
    if (g === qaAt) item.classList.add("current");
    var head = el("p", "qa-where");
    var link = el("a", null, where);
    link.href = "#" + where.split(".")[0];
    link.dataset.goto = isSentence(where) ? where : "";
    head.append(link, " ");
    var source = altShown && group[3] ? group[3] : group[1];
    var snip = el("span", "qa-snip", source.length > 48 ? source.slice(0, 47) + "…" : source);
    snip.lang = zhLang();
    head.append(snip);
    item.append(head);
    var list = el("ul", "qa-flags");
    group[2].forEach(function (f) {
      if (!passes(f, done) && !(keep && keep.indexOf(f[0]) >= 0)) return;
      var resolved = done.indexOf(f[0]) >= 0;
      var line = el("li", "sev-" + f[1] + (resolved ? " done" : ""));
      var label = el("label");
      var box = el("input");
      box.type = "checkbox";
      box.checked = resolved;
      box.dataset.code = f[0];
      label.append(box, " ", el("span", "sev", f[1] === "info" ? "note" : f[1]), " ", el("code", null, f[0]));
      line.append(label, " ", withLang(el("span", "msg"), altShown && f[4] ? f[4] : f[2]));
      list.append(line);
    });
    item.append(list);
    return item;
  }
  function drawGroups(upTo) {
    var end = Math.min(qaShown.length, Math.max(qaDrawn + QA_CHUNK, upTo + 1));
    var frag = document.createDocumentFragment();
    for (; qaDrawn < end; qaDrawn++) frag.append(groupNode(qaShown[qaDrawn]));
    if (qaMore) qaMore.remove();
    qaList.append(frag);
    qaMore = null;
    if (qaDrawn < qaShown.length) {
      qaMore = el("li", "qa-more", (qaShown.length - qaDrawn) + " more…");
      qaMore.setAttribute("aria-hidden", "true");
      qaList.append(qaMore);
      moreObserver.observe(qaMore);
    }
  }
  var moreObserver = new IntersectionObserver(function (entries) {
    if (entries.some(function (e) { return e.isIntersecting; })) drawGroups(0);
  }, { root: $("#panel-qa"), rootMargin: "400px" });
  function listGroups() {
    qaShown = [];
    REVIEW.forEach(function (group, g) {
      var done = resolvedCodes(g);
      if (group[2].some(function (f) { return passes(f, done); })) qaShown.push(g);
    });
    qaList.replaceChildren();
    qaDrawn = 0;
    qaMore = null;
    drawGroups(0);
    $("#qa-none").hidden = qaShown.length > 0;
    body.classList.toggle("qa-notes", filter.sev.info);
  }
  function redrawGroup(g) {
    var old = $('.qa-g[data-g="' + g + '"]', qaList);
    if (!old) return;
    var shown = $$("input[data-code]", old).map(function (i) { return i.dataset.code; });
    var focused = old.contains(document.activeElement) ? document.activeElement.dataset.code : null;
    var fresh = groupNode(g, shown);
    old.replaceWith(fresh);
    if (focused) { var box = $('input[data-code="' + CSS.escape(focused) + '"]', fresh); if (box) box.focus(); }
  }
  function setResolved(g, code, on) {
    var codes = resolvedCodes(g).filter(function (c) { return c !== code; });
    if (on) codes.push(code);
    if (sameCodes(codes, docCodes(g))) delete marks[markKey(g)];
    else marks[markKey(g)] = { codes: codes, english: englishOf(REVIEW[g][0]) };
    storeMarks();
    drawMarker(g);
    drawCounts();
    redrawGroup(g);
    updateCount();
    status.textContent = code + " on " + REVIEW[g][0] + (on ? " marked resolved" : " open again");
  }

  function orderOf(where) {
    var parts = where.split(".");
    return (ROW_AT[parts[0]] || 0) * 10000 + (parts[1] ? +parts[1] : 0);
  }
  function hereOrder() {
    var a = document.activeElement, s = a && a.closest && a.closest(".s, .row");
    if (s && s.dataset.s) return orderOf(s.dataset.s);
    if (s && s.id) return orderOf(s.id);
    if (qaAt >= 0) return orderOf(REVIEW[qaAt][0]);
    return -1;
  }
  function nextFlag(step) {
    var open = [];
    REVIEW.forEach(function (group, g) {
      var done = resolvedCodes(g);
      if (group[2].some(function (f) { return done.indexOf(f[0]) < 0 && filter.sev[f[1]] && (!filter.code || f[0] === filter.code); })) open.push(g);
    });
    if (!open.length) { status.textContent = "No open flag with these filters"; return; }
    var here = hereOrder(), pick = null;
    if (step > 0) pick = open.find(function (g) { return orderOf(REVIEW[g][0]) > here; });
    else pick = open.slice().reverse().find(function (g) { return orderOf(REVIEW[g][0]) < here; });
    var wrapped = pick === undefined || pick === null;
    if (wrapped) pick = step > 0 ? open[0] : open[open.length - 1];
    goToGroup(pick);
    var n = open.indexOf(pick) + 1;
    status.textContent = "Open flag " + n + " of " + open.length + (wrapped ? " (from the " + (step > 0 ? "start" : "end") + ")" : "") +
      ": " + REVIEW[pick][0] + ", " + REVIEW[pick][2].map(function (f) { return f[0]; }).join(", ");
  }
  function goToGroup(g) {
    var where = REVIEW[g][0];
    qaAt = g;
    var target = isSentence(where) ? pair(where).filter(function (e) { return e.offsetParent !== null; })[0] : document.getElementById(where);
    if (target) {
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
      if (isSentence(where)) pin(where);
    }
    if (openPanel() === "qa") showGroup(g);
  }
  function showGroup(g) {
    var at = qaShown.indexOf(g);
    $$(".qa-g.current", qaList).forEach(function (li) { li.classList.remove("current"); });
    if (at < 0) return;
    if (at >= qaDrawn) drawGroups(at);
    var item = $('.qa-g[data-g="' + g + '"]', qaList);
    if (item) { item.classList.add("current"); item.scrollIntoView({ block: "nearest" }); }
  }

  function restoreMarks() {
    try { marks = JSON.parse(localStorage.getItem(RESOLVED_KEY) || "{}") || {}; } catch (e) { marks = {}; }
    var changed = false;
    REVIEW.forEach(function (group, g) {
      var mark = marks[markKey(g)];
      if (mark && mark.english === englishOf(group[0]) && sameCodes(mark.codes, docCodes(g))) { // a run applied them
        delete marks[markKey(g)];
        changed = true;
      }
      if (mark) drawMarker(g);
    });
    if (changed) storeMarks();
  }
  restoreSession();
  restoreMarks();
  drawCounts();
  updateCount();

  /* ---- keyboard: the text is one tab stop (a roving tabindex): the arrows move
     between sentences (up/down) and over to the counterpart (left/right), j/k
     between blocks; m modes, c copy a link, ? keys ---- */
  var current = -1, roving = null;
  function column() { return state.mode === "en" ? "en" : "zh"; }
  function units(col) { return $$(".cell." + col + " .s, pre.cell." + col); }
  function shown(el) { return el && el.getClientRects().length > 0; }
  function setRoving(el) {
    if (roving === el) return;
    if (roving && !(editing && editable(roving))) roving.tabIndex = -1;
    el.tabIndex = 0;
    roving = el;
  }
  function counterpart(el) {
    if (el.dataset.s) return pair(el.dataset.s).filter(function (e) { return e !== el; })[0] || null;
    return $(el.classList.contains("zh") ? "pre.cell.en" : "pre.cell.zh", el.closest(".row"));
  }
  function keepRovingShown() { // a layout that hides the roving unit's column moves it across
    if (roving && !shown(roving)) { var other = counterpart(roving); if (other) setRoving(other); }
  }
  function go(el) {
    if (!el) return;
    setRoving(el);
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    var row = el.closest(".row");
    rows.forEach(function (r) { r.classList.toggle("current", r === row); });
    current = rows.indexOf(row);
  }
  function moveUnit(el, key) {
    var col = el.closest(".cell").classList.contains("en") ? "en" : "zh", list = units(col), at = list.indexOf(el);
    if (key === "ArrowDown") return list[at + 1];
    if (key === "ArrowUp") return list[at - 1];
    if (key === "Home") return list[0];
    if (key === "End") return list[list.length - 1];
    var other = counterpart(el);
    if (key === (col === "zh" ? "ArrowRight" : "ArrowLeft") && shown(other)) return other;
    return null;
  }
  function moveBlock(step) {
    if (current < 0) {
      var barBottom = $(".bar").getBoundingClientRect().bottom;
      current = rows.findIndex(function (r) { return r.getBoundingClientRect().bottom > barBottom + 4; });
      if (step > 0 && current >= 0 && rows[current].getBoundingClientRect().top >= barBottom) step = 0;
    }
    current = Math.max(0, Math.min(rows.length - 1, current + step));
    var row = rows[current], col = roving && roving.closest(".cell.en") && shown(roving) ? "en" : column();
    var first = $(".cell." + col + " .s, pre.cell." + col, row) || $(".s, pre.cell", row);
    rows.forEach(function (r, i) { r.classList.toggle("current", i === current); });
    if (first) { setRoving(first); first.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "start" });
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
    if (t.closest && t.closest("input:not([type=checkbox]), textarea, [contenteditable]")) return;
    if (t.tagName === "SELECT" && e.key !== "Escape") return;
    if (keys.open && e.key !== "Escape") return;
    if (e.key === "Escape") { // one layer at a time: the pop-up, then the panel, then the pin
      if (!menuBox.hidden) menu(false);
      else if (!dict.hidden) hideDict();
      else if (!tip.hidden) hideTip();
      else if (!findBox.hidden) closeFind();
      else if (openPanel()) panel(null, false);
      else pin(null);
    } else if (e.key === "j" || e.key === "k") {
      moveBlock(e.key === "j" ? 1 : -1); e.preventDefault();
    } else if (/^(Arrow(Up|Down|Left|Right)|Home|End)$/.test(e.key) && t.closest && t.closest(".cell") && t === roving) {
      var to = moveUnit(t, e.key);
      if (to) go(to);
      e.preventDefault();
    } else if (e.key === "c" && current >= 0) {
      copyLink($(".copy", rows[current])); e.preventDefault();
    } else if (e.key === "d" && t.classList && t.classList.contains("s") && t.closest(".cell.zh")) {
      openLookup(t); e.preventDefault();
    } else if (e.key === "n" || e.key === "p") {
      nextFlag(e.key === "n" ? 1 : -1); e.preventDefault();
    } else if (e.key === "m") {
      cycleMode(); e.preventDefault();
    } else if (e.key === "e") {
      setEditing(!editing); e.preventDefault();
    } else if (e.key === "?") {
      keys.showModal(); e.preventDefault();
    } else if (e.key === "/") {
      openFind(); e.preventDefault();
    } else if ((e.key === "Enter" || e.key === " ") && t.classList && t.classList.contains("s")) {
      pin(pinned === t.dataset.s ? null : t.dataset.s); e.preventDefault();
    }
  });

  dict.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") { stepLookup(e.key === "ArrowRight" ? 1 : -1); e.preventDefault(); }
    else if (e.key === "Escape") { hideDict(); e.preventDefault(); e.stopPropagation(); }
  });

  /* ---- the View menu: a disclosure that takes the focus and gives it back ---- */
  var menuBox = $("#menu"), menuButton = $("#btn-menu");
  function menu(open, keepFocus) {
    menuBox.hidden = !open;
    menuButton.setAttribute("aria-expanded", String(open));
    if (open) $("button", menuBox).focus();
    else if (!keepFocus && menuBox.contains(document.activeElement)) menuButton.focus();
    else if (!keepFocus && document.activeElement === body) menuButton.focus();
  }
  menuBox.addEventListener("focusout", function (e) {
    if (!menuBox.hidden && e.relatedTarget && !menuBox.contains(e.relatedTarget) && e.relatedTarget !== menuButton) menu(false, true);
  });
  function resize(step) {
    var at = SCALES.indexOf(state.scale) + step;
    if (at < 0 || at >= SCALES.length) return;
    var anchor = rows.find(function (r) { return r.getBoundingClientRect().bottom > $(".bar").getBoundingClientRect().bottom; });
    state.scale = SCALES[at];
    save();
    widthOf = {};
    apply();
    if (anchor) anchor.scrollIntoView({ block: "start" }); // keep the place
    status.textContent = "Text size " + Math.round(state.scale * 100) + "%";
  }

  /* ---- find in both languages and in pinyin (tones not needed) ----
     Searched in the data, not the page: the Chinese as shown (either script), the
     English as shown (edits too), and each sentence's pinyin without tones, where a
     match starts at a syllable. Matches are highlighted with CSS highlights. */
  var findBox = $("#find"), findInput = $("#find-q"), findCount = $("#find-n"), findOpener = null;
  var findQuery = "", found = [], foundAt = -1, findPending = 0;
  function toneless(text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/v/g, "u"); }
  function zhShown(sid) {
    return (DATA.tokens[sid] || []).map(function (t) { return state.script === ORIG || !t[1] ? t[0] : t[1]; }).join("");
  }
  function pinyinIndex(sid) { // toneless letters, and the character each letter belongs to
    var letters = "", chars = [], starts = {}, at = 0;
    (DATA.tokens[sid] || []).forEach(function (t) {
      var shown = state.script === ORIG || !t[1] ? t[0] : t[1];
      if (t.length === 3 && t[2]) {
        t[2].split(" ").forEach(function (syllable, i) {
          starts[letters.length] = true;
          var plain = toneless(syllable);
          for (var c = 0; c < plain.length; c++) { letters += plain[c]; chars.push(at + Math.min(i, shown.length - 1)); }
        });
      }
      at += shown.length;
    });
    return { letters: letters, chars: chars, starts: starts };
  }
  function search(query) {
    var out = [], q = query.trim();
    if (!q) return out;
    var han = /\p{Script=Han}/u.test(q), lower = q.toLowerCase(), py = toneless(q).replace(/[\s']/g, "");
    var latin = /^[a-z]+$/.test(py);
    zhSentences.forEach(function (s) {
      var sid = s.dataset.s;
      if (han) {
        var text = zhShown(sid);
        for (var i = text.indexOf(q); i >= 0; i = text.indexOf(q, i + 1)) out.push({ sid: sid, col: "zh", start: i, end: i + q.length });
      } else if (latin) {
        var index = pinyinIndex(sid);
        for (var j = index.letters.indexOf(py); j >= 0; j = index.letters.indexOf(py, j + 1)) {
          if (index.starts[j]) out.push({ sid: sid, col: "zh", start: index.chars[j], end: index.chars[j + py.length - 1] + 1 });
        }
      }
      if (!han) {
        var en = pair(sid)[1];
        var english = en ? en.textContent.toLowerCase() : "";
        for (var k = english.indexOf(lower); k >= 0; k = english.indexOf(lower, k + 1)) out.push({ sid: sid, col: "en", start: k, end: k + lower.length });
      }
    });
    return out;
  }
  function sentenceOf(match) { return pair(match.sid)[match.col === "zh" ? 0 : 1]; }
  function matchRange(match) {
    var s = sentenceOf(match);
    if (!s) return null;
    var text = match.col === "zh" ? shownText(s) : s.textContent;
    if (match.col === "zh" && text !== zhShown(match.sid)) return null; // not drawn in this script yet
    return rangeOf(s, match.start, match.end);
  }
  function scheduleFindHighlights() {
    if (!findPending) findPending = requestAnimationFrame(function () { findPending = 0; findHighlights(); });
  }
  function findHighlights() {
    if (!(window.CSS && CSS.highlights && window.Highlight)) return;
    var all = new Highlight(), now = new Highlight();
    found.forEach(function (m, i) { var r = matchRange(m); if (r) (i === foundAt ? now : all).add(r); });
    CSS.highlights.set("find", all);
    CSS.highlights.set("find-now", now);
  }
  function runFind() {
    findQuery = findInput.value;
    found = search(findQuery);
    foundAt = -1; // Enter goes to the first
    showFind(false);
  }
  function showFind(move) {
    findCount.textContent = !findQuery.trim() ? "" : !found.length ? "no match" :
      foundAt < 0 ? found.length + (found.length === 1 ? " match" : " matches") : (foundAt + 1) + " of " + found.length;
    var m = found[foundAt], s = m && sentenceOf(m);
    if (s && move) {
      if (m.col === "zh") ensureDrawn(s);
      s.scrollIntoView({ block: "center" });
      pin(m.sid);
    }
    findHighlights();
  }
  function stepFind(step) {
    if (!found.length) return;
    foundAt = foundAt < 0 ? (step > 0 ? 0 : found.length - 1) : (foundAt + step + found.length) % found.length;
    showFind(true);
  }
  function openFind() {
    if (findBox.hidden) findOpener = document.activeElement;
    findBox.hidden = false;
    $("#btn-find").setAttribute("aria-expanded", "true");
    measureBar();
    findInput.focus();
    findInput.select();
  }
  function closeFind() {
    findBox.hidden = true;
    $("#btn-find").setAttribute("aria-expanded", "false");
    if (window.CSS && CSS.highlights) { CSS.highlights.delete("find"); CSS.highlights.delete("find-now"); }
    findQuery = ""; found = []; foundAt = -1;
    measureBar();
    (findOpener && findOpener.isConnected && findOpener !== body ? findOpener : $("#btn-find")).focus();
  }
  findInput.addEventListener("input", runFind);
  findInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); if (findQuery !== findInput.value) runFind(); stepFind(e.shiftKey ? -1 : 1); }
    else if (e.key === "Escape") { e.preventDefault(); closeFind(); }
  });

  /* ---- reading position: a thin bar under the toolbar ---- */
  var progressDone = $(".progress-done"), progressPending = 0;
  function progress() {
    progressPending = 0;
    var most = document.documentElement.scrollHeight - window.innerHeight;
    progressDone.style.transform = "scaleX(" + (most > 0 ? Math.min(1, window.scrollY / most) : 1) + ")";
  }
  window.addEventListener("scroll", function () { if (!progressPending) progressPending = requestAnimationFrame(progress); }, { passive: true });

  /* ---- pointer and focus ---- */
  document.addEventListener("mouseover", function (e) {
    var s = e.target.closest(".s");
    highlight(s ? s.dataset.s : null);
    var mark = e.target.closest("mark.term[data-term]");
    if (mark) showTip(mark); else hideTip();
  });
  document.addEventListener("focusin", function (e) {
    var s = e.target.closest && e.target.closest(".s");
    highlight(s ? s.dataset.s : null);
    var row = e.target.closest && e.target.closest(".row");
    if (row) current = rows.indexOf(row);
    var unit = e.target.closest && e.target.closest(".cell .s, pre.cell");
    if (unit && !(editing && editable(unit))) setRoving(unit);
  });
  $(".skip").addEventListener("click", function (e) { // to the text's one tab stop
    e.preventDefault();
    keepRovingShown();
    if (roving) roving.focus();
  });
  document.addEventListener("click", function (e) {
    var t = e.target, hit;
    if (!dict.hidden && !dict.contains(t)) hideDict();
    if (!menuBox.hidden && !menuBox.contains(t) && !t.closest("#btn-menu")) menu(false, true);
    if ((hit = t.closest("[data-mode]"))) { state.mode = hit.dataset.mode; save(); apply(); return; }
    if ((hit = t.closest("[data-script]"))) { state.script = hit.dataset.script; save(); apply(); return; }
    if (t.closest("#btn-pinyin")) { state.pinyin = !state.pinyin; save(); apply(); return; }
    if (t.closest("#btn-terms")) { state.terms = !state.terms; save(); apply(); return; }
    if (t.closest("#btn-tones")) { state.tones = !state.tones; if (state.tones && !state.pinyin) state.pinyin = true; save(); apply(); return; }
    if ((hit = t.closest("[data-size]"))) { resize(+hit.dataset.size); return; }
    if (t.closest("#btn-menu")) { menu(menuBox.hidden); return; }
    if (t.closest("#btn-find")) { if (findBox.hidden) openFind(); else closeFind(); return; }
    if (t.closest("#find-next")) { stepFind(1); return; }
    if (t.closest("#find-prev")) { stepFind(-1); return; }
    if (t.closest("#find-close")) { closeFind(); return; }
    if ((hit = t.closest("[data-panel]"))) { panel(hit.dataset.panel, openPanel() !== hit.dataset.panel); return; }
    if ((hit = t.closest("[data-close]"))) { panel(null, false); return; }
    if (t.closest("#btn-keys")) { keys.showModal(); return; }
    if (t.closest("#btn-edit")) { setEditing(!editing); return; }
    if (t.closest("#btn-save")) { saveEdits(); return; }
    if ((hit = t.closest("#btn-discard"))) { discardEdits(hit); return; }
    if (t.closest(".dict .close")) { hideDict(); return; }
    if ((hit = t.closest(".gterm"))) { stepTerm(hit); return; }
    if ((hit = t.closest(".copy"))) { copyLink(hit); return; }
    if ((hit = t.closest(".fm"))) {
      var g = GROUP_OF[hit.dataset.g];
      panel("qa", true);
      if (g !== undefined) { qaAt = g; showGroup(g); }
      return;
    }
    if ((hit = t.closest("[data-sev]"))) {
      filter.sev[hit.dataset.sev] = !filter.sev[hit.dataset.sev];
      hit.setAttribute("aria-pressed", String(filter.sev[hit.dataset.sev]));
      listGroups();
      return;
    }
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
    if (s.closest(".cell.zh") && showLookup(s, charAtPoint(s, e.clientX, e.clientY))) {
      lookupHome = s;
      pin(s.dataset.s);
      return;
    }
    pin(pinned === s.dataset.s ? null : s.dataset.s);
  });

  apply();
  setRoving(units(column())[0] || units("zh")[0]);
  requestAnimationFrame(function () { measureBar(); progress(); }); // after the first layout, not forcing one now
  body.classList.add("ready");
  performance.mark("duizhao-ready");
})();
