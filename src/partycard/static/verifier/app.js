// The offline verifier's page: keeps the trust list and the status lists (fetched when online, verified,
// stored with their fetch time), judges a QR from the camera or the text field with verify.js, and shows
// the verdict first, every reason, then the holder data. Also registers the service worker.

import * as verify from "./verify.js";
import * as sdjwt from "./sdjwt.js";
import { dataGet, dataNames, dataPut, trustSequenceGet, trustSequencePut } from "./store.js";
import { scanStart } from "./scan.js";
import { oidArcSet } from "./der.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("verifier-config").textContent);
const rootPem = JSON.parse($("root-pem").textContent);
if (config.oidArc) oidArcSet(config.oidArc); // the deployment's OID arc (PARTYCARD_OID_ARC)

const state = {
  root: null,
  trust: null, // trustListVerify's result
  trustFetchedAt: null,
  trustHighest: 0, // the highest trust list number accepted on this device (store.js)
  statusLists: new Map(), // uri → verified list
  statusFetchedAt: new Map(), // uri → Date
  knownUris: new Set(config.statusListUris || []),
  stopScan: null,
};

// --- formatting (dd/mm/yyyy, the device's time zone) ---------------------------------------------------
const pad = (n) => String(n).padStart(2, "0");
export function localDateTime(d) {
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const OUTCOME_TEXT = {
  valid: "✔ HỢP LỆ",
  invalid: "✘ KHÔNG HỢP LỆ",
  cannot_tell: "? CHƯA XÁC ĐỊNH ĐƯỢC",
};
const HOLDER_LABELS = [
  ["full_name", "Họ và tên"],
  ["card_number", "Số thẻ"],
  ["date_of_birth", "Ngày sinh"],
  ["member_status", "Loại đảng viên"],
  ["organisation_code", "Mã tổ chức đảng"],
  ["issued_at", "Ngày cấp"],
  ["expires_at", "Có giá trị đến"],
  // an SD-JWT VC presentation: only what its holder disclosed (sdjwt.js holderOfDisclosed)
  ["gender", "Giới tính"],
  ["date_admitted", "Ngày vào Đảng"],
  ["date_official", "Ngày chính thức"],
  ["issuing_committee", "Cấp ủy cấp thẻ"],
  ["organisation.code", "Mã tổ chức đảng"],
  ["organisation.name", "Tổ chức đảng"],
  ["membership.status", "Loại đảng viên"],
  ["membership.good_standing", "Đảng viên đang sinh hoạt bình thường"],
];
const GOOD_STANDING = { true: "Có", false: "Không" };
const MEMBER_STATUS = { official: "Đảng viên chính thức", probationary: "Đảng viên dự bị" };

function showError(message) {
  const el = $("data-error");
  el.textContent = message || "";
  el.hidden = !message;
}

// --- data: load, refresh, show -------------------------------------------------------------------------
function statusFetchUrl(uri) {
  // Status lists are fetched from the server that served this page (the Content-Security-Policy allows
  // only it), at the path the credential names.
  const url = new URL(uri, location.href);
  return url.origin === location.origin || !url.pathname.startsWith("/api/") ? url.href : url.pathname + url.search;
}

async function loadTrust(text, fetchedAt) {
  const trust = await verify.trustListVerify(text, state.root, new Date());
  state.trustHighest = verify.trustListAccept(trust, state.trustHighest); // a kept list older than one seen
  await trustSequencePut(state.trustHighest);
  state.trust = trust;
  state.trustFetchedAt = fetchedAt;
  return trust;
}

async function loadStatus(uri, text, fetchedAt) {
  const list = await verify.statusListVerify(text, { trust: state.trust, root: state.root, now: new Date(), uri });
  state.statusLists.set(uri, list);
  state.statusFetchedAt.set(uri, fetchedAt);
  return list;
}

async function loadCached() {
  state.trustHighest = await trustSequenceGet();
  const held = await dataGet("trust-list");
  if (held) {
    try {
      await loadTrust(held.text, new Date(held.meta.fetchedAt));
    } catch (e) {
      showError(`Danh sách tin cậy đã lưu không còn dùng được (${e.code || e.message}): hãy cập nhật dữ liệu.`);
    }
  }
  if (!state.trust) return;
  for (const uri of await dataNames("status-list")) {
    state.knownUris.add(uri);
    const item = await dataGet("status-list", uri);
    try {
      await loadStatus(uri, item.text, new Date(item.meta.fetchedAt));
    } catch (e) {
      // kept but unusable now (e.g. its signer was revoked): the verdict will say status_unknown
    }
  }
}

async function fetchText(url) {
  const response = await fetch(url, { cache: "no-store", credentials: "omit" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

async function refreshStatus(uri) {
  const text = await fetchText(statusFetchUrl(uri));
  const fetchedAt = new Date();
  const list = await verify.statusListVerify(text, { trust: state.trust, root: state.root, now: fetchedAt, uri });
  const held = state.statusLists.get(uri);
  if (held && list.issuedAt < held.issuedAt) throw new Error("danh sách cũ hơn danh sách đang giữ"); // rollback
  state.statusLists.set(uri, list);
  state.statusFetchedAt.set(uri, fetchedAt);
  await dataPut("status-list", uri, text, { fetchedAt: fetchedAt.toISOString() });
}

/** Fetch, verify and keep the trust list and every known status list. */
export async function refresh() {
  showError("");
  const problems = [];
  try {
    const text = await fetchText(config.trustListUrl);
    const fetchedAt = new Date();
    const trust = await verify.trustListVerify(text, state.root, fetchedAt);
    // Rollback: a lower number than any accepted here, or (two lists of one number, e.g. both made
    // before the number existed) an earlier issue time, is a replayed list; the held one stays.
    const highest = verify.trustListAccept(trust, state.trustHighest);
    if (state.trust && trust.sequence === state.trust.sequence && trust.issuedAt < state.trust.issuedAt) {
      throw new verify.TrustListError("TrustListRollback", "the trust list is older than the one held");
    }
    await trustSequencePut(highest);
    state.trustHighest = highest;
    state.trust = trust;
    state.trustFetchedAt = fetchedAt;
    await dataPut("trust-list", "", text, { fetchedAt: fetchedAt.toISOString() });
  } catch (e) {
    problems.push(e.code === "TrustListRollback"
      ? "danh sách tin cậy: máy chủ gửi danh sách cũ hơn danh sách đã nhận (trust_list_rollback), vẫn dùng danh sách đang giữ"
      : `danh sách tin cậy: ${e.code || e.message}`);
  }
  if (state.trust) {
    for (const uri of state.knownUris) {
      try {
        await refreshStatus(uri);
      } catch (e) {
        problems.push(`danh sách trạng thái ${uri}: ${e.code || e.message}`);
      }
    }
  }
  if (problems.length) showError(`Không cập nhật được ${problems.join("; ")}.`);
  showData();
}

function showData() {
  const now = new Date();
  const trustEl = $("trust-state");
  if (state.trust) {
    const stale = now > state.trust.nextUpdate;
    trustEl.innerHTML = "";
    trustEl.append(
      `Tải về lúc ${localDateTime(state.trustFetchedAt)}; phát hành ${localDateTime(state.trust.issuedAt)}; ` +
      `cần cập nhật trước ${localDateTime(state.trust.nextUpdate)}`,
    );
    if (stale) {
      const flag = document.createElement("span");
      flag.className = "stale";
      flag.textContent = " — QUÁ HẠN";
      trustEl.append(flag);
    }
    trustEl.dataset.fetchedAt = state.trustFetchedAt.toISOString();
    trustEl.dataset.sequence = String(state.trust.sequence);
    trustEl.dataset.stale = String(stale);
  } else {
    trustEl.textContent = "Chưa có: hãy kết nối mạng và cập nhật dữ liệu";
  }
  const statusEl = $("status-state");
  statusEl.innerHTML = "";
  if (!state.statusLists.size) statusEl.textContent = "Chưa có";
  for (const [uri, list] of state.statusLists) {
    const line = document.createElement("div");
    const stale = verify.statusListStale(list, now);
    line.textContent = `${uri.replace(/^.*\/status-lists\//, "Danh sách số ")}: tải về lúc ` +
      `${localDateTime(state.statusFetchedAt.get(uri))}${list.expiresAt ? `; hết hạn ${localDateTime(list.expiresAt)}` : ""}`;
    if (stale) {
      const flag = document.createElement("span");
      flag.className = "stale";
      flag.textContent = " — QUÁ HẠN";
      line.append(flag);
    }
    statusEl.append(line);
  }
  $("offline-state").textContent = navigator.onLine ? "" : "Đang ngoại tuyến: dùng dữ liệu đã lưu.";
  $("network").textContent = navigator.onLine ? "Trực tuyến" : "Ngoại tuyến";
}

// --- judging --------------------------------------------------------------------------------------------
function noTrustVerdict() {
  return verify.verdictOf([{
    code: "trust_list_missing",
    kind: verify.Kind.CANNOT_TELL,
    message_en: "this verifier holds no usable trust list: connect and update the data",
    message_vi: "Thiết bị chưa có danh sách tin cậy dùng được: hãy kết nối mạng và cập nhật dữ liệu",
  }], {}, new Date());
}

async function judge(text) {
  if (!state.root || !state.trust) return noTrustVerdict();
  const presentation = sdjwt.looksLikeSdJwt(text);
  const uri = presentation ? await sdjwt.sdjwtStatusUri(text) : await verify.qrStatusUri(text);
  if (uri && navigator.onLine && (!state.statusLists.has(uri) ||
      verify.statusListStale(state.statusLists.get(uri), new Date()))) {
    state.knownUris.add(uri);
    try {
      await refreshStatus(uri);
      showData();
    } catch (e) {
      // offline in practice, or the list does not verify: judge with what is held
    }
  }
  if (presentation) {
    const audience = $("sdjwt-audience").value.trim();
    const nonce = $("sdjwt-nonce").value.trim();
    if (!audience || !nonce) {
      $("sdjwt-challenge").open = true;
      return verify.verdictOf([{
        code: "sdjwt_challenge_missing",
        kind: verify.Kind.CANNOT_TELL,
        message_en: "to check an SD-JWT presentation, fill in this verifier's audience and the nonce given to the holder",
        message_vi: "Để kiểm tra bản trình thẻ điện tử, hãy điền mã nơi kiểm tra và mã thử đã đưa cho người trình thẻ",
      }], {}, new Date());
    }
    return sdjwt.verifySdJwt(text, {
      trust: state.trust, root: state.root, now: new Date(), statusLists: state.statusLists, audience, nonce,
    });
  }
  return verify.qrVerdict(text, {
    trust: state.trust,
    root: state.root,
    now: new Date(),
    statusLists: state.statusLists,
    deviceRequired: !$("allow-static").checked,
  });
}

function showVerdict(verdict) {
  $("result").hidden = false;
  const banner = $("verdict");
  banner.className = `verdict ${verdict.outcome}`;
  banner.textContent = OUTCOME_TEXT[verdict.outcome];
  banner.dataset.outcome = verdict.outcome;
  const data = state.trust && state.trustFetchedAt ? ` Dữ liệu tải về lúc ${localDateTime(state.trustFetchedAt)}.` : "";
  $("verdict-time").textContent = `Kiểm tra lúc ${localDateTime(new Date())}.${data}`;
  const list = $("reasons");
  list.innerHTML = "";
  for (const r of verdict.reasons) {
    const item = document.createElement("li");
    item.dataset.code = r.code;
    item.textContent = `${r.message_vi} `;
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = `(${r.code})`;
    item.append(code);
    list.append(item);
  }
  // Holder data only after the verdict, and marked as unproven unless valid (STYLE: verdict first).
  const holder = $("holder");
  const entries = HOLDER_LABELS.filter(([key]) => verdict.holder[key]);
  holder.hidden = entries.length === 0;
  holder.classList.toggle("untrusted", verdict.outcome !== "valid");
  $("holder-title").textContent = verdict.outcome === "valid" ? "Thông tin trên thẻ" : "Thông tin đọc được (CHƯA được xác thực)";
  const dl = $("holder-data");
  dl.innerHTML = "";
  for (const [key, label] of entries) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.dataset.field = key;
    const value = verdict.holder[key];
    dd.textContent = key === "member_status" || key === "membership.status" ? MEMBER_STATUS[value] || value
      : key === "membership.good_standing" ? GOOD_STANDING[value] || value : value;
    dl.append(dt, dd);
  }
  banner.scrollIntoView({ block: "start" });
}

async function check(text) {
  $("verify-button").disabled = true;
  try {
    showVerdict(await judge(text));
  } finally {
    $("verify-button").disabled = false;
  }
}

// --- wiring ---------------------------------------------------------------------------------------------
async function startCamera() {
  const video = $("video");
  $("camera").hidden = false;
  $("camera-start").hidden = true;
  $("camera-stop").hidden = false;
  try {
    state.stopScan = await scanStart(video, (text) => {
      stopCamera();
      $("qr-text").value = text;
      check(text);
    }, { jsqrUrl: config.jsqrUrl });
  } catch (e) {
    stopCamera();
    showError(`Không mở được máy ảnh (${e.name || e.message}): hãy cho phép dùng máy ảnh, hoặc dán nội dung mã QR.`);
  }
}

function stopCamera() {
  if (state.stopScan) state.stopScan();
  state.stopScan = null;
  $("camera").hidden = true;
  $("camera-start").hidden = false;
  $("camera-stop").hidden = true;
}

/** A fresh challenge for an SD-JWT presentation: 128 random bits, base64url. */
function freshNonce() {
  return sdjwt.b64urlEncodeBytes(crypto.getRandomValues(new Uint8Array(16)));
}

async function main() {
  $("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    check($("qr-text").value.trim());
  });
  $("refresh").addEventListener("click", () => refresh());
  $("sdjwt-audience").value ||= `${location.origin}${config.scope}`;
  $("sdjwt-nonce").value ||= freshNonce();
  $("camera-start").addEventListener("click", () => startCamera());
  $("camera-stop").addEventListener("click", () => stopCamera());
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) $("camera-start").hidden = true;
  addEventListener("online", () => refresh());
  addEventListener("offline", () => showData());

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.serviceWorkerUrl, { scope: config.scope }).catch((e) => {
      showError(`Không cài được chế độ ngoại tuyến (${e.message}).`);
    });
  }
  if (!rootPem) {
    showError("Máy chủ chưa có chứng thư gốc (chưa chạy partycard pki init): không kiểm tra được thẻ.");
  } else {
    try {
      state.root = await verify.rootLoad(rootPem);
    } catch (e) {
      showError(`Chứng thư gốc không đọc được (${e.message}).`);
    }
  }
  if (state.root) {
    await loadCached();
    showData();
    if (navigator.onLine) await refresh();
  }
  showData();
  document.documentElement.dataset.ready = "1";
}

// For the browser tests and the console: the whole verification in one call (verify.js verifyAll).
self.partycardVerify = (text, options) => verify.verifyAll(text, options);
self.partycardVerifier = { ...verify, sdjwt, refresh, state };

main();
