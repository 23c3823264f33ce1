# CMake toolchain file: GNU Arm Embedded (arm-none-eabi-gcc + newlib-nano),
# Cortex-M4F, hard-float ABI: Rust target thumbv7em-none-eabihf.
#
#   cmake -S <project> -B build --toolchain <nanodtls>/cmake/toolchains/arm-none-eabi-cortex-m4.cmake
#   (CMake < 3.21: -DCMAKE_TOOLCHAIN_FILE=<that file>)
#
# cmake/nanodtls-cross.cmake reads -mcpu / -mfloat-abi from CMAKE_C_FLAGS to
# choose the Rust target. Override the CPU flags with -DCMAKE_C_FLAGS=...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m4)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_SIZE arm-none-eabi-size)

# Bare metal: test the compiler by building a static library, not by
# linking an executable (there is no start-up code or linker script yet).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(CMAKE_CXX_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -Wl,--gc-sections")

# Programs (cargo, rustup) come from the host; libraries and headers from
# the cross toolchain only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
