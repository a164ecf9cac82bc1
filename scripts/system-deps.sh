#!/usr/bin/env bash
# Debian packages the tests need: Chromium (Playwright drives it; browsers cannot be downloaded
# here) and the ClamAV daemon (the scanner's clamd integration test starts a real clamd).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ] || need+=(clamav-daemon clamav)
# the model scanner's tests build .lzma (xz --format=lzma) and LZ4 frame fixtures with these tools
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v lz4 >/dev/null 2>&1 || need+=(lz4)
if [ ${#need[@]} -gt 0 ]; then
  echo "[frontier-guard] apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  # The Debian clamav-daemon package starts a system clamd/freshclam; the tests run their own.
  (systemctl stop clamav-daemon clamav-freshclam 2>/dev/null || true)
fi
