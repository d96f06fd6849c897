// vidsearch web page: text and face search over the /v1 API, live re-ranking, a video timeline view.
// Plain ES module, no build step. Every string from the server goes through textContent, never innerHTML.

import { h } from "/static/dom.js";

const RETRIEVERS = {
  bm25_ko: { label: "Korean text", desc: "BM25 over on-screen text, credits and titles (Korean morphemes)" },
  bm25_en: { label: "English text", desc: "BM25 over English-analysed text (and the query's translation)" },
  bm25_credits: { label: "Credits", desc: "BM25 over the end-credit lines a segment shows (leaned on when a query names a credited person)" },
  text_vec: { label: "Meaning", desc: "multilingual sentence vectors: finds paraphrases across languages" },
  clip_vec: { label: "Visual", desc: "image-text vectors of the keyframes" },
};
const EXAMPLES = ["한라산", "kimchi stew", "해운대 해수욕장", "palace at night", "촬영감독"];

const $ = (id) => document.getElementById(id);
const state = {
  caps: null, weights: {}, touched: false, controller: null, lastQuery: "", hitsBySegment: new Map(),
  cursors: [null], pageIndex: 0, nextCursor: null, showWeaker: false,
};


function clock(seconds) {
  const s = Math.max(0, seconds || 0);
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return `${String(m).padStart(2, "0")}:${rest.toFixed(1).padStart(4, "0")}`;
}

function colour(name) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--r-${name}`).trim();
  return value || getComputedStyle(document.documentElement).getPropertyValue("--r-other").trim();
}

function label(name) { return (RETRIEVERS[name] || { label: name }).label; }

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = $("api-key").value.trim();
  if (key) headers.set("X-API-Key", key);
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const detail = body && (body.detail || body.title) ? body.detail || body.title : `HTTP ${response.status}`;
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return body;
}

function thumbUrl(id, n) {
  return `/v1/thumbnails/${encodeURIComponent(id)}${n ? `?n=${n}` : ""}`;
}

// A segment's thumbnail straight from the media cache (served by the API process, cached by the browser).
function mediaUrl(item) {
  return item.thumbnail ? `/v1/media/${item.thumbnail.split("/").map(encodeURIComponent).join("/")}`
    : thumbUrl(item.segment_id || item.id);
}

function setStatus(...parts) {
  $("status").replaceChildren(...parts);
}

function showError(error) {
  setStatus(h("span", { class: "error", text: error.message }));
}

// ---- capabilities → controls ---------------------------------------------------------------------------------
async function loadCapabilities() {
  try {
    state.caps = await api("/v1/capabilities");
  } catch (error) {
    showError(error);
    return;
  }
  const caps = state.caps;
  state.weights = { ...caps.default_weights };
  buildSliders();
  const fusion = $("fusion");
  fusion.replaceChildren(...caps.fusion_methods.map((m) => h("option", { value: m, text: m === "rrf" ? "RRF" : m })));
  fusion.value = caps.fusion;
  $("normalization").replaceChildren(...caps.normalizations.map((n) => h("option", { value: n, text: n })));
  $("profile").replaceChildren(h("option", { value: "", text: `${caps.default_profile} (default)` }),
    ...caps.profiles.filter((p) => p !== caps.default_profile).map((p) => h("option", { value: p, text: p })));
  const face = caps.features.face_search;
  const button = $("face-button");
  button.classList.toggle("disabled", !face.available);
  button.title = face.available ? "find the videos where the person in a photo appears" : face.detail;
  $("face-input").disabled = !face.available;
  const counts = caps.counts || {};
  const unavailable = Object.entries(caps.unavailable_retrievers).map(([n, why]) => `${label(n)}: ${why}`);
  $("capabilities").textContent = `${counts.videos ?? 0} videos · ${counts.segments ?? 0} segments · ` +
    `${counts.persons ?? 0} persons indexed. Translator: ${caps.features.translator.available ? "on" : "off"}.` +
    (unavailable.length ? ` Not installed — ${unavailable.join("; ")}.` : "");
}

function buildSliders() {
  const box = $("sliders");
  box.replaceChildren();
  for (const name of state.caps.retrievers) {
    const value = h("span", { class: "value", text: (state.weights[name] ?? 0).toFixed(2) });
    const input = h("input", {
      type: "range", min: "0", max: "1", step: "0.05", value: String(state.weights[name] ?? 0),
      "aria-label": `${label(name)} weight`, "data-retriever": name,
    });
    input.addEventListener("input", () => {
      state.weights[name] = Number(input.value);
      value.textContent = Number(input.value).toFixed(2);
      state.touched = true;
      $("profile").value = "";
      rerankSoon();
    });
    const dot = h("span", { class: "dot" });
    dot.style.background = colour(name);
    box.append(h("div", { class: "slider" },
      h("div", { class: "row" }, h("span", { class: "name" }, dot, label(name)), value),
      input,
      h("div", { class: "desc", text: (RETRIEVERS[name] || {}).desc || name })));
  }
}

function syncSliders(weights) {
  for (const input of document.querySelectorAll("#sliders input[type=range]")) {
    const name = input.dataset.retriever;
    const weight = weights[name] ?? 0;
    input.value = String(weight);
    input.closest(".slider").querySelector(".value").textContent = weight.toFixed(2);
  }
}

let rerankTimer = null;
function rerankSoon() {
  clearTimeout(rerankTimer);
  rerankTimer = setTimeout(() => { if (state.lastQuery) search(state.lastQuery, { quiet: true }); }, 160);
}

// ---- text search -----------------------------------------------------------------------------------------------
async function search(query, { quiet = false, page = 0 } = {}) {
  query = query.trim();
  if (!query) return;
  if (query !== state.lastQuery) state.showWeaker = false;
  if (page === 0) state.cursors = [null];  // new weights or settings: the old cursors belong to another search
  state.pageIndex = page;
  state.lastQuery = query;
  $("empty").hidden = true;
  $("face-query").hidden = true;
  $("results").setAttribute("aria-busy", "true");  // until renderHits (or the error) is on the page
  if (!quiet) setStatus(h("span", { text: "Searching…" }));
  if (state.controller) state.controller.abort();
  state.controller = new AbortController();
  const body = {
    query, k: Number($("k").value), explain: true,
    fusion: $("fusion").value || undefined, normalization: $("normalization").value || undefined,
  };
  const cursor = state.cursors[page];
  if (cursor) body.cursor = cursor;
  const profile = $("profile").value;
  if (profile) body.profile = profile;
  else if (state.touched) body.weights = state.weights;
  const url = new URL(location.href);
  url.searchParams.set("q", query);
  history.replaceState(null, "", url);
  try {
    const response = await api("/v1/search", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      signal: state.controller.signal,
    });
    renderHits(response);
  } catch (error) {
    if (error.name !== "AbortError") {
      showError(error);
      $("results").setAttribute("aria-busy", "false");
    }
  }
}

// Each retriever's share of what lifted the hit: its weighted score above that retriever's weakest candidate
// (the server's explain "lift", never negative), so the chips read the same under min-max, z-score or RRF fusion —
// a z-scored contribution is negative for any hit below the list's mean, however well it matched.
function whyMatched(hit) {
  const parts = [];
  if (hit.explain) {
    const lift = (v) => Math.max(0, v.lift ?? v.contribution ?? 0);
    const entries = Object.entries(hit.explain).filter(([name, v]) => lift(v) > 0 || hit.matched_by.includes(name));
    const total = entries.reduce((sum, [, v]) => sum + lift(v), 0);
    const share = (v) => (total > 0 ? lift(v) / total : 1 / entries.length);
    const bar = h("div", { class: "bar", title: "share of the match from each retriever" });
    for (const [name, v] of entries) {
      const seg = h("span");
      seg.style.width = `${100 * share(v)}%`;
      seg.style.background = colour(name);
      bar.append(seg);
    }
    parts.push(bar);
    parts.push(h("div", { class: "chips" }, entries.map(([name, v]) => {
      const swatch = h("span", { class: "swatch" });
      swatch.style.background = colour(name);
      const rank = v.rank ? `rank ${v.rank} in this list, ` : "not in this list's candidates, ";
      return h("span", { class: "chip", "data-retriever": name, "data-share": share(v).toFixed(4),
        title: `${rank}raw score ${v.raw === null ? "—" : v.raw.toFixed(3)}` },
        swatch, `${label(name)} ${Math.round(100 * share(v))}%`);
    })));
  } else {
    parts.push(h("div", { class: "chips" }, hit.matched_by.map((n) => h("span", { class: "chip", text: label(n) }))));
  }
  return h("div", { class: "why" }, h("span", { class: "label", text: "why it matched" }), ...parts);
}

function hitCard(hit, rank) {
  const card = h("article", { class: "card", tabindex: "0", "data-segment": hit.segment_id,
    "data-relative": hit.relative === null || hit.relative === undefined ? null : String(hit.relative),
    "aria-label": `${hit.title || hit.file_name || hit.video_id} ${clock(hit.start_s)}` },
    h("div", { class: "thumb" },
      h("img", { src: mediaUrl(hit), alt: "", loading: "lazy" }),
      h("span", { class: "rank", text: `#${rank}` })),
    h("div", { class: "body" },
      // the time sits under the picture, never over it: burnt-in captions live in the frame's lower part
      h("div", { class: "card-head" }, h("h3", { text: hit.title || hit.file_name || hit.video_id }),
        h("span", { class: "time", text: `${clock(hit.start_s)}–${clock(hit.end_s)}` })),
      hit.text ? h("p", { class: "snippet", text: hit.text }) : null,
      whyMatched(hit),
      h("span", { class: "score", text: `score ${hit.score.toFixed(3)}` })));
  const open = () => openVideo(hit.video_id, { segmentId: hit.segment_id, hit });
  card.addEventListener("click", open);
  card.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  return card;
}

// Hits below the relevance floor are kept behind "show weaker matches": vector retrieval always returns k
// neighbours, however unrelated. The floor reads each hit's `relative` score (the server rescales the fused scores
// of a search onto 1 = best … 0 = weakest candidate), not a share of the top score: z-scores can be negative.
function splitByFloor(hits) {
  const floor = state.caps ? state.caps.relevance_floor : 0;
  const rel = (hit) => (hit.relative === null || hit.relative === undefined ? 1 : hit.relative);
  const cut = hits.findIndex((hit, i) => i > 0 && rel(hit) < floor);  // ranked best first: one cut
  return cut < 0 ? [hits, []] : [hits.slice(0, cut), hits.slice(cut)];
}

function renderHits(response) {
  const grid = $("results");
  state.hitsBySegment = new Map(response.hits.map((hit) => [hit.segment_id, hit]));
  state.nextCursor = response.next_cursor;
  state.cursors[state.pageIndex + 1] = response.next_cursor;
  const offset = state.pageIndex * Number($("k").value);
  const [strong, weak] = state.pageIndex === 0 ? splitByFloor(response.hits) : [response.hits, []];
  const cards = strong.map((hit, i) => hitCard(hit, offset + i + 1));
  if (weak.length) {
    const weaker = h("div", { class: "weaker", id: "weaker", hidden: !state.showWeaker },
      weak.map((hit, i) => hitCard(hit, offset + strong.length + i + 1)));
    const toggle = h("button", { type: "button", class: "ghost wide", id: "show-weaker",
      "aria-expanded": String(state.showWeaker),
      text: state.showWeaker ? "Hide weaker matches" : `Show ${weak.length} weaker match${weak.length === 1 ? "" : "es"}` });
    toggle.addEventListener("click", () => {
      state.showWeaker = !state.showWeaker;
      weaker.hidden = !state.showWeaker;
      toggle.setAttribute("aria-expanded", String(state.showWeaker));
      toggle.textContent = state.showWeaker ? "Hide weaker matches" : `Show ${weak.length} weaker match${weak.length === 1 ? "" : "es"}`;
    });
    cards.push(h("div", { class: "weaker-row" }, toggle), weaker);
  }
  grid.replaceChildren(...cards);
  // what tests and decorators (edit.js) wait on: the page is rendered, for this query and page
  grid.dataset.query = response.query;
  grid.dataset.page = String(state.pageIndex);
  grid.dataset.renders = String(Number(grid.dataset.renders || 0) + 1);
  grid.setAttribute("aria-busy", "false");
  renderPager(response);
  state.weights = { ...response.weights };
  syncSliders(response.weights);
  const parts = [h("strong", { text: `${strong.length} result${strong.length === 1 ? "" : "s"}` }),
    weak.length ? ` (+${weak.length} weaker)` : "", state.pageIndex ? ` (page ${state.pageIndex + 1})` : "",
    ` for “${response.query}” in ${Math.round(response.took_ms)} ms · ${response.fusion === "rrf" ? "RRF" : "weighted"} fusion of ` +
    response.retrievers.map(label).join(", ")];
  if (response.translated_query) parts.push(` · English: “${response.translated_query}”`);
  for (const note of response.notices) parts.push(h("span", { class: "notice", text: note }));
  if ((response.degraded || []).length) {
    parts.push(h("span", { class: "notice degraded", text: `Partial answer: ${response.degraded.map(label).join(", ")} unavailable right now.` }));
  }
  if (!response.hits.length) parts.push(h("span", { class: "notice", text: "No scene matched. Try other words or the other language." }));
  setStatus(...parts);
}

function renderPager(response) {
  const pager = $("pager");
  const previous = h("button", { type: "button", class: "ghost", id: "previous-page", text: "← Previous",
    disabled: state.pageIndex === 0, onclick: () => goToPage(state.pageIndex - 1) });
  const next = h("button", { type: "button", class: "ghost", id: "next-page", text: "Next →",
    disabled: !response.next_cursor, onclick: () => goToPage(state.pageIndex + 1) });
  pager.replaceChildren(previous, h("span", { class: "page-number", text: `page ${state.pageIndex + 1}` }), next);
  pager.hidden = state.pageIndex === 0 && !response.next_cursor;
}

function goToPage(index) {
  if (index < 0 || (index > 0 && !state.cursors[index])) return;
  search(state.lastQuery, { page: index }).then(() => {
    const first = document.querySelector("#results .card");
    if (first) first.focus();
  });
}

// Arrow keys move between result cards (by rows of the grid), Enter opens one; "/" goes to the search box;
// "n" / "p" turn the page.
function onKeyNavigation(e) {
  if (e.target.closest("input, select, textarea") || !$("video-view").hidden) {
    return;
  }
  if (e.key === "/") { e.preventDefault(); $("query").focus(); return; }
  if (e.key === "n" && state.nextCursor) { goToPage(state.pageIndex + 1); return; }
  if (e.key === "p" && state.pageIndex > 0) { goToPage(state.pageIndex - 1); return; }
  const cards = [...document.querySelectorAll("#results .card")].filter((c) => c.offsetParent !== null);
  if (!cards.length || !["ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp"].includes(e.key)) return;
  const at = cards.indexOf(document.activeElement);
  const top = cards[0].getBoundingClientRect().top;
  const columns = Math.max(1, cards.filter((c) => c.getBoundingClientRect().top === top).length);
  const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns }[e.key];
  const target = at < 0 ? 0 : Math.min(cards.length - 1, Math.max(0, at + step));
  e.preventDefault();
  cards[target].focus();
  cards[target].scrollIntoView({ block: "nearest" });
}

// ---- face search -----------------------------------------------------------------------------------------------
async function searchFace(file) {
  if (!file) return;
  $("empty").hidden = true;
  state.lastQuery = "";
  const preview = URL.createObjectURL(file);
  $("face-query").replaceChildren(h("img", { src: preview, alt: "uploaded face" }),
    h("div", {}, h("strong", { text: "Search by face" }), h("div", { class: "hint", text: file.name })));
  $("face-query").hidden = false;
  setStatus(h("span", { text: "Looking for this person…" }));
  const form = new FormData();
  form.append("photo", file, file.name);
  form.append("k", $("k").value);
  try {
    const response = await api("/v1/search/face", { method: "POST", body: form });
    renderFaceMatches(response);
  } catch (error) {
    $("results").replaceChildren();
    showError(error);
  }
}

function renderFaceMatches(response) {
  // response: vidsearch.faces.search.PhotoSearchResult — videos best first, each with its matching persons.
  $("results").replaceChildren(...response.videos.map((match, i) => {
    const best = match.persons[0];
    const card = h("article", { class: "card", tabindex: "0", "data-video": match.video_id, "data-person": best.person_id },
      h("div", { class: "thumb" },
        best.thumbnails.length ? h("img", { src: thumbUrl(best.person_id), alt: "", loading: "lazy" }) : null,
        h("span", { class: "rank", text: `#${i + 1}` })),
      h("div", { class: "body" },
        h("div", { class: "card-head" }, h("h3", { text: match.title || match.file_name || match.video_id }),
          h("span", { class: "time", text: `distance ${match.distance.toFixed(2)}` })),
        best.name ? h("p", { class: "snippet", text: best.name }) : null,
        h("div", { class: "why" }, h("span", { class: "label", text: "appears at" }),
          h("div", { class: "appearances" }, match.appearances.slice(0, 8).map((a) =>
            h("span", { class: "chip", text: `${clock(a.start_s)}–${clock(a.end_s)}` })))),
        h("span", { class: "score", text: `${best.face_count} face${best.face_count === 1 ? "" : "s"} seen` +
          (best.screen_time_s ? ` · ${Math.round(best.screen_time_s)} s on screen` : "") })));
    const open = () => openVideo(match.video_id, { personId: best.person_id });
    card.addEventListener("click", open);
    card.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    return card;
  }));
  const faces = response.faces.length;
  const parts = [h("strong", { text: `${response.videos.length} video${response.videos.length === 1 ? "" : "s"}` }),
    ` with this person (${faces} face${faces === 1 ? "" : "s"} in the photo; searched face ${response.chosen + 1}; ` +
    `distance ≤ ${response.max_distance.toFixed(2)}) in ${Math.round(response.took_ms)} ms`];
  for (const note of response.warnings) parts.push(h("span", { class: "notice", text: note }));
  if (!response.videos.length) parts.push(h("span", { class: "notice", text: "Nobody in the archive looks like this person." }));
  setStatus(...parts);
}

// ---- video view --------------------------------------------------------------------------------------------------
async function openVideo(videoId, { segmentId = null, personId = null } = {}) {
  let view;
  try {
    view = await api(`/v1/videos/${encodeURIComponent(videoId)}`);
  } catch (error) {
    showError(error);
    return;
  }
  const { video, segments, persons, credits } = view;
  $("video-title").textContent = video.title || video.programme_title || video.file_name;
  $("video-meta").textContent = [video.programme_title, video.channel, video.air_date,
    `${clock(video.duration_s)} · ${segments.length} segment${segments.length === 1 ? "" : "s"} · ` +
    `${persons.length} person${persons.length === 1 ? "" : "s"}`].filter(Boolean).join(" · ");
  $("video-synopsis").textContent = video.synopsis || "";
  const personName = (p) => p.name || `person ${p.cluster + 1}`;
  $("people").replaceChildren(...persons.map((person) => {
    const figure = h("figure", { class: `person-chip${person.id === personId ? " highlight" : ""}`, title: person.id },
      person.thumbnails.length ? h("img", { src: thumbUrl(person.id), alt: personName(person) }) : null,
      h("figcaption", {}, h("strong", { text: personName(person) }),
        h("span", { text: `${Math.round(person.screen_time_s || 0)} s on screen · ${person.face_count} faces` })));
    return figure;
  }));
  $("credits").replaceChildren(credits.length ? h("table", { class: "credits" },
    h("tbody", {}, credits.slice(0, 40).map((c) => h("tr", {}, h("td", { text: c.role_label || c.role_text }), h("td", { text: c.name })))))
    : "");
  const duration = Math.max(video.duration_s, ...segments.map((s) => s.end_s), 1);
  const pct = (t) => `${(100 * t) / duration}%`;
  const player = $("player");
  const select = (segment) => {
    // the segment plays from its start to its end: a media fragment, fetched with HTTP Range requests
    player.poster = mediaUrl(segment);
    player.src = `/v1/videos/${encodeURIComponent(videoId)}/media#t=${segment.start_s.toFixed(2)},${segment.end_s.toFixed(2)}`;
    player.dataset.segment = segment.id;
    player.setAttribute("aria-label", `video from ${clock(segment.start_s)} to ${clock(segment.end_s)}`);
    const text = [segment.ocr_text, segment.caption, segment.credits_text].filter(Boolean).join("\n");
    $("preview-caption").textContent = `${clock(segment.start_s)}–${clock(segment.end_s)}${text ? "\n" + text : ""}`;
    for (const el of document.querySelectorAll("#video-view [data-segment]")) {
      el.classList.toggle("selected", el.dataset.segment === segment.id);
    }
  };
  const lanes = [];
  const shotLane = h("div", { class: "lane" }, h("span", { class: "lane-name", text: "segments" }));
  for (const segment of segments) {
    const block = h("div", { class: `block${state.hitsBySegment.has(segment.id) ? " hit" : ""}`, "data-segment": segment.id,
      title: `${clock(segment.start_s)}–${clock(segment.end_s)}` });
    block.style.left = pct(segment.start_s);
    block.style.width = pct(segment.end_s - segment.start_s);
    block.addEventListener("click", () => select(segment));
    shotLane.append(block);
  }
  lanes.push(shotLane);
  for (const person of persons) {
    const lane = h("div", { class: `lane person${person.id === personId ? " highlight" : ""}`, "data-person": person.id },
      h("span", { class: "lane-name", text: personName(person), title: person.id }));
    for (const a of person.appearances) {
      const block = h("div", { class: "block", title: `${personName(person)}: ${clock(a.start_s)}–${clock(a.end_s)}` });
      block.style.left = pct(a.start_s);
      block.style.width = pct(Math.max(a.end_s - a.start_s, duration / 400));
      block.addEventListener("click", () => {
        const at = segments.find((s) => s.start_s <= a.start_s && s.end_s > a.start_s);
        if (at) select(at);
      });
      lane.append(block);
    }
    lanes.push(lane);
  }
  const axis = h("div", { class: "axis" });
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const t = (duration * i) / ticks;
    const tick = h("span", { text: clock(t).replace(/\.\d$/, "") });
    tick.style.left = pct(t);
    axis.append(tick);
  }
  $("timeline").replaceChildren(...lanes, axis);
  $("strip").replaceChildren(...segments.map((segment) => {
    const figure = h("figure", { class: state.hitsBySegment.has(segment.id) ? "hit" : "", "data-segment": segment.id },
      h("img", { src: mediaUrl(segment), alt: "", loading: "lazy" }),
      h("figcaption", { text: `${clock(segment.start_s)}–${clock(segment.end_s)}` }));
    figure.addEventListener("click", () => select(segment));
    return figure;
  }));
  let first = segments.find((s) => s.id === segmentId);
  if (!first && personId) {  // the middle of the person's longest appearance
    const person = persons.find((p) => p.id === personId);
    const longest = person && [...person.appearances].sort((a, b) => (b.end_s - b.start_s) - (a.end_s - a.start_s))[0];
    const middle = longest ? (longest.start_s + longest.end_s) / 2 : null;
    first = segments.find((s) => middle !== null && s.start_s <= middle && s.end_s > middle);
  }
  first = first || segments[0];
  $("video-view").hidden = false;
  if (first) {
    select(first);
    const selected = $("strip").querySelector(`[data-segment="${CSS.escape(first.id)}"]`);
    if (selected) selected.scrollIntoView({ block: "nearest", inline: "center" });
  }
  $("close-video").focus();
}

function closeVideo() {
  const player = $("player");
  player.pause();
  $("video-view").hidden = true;
}

// ---- wiring ------------------------------------------------------------------------------------------------------
function init() {
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search($("query").value); });
  $("face-input").addEventListener("change", (e) => { searchFace(e.target.files[0]); e.target.value = ""; });
  $("tune-toggle").addEventListener("click", () => {
    const panel = $("tuning");
    panel.hidden = !panel.hidden;
    $("tune-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  });
  for (const id of ["fusion", "normalization", "k"]) $(id).addEventListener("change", rerankSoon);
  $("profile").addEventListener("change", () => { state.touched = false; rerankSoon(); });
  $("reset-weights").addEventListener("click", () => {
    state.weights = { ...state.caps.default_weights };
    state.touched = false;
    $("profile").value = "";
    $("fusion").value = state.caps.fusion;
    syncSliders(state.weights);
    rerankSoon();
  });
  $("close-video").addEventListener("click", closeVideo);
  $("video-view").addEventListener("click", (e) => { if (e.target === $("video-view")) closeVideo(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeVideo(); });
  document.addEventListener("keydown", onKeyNavigation);
  $("examples").replaceChildren(...EXAMPLES.map((q) => h("button", { type: "button", text: q,
    onclick: () => { $("query").value = q; search(q); } })));
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (file && state.caps && state.caps.features.face_search.available) searchFace(file);
  });
  const saved = sessionStorage.getItem("vidsearch-key");
  if (saved) $("api-key").value = saved;
  $("api-key").addEventListener("change", () => { sessionStorage.setItem("vidsearch-key", $("api-key").value); loadCapabilities(); });
  loadCapabilities().then(() => {
    const q = new URL(location.href).searchParams.get("q");
    if (q) { $("query").value = q; search(q); }
  });
}

init();
