#!/usr/bin/env bash
# Build the offline installation bundle on a machine with registry access:
#   wheels/        every wheel the appliance needs (llama-cpp-python compiled here)
#   bin/           llama-server (scripts/build-llama-server, from the same llama.cpp)
#   models/        the default models, checked against their pins
#   policies/      the privacy policies
#   sbom.cdx.json  a CycloneDX SBOM of the Python packages the bundle's wheels install
#   MANIFEST.sha256 and MANIFEST.sha256.sig (Ed25519, the builder's key)
#   PLATFORM       the machine architecture, variant and CPU instructions it was built for
# and the installer scripts, as one tar file: dist/appliance-<version>-<arch>[-cuda].tar
#
#   installer/build-bundle.sh [--out DIR] [--signing-key FILE] [--version V]
#                             [--models DIR] [--deps full|none] [--variant cpu|cuda]
#
# Variants: compiled parts (llama-cpp-python, llama-server) are built for the machine the
# builder runs on: an aarch64 box (e.g. an ARM edge server) makes an aarch64 bundle, an
# x86_64 one an x86_64 bundle; install.sh refuses a bundle made for another architecture.
# `--variant cuda` builds both with llama.cpp's CUDA backend (GGML_CUDA; the builder needs
# the CUDA toolkit, nvcc) for a site whose inference runs on an NVIDIA GPU.
#
# The signing key is made once (openssl, Ed25519) and kept by the builder; give its
# public half (printed, and in the bundle) to the administrators out of band.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=dist
KEY="${XDG_CONFIG_HOME:-$HOME/.config}/appliance/bundle-signing.key"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
MODELS="${APPLIANCE_MODEL_DIR:-$PWD/.models}"
DEPS=full
VARIANT=cpu
ARCH=$(uname -m)
PY="${PYTHON:-.venv/bin/python}"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT="$2"; shift 2 ;;
        --signing-key) KEY="$2"; shift 2 ;;
        --version) VERSION="$2"; shift 2 ;;
        --models) MODELS="$2"; shift 2 ;;
        --deps) DEPS="$2"; shift 2 ;;
        --variant) VARIANT="$2"; shift 2 ;;
        *) echo "build-bundle.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v openssl >/dev/null || { echo "build-bundle.sh: openssl is needed" >&2; exit 2; }
[ -x "$PY" ] || { echo "build-bundle.sh: run 'make setup' first ($PY missing)" >&2; exit 2; }
# cyclonedx-py writes the SBOM from a venv of its own (make setup makes it).
SBOM_PY="${SBOM_PYTHON:-.venv-tools/bin/python}"
[ -x "$SBOM_PY" ] || { echo "build-bundle.sh: run 'make setup' first ($SBOM_PY missing: cyclonedx-py writes the bundle's SBOM)" >&2; exit 2; }
case "$VARIANT" in
    cpu) SUFFIX="" ;;
    cuda)
        SUFFIX="-cuda"
        NVCC=$(command -v nvcc || true)
        [ -n "$NVCC" ] || [ ! -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ] \
            || NVCC="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
        [ -n "$NVCC" ] || {
            echo "build-bundle.sh: the cuda variant compiles llama.cpp with GGML_CUDA and needs the CUDA toolkit (nvcc) on this machine; none found (PATH, \$CUDA_HOME/bin). Nothing was built." >&2
            exit 2
        }
        export PATH="$(dirname "$NVCC"):$PATH" ;;
    *) echo "build-bundle.sh: unknown variant $VARIANT (cpu or cuda)" >&2; exit 2 ;;
esac

if [ ! -f "$KEY" ]; then
    mkdir -p "$(dirname "$KEY")"
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$KEY")
    echo "created the bundle signing key $KEY (keep it; its public half goes to the sites)"
fi
# The public half, to hand to the sites (install.sh --public-key FILE).
openssl pkey -in "$KEY" -pubout -out "$KEY.pub.pem"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
NAME="appliance-$VERSION"
B="$WORK/$NAME"
mkdir -p "$B/wheels" "$B/models" "$B/policies"

echo "== wheels ($DEPS)"
# The appliance's own wheel, built from this tree.
"$PY" -m pip wheel --quiet --no-deps --no-build-isolation -w "$B/wheels" . >/dev/null
if [ "$DEPS" = full ]; then
    # llama-cpp-python compiled for the portable instruction set (scripts/llama-cpu-args),
    # with the CUDA backend for the cuda variant, never a wheel pip cached from another
    # build; the step below then takes this wheel from the bundle's folder.
    if [ "$VARIANT" = cuda ]; then
        LLAMA_CPP_CMAKE_ARGS="-DGGML_CUDA=ON" PYTHON="$PY" scripts/build-llama-cpp-python "$B/wheels" >/dev/null
    else
        PYTHON="$PY" scripts/build-llama-cpp-python "$B/wheels" >/dev/null
    fi
    "$PY" -m pip wheel --quiet -c constraints.txt --find-links "$B/wheels" -w "$B/wheels" \
        "$B"/wheels/appliance-*.whl
fi

echo "== llama-server"
# llama.cpp's server for the llama-server inference backend (built by make setup from
# the pinned llama-cpp-python sdist's llama.cpp); install.sh puts it in the venv's bin.
mkdir -p "$B/bin"
if [ "$VARIANT" = cuda ]; then
    LLAMA_SERVER_CMAKE_ARGS="-DGGML_CUDA=ON" scripts/build-llama-server "$B/bin/llama-server"
else
    scripts/build-llama-server "$B/bin/llama-server"
fi

echo "== models"
APPLIANCE_MODEL_DIR="$MODELS" "$PY" -m appliance.cli models verify --quick >/dev/null
# The placed models only (not the download cache of their wheels).
tar -C "$MODELS" --exclude=./.wheels -cf - . | tar -C "$B/models" -xf -
cp policies/*.yaml "$B/policies/"
cp installer/install.sh installer/uninstall.sh installer/appliance.service.in "$B/"
mkdir -p "$B/docs" && cp docs/*.md "$B/docs/"
echo "$VERSION" > "$B/VERSION"
# cpu_flags: the CPU instructions the compiled parts use (scripts/llama-cpu-args --needs).
printf 'arch=%s\nvariant=%s\ncpu_flags=%s\n' "$ARCH" "$VARIANT" "$(scripts/llama-cpu-args --needs)" \
    > "$B/PLATFORM"

echo "== SBOM"
# Of what the bundle ships, not of the builder's environment: its wheels unpacked into a
# throwaway venv (no index, no dependency resolution), which cyclonedx-py then reads.
# With --deps none that is the appliance alone: the site brings the rest.
"$PY" -m venv --without-pip "$WORK/sbom-env"
"$PY" -m pip --python "$WORK/sbom-env/bin/python" install --quiet --no-index --no-deps \
    --no-compile "$B"/wheels/*.whl
"$SBOM_PY" -m cyclonedx_py environment --pyproject pyproject.toml --mc-type application \
    --output-format JSON --output-file "$B/sbom.cdx.json" "$WORK/sbom-env/bin/python"

echo "== manifest and signature"
cp "$KEY.pub.pem" "$B/bundle-signing.pub.pem"
(cd "$B" && find . -type f ! -name 'MANIFEST.sha256*' -print0 | sort -z \
    | xargs -0 sha256sum > MANIFEST.sha256)
openssl pkeyutl -sign -inkey "$KEY" -rawin -in "$B/MANIFEST.sha256" -out "$B/MANIFEST.sha256.sig"

mkdir -p "$OUT"
TAR="$OUT/$NAME-$ARCH$SUFFIX.tar"
tar -C "$WORK" -cf "$TAR" "$NAME"
FPR=$(openssl pkey -pubin -in "$B/bundle-signing.pub.pem" -outform DER | sha256sum | cut -c1-64)
echo "bundle: $TAR ($(du -h "$TAR" | cut -f1); $ARCH, $VARIANT)"
echo "public key for install.sh --public-key: $KEY.pub.pem (fingerprint $FPR)"
