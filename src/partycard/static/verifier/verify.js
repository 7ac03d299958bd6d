// The offline verifier's judgement, in the browser with WebCrypto: the signed trust list against the
// pinned root (partycard.trust.trustlist), the signed status list (draft-ietf-oauth-status-list, JWT),
// and the party card QR ("PC1:" static, "PC1R:" device-bound rotating; partycard.ecard.qr, .device).
// The verdict and every reason code are those of partycard.verify.qr and verify.signer: the browser
// tests run the shared vectors (tests/vectors/qr/) through both and compare. Pure: no DOM, no storage.

import {
  CborTag,
  FormatError,
  b45decode,
  b64decode,
  b64urlDecode,
  bytesEqual,
  cborDecode,
  cborEncode,
  concat,
  hex,
  inflate,
  pyNumber,
  utf8,
  utf8Decode,
} from "./codec.js";
import {
  DerError,
  OID,
  basicConstraintsCa,
  documentTypes,
  ecdsaDerToPlain,
  extendedKeyUsages,
  keyUsageDigitalSignature,
  parseCertificate,
  parseCrl,
  pemDecode,
  privateKeyUsagePeriod,
} from "./der.js";

export const PREFIX = "PC1:";
export const ROTATING_PREFIX = "PC1R:";
export const ECARD_DOCUMENT_TYPE = "EC";
const MAX_TEXT = 8 * 1024;
const MAX_INFLATED = 16 * 1024;
const MAX_COSE = 64 * 1024;
const ISSUE_SKEW_MS = 5 * 60 * 1000;
const WINDOW_SECONDS = 30;
const SKEW_WINDOWS = 1;
const PROOF_CONTEXT = "PC1R-proof";
const ES256 = { name: "ECDSA", hash: "SHA-256" };
const P256 = { name: "ECDSA", namedCurve: "P-256" };

// --- time formats -----------------------------------------------------------------------------------
const pad = (n) => String(n).padStart(2, "0");
/** dd/mm/yyyy in UTC, as the Python verifier formats dates. */
export function dateText(d) {
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}
export function dateTimeText(d) {
  return `${dateText(d)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

// --- WebCrypto ----------------------------------------------------------------------------------------
async function importSpki(cert) {
  if (cert.keyAlgorithm !== OID.ecPublicKey || cert.keyCurve !== OID.prime256v1) return null;
  try {
    return await crypto.subtle.importKey("spki", cert.spki, P256, false, ["verify"]);
  } catch (e) {
    return null;
  }
}

async function verifyPlain(key, signature, data) {
  if (!key || !(signature instanceof Uint8Array) || signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(ES256, key, signature, data);
  } catch (e) {
    return false;
  }
}

async function verifyDer(key, derSignature, data) {
  let plain;
  try {
    plain = ecdsaDerToPlain(derSignature, 32);
  } catch (e) {
    return false;
  }
  return verifyPlain(key, plain, data);
}

/** Whether ``cert`` is directly issued by ``root`` (issuer name and the root's signature). */
async function issuedBy(cert, root) {
  if (!bytesEqual(cert.issuer, root.subject) || cert.signatureAlgorithm !== OID.ecdsaWithSha256) return false;
  return verifyDer(root.key, cert.signature, cert.tbs);
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** The e-card kid of a DS certificate: the first 8 bytes of SHA-256 of its DER (ecard/keys.py). */
export async function kidOf(der) {
  return (await sha256(der)).subarray(0, 8);
}

// --- the pinned root ------------------------------------------------------------------------------------
export async function rootLoad(pem) {
  const cert = parseCertificate(pemDecode(pem));
  cert.key = await importSpki(cert);
  if (!cert.key) throw new DerError("the root's key is not a P-256 key");
  return cert;
}

// --- the trust list (trust/trustlist.py) ----------------------------------------------------------------
/** A trust list that failed; ``code`` is the Python exception's name (trust/errors.py). */
export class TrustListError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const TL_DOCUMENT_KEYS = ["payload", "signature", "signer_certificate"];
const TL_LEGACY_PAYLOAD_KEYS = ["crl", "issued_at", "next_update", "signers", "version"]; // version 1
const TL_SEQUENCE_PAYLOAD_KEYS = [...TL_LEGACY_PAYLOAD_KEYS, "sequence"]; // version 2
const TL_PAYLOAD_KEYS = [...TL_SEQUENCE_PAYLOAD_KEYS, "chip_policy"]; // version 3 (trustlist.py ChipPolicy)
const TL_VERSION_KEYS = new Map([[1, TL_LEGACY_PAYLOAD_KEYS], [2, TL_SEQUENCE_PAYLOAD_KEYS], [3, TL_PAYLOAD_KEYS]]);
export const TL_MAX_SEQUENCE = Number.MAX_SAFE_INTEGER; // trustlist.py MAX_SEQUENCE, 2**53 - 1
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function exactKeys(value, keys, what) {
  if (typeof value !== "object" || value === null || Array.isArray(value) ||
      Object.keys(value).sort().join() !== [...keys].sort().join()) {
    throw new TrustListError("TrustListMalformed", `${what} must be an object with exactly ${keys}`);
  }
  return value;
}

function jsonOf(bytesOrText, keys, what) {
  let value;
  try {
    value = JSON.parse(typeof bytesOrText === "string" ? bytesOrText : utf8Decode(bytesOrText));
  } catch (e) {
    throw new TrustListError("TrustListMalformed", `${what} is not JSON`);
  }
  return exactKeys(value, keys, what);
}

function unb64(value, field) {
  try {
    if (typeof value !== "string") throw new FormatError("base64", "not a string");
    return b64decode(value);
  } catch (e) {
    throw new TrustListError("TrustListMalformed", `${field} is not valid base64`);
  }
}

function isoTime(value, field) {
  const m = typeof value === "string" && ISO_TIME.exec(value);
  if (!m) throw new TrustListError("TrustListMalformed", `${field} is not an ISO 8601 time with a zone`);
  const d = new Date(value.replace(" ", "T"));
  if (Number.isNaN(d.getTime())) throw new TrustListError("TrustListMalformed", `${field} is out of range`);
  return d;
}

function certificateOf(der, field) {
  try {
    return parseCertificate(der);
  } catch (e) {
    throw new TrustListError("TrustListMalformed", `${field} is not a DER certificate`);
  }
}

/** Verify a downloaded trust list (its JSON text) against the pinned root at ``now`` (a Date), in the
 *  order of trustlist_verify: the signer, its signature, then the content. A list past its next update
 *  is returned with ``stale`` true, not refused.
 *  @throws TrustListError */
export async function trustListVerify(document, root, now) {
  if (typeof document !== "string" || document.length > 16 * 1024 * 1024) {
    throw new TrustListError("TrustListMalformed", "the trust list is not text of a sane size");
  }
  const envelope = jsonOf(document, TL_DOCUMENT_KEYS, "the trust list");
  const payload = unb64(envelope.payload, "payload");
  const signature = unb64(envelope.signature, "signature");
  const signer = certificateOf(unb64(envelope.signer_certificate, "signer_certificate"), "signer_certificate");

  if (!(await issuedBy(signer, root))) {
    throw new TrustListError("CertificateNotIssuedByRoot", "the trust-list signer was not issued by the trusted root");
  }
  let usable;
  try {
    const ca = basicConstraintsCa(signer);
    const ekus = extendedKeyUsages(signer);
    usable = ca === false && signer.extensions.has(OID.keyUsage) && keyUsageDigitalSignature(signer) &&
      ekus !== null && ekus.includes(OID.trustListSigning);
  } catch (e) {
    usable = false;
  }
  if (!usable) throw new TrustListError("CertificateUsageInvalid", "the signer certificate is not a trust-list signer");
  if (now < signer.notBefore) throw new TrustListError("CertificateNotYetValid", "the trust-list signer is not valid yet");
  if (now > signer.notAfter) throw new TrustListError("CertificateExpired", "the trust-list signer expired");
  const signerKey = await importSpki(signer);
  if (!signerKey) throw new TrustListError("CertificateUsageInvalid", "the trust-list signer's key is not an EC key");
  if (!(await verifyDer(signerKey, signature, payload))) {
    throw new TrustListError("TrustListBadSignature", "the trust list signature does not verify");
  }

  let content;
  try {
    content = JSON.parse(utf8Decode(payload));
  } catch (e) {
    throw new TrustListError("TrustListMalformed", "the payload is not JSON");
  }
  const version = content !== null && typeof content === "object" && !Array.isArray(content) ? content.version : undefined;
  if (!TL_VERSION_KEYS.has(version)) throw new TrustListError("TrustListMalformed", `unsupported trust list version ${version}`);
  exactKeys(content, TL_VERSION_KEYS.get(version), "the payload");
  // A version 1 list was made before the number existed: sequence 0 (trustlist.py, rollback).
  const sequence = version >= 2 ? content.sequence : 0;
  if (version >= 2 && !(Number.isSafeInteger(sequence) && sequence >= 1)) {
    throw new TrustListError("TrustListMalformed", `sequence must be an integer from 1 to ${TL_MAX_SEQUENCE}`);
  }
  // Version 3's signed chip policy; a list of before it allows no AA fallback (trustlist.py, chip policy).
  const chipPolicy = { aaFallback: false };
  if (version >= 3) {
    exactKeys(content.chip_policy, ["aa_fallback"], "chip_policy");
    if (typeof content.chip_policy.aa_fallback !== "boolean") {
      throw new TrustListError("TrustListMalformed", "chip_policy.aa_fallback must be true or false");
    }
    chipPolicy.aaFallback = content.chip_policy.aa_fallback;
  }
  const issuedAt = isoTime(content.issued_at, "issued_at");
  const nextUpdate = isoTime(content.next_update, "next_update");
  if (!Array.isArray(content.signers)) throw new TrustListError("TrustListMalformed", "signers is not a list");
  const signers = content.signers.map((item) => certificateOf(unb64(item, "signers[]"), "signers[]"));
  let crl;
  try {
    crl = parseCrl(unb64(content.crl, "crl"));
  } catch (e) {
    if (e instanceof TrustListError) throw e;
    throw new TrustListError("TrustListMalformed", "crl is not a DER CRL");
  }
  if (!bytesEqual(crl.issuer, root.subject) || crl.signatureAlgorithm !== OID.ecdsaWithSha256 ||
      !(await verifyDer(root.key, crl.signature, crl.tbs))) {
    throw new TrustListError("CrlInvalid", "the trust list's CRL is not signed by the trusted root");
  }
  for (const cert of signers) {
    if (!(await issuedBy(cert, root))) {
      throw new TrustListError("CertificateNotIssuedByRoot", `document signer ${cert.serial} was not issued by the trusted root`);
    }
  }
  if (crl.revoked.has(signer.serial)) {
    throw new TrustListError("CertificateRevoked", "the trust-list signer is revoked by the root's CRL");
  }
  for (const cert of signers) {
    cert.key = await importSpki(cert);
    cert.kid = hex(await kidOf(cert.der));
  }
  return {
    issuedAt, nextUpdate, sequence, chipPolicy, signers, revoked: crl.revoked, signerCertificate: signer,
    stale: now > nextUpdate,
  };
}

/** Whether a verifier that accepted trust lists up to number ``highest`` may take ``trust`` (verified);
 *  returns the new highest (trustlist.py trustlist_accept: the same number is the same list again).
 *  @throws TrustListError TrustListRollback: an older list, replayed */
export function trustListAccept(trust, highest) {
  const held = Number.isSafeInteger(highest) && highest > 0 ? highest : 0;
  if (trust.sequence < held) {
    throw new TrustListError("TrustListRollback",
      `the trust list is number ${trust.sequence}, older than number ${held} already accepted`);
  }
  return Math.max(trust.sequence, held);
}

/** The reason a verdict gives when the trust list offered is older than one already accepted. */
export function trustListRollbackReason(trust, highest) {
  return reason("trust_list_rollback", Kind.CANNOT_TELL,
    `the trust list (number ${trust.sequence}) is older than one this verifier already accepted (number ${highest}): a replayed list; update the data`,
    "Danh sách tin cậy cũ hơn danh sách thiết bị đã nhận trước đó (có thể bị phát lại): hãy cập nhật dữ liệu");
}

// --- reasons and the verdict (verify/verdict.py) ------------------------------------------------------------
export const Kind = { INVALID: "invalid", CANNOT_TELL: "cannot_tell", WARNING: "warning" };
const STALE_CODES = new Set(["trust_list_stale", "status_list_stale"]);

function reason(code, kind, en, vi) {
  return { code, kind, message_en: en, message_vi: vi };
}
const invalid = (code, en, vi) => reason(code, Kind.INVALID, en, vi);

export function verdictOf(reasons, holder = {}, at = null) {
  const kinds = new Set(reasons.map((r) => r.kind));
  const outcome = kinds.has(Kind.INVALID) ? "invalid" : kinds.has(Kind.CANNOT_TELL) ? "cannot_tell" : "valid";
  return {
    outcome,
    ok: outcome === "valid",
    reasons,
    codes: reasons.map((r) => r.code),
    stale: reasons.some((r) => STALE_CODES.has(r.code)),
    holder,
    at: at ? at.toISOString() : null,
  };
}

// --- the signer (verify/signer.py) ----------------------------------------------------------------------
function inUsagePeriod(ds, at) {
  let period;
  try {
    period = privateKeyUsagePeriod(ds);
  } catch (e) {
    period = null;
  }
  if (!period) return ds.notBefore <= at && at <= ds.notAfter;
  return (!period.notBefore || period.notBefore <= at) && (!period.notAfter || at <= period.notAfter);
}

/** Every reason not to trust ``ds`` for ``documentType`` at ``now`` for a signature made at
 *  ``signedAt`` (null: not checked), in signer_reasons' order and with its codes. */
export async function signerReasons(ds, { trust, root, now, signedAt, documentType }) {
  if (!bytesEqual(ds.issuer, root.subject)) {
    return [invalid("signer_other_root", "the document signer belongs to another root, not the party card root",
      "Đơn vị ký thuộc hệ thống chứng thực khác, không phải của thẻ đảng viên")];
  }
  if (!(await issuedBy(ds, root))) {
    return [invalid("signer_unknown", "the document signer names the root but was not issued by it (unknown signer)",
      "Đơn vị ký không do tổ chức chứng thực gốc cấp (đơn vị ký lạ)")];
  }
  const reasons = [];
  let types = [];
  let signs = false;
  try {
    signs = keyUsageDigitalSignature(ds);
  } catch (e) {
    signs = false;
  }
  try {
    types = documentTypes(ds);
  } catch (e) {
    types = [];
  }
  if (!signs || !types.includes(documentType)) {
    reasons.push(invalid("signer_usage_invalid",
      `the signer's certificate is not for signing this document (key usage or type ${documentType})`,
      "Chứng thư của đơn vị ký không dùng để ký loại giấy tờ này"));
  }
  if (trust.revoked.has(ds.serial)) {
    reasons.push(invalid("signer_revoked", "the document signer's certificate is revoked",
      "Chứng thư của đơn vị ký đã bị thu hồi"));
  }
  if (now < ds.notBefore) {
    reasons.push(invalid("signer_not_yet_valid", "the document signer's certificate is not valid yet",
      "Chứng thư của đơn vị ký chưa có hiệu lực"));
  } else if (now > ds.notAfter) {
    reasons.push(invalid("signer_expired", "the document signer's certificate has expired",
      "Chứng thư của đơn vị ký đã hết hạn"));
  }
  if (signedAt && !inUsagePeriod(ds, signedAt)) {
    reasons.push(invalid("signed_outside_usage_period", "it was signed outside the signer key's usage period",
      "Được ký ngoài thời hạn sử dụng khóa của đơn vị ký"));
  }
  if (!trust.signers.some((c) => bytesEqual(c.der, ds.der))) {
    reasons.push(reason("signer_not_in_trust_list", Kind.CANNOT_TELL,
      "the document signer is not on this trust list yet: update the trust list",
      "Đơn vị ký chưa có trong danh sách tin cậy: hãy cập nhật danh sách"));
  }
  return reasons;
}

// --- the status list (ecard/status.py, verify/status.py; draft-ietf-oauth-status-list §5.1, JWT) --------
/** A status list token that failed; ``code`` is the Python exception's name (ecard/errors.py). */
export class StatusListError extends Error {
  constructor(code, message, reasons = []) {
    super(message);
    this.code = code;
    this.reasons = reasons;
  }
}

const MAX_TOKEN_CHARS = 4 * 1024 * 1024;
const MAX_LIST_BYTES = 16 * 1024 * 1024;
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const malformedList = (message) => new StatusListError("StatusListError", message);

function jsonObject(bytes, what) {
  let value;
  try {
    value = JSON.parse(utf8Decode(bytes));
  } catch (e) {
    throw malformedList(`the ${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw malformedList(`the ${what} is not a JSON object`);
  return value;
}

function listInteger(value, what) {
  if (!isInt(value)) throw malformedList(`${what} must be an integer`);
  return value;
}

function listMoment(value, what) {
  const seconds = listInteger(value, what);
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) throw malformedList(`${what} is out of range`);
  return new Date(seconds * 1000);
}

/** Parse a status list JWT (status_list_jwt_parse) without verifying it. */
export async function statusListJwtParse(token) {
  if (typeof token !== "string" || token.length > MAX_TOKEN_CHARS) throw malformedList("not a status list JWT of a sane size");
  const parts = token.split(".");
  if (parts.length !== 3) throw malformedList("a compact JWS has three parts");
  let raw;
  try {
    raw = parts.map(b64urlDecode);
  } catch (e) {
    throw malformedList("not base64url");
  }
  const header = jsonObject(raw[0], "JWT header");
  if (header.alg !== "ES256") throw malformedList("the algorithm is not ES256");
  if ("crit" in header) throw malformedList("critical header parameters are not supported");
  if (header.typ !== "statuslist+jwt") throw malformedList("typ is not statuslist+jwt");
  const claims = jsonObject(raw[1], "JWT claims set");
  if (typeof claims.sub !== "string" || !claims.sub) throw malformedList("the status list token has no subject (its URI)");
  const issuedAt = listMoment(claims.iat, "iat");
  const expiresAt = claims.exp === undefined || claims.exp === null ? null : listMoment(claims.exp, "exp");
  if (expiresAt && expiresAt <= issuedAt) throw malformedList("exp is not after iat");
  const ttl = claims.ttl === undefined || claims.ttl === null ? null : listInteger(claims.ttl, "ttl");
  if (ttl !== null && !(ttl > 0 && ttl <= 10 * 365 * 86400)) throw malformedList("ttl must be a positive number of seconds");
  const list = claims.status_list;
  if (typeof list !== "object" || list === null || Array.isArray(list)) throw malformedList("status_list must be an object");
  if (![1, 2, 4, 8].includes(list.bits)) throw malformedList("bits must be one of 1, 2, 4, 8");
  if (typeof list.lst !== "string") throw malformedList("lst must be a base64url string");
  let statuses;
  try {
    statuses = await inflate(b64urlDecode(list.lst), MAX_LIST_BYTES);
  } catch (e) {
    throw malformedList(`lst is not base64url ZLIB data: ${e.message}`);
  }
  let kid = null;
  if (typeof header.kid === "string") {
    try {
      kid = hex(b64urlDecode(header.kid));
    } catch (e) {
      kid = null; // a kid that is not ours: no signer will match
    }
  }
  return {
    list: { uri: claims.sub, bits: list.bits, statuses, issuedAt, expiresAt, ttlSeconds: ttl },
    kid,
    signingInput: utf8.encode(`${parts[0]}.${parts[1]}`),
    signature: raw[2],
  };
}

/** Verify a status list JWT with the trust list's document signers (verify/status.py
 *  status_list_verify_jwt): the signer by kid, its signature, the signer checks (any reason refuses the
 *  list, signing time = iat), the subject (if ``uri`` is given) and iat not in the future.
 *  @throws StatusListError (code: the Python class name) */
export async function statusListVerify(token, { trust, root, now, uri = null }) {
  const parsed = await statusListJwtParse(token);
  const candidates = parsed.kid === null ? [] : trust.signers.filter((c) => c.kid === parsed.kid);
  if (!candidates.length) {
    throw new StatusListError("StatusListSignerUnknown", "no document signer on the trust list has the status list's kid");
  }
  let signer = null;
  for (const c of candidates) {
    if (await verifyPlain(c.key, parsed.signature, parsed.signingInput)) {
      signer = c;
      break;
    }
  }
  if (!signer) throw new StatusListError("StatusListSignatureInvalid", "the status list's signature does not verify");
  const list = parsed.list;
  const reasons = await signerReasons(signer, { trust, root, now, signedAt: list.issuedAt, documentType: ECARD_DOCUMENT_TYPE });
  if (reasons.length) {
    throw new StatusListError("StatusListSignerUntrusted",
      `the status list's signer is not trusted: ${reasons.map((r) => r.code).join(", ")}`, reasons);
  }
  if (uri !== null && list.uri !== uri) throw new StatusListError("StatusListWrongSubject", `the status list is ${list.uri}, not ${uri}`);
  if (list.issuedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw new StatusListError("StatusListNotYetValid", "the status list was issued after now");
  }
  return list;
}

/** A decoded status list as the shared vectors write it (tests/vectors/qr/status.json: uri, bits,
 *  statuses in base64, issued_at, expires_at, ttl in seconds), i.e. already verified. */
export function statusListFromJson(item) {
  const when = (v) => (v === null || v === undefined ? null : new Date(v));
  return {
    uri: item.uri,
    bits: item.bits,
    statuses: b64decode(item.statuses),
    issuedAt: new Date(item.issued_at),
    expiresAt: when(item.expires_at),
    ttlSeconds: item.ttl === undefined ? null : item.ttl,
  };
}

export function statusAt(list, index) {
  const size = Math.floor((list.statuses.length * 8) / list.bits);
  if (typeof index !== "number" || index < 0 || index >= size) return null;
  const position = index * list.bits;
  return (list.statuses[Math.floor(position / 8)] >> (position % 8)) & ((1 << list.bits) - 1);
}

export function statusListStale(list, now) {
  if (list.expiresAt && now > list.expiresAt) return true;
  return list.ttlSeconds !== null && list.ttlSeconds !== undefined &&
    now.getTime() > list.issuedAt.getTime() + list.ttlSeconds * 1000;
}

// --- the QR (ecard/qr.py, ecard/cose.py, ecard/device.py) ---------------------------------------------------
class QrError extends Error {}

const isInt = (v) => typeof v === "number" && Number.isInteger(v);
const isBig = (v) => typeof v === "bigint";

async function unwrap(text, prefix) {
  if (typeof text !== "string" || text.length > MAX_TEXT) throw new QrError("not QR text of a sane size");
  if (!text.startsWith(prefix)) throw new QrError(`the QR text does not start with ${prefix}`);
  const compressed = b45decode(text.slice(prefix.length));
  try {
    return await inflate(compressed, MAX_INFLATED);
  } catch (e) {
    throw new QrError(`not zlib data: ${e.message}`);
  }
}

async function qrParse(text) {
  if (typeof text === "string" && text.startsWith(ROTATING_PREFIX)) {
    const item = cborDecode(await unwrap(text, ROTATING_PREFIX));
    if (!Array.isArray(item) || item.length !== 3) throw new QrError("a rotating QR holds [credential, window, proof]");
    const [credential, window, proof] = item;
    if (!(credential instanceof Uint8Array) || !(proof instanceof Uint8Array) || !(isInt(window) || isBig(window))) {
      throw new QrError("a rotating QR holds [bytes, integer, bytes]");
    }
    return { credential, window, proof };
  }
  return { credential: await unwrap(text, PREFIX), window: null, proof: null };
}

function sign1Parse(data) {
  if (data.length > MAX_COSE) throw new QrError("not a COSE_Sign1 of a sane size");
  let item = cborDecode(data);
  if (item instanceof CborTag) {
    if (item.tag !== 18) throw new QrError(`CBOR tag ${item.tag} is not COSE_Sign1 (18)`);
    item = item.value;
  }
  if (!Array.isArray(item) || item.length !== 4) throw new QrError("a COSE_Sign1 is an array of four items");
  const [protectedBytes, unprotected, payload, signature] = item;
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map)) throw new QrError("malformed COSE headers");
  if (!(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) throw new QrError("no detached payload");
  const protectedMap = protectedBytes.length ? cborDecode(protectedBytes) : new Map();
  if (!(protectedMap instanceof Map)) throw new QrError("the protected header is not a map");
  if (pyNumber(protectedMap.get(1)) !== -7) throw new QrError("the algorithm is not ES256 (-7)");
  const kid = protectedMap.has(4) ? protectedMap.get(4) : unprotected.get(4);
  return {
    payload,
    signature,
    kid: kid instanceof Uint8Array ? kid : null,
    toBeSigned: cborEncode(["Signature1", protectedBytes, new Uint8Array(0), payload]),
  };
}

const MIN_SECONDS = -62135596800; // 0001-01-01T00:00:00Z, datetime.fromtimestamp's range
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

function text(value, what) {
  if (typeof value !== "string" || !value) throw new QrError(`${what} is not a non-empty text string`);
  return value;
}

function numericDate(value, what) {
  if (!isInt(value) || value < MIN_SECONDS || value > MAX_SECONDS) throw new QrError(`${what} is not an integer NumericDate`);
  return new Date(value * 1000);
}

function isoDate(value) {
  // date.fromisoformat: YYYY-MM-DD or YYYYMMDD (the forms a date of birth is written in)
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
  if (!m || (value.length === 10) !== value.includes("-")) throw new QrError("the date of birth is not YYYY-MM-DD");
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(2000, mo - 1, d));
  date.setUTCFullYear(y);
  if (y < 1 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) throw new QrError("the date of birth is not a date");
  return `${pad(d)}/${pad(mo)}/${String(y).padStart(4, "0")}`;
}

async function coseKeyDecode(key) {
  if (!(key instanceof Map) || key.get(1) !== 2 || key.get(-1) !== 1) throw new QrError("the COSE_Key is not an EC2 key on P-256");
  const x = key.get(-2);
  const y = key.get(-3);
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
    throw new QrError("the COSE_Key's x and y must be 32-byte strings");
  }
  try {
    return await crypto.subtle.importKey("raw", concat(Uint8Array.of(4), x, y), P256, false, ["verify"]);
  } catch (e) {
    throw new QrError("the COSE_Key is not a P-256 point");
  }
}

/** The CWT claims (ecard/qr.py cwt_claims_decode). With ``deviceKey`` false (a static QR) the cnf
 *  claim's shape is checked but its point is not imported, as the Python side does. */
async function claimsDecode(payload, { deviceKey = true } = {}) {
  const cwt = cborDecode(payload);
  if (!(cwt instanceof Map)) throw new QrError("the CWT claims are not a map");
  const card = cwt.get(-65537);
  const status = cwt.get(65535);
  if (!(card instanceof Map)) throw new QrError("the party card claim is missing");
  const statusList = status instanceof Map ? status.get("status_list") : null;
  if (!(statusList instanceof Map)) throw new QrError("the status claim is missing");
  const index = statusList.get("idx");
  if (!(isInt(index) || isBig(index)) || index < 0) throw new QrError("the status list index is not a non-negative integer");
  const dateOfBirth = isoDate(text(card.get(2), "the date of birth"));
  const memberStatus = card.get(4);
  if (!["official", "probationary"].includes(memberStatus)) throw new QrError(`member status ${memberStatus} is unknown`);
  let key = null;
  const cnf = cwt.get(8);
  if (cnf !== undefined && cnf !== null) { // absent or null: no device key (Python: cwt.get(8) is None)
    if (!(cnf instanceof Map) || !(cnf.get(1) instanceof Map)) throw new QrError("the cnf claim holds no COSE_Key");
    if (deviceKey) key = await coseKeyDecode(cnf.get(1));
  }
  const nbf = cwt.get(5);
  return {
    cardNumber: text(cwt.get(2), "the card number (sub)"),
    fullName: text(card.get(1), "the full name"),
    dateOfBirth,
    organisationCode: text(card.get(3), "the organisation code"),
    memberStatus,
    issuedAt: numericDate(cwt.get(6), "iat"),
    expiresAt: numericDate(cwt.get(4), "exp"),
    statusIndex: index,
    statusUri: text(statusList.get("uri"), "the status list URI"),
    issuer: text(cwt.get(1), "the issuer (iss)"),
    notBefore: nbf === undefined || nbf === null ? null : numericDate(nbf, "nbf"),
    deviceKey: key,
  };
}

/** The holder data as display strings (verify/qr.py holder_of). */
function holderOf(claims) {
  return {
    card_number: claims.cardNumber,
    full_name: claims.fullName,
    date_of_birth: claims.dateOfBirth,
    organisation_code: claims.organisationCode,
    member_status: claims.memberStatus,
    issued_at: dateText(claims.issuedAt),
    expires_at: dateText(claims.expiresAt),
  };
}

async function signatureReasons(message, claims, ctx) {
  const kid = message.kid ? hex(message.kid) : null;
  const candidates = kid ? ctx.trust.signers.filter((c) => c.kid === kid) : [];
  if (!candidates.length) {
    return [reason("unknown_kid", Kind.CANNOT_TELL,
      "no document signer on this trust list has the QR's key identifier: update the trust list; if it persists, the QR is not genuine",
      "Không có đơn vị ký nào trong danh sách tin cậy khớp mã khóa của QR: hãy cập nhật danh sách; nếu vẫn vậy, mã QR không phải thật")];
  }
  for (const signer of candidates) {
    if (await verifyPlain(signer.key, message.signature, message.toBeSigned)) {
      return signerReasons(signer, { trust: ctx.trust, root: ctx.root, now: ctx.now, signedAt: claims.issuedAt,
        documentType: ECARD_DOCUMENT_TYPE });
    }
  }
  return [invalid("payload_altered", "the signature does not match the QR's content: it was altered or forged",
    "Chữ ký không khớp với nội dung mã QR: mã đã bị sửa hoặc giả mạo")];
}

function validityReasons(claims, now) {
  const reasons = [];
  const start = claims.notBefore || claims.issuedAt;
  if (now.getTime() + ISSUE_SKEW_MS < start.getTime()) {
    reasons.push(invalid("credential_not_yet_valid", `the credential is valid only from ${dateText(start)}`,
      `Thẻ điện tử chỉ có hiệu lực từ ${dateText(start)}`));
  }
  if (now >= claims.expiresAt) {
    reasons.push(invalid("credential_expired", `the credential expired on ${dateText(claims.expiresAt)}`,
      `Thẻ điện tử đã hết hạn ngày ${dateText(claims.expiresAt)}`));
  }
  return reasons;
}

function statusReasons(claims, ctx) {
  const list = ctx.statusLists.get(claims.statusUri);
  if (!list) {
    return [reason("status_unknown", Kind.CANNOT_TELL,
      "this verifier holds no status list for this card: revocation cannot be checked",
      "Thiết bị chưa có danh sách trạng thái của thẻ này: không kiểm tra được thu hồi")];
  }
  const reasons = [];
  if (statusListStale(list, ctx.now)) {
    reasons.push(reason("status_list_stale", Kind.CANNOT_TELL,
      "the status list is out of date: a recent revocation may be missing",
      "Danh sách trạng thái đã quá hạn: có thể thiếu các thu hồi gần đây"));
  }
  const value = statusAt(list, claims.statusIndex);
  if (value === 1) reasons.push(invalid("revoked", "the card is revoked", "Thẻ đã bị thu hồi"));
  else if (value === 2) reasons.push(invalid("suspended", "the card is suspended", "Thẻ đang bị tạm đình chỉ"));
  else if (value !== 0) {
    reasons.push(reason("status_unknown", Kind.CANNOT_TELL, "the status list does not give this card a known status",
      "Danh sách trạng thái không cho biết trạng thái của thẻ này"));
  }
  return reasons;
}

async function deviceReasons(presentation, claims, ctx) {
  if (presentation.proof === null) {
    if (!ctx.deviceRequired) return [];
    return [invalid("device_proof_missing", "a static QR without the phone's proof: show the live QR in the party card app",
      "Mã QR tĩnh, không có xác nhận của điện thoại: hãy mở mã QR động trong ứng dụng")];
  }
  const message = cborEncode([PROOF_CONTEXT, presentation.window, await sha256(presentation.credential)]);
  if (!claims.deviceKey || !(await verifyPlain(claims.deviceKey, presentation.proof, message))) {
    return [invalid("device_proof_invalid", "the phone's proof does not verify with the card's device key",
      "Xác nhận của điện thoại không khớp với khóa thiết bị của thẻ")];
  }
  const current = Math.floor(Math.floor(ctx.now.getTime() / 1000) / WINDOW_SECONDS);
  const window = Number(presentation.window);
  if (window < current - SKEW_WINDOWS) {
    return [invalid("device_proof_expired", "the QR's proof is from an earlier moment: a screenshot or recording, not the live phone",
      "Mã QR đã hết thời hạn: ảnh chụp hoặc bản ghi lại, không phải điện thoại thật")];
  }
  if (window > current + SKEW_WINDOWS) {
    return [invalid("device_proof_not_yet_valid", "the QR's proof is from a later moment: the phone's or this verifier's clock is wrong",
      "Mã QR có thời điểm ở tương lai: đồng hồ của điện thoại hoặc thiết bị kiểm tra bị sai")];
  }
  return [];
}

function malformed(detail) {
  return invalid("qr_malformed", `this is not a party card QR code, or it is damaged (${detail})`,
    "Đây không phải mã QR thẻ đảng viên, hoặc mã bị hỏng");
}

/** The verdict on QR ``text`` (verify/qr.py QrVerifier.verdict): every check runs.
 *  @param ctx {trust (trustListVerify's), root (rootLoad's), now: Date, statusLists: Map uri → list,
 *              deviceRequired: boolean (default true, as the Python verifier)} */
export async function qrVerdict(text, ctx) {
  const now = ctx.now;
  const full = { deviceRequired: true, statusLists: new Map(), ...ctx };
  let presentation;
  let message;
  let claims;
  try {
    presentation = await qrParse(text);
    message = sign1Parse(presentation.credential);
    claims = await claimsDecode(message.payload, { deviceKey: presentation.proof !== null });
  } catch (e) {
    return verdictOf([malformed(e.message)], {}, now);
  }
  const reasons = [];
  reasons.push(...(await signatureReasons(message, claims, full)));
  if (full.trust.stale) {
    const when = dateTimeText(full.trust.nextUpdate);
    reasons.push(reason("trust_list_stale", Kind.CANNOT_TELL,
      `the trust list is out of date since ${when} UTC: revocations may be missing`,
      `Danh sách tin cậy đã quá hạn cập nhật từ ${when} UTC`));
  }
  reasons.push(...validityReasons(claims, now));
  reasons.push(...statusReasons(claims, full));
  reasons.push(...(await deviceReasons(presentation, claims, full)));
  return verdictOf(reasons, holderOf(claims), now);
}

/** The claims' status list URI of a QR (to fetch its list before judging), null if unreadable. */
export async function qrStatusUri(text) {
  try {
    const presentation = await qrParse(text);
    return (await claimsDecode(sign1Parse(presentation.credential).payload, { deviceKey: false })).statusUri;
  } catch (e) {
    return null;
  }
}

/** Everything in one call, for the tests and the console: the pinned root's PEM, the trust list's
 *  JSON text, status list tokens (JWT text, or already verified lists), the time, and the highest trust
 *  list number the verifier accepted before (``highestSequence``; an older list gives "cannot tell" with
 *  ``trust_list_rollback``).
 *  A trust list that does not verify gives "cannot tell" with ``trust_list_invalid`` (there is no
 *  Python twin: the Python verifier is never handed a list that failed trustlist_verify). */
export async function verifyAll(text, {
  now = new Date(), trustList, rootPem, statusLists = [], deviceRequired = true, highestSequence = 0,
}) {
  now = now instanceof Date ? now : new Date(now);
  const root = await rootLoad(rootPem);
  let trust;
  try {
    trust = await trustListVerify(trustList, root, now);
  } catch (e) {
    const code = e.code || e.name;
    return verdictOf([reason("trust_list_invalid", Kind.CANNOT_TELL, `the trust list does not verify (${code}): ${e.message}`,
      "Danh sách tin cậy không hợp lệ: hãy tải lại danh sách")], {}, now);
  }
  try {
    trustListAccept(trust, highestSequence);
  } catch (e) {
    return verdictOf([trustListRollbackReason(trust, highestSequence)], {}, now);
  }
  const lists = new Map();
  for (const item of statusLists) {
    try {
      const list = typeof item === "string" ? await statusListVerify(item, { trust, root, now })
        : typeof item.statuses === "string" ? statusListFromJson(item) : item;
      lists.set(list.uri, list);
    } catch (e) {
      // a list that does not verify is as good as none: the QR's verdict says status_unknown
    }
  }
  return qrVerdict(text, { trust, root, now, statusLists: lists, deviceRequired });
}
