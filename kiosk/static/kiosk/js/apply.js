// Pages of the disclosure form: a form is sent once (a second tap while the next page loads
// does nothing; the server also gives the same application for the same form twice), and a
// refused step puts the caret in its first refused field, in view above the keyboard.
for (const form of document.querySelectorAll('.ap-form, .ap-submit-form, .ap-finish, .ap-quit')) {
  form.addEventListener('submit', (event) => {
    if (form.dataset.sent === '1') { event.preventDefault(); return; }
    form.dataset.sent = '1';
    for (const button of form.querySelectorAll('button[type="submit"]')) button.setAttribute('aria-disabled', 'true');
  });
}

const refused = document.querySelector('.ap-field-bad input:not([type=radio]), .ap-field-bad textarea');
if (refused) {
  refused.focus({ preventScroll: true });
  refused.scrollIntoView({ block: 'center' });
}
