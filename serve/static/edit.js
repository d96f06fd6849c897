// Archivists' corrections on the page: inline editing of a result or a video-view segment (with its history and a
// revert button per version), the person panel (rename / merge / split / not-this-person / undo), the role-title
// queue and relevance judgments on the results. It decorates what app.js renders (cards and strip figures carry
// data-segment) and talks to the /v1 edit routes with the key from the page's API-key field (an editor key).
// Every string from the server goes through textContent, never innerHTML.

import { h } from "/static/dom.js";

const $ = (id) => document.getElementById(id);
const FIELDS = {
  segment: [["title", "Title"], ["synopsis", "Description"], ["ocr_text", "On-screen text (OCR)"],
    ["caption", "Caption"], ["keywords", "Keywords (comma-separated)"]],
  credit: [["name", "Name"], ["role_text", "Role as credited"], ["role_code", "EBU role code"]],
};


async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = $("api-key") ? $("api-key").value.trim() : "";
  if (key) headers.set("X-API-Key", key);
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    options = { ...options, body: JSON.stringify(options.json) };
  }
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(body && body.detail ? body.detail : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

const shown = (value) => (Array.isArray(value) ? value.join(", ") : value ?? "");
const when = (iso) => new Date(iso).toLocaleString();
const thumbUrl = (id) => `/v1/thumbnails/${encodeURIComponent(id)}`;

// ---- the side panel every editor opens in ----------------------------------------------------------------------
function panel() {
  let el = $("edit-panel");
  if (!el) {
    el = h("aside", { id: "edit-panel", class: "edit-panel", hidden: true, role: "dialog", "aria-modal": "false",
      "aria-labelledby": "edit-panel-title" },
      h("header", {}, h("h2", { id: "edit-panel-title" }),
        h("button", { type: "button", class: "close", "aria-label": "close editor", onclick: closePanel, text: "✕" })),
      h("p", { id: "edit-message", class: "edit-message", "aria-live": "polite" }),
      h("div", { id: "edit-body" }));
    document.body.append(el);
  }
  return el;
}

function openPanel(title, ...content) {
  const el = panel();
  $("edit-panel-title").textContent = title;
  $("edit-message").replaceChildren();
  $("edit-body").replaceChildren(...content);
  el.hidden = false;
}

function closePanel() { panel().hidden = true; }

function say(text, kind = "ok") {
  $("edit-message").replaceChildren(h("span", { class: kind, text }));
}

function failed(error) {
  const hint = error.status === 401 || error.status === 403 ? " — enter an editor key in Relevance ⚙ → API key" : "";
  say(`${error.message}${hint}`, "error");
}

function researchSoon() {  // show the edited text in the results at once
  const query = $("query");
  if (query && query.value.trim() && $("search-button")) $("search-button").click();
}

// ---- segments and credits --------------------------------------------------------------------------------------
async function editItem(target, id) {
  openPanel(`Edit ${target} ${id}`, h("p", { class: "hint", text: "Loading…" }));
  try {
    renderItem(await api(`/v1/edits/${target}/${encodeURIComponent(id)}`));
  } catch (error) { failed(error); }
}

function renderItem(item) {
  const inputs = {};
  const rows = FIELDS[item.target].map(([name, text]) => {
    const value = shown(item.values[name]);
    const input = name === "keywords" || name === "role_code" || name === "name"
      ? h("input", { type: "text", name, value })
      : h("textarea", { name, rows: name === "synopsis" ? 3 : 2 });
    if (input.tagName === "TEXTAREA") input.value = value;
    inputs[name] = input;
    const notes = [];
    if (item.edited.includes(name)) notes.push(h("span", { class: "machine", text: `machine: ${shown(item.machine[name]) || "—"}` }));
    if (item.review.includes(name)) notes.push(h("span", { class: "review", text: "machine value changed since this edit: review" }));
    return h("label", { class: "edit-field", "data-field": name }, text, input, ...notes);
  });
  const reason = h("input", { type: "text", name: "reason", placeholder: "why (optional)", maxlength: "500" });
  const save = h("button", { type: "submit", class: "primary", text: `Save as version ${item.version + 1}` });
  const form = h("form", { class: "edit-form", "data-version": String(item.version) }, ...rows, reason, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { reason: reason.value || undefined };
    for (const [name, input] of Object.entries(inputs)) {
      const before = shown(item.values[name]);
      if (input.value !== before) body[name] = input.value.trim() === "" ? null : input.value;
    }
    try {
      const path = item.target === "segment" ? "segments" : "credits";
      const next = await api(`/v1/${path}/${encodeURIComponent(item.target_id)}`, {
        method: "PATCH", headers: { "If-Match": `"${item.version}"` }, json: body });
      renderItem(next);
      say(`Saved version ${next.version}.`);
      researchSoon();
    } catch (error) { failed(error); }
  });
  const extra = item.target === "credit" ? [h("button", { type: "button", class: "ghost danger",
    text: item.deleted ? "Deleted (revert to restore)" : "Delete this false credit", disabled: item.deleted,
    onclick: async () => {
      try {
        renderItem(await api(`/v1/credits/${encodeURIComponent(item.target_id)}`, {
          method: "DELETE", headers: { "If-Match": `"${item.version}"` } }));
        say("Deleted.");
      } catch (error) { failed(error); }
    } })] : [];
  $("edit-body").replaceChildren(form, ...extra, history(item));
}

function history(item) {
  const revert = (version) => async () => {
    try {
      const next = await api(`/v1/edits/${item.target}/${encodeURIComponent(item.target_id)}/revert`, {
        method: "POST", headers: { "If-Match": `"${item.version}"` }, json: { to_version: version } });
      renderItem(next);
      say(`Reverted to version ${version} (now version ${next.version}).`);
      researchSoon();
    } catch (error) { failed(error); }
  };
  const undo = (record) => async () => {
    try {
      const next = await api(`/v1/edits/${item.target}/${encodeURIComponent(item.target_id)}/undo`, {
        method: "POST", json: { edit_id: record.id } });
      renderItem(next);
      say(`Undid version ${record.version}.`);
      researchSoon();
    } catch (error) { failed(error); }
  };
  const rows = item.history.map((record) => h("li", { class: "version", "data-version": String(record.version) },
    h("strong", { text: `v${record.version} · ${record.kind}` }),
    h("span", { class: "who", text: ` ${record.who}, ${when(record.at)}` }),
    record.reason ? h("q", { text: record.reason }) : null,
    h("ul", { class: "changes" }, Object.entries(record.changes).map(([name, c]) => h("li", {},
      h("code", { text: name }), ` ${shown(c.old) || "—"} → ${c.follows_machine ? "(machine) " : ""}${shown(c.new) || "—"}`))),
    h("button", { type: "button", class: "ghost revert", text: `Revert to v${record.version}`,
      disabled: record.version === item.version, onclick: revert(record.version) }),
    record.kind === "edit" ? h("button", { type: "button", class: "ghost undo", text: "Undo", onclick: undo(record) }) : null));
  return h("section", { class: "edit-history" }, h("h3", { text: "History" }),
    item.history.length ? h("ol", {}, rows) : h("p", { class: "hint", text: "No edits yet: these are the machine's values." }),
    item.version ? h("button", { type: "button", class: "ghost revert", "data-version": "0", text: "Revert to machine values (v0)",
      onclick: revert(0) }) : null);
}

// ---- decorating the results and the video view ----------------------------------------------------------------
function tools(segmentId, card, index) {
  const stop = (fn) => (event) => { event.stopPropagation(); fn(); };
  const buttons = [h("button", { type: "button", class: "ghost edit-segment", text: "✎ Edit",
    title: "correct this segment's text", onclick: stop(() => editItem("segment", segmentId)) })];
  if (card) {
    buttons.push(h("button", { type: "button", class: "ghost judge", "data-relevance": "1", text: "Relevant",
      onclick: stop(() => judge(card, segmentId, 1, index)) }));
    buttons.push(h("button", { type: "button", class: "ghost judge", "data-relevance": "0", text: "Not relevant",
      onclick: stop(() => judge(card, segmentId, 0, index)) }));
  }
  return h("div", { class: "edit-tools" }, buttons);
}

// The judgments made on this page, by query and segment: app.js re-renders the cards (paging, re-ranking, a new
// search for the same words), and a re-rendered card must still show how it was judged.
const judged = new Map();
const judgedKey = (query, segmentId) => `${query}\u0000${segmentId}`;

function resultsQuery() {
  const results = $("results");
  return (results && results.dataset.query) || ($("query") ? $("query").value.trim() : "");
}

function markJudged(card, relevance) {
  card.classList.toggle("judged-relevant", relevance > 0);
  card.classList.toggle("judged-not", relevance === 0);
  card.setAttribute("data-judged", String(relevance));
}

function decorate() {
  const cards = [...document.querySelectorAll("#results .card[data-segment]")];
  const query = resultsQuery();
  cards.forEach((card, i) => {
    if (!card.querySelector(".edit-tools")) (card.querySelector(".body") || card).append(tools(card.dataset.segment, card, i));
    const relevance = judged.get(judgedKey(query, card.dataset.segment));
    if (relevance !== undefined && card.getAttribute("data-judged") !== String(relevance)) markJudged(card, relevance);
  });
  for (const figure of document.querySelectorAll("#strip figure[data-segment]")) {
    if (!figure.querySelector(".edit-tools")) figure.append(tools(figure.dataset.segment, null, 0));
  }
}

async function judge(card, segmentId, relevance, index) {
  const ranking = [...document.querySelectorAll("#results .card[data-segment]")].map((c) => c.dataset.segment);
  const profile = $("profile") ? $("profile").value : "";
  const query = resultsQuery();
  try {
    await api("/v1/judgments", { method: "POST", json: {
      query, doc_id: segmentId, relevance, profile: profile || null, ranking, rank: index + 1 } });
    judged.set(judgedKey(query, segmentId), relevance);
    // the card clicked may have been replaced by a re-render meanwhile: mark the one on the page now
    const shown = [...document.querySelectorAll("#results .card[data-segment]")]
      .filter((c) => c.dataset.segment === segmentId);
    for (const current of new Set([card, ...shown])) markJudged(current, relevance);
  } catch (error) {
    openPanel("Relevance judgment");
    failed(error);
  }
}

// ---- persons: rename, merge, split, not this person, undo --------------------------------------------------------
async function peoplePanel() {
  openPanel("People", h("p", { class: "hint", text: "Loading…" }));
  try {
    const [identities, events] = await Promise.all([api("/v1/identities"), api("/v1/identities/history?limit=20")]);
    renderPeople(identities, events);
  } catch (error) { failed(error); }
}

async function identityChange(path, body, done) {
  try {
    const change = await api(path, { method: "POST", json: body });
    await peoplePanel();
    say(`${done}: ${change.summary}`);
  } catch (error) { failed(error); }
}

function renderPeople(identities, events) {
  const picked = () => [...document.querySelectorAll("#edit-body .identity input.pick:checked")].map((c) => c.value);
  const merge = h("button", { type: "button", class: "primary merge", text: "Merge selected into the first",
    onclick: () => {
      const [keep, ...others] = picked();
      if (!keep || !others.length) { say("Select two or more persons to merge.", "error"); return; }
      identityChange(`/v1/identities/${encodeURIComponent(keep)}/merge`, { others }, "Merged");
    } });
  const rows = identities.map((identity) => {
    const name = h("input", { type: "text", class: "rename", value: identity.name || "", placeholder: "name this person" });
    const persons = identity.persons.map((pid) => h("li", { class: "member", "data-person": pid },
      h("img", { src: thumbUrl(pid), alt: "", loading: "lazy" }), h("code", { text: pid }),
      identity.persons.length > 1 ? h("button", { type: "button", class: "ghost not-this", text: "Not this person",
        onclick: () => identityChange(`/v1/identities/${encodeURIComponent(identity.identity_id)}/not-this-person`,
          { person_id: pid }, "Split off") }) : null));
    return h("li", { class: "identity", "data-identity": identity.identity_id },
      h("input", { type: "checkbox", class: "pick", value: identity.identity_id, "aria-label": `select ${identity.identity_id}` }),
      h("div", {}, h("strong", { text: identity.name || identity.identity_id }),
        h("span", { class: "hint", text: ` ${identity.persons.length} face cluster(s) in ${identity.videos.length} video(s)` }),
        h("form", { class: "rename-form", onsubmit: (e) => { e.preventDefault();
          identityChange(`/v1/identities/${encodeURIComponent(identity.identity_id)}/name`, { name: name.value }, "Named"); } },
          name, h("button", { type: "submit", class: "ghost", text: "Rename" })),
        h("ul", { class: "members" }, persons)));
  });
  const log = events.map((event) => h("li", { class: "identity-event", "data-event": event.id },
    h("span", { text: `${event.kind}: ${event.summary || ""} ` }),
    event.kind !== "undo" && !event.undone_by ? h("button", { type: "button", class: "ghost undo-identity", text: "Undo",
      onclick: () => identityChange("/v1/identities/undo", { event_id: event.id }, "Undone") }) : null));
  $("edit-body").replaceChildren(merge, h("ul", { class: "identities" }, rows),
    h("section", { class: "edit-history" }, h("h3", { text: "Changes" }), h("ol", {}, log)));
}

// ---- role titles the mapper could not code ---------------------------------------------------------------------
async function rolesPanel() {
  openPanel("Role titles without a code", h("p", { class: "hint", text: "Loading…" }));
  try {
    renderRoles(await api("/v1/role-titles/queue?limit=50"));
  } catch (error) { failed(error); }
}

function renderRoles(queue) {
  const map = (title, code) => async () => {
    try {
      const done = await api("/v1/role-titles/map", { method: "POST", json: { title, code } });
      renderRoles(await api("/v1/role-titles/queue?limit=50"));
      say(`“${title}” → ${code}: ${done.credits_updated} credit(s) updated.`);
    } catch (error) { failed(error); }
  };
  const rows = queue.map((item) => {
    const code = h("input", { type: "text", class: "code", placeholder: "code, e.g. 6.1", size: "8" });
    return h("li", { class: "role-title", "data-key": item.key },
      h("strong", { text: item.title }), h("span", { class: "hint", text: ` ${item.credits} credit(s), ${item.videos} video(s)` }),
      h("div", { class: "suggestions" }, item.suggestions.map((s) => h("button", { type: "button", class: "ghost suggestion",
        "data-code": s.code, text: `${s.code} ${s.label}`, title: `${s.department} · score ${s.score}`,
        onclick: map(item.title, s.code) }))),
      h("form", { onsubmit: (e) => { e.preventDefault(); map(item.title, code.value.trim())(); } }, code,
        h("button", { type: "submit", class: "ghost", text: "Map" })));
  });
  $("edit-body").replaceChildren(queue.length ? h("ol", { class: "role-queue" }, rows)
    : h("p", { class: "hint", text: "Every credited role title has a code." }));
}

// ---- start -----------------------------------------------------------------------------------------------------
function init() {
  const bar = document.querySelector(".topbar");
  if (bar) {
    const anchor = $("tune-toggle");
    const people = h("button", { id: "people-toggle", type: "button", class: "ghost", text: "People ✎", onclick: peoplePanel });
    const roles = h("button", { id: "roles-toggle", type: "button", class: "ghost", text: "Role titles ✎", onclick: rolesPanel });
    bar.insertBefore(people, anchor);
    bar.insertBefore(roles, anchor);
  }
  for (const id of ["results", "strip"]) {
    const target = $(id);
    if (target) new MutationObserver(decorate).observe(target, { childList: true });
  }
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel().hidden) closePanel(); });
  decorate();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
