#!/usr/bin/env bash
# Remove the appliance's program and service. The data and keys stay unless
# --shred-data: then the key-encryption key is destroyed first (which makes every
# byte of the data unreadable, backups included), and the data is removed.
#
#   uninstall.sh [--prefix DIR] [--shred-data] [--no-systemd]
set -euo pipefail
PREFIX="" SHRED=0 SYSTEMD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX="${2%/}"; shift 2 ;;
        --shred-data) SHRED=1; shift ;;
        --no-systemd) SYSTEMD=0; shift ;;
        *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
OPT="$PREFIX/opt/appliance" ETC="$PREFIX/etc/appliance" DATA="$PREFIX/var/lib/appliance"
UNIT="$PREFIX/etc/systemd/system/appliance.service"
if [ "$SYSTEMD" = 1 ] && command -v systemctl >/dev/null && [ -z "$PREFIX" ]; then
    systemctl disable --now appliance 2>/dev/null || true
fi
rm -f "$UNIT"
[ "$SYSTEMD" = 1 ] && [ -z "$PREFIX" ] && systemctl daemon-reload 2>/dev/null || true
rm -rf "$OPT"
echo "removed the program ($OPT) and the service"
if [ "$SHRED" = 1 ]; then
    [ -f "$ETC/kek.key" ] && shred -u "$ETC/kek.key"
    find "$DATA" "$ETC" -type f -exec shred -u {} + 2>/dev/null || true
    rm -rf "$DATA" "$ETC" "$PREFIX/var/backups/appliance"
    echo "destroyed the key-encryption key and removed the data, settings and backups"
else
    echo "kept the data ($DATA), settings and keys ($ETC) and backups; --shred-data removes them"
fi
