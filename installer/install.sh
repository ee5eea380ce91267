#!/usr/bin/env bash
# Install (or upgrade) the appliance from an offline bundle. Run as root, no network.
#
#   install.sh BUNDLE.tar [--public-key FILE | --trust-bundled-key] [--admin NAME]
#              [--tls-cert FILE --tls-key FILE] [--allow-net CIDR]... [--port N]
#              [--kek FILE]  (an existing key-encryption key file to use)
#              [--prefix DIR] [--no-systemd] [--python PY]
#   install.sh --upgrade BUNDLE.tar [--prefix DIR] [--no-systemd]
#
# Layout (under --prefix, default /):
#   /opt/appliance/releases/<version>/venv   the program, one virtualenv per version
#   /opt/appliance/current                   -> the release in use
#   /opt/appliance/models                    the default models (read-only)
#   /etc/appliance/appliance.toml            settings; kek.key (the key-encryption key,
#                                            0600); tls/; bundle-signing.pub.pem
#   /var/lib/appliance                       the data (0700), owned by user 'appliance'
#   /var/backups/appliance                   encrypted backups taken before upgrades
#   /etc/systemd/system/appliance.service    sandboxed unit
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "== $*"; }

BUNDLE="" PREFIX="/" PUBKEY="" TRUST_BUNDLED=0 ADMIN="admin" CERT="" TLSKEY=""
ALLOW="" PORT=8443 SYSTEMD=1 UPGRADE=0 PY="python3" DEPS_FROM="" KEK=""
while [ $# -gt 0 ]; do
    case "$1" in
        --upgrade) UPGRADE=1; shift ;;
        --prefix) PREFIX="$2"; shift 2 ;;
        --public-key) PUBKEY="$2"; shift 2 ;;
        --trust-bundled-key) TRUST_BUNDLED=1; shift ;;
        --admin) ADMIN="$2"; shift 2 ;;
        --tls-cert) CERT="$2"; shift 2 ;;
        --tls-key) TLSKEY="$2"; shift 2 ;;
        --allow-net) ALLOW="$ALLOW $2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --kek) KEK="$2"; shift 2 ;;
        --no-systemd) SYSTEMD=0; shift ;;
        --python) PY="$2"; shift 2 ;;
        # For tests and development: take the dependencies from an existing
        # site-packages instead of the bundle's wheels.
        --deps-from) DEPS_FROM="$2"; shift 2 ;;
        -*) die "unknown option $1" ;;
        *) BUNDLE="$1"; shift ;;
    esac
done
[ -n "$BUNDLE" ] && [ -f "$BUNDLE" ] || die "give the bundle file (appliance-<version>-<arch>.tar)."
PREFIX="${PREFIX%/}"
OPT="$PREFIX/opt/appliance" ETC="$PREFIX/etc/appliance" DATA="$PREFIX/var/lib/appliance"
BACKUPS="$PREFIX/var/backups/appliance" UNIT="$PREFIX/etc/systemd/system/appliance.service"
SERVICE_USER=appliance
AS_ROOT=0
if [ "$(id -u)" = 0 ] && [ -z "$PREFIX" ]; then AS_ROOT=1; fi
[ -n "$PREFIX" ] || [ "$(id -u)" = 0 ] || die "run as root (or install under --prefix DIR)."
[ -n "$PREFIX" ] && SERVICE_USER="$(id -un)"

as_service() {  # run a command as the service user with the installed settings
    if [ "$AS_ROOT" = 1 ]; then
        runuser -u "$SERVICE_USER" -- env APPLIANCE_CONFIG="$ETC/appliance.toml" HOME="$DATA" "$@"
    else
        env APPLIANCE_CONFIG="$ETC/appliance.toml" "$@"
    fi
}

# -- verify the bundle: signature over the manifest, then every file --------------
WORK=$(mktemp -d)
SERVE_PID=""  # a server health() started; never left running, whatever ends the script
stop_server() {  # the server health() started, with all it started (its llama-server)
    local pid="$1" _
    # Its own process group (setsid below): runuser, the server and its children.
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    wait "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do  # let the server stop its child itself, 20 s at most
        kill -0 -- "-$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
}
trap '[ -n "$SERVE_PID" ] && stop_server "$SERVE_PID"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
tar -C "$WORK" --no-same-owner --no-same-permissions -xf "$BUNDLE" 2>/dev/null \
    || die "$BUNDLE is not a readable bundle (tar)."
B=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'appliance-*' | head -1)
[ -n "$B" ] && [ -f "$B/MANIFEST.sha256" ] && [ -f "$B/MANIFEST.sha256.sig" ] \
    || die "$BUNDLE has no signed manifest: not an appliance bundle, refused."
if [ "$UPGRADE" = 1 ] || [ -f "$ETC/bundle-signing.pub.pem" ]; then
    TRUSTED="${PUBKEY:-$ETC/bundle-signing.pub.pem}"
elif [ -n "$PUBKEY" ]; then
    TRUSTED="$PUBKEY"
elif [ "$TRUST_BUNDLED" = 1 ]; then
    TRUSTED="$B/bundle-signing.pub.pem"
    echo "trusting the key inside the bundle; its fingerprint (compare it with the builder's):"
    openssl pkey -pubin -in "$TRUSTED" -outform DER | sha256sum | cut -c1-64
else
    die "give the builder's public key with --public-key FILE (or --trust-bundled-key after comparing fingerprints)."
fi
[ -f "$TRUSTED" ] || die "public key $TRUSTED not found."
openssl pkeyutl -verify -pubin -inkey "$TRUSTED" -rawin -in "$B/MANIFEST.sha256" \
    -sigfile "$B/MANIFEST.sha256.sig" >/dev/null 2>&1 \
    || die "the bundle's signature does not verify with $TRUSTED: it was altered or signed by someone else. Refused; nothing was installed."
(cd "$B" && sha256sum --quiet --strict -c MANIFEST.sha256 >/dev/null 2>&1) \
    || die "a file of the bundle does not match its signed checksum: the bundle was altered. Refused; nothing was installed."
ODD=$(cd "$B" && find . ! -type f ! -type d)
[ -z "$ODD" ] || die "the bundle holds links or special files ($ODD). Refused."
EXTRA=$(cd "$B" && find . -type f ! -path ./MANIFEST.sha256 ! -path ./MANIFEST.sha256.sig | sort \
    | comm -23 - <(cut -c67- MANIFEST.sha256 | sort))
[ -z "$EXTRA" ] || die "the bundle holds files its manifest does not list ($EXTRA). Refused."
VERSION=$(cat "$B/VERSION")
say "bundle $VERSION verified (signature and $(wc -l < "$B/MANIFEST.sha256") checksums)"
# Compiled parts run only on the architecture they were built for; a CUDA build needs
# NVIDIA's driver. (Bundles from before PLATFORM existed were x86_64 CPU builds.)
B_ARCH=x86_64 B_VARIANT=cpu
if [ -f "$B/PLATFORM" ]; then
    B_ARCH=$(sed -n 's/^arch=//p' "$B/PLATFORM")
    B_VARIANT=$(sed -n 's/^variant=//p' "$B/PLATFORM")
fi
[ "$B_ARCH" = "$(uname -m)" ] \
    || die "this bundle was built for $B_ARCH and this machine is $(uname -m): build the bundle on a $(uname -m) machine (installer/build-bundle.sh). Nothing was installed."
# The CPU instructions the compiled parts use (x86-64-v3 for a portable build): without
# them llama.cpp would die with "illegal instruction" at the first question.
B_CPU_FLAGS=""
[ ! -f "$B/PLATFORM" ] || B_CPU_FLAGS=$(sed -n 's/^cpu_flags=//p' "$B/PLATFORM")
MISSING=""
for flag in $B_CPU_FLAGS; do
    grep -qw -- "$flag" /proc/cpuinfo || MISSING="$MISSING $flag"
done
[ -z "$MISSING" ] \
    || die "this bundle's compiled parts use CPU instructions this machine's CPU lacks:$MISSING. Build a bundle for it (installer/build-bundle.sh on a machine like it, with LLAMA_CPU=native). Nothing was installed."
if [ "$B_VARIANT" = cuda ]; then
    { [ -e /dev/nvidiactl ] || ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; } \
        || die "this is the CUDA bundle and no NVIDIA driver was found (no /dev/nvidiactl, no libcuda.so.1): install the driver, or use the CPU bundle. Nothing was installed."
fi

# -- install the program -------------------------------------------------------------
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PY is older than Python 3.11; install python3.11 (Debian 12: python3) and pass --python."
RELEASE="$OPT/releases/$VERSION"
install_release() {
    rm -rf "$RELEASE"
    mkdir -p "$RELEASE"
    "$PY" -m venv "$RELEASE/venv"
    if [ -n "$DEPS_FROM" ]; then
        site=$("$RELEASE/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        echo "$DEPS_FROM" > "$site/appliance-deps.pth"
        "$RELEASE/venv/bin/python" -m pip install --quiet --no-index --no-deps "$B"/wheels/appliance-*.whl
    else
        "$RELEASE/venv/bin/python" -m pip install --quiet --no-index --find-links "$B/wheels" appliance
    fi
    if [ -f "$B/bin/llama-server" ]; then  # the llama-server inference backend
        install -m 0755 "$B/bin/llama-server" "$RELEASE/venv/bin/llama-server"
    fi
    cp -r "$B/docs" "$B/policies" "$RELEASE/"
    cp "$B/VERSION" "$B/sbom.cdx.json" "$RELEASE/"
}

health() {  # the service answers on /healthz within a minute
    local url="https://127.0.0.1:$PORT/healthz" pid=""
    if [ "$SYSTEMD" = 1 ]; then
        systemctl start appliance
    else
        # In a session of its own (setsid, not forked: a background job is no group
        # leader), so stop_server ends the whole group, not only the first process.
        if [ "$AS_ROOT" = 1 ]; then
            setsid runuser -u "$SERVICE_USER" -- env APPLIANCE_CONFIG="$ETC/appliance.toml" \
                HOME="$DATA" "$OPT/current/venv/bin/appliance" serve >"$WORK/serve.log" 2>&1 &
        else
            APPLIANCE_CONFIG="$ETC/appliance.toml" setsid "$OPT/current/venv/bin/appliance" \
                serve >"$WORK/serve.log" 2>&1 &
        fi
        pid=$!
        SERVE_PID=$pid
    fi
    for _ in $(seq 1 120); do
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            break  # it exited (e.g. the port is taken): what answers is not this release
        fi
        if curl -fsk --max-time 2 "$url" >/dev/null 2>&1; then
            [ -n "$pid" ] && stop_server "$pid"
            SERVE_PID=""
            return 0
        fi
        sleep 0.5
    done
    [ -n "$pid" ] && { stop_server "$pid"; cat "$WORK/serve.log" >&2; }
    SERVE_PID=""
    return 1
}

if [ "$UPGRADE" = 1 ]; then
    [ -L "$OPT/current" ] || die "no installed appliance under $OPT to upgrade."
    OLD=$(readlink "$OPT/current")
    [ "$OLD" != "$RELEASE" ] || die "version $VERSION is installed already."
    OLD_VERSION=$(basename "$OLD")
    if [ "$(printf '%s\n%s\n' "$OLD_VERSION" "$VERSION" | sort -V | tail -1)" != "$VERSION" ]; then
        die "$VERSION is older than the installed $OLD_VERSION; a downgrade is refused (restore a backup instead)."
    fi
    INSTALLED_PORT=$(sed -n 's/^port = \([0-9][0-9]*\)$/\1/p' "$ETC/appliance.toml")
    PORT="${INSTALLED_PORT:-$PORT}"
    say "installing $VERSION beside $(basename "$OLD")"
    install_release
    [ "$SYSTEMD" = 1 ] && systemctl stop appliance
    mkdir -p "$BACKUPS"
    SNAP="$BACKUPS/before-$VERSION-$(date -u +%Y%m%dT%H%M%SZ).bak"
    say "encrypted backup $SNAP"
    if ! as_service "$OLD/venv/bin/appliance" backup create --out "$SNAP" >/dev/null; then
        [ "$SYSTEMD" = 1 ] && systemctl start appliance
        die "the backup before the upgrade failed; nothing was changed (the service runs $OLD_VERSION)."
    fi
    say "database migrations"
    ln -sfn "$RELEASE" "$OPT/current.new" && mv -T "$OPT/current.new" "$OPT/current"
    if as_service "$OPT/current/venv/bin/appliance" keys status >/dev/null && health; then
        say "upgraded to $VERSION; the previous release stays in $OLD (remove it when satisfied)"
        exit 0
    fi
    echo "install.sh: $VERSION did not start; rolling back to $(basename "$OLD") and its data" >&2
    [ "$SYSTEMD" = 1 ] && systemctl stop appliance || true
    ln -sfn "$OLD" "$OPT/current.new" && mv -T "$OPT/current.new" "$OPT/current"
    as_service "$OLD/venv/bin/appliance" backup restore --force --key-file "$ETC/kek.key" "$SNAP" >/dev/null \
        || die "restoring $SNAP failed: restore it by hand (appliance backup restore --force) before starting."
    health || die "the previous release did not start either; see the logs (journalctl -u appliance)."
    die "upgrade to $VERSION failed and was rolled back; the data is as before (the migrated copy was moved aside as $DATA.before-restore-*). Backup: $SNAP"
fi

[ ! -e "$OPT/current" ] || die "an appliance is installed already under $OPT; use --upgrade."
say "system user, folders"
if [ "$AS_ROOT" = 1 ] && ! id "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$DATA" --shell /usr/sbin/nologin "$SERVICE_USER"
fi
mkdir -p "$OPT" "$ETC/tls" "$BACKUPS"
install -d -m 0700 "$DATA"
chmod 0750 "$ETC"
say "program $VERSION"
install_release
ln -sfn "$RELEASE" "$OPT/current"
rm -rf "$OPT/models" && cp -r "$B/models" "$OPT/models"
cp "$TRUSTED" "$ETC/bundle-signing.pub.pem"

say "keys and settings"
if [ -n "$KEK" ] && [ "$(readlink -f "$KEK")" != "$(readlink -f "$ETC/kek.key")" ]; then
    [ -f "$KEK" ] || die "key file $KEK not found."
    [ ! -e "$ETC/kek.key" ] || die "$ETC/kek.key exists already; move it away or drop --kek."
    install -m 0600 "$KEK" "$ETC/kek.key"
elif [ -f "$ETC/kek.key" ]; then
    echo "   keeping the existing key-encryption key $ETC/kek.key (data kept from before)"
else
    "$OPT/current/venv/bin/appliance" keys new-key-file "$ETC/kek.key" >/dev/null
fi
if [ -n "$CERT" ]; then
    [ -n "$TLSKEY" ] || die "--tls-cert needs --tls-key."
    install -m 0644 "$CERT" "$ETC/tls/cert.pem"
    install -m 0600 "$TLSKEY" "$ETC/tls/key.pem"
fi
cat > "$ETC/appliance.toml" <<TOML
# Written by install.sh; see $OPT/current/docs/admin-guide.md
data_dir = "$DATA"
model_dir = "$OPT/models"
key_file = "$ETC/kek.key"
host = "0.0.0.0"
port = $PORT
tls_cert = "$ETC/tls/cert.pem"
tls_key = "$ETC/tls/key.pem"
TOML
if [ "$B_VARIANT" = cuda ]; then
    echo "n_gpu_layers = -1  # the CUDA bundle: every layer on the GPU (appliance doctor)" >> "$ETC/appliance.toml"
fi
chmod 0640 "$ETC/appliance.toml"
if [ -z "$CERT" ]; then
    env APPLIANCE_CONFIG="$ETC/appliance.toml" "$OPT/current/venv/bin/python" -c '
import socket, sys
from pathlib import Path
from appliance.tls import make_self_signed
folder = Path(sys.argv[1])
make_self_signed(folder / "cert.pem", folder / "key.pem",
                 [socket.getfqdn(), socket.gethostname(), "localhost", "127.0.0.1", "::1"])
' "$ETC/tls"
fi
if [ "$AS_ROOT" = 1 ]; then
    chown -R "$SERVICE_USER:$SERVICE_USER" "$DATA" "$BACKUPS"
    chown "root:$SERVICE_USER" "$ETC" "$ETC/appliance.toml"
    chown "$SERVICE_USER:$SERVICE_USER" "$ETC/kek.key" "$ETC/tls/key.pem"
fi
say "data directory, audit signing key, first administrator"
as_service "$OPT/current/venv/bin/appliance" init >/dev/null
if as_service "$OPT/current/venv/bin/appliance" users list 2>/dev/null | grep -q .; then
    echo "   accounts kept from the earlier installation; no new administrator made"
else
    as_service "$OPT/current/venv/bin/appliance" users create-admin "$ADMIN" | sed 's/^/   /'
fi

say "service"
mkdir -p "$(dirname "$UNIT")"
sed -e "s|@OPT@|$OPT|g" -e "s|@ETC@|$ETC|g" -e "s|@DATA@|$DATA|g" \
    -e "s|@USER@|$SERVICE_USER|g" -e "s|@ALLOW@|${ALLOW# }|g" "$B/appliance.service.in" > "$UNIT"
if [ "$B_VARIANT" = cuda ]; then
    # The unit hides devices; the CUDA build needs NVIDIA's character devices, only those.
    sed -i 's|^PrivateDevices=yes$|PrivateDevices=no\nDevicePolicy=closed\nDeviceAllow=char-nvidia-frontend rw\nDeviceAllow=char-nvidia-uvm rw\nDeviceAllow=char-nvidia-caps rw|' "$UNIT"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify "$UNIT" 2>&1 | grep -v "^$" | sed 's/^/   systemd-analyze: /' || true
fi
if [ "$SYSTEMD" = 1 ]; then
    systemctl daemon-reload
    systemctl enable appliance >/dev/null
fi
health || die "the appliance did not answer on https://127.0.0.1:$PORT/healthz"
if [ -z "${ALLOW# }" ]; then
    echo "   note: no --allow-net given, so the service answers this machine only (IPAddressAllow=localhost);"
    echo "   add your users' networks to IPAddressAllow= in $UNIT (then systemctl daemon-reload && systemctl restart appliance)."
fi
say "installed $VERSION: https://$(hostname -f 2>/dev/null || hostname):$PORT/ (sign in as $ADMIN with the one-time password above)"
echo "   keep a copy of $ETC/kek.key off this machine: without it the data cannot be read."
