#!/usr/bin/env bash
# Runs a command with Node.js 22 or newer first on PATH (scripts/node.sh), so `npm test` works where the machine's
# node is older.
set -euo pipefail
# shellcheck source=scripts/node.sh
source "$(dirname "$0")/node.sh"
ensure_node
exec "$@"
