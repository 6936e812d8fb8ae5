#!/bin/sh
# Container entrypoint for Herd.
#
# Before serving it runs `herd check` with the same arguments, so a bad
# setting (say HERD_WORKERS=abc) stops the container at once with exit code 2
# and one line per problem, instead of a server that fails later or a pod in
# a restart loop with the reason buried in its logs. Then it replaces itself
# with Herd (`exec`), so the orchestrator's SIGTERM reaches Herd's master
# directly and it drains.
#
#   HERD_BIN   path of the Herd binary (default /app/herd); tests point it
#              at a wrapper that runs `deno run -A main.ts`.
#
# Usage: entrypoint.sh [COMMAND] [ARGS...]    (the image's CMD is "serve")
set -eu

herd_bin="${HERD_BIN:-/app/herd}"
# Herd reads every HERD_* variable as a setting and would warn about this one.
unset HERD_BIN

if [ ! -x "$herd_bin" ]; then
  echo "error: Herd binary \"$herd_bin\" is missing or not executable; set HERD_BIN" >&2
  exit 2
fi

case "${1:-serve}" in
  serve)
    if [ "$#" -gt 0 ]; then shift; fi
    "$herd_bin" check "$@" || exit "$?"
    exec "$herd_bin" serve "$@"
    ;;
  check | config | status | reopen-logs | help | -h | --help | -V | --version)
    # Commands that start no server: nothing to check first.
    exec "$herd_bin" "$@"
    ;;
  *)
    # An app path or options without a command: Herd's default is serve.
    "$herd_bin" check "$@" || exit "$?"
    exec "$herd_bin" "$@"
    ;;
esac
