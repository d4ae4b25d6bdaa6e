// Monitoring dashboard: fetches aggregates as JSON and draws small SVG charts. No libraries, no CDN.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f6fb2", "#c0392b", "#2a9d5b", "#7a4fb2", "#d68910", "#16a085", "#555", "#e84393"];
  const W = 560, H = 220, M = { l: 50, r: 10, t: 10, b: 40 };
  const $ = (id) => document.getElementById(id);

  function el(name, attrs, parent, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) { return v >= 1000 ? (v / 1000).toFixed(1) + "k" : (Math.round(v * 100) / 100).toString(); }
  function frame(svg, maxY) {
    svg.innerHTML = "";
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const y = (v) => H - M.b - (maxY > 0 ? v / maxY : 0) * (H - M.t - M.b);
    el("line", { x1: M.l, y1: H - M.b, x2: W - M.r, y2: H - M.b, stroke: "#888" }, svg);
    for (const f of [0, 0.5, 1]) el("text", { x: 4, y: y(maxY * f) + 4, "font-size": 10 }, svg, fmt(maxY * f));
    return y;
  }
  function empty(svg, text) { frame(svg, 0); el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, svg, text || "no data"); }
  function legend(svg, names) {
    names.forEach((n, i) => {
      el("rect", { x: M.l + i * 105, y: H - 14, width: 8, height: 8, fill: COLORS[i % COLORS.length] }, svg);
      el("text", { x: M.l + 12 + i * 105, y: H - 6, "font-size": 9 }, svg, n.slice(0, 18));
    });
  }
  function lines(svg, series, xs, opts) {
    // series: {name: [{x, y, hollow}]}
    const names = Object.keys(series);
    const all = names.flatMap((n) => series[n].map((p) => p.y)).filter((v) => v !== null);
    if (!all.length) return empty(svg);
    const y = frame(svg, Math.max(...all) || 1);
    const x = (v) => M.l + (xs.length > 1 ? xs.indexOf(v) / (xs.length - 1) : 0.5) * (W - M.l - M.r);
    names.forEach((n, i) => {
      const pts = series[n].filter((p) => p.y !== null);
      const c = COLORS[i % COLORS.length];
      el("path", { d: pts.map((p, j) => (j ? "L" : "M") + x(p.x) + "," + y(p.y)).join(" "), fill: "none", stroke: c, class: "mark" }, svg);
      for (const p of pts) {
        const dot = el("circle", { cx: x(p.x), cy: y(p.y), r: p.hollow ? 4 : 2.5, fill: p.hollow ? "white" : c, stroke: c, class: "mark" }, svg);
        el("title", {}, dot, `${n} ${p.x}: ${fmt(p.y)}${p.hollow ? " (estimate)" : ""}`);
      }
    });
    el("text", { x: M.l, y: H - M.b + 14, "font-size": 9 }, svg, xs[0]);
    el("text", { x: W - M.r, y: H - M.b + 14, "font-size": 9, "text-anchor": "end" }, svg, xs[xs.length - 1]);
    if (!opts || !opts.noLegend) legend(svg, names);
  }
  function bars(svg, labels, groups) {
    // groups: [{name, values[]}], drawn side by side per label
    const all = groups.flatMap((g) => g.values);
    if (!labels.length || !all.some((v) => v > 0)) return empty(svg);
    const y = frame(svg, Math.max(...all));
    const slot = (W - M.l - M.r) / labels.length, bw = slot * 0.8 / groups.length;
    labels.forEach((lab, i) => {
      groups.forEach((g, j) => {
        const v = g.values[i] || 0, x0 = M.l + i * slot + slot * 0.1 + j * bw;
        const r = el("rect", { x: x0, y: y(v), width: Math.max(bw - 1, 1), height: H - M.b - y(v), fill: COLORS[j % COLORS.length], class: "mark" }, svg);
        el("title", {}, r, `${lab} ${g.name}: ${fmt(v)}`);
      });
      el("text", { x: M.l + i * slot + slot / 2, y: H - M.b + 12, "font-size": 9, "text-anchor": "middle" }, svg, String(lab).slice(0, 16));
    });
    if (groups.length > 1) legend(svg, groups.map((g) => g.name));
  }

  function query() {
    const p = new URLSearchParams();
    for (const k of ["start", "end", "hub", "freq"]) { const v = $("f-" + k).value; if (v) p.set(k, v); }
    return p;
  }
  function draw(d) {
    const metric = $("f-metric").value;
    const periods = [...new Set(d.series.map((r) => r.period))].sort();
    const byHub = {};
    for (const r of d.series) (byHub[r.hub] = byHub[r.hub] || []).push({ x: r.period, y: r[metric] });
    lines($("chart-timeseries"), byHub, periods);
    const hubs = d.totals.map((r) => r.hub);
    const prev = Object.fromEntries(d.previous_totals.map((r) => [r.hub, r[metric] || 0]));
    bars($("chart-comparison"), hubs, [
      { name: "previous", values: hubs.map((h) => prev[h] || 0) },
      { name: "this period", values: d.totals.map((r) => r[metric] || 0) },
    ]);
    const classes = [...new Set(d.sizes.map((r) => r.size_class))];
    bars($("chart-sizes"), classes, [{ name: "seizures", values: classes.map((c) => d.sizes.filter((r) => r.size_class === c).reduce((a, r) => a + r.count, 0)) }]);
    const modi = [...new Set(d.modus.map((r) => r.modus_operandi))];
    bars($("chart-modus"), modi, [{ name: "seizures", values: modi.map((m) => d.modus.filter((r) => r.modus_operandi === m).reduce((a, r) => a + r.count, 0)) }]);
    bars($("chart-budget"), d.budget.map((r) => r.hub), [
      { name: "plan budget", values: d.budget.map((r) => r.plan_budget_eur_m) },
      { name: "spent", values: d.budget.map((r) => r.spent_eur_m) },
    ]);
    const years = [...new Set(d.public.map((r) => r.year))].sort();
    const ports = {};
    for (const r of d.public) (ports[r.port] = ports[r.port] || []).push({ x: r.year, y: r.kg / 1000, hollow: r.estimate });
    lines($("chart-public"), ports, years);
    const sig = $("chart-signals");
    if (!d.signals.length) empty(sig, "no waterbed signals"); else bars(sig, d.signals.map((s) => s.source_hub + "→" + s.target_hub),
      [{ name: "observed/expected", values: d.signals.map((s) => s.excess_ratio) }]);
    const box = $("mon-signals");
    box.innerHTML = "";
    for (const s of d.signals) { const div = document.createElement("div"); div.className = "mon-signal"; div.textContent = s.explanation; box.appendChild(div); }
    if (!d.signals.length) box.textContent = "No displacement flagged in or just before this period.";
    const tbody = $("mon-public").querySelector("tbody");
    tbody.innerHTML = "";
    for (const r of d.public) {
      const tr = document.createElement("tr");
      if (r.estimate) tr.className = "estimate";
      for (const v of [r.port, r.year, (r.estimate ? "~" : "") + Math.round(r.kg) + (r.estimate ? " (estimate)" : ""), r.confidence, r.basis, r.source]) {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }
  async function load() {
    $("mon-status").textContent = "loading…";
    const res = await fetch("/api/v1/monitoring/overview?" + query(), { credentials: "same-origin", headers: { "X-CSRF-Token": window.MAINPORT_CSRF } });
    if (!res.ok) { $("mon-status").textContent = "could not load (" + res.status + ")"; return; }
    const d = await res.json();
    // Show the defaults the server chose, but never overwrite what the user typed meanwhile.
    if (!$("f-start").value) $("f-start").value = d.filters.start;
    if (!$("f-end").value) $("f-end").value = d.filters.end;
    draw(d);
    $("mon-status").textContent = `${d.filters.start} to ${d.filters.end} · ${d.filters.hubs.length} hub(s)`;
  }
  document.querySelectorAll(".mon-card").forEach((card) => {
    card.querySelectorAll("[data-export]").forEach((a) => a.addEventListener("click", (ev) => {
      ev.preventDefault();
      const chart = card.dataset.chart, p = query();
      const csvName = { timeseries: "series", comparison: "totals" }[chart] || chart;
      p.set("metric", $("f-metric").value);
      window.location = a.dataset.export === "png" ? `/api/v1/monitoring/charts/${chart}.png?${p}` : `/api/v1/monitoring/export/${csvName}.csv?${p}`;
    }));
  });
  const det = $("export-seizures");
  if (det) det.addEventListener("click", (ev) => { ev.preventDefault(); window.location = "/api/v1/monitoring/export/seizures.csv?" + query(); });
  $("f-apply").addEventListener("click", load);
  $("f-metric").addEventListener("change", load);
  load();
})();
