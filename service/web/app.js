// leadroute workbench: a small single-page app over the service's HTTP API.
// No framework and no build step: this file is served from inside the binary.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element: h("a", {href: "#"}, "text", child, ...). Text is never parsed as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const state = { me: null, page: null, stale: false, items: [], tick: null, fetchedAt: 0 };

class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code;
    this.help = e.help;
  }
}

/** Calls the API; a change carries the workbench header; a lost sign-in goes to the sign-in page. */
async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: { accept: "application/json" }, credentials: "same-origin" };
  if (init.method !== "GET") {
    init.headers["x-leadroute-ui"] = "1";
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body || {});
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { error: { message: text } }; }
  if (r.status === 401) { location.href = "/login"; throw new ApiError(r.status, body); }
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

function toast(message, bad) {
  const t = $("#toast");
  t.textContent = message;
  t.className = bad ? "toast bad" : "toast";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 8000 : 3500);
}

function errorText(e) {
  return e.help ? `${e.message} (${e.help})` : e.message;
}

const enc = encodeURIComponent;
const time = (t) => (t ? new Date(t).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "—");
const shortVersion = (v) => (v || "").replace(/^sha256:/, "").slice(0, 12);

function leadLink(id) {
  return h("a", { href: `#/leads/${enc(id)}` }, id);
}

function sourceLink(version, at) {
  if (!at) return null;
  const m = /^(.*):(\d+)$/.exec(at);
  if (!m) return h("span", { class: "muted" }, at);
  return h("a", { href: `#/policies/${enc(version)}/source/${enc(m[1])}/${m[2]}`, title: "Show this line of the policy" }, at);
}

/** "12m 05s", "3h 10m", "2d 4h" from seconds. */
function span(seconds) {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(ss).padStart(2, "0")}s`;
}

/** The SLA countdown: green, amber within 15 minutes (or the last quarter), red once past due. */
function dueCell(item) {
  if (item.due_in_seconds === null || item.due_in_seconds === undefined) return h("span", { class: "due none" }, "no SLA");
  const el = h("span", { class: "due", dataset: { due: String(item.due_in_seconds), created: item.created_at || "", dueAt: item.due || "" } });
  paintDue(el);
  return el;
}

function paintDue(el) {
  const left = Number(el.dataset.due) - (Date.now() - state.fetchedAt) / 1000;
  const total = el.dataset.created && el.dataset.dueAt ? (new Date(el.dataset.dueAt) - new Date(el.dataset.created)) / 1000 : 0;
  const over = left < 0;
  const near = !over && (left < 900 || (total > 0 && left < total / 4));
  el.className = "due " + (over ? "over" : near ? "near" : "ok");
  el.textContent = over ? `overdue ${span(-left)}` : `due in ${span(left)}`;
  el.title = el.dataset.dueAt ? `SLA due ${time(el.dataset.dueAt)}` : "";
}

function startTicking() {
  clearInterval(state.tick);
  state.tick = setInterval(() => document.querySelectorAll(".due[data-due]").forEach(paintDue), 1000);
}

// ---------------------------------------------------------------- dialogs

/** Opens the dialog; `fill(body)` adds the fields; `submit()` returns a promise; errors stay in the dialog. */
function dialog(title, okText, fill, submit, danger) {
  const d = $("#dialog");
  $("#dialog-title").textContent = title;
  const body = $("#dialog-body");
  body.replaceChildren();
  fill(body);
  const err = $("#dialog-error");
  err.hidden = true;
  const ok = $("#dialog-ok");
  ok.textContent = okText;
  ok.className = danger ? "danger" : "";
  ok.disabled = false;
  const form = $("#dialog-form");
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    ok.disabled = true;
    try {
      await submit(body);
      d.close();
    } catch (e) {
      err.textContent = errorText(e);
      err.hidden = false;
      ok.disabled = false;
    }
  };
  $("#dialog-cancel").onclick = () => d.close();
  d.onclose = () => { if (state.stale) refresh(); };
  d.showModal();
  const first = body.querySelector("input, select, textarea");
  if (first) first.focus();
}

function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("div", { class: "muted" }, hint) : null);
}

const canAct = () => state.me && state.me.can_act;

/** The service's clock now (ms), from its answer to whoami and the time since. */
const serviceNow = () => new Date(state.me.now).getTime() + (Date.now() - state.meAt);

function actionButton(label, onclick, extra) {
  return h("button", Object.assign({ type: "button", onclick, disabled: !canAct(), title: canAct() ? null : "Viewers cannot change anything" }, extra || {}), label);
}

// ---------------------------------------------------------------- queues

async function itemAction(item, action, body) {
  const out = await api(`/v1/work-items/${item.id}/${action}`, { method: "POST", body: Object.assign({ operator: state.me.name }, body || {}) });
  const done = { claim: "Claimed", reassign: "Reassigned", reprocess: "Reprocessed", resolve: "Resolved" }[action] || action;
  toast(`${done} lead ${item.lead_id}` + (out.decision && out.decision.outcome ? ` → ${destination(out.decision)}` : ""));
  refresh();
  return out;
}

function destination(d) {
  if (!d) return "—";
  if (d.outcome === "assigned") return d.team ? `${d.rep} (team ${d.team})` : d.rep;
  if (d.outcome === "queued") return `queue ${d.queue}`;
  return d.outcome;
}

async function reassignDialog(item) {
  const { reps } = await api("/v1/reps");
  const teams = [...new Set(reps.flatMap((r) => r.teams))].sort();
  const target = h("select", { name: "target" },
    h("optgroup", { label: "Reps available now" }, reps.filter((r) => r.available).map((r) => h("option", { value: `rep:${r.id}` }, `${r.id} — ${r.open_load}/${r.max_open ?? "∞"} open`))),
    h("optgroup", { label: "Reps not available" }, reps.filter((r) => !r.available).map((r) => h("option", { value: `rep:${r.id}` }, `${r.id} — ${r.unavailable_because}`))),
    h("optgroup", { label: "Teams (the team's strategy picks)" }, teams.map((t) => h("option", { value: `team:${t}` }, `team ${t}`))));
  const reason = h("input", { type: "text", name: "reason", required: true, placeholder: "e.g. named account, rep asked" });
  const force = h("input", { type: "checkbox", name: "force" });
  dialog(`Reassign lead ${item.lead_id}`, "Reassign", (b) => {
    b.append(field("Give it to", target, "Available reps first; a rep who is not available needs “Assign anyway”."),
      field("Reason (kept in the audit log)", reason),
      h("div", { class: "field" }, h("label", {}, force, " Assign anyway (over capacity or unavailable)")));
  }, () => {
    const [kind, name] = target.value.split(/:(.*)/s);
    return itemAction(item, "reassign", { [kind]: name, reason: reason.value, force: force.checked });
  });
}

function resolveDialog(item) {
  const note = h("textarea", { name: "note", required: true, placeholder: "What was done" });
  dialog(`Resolve work item ${item.id}`, "Resolve", (b) => b.append(field("Note (kept in the audit log)", note)),
    () => itemAction(item, "resolve", { note: note.value }));
}

async function pageQueues(params) {
  const queue = params.get("queue") || "";
  const status = params.get("status") || "active";
  const overdue = params.get("overdue") === "true";
  const q = new URLSearchParams({ status });
  if (queue) q.set("queue", queue);
  if (overdue) q.set("overdue", "true");
  const [{ items }, all] = await Promise.all([api(`/v1/work-items?${q}`), api("/v1/work-items?status=active&limit=10000")]);
  state.fetchedAt = Date.now();
  const queues = [...new Set(all.items.map((i) => i.queue).concat(items.map((i) => i.queue)))].sort();
  const counts = {};
  all.items.forEach((i) => { counts[i.queue] = (counts[i.queue] || 0) + 1; });
  const setFilter = (k, v) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v); else p.delete(k);
    location.hash = `#/queues?${p}`;
  };
  const queueSel = h("select", { id: "f-queue", onchange: (e) => setFilter("queue", e.target.value) },
    h("option", { value: "" }, "All queues"), queues.map((x) => h("option", { value: x, selected: x === queue }, `${x} (${counts[x] || 0})`)));
  const statusSel = h("select", { id: "f-status", onchange: (e) => setFilter("status", e.target.value === "active" ? "" : e.target.value) },
    ["active", "open", "claimed", "resolved"].map((s) => h("option", { value: s, selected: s === status }, s)));
  const overdueBox = h("input", { type: "checkbox", id: "f-overdue", checked: overdue, onchange: (e) => setFilter("overdue", e.target.checked ? "true" : "") });
  const rows = items.map((it) => h("tr", { dataset: { item: String(it.id), lead: it.lead_id } },
    h("td", {}, leadLink(it.lead_id)),
    h("td", {}, it.queue),
    h("td", { class: "hide-narrow" }, it.reason, it.detail ? h("div", { class: "muted" }, it.detail) : null),
    h("td", {}, h("span", { class: "badge" + (it.status === "resolved" ? " ok" : "") }, it.status), it.claimed_by ? h("div", { class: "muted" }, `by ${it.claimed_by}`) : null),
    h("td", {}, it.status === "resolved" ? h("span", { class: "muted" }, time(it.resolved_at)) : dueCell(it)),
    h("td", {}, it.status === "resolved" ? (it.note || "") : h("div", { class: "row-actions" },
      it.status === "open" ? actionButton("Claim", () => itemAction(it, "claim").catch((e) => toast(errorText(e), true)), { "aria-label": `Claim lead ${it.lead_id}` }) : null,
      actionButton("Reassign", () => reassignDialog(it).catch((e) => toast(errorText(e), true)), { "aria-label": `Reassign lead ${it.lead_id}` }),
      actionButton("Reprocess", () => itemAction(it, "reprocess").catch((e) => toast(errorText(e), true)), { "aria-label": `Reprocess lead ${it.lead_id}`, title: "Decide again under the active policy" }),
      actionButton("Resolve", () => resolveDialog(it), { "aria-label": `Resolve lead ${it.lead_id}` })))));
  return [
    h("h1", {}, "Exception queues"),
    state.me.can_act ? null : h("p", { class: "notice" }, `You are signed in as ${state.me.name}, a viewer: you can read everything but not act.`),
    h("div", { class: "filters", role: "search" },
      h("div", {}, h("label", { for: "f-queue" }, "Queue"), queueSel),
      h("div", {}, h("label", { for: "f-status" }, "Status"), statusSel),
      h("div", {}, h("label", { for: "f-overdue" }, overdueBox, " Only past SLA"))),
    items.length === 0 ? h("p", { class: "card muted", id: "empty" }, "No work items here. New ones appear as leads arrive.") :
      h("div", { class: "table-wrap" }, h("table", { id: "items" },
        h("caption", { class: "muted", style: "text-align:left;padding:.4rem .6rem" }, `${items.length} item${items.length === 1 ? "" : "s"}, most urgent first`),
        h("thead", {}, h("tr", {}, ["Lead", "Queue", "Reason", "Status", "SLA", "Actions"].map((c, i) => h("th", { scope: "col", class: i === 2 ? "hide-narrow" : null }, c)))),
        h("tbody", {}, rows))),
  ];
}

// ---------------------------------------------------------------- leads

async function pageLeads() {
  const { leads } = await api("/v1/leads?limit=100");
  const search = h("input", { type: "search", id: "lead-search", name: "lead", placeholder: "L-000123", required: true });
  return [
    h("h1", {}, "Leads"),
    h("form", { class: "filters", role: "search", onsubmit: (e) => { e.preventDefault(); location.hash = `#/leads/${enc(search.value.trim())}`; } },
      h("div", {}, h("label", { for: "lead-search" }, "Lead id or idempotency key"), search), h("button", { type: "submit" }, "Open")),
    h("h2", {}, "Most recent"),
    h("div", { class: "table-wrap" }, h("table", { id: "leads" },
      h("thead", {}, h("tr", {}, ["Lead", "Decided", "Now", "Tier", "Rule"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, leads.map((l) => h("tr", {}, h("td", {}, leadLink(l.lead_id)), h("td", {}, time(l.decided_at)),
        h("td", {}, l.destination), h("td", {}, l.tier || "—"), h("td", {}, l.rule || "—")))))),
  ];
}

function traceStep(s, version) {
  const hit = s.result === true || (typeof s.result === "string" && !["skipped", "false"].includes(s.result));
  const cls = s.step === "assign" || s.step === "route" || s.step === "exception" ? "stop" : hit ? "hit" : "miss";
  return h("li", { class: cls },
    h("div", { class: "step" }, s.step, " · ", typeof s.result === "boolean" ? (s.result ? "matched" : "did not match") : String(s.result)),
    h("div", {}, h("strong", {}, s.name), " ", sourceLink(version, s.at)),
    s.condition ? h("div", {}, h("code", {}, s.condition)) : null,
    Object.keys(s.reads || {}).length ? h("div", { class: "reads", "aria-label": "values read" },
      Object.entries(s.reads).map(([k, v]) => h("span", {}, `${k} = ${JSON.stringify(v)}`))) : null,
    s.detail ? h("div", { class: "muted" }, s.detail) : null);
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** Everything that happened to a lead, oldest first: its decision, work-item actions, SLA clocks, contact and release. */
function history(l) {
  const out = [[l.decided_at, `decided: ${destination(l.decision)} (rule ${l.decision.rule || "—"})`]];
  for (const i of l.work_items || []) {
    (Array.isArray(i.history) ? i.history : []).forEach((e) => out.push([e.at, `work item ${i.id} in ${i.queue}: ${e.action}${e.by ? ` by ${e.by}` : ""}${e.detail ? ` — ${e.detail}` : ""}`]));
  }
  for (const t of l.timers || []) if (t.fired_at) out.push([t.fired_at, `${t.kind === "sla" ? "SLA clock" : "queue SLA clock"}${t.rep ? ` (${t.rep})` : ""}: ${t.outcome}`]);
  if (l.contacted_at) out.push([l.contacted_at, "contacted"]);
  if (l.released_at) out.push([l.released_at, "released in the CRM"]);
  return out.sort((a, b) => new Date(a[0]) - new Date(b[0]));
}

async function pageLead(id) {
  const l = await api(`/v1/leads/${enc(id)}?explain=true`);
  const d = l.decision, cur = l.current || d;
  const moved = l.current && JSON.stringify(destination(l.current)) !== JSON.stringify(destination(d));
  const steps = d.trace || [];
  const items = l.work_items || [], deliveries = l.deliveries || [], timers = l.timers || [];
  return [
    h("h1", {}, `Lead ${d.lead_id}`),
    h("div", { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "h-now" }, h("h2", { id: "h-now" }, "Where it is now"),
        facts([["Destination", h("strong", { id: "lead-destination" }, destination(cur))], ["Outcome", cur.outcome], ["Tier", cur.tier], ["Territory", cur.territory || (cur.territories && cur.territories.length ? `ambiguous (${cur.territories.join(", ")})` : null)],
          ["Rule", cur.rule], ["SLA due", cur.sla_due ? time(cur.sla_due) : null], ["Held by", (l.holders || []).join(" → ")],
          ["Contacted", l.contacted_at ? time(l.contacted_at) : null], ["Released", l.released_at ? time(l.released_at) : null]])),
      h("section", { class: "card", "aria-labelledby": "h-first" }, h("h2", { id: "h-first" }, moved ? "First decision (since moved)" : "Decision"),
        facts([["Decided", time(l.decided_at)], ["Went to", destination(d)], ["Because of rule", d.rule], ["Route", d.route],
          ["Policy", h("a", { href: `#/policies/${enc(d.policy_version)}` }, shortVersion(d.policy_version))], ["Reason", d.reason]]))),
    h("section", { "aria-labelledby": "h-why" }, h("h2", { id: "h-why" }, `Why it went to ${destination(d)}`),
      l.trace_matches_decision === false ? h("p", { class: "notice" }, "Re-deriving this trace gave a different result from the stored decision; the stored decision stands.") : null,
      steps.length ? h("ol", { class: "trace", id: "trace" }, steps.map((s) => traceStep(s, d.policy_version))) : h("p", { class: "muted" }, "No trace.")),
    h("section", { "aria-labelledby": "h-exc" }, h("h2", { id: "h-exc" }, "Exceptions"),
      d.exceptions.length ? h("ul", {}, d.exceptions.map((e) => h("li", {}, h("code", {}, e.exception), " — handled by ", h("code", {}, e.handled_by))))
        : h("p", { class: "muted" }, "None raised.")),
    h("section", { "aria-labelledby": "h-items" }, h("h2", { id: "h-items" }, "Work items"),
      items.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Item", "Queue", "Status", "Reason", "Claimed by", "Note"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, items.map((i) => h("tr", {}, h("td", {}, String(i.id)), h("td", {}, i.queue), h("td", {}, i.status), h("td", {}, i.reason), h("td", {}, i.claimed_by || "—"), h("td", {}, i.note || "")))))) : h("p", { class: "muted" }, "None.")),
    h("section", { "aria-labelledby": "h-history" }, h("h2", { id: "h-history" }, "History"),
      h("ol", { id: "history" }, history(l).map(([t, what]) => h("li", {}, h("time", { datetime: t }, time(t)), " — ", what)))),
    h("section", { "aria-labelledby": "h-del" }, h("h2", { id: "h-del" }, "Deliveries"),
      deliveries.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Destination", "Kind", "Status", "Attempts", "Last answer"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, deliveries.map((x) => h("tr", {}, h("td", {}, x.destination), h("td", {}, x.kind), h("td", {}, x.status), h("td", {}, String(x.attempts)), h("td", {}, x.last_error || (x.last_status ? `HTTP ${x.last_status}` : "—"))))))) : h("p", { class: "muted" }, "No deliveries configured for it.")),
    h("section", { "aria-labelledby": "h-timers" }, h("h2", { id: "h-timers" }, "SLA clocks"),
      timers.length ? h("ul", {}, timers.map((t) => h("li", {}, `${t.kind}${t.rep ? ` (${t.rep})` : ""}: due ${time(t.due_at)} — ${t.outcome || "running"}`))) : h("p", { class: "muted" }, "None.")),
    h("details", {}, h("summary", {}, "The lead as received"), h("pre", { class: "card" }, JSON.stringify(l.lead, null, 2))),
  ];
}

// ---------------------------------------------------------------- reps

function oooDialog(rep) {
  const until = h("input", { type: "datetime-local", required: true });
  // Tomorrow by the service's clock (which a trial may have set apart from this computer's).
  const t = new Date(serviceNow() + 24 * 3600 * 1000);
  t.setMinutes(t.getMinutes() - t.getTimezoneOffset());
  until.value = t.toISOString().slice(0, 16);
  dialog(`${rep.id}: out of office`, "Set out of office", (b) => b.append(field("Back at (your local time)", until)),
    async () => {
      await api(`/v1/reps/${enc(rep.id)}`, { method: "PATCH", body: { out_of_office_until: new Date(until.value).toISOString().replace(/\.\d+Z$/, "Z") } });
      toast(`${rep.id} is out of office`);
      refresh();
    });
}

async function patchRep(rep, body, message) {
  try {
    await api(`/v1/reps/${enc(rep.id)}`, { method: "PATCH", body });
    toast(message);
    refresh();
  } catch (e) { toast(errorText(e), true); }
}

async function pageReps() {
  const { reps } = await api("/v1/reps");
  return [
    h("h1", {}, "Reps"),
    h("div", { class: "table-wrap" }, h("table", { id: "reps" },
      h("thead", {}, h("tr", {}, ["Rep", "Teams", "Available now", "Open load", "Today", "Out of office", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, reps.map((r) => {
        const cap = r.max_open, pct = cap ? Math.min(100, (100 * r.open_load) / cap) : 0;
        return h("tr", { dataset: { rep: r.id } },
          h("td", {}, h("strong", {}, r.id), r.email ? h("div", { class: "muted" }, r.email) : null),
          h("td", {}, r.teams.join(", ") || "—"),
          h("td", {}, r.available ? h("span", { class: "badge ok" }, "available") : h("span", { class: "badge bad" }, r.unavailable_because || "unavailable")),
          h("td", { class: "load" }, h("span", { class: "bar" + (cap && r.open_load >= cap ? " full" : ""), role: "img", "aria-label": `${r.open_load} of ${cap ?? "no cap"}` }, h("span", { style: `width:${pct}%` })),
            ` ${r.open_load} / ${cap ?? "∞"}`),
          h("td", {}, `${r.assigned_today} / ${r.max_per_day ?? "∞"}`),
          h("td", {}, r.out_of_office_until ? `until ${time(r.out_of_office_until)}` : "—"),
          h("td", {}, h("div", { class: "row-actions" },
            r.out_of_office_until ? actionButton("Back now", () => patchRep(r, { out_of_office_until: null }, `${r.id} is back`), { "aria-label": `${r.id} is back now` })
              : actionButton("Out of office…", () => oooDialog(r), { "aria-label": `Set ${r.id} out of office` }),
            actionButton(r.active ? "Deactivate" : "Activate", () => patchRep(r, { active: !r.active }, `${r.id} ${r.active ? "deactivated" : "activated"}`), { "aria-label": `${r.active ? "Deactivate" : "Activate"} ${r.id}` }))));
      })))),
    h("p", { class: "muted" }, "Availability is as of now, by the active policy: working hours, time zone, out of office and capacity."),
  ];
}

// ---------------------------------------------------------------- dashboard

function chart(id, title, svg, caption) {
  const fig = h("figure", { class: "chart card", id: `chart-${id}`, role: "group", "aria-labelledby": `chart-${id}-t` },
    h("h2", { id: `chart-${id}-t` }, title), h("div", { class: "svg" }), h("figcaption", {}, caption));
  // The server draws the SVG (plotters); it carries only policy names and numbers.
  $(".svg", fig).innerHTML = svg;
  const s = $("svg", fig);
  if (s) { s.setAttribute("role", "img"); s.setAttribute("aria-label", `${title}: ${caption}`); }
  return fig;
}

async function pageDashboard(params) {
  const hours = Number(params.get("hours") || 24);
  const d = await api(`/v1/dashboard?hours=${hours}`);
  const kpi = (label, value, id) => h("div", { class: "kpi", id }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
  const s = d.speed_to_lead, sla = d.sla;
  const open = d.queues.reduce((a, q) => a + q.open, 0);
  const total = Object.values(d.outcomes.totals).reduce((a, b) => a + b, 0);
  const windowSel = h("select", { id: "f-hours", onchange: (e) => { location.hash = `#/dashboard?hours=${e.target.value}`; } },
    [[1, "last hour"], [24, "last 24 hours"], [168, "last 7 days"], [720, "last 30 days"]].map(([v, t]) => h("option", { value: v, selected: v === hours }, t)));
  return [
    h("h1", {}, "Dashboard"),
    h("div", { class: "filters" }, h("div", {}, h("label", { for: "f-hours" }, "Window"), windowSel), h("p", { class: "muted" }, `As of ${time(d.as_of)}; ${d.bucket_minutes}-minute buckets.`)),
    h("div", { class: "kpis" },
      kpi("decisions", String(total), "kpi-decisions"),
      kpi("speed to lead, median", s.median_minutes === null ? "—" : `${s.median_minutes} min`, "kpi-speed"),
      kpi("speed to lead, p90", s.p90_minutes === null ? "—" : `${s.p90_minutes} min`, "kpi-p90"),
      kpi("SLA compliance", sla.compliance_percent === null ? "—" : `${sla.compliance_percent}%`, "kpi-sla"),
      kpi("open work items", String(open), "kpi-open")),
    h("div", { class: "charts" },
      chart("outcomes", "Decisions by outcome", d.charts.outcomes, Object.entries(d.outcomes.totals).map(([k, v]) => `${k} ${v}`).join(", ") || "no decisions yet"),
      chart("speed", "Speed to lead (minutes to first contact)", d.charts.speed_to_lead, `${s.contacted} of ${s.decided} leads contacted`),
      chart("sla", "SLA clocks met and breached", d.charts.sla, `${sla.met} met, ${sla.breached} breached`),
      chart("queues", "Exception queues", d.charts.queues, d.queues.map((q) => `${q.queue}: ${q.open} open, median ${q.median_resolve_minutes ?? "—"} min to resolve`).join("; ") || "no work items"),
      chart("reps", "Load per rep", d.charts.reps, d.reps.map((r) => `${r.rep} ${r.open_load}/${r.max_open ?? "∞"}`).join(", "))),
  ];
}

// ---------------------------------------------------------------- policies

function confirmActivate(v, active) {
  const isBack = active && new Date(v.created_at) < new Date(active.created_at);
  dialog(isBack ? `Roll back to ${shortVersion(v.version)}?` : `Activate ${shortVersion(v.version)}?`, isBack ? "Roll back" : "Activate", (b) => {
    b.append(h("p", {}, `From now on every lead is decided by version ${shortVersion(v.version)}`, v.message ? ` (“${v.message}”)` : "", `, instead of ${active ? shortVersion(active.version) : "none"}. Leads already decided keep their decisions. A running rollout stops.`),
      h("p", {}, h("a", { href: `#/policies?from=${enc(active ? active.version : "")}&to=${enc(v.version)}` }, "See what changes first")));
  }, async () => {
    await api(`/v1/policies/${enc(v.version)}/activate`, { method: "POST" });
    toast(`Version ${shortVersion(v.version)} is active`);
    refresh();
  }, isBack);
}

async function pagePolicies(params) {
  const { versions } = await api("/v1/policies");
  const active = versions.find((v) => v.active);
  const from = params.get("from") || (versions[1] || versions[0] || {}).version || "";
  const to = params.get("to") || (active || {}).version || "";
  const pick = (id, label, value) => h("div", {}, h("label", { for: id }, label),
    h("select", { id, name: id }, versions.map((v) => h("option", { value: v.version, selected: v.version === value }, `${shortVersion(v.version)} ${v.message || ""}`.trim()))));
  let diff = null;
  if (params.get("from") && params.get("to")) {
    const x = await api(`/v1/policy-diff?from=${enc(from)}&to=${enc(to)}`);
    diff = h("section", { class: "card", id: "diff", "aria-labelledby": "h-diff" }, h("h2", { id: "h-diff" }, `From ${shortVersion(from)} to ${shortVersion(to)}`),
      x.changes.length ? h("ul", { class: "changes" }, x.changes.map((c) => h("li", {}, h("strong", {}, `${c.kind} ${c.name}`), ": ", h("code", {}, c.change)))) : h("p", {}, "No change in behaviour."),
      h("p", { id: "diff-recent" }, `Of the last ${x.recent.leads} leads, decided again now from the current rep state, ${x.recent.changed} would go elsewhere.`),
      x.recent.moves.length ? h("ul", {}, x.recent.moves.map((m) => h("li", {}, `${m.leads} from ${m.from} to ${m.to} (e.g. `, m.examples.flatMap((e, i) => [i ? ", " : "", leadLink(e)]), ")"))) : null);
  }
  const compareForm = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/policies?from=${enc($("#diff-from").value)}&to=${enc($("#diff-to").value)}`;
  } }, pick("diff-from", "Compare", from), pick("diff-to", "with", to), h("button", { type: "submit" }, "Show diff"));
  return [
    h("h1", {}, "Policies"),
    h("div", { class: "table-wrap" }, h("table", { id: "versions" },
      h("thead", {}, h("tr", {}, ["Version", "Stored", "Author", "Message", "", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, versions.map((v) => h("tr", { dataset: { version: v.version } },
        h("td", {}, h("a", { href: `#/policies/${enc(v.version)}` }, h("code", {}, shortVersion(v.version))), " ", v.name),
        h("td", {}, time(v.created_at)), h("td", {}, v.author || "—"), h("td", {}, v.message || "—"),
        h("td", {}, v.active ? h("span", { class: "badge ok" }, "active") : ""),
        h("td", {}, v.active ? "" : actionButton(active && new Date(v.created_at) < new Date(active.created_at) ? "Roll back to this" : "Activate",
          () => confirmActivate(v, active), { "aria-label": `Activate version ${shortVersion(v.version)}` }))))))),
    h("h2", {}, "What changes between two versions"),
    compareForm,
    diff,
  ];
}

async function pagePolicy(version, file, line) {
  const v = await api(`/v1/policies/${enc(version)}`);
  const sources = v.sources || {};
  const names = Object.keys(sources);
  const shown = file && sources[file] !== undefined ? file : names[0];
  const lines = shown ? sources[shown].split("\n") : [];
  const view = h("div", { class: "source", id: "source" }, h("ol", {}, lines.map((t, i) => h("li", { id: `L${i + 1}`, class: String(i + 1) === line ? "here" : null }, t || " "))));
  setTimeout(() => { const el = line && document.getElementById(`L${line}`); if (el) el.scrollIntoView({ block: "center" }); }, 0);
  return [
    h("h1", {}, `Policy ${v.name} `, h("code", {}, shortVersion(v.version))),
    facts([["Version", v.version], ["Stored", time(v.created_at)], ["Author", v.author || "—"], ["Message", v.message || "—"], ["Active", v.active ? "yes" : "no"]]),
    names.length > 1 ? h("nav", { "aria-label": "Files" }, names.map((n) => h("a", { href: `#/policies/${enc(version)}/source/${enc(n)}/1`, style: "margin-right:1rem" }, n))) : null,
    shown ? [h("h2", {}, shown, line ? ` — line ${line}` : ""), view] : h("p", { class: "muted" }, "This version was stored as a built policy, without its sources."),
  ];
}

// ---------------------------------------------------------------- routing

const routes = [
  [/^\/queues$/, (m, p) => pageQueues(p), "queues"],
  [/^\/leads$/, () => pageLeads(), "leads"],
  [/^\/leads\/(.+)$/, (m) => pageLead(decodeURIComponent(m[1])), "leads"],
  [/^\/reps$/, () => pageReps(), "reps"],
  [/^\/dashboard$/, (m, p) => pageDashboard(p), "dashboard"],
  [/^\/policies$/, (m, p) => pagePolicies(p), "policies"],
  [/^\/policies\/([^/]+)$/, (m) => pagePolicy(decodeURIComponent(m[1])), "policies"],
  [/^\/policies\/([^/]+)\/source\/([^/]+)\/(\d+)$/, (m) => pagePolicy(decodeURIComponent(m[1]), decodeURIComponent(m[2]), m[3]), "policies"],
];

let rendering = 0;

/** Renders the page the address names; `focus` moves focus to it (a navigation, not a live refresh). */
async function render(focus) {
  const hash = location.hash.replace(/^#/, "") || "/queues";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const route = routes.find(([re]) => re.test(path));
  const main = $("#main");
  const ticket = ++rendering;
  state.stale = false;
  document.querySelectorAll("[data-nav]").forEach((a) => a.removeAttribute("aria-current"));
  if (!route) {
    main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "No page here. ", h("a", { href: "#/queues" }, "Go to the queues.")));
    return;
  }
  const nav = $(`[data-nav="${route[2]}"]`);
  if (nav) nav.setAttribute("aria-current", "page");
  try {
    const content = await route[1](route[0].exec(path), params);
    if (ticket !== rendering) return;
    const y = window.scrollY;
    // A live refresh keeps the keyboard where it was: the same control gets focus back.
    const was = document.activeElement && main.contains(document.activeElement) ? document.activeElement : null;
    const key = was && (was.id ? `#${CSS.escape(was.id)}` : was.getAttribute("aria-label") ? `[aria-label="${CSS.escape(was.getAttribute("aria-label"))}"]` : null);
    main.replaceChildren(...[content].flat(2).filter(Boolean));
    document.title = `${($("h1", main) || {}).textContent || "leadroute"} · leadroute workbench`;
    if (focus) main.focus({ preventScroll: true });
    else {
      window.scrollTo(0, y);
      const again = key && main.querySelector(key);
      if (again) again.focus({ preventScroll: true });
    }
    startTicking();
  } catch (e) {
    if (ticket !== rendering) return;
    main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, errorText(e)),
      h("p", {}, h("a", { href: "#/queues" }, "Back to the queues")));
  }
}

/** Live refresh: re-render in place, unless a dialog is open (then after it closes). */
function refresh() {
  if ($("#dialog").open) { state.stale = true; return; }
  render(false);
}

function live() {
  const badge = $("#live");
  const es = new EventSource("/v1/stream");
  let last = null, timer = null;
  es.addEventListener("open", () => { badge.textContent = "live"; badge.className = "live on"; });
  es.addEventListener("error", () => { badge.textContent = "reconnecting…"; badge.className = "live off"; });
  es.addEventListener("change", (ev) => {
    badge.textContent = "live"; badge.className = "live on";
    if (last !== null && ev.data !== last) {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }
    last = ev.data;
  });
}

async function start() {
  try {
    state.me = await api("/v1/whoami");
    state.meAt = Date.now();
  } catch (e) {
    $("#main").replaceChildren(h("p", { class: "error", role: "alert" }, errorText(e)));
    return;
  }
  $("#me").textContent = state.me.open ? `${state.me.name} (open service)` : `${state.me.name} · ${state.me.role}`;
  $("#logout").hidden = state.me.open;
  window.addEventListener("hashchange", () => render(true));
  live();
  render(false);
}

start();
