// Where the verifier keeps its data between visits and without network: the signed trust list and the
// signed status lists, as downloaded (they are verified again on every load), each with the time it was
// fetched, in the Cache API (storage the service worker's shell caches do not touch); and the highest
// trust list number accepted, so that an older list is refused even after the held one was replaced or
// cleared (trust/trustlist.py, rollback). The offline verifier and the meeting check-in page share it.

const CACHE = "partycard-verifier-data-v1";
const BASE = "/kiem-tra/_du-lieu/";

function keyUrl(kind, name = "") {
  return new URL(`${BASE}${kind}/${encodeURIComponent(name)}`, self.location.origin).href;
}

/** Keep ``text`` under (``kind``, ``name``) with ``meta`` (a small JSON object, e.g. fetchedAt). */
export async function dataPut(kind, name, text, meta) {
  const cache = await caches.open(CACHE);
  const headers = { "content-type": "text/plain; charset=utf-8", "x-partycard-meta": encodeURIComponent(JSON.stringify(meta)) };
  await cache.put(keyUrl(kind, name), new Response(text, { headers }));
}

/** {text, meta} kept under (``kind``, ``name``), or null. */
export async function dataGet(kind, name = "") {
  const cache = await caches.open(CACHE);
  const response = await cache.match(keyUrl(kind, name));
  if (!response) return null;
  let meta = {};
  try {
    meta = JSON.parse(decodeURIComponent(response.headers.get("x-partycard-meta") || "%7B%7D"));
  } catch (e) {
    meta = {};
  }
  return { text: await response.text(), meta };
}

/** The names kept under ``kind``. */
export async function dataNames(kind) {
  const cache = await caches.open(CACHE);
  const prefix = keyUrl(kind);
  return (await cache.keys()).map((r) => r.url).filter((u) => u.startsWith(prefix))
    .map((u) => decodeURIComponent(u.slice(prefix.length)));
}

export async function dataDelete(kind, name) {
  const cache = await caches.open(CACHE);
  await cache.delete(keyUrl(kind, name));
}

/** The highest trust list sequence number this device accepted (0: none numbered yet). */
export async function trustSequenceGet() {
  const held = await dataGet("trust-list-sequence");
  const value = held ? Number(held.text) : 0;
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** Remember ``sequence`` as the highest accepted, never lowering what is kept. */
export async function trustSequencePut(sequence) {
  if (sequence > (await trustSequenceGet())) await dataPut("trust-list-sequence", "", String(sequence), {});
}
