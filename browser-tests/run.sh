#!/usr/bin/env bash
# The browser tests (`test`, the default) or the README's screenshots (`screenshots DIR`): the
# pages are written by the release binary, the Explorer is served on loopback for the run, and
# Debian's Chromium (installed here if missing) is driven headless by playwright-core. `setup`
# only installs Chromium and playwright-core, which `.ci/run` does while it builds.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in
  test | screenshots | setup) ;;
  *) echo "usage: browser-tests/run.sh [test | screenshots DIR | setup]" >&2; exit 2 ;;
esac

if ! command -v chromium > /dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
(cd browser-tests && npm ci --no-audit --no-fund --loglevel=error)
[ "$mode" != setup ] || exit 0

hw=${HIGHWATER:-target/release/highwater}
work=target/browser-tests
[ -x "$hw" ] || { echo "build first: cargo build --release" >&2; exit 2; }
rm -rf "$work"
mkdir -p "$work"

# The seeded bugs' counterexamples: the gate's viewer when the caller has one (`.ci/run` does),
# else `bugs --verify`'s.
if [ -z "${HIGHWATER_VIEW_BUGS:-}" ]; then
  "$hw" bugs --verify --out "$work/bug-traces" --html "$work/bugs.html" > "$work/bugs.txt"
  HIGHWATER_VIEW_BUGS=$work/bugs.html
fi
"$hw" check --preset smoke --bug follower-serves-leo --liveness off --out "$work/explore" > /dev/null || [ $? -eq 1 ]
"$hw" trace walk --preset default --steps 600 --out "$work/long.json"
"$hw" view "$work/long.json" --out "$work/long.html"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$hw" explore --trace "$work/explore/no-read-above-hw.json" --addr "127.0.0.1:$port" > "$work/explore.txt" 2>&1 &
explorer=$!
trap 'kill "$explorer" 2> /dev/null || true' EXIT
python3 - "$port" << 'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("the Explorer did not start")
PY
url=$(grep -o 'http://[^ ]*' "$work/explore.txt" | head -1)

export HIGHWATER_VIEW_BUGS HIGHWATER_VIEW_LONG=$work/long.html HIGHWATER_EXPLORE_URL=$url
case "$mode" in
  test) node --test browser-tests/viewer.test.mjs ;;
  screenshots) node browser-tests/screenshots.mjs "${2:?screenshots DIR}" ;;
esac
