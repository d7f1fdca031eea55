#!/usr/bin/env bash
# Installs what Qingliu needs on Debian 12 with Node 20, then builds it.
# Safe to run again: it installs only what is missing.
#   Debian packages: influxdb (InfluxDB 1.x server), influxdb-client (the `influx` CLI), mosquitto,
#                    python3-pymodbus, socat, mbpoll (independent Modbus peers for the edge tests),
#                    openssl (test certificates), chromium (dashboard tests, driven by playwright-core),
#                    fonts-wqy-microhei (Chinese text in the dashboards' screenshots)
#   npm packages:    from package-lock.json (npm ci), only when the lock file changed
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
have influxd || missing+=(influxdb)
have influx || missing+=(influxdb-client)
have mosquitto || missing+=(mosquitto)
have openssl || missing+=(openssl)
have socat || missing+=(socat)
have mbpoll || missing+=(mbpoll)
have chromium || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
/usr/bin/python3 -c 'import pymodbus' >/dev/null 2>&1 || missing+=(python3-pymodbus)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  echo "install.sh: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo 'install.sh: installing npm packages (npm ci)'
  npm ci --no-audit --no-fund --loglevel=error
fi

echo 'install.sh: building (contracts, TypeScript)'
npm run --silent build
