#!/usr/bin/env bash
# Makes the site's web font from the Noto Sans the project ships (src/partycard/printing/fonts, SIL OFL 1.1):
# regular and bold as woff2, subset to Latin and Vietnamese (Latin Extended Additional, the combining tone
# marks, đ/Đ, ơ/ư, ₫) and general punctuation, so that each is ~34 KB instead of 500 KB. The result is
# committed (src/partycard/static/partycard/fonts/); run this only to change the subset.
# Needs fontTools and brotli (pip install fonttools brotli), which partycard itself does not.
set -euo pipefail
cd "$(dirname "$0")/.."
src=src/partycard/printing/fonts
out=src/partycard/static/partycard/fonts
unicodes="U+0000-00FF,U+0102-0103,U+0110-0111,U+0128-0129,U+0131,U+0152-0153,U+0168-0169,U+01A0-01A1,\
U+01AF-01B0,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0300-0301,U+0303-0304,U+0308-0309,U+0323,U+0329,\
U+1EA0-1EF9,U+2000-206F,U+20AB,U+20AC,U+2122,U+2190-2193,U+2212,U+2215,U+FEFF,U+FFFD"
mkdir -p "$out"
for weight in Regular Bold; do
  pyftsubset "$src/NotoSans-$weight.ttf" --unicodes="$unicodes" --layout-features='*' --flavor=woff2 \
    --output-file="$out/noto-sans-${weight,,}.woff2"
done
cp "$src/OFL.txt" "$out/OFL.txt"
echo "wrote $(ls "$out")"
