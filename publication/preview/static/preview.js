// The live preview page: listens to the server's event stream and shows the pages as
// spreads. New pages replace the old ones only once all their images are decoded, so
// the screen never flashes blank; while a build runs or fails, the last good pages stay.
"use strict";

const $ = (id) => document.getElementById(id);

// The interface's words in the publication's language (the server reads them from the tool's catalogs,
// publication/_builtin/locale): t("Page {number}", { number: 3 }) is "Pagina 3" in Dutch.
let WORDS = {};
let LANGUAGE = "en";
function t(message, values = {}) {
  const found = WORDS[message] || message;
  return found.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}

async function loadWords(language) {
  const response = await fetch(`/words/${language}.json`).catch(() => null);
  WORDS = response && response.ok ? await response.json() : {};
  document.documentElement.lang = language;
  // The page's own words: an element marked data-t has its text translated, data-t-ATTRIBUTE that attribute.
  for (const node of document.querySelectorAll("[data-t]")) {
    node.dataset.en ??= node.textContent.trim();
    node.textContent = t(node.dataset.en);
  }
  for (const name of ["placeholder", "title", "aria-label"]) {
    for (const node of document.querySelectorAll(`[data-t-${name}]`)) {
      const key = `en${name.replace("-", "")}`;
      node.dataset[key] ??= node.getAttribute(name);
      node.setAttribute(name, t(node.dataset[key]));
    }
  }
}
const GUIDES = ["bleed", "trim", "safety", "margins"];
const SIZE_KEY = "publication-preview-size";

let shown = { key: null, epoch: null, before: new Map(), digests: new Map(), edition: null };
let latestKey = null;

// An edition is shown again when its preflight findings arrive; its pictures stay the same.
const editionKey = (edition) => `${edition.epoch}/${edition.preflightPending ? "pending" : "checked"}`;
let zoomedPage = null;

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// --- pages and spreads ------------------------------------------------------------

function side(number) {
  return number % 2 === 1 ? "right" : "left";
}

function spreadsOf(pages) {
  // The cover stands alone on the right, then left/right pairs; an even last page stands alone.
  const spreads = [[pages[0]]];
  for (let i = 1; i < pages.length; i += 2) spreads.push(pages.slice(i, i + 2));
  return spreads;
}

function spreadLabel(spread, total) {
  if (spread.length === 2) return t("Pages {first}–{last}", { first: spread[0].number, last: spread[1].number });
  const number = spread[0].number;
  if (number === 1) return t("Cover");
  if (number === total) return t("Back cover");
  return t("Page {number}", { number });
}

function geometryStyle(edition) {
  const geometry = edition.geometry;
  return {
    "--w": geometry.page_width, "--h": geometry.page_height, "--b": geometry.bleed,
    "--mt": geometry.margin_top, "--mb": geometry.margin_bottom,
    "--mi": geometry.margin_inner, "--mo": geometry.margin_outer, "--gap": geometry.column_gap,
    "--safe": edition.safetyZone,
  };
}

function setVariables(node, variables) {
  for (const [name, value] of Object.entries(variables)) node.style.setProperty(name, value);
}

function guides(geometry, inner) {
  const margins = element("div", { class: "guide guide-margins" });
  if (inner) {
    for (let column = 1; column < geometry.columns; column++) {
      const gutter = element("div", { class: "guide-gutter" });
      gutter.style.setProperty("--column", column);
      gutter.style.setProperty("--columns", geometry.columns);
      margins.append(gutter);
    }
  }
  return ["bleed", "trim", "safety"].map((name) => element("div", { class: `guide guide-${name}` })).concat(margins);
}

function findingsFor(edition, number) {
  return edition.findings.filter((finding) => finding.page === number);
}

function pageFigure(edition, page, options = {}) {
  const total = edition.pages.length;
  const inner = page.number !== 1 && !(page.number === total && total % 2 === 0);
  const source = `/pages/${page.digest}${options.zoomed ? "@zoom" : ""}.png`;
  const image = element("img", { src: source, alt: t("Page {number}", { number: page.number }), decoding: "async", draggable: false });
  const sheet = element("div", { class: "sheet" }, image, ...guides(edition.geometry, inner),
    ...findingsFor(edition, page.number).filter((finding) => finding.area).map(areaMark));
  const figure = element("figure", {
    class: `page page--${side(page.number)}`, "data-number": page.number, "data-digest": page.digest,
  }, sheet);
  const count = findingsFor(edition, page.number).length;
  if (!options.bare) {
    const title = count > 1 ? t("{count} findings", { count }) : t("1 finding");
    const badge = count ? element("span", { class: "badge", title }, String(count)) : null;
    figure.append(element("figcaption", {}, element("span", { class: "folio" }, String(page.number)), badge));
    // The page's words, for screen readers and the browser's own find-in-page.
    figure.append(element("p", { class: "page-text visually-hidden" }, page.text));
  }
  if (count) figure.classList.add(`page--${worst(findingsFor(edition, page.number))}`);
  return figure;
}

function areaMark(finding) {
  // Where the preflight found the problem, in mm from the top left of the trimmed page.
  const mark = element("div", { class: `area area--${finding.severity}`, title: finding.message });
  const [x, y, width, height] = finding.area;
  setVariables(mark, { "--ax": x, "--ay": y, "--aw": width, "--ah": height });
  return mark;
}

function worst(findings) {
  if (findings.some((f) => f.severity === "error")) return "error";
  if (findings.some((f) => f.severity === "warning")) return "warning";
  return "info";
}

const SEVERITY_NAMES = { error: () => t("Error"), warning: () => t("Warning"), info: () => t("Note") };

function note(finding) {
  const head = element("span", { class: "note-head" },
    element("span", { class: "note-severity" }, SEVERITY_NAMES[finding.severity]?.() || finding.severity),
    finding.page ? element("span", { class: "note-page" }, t("page {number}", { number: finding.page })) : null);
  return element("li", { class: `note note--${finding.severity}` }, head,
    element("span", { class: "note-message" }, finding.message),
    finding.where ? element("code", { class: "note-where" }, finding.where) : null);
}

function spreadSection(edition, spread, index) {
  const slots = element("div", { class: "spread-pages" });
  if (spread.length === 1 && side(spread[0].number) === "right") slots.append(element("div", { class: "slot" }));
  for (const page of spread) {
    const figure = pageFigure(edition, page);
    Object.assign(figure, { tabIndex: 0, role: "button", ariaLabel: t("Page {number}: open it large", { number: page.number }) });
    figure.addEventListener("click", () => openZoom(page.number));
    figure.addEventListener("keydown", (event) => { if (event.key === "Enter") openZoom(page.number); });
    slots.append(figure);
  }
  const notes = spread.flatMap((page) => findingsFor(edition, page.number));
  const items = notes.map((finding) => {
    // Pointing at a note points at its page.
    const item = note(finding);
    const figure = slots.querySelector(`.page[data-number="${finding.page}"]`);
    item.addEventListener("mouseenter", () => figure.classList.add("page--pointed"));
    item.addEventListener("mouseleave", () => figure.classList.remove("page--pointed"));
    return item;
  });
  return element("section", { class: "spread", id: `spread-${index}`, "data-index": index },
    element("div", { class: "spread-body" },
      element("h2", { class: "spread-label" }, spreadLabel(spread, edition.pages.length)), slots),
    element("aside", { class: "notes", "aria-label": t("Preflight") }, ...findingsList(edition, items, t("No findings"))));
}

function findingsList(edition, items, clear) {
  // While the preflight runs, its findings are still to come: say so rather than "No findings".
  const checking = element("p", { class: "notes-pending" }, t("Checking…"));
  if (!items.length) return [edition.preflightPending ? checking : element("p", { class: "notes-clear" }, clear)];
  return edition.preflightPending ? [element("ol", {}, ...items), checking] : [element("ol", {}, ...items)];
}

function thumbnail(edition, spread, index) {
  const pages = element("div", { class: "thumb-pages" });
  if (spread.length === 1 && side(spread[0].number) === "right") pages.append(element("div", { class: "slot" }));
  for (const page of spread) pages.append(pageFigure(edition, page, { bare: true }));
  const button = element("button", { type: "button", class: "thumb", "data-index": index },
    pages, element("span", { class: "thumb-label" }, spreadLabel(spread, edition.pages.length)));
  button.addEventListener("click", () => $(`spread-${index}`).scrollIntoView({ behavior: "smooth", block: "center" }));
  return button;
}

function generalFindings(edition) {
  const general = edition.findings.filter((finding) => !finding.page);
  const box = $("general");
  box.replaceChildren();
  box.hidden = general.length === 0;
  if (general.length) {
    box.append(element("h2", {}, t("Notes on the whole brochure")), element("ol", {}, ...general.map(note)));
  }
}

async function showEdition(edition) {
  const spreads = spreadsOf(edition.pages);
  const list = element("div", { id: "spread-list" }, ...spreads.map((spread, i) => spreadSection(edition, spread, i)));
  const thumbs = spreads.map((spread, i) => thumbnail(edition, spread, i));
  setVariables(document.documentElement, geometryStyle(edition));
  fitSpreads();
  // Swap only when every new picture is ready, and only if no newer edition arrived meanwhile.
  await Promise.all([...list.querySelectorAll("img")].map((img) => img.decode().catch(() => null)));
  if (editionKey(edition) !== latestKey) return;

  const previous = shown.epoch === edition.epoch ? shown.before : shown.digests;
  const scroll = $("spreads").scrollTop;
  $("spread-list").replaceWith(list);
  $("thumbnails").replaceChildren(...thumbs);
  $("spreads").scrollTop = scroll;
  generalFindings(edition);
  if (previous.size) {
    for (const figure of document.querySelectorAll(".page[data-digest]")) {
      if (previous.get(Number(figure.dataset.number)) !== figure.dataset.digest) figure.classList.add("page--changed");
    }
  }
  const digests = new Map(edition.pages.map((p) => [p.number, p.digest]));
  shown = { key: editionKey(edition), epoch: edition.epoch, before: previous, digests, edition };
  $("empty").hidden = true;
  $("title").textContent = edition.title;
  $("pipeline").textContent = edition.pipeline === "print" ? t("Print PDF · with preflight") : t("Screen rendering · with bleed");
  document.title = t("{title} · preview", { title: edition.title });
  document.body.dataset.epoch = edition.epoch;
  applySearch();
  observeSpreads();
  showComments();
  if (zoomedPage !== null) openZoom(Math.min(zoomedPage, edition.pages.length));
}

// --- status and errors --------------------------------------------------------------

function showStatus(state) {
  const edition = state.edition;
  let text;
  let kind;
  if (state.building) {
    kind = "building";
    if (!edition) text = t("Building the first pages…");
    else if (edition.preflightPending) text = t("New pages · running the preflight…");
    else text = t("Rebuilding…");
  } else if (state.failure.length) {
    kind = "failed";
    text = edition ? t("Error in the last save · showing the last good pages") : t("The brochure could not be built");
  } else if (edition) {
    kind = "ok";
    text = t("Up to date · {pages} pages · {time}, {seconds} s",
      { pages: edition.pages.length, time: edition.builtAt, seconds: edition.seconds.toLocaleString(LANGUAGE, { maximumFractionDigits: 1, minimumFractionDigits: 1 }) });
  } else {
    kind = "building";
    text = t("Waiting for the first build…");
  }
  document.body.dataset.state = kind;
  $("status").className = `status status--${kind}`;
  $("status-text").textContent = text;
}

function showBanner(state) {
  const banner = $("banner");
  if (!state.failure.length) {
    banner.hidden = true;
    $("banner-issues").replaceChildren();
    return;
  }
  if (!state.edition) $("empty").textContent = t("Nothing to show yet: fix the problem above and save.");
  $("banner-note").textContent = state.edition
    ? t("Fix it and save again; until then these are the pages from {time}.", { time: state.edition.builtAt })
    : t("Fix it and save again to see the pages.");
  $("banner-issues").replaceChildren(...state.failure.map((issue) =>
    element("li", {}, issue.where ? element("code", {}, issue.where) : null, element("span", {}, issue.message))));
  banner.hidden = false;
}

function onState(state) {
  if (state.language !== LANGUAGE) {
    // The publication's language changed (or this is the first state): its words first, then all again.
    LANGUAGE = state.language;
    loadWords(LANGUAGE).then(() => { shown.key = null; latestKey = null; onState(state); });
    return;
  }
  showStatus(state);
  showBanner(state);
  if (state.review !== shownReview) {
    shownReview = state.review;
    loadComments();
  }
  if (state.edition && editionKey(state.edition) !== shown.key) {
    latestKey = editionKey(state.edition);
    showEdition(state.edition);
  }
}

function connect() {
  const events = new EventSource("/events");
  events.addEventListener("state", (event) => onState(JSON.parse(event.data)));
  events.addEventListener("error", () => {
    if (events.readyState !== EventSource.OPEN) {
      document.body.dataset.state = "offline";
      $("status").className = "status status--offline";
      $("status-text").textContent = t("Connection lost · is “publication preview” still running?");
    }
  });
}

// --- guides, size, search, the spread in view -----------------------------------------

function setupGuides() {
  for (const guide of GUIDES) {
    const box = $(`toggle-${guide}`);
    const key = `publication-preview-${guide}`;
    box.checked = localStorage.getItem(key) === "1";
    const apply = () => {
      document.body.classList.toggle(`show-${guide}`, box.checked);
      localStorage.setItem(key, box.checked ? "1" : "0");
    };
    box.addEventListener("change", apply);
    apply();
  }
}

function fitSpreads() {
  // Size 1 fits a whole spread, its label and its notes into the visible pasteboard.
  const board = $("spreads");
  const style = getComputedStyle(document.documentElement);
  const width = Number(style.getPropertyValue("--w")), height = Number(style.getPropertyValue("--h"));
  const across = (board.clientWidth - 60 - 290 - 28 - 24) / (2 * width);
  const down = (board.clientHeight - 26 - 40 - 26 - 30) / height;
  document.documentElement.style.setProperty("--fit", `${Math.max(0.5, Math.min(across, down)).toFixed(3)}px`);
}

function setupSize() {
  const slider = $("size");
  slider.value = localStorage.getItem(SIZE_KEY) || "1";
  const apply = () => {
    document.documentElement.style.setProperty("--size", slider.value);
    localStorage.setItem(SIZE_KEY, slider.value);
  };
  slider.addEventListener("input", apply);
  window.addEventListener("resize", fitSpreads);
  apply();
  fitSpreads();
}

// Search: pages with the text stand out, the words themselves are marked on them, and
// Enter (Shift+Enter) or the arrows step through the matches in page order.
const pageWords = new Map();  // digest -> [[text, x, y, width, height] in mm], fetched once per picture
let hits = [];                // [{page, boxes: [[x, y, w, h]]}] in page order
let hitIndex = 0;
let searchRun = 0;

function wordsOf(page) {
  if (!pageWords.has(page.digest)) {
    pageWords.set(page.digest, fetch(`/pages/${page.digest}.words.json`).then((r) => (r.ok ? r.json() : []), () => []));
  }
  return pageWords.get(page.digest);
}

function findIn(words, query) {
  // The words joined by single spaces, as the query is; each match marks every word it touches.
  let text = "";
  const starts = words.map(([word]) => { const start = text.length; text += `${word.toLowerCase()} `; return start; });
  const found = [];
  for (let at = text.indexOf(query); at >= 0; at = text.indexOf(query, at + 1)) {
    const boxes = words.filter((_, i) => starts[i] < at + query.length && starts[i] + words[i][0].length > at)
      .map(([, x, y, w, h]) => [x, y, w, h]);
    if (boxes.length) found.push(boxes);
  }
  return found;
}

async function applySearch() {
  const query = $("search").value.trim().toLowerCase().split(/\s+/).join(" ");
  document.body.classList.toggle("searching", query.length > 0);
  const run = ++searchRun;
  if (!shown.edition) return;
  const pages = shown.edition.pages.filter((p) => query && p.text.toLowerCase().includes(query));
  const matches = new Set(pages.map((p) => p.number));
  for (const figure of document.querySelectorAll(".page[data-number]")) {
    figure.classList.toggle("page--match", matches.has(Number(figure.dataset.number)));
  }
  const found = [];
  for (const page of pages) {
    for (const boxes of findIn(await wordsOf(page), query)) found.push({ page: page.number, boxes });
  }
  if (run !== searchRun) return;  // a newer query or edition took over
  hits = found;
  hitIndex = Math.min(hitIndex, Math.max(hits.length - 1, 0));
  showHits();
}

function showHits() {
  for (const old of document.querySelectorAll(".hit")) old.remove();
  const query = $("search").value.trim();
  $("search-count").textContent = !query ? "" : hits.length ? t("{index} of {count}", { index: hitIndex + 1, count: hits.length }) : t("no matches");
  $("search-prev").disabled = $("search-next").disabled = hits.length < 2;
  hits.forEach((hit, index) => {
    for (const sheet of document.querySelectorAll(`.page[data-number="${hit.page}"] .sheet`)) {
      for (const [x, y, w, h] of hit.boxes) {
        const mark = element("div", { class: `hit${index === hitIndex ? " hit--current" : ""}` });
        setVariables(mark, { "--hx": x, "--hy": y, "--hw": w, "--hh": h });
        sheet.append(mark);
      }
    }
  });
}

function stepSearch(step) {
  if (!hits.length) return;
  hitIndex = (hitIndex + step + hits.length) % hits.length;
  const hit = hits[hitIndex];
  if (zoomedPage !== null && zoomedPage !== hit.page) openZoom(hit.page);
  showHits();
  const current = document.querySelector(zoomedPage !== null ? "#zoom-stage .hit--current" : ".spread .hit--current");
  current?.scrollIntoView({ block: "center", inline: "center", behavior: "smooth" });
}

function setupSearch() {
  const search = $("search");
  search.addEventListener("input", () => { hitIndex = 0; applySearch(); });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); stepSearch(event.shiftKey ? -1 : 1); }
  });
  $("search-next").addEventListener("click", () => stepSearch(1));
  $("search-prev").addEventListener("click", () => stepSearch(-1));
}

let observer = null;
function observeSpreads() {
  if (observer) observer.disconnect();
  observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const index = entry.target.dataset.index;
      for (const thumb of document.querySelectorAll(".thumb")) {
        thumb.classList.toggle("thumb--current", thumb.dataset.index === index);
      }
    }
  }, { root: $("spreads"), threshold: 0.35 });
  for (const spread of document.querySelectorAll(".spread")) observer.observe(spread);
}

// --- the zoomed page ------------------------------------------------------------------

function openZoom(number) {
  const edition = shown.edition;
  if (!edition) return;
  const page = edition.pages[number - 1];
  zoomedPage = number;
  $("zoom-title").textContent = t("Page {number} of {total}", { number, total: edition.pages.length });
  $("zoom-stage").replaceChildren(pageFigure(edition, page, { zoomed: true, bare: true }));
  const notes = findingsFor(edition, number);
  $("zoom-notes").replaceChildren(element("h2", {}, t("Preflight")),
    ...findingsList(edition, notes.map(note), t("No findings on this page")),
    element("section", { id: "zoom-comments", class: "zoom-comments" }));
  $("zoom-goto").max = edition.pages.length;
  showComments();
  showHits();
  $("zoom-prev").disabled = number <= 1;
  $("zoom-next").disabled = number >= edition.pages.length;
  $("zoom").hidden = false;
  document.body.classList.add("zooming");
}

function closeZoom() {
  zoomedPage = null;
  setCommenting(false);
  $("zoom").hidden = true;
  document.body.classList.remove("zooming");
}

// The large page: zoom in steps (buttons, + and -, Ctrl and the wheel), pan by dragging it.
const ZOOM_STEPS = [1, 1.5, 2, 3, 4];
let zoomLevel = 1;

function setZoom(level, focus) {
  const stage = $("zoom-stage");
  const rect = stage.getBoundingClientRect();
  // Keep the point under the pointer (or the middle of the view) where it is.
  const fx = focus ? focus.x - rect.left : stage.clientWidth / 2;
  const fy = focus ? focus.y - rect.top : stage.clientHeight / 2;
  const ratio = level / zoomLevel;
  const x = (stage.scrollLeft + fx) * ratio - fx, y = (stage.scrollTop + fy) * ratio - fy;
  zoomLevel = level;
  stage.style.setProperty("--zoom", level);
  stage.classList.toggle("zoom-stage--zoomed", level > 1);
  $("zoom-fit").textContent = `${Math.round(level * 100)}%`;
  $("zoom-out").disabled = level <= ZOOM_STEPS[0];
  $("zoom-in").disabled = level >= ZOOM_STEPS[ZOOM_STEPS.length - 1];
  stage.scrollLeft = x;
  stage.scrollTop = y;
}

function zoomBy(step, focus) {
  const index = ZOOM_STEPS.indexOf(zoomLevel) + step;
  if (index >= 0 && index < ZOOM_STEPS.length) setZoom(ZOOM_STEPS[index], focus);
}

function goToPage(value, large) {
  const edition = shown.edition;
  const number = Number.parseInt(value, 10);
  if (!edition || !Number.isFinite(number)) return;
  const page = Math.min(Math.max(number, 1), edition.pages.length);
  if (large) return openZoom(page);
  const figure = document.querySelector(`.spread .page[data-number="${page}"]`);
  figure.scrollIntoView({ block: "center", behavior: "smooth" });
  figure.classList.add("page--pointed");
  setTimeout(() => figure.classList.remove("page--pointed"), 1600);
}

function setupPanning() {
  const stage = $("zoom-stage");
  let start = null;
  stage.addEventListener("pointerdown", (event) => {
    if (commenting || zoomLevel <= 1 || event.button !== 0 || event.target.closest(".pin")) return;
    start = { x: event.clientX, y: event.clientY, left: stage.scrollLeft, top: stage.scrollTop };
    stage.setPointerCapture(event.pointerId);
    stage.classList.add("zoom-stage--panning");
  });
  stage.addEventListener("pointermove", (event) => {
    if (!start) return;
    stage.scrollLeft = start.left - (event.clientX - start.x);
    stage.scrollTop = start.top - (event.clientY - start.y);
  });
  const stop = () => { start = null; stage.classList.remove("zoom-stage--panning"); };
  stage.addEventListener("pointerup", stop);
  stage.addEventListener("pointercancel", stop);
  stage.addEventListener("wheel", (event) => {
    if (!event.ctrlKey) return;
    event.preventDefault();
    zoomBy(event.deltaY < 0 ? 1 : -1, { x: event.clientX, y: event.clientY });
  }, { passive: false });
}

function setupZoom() {
  $("zoom-close").addEventListener("click", closeZoom);
  $("zoom-prev").addEventListener("click", () => openZoom(zoomedPage - 1));
  $("zoom-next").addEventListener("click", () => openZoom(zoomedPage + 1));
  $("zoom-in").addEventListener("click", () => zoomBy(1));
  $("zoom-out").addEventListener("click", () => zoomBy(-1));
  $("zoom-fit").addEventListener("click", () => setZoom(1));
  $("zoom-goto").addEventListener("change", (event) => { goToPage(event.target.value, true); event.target.value = ""; });
  $("goto").addEventListener("change", (event) => { goToPage(event.target.value, false); event.target.value = ""; });
  setupPanning();
  setZoom(1);
  document.addEventListener("keydown", (event) => {
    if (zoomedPage === null || ["INPUT", "TEXTAREA"].includes(event.target.tagName)) return;
    if (event.key === "+" || event.key === "=") zoomBy(1);
    if (event.key === "-") zoomBy(-1);
    if (event.key === "0") setZoom(1);
    if (event.key === "Escape") closeZoom();
    if (event.key === "ArrowLeft" && zoomedPage > 1) openZoom(zoomedPage - 1);
    if (event.key === "ArrowRight" && zoomedPage < shown.edition.pages.length) openZoom(zoomedPage + 1);
  });
}

// --- comments: placed on a page, kept by the server in the project's review/comments.yml ---------

const TOKEN = document.querySelector('meta[name="preview-token"]').content;
const AUTHOR_KEY = "publication-preview-author";
let comments = [];
let commentsProblem = null;
let shownReview = null;
let commenting = false;
let draft = null;

async function post(route, body) {
  // The token proves the request comes from this page; the server refuses writes without it.
  const response = await fetch(route, {
    method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-Preview-Token": TOKEN },
  });
  if (!response.ok) throw new Error((await response.text()) || t("the preview answered {status}", { status: response.status }));
  return response.json();
}

async function loadComments() {
  const response = await fetch("/comments.json", { cache: "no-store" }).catch(() => null);
  if (!response || !response.ok) return;
  const found = await response.json();
  comments = found.comments;
  commentsProblem = found.problem;
  showComments();
}

const topComments = (number) => comments.filter((c) => c.page === number && !c.reply_to);
const repliesTo = (id) => comments.filter((c) => c.reply_to === id);
const author = () => (localStorage.getItem(AUTHOR_KEY) || "").trim();

function localTime(iso) {
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? iso : moment.toLocaleString(LANGUAGE, { dateStyle: "medium", timeStyle: "short" });
}

function pin(comment, index) {
  const mark = element("button", {
    type: "button", class: `pin pin--${comment.state || "open"}`, "data-comment": comment.id,
    title: `${comment.author}: ${comment.comment}`, ariaLabel: t("Comment {number} by {author}", { number: index, author: comment.author }),
  }, String(index));
  setVariables(mark, { "--px": comment.x_mm, "--py": comment.y_mm });
  mark.addEventListener("click", (event) => {
    event.stopPropagation();
    if (zoomedPage !== comment.page) openZoom(comment.page);
    const card = document.querySelector(`#zoom-comments [data-comment="${comment.id}"]`);
    if (card) { card.scrollIntoView({ block: "nearest" }); card.classList.add("comment--pointed"); }
  });
  return mark;
}

function commentCard(comment, index, full) {
  const where = comment.file ? `${comment.file}${comment.line ? `:${comment.line}` : ""}` : null;
  const card = element("li", { class: `comment comment--${comment.state || "open"}`, "data-comment": comment.id },
    element("span", { class: "comment-head" },
      element("span", { class: "comment-number" }, String(index)),
      element("strong", { class: "comment-author" }, comment.author),
      element("time", { dateTime: comment.time, class: "comment-time" }, localTime(comment.time)),
      comment.state === "resolved" ? element("span", { class: "comment-state" }, t("resolved")) : null),
    element("span", { class: "comment-body" }, comment.comment),
    where ? element("code", { class: "comment-where", title: comment.quoted || "" }, where) : null,
    ...repliesTo(comment.id).map((reply) => element("div", { class: "comment-reply" },
      element("strong", { class: "comment-author" }, reply.author), " ",
      element("span", { class: "comment-body" }, reply.comment))));
  if (!full) return card;
  const error = element("p", { class: "comment-error", role: "alert", hidden: true });
  const fail = (problem) => { error.textContent = problem.message; error.hidden = false; };
  const needsName = () => {
    if (author()) return false;
    fail(new Error(t("Type your name first (the field above the comments).")));
    return true;
  };
  const text = element("textarea", { class: "reply-text", rows: 2, maxLength: 4000, placeholder: t("Reply…"), ariaLabel: t("Reply") });
  const send = element("button", { type: "button", class: "comment-button comment-button--save reply-send" }, t("Reply"));
  send.addEventListener("click", () => {
    if (!needsName() && text.value.trim()) {
      post("/comments/reply", { parent: comment.id, author: author(), comment: text.value }).then(loadComments, fail);
    }
  });
  const resolved = comment.state === "resolved";
  const toggle = element("button", { type: "button", class: "comment-button comment-resolve" }, resolved ? t("Reopen") : t("Resolve"));
  toggle.addEventListener("click", () => {
    if (!needsName()) {
      post("/comments/state", { id: comment.id, state: resolved ? "open" : "resolved", author: author() })
        .then(loadComments, fail);
    }
  });
  card.append(element("div", { class: "comment-actions" }, text, send, toggle), error);
  return card;
}

function showComments() {
  for (const old of document.querySelectorAll(".pin:not(.pin--draft)")) old.remove();
  for (const figure of document.querySelectorAll(".page[data-number]")) {
    const sheet = figure.querySelector(".sheet");
    topComments(Number(figure.dataset.number)).forEach((comment, i) => sheet.append(pin(comment, i + 1)));
  }
  for (const spread of document.querySelectorAll(".spread")) {
    const aside = spread.querySelector(".notes");
    aside.querySelector(".comments")?.remove();
    const cards = [...spread.querySelectorAll(".page[data-number]")].flatMap((figure) =>
      topComments(Number(figure.dataset.number)).map((comment, i) => commentCard(comment, i + 1, false)));
    if (cards.length) aside.append(element("div", { class: "comments" }, element("h3", {}, t("Comments")), element("ol", {}, ...cards)));
  }
  const box = $("zoom-comments");
  if (!box || zoomedPage === null) return;
  const name = element("input", { type: "text", id: "reviewer-name", maxLength: 80, value: author(), autocomplete: "name" });
  name.addEventListener("change", () => localStorage.setItem(AUTHOR_KEY, name.value.trim()));
  const cards = topComments(zoomedPage).map((comment, i) => commentCard(comment, i + 1, true));
  box.replaceChildren(...[element("h2", {}, t("Comments")),
    element("label", { class: "reviewer" }, element("span", {}, t("Your name")), name),
    commentsProblem ? element("p", { class: "comment-error" }, commentsProblem) : null,
    cards.length ? element("ol", {}, ...cards)
      : element("p", { class: "comments-none" }, t("No comments on this page. Press “+ Comment”, then click the place."))]
    .filter(Boolean));
}

function setCommenting(on) {
  commenting = on;
  document.body.classList.toggle("commenting", on);
  $("zoom-comment").setAttribute("aria-pressed", String(on));
  $("zoom-hint").hidden = !on;
  if (!on) closeCommentForm();
}

function closeCommentForm() {
  $("comment-form").hidden = true;
  $("comment-error").hidden = true;
  draft?.mark.remove();
  draft = null;
}

function placeComment(event) {
  const sheet = event.target.closest(".sheet");
  if (!commenting || !sheet || zoomedPage === null || event.target.closest(".pin")) return;
  const rect = sheet.getBoundingClientRect();
  const geometry = shown.edition.geometry;
  const x = ((event.clientX - rect.left) / rect.width) * geometry.page_width;
  const y = ((event.clientY - rect.top) / rect.height) * geometry.page_height;
  draft?.mark.remove();
  const mark = element("span", { class: "pin pin--draft" }, "+");
  setVariables(mark, { "--px": x, "--py": y });
  sheet.append(mark);
  draft = { page: zoomedPage, x, y, mark, epoch: shown.edition.epoch };
  const form = $("comment-form");
  form.hidden = false;
  const left = Math.min(event.clientX + 14, window.innerWidth - form.offsetWidth - 12);
  const top = Math.min(event.clientY + 14, window.innerHeight - form.offsetHeight - 12);
  form.style.left = `${Math.max(12, left)}px`;
  form.style.top = `${Math.max(12, top)}px`;
  $("comment-author").value = author();
  (author() ? $("comment-text") : $("comment-author")).focus();
}

function setupComments() {
  $("zoom-comment").addEventListener("click", () => setCommenting(!commenting));
  $("zoom-stage").addEventListener("click", placeComment);
  $("comment-cancel").addEventListener("click", closeCommentForm);
  $("comment-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!draft) return;
    const name = $("comment-author").value.trim();
    localStorage.setItem(AUTHOR_KEY, name);
    $("comment-save").disabled = true;
    try {
      await post("/comments", { page: draft.page, x_mm: Math.round(draft.x * 10) / 10, y_mm: Math.round(draft.y * 10) / 10,
        epoch: draft.epoch, author: name, comment: $("comment-text").value });
      $("comment-text").value = "";
      setCommenting(false);
      await loadComments();
    } catch (problem) {
      $("comment-error").textContent = problem.message;
      $("comment-error").hidden = false;
    } finally {
      $("comment-save").disabled = false;
    }
  });
}

setupGuides();
setupSize();
setupZoom();
setupComments();
setupSearch();
connect();
