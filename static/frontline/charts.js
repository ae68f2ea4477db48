/* Frontline charts: draws every <canvas data-chart="ID"> from the JSON in <script id="ID">.
 *
 * The server sends translated labels and plain numbers (verticals/charts.py); this file only
 * styles them. Chart.js comes from our own static files (static/vendor/chartjs), never a CDN.
 * Every chart's numbers are also in a <details> table next to it, downloadable as CSV.
 */
(function () {
  "use strict";

  var PALETTE = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626"];
  // Fonts that carry both Latin and CJK glyphs, so labels read in English and Chinese.
  var FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", ' +
    '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, -apple-system, ' +
    '"Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  var locale = document.documentElement.lang || "en";
  var numberFormat = new Intl.NumberFormat(locale);
  var percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });

  window.frontlineCharts = {};

  function withAlpha(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function styleDataset(ds, index, kind) {
    var color = PALETTE[index % PALETTE.length];
    var type = ds.type || kind;
    if (!ds.borderColor) ds.borderColor = color;
    if (!ds.backgroundColor) ds.backgroundColor = type === "line" ? withAlpha(color, 0.15) : withAlpha(color, 0.8);
    if (type === "line") {
      ds.cubicInterpolationMode = "monotone";
      ds.pointRadius = ds.pointRadius === undefined ? 2 : ds.pointRadius;
      ds.borderWidth = 2;
      ds.spanGaps = false;
    }
    return ds;
  }

  function build(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (ds, i) { return styleDataset(ds, i, spec.type); });
    var valueAxis = spec.horizontal ? "x" : "y";
    var categoryAxis = spec.horizontal ? "y" : "x";
    var dateLabels = spec.labels.length > 0 && /^\d{4}-\d{2}-\d{2}$/.test(spec.labels[0]);
    var scales = {};
    scales[categoryAxis] = {
      stacked: spec.stacked,
      title: { display: !!spec.xTitle, text: spec.xTitle },
      // Dates may skip (every other day still reads); names of verticals or stages never do.
      ticks: dateLabels ? { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 } : { autoSkip: false, maxRotation: 40 },
    };
    scales[valueAxis] = {
      stacked: spec.stacked,
      beginAtZero: true,
      title: { display: !!spec.yTitle, text: spec.yTitle },
      ticks: { precision: 0, callback: function (v) { return numberFormat.format(v); } },
    };
    if (spec.percentAxis) {
      scales[spec.percentAxis] = {
        position: "right",
        min: 0,
        max: 1,
        grid: { drawOnChartArea: false },
        ticks: { callback: function (v) { return percentFormat.format(v); } },
      };
    }
    var chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var v = ctx.raw;
                if (v === null || v === undefined) return ctx.dataset.label + ": —";
                var text = ctx.dataset.yAxisID && ctx.dataset.yAxisID === spec.percentAxis
                  ? percentFormat.format(v) : numberFormat.format(v);
                return ctx.dataset.label + ": " + text;
              },
            },
          },
        },
      },
    });
    window.frontlineCharts[canvas.id] = chart;
  }

  function csvCell(text) {
    text = text.replace(/\s+/g, " ").trim();
    // A cell starting with = + - @ would run as a formula in a spreadsheet (numbers are safe).
    if (/^[=+\-@]/.test(text) && isNaN(Number(text))) text = "'" + text;
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function downloadCsv(button) {
    var table = document.getElementById(button.dataset.csvFor);
    if (!table) return;
    var lines = Array.prototype.map.call(table.rows, function (row) {
      return Array.prototype.map.call(row.cells, function (cell) { return csvCell(cell.textContent); }).join(",");
    });
    // The BOM makes spreadsheet programs read the Chinese labels as UTF-8.
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = button.dataset.csvName || "chart.csv";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function init() {
    if (typeof Chart !== "undefined") {
      Chart.defaults.font.family = FONT_FAMILY;
      Chart.defaults.font.size = 12;
      Chart.defaults.color = "#334155";
      Chart.defaults.locale = locale;
    }
    document.querySelectorAll("canvas[data-chart]").forEach(build);
    document.querySelectorAll("[data-csv-for]").forEach(function (button) {
      button.addEventListener("click", function () { downloadCsv(button); });
    });
    document.documentElement.dataset.chartsReady = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
