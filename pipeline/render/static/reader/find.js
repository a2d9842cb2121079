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

