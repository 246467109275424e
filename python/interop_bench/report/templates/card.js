// -- the decision card: where the C++ side runs, what it gets, the answer --
// The candidates are every strategy of the chosen place's families, ranked
// by the same rule as "at my size" (measured, or interpolated between two
// measured sizes, never extrapolated); the panel's hiding does not apply.
const CARD = DATA.card;
const card = (id) => document.getElementById("ib-card-" + id);
// Ratios near 1 keep two decimals: "1×" would hide the 4% between two answers.
const fmtTimes = (r) => (r < 10 ? r.toFixed(2) + "×" : fmtRatio(r));

function cardSetup() {
  if (!CARD.start.label) {
    card("answer").textContent = "No cell of this input was measured: there is nothing to answer from.";
    return;
  }
  const where = card("where");
  for (const place of CARD.placements) {
    const radio = element("input", { type: "radio", name: "ib-where", value: place.name,
                                     disabled: !place.cells, checked: place.name === CARD.start.placement });
    const text = place.cells ? place.meaning : `${place.meaning}: no such strategy measured in this input`;
    const wrap = label(radio, place.name);
    wrap.title = text;
    where.append(wrap);
  }
  const start = DATA.labels.find((l) => l.label === CARD.start.label);
  fillSelect(card("op"), [...new Set(DATA.labels.map((l) => l.op))], start.op);
  fillDtypes(start.dtype);
  DATA.files.forEach((name, index) => {
    card("file").append(element("option", { value: String(index), textContent: name }));
  });
  if (DATA.files.length < 2) card("file").closest("label").style.display = "none";
  card("size").value = fmtBytes(CARD.start.bytes);
  const rates = CARD.stream_rates.map(String);
  fillSelect(card("rate"), rates, rates[rates.length - 1]);
  card("op").addEventListener("change", () => { fillDtypes(card("dtype").value); answer(); });
  for (const id of ["dtype", "file", "rate"]) card(id).addEventListener("change", answer);
  where.addEventListener("change", answer);
  card("size").addEventListener("change", () => {
    const ok = parseBytes(card("size").value) != null;
    card("size").setCustomValidity(ok ? "" : "a size like 6 MB, 6e6 or 512 KiB");
    card("size").reportValidity();
    if (ok) answer();
  });
  answer();
}
function fillSelect(select, values, chosen) {
  select.replaceChildren(...values.map((v) => element("option", { value: v, textContent: v })));
  select.value = values.includes(chosen) ? chosen : values[0];
}
function fillDtypes(chosen) {
  const op = card("op").value;
  fillSelect(card("dtype"), DATA.labels.filter((l) => l.op === op).map((l) => l.dtype), chosen);
}
// The payloads the run measured of the chosen label, offered as the field's suggestions.
function fillPayloads() {
  const label = cardLabel();
  const measured = [...new Set(DATA.cells.filter((c) => c.op === label).map((c) => c.bytes))].sort((a, b) => a - b);
  card("sizes").replaceChildren(...measured.map((b) => element("option", { value: fmtBytes(b) })));
}
function cardLabel() {
  const op = card("op").value, dtype = card("dtype").value;
  return DATA.labels.find((l) => l.op === op && l.dtype === dtype).label;
}

function answer() {
  fillPayloads();
  // The answer's data attributes are those of this answer alone (a stream's has more).
  for (const name of Object.keys(card("answer").dataset)) delete card("answer").dataset[name];
  const place = CARD.placements.find((p) => p.name === document.querySelector("input[name=ib-where]:checked").value);
  const label = cardLabel(), bytes = parseBytes(card("size").value), file = Number(card("file").value || 0);
  const found = rankAt(file, label, bytes, (s) => place.families.includes(s.family));
  const isFrame = card("op").value === "frame";
  card("rate-label").style.display = isFrame && CARD.stream_rates.length ? "" : "none";
  const stream = isFrame ? streamRanked(place, bytes, Number(card("rate").value)) : [];
  if (stream.length) return streamAnswer(place, label, bytes, stream, found.rows);
  const rows = found.rows, unranked = found.unranked.map(([name, why]) => `${name} (${why})`);
  const box = card("answer");
  Object.assign(box.dataset, { placement: place.name, label, bytes: String(bytes), file: String(file),
                               strategy: rows.length ? rows[0].name : "", ns: rows.length ? String(rows[0].ns) : "",
                               next: rows.slice(1, 1 + CARD.runners_up).map((r) => r.name).join(",") });
  const situation = `${label} of ${fmtBytes(bytes)}; C++ side: ${place.name}` +
    (DATA.files.length > 1 ? `, from ${DATA.files[file]}` : "");
  box.replaceChildren(element("p", { className: "muted situation", textContent: situation }));
  if (!rows.length) {
    box.append(element("p", { className: "headline", textContent: "No answer from this input." }));
  } else {
    box.append(headline(rows[0]), facts(rows[0], bytes), runnersUp(rows),
               element("p", { className: "why", textContent: "Why: " + why(rows) + "." }),
               element("p", { className: "cost", textContent: givingUp(rows[0]) }));
  }
  const extra = [pinnedText(rows), reference(label, bytes, file, rows[0]),
                 place.families.includes("network") ? linkText(file) : ""];
  for (const text of extra.filter(Boolean)) box.append(element("p", { className: "muted", textContent: text }));
  if (unranked.length) {
    const more = element("details", { className: "muted" });
    more.append(element("summary", { textContent: `Not ranked here: ${unranked.length} strateg${unranked.length === 1 ? "y" : "ies"}` }),
                unranked.join("; ") + ".");
    box.append(more);
  }
}
// A placed row (name@placement) answers only for a program that pins its processes so.
function pinnedText(rows) {
  const best = rows[0], pinned = best && byName[best.name].pinned;
  if (!pinned) return "";
  const plain = rows.find((r) => r.name === pinned.row_of);
  return `${best.name} is ${pinned.row_of} with the caller pinned to CPU ${pinned.caller.join(",")} and its ` +
    `worker to CPU ${pinned.worker.join(",")} (sched_setaffinity, or taskset): your program must pin its ` +
    `processes so to see this figure. ` +
    (plain ? `Unpinned, ${pinned.row_of} took ${fmtTimes(plain.ns / best.ns)} the time here.`
           : `${pinned.row_of} unpinned is not ranked here.`);
}
function headline(best) {
  const p = element("p", { className: "headline" });
  p.append("Use ", swatch(byName[best.name]), " ", element("strong", { textContent: best.name }), " ",
           codeButton(best.name));
  return p;
}
function facts(best, bytes) {
  const interval = (lo, hi, fmt) => (lo != null && hi != null ? ` (95% interval ${fmt(lo)} – ${fmt(hi)})` : "");
  const rate = (ns) => fmtRate(bytes * 1e9 / ns);
  const text = `${fmtTime(best.ns)} per call${interval(best.lo, best.hi, fmtTime)}, ` +
    `${rate(best.ns)}${interval(best.hi, best.lo, rate)}` +
    (best.xk != null ? `, ${fmtTimes(best.xk)} the kernel alone` : "") + `; ${best.how}.`;
  return element("p", { className: "facts", textContent: text });
}
function runnersUp(rows) {
  const next = rows.slice(1, 1 + CARD.runners_up).map((r) => `${r.name} ${fmtTimes(r.ns / rows[0].ns)} the time`);
  return element("p", { className: "next",
                        textContent: next.length ? `Next: ${next.join("; ")}.` : "No other strategy of this place is ranked here." });
}
function why(rows) {
  const best = rows[0], margin = DATA.verdict.clear_margin, percent = Math.round((margin - 1) * 100);
  const tied = rows.filter((r) => r.ns / best.ns < margin).map((r) => r.name);
  const parts = [];
  if (rows.length === 1) parts.push(`${best.name} is the only one ranked`);
  else if (tied.length > 1) parts.push(`${listed(tied)} are tied within ${percent}%: any of them will do`);
  else parts.push(`${best.name} is ${fmtTimes(rows[1].ns / best.ns)} ahead of ${rows[1].name}`);
  const zeroCopy = rows.filter((r) => byName[r.name].copies_in === "zero-copy" && r.xk != null);
  if (zeroCopy.length > 1 && zeroCopy.every((r) => r.xk < margin)) {
    parts.push(`every zero-copy one is within ${percent}% of the kernel alone`);
  }
  if (best.xk == null) return parts.join("; ");
  const ratio = CARD.overhead_decides_ratio;
  parts.push(best.xk >= ratio
    ? `the crossing decides, not the data: the call takes ${fmtTimes(best.xk)} the kernel alone`
    : `the work on the data decides: the call takes ${fmtTimes(best.xk)} the kernel alone`);
  const own = best.own.filter((c) => c.ok && c.xk != null);
  const first = own.find((c) => c.xk < ratio);
  if (!first) parts.push(`for ${best.name} the crossing decides at every size measured`);
  else if (first !== own[0]) parts.push(`per-call overhead decides below ${first.t_bytes} for ${best.name}`);
  return parts.join("; ");
}
function givingUp(best) {
  const s = byName[best.name];
  const copies = s.copies_in ? `copies in: ${s.copies_in}, out: ${s.copies_out}` : "copies not declared by the file";
  const memory = [...new Set(best.near.filter((c) => c.mem != null).map((c) => c.t_mem))];
  const peak = memory.length ? `; peak extra memory ${memory.join(" – ")} the payload` : "";
  return `What it costs besides time: ${copies}${peak}.`;
}
function reference(label, bytes, file, best) {
  const cells = DATA.cells.filter((c) => c.file === file && c.op === label && c.fam === "reference")
    .sort((a, b) => a.bytes - b.bytes);
  const found = [...new Set(cells.map((c) => c.s))].map((name) => {
    const e = estimate(cells.filter((c) => c.s === name), bytes, "med");
    return e.problem ? "" : `${name} alone (no C++): ${fmtTime(e.value)}` +
      (best ? `, ${fmtTimes(e.value / best.ns)} the answer's time` : "");
  }).filter(Boolean);
  return found.length ? found.join("; ") + "." : "";
}
function linkText(file) {
  return `Measured over: ${CARD.links[file] || "the file does not say which link (loopback unless run with --peer)"}.`;
}
function listed(names) {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

// -- frames at a rate a stream file measured: the stream decides, not the median --
// A stream cell of the chosen place at the asked frame size (within 1%) and
// rate; each strategy's best depth; carries it first, then the missed share,
// then p99 (stream_section.rank_key, the same order).
function streamRanked(place, bytes, fps) {
  const fits = (c) => c.fps === fps && Math.abs(c.bytes - bytes) <= 0.01 * c.bytes &&
    byName[c.s] && place.families.includes(byName[c.s].family);
  const file = DATA.streams.files.findIndex((_, i) => DATA.streams.cells.some((c) => c.file === i && fits(c)));
  const kind = (c) => (c.verdict === "carries it" ? 0 : c.verdict === "cannot keep up" ? 2 : 1);
  const order = (a, b) => kind(a) - kind(b) || a.miss - b.miss || a.p99 - b.p99 || (a.s < b.s ? -1 : 1);
  const best = new Map();
  for (const c of DATA.streams.cells.filter((c) => c.file === file && fits(c)).sort(order)) {
    if (!best.has(c.s)) best.set(c.s, c);
  }
  return [...best.values()];
}
function streamAnswer(place, label, bytes, cells, medianRows) {
  const best = cells[0], box = card("answer");
  const from = DATA.streams.files.length > 1 ? `, from the stream file ${DATA.streams.files[best.file]}` : "";
  Object.assign(box.dataset, { placement: place.name, label, bytes: String(bytes), file: card("file").value || "0",
                               strategy: best.s, ns: String(best.p99), basis: "stream", verdict: best.verdict,
                               depth: String(best.d), fps: String(best.fps),
                               next: cells.slice(1, 1 + CARD.runners_up).map((c) => c.s).join(",") });
  const missed = (c) => (c.miss === 0 ? "misses no frame" : `misses ${(c.miss * 100).toFixed(1)}% of frames`);
  const facts = `${best.res} at ${best.fps} fps, depth ${best.d}: ${best.verdict}; ${missed(best)}; ` +
    `p50 ${fmtTime(best.p50)}, p99 ${fmtTime(best.p99)}, max ${fmtTime(best.max)} ` +
    `(deadline ${fmtTime(1e9 / best.fps)}); CPU per frame ${fmtTime(best.cpu)}.`;
  const next = cells.slice(1, 1 + CARD.runners_up).map((c) => `${c.s} ${c.verdict}, p99 ${fmtTime(c.p99)}`);
  const median = medianRows.length ? medianRows[0].name : "";
  const because = "Why: decided by the stream (frames sent at a fixed rate, latency from each frame's scheduled " +
    "time), not by the median of isolated calls" +
    (median && median !== best.s ? `, which would pick ${median}` : median ? `, which picks ${median} too` : "") + ".";
  box.replaceChildren(
    element("p", { className: "muted situation", textContent: `${label} of ${fmtBytes(bytes)}; C++ side: ${place.name}${from}` }),
    headline({ name: best.s }),
    element("p", { className: "facts", textContent: facts }),
    element("p", { className: "next", textContent: next.length ? `Next: ${next.join("; ")}.` : "No other strategy of this place streamed here." }),
    element("p", { className: "why", textContent: because }),
    element("p", { className: "cost", textContent: givingUp({ name: best.s, near: [] }) }));
}
