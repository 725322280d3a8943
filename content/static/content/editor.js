// Staff content editor: the Markdown textarea's live preview. The server renders and
// sanitizes (POST /staff/content/preview); this file only sends the text and shows the answer.

// The frame's module, from the very URL the page loaded it with (one instance, one set of
// confirm handlers), wherever the hall's static files are mounted.
const frame = document.querySelector('script[type="module"][src$="/staff.js"]');
const { postForm } = await import(frame ? frame.src : "/static/hall/hall/staff.js");

const DELAY_MS = 400;

function attach(textarea) {
  const preview = document.getElementById(textarea.dataset.mdPreview);
  const status = document.getElementById(textarea.dataset.previewStatus || "");
  const url = textarea.dataset.previewUrl;
  if (!preview || !url) return;
  let timer = 0;
  let sent = 0;

  async function refresh() {
    const ticket = ++sent;
    const body = new FormData();
    body.append("md", textarea.value);
    try {
      const response = await postForm(url, body);
      if (ticket !== sent) return; // a newer request is on its way
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || String(response.status));
      preview.innerHTML = data.html; // sanitized by the server (nh3 allow-list)
      preview.dataset.updated = String(ticket);
      if (status) status.textContent = "";
    } catch (error) {
      if (ticket === sent && status) {
        status.textContent = `${status.dataset.failed}（${error.message}）`;
      }
    }
  }

  textarea.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  });
}

for (const textarea of document.querySelectorAll("textarea[data-md-preview]")) {
  attach(textarea);
}
