// The e-card on the phone: the rotating QR (PC1R, ecard/device.py) and the SD-JWT VC presentation with
// key binding (RFC 9901 §4.3, ecard/sdjwt.py), both signed by the non-extractable device key.
//
//   "PC1R:" + Base45(zlib(CBOR [credential, window, proof]))      window = floor(unix / 30)
//   proof = ES256 r||s over CBOR ["PC1R-proof", window, SHA-256(credential)]
//
// The credential is the COSE_Sign1 inside the static "PC1:" QR the server issued. Base45, base64url,
// zlib inflate and CBOR are the verifier's (static/verifier/codec.js), imported, not copied.

import { B45_ALPHABET, b45decode, b64urlDecode, b64urlEncode, cborEncode, inflate, utf8, utf8Decode } from "../verifier/codec.js";
import { sign } from "./keys.js";

export const WINDOW_SECONDS = 30;
export const PREFIX = "PC1:";
export const ROTATING_PREFIX = "PC1R:";
export const PROOF_CONTEXT = "PC1R-proof";

/** Base45 (RFC 9285 §4): the encoder the verifier does not need. */
export function b45encode(bytes) {
  let out = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let x = bytes[i] * 256 + bytes[i + 1];
    const c = x % 45; x = (x - c) / 45;
    const d = x % 45; const e = (x - d) / 45;
    out += B45_ALPHABET[c] + B45_ALPHABET[d] + B45_ALPHABET[e];
  }
  if (bytes.length % 2) {
    const x = bytes[bytes.length - 1];
    out += B45_ALPHABET[x % 45] + B45_ALPHABET[Math.floor(x / 45)];
  }
  return out;
}

/** zlib (RFC 1950) with the browser's CompressionStream("deflate"). */
export async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The COSE_Sign1 bytes inside a static "PC1:" QR. */
export async function credentialOf(qr) {
  if (!qr.startsWith(PREFIX)) throw new Error("not a PC1 credential");
  return inflate(b45decode(qr.slice(PREFIX.length)));
}

export const windowAt = (ms) => Math.floor(ms / 1000 / WINDOW_SECONDS);

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** The rotating QR text for the window of ``ms`` (milliseconds since 1970, the phone's clock). */
export async function rotatingQr(credential, pair, ms) {
  const window = windowAt(ms);
  const proof = await sign(pair, cborEncode([PROOF_CONTEXT, window, await sha256(credential)]));
  return ROTATING_PREFIX + b45encode(await deflate(cborEncode([credential, window, proof])));
}

// --- SD-JWT VC ----------------------------------------------------------------------------------

/** The issued SD-JWT's disclosures: [{text, name, value}] (RFC 9901 §4.2). */
export function disclosuresOf(issued) {
  const parts = issued.split("~");
  return parts.slice(1, -1).map((text) => {
    const item = JSON.parse(utf8Decode(b64urlDecode(text)));
    return item.length === 3 ? { text, name: item[1], value: item[2] } : { text, name: null, value: item[1] };
  });
}

/** ``issued`` reduced to the disclosures named in ``names``, with a key-binding JWT signed by the device
 *  key for ``audience`` and ``nonce`` (RFC 9901 §4.3: typ kb+jwt; iat, aud, nonce, sd_hash). */
export async function present(issued, names, { audience, nonce, pair, ms }) {
  const parts = issued.split("~");
  const chosen = disclosuresOf(issued).filter((d) => d.name !== null && names.includes(d.name)).map((d) => d.text);
  const presented = [parts[0], ...chosen, ""].join("~");
  const sdHash = b64urlEncode(await sha256(utf8.encode(presented)));
  const header = b64urlEncode(utf8.encode(JSON.stringify({ typ: "kb+jwt", alg: "ES256" })));
  const claims = { iat: Math.floor(ms / 1000), aud: audience, nonce, sd_hash: sdHash };
  const payload = b64urlEncode(utf8.encode(JSON.stringify(claims)));
  const input = `${header}.${payload}`;
  const signature = b64urlEncode(await sign(pair, utf8.encode(input)));
  return `${presented}${input}.${signature}`;
}
