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
  /* Edits and resolved flags are counted apart (a tick is not an edit), as
     duizhao edits import reports them: the rows with English, and the flags marked
     resolved (the Review panel's count). */
  function saveCounts(rows) { // of the rows the file would have (made now if not given)
    rows = rows || fileRows();
    return { rows: rows.length, edits: rows.filter(function (r) { return r[2]; }).length, resolved: countFlags().resolved };
  }
  function updateCount() {
    var counts = saveCounts(), fresh = Object.keys(session).length;
    body.classList.toggle("unsaved", fresh > 0 || Object.keys(marks).length > 0); // the Save control shows
    $("#btn-save .edits-n").textContent = String(counts.edits);
    $("#btn-save .resolved-n").textContent = counts.resolved ? ", " + counts.resolved + " resolved" : "";
    $("#btn-save").disabled = counts.rows === 0;
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
    if (!on) { var active = editable(document.activeElement); if (active) endEdit(active); }
    editing = on;
    if (on && state.mode === "zh") { state.mode = "side"; save(); apply(); }
    body.classList.toggle("editing", on);
    $("#btn-edit").setAttribute("aria-pressed", String(on));
    enSentences.forEach(function (s) { // in edit mode each English sentence is a tab stop of its own
      delete s.dataset.ended;
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
    endEdit(s);
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
    // The escapes of pipeline/review/edits.py (escape_cell), which reads them back exactly.
    var cell = function (text) {
      return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
    };
    var resolved = rows.some(function (r) { return r[3].length || !r[2]; });
    var lines = ["# duizhao edits for " + cell(EDIT.source), "source\tmachine\tenglish" + (resolved ? "\tresolved" : "")];
    rows.forEach(function (r) {
      var row = [r[0], r[1], r[2]].concat(resolved ? [r[3].join(" ")] : []).map(cell).join("\t");
      lines.push(row.charAt(0) === "#" ? "\\" + row : row); // never taken for a comment
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
    var counts = saveCounts(rows);
    status.textContent = plural(counts.edits, "edit", "edits") + " and " + plural(counts.resolved, "resolved flag", "resolved flags") +
      " saved to " + EDIT.file + "; duizhao edits import " + EDIT.file + " puts them beside the source";
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
  /* Enter (or Esc, which also undoes) ends the edit and the sentence keeps the
     focus, not editable until it is left or Enter is pressed on it again, so the
     arrows go on from there; the arrows land on a sentence the same way. */
  function endEdit(s) {
    var i = info(s);
    editStart = null;
    if (i && session[i[0]]) { if (s.textContent !== session[i[0]][0]) s.textContent = session[i[0]][0]; }
    else restore(s);
    s.removeAttribute("contenteditable");
    s.dataset.ended = "";
    getSelection().removeAllRanges();
    setRoving(s);
    s.focus({ preventScroll: true });
    s.dispatchEvent(new CustomEvent("duizhao:edit-end", { bubbles: true })); // the live workspace saves it now
  }
  function editAgain(s) {
    delete s.dataset.ended;
    s.contentEditable = PLAINTEXT_ONLY ? "plaintext-only" : "true";
    s.blur(); // focused again below: the focus handler keeps what the edit starts from
    s.focus();
    getSelection().selectAllChildren(s);
    getSelection().collapseToEnd();
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (editing && e.key === "Enter" && t.dataset && "ended" in t.dataset) { e.preventDefault(); editAgain(t); return; }
    var s = editable(t);
    if (!s || e.isComposing) return;
    if (e.key === "Enter") { e.preventDefault(); endEdit(s); }
    else if (e.key === "Escape") { e.preventDefault(); cancelEdit(s); }
  });
  document.addEventListener("mousedown", function (e) { // a click on it: editable again, the caret where it lands
    var t = e.target.closest ? e.target.closest("[data-ended]") : null;
    if (!editing || !t) return;
    delete t.dataset.ended;
    t.contentEditable = PLAINTEXT_ONLY ? "plaintext-only" : "true";
  });
  document.addEventListener("focusout", function (e) { // left: editable again
    var s = e.target;
    if (!s.dataset || !("ended" in s.dataset)) return;
    delete s.dataset.ended;
    if (editing) { s.contentEditable = PLAINTEXT_ONLY ? "plaintext-only" : "true"; s.tabIndex = 0; }
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

