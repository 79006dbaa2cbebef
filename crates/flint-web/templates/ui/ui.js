// Flint UI: hover values on graphs, legend toggles, recent-query history.
// Every page works without this script; it only adds interaction.
(function () {
  "use strict";
  var prefix = document.body.getAttribute("data-prefix") || "";

  function history() {
    var form = document.getElementById("query-form");
    if (!form) return;
    var key = "flint.history";
    var list = [];
    try { list = JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { list = []; }
    var expr = document.getElementById("expr");
    var current = expr.value.trim();
    if (current && document.getElementById("parse-error") === null) {
      list = [current].concat(list.filter(function (q) { return q !== current; })).slice(0, 20);
      try { localStorage.setItem(key, JSON.stringify(list)); } catch (e) { /* private mode */ }
    }
    var ul = document.getElementById("history-list");
    list.forEach(function (q) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = prefix + "/query?expr=" + encodeURIComponent(q);
      a.textContent = q;
      li.appendChild(a);
      ul.appendChild(li);
    });
    if (list.length) document.getElementById("history").hidden = false;
    // Ctrl/Cmd+Enter runs the query from the text area.
    expr.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.submit(); }
    });
  }

  function graph() {
    var svg = document.getElementById("graph");
    var dataEl = document.getElementById("graph-data");
    if (!svg || !dataEl) return;
    var data = JSON.parse(dataEl.textContent);
    var hover = document.getElementById("hover");
    var cursor = document.getElementById("cursor");
    var start = +svg.getAttribute("data-start"), end = +svg.getAttribute("data-end");
    var left = +svg.getAttribute("data-left"), width = +svg.getAttribute("data-width");
    var legend = document.querySelectorAll("#legend li");
    var names = Array.prototype.map.call(legend, function (li) { return li.querySelector("code").textContent; });
    svg.addEventListener("mousemove", function (ev) {
      var box = svg.getBoundingClientRect();
      var x = (ev.clientX - box.left) / box.width * svg.viewBox.baseVal.width;
      var t = start + (x - left) / width * (end - start);
      if (t < start || t > end) { hover.hidden = true; return; }
      var lines = [];
      data.forEach(function (pts, i) {
        if (legend[i] && legend[i].classList.contains("off")) return;
        var best = null;
        pts.forEach(function (p) { if (best === null || Math.abs(p[0] - t) < Math.abs(best[0] - t)) best = p; });
        if (best && best[1] !== null) lines.push({ t: best[0], v: best[1], name: names[i] || "" });
      });
      if (!lines.length) { hover.hidden = true; return; }
      hover.textContent = "";
      var head = document.createElement("div");
      head.textContent = new Date(lines[0].t).toISOString();
      hover.appendChild(head);
      lines.slice(0, 12).forEach(function (l) {
        var d = document.createElement("div");
        d.textContent = l.name + ": " + l.v;
        hover.appendChild(d);
      });
      hover.hidden = false;
      cursor.setAttribute("x1", x); cursor.setAttribute("x2", x);
    });
    svg.addEventListener("mouseleave", function () { hover.hidden = true; });
    Array.prototype.forEach.call(legend, function (li) {
      li.querySelector("button").addEventListener("click", function () {
        var i = li.getAttribute("data-series");
        li.classList.toggle("off");
        var path = svg.querySelector('path[data-series="' + i + '"]');
        if (path) path.classList.toggle("hidden");
      });
    });
  }

  history();
  graph();
})();
