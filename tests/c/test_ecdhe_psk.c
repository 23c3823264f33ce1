/*
 * ECDHE_PSK (RFC 8442) through the C API: both suites selected in
 * nanodtls_config.suites, a client context against a server context,
 * the negotiated suite, data both ways, and a server that only has plain
 * PSK configured refusing a client that offers only ECDHE_PSK.
 */
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static uint64_t g_clock;
static t_flight g_f;

static nanodtls_status setup(nanodtls_ctx *ctx, uint8_t role, t_party *p, uint16_t suite)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st = nanodtls_config_default(&cfg, role);
    if (st != NANODTLS_OK) {
        return st;
    }
    memset(cfg.suites, 0, sizeof cfg.suites);
    cfg.suites[0] = suite;
    t_platform(&plat, p);
    st = nanodtls_init(ctx, sizeof *ctx, &cfg, &plat);
    if (st != NANODTLS_OK) {
        return st;
    }
    return nanodtls_set_psk(ctx, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY);
}

static void transfer(nanodtls_ctx *from, nanodtls_ctx *to, const char *text)
{
    uint8_t buf[256];
    size_t n = 0;
    size_t len = strlen(text);
    T_ST(t_write(from, (const uint8_t *)text, len), NANODTLS_OK);
    g_f.n = 0;
    T_EQ(t_collect(from, &g_f), 1);
    T_ST(t_deliver(to, &g_f), NANODTLS_OK);
    T_ST(t_read(to, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == len && memcmp(buf, text, len) == 0);
}

static void test_both_suites(void)
{
    static const uint16_t suites[] = {NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM_8, NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM};
    size_t i;
    for (i = 0; i < 2; i++) {
        t_party cp, sp;
        uint16_t suite = 0;
        g_clock = 1000;
        t_party_init(&cp, 5 + i, &g_clock);
        t_party_init(&sp, 7 + i, &g_clock);
        T_ST(setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, suites[i]), NANODTLS_OK);
        T_ST(setup(&g_server, NANODTLS_ROLE_SERVER, &sp, suites[i]), NANODTLS_OK);
        T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
        T_REQUIRE(t_handshake(&g_client, &g_server, 10));
        T_ST(nanodtls_get_suite(&g_client, &suite), NANODTLS_OK);
        T_EQ(suite, suites[i]);
        T_ST(nanodtls_get_suite(&g_server, &suite), NANODTLS_OK);
        T_EQ(suite, suites[i]);
        T_CHECK(strcmp(nanodtls_suite_name(suites[i]), i == 0 ? "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"
                                                              : "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256") == 0);
        transfer(&g_client, &g_server, "hello over ECDHE_PSK");
        transfer(&g_server, &g_client, "and back");
        nanodtls_deinit(&g_client);
        nanodtls_deinit(&g_server);
    }
}

static void test_server_without_it(void)
{
    t_party cp, sp;
    g_clock = 1000;
    t_party_init(&cp, 11, &g_clock);
    t_party_init(&sp, 12, &g_clock);
    T_ST(setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM_8), NANODTLS_OK);
    T_ST(setup(&g_server, NANODTLS_ROLE_SERVER, &sp, NANODTLS_SUITE_PSK_AES_128_CCM_8), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(!t_handshake(&g_client, &g_server, 10));
    T_CHECK(nanodtls_state(&g_client) != NANODTLS_STATE_CONNECTED);
    nanodtls_deinit(&g_client);
    nanodtls_deinit(&g_server);
}

int main(void)
{
    T_RUN(test_both_suites);
    T_RUN(test_server_without_it);
    return t_finish("test_ecdhe_psk");
}
