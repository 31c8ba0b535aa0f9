#!/usr/bin/env bash
# Install the machine packages cxoffice's set-up needs, only those that are missing.
#   scripts/system_deps.sh gettext postgresql chromium
# Debian/Ubuntu with apt-get; needs root (or sudo) when something is missing.
set -euo pipefail

missing=()
for need in "$@"; do
  case "$need" in
    gettext)    command -v msgfmt >/dev/null 2>&1 || missing+=(gettext) ;;
    postgresql) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 \
                  || missing+=(postgresql) ;;
    chromium)   [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    redis)      command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) ;;
    *) echo "system_deps: unknown need '$need'" >&2; exit 2 ;;
  esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing system packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
