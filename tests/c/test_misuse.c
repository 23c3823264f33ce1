/*
 * API misuse: NULL pointers, zero and huge lengths, wrong sizes, use
 * before init and after deinit, wrong states, bad configuration, bad
 * credentials, failing and re-entrant callbacks. The header's contract:
 * misuse returns an error and changes nothing, and the context stays
 * usable (checked by comparing bytes and by completing a handshake).
 */
#include <limits.h>
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static nanodtls_ctx g_other;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[2];
/* Byte snapshots for "changes nothing" checks. */
static unsigned char g_snap[sizeof(nanodtls_ctx)];
static unsigned char g_snap_peers[sizeof g_peers];

static uint64_t g_clock;

/* Complete a handshake and one record each way: proves a context is usable. */
static int handshake_and_data(nanodtls_ctx *c, nanodtls_ctx *s)
{
    static t_flight f;
    uint8_t buf[64];
    size_t n = 0;

    if (!t_handshake(c, s, 10)) {
        return 0;
    }
    if (t_write(c, (const uint8_t *)"ping", 4) != NANODTLS_OK) {
        return 0;
    }
    f.n = 0;
    t_collect(c, &f);
    if (t_deliver(s, &f) != NANODTLS_OK || t_read(s, buf, sizeof buf, &n) != NANODTLS_OK || n != 4 ||
        memcmp(buf, "ping", 4) != 0) {
        return 0;
    }
    if (t_write(s, (const uint8_t *)"pong", 4) != NANODTLS_OK) {
        return 0;
    }
    f.n = 0;
    t_collect(s, &f);
    return t_deliver(c, &f) == NANODTLS_OK && t_read(c, buf, sizeof buf, &n) == NANODTLS_OK && n == 4 &&
           memcmp(buf, "pong", 4) == 0;
}

/* Call every context function with otherwise valid arguments and expect
 * `want` from each (NULL context, uninitialised context, re-entrant call). */
static void every_ctx_call(nanodtls_ctx *c, nanodtls_status want)
{
    uint8_t buf[256];
    size_t n = 12345;
    uint32_t ms = 777;
    uint16_t suite = 0xabcd;
    nanodtls_alert alert;
    nanodtls_stats stats;
    nanodtls_alert alert_before;
    size_t max = 999;
    nanodtls_input in;
    nanodtls_input in_before;
    uint8_t out[64];

    memset(&in, 0x66, sizeof in);
    memcpy(&in_before, &in, sizeof in);
    memset(buf, 0x5a, sizeof buf);
    memset(&alert, 0x77, sizeof alert);
    memcpy(&alert_before, &alert, sizeof alert);
    T_ST(nanodtls_deinit(c), want);
    T_ST(nanodtls_set_psk(c, (const uint8_t *)"id", 2, T_KEY, sizeof T_KEY), want);
    T_ST(nanodtls_set_psk_hint(c, (const uint8_t *)"hint", 4), want);
    T_ST(nanodtls_set_psk_lookup(c, NULL, NULL), want);
    T_ST(nanodtls_connect(c), want);
    T_ST(nanodtls_feed(c, buf, 13, &in), want);
    T_ST(nanodtls_poll_datagram(c, buf, sizeof buf, &n), want);
    T_ST(nanodtls_write(c, buf, 4, out, sizeof out, &n), want);
    T_ST(nanodtls_max_write(c, &max), want);
    T_ST(nanodtls_timeout_ms(c, &ms), want);
    T_ST(nanodtls_handle_timeout(c), want);
    T_ST(nanodtls_state(c), want);
    T_ST(nanodtls_error(c), want);
    T_ST(nanodtls_last_alert(c, &alert), want);
    T_ST(nanodtls_get_stats(c, &stats), want);
    T_ST(nanodtls_get_suite(c, &suite), want);
    T_ST(nanodtls_get_psk_identity(c, buf, sizeof buf, &n), want);
    T_ST(nanodtls_set_own_key(c, buf, 32), want);
    T_ST(nanodtls_get_own_spki(c, buf, sizeof buf, &n), want);
    T_ST(nanodtls_add_trusted_key(c, buf, NANODTLS_SPKI_LEN), want);
    T_ST(nanodtls_add_trusted_key_hash(c, buf, 32), want);
    T_ST(nanodtls_set_verify_callback(c, NULL, NULL), want);
    T_ST(nanodtls_get_peer_key_hash(c, buf, sizeof buf), want);
    T_ST(nanodtls_close(c), want);
    /* Outputs are written only on success. */
    T_EQ(n, 12345);
    T_EQ(ms, 777);
    T_EQ(suite, 0xabcd);
    T_EQ(max, 999);
    T_CHECK(memcmp(&alert, &alert_before, sizeof alert) == 0);
    T_CHECK(memcmp(&in, &in_before, sizeof in) == 0);
}

static void every_endpoint_call(nanodtls_endpoint *ep, nanodtls_status want)
{
    uint8_t buf[256];
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t n = 4242;
    size_t alen = 4343;
    uint32_t ms = 555;
    nanodtls_event ev;
    nanodtls_stats stats;
    nanodtls_endpoint_stats est;
    nanodtls_input in;
    uint8_t out[64];

    memset(&in, 0x66, sizeof in);
    memset(buf, 0, sizeof buf);
    memset(addr, 1, sizeof addr);
    T_ST(nanodtls_endpoint_deinit(ep), want);
    T_ST(nanodtls_endpoint_set_timeouts(ep, 0, 1000), want);
    T_ST(nanodtls_endpoint_set_psk(ep, (const uint8_t *)"id", 2, T_KEY, sizeof T_KEY), want);
    T_ST(nanodtls_endpoint_set_psk_hint(ep, (const uint8_t *)"h", 1), want);
    T_ST(nanodtls_endpoint_set_psk_lookup(ep, NULL, NULL), want);
    T_ST(nanodtls_endpoint_set_own_key(ep, buf, 32), want);
    T_ST(nanodtls_endpoint_add_trusted_key(ep, buf, NANODTLS_SPKI_LEN), want);
    T_ST(nanodtls_endpoint_add_trusted_key_hash(ep, buf, 32), want);
    T_ST(nanodtls_endpoint_set_verify_callback(ep, NULL, NULL), want);
    T_ST(nanodtls_endpoint_get_own_spki(ep, buf, sizeof buf, &n), want);
    T_ST(nanodtls_endpoint_peer_key_hash(ep, addr, 4, buf, sizeof buf), want);
    T_ST(nanodtls_endpoint_feed(ep, addr, 4, buf, 13, &in), want);
    T_ST(nanodtls_endpoint_poll_datagram(ep, buf, sizeof buf, &n, addr, sizeof addr, &alen), want);
    T_ST(nanodtls_endpoint_write(ep, addr, 4, buf, 4, out, sizeof out, &n), want);
    T_ST(nanodtls_endpoint_close_peer(ep, addr, 4), want);
    T_ST(nanodtls_endpoint_timeout_ms(ep, &ms), want);
    T_ST(nanodtls_endpoint_handle_timeout(ep), want);
    T_ST(nanodtls_endpoint_poll_event(ep, &ev, addr, sizeof addr, &alen), want);
    T_ST(nanodtls_endpoint_peer_identity(ep, addr, 4, buf, sizeof buf, &n), want);
    T_ST(nanodtls_endpoint_peer_stats(ep, addr, 4, &stats), want);
    T_ST(nanodtls_endpoint_get_stats(ep, &est), want);
    T_ST(nanodtls_endpoint_set_peer_user(ep, addr, 4, &n), want);
    {
        void *user = &alen;
        T_ST(nanodtls_endpoint_get_peer_user(ep, addr, 4, &user), want);
        T_CHECK(user == &alen);
    }
    T_EQ(n, 4242);
    T_EQ(alen, 4343);
    T_EQ(ms, 555);
    T_CHECK(t_all_bytes(&in, sizeof in, 0x66));
}

static void setup_pair(t_party *cp, t_party *sp)
{
    g_clock = 0;
    t_party_init(cp, 11, &g_clock);
    t_party_init(sp, 22, &g_clock);
}

/* ---- Tests -------------------------------------------------------------- */

static void test_strings_never_null(void)
{
    long code;
    unsigned d;
    unsigned long s;
    /* -23: one past the last status (NANODTLS_E_CRYPTO, -22). */
    const int32_t extremes[] = {INT32_MIN, INT32_MIN + 1, -1000, -23, 3, 1000, INT32_MAX};
    size_t i;

    for (code = -64; code <= 64; code++) {
        const char *str = nanodtls_status_str((nanodtls_status)code);
        T_REQUIRE(str != NULL);
        T_CHECK(str[0] != '\0');
    }
    for (i = 0; i < sizeof extremes / sizeof extremes[0]; i++) {
        const char *str = nanodtls_status_str(extremes[i]);
        T_REQUIRE(str != NULL);
        T_CHECK(strcmp(str, "unknown status") == 0);
    }
    T_CHECK(strcmp(nanodtls_status_str(NANODTLS_E_CRYPTO), "AES/CCM hook failed") == 0);
    for (i = 0; i < sizeof extremes / sizeof extremes[0]; i++) {
        const char *str = nanodtls_state_name(extremes[i]);
        T_REQUIRE(str != NULL);
        T_CHECK(str[0] != '\0');
    }
    for (code = -64; code <= 64; code++) {
        T_REQUIRE(nanodtls_state_name((int32_t)code) != NULL);
    }
    for (d = 0; d <= 255; d++) {
        const char *str = nanodtls_alert_name((uint8_t)d);
        T_REQUIRE(str != NULL);
        T_CHECK(str[0] != '\0');
    }
    for (s = 0; s <= 0xffff; s++) {
        const char *str = nanodtls_suite_name((uint16_t)s);
        T_REQUIRE(str != NULL);
        T_CHECK(str[0] != '\0');
    }
    T_CHECK(strcmp(nanodtls_status_str(NANODTLS_OK), "ok") == 0);
    T_CHECK(strcmp(nanodtls_suite_name(NANODTLS_SUITE_PSK_AES_128_CCM_8), "TLS_PSK_WITH_AES_128_CCM_8") == 0);
    T_CHECK(strcmp(nanodtls_suite_name(NANODTLS_SUITE_PSK_AES_128_CCM), "TLS_PSK_WITH_AES_128_CCM") == 0);
    T_CHECK(strcmp(nanodtls_suite_name(0), "unknown") == 0);
    T_CHECK(strcmp(nanodtls_alert_name(51), "decrypt_error") == 0);
    T_CHECK(strcmp(nanodtls_alert_name(0), "close_notify") == 0);
    T_CHECK(strcmp(nanodtls_status_str(NANODTLS_E_ALERT_SENT), "handshake failed: fatal alert sent") == 0);
    /* Registering and removing the panic hook is harmless. */
    nanodtls_set_panic_hook(NULL);
}

static void test_config_default(void)
{
    nanodtls_config cfg;
    nanodtls_config before;

    T_ST(nanodtls_config_default(NULL, NANODTLS_ROLE_CLIENT), NANODTLS_E_NULL);
    memset(&cfg, 0x3c, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    T_ST(nanodtls_config_default(&cfg, 7), NANODTLS_E_INVALID_ARG);
    T_CHECK(memcmp(&cfg, &before, sizeof cfg) == 0);
    T_ST(nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER), NANODTLS_OK);
    T_EQ(cfg.role, NANODTLS_ROLE_SERVER);
    T_EQ(cfg.require_cookie, 1);
    T_EQ(cfg.client_auth, 0);
    T_EQ(cfg.suites[0], NANODTLS_SUITE_PSK_AES_128_CCM_8);
    T_CHECK(cfg.mtu >= 128);
}

static void test_null_context(void)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    t_party p;

    t_party_init(&p, 1, &g_clock);
    t_platform(&plat, &p);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    T_ST(nanodtls_init(NULL, sizeof(nanodtls_ctx), &cfg, &plat), NANODTLS_E_NULL);
    every_ctx_call(NULL, NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_init(NULL, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_E_NULL);
    every_endpoint_call(NULL, NANODTLS_E_NULL);
}

static void test_use_before_init_and_after_deinit(void)
{
    t_party p;
    nanodtls_config cfg;
    nanodtls_platform plat;

    /* All zero (static storage) and garbage (stack/heap) contexts. */
    memset(&g_other, 0, sizeof g_other);
    every_ctx_call(&g_other, NANODTLS_E_NOT_INITIALIZED);
    T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0));
    memset(&g_other, 0xa5, sizeof g_other);
    every_ctx_call(&g_other, NANODTLS_E_NOT_INITIALIZED);
    T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0xa5));

    t_party_init(&p, 3, &g_clock);
    /* Initialised over garbage: deinit leaves every byte zero, including
     * any slack between the Rust struct and NANODTLS_CTX_SIZE. */
    T_ST(t_setup_ctx(&g_other, NANODTLS_ROLE_CLIENT, &p, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_other), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0));
    every_ctx_call(&g_other, NANODTLS_E_NOT_INITIALIZED);
    T_ST(nanodtls_deinit(&g_other), NANODTLS_E_NOT_INITIALIZED);
    /* Initialised over zeroes (static storage): all zero again. */
    memset(&g_other, 0, sizeof g_other);
    T_ST(t_setup_ctx(&g_other, NANODTLS_ROLE_CLIENT, &p, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_CHECK(!t_all_bytes(&g_other, sizeof g_other, 0));
    T_ST(nanodtls_deinit(&g_other), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0));

    memset(&g_ep, 0, sizeof g_ep);
    every_endpoint_call(&g_ep, NANODTLS_E_NOT_INITIALIZED);
    t_platform(&plat, &p);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_ep, sizeof g_ep, 0));
    every_endpoint_call(&g_ep, NANODTLS_E_NOT_INITIALIZED);
}

static void test_init_wrong_size_leaves_memory_untouched(void)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    t_party p;
    const size_t sizes[] = {0, 1, sizeof(nanodtls_ctx) - 1, sizeof(nanodtls_ctx) + 1, sizeof(nanodtls_ctx) * 2,
                            SIZE_MAX};
    size_t i;

    t_party_init(&p, 4, &g_clock);
    t_platform(&plat, &p);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    memset(&g_other, 0xa5, sizeof g_other);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        T_ST(nanodtls_init(&g_other, sizes[i], &cfg, &plat), NANODTLS_E_CTX_SIZE);
        T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0xa5));
    }
    T_ST(nanodtls_init(&g_other, sizeof g_other, NULL, &plat), NANODTLS_E_NULL);
    T_ST(nanodtls_init(&g_other, sizeof g_other, &cfg, NULL), NANODTLS_E_NULL);
    T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0xa5));

    /* A live context is not disturbed by a failed re-init either. */
    T_ST(t_setup_ctx(&g_other, NANODTLS_ROLE_CLIENT, &p, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    memcpy(g_snap, &g_other, sizeof g_snap);
    T_ST(nanodtls_init(&g_other, sizeof g_other - 8, &cfg, &plat), NANODTLS_E_CTX_SIZE);
    T_CHECK(memcmp(g_snap, &g_other, sizeof g_snap) == 0);
    T_EQ(nanodtls_state(&g_other), NANODTLS_STATE_IDLE);
    T_ST(nanodtls_deinit(&g_other), NANODTLS_OK);

    /* Endpoint and peer sizes. */
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    memset(&g_ep, 0xa5, sizeof g_ep);
    memset(g_peers, 0xa5, sizeof g_peers);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep - 8, &cfg, &plat, g_peers, sizeof g_peers[0], 2),
         NANODTLS_E_CTX_SIZE);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0] + 8, 2),
         NANODTLS_E_CTX_SIZE);
    T_ST(nanodtls_endpoint_init(&g_ep, SIZE_MAX, &cfg, &plat, g_peers, SIZE_MAX, 2), NANODTLS_E_CTX_SIZE);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, NULL, sizeof g_peers[0], 2), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 0),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], SIZE_MAX),
         NANODTLS_E_INVALID_ARG);
    T_CHECK(t_all_bytes(&g_ep, sizeof g_ep, 0xa5));
    T_CHECK(t_all_bytes(g_peers, sizeof g_peers, 0xa5));
}

static void test_bad_config(void)
{
    nanodtls_config good;
    nanodtls_config cfg;
    nanodtls_platform plat;
    t_party p;

    t_party_init(&p, 5, &g_clock);
    t_platform(&plat, &p);
    nanodtls_config_default(&good, NANODTLS_ROLE_CLIENT);
    memset(&g_other, 0xa5, sizeof g_other);

#define BAD_CFG(field_change)                                                       \
    do {                                                                            \
        cfg = good;                                                                 \
        field_change;                                                               \
        T_ST(nanodtls_init(&g_other, sizeof g_other, &cfg, &plat), NANODTLS_E_INVALID_ARG); \
        T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0xa5));                       \
    } while (0)

    BAD_CFG(cfg.mtu = 100);
    BAD_CFG(cfg.mtu = 0);
    BAD_CFG(cfg.mtu = 65535);
    BAD_CFG(cfg.role = 7);
    BAD_CFG(cfg.client_auth = 2); /* a 0/1 flag */
    BAD_CFG(cfg.require_cookie = 2);
    BAD_CFG(cfg.require_ems = 9);
    BAD_CFG(cfg.suites[0] = 0x1301; cfg.suites[1] = 0);  /* TLS 1.3 suite */
    BAD_CFG(cfg.suites[0] = 0xffff);                     /* unknown suite */
    BAD_CFG(memset(cfg.suites, 0, sizeof cfg.suites));   /* no suite */
    BAD_CFG(cfg.suites[1] = cfg.suites[0]);              /* duplicate */
    BAD_CFG(cfg.suites[0] = 0; cfg.suites[1] = NANODTLS_SUITE_PSK_AES_128_CCM_8); /* hole */
    BAD_CFG(cfg.retransmit_initial_ms = 0);
    BAD_CFG(cfg.retransmit_max_ms = cfg.retransmit_initial_ms - 1);
    BAD_CFG(cfg.handshake_timeout_ms = 0);
    BAD_CFG(cfg.cookie_lifetime_ms = 0);
#undef BAD_CFG

    /* Platform without callbacks. */
    cfg = good;
    plat.rng = NULL;
    T_ST(nanodtls_init(&g_other, sizeof g_other, &cfg, &plat), NANODTLS_E_NULL);
    t_platform(&plat, &p);
    plat.now_ms = NULL;
    T_ST(nanodtls_init(&g_other, sizeof g_other, &cfg, &plat), NANODTLS_E_NULL);
    T_CHECK(t_all_bytes(&g_other, sizeof g_other, 0xa5));

    /* The endpoint wants a server configuration. */
    t_platform(&plat, &p);
    memset(&g_ep, 0xa5, sizeof g_ep);
    cfg = good;
    cfg.mtu = 100;
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2),
         NANODTLS_E_INVALID_ARG);
    plat.rng = NULL;
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_E_NULL);
    T_CHECK(t_all_bytes(&g_ep, sizeof g_ep, 0xa5));
    t_platform(&plat, &p);
    memset(g_peers, 0xa5, sizeof g_peers);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &good, &plat, g_peers, sizeof g_peers[0], 2),
         NANODTLS_E_INVALID_ARG);
    /* Header: "Misuse returns an error and changes nothing". */
    T_CHECK(t_all_bytes(&g_ep, sizeof g_ep, 0xa5) && t_all_bytes(g_peers, sizeof g_peers, 0xa5));
}

static void test_set_psk_bounds(void)
{
    static uint8_t big[NANODTLS_MAX_PSK_IDENTITY + 2];
    t_party p;

    memset(big, 'x', sizeof big);
    t_party_init(&p, 6, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &p, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    memcpy(g_snap, &g_client, sizeof g_snap);

    T_ST(nanodtls_set_psk(&g_client, NULL, 0, T_KEY, sizeof T_KEY), NANODTLS_E_INVALID_ARG); /* empty id */
    T_ST(nanodtls_set_psk(&g_client, big, 0, T_KEY, sizeof T_KEY), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_psk(&g_client, NULL, 7, T_KEY, sizeof T_KEY), NANODTLS_E_NULL);
    T_ST(nanodtls_set_psk(&g_client, big, NANODTLS_MAX_PSK_IDENTITY + 1, T_KEY, sizeof T_KEY),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_psk(&g_client, big, SIZE_MAX, T_KEY, sizeof T_KEY), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)"id", 2, NULL, 0), NANODTLS_E_INVALID_ARG); /* empty key */
    T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)"id", 2, NULL, 16), NANODTLS_E_NULL);
    T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)"id", 2, big, NANODTLS_MAX_PSK_KEY + 1),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)"id", 2, big, SIZE_MAX), NANODTLS_E_INVALID_ARG);
    T_CHECK(memcmp(g_snap, &g_client, sizeof g_snap) == 0);

    /* The limits themselves are accepted. */
    T_ST(nanodtls_set_psk(&g_client, big, NANODTLS_MAX_PSK_IDENTITY, big, NANODTLS_MAX_PSK_KEY), NANODTLS_OK);
    T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)"i", 1, big, 1), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

static void test_wrong_state(void)
{
    t_party cp, sp;
    uint8_t buf[64];
    size_t n = 0;
    uint16_t suite = 0x1111;
    nanodtls_input in;

    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);

    memcpy(g_snap, &g_client, sizeof g_snap);
    T_ST(nanodtls_write(&g_client, (const uint8_t *)"x", 1, buf, sizeof buf, &n), NANODTLS_E_STATE); /* before connect */
    T_ST(nanodtls_feed(&g_client, buf, 0, &in), NANODTLS_E_STATE);                              /* before connect */
    T_ST(nanodtls_get_suite(&g_client, &suite), NANODTLS_E_STATE);
    T_EQ(suite, 0x1111);
    T_ST(nanodtls_set_psk_hint(&g_client, (const uint8_t *)"h", 1), NANODTLS_E_STATE); /* client */
    T_ST(nanodtls_set_psk_lookup(&g_client, NULL, NULL), NANODTLS_E_STATE);           /* client */
    T_ST(nanodtls_poll_datagram(&g_client, buf, sizeof buf, &n), NANODTLS_DONE);
    T_CHECK(memcmp(g_snap, &g_client, sizeof g_snap) == 0);

    memcpy(g_snap, &g_server, sizeof g_snap);
    T_ST(nanodtls_connect(&g_server), NANODTLS_E_STATE);
    T_ST(nanodtls_write(&g_server, (const uint8_t *)"x", 1, buf, sizeof buf, &n), NANODTLS_E_STATE);
    T_ST(nanodtls_set_psk_hint(&g_server, buf, 33), NANODTLS_E_INVALID_ARG);
    T_CHECK(memcmp(g_snap, &g_server, sizeof g_snap) == 0);
    T_ST(nanodtls_set_psk_hint(&g_server, (const uint8_t *)"hint", 4), NANODTLS_OK);

    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    memcpy(g_snap, &g_client, sizeof g_snap);
    T_ST(nanodtls_connect(&g_client), NANODTLS_E_STATE); /* twice */
    T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)"x", 1, T_KEY, 16), NANODTLS_E_STATE);
    T_ST(nanodtls_write(&g_client, (const uint8_t *)"x", 1, buf, sizeof buf, &n), NANODTLS_E_STATE); /* handshaking */
    T_CHECK(memcmp(g_snap, &g_client, sizeof g_snap) == 0);

    /* Still fine: the handshake (with an identity hint) completes. */
    T_CHECK(handshake_and_data(&g_client, &g_server));
    T_ST(nanodtls_connect(&g_client), NANODTLS_E_STATE);
    T_ST(nanodtls_set_psk_hint(&g_server, (const uint8_t *)"h", 1), NANODTLS_E_STATE);

    /* After close: writes and feeds report the sticky CLOSED status. */
    T_ST(nanodtls_close(&g_client), NANODTLS_OK);
    T_ST(nanodtls_close(&g_client), NANODTLS_OK); /* idempotent */
    T_ST(nanodtls_write(&g_client, (const uint8_t *)"x", 1, buf, sizeof buf, &n), NANODTLS_E_CLOSED);
    T_ST(nanodtls_feed(&g_client, buf, 0, &in), NANODTLS_E_CLOSED);
    T_ST(nanodtls_connect(&g_client), NANODTLS_E_STATE);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_CLOSED);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_lengths_and_buffers(void)
{
    t_party cp, sp;
    static uint8_t buf[2048];
    static uint8_t out[2048];
    static t_flight f;
    size_t n = 4711;
    size_t max = 0;
    uint8_t id[4];
    nanodtls_input in;

    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);

    memcpy(g_snap, &g_client, sizeof g_snap);
    T_ST(nanodtls_poll_datagram(&g_client, NULL, 10, &n), NANODTLS_E_NULL);
    T_ST(nanodtls_poll_datagram(&g_client, buf, 10, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_poll_datagram(&g_client, buf, SIZE_MAX, &n), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_feed(&g_client, NULL, 5, &in), NANODTLS_E_NULL);
    T_ST(nanodtls_feed(&g_client, buf, SIZE_MAX, &in), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_feed(&g_client, buf, 5, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_write(&g_client, NULL, 5, out, sizeof out, &n), NANODTLS_E_NULL);
    T_ST(nanodtls_write(&g_client, buf, SIZE_MAX, out, sizeof out, &n), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_write(&g_client, buf, 5, NULL, 10, &n), NANODTLS_E_NULL);
    T_ST(nanodtls_write(&g_client, buf, 5, out, sizeof out, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_max_write(&g_client, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_timeout_ms(&g_client, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_last_alert(&g_client, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_get_stats(&g_client, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_get_suite(&g_client, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_get_psk_identity(&g_client, NULL, 10, &n), NANODTLS_E_NULL);
    T_ST(nanodtls_get_psk_identity(&g_client, buf, 10, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_get_psk_identity(&g_client, id, sizeof id, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    T_ST(nanodtls_set_psk_hint(&g_client, NULL, 3), NANODTLS_E_NULL);
    T_EQ(n, 4711);
    /* No room at all for the ClientHello: nothing is lost. */
    T_ST(nanodtls_poll_datagram(&g_client, NULL, 0, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    T_ST(nanodtls_poll_datagram(&g_client, buf, 0, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    /* Nor below NANODTLS_MIN_MTU (reported: 26 bytes cut the handshake
     * into 26-byte datagrams instead). */
    T_ST(nanodtls_poll_datagram(&g_client, buf, 26, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    T_ST(nanodtls_poll_datagram(&g_client, buf, NANODTLS_MIN_MTU - 1, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    T_EQ(n, 4711);
    T_CHECK(memcmp(g_snap, &g_client, sizeof g_snap) == 0);

    /* Feeding an empty datagram is allowed (and counted). */
    memset(&in, 0x66, sizeof in);
    T_ST(nanodtls_feed(&g_client, NULL, 0, &in), NANODTLS_OK);
    T_EQ(in.consumed, 0);
    T_CHECK(in.app_data == NULL);
    T_EQ(in.app_len, 0);

    T_REQUIRE(t_handshake(&g_client, &g_server, 10));

    /* Connected: zero-length and maximum-size writes, oversize rejected. */
    T_ST(nanodtls_max_write(&g_client, &max), NANODTLS_OK);
    T_CHECK(max > 0 && max + 29 < sizeof out);
    memcpy(g_snap, &g_client, sizeof g_snap);
    T_ST(nanodtls_write(&g_client, buf, max + 1, out, sizeof out, &n), NANODTLS_E_TOO_LARGE);
    /* The record is sealed straight into `out`: too small a buffer is
     * refused with nothing sealed (no sequence number used). */
    T_ST(nanodtls_write(&g_client, buf, 10, out, 10 + 28, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    T_ST(nanodtls_write(&g_client, buf, 10, NULL, 0, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    /* Data and output must not overlap. */
    T_ST(nanodtls_write(&g_client, out + 5, 10, out, sizeof out, &n), NANODTLS_E_INVALID_ARG);
    T_EQ(n, 4711);
    T_CHECK(memcmp(g_snap, &g_client, sizeof g_snap) == 0);
    memset(buf, 'm', max);
    T_ST(t_write(&g_client, NULL, 0), NANODTLS_OK);
    f.n = 0;
    T_EQ(t_collect(&g_client, &f), 1);
    /* Opened in place: app_data points into the fed datagram. */
    memcpy(out, f.d[0].data, f.d[0].len);
    T_ST(nanodtls_feed(&g_server, out, f.d[0].len, &in), NANODTLS_OK);
    T_EQ(in.consumed, f.d[0].len);
    T_CHECK(in.app_data == out + 13 + 8);
    T_EQ(in.app_len, 0);
    T_ST(nanodtls_write(&g_client, buf, max, out, max + 29, &n), NANODTLS_OK);
    T_EQ(n, max + 29);
    T_ST(nanodtls_feed(&g_server, out, n, &in), NANODTLS_OK);
    T_EQ(in.app_len, max);
    T_CHECK(in.app_data == out + 13 + 8);
    T_CHECK(t_all_bytes(in.app_data, max, 'm'));

    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

/* Several application records in one datagram: each feed call stops after
 * one (NANODTLS_MORE) and the rest is fed again from `consumed`; a replay
 * of the whole datagram yields nothing. */
static void test_feed_more_records(void)
{
    t_party cp, sp;
    static uint8_t dgram[2048];
    static uint8_t copy[2048];
    size_t len = 0, n = 0, at = 0, lens[3];
    nanodtls_input in;
    nanodtls_stats st;
    const char *texts[3] = {"one", "", "three"};
    int i;

    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    for (i = 0; i < 3; i++) {
        T_ST(nanodtls_write(&g_client, (const uint8_t *)texts[i], strlen(texts[i]), dgram + len, sizeof dgram - len,
                            &n),
             NANODTLS_OK);
        lens[i] = n;
        len += n;
    }
    memcpy(copy, dgram, len);
    for (i = 0; i < 3; i++) {
        T_ST(nanodtls_feed(&g_server, dgram + at, len - at, &in), i < 2 ? NANODTLS_MORE : NANODTLS_OK);
        T_EQ(in.consumed, lens[i]);
        T_REQUIRE(in.app_data != NULL);
        T_EQ(in.app_len, strlen(texts[i]));
        T_CHECK(memcmp(in.app_data, texts[i], in.app_len) == 0);
        at += in.consumed;
    }
    T_ST(nanodtls_feed(&g_server, copy, len, &in), NANODTLS_OK);
    T_EQ(in.consumed, len);
    T_CHECK(in.app_data == NULL);
    T_ST(nanodtls_get_stats(&g_server, &st), NANODTLS_OK);
    T_EQ(st.dropped_replay, 3);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_misuse_keeps_context_usable(void)
{
    t_party cp, sp;
    uint8_t buf[64];
    uint8_t out[64];
    size_t n;
    nanodtls_input in;

    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    /* A burst of misuse on both sides. */
    T_ST(nanodtls_feed(&g_client, NULL, 3, &in), NANODTLS_E_NULL);
    T_ST(nanodtls_write(&g_client, buf, 1, out, sizeof out, &n), NANODTLS_E_STATE);
    T_ST(nanodtls_connect(&g_server), NANODTLS_E_STATE);
    T_ST(nanodtls_poll_datagram(&g_server, buf, SIZE_MAX, &n), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_psk(&g_server, NULL, 1, NULL, 1), NANODTLS_E_NULL);
    T_ST(nanodtls_feed(&g_server, buf, sizeof buf, NULL), NANODTLS_E_NULL);
    /* Junk datagrams are dropped, not fatal. */
    memset(buf, 0x16, sizeof buf);
    T_ST(nanodtls_feed(&g_server, buf, sizeof buf, &in), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    memset(buf, 0x16, sizeof buf);
    T_ST(nanodtls_feed(&g_client, buf, sizeof buf, &in), NANODTLS_OK);
    T_CHECK(handshake_and_data(&g_client, &g_server));
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_rng_failure(void)
{
    t_party cp, sp;
    size_t n = 99;
    uint8_t buf[256];

    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    cp.rng_fail = 1;
    T_ST(nanodtls_connect(&g_client), NANODTLS_E_RNG);
    T_CHECK(cp.rng_calls > 0);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_RNG);
    T_ST(nanodtls_poll_datagram(&g_client, buf, sizeof buf, &n), NANODTLS_DONE); /* nothing to send */
    T_ST(nanodtls_write(&g_client, buf, 1, buf + 1, sizeof buf - 1, &n), NANODTLS_E_RNG);
    T_ST(nanodtls_connect(&g_client), NANODTLS_E_STATE);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);

    /* The same memory works again once the RNG does. */
    cp.rng_fail = 0;
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(handshake_and_data(&g_client, &g_server));
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_server_rng_failure_for_the_cookie_secret(void)
{
    /* Reported: a server whose RNG failed while refreshing its cookie
     * secret dropped the ClientHello silently (counted as unexpected). */
    t_party cp, sp;
    t_dgram d;
    nanodtls_stats ss;

    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_poll_datagram(&g_client, d.data, sizeof d.data, &d.len), NANODTLS_OK);
    sp.rng_fail = 1;
    T_ST(t_feed(&g_server, d.data, d.len), NANODTLS_E_RNG);
    T_CHECK(sp.rng_calls > 0);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_server), NANODTLS_E_RNG);
    T_ST(nanodtls_get_stats(&g_server, &ss), NANODTLS_OK);
    T_EQ(ss.dropped_unexpected, 0);
    T_ST(nanodtls_poll_datagram(&g_server, d.data, sizeof d.data, &d.len), NANODTLS_DONE); /* no alert */
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

/* ---- Re-entrancy ---------------------------------------------------------- */

static void reenter_ctx_from_rng(t_party *self)
{
    nanodtls_ctx *c = (nanodtls_ctx *)self->hook_target;
    nanodtls_config cfg;
    nanodtls_platform plat;
    uint8_t buf[16];
    size_t n = 0;
    nanodtls_input in;

    if (self->hook_runs++ > 0) {
        return; /* once is enough */
    }
    memset(buf, 0, sizeof buf);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    t_platform(&plat, self);
    self->hook_results[0] = nanodtls_state(c);
    self->hook_results[1] = nanodtls_feed(c, buf, sizeof buf, &in);
    self->hook_results[2] = nanodtls_poll_datagram(c, buf, sizeof buf, &n);
    self->hook_results[3] = nanodtls_deinit(c);
    self->hook_results[4] = nanodtls_init(c, sizeof *c, &cfg, &plat);
    self->hook_results[5] = nanodtls_close(c);
    /* Every other entry point behaves the same way. */
    every_ctx_call(c, NANODTLS_E_REENTRANT);
}

static uint8_t g_reenter_out[64];
static size_t g_reenter_len;

static void reenter_ctx_from_clock(t_party *self)
{
    nanodtls_ctx *c = (nanodtls_ctx *)self->hook_target;
    uint32_t ms;

    if (self->hook_runs++ > 0) {
        return;
    }
    self->hook_results[0] = nanodtls_state(c);
    self->hook_results[1] = nanodtls_timeout_ms(c, &ms);
    self->hook_results[2] = nanodtls_write(c, (const uint8_t *)"x", 1, g_reenter_out, sizeof g_reenter_out, &g_reenter_len);
}

/* Server PSK lookup that also tries to call back into its context. */
static int reentrant_lookup(void *user, const uint8_t *identity, size_t identity_len, uint8_t *key, size_t key_cap,
                            size_t *key_len)
{
    t_party *self = (t_party *)user;
    nanodtls_ctx *c = (nanodtls_ctx *)self->hook_target;

    self->hook_runs++;
    self->hook_results[0] = nanodtls_state(c);
    self->hook_results[1] = nanodtls_set_psk_lookup(c, NULL, NULL);
    if (identity_len != 6 || memcmp(identity, "device", 6) != 0 || key_cap < sizeof T_KEY) {
        return -1;
    }
    memcpy(key, T_KEY, sizeof T_KEY);
    *key_len = sizeof T_KEY;
    return 0;
}

static void test_reentrant_callbacks(void)
{
    t_party cp, sp;
    nanodtls_status st;

    /* RNG callback (inside nanodtls_connect) calling into the context. */
    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    cp.rng_hook = reenter_ctx_from_rng;
    cp.hook_target = &g_client;
    st = nanodtls_connect(&g_client);
    T_ST(st, NANODTLS_OK);
    T_EQ(cp.hook_runs, 1);
    T_ST(cp.hook_results[0], NANODTLS_E_REENTRANT);
    T_ST(cp.hook_results[1], NANODTLS_E_REENTRANT);
    T_ST(cp.hook_results[2], NANODTLS_E_REENTRANT);
    T_ST(cp.hook_results[3], NANODTLS_E_REENTRANT);
    T_ST(cp.hook_results[4], NANODTLS_E_REENTRANT);
    T_ST(cp.hook_results[5], NANODTLS_E_REENTRANT);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_HANDSHAKING);
    T_CHECK(handshake_and_data(&g_client, &g_server));
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* Clock callback calling into the context. */
    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    cp.now_hook = reenter_ctx_from_clock;
    cp.hook_target = &g_client;
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_EQ(cp.hook_runs, 1);
    T_ST(cp.hook_results[0], NANODTLS_E_REENTRANT);
    T_ST(cp.hook_results[1], NANODTLS_E_REENTRANT);
    T_ST(cp.hook_results[2], NANODTLS_E_REENTRANT);
    T_CHECK(handshake_and_data(&g_client, &g_server));
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* Server PSK lookup calling into its context; the identity "device"
     * is only known to the lookup. */
    setup_pair(&cp, &sp);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, "device", T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    sp.hook_target = &g_server;
    T_ST(nanodtls_set_psk_lookup(&g_server, reentrant_lookup, &sp), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(handshake_and_data(&g_client, &g_server));
    T_EQ(sp.hook_runs, 1);
    T_ST(sp.hook_results[0], NANODTLS_E_REENTRANT);
    T_ST(sp.hook_results[1], NANODTLS_E_REENTRANT);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void reenter_endpoint_from_rng(t_party *self)
{
    nanodtls_endpoint *ep = (nanodtls_endpoint *)self->hook_target;
    nanodtls_endpoint_stats est;

    if (self->hook_runs++ > 0) {
        return;
    }
    self->hook_results[0] = nanodtls_endpoint_get_stats(ep, &est);
    self->hook_results[1] = nanodtls_endpoint_deinit(ep);
    every_endpoint_call(ep, NANODTLS_E_REENTRANT);
}

static void test_reentrant_endpoint(void)
{
    t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    static t_flight f;
    static const uint8_t addr[4] = {10, 0, 0, 1};

    setup_pair(&cp, &sp);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    sp.rng_hook = reenter_endpoint_from_rng;
    sp.hook_target = &g_ep;
    f.n = 0;
    t_collect(&g_client, &f);
    /* The endpoint draws its cookie secret from the RNG at the first ClientHello. */
    T_ST(t_deliver_ep(&g_ep, addr, sizeof addr, &f), NANODTLS_OK);
    T_EQ(sp.hook_runs, 1);
    T_ST(sp.hook_results[0], NANODTLS_E_REENTRANT);
    T_ST(sp.hook_results[1], NANODTLS_E_REENTRANT);
    /* ... and still works. */
    f.n = 0;
    T_EQ(t_collect_ep(&g_ep, &f), 1); /* HelloVerifyRequest */
    T_ST(t_deliver_to(&g_client, addr, sizeof addr, &f), NANODTLS_OK);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

static void test_endpoint_misuse(void)
{
    t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    uint8_t big[NANODTLS_MAX_PEER_ADDR + 1];
    uint8_t buf[64];
    uint8_t out[64];
    size_t n = 31;
    size_t alen = 32;
    nanodtls_stats stats;
    nanodtls_input in;

    setup_pair(&cp, &sp);
    memset(big, 7, sizeof big);
    memset(buf, 0, sizeof buf);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    memcpy(g_snap_peers, g_peers, sizeof g_peers);

    T_ST(nanodtls_endpoint_set_timeouts(&g_ep, 1000, 0), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, NULL, 0, T_KEY, 16), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, big, SIZE_MAX, T_KEY, 16), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, big, 1, NULL, 16), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_set_psk_hint(&g_ep, big, 33), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_feed(&g_ep, big, 0, buf, sizeof buf, &in), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_feed(&g_ep, NULL, 0, buf, sizeof buf, &in), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_feed(&g_ep, NULL, 4, buf, sizeof buf, &in), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_feed(&g_ep, big, sizeof big, buf, sizeof buf, &in), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_feed(&g_ep, big, 4, buf, SIZE_MAX, &in), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_feed(&g_ep, big, 4, NULL, 1, &in), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_feed(&g_ep, big, 4, buf, sizeof buf, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_write(&g_ep, big, 4, buf, 1, out, sizeof out, &n), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_write(&g_ep, big, 0, buf, 1, out, sizeof out, &n), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_write(&g_ep, big, 4, buf, 1, out, sizeof out, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_write(&g_ep, big, 4, buf, 10, buf + 5, 20, &n), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_close_peer(&g_ep, big, 4), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_peer_identity(&g_ep, big, 4, buf, sizeof buf, &n), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_peer_identity(&g_ep, big, 4, buf, sizeof buf, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_peer_stats(&g_ep, big, 4, &stats), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_peer_stats(&g_ep, big, 4, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, buf, sizeof buf, NULL, big, sizeof big, &alen), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, buf, sizeof buf, &n, big, sizeof big, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, buf, SIZE_MAX, &n, big, sizeof big, &alen), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, buf, sizeof buf, &n, big, sizeof big, &alen), NANODTLS_DONE);
    T_ST(nanodtls_endpoint_poll_event(&g_ep, NULL, big, sizeof big, &alen), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_timeout_ms(&g_ep, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, NULL), NANODTLS_E_NULL);
    T_EQ(n, 31);
    T_EQ(alen, 32);
    T_CHECK(memcmp(g_snap_peers, g_peers, sizeof g_peers) == 0);

    /* Garbage from unknown peers costs no slot. */
    T_ST(nanodtls_endpoint_feed(&g_ep, big, 4, buf, sizeof buf, &in), NANODTLS_OK);
    T_CHECK(memcmp(g_snap_peers, g_peers, sizeof g_peers) == 0);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_CHECK(t_all_bytes(g_peers, sizeof g_peers, 0));
}

static void test_raw_public_key_misuse(void)
{
    t_party p;
    uint8_t key[32];
    uint8_t buf[128];
    uint8_t hash[32];
    size_t n = 1234;
    int i;

    g_clock = 0;
    t_party_init(&p, 7, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &p, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    memset(buf, 0, sizeof buf);
    memset(key, 0, sizeof key);
    memset(hash, 0x42, sizeof hash);
    memcpy(g_snap, &g_client, sizeof g_snap);
    T_ST(nanodtls_set_own_key(&g_client, NULL, 32), NANODTLS_E_NULL);
    T_ST(nanodtls_set_own_key(&g_client, key, SIZE_MAX), NANODTLS_E_INVALID_ARG);
    T_CHECK(nanodtls_set_own_key(&g_client, key, 32) < 0);      /* zero is no valid scalar */
    T_CHECK(nanodtls_set_own_key(&g_client, key, 0) < 0);
    T_CHECK(nanodtls_set_own_key(&g_client, buf, 17) < 0);      /* neither raw nor DER */
    T_ST(nanodtls_get_own_spki(&g_client, buf, sizeof buf, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_get_own_spki(&g_client, buf, sizeof buf, &n), NANODTLS_E_STATE); /* no key yet */
    T_ST(nanodtls_add_trusted_key(&g_client, NULL, 91), NANODTLS_E_NULL);
    T_CHECK(nanodtls_add_trusted_key(&g_client, buf, 10) < 0); /* not an SPKI */
    T_ST(nanodtls_add_trusted_key_hash(&g_client, hash, 31), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_add_trusted_key_hash(&g_client, hash, 33), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_add_trusted_key_hash(&g_client, NULL, 32), NANODTLS_E_NULL);
    T_ST(nanodtls_get_peer_key_hash(&g_client, NULL, 32), NANODTLS_E_NULL);
    T_ST(nanodtls_get_peer_key_hash(&g_client, buf, sizeof buf), NANODTLS_E_STATE);
    T_EQ(n, 1234);
    T_CHECK(memcmp(g_snap, &g_client, sizeof g_snap) == 0);

    /* The trusted-key list is bounded. */
    for (i = 0; i < NANODTLS_MAX_TRUSTED_KEYS; i++) {
        hash[0] = (uint8_t)i;
        T_ST(nanodtls_add_trusted_key_hash(&g_client, hash, 32), NANODTLS_OK);
    }
    hash[0] = 0xff;
    T_ST(nanodtls_add_trusted_key_hash(&g_client, hash, 32), NANODTLS_E_NO_SLOT);

    /* A valid raw scalar gives a 91-byte SPKI. */
    memset(key, 0x11, sizeof key);
    T_ST(nanodtls_set_own_key(&g_client, key, sizeof key), NANODTLS_OK);
    T_ST(nanodtls_get_own_spki(&g_client, buf, NANODTLS_SPKI_LEN - 1, &n), NANODTLS_E_BUFFER_TOO_SMALL);
    T_ST(nanodtls_get_own_spki(&g_client, buf, sizeof buf, &n), NANODTLS_OK);
    T_EQ(n, NANODTLS_SPKI_LEN);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_client, sizeof g_client, 0));
}

int main(void)
{
    T_RUN(test_strings_never_null);
    T_RUN(test_config_default);
    T_RUN(test_null_context);
    T_RUN(test_use_before_init_and_after_deinit);
    T_RUN(test_init_wrong_size_leaves_memory_untouched);
    T_RUN(test_bad_config);
    T_RUN(test_set_psk_bounds);
    T_RUN(test_wrong_state);
    T_RUN(test_lengths_and_buffers);
    T_RUN(test_feed_more_records);
    T_RUN(test_misuse_keeps_context_usable);
    T_RUN(test_rng_failure);
    T_RUN(test_server_rng_failure_for_the_cookie_secret);
    T_RUN(test_reentrant_callbacks);
    T_RUN(test_reentrant_endpoint);
    T_RUN(test_endpoint_misuse);
    T_RUN(test_raw_public_key_misuse);
    return t_finish("test_misuse");
}
