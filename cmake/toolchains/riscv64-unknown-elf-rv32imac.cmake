# CMake toolchain file: Debian's bare-metal RISC-V GCC (riscv64-unknown-elf-gcc,
# multilib) with picolibc, for an RV32IMAC core (soft float, ilp32):
# Rust target riscv32imac-unknown-none-elf.
#
#   cmake -S <project> -B build --toolchain <nanodtls>/cmake/toolchains/riscv64-unknown-elf-rv32imac.cmake
#
# cmake/nanodtls-cross.cmake reads -march / -mabi from CMAKE_C_FLAGS.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)

set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_CXX_COMPILER riscv64-unknown-elf-g++)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_AR riscv64-unknown-elf-ar)
set(CMAKE_RANLIB riscv64-unknown-elf-ranlib)

set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "-march=rv32imac -mabi=ilp32 -mcmodel=medany --specs=picolibc.specs")
set(CMAKE_ASM_FLAGS_INIT "-march=rv32imac -mabi=ilp32 -mcmodel=medany")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=picolibc.specs -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
