#!/usr/bin/env bash
# Embedded benchmark: Cortex-M4 images (QEMU mps2-an386) that run a
# complete DTLS handshake between a nanodtls client and server in RAM, and
# a 64-byte application record each way (embedded/bench/bench.c).
#
#   scripts/bench-embedded.sh [--profile] [--profiles "psk small full"] (also: psk-tables, psk-hook, full-x509)
#
# Profiles: psk   = --no-default-features --features psk
#           psk-tables = psk,aes-tables (table-based AES: not constant-time
#                   on parts with a data or flash cache, src/crypto/aes_tables.rs)
#           psk-hook = psk,aes-hook with a stand-in AES/CCM hook that does no
#                   cryptography (bench.c -DBENCH_AES_HOOK): what the library
#                   spends around a CCM engine; not in the default list
#           small = --no-default-features --features psk,small (MFL 512 buffers)
#           full  = --no-default-features --features psk,ecc (PSK + ECDHE-ECDSA
#                   with raw public keys; also runs an ECDHE-ECDSA handshake
#                   with mutual auth)
#           full-x509 = psk,ecc,x509 (full + certificate mode; also runs a
#                   mutual X.509 handshake, chains of 3 below the root
#                   validated both ways). No profile has the `log` feature (the
#                   default build's debug log): firmware links no core::fmt.
#           psk-derived-key = psk + derived-key (also a DerivedKey handshake)
#           full-authz-cert = full + authz-cert (also an AuthzCert handshake)
#
# Reports, per profile: flash of the library as linked (image minus the
# same image linked against stubs, embedded/bench/stub.c), for a client-only
# application (embedded/linktest; also against a client-only library, cargo
# feature `client`) and for the bench image (client+server);
# static RAM; context size; peak stack per client call and for the whole
# run (stack painting); heap (an _sbrk that counts; malloc must not be
# linked); guest instructions per handshake and per record (qemu -icount
# shift=0, CMSDK timer read around the library calls only). It also checks
# that no core::fmt machinery is linked and that a panic reaches the hook
# registered with nanodtls_set_panic_hook.
#
# --profile additionally runs the psk and full images with QEMU's exec log
# (no icount) and prints where the instructions go, by function, and the
# largest stack frames (from the disassembled prologues).
#
# Quiet unless something fails; prints markdown tables. Artifacts in
# target/bench/. Exit status 1 if a step fails.
set -euo pipefail

ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/embedded-common.sh
. "$ND_ROOT/scripts/lib/embedded-common.sh"

PROFILE=0
PROFILES="psk small full"
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) PROFILE=1; shift ;;
        --profiles) PROFILES=$2; shift 2 ;;
        -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
        *) nd_die "unknown argument: $1 (see --help)" ;;
    esac
done

nd_apt_ensure gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm binutils-arm-none-eabi

T=thumbv7em-none-eabihf
OUT="$ND_ROOT/target/bench"
CARGO_DIR="${NANODTLS_CROSS_DIR:-$ND_ROOT/target/cross}/cargo"
EMB="$ND_ROOT/embedded"
mkdir -p "$OUT"

CFLAGS=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -std=gnu99
    -ffunction-sections -fdata-sections -Wall -Wextra -Werror -I"$EMB/common")
LDFLAGS=(--specs=nano.specs -nostartfiles -T "$EMB/common/cortex-m.ld" -Wl,--gc-sections -Wl,-z,noexecstack)
QEMU=(qemu-system-arm -M mps2-an386 -nographic -semihosting -monitor none -serial none)

# Flash bytes of an image: everything loaded into the code memory.
flash_of() {
    arm-none-eabi-size -A "$1" | awk '$1 ~ /^\.(vectors|text|rodata|ARM\.ex|data)/ {s += $2} END {print s + 0}'
}
# RAM bytes of an image apart from the stack: .data + .bss.
ram_of() {
    arm-none-eabi-size -A "$1" | awk '$1 ~ /^\.(data|bss)$/ {s += $2} END {print s + 0}'
}

# link OUT.elf DEFINES... -- SOURCES...
link() {
    local out=$1
    shift
    local -a defs=() srcs=()
    while [ "$1" != "--" ]; do defs+=("$1"); shift; done
    shift
    srcs=("$@")
    arm-none-eabi-gcc "${CFLAGS[@]}" "${defs[@]}" "${LDFLAGS[@]}" -Wl,-Map="${out%.elf}.map" \
        "$EMB/common/cm_startup.c" "${srcs[@]}" -o "$out" >"${out%.elf}.log" 2>&1 || {
        echo "error: link of $out failed:" >&2
        sed 's/^/    /' "${out%.elf}.log" | head -n 30 >&2
        return 1
    }
}

declare -A M # metrics: M[profile.key]
FAILS=0
failmsg() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

for p in $PROFILES; do
    case "$p" in
        psk) fs=psk; ecc=() ;;
        small) fs=psk,small; ecc=() ;;
        full) fs=psk,ecc; ecc=(-DBENCH_ECC) ;;
        psk-tables) fs=psk,aes-tables; ecc=() ;;
        psk-hook) fs=psk,aes-hook; ecc=(-DBENCH_AES_HOOK) ;;
        full-x509) fs=psk,ecc,x509; ecc=(-DBENCH_ECC -DBENCH_X509) ;;
        # The trusted-third-party modes (docs/ttp.md): the same runs plus a
        # DerivedKey / an AuthzCert handshake.
        psk-derived-key) fs=psk,derived-key; ecc=(-DBENCH_DK) ;;
        full-authz-cert) fs=psk,ecc,authz-cert; ecc=(-DBENCH_ECC -DBENCH_AUTHZ) ;;
        *) nd_die "unknown profile $p (psk, small, full, psk-tables, psk-hook, full-x509, psk-derived-key, full-authz-cert)" ;;
    esac
    feat=(--no-default-features --features "$fs")
    d="$OUT/$p"
    mkdir -p "$d"
    if [ "$p" = full-x509 ]; then
        # tests/pki as C arrays for the certificate-mode handshake.
        python3 - "$ND_ROOT/tests/pki" "$d/bench_pki.h" <<'PY'
import sys
from pathlib import Path
pki, out = Path(sys.argv[1]), Path(sys.argv[2])
arrays = {"PKI_ROOT": ["root"], "PKI_SERVER_CHAIN": ["server3", "int2", "int1"],
          "PKI_CLIENT_CHAIN": ["client-cn", "int2", "int1"], "PKI_SERVER_KEY": ["server3.key"],
          "PKI_CLIENT_KEY": ["client-cn.key"]}
lines = ["/* Generated by scripts/bench-embedded.sh from tests/pki. */"]
for name, files in arrays.items():
    data = b"".join((pki / f"{f}.der").read_bytes() for f in files)
    body = ",".join(str(b) for b in data)
    lines.append(f"static const uint8_t {name}[{len(data)}] = {{{body}}};")
out.write_text("\n".join(lines) + "\n")
PY
    fi
    a=$(nd_cargo_staticlib "$T" "$CARGO_DIR" "$d/cargo.log" "${feat[@]}") || nd_die "cargo build failed for profile $p"
    cp "$a" "$d/libnanodtls.a"
    h=$(nd_header_for "$a") || nd_die "generated header not found for $a"
    cp "$h" "$d/nanodtls.h"

    inc=(-I"$d")
    lt_ecc=()
    case "$p" in full | full-x509 | full-authz-cert) lt_ecc=(-DLINKTEST_ECC) ;; esac
    link "$d/bench.elf" "${inc[@]}" "${ecc[@]}" -- "$EMB/bench/bench.c" "$d/libnanodtls.a" || nd_die "bench link failed"
    link "$d/bench-stub.elf" "${inc[@]}" "${ecc[@]}" -- "$EMB/bench/bench.c" "$EMB/bench/stub.c" || nd_die "stub link failed"
    link "$d/client.elf" "${inc[@]}" "${lt_ecc[@]}" -- "$EMB/linktest/linktest.c" "$d/libnanodtls.a" || nd_die "client link failed"
    link "$d/client-stub.elf" "${inc[@]}" "${lt_ecc[@]}" -- "$EMB/linktest/linktest.c" "$EMB/bench/stub.c" || nd_die "client stub link failed"

    M[$p.flash_client]=$(($(flash_of "$d/client.elf") - $(flash_of "$d/client-stub.elf")))
    # The same client application against a client-only library (cargo
    # feature `client`: the server's handshake code is not linked).
    a=$(nd_cargo_staticlib "$T" "$CARGO_DIR" "$d/cargo-client-only.log" --no-default-features --features "$fs,client") ||
        nd_die "cargo build (client-only) failed for profile $p"
    cp "$a" "$d/libnanodtls-client-only.a"
    link "$d/client-only.elf" "${inc[@]}" "${lt_ecc[@]}" -- "$EMB/linktest/linktest.c" "$d/libnanodtls-client-only.a" ||
        nd_die "client-only link failed"
    M[$p.flash_client_only]=$(($(flash_of "$d/client-only.elf") - $(flash_of "$d/client-stub.elf")))
    M[$p.flash_bench]=$(($(flash_of "$d/bench.elf") - $(flash_of "$d/bench-stub.elf")))
    read -r lt lr ldata lbss lo < <(awk -v lib=libnanodtls.a -f "$EMB/common/mapsize.awk" "$d/client.map" | sed 's/[a-z]*=//g')
    M[$p.map_client]=$((lt + lr + lo))
    M[$p.lib_ram]=$((ldata + lbss))
    read -r lt lr ldata lbss lo < <(awk -v lib=libnanodtls.a -f "$EMB/common/mapsize.awk" "$d/bench.map" | sed 's/[a-z]*=//g')
    M[$p.map_bench]=$((lt + lr + lo))
    M[$p.ram_bench]=$(($(ram_of "$d/bench.elf") - $(ram_of "$d/bench-stub.elf")))

    # Heap: nothing may pull in malloc (our _sbrk would be its only source).
    if arm-none-eabi-nm "$d/bench.elf" "$d/client.elf" 2>/dev/null | grep -Eq ' [TtWw] (_?malloc|_malloc_r|free|_free_r|calloc|realloc)$'; then
        M[$p.malloc]="LINKED"
        failmsg "$p: malloc/free linked into the image"
    else
        M[$p.malloc]="not linked"
    fi
    # Formatting machinery: none without the `log` feature (log points
    # compile to nothing; no profile here enables it).
    arm-none-eabi-nm -C "$d/bench.elf" 2>/dev/null | grep -E 'core::fmt' >"$d/fmt-symbols.txt" || true
    M[$p.fmt]=$(wc -l <"$d/fmt-symbols.txt" | tr -d ' ')
    [ "${M[$p.fmt]}" -eq 0 ] || failmsg "$p: ${M[$p.fmt]} core::fmt symbols linked (see $d/fmt-symbols.txt)"
    # Panic entry points and the functions that call them.
    arm-none-eabi-nm -C "$d/bench.elf" 2>/dev/null | grep -E 'core::panicking|core::option::unwrap_failed|core::result::unwrap_failed|panic_bounds_check|slice_(start|end)_index|slice_index_order' |
        awk '{$1=""; $2=""; sub(/^  /, ""); print}' >"$d/panic-symbols.txt" || true
    M[$p.panic_syms]=$(wc -l <"$d/panic-symbols.txt" | tr -d ' ')

    # Run it.
    if ! timeout 600 "${QEMU[@]}" -icount shift=0 -kernel "$d/bench.elf" >"$d/run.txt" 2>&1; then
        failmsg "$p: bench run failed (exit $?); output:"
        sed 's/^/    /' "$d/run.txt" | tail -n 15 >&2
        continue
    fi
    grep -q '^BENCH OK' "$d/run.txt" || { failmsg "$p: no BENCH OK"; continue; }
    while read -r k v _; do
        case "$k" in *.trace | *.suite | BENCH | FAIL | calling | PANIC) continue ;; esac
        [ -n "$v" ] && M[$p.$k]=$v
    done <"$d/run.txt"
    [ "${M[$p.lib_ctx_size]:-x}" = "${M[$p.ctx_size]:-y}" ] || failmsg "$p: header and library disagree on the context size"
done

# --- Panic hook check (first profile): call core::panicking::panic_fmt ----
# The library is written never to panic, so no input can trigger one; the
# check calls the panic entry point directly. Two links: the first gives
# the entry's address, the second passes it in (same layout, checked).
PANIC_RESULT="not run"
pp=${PROFILES%% *}
pd="$OUT/$pp"
if [ -f "$pd/bench.elf" ]; then
    entry=$(arm-none-eabi-nm -C "$pd/bench.elf" 2>/dev/null | awk '$3 == "core::panicking::panic_fmt" {if (!f) print $1; f = 1}')
    if [ -z "$entry" ]; then
        PANIC_RESULT="no panic_fmt in the image (no panic path linked)"
    else
        link "$pd/panic1.elf" -I"$pd" -DBENCH_PANIC_ENTRY -Wl,--defsym=nd_panic_entry=0x1 -- \
            "$EMB/bench/bench.c" "$pd/libnanodtls.a" || nd_die "panic test link failed"
        addr=$(arm-none-eabi-nm -C "$pd/panic1.elf" | awk '$3 == "core::panicking::panic_fmt" {if (!f) print $1; f = 1}')
        [ -n "$addr" ] || nd_die "panic test: panic_fmt missing from the test image"
        link "$pd/panic.elf" -I"$pd" -DBENCH_PANIC_ENTRY "-Wl,--defsym=nd_panic_entry=0x$addr+1" -- \
            "$EMB/bench/bench.c" "$pd/libnanodtls.a" || nd_die "panic test link failed"
        addr2=$(arm-none-eabi-nm -C "$pd/panic.elf" | awk '$3 == "core::panicking::panic_fmt" {if (!f) print $1; f = 1}')
        if [ "$addr" != "$addr2" ]; then
            PANIC_RESULT="FAIL (layout changed between links)"
            failmsg "panic test: layout changed"
        elif timeout 60 "${QEMU[@]}" -kernel "$pd/panic.elf" >"$pd/panic-run.txt" 2>&1 &&
            grep -q 'PANIC HOOK CALLED' "$pd/panic-run.txt"; then
            PANIC_RESULT="OK: panic_fmt (0x$addr) -> panic handler -> hook"
        else
            PANIC_RESULT="FAIL: hook not reached ($(tail -n 1 "$pd/panic-run.txt"))"
            failmsg "panic test: hook not reached"
        fi
    fi
fi

# --- Tables --------------------------------------------------------------
g() { echo "${M[$1.$2]:--}"; }
kb() { if [ "$1" = "-" ]; then echo "-"; else awk -v b="$1" 'BEGIN {printf "%d (%.1f KiB)", b, b / 1024}'; fi; }
mi() { if [ "$1" = "-" ]; then echo "-"; else awk -v n="$1" 'BEGIN {if (n >= 1e6) printf "%.2f M", n / 1e6; else printf "%d", n}'; fi; }
sum() { if [ "$1" = "-" ] || [ "$2" = "-" ]; then echo "-"; else echo $(($1 + $2)); fi; }

cols=""
sep=""
for p in $PROFILES; do
    case "$p" in
        psk) n="PSK only" ;; small) n="PSK only, small (MFL 512)" ;; full) n="full (PSK + ECDHE-ECDSA)" ;;
        psk-tables) n="PSK only, table AES (aes-tables)" ;; psk-hook) n="PSK only, stand-in AES/CCM hook (aes-hook)" ;;
        full-x509) n="full + x509 (certificate mode)" ;;
        psk-derived-key) n="PSK + derived-key" ;; full-authz-cert) n="full + authz-cert" ;;
    esac
    cols="$cols | $n"
    sep="$sep|---:"
done
has() { case " $PROFILES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
row() { # row LABEL FN KEY...
    local label=$1 fn=$2
    shift 2
    local line="| $label"
    for p in $PROFILES; do
        local v
        v=$("$fn" "$p" "$@")
        line="$line | $v"
    done
    echo "$line |"
}
r_kb() { kb "$(g "$1" "$2")"; }
r_n() { g "$1" "$2"; }
r_mi() { mi "$(g "$1" "$2")"; }
r_sum() { kb "$(sum "$(g "$1" "$2")" "$(g "$1" "$3")")"; }
r_heap() { echo "$(g "$1" sbrk_calls) / $(g "$1" malloc)"; }

echo
echo "## nanodtls on Cortex-M4 (thumbv7em-none-eabihf, opt-level s, LTO; QEMU mps2-an386, -icount shift=0)"
echo
echo "| metric$cols |"
echo "|---$sep|"
row "library flash, client app (image - stub image)" r_kb flash_client
row "library flash, client app, client-only library (feature client)" r_kb flash_client_only
row "library flash, client app (map: lib .text+.rodata)" r_kb map_client
row "library flash, bench image client+server (image - stub)" r_kb flash_bench
row "library static RAM (.data+.bss)" r_n lib_ram
row "context size (sizeof nanodtls_ctx)" r_n ctx_size
row "client peak stack, PSK handshake + records" r_n psk.client_stack
row "client context + peak stack (PSK)" r_sum ctx_size psk.client_stack
row "server peak stack, PSK handshake" r_n psk.server_stack
row "peak stack, whole run (from stack top)" r_n stack_peak_total
row "heap: _sbrk calls / malloc" r_heap
row "client instructions, PSK handshake" r_mi psk.client_insns
row "server instructions, PSK handshake" r_mi psk.server_insns
row "client library calls, PSK handshake" r_n psk.client_calls
row "64 B record, client send (write: sealed into the datagram)" r_n psk_record_c2s.send_insns
row "64 B record, server receive (feed: opened in place)" r_n psk_record_c2s.recv_insns
row "64 B record, client receive (feed: opened in place)" r_n psk_record_s2c.recv_insns
row "client instructions, ECDHE-ECDSA handshake (mutual RPK)" r_mi ecc.client_insns
row "server instructions, ECDHE-ECDSA handshake" r_mi ecc.server_insns
row "client key setup (set_own_key, trust)" r_mi ecc.client_setup_insns
row "client peak stack, ECDHE-ECDSA" r_n ecc.client_stack
row "server peak stack, ECDHE-ECDSA" r_n ecc.server_stack
row "client instructions, X.509 handshake (mutual, chains 3 below the root)" r_mi x509.client_insns
row "server instructions, X.509 handshake" r_mi x509.server_insns
row "client peak stack, X.509 handshake (validation included)" r_n x509.client_stack
row "server peak stack, X.509 handshake (validation included)" r_n x509.server_stack
if has psk-derived-key || has full-authz-cert; then
    row "client instructions, DerivedKey handshake (PSK)" r_mi dk.client_insns
    row "server instructions, DerivedKey handshake" r_mi dk.server_insns
    row "server peak stack, DerivedKey" r_n dk.server_stack
    row "client instructions, AuthzCert handshake (ECDHE-ECDSA)" r_mi authz.client_insns
    row "server instructions, AuthzCert handshake" r_mi authz.server_insns
    row "client peak stack, AuthzCert" r_n authz.client_stack
    row "server peak stack, AuthzCert" r_n authz.server_stack
fi
row "core::fmt symbols linked" r_n fmt
row "panic entry symbols linked" r_n panic_syms
echo
echo "Panic hook: $PANIC_RESULT"
echo "Instructions: CMSDK timer ticks x calibrated instructions/tick ($(g "${PROFILES%% *}" ipt_milli | awk '{printf "%.3f", $1/1000}')), library calls only."

# --- Goals and the C stacks (measured the same way by the team) ----------
verdict() { # verdict VALUE GOAL
    if [ "$1" = "-" ]; then echo "not measured"; elif [ "$1" -le "$2" ]; then echo "met"; else
        awk -v v="$1" -v g="$2" 'BEGIN {printf "MISSED (+%.0f%%)", (v / g - 1) * 100}'; fi
}
echo
echo "| goal | nanodtls | goal | tinydtls | Mbed TLS 3.6.6 | verdict |"
echo "|---|---:|---:|---:|---:|---|"
if has psk; then
    v=$(g psk flash_client)
    echo "| PSK-only library flash (client app, image - stub) | $(kb "$v") | 14336 (14 KiB) | 18693 | 21968 | $(verdict "$v" 14336) |"
    v=$(g psk flash_client_only)
    echo "| the same, client-only library (feature client) | $(kb "$v") | 14336 (14 KiB) | 18693 | 21968 | $(verdict "$v" 14336) |"
    v=$(g psk psk.client_insns)
    echo "| PSK client handshake, instructions | $(mi "$v") | 0.25 M | 0.279 M | 0.551 M | $(verdict "$v" 250000) |"
    v=$(g psk psk_record_c2s.send_insns)
    echo "| 64 B CCM-8 record, client send | $v | - | ~11000 | ~11000 | - |"
fi
if has small; then
    v=$(sum "$(g small ctx_size)" "$(g small psk.client_stack)")
    echo "| PSK client context + peak stack, MFL 512 (small) | $(kb "$v") | 2048 | ~220 static + 658 heap + 1496 stack | - | $(verdict "$v" 2048) |"
fi
if has full; then
    v=$(g full ecc.client_insns)
    echo "| ECDHE-ECDSA client handshake, instructions | $(mi "$v") | 30 M | 437 M | 53.7 M | $(verdict "$v" 30000000) |"
    v=$(g full ecc.client_stack)
    echo "| ECDHE-ECDSA client peak stack | $v | 4096 | - | - | $(verdict "$v" 4096) |"
fi

# --- Where the instructions go (optional) ---------------------------------
if [ $PROFILE = 1 ]; then
    for p in $PROFILES; do
        [ "$p" = small ] && continue
        d="$OUT/$p"
        [ -f "$d/bench.elf" ] || continue
        # Profile image: same bench, no stack painting (it would dominate).
        pecc=()
        [ "$p" = full ] && pecc=(-DBENCH_ECC)
        link "$d/bench-prof.elf" -I"$d" -DBENCH_NO_PAINT "${pecc[@]}" -- \
            "$EMB/bench/bench.c" "$d/libnanodtls.a" || nd_die "profile link failed"
        fifo="$d/qemu-exec.fifo"
        rm -f "$fifo"
        mkfifo "$fifo"
        # in_asm gives each translation block's instruction count, exec (with
        # nochain) one line per block executed, tagged with its function.
        timeout 900 "${QEMU[@]}" -kernel "$d/bench-prof.elf" -d in_asm,exec,nochain -D "$fifo" >"$d/prof-run.txt" 2>&1 &
        qpid=$!
        awk -f "$EMB/bench/exec-profile.awk" "$fifo" >"$d/profile.txt"
        wait "$qpid" || failmsg "$p: profile run failed"
        rm -f "$fifo"
        echo
        echo "### Largest stack frames, $p image (prologue push + sub sp; top 10)"
        echo
        echo "| bytes | function |"
        echo "|---:|---|"
        arm-none-eabi-objdump -d -C "$d/bench.elf" | awk -f "$EMB/common/frames.awk" | sort -k1,1nr |
            awk -F'\t' 'NR <= 10 {printf "| %d | %s |\n", $1, $2}'
        echo
        echo "### Instructions by function, $p image (client + server + bench harness, whole run; top 25)"
        echo
        echo "| instructions | share | function |"
        echo "|---:|---:|---|"
        sort -k1,1nr "$d/profile.txt" | awk 'NR <= 26' |
            awk -F'\t' '{printf "| %d | %.1f%% | %s |\n", $1, $2, $3}' |
            arm-none-eabi-c++filt | sed 's/\[[0-9a-f]\{8,16\}\]//g' 
    done
fi

[ "$FAILS" -eq 0 ] || { echo "$FAILS check(s) FAILED" >&2; exit 1; }
