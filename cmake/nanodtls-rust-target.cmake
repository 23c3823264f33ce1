# nanodtls-rust-target.cmake - map C compiler CPU flags to a Rust target.
#
# Functions only (no variables, no targets). Included by
# cmake/nanodtls-cross.cmake, which derives the target from the C
# toolchain's flags, and by zephyr/CMakeLists.txt, which builds the
# -march/-mabi that Zephyr passes to its GCC from Kconfig and asks the same
# question. One rule for both, so the two can never disagree on the float
# ABI (scripts/check-zephyr-module.sh checks that they do not).
#
#   nanodtls_rust_target_from_flags(<out> <flag>...)
#       <out> = the Rust target for -mcpu= / -march= / -mfloat-abi= / -mabi=
#       among the flags (the last of each kind counts), "" when they name
#       no CPU. A CPU nanodtls knows no Rust target for is a FATAL_ERROR.
#   nanodtls_rust_target_from_processor(<out> <CMAKE_SYSTEM_PROCESSOR>)
#       the same from a processor name (cortex-m4, armv7e-m, riscv32, ...).
#
# Arm: Cortex-M0/M0+/M1 -> thumbv6m-none-eabi, M3 -> thumbv7m-none-eabi,
# M4/M7 -> thumbv7em-none-eabi, or -eabihf with -mfloat-abi=hard, M23 ->
# thumbv8m.base-none-eabi, M33/M35P/M52/M55/M85 -> thumbv8m.main-none-eabi(hf).
#
# RISC-V: the object files of one image must all use the same float ABI
# (GNU ld refuses to mix soft-float, single-float and double-float ones),
# so the target is chosen by -mabi first and by the ISA second: the
# bare-metal target with exactly that ABI whose extensions the core has.
# Rust's bare-metal RISC-V targets and their ABIs (rustc
# --print target-spec-json, field llvm-abiname):
#   ilp32   riscv32i, riscv32im, riscv32ima, riscv32imc, riscv32imac
#   ilp32f  riscv32imafc
#   ilp32e  riscv32e, riscv32em, riscv32emc
#   lp64    riscv64im, riscv64imac
#   lp64d   riscv64gc
# There is none for ilp32d or lp64f (e.g. a double-precision FPU on RV32
# with the hard-float ABI): that is an error, not a silent soft-float
# library that fails to link. No -mabi counts as the soft-float ABI.

include_guard(GLOBAL)

function(nanodtls_rust_target_from_flags out)
    set(cpu "")
    set(arch "")
    set(float "")
    set(abi "")
    foreach(f IN LISTS ARGN)
        if(f MATCHES "^-mcpu=([^+]+)")
            set(cpu "${CMAKE_MATCH_1}")
        elseif(f MATCHES "^-march=(.+)$")
            set(arch "${CMAKE_MATCH_1}")
        elseif(f MATCHES "^-mfloat-abi=(.+)$")
            set(float "${CMAKE_MATCH_1}")
        elseif(f MATCHES "^-mabi=(.+)$")
            set(abi "${CMAKE_MATCH_1}")
        endif()
    endforeach()
    string(TOLOWER "${cpu}" cpu)
    string(TOLOWER "${arch}" arch)
    string(TOLOWER "${abi}" abi)
    set(hf "")
    if(float STREQUAL "hard")
        set(hf "hf")
    endif()
    set(t "")
    if(cpu MATCHES "^cortex-m0|^cortex-m1$")
        set(t "thumbv6m-none-eabi")
    elseif(cpu STREQUAL "cortex-m3")
        set(t "thumbv7m-none-eabi")
    elseif(cpu MATCHES "^cortex-m[47]$")
        set(t "thumbv7em-none-eabi${hf}")
    elseif(cpu STREQUAL "cortex-m23")
        set(t "thumbv8m.base-none-eabi")
    elseif(cpu MATCHES "^cortex-m(33|35p|52|55|85)$")
        set(t "thumbv8m.main-none-eabi${hf}")
    elseif(cpu MATCHES "^cortex-")
        message(FATAL_ERROR "nanodtls: no Rust target known for -mcpu=${cpu}; "
            "pass -DNANODTLS_RUST_TARGET=<triple>")
    elseif(arch MATCHES "^armv6s?-m")
        set(t "thumbv6m-none-eabi")
    elseif(arch MATCHES "^armv7-m")
        set(t "thumbv7m-none-eabi")
    elseif(arch MATCHES "^armv7e-m")
        set(t "thumbv7em-none-eabi${hf}")
    elseif(arch MATCHES "^armv8-m\\.base")
        set(t "thumbv8m.base-none-eabi")
    elseif(arch MATCHES "^armv8(\\.1)?-m\\.main")
        set(t "thumbv8m.main-none-eabi${hf}")
    elseif(arch MATCHES "^rv(32|64)([a-z]*)")
        _ndx_riscv_triple(t "${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}" "${abi}" "${arch}")
    endif()
    set(${out} "${t}" PARENT_SCOPE)
endfunction()

# _ndx_riscv_triple(<out> <xlen> <letters> <abi> <march>): see the header.
# Extensions after the first "_" (zicsr, zifencei, ...) do not change the
# choice; g = imafd.
function(_ndx_riscv_triple out xlen letters abi march)
    string(REPLACE "g" "imafd" letters "${letters}")
    foreach(x e m a f d c)
        string(FIND "${letters}" "${x}" pos)
        if(pos GREATER -1)
            set(has_${x} TRUE)
        else()
            set(has_${x} FALSE)
        endif()
    endforeach()
    set(t "")
    if(xlen STREQUAL "64")
        if(abi STREQUAL "" OR abi STREQUAL "lp64")
            if(has_m AND has_a AND has_c)
                set(t "riscv64imac-unknown-none-elf")
            elseif(has_m)
                set(t "riscv64im-unknown-none-elf")
            endif()
        elseif(abi STREQUAL "lp64d")
            if(has_m AND has_a AND has_f AND has_d AND has_c)
                set(t "riscv64gc-unknown-none-elf")
            endif()
        endif()
    elseif(has_e)
        if(abi STREQUAL "" OR abi STREQUAL "ilp32e")
            if(has_m AND has_c)
                set(t "riscv32emc-unknown-none-elf")
            elseif(has_m)
                set(t "riscv32em-unknown-none-elf")
            else()
                set(t "riscv32e-unknown-none-elf")
            endif()
        endif()
    else()
        if(abi STREQUAL "" OR abi STREQUAL "ilp32")
            if(has_m AND has_a AND has_c)
                set(t "riscv32imac-unknown-none-elf")
            elseif(has_m AND has_c)
                set(t "riscv32imc-unknown-none-elf")
            elseif(has_m AND has_a)
                set(t "riscv32ima-unknown-none-elf")
            elseif(has_m)
                set(t "riscv32im-unknown-none-elf")
            else()
                set(t "riscv32i-unknown-none-elf")
            endif()
        elseif(abi STREQUAL "ilp32f")
            if(has_m AND has_a AND has_f AND has_c)
                set(t "riscv32imafc-unknown-none-elf")
            endif()
        endif()
    endif()
    if(NOT t)
        message(FATAL_ERROR
            "nanodtls: no Rust bare-metal target for -march=${march} -mabi=${abi}. "
            "Rust's RISC-V targets use the ABIs ilp32, ilp32e, lp64 (soft float), "
            "ilp32f (riscv32imafc) and lp64d (riscv64gc); objects with another float "
            "ABI cannot be linked together. Use a soft-float ABI for the image "
            "(Zephyr: CONFIG_FLOAT_HARD=n), or name a target yourself "
            "(CONFIG_NANODTLS_RUST_TARGET / -DNANODTLS_RUST_TARGET) that matches it.")
    endif()
    set(${out} "${t}" PARENT_SCOPE)
endfunction()

function(nanodtls_rust_target_from_processor out proc)
    string(TOLOWER "${proc}" p)
    set(t "")
    if(p MATCHES "^cortex-m|^armv[678]")
        if(p MATCHES "^armv")
            nanodtls_rust_target_from_flags(t "-march=${p}")
        else()
            nanodtls_rust_target_from_flags(t "-mcpu=${p}")
        endif()
    elseif(p MATCHES "^riscv32|^rv32")
        set(t "riscv32imac-unknown-none-elf")
    elseif(p MATCHES "^riscv64|^rv64")
        set(t "riscv64imac-unknown-none-elf")
    endif()
    set(${out} "${t}" PARENT_SCOPE)
endfunction()
