// The kiosk's on-screen keyboard (kiosk/_keyboard.html). It types into the field marked data-kb
// that was touched last: "pinyin" fields compose letters into Chinese through /kiosk/ime
// candidates (a page at a time, more fetched on "›"), "latin" fields take upper-case letters
// and digits (and "- . @ _"), "digits" fields digits only, "email" fields lower-case letters,
// digits and the symbols of an address. With this script the fields stop opening a system on-screen keyboard
// (inputmode="none"), but a physical keyboard and the system's input method still type into
// them: the board never cancels their keys, and hands over any letters it was composing.
// A field may name a counter (data-count="<id>", with data-template "… {n} …").

const board = document.getElementById('kb');
const fields = Array.from(document.querySelectorAll('[data-kb]'));
const PAGE = 8;
const FETCH = 40;

if (board && fields.length) {
  const lettersBox = document.getElementById('kb-letters');
  const candidateBox = document.getElementById('kb-candidates');
  const prev = board.querySelector('[data-action="prev"]');
  const next = board.querySelector('[data-action="next"]');
  const modeKey = board.querySelector('[data-action="mode"]');
  const punct = board.querySelector('.kb-punct');
  const symbols = board.querySelector('.kb-symbols');
  const imeUrl = board.dataset.imeUrl;
  // A field touched before this (deferred) script ran is the target already.
  let target = fields.includes(document.activeElement) ? document.activeElement : fields[0];
  let letters = '';
  let chinese = true;
  let found = [];
  let more = false;
  let page = 0;
  let pending = false;
  let asked = 0; // bumped on every request: a stale answer is dropped

  function kind() { return target.dataset.kb; }

  // Chinese punctuation for Chinese; "@ . - _" for addresses, codes and numbers.
  function showRows() {
    const ascii = kind() === 'email' || kind() === 'latin';
    punct.hidden = ascii;
    symbols.hidden = !ascii;
  }

  function count(field) {
    const counter = field.dataset.count && document.getElementById(field.dataset.count);
    if (!counter) return;
    counter.textContent = counter.dataset.template.replace('{n}', String(Array.from(field.value).length));
  }

  // The docked board must not hide the field being typed into.
  function keepInView(field) {
    const top = board.getBoundingClientRect().top;
    const box = field.getBoundingClientRect();
    if (box.bottom > top - 16) window.scrollBy(0, box.bottom - top + 48);
  }

  for (const field of fields) {
    field.setAttribute('inputmode', 'none');
    field.addEventListener('focus', () => {
      if (target !== field) { commitLetters(); target = field; showRows(); }
      keepInView(field);
    });
    // A physical key or the system's input method takes over: letters being composed here
    // are typed as they are first, so nothing is lost or reordered.
    field.addEventListener('keydown', () => { if (letters) commitLetters(); });
    field.addEventListener('compositionstart', () => { if (letters) commitLetters(); });
    field.addEventListener('input', () => count(field));
    count(field);
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

  function render() {
    lettersBox.textContent = pending && letters ? `${letters} · ${board.dataset.preparing}` : letters;
    candidateBox.replaceChildren();
    for (const candidate of found.slice(page * PAGE, page * PAGE + PAGE)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'key kb-candidate';
      button.textContent = candidate.text;
      button.dataset.consume = String(candidate.consume);
      candidateBox.append(button);
    }
    prev.hidden = !letters || page === 0;
    next.hidden = !letters || ((page + 1) * PAGE >= found.length && !more);
  }

  async function fetchPage(offset) {
    const query = `p=${encodeURIComponent(letters)}&offset=${offset}&limit=${FETCH}`;
    const response = await fetch(`${imeUrl}?${query}`, { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // The first answer for these letters; while the server still builds its index it says
  // "pending" and we ask again shortly.
  async function lookUp() {
    asked += 1;
    const mine = asked;
    page = 0;
    more = false;
    if (!letters) { found = []; pending = false; answered(''); return; }
    found = [];
    candidateBox.setAttribute('aria-busy', 'true');
    render();
    try {
      const answer = await fetchPage(0);
      if (mine !== asked) return;
      pending = Boolean(answer.pending);
      found = answer.candidates || [];
      more = Boolean(answer.more);
      if (pending) { window.setTimeout(() => { if (mine === asked) lookUp(); }, 500); render(); return; }
    } catch {
      if (mine !== asked) return;
      found = [];
      pending = false;
    }
    answered(letters);
  }

  // The candidates shown are those of these letters (data-for; tests and assistive tech
  // can tell a finished answer from one still on its way).
  function answered(forLetters) {
    candidateBox.setAttribute('aria-busy', 'false');
    candidateBox.dataset.for = forLetters;
    render();
  }

  async function nextPage() {
    if ((page + 1) * PAGE >= found.length && more) {
      const mine = asked;
      try {
        const answer = await fetchPage(found.length);
        if (mine !== asked) return;
        found = found.concat(answer.candidates || []);
        more = Boolean(answer.more);
      } catch {
        more = false;
      }
    }
    if ((page + 1) * PAGE < found.length) page += 1;
    render();
  }

  // Letters left uncomposed when the person moves on are typed as they are.
  function commitLetters() {
    if (letters) {
      const typed = letters;
      letters = '';
      insert(typed);
    }
    asked += 1;
    found = [];
    more = false;
    pending = false;
    answered('');
  }

  function choose(button) {
    insert(button.textContent);
    letters = letters.slice(Number(button.dataset.consume) || letters.length);
    lookUp();
  }

  function typeLetter(letter) {
    if (kind() === 'digits') return;
    if (kind() === 'latin') { insert(letter.toUpperCase()); return; }
    if (kind() === 'email' || !chinese) { insert(letter); return; }
    if (letters.length >= 40) return;
    letters += letter;
    lookUp();
  }

  function action(name) {
    if (name === 'prev' && page > 0) { page -= 1; render(); }
    else if (name === 'next') { nextPage(); }
    else if (name === 'delete') {
      if (letters) { letters = letters.slice(0, -1); lookUp(); } else removeBefore();
    } else if (name === 'space') {
      if (letters && found.length) choose(candidateBox.firstElementChild);
      else if (letters) commitLetters();
      else if (kind() === 'pinyin') insert(' ');
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
  showRows();
  board.addEventListener('pointerdown', (event) => {
    // Keep the caret in the field: a key tap must not move focus away from it.
    if (event.target.closest('.key')) event.preventDefault();
  });
  board.addEventListener('click', (event) => {
    const key = event.target.closest('.key');
    if (!key) return;
    if (key.classList.contains('kb-candidate')) choose(key);
    else if (key.dataset.letter !== undefined) typeLetter(key.dataset.letter);
    else if (key.dataset.key !== undefined) {
      if (kind() === 'digits' && !/^[0-9]$/.test(key.dataset.key)) return;
      commitLetters();
      insert(key.dataset.key);
    } else if (key.dataset.action) action(key.dataset.action);
  });
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('submit', commitLetters);
  }
  document.addEventListener('kiosk:reset', () => { asked += 1; letters = ''; found = []; render(); });
}
