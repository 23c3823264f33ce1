/*
 * The DTLS client task: it owns the nanodtls context (static storage, no
 * heap), drives the sans-IO loop over the network port, takes time from
 * the FreeRTOS tick count and randomness from the TRNG hook.
 */
#include "dtls_task.h"

#include <stdio.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"

#include "net_port.h"
#include "trng_port.h"

/* The one datagram buffer: received datagrams are decrypted in place in
 * it (the application data is read from there), ours are polled and
 * sealed into it. The library keeps no datagram of its own. */
#define DTLS_MTU NANODTLS_MTU
#define DGRAM_MAX (DTLS_MTU > 1280 ? DTLS_MTU : 1280)

static nanodtls_ctx s_ctx; /* owned by this task */
static uint8_t s_dgram[DGRAM_MAX];

static int rng(void *user, uint8_t *buf, size_t len)
{
    (void)user;
    return trng_fill(buf, len);
}

/* Milliseconds since the scheduler started, widened to 64 bits so the
 * 32-bit tick counter's wrap-around (49 days at 1 kHz) is invisible. Only
 * this task calls it. */
static uint64_t now_ms(void *user)
{
    static uint32_t last;
    static uint64_t high;
    uint32_t t = (uint32_t)xTaskGetTickCount();
    (void)user;
    if (t < last)
        high += (uint64_t)1 << 32;
    last = t;
    return (high | t) * portTICK_PERIOD_MS;
}

static void on_panic(void)
{
    /* A bug in the library: stop like any failed assertion would. */
    configASSERT(0);
}

static int flush(void)
{
    size_t n;
    nanodtls_status st;
    while ((st = nanodtls_poll_datagram(&s_ctx, s_dgram, sizeof s_dgram, &n)) == NANODTLS_OK)
        (void)net_send(s_dgram, n); /* losses are retransmitted by DTLS */
    return st == NANODTLS_DONE ? 0 : (int)st;
}

static int run(struct dtls_task_args *a)
{
    nanodtls_config cfg;
    nanodtls_platform plat = {rng, now_ms, NULL};
    nanodtls_status st;
    int sent = 0;
    uint64_t deadline;

    nanodtls_set_panic_hook(on_panic);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    cfg.mtu = DTLS_MTU;
    st = nanodtls_init(&s_ctx, sizeof s_ctx, &cfg, &plat);
    if (st == NANODTLS_OK)
        st = nanodtls_set_psk(&s_ctx, (const uint8_t *)a->psk_identity, strlen(a->psk_identity), a->psk,
                              a->psk_len);
    memset(a->psk, 0, sizeof a->psk);
    if (st == NANODTLS_OK && net_open(a->host, a->port) != 0) {
        printf("FAIL cannot open UDP to %s:%u\n", a->host, (unsigned)a->port);
        return -1;
    }
    if (st == NANODTLS_OK)
        st = nanodtls_connect(&s_ctx);
    if (st != NANODTLS_OK) {
        printf("FAIL setup: %s\n", nanodtls_status_str(st));
        return -1;
    }
    deadline = now_ms(NULL) + a->timeout_ms;

    for (;;) {
        uint32_t wait = 100;
        int got;
        int replied = 0;

        if (flush() != 0)
            break;
        if (now_ms(NULL) >= deadline) {
            printf("FAIL timeout after %lu ms\n", (unsigned long)a->timeout_ms);
            return -1;
        }
        if (nanodtls_timeout_ms(&s_ctx, &wait) == NANODTLS_DONE || wait > 100)
            wait = 100;
        got = net_recv(s_dgram, sizeof s_dgram, wait);
        if (got > 0) {
            size_t at = 0;
            /* One application record per call; MORE: records are left. */
            do {
                nanodtls_input in;
                st = nanodtls_feed(&s_ctx, s_dgram + at, (size_t)got - at, &in);
                if (st < 0)
                    break;
                if (in.app_data != NULL) {
                    printf("RECV %.*s\n", (int)in.app_len, (const char *)in.app_data);
                    if (sent && in.app_len == strlen(a->message) && memcmp(in.app_data, a->message, in.app_len) == 0)
                        replied = 1;
                }
                at += in.consumed;
            } while (st == NANODTLS_MORE);
        } else if (got == 0)
            st = nanodtls_handle_timeout(&s_ctx);
        else
            st = NANODTLS_OK; /* transient socket error: DTLS retransmits */
        if (st < 0) {
            nanodtls_alert alert;
            nanodtls_last_alert(&s_ctx, &alert);
            printf("FAIL %s (alert %s)\n", nanodtls_status_str(st), nanodtls_alert_name(alert.description));
            return -1;
        }
        if (replied) {
            nanodtls_close(&s_ctx);
            flush();
            return 0;
        }
        if (!sent && nanodtls_state(&s_ctx) == NANODTLS_STATE_CONNECTED) {
            uint16_t suite = 0;
            nanodtls_get_suite(&s_ctx, &suite);
            printf("HANDSHAKE OK %s\n", nanodtls_suite_name(suite));
            size_t n = 0;
            /* Sealed straight into the datagram buffer, then sent. */
            st = nanodtls_write(&s_ctx, (const uint8_t *)a->message, strlen(a->message), s_dgram, sizeof s_dgram, &n);
            if (st != NANODTLS_OK) {
                printf("FAIL write: %s\n", nanodtls_status_str(st));
                return -1;
            }
            (void)net_send(s_dgram, n);
            sent = 1;
        }
    }
    printf("FAIL poll_datagram\n");
    return -1;
}

void dtls_task(void *arg)
{
    struct dtls_task_args *a = arg;
    a->result = run(a);
    nanodtls_deinit(&s_ctx);
    net_close();
    fflush(stdout);
    vTaskEndScheduler();
    for (;;)
        vTaskDelay(portMAX_DELAY);
}
