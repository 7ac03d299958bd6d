// The member's app (/so-tay/): the e-card on this phone (device key, rotating QR, SD-JWT presentation),
// the member's own record and card, and their procedures, read from /api/v1/me/... with the session.
// Everything shown is also kept on the phone (keys.js), so the app opens and shows the card offline.
// The words come from the page (#strings, translated by Django): no user-facing text is written here.

import qrcode from "./vendor/qrcode.mjs";
import * as keys from "./keys.js";
import { credentialOf, disclosuresOf, present, rotatingQr, windowAt, WINDOW_SECONDS } from "./card.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("memberapp-config").textContent);
const T = JSON.parse($("memberapp-strings").textContent);
const csrf = document.querySelector("meta[name=csrf-token]").content;
const state = { pair: null, ecard: null, credential: null, window: null };

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

// Dates as dd/mm/yyyy; a moment in Việt Nam's time zone (config.timeZone), whatever the phone's clock says.
const zoned = new Intl.DateTimeFormat("en-GB", {
  timeZone: config.timeZone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});
function parts(iso) {
  const out = {};
  for (const part of zoned.formatToParts(new Date(iso))) out[part.type] = part.value;
  return out;
}
const dateText = (iso) => {
  if (!iso) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
  const p = parts(iso);
  return `${p.day}/${p.month}/${p.year}`;
};
const dateTimeText = (iso) => {
  if (!iso) return "";
  const p = parts(iso);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
};

function drawQr(canvas, text, mode) {
  const qr = qrcode(0, "M");
  qr.addData(text, mode);
  qr.make();
  const n = qr.getModuleCount();
  const margin = 4;
  const scale = Math.max(2, Math.floor(Math.min(340, window.innerWidth - 40) / (n + 2 * margin)));
  canvas.width = canvas.height = (n + 2 * margin) * scale;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    if (qr.isDark(r, c)) ctx.fillRect((c + margin) * scale, (r + margin) * scale, scale, scale);
  }
}

// --- the API, and what it answered last (kept for offline) ---------------------------------------
async function api(path, options = {}) {
  const response = await fetch(`${config.api}${path}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
    ...options,
  });
  if (!response.ok) {
    const error = new Error(`HTTP ${response.status}`);
    error.status = response.status;
    try { error.problem = await response.json(); } catch (e) { error.problem = null; }
    throw error;
  }
  return response.json();
}

/** GET ``path``: the server's answer, kept; offline, the kept one; a 404 is "not available". */
async function read(path) {
  try {
    const data = await api(path);
    await keys.put(`api:${path}`, data);
    return { data, fresh: true };
  } catch (e) {
    if (e.status === 404) return { missing: true };
    if (e.status === 401 || e.status === 403) return { refused: true };
    const kept = await keys.get(`api:${path}`);
    return kept === undefined ? { offline: true } : { data: kept, fresh: false };
  }
}

// --- the e-card: activation, rotating QR, revocation ----------------------------------------------
async function activate() {
  const button = $("activate");
  button.disabled = true;
  $("card-error").textContent = "";
  try {
    const pair = await keys.deviceKeyCreate();
    const spki = await keys.spkiBase64(pair);
    const label = $("device-label").value.trim() || navigator.platform || "";
    const device = await api("me/devices", { method: "POST", body: JSON.stringify({ spki, label }) });
    await keys.put("ecard", device);
    await start();
    await showDevices();
  } catch (e) {
    await keys.forget();
    $("card-error").textContent = e.problem?.detail || T.activate_failed;
  } finally {
    button.disabled = false;
  }
}

async function tick() {
  if (!state.credential) return;
  const now = Date.now();
  const window = windowAt(now);
  if (window !== state.window) {
    state.window = window;
    const text = await rotatingQr(state.credential, state.pair, now);
    drawQr($("qr"), text, "Alphanumeric");
    $("qr").dataset.window = String(window);
  }
  const left = WINDOW_SECONDS - Math.floor(now / 1000) % WINDOW_SECONDS;
  $("countdown").textContent = T.renews_in.replace("%(seconds)s", String(left));
}

async function start() {
  state.pair = await keys.deviceKey();
  state.ecard = await keys.get("ecard");
  const has = Boolean(state.pair && state.ecard);
  $("card-none").hidden = has;
  $("card-live").hidden = !has;
  $("present").hidden = !(has && state.ecard.sd_jwt);
  if (!has) return;
  state.credential = await credentialOf(state.ecard.qr);
  state.window = null;
  $("card-number").textContent = state.ecard.card_number;
  $("card-expires").textContent = dateText(state.ecard.expires_at);
  $("card-status").textContent = state.ecard.credential_status === "valid" ? T.status_valid : T.status_revoked;
  $("card-status").className = state.ecard.credential_status === "valid" ? "ok" : "bad";
  renderDisclosures();
  await tick();
  document.documentElement.dataset.qr = "1";
}

async function revokeThis() {
  if (!state.ecard || !window.confirm(T.revoke_confirm)) return;
  try {
    await api(`me/devices/${state.ecard.id}/revoke`, { method: "POST", body: "{}" });
  } catch (e) {
    $("card-error").textContent = e.problem?.detail || T.offline_action;
    return;
  }
  await keys.forget();
  state.credential = null;
  await start();
  await showDevices();
}

// --- SD-JWT presentation ------------------------------------------------------------------------
function renderDisclosures() {
  const box = $("disclosures");
  box.replaceChildren();
  for (const d of disclosuresOf(state.ecard.sd_jwt || "~")) {
    if (d.name === null) continue;
    const label = el("label", null, "check");
    const input = el("input");
    input.type = "checkbox";
    input.value = d.name;
    input.checked = d.name === "membership" || d.name === "organisation";
    label.append(input, ` ${T.claims[d.name] || d.name}`);
    box.append(label);
  }
}

async function makePresentation(event) {
  event.preventDefault();
  const names = [...$("disclosures").querySelectorAll("input:checked")].map((i) => i.value);
  const text = await present(state.ecard.sd_jwt, names, {
    audience: $("audience").value.trim(), nonce: $("nonce").value.trim(), pair: state.pair, ms: Date.now(),
  });
  $("presentation").value = text;
  $("presentation-box").hidden = false;
  drawQr($("presentation-qr"), text, "Byte");
}

// --- the member's own view ------------------------------------------------------------------------
function notAvailable(section, result) {
  const body = $(`${section}-body`);
  body.replaceChildren(el("p", result.offline ? T.offline_no_data : T.not_available, "muted"));
}

function rows(items, columns) {
  if (!items.length) return el("p", T.nothing_yet, "muted");
  const table = el("table");
  const head = el("tr");
  for (const [title] of columns) head.append(el("th", title));
  table.append(head);
  for (const item of items) {
    const tr = el("tr");
    for (const [, get] of columns) tr.append(el("td", get(item) ?? ""));
    table.append(tr);
  }
  return table;
}

function dl(pairs) {
  const list = el("dl");
  for (const [k, v] of pairs) if (v) list.append(el("dt", k), el("dd", v));
  return list;
}

async function showRecord() {
  const result = await read("me");
  if (!result.data) return notAvailable("record", result);
  const m = result.data;
  $("member-name").textContent = m.full_name;
  $("record-body").replaceChildren(dl([
    [T.f.full_name, m.full_name], [T.f.date_of_birth, dateText(m.date_of_birth)],
    [T.f.organisation, m.organisation_name], [T.f.status, m.status_label],
    [T.f.date_admitted, dateText(m.date_admitted)], [T.f.date_official, dateText(m.date_official)],
    [T.f.home_town, m.home_town], [T.f.phone, m.phone],
  ]), el("p", T.record_read_only, "muted"));
}

async function showCards() {
  const result = await read("me/cards");
  if (!result.data) return notAvailable("cards", result);
  const body = $("cards-body");
  body.replaceChildren();
  if (!result.data.length) body.append(el("p", T.nothing_yet, "muted"));
  for (const card of result.data) {
    const box = el("div", null, "card-state");
    box.append(el("h3", `${card.number} · ${card.state_label}`));
    const steps = el("ol", null, "steps");
    for (const e of card.history) steps.append(el("li", `${dateText(e.at)} — ${T.states[e.to_state] || e.to_state}`));
    box.append(steps);
    body.append(box);
  }
}

async function showDevices() {
  const result = await read("me/devices");
  if (!result.data) return notAvailable("devices", result);
  const current = state.ecard?.id;
  $("devices-body").replaceChildren(rows(result.data, [
    [T.f.device, (d) => (d.id === current ? `${d.label || d.fingerprint.slice(0, 12)} (${T.this_phone})` : d.label || d.fingerprint.slice(0, 12))],
    [T.f.registered, (d) => dateText(d.created_at)],
    [T.f.state, (d) => (d.revoked_at ? T.status_revoked : T.status_valid)],
  ]));
  const mine = result.data.find((d) => d.id === current);
  if (mine && mine.revoked_at && state.ecard.credential_status !== "revoked") {
    state.ecard.credential_status = "revoked"; // revoked elsewhere (the cell secretary): say so
    await keys.put("ecard", state.ecard);
    $("card-status").textContent = T.status_revoked;
    $("card-status").className = "bad";
  }
}

// --- the procedures: what each app's me/... route answers (api/schemas/{meetings,transfers,losses,dues}.py) ---
const L = T.labels;
const word = (table, code) => (code ? table[code] || code : "");

/** One procedure as a small card: a title, a state, then the facts that are known. */
function item(title, stateText, pairs, data = {}) {
  const box = el("article", null, "item");
  for (const [k, v] of Object.entries(data)) box.dataset[k] = v;
  const head = el("h3", title);
  box.append(head);
  if (stateText) box.append(el("p", stateText, "state"));
  box.append(dl(pairs));
  return box;
}

function list(items, render) {
  if (!items.length) return el("p", T.nothing_yet, "muted");
  const box = el("div", null, "items");
  for (const x of items) box.append(render(x));
  return box;
}

function meetingItem(m) {
  let attendance = "pending";
  if (m.attended) attendance = "present";
  else if (m.excused) attendance = "excused";
  else if (m.state === "closed") attendance = "absent";
  let said = T.attendance[attendance];
  if (m.attended) said += ` · ${dateTimeText(m.checked_at)} · ${word(L.checkin_method, m.method)}`;
  return item(m.title || word(L.meeting_kind, m.kind), said, [
    [T.f.kind, word(L.meeting_kind, m.kind)],
    [T.f.when, dateTimeText(m.starts_at)],
    [T.f.place, m.place],
    [T.f.state, word(L.meeting_state, m.state)],
  ], { id: String(m.id), attendance });
}

function transferItem(t) {
  const overdue = (t.overdue || []).length ? T.overdue : "";
  return item(word(L.transfer_kind, t.kind), [word(L.transfer_state, t.state), overdue].filter(Boolean).join(" · "), [
    [T.f.from_cell, t.from_cell && t.from_cell.name],
    [T.f.to_cell, t.to_cell && t.to_cell.name],
    [T.f.letter_number, t.number],
    [T.f.decided_on, dateText(t.decided_on)],
    [T.f.start_deadline, t.state === "drafted" ? dateText(t.start_deadline) : ""],
    [T.f.present_deadline, t.state === "issued" ? dateText(t.present_deadline) : ""],
    [T.f.until, dateText(t.until)],
    [T.f.reason, t.closing_reason],
  ], { id: String(t.id), state: t.state });
}

function lossItem(l) {
  return item(`${word(L.loss_kind, l.kind)} · ${l.card_number}`, word(L.loss_state, l.state), [
    [T.f.reported_at, dateText(l.reported_at)],
    [T.f.circumstances, l.circumstances],
    [T.f.new_card, l.new_card_number],
    [T.f.refusal, l.refusal],
  ], { id: String(l.id), state: l.state });
}

const monthText = (ym) => (ym ? `${ym.slice(5, 7)}/${ym.slice(0, 4)}` : "");

function duesBody(d) {
  const parts = [];
  if ((d.unpaid_months || []).length) {
    parts.push(dl([[T.f.unpaid_months, d.unpaid_months.map(monthText).join(", ")]]));
  }
  parts.push(rows(d.payments || [], [
    [T.f.month, (p) => monthText(p.month)],
    [T.f.amount, (p) => Number(p.amount).toLocaleString("vi-VN")],
    [T.f.state, (p) => word(L.payment_status, p.status)],
  ]));
  return parts;
}

const PROCEDURES = {
  meetings: ["me/meetings", (data) => [list(data, meetingItem)]],
  dues: ["me/dues", (data) => duesBody(Array.isArray(data) ? { payments: data } : data)],
  transfers: ["me/transfers", (data) => [list(Array.isArray(data) ? data : data.items || [], transferItem)]],
  losses: ["me/losses", (data) => [list(data, lossItem)]],
};

async function showProcedure(section) {
  const [path, render] = PROCEDURES[section];
  const result = await read(path);
  if (!result.data) return notAvailable(section, result);
  $(`${section}-body`).replaceChildren(...render(result.data));
  $(section).dataset.fresh = result.fresh ? "1" : "0";
}

async function showProcedures() {
  await Promise.all(Object.keys(PROCEDURES).map((section) => showProcedure(section).catch(() => {})));
}

// --- reporting the card lost or damaged (POST me/losses, multipart with the two photos) ---------------
function problemText(e) {
  const p = e.problem;
  if (!p) return T.offline_action;
  if (p.errors && p.errors.length) return p.errors.map((x) => x.reason).join(" ");
  return p.detail || T.offline_action;
}

async function reportLoss(event) {
  event.preventDefault();
  const form = $("loss-form");
  const photos = [$("loss-photo-1").files[0], $("loss-photo-2").files[0]].filter(Boolean);
  $("loss-error").textContent = "";
  $("loss-done").textContent = "";
  if (photos.length !== 2) { $("loss-error").textContent = T.loss_form.two_photos; return; }
  const body = new FormData();
  body.append("kind", form.elements.kind.value);
  body.append("circumstances", $("loss-circumstances").value);
  for (const photo of photos) body.append("photos", photo);
  const button = $("loss-send");
  button.disabled = true;
  try {
    const response = await fetch(`${config.api}me/losses`, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
    });
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      try { error.problem = await response.json(); } catch (e) { error.problem = null; }
      throw error;
    }
    form.reset();
    $("loss-report").open = false;
    $("loss-done").textContent = T.loss_form.sent;
    await Promise.all([showProcedure("losses"), showCards()]);
  } catch (e) {
    $("loss-error").textContent = problemText(e);
  } finally {
    button.disabled = false;
  }
}

// --- start --------------------------------------------------------------------------------------
function online() {
  document.body.classList.toggle("offline", !navigator.onLine);
  $("offline").hidden = navigator.onLine;
}

async function main() {
  online();
  window.addEventListener("online", online);
  window.addEventListener("offline", online);
  $("activate").addEventListener("click", activate);
  $("revoke-this").addEventListener("click", revokeThis);
  $("present-form").addEventListener("submit", makePresentation);
  $("loss-form").addEventListener("submit", reportLoss);
  $("audience").value ||= `${location.origin}${config.verifierUrl}`;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.serviceWorkerUrl, { scope: config.scope }).catch(() => {});
  }
  await start();
  setInterval(() => tick().catch(() => {}), 1000);
  await Promise.all([showRecord(), showCards(), showDevices(), showProcedures()].map((p) => p.catch(() => {})));
  document.documentElement.dataset.ready = "1";
}

main();
