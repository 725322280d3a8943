// The annual report page: a print button (the browser's dialog; the stylesheet sets A4
// landscape). Without scripts the button stays hidden and the browser's own menu prints.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
