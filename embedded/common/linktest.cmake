# nd_add_linktest(TARGET IS_ARM): the bare-metal link test image
# (embedded/linktest/linktest.c with the start-up code and linker script
# for Cortex-M or RV32 from this directory). Used by the CMake test
# projects (embedded/cmake-cross-test, tests/cmake-package); the caller
# links the nanodtls library into TARGET.
set(_ND_LINKTEST_COMMON "${CMAKE_CURRENT_LIST_DIR}")
function(nd_add_linktest target is_arm)
    set(_common "${_ND_LINKTEST_COMMON}")
    get_filename_component(_embedded "${_common}/.." ABSOLUTE)
    if(is_arm)
        set(_start "${_common}/cm_startup.c")
        set(_ld "${_common}/cortex-m.ld")
    else()
        enable_language(ASM)
        set(_start "${_common}/rv_startup.S")
        set(_ld "${_common}/riscv32.ld")
    endif()
    add_executable(${target} "${_start}" "${_embedded}/linktest/linktest.c")
    target_include_directories(${target} PRIVATE "${_common}")
    target_compile_options(${target} PRIVATE -Os -ffunction-sections -fdata-sections -Wall -Wextra -Werror)
    target_link_options(${target} PRIVATE -nostartfiles -T "${_ld}" -Wl,-z,noexecstack)
endfunction()
