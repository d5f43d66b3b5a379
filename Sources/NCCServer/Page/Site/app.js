// The person's page: choose pictures, make their fingerprints on this device, open a case with the
// fingerprints only, keep the case number and secret, check the case, withdraw it.
// Nothing is stored on the device (no cookies, no storage); the secret lives only in this page's memory.
const version = new URL(import.meta.url).searchParams.get("v") || "";
const MIN_QUALITY = 50;            // PDQ quality under which the bank refuses a picture's look (as `case submit`)
const MAX_PIXELS = 50_000_000;     // larger pictures risk running a phone out of memory while decoding
const MAX_VIDEO_SECONDS = 7200;    // `nccmatch hash`'s longest video (VideoDecodingOptions.maxDurationSeconds)
const MAX_VIDEO_FRAMES = 3600;     // the bank takes up to 3,600 frames of a video (WireLimits.maxFramesPerVideo)
const MAX_CASE_HASHES = 10_000;    // one case request holds at most this many hashes, each video frame counting as one

const $ = (id) => document.getElementById(id);
const state = {
  settings: { bank_name: "", help_links: [], languages: [{ code: "en", name: "English" }], default_language: "en", max_pictures: 200 },
  strings: {}, fallback: {}, language: "en",
  pictures: [], nextKey: 1, worker: null, videoQueue: Promise.resolve(), waiting: new Map(),
  sentNames: [], lastStatus: null, tooMany: false,
};

// ---- words -------------------------------------------------------------------------------------------------

function t(key, vars = {}) {
  let text = state.strings[key] ?? state.fallback[key] ?? key;
  const all = { bank: state.settings.bank_name, ...vars };
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in all ? String(all[name]) : match));
}

function tn(key, n, vars = {}) {
  const form = new Intl.PluralRules(state.language).select(n);
  const chosen = (`${key}.${form}` in state.strings || `${key}.${form}` in state.fallback) ? `${key}.${form}` : `${key}.other`;
  return t(chosen, { n, ...vars });
}

async function fetchStrings(code) {
  const response = await fetch(`i18n/${encodeURIComponent(code)}.json?v=${version}`);
  if (!response.ok) throw new Error(`language ${code}`);
  return response.json();
}

function chooseLanguage() {
  const available = state.settings.languages.map((l) => l.code);
  for (const wanted of navigator.languages || [navigator.language || ""]) {
    const lower = wanted.toLowerCase();
    const exact = available.find((c) => c.toLowerCase() === lower);
    if (exact) return exact;
    const primary = available.find((c) => c.toLowerCase() === lower.split("-")[0]);
    if (primary) return primary;
  }
  return available.includes(state.settings.default_language) ? state.settings.default_language : "en";
}

async function setLanguage(code) {
  try {
    state.strings = await fetchStrings(code);
    state.language = code;
  } catch {
    state.strings = state.fallback;
    state.language = "en";
  }
  document.documentElement.lang = state.language;
  document.title = t("page_title");
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  $("language").value = state.language;
  $("copy-id").setAttribute("aria-label", t("done.copy_id_label"));
  $("copy-secret").setAttribute("aria-label", t("done.copy_secret_label"));
  renderHelpLinks();
  renderPictures();
  renderStatus();
  if (!$("step-done").hidden) renderDone();
}

// ---- steps and notices -------------------------------------------------------------------------------------

function show(step) {
  for (const section of document.querySelectorAll("main > section.step")) section.hidden = section.id !== step;
  hideNotice();
  const heading = $(step).querySelector("h1");
  if (heading) heading.focus();
  window.scrollTo(0, 0);
}

function notice(text) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = false;
}

function hideNotice() { $("notice").hidden = true; }

// ---- choosing and hashing pictures -------------------------------------------------------------------------

function worker() {
  if (!state.worker) {
    state.worker = new Worker(`hash-worker.js?v=${version}`, { type: "module" });
    state.worker.onmessage = (event) => onWorkerMessage(event.data);
    state.worker.onerror = () => {
      for (const p of state.pictures) if (p.status === "working") failPicture(p, "failed");
    };
  }
  return state.worker;
}

function imageSize(url) {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
    image.onerror = () => resolve(null);
    image.src = url;
  });
}

function isVideo(file) {
  return (file.type || "").startsWith("video/") || /\.(mp4|m4v|mov|webm|mkv|avi|3gp|3g2)$/i.test(file.name || "");
}

async function addFiles(files) {
  hideNotice();
  for (const file of files) {
    const identity = `${file.name}\u0000${file.size}\u0000${file.lastModified}`;
    if (state.pictures.some((p) => p.identity === identity)) continue;
    if (state.pictures.length >= state.settings.max_pictures) { state.tooMany = true; break; }
    if (isVideo(file)) {
      const video = { key: state.nextKey++, identity, file, name: file.name, url: null, kind: "video",
        status: "working", stage: "video", fraction: 0, seconds: 0, hashes: [], problem: null, blurred: true };
      state.pictures.push(video);
      renderPictures();
      // One video at a time: sampling one keeps the browser's decoder and a core busy.
      state.videoQueue = state.videoQueue.then(() => hashVideo(video));
      continue;
    }
    const picture = { key: state.nextKey++, identity, file, name: file.name, url: URL.createObjectURL(file),
      status: "working", stage: "reading", fraction: 0.05, hashes: [], problem: null, blurred: true };
    state.pictures.push(picture);
    renderPictures();
    const size = await imageSize(picture.url);
    if (!size) {
      if (!(file.type || "").startsWith("image/")) { failPicture(picture, "not_image"); continue; }
      // The browser knows the type but cannot show it (e.g. HEIC in some browsers): exact copies only.
    } else if (size.width * size.height > MAX_PIXELS) {
      failPicture(picture, "too_large", { megapixels: Math.round(size.width * size.height / 1e6), limit: MAX_PIXELS / 1e6 });
      continue;
    }
    worker().postMessage({ id: picture.key, file });
  }
  renderPictures();
}

function failPicture(picture, code, vars = {}) {
  picture.status = "excluded";
  picture.problem = { code, vars };
  picture.hashes = [];
  URL.revokeObjectURL(picture.url);
  picture.url = null;
  renderPictures();
}

/** Posts `message` to the worker and resolves to its answer of the same `type` (and frame `index`). */
function ask(id, message, transfer = []) {
  return new Promise((resolve) => {
    state.waiting.set(`${id}:${message.type}:${message.index ?? ""}`, resolve);
    worker().postMessage({ id, ...message }, transfer);
  });
}

function onWorkerMessage(message) {
  if (message.type === "video-frame" || message.type === "video-digests") {
    const name = `${message.id}:${message.type}:${message.index ?? ""}`;
    const resolve = state.waiting.get(name);
    state.waiting.delete(name);
    if (resolve) resolve(message);
    return;
  }
  const picture = state.pictures.find((p) => p.key === message.id);
  if (!picture || picture.status !== "working") return;
  if (message.type === "progress") {
    picture.stage = message.stage;
    picture.fraction = message.fraction;
  } else if (message.type === "error") {
    if (message.code === "core_unavailable") notice(t("error.hashing_unavailable"));
    if (message.code === "too_large") {
      failPicture(picture, "too_large", { megapixels: Math.round(message.width * message.height / 1e6), limit: MAX_PIXELS / 1e6 });
    } else {
      failPicture(picture, "failed");
    }
    return;
  } else if (message.type === "done") {
    const result = message.result;
    const exact = [{ algorithm: "md5", value: result.md5 }, { algorithm: "sha256", value: result.sha256 }];
    if (!result.decoded) {
      picture.status = "exactOnly";
      picture.problem = { code: "undecodable", vars: {} };
      picture.hashes = exact;
      // Nothing to show: the browser cannot draw it.
      URL.revokeObjectURL(picture.url);
      picture.url = null;
    } else {
      const quality = result.core.quality;
      picture.quality = quality;
      picture.timing = { decodeMs: result.decodeMs, hashMs: result.hashMs };
      picture.stages = result.stages;
      if (quality < MIN_QUALITY) {
        picture.status = "exactOnly";
        picture.problem = { code: "too_plain", vars: { quality } };
        picture.hashes = exact;
      } else {
        picture.status = "ready";
        picture.hashes = [...result.caseHashes, ...exact];
      }
    }
  }
  renderPictures();
}

/**
 * Samples a video with the browser's own decoder, one frame a second as `nccmatch hash` does, and hashes each
 * frame in the worker. The person sees how far it has got; the video never leaves the device.
 */
async function hashVideo(video) {
  const gone = () => !state.pictures.includes(video);
  if (gone()) return;
  const digests = ask(video.key, { type: "video-digests", file: video.file });
  let sampler;
  try {
    const { openVideo } = await import(`./video-frames.js?v=${version}`);
    sampler = await openVideo(video.file, { maxSeconds: MAX_VIDEO_SECONDS });
  } catch (error) {
    if (error && error.code === "too_long") {
      failPicture(video, "video_too_long", { minutes: MAX_VIDEO_SECONDS / 60 });
      return;
    }
    const { md5, sha256 } = await digests;
    if (gone()) return;
    if (md5 && sha256) {
      video.status = "exactOnly";
      video.problem = { code: "video_undecodable", vars: {} };
      video.hashes = [{ algorithm: "md5", value: md5 }, { algorithm: "sha256", value: sha256 }];
      renderPictures();
    } else {
      failPicture(video, "video_undecodable_large");
    }
    return;
  }
  const started = performance.now();
  const frames = [];
  let failed = null;
  try {
    video.duration = sampler.duration;
    let pending = null;
    for (let index = 0; ; index++) {
      if (gone()) break;
      // The next frame is found while the worker hashes the one before it.
      const taken = await sampler.next();
      if (pending) {
        const answer = await pending;
        if (answer.error) { failed = answer.error; if (taken) { taken.frame?.close(); taken.rgba?.fill(0); } break; }
        frames.push({ pdq: answer.pdq, quality: answer.quality, timestamp: answer.timestamp });
        video.reads = video.reads || {};
        video.reads[answer.read] = (video.reads[answer.read] || 0) + 1;
      }
      if (!taken) break;
      const message = { type: "video-frame", index, timestamp: Math.round(taken.timestamp * 1e6) / 1e6 };
      if (taken.frame) {
        pending = ask(video.key, { ...message, frame: taken.frame }, [taken.frame]);
      } else {
        pending = ask(video.key, { ...message, rgba: taken.rgba, width: taken.width, height: taken.height }, [taken.rgba.buffer]);
      }
      video.seconds = taken.timestamp;
      video.fraction = Number.isFinite(sampler.duration) && sampler.duration > 0 ? Math.min(1, taken.timestamp / sampler.duration) : 0;
      // The list is a live region: its progress is redrawn (and so read out) at most every two seconds.
      if (!video.shownAt || performance.now() - video.shownAt >= 2000) {
        video.shownAt = performance.now();
        renderPictures();
      }
    }
  } catch (error) {
    failed = (error && error.code) || "failed";
  } finally {
    sampler.close();
  }
  const { md5, sha256 } = await digests;
  if (gone()) return;
  video.timing = { decodeMs: 0, hashMs: performance.now() - started };
  video.seeks = sampler.seeks;
  video.frames = frames;
  const exact = md5 && sha256 ? [{ algorithm: "md5", value: md5 }, { algorithm: "sha256", value: sha256 }] : [];
  if (failed === "too_long") { failPicture(video, "video_too_long", { minutes: MAX_VIDEO_SECONDS / 60 }); return; }
  if (failed || frames.length === 0) {
    if (exact.length) {
      video.status = "exactOnly";
      video.problem = { code: "video_undecodable", vars: {} };
      video.hashes = exact;
      renderPictures();
    } else {
      failPicture(video, "video_failed");
    }
    return;
  }
  const usable = frames.filter((frame) => frame.quality >= MIN_QUALITY).length;
  if (usable === 0 && exact.length) {
    video.status = "exactOnly";
    video.problem = { code: "video_too_plain", vars: {} };
    video.hashes = exact;
  } else if (usable === 0) {
    failPicture(video, "video_too_plain_large");
    return;
  } else {
    video.status = "ready";
    video.hashes = [{ algorithm: "vpdq", frames: spaced(frames, MAX_VIDEO_FRAMES) }, ...exact];
  }
  renderPictures();
}

/**
 * At most `limit` of `frames`, evenly spaced, the first kept and the order too: a video over an hour keeps
 * 3,600 of its frames over its whole length, the very ones `case submit` keeps (Sources/nccmatch/Service/VideoCase.swift).
 */
function spaced(frames, limit) {
  if (frames.length <= limit) return frames;
  return Array.from({ length: limit }, (_, i) => frames[Math.floor(i * frames.length / limit)]);
}

/** How many hashes an entry counts for in a case request: a video's frames, one otherwise. */
function hashCount(hash) {
  return hash.frames ? Math.max(1, hash.frames.length) : 1;
}

function problemText(problem) {
  return t(`problem.${problem.code}`, problem.vars);
}

function renderPictures() {
  const list = $("picture-list");
  if (!list) return;
  list.replaceChildren();
  for (const picture of state.pictures) {
    const item = document.createElement("li");
    item.dataset.picture = String(picture.key);
    item.dataset.state = picture.status;
    if (picture.timing) item.dataset.hashMs = String(Math.round(picture.timing.decodeMs + picture.timing.hashMs));
    if (picture.stages) item.dataset.stages = JSON.stringify(picture.stages);
    if (picture.seeks) item.dataset.seeks = String(picture.seeks);
    if (picture.reads) item.dataset.reads = JSON.stringify(picture.reads);
    const thumb = document.createElement("div");
    thumb.className = picture.kind === "video" ? "thumb video" : picture.blurred ? "thumb blurred" : "thumb";
    if (picture.kind === "video") thumb.setAttribute("aria-hidden", "true");
    if (picture.url) {
      const image = document.createElement("img");
      image.src = picture.url;
      image.alt = t("picture.thumb_alt", { name: picture.name });
      thumb.append(image);
    }
    const name = document.createElement("p");
    name.className = "picture-name";
    name.textContent = picture.name;
    const status = document.createElement("div");
    if (picture.status === "working") {
      const label = document.createElement("p");
      label.className = "picture-state";
      if (picture.kind === "video") {
        label.textContent = picture.duration
          ? t("video.working", { seconds: Math.floor(picture.seconds), total: Math.ceil(picture.duration) })
          : t("video.opening");
      } else {
        label.textContent = t(picture.stage === "reading" ? "picture.reading" : "picture.hashing");
      }
      const progress = document.createElement("progress");
      progress.max = 1;
      progress.value = picture.fraction;
      progress.setAttribute("aria-label", t("picture.progress_label", { name: picture.name }));
      status.append(label, progress);
    } else {
      const line = document.createElement("p");
      line.className = picture.status === "ready" ? "picture-state" : "picture-state problem";
      line.dataset.testid = "picture-state";
      if (picture.status === "ready" && picture.kind === "video") {
        line.textContent = tn("video.ready", picture.hashes[0].frames.length);
      } else if (picture.status === "ready") line.textContent = tn("picture.ready", picture.hashes.length);
      else if (picture.status === "exactOnly") line.textContent = `${t("problem.exact_only")}: ${problemText(picture.problem)}`;
      else line.textContent = problemText(picture.problem);
      status.append(line);
    }
    const actions = document.createElement("div");
    actions.className = "picture-actions";
    if (picture.url) {
      const blur = document.createElement("button");
      blur.type = "button";
      blur.className = "secondary small";
      blur.textContent = picture.blurred ? t("picture.show") : t("picture.blur");
      blur.setAttribute("aria-label", t(picture.blurred ? "picture.show_label" : "picture.blur_label", { name: picture.name }));
      blur.setAttribute("aria-pressed", String(!picture.blurred));
      blur.onclick = () => { picture.blurred = !picture.blurred; renderPictures(); focusIn(picture.key, 0); };
      actions.append(blur);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary small";
    remove.textContent = t("picture.remove");
    remove.setAttribute("aria-label", t("picture.remove_label", { name: picture.name }));
    remove.onclick = () => removePicture(picture);
    actions.append(remove);
    const body = document.createElement("div");
    body.append(name, status);
    item.append(thumb, body, actions);
    list.append(item);
  }
  renderSummary();
}

function focusIn(key, index) {
  const buttons = document.querySelectorAll(`li[data-picture="${key}"] button`);
  if (buttons[index]) buttons[index].focus();
}

function removePicture(picture) {
  if (picture.url) URL.revokeObjectURL(picture.url);
  state.pictures = state.pictures.filter((p) => p !== picture);
  renderPictures();
  $("pictures").focus();
}

function sendable() {
  return state.pictures.filter((p) => p.status === "ready" || p.status === "exactOnly");
}

/** Hashes the chosen pictures and videos count for in one case request (each video frame counts as one). */
function fingerprintCount(items) {
  return items.reduce((sum, p) => sum + p.hashes.reduce((n, hash) => n + hashCount(hash), 0), 0);
}

function renderSummary() {
  const working = state.pictures.filter((p) => p.status === "working").length;
  const ready = sendable();
  const fingerprints = fingerprintCount(ready);
  let text;
  if (working > 0) text = tn("choose.working", working);
  else if (ready.length === 0) text = t("choose.none");
  else if (ready.some((p) => p.kind === "video")) text = tn("choose.summary_files", ready.length, { fingerprints });
  else text = tn("choose.summary", ready.length, { pictures: ready.length, fingerprints });
  if (state.tooMany) text += " " + t("choose.too_many", { limit: state.settings.max_pictures });
  const overLimit = fingerprints > MAX_CASE_HASHES;
  if (overLimit) text += " " + t("choose.too_many_fingerprints", { n: fingerprints, limit: MAX_CASE_HASHES });
  $("choose-summary").textContent = text;
  $("to-confirm").disabled = working > 0 || ready.length === 0 || overLimit;
}

// ---- confirming and sending --------------------------------------------------------------------------------

function renderConfirm() {
  const ready = sendable();
  const fingerprints = fingerprintCount(ready);
  $("confirm-summary").textContent = ready.some((p) => p.kind === "video")
    ? tn("confirm.summary_files", ready.length, { fingerprints })
    : tn("confirm.summary", ready.length, { pictures: ready.length, fingerprints });
  const exactOnly = ready.filter((p) => p.status === "exactOnly");
  $("exact-only").hidden = exactOnly.length === 0;
  $("exact-only-ok").checked = false;
  $("exact-only-text").textContent = t("confirm.exact_only_intro");
  const list = $("exact-only-list");
  list.replaceChildren(...exactOnly.map((p) => {
    const item = document.createElement("li");
    item.textContent = `${p.name}: ${problemText(p.problem)}`;
    return item;
  }));
}

async function api(method, path, { body, secret } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (secret !== undefined) headers["Authorization"] = `Bearer ${secret}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
  } catch {
    return { ok: false, code: "unreachable" };
  }
  let json = null;
  try { json = await response.json(); } catch { json = null; }
  if (response.ok) return { ok: true, status: response.status, json };
  const retry = Number(response.headers.get("Retry-After") || "60");
  return { ok: false, status: response.status, code: json?.error?.code || `http_${response.status}`, retry };
}

function errorText(answer, whenUnreachable) {
  switch (answer.code) {
    case "unreachable": return t(whenUnreachable);
    case "case_credentials_invalid": case "secret_required": case "not_found": return t("error.credentials");
    case "too_many_attempts": case "rate_limited": case "too_many_cases": case "slowed_for_probing":
      return t("error.wait", { minutes: Math.max(1, Math.ceil(answer.retry / 60)) });
    case "busy": case "not_ready": case "database_unavailable": case "store_unavailable": return t("error.busy");
    case "case_withdrawn": return t("error.withdrawn");
    case "no_usable_hashes": case "no_hashes": return t("error.no_usable");
    default: return t("error.server");
  }
}

async function send() {
  const chosen = sendable().filter((p) => p.status === "ready" || $("exact-only-ok").checked);
  if (sendable().some((p) => p.status === "exactOnly") && !$("exact-only-ok").checked) {
    notice(t("confirm.exact_only_needed"));
    $("exact-only-ok").focus();
    return;
  }
  const hashes = [];
  chosen.forEach((picture, image) => { for (const hash of picture.hashes) hashes.push({ ...hash, image }); });
  show("step-sending");
  // One request: the case is opened with every picture or not at all (at most 200 pictures fit in one).
  const answer = await api("POST", "v1/cases", { body: { hashes } });
  if (!answer.ok) {
    show("step-confirm");
    notice(errorText(answer, "error.unreachable"));
    return;
  }
  state.caseID = answer.json.case_id;
  state.secret = answer.json.secret;
  state.rejected = (answer.json.rejected || []).length;
  state.sentNames = chosen.map((p) => p.name);
  state.sentCount = chosen.length;
  state.sentVideo = chosen.some((p) => p.kind === "video");
  state.openedAt = new Date();
  // The pictures are no longer needed on this page.
  for (const picture of state.pictures) if (picture.url) URL.revokeObjectURL(picture.url);
  state.pictures = [];
  $("pictures").value = "";
  renderPictures();
  renderDone();
  show("step-done");
}

function renderDone() {
  if (!state.caseID) return;
  $("case-id").textContent = state.caseID;
  $("case-secret").textContent = state.secret;
  let summary = state.sentVideo ? tn("done.summary_files", state.sentCount) : tn("done.summary", state.sentCount, { pictures: state.sentCount });
  if (state.rejected) summary += " " + t("done.rejected", { n: state.rejected });
  $("done-summary").textContent = summary;
  const text = [
    t("file.title"), "",
    t("file.case_id", { id: state.caseID }),
    t("file.secret", { secret: state.secret }),
    t("file.opened", { date: state.openedAt.toLocaleString(state.language) }),
    t("file.where", { url: `${location.origin}${location.pathname}` }), "",
    t("file.keep"), "",
  ].join("\r\n");
  const link = $("save-file");
  if (link.dataset.url) URL.revokeObjectURL(link.dataset.url);
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  link.dataset.url = url;
  link.href = url;
  link.download = `case-${state.caseID}.txt`;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    $("copy-feedback").textContent = t("done.copied");
  } catch {
    $("copy-feedback").textContent = t("done.copy_failed");
  }
}

// ---- status and withdrawal ---------------------------------------------------------------------------------

function credentials() {
  const id = $("status-id").value.trim();
  const secret = $("status-secret").value.trim();
  if (!id || !secret || !/^[A-Za-z0-9_-]+$/.test(id)) { notice(t("status.missing")); return null; }
  return { id, secret };
}

async function checkStatus() {
  hideNotice();
  const given = credentials();
  if (!given) return;
  $("check").disabled = true;
  $("check").textContent = t("status.checking");
  const answer = await api("GET", `v1/cases/${encodeURIComponent(given.id)}`, { secret: given.secret });
  $("check").disabled = false;
  $("check").textContent = t("status.check");
  if (!answer.ok) { notice(errorText(answer, "error.unreachable_status")); return; }
  state.lastStatus = answer.json;
  renderStatus();
}

async function withdraw() {
  hideNotice();
  const given = credentials();
  if (!given) return;
  const answer = await api("DELETE", `v1/cases/${encodeURIComponent(given.id)}`, { secret: given.secret });
  $("withdraw-confirm").hidden = true;
  if (!answer.ok) { notice(errorText(answer, "error.unreachable_status")); return; }
  state.lastStatus = answer.json;
  renderStatus();
  $("status-state").focus();
}

function renderStatus() {
  const status = state.lastStatus;
  $("status-result").hidden = !status;
  if (!status) return;
  const withdrawn = status.status === "withdrawn";
  $("status-state").textContent = withdrawn ? t("status.withdrawn") : t("status.active");
  $("status-state").dataset.state = status.status;
  $("status-state").tabIndex = -1;
  const mine = status.case_id === state.caseID;
  const totals = { found: 0, removed: 0, pending: 0, notViolating: 0 };
  const items = (status.images || []).map((image) => {
    const n = image.image + 1;
    const name = mine ? state.sentNames[image.image] : undefined;
    const item = document.createElement("li");
    item.dataset.testid = "status-picture";
    const feedback = image.feedback || {};
    const parts = [];
    if (!image.platforms_matched) parts.push(t("status.not_found"));
    else {
      totals.found++;
      parts.push(tn("status.found", image.platforms_matched));
      const outcomes = [];
      if (feedback.removed) { outcomes.push(t("status.removed", { n: feedback.removed })); totals.removed += feedback.removed; }
      if (feedback.pending_review) { outcomes.push(t("status.pending", { n: feedback.pending_review })); totals.pending += feedback.pending_review; }
      if (feedback.not_violating) { outcomes.push(t("status.not_violating", { n: feedback.not_violating })); totals.notViolating += feedback.not_violating; }
      parts.push(outcomes.length ? outcomes.join(", ") : t("status.no_outcome"));
    }
    const video = image.kind === "video";
    const title = name ? t(video ? "status.video_named" : "status.picture_named", { n, name }) : t(video ? "status.video" : "status.picture", { n });
    item.textContent = `${title}: ${parts.join("; ")}`;
    return item;
  });
  $("status-pictures").replaceChildren(...(withdrawn ? [] : items));
  const explain = $("status-explain");
  explain.replaceChildren();
  if (!withdrawn) {
    const paragraph = document.createElement("p");
    paragraph.textContent = totals.found ? t("status.explain_found") : t("status.explain_none");
    explain.append(paragraph);
    if (totals.found) {
      const list = document.createElement("ul");
      for (const key of ["status.explain_removed", "status.explain_pending", "status.explain_not_violating"]) {
        const item = document.createElement("li");
        item.textContent = t(key);
        list.append(item);
      }
      explain.append(list);
    }
  }
  $("withdraw-area").hidden = withdrawn;
}

// ---- start -------------------------------------------------------------------------------------------------

function renderHelpLinks() {
  for (const list of document.querySelectorAll(".help-links")) {
    list.replaceChildren(...state.settings.help_links.map((link) => {
      const item = document.createElement("li");
      const anchor = document.createElement("a");
      anchor.href = link.url;
      anchor.rel = "noopener noreferrer";
      anchor.target = "_blank";
      anchor.textContent = link.label;
      item.append(anchor);
      if (link.description) {
        const description = document.createElement("span");
        description.className = "help-description";
        // The default links' descriptions (PageSettings.swift) are shown in the page's language.
        const key = { "https://stopncii.org": "help.default_stopncii", "https://takeitdown.ncmec.org": "help.default_take_it_down" }[link.url];
        description.textContent = key && link.description === state.fallback[key] ? t(key) : link.description;
        item.append(description);
      }
      return item;
    }));
  }
}

async function start() {
  try {
    const response = await fetch(`page-settings.json?v=${version}`, { cache: "no-store" });
    if (response.ok) state.settings = { ...state.settings, ...(await response.json()) };
  } catch { /* the defaults above */ }
  try { state.fallback = await fetchStrings("en"); } catch { state.fallback = {}; }
  $("bank-name").textContent = state.settings.bank_name;
  const select = $("language");
  select.replaceChildren(...state.settings.languages.map((l) => new Option(l.name, l.code)));
  select.onchange = () => setLanguage(select.value);
  await setLanguage(chooseLanguage());

  $("start").onclick = () => {
    if (!window.isSecureContext || !crypto.subtle) { notice(t("error.not_secure")); return; }
    show("step-choose");
    // The worker loads and warms up the hashing core while the person picks their pictures.
    worker();
  };
  $("go-status").onclick = () => show("step-status");
  $("choose-back").onclick = () => show("step-welcome");
  $("pictures").onchange = (event) => addFiles(Array.from(event.target.files || []));
  $("to-confirm").onclick = () => { renderConfirm(); show("step-confirm"); };
  $("confirm-back").onclick = () => show("step-choose");
  $("send").onclick = () => send();
  $("copy-id").onclick = () => copy(state.caseID);
  $("copy-secret").onclick = () => copy(state.secret);
  $("to-status").onclick = () => {
    $("status-id").value = state.caseID;
    $("status-secret").value = state.secret;
    show("step-status");
    checkStatus();
  };
  $("status-form").onsubmit = (event) => { event.preventDefault(); checkStatus(); };
  $("status-back").onclick = () => { state.lastStatus = null; $("status-secret").value = ""; renderStatus(); show("step-welcome"); };
  $("withdraw").onclick = () => { $("withdraw-confirm").hidden = false; $("withdraw-no").focus(); };
  $("withdraw-no").onclick = () => { $("withdraw-confirm").hidden = true; $("withdraw").focus(); };
  $("withdraw-yes").onclick = () => withdraw();
  show("step-welcome");
}

start();
