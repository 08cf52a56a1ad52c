// parity report.html: builds the filterable matrix, the cell dialog and the speed finder from the page's
// model (parity.html.page_model).  Inlined into the page; no external resources.
"use strict";
(function () {
  const NUMBERS = new Map([["Infinity", Infinity], ["-Infinity", -Infinity], ["NaN", NaN]]);
  const M = JSON.parse(document.getElementById("model").textContent, (key, value) =>
    typeof value === "string" && NUMBERS.has(value) ? NUMBERS.get(value) : value);
  const RANK = { crashed: 5, failed: 4, passed: 3, xfailed: 2, skipped: 1 };
  const SYMBOL = { crashed: "CRASH", failed: "FAIL", passed: "ok", xfailed: "div", skipped: "skip" };
  const DIMENSIONS = ["backend", "device", "dtype", "check"];
  const selected = {};
  let search = "";
  let problemsOnly = false;

  // ------------------------------------------------------------ small helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  function formatExcess(x) {
    if (x === undefined || x === null) return "";
    if (!isFinite(x)) return "inf";
    if (x === 0) return "0";
    if (x < 0.01) return "<0.01";
    if (x < 10) return x.toFixed(2);
    return x < 1e4 ? x.toFixed(0) : x.toExponential(0);
  }
  function formatNumber(x, digits) {
    if (x === undefined || x === null) return "–";
    if (!isFinite(x)) return String(x);
    return x === 0 ? "0" : Number(x).toPrecision(digits);
  }
  function formatSeconds(s) {
    for (const [unit, scale] of [["s", 1], ["ms", 1e-3], ["µs", 1e-6]]) if (s >= scale) return (s / scale).toPrecision(3) + " " + unit;
    return (s / 1e-9).toPrecision(3) + " ns";
  }
  function formatRatio(r) {
    if (r < 0.1) return r.toPrecision(2) + "x";
    return r < 10 ? r.toFixed(2) + "x" : r.toFixed(0) + "x";
  }
  const unique = (values) => [...new Set(values)];
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  // ------------------------------------------------------------ filters
  function values(dimension) {
    if (dimension === "check") return unique(M.cells.map((c) => c.k));
    return unique(M.columns.map((c) => c[dimension]));
  }
  function buildFilters() {
    const box = document.getElementById("filters");
    for (const dimension of DIMENSIONS) {
      selected[dimension] = new Set(values(dimension));
      const set = el("fieldset", { "data-dimension": dimension }, el("legend", { text: dimension }));
      for (const value of selected[dimension]) {
        const input = el("input", { type: "checkbox", "data-filter": dimension, value: value });
        input.checked = true;
        input.addEventListener("change", () => {
          if (input.checked) selected[dimension].add(value); else selected[dimension].delete(value);
          render();
        });
        set.append(el("label", {}, input, " " + value));
      }
      box.append(set);
    }
    const find = el("input", { type: "search", placeholder: "entry…", "aria-label": "filter entries", id: "entry-filter" });
    find.addEventListener("input", () => { search = find.value.trim().toLowerCase(); render(); });
    const only = el("input", { type: "checkbox", id: "problems-only" });
    only.addEventListener("change", () => { problemsOnly = only.checked; render(); });
    box.append(find, el("label", {}, only, " only rows with a failure or crash"));
  }
  function columnShown(column) {
    return ["backend", "device", "dtype"].every((d) => selected[d].has(column[d]));
  }

  // ------------------------------------------------------------ aggregation
  function merge(cells) {
    const out = { s: "skipped", o: {}, why: [], d: [], f: 0, n: 0, v: 0, checks: cells };
    for (const c of cells) {
      if (RANK[c.s] > RANK[out.s]) out.s = c.s;
      for (const [k, n] of Object.entries(c.o)) out.o[k] = (out.o[k] || 0) + n;
      if (c.e !== undefined) out.e = out.e === undefined ? c.e : Math.max(out.e, c.e);
      if (c.u !== undefined) out.u = out.u === undefined ? c.u : Math.max(out.u, c.u);
      out.f += c.f || 0;
      out.n += c.n || 0;
      out.v = Math.max(out.v, c.v || 0);
      if (c.g && !out.g) out.g = c.g;
      out.why.push(...c.why.filter((w) => !out.why.includes(w)));
      out.d.push(...c.d);
    }
    return out;
  }
  function aggregate(table) {
    const groups = new Map();
    for (const c of M.cells) {
      if (c.t !== table.id || !selected.check.has(c.k) || !columnShown(M.columns[c.c])) continue;
      const key = c.r + "\u0000" + c.c;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(c);
    }
    const merged = new Map();
    for (const [key, cells] of groups) merged.set(key, merge(cells));
    return merged;
  }

  // ------------------------------------------------------------ rendering
  function cellText(agg) {
    const parts = [SYMBOL[agg.s] || agg.s];
    if (agg.s === "failed" && agg.g) parts.push(agg.g);  // a failure that is not a size: NaN, inf, ±0, xpass, …
    else if ((agg.s === "passed" || agg.s === "failed") && agg.e !== undefined) parts.push(formatExcess(agg.e));
    return parts.join(" ");
  }
  function cellNode(table, row, columnIndex, agg) {
    if (!agg) return el("td", { class: "cell missing", text: "" });
    const td = el("td", { class: "cell " + agg.s, text: cellText(agg) });
    if (agg.s === "passed" && agg.e !== undefined) {
      const t = Math.sqrt(Math.min(1, Math.max(0, agg.e)));
      td.style.background = `hsl(${140 - 100 * t}, 62%, ${92 - 14 * t}%)`;
    }
    const flag = agg.f ? "ftz" : agg.n ? "sub" : "";
    if (flag) td.append(el("span", { class: "flag", text: flag }));
    if (agg.v === 2) td.append(el("span", { class: "flag", text: "†" }));
    td.title = `${row} — ${M.columns[columnIndex].key}`;
    td.addEventListener("click", () => openDetail(row, M.columns[columnIndex], agg));
    return td;
  }
  function header(columns) {
    const machines = columns.some((c) => c.machine);
    const rows = [];
    const spans = (keyOf) => {
      const out = [];
      for (const c of columns) {
        const k = keyOf(c);
        if (out.length && out[out.length - 1].k === k) out[out.length - 1].n += 1; else out.push({ k: k, n: 1, c: c });
      }
      return out;
    };
    if (machines) {
      rows.push(el("tr", {}, el("th", { class: "row" }),
        ...spans((c) => c.machine).map((s) => el("th", { colspan: s.n, text: s.c.machine || "–" }))));
    }
    rows.push(el("tr", {}, el("th", { class: "row", text: "entry" }),
      ...spans((c) => c.machine + "\u0000" + c.backend).map((s) => el("th", { colspan: s.n, text: s.c.backend }))));
    rows.push(el("tr", { class: "sub" }, el("th", { class: "row" }),
      ...columns.map((c) => el("th", { text: `${c.device} ${c.dtype.replace("float", "f")}`, title: c.key }))));
    return el("thead", {}, ...rows);
  }
  function hiddenNotice(hidden, merged, rows) {
    if (!hidden.length) return null;
    const list = el("ul");
    for (const i of hidden) {
      const why = new Set();
      for (const row of rows) {
        const agg = merged.get(row + "\u0000" + i);
        if (agg) agg.why.forEach((w) => why.add(M.reasons[w]));
      }
      list.append(el("li", {}, el("b", { text: M.columns[i].key }), ": " + [...why].join("; ")));
    }
    return el("details", { class: "hidden-cols" },
      el("summary", { text: `${hidden.length} column(s) hidden: every check in them was skipped (why?)` }), list);
  }
  function renderTable(table) {
    const merged = aggregate(table);
    const present = unique([...merged.keys()].map((k) => Number(k.split("\u0000")[1]))).sort((a, b) => a - b);
    const hidden = present.filter((i) => table.rows.every((r) => {
      const agg = merged.get(r + "\u0000" + i);
      return !agg || agg.s === "skipped";
    }));
    const shown = present.filter((i) => !hidden.includes(i));
    const rows = table.rows.filter((row) => {
      if (search && !row.toLowerCase().includes(search)) return false;
      const aggs = present.map((i) => merged.get(row + "\u0000" + i)).filter(Boolean);
      if (!aggs.length) return false;
      return !problemsOnly || aggs.some((a) => a.s === "failed" || a.s === "crashed");
    });
    const box = el("section", { class: "tablebox", id: table.id });
    box.append(el("h2", {}, table.title,
      el("span", { class: "count", text: `${plural(rows.length, "row")} × ${plural(shown.length, "column")} shown` })));
    box.append(hiddenNotice(hidden, merged, table.rows) || "");
    if (!rows.length || !shown.length) {
      box.append(el("p", { class: "help", text: "Nothing to show under this filter." }));
      return box;
    }
    const body = el("tbody");
    for (const row of rows) {
      body.append(el("tr", {}, el("th", { class: "row", text: row }),
        ...shown.map((i) => cellNode(table, row, i, merged.get(row + "\u0000" + i)))));
    }
    box.append(el("div", { class: "scroll" },
      el("table", { class: "matrix", id: "table-" + table.id }, header(shown.map((i) => M.columns[i])), body)));
    return box;
  }
  function render() {
    const tables = document.getElementById("tables");
    tables.replaceChildren(...M.tables.map(renderTable));
  }

  // ------------------------------------------------------------ the cell dialog
  function openDetail(row, column, agg) {
    const body = document.getElementById("detail-body");
    const checks = el("table", { class: "small" }, el("tr", {}, ...["check", "outcome", "allowance used", "worst ULP", "flags"]
      .map((h) => el("th", { text: h }))));
    for (const c of agg.checks) {
      const outcomes = Object.entries(c.o).map(([k, n]) => `${n} ${k}`).join(", ");
      const flags = [c.f ? `${c.f} flushed to zero` : "", c.n ? `${c.n} subnormal(s) differ` : ""].filter(Boolean).join(", ");
      checks.append(el("tr", {}, el("td", { text: c.k }), el("td", { text: outcomes }),
        el("td", { class: "num", text: formatExcess(c.e) || "–" }), el("td", { class: "num", text: c.u === undefined ? "–" : formatNumber(c.u, 3) }),
        el("td", { text: flags })));
    }
    const records = agg.d.map((i) => M.details[i]).sort((a, b) => RANK[b.outcome] - RANK[a.outcome]);
    const items = records.map((d) => {
      const node = el("div", { class: "record" },
        el("span", { class: "badge " + d.outcome, text: SYMBOL[d.outcome] || d.outcome }), " ",
        el("b", { text: d.check }), d.variant ? " · " + d.variant : "");
      if (d.outcome === "passed" || d.outcome === "failed") {  // xfails and crashes measured nothing
        node.append(el("div", {}, el("small", { text: `used ${formatExcess(d.max_excess) || "–"} of the allowance · ` +
          `worst ULP ${formatNumber(d.max_ulp, 3)} · max abs ${formatNumber(d.max_abs, 3)} · max rel ${formatNumber(d.max_rel, 3)}` })));
      }
      if (d.flushed_to_zero || d.subnormals_differ) {
        node.append(el("div", { text: `subnormals: ${d.flushed_to_zero || 0} flushed to zero, ${d.subnormals_differ || 0} differ otherwise` }));
      }
      if (d.divergence) {
        const v = d.divergence;
        const holds = v.holds === true ? "holds on this machine" : v.holds === false ? "does not hold on this machine" : "unknown on this machine";
        node.append(el("div", { text: `declared divergence: ${v.reason || ""}` +
          (v.when ? ` — when ${v.when} (${holds})` : "") +
          ` — observed here: ${v.observed === "reference" ? "the reference's value" : "the divergent value"}` }));
      }
      if (d.message || d.reason) node.append(el("pre", { class: "message", text: d.message || d.reason }));
      node.append(el("div", {}, "reproduce: ", el("code", { class: "reproduce", text: d.reproduce })));
      node.append(el("div", {}, el("small", { text: d.nodeid })));
      return node;
    });
    const reasons = agg.why.length ? el("div", {}, el("h4", { text: "Reasons" }),
      el("ul", {}, ...agg.why.map((w) => el("li", { text: M.reasons[w] })))) : null;
    body.replaceChildren(el("h3", { text: `${row} — ${column.key}` }), checks, ...items, reasons || "");
    document.getElementById("detail").showModal();
  }

  // ------------------------------------------------------------ the speed finder
  function buildFinder() {
    if (!M.ladder.length) return;
    const controls = document.getElementById("finder-controls");
    const entries = unique(M.ladder.map((r) => r[0]));
    const entry = el("select", { id: "finder-entry", "aria-label": "entry" }, ...entries.map((e) => el("option", { value: e, text: e })));
    entry.value = entries.includes("matmul") ? "matmul" : entries[0];
    const dtype = el("select", { id: "finder-dtype", "aria-label": "dtype" });
    const size = el("select", { id: "finder-size", "aria-label": "size" });
    const refill = () => {
      const rows = M.ladder.filter((r) => r[0] === entry.value);
      const dtypes = unique(rows.map((r) => r[3])).sort();
      const keep = dtype.value;
      dtype.replaceChildren(...dtypes.map((d) => el("option", { value: d, text: d })));
      dtype.value = dtypes.includes(keep) ? keep : dtypes.includes("float32") ? "float32" : dtypes[0];
      const sizes = unique(rows.filter((r) => r[3] === dtype.value).map((r) => r[2])).sort((a, b) => a - b);
      size.replaceChildren(...sizes.map((s) => el("option", { value: s, text: `${rows[0][1]} = ${s.toLocaleString("en")}` })));
      size.value = String(sizes[sizes.length - 1]);
    };
    entry.addEventListener("change", () => { refill(); showFinder(entry.value, dtype.value, Number(size.value)); });
    dtype.addEventListener("change", () => { refill(); showFinder(entry.value, dtype.value, Number(size.value)); });
    size.addEventListener("change", () => showFinder(entry.value, dtype.value, Number(size.value)));
    controls.append(el("label", {}, "entry ", entry), el("label", {}, "dtype ", dtype), el("label", {}, "size ", size));
    refill();
    showFinder(entry.value, dtype.value, Number(size.value));
  }
  function showFinder(entry, dtype, size) {
    const rows = M.ladder.filter((r) => r[0] === entry && r[3] === dtype && r[2] === size).sort((a, b) => a[5] - b[5]);
    const peer = rows.find((r) => r[4] === M.peer);
    const slowest = Math.max(...rows.map((r) => r[5]));
    const table = el("table", { class: "small", id: "finder-table" },
      el("tr", {}, ...["", "backend/device", "median", "vs " + M.peer, ""].map((h) => el("th", { text: h }))));
    rows.forEach((r, i) => {
      const width = Math.max(2, Math.round(160 * Math.log10(1 + 9 * r[5] / slowest)));
      table.append(el("tr", {}, el("td", { class: "num", text: String(i + 1) }), el("td", {}, i === 0 ? el("b", { text: r[4] }) : r[4]),
        el("td", { class: "num", text: formatSeconds(r[5]) }),
        el("td", { class: "num", text: peer ? formatRatio(r[5] / peer[5]) : "–" }),
        el("td", {}, el("span", { class: "bar" + (r[4] === M.peer ? " peer" : ""), style: `width:${width}px` }))));
    });
    document.getElementById("finder-result").replaceChildren(table, timeChart(entry, dtype, size));
  }

  // ------------------------------------------------------------ time against size, log-log, as SVG
  const PALETTE = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#1b7c83", "#bf3989", "#6e7781", "#9a6700", "#0550ae"];
  function svg(tag, attrs, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function powersOfTen(lo, hi) {
    const out = [];
    for (let p = Math.ceil(Math.log10(lo) - 1e-9); p <= Math.floor(Math.log10(hi) + 1e-9); p++) out.push(p);
    return out;
  }
  function timeChart(entry, dtype, size) {
    const rows = M.ladder.filter((r) => r[0] === entry && r[3] === dtype);
    const lines = new Map();
    for (const r of rows) {
      if (!lines.has(r[4])) lines.set(r[4], []);
      lines.get(r[4]).push([r[2], r[5]]);
    }
    const W = 560, H = 220, left = 58, right = 150, top = 10, bottom = 36;
    const sizes = rows.map((r) => r[2]), times = rows.map((r) => r[5]);
    let [x0, x1] = [Math.min(...sizes), Math.max(...sizes)];
    if (x0 === x1) { x0 /= 2; x1 *= 2; }
    const [y0, y1] = [Math.min(...times) / 1.3, Math.max(...times) * 1.3];
    const X = (v) => left + (W - left - right) * (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0));
    const Y = (v) => H - bottom - (H - top - bottom) * (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0));
    const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: "finder-chart", role: "img",
      "aria-label": `median time against size for ${entry}, ${dtype}` });
    chart.append(svg("rect", { x: left, y: top, width: W - left - right, height: H - top - bottom, fill: "#fff", stroke: "#d1d9e0" }));
    for (const p of powersOfTen(y0, y1)) {
      const y = Y(10 ** p);
      chart.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#eef1f4" }));
      chart.append(svg("text", { x: left - 4, y: y + 4, "text-anchor": "end", "font-size": 10, fill: "#59636e" }, formatSeconds(10 ** p)));
    }
    for (const s of unique(sizes)) {
      chart.append(svg("text", { x: X(s), y: H - bottom + 13, "text-anchor": "middle", "font-size": 10, fill: "#59636e" },
        s >= 1e4 ? s.toExponential(0).replace("+", "") : String(s)));
    }
    chart.append(svg("text", { x: left + (W - left - right) / 2, y: H - 4, "text-anchor": "middle", "font-size": 11, fill: "#59636e" },
      `${rows.length ? rows[0][1] : "size"} (log) — median time (log)`));
    chart.append(svg("line", { x1: X(size), x2: X(size), y1: top, y2: H - bottom, stroke: "#8c959f", "stroke-dasharray": "3 3" }));
    [...lines.keys()].sort().forEach((label, i) => {
      const points = lines.get(label).sort((a, b) => a[0] - b[0]);
      const colour = label === M.peer ? "#24292f" : PALETTE[i % PALETTE.length];
      chart.append(svg("polyline", { points: points.map(([s, t]) => `${X(s)},${Y(t)}`).join(" "), fill: "none",
        stroke: colour, "stroke-width": label === M.peer ? 2.5 : 1.5 }));
      for (const [s, t] of points) chart.append(svg("circle", { cx: X(s), cy: Y(t), r: 2.5, fill: colour }));
      chart.append(svg("text", { x: W - right + 8, y: top + 10 + 13 * i, "font-size": 11, fill: colour }, label));
    });
    return chart;
  }

  buildFilters();
  render();
  buildFinder();
})();
