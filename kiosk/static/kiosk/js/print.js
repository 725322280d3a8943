// 打印二维码 on a policy page: post the form with fetch, then ask about this job (by the token
// in its poll address) until it printed or cannot print. Without this script the form posts
// and the page comes back with a message. The idle reset and leaving the page clear it all.

const POLL_MS = 700;
const GIVE_UP_MS = 30000; // a slip that has not come out by then will not help this person

const form = document.getElementById('print-form');

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

if (form) {
  const button = form.querySelector('button[type="submit"]');
  const status = document.getElementById('print-status');
  const qrLink = document.getElementById('print-qr-link');
  let run = 0; // bumped on every new print and on reset: stale answers are ignored

  const show = (message, state) => {
    status.textContent = message;
    qrLink.hidden = state !== 'unavailable';
  };

  const finish = (message, state) => {
    show(message, state);
    button.disabled = false;
    form.removeAttribute('aria-busy');
  };

  const clear = () => {
    run += 1;
    status.textContent = '';
    qrLink.hidden = true;
    button.disabled = false;
    form.removeAttribute('aria-busy');
  };

  const unavailable = () => finish(form.dataset.unavailable, 'unavailable');

  async function poll(url, mine, started) {
    while (mine === run) {
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      if (mine !== run) return;
      if (Date.now() - started > GIVE_UP_MS) {
        unavailable();
        return;
      }
      const response = await fetch(url, { headers: { Accept: 'application/json' } });
      if (mine !== run) return;
      if (!response.ok) {
        unavailable();
        return;
      }
      const answer = await response.json();
      if (mine !== run) return;
      if (answer.state !== 'printing') {
        finish(answer.message, answer.state);
        return;
      }
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    run += 1;
    const mine = run;
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    show(form.dataset.printing, 'printing');
    try {
      const response = await fetch(form.action, {
        method: 'POST',
        body: new FormData(form),
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-CSRFToken': csrfToken() },
      });
      if (mine !== run) return;
      if (!response.ok) {
        unavailable();
        return;
      }
      const answer = await response.json();
      if (mine !== run) return;
      if (answer.state === 'printing' && answer.poll) {
        show(answer.message, 'printing');
        await poll(answer.poll, mine, Date.now());
      } else {
        finish(answer.message, answer.state);
      }
    } catch {
      if (mine === run) unavailable();
    }
  });

  document.addEventListener('kiosk:reset', clear);
  window.addEventListener('pagehide', clear);
}
