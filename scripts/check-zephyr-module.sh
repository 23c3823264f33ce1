#!/usr/bin/env bash
# Check the Zephyr module (zephyr/) and sample (c-examples/zephyr/) as far
# as is possible without a Zephyr tree:
#
#  1. zephyr/Kconfig's size knobs have the names, defaults (normal and
#     NANODTLS_SMALL) and ranges of build.rs's knob table; NANODTLS_LOG
#     (default n) selects Cargo.toml's `log` feature;
#  2. zephyr/CMakeLists.txt, run inside a stand-in for Zephyr's CMake
#     extensions (zephyr_include_directories, zephyr_link_libraries, an
#     `app` target, CONFIG_* variables of a Cortex-M4F board with the
#     hard-float ABI, CONFIG_NANODTLS_SMALL and one knob changed), builds
#     the library with cargo for thumbv7em-none-eabihf (features psk,small:
#     never cargo's defaults, which include the debug log) and writes a
#     nanodtls.h with those knobs; configured for the full profile with
#     CONFIG_NANODTLS_LOG, it asks cargo for psk,ecc,log;
#  3. c-examples/zephyr/src/main.c compiles with -Wall -Wextra -Werror
#     against that header and minimal stand-ins of the Zephyr headers it
#     uses, and links with the library into a bare-metal Cortex-M4F image.
#
# Not checked (needs Zephyr itself): Kconfig parsing by Zephyr, the real
# Zephyr headers and link, running the sample.
#
#   scripts/check-zephyr-module.sh        -> "N passed, M failed"
set -euo pipefail
ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/embedded-common.sh
. "$ND_ROOT/scripts/lib/embedded-common.sh"

command -v python3 >/dev/null 2>&1 || nd_apt_ensure python3
command -v cmake >/dev/null 2>&1 || nd_apt_ensure cmake
nd_apt_ensure gcc-arm-none-eabi libnewlib-arm-none-eabi

W="$ND_ROOT/target/zephyr-check"
rm -rf "$W/shim" "$W/build" "$W/img" "$W/shim-log" "$W/build-log"
mkdir -p "$W/shim" "$W/img"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# --- 1. Kconfig knobs == build.rs knobs ------------------------------------
if python3 - "$ND_ROOT" <<'EOF'; then ok "zephyr/Kconfig knobs match build.rs"; else bad "zephyr/Kconfig knobs differ from build.rs"; fi
import re, sys
root = sys.argv[1]
src = open(f"{root}/build.rs").read()
table = src[src.index("const KNOBS"):]
table = table[:table.index("];")]
knobs = {}
for m in re.finditer(r'name:\s*"NANODTLS_(\w+)".*?default:\s*([\d_]+).*?small:\s*([\d_]+).*?min:\s*([\d_]+).*?max:\s*([\d_]+)', table, re.S):
    knobs[m.group(1)] = tuple(int(x.replace("_", "")) for x in m.groups()[1:])
kc = open(f"{root}/zephyr/Kconfig").read()
ok = True
seen = set()
for m in re.finditer(r'config NANODTLS_(\w+)\n\tint "[^"]*"\n\trange (\d+) (\d+)\n\tdefault (\d+) if NANODTLS_SMALL\n\tdefault (\d+)', kc):
    name = m.group(1)
    lo, hi, small, default = (int(x) for x in m.groups()[1:])
    seen.add(name)
    if name not in knobs:
        print(f"  Kconfig has NANODTLS_{name}, build.rs does not"); ok = False; continue
    d, s, mn, mx = knobs[name]
    if (default, small, lo, hi) != (d, s, mn, mx):
        print(f"  NANODTLS_{name}: Kconfig default {default}/small {small}/range {lo}..{hi}, build.rs {d}/{s}/{mn}..{mx}"); ok = False
for name in knobs:
    if name not in seen:
        print(f"  build.rs knob NANODTLS_{name} is missing from zephyr/Kconfig"); ok = False
cm = open(f"{root}/zephyr/CMakeLists.txt").read()
m = re.search(r"set\(_nd_knobs ([^)]*)\)", cm)
listed = set(m.group(1).split()) if m else set()
if listed != set(knobs):
    print(f"  zephyr/CMakeLists.txt passes {sorted(listed)}, build.rs has {sorted(knobs)}"); ok = False
# The debug log: a bool that is off unless asked for, mapped to the feature.
if not re.search(r'config NANODTLS_LOG\n\tbool "[^"]*"\n\tdefault n\n', kc):
    print("  zephyr/Kconfig: no 'config NANODTLS_LOG' bool with 'default n'"); ok = False
if not re.search(r'if\(CONFIG_NANODTLS_LOG\)\s*\n\s*list\(APPEND _nd_feature_list log\)', cm):
    print("  zephyr/CMakeLists.txt does not add the `log` feature for CONFIG_NANODTLS_LOG"); ok = False
# Roles: a choice mapped to the `client` / `server` features.
for role in ("CLIENT", "SERVER"):
    if not re.search(rf'config NANODTLS_ROLES_{role}\n\tbool ', kc):
        print(f"  zephyr/Kconfig: no 'config NANODTLS_ROLES_{role}'"); ok = False
    if not re.search(rf'if\(CONFIG_NANODTLS_ROLES_{role}\)\s*\n\s*list\(APPEND _nd_feature_list {role.lower()}\)', cm):
        print(f"  zephyr/CMakeLists.txt does not add the `{role.lower()}` feature for CONFIG_NANODTLS_ROLES_{role}"); ok = False
cargo = open(f"{root}/Cargo.toml").read()
if not re.search(r'^log = \[', cargo, re.M):
    print("  Cargo.toml has no `log` feature"); ok = False
sys.exit(0 if ok else 1)
EOF

# --- 2. The module's CMake glue in a Zephyr stand-in -----------------------
cat >"$W/shim/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.20)
project(zephyr_shim C)
# Stand-ins for Zephyr's CMake extensions used by zephyr/CMakeLists.txt.
add_library(zephyr_interface INTERFACE)
function(zephyr_include_directories)
  target_include_directories(zephyr_interface INTERFACE \${ARGN})
endfunction()
function(zephyr_link_libraries)
  target_link_libraries(zephyr_interface INTERFACE \${ARGN})
endfunction()
file(WRITE "\${CMAKE_BINARY_DIR}/app_stub.c" "int app_stub;\n")
add_library(app STATIC "\${CMAKE_BINARY_DIR}/app_stub.c")
target_link_libraries(app PUBLIC zephyr_interface)
# Kconfig of a Cortex-M4F board (hard-float ABI) with the small profile
# and one knob changed.
set(CONFIG_NANODTLS y)
set(CONFIG_CPU_CORTEX_M y)
set(CONFIG_CPU_CORTEX_M4 y)
set(CONFIG_FP_HARDABI y)
set(CONFIG_NANODTLS_PROFILE_PSK y)
set(CONFIG_NANODTLS_SMALL y)
set(CONFIG_NANODTLS_RUST_TARGET "")
set(CONFIG_NANODTLS_RX_BUF 600)
set(CONFIG_NANODTLS_TX_BUF 560)
set(CONFIG_NANODTLS_MAX_HANDSHAKE_MSG 512)
set(CONFIG_NANODTLS_FLIGHT_BUF 512)
set(CONFIG_NANODTLS_MAX_PSK_IDENTITY 64)
set(CONFIG_NANODTLS_MAX_PSK_KEY 32)
set(CONFIG_NANODTLS_MAX_COOKIE 32)
set(CONFIG_NANODTLS_MAX_SERVER_NAME 32)
set(CONFIG_NANODTLS_MAX_TRUSTED_KEYS 2)
set(CONFIG_NANODTLS_MAX_PEER_ADDR 32)
set(ZEPHYR_CURRENT_MODULE_DIR "$ND_ROOT")
add_subdirectory("$ND_ROOT/zephyr" nanodtls)
get_target_property(_libs zephyr_interface INTERFACE_LINK_LIBRARIES)
get_target_property(_incs zephyr_interface INTERFACE_INCLUDE_DIRECTORIES)
message(STATUS "SHIM links=\${_libs} includes=\${_incs}")
EOF
# Share cargo's target directory with scripts/cross-build.sh (core is then
# already built for the target).
if cmake -S "$W/shim" -B "$W/build" -DNANODTLS_ZEPHYR_CARGO_TARGET_DIR="${NANODTLS_CROSS_DIR:-$ND_ROOT/target/cross}/cargo" \
    >"$W/configure.log" 2>&1 &&
    cmake --build "$W/build" --target nanodtls_cargo >"$W/build.log" 2>&1; then
    hdr="$W/build/nanodtls/include/nanodtls.h"
    lib="$W/build/nanodtls/libnanodtls.a"
    if [ -f "$lib" ] && grep -q '^#define NANODTLS_RX_BUF 600$' "$hdr" &&
        grep -q '^#define NANODTLS_MAX_PSK_KEY 32$' "$hdr" &&
        grep -q 'SHIM links=.*nanodtls_rust' "$W/configure.log" &&
        grep -q "target=thumbv7em-none-eabihf" "$W/build/nanodtls/nanodtls-config.txt" &&
        grep -qx "features=--no-default-features;--features;psk,small" "$W/build/nanodtls/nanodtls-config.txt"; then
        ok "zephyr/CMakeLists.txt: cargo build for thumbv7em-none-eabihf, header with the Kconfig knobs ($(grep -m1 'NANODTLS_CTX_SIZE ' "$hdr" | awk '{print "ctx " $3 " B"}'))"
    else
        bad "zephyr/CMakeLists.txt: unexpected result (see $W/configure.log, $W/build.log)"
    fi
else
    bad "zephyr/CMakeLists.txt: configure or build failed:"
    tail -n 15 "$W/configure.log" "$W/build.log" 2>/dev/null | sed 's/^/     /'
fi

# Full profile with the debug log: configure only (no cargo run), check the
# features the module would pass to cargo.
mkdir -p "$W/shim-log"
sed -e 's/^set(CONFIG_NANODTLS_PROFILE_PSK y)$/set(CONFIG_NANODTLS_PROFILE_FULL y)\nset(CONFIG_NANODTLS_LOG y)/' \
    -e '/^set(CONFIG_NANODTLS_SMALL y)$/d' "$W/shim/CMakeLists.txt" >"$W/shim-log/CMakeLists.txt"
if cmake -S "$W/shim-log" -B "$W/build-log" >"$W/configure-log.log" 2>&1 &&
    grep -qx "features=--no-default-features;--features;psk,ecc,log" "$W/build-log/nanodtls/nanodtls-config.txt"; then
    ok "zephyr/CMakeLists.txt: CONFIG_NANODTLS_PROFILE_FULL + CONFIG_NANODTLS_LOG -> cargo features psk,ecc,log"
else
    bad "zephyr/CMakeLists.txt: full profile + NANODTLS_LOG: $(grep '^features=' "$W/build-log/nanodtls/nanodtls-config.txt" 2>/dev/null || tail -n 3 "$W/configure-log.log")"
fi

# Client-only role (PSK profile, small buffers): configure only, check the
# features the module would pass to cargo.
mkdir -p "$W/shim-client"
sed -e 's/^set(CONFIG_NANODTLS_PROFILE_PSK y)$/set(CONFIG_NANODTLS_PROFILE_PSK y)\nset(CONFIG_NANODTLS_ROLES_CLIENT y)/' \
    "$W/shim/CMakeLists.txt" >"$W/shim-client/CMakeLists.txt"
if cmake -S "$W/shim-client" -B "$W/build-client" >"$W/configure-client.log" 2>&1 &&
    grep -qx "features=--no-default-features;--features;psk,client,small" "$W/build-client/nanodtls/nanodtls-config.txt"; then
    ok "zephyr/CMakeLists.txt: CONFIG_NANODTLS_ROLES_CLIENT (+ SMALL) -> cargo features psk,client,small"
else
    bad "zephyr/CMakeLists.txt: client-only role: $(grep '^features=' "$W/build-client/nanodtls/nanodtls-config.txt" 2>/dev/null || tail -n 3 "$W/configure-client.log")"
fi

# --- 3. The sample against stand-in Zephyr headers --------------------------
S="$W/img/include"
mkdir -p "$S/zephyr/net" "$S/zephyr/sys" "$S/zephyr/random"
cat >"$S/zephyr/kernel.h" <<'EOF'
/* Minimal stand-in for <zephyr/kernel.h> (names and types as documented). */
#pragma once
#include <stdint.h>
#include <stddef.h>
#define ARG_UNUSED(x) (void)(x)
#define MIN(a, b) (((a) < (b)) ? (a) : (b))
int64_t k_uptime_get(void);
void k_panic_stub(void) __attribute__((noreturn));
#define k_panic() k_panic_stub()
EOF
cat >"$S/zephyr/sys/printk.h" <<'EOF'
#pragma once
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
EOF
cat >"$S/zephyr/random/random.h" <<'EOF'
#pragma once
#include <stddef.h>
int sys_csrand_get(void *dst, size_t len);
EOF
cat >"$S/zephyr/net/socket.h" <<'EOF'
/* Minimal stand-in for <zephyr/net/socket.h> before Zephyr 4.3 (BSD names). */
#pragma once
#include <stdint.h>
#include <sys/types.h>
#define AF_INET 1
#define SOCK_DGRAM 2
#define IPPROTO_UDP 17
#define ZSOCK_POLLIN 1
typedef uint32_t socklen_t;
struct in_addr { uint32_t s_addr; };
struct sockaddr_in { unsigned short sin_family; uint16_t sin_port; struct in_addr sin_addr; };
struct sockaddr { unsigned short sa_family; char data[6]; };
struct zsock_pollfd { int fd; short events; short revents; };
static inline uint16_t htons(uint16_t x) { return (uint16_t)(x << 8 | x >> 8); }
int zsock_socket(int family, int type, int proto);
int zsock_close(int sock);
int zsock_connect(int sock, const struct sockaddr *addr, socklen_t addrlen);
ssize_t zsock_send(int sock, const void *buf, size_t len, int flags);
ssize_t zsock_recv(int sock, void *buf, size_t max_len, int flags);
int zsock_poll(struct zsock_pollfd *fds, int nfds, int timeout);
int zsock_inet_pton(unsigned short family, const char *src, void *dst);
EOF
cat >"$W/img/zephyr_stubs.c" <<'EOF'
/* Link-time stand-ins for the Zephyr functions the sample calls. */
#include <stdarg.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>
#include <zephyr/random/random.h>
#include <zephyr/sys/printk.h>
int64_t k_uptime_get(void) { return 0; }
void k_panic_stub(void) { for (;;) { } }
void printk(const char *fmt, ...) { (void)fmt; }
int sys_csrand_get(void *dst, size_t len) { (void)dst; (void)len; return 0; }
int zsock_socket(int f, int t, int p) { (void)f; (void)t; (void)p; return 3; }
int zsock_close(int s) { (void)s; return 0; }
int zsock_connect(int s, const struct sockaddr *a, socklen_t l) { (void)s; (void)a; (void)l; return 0; }
ssize_t zsock_send(int s, const void *b, size_t l, int f) { (void)s; (void)b; (void)f; return (ssize_t)l; }
ssize_t zsock_recv(int s, void *b, size_t l, int f) { (void)s; (void)b; (void)l; (void)f; return 0; }
int zsock_poll(struct zsock_pollfd *p, int n, int t) { (void)p; (void)n; (void)t; return 0; }
int zsock_inet_pton(unsigned short f, const char *s, void *d) { (void)f; (void)s; (void)d; return 1; }
EOF
cat >"$W/img/autoconf.h" <<'EOF'
#define CONFIG_NANODTLS_SAMPLE_SERVER_ADDR "192.0.2.2"
#define CONFIG_NANODTLS_SAMPLE_SERVER_PORT 5684
#define CONFIG_NANODTLS_SAMPLE_PSK_IDENTITY "zephyr-client"
#define CONFIG_NANODTLS_SAMPLE_PSK_HEX "00112233445566778899aabbccddeeff"
#define CONFIG_NANODTLS_SAMPLE_MESSAGE "hello from zephyr"
#define CONFIG_NANODTLS_SAMPLE_TIMEOUT_S 60
EOF
lib="$W/build/nanodtls/libnanodtls.a"
if [ -f "$lib" ] && arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -std=gnu11 -Wall -Wextra -Werror \
    -ffunction-sections -fdata-sections -include "$W/img/autoconf.h" -I"$S" -I"$W/build/nanodtls/include" \
    --specs=nano.specs --specs=nosys.specs -nostartfiles -T "$ND_ROOT/embedded/common/cortex-m.ld" \
    -Wl,--gc-sections -Wl,-z,noexecstack -Wl,-e,main \
    "$ND_ROOT/c-examples/zephyr/src/main.c" "$W/img/zephyr_stubs.c" "$lib" \
    -o "$W/img/sample.elf" >"$W/img/build.log" 2>&1; then
    ok "c-examples/zephyr/src/main.c: -Wall -Wextra -Werror, linked with the module's library ($(arm-none-eabi-size "$W/img/sample.elf" | awk 'NR==2 {print $1 " B text"}'))"
else
    bad "c-examples/zephyr/src/main.c does not build against the stand-ins:"
    sed 's/^/     /' "$W/img/build.log" | head -n 20
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
