/*
 * record_size_limit (RFC 8449) through the C API: the config field (its
 * default, its range), a client offering it to a server context (which
 * answers with mtu - 37 by default, or its configured value), the limits
 * nanodtls_get_info reports, nanodtls_write refusing more than the peer
 * accepts, and a config without it leaving everything as before.
 */
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static uint64_t g_clock;

static nanodtls_status setup(nanodtls_ctx *ctx, uint8_t role, t_party *p, uint16_t rsl)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st = nanodtls_config_default(&cfg, role);
    if (st != NANODTLS_OK) {
        return st;
    }
    cfg.record_size_limit = rsl;
    t_platform(&plat, p);
    st = nanodtls_init(ctx, sizeof *ctx, &cfg, &plat);
    if (st != NANODTLS_OK) {
        return st;
    }
    return nanodtls_set_psk(ctx, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY);
}

static void test_config_values(void)
{
    static const struct {
        uint16_t v;
        nanodtls_status st;
    } cases[] = {{0, NANODTLS_OK},
                 {63, NANODTLS_E_INVALID_ARG},
                 {64, NANODTLS_OK},
                 {16384, NANODTLS_OK},
                 {16385, NANODTLS_E_INVALID_ARG}};
    nanodtls_config cfg;
    t_party p;
    size_t i;

    T_ST(nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT), NANODTLS_OK);
    T_EQ(cfg.record_size_limit, 0);
    t_party_init(&p, 1, &g_clock);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        T_ST(setup(&g_client, NANODTLS_ROLE_CLIENT, &p, cases[i].v), cases[i].st);
        nanodtls_deinit(&g_client);
        T_ST(setup(&g_server, NANODTLS_ROLE_SERVER, &p, cases[i].v), cases[i].st);
        nanodtls_deinit(&g_server);
    }
}

static void handshake(uint16_t client_rsl, uint16_t server_rsl)
{
    t_party cp, sp;
    g_clock = 1000;
    t_party_init(&cp, 3, &g_clock);
    t_party_init(&sp, 4, &g_clock);
    T_ST(setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, client_rsl), NANODTLS_OK);
    T_ST(setup(&g_server, NANODTLS_ROLE_SERVER, &sp, server_rsl), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
}

static void test_negotiated(void)
{
    nanodtls_info ci, si;
    uint8_t msg[1300];
    uint8_t out[1400];
    size_t n = 0;

    /* Server default: mtu (1280) - 37. */
    handshake(600, 0);
    T_ST(nanodtls_get_info(&g_client, &ci), NANODTLS_OK);
    T_ST(nanodtls_get_info(&g_server, &si), NANODTLS_OK);
    T_EQ(ci.record_size_limit, 600);
    T_EQ(ci.record_limit, 1243);
    T_EQ(si.record_size_limit, 1243);
    T_EQ(si.record_limit, 600);
    memset(msg, 7, sizeof msg);
    T_ST(nanodtls_write(&g_server, msg, 601, out, sizeof out, &n), NANODTLS_E_TOO_LARGE);
    T_ST(nanodtls_write(&g_server, msg, 600, out, sizeof out, &n), NANODTLS_OK);
    T_ST(nanodtls_write(&g_client, msg, 1243, out, sizeof out, &n), NANODTLS_OK);
    nanodtls_deinit(&g_client);
    nanodtls_deinit(&g_server);

    /* Server configured value. */
    handshake(1000, 300);
    T_ST(nanodtls_get_info(&g_client, &ci), NANODTLS_OK);
    T_EQ(ci.record_size_limit, 1000);
    T_EQ(ci.record_limit, 300);
    T_ST(nanodtls_write(&g_client, msg, 301, out, sizeof out, &n), NANODTLS_E_TOO_LARGE);
    nanodtls_deinit(&g_client);
    nanodtls_deinit(&g_server);

    /* Not offered: not negotiated. */
    handshake(0, 300);
    T_ST(nanodtls_get_info(&g_client, &ci), NANODTLS_OK);
    T_ST(nanodtls_get_info(&g_server, &si), NANODTLS_OK);
    T_EQ(ci.record_size_limit, 0);
    T_EQ(si.record_size_limit, 0);
    T_EQ(ci.record_limit, 16384);
    T_EQ(si.record_limit, 16384);
    nanodtls_deinit(&g_client);
    nanodtls_deinit(&g_server);
}

int main(void)
{
    T_RUN(test_config_values);
    T_RUN(test_negotiated);
    return t_finish("test_record_size_limit");
}
