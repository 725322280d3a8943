// Read-aloud (朗读) for kiosk articles: an on/off button reads the target's paragraphs in order.
//
// Markup: <button type="button" class="readaloud" data-readaloud-target="#article-body"
//          aria-pressed="false">朗读</button>
// Optional data attributes on the button (so the template can translate them):
//   data-label-off    label while off (default: the button's text, else 朗读)
//   data-label-on     label while reading (default 停止朗读)
//   data-unavailable  message when no speech is possible (default 本机暂不支持朗读…)
//   data-speech-url   server TTS endpoint (default /kiosk/speech)
// A browser voice for Chinese is used when there is one; otherwise each piece of text is
// spoken by the server (espeak-ng) as a WAV, the next piece fetched while this one plays.
// Reading stops on a second tap, when the page is hidden, and on the kiosk's idle reset
// (a `kiosk:reset` event on document). Each new piece dispatches `kiosk:activity` on
// document, so an idle timer may treat listening as use.

const BLOCKS = 'p, h1, h2, h3, h4, h5, h6, li, blockquote, dt, dd, th, td, figcaption, pre';
const MAX_PIECE = 300; // characters; the server accepts at most 1,000
const DEFAULTS = {
  off: '朗读',
  on: '停止朗读',
  unavailable: '本机暂不支持朗读，如需帮助请联系工作人员。',
  url: '/kiosk/speech',
};

let styled = false;

/** The session's CSRF token from the page's meta tag (the server refuses POSTs without it). */
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

// The highlight lives in a constructed stylesheet (allowed by the CSP, unlike style="…"),
// with :where() so the kiosk's own CSS can restyle it. Outline plus a marker: not colour only.
function addStyles() {
  if (styled || !('adoptedStyleSheets' in document)) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`
    :where(.reading) { outline: 4px solid currentColor; outline-offset: 6px;
                       border-radius: 2px; scroll-margin: 25vh 0; }
    :where(.reading)::before { content: "▶ " / ""; }
    :where(.readaloud-status:empty) { display: none; }
  `);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

const CJK = '\\p{Script=Han}\\u3000-\\u303f\\uff00-\\uffef';
const SOURCE_BREAK = new RegExp(`(?<=[${CJK}]) (?=[${CJK}])`, 'gu');

// Collapse the HTML source's line breaks; between Chinese characters they are no pause at all.
export function readable(text) {
  return text.replace(/[ \t\r\n]+/g, ' ').replace(SOURCE_BREAK, '').trim();
}

// Leaf blocks of the target, in document order, with their readable text.
export function paragraphs(target) {
  const blocks = [...target.querySelectorAll(BLOCKS)].filter(
    (el) => !el.querySelector(BLOCKS) && !el.closest('[hidden], [aria-hidden="true"]'),
  );
  const list = blocks.length ? blocks : [target];
  return list
    .map((el) => ({ el, text: readable(el.textContent) }))
    .filter((item) => /[\p{L}\p{N}]/u.test(item.text));
}

// Split long text after 。！？； (and their ASCII twins) into pieces of at most MAX_PIECE.
export function pieces(text) {
  const sentences = text.split(/(?<=[。！？；!?;])/u).map((s) => s.trim()).filter(Boolean);
  const out = [];
  let current = '';
  for (const sentence of sentences) {
    if (current && current.length + sentence.length > MAX_PIECE) {
      out.push(current);
      current = '';
    }
    current += sentence;
    while (current.length > MAX_PIECE) {
      out.push(current.slice(0, MAX_PIECE));
      current = current.slice(MAX_PIECE);
    }
  }
  if (current) out.push(current);
  return out;
}

async function chineseVoice() {
  if (!('speechSynthesis' in window)) return null;
  let voices = speechSynthesis.getVoices();
  if (!voices.length) {
    // Chromium fills the list asynchronously; wait briefly, not forever.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 400);
      speechSynthesis.addEventListener('voiceschanged', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    voices = speechSynthesis.getVoices();
  }
  return voices.find((v) => /^(zh|cmn)([-_]|$)/i.test(v.lang)) || null;
}

class SpeechUnavailable extends Error {}

class Reader {
  constructor(button) {
    this.button = button;
    this.target = document.querySelector(button.dataset.readaloudTarget);
    this.labels = {
      off: button.dataset.labelOff || button.textContent.trim() || DEFAULTS.off,
      on: button.dataset.labelOn || DEFAULTS.on,
    };
    this.unavailable = button.dataset.unavailable || DEFAULTS.unavailable;
    this.url = button.dataset.speechUrl || DEFAULTS.url;
    this.run = 0; // bumped on every start/stop: stale callbacks see a different number
    this.audio = null;
    this.urls = [];
    this.status = document.createElement('p');
    this.status.className = 'readaloud-status';
    this.status.setAttribute('role', 'status');
    button.insertAdjacentElement('afterend', this.status);
    this.render(false);
    button.addEventListener('click', () => (this.active ? this.stop() : this.start()));
  }

  get active() {
    return this.button.getAttribute('aria-pressed') === 'true';
  }

  render(on) {
    this.button.setAttribute('aria-pressed', on ? 'true' : 'false');
    this.button.textContent = on ? this.labels.on : this.labels.off;
  }

  async start() {
    for (const other of readers) if (other !== this && other.active) other.stop();
    const run = ++this.run;
    this.render(true);
    this.status.textContent = '';
    const items = this.target ? paragraphs(this.target) : [];
    const queue = items.flatMap(({ el, text }) => pieces(text).map((piece) => ({ el, piece })));
    try {
      const voice = await chineseVoice();
      if (run !== this.run) return;
      if (voice) await this.speakWithBrowser(queue, voice, run);
      else await this.speakWithServer(queue, run);
    } catch (error) {
      if (run !== this.run) return;
      this.status.textContent = error instanceof SpeechUnavailable && error.message
        ? error.message : this.unavailable;
    }
    if (run === this.run) this.stop();
  }

  stop() {
    this.run += 1;
    if ('speechSynthesis' in window) speechSynthesis.cancel();
    if (this.audio) {
      this.audio.pause();
      this.audio.removeAttribute('src');
      this.audio.load();
      this.audio = null;
    }
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    this.highlight(null);
    this.render(false);
  }

  highlight(el) {
    for (const old of document.querySelectorAll('.reading')) {
      if (old !== el) old.classList.remove('reading');
    }
    if (!el || el.classList.contains('reading')) return;
    el.classList.add('reading');
    const calm = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    el.scrollIntoView({ block: 'center', behavior: calm ? 'auto' : 'smooth' });
  }

  speakWithBrowser(queue, voice, run) {
    return queue.reduce((previous, { el, piece }) => previous.then(() => {
      if (run !== this.run) return undefined;
      this.highlight(el);
      document.dispatchEvent(new CustomEvent('kiosk:activity'));
      return new Promise((resolve, reject) => {
        const utterance = new SpeechSynthesisUtterance(piece);
        utterance.voice = voice;
        utterance.lang = voice.lang;
        utterance.rate = 0.9;
        utterance.onend = resolve;
        utterance.onerror = (event) => (event.error === 'interrupted' || event.error === 'canceled'
          ? resolve() : reject(new SpeechUnavailable('')));
        speechSynthesis.speak(utterance);
      });
    }), Promise.resolve());
  }

  async fetchWav(piece) {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify({ text: piece }),
    });
    const type = response.headers.get('Content-Type') || '';
    if (!response.ok || !type.startsWith('audio/')) {
      let message = '';
      if (type.includes('json')) message = (await response.json().catch(() => ({}))).error || '';
      throw new SpeechUnavailable(response.status === 400 ? '' : message);
    }
    // arrayBuffer (not blob) keeps the body visible to DevTools and test tools.
    const url = URL.createObjectURL(new Blob([await response.arrayBuffer()], { type }));
    this.urls.push(url);
    return url;
  }

  async speakWithServer(queue, run) {
    if (!queue.length) return;
    const pending = new Map();
    const wav = (i) => {
      if (!pending.has(i)) {
        const promise = this.fetchWav(queue[i].piece);
        promise.catch(() => {}); // handled when awaited; avoids an unhandled rejection
        pending.set(i, promise);
      }
      return pending.get(i);
    };
    for (let i = 0; i < queue.length; i += 1) {
      this.highlight(queue[i].el);
      document.dispatchEvent(new CustomEvent('kiosk:activity'));
      const url = await wav(i);
      if (run !== this.run) return;
      if (i + 1 < queue.length) wav(i + 1); // prefetch while this one plays
      await this.play(url, run);
      if (run !== this.run) return;
    }
  }

  play(url, run) {
    return new Promise((resolve, reject) => {
      const audio = this.audio || new Audio();
      this.audio = audio;
      audio.onended = () => resolve();
      audio.onerror = () => (run === this.run ? reject(new SpeechUnavailable('')) : resolve());
      audio.src = url;
      audio.play().catch((error) => {
        if (run !== this.run || error.name === 'AbortError') resolve();
        else reject(new SpeechUnavailable(''));
      });
    });
  }
}

const readers = [];

function stopAll() {
  for (const reader of readers) if (reader.active) reader.stop();
}

export function init(root = document) {
  const buttons = root.querySelectorAll('button.readaloud[data-readaloud-target]');
  if (buttons.length) addStyles();
  for (const button of buttons) {
    if (button.dataset.readaloudReady) continue;
    button.dataset.readaloudReady = '1';
    readers.push(new Reader(button));
  }
}

document.addEventListener('kiosk:reset', stopAll);
window.addEventListener('pagehide', stopAll);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') stopAll();
});

init();
