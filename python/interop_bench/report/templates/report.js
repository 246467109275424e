// The report's interactive layer: one shared state (op, hidden strategies,
// highlighted strategy, one plot or one per family) applied to every figure,
// the ranking at a chosen payload size, and the code behind each strategy.
// Everything it shows comes from the JSON inlined in the page (page_data.py);
// it makes no request. Without JavaScript the static figures stay. The page
// runs this file, card.js, cells.js and start.js as one module.
const DATA = JSON.parse(document.getElementById("ib-data").textContent);
const SPECS = JSON.parse(document.getElementById("ib-specs").textContent);
// The figures open on the default view (page_data.py: the best of each family,
// the classic ctypes recipe and NumPy); "show all" brings back the rest.
const state = { op: DATA.ops[0] || "", hidden: defaultHidden(), hl: "", split: false };
const views = {};
const byName = Object.fromEntries(DATA.strategies.map((s) => [s.name, s]));

// -- numbers, in the units of the table (analysis/units.py) -------------
function short(value) {
  if (value === 0 || !isFinite(value)) return String(value);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  let text = value.toFixed(digits);
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return text;
}
function scaled(value, units, base) {
  for (const [unit, factor] of units) {
    if (Math.abs(value) >= factor) return short(value / factor) + " " + unit;
  }
  return (short(value) + " " + base).trim();
}
const fmtBytes = (b) => scaled(b, [["GB", 1e9], ["MB", 1e6], ["KB", 1e3]], "B");
const fmtTime = (ns) => scaled(ns, [["s", 1e9], ["ms", 1e6], ["µs", 1e3]], "ns");
const fmtRate = (bps) => short(bps / 1e9) + " GB/s";
const fmtRatio = (r) => short(r) + "×";
// What the tooltips, the ranking and the points' labels show, derived once.
for (const row of DATA.cells) {
  row.f = DATA.files[row.file];
  row.fam = byName[row.s].family;
  row.status = row.status || "ok";
  row.size_text = row.size_text || `${row.size.toLocaleString("en")} element${row.size === 1 ? "" : "s"}`;
  row.t_bytes = fmtBytes(row.bytes);
  if (!row.ok) continue;
  row.rate = row.bytes * 1e9 / row.med;
  if (row.hi) row.rate_lo = row.bytes * 1e9 / row.hi;
  if (row.lo) row.rate_hi = row.bytes * 1e9 / row.lo;
  row.t_med = fmtTime(row.med);
  row.t_ci = row.lo && row.hi ? `${fmtTime(row.lo)} – ${fmtTime(row.hi)}` : "";
  row.t_rate = fmtRate(row.rate);
  row.t_xk = row.xk == null ? "" : fmtRatio(row.xk);
  row.t_mem = row.mem == null ? "" : fmtRatio(row.mem);
  row.t_status = statusText(row);
  row.desc = `${row.s} ${row.op} ${row.t_bytes}`;
}
// Each stream cell's spectrum as the figure's points (stream_section.page_rows).
DATA.streams.points = DATA.streams.cells.flatMap((c) => c.sp.map((ns, i) => {
  const last = i === c.sp.length - 1;
  const q = last ? "max" : DATA.streams.spectrum[i][0];
  return { f: DATA.streams.files[c.file], s: c.s, key: c.key, d: c.d, ns, t: fmtTime(ns), q,
           x: last ? c.mx : DATA.streams.spectrum[i][1], desc: `${c.s} depth ${c.d} ${q}` };
}));
for (const row of DATA.floors) {
  row.t_bytes = fmtBytes(row.bytes);
  row.rate = row.bytes * 1e9 / row.med;
  row.t_med = fmtTime(row.med);
  row.t_rate = fmtRate(row.rate);
}
for (const row of DATA.phases) {
  row.f = DATA.files[row.file];
  row.t_bytes = fmtBytes(row.bytes);
  row.t_ns = fmtTime(row.ns);
  row.t_med = fmtTime(row.med);
}
function statusText(row) {
  const words = [`ok, ${row.n} process${row.n === 1 ? "" : "es"}`];
  if (row.fastest) words.push("the median of the fastest");
  const half = row.lo && row.hi ? (row.hi - row.lo) / 2 / row.med : null;
  if (half != null && half > DATA.verdict.wide_half_width) {
    words.push(`wide interval (±${Math.round(half * 100)}%)`);
  }
  if (row.basis) words.push(`interval from the ${row.basis} of one process`);
  return words.join("; ");
}

// Axis labels in those units (the bundle exposes Vega only through vegaEmbed).
const EMBED = { actions: false, renderer: "svg",
                expressionFunctions: { ibBytes: fmtBytes, ibTime: fmtTime, ibRate: fmtRate } };

// -- figures ------------------------------------------------------------
async function draw(figureId) {
  const target = document.getElementById("vl-" + figureId);
  const spec = structuredClone(SPECS[figureId][state.split ? "split" : "combined"]);
  spec.datasets = { cells: DATA.cells, floors: DATA.floors, phases: DATA.phases,
                    streams: DATA.streams.points, deadlines: DATA.streams.deadlines };
  // Drawn in the panel's state at once: a figure sized for every strategy would keep that size.
  // A figure's own parameters (the stream's select) keep their values.
  const now = { op: state.op, hidden: [...state.hidden], hl: state.hl };
  spec.params = spec.params.map((p) => (p.name in now ? { ...p, value: now[p.name] } : p));
  if (views[figureId]) views[figureId].finalize();
  const result = await vegaEmbed(target, spec, EMBED);
  const view = result.view;
  view.addEventListener("click", (event, item) => {
    const name = item && item.datum && item.datum.s;
    if (name) highlight(state.hl === name ? "" : name);
  });
  views[figureId] = view;
  await apply(view);
  target.dataset.ready = "true";
}
function apply(view) {
  view.signal("op", state.op).signal("hidden", [...state.hidden]).signal("hl", state.hl);
  return view.runAsync();
}
function applyAll() {
  return Promise.all(Object.values(views).map(apply)).then(() => {
    document.body.dataset.applied = String(Number(document.body.dataset.applied || 0) + 1);
  });
}
async function drawAll() {
  await Promise.all(Object.keys(SPECS).map(draw));
  document.body.dataset.figuresReady = "true";
}

// -- the panel: families, strategies, op, layout ------------------------
function panel() {
  const root = document.getElementById("ib-strategies");
  for (const family of DATA.families) {
    const members = DATA.strategies.filter((s) => s.family === family);
    const group = element("fieldset", { className: "family" });
    const legend = element("legend");
    const all = element("input", { type: "checkbox", checked: true });
    all.dataset.family = family;
    all.addEventListener("change", () => {
      members.forEach((s) => setShown(s.name, all.checked));
      syncPanel();
      refresh();
    });
    legend.append(label(all, `${family} (${members.length})`));
    group.append(legend);
    for (const s of members) group.append(strategyEntry(s));
    root.append(group);
  }
  const op = document.getElementById("ib-op");
  for (const name of DATA.ops) op.append(element("option", { value: name, textContent: name }));
  op.addEventListener("change", () => { state.op = op.value; syncRankingOp(); refresh(); });
  document.getElementById("ib-split").addEventListener("change", (event) => {
    state.split = event.target.checked;
    drawAll();
  });
  document.getElementById("ib-show-all").addEventListener("click", () => {
    state.hidden.clear(); syncPanel(); refresh();
  });
  document.getElementById("ib-default-view").addEventListener("click", () => {
    state.hidden = defaultHidden(); syncPanel(); refresh();
  });
  document.getElementById("ib-clear").addEventListener("click", () => highlight(""));
}
function strategyEntry(s) {
  const row = element("div", { className: "strategy" });
  row.dataset.strategy = s.name;
  const box = element("input", { type: "checkbox", checked: true });
  box.dataset.strategy = s.name;
  box.addEventListener("change", () => { setShown(s.name, box.checked); syncPanel(); refresh(); });
  const name = element("button", { type: "button", className: "name", textContent: s.name,
                                   title: `${s.releases ? s.releases + "; " : ""}highlight in every figure` });
  name.addEventListener("click", () => highlight(state.hl === s.name ? "" : s.name));
  row.append(box, swatch(s), name, codeButton(s.name));
  return row;
}
// The strategy's colour and marker, as the figures draw them.
const GLYPHS = { "circle": "●", "square": "■", "triangle-up": "▲", "diamond": "◆",
                 "triangle-down": "▼", "cross": "✚", "triangle-left": "◀", "triangle-right": "▶" };
function swatch(s) {
  const span = element("span", { className: "swatch", textContent: GLYPHS[s.shape] || "■" });
  span.style.color = s.colour;
  span.title = s.shape;
  return span;
}
function defaultHidden() {
  const shown = new Set(DATA.default_view);
  return new Set(DATA.strategies.map((s) => s.name).filter((name) => !shown.has(name)));
}
function setShown(name, shown) {
  if (shown) state.hidden.delete(name); else state.hidden.add(name);
}
function syncPanel() {
  document.querySelectorAll("#ib-strategies input[data-strategy]").forEach((box) => {
    box.checked = !state.hidden.has(box.dataset.strategy);
  });
  document.querySelectorAll("#ib-strategies input[data-family]").forEach((box) => {
    const members = DATA.strategies.filter((s) => s.family === box.dataset.family);
    const shown = members.filter((s) => !state.hidden.has(s.name)).length;
    box.checked = shown > 0;
    box.indeterminate = shown > 0 && shown < members.length;
  });
  document.querySelectorAll("#ib-strategies .strategy").forEach((row) => {
    row.classList.toggle("lit", row.dataset.strategy === state.hl);
  });
  document.querySelectorAll("#frames tr[data-strategy]").forEach((row) => {
    row.hidden = state.hidden.has(row.dataset.strategy);
  });
  const shown = DATA.strategies.length - state.hidden.size;
  const isDefault = [...state.hidden].sort().join() === [...defaultHidden()].sort().join();
  document.getElementById("ib-view").textContent = isDefault && state.hidden.size
    ? `Default view: ${shown} of ${DATA.strategies.length} strategies, the best of each family ` +
      `(${DATA.default_view.join(", ")}).`
    : `${shown} of ${DATA.strategies.length} strategies shown.`;
}
function highlight(name) {
  state.hl = name;
  document.getElementById("ib-lit").textContent = name ? `highlighted: ${name}` : "";
  syncPanel();
  refresh();
}
function refresh() {
  rank();
  return applyAll();
}

// -- "at my size": the ranking at a chosen payload ----------------------
const sizeInput = () => document.getElementById("ib-size");
const slider = () => document.getElementById("ib-size-slider");
const UNITS = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
function parseBytes(text) {
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmg]?i?b)?\s*$/i.exec(text);
  if (!match) return null;
  const value = parseFloat(match[1]) * UNITS[(match[2] || "b").toLowerCase()];
  return value > 0 && isFinite(value) ? value : null;
}
function rankingSetup() {
  const all = DATA.cells.map((c) => c.bytes);
  if (!all.length) return;
  const low = Math.log10(Math.min(...all)), high = Math.log10(Math.max(...all));
  const range = slider();
  Object.assign(range, { min: low, max: high, step: (high - low) / 400 || 0.01 });
  const start = Math.min(high, Math.max(low, 6));  // 1 MB, where bandwidth starts to rule
  const file = document.getElementById("ib-rank-file");
  DATA.files.forEach((label, index) => {
    file.append(element("option", { value: String(index), textContent: label }));
  });
  if (DATA.files.length < 2) {
    file.closest("label").style.display = "none";
    document.getElementById("ib-rank-side").closest("label").style.display = "none";
  }
  document.getElementById("ib-rank-side").addEventListener("change", rank);
  const op = document.getElementById("ib-rank-op");
  for (const name of DATA.ops) op.append(element("option", { value: name, textContent: name }));
  range.addEventListener("input", () => {
    sizeInput().value = fmtBytes(10 ** parseFloat(range.value));
    rank();
  });
  sizeInput().addEventListener("change", () => {
    const bytes = parseBytes(sizeInput().value);
    sizeInput().setCustomValidity(bytes ? "" : "a size like 6 MB, 6e6 or 512 KiB");
    sizeInput().reportValidity();
    if (bytes) { range.value = String(Math.log10(bytes)); rank(); }
  });
  file.addEventListener("change", rank);
  op.addEventListener("change", rank);
  range.value = String(start);
  sizeInput().value = fmtBytes(10 ** start);
  syncRankingOp();
}
function syncRankingOp() {
  document.getElementById("ib-rank-op").value = state.op;
}
function chosenBytes() {
  return parseBytes(sizeInput().value) || 10 ** parseFloat(slider().value);
}

// A strategy's value at `bytes`: measured there, or interpolated on log-log
// axes between its two measured neighbours; never extrapolated.
function estimate(cells, bytes, field) {
  const exact = cells.find((c) => Math.abs(Math.log(c.bytes / bytes)) < 0.005);
  if (exact) {
    return exact.ok ? { value: exact[field], how: "measured", cells: [exact] }
                    : { problem: exact.t_status };
  }
  const below = cells.filter((c) => c.bytes < bytes).pop();
  const above = cells.find((c) => c.bytes > bytes);
  if (!below || !above) {
    const span = cells.length ? `${cells[0].t_bytes}–${cells[cells.length - 1].t_bytes}` : "none";
    return { problem: `outside its measured sizes (${span})` };
  }
  if (!below.ok || !above.ok) {
    return { problem: `a neighbouring size is ${below.ok ? above.status : below.status}` };
  }
  if (below[field] == null || above[field] == null) return { problem: "not measured" };
  const t = Math.log(bytes / below.bytes) / Math.log(above.bytes / below.bytes);
  const value = Math.exp(Math.log(below[field]) * (1 - t) + Math.log(above[field]) * t);
  return { value, how: `interpolated between ${below.t_bytes} and ${above.t_bytes}`,
           cells: [below, above] };
}
function band(bytes) {
  const v = DATA.verdict;
  const name = bytes <= v.small_max_bytes ? "small" : bytes >= v.large_min_bytes ? "large" : "medium";
  return `${name}: ${v.meanings[name]}`;
}
// The strategies `chosen` ranked at `bytes` in one file: rows fastest first
// (with the cells behind each value) and [name, why] of those not ranked.
function rankAt(fileIndex, op, bytes, chosen) {
  const rows = [], unranked = [];
  for (const s of DATA.strategies.filter(chosen)) {
    const own = DATA.cells
      .filter((c) => c.file === fileIndex && c.op === op && c.s === s.name)
      .sort((a, b) => a.bytes - b.bytes);
    if (!own.length) continue;
    const time = estimate(own, bytes, "med");
    if (time.problem) { unranked.push([s.name, time.problem]); continue; }
    const value = (field) => { const e = estimate(own, bytes, field); return e.problem ? null : e.value; };
    const measured = time.cells.map((c) => `${c.t_bytes}: ${c.t_med} (${c.t_ci || "no interval"})`);
    rows.push({ name: s.name, ns: time.value, how: time.how, measured: measured.join("; "),
                near: time.cells, own, lo: value("lo"), hi: value("hi"), xk: value("xk") });
  }
  rows.sort((a, b) => a.ns - b.ns);
  return { rows, unranked };
}
function rank() {
  const bytes = chosenBytes();
  const fileIndex = Number(document.getElementById("ib-rank-file").value || 0);
  const op = document.getElementById("ib-rank-op").value || state.op;
  const shown = (s) => !state.hidden.has(s.name);
  const { rows, unranked } = rankAt(fileIndex, op, bytes, shown);
  renderRanking(bytes, op, rows, unranked);
  const side = document.getElementById("ib-rank-files");
  side.replaceChildren();
  if (!document.getElementById("ib-rank-side").checked) return;
  DATA.files.forEach((name, index) => side.append(fileRanking(name, rankAt(index, op, bytes, shown).rows)));
}
// One file's ranking, for the files side by side: its order and its times.
function fileRanking(name, rows) {
  const table = element("table", { className: "file-ranking" });
  table.dataset.file = name;
  table.append(element("caption", { textContent: name }));
  const head = element("tr");
  for (const text of ["#", "strategy", "median", "× fastest"]) head.append(element("th", { textContent: text }));
  table.append(head);
  rows.forEach((row, index) => {
    const tr = element("tr");
    tr.dataset.strategy = row.name;
    for (const text of [String(index + 1), row.name, fmtTime(row.ns), fmtRatio(row.ns / rows[0].ns)]) {
      tr.append(element("td", { textContent: text }));
    }
    table.append(tr);
  });
  return table;
}
function words(row, best) {
  const ratio = row.ns / best.ns;
  if (row === best) return "fastest";
  if (ratio < DATA.verdict.clear_margin) {
    return `tied with ${best.name} (within ${Math.round((DATA.verdict.clear_margin - 1) * 100)}%)`;
  }
  return `${fmtRatio(ratio)} slower than ${best.name}`;
}
function renderRanking(bytes, op, rows, unranked) {
  const caption = document.getElementById("ib-rank-caption");
  caption.textContent = `${op} at ${fmtBytes(bytes)} of payload (${band(bytes)})` +
    (state.hidden.size ? `; ${state.hidden.size} strategies hidden` : "");
  const body = document.querySelector("#ib-ranking tbody");
  body.replaceChildren();
  rows.forEach((row, index) => {
    const tr = element("tr");
    tr.dataset.strategy = row.name;
    tr.dataset.ns = String(row.ns);
    tr.classList.toggle("lit", row.name === state.hl);
    const name = element("td", { className: "text" });
    name.append(swatch(byName[row.name]), " " + row.name);
    if (byName[row.name].releases) {
      name.append(" ", element("span", { className: "muted release",
                                         textContent: byName[row.name].releases }));
    }
    const xk = row.xk == null ? "" : fmtRatio(row.xk);
    const cells = [String(index + 1), name, fmtTime(row.ns), fmtRate(bytes * 1e9 / row.ns), xk,
                   words(row, rows[0]), row.how];
    for (const cell of cells) tr.append(cell instanceof Node ? cell : element("td", { textContent: cell }));
    tr.cells[6].title = `measured: ${row.measured}`;  // the neighbours behind the estimate
    const code = element("td");
    code.append(codeButton(row.name));
    tr.append(code);
    tr.addEventListener("click", (event) => {
      if (event.target.closest("button")) return;
      highlight(state.hl === row.name ? "" : row.name);
    });
    body.append(tr);
  });
  const note = document.getElementById("ib-unranked");
  note.textContent = unranked.length
    ? "Not ranked here: " + unranked.map(([n, why]) => `${n} (${why})`).join("; ") + "."
    : "";
}

// -- the code behind a strategy -----------------------------------------
let codeFiles = null;
async function inflate() {
  if (codeFiles) return codeFiles;
  const bytes = Uint8Array.from(atob(DATA.code_blob), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  codeFiles = JSON.parse(await new Response(stream).text());
  return codeFiles;
}
function codeButton(name) {
  const button = element("button", { type: "button", className: "code", textContent: "code",
                                     title: `the code behind ${name}` });
  button.dataset.strategy = name;
  button.addEventListener("click", () => openCode(name));
  return button;
}
async function openCode(name) {
  const files = await inflate();
  const fileIndex = Number(document.getElementById("ib-rank-file").value || 0);
  const code = DATA.code[fileIndex] || { by_strategy: {}, note: "" };
  const paths = code.by_strategy[name] || [];
  const dialog = document.getElementById("ib-code");
  dialog.dataset.strategy = name;
  const releases = byName[name] && byName[name].releases;
  dialog.querySelector("h3").textContent =
    `The code behind ${name}` + (releases ? ` (${releases})` : "");
  dialog.querySelector(".note").textContent = paths.length
    ? `${paths.length} file${paths.length > 1 ? "s" : ""}, ${code.note}.`
    : "The results file names no source files for this strategy.";
  const tabs = dialog.querySelector(".tabs");
  const pre = dialog.querySelector("pre");
  tabs.replaceChildren();
  pre.replaceChildren();
  paths.forEach((path, index) => {
    const tab = element("button", { type: "button", textContent: path });
    tab.addEventListener("click", () => showFile(files[fileIndex][path], path, tab));
    tabs.append(tab);
    if (index === 0) showFile(files[fileIndex][path], path, tab);
  });
  if (!dialog.open) dialog.showModal();
}
function showFile(file, path, tab) {
  const dialog = document.getElementById("ib-code");
  dialog.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("on", b === tab));
  const pre = dialog.querySelector("pre");
  pre.dataset.path = path;
  if (file && file.html) {
    pre.innerHTML = file.html;  // escaped by Pygments when the report was built
  } else {
    pre.textContent = `${path}: ${file ? file.origin : "not in this report"}`;
  }
  dialog.querySelector(".origin").textContent = file ? file.origin : "";
}

// -- small helpers -------------------------------------------------------
function element(tag, props) {
  return Object.assign(document.createElement(tag), props || {});
}
function label(input, text) {
  const wrap = element("label");
  wrap.append(input, " " + text);
  return wrap;
}
