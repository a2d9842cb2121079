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

  /* ---- pop-ups: one at a time, never over the sentence or its English counterpart ---- */
  function overlap(a, b) {
    var w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return w > 0 && h > 0 ? w * h : 0;
  }
  /* Put box next to rect (viewport coordinates), away from the avoid rects: below or
     above the anchor, or below or above the rects to avoid (the sentence being read
     and its English counterpart), left-aligned with the anchor, right-aligned with it
     or at the screen's edges, or beside the box ``beside`` (the sentence); the first
     place on screen that covers none of them. When every such place is off screen,
     the page is scrolled to make room (once) and the box placed again. */
  function place(box, rect, avoid, scrolled, beside) {
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
    var spots = [];
    tops.forEach(function (top) { lefts.forEach(function (left) { spots.push([left, top]); }); });
    if (beside) [beside.right + 6, beside.left - width - 6].forEach(function (left) {
      if (left >= 8 && left + width <= vw - 8) spots.push([left, rect.top], [left, rect.bottom - height]);
    });
    var room = [];
    spots.forEach(function (spot) {
      var left = spot[0], top = spot[1], r = { left: left, right: left + width, top: top, bottom: top + height };
      var cover = avoid.reduce(function (sum, a) { return sum + overlap(r, a); }, 0);
      var off = Math.max(0, barBottom - top) + Math.max(0, r.bottom - window.innerHeight);
      if (!cover && off) room.push(top < barBottom ? -(barBottom - top + 6) : r.bottom - window.innerHeight + 6);
      var cost = cover + off * 1e6;
      if (!best || cost < best.cost) best = { left: left, top: top, cost: cost };
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
  function sentenceRects(s) { // the sentence read and its counterpart: what a pop-up about it must leave readable
    return Array.prototype.slice.call(s.getClientRects()).concat(counterpartRects(s));
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

