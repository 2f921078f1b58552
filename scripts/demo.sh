#!/usr/bin/env bash
# npm run demo: installs dependencies when needed, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund
fi
exec npx tsx scripts/demo.ts "$@"
