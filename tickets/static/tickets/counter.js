// The counter page: keyboard shortcuts for the moves, the line refreshed every few seconds,
// and the time since the current ticket was called. Every move is a plain POST form that
// works without this script; the shortcuts only submit (or focus) the matching form.

const POLL_MS = 5000;
const root = document.getElementById("counter");

/** Letters and what they do: submit a move's form, or focus a field of a tool. */
const KEYS = {
  n: { form: "move-next" },
  r: { form: "move-recall" },
  f: { form: "move-finish" },
  m: { form: "move-no-show" },
  p: { form: "move-pause" },
  c: { focus: "call-number" },
  t: { focus: "transfer-service" },
};

let submitting = false;

function typing(target) {
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest("input, select, textarea, [contenteditable]"));
}

function submit(form) {
  const button = form.querySelector("button[type=submit]");
  if (!button || button.disabled || submitting) return;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  submitting = true;
  button.setAttribute("aria-busy", "true");
  form.submit(); // submit() skips the submit listeners: the confirm above stands in for them
}

function onKey(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
  if (typing(event.target)) return;
  const action = KEYS[event.key.toLowerCase()];
  if (!action) return;
  event.preventDefault();
  if (action.form) {
    const form = document.getElementById(action.form);
    if (form) submit(form);
  } else {
    const field = document.getElementById(action.focus);
    if (field) field.focus();
  }
}

function two(n) {
  return String(n).padStart(2, "0");
}

/** "3:07" (minutes:seconds), "1:02:07" past an hour. */
function elapsed(since) {
  const seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

function tickSince() {
  const node = document.getElementById("since");
  if (!node) return;
  const since = Date.parse(node.dataset.since);
  if (!Number.isNaN(since)) node.textContent = elapsed(since);
}

function marks(ticket, labels) {
  const out = [];
  if (ticket.priority) out.push(["mark mark-priority", `${labels.priority}·${ticket.priority}`]);
  if (ticket.appointment) out.push(["mark mark-booking", labels.booking]);
  if (ticket.transferred) out.push(["mark mark-transfer", labels.transfer]);
  const cell = document.createDocumentFragment();
  for (const [cls, text] of out) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    cell.append(span, " ");
  }
  return cell;
}

function renderLine(state) {
  const body = document.getElementById("line-body");
  const template = document.getElementById("line-row");
  const labels = document.getElementById("labels").dataset;
  const rows = state.waiting.map((ticket) => {
    const row = template.content.firstElementChild.cloneNode(true);
    const cells = row.children;
    cells[0].textContent = ticket.number;
    cells[1].textContent = ticket.service;
    cells[2].textContent = ticket.queued_at;
    cells[3].append(marks(ticket, labels));
    return row;
  });
  body.replaceChildren(...rows);
  document.getElementById("line-count").textContent = String(state.waiting_total);
  document.getElementById("line-table").hidden = rows.length === 0;
  document.getElementById("line-empty").hidden = rows.length !== 0;
  const more = document.getElementById("line-more");
  if (more) more.hidden = state.waiting_total <= rows.length;
}

async function poll() {
  try {
    const response = await fetch(root.dataset.stateUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok || response.redirected) {
      if (response.status === 401 || response.status === 403 || response.redirected) {
        window.location.reload(); // signed out, or the window is gone: the server says where
      }
      return;
    }
    const state = await response.json();
    const current = state.current ? state.current.number : "";
    const paused = state.window.paused ? "1" : "0";
    if (!state.mine || current !== root.dataset.current || paused !== root.dataset.paused) {
      if (!submitting) window.location.reload(); // taken over, or changed from elsewhere
      return;
    }
    renderLine(state);
  } catch (error) {
    // the server is away for a moment: keep showing the last line and try again later
  }
}

if (root) {
  document.addEventListener("keydown", onKey);
  tickSince();
  window.setInterval(tickSince, 1000);
  window.setInterval(poll, POLL_MS);
  root.dataset.ready = "1"; // the shortcuts work from now on (tests wait for this)
}
