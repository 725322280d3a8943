/* The queue's calling board in a screen's side zone, and the Mandarin voice call.
   screen.js hands it the board (state.side, and the `board` and `call` events of room `queue`).
   A new call flashes (three times, once a second) and is spoken: calls wait in a queue and
   never overlap, each is said `repeat` times after one chime. Web Audio plays the clips back to
   back (each clip fetched and decoded once); without Web Audio one joined file per call plays
   in an <audio>. Where the browser blocks sound until someone touches the screen, a notice
   says how to allow it, and any tap turns it on. Everything spoken is shown (#board-say).
   ES2017 for Chromium 61: no optional chaining, no ??, no object spread, no flex gap.
   Diagnostics: window.gongkaiBoard.played (each clip scheduled: call id, clip, start and end
   in the audio context's time) and .spoken (call ids in the order said; also the side zone's
   data-spoken attribute). */
(function () {
  'use strict';

  var GAP = 0.08;            // seconds between clips, as tickets.voice.GAP_SECONDS
  var REPEAT_PAUSE = 0.7;    // seconds between two sayings of one call
  var LOAD_TIMEOUT_MS = 6000;
  var FLASH_MS = 3200;       // the flash animation: 3 x 1 s, then the row stays marked
  var FRESH_MS = 15000;
  var KEEP_SPOKEN = 200;

  var side = document.querySelector('[data-zone="side"]');
  if (!side) return;
  var currentList = document.getElementById('board-current');
  var recentList = document.getElementById('board-recent');
  var waitingList = document.getElementById('board-waiting');
  var emptyNote = document.getElementById('board-empty');
  var sayLine = document.getElementById('board-say');
  var soundNote = document.getElementById('board-sound');
  var texts = readJson('board-text') || {};

  var board = null;
  var voiceToken = '';
  var announced = {};        // call_id -> time it arrived (flash and fresh marks)
  var rows = {};             // call_id -> <li> of the current list, reused across renders
  var queue = [];
  var speaking = false;
  var played = [];
  var spoken = [];
  var buffers = {};          // clip name -> Promise<AudioBuffer|null>
  var context = null;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fill(template, value) { return String(template || '{n}').replace('{n}', value); }

  function guard(fn) {
    try { fn(); } catch (e) { /* keep showing the last board */ }
  }

  function wait(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, Math.max(0, ms)); });
  }

  // ---------------------------------------------------------------- drawing

  function windowText(call) { return fill(texts.window, call.window); }

  // "3号窗口" with the number big and the words smaller (the words come from the page).
  function windowLabel(call) {
    var parts = String(texts.window || '{n}').split('{n}');
    var label = make('span', 'call-window');
    if (parts[0]) label.appendChild(make('span', 'call-window-unit', parts[0]));
    label.appendChild(make('span', 'call-window-number', call.window));
    if (parts[1]) label.appendChild(make('span', 'call-window-unit', parts[1]));
    return label;
  }

  function callRow(call) {
    var li = make('li', 'call');
    li.appendChild(make('span', 'call-number', call.number));
    li.appendChild(document.createTextNode(' '));
    li.appendChild(make('span', 'call-arrow', texts.arrow || '→'));
    li.appendChild(document.createTextNode(' '));
    li.appendChild(windowLabel(call));
    li.setAttribute('data-call', call.call_id);
    return li;
  }

  function mark(li, call) {
    var since = announced[call.call_id];
    var age = since === undefined ? Infinity : Date.now() - since;
    li.classList.toggle('is-flashing', age < FLASH_MS);
    li.classList.toggle('is-fresh', age < FRESH_MS);
  }

  function drawCurrent(calls) {
    var keep = {};
    for (var i = 0; i < calls.length; i++) {
      var call = calls[i];
      var li = rows[call.call_id];
      if (!li) li = callRow(call);
      keep[call.call_id] = li;
      mark(li, call);
      li.classList.toggle('is-first', i === 0);
      if (currentList.children[i] !== li) currentList.insertBefore(li, currentList.children[i] || null);
    }
    for (var id in rows) {
      if (!keep[id] && rows[id].parentNode) rows[id].parentNode.removeChild(rows[id]);
    }
    rows = keep;
    emptyNote.hidden = calls.length > 0;
  }

  function drawRecent(calls) {
    recentList.textContent = '';
    for (var i = 0; i < calls.length; i++) {
      var li = make('li', 'recent');
      li.appendChild(make('span', 'recent-number', calls[i].number));
      li.appendChild(document.createTextNode(' '));  // read apart by screen readers
      li.appendChild(make('span', 'recent-window', windowText(calls[i])));
      recentList.appendChild(li);
    }
  }

  function drawWaiting(services) {
    waitingList.textContent = '';
    for (var i = 0; i < services.length; i++) {
      var li = make('li', 'waiting');
      li.appendChild(make('span', 'waiting-prefix', services[i].prefix));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(make('span', 'waiting-name', services[i].name));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(make('span', 'waiting-count', fill(texts.waiting, services[i].waiting)));
      waitingList.appendChild(li);
    }
  }

  // Lines of the lower lists that do not fit in the zone whole are left out, not cut.
  // A list with no line left is left out with its heading.
  function fit() {
    var boxes = [waitingList.parentNode, recentList.parentNode];
    var lists = [waitingList, recentList];
    var i, k;
    for (k = 0; k < boxes.length; k++) {
      boxes[k].hidden = false;
      for (i = 0; i < lists[k].children.length; i++) lists[k].children[i].hidden = false;
    }
    var bottom = side.querySelector('.board').getBoundingClientRect().bottom + 1;
    for (k = 0; k < boxes.length; k++) {
      var shown = 0;
      for (i = 0; i < lists[k].children.length; i++) {
        var item = lists[k].children[i];
        if (item.getBoundingClientRect().bottom > bottom) item.hidden = true;
        else shown += 1;
      }
      boxes[k].hidden = shown === 0;
    }
  }

  function draw(next) {
    if (!board) guard(startSound);
    board = next;
    guard(function () { drawCurrent(next.current || []); });
    guard(function () { drawRecent(next.recent || []); });
    guard(function () { drawWaiting(next.waiting || []); });
    if (!side.hidden) guard(fit);
    if (next.voice !== voiceToken) {
      voiceToken = next.voice || '';
      buffers = {};
      window.setTimeout(function () { guard(preload); }, 1500);
    }
  }

  // A board replaces the one shown unless it is older (calls only grow the version).
  function show(next, force) {
    if (!next || typeof next !== 'object') return;
    if (board && !force && (next.version || 0) < (board.version || 0)) return;
    draw(next);
  }

  // Re-mark rows as their flash and fresh times run out.
  window.setInterval(function () {
    guard(function () {
      if (!board) return;
      var calls = board.current || [];
      for (var i = 0; i < calls.length; i++) {
        if (rows[calls[i].call_id]) mark(rows[calls[i].call_id], calls[i]);
      }
    });
  }, 1000);

  // ---------------------------------------------------------------- sound

  function note(entry) {
    played.push(entry);
    if (played.length > 500) played.splice(0, played.length - 500);
  }

  function clipUrl(name) {
    return '/voice/' + encodeURIComponent(name) + '.wav?v=' + encodeURIComponent(voiceToken);
  }

  function audioContext() {
    if (context) return context;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    try { context = new Context(); } catch (e) { return null; }
    context.onstatechange = soundState;
    return context;
  }

  function soundState() {
    var blocked = !!context && context.state === 'suspended';
    if (soundNote.hidden === blocked) {
      soundNote.hidden = !blocked;
      guard(fit);
    }
    side.setAttribute('data-sound', context ? context.state : 'element');
  }

  // Any touch (or key) lets the sound play from then on.
  function unlock() {
    if (context && context.state === 'suspended') {
      context.resume().then(soundState, soundState);
    }
  }

  function decode(data) {
    return new Promise(function (resolve, reject) {
      context.decodeAudioData(data, resolve, reject);
    });
  }

  function loadClip(name) {
    if (!buffers[name]) {
      var loading = window.fetch(clipUrl(name), {credentials: 'same-origin'})
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.arrayBuffer();
        })
        .then(decode)
        .catch(function () { delete buffers[name]; return null; });
      buffers[name] = loading;
    }
    return buffers[name];
  }

  function withTimeout(promise, ms, fallback) {
    return Promise.race([promise, wait(ms).then(function () { return fallback; })]);
  }

  // The clips the next calls will need: the fixed words, the digits, the waiting prefixes.
  function preload() {
    if (!context || !window.fetch || !board) return;
    var names = ['chime', 'qing', 'hao', 'dao', 'hao_chuangkou', 'banli', 'shi', 'bai'];
    for (var d = 0; d < 10; d++) names.push('d' + d);
    var services = board.waiting || [];
    for (var i = 0; i < services.length; i++) {
      var prefix = String(services[i].prefix || '');
      for (var j = 0; j < prefix.length; j++) names.push(prefix.charAt(j));
    }
    names.forEach(loadClip);
  }

  // The order a call is said in: the chime once, then the words `repeat` times.
  function sequence(clips, repeat) {
    var words = clips.slice();
    var out = [];
    if (words[0] === 'chime') out.push(words.shift());
    for (var r = 0; r < repeat; r++) {
      if (r > 0) out.push(null);  // a pause between two sayings
      out = out.concat(words);
    }
    return out;
  }

  function sayWithContext(call, repeat) {
    var order = sequence(call.clips || [], repeat);
    var names = order.filter(function (name) { return name; });
    return withTimeout(Promise.all(names.map(loadClip)), LOAD_TIMEOUT_MS, null)
      .then(function (loaded) {
        if (!loaded || context.state !== 'running') return false;
        var byName = {};
        names.forEach(function (name, k) { byName[name] = loaded[k]; });
        var at = context.currentTime + 0.05;
        for (var i = 0; i < order.length; i++) {
          if (order[i] === null) { at += REPEAT_PAUSE; continue; }
          var buffer = byName[order[i]];
          if (!buffer) continue;
          var source = context.createBufferSource();
          source.buffer = buffer;
          source.connect(context.destination);
          source.start(at);
          note({call: call.call_id, clip: order[i], at: at, end: at + buffer.duration});
          at += buffer.duration + GAP;
        }
        return wait((at - context.currentTime) * 1000).then(function () { return true; });
      });
  }

  function sayWithElement(call, repeat) {
    return new Promise(function (resolve) {
      var audio = new window.Audio();
      var left = repeat;
      var done = false;
      function finish(ok) { if (!done) { done = true; resolve(ok); } }
      function play() {
        var started = audio.play();
        if (started && started.catch) {
          started.catch(function () { soundNote.hidden = false; finish(false); });
        }
      }
      audio.addEventListener('ended', function () {
        left -= 1;
        if (left > 0) window.setTimeout(function () { audio.currentTime = 0; play(); },
                                        REPEAT_PAUSE * 1000);
        else finish(true);
      });
      audio.addEventListener('error', function () { finish(false); });
      window.setTimeout(function () { finish(false); }, 30000 * repeat);
      audio.src = '/voice/call/' + encodeURIComponent(call.call_id) + '.wav?v=' +
        encodeURIComponent(voiceToken);
      note({call: call.call_id, clip: 'call', at: null, end: null});
      play();
    });
  }

  function say(item) {
    sayLine.textContent = item.call.text || '';
    guard(fit);
    var row = rows[item.call.call_id];
    if (row) row.classList.add('is-speaking');
    var ctx = audioContext();
    var saying;
    if (!ctx) saying = sayWithElement(item.call, item.repeat);
    else if (ctx.state !== 'running') saying = Promise.resolve(false);  // shown, not heard
    else saying = sayWithContext(item.call, item.repeat);
    return saying.then(function (ok) {
      if (row) row.classList.remove('is-speaking');
      return ok;
    }, function () {
      if (row) row.classList.remove('is-speaking');
      return false;
    });
  }

  function pump() {
    if (speaking || !queue.length) return;
    var item = queue.shift();
    speaking = true;
    function next(heard) {
      speaking = false;
      if (heard) {
        spoken.push(item.call.call_id);
        if (spoken.length > KEEP_SPOKEN) spoken.splice(0, spoken.length - KEEP_SPOKEN);
        side.setAttribute('data-spoken', spoken.join(' '));
      }
      pump();
    }
    say(item).then(next, function () { next(false); });
  }

  // ---------------------------------------------------------------- events

  // A `call` event: show it at once (it flashes), then say it after the calls before it.
  function call(event) {
    if (!event || !event.call) return;
    var c = event.call;
    if (announced[c.call_id] !== undefined) return;  // the same call twice
    announced[c.call_id] = Date.now();
    var next = event.board || board;
    if (next) show(next, false);
    var repeat = Math.max(1, Number((event.board || board || {}).repeat) || 1);
    queue.push({call: c, repeat: repeat});
    pump();
  }

  function boardEvent(event) {
    if (event && event.board) show(event.board, true);
  }

  window.addEventListener('resize', function () { if (board) guard(fit); });

  ['pointerdown', 'touchstart', 'mousedown', 'keydown'].forEach(function (type) {
    document.addEventListener(type, function () { guard(unlock); }, true);
  });

  // Sound starts with the first board (a screen without a side zone never makes a context).
  function startSound() {
    var ctx = audioContext();
    if (!ctx) { side.setAttribute('data-sound', 'element'); return; }
    soundState();
    if (ctx.state === 'suspended') ctx.resume().then(soundState, soundState);
  }

  window.gongkaiBoard = {
    show: function (next) { guard(function () { show(next, false); }); },
    call: function (event) { guard(function () { call(event); }); },
    board: function (event) { guard(function () { boardEvent(event); }); },
    played: played,
    spoken: spoken
  };
}());
