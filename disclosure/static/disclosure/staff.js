// Disclosure case page: the answer form shows only the fields its reply kind needs
// (which reason to withhold, the competent agency, where it is published). Without this
// script every field stays visible and the server still checks what each kind needs.

for (const form of document.querySelectorAll("form[data-answer-form]")) {
  const kind = form.querySelector("select[name=kind]");
  if (!kind) continue;
  const update = () => {
    for (const box of form.querySelectorAll("[data-for-kinds]")) {
      const kinds = box.dataset.forKinds.split(" ");
      box.hidden = kinds.indexOf(kind.value) < 0;
    }
  };
  kind.addEventListener("change", update);
  update();
}
