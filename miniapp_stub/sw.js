// The mini-app's service worker (issue 18): the app shell and the reference answers a form
// needs are kept on the phone, so a grid worker's page opens and its forms fill without signal.
// Network first, always: online, every file and answer is fresh; offline, the last copy.
// Writes are never cached or replayed here — the page's outbox (js/outbox.js) sends them.

const SHELL = "gridhub-shell-v1";
const DATA = "gridhub-data-v1";
const FILES = [
  "app.html", "index.html", "icon.svg", "config.json", "css/app.css",
  "js/main.js", "js/api.js", "js/bridge.js", "js/cases.js", "js/chart.js", "js/map.js",
  "js/outbox.js", "js/patrol.js", "js/photos.js", "js/report.js", "js/shell.js", "js/ui.js",
  "js/pages/worker.js", "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
];
// Reference data the worker's forms read (GET only): categories, visit purposes, who I am.
const READS = ["/api/v1/categories", "/api/v1/visit-purposes", "/api/v1/me"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => ![SHELL, DATA].includes(k)).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(key, { ignoreSearch: cacheName === SHELL });
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/miniapp/")) {
    // app.html?role=worker and app.html are one file; the query is the page's own business
    const key = url.pathname.endsWith("/app.html") ? new Request(url.pathname) : request;
    event.respondWith(networkFirst(request, SHELL, key));
  } else if (READS.some((path) => url.pathname === path)) {
    event.respondWith(networkFirst(request, DATA, request.url));
  }
});

// Signing out forgets the kept answers (they were the signed-in user's).
self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(caches.delete(DATA));
});
