/*
 * RFC 5077 session tickets through the C API (feature `tickets`): a
 * client context resumes from a ticket against a server context without
 * a session cache, across a simulated deep sleep (session export, deinit,
 * init, import); nanodtls_resumed_by_ticket; application ticket keys and
 * their rotation (grace key still resumes, an older one does not); a
 * server without keys gives a full handshake; deinit and
 * nanodtls_ticket_keys_wipe zeroize the keys; misuse is refused.
 */
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static nanodtls_ticket_keys g_keys;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[1];
static uint64_t g_clock;
static uint8_t g_blob[NANODTLS_SESSION_BLOB_MAX];
static size_t g_blob_len;

static const uint8_t NAME1[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const uint8_t KEY1[16] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};
static const uint8_t NAME2[16] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
static const uint8_t KEY2[16] = {0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b,
                                 0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b};
static const uint8_t NAME3[16] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};

/* One handshake: a fresh client (importing g_blob if any) against a fresh
 * server with g_keys (if keys != 0). g_by_ticket: 1 if the client resumed
 * by ticket (-1 if the handshake failed); exports the client's session to g_blob. */
static int g_by_ticket;

static void handshake(int keys, uint64_t seed)
{
    t_party cp, sp;
    nanodtls_info ci;
    int by_ticket;

    g_by_ticket = -1;
    t_party_init(&cp, seed, &g_clock);
    t_party_init(&sp, seed + 100, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_enable_tickets(&g_client, 1), NANODTLS_OK);
    if (keys) {
        T_ST(nanodtls_set_ticket_keys(&g_server, &g_keys), NANODTLS_OK);
    } else {
        T_ST(nanodtls_enable_tickets(&g_server, 1), NANODTLS_OK);
    }
    if (g_blob_len) {
        T_ST(nanodtls_session_import(&g_client, g_blob, g_blob_len), NANODTLS_OK);
    }
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    by_ticket = nanodtls_resumed_by_ticket(&g_client);
    T_EQ(by_ticket, nanodtls_resumed_by_ticket(&g_server));
    T_ST(nanodtls_get_info(&g_client, &ci), NANODTLS_OK);
    T_EQ(ci.resumed, (uint8_t)by_ticket);
    g_blob_len = 0;
    if (ci.has_session) {
        T_ST(nanodtls_session_export(&g_client, g_blob, sizeof g_blob, &g_blob_len), NANODTLS_OK);
    }
    /* Deep sleep: the contexts are gone (deinit leaves no byte behind). */
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_client, sizeof g_client, 0));
    /* The server's deinit would wipe the registered keys: unregister first
     * (the keys outlive one server context, as for a fleet). */
    if (keys) {
        T_ST(nanodtls_set_ticket_keys(&g_server, NULL), NANODTLS_OK);
    }
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    g_by_ticket = by_ticket;
}

static void test_resume_by_ticket_across_deep_sleep(void)
{
    g_clock = 1000;
    g_blob_len = 0;
    T_ST(nanodtls_ticket_keys_init(&g_keys, 3600), NANODTLS_OK);
    handshake(1, 1);
    T_EQ(g_by_ticket, 0);
    T_CHECK(g_blob_len > 100); /* the ticket rides in the blob */
    g_clock += 60000;
    handshake(1, 2);
    T_EQ(g_by_ticket, 1);
    g_clock += 60000;
    handshake(1, 3);
    T_EQ(g_by_ticket, 1); /* the renewed ticket resumes again */
    /* A server without keys: full handshake, and no ticket comes back. */
    handshake(0, 4);
    T_EQ(g_by_ticket, 0);
    T_EQ(g_blob_len, 0);
}

static void test_application_keys_and_rotation(void)
{
    uint8_t first[NANODTLS_SESSION_BLOB_MAX];
    size_t first_len;

    g_clock = 1000;
    g_blob_len = 0;
    T_ST(nanodtls_ticket_keys_init(&g_keys, 0), NANODTLS_OK);
    T_ST(nanodtls_ticket_keys_set(&g_keys, NAME1, KEY1), NANODTLS_OK);
    handshake(1, 10);
    T_EQ(g_by_ticket, 0);
    memcpy(first, g_blob, g_blob_len);
    first_len = g_blob_len;
    /* Rotate once: the first key is the grace key. */
    T_ST(nanodtls_ticket_keys_set(&g_keys, NAME2, KEY2), NANODTLS_OK);
    handshake(1, 11);
    T_EQ(g_by_ticket, 1);
    /* Rotate again: the first key is gone, its ticket gives a full handshake. */
    T_ST(nanodtls_ticket_keys_set(&g_keys, NAME3, KEY1), NANODTLS_OK);
    memcpy(g_blob, first, first_len);
    g_blob_len = first_len;
    handshake(1, 12);
    T_EQ(g_by_ticket, 0);
    /* Wiping the keys: no byte of them is left. */
    T_ST(nanodtls_ticket_keys_wipe(&g_keys), NANODTLS_OK);
    {
        const uint8_t *p = (const uint8_t *)&g_keys;
        size_t i;
        for (i = 0; i + 16 <= sizeof g_keys; i++) {
            T_CHECK(memcmp(p + i, KEY1, 16) != 0 && memcmp(p + i, KEY2, 16) != 0);
        }
    }
}

static void test_deinit_wipes_registered_keys(void)
{
    t_party sp;
    const uint8_t *p = (const uint8_t *)&g_keys;
    size_t i;

    g_clock = 0;
    t_party_init(&sp, 9, &g_clock);
    T_ST(nanodtls_ticket_keys_init(&g_keys, 0), NANODTLS_OK);
    T_ST(nanodtls_ticket_keys_set(&g_keys, NAME1, KEY1), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_set_ticket_keys(&g_server, &g_keys), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    for (i = 0; i + 16 <= sizeof g_keys; i++) {
        T_CHECK(memcmp(p + i, KEY1, 16) != 0);
    }
}

static void test_endpoint_deinit_wipes_registered_keys(void)
{
    t_party sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    const uint8_t *p = (const uint8_t *)&g_keys;
    size_t i;

    g_clock = 0;
    t_party_init(&sp, 30, &g_clock);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 1), NANODTLS_OK);
    T_ST(nanodtls_ticket_keys_init(&g_keys, 0), NANODTLS_OK);
    T_ST(nanodtls_ticket_keys_set(&g_keys, NAME2, KEY2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_ticket_keys(&g_ep, &g_keys), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_ticket_keys(NULL, &g_keys), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    for (i = 0; i + 16 <= sizeof g_keys; i++) {
        T_CHECK(memcmp(p + i, KEY2, 16) != 0);
    }
}

static void test_misuse(void)
{
    t_party cp;

    T_ST(nanodtls_ticket_keys_init(NULL, 0), NANODTLS_E_NULL);
    T_ST(nanodtls_ticket_keys_set(&g_keys, NULL, KEY1), NANODTLS_E_NULL);
    T_ST(nanodtls_ticket_keys_set(NULL, NAME1, KEY1), NANODTLS_E_NULL);
    T_ST(nanodtls_ticket_keys_wipe(NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_enable_tickets(NULL, 1), NANODTLS_E_NULL);
    T_EQ(nanodtls_resumed_by_ticket(NULL), 0);
    g_clock = 0;
    t_party_init(&cp, 20, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_enable_tickets(&g_client, 2), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_ticket_keys(&g_client, &g_keys), NANODTLS_E_STATE); /* clients have no keys */
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_enable_tickets(&g_client, 1), NANODTLS_E_STATE); /* too late */
    T_EQ(nanodtls_resumed_by_ticket(&g_client), 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

int main(void)
{
    T_RUN(test_resume_by_ticket_across_deep_sleep);
    T_RUN(test_application_keys_and_rotation);
    T_RUN(test_deinit_wipes_registered_keys);
    T_RUN(test_endpoint_deinit_wipes_registered_keys);
    T_RUN(test_misuse);
    return t_finish("test_tickets");
}
