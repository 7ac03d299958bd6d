// The offline verifier's service worker (served from /kiem-tra/sw.js by credentials/verifier_views.py,
// which puts self.PARTYCARD_VERIFIER = {version, shell, scope} before this file). It keeps the app shell
// (the page, its modules, the stylesheet, the manifest, the icons) so that the verifier opens without
// network: the page network-first (a new release or a new root arrives when online), the rest
// cache-first (their URLs are in the version). Data (trust list, status lists) is not its business:
// the page fetches, verifies and keeps it (store.js), and says how old it is.

const CONFIG = self.PARTYCARD_VERIFIER;
const PREFIX = "partycard-verifier-shell-";
const SHELL = `${PREFIX}${CONFIG.version}`;
const SHELL_PATHS = new Set(CONFIG.shell.map((u) => new URL(u, self.location.origin).pathname));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(CONFIG.shell)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(CONFIG.scope, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(CONFIG.scope);
    if (cached) return cached;
    throw e;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, { ignoreSearch: true });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !SHELL_PATHS.has(url.pathname)) return; // the network's
  event.respondWith(url.pathname === CONFIG.scope ? networkFirst(request) : cacheFirst(request));
});
