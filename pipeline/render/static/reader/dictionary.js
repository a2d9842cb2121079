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
  function termsOf(s) { // the term marks of the sentence, with their offsets
    return $$("mark.term", s).map(function (mark) {
      var nodes = textNodes(mark);
      if (!nodes.length) return null;
      var start = offsetOf(s, nodes[0], 0);
      return { mark: mark, start: start, end: start + shownText(mark).length };
    }).filter(Boolean);
  }
  function termAt(s, i, terms) { // the term mark holding character i, with its offsets (of the terms found, if given)
    return (terms || termsOf(s)).filter(function (t) { return i >= t.start && i < t.end; })[0] || null;
  }
  function unitAt(s, i) {
    var text = shownText(s);
    if (i < 0 || i >= text.length || !HAN_CHAR.test(text[i])) return null;
    var terms = termsOf(s), term = termAt(s, i, terms);
    if (term) return { start: term.start, end: term.end, text: text.slice(term.start, term.end), term: term.mark };
    // A word never runs into a term: 在台州 is 在, then the term 台州 (not 在台, "in Taiwan").
    var stop = terms.reduce(function (at, t) { return t.start > i ? Math.min(at, t.start) : at; }, text.length);
    var matches = [];
    for (var n = Math.min(LOOKUP, stop - i); n >= 1; n--) {
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
    // Beside or below the sentence, never over it nor its English (the next click is for the text).
    var rects = range.getClientRects(), rect = rects.length ? rects[rects.length - 1] : s.getBoundingClientRect();
    if (place(dict, rect, sentenceRects(s), false, s.getBoundingClientRect()) === "scrolled") {
      rects = range.getClientRects();
      place(dict, rects.length ? rects[rects.length - 1] : s.getBoundingClientRect(), sentenceRects(s), true,
            s.getBoundingClientRect());
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

