/* Service worker of the lobby screens (served as /screens/sw.js, scope /screens/).
   Pages, state.json and the screens' scripts and styles: network first, the last good copy
   when the server is away (so a screen that restarts during an outage still plays).
   Media under /media/: from the cache once shown; a video's range requests are answered from
   the cached whole file. The calling board's voice clips (/voice/<clip>.wav?v=<token>): from
   the cache once fetched (a new token is a new clip: the old copy is dropped), and any copy of
   the clip when the server is away. Nothing else (Socket.IO, staff pages) is touched. */
'use strict';

var CACHE = 'gongkai-screens-v1';
var SHELL = [
  'static/screens/screen.css',
  'static/screens/screen.js',
  'static/screens/board.js',
  'static/screens/vendor/socket.io.min.js'
];
var MAX_MEDIA_BYTES = 200 * 1024 * 1024;

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(SHELL); })
      .catch(function () { /* the server went away mid-install: cache as pages load */ })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf('gongkai-screens-') === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

var NETWORK_TIMEOUT_MS = 8000;

function fromCache(request, fallback) {
  return caches.match(request, {ignoreSearch: true}).then(function (cached) {
    return cached || fallback();
  });
}

// A server that does not answer in time, fails, or answers 5xx is treated as away.
function networkFirst(request) {
  var network = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); })
        .catch(function () { /* quota: keep serving */ });
      return response;
    }
    if (response.status >= 500) return fromCache(request, function () { return response; });
    return response;
  });
  var timeout = new Promise(function (resolve, reject) {
    setTimeout(function () { reject(new Error('timeout')); }, NETWORK_TIMEOUT_MS);
  });
  return Promise.race([network, timeout]).catch(function (error) {
    return fromCache(request, function () {
      return error.message === 'timeout' ? network : Promise.reject(error);
    });
  });
}

function rangeFrom(response, header) {
  var match = /^bytes=(\d*)-(\d*)$/.exec(header || '');
  return response.blob().then(function (blob) {
    var size = blob.size;
    var start = match && match[1] ? Number(match[1]) : 0;
    var end = match && match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
    if (match && !match[1] && match[2]) {  // "bytes=-N": the last N bytes
      start = Math.max(0, size - Number(match[2]));
      end = size - 1;
    }
    if (!match || start > end || start >= size) {
      return new Response('', {status: 416, headers: {'Content-Range': 'bytes */' + size}});
    }
    return new Response(blob.slice(start, end + 1), {
      status: 206,
      statusText: 'Partial Content',
      headers: {
        'Content-Type': response.headers.get('Content-Type') || 'application/octet-stream',
        'Content-Range': 'bytes ' + start + '-' + end + '/' + size,
        'Content-Length': String(end - start + 1),
        'Accept-Ranges': 'bytes'
      }
    });
  });
}

function storeWhole(url) {
  return fetch(url).then(function (response) {
    var length = Number(response.headers.get('Content-Length') || 0);
    if (response.status !== 200 || length > MAX_MEDIA_BYTES) return null;
    return caches.open(CACHE).then(function (cache) { return cache.put(url, response); });
  }).catch(function () { return null; });
}

function media(event) {
  var request = event.request;
  var range = request.headers.get('Range');
  return caches.match(request.url).then(function (cached) {
    if (cached) return range ? rangeFrom(cached, range) : cached;
    if (range) {
      event.waitUntil(storeWhole(request.url));  // whole file in the background, once
      return fetch(request);
    }
    return fetch(request).then(function (response) {
      if (response.status === 200) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(request.url, copy); })
          .catch(function () { /* quota: keep serving */ });
      }
      return response;
    });
  });
}

function voiceClip(request) {
  return caches.match(request.url).then(function (cached) {
    if (cached) return cached;
    return fetch(request).then(function (response) {
      if (response.status === 200) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) {
          return cache.delete(request.url, {ignoreSearch: true}).then(function () {
            return cache.put(request.url, copy);
          });
        }).catch(function () { /* quota: keep serving */ });
      }
      return response;
    }, function (error) {
      return caches.match(request.url, {ignoreSearch: true}).then(function (old) {
        return old || Promise.reject(error);
      });
    });
  });
}

// The page asks to keep itself (its first load was not yet through this worker) and hands
// over every state it plays, so the cached state.json is the last one seen, socket or poll.
self.addEventListener('message', function (event) {
  var data = event.data || {};
  var scope = self.registration.scope;
  var inScope = function (url) { return typeof url === 'string' && url.indexOf(scope) === 0; };
  var job = caches.open(CACHE).then(function (cache) {
    if (data.type === 'keep' && Array.isArray(data.urls)) {
      return Promise.all(data.urls.filter(inScope).map(function (url) {
        return cache.add(url).catch(function () { return null; });
      }));
    }
    if (data.type === 'state' && inScope(data.url) && data.state) {
      return caches.match(data.url).then(function (cached) {
        var seen = cached ? cached.json() : Promise.resolve(null);
        return seen.then(function (old) {
          if (old && old.version > data.state.version) return null;
          return cache.put(data.url, new Response(JSON.stringify(data.state), {
            headers: {'Content-Type': 'application/json'}
          }));
        }, function () { return null; });
      });
    }
    return null;
  }).catch(function () { return null; });
  if (event.waitUntil) event.waitUntil(job);
});

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf('/media/') === 0) {
    event.respondWith(media(event));
  } else if (/^\/voice\/[^/]+\.wav$/.test(url.pathname)) {
    event.respondWith(voiceClip(request));
  } else if (url.pathname.indexOf('/screens/') === 0 && url.pathname !== '/screens/sw.js') {
    event.respondWith(networkFirst(request));
  }
});
