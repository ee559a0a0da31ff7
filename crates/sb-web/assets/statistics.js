// Call statistics charts (ui/statistics.rs): reads the page's JSON data block
// (#stats-data) and draws two stacked bar charts with the vendored uPlot: calls per
// day and calls per manager, each split into answered incoming, missed and outgoing.
// Loaded only by that page; no inline script (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  var KEYS = ["answered", "missed", "outgoing"];
  var COLORS = { answered: "#2f9e44", missed: "#e03131", outgoing: "#1c7ed6" };
  var INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

  function draw(box, labels, xLabel, set, short) {
    var n = set.x.length;
    if (!box || n === 0) return null;
    var xs = [];
    for (var i = 0; i < n; i++) xs.push(i);
    // Stacked bars: each series is drawn as the sum of itself and those below it,
    // the tallest first, so every lower part is painted over the one above.
    var sums = [];
    var acc = xs.map(function () { return 0; });
    KEYS.forEach(function (k) {
      acc = acc.map(function (v, j) { return v + (set[k][j] || 0); });
      sums.push(acc.slice());
    });
    var bars = uPlot.paths.bars({ size: [0.7, 56], gap: 2 });
    var series = [{
      label: xLabel,
      value: function (u, v) { return v == null ? "" : set.x[v]; }
    }];
    var data = [xs];
    [2, 1, 0].forEach(function (j) {
      var k = KEYS[j];
      series.push({
        label: labels[k],
        fill: COLORS[k],
        stroke: COLORS[k],
        width: 0,
        paths: bars,
        points: { show: false },
        // Without a hovered bar, the legend shows the period's sum.
        value: function (u, v, s, idx) {
          if (idx == null) return String(set[k].reduce(function (a, b) { return a + b; }, 0));
          return String(set[k][idx]);
        }
      });
      data.push(sums[j]);
    });
    function width() { return Math.max(240, box.clientWidth); }
    function xSplits(u) {
      var room = Math.max(1, Math.floor(u.bbox.width / (window.devicePixelRatio || 1) / 64));
      var step = Math.max(1, Math.ceil(n / room));
      return xs.filter(function (v) { return v % step === 0; });
    }
    var opts = {
      width: width(),
      height: 240,
      series: series,
      legend: { live: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: function () { return [-0.5, n - 0.5]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } }
      },
      axes: [
        {
          splits: xSplits,
          values: function (u, splits) {
            return splits.map(function (v) { return set.x[v] == null ? "" : short(set.x[v], v); });
          },
          grid: { show: false }
        },
        {
          incrs: INCRS,
          values: function (u, splits) { return splits.map(function (v) { return String(v); }); }
        }
      ]
    };
    var plot = new uPlot(opts, data, box);
    window.addEventListener("resize", function () {
      plot.setSize({ width: width(), height: 240 });
    });
    return plot;
  }

  function start() {
    var el = document.getElementById("stats-data");
    if (!el || typeof uPlot === "undefined") return;
    var data;
    try { data = JSON.parse(el.textContent); } catch (e) { return; }
    var lang = document.documentElement.lang || "en";
    var fmt = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", timeZone: "UTC" });
    var days = {
      x: data.days.x,
      answered: data.days.answered,
      missed: data.days.missed,
      outgoing: data.days.outgoing
    };
    draw(document.getElementById("chart-days"), data.labels, data.labels.day, days, function (label, i) {
      var iso = data.days.iso[i];
      var d = iso ? new Date(iso + "T00:00:00Z") : null;
      return d && !isNaN(d) ? fmt.format(d) : label;
    });
    draw(document.getElementById("chart-managers"), data.labels, data.labels.manager, data.managers, function (label) {
      return label.length > 14 ? label.slice(0, 13) + "…" : label;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
