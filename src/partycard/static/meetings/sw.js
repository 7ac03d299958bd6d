// The check-in page's service worker (served from /hop-chi-bo/sw.js by meetings/views.py, which puts
// self.PARTYCARD_CHECKIN = {cache, assets} before this file): the secretary's phone can reopen a check-in
// page without network. The page itself puts its own URL and its assets into the cache while online
// (checkin.js); this worker answers them network-first and falls back to that copy offline. The data
// (roster, trust list, status lists) and the check-ins are the page's business (store.js, IndexedDB).

const CONFIG = self.PARTYCARD_CHECKIN;
const PAGE = /^\/hop-chi-bo\/[0-9]+\/diem-danh\/$/;
const ASSETS = new Set(CONFIG.assets.map((u) => new URL(u, self.location.origin).pathname));

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

async function networkFirst(request, path) {
  const cache = await caches.open(CONFIG.cache);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(path, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(path);
    if (cached) return cached;
    throw e;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (PAGE.test(url.pathname) || ASSETS.has(url.pathname)) event.respondWith(networkFirst(request, url.pathname));
});
