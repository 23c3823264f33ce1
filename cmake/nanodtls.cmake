# nanodtls.cmake - build the nanodtls Rust static library with cargo and
# expose it to CMake as the IMPORTED target nanodtls::nanodtls.
#
# Usage (from any CMake project):
#
#   include(path/to/nanodtls/cmake/nanodtls.cmake)
#   target_link_libraries(my_app PRIVATE nanodtls::nanodtls)
#
# Knobs (cache variables, set them before the include() or with -D):
#
#   NANODTLS_RUST_TARGET      Rust target triple to build for, e.g.
#                             thumbv7em-none-eabihf or riscv32imac-unknown-none-elf.
#                             Empty (the default) builds for the host.
#   NANODTLS_CARGO_FEATURES   Cargo features to enable, comma- or
#                             semicolon-separated (e.g. "small").
#   NANODTLS_CARGO_NO_DEFAULT_FEATURES
#                             ON to pass --no-default-features (then list
#                             every wanted feature in NANODTLS_CARGO_FEATURES).
#   NANODTLS_CARGO            The cargo executable (found automatically).
#   NANODTLS_CARGO_DIR        Where cargo's target directories go (default:
#                             <build>/nanodtls-cargo). CMake trees given the
#                             same directory share one cargo build of each
#                             feature selection (scripts/freertos-demo.sh
#                             reuses the top-level build's library this way).
#   NANODTLS_SYSTEM_LIBS      Extra libraries the static library needs at link
#                             time. The library is #![no_std]: on Linux it only
#                             needs libc (abort, memcpy, memmove, memset, bcmp),
#                             which every C program links anyway, so this is
#                             empty by default.
#
# The library is always built in the release profile (also for Debug CMake
# builds: it is size-optimised, LTO, panic=abort, which is what firmware
# links), with
#
#   cargo rustc --release --lib --crate-type staticlib [--target T] [--features F]
#
# rather than `cargo build --release --lib`: Cargo.toml declares
# crate-type = ["staticlib", "rlib"], and when both are built in one go
# cargo does not apply the profile's `lto = true` to the archive. The
# result is twice as large, keeps every crate's object file and, as soon
# as an object of the precompiled libcore is pulled in (e.g. by
# core::panicking), fails to link with "undefined reference to
# rust_eh_personality" (libcore is built with panic=unwind). Overriding the
# crate type builds only the staticlib, with LTO. Cargo's artifacts go to a
# target directory inside the CMake binary directory (or NANODTLS_CARGO_DIR)
# whose name is derived from the feature selection, so different selections
# never overwrite each other's library:
#
#   <build>/nanodtls-cargo/<feature-tag>/[<triple>/]release/libnanodtls.a
#
# Header: with the default features, the repository's include/nanodtls.h
# (committed, generated for the default size knobs). With any other feature
# selection (e.g. "small", which shrinks the buffers and so the object
# sizes) the header build.rs generates for that build is used instead
# (NANODTLS_HEADER_OUT, <target dir>/include/nanodtls.h), so the sizes in C
# always match the library. (A knob overridden through a NANODTLS_*
# environment variable also changes the sizes; build with a non-default
# feature tag, or the library rejects the header's sizes with
# NANODTLS_E_CTX_SIZE at init.)
#
# Results (normal variables, visible to the includer):
#   NANODTLS_LIBRARY        full path of the static library
#   NANODTLS_INCLUDE_DIR    directory that holds nanodtls.h
#   NANODTLS_CARGO_COMMAND  the cargo command line (a list)
#   NANODTLS_FEATURE_TAG    the feature selection as a tag: "default", or
#                           e.g. "nodefault-psk", "small"
#
# Targets:
#   nanodtls_cargo_build    custom target that runs cargo
#   nanodtls::nanodtls      IMPORTED static library (depends on the above)

include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.12)
    message(FATAL_ERROR "nanodtls.cmake needs CMake 3.12 or newer")
endif()

get_filename_component(NANODTLS_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

set(NANODTLS_RUST_TARGET "" CACHE STRING
    "Rust target triple for the nanodtls library (empty = host)")
# Cross-compiling: map the target CPU to a Rust triple and pick plain
# `cargo --target` (rustup target installed) or the build-std route.
include("${CMAKE_CURRENT_LIST_DIR}/nanodtls-cross.cmake")
set(NANODTLS_CARGO_FEATURES "" CACHE STRING
    "Cargo features for the nanodtls library (comma- or semicolon-separated)")
option(NANODTLS_CARGO_NO_DEFAULT_FEATURES
    "Build the nanodtls library with --no-default-features" OFF)
set(NANODTLS_SYSTEM_LIBS "" CACHE STRING
    "Extra system libraries the nanodtls static library needs at link time")
set(NANODTLS_CARGO_DIR "" CACHE PATH
    "Directory for cargo's target directories (empty: <build>/nanodtls-cargo)")

# The cargo on PATH wins (it is the one the user's rustc and rustup
# toolchain selection go with); rustup's default location is a fallback.
set(_nanodtls_cargo_fallback)
if(DEFINED ENV{CARGO_HOME})
    list(APPEND _nanodtls_cargo_fallback "$ENV{CARGO_HOME}/bin")
endif()
if(DEFINED ENV{HOME})
    list(APPEND _nanodtls_cargo_fallback "$ENV{HOME}/.cargo/bin")
endif()
find_program(NANODTLS_CARGO cargo
    PATHS ${_nanodtls_cargo_fallback}
    DOC "cargo executable used to build the nanodtls library")
unset(_nanodtls_cargo_fallback)
if(NOT NANODTLS_CARGO)
    message(FATAL_ERROR
        "nanodtls: cargo not found. Install a Rust toolchain (https://rustup.rs "
        "or your distribution's cargo package) or pass -DNANODTLS_CARGO=/path/to/cargo.")
endif()

# --- Derive the cargo command line and the artifact path from the knobs ---

# Normalise the feature list: accept "a,b", "a;b" or "a b", sort it so the
# same selection always maps to the same target directory.
string(REGEX REPLACE "[,; \t]+" ";" _nanodtls_features "${NANODTLS_CARGO_FEATURES}")
list(REMOVE_ITEM _nanodtls_features "")
list(REMOVE_DUPLICATES _nanodtls_features)
list(SORT _nanodtls_features)

set(_nanodtls_cargo_args rustc --release --lib --crate-type staticlib
    --manifest-path "${NANODTLS_ROOT}/Cargo.toml")
if(NANODTLS_RUST_TARGET)
    list(APPEND _nanodtls_cargo_args --target "${NANODTLS_RUST_TARGET}")
endif()
if(NANODTLS_CARGO_NO_DEFAULT_FEATURES)
    list(APPEND _nanodtls_cargo_args --no-default-features)
endif()
if(_nanodtls_features)
    string(REPLACE ";" "," _nanodtls_features_csv "${_nanodtls_features}")
    list(APPEND _nanodtls_cargo_args --features "${_nanodtls_features_csv}")
endif()
list(APPEND _nanodtls_cargo_args ${NANODTLS_CARGO_EXTRA_ARGS})

# Feature tag for the target directory: "default", or e.g. "nodefault-small".
set(_nanodtls_tag "")
if(NANODTLS_CARGO_NO_DEFAULT_FEATURES)
    set(_nanodtls_tag "nodefault")
endif()
foreach(_f IN LISTS _nanodtls_features)
    string(MAKE_C_IDENTIFIER "${_f}" _f)
    if(_nanodtls_tag)
        string(APPEND _nanodtls_tag "-${_f}")
    else()
        set(_nanodtls_tag "${_f}")
    endif()
endforeach()
if(NOT _nanodtls_tag)
    set(_nanodtls_tag "default")
endif()
set(NANODTLS_FEATURE_TAG "${_nanodtls_tag}")

if(NANODTLS_CARGO_DIR)
    get_filename_component(_nanodtls_cargo_dir "${NANODTLS_CARGO_DIR}" ABSOLUTE)
else()
    set(_nanodtls_cargo_dir "${CMAKE_BINARY_DIR}/nanodtls-cargo")
endif()
set(NANODTLS_CARGO_TARGET_DIR "${_nanodtls_cargo_dir}/${_nanodtls_tag}")
if(NANODTLS_RUST_TARGET)
    set(_nanodtls_out_dir "${NANODTLS_CARGO_TARGET_DIR}/${NANODTLS_RUST_TARGET}/release")
else()
    set(_nanodtls_out_dir "${NANODTLS_CARGO_TARGET_DIR}/release")
endif()

# Cargo names the archive like the platform's C toolchain does (libX.a,
# or X.lib for MSVC targets); CMake's prefix/suffix for the target
# platform match that.
set(NANODTLS_LIBRARY
    "${_nanodtls_out_dir}/${CMAKE_STATIC_LIBRARY_PREFIX}nanodtls${CMAKE_STATIC_LIBRARY_SUFFIX}")
set(_nanodtls_env "CARGO_TARGET_DIR=${NANODTLS_CARGO_TARGET_DIR}")
if(_nanodtls_tag STREQUAL "default")
    set(NANODTLS_INCLUDE_DIR "${NANODTLS_ROOT}/include")
else()
    # Generated by build.rs while cargo runs, i.e. before any C file that
    # includes it is compiled (they all depend on nanodtls_cargo_build).
    set(NANODTLS_INCLUDE_DIR "${NANODTLS_CARGO_TARGET_DIR}/include")
    file(MAKE_DIRECTORY "${NANODTLS_INCLUDE_DIR}")
    list(APPEND _nanodtls_env "NANODTLS_HEADER_OUT=${NANODTLS_INCLUDE_DIR}/nanodtls.h")
endif()
set(NANODTLS_CARGO_COMMAND
    "${CMAKE_COMMAND}" -E env ${NANODTLS_CARGO_ENV} ${_nanodtls_env}
    "${NANODTLS_CARGO}" ${_nanodtls_cargo_args})

# --- The build step ---

if(NANODTLS_RUST_TARGET)
    set(_nanodtls_desc "target ${NANODTLS_RUST_TARGET}, features: ${_nanodtls_tag}")
else()
    set(_nanodtls_desc "host, features: ${_nanodtls_tag}")
endif()

# Everything that can change the library. CONFIGURE_DEPENDS re-globs at
# build time so a new source file is noticed without re-running cmake.
file(GLOB_RECURSE _nanodtls_rust_sources CONFIGURE_DEPENDS
    "${NANODTLS_ROOT}/src/*.rs")
set(_nanodtls_deps
    ${_nanodtls_rust_sources}
    "${NANODTLS_ROOT}/Cargo.toml"
    "${NANODTLS_ROOT}/build.rs"
    "${NANODTLS_ROOT}/cbindgen.toml")
if(EXISTS "${NANODTLS_ROOT}/Cargo.lock")
    list(APPEND _nanodtls_deps "${NANODTLS_ROOT}/Cargo.lock")
endif()

# The stamp is the OUTPUT, the archive a BYPRODUCT: cargo only rewrites the
# archive when it actually relinks, so an unchanged archive after an edit
# that does not affect it would otherwise make the rule run on every build.
set(_nanodtls_stamp "${NANODTLS_CARGO_TARGET_DIR}/nanodtls-cargo.stamp")
add_custom_command(
    OUTPUT "${_nanodtls_stamp}"
    BYPRODUCTS "${NANODTLS_LIBRARY}"
    COMMAND ${NANODTLS_CARGO_COMMAND}
    COMMAND "${CMAKE_COMMAND}" -E touch "${_nanodtls_stamp}"
    DEPENDS ${_nanodtls_deps}
    WORKING_DIRECTORY "${NANODTLS_ROOT}"
    COMMENT "Building the nanodtls Rust library with cargo (${_nanodtls_desc})"
    USES_TERMINAL
    VERBATIM)
add_custom_target(nanodtls_cargo_build DEPENDS "${_nanodtls_stamp}")

# --- The imported target ---

add_library(nanodtls::nanodtls STATIC IMPORTED GLOBAL)
set_target_properties(nanodtls::nanodtls PROPERTIES
    IMPORTED_LOCATION "${NANODTLS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${NANODTLS_INCLUDE_DIR}"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C")
if(NANODTLS_SYSTEM_LIBS)
    set_property(TARGET nanodtls::nanodtls PROPERTY
        INTERFACE_LINK_LIBRARIES ${NANODTLS_SYSTEM_LIBS})
endif()
# Anything linking nanodtls::nanodtls builds after cargo has run.
add_dependencies(nanodtls::nanodtls nanodtls_cargo_build)

unset(_nanodtls_features)
unset(_nanodtls_features_csv)
unset(_nanodtls_cargo_args)
unset(_nanodtls_tag)
unset(_nanodtls_out_dir)
unset(_nanodtls_rust_sources)
unset(_nanodtls_deps)
unset(_nanodtls_stamp)
unset(_nanodtls_desc)
unset(_nanodtls_env)
unset(_nanodtls_cargo_dir)
