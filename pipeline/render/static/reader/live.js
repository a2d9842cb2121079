  /* ---- the live review workspace (duizhao review): active only when the page is
     served by the workspace, which adds #reader-live (the session's token, the page's
     name) and its style; the reader file opened from disk never has it. An edit is
     saved when it ends, an approval with Ctrl+Enter; the server recomputes the
     sentence's checks and answers with the document's state, which is put in place
     here: the English, ✓ for approved, the flags, the counts. Every text is set as
     text. The API is in the README. ---- */
  (function live() {
    var node = document.getElementById("reader-live");
    if (!node) return;
    var LIVE = JSON.parse(node.textContent), doc = null, busy = 0, lastRevision = -1, lastGeneration = -1;
    var POSITION_KEY = "duizhao.live.position:" + LIVE.file;
    body.classList.add("live");

    /* ---- talking to the workspace ---- */
    function request(method, path, data) {
      var options = { method: method, cache: "no-store", credentials: "same-origin", headers: { "X-Duizhao-Token": LIVE.token } };
      if (data !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(data); }
      busy++;
      return fetch(LIVE.api + path, options).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw new Error(answer && answer.error ? answer.error : "the workspace answered " + response.status);
          return answer;
        }, function () { throw new Error("the workspace answered " + response.status); });
      }, function () { throw new Error("the workspace does not answer (is duizhao review still running?)"); })
        .finally(function () { busy--; });
    }
    function post(path, data) { data.file = LIVE.file; return request("POST", path, data); }

    var alertBox = el("div", "live-alert");
    alertBox.setAttribute("role", "alert");
    alertBox.hidden = true;
    body.append(alertBox);
    function warn(message) {
      alertBox.replaceChildren(el("span", null, message));
      var close = el("button", null, "OK");
      close.type = "button";
      close.addEventListener("click", function () { alertBox.hidden = true; });
      alertBox.append(close);
      alertBox.hidden = false;
    }

    /* ---- the toolbar: approved / total, and Approve (Ctrl+Enter) ---- */
    var count = el("span", "live-count");
    count.id = "live-approved";
    count.setAttribute("aria-live", "polite");
    var approveButton = el("button", null, "Approve");
    approveButton.type = "button";
    approveButton.id = "btn-approve";
    approveButton.title = "Approve this sentence's English and go to the next open sentence (Ctrl+Enter)";
    var review = $('[data-panel="qa"]');
    review.after(count, approveButton);

    /* ---- the document's state put in place ---- */
    function enOf(sid) { return $('.cell.en .s[data-s="' + CSS.escape(sid) + '"]'); }
    function unitOf(s) { return s.closest(".u") || s.parentNode; }
    function sentenceIds() { return doc ? Object.keys(doc.sentences) : []; }

    function setEnglish(s, english) {
      keepPristine(s);
      s.textContent = english;
      s.classList.remove("missing", "changed");
      enPristine.set(s, s.cloneNode(true));
    }
    function editMark(s, v) {
      var unit = unitOf(s), mark = $(".em", unit);
      if (!v.edited) { if (mark) mark.remove(); return; }
      if (!mark) { mark = el("span", "em", "✎"); mark.setAttribute("role", "img"); s.after(mark); }
      var label = "post-edited; machine said: " + v.machine;
      mark.className = "em";
      mark.title = label;
      mark.setAttribute("aria-label", label);
    }
    function statusMark(s, v) {
      var unit = unitOf(s), mark = $(".ap", unit);
      s.classList.toggle("approved", !!v.approved);
      s.classList.toggle("tm", !!v.memory);
      if (!v.approved) { if (mark) mark.remove(); return; }
      if (!mark) { mark = el("span", "ap", "✓"); mark.setAttribute("role", "img"); unit.append(mark); }
      var label = v.memory ? "approved: from the translation memory (" + v.memory.document.split("/").pop() + ", " +
        String(v.memory.date).slice(0, 10) + ")" : "approved";
      mark.classList.toggle("tm", !!v.memory);
      mark.title = label;
      mark.setAttribute("aria-label", label);
    }
    function flagMark(where, g) {
      var marker = document.getElementById("fm-" + where), s = isSentence(where) ? enOf(where) : null;
      if (g === undefined) {
        if (marker && s) { marker.remove(); s.classList.remove("flagged"); s.removeAttribute("aria-describedby"); }
        return;
      }
      if (!marker && s) {
        marker = el("span", "fm");
        marker.id = "fm-" + where;
        marker.dataset.g = where;
        marker.setAttribute("role", "img");
        var after = $(".em", unitOf(s)) || s;
        after.after(marker);
        s.classList.add("flagged");
        s.setAttribute("aria-describedby", marker.id);
        var zh = $('.cell.zh .s[data-s="' + CSS.escape(where) + '"]');
        if (zh) zh.classList.add("flagged");
      }
      drawMarker(g);
    }
    var shownGroups = {}, shownSentences = {}; // what the page shows now, to touch only what changed
    function applyReview(items) {
      var before = Object.keys(GROUP_OF);
      REVIEW.length = 0;
      items.forEach(function (item) { REVIEW.push(item); });
      Object.keys(GROUP_OF).forEach(function (k) { delete GROUP_OF[k]; });
      REVIEW.forEach(function (group, g) { GROUP_OF[group[0]] = g; });
      if (Object.keys(marks).length) { marks = {}; storeMarks(); } // resolved marks live in the edits file now
      before.forEach(function (where) {
        if (GROUP_OF[where] === undefined) { flagMark(where, undefined); delete shownGroups[where]; }
      });
      REVIEW.forEach(function (group, g) {
        var seen = JSON.stringify(group);
        if (shownGroups[group[0]] === seen) return;
        shownGroups[group[0]] = seen;
        flagMark(group[0], g);
      });
      var select = $("#qa-code"), listed = $$("option", select).map(function (o) { return o.value; });
      REVIEW.forEach(function (group) {
        group[2].forEach(function (f) {
          if (listed.indexOf(f[0]) >= 0) return;
          listed.push(f[0]);
          var option = el("option", null, f[0]);
          option.value = f[0];
          select.append(option);
        });
      });
      drawCounts();
      if (qaListed) listGroups();
    }
    function applyState(st) {
      doc = st;
      lastRevision = st.revision;
      Object.keys(st.sentences).forEach(function (sid) {
        var v = st.sentences[sid], s = enOf(sid), i = EDIT.sentences[sid];
        if (!i) return;
        EDIT.sentences[sid] = v.edited ? [v.source, v.machine, v.english] : [v.source, v.english];
        if (!s) return;
        var seen = JSON.stringify(v);
        if (shownSentences[sid] === seen && !session[v.source]) return;
        shownSentences[sid] = seen;
        var mine = session[v.source];
        if (mine && mine[0] === v.english) { delete session[v.source]; storeSession(); }
        var missing = !v.english && s.classList.contains("missing");
        if (document.activeElement !== s && !session[v.source] && !missing && plainText(s.textContent) !== v.english) {
          setEnglish(s, v.english);
        }
        s.classList.toggle("edited", !!v.edited);
        editMark(s, v);
        statusMark(s, v);
      });
      applyReview(st.review);
      count.replaceChildren("Approved ", el("b", null, String(st.approved)), "/" + st.total);
      updateCount();
      if (tmFor) showMatches(tmFor);
    }

    /* ---- saving: an edit when it ends, Ctrl+Enter approves and moves on ---- */
    function sidOf(s) { return s && s.dataset ? s.dataset.s : null; }
    /* The English a sentence had when its edit began: the server refuses the edit if
       that is no longer the sentence's English (another tab or reviewer changed it). */
    var startedFrom = {};
    document.addEventListener("focusin", function (e) {
      var s = editable(e.target), i = s && info(s);
      if (i && !(sidOf(s) in startedFrom)) startedFrom[sidOf(s)] = shownEnglish(i);
    });
    function commit(s, approve) {
      var sid = sidOf(s), i = EDIT.sentences[sid];
      if (!i) return Promise.resolve(null);
      var mine = session[i[0]], base = sid in startedFrom ? startedFrom[sid] : shownEnglish(i);
      delete startedFrom[sid];
      if (!mine && !approve) return Promise.resolve(null);
      var english = mine ? mine[0] : base;
      var path = mine ? "edit" : "status", data = mine ? { sentence: sid, base: base, english: english, approve: !!approve }
        : { sentence: sid, base: base, status: "approved" };
      if (mine) { setEnglish(s, english); delete session[i[0]]; storeSession(); } // shown as saved; put back if refused
      s.classList.add("saving");
      return post(path, data).then(function (st) {
        s.classList.remove("saving", "conflict");
        applyState(st);
        status.textContent = sid + (approve ? " approved" : " saved");
        return st;
      }, function (error) {
        s.classList.remove("saving");
        if (mine) { session[i[0]] = mine; storeSession(); showEdit(s, english); s.classList.add("conflict"); }
        warn(error.message);
        throw error;
      });
    }
    /* An edit ends with Enter or Esc (the sentence keeps the focus), or by leaving it. */
    function commitEnded(s) {
      if (s && !s.classList.contains("saving")) commit(s, false).catch(function () { /* shown */ });
    }
    document.addEventListener("duizhao:edit-end", function (e) { commitEnded(e.target); });
    document.addEventListener("focusout", function (e) { commitEnded(editable(e.target)); });

    function currentSentence() {
      var a = document.activeElement, s = a && a.closest ? a.closest(".s[data-s]") : null;
      if (s) return s.dataset.s;
      return pinned;
    }
    function nextOpen(after) {
      var ids = sentenceIds(), at = ids.indexOf(after);
      for (var n = 1; n <= ids.length; n++) {
        var sid = ids[(at + n) % ids.length];
        if (!doc.sentences[sid].approved && enOf(sid)) return sid;
      }
      return null;
    }
    function goTo(sid) {
      var s = enOf(sid);
      if (!s) return;
      if (!editing) setEditing(true);
      if (!shown(s)) { state.mode = "side"; save(); apply(); }
      s.scrollIntoView({ block: "center" });
      s.focus({ preventScroll: true });
      pin(sid);
    }
    function approveAndNext() {
      var sid = currentSentence();
      if (!sid || !doc || !doc.sentences[sid]) { status.textContent = "Choose a sentence to approve"; return; }
      commit(enOf(sid), true).then(function () {
        var next = nextOpen(sid);
        if (next) goTo(next);
        else status.textContent = "Every sentence is approved";
      }, function () { /* the alert says why */ });
    }
    approveButton.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the sentence focused
    approveButton.addEventListener("click", approveAndNext);

    /* ---- flags: one, all of a code in the document, all of a sentence ---- */
    setResolved = function (g, code, on) {
      post("resolve", { scope: "flag", where: REVIEW[g][0], code: code, resolved: on }).then(function (st) {
        applyState(st);
        status.textContent = code + " on " + REVIEW[g][0] + (on ? " marked resolved" : " open again");
      }, function (error) { warn(error.message); if (qaListed) listGroups(); });
    };
    var plainGroupNode = groupNode;
    groupNode = function (g, keep) {
      var item = plainGroupNode(g, keep), where = REVIEW[g][0];
      $$("input[data-code]", item).forEach(function (box) {
        var all = el("button", "all-code", "all " + box.dataset.code);
        all.type = "button";
        all.dataset.resolve = "code";
        all.dataset.code = box.dataset.code;
        all.title = "Mark every " + box.dataset.code + " flag of this document resolved";
        box.closest("li").append(" ", all);
      });
      var bulk = el("p", "qa-bulk"), here = el("button", null, "Resolve all here");
      here.type = "button";
      here.dataset.resolve = "sentence";
      here.dataset.where = where;
      bulk.append(here);
      item.append(bulk);
      return item;
    };
    document.addEventListener("click", function (e) {
      var hit = e.target.closest && e.target.closest("[data-resolve]");
      if (!hit) return;
      var item = hit.closest(".qa-g"), where = item ? REVIEW[+item.dataset.g][0] : "";
      var data = hit.dataset.resolve === "code" ? { scope: "code", code: hit.dataset.code } : { scope: "sentence", where: where };
      post("resolve", data).then(function (st) {
        applyState(st);
        status.textContent = hit.dataset.resolve === "code" ? "Every " + hit.dataset.code + " flag marked resolved"
          : "Every flag of " + where + " marked resolved";
      }, function (error) { warn(error.message); });
    });

    /* ---- fuzzy matches from the translation memory, beside the English ---- */
    var tmBox = el("div", "tm-box"), tmFor = null;
    tmBox.id = "tm-box";
    tmBox.setAttribute("role", "region");
    tmBox.setAttribute("aria-label", "Translation memory matches");
    tmBox.hidden = true;
    body.append(tmBox);
    function diffNode(diff) {
      var out = el("span", "tm-src");
      out.lang = zhLang();
      diff.forEach(function (part) {
        var kind = part[0] === "-" ? "del" : part[0] === "+" ? "ins" : null;
        var piece = kind ? el(kind, null, part[1]) : document.createTextNode(part[1]);
        if (kind) piece.title = kind === "del" ? "only in the approved sentence" : "only in this sentence";
        out.append(piece);
      });
      return out;
    }
    function showMatches(sid) {
      var matches = doc && doc.fuzzy[sid], s = enOf(sid);
      tmFor = sid;
      if (!matches || !matches.length || !s || !shown(s)) { tmBox.hidden = true; return; }
      var list = el("ol");
      matches.forEach(function (m, n) {
        var item = el("li"), use = el("button", null, n ? "Use" : "Use (Ctrl+I)");
        use.type = "button";
        use.dataset.take = String(n);
        item.append(el("span", "tm-score", m.score + "%"), el("span", "tm-from", m.document + ", " + m.date), " ", use,
          diffNode(m.diff), el("span", "tm-en", m.english));
        $(".tm-en", item).lang = "en";
        list.append(item);
      });
      tmBox.replaceChildren(el("h2", null, "Translation memory: " + matches.length + " similar approved sentence" +
        (matches.length === 1 ? "" : "s")), list);
      place(tmBox, s.getBoundingClientRect(), counterpartRects(s), true);
    }
    function take(sid, n) {
      var m = doc && doc.fuzzy[sid] && doc.fuzzy[sid][n], s = enOf(sid), i = EDIT.sentences[sid];
      if (!m || !s || !i) return;
      session[i[0]] = [m.english, i[1]];
      commit(s, false).then(function () { status.textContent = "Match " + m.score + "% used for " + sid; }, function () {});
    }
    tmBox.addEventListener("mousedown", function (e) { e.preventDefault(); });
    tmBox.addEventListener("click", function (e) {
      var hit = e.target.closest("[data-take]");
      if (hit && tmFor) take(tmFor, +hit.dataset.take);
    });
    document.addEventListener("focusin", function (e) {
      var s = e.target.closest && e.target.closest(".s[data-s]");
      if (s) showMatches(s.dataset.s);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { tmBox.hidden = true; hideAddButton(); }
    });

    /* ---- keys: Ctrl+Enter approves and moves on, Ctrl+I takes the best match ---- */
    document.addEventListener("keydown", function (e) {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.isComposing) return;
      if (e.target.closest && e.target.closest("dialog")) return;
      if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); approveAndNext(); }
      else if (e.key === "i" || e.key === "I") {
        var sid = currentSentence();
        if (sid && doc && doc.fuzzy[sid]) { e.preventDefault(); e.stopPropagation(); take(sid, 0); }
      }
    }, true);

    /* ---- terms: add one from a selection of Chinese; change one's English ---- */
    var dialog = el("dialog", "term-dialog"), form = el("form");
    dialog.id = "term-dialog";
    dialog.setAttribute("aria-labelledby", "term-h");
    form.method = "dialog";
    function field(label, name, kind) {
      var box = el("label", null, label), input = el(kind || "input");
      input.name = name;
      if (!kind) { input.type = "text"; input.autocomplete = "off"; input.spellcheck = false; }
      box.append(input);
      return box;
    }
    var heading = el("h2", null, "Add term");
    heading.id = "term-h";
    var error = el("p", "term-error"), infoLine = el("p", "term-info"), buttons = el("p", "buttons");
    error.setAttribute("role", "alert");
    infoLine.setAttribute("aria-live", "polite");
    var submit = el("button", null, "Add"), cancel = el("button", null, "Cancel");
    submit.type = "submit";
    cancel.type = "button";
    buttons.append(cancel, submit);
    form.append(heading, field("Chinese", "zh"), field("English", "en"), field("Note (Markdown)", "note"),
      field("Variants (other Chinese forms, separated by |)", "variants"), field("Glossary file", "file", "select"),
      infoLine, error, buttons);
    dialog.append(form);
    body.append(dialog);
    form.elements.zh.lang = zhLang();
    var termMode = null; // {kind: "add"} or {kind: "change", entry}
    cancel.addEventListener("click", function () { dialog.close(); });

    function openTerm(mode, zh, en) {
      termMode = mode;
      heading.textContent = mode.kind === "add" ? "Add term" : "Change the English of a term";
      submit.textContent = mode.kind === "add" ? "Add and run again" : "Change and run again";
      form.reset();
      form.elements.zh.value = zh;
      form.elements.zh.readOnly = mode.kind !== "add";
      form.elements.en.value = en || "";
      form.elements.en.required = true;
      ["note", "variants", "file"].forEach(function (name) { form.elements[name].closest("label").hidden = mode.kind !== "add"; });
      var select = form.elements.file;
      select.replaceChildren();
      (doc ? doc.glossaries : []).forEach(function (file, n, all) {
        var option = el("option", null, file);
        option.value = file;
        if (n === all.length - 1) option.selected = true;
        select.append(option);
      });
      error.textContent = "";
      infoLine.textContent = "";
      hideAddButton();
      dialog.showModal();
      form.elements.en.focus();
      if (mode.kind === "add") {
        post("term/prepare", { zh: zh }).then(function (found) {
          infoLine.textContent = found.sentences ? "In " + found.sentences + " sentence" + (found.sentences === 1 ? "" : "s") +
            " of " + found.documents.length + " document" + (found.documents.length === 1 ? "" : "s") + ": they are run again"
            : "No document of the workspace contains it yet";
        }, function (problem) { error.textContent = problem.message; });
      }
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var values = {}, path = termMode.kind === "add" ? "term" : "term/update";
      ["zh", "en", "note", "variants"].forEach(function (name) { values[name] = form.elements[name].value; });
      values.glossary = form.elements.file.value;
      if (termMode.kind !== "add") values = { entry: termMode.entry, zh: values.zh, en: values.en };
      submit.disabled = true;
      error.textContent = "";
      infoLine.textContent = "Running the documents again…";
      post(path, values).then(function (result) {
        keepPosition("Term " + result.entry + ": " + result.documents.length + " document" +
          (result.documents.length === 1 ? "" : "s") + " run again, " + result.translated + " sentence" +
          (result.translated === 1 ? "" : "s") + " translated");
        location.reload();
      }, function (problem) {
        submit.disabled = false;
        infoLine.textContent = "";
        error.textContent = problem.message;
      });
    });

    var addButton = el("button", "add-term", "Add term…");
    addButton.type = "button";
    addButton.id = "add-term";
    addButton.hidden = true;
    body.append(addButton);
    var selected = "";
    function hideAddButton() { addButton.hidden = true; }
    function selectedChinese() {
      var selection = getSelection();
      if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
      var range = selection.getRangeAt(0), start = range.startContainer, end = range.endContainer;
      var s = (start.nodeType === 1 ? start : start.parentNode).closest(".cell.zh .s[data-s]");
      if (!s || !s.contains(end)) return null;
      var from = offsetOf(s, start, range.startOffset), to = offsetOf(s, end, range.endOffset);
      if (from < 0 || to < 0) return null;
      var text = shownText(s).slice(from, to).trim();
      return HAN_CHAR.test(text) && text.length <= 40 ? { s: s, text: text, rect: range.getBoundingClientRect() } : null;
    }
    function offerTerm() {
      var found = selectedChinese();
      if (!found) { hideAddButton(); return; }
      selected = found.text;
      addButton.textContent = "Add term: " + found.text;
      place(addButton, found.rect, counterpartRects(found.s), true);
    }
    document.addEventListener("mouseup", function () { setTimeout(offerTerm, 0); });
    document.addEventListener("keyup", function (e) { if (e.shiftKey) offerTerm(); });
    document.addEventListener("click", function (e) { // a selection is not a click on a character
      if (e.target.closest && e.target.closest(".cell.zh") && selectedChinese()) e.stopPropagation();
    }, true);
    addButton.addEventListener("mousedown", function (e) { e.preventDefault(); });
    addButton.addEventListener("click", function () { openTerm({ kind: "add" }, selected, ""); });

    $$(".gdetail").forEach(function (detail) { // each term's note, in the Glossary panel and its tooltips
      var source = $(".gd-src", detail), zh = $(".gd-zh", detail), en = $(".gd-en", detail);
      if (!source || !zh || !en) return;
      var button = el("button", "term-edit", "Change the English…");
      button.type = "button";
      button.dataset.entry = source.textContent;
      button.dataset.zh = zh.textContent;
      button.dataset.en = en.textContent;
      detail.append(button);
    });
    document.addEventListener("click", function (e) {
      var hit = e.target.closest && e.target.closest(".term-edit");
      if (!hit) return;
      hideTip();
      openTerm({ kind: "change", entry: hit.dataset.entry }, hit.dataset.zh, hit.dataset.en);
    });
    var plainHideTip = hideTip; // the tooltip stays while it is pointed at (its button can be reached)
    hideTip = function () { if (!tip.matches(":hover")) plainHideTip(); };
    tip.addEventListener("mouseleave", function () { plainHideTip(); });

    /* ---- keeping up: changes made elsewhere (another tab or reviewer) ---- */
    function keepPosition(message) {
      try {
        sessionStorage.setItem(POSITION_KEY, JSON.stringify({ y: window.scrollY, sid: currentSentence(), message: message || "" }));
      } catch (e) { /* storage disabled: the page reloads at the top */ }
    }
    function restorePosition() {
      var saved = null;
      try { saved = JSON.parse(sessionStorage.getItem(POSITION_KEY) || "null"); sessionStorage.removeItem(POSITION_KEY); }
      catch (e) { saved = null; }
      if (!saved) return;
      window.scrollTo(0, saved.y);
      if (saved.sid && pair(saved.sid).length) pin(saved.sid);
      if (saved.message) status.textContent = saved.message;
    }
    function poll() {
      if (busy || document.hidden) { setTimeout(poll, 1500); return; }
      request("GET", "revision?file=" + encodeURIComponent(LIVE.file)).then(function (at) {
        if (at.generation !== lastGeneration) {
          if (!editable(document.activeElement) && !dialog.open) { keepPosition("The document was run again"); location.reload(); return; }
        } else if (at.revision !== lastRevision && !editable(document.activeElement)) {
          return request("GET", "doc?file=" + encodeURIComponent(LIVE.file)).then(applyState);
        }
      }).catch(function () { /* the next poll tries again */ }).finally(function () { setTimeout(poll, 1500); });
    }

    request("GET", "doc?file=" + encodeURIComponent(LIVE.file)).then(function (st) {
      lastGeneration = st.generation;
      applyState(st);
      setEditing(true);
      restorePosition();
      body.dataset.live = "ready";
      setTimeout(poll, 1500);
    }, function (problem) { warn(problem.message); });
  })();

