// The dashboard: a thin page over the JSON API. On every server-sent "tick" it refetches what it
// shows; charts are uPlot (from its webjar), the rest is plain DOM.
"use strict";

const state = { prompts: [], sortKey: "latest_entropy", sortDesc: true, search: "", selected: null, charts: {} };

const fmt = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x)) ? "-" : Number(x).toFixed(d);
const pct = x => (x === null || x === undefined || Number.isNaN(x)) ? "-" : (100 * x).toFixed(1) + "%";

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + " answered " + r.status);
  return r.json();
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// one uPlot per container, recreated only when its series change
function plot(id, series, data, opts = {}) {
  const box = document.getElementById(id);
  const key = series.map(s => s.label).join("|");
  let c = state.charts[id];
  if (!c || c.key !== key) {
    if (c) c.chart.destroy();
    const width = Math.max(300, box.clientWidth || 420);
    const chart = new uPlot(Object.assign({
      width, height: 220,
      scales: { x: { time: false } },
      series: [{ label: opts.xLabel || "version" }].concat(series),
      // versions, steps and visits are whole numbers
      axes: [{ label: opts.xLabel || "version", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, {}],
      legend: { live: false },
    }, opts.uplot || {}), data, box);
    c = state.charts[id] = { chart, key };
  } else {
    c.chart.setData(data);
  }
  box.dataset.points = data[0].length;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
const line = (label, i, scale) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, scale: scale || "y" });

function renderVersions(versions) {
  const xs = versions.map(v => v.policy_version);
  plot("chart-versions", [line("mean reward", 0), line("mean SE", 1), line("mean scale", 2), line("zero-advantage", 3)],
    [xs, versions.map(v => v.accuracy), versions.map(v => v.mean_entropy), versions.map(v => v.mean_scale),
      versions.map(v => v.zero_advantage_fraction)]);
  renderHeatmap(versions);
  const last = versions[versions.length - 1];
  if (last) {
    document.getElementById("newest-reward").textContent = fmt(last.accuracy);
    document.getElementById("newest-entropy").textContent = fmt(last.mean_entropy);
  }
}

// a histogram per version as a heatmap: uPlot draws the axes, a draw hook the cells; edges(b) gives bin b's
// [low, high) on the y axis (even tenths of [0, 1] unless told)
function heatmap(id, label, xs, histograms, rgb, edges, yRange) {
  const shares = histograms.map(h => {
    const n = h.reduce((a, b) => a + b, 0) || 1;
    return h.map(c => c / n);
  });
  const bins = histograms.length ? histograms[0].length : 10;
  const draw = u => {
    const ctx = u.ctx;
    const data = u._heat || [];
    ctx.save();
    for (let i = 0; i < data.length; i++) {
      const x0 = u.valToPos(xs[i] - 0.5, "x", true), x1 = u.valToPos(xs[i] + 0.5, "x", true);
      for (let b = 0; b < bins; b++) {
        const [low, high] = edges ? edges(b, bins) : [b / bins, (b + 1) / bins];
        const y0 = u.valToPos(low, "y", true), y1 = u.valToPos(high, "y", true);
        ctx.fillStyle = "rgba(" + rgb + "," + data[i][b].toFixed(3) + ")";
        ctx.fillRect(x0, y1, Math.max(1, x1 - x0), y0 - y1);
      }
    }
    ctx.restore();
  };
  plot(id, [{ label, show: false }], [xs, xs.map(() => null)], {
    uplot: { scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] }, y: { range: yRange || [0, 1] } },
      hooks: { draw: [draw] } }
  });
  const c = state.charts[id].chart;
  c._heat = shares;
  c.redraw(false);
}

// tool calls (docs/tools.md): shown once some version's answers called a tool
function renderTools(versions) {
  const used = versions.filter(v => v.tool_calls_per_answer > 0);
  document.getElementById("tools").hidden = used.length === 0;
  if (!used.length) return;
  plot("chart-tools", [line("answers with a call", 0), line("calls per answer", 1), line("failed calls", 2)],
    [versions.map(v => v.policy_version), versions.map(v => v.tool_answer_share),
      versions.map(v => v.tool_calls_per_answer), versions.map(v => v.tool_failure_rate)]);
  // calls are timed in whole milliseconds: the calculator's round to 0
  const latency = used[used.length - 1].tool_latency_ms_mean;
  document.getElementById("tool-latency").textContent = latency < 1 ? "under 1 ms" : fmt(latency, 0) + " ms";
}

// SE / ln G of every version's groups
function renderHeatmap(versions) {
  heatmap("chart-se-heatmap", "SE / ln G", versions.map(v => v.policy_version),
    versions.map(v => v.entropy_histogram), "214, 39, 40");
}

// where sampling goes: the pass rates of each version's groups, the wasted share, the dispatcher's reasons
function renderSampling(versions, pipeline) {
  renderTools(versions);
  // bins: exactly 0 (a band below the axis' 0), eight of (0, 1) at their true pass rates, exactly 1 (above 1)
  const band = 1 / 16;
  const passEdges = (b, bins) => b === 0 ? [-band, 0] : b === bins - 1 ? [1, 1 + band]
    : [(b - 1) / (bins - 2), b / (bins - 2)];
  heatmap("chart-pass-heatmap", "pass rate", versions.map(v => v.policy_version),
    versions.map(v => v.pass_rate_histogram), "31, 119, 180", passEdges, [-band, 1 + band]);
  const groups = versions.reduce((a, v) => a + v.groups, 0);
  const zero = versions.reduce((a, v) => a + v.zero_advantage_fraction * v.groups, 0);
  const recent = versions.slice(-5);
  const rGroups = recent.reduce((a, v) => a + v.groups, 0);
  const rZero = recent.reduce((a, v) => a + v.zero_advantage_fraction * v.groups, 0);
  document.getElementById("wasted-share").textContent = groups
    ? pct(zero / groups) + " of " + groups + " groups (last 5 versions: " + pct(rGroups ? rZero / rGroups : 0) + ")"
    : "-";
  const d = pipeline.sources.find(s => s.source.startsWith("dispatcher-"));
  const reasons = d ? Object.entries(d.values).filter(([k]) => k.startsWith("selection.")) : [];
  const released = reasons.reduce((a, [, x]) => a + x, 0);
  document.getElementById("selection-reasons").textContent = released
    ? reasons.map(([k, x]) => k.substring("selection.".length) + " " + pct(x / released)).join(", ")
      + " of " + released + " released; " + fmt(d.values.replaced_groups_total, 0) + " groups replaced, "
      + fmt(d.values.retired_prompts, 0) + " prompts retired"
    : "no dispatcher metrics yet";
}

function renderEval(evals) {
  const benchmarks = [...new Set(evals.map(e => e.benchmark))].sort();
  const xs = [...new Set(evals.map(e => e.policy_version))].sort((a, b) => a - b);
  const at = (b, x) => evals.find(e => e.benchmark === b && e.policy_version === x);
  // per benchmark: greedy accuracy, its 95% interval, and step-verified accuracy (answers whose every step is true)
  const series = [];
  const data = [xs];
  benchmarks.forEach((b, i) => {
    series.push(line(b, i), line(b + " 95% low", i), line(b + " 95% high", i), line(b + " step-verified", i + 3));
    const keys = ["accuracy", "accuracy_low", "accuracy_high", "step_verified"];
    // rounds that drew k samples per problem (dispatch.eval.samples) also show mean@k, as points
    if (evals.some(e => e.benchmark === b && e.mean_at_k !== undefined)) {
      const k = evals.find(e => e.benchmark === b && e.k !== undefined).k;
      series.push(Object.assign(line(b + " mean@" + k, i + 5), { points: { show: true, size: 6 } }));
      keys.push("mean_at_k");
    }
    for (const k of keys) {
      data.push(xs.map(x => { const e = at(b, x); return e && e[k] !== undefined ? e[k] : null; }));
    }
  });
  series.forEach(s => { if (/95% (low|high)$/.test(s.label)) { s.dash = [4, 4]; s.width = 1; } });
  plot("chart-eval", series.length ? series : [line("no evaluation yet", 0)], series.length ? data : [[], []]);
  const last = evals.filter(e => e.policy_version === xs[xs.length - 1]);
  document.getElementById("newest-eval").textContent = last.length ? last.map(e => {
    let t = e.benchmark + " " + pct(e.accuracy);
    if (e.accuracy_low !== undefined) t += " [" + pct(e.accuracy_low) + "-" + pct(e.accuracy_high) + "]";
    if (e.step_verified !== undefined) t += ", verified " + pct(e.step_verified);
    t += " @v" + e.policy_version;
    if (e.change) t += ", " + (e.change.mean >= 0 ? "+" : "") + (100 * e.change.mean).toFixed(1) + " pts ["
      + (100 * e.change.low).toFixed(1) + ", " + (100 * e.change.high).toFixed(1) + "] since v" + e.change.since_version;
    if (e.modes) t += ", modes " + Object.entries(e.modes).sort((a, b) => b[1] - a[1])
      .map(([m, v]) => m + " " + pct(v)).join(" ");
    const s = evals.filter(x => x.benchmark === e.benchmark && x.mean_at_k !== undefined).pop();
    if (s) t += "; with " + s.k + " samples @v" + s.policy_version + ": mean@" + s.k + " " + pct(s.mean_at_k)
      + ", pass@" + s.k + " " + pct(s.pass_at_k) + ", majority " + pct(s.majority_at_k);
    return t;
  }).join("; ") : "-";
  renderEvalLevels(last);
}

function renderEvalLevels(last) {
  const table = document.getElementById("eval-levels");
  if (!table) return;
  const rows = [];
  for (const e of last) {
    for (const l of (e.levels || [])) {
      rows.push("<tr><td>" + e.benchmark + "</td><td>" + l.level + "</td><td>" + l.problems + "</td><td>"
        + pct(l.accuracy) + " [" + pct(l.accuracy_low) + "-" + pct(l.accuracy_high) + "]</td><td>"
        + pct(l.step_verified) + "</td></tr>");
    }
  }
  table.querySelector("tbody").innerHTML = rows.join("");
}

function renderTrainer(steps) {
  const xs = steps.map(s => s.step);
  const v = k => steps.map(s => s.values[k] === undefined ? null : s.values[k]);
  const axes2 = { uplot: { axes: [{ label: "step", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
    { scale: "y" }, { scale: "y2", side: 1, grid: { show: false } }],
    scales: { x: { time: false }, y2: {} } }, xLabel: "step" };
  plot("chart-loss", [line("loss", 0), line("approx KL", 1, "y2")], [xs, v("loss"), v("approx_kl")], axes2);
  plot("chart-clip", [line("clip fraction", 2), line("grad norm", 3, "y2")], [xs, v("clip_fraction"), v("grad_norm")], axes2);
  plot("chart-wait", [line("wait fraction", 4), line("mean staleness", 5, "y2")],
    [xs, v("wait_fraction"), v("mean_staleness")], axes2);
  const last = steps[steps.length - 1];
  if (last) {
    document.getElementById("newest-version").textContent = last.step;
    document.getElementById("newest-wait").textContent = pct(last.values.wait_fraction);
    const h = last.histograms["staleness_0_to_eta_then_rejected"] || [];
    document.getElementById("staleness-histogram").textContent = h.join(" / ");
    document.getElementById("rejected-stale").textContent = fmt(last.values.rejected_stale_groups_total, 0);
  }
}

function renderPipeline(p) {
  const body = document.querySelector("#sources tbody");
  body.replaceChildren(...p.sources.map(s => {
    const tr = el("tr");
    const v = s.values;
    [s.source, s.policy_version, fmt(v.groups_per_second, 2), fmt(v.tokens_per_second, 0), pct(v.busy_fraction),
      pct(v.batch_fill), fmt(v.requests_waiting, 0), fmt(v.version_lag, 0), pct(v.wait_fraction)]
      .forEach((x, i) => tr.append(el("td", String(x), i ? "num" : "")));
    return tr;
  }));
  const t = p.topology;
  document.getElementById("topology-counters").textContent = "Scoring topology (this instance): "
    + Object.entries(t).map(([k, x]) => k.replaceAll("_", " ") + " " + x).join(", ");
  const lag = p.consumer_lag;
  document.querySelector("#consumer-lag tbody").replaceChildren(...lag.groups.map(g => {
    const tr = el("tr");
    tr.append(el("td", g.group), el("td", g.topics.join(", ")), el("td", String(g.partitions), "num"),
      el("td", String(g.lag), "num"));
    return tr;
  }));
  document.getElementById("consumer-lag-note").textContent = (lag.measured_at
    ? "measured " + new Date(lag.measured_at).toLocaleTimeString() : "not measured yet")
    + (lag.error ? " (last attempt failed: " + lag.error + ")" : "");
  const dead = document.querySelector("#dead-letters tbody");
  dead.replaceChildren(...(p.dead_letters.length ? p.dead_letters.map(d => {
    const tr = el("tr");
    tr.append(el("td", d.stage), el("td", d.reason), el("td", String(d.count), "num"));
    return tr;
  }) : [(() => { const tr = el("tr"); const td = el("td", "none"); td.colSpan = 3; tr.append(td); return tr; })()]));
}

function renderPrompts() {
  const q = state.search.toLowerCase();
  const rows = state.prompts.filter(p => !q || p.prompt_id.toLowerCase().includes(q)
    || (p.problem || "").toLowerCase().includes(q));
  const k = state.sortKey;
  rows.sort((a, b) => {
    const x = a[k], y = b[k];
    const c = typeof x === "string" ? x.localeCompare(y) : x - y;
    return state.sortDesc ? -c : c;
  });
  const body = document.querySelector("#prompts tbody");
  body.replaceChildren(...rows.map(p => {
    const tr = el("tr");
    tr.dataset.prompt = p.prompt_id;
    if (p.prompt_id === state.selected) tr.className = "selected";
    const meanings = p.meanings.map(m => (m.correct ? "\u2713 " : "") + m.answer + " (" + fmt(m.probability, 2) + ")").join(", ");
    [p.prompt_id, fmt(p.latest_entropy), p.clusters, meanings, pct(p.pass_rate), p.visits, p.last_policy_version]
      .forEach((x, i) => tr.append(el("td", String(x), [1, 2, 4, 5, 6].includes(i) ? "num" : "")));
    tr.addEventListener("click", () => showPrompt(p.prompt_id));
    return tr;
  }));
  document.getElementById("prompt-count").textContent = rows.length + " of " + state.prompts.length + " prompts";
}

async function showPrompt(id) {
  state.selected = id;
  const p = await getJson("/api/prompts/" + encodeURIComponent(id));
  document.getElementById("prompt-detail").hidden = false;
  document.getElementById("detail-title").textContent = p.prompt_id + " (" + p.dataset + ")";
  document.getElementById("detail-problem").textContent = p.problem || "";
  const xs = p.history.map((h, i) => i + 1);
  plot("chart-prompt", [line("semantic entropy", 1), line("pass rate", 0)],
    [xs, p.history.map(h => h.entropy), p.history.map(h => h.answers ? h.correct / h.answers : null)],
    { xLabel: "visit" });
  renderPrompts();
}

async function refresh() {
  const [versions, evals, trainer, pipeline, prompts] = await Promise.all([
    getJson("/api/versions"), getJson("/api/eval"), getJson("/api/trainer?last=2000"), getJson("/api/pipeline"),
    getJson("/api/prompts?top=500")]);
  renderVersions(versions);
  renderEval(evals);
  renderTrainer(trainer);
  renderPipeline(pipeline);
  renderSampling(versions, pipeline);
  state.prompts = prompts;
  renderPrompts();
  document.body.dataset.refreshed = String(Date.now());
}

// "live" only once the page shows what the API has: a failed refresh says why, and the next tick retries
let busy = false;
function refreshAndSay() {
  if (busy) return;
  busy = true;
  const live = document.getElementById("live");
  refresh().then(() => { live.textContent = "live"; live.className = "on"; })
    .catch(e => { live.textContent = "API: " + e.message; live.className = "off"; })
    .finally(() => { busy = false; });
}

document.querySelectorAll("#prompts th[data-key]").forEach(th => th.addEventListener("click", () => {
  const k = th.dataset.key;
  state.sortDesc = state.sortKey === k ? !state.sortDesc : true;
  state.sortKey = k;
  document.querySelectorAll("#prompts th").forEach(h => h.classList.remove("sorted-asc", "sorted-desc"));
  th.classList.add(state.sortDesc ? "sorted-desc" : "sorted-asc");
  renderPrompts();
}));
document.getElementById("prompt-search").addEventListener("input", e => { state.search = e.target.value; renderPrompts(); });

const events = new EventSource("/api/events");
events.addEventListener("tick", refreshAndSay);
events.onerror = () => { const live = document.getElementById("live"); live.textContent = "reconnecting"; live.className = "off"; };
refreshAndSay();
