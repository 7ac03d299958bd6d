// The offline verifier's judgement of a party card SD-JWT VC presentation (RFC 9901; the SD-JWT VC draft)
// in the browser with WebCrypto: the issuer's ES256 signature by a listed document signer, the signer,
// the credential's times, every disclosure against the signed digests, the holder's key-binding JWT and
// the status list. The verdict, every reason code and message, and the holder data are those of
// partycard.verify.sdjwt (sdjwt_verdict), whose parsing rules (partycard.ecard.jws, .sdjwt) are
// followed to the letter: strict canonical base64url, strict JSON without duplicate member names (a
// parser of our own, which also keeps Python's member order, int/float distinction and error messages),
// ES256 with typ dc+sd-jwt / kb+jwt and no crit. The browser tests run the shared vectors
// (tests/vectors/sdjwt/) through both and compare. Pure: no DOM, no storage.

import { concat, hex, utf8, b64urlEncode } from "./codec.js";
import { ECARD_DOCUMENT_TYPE, Kind, dateText, dateTimeText, sha256, signerReasons, statusAt, statusListStale, verdictOf } from "./verify.js";

export const TYP_SDJWT = "dc+sd-jwt";
export const TYP_KB = "kb+jwt";
export const SD_ALG = "sha-256";
export const VCT_PARTY_MEMBER = "urn:partycard:vct:party-member:1";
const MAX_CHARS = 256 * 1024;
const MAX_DEPTH = 16;
const KID_LENGTH = 8;
const RESERVED_CLAIMS = new Set(["iss", "iat", "nbf", "exp", "vct", "cnf", "status", "sub", "_sd_alg"]);
const DATE_CLAIMS = new Set(["date_of_birth", "date_admitted", "date_official"]);
const MAX_KB_AGE_MS = 5 * 60 * 1000;
const LEEWAY_MS = 60 * 1000;
const ES256 = { name: "ECDSA", hash: "SHA-256" };
const P256 = { name: "ECDSA", namedCurve: "P-256" };
const MIN_SECONDS = -62135596800; // datetime.fromtimestamp's range: 0001-01-01 …
const MAX_SECONDS = 253402300799; // … 9999-12-31T23:59:59Z

/** JwsError / SdJwtError of partycard.ecard.errors: the message is what the verdict quotes. */
export class SdJwtError extends Error {}

// --- Python values: JSON floats stay floats, repr() and str() as Python writes them -------------------
/** A JSON number written with a fraction or an exponent: a Python float, not an int. */
export class PyFloat {
  constructor(value) {
    this.value = value;
  }
}
const isPyInt = (v) => (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";
const isMap = (v) => v instanceof Map;

function floatRepr(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = x.toExponential().split("e"); // the shortest digits, as repr()
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${rest}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole.slice(0, exponent + 1)}.${fraction || "0"}`;
}

const NOT_PRINTABLE = /^[\p{C}\p{Z}]$/u;

function strRepr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch !== " " && NOT_PRINTABLE.test(ch)) { // str.isprintable (Unicode versions may differ)
      out += c <= 0xff ? `\\x${c.toString(16).padStart(2, "0")}`
        : c <= 0xffff ? `\\u${c.toString(16).padStart(4, "0")}` : `\\U${c.toString(16).padStart(8, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a JSON value as the Python verifier holds it. */
export function pyRepr(v) {
  if (v === undefined || v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return strRepr(v);
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (isMap(v)) return `{${[...v].map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
  return String(v);
}

function pyStr(v) {
  return typeof v === "string" ? v : pyRepr(v);
}

// --- strict UTF-8, with CPython's UnicodeDecodeError text ------------------------------------------
function utf8Strict(bytes) {
  const n = bytes.length;
  const fail = (start, length, why) => {
    const where = length === 1
      ? `byte 0x${bytes[start].toString(16).padStart(2, "0")} in position ${start}`
      : `bytes in position ${start}-${start + length - 1}`;
    throw new SdJwtError(`'utf-8' codec can't decode ${where}: ${why}`);
  };
  const cont = (b) => b !== undefined && (b & 0xc0) === 0x80;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i += 1;
      continue;
    }
    if (b < 0xc2 || b > 0xf4) fail(i, 1, "invalid start byte");
    const size = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < size; k++) {
      const c = bytes[i + k];
      if (c === undefined) fail(i, n - i, "unexpected end of data");
      if (!cont(c) || (k === 1 && (c < lo || c > hi))) fail(i, k, "invalid continuation byte");
    }
    i += size;
  }
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

// --- strict JSON, as json.loads with object_pairs_hook refusing duplicates (CPython 3.11's messages) --
class JsonDecodeError extends Error {}
// Python's json gives up at its recursion limit (about 1000 levels, less the caller's frames): a
// RecursionError, "… is not JSON: maximum recursion depth exceeded …". The exact depth cannot be matched.
const MAX_JSON_DEPTH = 900;
const TOO_DEEP = "maximum recursion depth exceeded while decoding a JSON ";
const tooDeep = (what) => new SdJwtError(`${TOO_DEEP}${what} from a unicode string`);

function jsonParse(text) {
  const s = Array.from(text); // positions in code points, as Python counts them
  const n = s.length;
  const stop = (pos) => ({ stop: pos });
  const err = (msg, pos) => {
    let line = 1;
    let lastNewline = -1;
    for (let i = 0; i < pos; i++) if (s[i] === "\n") { line += 1; lastNewline = i; }
    return new JsonDecodeError(`${msg}: line ${line} column ${pos - lastNewline} (char ${pos})`);
  };
  const ws = (i) => {
    while (i < n && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r")) i++;
    return i;
  };
  const HEX = /^[0-9a-fA-F]{4}$/;
  function string(begin) { // begin: just after the opening quote
    let out = "";
    let i = begin;
    for (;;) {
      if (i >= n) throw err("Unterminated string starting at", begin - 1);
      const ch = s[i];
      if (ch === '"') return [out, i + 1];
      if (ch !== "\\") {
        if (ch.codePointAt(0) < 0x20) throw err("Invalid control character at", i);
        out += ch;
        i++;
        continue;
      }
      i++;
      if (i >= n) throw err("Unterminated string starting at", begin - 1);
      const e = s[i];
      if (e !== "u") {
        const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[e];
        if (simple === undefined) throw err("Invalid \\escape", i - 1);
        out += simple;
        i++;
        continue;
      }
      const h = s.slice(i + 1, i + 5).join("");
      if (!HEX.test(h)) throw err("Invalid \\uXXXX escape", i);
      let code = parseInt(h, 16);
      i += 5;
      if (code >= 0xd800 && code <= 0xdbff && s[i] === "\\" && s[i + 1] === "u") {
        const h2 = s.slice(i + 2, i + 6).join("");
        if (!HEX.test(h2)) throw err("Invalid \\uXXXX escape", i + 1);
        const low = parseInt(h2, 16);
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          i += 6;
        }
      }
      out += String.fromCodePoint(code);
    }
  }
  function number(i) {
    const start = i;
    if (s[i] === "-") i++;
    if (s[i] >= "1" && s[i] <= "9") {
      while (s[i] >= "0" && s[i] <= "9") i++;
    } else if (s[i] === "0") i++;
    else return null;
    let isFloat = false;
    if (s[i] === "." && s[i + 1] >= "0" && s[i + 1] <= "9") {
      isFloat = true;
      i += 2;
      while (s[i] >= "0" && s[i] <= "9") i++;
    }
    if (s[i] === "e" || s[i] === "E") {
      let j = i + 1;
      if (s[j] === "+" || s[j] === "-") j++;
      if (s[j] >= "0" && s[j] <= "9") {
        while (s[j] >= "0" && s[j] <= "9") j++;
        isFloat = true;
        i = j;
      }
    }
    const literal = s.slice(start, i).join("");
    if (isFloat) return [new PyFloat(Number(literal)), i];
    const big = BigInt(literal);
    return [big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big, i];
  }
  const word = (i, w) => s.slice(i, i + w.length).join("") === w;
  function value(i) { // [value, next] or throws stop(i) (Python's StopIteration: "Expecting value")
    const ch = s[i];
    if (ch === '"') return string(i + 1);
    if (ch === "{") return object(i + 1);
    if (ch === "[") return array(i + 1);
    if (ch === "n" && word(i, "null")) return [null, i + 4];
    if (ch === "t" && word(i, "true")) return [true, i + 4];
    if (ch === "f" && word(i, "false")) return [false, i + 5];
    if (ch === "N" && word(i, "NaN")) throw new SdJwtError("NaN is not JSON (RFC 8259)");
    if (ch === "I" && word(i, "Infinity")) throw new SdJwtError("Infinity is not JSON (RFC 8259)");
    if (ch === "-" && word(i, "-Infinity")) throw new SdJwtError("-Infinity is not JSON (RFC 8259)");
    const num = i < n ? number(i) : null;
    if (num) return num;
    throw stop(i);
  }
  let depth = 0;
  function object(i) {
    if (++depth > MAX_JSON_DEPTH) throw tooDeep("object");
    const pairs = [];
    i = ws(i);
    if (s[i] === "}") {
      depth--;
      return [new Map(), i + 1];
    }
    for (;;) {
      if (s[i] !== '"') throw err("Expecting property name enclosed in double quotes", i);
      let key;
      [key, i] = string(i + 1);
      i = ws(i);
      if (s[i] !== ":") throw err("Expecting ':' delimiter", i);
      i = ws(i + 1);
      let item;
      [item, i] = value(i);
      pairs.push([key, item]);
      i = ws(i);
      if (s[i] === "}") {
        i++;
        break;
      }
      if (s[i] !== ",") throw err("Expecting ',' delimiter", i);
      i = ws(i + 1);
    }
    depth--;
    const map = new Map(pairs);
    if (map.size !== pairs.length) throw new SdJwtError("duplicate member name in a JSON object");
    return [map, i];
  }
  function array(i) {
    if (++depth > MAX_JSON_DEPTH) throw tooDeep("array");
    const items = [];
    i = ws(i);
    if (s[i] === "]") {
      depth--;
      return [items, i + 1];
    }
    for (;;) {
      let item;
      [item, i] = value(i);
      items.push(item);
      i = ws(i);
      if (s[i] === "]") {
        depth--;
        return [items, i + 1];
      }
      if (s[i] !== ",") throw err("Expecting ',' delimiter", i);
      i = ws(i + 1);
    }
  }
  if (s[0] === "\ufeff") throw err("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
  let result;
  let end;
  try {
    [result, end] = value(ws(0));
  } catch (e) {
    if (e && e.stop !== undefined) throw err("Expecting value", e.stop);
    throw e;
  }
  end = ws(end);
  if (end !== n) throw err("Extra data", end);
  return result;
}

/** json_loads of partycard.ecard.jws: strict JSON from UTF-8 bytes, errors naming ``what``. */
function jsonLoads(bytes, what) {
  let text;
  try {
    text = utf8Strict(bytes);
    return jsonParse(text);
  } catch (e) {
    if (e instanceof JsonDecodeError || (text === undefined && e instanceof SdJwtError) || e.message.startsWith(TOO_DEEP)) {
      throw new SdJwtError(`${what} is not JSON: ${e.message}`);
    }
    if (e instanceof SdJwtError) throw new SdJwtError(`${what}: ${e.message}`);
    throw e;
  }
}

// --- base64url, as partycard.ecard.jws.b64url_decode ----------------------------------------------------
const B64_DATA = /[A-Za-z0-9+/\-_]/;
const B64_VALUE = new Map([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].map((c, i) => [c, i]));

export function b64urlDecodePy(text) {
  // eslint-disable-next-line no-control-regex
  if (typeof text !== "string" || text.includes("=") || text.length % 4 === 1 || !/^[\x00-\x7f]*$/.test(text)) {
    throw new SdJwtError("not base64url without padding");
  }
  // base64.urlsafe_b64decode (binascii, not strict): characters outside the alphabet are skipped
  const data = [...text].filter((c) => B64_DATA.test(c));
  const quad = data.length % 4;
  const pads = (4 - (text.length % 4)) % 4;
  if (quad === 1) {
    throw new SdJwtError(`not base64url: Invalid base64-encoded string: number of data characters (${data.length}) cannot be 1 more than a multiple of 4`);
  }
  if (quad !== 0 && quad + pads < 4) throw new SdJwtError("not base64url: Incorrect padding");
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const c of data) {
    acc = ((acc << 6) | B64_VALUE.get(c === "+" ? "-" : c === "/" ? "_" : c)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  const bytes = Uint8Array.from(out);
  if (b64urlEncode(bytes) !== text) throw new SdJwtError("non-canonical base64url");
  return bytes;
}

// --- compact JWS in our profile (jws_parse) -----------------------------------------------------------
function codePoints(text) {
  let count = 0;
  for (const _ of text) count++; // eslint-disable-line no-unused-vars
  return count;
}

function jwsParse(token, typ) {
  if (typeof token !== "string" || (token.length > MAX_CHARS && codePoints(token) > MAX_CHARS)) {
    throw new SdJwtError("not a JWS of a sane size");
  }
  const parts = token.split(".");
  if (parts.length !== 3) throw new SdJwtError("a compact JWS has three parts");
  const header = jsonLoads(b64urlDecodePy(parts[0]), "the header");
  if (!isMap(header)) throw new SdJwtError("the header is not a JSON object");
  if (header.get("alg") !== "ES256") throw new SdJwtError(`algorithm ${pyRepr(header.get("alg"))} is not ES256`);
  if (header.has("crit")) throw new SdJwtError("critical header parameters are not supported");
  if (header.get("typ") !== typ) throw new SdJwtError(`typ ${pyRepr(header.get("typ"))} is not ${pyRepr(typ)}`);
  const payload = b64urlDecodePy(parts[1]);
  const signature = b64urlDecodePy(parts[2]);
  if (signature.length !== 64) throw new SdJwtError("an ES256 signature is 64 bytes, r || s (RFC 7518 §3.4)");
  return { header, payload, signature, signingInput: utf8.encode(`${parts[0]}.${parts[1]}`) };
}

function jwsClaims(jws) {
  const value = jsonLoads(jws.payload, "the payload");
  if (!isMap(value)) throw new SdJwtError("the payload is not a JSON object");
  return value;
}

async function jwsVerify(jws, key) {
  if (!key || jws.signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(ES256, key, jws.signature, jws.signingInput);
  } catch (e) {
    return false;
  }
}

/** public_key_of_jwk: a public P-256 JWK as a WebCrypto key. @throws SdJwtError */
async function publicKeyOfJwk(jwk) {
  if (!isMap(jwk) || jwk.get("kty") !== "EC" || jwk.get("crv") !== "P-256") throw new SdJwtError("not an EC P-256 JWK");
  if (jwk.has("d")) throw new SdJwtError("the JWK holds a private key");
  const [x, y] = [jwk.get("x"), jwk.get("y")];
  if (typeof x !== "string" || typeof y !== "string") throw new SdJwtError("the JWK lacks x or y");
  const [xb, yb] = [b64urlDecodePy(x), b64urlDecodePy(y)];
  if (xb.length !== 32 || yb.length !== 32) throw new SdJwtError("JWK coordinates are 32 bytes on P-256");
  try {
    return await crypto.subtle.importKey("raw", concat(Uint8Array.of(4), xb, yb), P256, false, ["verify"]);
  } catch (e) {
    throw new SdJwtError("the JWK's point is not on P-256");
  }
}

// --- the SD-JWT (sdjwt_parse, disclosure_parse) ---------------------------------------------------------
async function disclosureParse(text) {
  const item = jsonLoads(b64urlDecodePy(text), "the disclosure");
  if (!Array.isArray(item) || (item.length !== 2 && item.length !== 3) || typeof item[0] !== "string") {
    throw new SdJwtError("a disclosure is an array [salt, name, value] or [salt, value]");
  }
  const digest = b64urlEncode(await sha256(utf8.encode(text)));
  if (item.length === 2) return { text, name: null, value: item[1], digest };
  if (typeof item[1] !== "string" || item[1] === "_sd" || item[1] === "...") {
    throw new SdJwtError("a disclosure's claim name must be a string other than _sd and ...");
  }
  return { text, name: item[1], value: item[2], digest };
}

async function sdjwtParse(text) {
  if (typeof text !== "string" || (text.length > MAX_CHARS && codePoints(text) > MAX_CHARS)) {
    throw new SdJwtError("not an SD-JWT of a sane size");
  }
  const parts = text.split("~");
  if (parts.length < 2) throw new SdJwtError("an SD-JWT has at least one ~");
  let jwt;
  try {
    jwt = jwsParse(parts[0], TYP_SDJWT);
  } catch (e) {
    throw new SdJwtError(`the issuer JWT: ${e.message}`);
  }
  const disclosures = [];
  for (const part of parts.slice(1, -1)) disclosures.push(await disclosureParse(part));
  let kb = null;
  const last = parts[parts.length - 1];
  if (last) {
    try {
      kb = jwsParse(last, TYP_KB);
    } catch (e) {
      throw new SdJwtError(`the key-binding JWT: ${e.message}`);
    }
  }
  return { jwt, disclosures, kb, presented: text.slice(0, text.length - last.length) };
}

function sdjwtKid(parsed) {
  const kid = parsed.jwt.header.get("kid");
  let raw = new Uint8Array(0);
  if (typeof kid === "string") {
    try {
      raw = b64urlDecodePy(kid);
    } catch (e) {
      throw new SdJwtError(`the kid is not base64url: ${e.message}`);
    }
  }
  if (raw.length !== KID_LENGTH) throw new SdJwtError(`the header has no kid of ${KID_LENGTH} bytes`);
  return raw;
}

// --- processing (sd_process) ------------------------------------------------------------------------------
function sdProcess(payload, disclosures) {
  const result = { claims: new Map(), paths: new Map(), unreferenced: [], duplicates: [], errors: [] };
  const byDigest = new Map();
  for (const d of disclosures) {
    if (byDigest.has(d.digest)) result.duplicates.push(d.digest);
    else byDigest.set(d.digest, d);
  }
  const seen = new Set();
  const take = (digest) => {
    if (typeof digest !== "string") {
      result.errors.push("a digest is not a string");
      return null;
    }
    if (seen.has(digest)) {
      result.duplicates.push(digest);
      return null;
    }
    seen.add(digest);
    return byDigest.get(digest) || null;
  };
  const walk = (node, path) => {
    if (path.length > MAX_DEPTH) {
      result.errors.push("the claims nest too deep");
      return null;
    }
    if (isMap(node)) {
      const out = new Map();
      for (const [name, value] of node) {
        if (name === "_sd" || (name === "_sd_alg" && !path.length)) continue;
        if (name === "..." || name === "_sd_alg") {
          result.errors.push(`${pyRepr(name)} where it is not allowed`);
          continue;
        }
        out.set(name, walk(value, [...path, name]));
      }
      let digests = node.has("_sd") ? node.get("_sd") : [];
      if (!Array.isArray(digests)) {
        result.errors.push("_sd is not an array");
        digests = [];
      }
      for (const digest of digests) {
        const d = take(digest);
        if (d === null) continue;
        if (d.name === null) result.errors.push("an array-element disclosure is referenced from _sd");
        else if (out.has(d.name)) result.errors.push(`claim ${pyRepr(d.name)} is both plain and disclosed`);
        else if (!path.length && RESERVED_CLAIMS.has(d.name)) {
          result.errors.push(`claim ${pyRepr(d.name)} must not be selectively disclosable`);
        } else {
          result.paths.set(d.digest, [...path, d.name]);
          out.set(d.name, walk(d.value, [...path, d.name]));
        }
      }
      return out;
    }
    if (Array.isArray(node)) {
      const items = [];
      for (const item of node) {
        if (isMap(item) && item.has("...")) {
          if (item.size !== 1) {
            result.errors.push("an array digest object has other members");
            continue;
          }
          const d = take(item.get("..."));
          if (d === null) continue;
          if (d.name !== null) {
            result.errors.push("an object disclosure is referenced as an array element");
            continue;
          }
          result.paths.set(d.digest, [...path, items.length]);
          items.push(walk(d.value, [...path, items.length]));
        } else {
          items.push(walk(item, [...path, items.length]));
        }
      }
      return items;
    }
    return node;
  };
  const claims = walk(payload, []);
  result.claims = isMap(claims) ? claims : new Map();
  result.unreferenced = [...byDigest.values()].filter((d) => !result.paths.has(d.digest));
  return result;
}

// --- reasons (verify/sdjwt.py) -----------------------------------------------------------------------------
const reason = (code, kind, en, vi) => ({ code, kind, message_en: en, message_vi: vi });
const invalid = (code, en, vi) => reason(code, Kind.INVALID, en, vi);
const malformed = (why) => invalid("sdjwt_malformed", `the credential is malformed: ${why}`, "Thẻ điện tử bị hỏng, sai định dạng");

/** _time: a NumericDate as a Date (null if it is not one, or outside datetime's range). */
function timeOf(v) {
  let seconds;
  if (typeof v === "number") seconds = v;
  else if (v instanceof PyFloat) seconds = v.value;
  else return null;
  if (!Number.isFinite(seconds) || seconds < MIN_SECONDS || seconds >= MAX_SECONDS + 1) return null;
  return new Date(seconds * 1000);
}

async function issuerReasons(parsed, claims, ctx) {
  let kid;
  try {
    kid = hex(sdjwtKid(parsed));
  } catch (e) {
    return [malformed(e.message)];
  }
  const candidates = ctx.trust.signers.filter((c) => c.kid === kid);
  if (!candidates.length) {
    return [reason("unknown_kid", Kind.CANNOT_TELL,
      "no document signer on this trust list has the credential's key identifier: update the trust list",
      "Không có đơn vị ký nào trong danh sách tin cậy khớp mã khóa của thẻ: hãy cập nhật danh sách")];
  }
  let signer = null;
  for (const candidate of candidates) {
    if (await jwsVerify(parsed.jwt, candidate.key)) {
      signer = candidate;
      break;
    }
  }
  if (!signer) {
    return [invalid("issuer_signature_invalid", "the issuer's signature does not verify: the credential was altered or forged",
      "Chữ ký của đơn vị cấp không hợp lệ: thẻ điện tử bị sửa hoặc giả")];
  }
  return signerReasons(signer, { trust: ctx.trust, root: ctx.root, now: ctx.now, signedAt: timeOf(claims.get("iat")),
    documentType: ECARD_DOCUMENT_TYPE });
}

function claimReasons(claims, now) {
  const reasons = [];
  const later = now.getTime() + LEEWAY_MS;
  if (claims.get("vct") !== VCT_PARTY_MEMBER) reasons.push(malformed(`vct ${pyRepr(claims.get("vct"))} is not the party card's`));
  if (typeof claims.get("iss") !== "string" || !claims.get("iss")) reasons.push(malformed("no issuer (iss)"));
  if (claims.has("_sd_alg") && claims.get("_sd_alg") !== SD_ALG) {
    reasons.push(malformed(`_sd_alg ${pyRepr(claims.get("_sd_alg"))} is not ${SD_ALG}`));
  }
  const issued = timeOf(claims.get("iat"));
  const expires = timeOf(claims.get("exp"));
  if (issued === null) reasons.push(malformed("no issue time (iat)"));
  else if (issued.getTime() > later) {
    reasons.push(invalid("credential_issued_in_future", `the credential says it was issued in the future (${dateTimeText(issued)} UTC)`,
      "Thẻ điện tử ghi thời điểm cấp ở tương lai"));
  }
  if (expires === null) reasons.push(malformed("no expiry (exp)"));
  else if (now >= expires) {
    reasons.push(invalid("credential_expired", `the credential expired on ${dateTimeText(expires)} UTC`,
      `Thẻ điện tử đã hết hạn ngày ${dateText(expires)}`));
  }
  if (claims.has("nbf")) {
    const starts = timeOf(claims.get("nbf"));
    if (starts === null) reasons.push(malformed("nbf is not a time"));
    else if (starts.getTime() > later) {
      reasons.push(invalid("credential_not_yet_valid", `the credential is valid only from ${dateTimeText(starts)} UTC`,
        `Thẻ điện tử chỉ có hiệu lực từ ngày ${dateText(starts)}`));
    }
  }
  return reasons;
}

const byCodePoint = (a, b) => {
  const [x, y] = [Array.from(a, (c) => c.codePointAt(0)), Array.from(b, (c) => c.codePointAt(0))];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

function disclosureReasons(processed) {
  const reasons = [...new Set(processed.errors)].map(malformed);
  if (processed.unreferenced.length) {
    const names = [...new Set(processed.unreferenced.map((d) => (d.name === null ? "None" : d.name)))].sort(byCodePoint).join(", ");
    reasons.push(invalid("disclosure_forged", `disclosed data the issuer did not sign (${names})`,
      "Có thông tin tiết lộ không do đơn vị cấp ký"));
  }
  if (processed.duplicates.length) {
    reasons.push(invalid("disclosure_duplicate", "a disclosure or digest appears twice", "Một thông tin tiết lộ xuất hiện hai lần"));
  }
  return reasons;
}

async function kbReasons(parsed, claims, ctx) {
  if (!parsed.kb) {
    return [invalid("kb_missing", "the presentation is not signed by the holder's key (no key-binding JWT): it may be a copy",
      "Bản trình thẻ không có chữ ký của người giữ thẻ: có thể là bản sao")];
  }
  const cnf = claims.get("cnf");
  let holderKey = null;
  try {
    holderKey = await publicKeyOfJwk(isMap(cnf) ? cnf.get("jwk") : null);
  } catch (e) {
    holderKey = null;
  }
  if (!holderKey || !(await jwsVerify(parsed.kb, holderKey))) {
    return [invalid("kb_signature_invalid",
      "the holder's signature does not verify with the key the credential names: not presented by its holder",
      "Chữ ký của người trình thẻ không khớp khóa ghi trong thẻ: không phải người giữ thẻ")];
  }
  let kb;
  try {
    kb = jwsClaims(parsed.kb);
  } catch (e) {
    return [malformed(`the key-binding JWT: ${e.message}`)];
  }
  const reasons = [];
  if (kb.get("aud") !== ctx.audience) {
    reasons.push(invalid("kb_wrong_audience", "the presentation was made for another verifier", "Bản trình thẻ được tạo cho nơi kiểm tra khác"));
  }
  if (kb.get("nonce") !== ctx.nonce) {
    reasons.push(invalid("kb_wrong_nonce", "the presentation does not answer this check's challenge (nonce): a replay",
      "Bản trình thẻ không đúng mã thử của lần kiểm tra này: bị phát lại"));
  }
  const signed = timeOf(kb.get("iat"));
  const now = ctx.now.getTime();
  if (signed === null || signed.getTime() > now + LEEWAY_MS || now - signed.getTime() > MAX_KB_AGE_MS) {
    reasons.push(invalid("kb_stale", "the holder's signature is not fresh (its time is missing, too old or in the future)",
      "Chữ ký của người giữ thẻ không mới (thiếu thời điểm, quá cũ hoặc ở tương lai)"));
  }
  if (kb.get("sd_hash") !== b64urlEncode(await sha256(utf8.encode(parsed.presented)))) {
    reasons.push(invalid("kb_sd_hash_mismatch", "the holder signed another presentation: disclosures were added or removed after",
      "Người giữ thẻ đã ký bản trình khác: thông tin tiết lộ bị thêm hoặc bớt"));
  }
  return reasons;
}

function statusListFor(lists, uri) {
  if (!lists) return null;
  if (lists instanceof Map) return lists.get(uri) || null;
  return [...lists].find((list) => list && list.uri === uri) || null;
}

function statusReasons(claims, ctx) {
  let ref = claims.get("status");
  ref = isMap(ref) ? ref.get("status_list") : null;
  const idx = isMap(ref) ? ref.get("idx") : null;
  const uri = isMap(ref) ? ref.get("uri") : null;
  if (!isPyInt(idx) || idx < 0 || typeof uri !== "string") {
    return [malformed("no status list reference (status.status_list idx and uri)")];
  }
  const unknown = reason("status_unknown", Kind.CANNOT_TELL,
    `the verifier has no status list for this credential (${uri}): revocation cannot be checked`,
    "Không có danh sách trạng thái của thẻ: chưa kiểm tra được thu hồi");
  const list = statusListFor(ctx.statusLists, uri);
  if (!list) return [unknown];
  const value = statusAt(list, idx);
  if (value === null) return [unknown];
  const reasons = [];
  if (value === 1) reasons.push(invalid("revoked", "the card is revoked", "Thẻ đã bị thu hồi"));
  else if (value === 2) reasons.push(invalid("suspended", "the card is suspended", "Thẻ đang bị tạm đình chỉ"));
  else if (value !== 0) reasons.push(unknown);
  if (statusListStale(list, ctx.now)) {
    reasons.push(reason("status_list_stale", Kind.CANNOT_TELL,
      `the status list (issued ${dateTimeText(list.issuedAt)} UTC) is out of date: a recent revocation may be missing`,
      "Danh sách trạng thái đã quá hạn: có thể thiếu các thẻ mới bị thu hồi"));
  }
  return reasons;
}

// --- the holder data (holder_of_disclosed) ------------------------------------------------------------------
// datetime.strptime(value, "%Y-%m-%d"): four digits, a month of one or two, a day of one or two (or " d")
const STRPTIME_DATE = /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])$/i;

function display(key, value) {
  if (value === true) return "true";
  if (value === false) return "false";
  if (value === null || value === undefined) return "";
  if (typeof value === "string" && DATE_CLAIMS.has(key)) {
    const m = STRPTIME_DATE.exec(value);
    if (!m) return value;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3].trim())];
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
    if (y < 1 || d > days) return value;
    return `${String(d).padStart(2, "0")}/${String(mo).padStart(2, "0")}/${y}`;
  }
  return pyStr(value);
}

function flatten(prefix, key, value, out) {
  if (isMap(value)) {
    for (const [name, item] of value) flatten(`${prefix}.${name}`, name, item, out);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => flatten(`${prefix}.${index}`, key, item, out));
  } else {
    out[prefix] = display(key, value);
  }
}

function holderOfDisclosed(processed) {
  const out = {};
  const paths = [...processed.paths.values()].sort((a, b) => a.length - b.length);
  const done = [];
  for (const path of paths) {
    if (done.some((parent) => parent.every((part, i) => path[i] === part) && parent.length <= path.length)) continue;
    done.push(path);
    let value = processed.claims;
    let found = true;
    for (const part of path) {
      if (isMap(value) && typeof part === "string" && value.has(part)) value = value.get(part);
      else if (Array.isArray(value) && typeof part === "number" && part < value.length) value = value[part];
      else {
        found = false;
        break;
      }
    }
    if (found) flatten(path.map(String).join("."), path[path.length - 1], value, out);
  }
  return out;
}

// --- the verdict ---------------------------------------------------------------------------------------------
/** The verdict on one presentation (verify/sdjwt.py sdjwt_verdict): every check runs.
 *  @param presentation the text ``<issuer JWT>~<disclosure>~…~<KB-JWT>``
 *  @param ctx {now: Date, trust (trustListVerify's), root (rootLoad's), statusLists: Map uri → list or an
 *             array of lists (statusListVerify's or statusListFromJson's), audience, nonce}
 *  @throws Error if ``audience`` or ``nonce`` is empty (the caller's mistake, as in Python). */
export async function verifySdJwt(presentation, { now, trust, trustList, root, statusLists = [], audience, nonce }) {
  trust = trust || trustList;
  now = now instanceof Date ? now : new Date(now);
  if (!audience || !nonce) throw new Error("a verifier needs its audience and a fresh nonce");
  const ctx = { now, trust, root, statusLists, audience, nonce };
  let parsed;
  let claims;
  try {
    parsed = await sdjwtParse(presentation);
    try {
      claims = jwsClaims(parsed.jwt);
    } catch (e) {
      throw new SdJwtError(`the issuer JWT: ${e.message}`);
    }
  } catch (e) {
    if (!(e instanceof SdJwtError)) throw e;
    return verdictOf([malformed(e.message)], {}, now);
  }
  const reasons = [...(await issuerReasons(parsed, claims, ctx))];
  reasons.push(...claimReasons(claims, now));
  const processed = sdProcess(claims, parsed.disclosures);
  reasons.push(...disclosureReasons(processed));
  reasons.push(...(await kbReasons(parsed, claims, ctx)));
  reasons.push(...statusReasons(claims, ctx));
  if (trust.stale) {
    const when = dateTimeText(trust.nextUpdate);
    reasons.push(reason("trust_list_stale", Kind.CANNOT_TELL, `the trust list is out of date since ${when} UTC: revocations may be missing`,
      `Danh sách tin cậy đã quá hạn cập nhật từ ${when} UTC`));
  }
  return verdictOf(reasons, holderOfDisclosed(processed), now);
}

/** Whether ``text`` looks like an SD-JWT presentation rather than a QR text (the page's input). */
export function looksLikeSdJwt(text) {
  return typeof text === "string" && text.includes("~") && !text.startsWith("PC1");
}

/** The status list URI a presentation names (to fetch its list before judging), null if unreadable. */
export async function sdjwtStatusUri(text) {
  try {
    const claims = jwsClaims((await sdjwtParse(text.trim())).jwt);
    const ref = claims.get("status");
    const list = isMap(ref) ? ref.get("status_list") : null;
    const uri = isMap(list) ? list.get("uri") : null;
    return typeof uri === "string" ? uri : null;
  } catch (e) {
    return null;
  }
}

export const b64urlEncodeBytes = b64urlEncode;

export const _internal = { jsonLoads, jsonParse, utf8Strict, pyRepr, floatRepr };
