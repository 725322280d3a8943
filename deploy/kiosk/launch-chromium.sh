#!/bin/sh
# gongkai: start Chromium full screen on one page of the hall, for a kiosk or a lobby screen.
#
#   launch-chromium.sh URL            e.g. http://192.168.1.10:5000/kiosk/
#                                          http://192.168.1.10:5000/screens/lobby
#
# Used by deploy/systemd/gongkai-kiosk.service and gongkai-screen@.service (Restart=always
# brings Chromium back whenever it exits). Environment:
#   CHROMIUM               the browser [first found of chromium, chromium-browser, google-chrome]
#   CHROMIUM_EXTRA_FLAGS   more flags, e.g. "--window-position=1920,0" for a second display
#   GONGKAI_WAIT_SECONDS   wait this long for the server's /healthz before starting [120; 0: no]
#
# What the flags do: full screen without browser chrome (--kiosk), no pinch zoom, no swipe
# back/forward (overscroll and touchpad history navigation), no translate bar, no "restore
# pages?" bubble or error dialogs, no first-run and keyring prompts, sound without a tap (the
# lobby screens speak each call). Each start gets a new, empty profile that is deleted on exit:
# nothing a citizen typed survives a restart, and no crash state is ever restored.
set -eu

URL=${1:?usage: launch-chromium.sh URL}

if [ -z "${CHROMIUM:-}" ]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then CHROMIUM=$candidate; break; fi
  done
fi
if [ -z "${CHROMIUM:-}" ]; then
  echo "launch-chromium: no Chromium found (apt-get install chromium, or set CHROMIUM)" >&2
  exit 1
fi

# Wait for the server, so the first page is the hall and not an error page.
WAIT=${GONGKAI_WAIT_SECONDS:-120}
HEALTH=$(printf '%s' "$URL" | sed -E 's#^(https?://[^/]+).*#\1#')/healthz
if [ "$WAIT" -gt 0 ] && command -v curl >/dev/null 2>&1; then
  waited=0
  until curl -fsS -o /dev/null --max-time 2 "$HEALTH" 2>/dev/null; do
    waited=$((waited + 1))
    if [ "$waited" -ge "$WAIT" ]; then
      echo "launch-chromium: $HEALTH not answering after ${WAIT}s, starting anyway" >&2
      break
    fi
    sleep 1
  done
fi

# Never blank the screen or start a screensaver (X11; Wayland compositors have their own).
if [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
  xset s off s noblank -dpms 2>/dev/null || true
fi

PROFILE=$(mktemp -d "${TMPDIR:-/tmp}/gongkai-chromium.XXXXXX")
child=
cleanup() {
  if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  rm -rf "$PROFILE"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# shellcheck disable=SC2086  # CHROMIUM_EXTRA_FLAGS is a list of flags on purpose
"$CHROMIUM" \
  --kiosk \
  --user-data-dir="$PROFILE" \
  --no-first-run \
  --no-default-browser-check \
  --noerrdialogs \
  --disable-infobars \
  --disable-session-crashed-bubble \
  --hide-crash-restore-bubble \
  --disable-pinch \
  --overscroll-history-navigation=0 \
  --disable-features=TouchpadOverscrollHistoryNavigation,Translate \
  --autoplay-policy=no-user-gesture-required \
  --password-store=basic \
  --disable-background-networking \
  --disable-component-update \
  --check-for-update-interval=31536000 \
  ${CHROMIUM_EXTRA_FLAGS:-} \
  "$URL" &
child=$!
status=0
wait "$child" || status=$?
child=
exit "$status"
