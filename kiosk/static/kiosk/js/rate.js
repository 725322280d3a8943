// 服务评价: the ticket-number pad (kiosk) and the rating form (kiosk, counter-facing page,
// phone). The form shows the reasons that fit the chosen grade; the server checks everything
// again. Written as ES2017 so older tablets at the counters run it too.

const MAX_NUMBER = 8;

/** Show the reasons of the chosen grade's group (差评: what to improve), hide the others. */
export function initRateForm(form) {
  if (form.dataset.ready === "1") return;
  form.dataset.ready = "1";
  const step = form.querySelector("[data-reasons]");
  const groups = form.querySelectorAll("[data-group]");
  const after = form.querySelectorAll("[data-after-grade]");

  function update() {
    const checked = form.querySelector("input[name=score]:checked");
    const score = checked ? Number(checked.value) : 0;
    let group = "";
    if (score) group = score <= 2 ? "bad" : "good";
    if (step) step.hidden = !group;
    for (const fieldset of groups) {
      const on = fieldset.dataset.group === group;
      fieldset.hidden = !on;
      fieldset.disabled = !on;
      if (!on) {
        for (const box of fieldset.querySelectorAll("input")) box.checked = false;
      }
    }
    for (const element of after) element.hidden = !group;
  }

  form.addEventListener("change", update);
  // A reset (new citizen) changes the inputs without "change" events.
  form.addEventListener("reset", () => { window.setTimeout(update, 0); });
  update();
}

function initPad(form) {
  const input = form.querySelector("#number");
  const pad = form.querySelector("[data-pad]");
  if (!input || !pad) return;
  pad.hidden = false;
  // Keep the focus (and any OS keyboard) away: the pad is the keyboard.
  pad.addEventListener("pointerdown", (event) => {
    if (event.target.closest(".key")) event.preventDefault();
  });
  pad.addEventListener("click", (event) => {
    const key = event.target.closest(".key");
    if (!key) return;
    if (key.dataset.key !== undefined) {
      if (input.value.length < MAX_NUMBER) input.value += key.dataset.key;
    } else if (key.dataset.action === "delete") {
      input.value = input.value.slice(0, -1);
    } else if (key.dataset.action === "clear") {
      input.value = "";
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  input.addEventListener("input", () => {
    const clean = input.value.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, MAX_NUMBER);
    if (clean !== input.value) input.value = clean;
  });
}

for (const form of document.querySelectorAll("form[data-rate-form]")) initRateForm(form);
const numberForm = document.getElementById("rate-number");
if (numberForm) initPad(numberForm);
