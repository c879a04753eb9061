// Outpost's service worker: keeps the app shell on the device so the app opens offline.
// The build replaces __BUILD_VERSION__ with a hash of the build, so every new build installs
// under a new cache name and the old one is deleted on activate.
const VERSION = "__BUILD_VERSION__";
const CACHE = `outpost-shell-${VERSION}`;
const SHELL = [
  "/",
  "/index.html",
  "/style.css",
  "/manifest.webmanifest",
  "/pkg/app.js",
  "/pkg/app_bg.wasm",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  // "no-cache": revalidate with the relay (a new build is fetched anew) but take the bytes the
  // page has just downloaded from the HTTP cache when they are current. ("reload" downloaded
  // the whole shell a second time: on a 1.6 Mbps link, 6 s more before the tablet works offline.)
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("outpost-shell-") && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  // Only our own origin; never the sync socket (nor any other API the relay grows).
  if (url.origin !== self.location.origin || url.pathname.startsWith("/sync")) return;

  if (request.mode === "navigate") {
    // Network first, so an online visit gets the newest page; the cached shell when the relay
    // is down. Every route is the same single page.
    const cached = () =>
      caches.open(CACHE).then((cache) => cache.match("/index.html")).then((r) => r || Response.error());
    // A relay that is down refuses at once; a dead link can hang, so give it 4 s.
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 4000));
    event.respondWith(Promise.race([fetch(request), timeout]).catch(cached));
    return;
  }

  if (SHELL.includes(url.pathname)) {
    // The shell is versioned as a whole by the cache name: cache first.
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request).then((hit) => hit || fetch(request)),
      ),
    );
  }
});
