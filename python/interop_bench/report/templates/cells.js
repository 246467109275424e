// -- every cell: a table searched, filtered and sorted from the page data --
// Drawn when first unfolded; a search matches every word typed against the
// start of a word of the row (strategy, family, label, dtype, size, payload,
// status), so "shm 1e6 scale" finds shm's scale at 1,000,000 elements.
const CELL_COLUMNS = [
  ["strategy", (c) => c.s, (c) => c.s],
  ["file", (c) => c.f, (c) => c.f],
  ["family", (c) => c.fam, (c) => c.fam],
  ["label", (c) => c.op, (c) => c.op],
  ["size", (c) => c.size_text, (c) => c.size],
  ["payload", (c) => c.t_bytes, (c) => c.bytes],
  ["median", (c) => c.t_med || "", (c) => c.med],
  ["95% interval", (c) => c.t_ci || "", (c) => (c.hi && c.lo ? c.hi - c.lo : null)],
  ["p99", (c) => (c.p99 ? fmtTime(c.p99) : ""), (c) => c.p99],
  ["throughput", (c) => c.t_rate || "", (c) => c.rate],
  ["× kernel", (c) => c.t_xk || "", (c) => c.xk],
  ["memory × payload", (c) => c.t_mem || "", (c) => c.mem],
  ["calls / sample", (c) => callsText(c), (c) => (c.cps ? c.cps[0] : null)],
  ["status", (c) => (c.ok ? "ok" : c.t_status), (c) => c.status],
];
const CELL_FILTERS = [["strategy", (c) => c.s], ["label", (c) => c.op], ["dtype", (c) => c.dtype],
                      ["size", (c) => c.size_text], ["status", (c) => c.status]];
const cellTable = { sort: -1, ascending: true, all: false };

function callsText(c) {
  if (!c.cps) return "";
  return c.cps[0] === c.cps[1] ? String(c.cps[0]) : `${c.cps[0]} – ${c.cps[1]}`;
}
function sizeWords(size) {
  const words = [String(size), size.toLocaleString("en")];
  const exponent = Math.log10(size);
  if (Number.isInteger(exponent)) words.push(`1e${exponent}`);
  return words;
}
function cellsSetup() {
  const dtypes = Object.fromEntries(DATA.labels.map((l) => [l.label, l.dtype]));
  for (const c of DATA.cells) {
    c.dtype = dtypes[c.op];
    const words = [c.s, c.fam, c.op, ...c.op.split(":"), c.dtype, c.status, ...c.size_text.split(/[ ()x]+/),
                   ...sizeWords(c.size), c.t_bytes.replace(" ", ""), c.f];
    c.words = words.filter(Boolean).map((w) => w.toLowerCase());
  }
  const filters = document.getElementById("ib-cell-filters");
  for (const [name, value] of CELL_FILTERS) {
    const select = element("select", { id: "ib-cell-" + name });
    const values = name === "status" ? DATA.statuses : [...new Set(DATA.cells.map(value))];
    select.append(element("option", { value: "", textContent: `every ${name}` }),
                  ...values.map((v) => element("option", { value: v, textContent: v })));
    select.addEventListener("change", drawCells);
    filters.append(select);
  }
  document.getElementById("ib-cell-search").addEventListener("input", drawCells);
  document.getElementById("ib-cell-more").addEventListener("click", () => { cellTable.all = true; drawCells(); });
  const heads = document.querySelector("#ib-cells thead tr");
  shownColumns().forEach(([name], index) => {
    const th = element("th", { className: "sortable", textContent: name });
    th.addEventListener("click", () => {
      cellTable.ascending = cellTable.sort === index ? !cellTable.ascending : true;
      cellTable.sort = index;
      drawCells();
    });
    heads.append(th);
  });
  document.getElementById("ib-cells-details").addEventListener("toggle", drawCells, { once: true });
}
function shownColumns() {
  return CELL_COLUMNS.filter(([name]) => name !== "file" || DATA.files.length > 1);
}
function matchingCells() {
  const tokens = document.getElementById("ib-cell-search").value.toLowerCase().split(/\s+/).filter(Boolean);
  const chosen = CELL_FILTERS.map(([name, value]) => [document.getElementById("ib-cell-" + name).value, value]);
  return DATA.cells.filter((c) =>
    chosen.every(([wanted, value]) => !wanted || String(value(c)) === wanted) &&
    tokens.every((t) => c.words.some((w) => w.startsWith(t))));
}
function drawCells() {
  const columns = shownColumns();
  const rows = matchingCells();
  if (cellTable.sort >= 0) {
    const key = columns[cellTable.sort][2], sign = cellTable.ascending ? 1 : -1;
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (x == null || y == null) return (x == null) - (y == null);  // blanks last
      return sign * (typeof x === "number" ? x - y : String(x).localeCompare(String(y)));
    });
  }
  const limit = cellTable.all ? rows.length : DATA.cell_rows_shown;
  const body = document.querySelector("#ib-cells tbody");
  body.replaceChildren(...rows.slice(0, limit).map((c) => {
    const tr = element("tr");
    tr.dataset.key = `${c.s} ${c.op} ${c.size}`;
    for (const [name, text] of columns) {
      const td = element("td", { textContent: text(c) });
      if (["strategy", "file", "family", "label", "status"].includes(name)) td.className = "text";
      if (name === "status" && !c.ok) td.className = "text status-" + c.status;
      tr.append(td);
    }
    return tr;
  }));
  document.querySelectorAll("#ib-cells th").forEach((th, index) => {
    if (index === cellTable.sort) th.dataset.order = cellTable.ascending ? "asc" : "desc";
    else delete th.dataset.order;
  });
  const more = rows.length > limit;
  document.getElementById("ib-cell-count").textContent =
    `${rows.length} of ${DATA.cells.length} cells` + (more ? `, the first ${limit} shown` : "");
  document.getElementById("ib-cell-more").hidden = !more;
}
