#!/usr/bin/env bash
# Builds the embed example sites with the real tools, one line per site:
#   examples/astro (Astro 5, npm)   → build/examples/astro/
#   examples/hugo  (Debian's hugo)  → build/examples/hugo/
#
# Environment:
#   SALIENT_HOST          the Salient server the snippet points at (default http://127.0.0.1:8787,
#                         the dev server); given to Astro as PUBLIC_SALIENT_HOST and to Hugo as
#                         HUGO_PARAMS_SALIENT_HOST
#   SALIENT_EXAMPLES_OUT  where the sites go (default build/examples); each build log is kept
#                         beside its site as <site>.log
#
# npm installs examples/astro's packages only when its node_modules is missing or older than its
# package-lock.json (the same test scripts/bootstrap makes for the root), with
# `npm install --no-save`, the locked versions, lock file untouched. Not `npm ci`: npm 11's ci
# insists that the lock lists every platform's optional rollup binary, and the registry mirror
# these machines use has only the Linux ones, so a lock made here cannot list them all.
# hugo and npm are installed by scripts/bootstrap; a missing one is an error, not a skip.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
host=${SALIENT_HOST:-http://127.0.0.1:8787}
out=${SALIENT_EXAMPLES_OUT:-$root/build/examples}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export ASTRO_TELEMETRY_DISABLED=1

fail() {  # message [log]
  echo "build-examples: $1" >&2
  if [[ -n ${2:-} && -s $2 ]]; then
    echo "---- last lines of $2 ----" >&2
    tail -n 40 "$2" >&2
  fi
  exit 1
}
# Runs a command with its output appended to a log.
logged() { local log=$1; shift; echo "+ $*" >>"$log"; "$@" >>"$log" 2>&1; }
seconds() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
shown() { local p=${1#"$root"/}; echo "$p"; }

command -v npm >/dev/null || fail "npm is missing: install Node.js >= 20.3 (see ./scripts/bootstrap)"
command -v hugo >/dev/null || fail "hugo is missing: run ./scripts/bootstrap (it installs Debian's hugo package)"

# --- Astro --------------------------------------------------------------------------------------
site=$root/examples/astro
log=$out/astro.log
: >"$log"
start=$(date +%s.%N)
installed=""
# npm writes node_modules/.package-lock.json last, so an interrupted install is redone.
if [[ ! -f $site/node_modules/.package-lock.json || $site/package-lock.json -nt $site/node_modules/.package-lock.json ]]; then
  logged "$log" npm install --prefix "$site" --no-save --no-audit --no-fund ||
    fail "npm install in examples/astro failed" "$log"
  installed=" after npm install"
fi
rm -rf "$out/astro"
PUBLIC_SALIENT_HOST=$host logged "$log" npm run build --prefix "$site" -- --outDir "$out/astro" ||
  fail "astro build failed" "$log"
[[ -f $out/astro/index.html ]] || fail "astro build made no index.html" "$log"
echo "build-examples: astro → $(shown "$out/astro") ($(seconds "$start") s$installed; astro $(node -p 'require(process.argv[1]).version' "$site/node_modules/astro/package.json"))"

# --- Hugo ---------------------------------------------------------------------------------------
site=$root/examples/hugo
log=$out/hugo.log
: >"$log"
start=$(date +%s.%N)
rm -rf "$out/hugo"
HUGO_PARAMS_SALIENT_HOST=$host logged "$log" hugo --source "$site" --destination "$out/hugo" \
  --baseURL http://localhost:1313/ || fail "hugo build failed" "$log"
[[ -f $out/hugo/index.html ]] || fail "hugo build made no index.html" "$log"
echo "build-examples: hugo → $(shown "$out/hugo") ($(seconds "$start") s; $(hugo version | awk '{print $1, $2}'))"
