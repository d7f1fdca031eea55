#!/usr/bin/env bash
# Installs what Qingliu needs on Debian 12 with Node 20, then builds it.
# Safe to run again: it installs only what is missing.
#
# Each Debian package is named explicitly (apt runs with --no-install-recommends,
# so nothing arrives as a recommendation) and probed by exactly what the demo
# and the tests use: binaries by their real path, Python modules by the import
# the tests make. After installing, every probe runs again; a probe that still
# fails stops the script with the package's name.
#
#   npm packages: from package-lock.json (npm ci), only when the lock file changed
set -euo pipefail
cd "$(dirname "$0")/.."

# package | probe (a shell command that succeeds when the package is usable) | who needs it
PROBES=(
  'influxdb|test -x /usr/bin/influxd|InfluxDB 1.x server: demo, cloud store tests'
  'influxdb-client|test -x /usr/bin/influx|the `influx` CLI the demo prints'
  'mosquitto|test -x /usr/sbin/mosquitto && test -x /usr/bin/mosquitto_passwd|external broker tests, password files'
  'mosquitto-clients|test -x /usr/bin/mosquitto_sub && test -x /usr/bin/mosquitto_pub|the `mosquitto_sub` line the demo prints'
  'openssl|test -x /usr/bin/openssl|test TLS certificates'
  'socat|test -x /usr/bin/socat|virtual serial lines for the Modbus RTU tests'
  'mbpoll|test -x /usr/bin/mbpoll|an independent Modbus client in the edge tests'
  'python3-serial|/usr/bin/python3 -c "import serial"|pymodbus serial transport'
  'python3-serial-asyncio|/usr/bin/python3 -c "import serial_asyncio"|pymodbus serial server (only recommended by python3-pymodbus)'
  'python3-pymodbus|/usr/bin/python3 -c "import pymodbus.server.async_io, pymodbus.framer.rtu_framer"|the independent Modbus server in the edge tests'
  'chromium|test -x /usr/bin/chromium|dashboard tests (playwright-core)'
  'fonts-wqy-microhei|test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc|Chinese text in the dashboards'
)

probe() { bash -c "$1" >/dev/null 2>&1; }

missing=()
for entry in "${PROBES[@]}"; do
  IFS='|' read -r package check _ <<<"$entry"
  probe "$check" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  echo "install.sh: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Self-check: every probe again, after the install.
failed=0
for entry in "${PROBES[@]}"; do
  IFS='|' read -r package check why <<<"$entry"
  if ! probe "$check"; then
    echo "install.sh: Debian package $package is missing or broken ($why); probe failed: $check" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo 'install.sh: installing npm packages (npm ci)'
  npm ci --no-audit --no-fund --loglevel=error
fi

echo 'install.sh: building (contracts, TypeScript)'
npm run --silent build
