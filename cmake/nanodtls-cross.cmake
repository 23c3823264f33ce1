# nanodtls-cross.cmake - pick the Rust target triple and the way to build
# the nanodtls library for the microcontroller the C toolchain targets.
#
# Meant to be include()d by cmake/nanodtls.cmake (or by a firmware project
# before it). It only sets variables; it adds no targets.
#
# Inputs (cache variables, all optional):
#
#   NANODTLS_RUST_TARGET   Rust target triple. Empty (the default) = derive
#                          it from the C toolchain when cross-compiling, and
#                          build for the host when not. Set it to override.
#   NANODTLS_BUILD_STD     AUTO (default), ON or OFF. ON builds `core` from
#                          source (-Zbuild-std=core, RUSTC_BOOTSTRAP=1) for
#                          toolchains that lack the target's prebuilt
#                          standard library; AUTO picks ON exactly when
#                          `rustup target list --installed` (or, without
#                          rustup, rustc's sysroot) does not have the target.
#   NANODTLS_BUILD_STD_CARGO, NANODTLS_BUILD_STD_RUSTC
#                          The cargo/rustc pair for the build-std route. By
#                          default: the cargo on PATH if its rustc has the
#                          library sources (rustup component add rust-src),
#                          else Debian's /usr/bin/cargo + /usr/bin/rustc
#                          (packages cargo-web rustc-web rust-web-src).
#   NANODTLS_CPU_FLAGS     Extra compiler flags to read the CPU from, when
#                          they are not in CMAKE_C_FLAGS (e.g. a project that
#                          adds -mcpu with add_compile_options after the
#                          include). The directory's COMPILE_OPTIONS are read
#                          too.
#
# Derivation (first match wins): -mcpu= / -march= / -mfloat-abi= in
# NANODTLS_CPU_FLAGS, CMAKE_C_FLAGS, CMAKE_C_FLAGS_<CONFIG> and the
# directory's COMPILE_OPTIONS; else CMAKE_SYSTEM_PROCESSOR (e.g. cortex-m4,
# armv7e-m, riscv32). Cortex-M0/M0+/M1 -> thumbv6m-none-eabi, M3 ->
# thumbv7m-none-eabi, M4/M7 -> thumbv7em-none-eabi, or -eabihf with
# -mfloat-abi=hard, M23 -> thumbv8m.base-none-eabi, M33/M35P/M55/M85 ->
# thumbv8m.main-none-eabi(hf); RISC-V by -mabi first, then -march:
# -mabi=ilp32 -> riscv32i/im/ima/imc/imac (the largest subset of -march),
# ilp32f -> riscv32imafc, ilp32e -> riscv32e/em/emc, lp64 -> riscv64im/imac,
# lp64d -> riscv64gc; ilp32d and lp64f have no Rust target and are an error
# (see cmake/nanodtls-rust-target.cmake, shared with zephyr/CMakeLists.txt).
#
# Results (normal variables in the including scope):
#
#   NANODTLS_RUST_TARGET        the effective triple (empty = host)
#   NANODTLS_CARGO_BUILD_STD    ON or OFF: the route taken
#   NANODTLS_CARGO_ENV          list of `cmake -E env` arguments to put
#                               before cargo (--unset=... and NAME=VALUE)
#   NANODTLS_CARGO_EXTRA_ARGS   list of extra cargo arguments (-Zbuild-std=core)
#   NANODTLS_CARGO              set to the build-std cargo on that route
#                               (left alone otherwise)
#
# A consumer builds with
#
#   ${CMAKE_COMMAND} -E env ${NANODTLS_CARGO_ENV} <its own NAME=VALUE...>
#       ${NANODTLS_CARGO} rustc --release ... --target ${NANODTLS_RUST_TARGET}
#       ${NANODTLS_CARGO_EXTRA_ARGS}

include_guard(DIRECTORY)

get_filename_component(_ndx_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

# What the includer asked for, read before the set(... CACHE ...) calls
# below: with policy CMP0126 unset (cmake_minimum_required < 3.21), creating
# a cache entry removes a normal variable of the same name.
set(_ndx_given_target "${NANODTLS_RUST_TARGET}")
set(_ndx_given_std "${NANODTLS_BUILD_STD}")

# Typed cache entries first: a later set(... CACHE ...) of the same name
# (e.g. in nanodtls.cmake) then leaves the normal variables set below alone.
set(NANODTLS_RUST_TARGET "" CACHE STRING
    "Rust target triple for the nanodtls library (empty = derive from the C toolchain, or host)")
set(NANODTLS_BUILD_STD "AUTO" CACHE STRING
    "Build Rust's core from source for the target (AUTO, ON, OFF)")
set_property(CACHE NANODTLS_BUILD_STD PROPERTY STRINGS AUTO ON OFF)
set(NANODTLS_BUILD_STD_CARGO "" CACHE FILEPATH "cargo for the -Zbuild-std route (empty = automatic)")
set(NANODTLS_BUILD_STD_RUSTC "" CACHE FILEPATH "rustc for the -Zbuild-std route (empty = automatic)")
set(NANODTLS_CPU_FLAGS "" CACHE STRING "Extra compiler flags to derive the Rust target from")

# --- 1. Which triple? -------------------------------------------------------

# The CPU flag -> Rust target rule lives in nanodtls-rust-target.cmake,
# shared with zephyr/CMakeLists.txt.
include("${CMAKE_CURRENT_LIST_DIR}/nanodtls-rust-target.cmake")

set(_ndx_target "${_ndx_given_target}")
set(_ndx_how "set by NANODTLS_RUST_TARGET")
if(NOT _ndx_target AND CMAKE_CROSSCOMPILING)
    set(_ndx_flags "${NANODTLS_CPU_FLAGS} ${CMAKE_C_FLAGS}")
    if(CMAKE_BUILD_TYPE)
        string(TOUPPER "${CMAKE_BUILD_TYPE}" _ndx_cfg)
        string(APPEND _ndx_flags " ${CMAKE_C_FLAGS_${_ndx_cfg}}")
    endif()
    separate_arguments(_ndx_flags UNIX_COMMAND "${_ndx_flags}")
    get_directory_property(_ndx_dir_opts COMPILE_OPTIONS)
    list(APPEND _ndx_flags ${_ndx_dir_opts})
    nanodtls_rust_target_from_flags(_ndx_target ${_ndx_flags})
    set(_ndx_how "from the compiler flags")
    if(NOT _ndx_target)
        nanodtls_rust_target_from_processor(_ndx_target "${CMAKE_SYSTEM_PROCESSOR}")
        set(_ndx_how "from CMAKE_SYSTEM_PROCESSOR=${CMAKE_SYSTEM_PROCESSOR}")
    endif()
    if(NOT _ndx_target)
        message(FATAL_ERROR
            "nanodtls: cross-compiling, but no Rust target could be derived from "
            "CMAKE_SYSTEM_PROCESSOR='${CMAKE_SYSTEM_PROCESSOR}' or the -mcpu/-march "
            "flags; pass -DNANODTLS_RUST_TARGET=<triple> (e.g. thumbv7em-none-eabihf)")
    endif()
endif()

# --- 2. How to build for it? -------------------------------------------------

set(_ndx_env "")
set(_ndx_args "")
set(_ndx_std OFF)
if(_ndx_target)
    if(_ndx_given_std STREQUAL "")
        set(_ndx_given_std "${NANODTLS_BUILD_STD}")
    endif()
    string(TOUPPER "${_ndx_given_std}" _ndx_mode)
    if(_ndx_mode MATCHES "^(ON|YES|TRUE|1|Y)$")
        set(_ndx_std ON)
        set(_ndx_std_how "NANODTLS_BUILD_STD=ON")
    elseif(_ndx_mode MATCHES "^(OFF|NO|FALSE|0|N)$")
        set(_ndx_std OFF)
        set(_ndx_std_how "NANODTLS_BUILD_STD=OFF")
    elseif(_ndx_mode STREQUAL "AUTO" OR _ndx_mode STREQUAL "")
        find_program(NANODTLS_RUSTUP rustup
            PATHS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin"
            DOC "rustup, to see which Rust targets are installed")
        mark_as_advanced(NANODTLS_RUSTUP)
        set(_ndx_have "")
        if(NANODTLS_RUSTUP)
            execute_process(COMMAND "${NANODTLS_RUSTUP}" target list --installed
                WORKING_DIRECTORY "${_ndx_root}"
                OUTPUT_VARIABLE _ndx_installed ERROR_QUIET RESULT_VARIABLE _ndx_rc)
            if(_ndx_rc EQUAL 0)
                string(REGEX REPLACE "[\r\n]+" ";" _ndx_installed "${_ndx_installed}")
                if(_ndx_target IN_LIST _ndx_installed)
                    set(_ndx_have YES)
                endif()
            endif()
            set(_ndx_std_how "rustup target list --installed")
        else()
            find_program(NANODTLS_RUSTC_ON_PATH rustc)
            mark_as_advanced(NANODTLS_RUSTC_ON_PATH)
            if(NANODTLS_RUSTC_ON_PATH)
                execute_process(COMMAND "${NANODTLS_RUSTC_ON_PATH}" --print sysroot
                    OUTPUT_VARIABLE _ndx_sysroot OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
                if(_ndx_sysroot AND IS_DIRECTORY "${_ndx_sysroot}/lib/rustlib/${_ndx_target}/lib")
                    set(_ndx_have YES)
                endif()
            endif()
            set(_ndx_std_how "rustc sysroot")
        endif()
        if(_ndx_have)
            set(_ndx_std OFF)
            string(APPEND _ndx_std_how ": ${_ndx_target} is installed")
        else()
            set(_ndx_std ON)
            string(APPEND _ndx_std_how ": ${_ndx_target} is not installed")
        endif()
    else()
        message(FATAL_ERROR "nanodtls: NANODTLS_BUILD_STD must be AUTO, ON or OFF (got '${_ndx_given_std}')")
    endif()

    if(_ndx_std)
        # A cargo/rustc pair whose sysroot has the library sources.
        set(_ndx_bs_cargo "${NANODTLS_BUILD_STD_CARGO}")
        set(_ndx_bs_rustc "${NANODTLS_BUILD_STD_RUSTC}")
        if(NOT _ndx_bs_cargo AND NOT _ndx_bs_rustc)
            find_program(NANODTLS_RUSTC_ON_PATH rustc)
            find_program(NANODTLS_CARGO_ON_PATH cargo)
            mark_as_advanced(NANODTLS_RUSTC_ON_PATH NANODTLS_CARGO_ON_PATH)
            if(NANODTLS_RUSTC_ON_PATH AND NANODTLS_CARGO_ON_PATH)
                execute_process(COMMAND "${NANODTLS_RUSTC_ON_PATH}" --print sysroot
                    WORKING_DIRECTORY "${_ndx_root}"
                    OUTPUT_VARIABLE _ndx_sysroot OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
                if(_ndx_sysroot AND EXISTS "${_ndx_sysroot}/lib/rustlib/src/rust/library/core/Cargo.toml")
                    set(_ndx_bs_cargo "${NANODTLS_CARGO_ON_PATH}")
                    set(_ndx_bs_rustc "${NANODTLS_RUSTC_ON_PATH}")
                endif()
            endif()
            if(NOT _ndx_bs_cargo AND EXISTS "/usr/bin/cargo" AND EXISTS "/usr/bin/rustc")
                set(_ndx_bs_cargo "/usr/bin/cargo")
                set(_ndx_bs_rustc "/usr/bin/rustc")
            endif()
        elseif(NOT _ndx_bs_rustc)
            get_filename_component(_ndx_d "${_ndx_bs_cargo}" DIRECTORY)
            set(_ndx_bs_rustc "${_ndx_d}/rustc")
        elseif(NOT _ndx_bs_cargo)
            get_filename_component(_ndx_d "${_ndx_bs_rustc}" DIRECTORY)
            set(_ndx_bs_cargo "${_ndx_d}/cargo")
        endif()
        set(_ndx_sysroot "")
        if(_ndx_bs_rustc)
            execute_process(COMMAND "${_ndx_bs_rustc}" --print sysroot
                WORKING_DIRECTORY "${_ndx_root}"
                OUTPUT_VARIABLE _ndx_sysroot OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
        endif()
        if(NOT _ndx_bs_cargo OR NOT EXISTS "${_ndx_bs_cargo}"
           OR NOT EXISTS "${_ndx_sysroot}/lib/rustlib/src/rust/library/core/Cargo.toml")
            message(FATAL_ERROR
                "nanodtls: the Rust target ${_ndx_target} is not installed and no toolchain "
                "with the standard library sources was found to build it (-Zbuild-std). "
                "Either `rustup target add ${_ndx_target}`, or "
                "`rustup component add rust-src --toolchain nightly` and pass "
                "-DNANODTLS_BUILD_STD_CARGO=<that cargo>, or on Debian "
                "`apt-get install rustc-web cargo-web rust-web-src`.")
        endif()
        get_filename_component(_ndx_bs_bindir "${_ndx_bs_rustc}" DIRECTORY)
        # RUSTUP_TOOLCHAIN would send a rustup proxy to another toolchain;
        # the pair's own directory goes first in PATH so that everything
        # cargo runs (build scripts, rustc) comes from the same toolchain.
        set(_ndx_env
            "--unset=RUSTUP_TOOLCHAIN"
            "PATH=${_ndx_bs_bindir}:$ENV{PATH}"
            "RUSTC=${_ndx_bs_rustc}"
            "RUSTC_BOOTSTRAP=1")
        set(_ndx_args "-Zbuild-std=core")
        set(NANODTLS_CARGO "${_ndx_bs_cargo}")
    endif()
endif()

set(NANODTLS_RUST_TARGET "${_ndx_target}")
set(NANODTLS_CARGO_BUILD_STD ${_ndx_std})
set(NANODTLS_CARGO_ENV ${_ndx_env})
set(NANODTLS_CARGO_EXTRA_ARGS ${_ndx_args})

if(_ndx_target)
    if(_ndx_std)
        message(STATUS "nanodtls: Rust target ${_ndx_target} (${_ndx_how}); "
            "building core from source with ${NANODTLS_CARGO} (${_ndx_std_how})")
    else()
        message(STATUS "nanodtls: Rust target ${_ndx_target} (${_ndx_how}); "
            "plain cargo build (${_ndx_std_how})")
    endif()
endif()

foreach(_ndx_v _ndx_given_target _ndx_given_std _ndx_root _ndx_target _ndx_how _ndx_flags _ndx_cfg _ndx_dir_opts _ndx_env
        _ndx_args _ndx_std _ndx_std_how _ndx_mode _ndx_have _ndx_installed _ndx_rc
        _ndx_sysroot _ndx_bs_cargo _ndx_bs_rustc _ndx_bs_bindir _ndx_d _ndx_v)
    unset(${_ndx_v})
endforeach()
