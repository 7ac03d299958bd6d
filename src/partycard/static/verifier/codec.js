// Byte codecs of the offline verifier: Base45 (RFC 9285), base64 / base64url, zlib inflate (RFC 1950,
// the browser's DecompressionStream) and a small strict CBOR (RFC 8949) decoder and encoder.
// Pure functions, no DOM: the browser tests call them directly. Each mirrors the strictness of its
// Python twin in partycard.ecard (base45.py, jws.py, cose.py) so that both sides refuse the same input.

export class FormatError extends Error {
  constructor(what, message) {
    super(message);
    this.what = what; // "base45", "base64", "zlib", "cbor"
  }
}

// --- Base45 (RFC 9285 §4) -------------------------------------------------------------------------
export const B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const B45_VALUE = new Map([...B45_ALPHABET].map((c, i) => [c, i]));

/** Strict Base45: refuses a character outside the alphabet, a length of 3n+1, a triple > 65535 and
 *  a final pair > 255 (RFC 9285 §4.2 "MUST be rejected"), as partycard.ecard.base45.b45decode. */
export function b45decode(text) {
  if (typeof text !== "string") throw new FormatError("base45", "Base45 is text");
  const n = text.length;
  if (n % 3 === 1) throw new FormatError("base45", `a Base45 text cannot be ${n} characters long`);
  const values = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = B45_VALUE.get(text[i]);
    if (v === undefined) throw new FormatError("base45", "a character outside the Base45 alphabet");
    values[i] = v;
  }
  const out = new Uint8Array(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const x = values[i] + 45 * values[i + 1] + 2025 * values[i + 2];
    if (x > 0xffff) throw new FormatError("base45", "a three-character group above 65535");
    out[o++] = x >> 8;
    out[o++] = x & 0xff;
  }
  if (n % 3 === 2) {
    const x = values[i] + 45 * values[i + 1];
    if (x > 0xff) throw new FormatError("base45", "a final two-character group above 255");
    out[o++] = x;
  }
  return out;
}

// --- base64 ---------------------------------------------------------------------------------------
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function b64core(text, alphabet, what) {
  const table = new Map([...alphabet].map((c, i) => [c, i]));
  const n = text.length;
  if (n % 4 === 1) throw new FormatError(what, "bad length");
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const v = table.get(text[i]);
    if (v === undefined) throw new FormatError(what, "a character outside the alphabet");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Canonical: the bits left over after the last byte are zero (so one text per byte string).
  if (acc & ((1 << bits) - 1)) throw new FormatError(what, "non-canonical encoding");
  return out.subarray(0, o);
}

/** Standard base64 with padding (Python's base64.b64decode(validate=True)). */
export function b64decode(text) {
  if (typeof text !== "string") throw new FormatError("base64", "base64 is text");
  if (text.length % 4) throw new FormatError("base64", "base64 length is not a multiple of 4");
  const stripped = text.replace(/={1,2}$/, "");
  if (stripped.includes("=")) throw new FormatError("base64", "padding inside base64");
  return b64core(stripped, B64, "base64");
}

/** base64url without padding, canonical only (partycard.ecard.jws.b64url_decode). */
export function b64urlDecode(text) {
  if (typeof text !== "string" || text.includes("=")) throw new FormatError("base64", "not base64url");
  return b64core(text, B64URL, "base64");
}

export function b64urlEncode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    const x = (a << 16) | (b << 8) | c;
    s += B64URL[(x >> 18) & 63] + B64URL[(x >> 12) & 63];
    if (i + 1 < bytes.length) s += B64URL[(x >> 6) & 63];
    if (i + 2 < bytes.length) s += B64URL[x & 63];
  }
  return s;
}

// --- small helpers --------------------------------------------------------------------------------
export const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

export function utf8Decode(bytes) {
  try {
    return utf8Strict.decode(bytes);
  } catch (e) {
    throw new FormatError("utf8", "not UTF-8");
  }
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function bytesEqual(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// --- zlib (RFC 1950) ------------------------------------------------------------------------------
/** Inflate a zlib stream ("deflate" in the Compression Streams spec is RFC 1950, with the Adler-32
 *  check), refusing more than ``limit`` bytes of output (a decompression bomb in a QR code). */
export async function inflate(bytes, limit = 1 << 20) {
  if (typeof DecompressionStream === "undefined") throw new FormatError("zlib", "no DecompressionStream");
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        reader.cancel().catch(() => {});
        throw new FormatError("zlib", "the decompressed data is too large");
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError("zlib", `not a zlib stream: ${e.message}`);
  }
  return concat(...chunks);
}

// --- CBOR (RFC 8949) ------------------------------------------------------------------------------
export class CborTag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/** A CBOR float, kept apart from integers: a NumericDate or an index must be an integer, as
 *  cbor2 + ``type(value) is int`` on the Python side insist. */
export class CborFloat {
  constructor(value) {
    this.value = value;
  }
}

export class CborSimple {
  constructor(value) {
    this.value = value;
  }
}

const MAX_DEPTH = 32;

function mapKey(key) {
  if (typeof key === "boolean") return Number(key);
  if (key instanceof CborFloat && Number.isInteger(key.value)) return key.value === 0 ? 0 : key.value;
  if (typeof key === "bigint") return `bigint:${key}`; // never looked up; kept apart from text keys
  return key;
}

/** The number a CBOR value equals in Python (an int, a float, or a bool), else null. */
export function pyNumber(value) {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return Number(value);
  if (value instanceof CborFloat) return value.value;
  return null;
}

/** Decode exactly one CBOR item spanning all of ``bytes`` (trailing bytes are refused, as
 *  cose.cbor_loads does). Integers become Numbers when safe, else BigInts; byte strings Uint8Arrays;
 *  maps JS Maps (keys may be integers); tags CborTag. Indefinite lengths are refused: cbor2 never
 *  writes them for the values partycard signs, and a strict reader has less to get wrong. */
export function cborDecode(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new FormatError("cbor", "CBOR is bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;

  function need(n) {
    if (pos + n > bytes.length) throw new FormatError("cbor", "truncated CBOR");
  }

  function argument(info) {
    if (info < 24) return info;
    if (info === 24) {
      need(1);
      return bytes[pos++];
    }
    if (info === 25) {
      need(2);
      const v = view.getUint16(pos);
      pos += 2;
      return v;
    }
    if (info === 26) {
      need(4);
      const v = view.getUint32(pos);
      pos += 4;
      return v;
    }
    if (info === 27) {
      need(8);
      const v = view.getBigUint64(pos);
      pos += 8;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    if (info === 31) throw new FormatError("cbor", "indefinite-length CBOR is not accepted");
    throw new FormatError("cbor", `reserved additional information ${info}`);
  }

  function length(info) {
    const n = argument(info);
    if (typeof n !== "number" || n > bytes.length) throw new FormatError("cbor", "CBOR length too large");
    return n;
  }

  function half(h) {
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    let v;
    if (exp === 0) v = mant * 2 ** -24;
    else if (exp !== 31) v = (mant + 1024) * 2 ** (exp - 25);
    else v = mant === 0 ? Infinity : NaN;
    return h & 0x8000 ? -v : v;
  }

  function item(depth) {
    if (depth > MAX_DEPTH) throw new FormatError("cbor", "CBOR nested too deeply");
    need(1);
    const initial = bytes[pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return argument(info);
      case 1: {
        const n = argument(info);
        return typeof n === "bigint" ? -1n - n : n + 1 <= Number.MAX_SAFE_INTEGER ? -1 - n : -1n - BigInt(n);
      }
      case 2: {
        const n = length(info);
        need(n);
        const out = bytes.slice(pos, pos + n);
        pos += n;
        return out;
      }
      case 3: {
        const n = length(info);
        need(n);
        const text = utf8Decode(bytes.subarray(pos, pos + n));
        pos += n;
        return text;
      }
      case 4: {
        const n = length(info);
        const out = [];
        for (let i = 0; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      case 5: {
        const n = length(info);
        // Keys as the Python side (cbor2 into a dict) sees them: 1, 1.0 and True are one key, and a
        // repeated key is refused (cbor2 6: "Duplicate map key"). Keys of other types (bytes, arrays…)
        // stay distinct objects that no lookup matches.
        const out = new Map();
        for (let i = 0; i < n; i++) {
          const key = mapKey(item(depth + 1));
          if (out.has(key)) throw new FormatError("cbor", "duplicate map key");
          out.set(key, item(depth + 1));
        }
        return out;
      }
      case 6: {
        const tag = argument(info);
        return new CborTag(tag, item(depth + 1));
      }
      default: {
        // major 7: simple values and floats
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        if (info < 20) return new CborSimple(info);
        if (info === 24) {
          need(1);
          const v = bytes[pos++];
          if (v < 32) throw new FormatError("cbor", "badly encoded simple value");
          return new CborSimple(v);
        }
        if (info === 25) {
          need(2);
          const v = half(view.getUint16(pos));
          pos += 2;
          return new CborFloat(v);
        }
        if (info === 26) {
          need(4);
          const v = view.getFloat32(pos);
          pos += 4;
          return new CborFloat(v);
        }
        if (info === 27) {
          need(8);
          const v = view.getFloat64(pos);
          pos += 8;
          return new CborFloat(v);
        }
        if (info === 31) throw new FormatError("cbor", "a break outside an indefinite-length item");
        throw new FormatError("cbor", `reserved simple value ${info}`);
      }
    }
  }

  const value = item(0);
  if (pos !== bytes.length) throw new FormatError("cbor", `${bytes.length - pos} bytes after the CBOR item`);
  return value;
}

function head(major, n) {
  if (typeof n === "bigint") n = Number(n);
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n < 0x100) return Uint8Array.of((major << 5) | 24, n);
  if (n < 0x10000) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  if (n < 0x100000000) return Uint8Array.of((major << 5) | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  const out = new Uint8Array(9);
  out[0] = (major << 5) | 27;
  new DataView(out.buffer).setBigUint64(1, BigInt(n));
  return out;
}

/** Encode a value in CBOR's preferred (shortest) form, as cbor2 does: integers, text, byte strings,
 *  arrays, Maps (in insertion order), tags, booleans and null. Enough for the COSE Sig_structure and
 *  the device proof's signed data. */
export function cborEncode(value) {
  if (value instanceof Uint8Array) return concat(head(2, value.length), value);
  if (typeof value === "string") {
    const b = utf8.encode(value);
    return concat(head(3, b.length), b);
  }
  if (typeof value === "number" && Number.isInteger(value)) return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "bigint") return value >= 0n ? head(0, value) : head(1, -1n - value);
  if (value === false) return Uint8Array.of(0xf4);
  if (value === true) return Uint8Array.of(0xf5);
  if (value === null) return Uint8Array.of(0xf6);
  if (Array.isArray(value)) return concat(head(4, value.length), ...value.map(cborEncode));
  if (value instanceof Map) {
    const parts = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cborEncode(k), cborEncode(v));
    return concat(...parts);
  }
  if (value instanceof CborTag) return concat(head(6, value.tag), cborEncode(value.value));
  throw new FormatError("cbor", `cannot encode ${typeof value}`);
}
