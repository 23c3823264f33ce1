#!/usr/bin/env bash
# Check the Zephyr module (zephyr/) and sample (c-examples/zephyr/) as far
# as is possible without a Zephyr tree (too large to bring here). Each
# check models one thing a real `west build` / twister run would trip on:
#
#  1. zephyr/Kconfig's size knobs have the names, defaults (normal and
#     NANODTLS_SMALL) and ranges of build.rs's knob table; NANODTLS_LOG
#     (default n) selects Cargo.toml's `log` feature, NANODTLS_KEYLOG
#     (default n) its `keylog` feature;
#  2. Kconfig symbols per Zephyr version: every CONFIG_ that prj.conf,
#     boards/*.conf and sample.yaml set exists in every supported release
#     (3.7 LTS .. 4.4) according to tests/zephyr/kconfig-symbols.tsv (a
#     table of the symbols we use, with its provenance); every CONFIG_
#     zephyr/CMakeLists.txt reads is known to it; the table still knows the
#     symbols that broke 3.7 .. 4.3 before (CSPRNG_NEEDED, ZVFS_POLL_MAX);
#  3. zephyr/module.yml fits Zephyr's module schema and lists the sample
#     under `samples:` (for twister); sample.yaml only allows boards that
#     have been checked for an IPv4 interface and a sys_csrand_get() source;
#  4. zephyr/CMakeLists.txt, run inside a stand-in for Zephyr's CMake
#     extensions (zephyr_include_directories, zephyr_link_libraries, an
#     `app` target, CONFIG_* variables of a Cortex-M4F board with the
#     hard-float ABI, CONFIG_NANODTLS_SMALL and one knob changed), builds
#     the library with cargo --locked for thumbv7em-none-eabihf (features
#     psk,small: never cargo's defaults, which include the debug log) and
#     writes a nanodtls.h with those knobs; the header is there again after
#     a pristine rebuild (fresh build directory) that keeps
#     NANODTLS_ZEPHYR_CARGO_TARGET_DIR, also after another selection used
#     the same cargo directory; the full profile with CONFIG_NANODTLS_LOG
#     asks cargo for psk,ecc,log, the client role for psk,client,small;
#  5. RISC-V float ABI: for a matrix of Kconfig settings (RV32/RV64/RV32E,
#     CONFIG_FPU, CONFIG_FLOAT_HARD, double precision) the Rust target the
#     module picks has exactly the -mabi Zephyr compiles with (modelled on
#     Zephyr's cmake/compiler/gcc/target_riscv.cmake; the ABI of each Rust
#     target from `rustc --print target-spec-json`), or the module stops
#     with an error where Rust has no such target; cmake/nanodtls-cross.cmake
#     given the same -march/-mabi picks the same target; a single-precision
#     hard-float build links with riscv64-unknown-elf-gcc (and a soft-float
#     image is refused against it, so the check can see a mismatch);
#  6. the sample: c-examples/zephyr/src/main.c compiles with -Wall -Wextra
#     -Werror against the module's header and minimal stand-ins of the
#     Zephyr headers it uses and links with the library into a bare-metal
#     Cortex-M4F image with the archive before and after libc/libgcc, and
#     with only a model of Zephyr's minimal libc (memcpy & co., no
#     __aeabi_mem*); every runtime symbol of the archive is weak and it
#     needs none from outside;
#  7. the sample's CMakeLists.txt adds the repository to the extra modules
#     Zephyr will read, whatever the user passes (-DEXTRA_ZEPHYR_MODULES,
#     -DZEPHYR_EXTRA_MODULES or the environment), run against a model of
#     zephyr_get()'s precedence (sysbuild, cache, environment, local).
#
# Not checked (needs Zephyr itself): Kconfig parsing by Zephyr, the real
# Zephyr headers and link line, running the sample, twister.
#
#   scripts/check-zephyr-module.sh        -> "N passed, M failed"
set -euo pipefail
ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/embedded-common.sh
. "$ND_ROOT/scripts/lib/embedded-common.sh"

command -v python3 >/dev/null 2>&1 || nd_apt_ensure python3
python3 -c 'import yaml' 2>/dev/null || nd_apt_ensure python3-yaml
command -v cmake >/dev/null 2>&1 || nd_apt_ensure cmake
nd_apt_ensure gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
# A rustc to ask for the ABI of its RISC-V targets (the build-std pair;
# the same one cargo uses on that route).
nd_setup_build_std

W="$ND_ROOT/target/zephyr-check"
rm -rf "$W"
mkdir -p "$W/img"
# Share cargo's target directory with scripts/cross-build.sh (core is then
# already built for the target). This is also the "kept" cargo directory
# of the pristine-rebuild check.
CARGO_DIR="${NANODTLS_CROSS_DIR:-$ND_ROOT/target/cross}/cargo"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# pycheck ARGS... <<'PYEOF': run a Python check from stdin; its "ok ..." and
# "FAIL ..." lines are printed and counted, and a crash is a FAIL.
pycheck() {
    local rc=0 line
    python3 - "$@" >"$W/pycheck.out" 2>"$W/pycheck.err" || rc=$?
    while IFS= read -r line; do
        case "$line" in
            "ok   "*) pass=$((pass + 1)) ;;
            "FAIL "*) fail=$((fail + 1)) ;;
        esac
        echo "$line"
    done <"$W/pycheck.out"
    if [ "$rc" -ne 0 ]; then
        bad "a Python check stopped (exit $rc):"
        tail -n 5 "$W/pycheck.err" | sed 's/^/     /'
    fi
}

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
# The NSS key log: off unless asked for (it hands out master secrets).
if not re.search(r'config NANODTLS_KEYLOG\n\tbool [^\n]*\n\tdefault n\n', kc):
    print("  zephyr/Kconfig: no 'config NANODTLS_KEYLOG' bool with 'default n'"); ok = False
if not re.search(r'if\(CONFIG_NANODTLS_KEYLOG\)\s*\n\s*list\(APPEND _nd_feature_list keylog\)', cm):
    print("  zephyr/CMakeLists.txt does not add the `keylog` feature for CONFIG_NANODTLS_KEYLOG"); ok = False
if not re.search(r'^keylog = \[', cargo, re.M):
    print("  Cargo.toml has no `keylog` feature"); ok = False
sys.exit(0 if ok else 1)
EOF

# --- 2. Kconfig symbols known per Zephyr version ---------------------------
pycheck "$ND_ROOT" <<'PYEOF'
import glob, os, re, sys
import yaml
root = sys.argv[1]
table_path = "tests/zephyr/kconfig-symbols.tsv"
SUPPORTED = ["3.7", "4.0", "4.1", "4.2", "4.3", "4.4"]

def load_table(path):
    header, rows = None, {}
    for line in open(os.path.join(root, path)):
        line = line.rstrip("\n")
        if line.startswith("# symbol\t"):
            header = line[2:].split("\t")
            continue
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        if header is None or len(f) != len(header):
            raise SystemExit(f"FAIL {path}: malformed line {line!r}")
        rows[f[0]] = dict(zip(header, f))
    return header, rows

def own_symbols():
    syms = set()
    for k in ("zephyr/Kconfig", "c-examples/zephyr/Kconfig"):
        syms |= set(re.findall(r"^(?:menu)?config\s+(\w+)", open(os.path.join(root, k)).read(), re.M))
    return syms

def assigned(files, sample_yaml):
    """CONFIG_ symbols set by Kconfig fragments and by sample.yaml."""
    out = []
    for f in files:
        for n, line in enumerate(open(f), 1):
            m = re.match(r"\s*CONFIG_(\w+)=", line)
            if m:
                out.append((m.group(1), f"{os.path.relpath(f, root)}:{n}"))
    if sample_yaml:
        doc = yaml.safe_load(open(sample_yaml))
        scopes = [doc.get("common", {})] + list((doc.get("tests") or {}).values())
        for sc in scopes:
            for item in (sc or {}).get("extra_configs", []) or []:
                m = re.match(r"CONFIG_(\w+)=", item)
                if m:
                    out.append((m.group(1), "c-examples/zephyr/sample.yaml"))
            for item in (sc or {}).get("extra_args", []) or []:
                for m in re.finditer(r"CONFIG_(\w+)=", str(item)):
                    out.append((m.group(1), "c-examples/zephyr/sample.yaml"))
    return out

def problems(pairs, rows, own):
    """Symbols not defined in every supported version, or unknown."""
    bad = []
    for sym, where in pairs:
        if sym in own:
            continue
        row = rows.get(sym)
        if row is None:
            bad.append(f"{where}: CONFIG_{sym} is not in {table_path}; look it up in Zephyr "
                       f"{SUPPORTED[0]}..{SUPPORTED[-1]} and add it with its provenance")
            continue
        missing = [v for v in SUPPORTED if row[v] != "y"]
        if missing:
            bad.append(f"{where}: CONFIG_{sym} does not exist in Zephyr {', '.join(missing)} "
                       f"(Zephyr aborts on an unknown symbol)")
    return bad

header, rows = load_table(table_path)
if header[1:1 + len(SUPPORTED)] != SUPPORTED or "main" not in header:
    print(f"FAIL {table_path}: columns {header}, expected symbol {' '.join(SUPPORTED)} main ...")
    sys.exit(0)
own = own_symbols()
sample = os.path.join(root, "c-examples/zephyr")
frags = [os.path.join(sample, "prj.conf")] + sorted(glob.glob(os.path.join(sample, "boards", "*.conf")))
pairs = assigned(frags, os.path.join(sample, "sample.yaml"))
bad = problems(pairs, rows, own)
if bad:
    print(f"FAIL Kconfig symbols set by the sample are not all in Zephyr {SUPPORTED[0]}..{SUPPORTED[-1]}:")
    for b in bad:
        print("     " + b)
else:
    ext = sorted({s for s, _ in pairs if s not in own})
    print(f"ok   prj.conf, boards/*.conf, sample.yaml: all {len(ext)} Zephyr symbols set exist in "
          f"Zephyr {', '.join(SUPPORTED)} ({table_path})")
    nomain = [s for s in ext if rows[s]["main"] != "y"]
    if nomain:
        print(f"     note: not on Zephyr main: {' '.join(nomain)}")

# Symbols the module's CMake reads (an unknown one is silently false).
cm = re.sub(r"#.*", "", open(os.path.join(root, "zephyr/CMakeLists.txt")).read())  # code, not comments
# Whole names only (CONFIG_NANODTLS_${k} is one of ours, built at run time).
read = sorted({s for s in re.findall(r"\bCONFIG_(\w+)", cm) if not s.endswith("_")} - own)
unknown = [s for s in read if s not in rows or not any(rows[s][v] == "y" for v in SUPPORTED)]
if unknown:
    print(f"FAIL zephyr/CMakeLists.txt reads symbols no supported Zephyr defines "
          f"(or {table_path} lacks): {' '.join(unknown)}")
else:
    print(f"ok   zephyr/CMakeLists.txt: the {len(read)} Zephyr symbols it reads are all known to {table_path}")

# The check itself: the table must still reject what once broke 3.7 .. 4.3.
probe = [("CSPRNG_NEEDED", "probe"), ("ZVFS_POLL_MAX", "probe"), ("NO_SUCH_SYMBOL", "probe")]
caught = problems(probe, rows, own)
if len(caught) == 3 and "3.7" in caught[0] and "4.3" in caught[0] and "3.7" in caught[1]:
    print("ok   the symbol check rejects CONFIG_CSPRNG_NEEDED (not before 4.4), CONFIG_ZVFS_POLL_MAX "
          "(not in 3.7) and unknown symbols")
else:
    print(f"FAIL the symbol check no longer catches the known-bad symbols: {caught}")
PYEOF

# --- 3. module.yml (twister) and the boards the sample allows --------------
pycheck "$ND_ROOT" <<'PYEOF'
import os, sys
import yaml
root = sys.argv[1]
meta = yaml.safe_load(open(os.path.join(root, "zephyr/module.yml")))
# The top-level keys of the module.yml schema in Zephyr's
# scripts/zephyr_module.py (v3.7.0 .. main).
schema = {"name", "build", "tests", "samples", "boards", "blobs"}
errs = []
extra = set(meta) - schema
if extra:
    errs.append(f"keys Zephyr's schema does not have: {sorted(extra)}")
b = meta.get("build", {})
for key, want in (("cmake", "zephyr/CMakeLists.txt"), ("kconfig", "zephyr/Kconfig")):
    path = b.get(key)
    target = os.path.join(root, path, "CMakeLists.txt") if key == "cmake" and path else os.path.join(root, path or "")
    if not path or not os.path.isfile(target):
        errs.append(f"build.{key} does not point at {want}")
samples = meta.get("samples")
if not isinstance(samples, list) or not samples:
    errs.append("no `samples:` list (twister finds module samples only through it)")
else:
    for s in samples:
        if not os.path.isfile(os.path.join(root, s, "sample.yaml")):
            errs.append(f"samples: {s} has no sample.yaml")
if errs:
    print("FAIL zephyr/module.yml: " + "; ".join(errs))
else:
    print(f"ok   zephyr/module.yml: Zephyr's schema, samples: {', '.join(samples)}")

# Boards checked for what the sample needs: an IPv4-capable interface and a
# source for sys_csrand_get() in the configuration the sample builds.
VETTED = {
    "native_sim/native/64": "host sockets (NSOS, boards/native_sim_native_64.conf); native entropy driver",
    "qemu_cortex_m3": "Stellaris Ethernet of QEMU's lm3s6965evb; TEST_RANDOM_GENERATOR (boards/qemu_cortex_m3.conf)",
    "frdm_k64f": "on-chip ENET; RNGA entropy driver",
}
REFUSED = {
    "nrf5340dk/nrf5340/cpuapp": "no IPv4 interface, and zephyr,entropy = &rng_hci needs "
    "Bluetooth (ENTROPY_BT_HCI depends on BT_HCI_HOST): no sys_csrand_get() without it",
}
doc = yaml.safe_load(open(os.path.join(root, "c-examples/zephyr/sample.yaml")))
errs = []
for name, t in (doc.get("tests") or {}).items():
    for key in ("platform_allow", "integration_platforms"):
        for plat in (t or {}).get(key, []) or []:
            if plat in REFUSED:
                errs.append(f"{name}: {plat}: {REFUSED[plat]}")
            elif plat not in VETTED:
                errs.append(f"{name}: {plat} is not vetted (IPv4 interface? entropy source?); "
                            "check it and add it to this script")
if errs:
    print("FAIL c-examples/zephyr/sample.yaml:")
    for e in errs:
        print("     " + e)
else:
    print(f"ok   c-examples/zephyr/sample.yaml: only boards vetted for an IPv4 interface and a "
          f"sys_csrand_get() source ({', '.join(sorted(VETTED))})")
PYEOF

# --- 4. The module's CMake glue in a Zephyr stand-in -----------------------
# shim DIR CONFIG-LINES: a CMake project that stands in for Zephyr's CMake
# extensions used by zephyr/CMakeLists.txt, with the given Kconfig values
# (as CONFIG_* variables), and adds the module.
shim() {
    local dir=$1 config=$2
    mkdir -p "$dir"
    cat >"$dir/CMakeLists.txt" <<SHIM
cmake_minimum_required(VERSION 3.20)
project(zephyr_shim C)
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
set(CONFIG_NANODTLS y)
set(CONFIG_NANODTLS_RUST_TARGET "")
$config
set(ZEPHYR_CURRENT_MODULE_DIR "$ND_ROOT")
add_subdirectory("$ND_ROOT/zephyr" nanodtls)
get_target_property(_libs zephyr_interface INTERFACE_LINK_LIBRARIES)
get_target_property(_incs zephyr_interface INTERFACE_INCLUDE_DIRECTORIES)
message(STATUS "SHIM links=\${_libs} includes=\${_incs}")
SHIM
}
# Kconfig of a Cortex-M4F board (hard-float ABI).
M4F='set(CONFIG_CPU_CORTEX_M y)
set(CONFIG_CPU_CORTEX_M4 y)
set(CONFIG_FP_HARDABI y)'
# The small profile with one knob changed (MTU=@RX@).
KNOBS='set(CONFIG_NANODTLS_SMALL y)
set(CONFIG_NANODTLS_MTU @RX@)
set(CONFIG_NANODTLS_MAX_HANDSHAKE_MSG 512)
set(CONFIG_NANODTLS_MAX_PSK_IDENTITY 64)
set(CONFIG_NANODTLS_MAX_PSK_KEY 32)
set(CONFIG_NANODTLS_MAX_COOKIE 32)
set(CONFIG_NANODTLS_MAX_SERVER_NAME 32)
set(CONFIG_NANODTLS_MAX_TRUSTED_KEYS 2)
set(CONFIG_NANODTLS_MAX_HEARTBEAT_PAYLOAD 32)
set(CONFIG_NANODTLS_MAX_PEER_ADDR 32)'
knobs() { echo "${KNOBS/@RX@/$1}"; }

# build_shim NAME SHIM-DIR BUILD-DIR: configure and build the cargo target
# with the shared cargo directory; logs in $W/NAME.log.
build_shim() {
    local name=$1 src=$2 b=$3
    cmake -S "$src" -B "$b" -DNANODTLS_ZEPHYR_CARGO_TARGET_DIR="$CARGO_DIR" >"$W/$name.log" 2>&1 &&
        cmake --build "$b" --target nanodtls_cargo >>"$W/$name.log" 2>&1
}
hdr_knob() { sed -n "s/^#define $2 \([0-9]*\)\$/\1/p" "$1" 2>/dev/null; }

# A: Cortex-M4F, PSK, small, MTU 600.
shim "$W/shim-a" "$M4F
set(CONFIG_NANODTLS_PROFILE_PSK y)
$(knobs 600)"
B="$W/build"
hdr="$B/nanodtls/include/nanodtls.h"
lib="$B/nanodtls/libnanodtls.a"
if build_shim a1 "$W/shim-a" "$B"; then
    if [ -f "$lib" ] && [ "$(hdr_knob "$hdr" NANODTLS_MTU)" = 600 ] &&
        [ "$(hdr_knob "$hdr" NANODTLS_MAX_PSK_KEY)" = 32 ] &&
        grep -q 'SHIM links=.*nanodtls_rust' "$W/a1.log" &&
        grep -q "target=thumbv7em-none-eabihf" "$B/nanodtls/nanodtls-config.txt" &&
        grep -qx "features=--no-default-features;--features;psk,small" "$B/nanodtls/nanodtls-config.txt"; then
        ok "zephyr/CMakeLists.txt: cargo build for thumbv7em-none-eabihf, header with the Kconfig knobs (ctx $(hdr_knob "$hdr" NANODTLS_CTX_SIZE) B)"
    else
        bad "zephyr/CMakeLists.txt: unexpected result (see $W/a1.log)"
    fi
else
    bad "zephyr/CMakeLists.txt: configure or build failed:"
    tail -n 15 "$W/a1.log" | sed 's/^/     /'
fi
[ -f "$hdr" ] && cp "$hdr" "$W/header-a.h"

# cargo --locked: the custom command in the generated build system.
if grep -rqs -- "rustc --release --lib --crate-type staticlib --locked" "$B/nanodtls/CMakeFiles/nanodtls_cargo.dir/"; then
    ok "zephyr/CMakeLists.txt: cargo runs with --locked (Cargo.lock is used as committed)"
else
    bad "zephyr/CMakeLists.txt: the cargo command has no --locked"
fi

# Pristine rebuilds (`west build -p`: a new build directory) that keep the
# cargo target directory. Cargo then skips build.rs, so a header it wrote
# into the old build directory is gone; the one kept beside cargo's output
# must come back, also after another selection used the same cargo dir.
if [ -f "$W/header-a.h" ]; then
    rm -rf "$B"
    if build_shim a2 "$W/shim-a" "$B" && cmp -s "$hdr" "$W/header-a.h"; then
        ok "pristine rebuild with NANODTLS_ZEPHYR_CARGO_TARGET_DIR kept: nanodtls.h is there, same knobs"
    else
        bad "pristine rebuild with NANODTLS_ZEPHYR_CARGO_TARGET_DIR kept: no (or another) nanodtls.h (see $W/a2.log)"
    fi
    # B: another selection (client role, MTU 700) in the same cargo dir.
    shim "$W/shim-b" "$M4F
set(CONFIG_NANODTLS_PROFILE_PSK y)
set(CONFIG_NANODTLS_ROLES_CLIENT y)
$(knobs 700)"
    if build_shim b "$W/shim-b" "$W/build-b" &&
        [ "$(hdr_knob "$W/build-b/nanodtls/include/nanodtls.h" NANODTLS_MTU)" = 700 ]; then
        rm -rf "$B"
        if build_shim a3 "$W/shim-a" "$B" && cmp -s "$hdr" "$W/header-a.h"; then
            ok "pristine rebuild after another selection used the cargo dir: each build gets its own header (MTU 700, then 600 again)"
        else
            bad "pristine rebuild after another selection: header is not the selection's own (MTU $(hdr_knob "$hdr" NANODTLS_MTU), see $W/a3.log)"
        fi
    else
        bad "second selection (client, MTU 700) in the shared cargo dir: build failed or wrong header (see $W/b.log)"
    fi
else
    bad "pristine rebuild: skipped, the first build failed"
fi

# Full profile with the debug log, and the client role: configure only (no
# cargo run), check the features the module would pass to cargo.
shim "$W/shim-log" "$M4F
set(CONFIG_NANODTLS_PROFILE_FULL y)
set(CONFIG_NANODTLS_LOG y)"
if cmake -S "$W/shim-log" -B "$W/build-log" >"$W/configure-log.log" 2>&1 &&
    grep -qx "features=--no-default-features;--features;psk,ecc,log" "$W/build-log/nanodtls/nanodtls-config.txt"; then
    ok "zephyr/CMakeLists.txt: CONFIG_NANODTLS_PROFILE_FULL + CONFIG_NANODTLS_LOG -> cargo features psk,ecc,log"
else
    bad "zephyr/CMakeLists.txt: full profile + NANODTLS_LOG: $(grep '^features=' "$W/build-log/nanodtls/nanodtls-config.txt" 2>/dev/null || tail -n 3 "$W/configure-log.log")"
fi
if grep -qx "features=--no-default-features;--features;psk,client,small" "$W/build-b/nanodtls/nanodtls-config.txt" 2>/dev/null; then
    ok "zephyr/CMakeLists.txt: CONFIG_NANODTLS_ROLES_CLIENT (+ SMALL) -> cargo features psk,client,small"
else
    bad "zephyr/CMakeLists.txt: client-only role: $(grep '^features=' "$W/build-b/nanodtls/nanodtls-config.txt" 2>/dev/null || tail -n 3 "$W/b.log")"
fi

# --- 5. RISC-V: the float ABI Zephyr compiles with = the library's ---------
pycheck "$ND_ROOT" "$W" "$ND_BS_RUSTC" <<'PYEOF'
import json, os, re, subprocess, sys
root, work, rustc = sys.argv[1:4]

# Rust's bare-metal RISC-V targets, with the ABI and extensions rustc
# itself gives them.
env = dict(os.environ, RUSTC_BOOTSTRAP="1")
env.pop("RUSTUP_TOOLCHAIN", None)
targets = [t for t in subprocess.run([rustc, "--print", "target-list"], capture_output=True, text=True,
                                     env=env, check=True).stdout.split()
           if re.match(r"riscv(32|64)\w*-unknown-none-elf$", t)]
spec = {}
for t in targets:
    j = json.loads(subprocess.run([rustc, "-Z", "unstable-options", "--print", "target-spec-json", "--target", t],
                                  capture_output=True, text=True, env=env, check=True).stdout)
    xlen = "64" if j["llvm-target"].startswith("riscv64") else "32"
    feats = {f[1:] for f in j.get("features", "").split(",") if re.fullmatch(r"\+[a-z]", f)}
    abi = j.get("llvm-abiname") or ("lp64" if xlen == "64" else ("ilp32e" if "e" in feats else "ilp32"))
    spec[t] = (xlen, abi, feats)

def zephyr_flags(k):
    """-march/-mabi as Zephyr's cmake/compiler/gcc/target_riscv.cmake builds
    them (v3.7.0 and main agree on the ABI): ilp32/lp64, +e for RV32E,
    +d/+f with FLOAT_HARD (d on a double-precision FPU); F/D in -march
    with FPU."""
    xlen = "64" if k.get("64BIT") else "32"
    mabi = ("lp" if xlen == "64" else "ilp") + xlen
    march = "rv" + xlen
    if k.get("RISCV_ISA_RV32E"):
        mabi += "e"
        march += "e"
    else:
        march += "i"
    for x in "MA":
        if k.get("RISCV_ISA_EXT_" + x):
            march += x.lower()
    if k.get("FPU"):
        for x in "FD":
            if k.get("RISCV_ISA_EXT_" + x):
                march += x.lower()
    if k.get("RISCV_ISA_EXT_C"):
        march += "c"
    if k.get("FLOAT_HARD"):
        mabi += "d" if k.get("CPU_HAS_FPU_DOUBLE_PRECISION") else "f"
    return march, mabi

def expected(march, mabi):
    """The Rust target with exactly that ABI that uses no extension the
    core lacks, the one with the most extensions; None if there is none."""
    xlen = march[2:4]
    letters = set(march[4:])
    core_e = "e" in letters
    best = None
    for t, (tx, tabi, feats) in sorted(spec.items()):
        if tx != xlen or tabi != mabi or ("e" in feats) != core_e or not feats <= letters:
            continue
        if best is None or len(feats) > len(spec[best][2]):
            best = t
    return best

def kset(*names, **kw):
    k = {n: True for n in names}
    k.update(kw)
    return k

RV32 = ("RISCV", "RISCV_ISA_RV32I")
RV64 = ("RISCV", "RISCV_ISA_RV64I", "64BIT")
CASES = [
    ("RV32IMAC, no FPU", kset(*RV32, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_C")),
    ("RV32IMC, no FPU", kset(*RV32, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_C")),
    ("RV32IMAFC, FPU, FLOAT_HARD", kset(*RV32, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                        "RISCV_ISA_EXT_C", "CPU_HAS_FPU", "FPU", "FLOAT_HARD")),
    ("RV32IMAFC, FPU, soft-float ABI", kset(*RV32, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                            "RISCV_ISA_EXT_C", "CPU_HAS_FPU", "FPU")),
    ("RV32IMAFC, FPU off", kset(*RV32, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                "RISCV_ISA_EXT_C", "CPU_HAS_FPU")),
    ("RV32IMAFDC, double FPU, FLOAT_HARD", kset(*RV32, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                                "RISCV_ISA_EXT_D", "RISCV_ISA_EXT_C", "CPU_HAS_FPU",
                                                "CPU_HAS_FPU_DOUBLE_PRECISION", "FPU", "FLOAT_HARD")),
    ("RV32IMAFDC, double FPU, soft-float ABI", kset(*RV32, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                                    "RISCV_ISA_EXT_D", "RISCV_ISA_EXT_C", "CPU_HAS_FPU",
                                                    "CPU_HAS_FPU_DOUBLE_PRECISION", "FPU")),
    ("RV32EMC", kset("RISCV", "RISCV_ISA_RV32E", "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_C")),
    ("RV64IMAC, no FPU", kset(*RV64, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_C")),
    ("RV64GC, double FPU, FLOAT_HARD", kset(*RV64, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                            "RISCV_ISA_EXT_D", "RISCV_ISA_EXT_C", "CPU_HAS_FPU",
                                            "CPU_HAS_FPU_DOUBLE_PRECISION", "FPU", "FLOAT_HARD")),
    ("RV64GC, double FPU, soft-float ABI", kset(*RV64, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                                "RISCV_ISA_EXT_D", "RISCV_ISA_EXT_C", "CPU_HAS_FPU",
                                                "CPU_HAS_FPU_DOUBLE_PRECISION", "FPU")),
    ("RV64IMAFC, single FPU, FLOAT_HARD", kset(*RV64, "RISCV_ISA_EXT_M", "RISCV_ISA_EXT_A", "RISCV_ISA_EXT_F",
                                               "RISCV_ISA_EXT_C", "CPU_HAS_FPU", "FPU", "FLOAT_HARD")),
]

template = open(os.path.join(work, "shim-a", "CMakeLists.txt")).read()
head, rest = template.split('set(CONFIG_NANODTLS_RUST_TARGET "")\n', 1)
tail = rest[rest.index("set(ZEPHYR_CURRENT_MODULE_DIR"):]
NOTARGET = "no Rust bare-metal target"

def zephyr_module(i, k):
    d = os.path.join(work, f"rv-{i}")
    os.makedirs(d + "/src", exist_ok=True)
    conf = "\n".join(f"set(CONFIG_{n} y)" for n in sorted(k)) + "\nset(CONFIG_NANODTLS_PROFILE_PSK y)\n"
    open(d + "/src/CMakeLists.txt", "w").write(head + 'set(CONFIG_NANODTLS_RUST_TARGET "")\n' + conf + tail)
    r = subprocess.run(["cmake", "-S", d + "/src", "-B", d + "/build"], capture_output=True, text=True)
    log = r.stdout + r.stderr
    open(d + "/configure.log", "w").write(log)
    if r.returncode != 0:
        return None if NOTARGET in re.sub(r"\s+", " ", log) else "error"
    m = re.search(r"^target=(\S+)$", open(d + "/build/nanodtls/nanodtls-config.txt").read(), re.M)
    return m.group(1) if m else "error"

def cross_cmake(i, march, mabi):
    d = os.path.join(work, f"rv-{i}", "cross")
    r = subprocess.run(["cmake", "-S", os.path.join(root, "embedded/cmake-cross-test"), "-B", d,
                        "--toolchain", os.path.join(root, "cmake/toolchains/riscv64-unknown-elf-rv32imac.cmake"),
                        f"-DCMAKE_C_FLAGS=-march={march} -mabi={mabi}"], capture_output=True, text=True)
    log = r.stdout + r.stderr
    open(d + ".log", "w").write(log)
    if r.returncode != 0:
        return None if NOTARGET in re.sub(r"\s+", " ", log) else "error"
    m = re.search(r"RESULT target=(\S+)", log)
    return m.group(1) if m else "error"

for i, (name, k) in enumerate(CASES):
    march, mabi = zephyr_flags(k)
    want = expected(march, mabi)
    got_z = zephyr_module(i, k)
    got_x = cross_cmake(i, march, mabi)
    show = lambda t: t if t else "error: no Rust target"
    if got_z == want and got_x == want:
        how = f"{want} (ABI {spec[want][1]})" if want else "refused: no Rust target has that ABI"
        print(f"ok   RISC-V {name}: -march={march} -mabi={mabi} -> {how}; zephyr module = nanodtls-cross.cmake")
    else:
        print(f"FAIL RISC-V {name}: Zephyr compiles -march={march} -mabi={mabi}, Rust target with that ABI: "
              f"{show(want)}; zephyr/CMakeLists.txt: {show(got_z)}; cmake/nanodtls-cross.cmake: {show(got_x)} "
              f"(logs in {work}/rv-{i}/)")
PYEOF

# A hard-float RV32IMAFC build links; the same library refuses a soft-float
# image (what a wrong target used to do on FPU builds).
RVCONF='set(CONFIG_RISCV y)
set(CONFIG_RISCV_ISA_RV32I y)
set(CONFIG_RISCV_ISA_EXT_M y)
set(CONFIG_RISCV_ISA_EXT_A y)
set(CONFIG_RISCV_ISA_EXT_F y)
set(CONFIG_RISCV_ISA_EXT_C y)
set(CONFIG_CPU_HAS_FPU y)
set(CONFIG_FPU y)
set(CONFIG_FLOAT_HARD y)
set(CONFIG_NANODTLS_PROFILE_PSK y)'
shim "$W/shim-rv" "$RVCONF
$(knobs 600)"
# --- 6. The sample against stand-in Zephyr headers --------------------------
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
# A model of Zephyr's minimal libc (lib/libc/minimal/source/string/string.c
# has memcpy, memmove, memset, memcmp, strlen, ...; nothing in it defines
# the ARM EABI helpers __aeabi_memcpy & co.) with what main.c needs.
cat >"$W/img/minimal_libc.c" <<'MINLIBC'
#include <stddef.h>
void *memcpy(void *d, const void *s, size_t n) { unsigned char *p = d; const unsigned char *q = s; while (n--) { *p++ = *q++; } return d; }
void *memmove(void *d, const void *s, size_t n) { unsigned char *p = d; const unsigned char *q = s; if (p < q) { while (n--) { *p++ = *q++; } } else { while (n--) { p[n] = q[n]; } } return d; }
void *memset(void *d, int c, size_t n) { unsigned char *p = d; while (n--) { *p++ = (unsigned char)c; } return d; }
int memcmp(const void *a, const void *b, size_t n) { const unsigned char *p = a, *q = b; for (; n; n--, p++, q++) { if (*p != *q) { return *p - *q; } } return 0; }
size_t strlen(const char *s) { size_t n = 0; while (s[n]) { n++; } return n; }
static int err;
int *__errno(void) { return &err; }
MINLIBC
CM4=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
CFLAGS_SAMPLE=(-Os -std=gnu11 -Wall -Wextra -Werror -ffunction-sections -fdata-sections
    -include "$W/img/autoconf.h" -I"$S" -I"$W/build/nanodtls/include")
LDFLAGS_SAMPLE=(-nostartfiles -T "$ND_ROOT/embedded/common/cortex-m.ld" -Wl,--gc-sections
    -Wl,-z,noexecstack -Wl,-e,main)
SRC_SAMPLE=("$ND_ROOT/c-examples/zephyr/src/main.c" "$W/img/zephyr_stubs.c")
lib="$W/build/nanodtls/libnanodtls.a"
# link_arm NAME ARGS...: link the sample; log in $W/img/NAME.log.
link_arm() {
    local name=$1
    shift
    arm-none-eabi-gcc "${CM4[@]}" "${CFLAGS_SAMPLE[@]}" "${LDFLAGS_SAMPLE[@]}" "$@" \
        -o "$W/img/$name.elf" >"$W/img/$name.log" 2>&1
}
if [ ! -f "$lib" ]; then
    bad "c-examples/zephyr/src/main.c: no library to link (the module's build failed)"
elif link_arm sample --specs=nano.specs --specs=nosys.specs "${SRC_SAMPLE[@]}" "$lib"; then
    ok "c-examples/zephyr/src/main.c: -Wall -Wextra -Werror, linked with the module's library, archive before libc/libgcc ($(arm-none-eabi-size "$W/img/sample.elf" | awk 'NR==2 {print $1 " B text"}'))"
    if link_arm sample-after --specs=nano.specs -nodefaultlibs "${SRC_SAMPLE[@]}" \
        -Wl,--start-group -lc -lnosys -lgcc -Wl,--end-group "$lib"; then
        ok "the sample links with the archive after libc and libgcc too (no symbol missing or defined twice)"
    else
        bad "the sample does not link with the archive after libc/libgcc:"
        sed 's/^/     /' "$W/img/sample-after.log" | head -n 12
    fi
    if link_arm sample-minlibc -nostdlib "${SRC_SAMPLE[@]}" "$W/img/minimal_libc.c" "$lib" -lgcc \
        -Wl,--trace-symbol=__aeabi_memcpy && grep -q 'libnanodtls.a.*definition of __aeabi_memcpy' "$W/img/sample-minlibc.log"; then
        ok "with only a minimal-libc model (memcpy & co., no __aeabi_mem*) the sample links: the archive brings its own __aeabi_mem*"
    else
        bad "the sample does not link against the minimal-libc model (CONFIG_MINIMAL_LIBC has no __aeabi_mem*):"
        sed 's/^/     /' "$W/img/sample-minlibc.log" | head -n 12
    fi
else
    bad "c-examples/zephyr/src/main.c does not build against the stand-ins:"
    sed 's/^/     /' "$W/img/sample.log" | head -n 20
fi

# The archive needs nothing from outside, and every runtime function in it
# (compiler_builtins: mem*, __aeabi_*, ...) is weak, so libc or libgcc on
# either side of it in Zephyr's link line can never clash with it.
if [ -f "$lib" ]; then
    readelf -sW "$lib" 2>/dev/null | awk '
        $1 ~ /^[0-9]+:$/ && ($5 == "GLOBAL" || $5 == "WEAK") {
            if ($7 == "UND") und[$8] = 1; else def[$8] = def[$8] " " $5 }
        END {
            for (s in und) if (!(s in def) && s != "") print "undefined", s
            for (s in def) if (s !~ /^(nanodtls_|_R|_ZN)/ && def[s] ~ /GLOBAL/) print "strong", s
        }' | sort >"$W/img/archive-symbols.txt" || true
    if [ ! -s "$W/img/archive-symbols.txt" ]; then
        ok "libnanodtls.a: no undefined symbols left, and every non-nanodtls_ symbol it defines is weak"
    else
        bad "libnanodtls.a depends on link order: $(head -n 8 "$W/img/archive-symbols.txt" | tr '\n' ' ')"
    fi
fi

# RISC-V link (the shim's library for RV32IMAFC + FPU + FLOAT_HARD).
RVB="$W/build-rv"
rvlib="$RVB/nanodtls/libnanodtls.a"
# link_rv NAME MARCH MABI: link the sample for that ISA/ABI; log in
# $W/img/NAME.log. (No _zicsr in MARCH: Debian's GCC 12 then finds no
# picolibc multilib for it and links the rv64 one.)
link_rv() {
    riscv64-unknown-elf-gcc -march="$2" -mabi="$3" -mcmodel=medany -Os -std=gnu11 -Wall -Wextra -Werror \
        -ffunction-sections -fdata-sections -include "$W/img/autoconf.h" -I"$S" -I"$RVB/nanodtls/include" \
        --specs=picolibc.specs -nostartfiles -T "$ND_ROOT/embedded/common/riscv32.ld" -Wl,--gc-sections \
        -Wl,-e,main "${SRC_SAMPLE[@]}" "$rvlib" -o "$W/img/$1.elf" >"$W/img/$1.log" 2>&1
}
if build_shim rv "$W/shim-rv" "$RVB" && grep -q "target=riscv32imafc-unknown-none-elf" "$RVB/nanodtls/nanodtls-config.txt"; then
    if link_rv sample-rv rv32imafc ilp32f; then
        ok "RISC-V RV32IMAFC + FLOAT_HARD: the sample links with the module's riscv32imafc library at -mabi=ilp32f ($(riscv64-unknown-elf-size "$W/img/sample-rv.elf" | awk 'NR==2 {print $1 " B text"}'))"
    else
        bad "RISC-V RV32IMAFC + FLOAT_HARD: the sample does not link:"
        sed 's/^/     /' "$W/img/sample-rv.log" | head -n 12
    fi
    if ! link_rv sample-rv-soft rv32imac ilp32 &&
        grep -q "can't link single-float modules with soft-float modules" "$W/img/sample-rv-soft.log"; then
        ok "RISC-V: a soft-float (-mabi=ilp32) image refuses that library, so a wrong float ABI cannot go unnoticed here"
    else
        bad "RISC-V: a soft-float image linked against the ilp32f library (the link check has no teeth):"
        sed 's/^/     /' "$W/img/sample-rv-soft.log" | head -n 6
    fi
else
    bad "RISC-V RV32IMAFC + FLOAT_HARD: the module's build failed (see $W/rv.log)"
    tail -n 15 "$W/rv.log" | sed 's/^/     /'
fi

# --- 7. The sample's own module registration vs. zephyr_get() --------------
# A stand-in Zephyr package for find_package(Zephyr): it reads the extra
# modules the way Zephyr's cmake/modules/zephyr_module.cmake does,
# zephyr_get(EXTRA_ZEPHYR_MODULES VAR EXTRA_ZEPHYR_MODULES ZEPHYR_EXTRA_MODULES):
# the first scope that has either name wins, scopes in the order sysbuild,
# CMake cache, environment, local variable (documented at zephyr_get() in
# Zephyr's cmake/modules/extensions.cmake; sysbuild is not modelled), and
# writes down what Zephyr would pass to scripts/zephyr_module.py.
FZ="$W/fake-zephyr"
mkdir -p "$FZ"
cat >"$FZ/ZephyrConfig.cmake" <<'FAKE'
set(_fz_found FALSE)
foreach(_fz_scope CACHE ENV LOCAL)
  foreach(_fz_var EXTRA_ZEPHYR_MODULES ZEPHYR_EXTRA_MODULES)
    if(NOT _fz_found)
      if(_fz_scope STREQUAL "CACHE" AND DEFINED CACHE{${_fz_var}})
        set(_fz_value "$CACHE{${_fz_var}}")
        set(_fz_found TRUE)
      elseif(_fz_scope STREQUAL "ENV" AND DEFINED ENV{${_fz_var}})
        set(_fz_value "$ENV{${_fz_var}}")
        set(_fz_found TRUE)
      elseif(_fz_scope STREQUAL "LOCAL" AND DEFINED ${_fz_var})
        set(_fz_value "${${_fz_var}}")
        set(_fz_found TRUE)
      endif()
    endif()
  endforeach()
endforeach()
if(NOT _fz_found)
  set(_fz_value "")
endif()
string(REPLACE ";" "\n" _fz_text "${_fz_value}")
file(WRITE "${CMAKE_BINARY_DIR}/extra-modules.txt" "${_fz_text}\n")
project(zephyr_stand_in C)
file(WRITE "${CMAKE_BINARY_DIR}/app.c" "int app_stub;\n")
add_library(app STATIC "${CMAKE_BINARY_DIR}/app.c")
set(Zephyr_FOUND TRUE)
FAKE
# The sample as it was, as a control: it must fail the same test.
mkdir -p "$W/old-sample"
cat >"$W/old-sample/CMakeLists.txt" <<OLD
cmake_minimum_required(VERSION 3.20.0)
list(APPEND ZEPHYR_EXTRA_MODULES "$ND_ROOT")
find_package(Zephyr REQUIRED)
project(old_sample C)
OLD
# modules SRC BUILD [env NAME=VALUE...] -- [cmake -D...]: configure,
# print the resolved list (one per line).
modules() {
    local src=$1 b=$2
    shift 2
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    env ${envs[@]+"${envs[@]}"} cmake -S "$src" -B "$b" -DZephyr_DIR="$FZ" "$@" >"$b.log" 2>&1 || return 1
    cat "$b/extra-modules.txt"
}
# has_once LIST ITEM: ITEM occurs exactly once.
has_once() { [ "$(grep -cxF -- "$2" <<<"$1")" = 1 ]; }
SAMPLE="$ND_ROOT/c-examples/zephyr"
OTHER=/opt/zephyr-modules/other
p_ok=() p_bad=()
case_run() { # NAME ENV... -- CMAKE-ARGS...
    local name=$1
    shift
    local b="$W/modules-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_')"
    local got
    rm -rf "$b"
    if ! got=$(modules "$SAMPLE" "$b" "$@"); then
        p_bad+=("$name: configure failed ($b.log)")
        return
    fi
    # Configure once more: the repository must not be added twice.
    got=$(modules "$SAMPLE" "$b" "$@") || true
    if has_once "$got" "$ND_ROOT" && { [[ "$name" == "no extra modules" ]] || has_once "$got" "$OTHER"; }; then
        p_ok+=("$name")
    else
        p_bad+=("$name: Zephyr would load [$(echo "$got" | paste -sd' ')]")
    fi
}
case_run "no extra modules" --
case_run "-DEXTRA_ZEPHYR_MODULES" -- -DEXTRA_ZEPHYR_MODULES="$OTHER"
case_run "-DZEPHYR_EXTRA_MODULES" -- -DZEPHYR_EXTRA_MODULES="$OTHER"
case_run "env EXTRA_ZEPHYR_MODULES" EXTRA_ZEPHYR_MODULES="$OTHER" --
case_run "env ZEPHYR_EXTRA_MODULES" ZEPHYR_EXTRA_MODULES="$OTHER" --
case_run "-DEXTRA_ZEPHYR_MODULES with env ZEPHYR_EXTRA_MODULES" ZEPHYR_EXTRA_MODULES=/ignored -- -DEXTRA_ZEPHYR_MODULES="$OTHER"
if [ ${#p_bad[@]} -eq 0 ]; then
    ok "c-examples/zephyr/CMakeLists.txt: the repository is in the extra modules Zephyr reads, once, in all ${#p_ok[@]} cases (${p_ok[*]})"
else
    bad "c-examples/zephyr/CMakeLists.txt: the module is lost or doubled:"
    printf '     %s\n' "${p_bad[@]}"
fi
# Control: the old list(APPEND ZEPHYR_EXTRA_MODULES ...) loses the module
# as soon as the user passes one.
rm -rf "$W/modules-old"
if got=$(modules "$W/old-sample" "$W/modules-old" -- -DEXTRA_ZEPHYR_MODULES="$OTHER") && ! grep -qxF "$ND_ROOT" <<<"$got"; then
    ok "control: the model reproduces the old bug (list(APPEND ZEPHYR_EXTRA_MODULES) lost with -DEXTRA_ZEPHYR_MODULES)"
else
    bad "control: the zephyr_get() model does not reproduce the lost self-append (got: $(echo "${got:-}" | paste -sd' '))"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
