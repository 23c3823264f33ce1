/*
 * nanodtls FreeRTOS example: a DTLS 1.2 PSK client task.
 *
 *   nanodtls-freertos-client --host H --port P --psk-id ID --psk HEX
 *                            [--send TEXT] [--timeout-ms N]
 *
 * Prints "HANDSHAKE OK <suite>" and "RECV <text>" (the echo of --send
 * from `nanodtls-server --echo`); exit status 0 when both happened.
 * Everything is statically allocated: the tasks' stacks and control
 * blocks, and the nanodtls context inside the DTLS task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"

#include "dtls_task.h"

/* The DTLS task's stack as a Cortex-M build needs it: the library's peak
 * is about 3 KiB for a PSK handshake and 6-7 KiB with ECDHE-ECDSA
 * (scripts/bench-embedded.sh), plus printf. */
#define DTLS_TASK_STACK_WORDS (10240 / sizeof(StackType_t))

static StackType_t s_dtls_stack[DTLS_TASK_STACK_WORDS];
static StaticTask_t s_dtls_tcb;
static StackType_t s_idle_stack[configMINIMAL_STACK_SIZE];
static StaticTask_t s_idle_tcb;
static struct dtls_task_args s_args;

/* Memory of the idle task (configSUPPORT_STATIC_ALLOCATION). */
void vApplicationGetIdleTaskMemory(StaticTask_t **tcb, StackType_t **stack, configSTACK_DEPTH_TYPE *words)
{
    *tcb = &s_idle_tcb;
    *stack = s_idle_stack;
    *words = configMINIMAL_STACK_SIZE;
}

void vAssertCalled(const char *file, unsigned long line)
{
    fprintf(stderr, "ASSERT failed at %s:%lu\n", file, line);
    fflush(stderr);
    abort();
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: nanodtls-freertos-client --host H --port P --psk-id ID --psk HEX\n"
                    "                                [--send TEXT] [--timeout-ms N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *psk_hex = NULL;
    long port = -1;

    s_args.message = "hello from FreeRTOS";
    s_args.timeout_ms = 20000;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        if (strcmp(argv[i], "--host") == 0)
            s_args.host = v;
        else if (strcmp(argv[i], "--port") == 0)
            port = strtol(v, NULL, 10);
        else if (strcmp(argv[i], "--psk-id") == 0)
            s_args.psk_identity = v;
        else if (strcmp(argv[i], "--psk") == 0)
            psk_hex = v;
        else if (strcmp(argv[i], "--send") == 0)
            s_args.message = v;
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            s_args.timeout_ms = (uint32_t)strtoul(v, NULL, 10);
        else
            return usage();
        i++;
    }
    if (s_args.host == NULL || port <= 0 || port > 65535 || s_args.psk_identity == NULL || psk_hex == NULL)
        return usage();
    s_args.port = (uint16_t)port;
    size_t hl = strlen(psk_hex);
    if (hl == 0 || hl % 2 || hl / 2 > sizeof s_args.psk)
        return usage();
    for (size_t i = 0; i < hl / 2; i++) {
        int hi = hexval(psk_hex[2 * i]), lo = hexval(psk_hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return usage();
        s_args.psk[i] = (uint8_t)(hi << 4 | lo);
    }
    s_args.psk_len = hl / 2;
    s_args.result = -1;

    printf("nanodtls %s on FreeRTOS %s, context %zu bytes (static)\n", nanodtls_version(), tskKERNEL_VERSION_NUMBER,
           sizeof(nanodtls_ctx));
    fflush(stdout);
    if (xTaskCreateStatic(dtls_task, "dtls", DTLS_TASK_STACK_WORDS, &s_args, tskIDLE_PRIORITY + 1, s_dtls_stack,
                          &s_dtls_tcb) == NULL) {
        fprintf(stderr, "cannot create the DTLS task\n");
        return 1;
    }
    vTaskStartScheduler(); /* returns after vTaskEndScheduler() */
    printf(s_args.result == 0 ? "freertos client: OK\n" : "freertos client: FAILED\n");
    return s_args.result == 0 ? 0 : 1;
}
