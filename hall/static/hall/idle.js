// Idle reset for every hall page a citizen can reach (kiosk pages and the error page):
// warn, let the person stay, then wipe forms and storage and go to the reset address.
// Config comes from data-* attributes on <body>; nothing here is inline (CSP script-src 'self').

const body = document.body;
const total = Number(body.dataset.idleSeconds || 90) * 1000;
const warning = Math.min(Number(body.dataset.idleWarningSeconds || 15) * 1000, total);
const resetUrl = body.dataset.resetUrl || "/kiosk/reset";
const armed = body.dataset.idleArmed === "1";
const dialog = document.getElementById("idle-dialog");
const secondsLeft = document.getElementById("idle-seconds-left");

let lastActivity = Date.now();
let resetting = false;

function closeDialog() {
  if (dialog && dialog.open) dialog.close();
}

function activity() {
  if (resetting) return;
  lastActivity = Date.now();
}

// The warning closes on a full click inside it (or its backdrop), never on pointerdown:
// closing early would let the same tap land on whatever lies under the dialog.
function stayHere(event) {
  if (event) event.preventDefault();
  activity();
  closeDialog();
}

/** Forget the last person: forms, storage, then the server session via /kiosk/reset. */
export function wipeAndReset() {
  if (resetting) return;
  resetting = true;
  document.dispatchEvent(new CustomEvent("kiosk:reset"));
  for (const form of document.forms) form.reset();
  for (const input of document.querySelectorAll("input:not([type=hidden]), textarea")) input.value = "";
  try { sessionStorage.clear(); } catch { /* storage may be disabled */ }
  try { localStorage.clear(); } catch { /* storage may be disabled */ }
  window.location.replace(resetUrl);
}

function tick() {
  const idle = Date.now() - lastActivity;
  if (idle >= total) {
    wipeAndReset();
    return;
  }
  if (idle >= total - warning && dialog) {
    if (secondsLeft) secondsLeft.textContent = String(Math.ceil((total - idle) / 1000));
    if (!dialog.open) dialog.showModal();
  }
}

if (armed) {
  for (const type of ["pointerdown", "touchstart", "keydown", "wheel", "input"]) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  }
  window.addEventListener("scroll", activity, { capture: true, passive: true });
  if (dialog) {
    dialog.addEventListener("click", stayHere);
    dialog.addEventListener("cancel", stayHere);
  }
  window.setInterval(tick, 250);
}
