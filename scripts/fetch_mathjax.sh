#!/usr/bin/env bash
# Vendor MathJax 3 for offline reading of the built book.
#
# Installs the npm package `mathjax` (pinned below) into the git-ignored folder _vendor/npm and copies its
# ready-made browser bundles (es5/) to _vendor/static/mathjax. _config.yml lists _vendor/static in Sphinx's
# html_static_path and points mathjax_path at mathjax/tex-mml-chtml.js, so the HTML loads MathJax from
# _build/html/_static/mathjax/ instead of a CDN. Idempotent: does nothing when the pinned version is there.
# Needs node/npm and the npm registry once; afterwards the book builds offline.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="3.2.2"
VENDOR="_vendor"
TARGET="$VENDOR/static/mathjax"
STAMP="$TARGET/.version"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION" ] && [ -f "$TARGET/tex-mml-chtml.js" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_mathjax: npm not found; install Node.js/npm (e.g. apt-get install -y npm) and rerun" >&2
  exit 1
fi
mkdir -p "$VENDOR/npm"
npm install --silent --no-audit --no-fund --no-save --prefix "$VENDOR/npm" "mathjax@$VERSION" >/dev/null
SRC="$VENDOR/npm/node_modules/mathjax"
test "$(node -p "require('./$SRC/package.json').version")" = "$VERSION"
rm -rf "$TARGET"
mkdir -p "$TARGET"
cp -R "$SRC/es5/." "$TARGET/"
cp "$SRC/LICENSE" "$TARGET/LICENSE"
echo "$VERSION" > "$STAMP"
echo "MathJax $VERSION vendored into $TARGET ($(du -sh "$TARGET" | cut -f1))"
