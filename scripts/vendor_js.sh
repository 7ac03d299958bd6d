#!/usr/bin/env bash
# Vendors the browser libraries the web UI uses from the npm registry into static files (no CDN: the
# machines that run partycard have no internet). Run when upgrading; the result is committed.
#   htmx.org 2.x (BSD-2-Clause): partial page updates from HTML attributes, no page JavaScript of our own.
#   jsqr 1.x (Apache-2.0): QR decoding from camera frames for the offline verifier (/kiem-tra/) on
#   browsers without the BarcodeDetector API (Firefox, Safari, desktop Chrome).
#   axe-core 4.x (MPL-2.0): the accessibility rules the browser tests run on the main pages
#   (tests/web/test_accessibility.py); a test tool, vendored under tests/, never served.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
JSQR_VERSION="${JSQR_VERSION:-1.4.0}"
AXE_VERSION="${AXE_VERSION:-4.14.1}"
out=src/partycard/static/partycard/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null && tar xzf htmx.org-*.tgz)
mkdir -p "$out"
cp "$work/package/dist/htmx.min.js" "$out/htmx.min.js"
cp "$work/package/LICENSE" "$out/htmx.LICENSE"
echo "htmx.org $HTMX_VERSION" > "$out/VERSIONS"
echo "vendored htmx.org $HTMX_VERSION into $out"

verifier_out=src/partycard/static/verifier/vendor
(cd "$work" && rm -rf package && npm pack --silent "jsqr@$JSQR_VERSION" >/dev/null && tar xzf jsqr-*.tgz)
mkdir -p "$verifier_out"
cp "$work/package/dist/jsQR.js" "$verifier_out/jsQR.js"
cp "$work/package/LICENSE" "$verifier_out/jsQR.LICENSE"
echo "jsqr $JSQR_VERSION" > "$verifier_out/VERSIONS"
echo "vendored jsqr $JSQR_VERSION into $verifier_out"

axe_out=tests/vendor/axe-core
(cd "$work" && rm -rf package && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null && tar xzf axe-core-*.tgz)
mkdir -p "$axe_out"
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$work/package/LICENSE-3RD-PARTY.txt" "$axe_out/"
echo "axe-core $AXE_VERSION" > "$axe_out/VERSIONS"
echo "vendored axe-core $AXE_VERSION into $axe_out"
