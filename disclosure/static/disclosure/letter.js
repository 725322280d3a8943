// The reply letter: the print button (the browser's print dialog also saves a PDF).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
