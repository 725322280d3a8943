// The counter-facing page (a tablet facing the citizen at a window): shows the ticket being
// served, offers the rating of the ticket the clerk just finished for about a minute, then
// returns to idle and forgets everything. It follows the queue on the /screens socket
// ("follow" → "board"/"call" events) and asks GET /api/windows/<n> every few seconds anyway.
// ES2017 (older tablets): no optional chaining, no nullish coalescing.

import { initRateForm } from "./rate.js";

const face = document.getElementById("face");
const form = document.getElementById("face-form");
const sections = face.querySelectorAll("[data-state]");
const errorBox = form.querySelector("[data-rate-error]");
// WebSocket only: long-polling would need every request of a session to reach the same
// server process, which `gongkai serve --workers N` cannot promise. Retries stay short so a
// restarted server has every screen back within a few seconds.
const SOCKET_OPTIONS = { transports: ["websocket"], reconnectionDelay: 500,
                         reconnectionDelayMax: 2000 };
const countdown = face.querySelector("[data-countdown]");
const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

const api = face.dataset.api;
const rateUrl = face.dataset.rateUrl;
const resetUrl = face.dataset.resetUrl;
const offerMs = Number(face.dataset.offerSeconds || 60) * 1000;
const pollMs = Number(face.dataset.pollSeconds || 5) * 1000;
const thanksMs = Number(face.dataset.thanksSeconds || 10) * 1000;

let state = "idle";
let latest = null;
let offer = null; // the ticket being rated: {token, number, service}
let lastTouch = 0;
let thanksTimer = 0;
let sending = false;
const done = new Set(); // tokens rated or passed over on this page: never offered again

initRateForm(form);

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function show(name) {
  state = name;
  for (const section of sections) section.hidden = section.dataset.state !== name;
}

function render() {
  if (state === "rate" || state === "thanks") return; // a citizen is busy: never interrupt
  const data = latest;
  if (data && data.rate && !done.has(data.rate.token)) {
    startRating(data.rate);
    return;
  }
  if (data && data.current) {
    face.querySelector("[data-serving-title]").textContent =
      fill(face.dataset.servingText, { number: data.current.number });
    face.querySelector("[data-serving-service]").textContent = data.current.service;
    show("serving");
    return;
  }
  const open = !data || data.open;
  face.querySelector("[data-idle-open]").hidden = !open;
  face.querySelector("[data-idle-closed]").hidden = open;
  show("idle");
}

function refresh() {
  return fetch(api, { cache: "no-store", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (data) {
        latest = data;
        render();
      }
    })
    .catch(() => { /* the server is away: keep showing the last state */ });
}

function wipe() {
  form.reset();
  for (const area of form.querySelectorAll("textarea")) area.value = "";
  errorBox.textContent = "";
  errorBox.hidden = true;
}

function startRating(ticket) {
  offer = ticket;
  wipe();
  face.querySelector("[data-rate-title]").textContent =
    fill(face.dataset.rateText, { number: ticket.number });
  face.querySelector("[data-rate-service]").textContent = ticket.service;
  lastTouch = Date.now();
  show("rate");
  tick();
}

// The citizen left (or is done): forget them. A changed elder mode or language goes back to
// the defaults through the server, which clears the session and shows this page again.
function finish() {
  if (offer) done.add(offer.token);
  offer = null;
  window.clearTimeout(thanksTimer);
  wipe();
  const root = document.documentElement;
  if (root.classList.contains("elder") || root.lang !== "zh-CN") {
    window.location.replace(resetUrl);
    return;
  }
  state = "idle";
  render();
  refresh();
}

function tick() {
  if (state !== "rate") return;
  const left = Math.max(0, Math.ceil((offerMs - (Date.now() - lastTouch)) / 1000));
  countdown.textContent = fill(face.dataset.secondsText, { n: left });
  if (left <= 0) finish();
}

function thank(message) {
  face.querySelector("[data-thanks-message]").textContent = message;
  if (offer) done.add(offer.token);
  show("thanks");
  thanksTimer = window.setTimeout(finish, thanksMs);
}

function fail(message) {
  errorBox.textContent = message || face.dataset.failedText;
  errorBox.hidden = false;
  errorBox.scrollIntoView({ block: "center" });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!offer || sending) return;
  const data = new FormData(form);
  const score = data.get("score");
  const body = {
    token: offer.token,
    score: score ? Number(score) : null,
    reasons: data.getAll("reasons"),
    comment: data.get("comment") || "",
  };
  sending = true;
  fetch(rateUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  })
    .then((response) => response.json().then((answer) => ({ status: response.status, answer })))
    .then((result) => {
      if (result.answer.ok || result.answer.code === "rated") thank(result.answer.message);
      else fail(result.answer.message);
    })
    .catch(() => fail(""))
    .then(() => { sending = false; });
});

form.querySelector("[data-skip]").addEventListener("click", finish);

for (const type of ["pointerdown", "keydown", "input", "touchstart"]) {
  face.addEventListener(type, () => { lastTouch = Date.now(); }, { passive: true });
}

window.setInterval(tick, 1000);
window.setInterval(refresh, pollMs);
refresh();

if (typeof window.io === "function") {
  const socket = window.io("/screens", SOCKET_OPTIONS);
  socket.on("connect", () => {
    socket.emit("follow", {});
    refresh();
  });
  socket.on("board", refresh);
  socket.on("call", refresh);
}
