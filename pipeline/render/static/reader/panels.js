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

