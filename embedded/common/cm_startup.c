/*
 * Bare-metal start-up for the Cortex-M images of embedded/ (link test and
 * benchmark): vector table, reset handler (copy .data, zero .bss, enable
 * the FPU on hard-float builds, run main) and ARM semihosting for output
 * and exit (QEMU's -semihosting). No C library start-up files are used
 * (-nostartfiles); the C library only provides memcpy/memset/memcmp.
 */
#include <stdint.h>

#include "nd_board.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[], __stack_top[];

int main(void);
void Reset_Handler(void) __attribute__((noreturn));

static void Fault_Handler(void)
{
    nd_puts("FAULT: unexpected exception\n");
    nd_exit(3);
}

__attribute__((section(".vectors"), used))
void (*const nd_vectors[16])(void) = {
    (void (*)(void))__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    Fault_Handler, /* SysTick */
};

void Reset_Handler(void)
{
    uint32_t *src = __data_load;
    for (uint32_t *dst = __data_start; dst < __data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;
#if defined(__ARM_FP)
    /* CPACR: full access to CP10/CP11 (the FPU). */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    nd_exit(main());
}

static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void nd_puts(const char *s)
{
    semihost(0x04 /* SYS_WRITE0 */, (void *)s);
}

void nd_exit(int code)
{
    /* SYS_EXIT_EXTENDED: QEMU exits with `code` as its own exit status. */
    uint32_t block[2] = {0x20026 /* ADP_Stopped_ApplicationExit */, (uint32_t)code};
    semihost(0x20, block);
    for (;;)
        __asm__ volatile("wfi");
}
