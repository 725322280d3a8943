/* Lobby screen player (/screens/<name>): slides, ticker, clock, emergency, the calling board
   (drawn and spoken by board.js); live over Socket.IO with a slow state.json poll as the
   fallback, and a service worker for a server that is away.
   ES2017 for Chromium 61: no optional chaining, no ??, no object spread, no Promise#finally.
   Nothing here ever shows an error on the screen: on any failure it keeps the last state.
   Test hooks in the query string: ?speed=N (slide time runs N times faster),
   ?poll=S (poll every S seconds), ?socket=0 (no Socket.IO: poll only). */
(function () {
  'use strict';

  var body = document.body;
  var NAME = body.getAttribute('data-name') || '';
  var STATE_URL = body.getAttribute('data-state-url') || '';
  var params = new URLSearchParams(window.location.search);
  var SPEED = positive(params.get('speed'), 1);
  // A screen is looked at, not handled: no browser menu on a long press, no pinch zoom.
  document.addEventListener('contextmenu', function (event) { event.preventDefault(); });
  document.addEventListener('wheel', function (event) {
    if (event.ctrlKey) event.preventDefault();
  }, {passive: false});
  // A staff preview (?preview=1) plays like the screen but is not the screen: no heartbeat,
  // and its hello asks the server not to note it in the registry.
  var PREVIEW = params.get('preview') === '1';
  var POLL_MS = positive(params.get('poll'), 60) * 1000;
  var USE_SOCKET = params.get('socket') !== '0';
  // WebSocket only: long-polling would need every request of a session to reach the same
  // server process, which `gongkai serve --workers N` cannot promise. Retries stay short so a
  // restarted server has every screen back within a few seconds.
  var SOCKET_OPTIONS = {transports: ['websocket'], reconnectionDelay: 500,
                        reconnectionDelayMax: 2000};
  var CONNECT_GRACE_MS = 10000;
  var HEARTBEAT_MS = 30000;
  var STALL_MS = 8000;
  var FADE_MS = Math.round(900 / SPEED);
  var MAX_TIMER_MS = 6 * 3600 * 1000;
  var SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;  // China has no daylight saving time

  var texts = readJson('screen-text') || {};
  var current = null;
  var socket = null;
  var connected = false;
  var pollTimer = null;
  var refreshTimer = null;
  var log = [];

  function positive(value, fallback) {
    var n = Number(value);
    return value && isFinite(n) && n > 0 ? n : fallback;
  }

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function later(fn, ms) {
    return window.setTimeout(function () { guard(fn); }, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
  }

  function guard(fn) {
    try { fn(); } catch (e) { /* keep playing the last state; never show an error */ }
  }

  function timeOf(iso) {
    var t = iso ? Date.parse(iso) : NaN;
    return isNaN(t) ? null : t;
  }

  // ---------------------------------------------------------------- clock and date

  var clockNode = document.getElementById('clock');
  var dateNode = document.getElementById('date');
  var weekdayNode = document.getElementById('weekday');

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function tick() {
    var d = new Date(Date.now() + SHANGHAI_OFFSET_MS);  // read with getUTC*: Asia/Shanghai
    var clock = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    var date = String(texts.date || '{y}-{m}-{d}').replace('{y}', d.getUTCFullYear())
      .replace('{m}', d.getUTCMonth() + 1).replace('{d}', d.getUTCDate());
    var weekdays = texts.weekdays || [];
    var weekday = weekdays[(d.getUTCDay() + 6) % 7] || '';
    if (clockNode && clockNode.textContent !== clock) clockNode.textContent = clock;
    if (dateNode && dateNode.textContent !== date) dateNode.textContent = date;
    if (weekdayNode && weekdayNode.textContent !== weekday) weekdayNode.textContent = weekday;
  }

  // ---------------------------------------------------------------- slides

  var mainZone = document.getElementById('main');
  var layers = Array.prototype.slice.call(document.querySelectorAll('.slide-layer'));
  var dots = document.getElementById('slide-dots');
  var front = 0;
  var slides = [];
  var index = -1;
  var onAir = null;        // the slide on air (null: the welcome card)
  var slideTimer = null;
  var fadeTimer = null;
  var fadeOld = null;      // the layer under the one fading in
  var prepared = null;     // {key, slide, node, ready: Promise<boolean>, cancel()}
  var generation = 0;

  document.documentElement.style.setProperty('--fade', FADE_MS + 'ms');

  function keyOf(slide) { return slide ? JSON.stringify(slide) : ''; }

  function slideSeconds(slide) {
    var seconds = Number(slide.duration);
    return isFinite(seconds) && seconds > 0 ? seconds : 10;
  }

  function kindLabel(slide) { return (texts.kinds || {})[slide.kind] || ''; }

  function htmlBlock(slide) {
    var scroll = make('div', 'slide-scroll slide-html');
    if (slide.html) scroll.innerHTML = slide.html;  // sanitized by the server (nh3)
    else if (slide.caption) scroll.appendChild(make('p', 'slide-caption', slide.caption));
    var box = make('div', 'slide-body');
    box.appendChild(scroll);
    return box;
  }

  function qrBox(slide) {
    var box = make('div', 'qr-box');
    box.innerHTML = slide.qr_svg;  // generated by the server from a URL; no staff markup
    box.appendChild(make('p', '', texts.scan || ''));
    return box;
  }

  function textHead(node, slide) {
    node.appendChild(make('p', 'slide-kind', kindLabel(slide)));
    node.appendChild(make('h2', 'slide-title', slide.title || ''));
  }

  function buildCard(slide) {
    var node = make('article', 'slide slide-' + slide.kind);
    var split = make('div', 'slide-split');
    var text = make('div', 'slide-text');
    var aside = make('div', 'slide-aside');
    var media = null;
    textHead(text, slide);
    var meta = slide.meta || {};
    var docNo = meta.doc_number || meta.doc_no || '';
    if (docNo) {
      var line = make('p', 'slide-doc-no');
      line.appendChild(make('b', '', texts.doc_no || ''));
      line.appendChild(document.createTextNode(docNo));
      text.appendChild(line);
    }
    text.appendChild(htmlBlock(slide));
    var graphic = slide.kind === 'interpretation' && !!slide.image;
    if (graphic) {  // 图解: the picture is the content; the text column holds the QR code
      node.className += ' slide-graphic';
      var figure = make('figure', 'slide-figure');
      media = make('img');
      media.alt = slide.image_alt || slide.title || '';
      figure.appendChild(media);
      aside.appendChild(figure);
      aside.className += ' has-figure';
    }
    if (slide.qr_svg) (graphic ? text : aside).appendChild(qrBox(slide));
    split.appendChild(text);
    if (aside.childNodes.length) split.appendChild(aside);
    node.appendChild(split);
    return {node: node, image: media, video: null};
  }

  function buildMedia(slide) {
    var node = make('figure', 'slide slide-media slide-' + slide.kind);
    var image = null;
    var video = null;
    if (slide.video) {
      video = make('video');
      video.muted = true;
      video.setAttribute('muted', '');
      video.setAttribute('playsinline', '');
      video.playsInline = true;
      video.preload = 'auto';
      if (slide.image_alt || slide.title) {
        video.setAttribute('aria-label', slide.image_alt || slide.title);
      }
      node.appendChild(video);
    } else {
      image = make('img');
      image.alt = slide.image_alt || slide.title || '';
      node.appendChild(image);
    }
    var caption = make('figcaption', '', slide.title || slide.caption || '');
    if (slide.title && slide.caption) caption.appendChild(make('span', '', slide.caption));
    node.appendChild(caption);
    return {node: node, image: image, video: video};
  }

  // Published answers of the suggestion box: citizens' words, so text nodes only.
  function buildSuggestions(slide) {
    var node = make('article', 'slide slide-suggestions');
    var split = make('div', 'slide-split');
    var text = make('div', 'slide-text');
    text.appendChild(make('h2', 'slide-title', slide.title || ''));
    var list = make('ol', 'suggestion-list');
    var items = (slide.meta && slide.meta.items) || [];
    for (var i = 0; i < items.length; i++) {
      var entry = make('li', 'suggestion');
      entry.appendChild(make('p', 'suggestion-q', items[i].text));
      entry.appendChild(make('p', 'suggestion-a', items[i].reply));
      list.appendChild(entry);
    }
    text.appendChild(list);
    split.appendChild(text);
    if (slide.qr_svg) {
      var aside = make('div', 'slide-aside');
      aside.appendChild(qrBox(slide));
      split.appendChild(aside);
    }
    node.appendChild(split);
    return {node: node};
  }

  function build(slide) {
    if (slide.kind === 'image' || slide.kind === 'video' ||
        (slide.kind === 'interpretation' && slide.video)) {
      return buildMedia(slide);
    }
    if (slide.kind === 'notice' || slide.kind === 'policy' || slide.kind === 'interpretation') {
      return buildCard(slide);
    }
    if (slide.kind === 'suggestions') return buildSuggestions(slide);
    return buildCard({kind: slide.kind, title: slide.title, html: slide.html,
                      caption: slide.caption, qr_svg: slide.qr_svg});
  }

  function welcome() {
    var node = make('section', 'slide slide-welcome');
    node.appendChild(make('h2', 'slide-title', texts.welcome || ''));
    node.appendChild(make('p', '', (current && current.hall && current.hall.name) || ''));
    return node;
  }

  // Resolves true when the slide can go on air, false when its media is broken.
  function loadImage(img, src) {
    return new Promise(function (resolve) {
      var done = false;
      function finish(ok) { if (!done) { done = true; resolve(ok); } }
      img.onload = function () {
        if (img.decode) img.decode().then(function () { finish(true); }, function () { finish(true); });
        else finish(true);
      };
      img.onerror = function () { finish(false); };
      later(function () { finish(true); }, STALL_MS);  // slow: show it anyway, it will paint
      img.src = src;
    });
  }

  function loadVideo(video, src) {
    return new Promise(function (resolve) {
      var done = false;
      function finish(ok) { if (!done) { done = true; resolve(ok); } }
      video.addEventListener('canplay', function () { finish(true); });
      video.addEventListener('error', function () { finish(false); });
      later(function () { finish(video.readyState >= 3); }, STALL_MS);
      video.src = src;
      video.load();
    });
  }

  function prepare(slide, layer) {
    if (layer === fadeOld) finishFade();
    stopVideos(layer);
    var built = build(slide);
    var ready = Promise.resolve(true);
    layer.textContent = '';
    layer.appendChild(built.node);
    if (built.image) ready = loadImage(built.image, slide.image);
    else if (built.video) ready = loadVideo(built.video, slide.video);
    return {key: keyOf(slide), slide: slide, layer: layer, video: built.video, ready: ready};
  }

  function backLayer() { return layers[1 - front]; }

  function stopVideos(layer) {
    var videos = layer.querySelectorAll('video');
    for (var i = 0; i < videos.length; i++) {
      videos[i].pause();
      videos[i].removeAttribute('src');
      videos[i].load();
    }
  }

  // The old layer stays opaque under the new one while it fades in: no gap, no flash.
  function finishFade() {
    window.clearTimeout(fadeTimer);
    if (fadeOld) fadeOld.classList.remove('is-under');
    fadeOld = null;
  }

  function swapTo(layer) {
    finishFade();
    var old = layers[front];
    front = layers.indexOf(layer);
    fadeOld = old === layer ? null : old;
    old.classList.remove('is-on');
    old.classList.add('is-under');
    layer.classList.remove('is-under');
    layer.classList.add('is-on');
    old.setAttribute('aria-hidden', 'true');
    layer.removeAttribute('aria-hidden');
    fadeTimer = later(function () {
      finishFade();
      if (old !== layers[front]) {
        stopVideos(old);
        old.textContent = '';
      }
      prepareNext();
    }, FADE_MS + 50);
  }

  function showWelcome() {
    generation += 1;
    window.clearTimeout(slideTimer);
    prepared = null;
    index = -1;
    onAir = null;
    var layer = backLayer();
    if (layer === fadeOld) finishFade();
    stopVideos(layer);
    layer.textContent = '';
    layer.appendChild(welcome());
    swapTo(layer);
    record(null);
    drawDots();
  }

  function nextIndex(from) { return slides.length ? (from + 1) % slides.length : -1; }

  function advance() {
    if (!slides.length) {
      if (onAir !== null || !layers[front].firstChild) showWelcome();
      return;
    }
    show(nextIndex(index), 0);
  }

  function show(i, skipped) {
    var slide = slides[i];
    var mine = ++generation;
    window.clearTimeout(slideTimer);
    var p = prepared && prepared.key === keyOf(slide) ? prepared : null;
    prepared = null;
    if (!p) p = prepare(slide, backLayer());
    p.ready.then(function (ok) {
      if (mine !== generation) return;
      guard(function () {
        if (!ok) {
          index = i;
          if (skipped + 1 < slides.length) show(nextIndex(i), skipped + 1);
          else if (onAir === null && !layers[front].firstChild) showWelcome();
          else slideTimer = later(advance, STALL_MS);
          return;
        }
        putOnAir(p, i);
      });
    });
  }

  function putOnAir(p, i) {
    index = i;
    onAir = p.slide;
    swapTo(p.layer);
    record(p.slide.id);
    drawDots();
    var ms = slideSeconds(p.slide) * 1000 / SPEED;
    if (p.video) playVideo(p.video, ms);
    else {
      startScroll(p.layer, ms);
      if (slides.length > 1) slideTimer = later(advance, ms);
    }
  }

  function playVideo(video, ms) {
    var mine = generation;
    var lastTime = -1;
    var still = 0;
    var single = slides.length === 1;
    video.loop = single;
    function next() { if (mine === generation) advance(); }
    video.addEventListener('ended', function () { if (!single) next(); });
    video.addEventListener('error', function () { next(); });
    var played = video.play();
    if (played && played.catch) played.catch(function () { /* autoplay refused: watchdog */ });
    var watch = window.setInterval(function () {
      if (mine !== generation) { window.clearInterval(watch); return; }
      still = video.currentTime === lastTime && !video.ended ? still + 1000 : 0;
      lastTime = video.currentTime;
      if (still >= STALL_MS) { window.clearInterval(watch); next(); }
    }, 1000);
    if (!single) slideTimer = later(next, ms);
  }

  // A notice longer than the screen scrolls slowly once, after a pause to start reading.
  function startScroll(layer, ms) {
    var scroll = layer.querySelector('.slide-scroll');
    if (!scroll || !scroll.parentNode) return;
    var overflow = scroll.scrollHeight - scroll.parentNode.clientHeight;
    if (overflow <= 4) return;
    scroll.classList.add('is-scrolling');
    scroll.style.transitionDuration = Math.round(ms * 0.6) + 'ms';
    scroll.style.transitionDelay = Math.round(ms * 0.2) + 'ms';
    scroll.style.transform = 'translate3d(0, ' + (-overflow) + 'px, 0)';
  }

  function prepareNext() {
    if (slides.length < 2 || index < 0) return;
    var slide = slides[nextIndex(index)];
    if (prepared && prepared.key === keyOf(slide)) return;
    prepared = prepare(slide, backLayer());
  }

  function record(id) {
    log.push({id: id, at: window.performance.now()});
    if (log.length > 500) log.splice(0, log.length - 500);
    mainZone.setAttribute('data-on-air', id || '');
  }

  function drawDots() {
    if (!dots) return;
    dots.textContent = '';
    if (slides.length < 2) return;
    for (var i = 0; i < slides.length; i++) {
      dots.appendChild(make('span', i === index ? 'is-on' : ''));
    }
  }

  function setSlides(list) {
    var old = slides;
    slides = list;
    if (JSON.stringify(old) === JSON.stringify(list)) return;
    prepared = null;
    if (onAir === null) { index = -1; advance(); return; }
    var key = keyOf(onAir);
    var at = -1;
    for (var i = 0; i < list.length; i++) {
      if (keyOf(list[i]) === key) { at = i; break; }
    }
    if (at < 0) {  // the slide on air was withdrawn or changed: go on at once
      index = -1;
      for (var j = 0; j < list.length; j++) {
        if (list[j].id === onAir.id) { index = j - 1; break; }
      }
      advance();
      return;
    }
    index = at;
    drawDots();
    if (list.length > 1 && old.length < 2) {
      slideTimer = later(advance, slideSeconds(onAir) * 1000 / SPEED);
    }
    later(prepareNext, FADE_MS + 50);
  }

  // ---------------------------------------------------------------- ticker

  var tickerZone = document.querySelector('[data-zone="ticker"]');
  var track = document.getElementById('ticker-track');
  var tickerKey = null;

  function tickerRun(items) {
    var run = make('div', 'ticker-run');
    appendItems(run, items, false);
    return run;
  }

  function appendItems(run, items, hidden) {
    for (var i = 0; i < items.length; i++) {
      var item = make('span', 'ticker-item', String(items[i].text || ''));
      if (hidden) item.setAttribute('aria-hidden', 'true');
      run.appendChild(item);
    }
  }

  function setTicker(items, shown) {
    var key = JSON.stringify([items, shown]);
    if (!tickerZone || !track || key === tickerKey) return;
    tickerKey = key;
    track.classList.remove('is-moving');
    track.textContent = '';
    tickerZone.hidden = !(shown && items.length);
    if (tickerZone.hidden) return;
    var run = tickerRun(items);
    track.appendChild(run);
    var wide = track.parentNode.clientWidth;
    for (var n = 0; run.offsetWidth < wide && n < 20; n++) appendItems(run, items, true);
    var copy = run.cloneNode(true);
    copy.setAttribute('aria-hidden', 'true');
    track.appendChild(copy);
    var rem = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || 24;
    track.style.animationDuration = (run.offsetWidth / (rem * 5)).toFixed(2) + 's';
    void track.offsetWidth;  // restart the animation from the first item
    track.classList.add('is-moving');
  }

  // ---------------------------------------------------------------- emergency

  var emergencyBox = document.getElementById('emergency');
  var frame = document.getElementById('frame');
  var emergencyTimer = null;

  function setEmergency(message) {
    window.clearTimeout(emergencyTimer);
    var until = message ? timeOf(message.until) : null;
    var on = !!message && (until === null || until > Date.now());
    emergencyBox.hidden = !on;
    if (on) frame.setAttribute('aria-hidden', 'true');
    else frame.removeAttribute('aria-hidden');
    if (!on) return;
    var label = emergencyBox.querySelector('.emergency-label');
    label.hidden = !message.title;
    document.getElementById('emergency-title').textContent = message.title || texts.emergency || '';
    document.getElementById('emergency-text').textContent = message.text || '';
    if (until !== null) {
      emergencyTimer = later(function () { setEmergency(message); }, until - Date.now() + 50);
    }
  }

  // ---------------------------------------------------------------- state

  function zoneOn(state, zone) {
    var zones = (state.screen && state.screen.zones) || {};
    return zones[zone] !== false;
  }

  function apply(state, force) {
    if (!state || typeof state !== 'object' || state.type !== 'state') return;
    if (typeof state.version !== 'number') return;
    if (current && !force && state.version <= current.version) return;
    if (current && state.reload && current.reload && state.reload !== current.reload) {
      window.location.reload();
      return;
    }
    current = state;
    if (!force) tellWorker({type: 'state', url: stateUrl(), state: state});
    var screen = state.screen || {};
    var root = document.documentElement;
    root.classList.remove('orientation-landscape', 'orientation-portrait');
    root.classList.add('orientation-' + (screen.orientation === 'portrait' ? 'portrait' : 'landscape'));
    var header = document.querySelector('[data-zone="header"]');
    header.hidden = !zoneOn(state, 'header');
    var hallName = (state.hall && state.hall.name) || '';
    var nameNode = document.getElementById('hall-name');
    if (nameNode.textContent !== hallName) nameNode.textContent = hallName;
    var side = document.querySelector('[data-zone="side"]');
    side.hidden = !state.side;
    if (state.side && window.gongkaiBoard) window.gongkaiBoard.show(state.side);
    guard(function () { setEmergency(state.emergency); });
    guard(function () { setTicker(state.ticker || [], zoneOn(state, 'ticker')); });
    guard(function () { setSlides(state.slides || []); });
    scheduleRefresh(state);
  }

  // Ask again when the schedule changes what this screen shows.
  function scheduleRefresh(state) {
    window.clearTimeout(refreshTimer);
    var at = timeOf(state.valid_until);
    if (at === null) return;
    refreshTimer = later(refresh, at - Date.now() + 1000);
  }

  function refresh() {
    if (socket && connected) hello();
    else poll();
  }

  function poll() {
    if (!STATE_URL || !window.fetch) return;
    window.fetch(STATE_URL, {cache: 'no-store', credentials: 'same-origin'})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) { if (state) guard(function () { apply(state, false); }); })
      .catch(function () { /* server away: keep the last state */ });
  }

  function startPolling() {
    if (pollTimer) return;
    poll();
    pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    window.clearInterval(pollTimer);
    pollTimer = null;
  }

  // ---------------------------------------------------------------- live

  function hello() {
    socket.emit('hello', {name: NAME, version_seen: current ? current.version : null,
                          preview: PREVIEW});
  }

  function heartbeat() {
    if (!socket || !connected || PREVIEW) return;
    socket.emit('heartbeat', {name: NAME, on_air: onAir ? onAir.id : null,
                              version: current ? current.version : null});
  }

  function boardEvent(kind, event) {
    if (!current || !current.side || !window.gongkaiBoard) return;  // no side zone (now)
    window.gongkaiBoard[kind](event);
  }

  function connect() {
    if (!USE_SOCKET || typeof window.io !== 'function') { startPolling(); return; }
    socket = window.io('/screens', SOCKET_OPTIONS);
    socket.on('connect', function () {
      connected = true;
      stopPolling();
      hello();
    });
    socket.on('disconnect', function (reason) {
      connected = false;
      startPolling();
      if (reason === 'io server disconnect') later(function () { socket.connect(); }, 5000);
    });
    socket.on('state', function (state) { guard(function () { apply(state, false); }); });
    socket.on('reload', function () { window.location.reload(); });
    // The calling board (room `queue`, joined by hello when the side zone is on).
    socket.on('call', function (event) { guard(function () { boardEvent('call', event); }); });
    socket.on('board', function (event) { guard(function () { boardEvent('board', event); }); });
    later(function () { if (!connected) startPolling(); }, CONNECT_GRACE_MS);
    window.setInterval(function () { guard(heartbeat); }, HEARTBEAT_MS);
  }

  // The service worker keeps this page and the last state for a restart while the server is
  // away (service workers need a secure context: https, localhost, or Chromium's
  // --unsafely-treat-insecure-origin-as-secure for the hall's server address).
  var worker = null;

  function tellWorker(message) {
    if (worker) guard(function () { worker.postMessage(message); });
  }

  function registerWorker() {
    var url = body.getAttribute('data-sw-url');
    if (!url || !('serviceWorker' in navigator)) return;
    if (navigator.serviceWorker.controller) poll();  // maybe newer than this (cached) page
    navigator.serviceWorker.register(url, {scope: body.getAttribute('data-sw-scope') || '/'})
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        worker = registration.active;
        tellWorker({type: 'keep', urls: [window.location.href]});
        if (current) tellWorker({type: 'state', url: stateUrl(), state: current});
      })
      .catch(function () { /* no service worker: live only */ });
  }

  function stateUrl() { return new URL(STATE_URL, window.location.href).href; }

  window.gongkaiScreen = {
    log: log,
    speed: SPEED,
    state: function () { return current; },
    connected: function () { return connected; }
  };

  guard(tick);
  window.setInterval(function () { guard(tick); }, 1000);
  guard(function () { apply(readJson('initial-state'), true); });
  if (!current || !(current.slides || []).length) guard(advance);
  guard(registerWorker);
  guard(connect);
}());
