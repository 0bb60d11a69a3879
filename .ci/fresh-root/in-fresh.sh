#!/usr/bin/env bash
# in-fresh.sh NS ROOT COMMAND: COMMAND in the clone /root/salesagent of the Debian root ROOT, in
# the network namespace NS, with a clean environment plus the machine's CA variables.
NS=$1 ROOT=$2; shift 2
exec ip netns exec "$NS" chroot "$ROOT" env -i HOME=/root \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt PIP_DEFAULT_TIMEOUT=180 \
  bash -c "cd /root/salesagent && $*"
