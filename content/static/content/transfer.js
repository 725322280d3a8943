// Import progress: poll the job's JSON status, move the <progress> bar, and when the import
// has finished swap in the server-rendered result (counts, or the per-row report).

const POLL_MS = 500;

function update(box, status) {
  const bar = box.querySelector("progress");
  const count = box.querySelector("#import-count");
  const state = box.querySelector("#import-state");
  bar.max = Math.max(status.total, 1);
  if (status.state === "checking") {
    bar.removeAttribute("value"); // indeterminate while the rows are checked
  } else {
    bar.value = status.state === "done" ? bar.max : status.done;
  }
  if (count) {
    count.textContent = count.textContent.replace(/\d+(\s*\/\s*)\d+/, `${status.done}$1${status.total}`);
  }
  if (state && box.dataset.state !== status.state) {
    state.textContent = status.label; // a live region: only phase changes are announced
  }
  box.dataset.state = status.state;
}

async function showResult(box) {
  const response = await fetch(box.dataset.pageUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("import-status");
  if (!fresh) throw new Error("no result on the page");
  box.replaceWith(document.importNode(fresh, true));
  const heading = document.getElementById("import-status-head");
  if (heading) heading.focus();
}

async function poll(box) {
  try {
    const response = await fetch(box.dataset.statusUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.status === 404) {
      window.location.assign(box.dataset.pageUrl); // the server restarted: the job is gone
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const status = await response.json();
    update(box, status);
    if (status.finished) {
      await showResult(box);
      return;
    }
  } catch (error) {
    const state = box.querySelector("#import-state");
    if (state) state.dataset.error = String(error);
  }
  window.setTimeout(() => poll(box), POLL_MS);
}

const box = document.getElementById("import-status");
if (box && box.dataset.statusUrl) poll(box);
