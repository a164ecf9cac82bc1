#!/usr/bin/env bash
# PostgreSQL 15 on 127.0.0.1:5432 (trust auth) is part of this kind of machine; start it if stopped.
set -euo pipefail
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then exit 0; fi
echo "[frontier-guard] starting PostgreSQL" >&2
pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && exit 0
  sleep 1
done
echo "[frontier-guard] PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 1
