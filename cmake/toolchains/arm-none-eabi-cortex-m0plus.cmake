# CMake toolchain file: GNU Arm Embedded (arm-none-eabi-gcc + newlib-nano),
# Cortex-M0+ (soft float): Rust target thumbv6m-none-eabi.
#
#   cmake -S <project> -B build --toolchain <nanodtls>/cmake/toolchains/arm-none-eabi-cortex-m0plus.cmake
#   (CMake < 3.21: -DCMAKE_TOOLCHAIN_FILE=<that file>)
#
# cmake/nanodtls-cross.cmake reads -mcpu / -mfloat-abi from CMAKE_C_FLAGS to
# choose the Rust target. Override the CPU flags with -DCMAKE_C_FLAGS=...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m0plus)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_SIZE arm-none-eabi-size)

# Bare metal: test the compiler by building a static library, not by
# linking an executable (there is no start-up code or linker script yet).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft")
set(CMAKE_CXX_FLAGS_INIT "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -Wl,--gc-sections")

# Programs (cargo, rustup) come from the host; libraries and headers from
# the cross toolchain only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
