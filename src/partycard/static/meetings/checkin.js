// The secretary's check-in page (/hop-chi-bo/<id>/diem-danh/): while online it downloads the cell's roster
// (member id, name, card numbers), the trust list and the status lists; then, online or not, it verifies
// each scanned rotating QR in the browser with the offline verifier's own code (verify.js: credential,
// signer, status, the device proof for the current 30-second window ± 1), matches the card to a member of
// this cell, and keeps the check-in in IndexedDB with the QR text and the scan time. Once online it sends
// the check-ins to POST /api/v1/meetings/{id}/checkins, where the server verifies each again; the answer
// (new, duplicate, refused) is kept beside each check-in. Sending twice records nothing twice.

import * as verify from "../verifier/verify.js";
import { dataGet, dataPut, trustSequenceGet, trustSequencePut } from "../verifier/store.js";
import { scanStart } from "../verifier/scan.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("checkin-config").textContent);
const rootPem = JSON.parse($("root-pem").textContent);

const state = {
  root: null,
  trust: null,
  statusLists: new Map(),
  roster: null, // {members: [...], meeting: {...}}
  byCard: new Map(), // normalised card number → member
  stopScan: null,
  syncing: false,
};

const pad = (n) => String(n).padStart(2, "0");
const localTime = (d) => `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
const normal = (number) => String(number || "").replace(/[^0-9A-Za-z]/g, "").toUpperCase();

function showError(message) {
  $("data-error").textContent = message || "";
  $("data-error").hidden = !message;
}

// --- the check-ins, in IndexedDB ------------------------------------------------------------------------
const DB_NAME = "partycard-meetings";
const STORE = "checkins";
let dbPromise = null;

function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: "client_uuid" });
        store.createIndex("meeting", "meeting_id");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

async function tx(mode, work) {
  const database = await db();
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(STORE, mode);
    const store = transaction.objectStore(STORE);
    let result;
    Promise.resolve(work(store)).then((value) => { result = value; });
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
  });
}

function requestValue(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function checkinsOfMeeting() {
  return tx("readonly", (store) => requestValue(store.index("meeting").getAll(config.meetingId)));
}

async function checkinPut(item) {
  return tx("readwrite", (store) => requestValue(store.put(item)));
}

// --- data: download while online, keep for offline ------------------------------------------------------
async function fetchText(url) {
  const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

function statusFetchUrl(uri) {
  const url = new URL(uri, location.href);
  return url.origin === location.origin || !url.pathname.startsWith("/api/") ? url.href : url.pathname + url.search;
}

function rosterLoaded(roster) {
  state.roster = roster;
  state.byCard = new Map();
  for (const member of roster.members) {
    for (const number of member.card_numbers) state.byCard.set(normal(number), member);
  }
}

async function loadCached() {
  const roster = await dataGet("meeting-roster", String(config.meetingId));
  if (roster) rosterLoaded(JSON.parse(roster.text));
  const trust = await dataGet("trust-list");
  if (trust && state.root) {
    try {
      const held = await verify.trustListVerify(trust.text, state.root, new Date());
      verify.trustListAccept(held, await trustSequenceGet()); // never older than a list seen before
      state.trust = held;
    } catch (e) {
      // unusable now: the verdicts say so
    }
  }
  if (state.trust) {
    for (const uri of config.statusListUris) {
      const held = await dataGet("status-list", uri);
      if (!held) continue;
      try {
        state.statusLists.set(uri, await verify.statusListVerify(held.text, { trust: state.trust, root: state.root, now: new Date(), uri }));
      } catch (e) {
        // a list that does not verify is as good as none: "status unknown"
      }
    }
  }
}

/** Download the roster, the trust list and every status list, verify them and keep them. */
export async function refresh() {
  const problems = [];
  try {
    const text = await fetchText(config.rosterUrl);
    rosterLoaded(JSON.parse(text));
    await dataPut("meeting-roster", String(config.meetingId), text, { fetchedAt: new Date().toISOString() });
  } catch (e) {
    problems.push(`danh sách đảng viên: ${e.message}`);
  }
  if (state.root) {
    try {
      const text = await fetchText(config.trustListUrl);
      const trust = await verify.trustListVerify(text, state.root, new Date());
      // Rollback (trust/trustlist.py): an older list than one this device accepted is refused.
      await trustSequencePut(verify.trustListAccept(trust, await trustSequenceGet()));
      state.trust = trust;
      await dataPut("trust-list", "", text, { fetchedAt: new Date().toISOString() });
    } catch (e) {
      problems.push(`danh sách tin cậy: ${e.code || e.message}`);
    }
  }
  if (state.trust) {
    for (const uri of config.statusListUris) {
      try {
        const text = await fetchText(statusFetchUrl(uri));
        state.statusLists.set(uri, await verify.statusListVerify(text, { trust: state.trust, root: state.root, now: new Date(), uri }));
        await dataPut("status-list", uri, text, { fetchedAt: new Date().toISOString() });
      } catch (e) {
        problems.push(`danh sách trạng thái: ${e.code || e.message}`);
      }
    }
  }
  showError(problems.length ? `Không tải được ${problems.join("; ")}.` : "");
  showData();
}

function showData() {
  $("network").textContent = navigator.onLine ? "Trực tuyến" : "Ngoại tuyến";
  const members = state.roster ? state.roster.members.length : 0;
  $("data-state").textContent = state.roster && state.trust
    ? `Đã có danh sách ${members} đảng viên của chi bộ và dữ liệu kiểm tra thẻ: kiểm tra được cả khi không có mạng.`
    : "Chưa có đủ dữ liệu: hãy kết nối mạng và mở lại trang.";
}

// --- checking in ---------------------------------------------------------------------------------------
function reason(code, message) {
  return { code, kind: verify.Kind.INVALID, message_en: code, message_vi: message };
}

/** Judge ``text`` and, if it is a valid card of a member of this cell, keep the check-in. */
export async function check(text) {
  text = text.trim();
  if (!state.root || !state.trust || !state.roster) {
    return show({ outcome: "cannot_tell", reasons: [reason("data_missing", "Thiết bị chưa có dữ liệu: hãy kết nối mạng và mở lại trang")] });
  }
  const now = new Date();
  const verdict = await verify.qrVerdict(text, { trust: state.trust, root: state.root, now, statusLists: state.statusLists, deviceRequired: true });
  if (verdict.outcome !== "valid") return show(verdict);
  const member = state.byCard.get(normal(verdict.holder.card_number));
  if (!member) {
    return show({ outcome: "invalid", reasons: [reason("not_in_cell", "Người trình thẻ không phải đảng viên của chi bộ này")], holder: verdict.holder });
  }
  const held = await checkinsOfMeeting();
  const earlier = held.find((c) => c.member_id === member.member_id);
  if (earlier) {
    return show({ outcome: "valid", reasons: [], note: `Đồng chí ${member.full_name} đã điểm danh lúc ${localTime(new Date(earlier.scanned_at))}.` });
  }
  await checkinPut({
    client_uuid: crypto.randomUUID(),
    meeting_id: config.meetingId,
    member_id: member.member_id,
    full_name: member.full_name,
    qr: text,
    scanned_at: now.toISOString(),
    state: "pending",
    reasons: [],
  });
  await showList();
  show({ outcome: "valid", reasons: [], note: `Đồng chí ${member.full_name}: đã điểm danh.` });
  if (navigator.onLine) sync();
  return verdict;
}

function show(verdict) {
  $("result").hidden = false;
  const banner = $("verdict");
  banner.className = `verdict ${verdict.outcome}`;
  banner.dataset.outcome = verdict.outcome;
  banner.textContent = verdict.note || { valid: "✔ HỢP LỆ", invalid: "✘ KHÔNG HỢP LỆ", cannot_tell: "? CHƯA XÁC ĐỊNH ĐƯỢC" }[verdict.outcome];
  const list = $("reasons");
  list.innerHTML = "";
  for (const r of verdict.reasons) {
    const item = document.createElement("li");
    item.dataset.code = r.code;
    item.textContent = `${r.message_vi} (${r.code})`;
    list.append(item);
  }
  return verdict;
}

const STATE_TEXT = { pending: "chờ gửi", new: "đã ghi nhận", duplicate: "đã có (không ghi trùng)", refused: "bị từ chối" };

async function showList() {
  const held = (await checkinsOfMeeting()).sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
  const list = $("checkins");
  list.innerHTML = "";
  for (const c of held) {
    const item = document.createElement("li");
    item.dataset.state = c.state;
    item.dataset.member = String(c.member_id);
    const why = c.reasons.length ? `: ${c.reasons.map((r) => r.message).join("; ")}` : "";
    item.textContent = `${c.full_name} — ${localTime(new Date(c.scanned_at))} — ${STATE_TEXT[c.state] || c.state}${why}`;
    list.append(item);
  }
  $("count").textContent = String(held.length);
  $("pending").textContent = String(held.filter((c) => c.state === "pending").length);
}

/** Send the check-ins waiting on this phone (all of them with ``resend``); returns the server's answers. */
export async function sync({ resend = false } = {}) {
  if (state.syncing) return null;
  state.syncing = true;
  try {
    const held = await checkinsOfMeeting();
    const batch = held.filter((c) => resend || c.state === "pending");
    if (!batch.length) {
      $("sync-state").textContent = "Không có gì chờ gửi.";
      return [];
    }
    const response = await fetch(config.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": $("csrf").value },
      body: JSON.stringify({
        device: config.device,
        checkins: batch.map((c) => ({ client_uuid: c.client_uuid, qr: c.qr, scanned_at: c.scanned_at, member_id: c.member_id })),
      }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const results = await response.json();
    for (const r of results) {
      const item = held.find((c) => c.client_uuid === r.client_uuid);
      if (!item) continue;
      item.state = r.result;
      item.reasons = r.reasons;
      await checkinPut(item);
    }
    $("sync-state").textContent = `Đã gửi lúc ${localTime(new Date())}: ${results.filter((r) => r.result === "new").length} mới, ` +
      `${results.filter((r) => r.result === "duplicate").length} đã có, ${results.filter((r) => r.result === "refused").length} bị từ chối.`;
    await showList();
    return results;
  } catch (e) {
    $("sync-state").textContent = `Chưa gửi được (${e.message}): sẽ gửi lại khi có mạng.`;
    return null;
  } finally {
    state.syncing = false;
  }
}

// --- opening the page again without network ---------------------------------------------------------
/** Register the service worker and put this page and its assets in its cache (done while online). */
async function keepForOffline() {
  if (!("serviceWorker" in navigator) || !self.caches) return;
  try {
    await navigator.serviceWorker.register(config.serviceWorkerUrl, { scope: config.scope });
    await navigator.serviceWorker.ready;
    const cache = await caches.open(config.offlineCache);
    await cache.addAll([location.pathname, ...config.assets]);
    document.documentElement.dataset.offline = "1";
  } catch (e) {
    showError(`Không chuẩn bị được chế độ ngoại tuyến (${e.message}): đừng tải lại trang khi không có mạng.`);
  }
}

// --- wiring --------------------------------------------------------------------------------------------
async function startCamera() {
  $("camera").hidden = false;
  $("camera-start").hidden = true;
  $("camera-stop").hidden = false;
  try {
    state.stopScan = await scanStart($("video"), (text) => {
      stopCamera();
      check(text);
    }, { jsqrUrl: config.jsqrUrl });
  } catch (e) {
    stopCamera();
    showError(`Không mở được máy ảnh (${e.name || e.message}): hãy dán nội dung mã QR.`);
  }
}

function stopCamera() {
  if (state.stopScan) state.stopScan();
  state.stopScan = null;
  $("camera").hidden = true;
  $("camera-start").hidden = false;
  $("camera-stop").hidden = true;
}

async function main() {
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    check($("qr-text").value);
    $("qr-text").value = "";
  });
  $("sync").addEventListener("click", () => sync());
  $("camera-start").addEventListener("click", () => startCamera());
  $("camera-stop").addEventListener("click", () => stopCamera());
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) $("camera-start").hidden = true;
  addEventListener("online", () => { showData(); refresh().then(() => sync()); });
  addEventListener("offline", () => showData());
  if (rootPem) {
    try {
      state.root = await verify.rootLoad(rootPem);
    } catch (e) {
      showError(`Chứng thư gốc không đọc được (${e.message}).`);
    }
  } else {
    showError("Máy chủ chưa có chứng thư gốc: không kiểm tra được thẻ.");
  }
  await loadCached();
  if (navigator.onLine) {
    await refresh();
    await keepForOffline();
  }
  showData();
  await showList();
  if (navigator.onLine) await sync();
  document.documentElement.dataset.ready = "1";
}

// For the browser tests and the console.
self.partycardCheckin = { check, sync, refresh, state };

main();
