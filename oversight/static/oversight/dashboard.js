/* Supervision dashboard charts (Apache ECharts, served locally). Data comes from the
   json_script element "dashboard-data"; every figure is also in the tables of the page. */
(function () {
  "use strict";

  var PALETTE = ["#b4232a", "#1f6feb", "#1a7f37", "#b26b00", "#7b3fa0", "#0f8a8a", "#66727f"];
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

  function byId(id) { return document.getElementById(id); }

  function make(id, option) {
    var el = byId(id);
    if (!el || typeof window.echarts === "undefined") { return null; }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    option.color = option.color || PALETTE;
    option.textStyle = { fontFamily: FONT };
    option.animation = false;
    chart.setOption(option);
    return chart;
  }

  function pie(id, items, valueKey) {
    var data = items.filter(function (d) { return d[valueKey] > 0; })
      .map(function (d) { return { name: d.label, value: d[valueKey] }; });
    var el = byId(id);
    if (!data.length) {
      if (el) { el.classList.add("empty"); el.style.height = "0"; }
      return null;
    }
    return make(id, {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["38%", "66%"], center: ["50%", "44%"], data: data,
                 label: { formatter: "{b}\n{c}" }, avoidLabelOverlap: true }]
    });
  }

  function init() {
    var source = byId("dashboard-data");
    if (!source) { return; }
    var d = JSON.parse(source.textContent);
    var L = d.labels;
    var charts = [];

    // Drill-down on click: the list behind a bar or slice, with the page's filters.
    function go(figure, params) {
      var query = params.month
        ? "from=" + params.month + "&to=" + params.month + (d.street ? "&street=" + encodeURIComponent(d.street) : "")
        : d.filter_qs;
      if (params.key) { query += "&key=" + encodeURIComponent(params.key); }
      window.location.href = d.drill[figure] + "?" + query;
    }
    function onClick(chart, handler) {
      if (chart) { chart.on("click", handler); }
      return chart;
    }

    var appFigures = ["received", "approved", "refused"];
    charts.push(onClick(make("chart-applications", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 34, bottom: 28 },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: L.received, type: "bar", data: d.applications.map(function (m) { return m.received; }) },
        { name: L.approved, type: "bar", data: d.applications.map(function (m) { return m.approved; }) },
        { name: L.refused, type: "bar", data: d.applications.map(function (m) { return m.refused; }) }
      ]
    }), function (p) { go(appFigures[p.seriesIndex], { month: d.months[p.dataIndex] }); }));

    charts.push(onClick(make("chart-spending", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return "¥" + Number(v).toLocaleString("zh-CN"); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 64, right: 16, top: 34, bottom: 28 },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", name: L.yuan },
      series: d.spending_tiers.map(function (t) {
        return { name: t.label, type: "bar", stack: "spending",
                 data: d.spending.map(function (m) { return m.by_tier[t.key] || 0; }) };
      })
    }), function (p) {
      go("spending", { month: d.months[p.dataIndex], key: d.spending_tiers[p.seriesIndex].key });
    }));

    charts.push(onClick(pie("chart-caseload", d.caseload, "households"), function (p) {
      go("caseload", { key: d.caseload.filter(function (t) { return t.label === p.name; })[0].tier });
    }));

    var streets = d.streets.slice(0, 30);
    var streetChart = byId("chart-streets");
    if (streetChart && streets.length > 8) { streetChart.style.height = (90 + streets.length * 24) + "px"; }
    if (streets.length) {
      charts.push(make("chart-streets", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, type: "scroll" },
        grid: { left: 110, right: 20, top: 34, bottom: 20 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: streets.map(function (s) { return s.name; }), inverse: true },
        series: d.tiers.map(function (t) {
          return { name: t.label, type: "bar", stack: "households",
                   data: streets.map(function (s) { return s.by_tier[t.key] || 0; }) };
        })
      }));
    }

    charts.push(onClick(make("chart-overdue", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 130, right: 24, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: d.overdue.map(function (s) { return s.label; }) },
      series: [{ type: "bar", data: d.overdue.map(function (s) { return s.count; }),
                 itemStyle: { color: "#c62828" }, label: { show: true, position: "right" } }]
    }), function (p) { go("overdue", { key: d.overdue[p.dataIndex].step }); }));

    charts.push(onClick(pie("chart-reviews", d.reviews, "count"), function (p) {
      go("reviewed", { key: d.reviews.filter(function (o) { return o.label === p.name; })[0].outcome });
    }));
    charts.push(onClick(pie("chart-handoffs", d.handoffs, "count"), function (p) {
      go("handoffs", { key: d.handoffs.filter(function (h) { return h.label === p.name; })[0].status });
    }));

    window.addEventListener("resize", function () {
      charts.forEach(function (c) { if (c) { c.resize(); } });
    });
  }

  function bindPrint() {
    var button = byId("print-dashboard");
    if (button) { button.addEventListener("click", function () { window.print(); }); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); bindPrint(); });
  } else {
    init();
    bindPrint();
  }
}());
