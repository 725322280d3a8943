// 取号 and 预约签到: take the ticket through the JSON API (POST /api/tickets, /api/checkin) and
// show the taken view in place. Without this script the forms post to the kiosk and the server
// answers with the same view. Each service gets one random request key for the life of the
// page, so a second tap (or a retry after a lost answer) gives back the first ticket.

const messages = document.getElementById('queue-messages').dataset;
const choose = document.getElementById('queue-choose');
const taken = document.getElementById('taken');
const errorBox = document.getElementById('queue-error');
const statusBox = document.getElementById('queue-status');
let busy = false;

function newKey() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

/** Show the ticket just taken (the JSON of POST /api/tickets) instead of the chooser. */
function showTaken(ticket) {
  text('taken-service', ticket.service_name);
  const priority = document.getElementById('taken-priority');
  priority.textContent = ticket.priority ? fill(messages.priority, { name: ticket.priority }) : '';
  priority.hidden = !ticket.priority;
  text('taken-number', ticket.number);
  text('taken-ahead', ticket.ahead > 0
    ? fill(messages.ahead, { ahead: ticket.ahead, minutes: ticket.estimated_wait })
    : messages.aheadNone);
  let printed = messages.notPrinted;
  if (ticket.repeated) printed = messages.repeated;
  else if (ticket.printed) printed = messages.printed;
  text('taken-print', printed);
  const qr = document.getElementById('taken-qr');
  qr.src = qr.dataset.src.replace('TOKEN', encodeURIComponent(ticket.token));
  choose.hidden = true;
  taken.hidden = false;
  window.scrollTo(0, 0);
  taken.focus();
}

function setBusy(form, on) {
  busy = on;
  for (const button of form.querySelectorAll('button')) button.disabled = on;
  if (on) form.setAttribute('aria-busy', 'true');
  else form.removeAttribute('aria-busy');
  statusBox.textContent = on ? messages.pending : '';
}

/** POST ``body`` as JSON to the form's API address; true when a ticket came back. */
async function send(form, body) {
  errorBox.textContent = '';
  setBusy(form, true);
  try {
    const response = await fetch(form.dataset.api, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    let answer = null;
    try { answer = await response.json(); } catch { answer = null; }
    if (response.ok && answer && answer.number) {
      setBusy(form, false);
      showTaken(answer);
      return true;
    }
    errorBox.textContent = (answer && answer.message) || messages.failed;
  } catch {
    errorBox.textContent = messages.failed;
  }
  setBusy(form, false);
  return false;
}

const queueForm = document.getElementById('queue-form');
if (queueForm) {
  const keys = new Map();
  let pressed = null;
  queueForm.addEventListener('click', (event) => {
    const button = event.target.closest('button[name="service"]');
    if (button) pressed = button;
  });
  queueForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = event.submitter || pressed;
    if (busy || !button || button.name !== 'service') return;
    const service = button.value;
    if (!keys.has(service)) keys.set(service, newKey());
    const body = { service, request_key: keys.get(service), source: 'kiosk' };
    const checked = queueForm.querySelector('input[name="priority"]:checked');
    if (checked && checked.value) body.priority = Number(checked.value);
    send(queueForm, body);
  });
}

const checkinForm = document.getElementById('checkin-form');
if (checkinForm) {
  const input = checkinForm.elements.code;
  const pad = document.getElementById('code-pad');
  const key = newKey();
  const max = Number(input.maxLength) > 0 ? Number(input.maxLength) : 20;
  checkinForm.noValidate = true; // the empty code gets the kiosk's own message below
  input.setAttribute('inputmode', 'none'); // the pad below types; no system keyboard on top
  pad.hidden = false;
  pad.addEventListener('pointerdown', (event) => {
    if (event.target.closest('.key')) event.preventDefault(); // keep the caret in the field
  });
  pad.addEventListener('click', (event) => {
    const button = event.target.closest('.key');
    if (!button) return;
    if (button.dataset.key !== undefined) {
      if (input.value.length < max) input.value += button.dataset.key;
    } else if (button.dataset.action === 'delete') {
      input.value = input.value.slice(0, -1);
    } else if (button.dataset.action === 'clear') {
      input.value = '';
    }
    errorBox.textContent = '';
  });
  checkinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const code = input.value.replace(/\s+/g, '').toUpperCase();
    if (!code) {
      errorBox.textContent = checkinForm.dataset.empty;
      return;
    }
    send(checkinForm, { code, request_key: key });
  });
}
