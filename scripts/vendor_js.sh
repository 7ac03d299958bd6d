#!/usr/bin/env bash
# Vendors the browser libraries the web UI uses from the npm registry into static files (no CDN: the
# machines that run partycard have no internet). Run when upgrading; the result is committed.
#   htmx.org 2.x (BSD-2-Clause): partial page updates from HTML attributes, no page JavaScript of our own.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
out=src/partycard/static/partycard/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null && tar xzf htmx.org-*.tgz)
mkdir -p "$out"
cp "$work/package/dist/htmx.min.js" "$out/htmx.min.js"
cp "$work/package/LICENSE" "$out/htmx.LICENSE"
echo "htmx.org $HTMX_VERSION" > "$out/VERSIONS"
echo "vendored htmx.org $HTMX_VERSION into $out"
