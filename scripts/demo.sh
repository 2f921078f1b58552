#!/usr/bin/env bash
# npm run demo: installs dependencies when needed, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node.js 22 or newer: the machine's, else a pinned build into .cache/node.
source scripts/node.sh
ensure_node
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund
fi
exec npx tsx scripts/demo.ts "$@"
