// Kiosk frame: the 返回 (back) button. The idle reset lives in /static/hall/hall/idle.js.

// No browser menu on a long press (copy, print, inspect…) and no zoom by a touchpad pinch or
// Ctrl+wheel; touch pinch is off by touch-action in kiosk.css and by Chromium's --disable-pinch.
document.addEventListener("contextmenu", (event) => event.preventDefault());
document.addEventListener("wheel", (event) => {
  if (event.ctrlKey) event.preventDefault();
}, { passive: false });

// 返回: go back in history when we came from this site, else follow the link's parent page.
for (const link of document.querySelectorAll("a[data-back]")) {
  link.addEventListener("click", (event) => {
    let sameSite = false;
    try { sameSite = new URL(document.referrer).origin === window.location.origin; } catch { /* none */ }
    if (sameSite && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
}
