// "跳到第 N 条": a number pad that scrolls the article to its art-N anchor without the OS keyboard.

const form = document.getElementById("jump");
const input = document.getElementById("jump-number");
const pad = form.querySelector(".jump-pad");
const message = form.querySelector(".jump-message");

pad.hidden = false;
pad.addEventListener("pointerdown", (event) => { if (event.target.closest(".key")) event.preventDefault(); });
pad.addEventListener("click", (event) => {
  const key = event.target.closest(".key");
  if (!key) return;
  if (key.dataset.digit !== undefined && input.value.length < 3) input.value += key.dataset.digit;
  else if (key.dataset.action === "delete") input.value = input.value.slice(0, -1);
  message.textContent = "";
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const number = Number.parseInt(input.value, 10);
  const target = Number.isNaN(number) ? null : document.getElementById(`art-${number}`);
  if (!target) {
    message.textContent = form.dataset.missing.replace("{n}", input.value || "?");
    return;
  }
  for (const old of document.querySelectorAll(".prose .target")) old.classList.remove("target");
  target.classList.add("target");
  target.scrollIntoView({ block: "start" });
  message.textContent = "";
});
