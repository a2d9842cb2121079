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
  function countFlags() { // flags, and the sentences or blocks (places) with one to do
    var c = { error: 0, warning: 0, info: 0, resolved: 0, codes: {}, places: 0 };
    REVIEW.forEach(function (group, g) {
      var done = resolvedCodes(g), todo = false;
      group[2].forEach(function (f) {
        c.codes[f[0]] = c.codes[f[0]] || 0;
        if (done.indexOf(f[0]) >= 0) { c.resolved++; return; }
        c[f[1]]++;
        c.codes[f[0]]++;
        todo = todo || f[1] !== "info";
      });
      if (todo) c.places++;
    });
    return c;
  }
  /* Two units, each named where it is counted: the badge counts flags to do (as the
     run's Review line does), n / p step through the sentences (or blocks) that have them. */
  function drawCounts() {
    var c = countFlags(), todo = c.error + c.warning;
    $(".qa-n").textContent = String(todo);
    $('[data-panel="qa"]').title = plural(todo, "flag", "flags") + " to do, on " +
      plural(c.places, "sentence or block", "sentences or blocks") + " (n / p: next / previous of those)";
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
    var open = [], flags = 0;
    REVIEW.forEach(function (group, g) {
      var done = resolvedCodes(g);
      var mine = group[2].filter(function (f) { return done.indexOf(f[0]) < 0 && filter.sev[f[1]] && (!filter.code || f[0] === filter.code); });
      if (mine.length) { open.push(g); flags += mine.length; }
    });
    if (!open.length) { status.textContent = "No open flag with these filters"; return; }
    var here = hereOrder(), pick = null;
    if (step > 0) pick = open.find(function (g) { return orderOf(REVIEW[g][0]) > here; });
    else pick = open.slice().reverse().find(function (g) { return orderOf(REVIEW[g][0]) < here; });
    var wrapped = pick === undefined || pick === null;
    if (wrapped) pick = step > 0 ? open[0] : open[open.length - 1];
    goToGroup(pick);
    var n = open.indexOf(pick) + 1, where = REVIEW[pick][0];
    status.textContent = (isSentence(where) ? "Sentence " : "Block ") + where + ": " +
      REVIEW[pick][2].map(function (f) { return f[0]; }).join(", ") + "; flagged sentence or block " + n + " of " +
      open.length + ", with " + plural(flags, "open flag", "open flags") + " in all" +
      (wrapped ? " (from the " + (step > 0 ? "start" : "end") + ")" : "");
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

