#!/usr/bin/env bash
# Installs the independent DTLS peers used by tests/interop/run.py.
# Idempotent, non-interactive, quiet; run as root (or with password-less sudo).
#
#   OpenSSL 3.x            openssl s_server / s_client      (apt: openssl)
#   GnuTLS 3.7             gnutls-serv / gnutls-cli         (apt: gnutls-bin)
#   libcoap 4.3            coap-server-* / coap-client-*    (apt: libcoap3-bin)
#   Mbed TLS 2.28          python-mbedtls (a wheel bundling it)   (pip)
#   tinydtls 0.8.6         dtlssocket (sdist: builds tinydtls with
#                          autoconf/automake/libtool/pkg-config and a C compiler)
#   unshare, ip            run.py re-runs itself in a private network namespace
#                          (gnutls-serv binds every address)  (apt: util-linux, iproute2)
#
# Environment: PYTHON (default python3) is the interpreter run.py uses.
set -euo pipefail

PY=${PYTHON:-python3}
PYTHON_MBEDTLS_SPEC=${PYTHON_MBEDTLS_SPEC:-python-mbedtls==2.10.1}
DTLSSOCKET_SPEC=${DTLSSOCKET_SPEC:-dtlssocket==0.2.3}

say() { echo "install_peers: $*"; }
die() { echo "install_peers: ERROR: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        die "needs root for apt-get (run as root or with password-less sudo)"
    fi
fi
command -v "$PY" >/dev/null 2>&1 || die "python interpreter '$PY' not found"

APT_UPDATED=0
apt_install() {
    local missing=() p log
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "apt-get not available; install by hand: ${missing[*]}"
    log=$(mktemp)
    if [ "$APT_UPDATED" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq >"$log" 2>&1 \
            || { cat "$log" >&2; rm -f "$log"; die "apt-get update failed"; }
        APT_UPDATED=1
    fi
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 \
        || { tail -20 "$log" >&2; rm -f "$log"; die "apt-get install ${missing[*]} failed"; }
    rm -f "$log"
}

pip_install() {
    local log
    log=$(mktemp)
    say "pip install $*"
    if ! "$PY" -m pip install -q --disable-pip-version-check --no-input "$@" >"$log" 2>&1; then
        if grep -q "externally-managed-environment" "$log"; then
            "$PY" -m pip install -q --disable-pip-version-check --no-input --break-system-packages "$@" >"$log" 2>&1 \
                || { tail -30 "$log" >&2; rm -f "$log"; die "pip install $* failed"; }
        else
            tail -30 "$log" >&2; rm -f "$log"; die "pip install $* failed"
        fi
    fi
    rm -f "$log"
}

have_py() { "$PY" -c "import $1" >/dev/null 2>&1; }

# pip itself (a bare Debian python3 lacks it).
if ! "$PY" -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
fi

# 1. OpenSSL (preinstalled on the images; DTLS 1.2 with the PSK CCM suites).
if ! command -v openssl >/dev/null 2>&1; then
    apt_install openssl
fi
openssl ciphers PSK-AES128-CCM8:PSK-AES128-CCM >/dev/null 2>&1 \
    || die "this openssl ($(openssl version)) lacks PSK-AES128-CCM8 / PSK-AES128-CCM"

# 2. GnuTLS and libcoap command-line tools; unshare/ip for the namespace.
apt_install gnutls-bin libcoap3-bin util-linux iproute2
for exe in gnutls-serv gnutls-cli coap-server-openssl coap-client-openssl coap-server-gnutls coap-client-gnutls unshare ip; do
    command -v "$exe" >/dev/null 2>&1 || die "$exe missing after installing gnutls-bin libcoap3-bin util-linux iproute2"
done

# 3. Mbed TLS via python-mbedtls (binary wheel).
if ! have_py mbedtls.tls; then
    pip_install "$PYTHON_MBEDTLS_SPEC"
    have_py mbedtls.tls || die "python-mbedtls installed but 'import mbedtls.tls' fails"
fi

# 4. tinydtls via dtlssocket (built from source: needs the autotools and cc).
if ! have_py DTLSSocket.dtls; then
    apt_install autoconf automake libtool pkg-config gcc libc6-dev
    "$PY" -c "import sysconfig, os, sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')) else 1)" \
        || apt_install python3-dev
    pip_install "$DTLSSOCKET_SPEC"
    have_py DTLSSocket.dtls || die "dtlssocket installed but 'import DTLSSocket.dtls' fails"
fi

say "ok: $(openssl version | cut -d' ' -f1-2), GnuTLS $(gnutls-cli --version | head -1 | awk '{print $2}'), libcoap $(dpkg-query -W -f='${Version}' libcoap3-bin), $("$PY" -c 'import mbedtls.version as v; print(v.version)'), tinydtls (dtlssocket $("$PY" -c 'import importlib.metadata as m; print(m.version("dtlssocket"))'))"
