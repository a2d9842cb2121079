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
