// The phone's key and e-card, kept on the phone (IndexedDB): the device key is a NON-EXTRACTABLE
// ECDSA P-256 CryptoKeyPair made by WebCrypto (extractable=false: the private key can sign but can
// never be read out, not even by this script); IndexedDB stores the CryptoKey objects themselves
// (structured clone), so the key never exists as bytes. The e-card (QR credential and SD-JWT VC) and
// the last answers of /api/v1/me/... are kept beside it, so the app works offline.

const DB = "partycard-memberapp";
const STORE = "kv";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req ? req.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

export const get = (key) => tx("readonly", (s) => s.get(key));
export const put = (key, value) => tx("readwrite", (s) => s.put(value, key));
export const del = (key) => tx("readwrite", (s) => s.delete(key));

/** A new device key: ECDSA P-256, the private key non-extractable, kept in IndexedDB as "deviceKey". */
export async function deviceKeyCreate() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  await put("deviceKey", pair);
  return pair;
}

export const deviceKey = () => get("deviceKey");

/** The public key's SubjectPublicKeyInfo (DER), base64: what POST /api/v1/me/devices takes. */
export async function spkiBase64(pair) {
  const der = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  let text = "";
  for (const b of der) text += String.fromCharCode(b);
  return btoa(text);
}

/** ES256 over ``data`` with the device key: r || s (64 bytes), WebCrypto's own form (IEEE P1363). */
export async function sign(pair, data) {
  return new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, data));
}

/** Forget the key and the e-card (after a revocation). */
export async function forget() {
  await del("deviceKey");
  await del("ecard");
}
