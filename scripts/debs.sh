#!/usr/bin/env bash
# Install the Debian packages given as arguments when some are missing: as root, with sudo when
# it needs no password, or else say what to run. Plaudit still runs without them (certificates
# fall back to the fonts bundled with Typst; browser tests are skipped with that reason).
set -euo pipefail
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "note: not a Debian system; install ${missing[*]} (or equivalents) yourself" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "note: run 'sudo apt-get install ${missing[*]}' for certificate fonts and browser tests" >&2
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { "${run[@]}" apt-get update -qq && "${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
