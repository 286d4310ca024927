/* Seller insights: draws the three charts with Chart.js (static/vendor/chart.umd.min.js) from the JSON the page
   embeds in #insights-data. The page shows the same numbers in tables, so without this script nothing is lost. */
(function () {
  "use strict";

  const source = document.getElementById("insights-data");
  if (!source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const locale = document.documentElement.lang || "en";
  const money = new Intl.NumberFormat(locale, { style: "currency", currency: data.currency });
  const whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

  // Colours that keep WCAG AA contrast on white; series also differ by pattern (dashes) and legend text.
  const BRAND = "#2f5d46";
  const ACCENT = "#b35c00";
  const GREY = "#51605a";

  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.color = "#1d2a22";
  window.Chart.defaults.maintainAspectRatio = false;
  window.Chart.defaults.animation = false; // figures, not a show; also steadier for screenshots and tests

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    canvas.closest(".insights-chart__canvas").hidden = false;
    return new window.Chart(canvas, config);
  }

  function axis(title, format) {
    return {
      beginAtZero: true,
      title: { display: true, text: title },
      ticks: format ? { callback: (value) => format.format(value) } : { precision: 0 },
    };
  }

  const revenue = data.revenue;
  draw("chart-revenue", {
    type: "bar",
    data: {
      labels: revenue.labels,
      datasets: [
        { label: revenue.series.chat.label, data: revenue.series.chat.values, backgroundColor: BRAND, stack: "now" },
        { label: revenue.series.other.label, data: revenue.series.other.values, backgroundColor: "#a9c3b3",
          stack: "now" },
        { type: "line", label: revenue.series.previous.label, data: revenue.series.previous.values,
          borderColor: ACCENT, backgroundColor: ACCENT, borderDash: [6, 4], borderWidth: 2, pointRadius: 2,
          stack: "previous" },
      ],
    },
    options: {
      scales: { x: { stacked: true }, y: { ...axis(revenue.axis, money), stacked: true } },
      plugins: {
        title: { display: true, text: revenue.title },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${money.format(item.parsed.y)}` } },
      },
    },
  });

  const funnel = data.funnel;
  draw("chart-funnel", {
    type: "bar",
    data: {
      labels: funnel.labels,
      datasets: [
        { label: funnel.series.current.label, data: funnel.series.current.values, backgroundColor: BRAND },
        { label: funnel.series.previous.label, data: funnel.series.previous.values, backgroundColor: "#fff",
          borderColor: GREY, borderWidth: 2, borderDash: [4, 3] },
      ],
    },
    options: {
      scales: { y: axis(funnel.axis) },
      plugins: {
        title: { display: true, text: funnel.title },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${whole.format(item.parsed.y)}` } },
      },
    },
  });

  const responses = data.responses;
  draw("chart-responses", {
    type: "bar",
    data: {
      labels: responses.labels,
      datasets: [
        { label: responses.series.bot.label, data: responses.series.bot.values, backgroundColor: ACCENT },
        { label: responses.series.seller.label, data: responses.series.seller.values, backgroundColor: BRAND },
      ],
    },
    options: {
      scales: { y: axis(responses.axis) },
      plugins: { title: { display: true, text: responses.title } },
    },
  });
})();
