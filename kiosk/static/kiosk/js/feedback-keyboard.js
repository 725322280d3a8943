// On-screen keyboard of the feedback pages. It types into the field (marked data-kb) that was
// touched last: "pinyin" fields compose letters into Chinese through /kiosk/ime candidates,
// "latin" fields take letters and digits (upper case), "digits" fields digits only. With this
// script the fields stop opening a system keyboard (inputmode="none"); a hardware keyboard or
// the system's dictation still types into them. The idle reset clears everything.

const board = document.getElementById('fb-keyboard');
const fields = Array.from(document.querySelectorAll('[data-kb]'));
const PAGE = 8;

if (board && fields.length) {
  const lettersBox = document.getElementById('fb-letters');
  const candidateBox = document.getElementById('fb-candidates');
  const prev = board.querySelector('[data-action="prev"]');
  const next = board.querySelector('[data-action="next"]');
  const modeKey = board.querySelector('[data-action="mode"]');
  const imeUrl = board.dataset.imeUrl;
  let target = fields[0];
  let letters = '';
  let chinese = true;
  let found = [];
  let page = 0;
  let asked = 0; // bumped on every request: a stale answer is dropped

  for (const field of fields) {
    field.setAttribute('inputmode', 'none');
    field.addEventListener('focus', () => { if (target !== field) { commitLetters(); target = field; } });
  }

  const counter = document.getElementById('fb-text-count');
  const text = document.getElementById('fb-text');
  function count() {
    if (!counter || !text) return;
    counter.textContent = counter.dataset.template.replace('{n}', String(Array.from(text.value).length));
  }

  function insert(value) {
    const field = target;
    const start = field.selectionStart === null ? field.value.length : field.selectionStart;
    const end = field.selectionEnd === null ? field.value.length : field.selectionEnd;
    const max = Number(field.getAttribute('maxlength')) || Infinity;
    if (Array.from(field.value).length - (end - start) + Array.from(value).length > max) return;
    field.value = field.value.slice(0, start) + value + field.value.slice(end);
    const caret = start + value.length;
    field.setSelectionRange(caret, caret);
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function removeBefore() {
    const field = target;
    const start = field.selectionStart === null ? field.value.length : field.selectionStart;
    const end = field.selectionEnd === null ? field.value.length : field.selectionEnd;
    if (start === end && start === 0) return;
    // One whole character back, even one outside the BMP such as 𠮷 (two UTF-16 units).
    const from = start === end ? Array.from(field.value.slice(0, start)).slice(0, -1).join('').length : start;
    field.value = field.value.slice(0, from) + field.value.slice(end);
    field.setSelectionRange(from, from);
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function kind() { return target.dataset.kb; }

  function render() {
    lettersBox.textContent = letters;
    candidateBox.replaceChildren();
    const shown = found.slice(page * PAGE, page * PAGE + PAGE);
    for (const candidate of shown) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'key fb-candidate';
      button.textContent = candidate.text;
      button.dataset.consume = String(candidate.consume);
      candidateBox.append(button);
    }
    prev.hidden = !letters || page === 0;
    next.hidden = !letters || (page + 1) * PAGE >= found.length;
  }

  async function lookUp() {
    asked += 1;
    const mine = asked;
    page = 0;
    if (!letters) { found = []; render(); return; }
    render();
    try {
      const response = await fetch(`${imeUrl}?p=${encodeURIComponent(letters)}`,
        { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(String(response.status));
      const answer = await response.json();
      if (mine !== asked) return;
      found = answer.candidates || [];
    } catch {
      if (mine !== asked) return;
      found = [];
    }
    render();
  }

  // Letters left uncomposed when the person moves on are typed as they are.
  function commitLetters() {
    if (letters) insert(letters);
    letters = '';
    found = [];
    render();
  }

  function choose(button) {
    insert(button.textContent);
    letters = letters.slice(Number(button.dataset.consume) || letters.length);
    lookUp();
  }

  function typeLetter(letter) {
    if (kind() === 'digits') return;
    if (kind() === 'latin') { insert(letter.toUpperCase()); return; }
    if (!chinese) { insert(letter); return; }
    if (letters.length >= 40) return;
    letters += letter;
    lookUp();
  }

  function action(name) {
    if (name === 'prev' && page > 0) { page -= 1; render(); }
    else if (name === 'next') { page += 1; render(); }
    else if (name === 'delete') {
      if (letters) { letters = letters.slice(0, -1); lookUp(); } else removeBefore();
    } else if (name === 'space') {
      if (letters && found.length) choose(candidateBox.firstElementChild);
      else if (letters) commitLetters();
      else if (kind() !== 'digits') insert(' ');
    } else if (name === 'enter') {
      commitLetters();
      if (target.tagName === 'TEXTAREA') insert('\n');
    } else if (name === 'mode') {
      commitLetters();
      chinese = !chinese;
      modeKey.setAttribute('aria-pressed', chinese ? 'true' : 'false');
      modeKey.textContent = chinese ? board.dataset.labelZh : board.dataset.labelEn;
    }
  }

  board.hidden = false;
  board.addEventListener('pointerdown', (event) => {
    // Keep the caret in the field: a key tap must not move focus away from it.
    if (event.target.closest('.key')) event.preventDefault();
  });
  board.addEventListener('click', (event) => {
    const key = event.target.closest('.key');
    if (!key) return;
    if (key.classList.contains('fb-candidate')) choose(key);
    else if (key.dataset.letter !== undefined) typeLetter(key.dataset.letter);
    else if (key.dataset.key !== undefined) {
      if (kind() === 'digits' && !/[0-9]/.test(key.dataset.key)) return;
      commitLetters();
      insert(key.dataset.key);
    } else if (key.dataset.action) action(key.dataset.action);
  });
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('submit', commitLetters);
  }
  if (text) { text.addEventListener('input', count); count(); }
  document.addEventListener('kiosk:reset', () => { asked += 1; letters = ''; found = []; render(); });
}
