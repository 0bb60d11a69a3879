#!/usr/bin/env bash
# netns-up.sh NS N ROOT: a network namespace NS for the Debian root ROOT with its own loopback
# (the host's PostgreSQL on 127.0.0.1:5432 is not there), a veth pair to the host at
# 10.213.N.1/30 and NAT, so that apt and PyPI stay reachable; /proc, /sys, /dev bound into ROOT.
set -euxo pipefail
NS=$1 N=$2 ROOT=$3
ip netns add "$NS"
ip link add "$NS-h" type veth peer name "$NS-n"
ip link set "$NS-n" netns "$NS"
ip addr add "10.213.$N.1/30" dev "$NS-h"
ip link set "$NS-h" up
ip netns exec "$NS" ip addr add "10.213.$N.2/30" dev "$NS-n"
ip netns exec "$NS" ip link set "$NS-n" up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip route add default via "10.213.$N.1"
sysctl -qw net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s "10.213.$N.0/30" -o eth0 -j MASQUERADE
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The workplace's TLS egress CA, which every machine here trusts (not the project's business).
cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
chroot "$ROOT" update-ca-certificates >/dev/null
for d in proc sys dev dev/pts; do mountpoint -q "$ROOT/$d" || mount --bind "/$d" "$ROOT/$d"; done
