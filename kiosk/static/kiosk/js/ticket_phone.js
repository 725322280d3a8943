// A ticket's phone page (/t/<token>): fetch /api/tickets/<token> again whenever the hall's
// queue changes (Socket.IO namespace /screens, room "queue" joined by emitting "follow"; events
// "call" and "board") and every data-poll-seconds as a fallback, and show what came back.
// A classic script in ES2017 (no modules, no ?. or ??) so that older phones run it too.
(function () {
  'use strict';

  var root = document.getElementById('phone');
  if (!root || !root.getAttribute('data-api')) return;
  var api = root.getAttribute('data-api');
  var pollMs = Math.max(1, Number(root.getAttribute('data-poll-seconds')) || 30) * 1000;
  // WebSocket only: long-polling would need every request of a session to reach the same
  // server process, which `gongkai serve --workers N` cannot promise. Retries stay short so a
  // restarted server has every screen back within a few seconds.
  var SOCKET_OPTIONS = { transports: ['websocket'], reconnectionDelay: 500,
                         reconnectionDelayMax: 2000 };
  var messages = document.getElementById('phone-messages').dataset;
  var FINAL = { done: true, no_show: true, cancelled: true, expired: true };
  var inflight = false;
  var again = false;
  var poller = 0;
  var socket = null;

  function el(id) { return document.getElementById(id); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function two(n) { return (n < 10 ? '0' : '') + n; }

  function render(state) {
    el('phone-service').textContent = state.service_name;
    el('phone-number').textContent = state.number;
    var status = el('phone-status');
    if (status.textContent !== state.status_text) status.textContent = state.status_text;
    status.className = 'phone-status status-' + state.status;
    var waiting = state.status === 'waiting';
    el('phone-facts').hidden = !waiting;
    el('phone-serving-box').hidden = !waiting;
    el('phone-ahead').textContent = String(state.ahead);
    el('phone-wait').textContent = String(state.estimated_wait);
    var list = el('phone-serving');
    while (list.firstChild) list.removeChild(list.firstChild);
    (state.serving || []).forEach(function (call) {
      var item = document.createElement('li');
      item.textContent = fill(messages.serving, { number: call.number, window: call.window });
      list.appendChild(item);
    });
    el('phone-serving-none').hidden = list.children.length > 0;
    var rate = el('phone-rate');
    if (state.rate_url) {
      rate.setAttribute('href', state.rate_url);
      rate.hidden = false;
    } else {
      rate.removeAttribute('href');
      rate.hidden = true;
    }
    var now = new Date();
    el('phone-updated').textContent = fill(messages.updated, {
      time: two(now.getHours()) + ':' + two(now.getMinutes()) + ':' + two(now.getSeconds()),
    });
    root.setAttribute('data-status', state.status);
    el('phone-live').hidden = Boolean(FINAL[state.status]);
    if (FINAL[state.status]) stop();
  }

  function gone() {
    el('phone-status').textContent = messages.gone;
    stop();
  }

  /** Ask the server for the ticket's state now (one request at a time; a change that comes
   *  in meanwhile asks once more afterwards). */
  function refetch() {
    if (inflight) {
      again = true;
      return Promise.resolve();
    }
    inflight = true;
    return fetch(api, { cache: 'no-store', credentials: 'same-origin',
                        headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (response.status === 404) { gone(); return null; }
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (state) {
        if (state) render(state);
      })
      .catch(function () {
        el('phone-updated').textContent = messages.offline;
      })
      .then(function () {
        inflight = false;
        if (again && poller) {
          again = false;
          return refetch();
        }
        return undefined;
      });
  }

  function stop() {
    if (poller) window.clearInterval(poller);
    poller = 0;
    if (socket) socket.close();
    socket = null;
  }

  function connect() {
    if (typeof window.io !== 'function') return; // the poll below still keeps the page fresh
    socket = window.io('/screens', SOCKET_OPTIONS);
    socket.on('connect', function () {
      socket.emit('follow', {});
      refetch(); // catch up on whatever happened while disconnected
    });
    socket.on('call', refetch);
    socket.on('board', refetch);
  }

  if (FINAL[root.getAttribute('data-status')]) return;
  poller = window.setInterval(refetch, pollMs);
  connect();
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && poller) refetch();
  });
  window.ticketPhone = { refetch: refetch, render: render };
}());
