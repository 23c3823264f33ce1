/* The DTLS client task of the nanodtls FreeRTOS example. */
#ifndef DTLS_TASK_H
#define DTLS_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "nanodtls.h"

struct dtls_task_args {
    const char *host;
    uint16_t port;
    const char *psk_identity;
    uint8_t psk[NANODTLS_MAX_PSK_KEY];
    size_t psk_len;
    const char *message;     /* sent once connected; the echo ends the run */
    uint32_t timeout_ms;     /* overall deadline */
    int result;              /* out: 0 = handshake and echo OK */
};

/* Task entry point; `arg` is a struct dtls_task_args. Ends the scheduler
 * when done. */
void dtls_task(void *arg);

#endif
