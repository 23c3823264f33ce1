/* Board services of the bare-metal images in embedded/ (see cm_startup.c). */
#ifndef ND_BOARD_H
#define ND_BOARD_H

/* Write a NUL-terminated string to the host (semihosting SYS_WRITE0). */
void nd_puts(const char *s);
/* Stop the simulation; `code` becomes QEMU's exit status. */
void nd_exit(int code) __attribute__((noreturn));

#endif
