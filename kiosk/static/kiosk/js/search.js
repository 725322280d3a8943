// Search page: the on-screen keyboard types into the real <input>, and results follow the
// typing through a debounced fetch of /api/search. Without JS the form still submits.

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const keyboard = document.getElementById("keyboard");
const area = document.getElementById("results-area");
const start = document.getElementById("search-start");
const count = document.getElementById("result-count");
const template = document.getElementById("hit-template");
const messages = document.getElementById("search-messages").dataset;
const apiUrl = form.dataset.apiUrl || "/api/search";
const DEBOUNCE_MS = 250;

let timer = 0;
let controller = null;

function insert(text) {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  input.value = input.value.slice(0, start) + text + input.value.slice(end);
  const caret = start + text.length;
  input.setSelectionRange(caret, caret);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

function removeBefore() {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  if (start === end && start === 0) return;
  const chars = Array.from(input.value.slice(0, start));
  const from = start === end ? chars.slice(0, -1).join("").length : start;
  input.value = input.value.slice(0, from) + input.value.slice(end);
  input.setSelectionRange(from, from);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

function filterParams() {
  const params = new URLSearchParams();
  for (const name of ["category", "issuer", "year", "validity"]) {
    const value = form.elements[name] ? form.elements[name].value : "";
    if (value) params.set(name, value);
  }
  return params;
}

function render(data) {
  area.replaceChildren();
  count.textContent = messages.count.replace("{n}", String(data.total));
  if (!data.results.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = messages.empty;
    area.append(p);
    return;
  }
  const list = document.createElement("ol");
  list.className = "cards hits";
  list.id = "results";
  for (const hit of data.results) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.querySelector("a").href = hit.url;
    item.querySelector(".hit-kind").textContent = messages["kind" + hit.kind[0].toUpperCase() + hit.kind.slice(1)] || hit.kind;
    // title_html and snippet are escaped by the server, with only <mark> added.
    item.querySelector(".card-title").innerHTML = hit.title_html;
    item.querySelector(".card-meta").textContent = [hit.doc_number, hit.issuer].filter(Boolean).join(" · ");
    item.querySelector(".snippet").innerHTML = hit.snippet || "";
    list.append(item);
  }
  area.append(list);
}

async function update() {
  const q = input.value.trim();
  const params = filterParams();
  const searching = Boolean(q || [...params.keys()].length);
  start.hidden = searching;
  if (!searching) {
    area.replaceChildren();
    count.textContent = "";
    return;
  }
  params.set("q", q);
  params.set("limit", "10");
  if (controller) controller.abort();
  controller = new AbortController();
  try {
    const response = await fetch(`${apiUrl}?${params}`, { signal: controller.signal,
      headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    render(await response.json());
  } catch (error) {
    if (error.name === "AbortError") return;
    count.textContent = messages.error;
  }
}

function schedule() {
  window.clearTimeout(timer);
  timer = window.setTimeout(update, DEBOUNCE_MS);
}

keyboard.hidden = false;
keyboard.addEventListener("pointerdown", (event) => {
  // Keep the caret in the field: a key tap must not move focus away from the input.
  if (event.target.closest(".key")) event.preventDefault();
});
keyboard.addEventListener("click", (event) => {
  const key = event.target.closest(".key");
  if (!key) return;
  if (key.dataset.key !== undefined) insert(key.dataset.key);
  else if (key.dataset.action === "delete") removeBefore();
  else if (key.dataset.action === "clear") { input.value = ""; input.dispatchEvent(new Event("input", { bubbles: true })); }
  else if (key.dataset.action === "search") { window.clearTimeout(timer); form.requestSubmit(); }
});
input.addEventListener("input", schedule);
form.addEventListener("change", (event) => { if (event.target.tagName === "SELECT") schedule(); });
document.addEventListener("kiosk:reset", () => { window.clearTimeout(timer); if (controller) controller.abort(); });
