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
  function keepRovingShown(focused) { // a layout that hides the roving unit's column moves it (and the focus) across
    if (!roving || shown(roving)) return;
    var other = counterpart(roving);
    if (!other) return;
    setRoving(other);
    if (focused) other.focus({ preventScroll: true });
  }
  function go(el) {
    if (!el) return;
    if (editing && el.isContentEditable && el.closest(".cell.en")) { // landed on, not editing yet: Enter edits
      el.removeAttribute("contenteditable");
      el.dataset.ended = "";
    }
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

