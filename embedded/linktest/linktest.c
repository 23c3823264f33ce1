/*
 * Link test for scripts/cross-build.sh: a minimal DTLS client firmware
 * that calls the library's main API the way a real application does, so
 * that the link proves every symbol the library needs is present on a
 * bare-metal target (no undefined references, no heap, no OS).
 *
 * It is linked, not run: the "radio" is a pair of volatile buffers.
 * Define LINKTEST_ECC to also use the raw-public-key API (full profile).
 */
#include <stddef.h>
#include <stdint.h>

#include "nanodtls.h"
#include "nd_board.h"

static nanodtls_ctx g_ctx;
/* The only datagram buffer: received datagrams are decrypted in place in
 * it, ours are polled and sealed into it (the library stores none). */
static uint8_t g_buf[NANODTLS_MTU];
static volatile uint8_t g_radio[NANODTLS_MTU];
static volatile size_t g_radio_len;
static volatile uint32_t g_ticks;
static volatile uint32_t g_trng;

static int rng(void *user, uint8_t *buf, size_t len)
{
    (void)user;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)g_trng;
    return 0;
}

static uint64_t now_ms(void *user)
{
    (void)user;
    return g_ticks;
}

static void on_panic(void)
{
    nd_puts("nanodtls panic\n");
    nd_exit(2);
}

static void radio_send(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && i < sizeof g_radio; i++)
        g_radio[i] = p[i];
    g_radio_len = n;
}

static size_t radio_recv(uint8_t *p, size_t cap)
{
    size_t n = g_radio_len;
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++)
        p[i] = g_radio[i];
    g_radio_len = 0;
    return n;
}

int main(void)
{
    static const uint8_t id[] = "device-1";
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    nanodtls_config cfg;
    nanodtls_platform plat = {rng, now_ms, NULL};
    size_t n;
    uint32_t ms;

    nanodtls_set_panic_hook(on_panic);
    if (nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT) != NANODTLS_OK)
        return 1;
    if (nanodtls_init(&g_ctx, sizeof g_ctx, &cfg, &plat) != NANODTLS_OK)
        return 1;
    if (nanodtls_set_psk(&g_ctx, id, sizeof id - 1, key, sizeof key) != NANODTLS_OK)
        return 1;
#ifdef LINKTEST_ECC
    {
        static const uint8_t scalar[32] = {7};
        uint8_t spki[NANODTLS_SPKI_LEN];
        if (nanodtls_set_own_key(&g_ctx, scalar, sizeof scalar) != NANODTLS_OK)
            return 1;
        if (nanodtls_get_own_spki(&g_ctx, spki, sizeof spki, &n) != NANODTLS_OK)
            return 1;
        if (nanodtls_add_trusted_key(&g_ctx, spki, n) != NANODTLS_OK)
            return 1;
    }
#endif
    if (nanodtls_connect(&g_ctx) != NANODTLS_OK)
        return 1;

    for (uint32_t round = 0; round < 1000; round++) {
        while (nanodtls_poll_datagram(&g_ctx, g_buf, sizeof g_buf, &n) == NANODTLS_OK)
            radio_send(g_buf, n);
        n = radio_recv(g_buf, sizeof g_buf);
        if (n > 0) {
            nanodtls_input in;
            size_t at = 0;
            int32_t st;
            do {
                st = nanodtls_feed(&g_ctx, g_buf + at, n - at, &in);
                if (st < 0)
                    break;
                if (in.app_data != NULL)
                    radio_send(in.app_data, in.app_len); /* the application's turn */
                at += in.consumed;
            } while (st == NANODTLS_MORE);
            if (st < 0)
                break;
        } else if (nanodtls_timeout_ms(&g_ctx, &ms) == NANODTLS_OK && ms == 0) {
            if (nanodtls_handle_timeout(&g_ctx) < 0)
                break;
        }
        if (nanodtls_state(&g_ctx) == NANODTLS_STATE_CONNECTED) {
            static const uint8_t hello[] = "hello";
            if (nanodtls_write(&g_ctx, hello, sizeof hello - 1, g_buf, sizeof g_buf, &n) != NANODTLS_OK)
                break;
            radio_send(g_buf, n);
        }
    }
    nd_puts(nanodtls_status_str(nanodtls_error(&g_ctx)));
    nanodtls_close(&g_ctx);
    while (nanodtls_poll_datagram(&g_ctx, g_buf, sizeof g_buf, &n) == NANODTLS_OK)
        radio_send(g_buf, n);
    nanodtls_deinit(&g_ctx);
    return 0;
}
