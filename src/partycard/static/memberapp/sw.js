// The member's app's service worker (served from /so-tay/sw.js by memberapp/views.py, which puts
// self.PARTYCARD_MEMBERAPP = {version, shell, scope} before this file). It keeps the app shell (the page,
// its modules, the stylesheet, the manifest, the icons) so that the app opens without network: the page
// network-first (a new release arrives when online), the rest cache-first (their URLs carry the version).
// The member's data is not its business: the page keeps it in IndexedDB (keys.js).

const CONFIG = self.PARTYCARD_MEMBERAPP;
const PREFIX = "partycard-memberapp-shell-";
const SHELL = `${PREFIX}${CONFIG.version}`;
const SHELL_PATHS = new Set(CONFIG.shell.map((u) => new URL(u, self.location.origin).pathname));

// Keep only a real answer: never a redirect to the login page in place of the app.
const keepable = (response) => response.ok && !response.redirected;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await Promise.all(CONFIG.shell.map(async (url) => {
      const response = await fetch(url, { credentials: "same-origin" });
      if (keepable(response)) await cache.put(url, response);
    }));
    await self.skipWaiting();
  })());
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
    if (keepable(response)) await cache.put(CONFIG.scope, response.clone());
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
