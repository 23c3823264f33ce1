/*
 * Connection ID (RFC 9146) through the C API: the CID length is set in
 * nanodtls_config (connection_id, cid_len), nanodtls_get_cid reads the
 * negotiated CIDs, and an endpoint finds a peer by its CID from a new
 * address and reports the move with NANODTLS_EVENT_ADDRESS_CHANGED
 * (only for an authentic record newer than any before it).
 * Without the `cid` feature (NANODTLS_TEST_EXPECT_CID=0) the knob is
 * refused with NANODTLS_E_UNSUPPORTED.
 */
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static uint64_t g_clock;
#if NANODTLS_TEST_EXPECT_CID
static nanodtls_ctx g_server;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[2];
static t_flight g_f;

static const uint8_t ADDR_A[16] = {'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'};
static const uint8_t ADDR_B[16] = {'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B'};
#endif

static nanodtls_status setup(nanodtls_ctx *ctx, uint8_t role, t_party *p, uint8_t cid_len)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st;

    nanodtls_config_default(&cfg, role);
    T_EQ(cfg.connection_id, 0);
    T_EQ(cfg.cid_len, 0);
    cfg.connection_id = 1;
    cfg.cid_len = cid_len;
    t_platform(&plat, p);
    st = nanodtls_init(ctx, sizeof *ctx, &cfg, &plat);
    if (st != NANODTLS_OK) {
        return st;
    }
    return nanodtls_set_psk(ctx, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY);
}

#if NANODTLS_TEST_EXPECT_CID
static void test_config_and_negotiated_cids(void)
{
    t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    uint8_t ctx_cid[NANODTLS_MAX_CID], stx_cid[NANODTLS_MAX_CID], crx[NANODTLS_MAX_CID], srx[NANODTLS_MAX_CID];
    size_t n1 = 0, n2 = 0, n3 = 0, n4 = 0;
    nanodtls_stats st;

    g_clock = 0;
    t_party_init(&cp, 1, &g_clock);
    t_party_init(&sp, 2, &g_clock);
    /* Bad knobs are refused. */
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    t_platform(&plat, &cp);
    cfg.connection_id = 2;
    T_ST(nanodtls_init(&g_client, sizeof g_client, &cfg, &plat), NANODTLS_E_INVALID_ARG);
    cfg.connection_id = 1;
    cfg.cid_len = NANODTLS_MAX_CID + 1;
    T_ST(nanodtls_init(&g_client, sizeof g_client, &cfg, &plat), NANODTLS_E_INVALID_ARG);

    T_ST(setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 3), NANODTLS_OK);
    T_ST(setup(&g_server, NANODTLS_ROLE_SERVER, &sp, NANODTLS_MAX_CID), NANODTLS_OK);
    T_ST(nanodtls_get_cid(&g_client, NANODTLS_CID_TX, ctx_cid, sizeof ctx_cid, &n1), NANODTLS_DONE);
    T_ST(nanodtls_get_cid(&g_client, NANODTLS_CID_TX, ctx_cid, sizeof ctx_cid, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_get_cid(&g_client, 2, ctx_cid, sizeof ctx_cid, &n1), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    T_ST(nanodtls_get_cid(&g_client, NANODTLS_CID_TX, ctx_cid, sizeof ctx_cid, &n1), NANODTLS_OK);
    T_ST(nanodtls_get_cid(&g_client, NANODTLS_CID_RX, crx, sizeof crx, &n2), NANODTLS_OK);
    T_ST(nanodtls_get_cid(&g_server, NANODTLS_CID_TX, stx_cid, sizeof stx_cid, &n3), NANODTLS_OK);
    T_ST(nanodtls_get_cid(&g_server, NANODTLS_CID_RX, srx, sizeof srx, &n4), NANODTLS_OK);
    T_EQ(n1, NANODTLS_MAX_CID);
    T_EQ(n2, 3);
    T_EQ(n3, 3);
    T_EQ(n4, NANODTLS_MAX_CID);
    T_CHECK(memcmp(ctx_cid, srx, n1) == 0);
    T_CHECK(memcmp(crx, stx_cid, n2) == 0);
    T_ST(nanodtls_get_cid(&g_client, NANODTLS_CID_RX, crx, 2, &n2), NANODTLS_E_BUFFER_TOO_SMALL);
    /* Application data goes in tls12_cid records. */
    {
        uint8_t out[256];
        size_t n;
        T_ST(nanodtls_write(&g_client, (const uint8_t *)"cid", 3, out, sizeof out, &n), NANODTLS_OK);
        T_EQ(out[0], 25);
        T_CHECK(memcmp(out + 11, srx, n4) == 0);
        T_ST(t_feed(&g_server, out, n), NANODTLS_OK);
        T_ST(t_read(&g_server, out, sizeof out, &n), NANODTLS_OK);
        T_EQ(n, 3);
    }
    T_ST(nanodtls_get_stats(&g_server, &st), NANODTLS_OK);
    T_EQ(st.dropped_cid, 0);
    nanodtls_deinit(&g_client);
    nanodtls_deinit(&g_server);
    t_queues_reset();
}

static void ep_setup(t_party *sp)
{
    nanodtls_config cfg;
    nanodtls_platform plat;

    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    cfg.connection_id = 1;
    cfg.cid_len = 4;
    t_platform(&plat, sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
}

static void ep_round(nanodtls_ctx *c, const uint8_t *addr)
{
    g_f.n = 0;
    t_collect(c, &g_f);
    (void)t_deliver_ep(&g_ep, addr, 16, &g_f);
    g_f.n = 0;
    t_collect_ep(&g_ep, &g_f);
    (void)t_deliver_to(c, addr, 16, &g_f);
}

static void test_endpoint_address_change_event(void)
{
    t_party cp, sp;
    nanodtls_event ev;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t alen, n, n1;
    uint8_t r1[256], r2[256], forged[256], buf[256];
    int r;

    g_clock = 0;
    t_party_init(&cp, 5, &g_clock);
    t_party_init(&sp, 6, &g_clock);
    ep_setup(&sp);
    T_ST(setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 0), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    for (r = 0; r < 10 && nanodtls_state(&g_client) != NANODTLS_STATE_CONNECTED; r++) {
        ep_round(&g_client, ADDR_A);
    }
    T_REQUIRE(nanodtls_state(&g_client) == NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_endpoint_poll_event(&g_ep, &ev, addr, sizeof addr, &alen), NANODTLS_OK);
    T_EQ(ev.kind, NANODTLS_EVENT_CONNECTED);
    T_ST(nanodtls_get_cid(&g_client, NANODTLS_CID_TX, buf, sizeof buf, &n), NANODTLS_OK);
    T_EQ(n, 4);
    /* The endpoint's view of the peer: the same CID. */
    {
        uint8_t ecid[NANODTLS_MAX_CID];
        size_t en = 99;
        T_ST(nanodtls_endpoint_peer_cid(&g_ep, ADDR_A, 16, NANODTLS_CID_RX, ecid, sizeof ecid, &en), NANODTLS_OK);
        T_EQ(en, 4);
        T_CHECK(memcmp(ecid, buf, 4) == 0);
        T_ST(nanodtls_endpoint_peer_cid(&g_ep, ADDR_A, 16, NANODTLS_CID_TX, ecid, sizeof ecid, &en), NANODTLS_OK);
        T_EQ(en, 0);
        T_ST(nanodtls_endpoint_peer_cid(&g_ep, ADDR_B, 16, NANODTLS_CID_RX, ecid, sizeof ecid, &en),
             NANODTLS_E_UNKNOWN_PEER);
        T_ST(nanodtls_endpoint_peer_cid(&g_ep, ADDR_A, 16, 7, ecid, sizeof ecid, &en), NANODTLS_E_INVALID_ARG);
        T_ST(nanodtls_endpoint_peer_cid(&g_ep, ADDR_A, 16, NANODTLS_CID_RX, ecid, sizeof ecid, NULL), NANODTLS_E_NULL);
    }
    T_ST(nanodtls_get_cid(&g_client, NANODTLS_CID_RX, buf, sizeof buf, &n), NANODTLS_OK);
    T_EQ(n, 0); /* we asked for none */

    T_ST(nanodtls_write(&g_client, (const uint8_t *)"one", 3, r1, sizeof r1, &n1), NANODTLS_OK);
    T_ST(nanodtls_write(&g_client, (const uint8_t *)"two", 3, r2, sizeof r2, &n), NANODTLS_OK);
    /* A forged record with the peer's CID from B: nothing moves. */
    memcpy(forged, r2, n);
    forged[n - 1] ^= 1;
    T_ST(t_ep_feed(&g_ep, ADDR_B, 16, forged, n), NANODTLS_OK);
    T_ST(nanodtls_endpoint_poll_event(&g_ep, &ev, addr, sizeof addr, &alen), NANODTLS_DONE);
    /* The genuine newest one from B: the peer moves, one event with B. */
    T_ST(t_ep_feed(&g_ep, ADDR_B, 16, r2, n), NANODTLS_OK);
    T_ST(nanodtls_endpoint_poll_event(&g_ep, &ev, addr, sizeof addr, &alen), NANODTLS_OK);
    T_EQ(ev.kind, NANODTLS_EVENT_ADDRESS_CHANGED);
    T_EQ(alen, 16);
    T_CHECK(memcmp(addr, ADDR_B, 16) == 0);
    T_ST(nanodtls_endpoint_poll_event(&g_ep, &ev, addr, sizeof addr, &alen), NANODTLS_DONE);
    /* The older one from A is delivered but moves nothing back. */
    T_ST(t_ep_feed(&g_ep, ADDR_A, 16, r1, n1), NANODTLS_OK);
    T_ST(nanodtls_endpoint_poll_event(&g_ep, &ev, addr, sizeof addr, &alen), NANODTLS_DONE);
    T_ST(t_ep_read(&g_ep, buf, sizeof buf, &n, addr, sizeof addr, &alen), NANODTLS_OK);
    T_ST(t_ep_read(&g_ep, buf, sizeof buf, &n, addr, sizeof addr, &alen), NANODTLS_OK);
    T_EQ(n, 3);
    T_CHECK(memcmp(buf, "one", 3) == 0);
    /* Replies go to B; A is no longer a peer. */
    T_ST(nanodtls_endpoint_peer_cid(&g_ep, ADDR_A, 16, NANODTLS_CID_RX, buf, sizeof buf, &n), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_peer_cid(&g_ep, ADDR_B, 16, NANODTLS_CID_RX, buf, sizeof buf, &n), NANODTLS_OK);
    T_ST(nanodtls_endpoint_write(&g_ep, ADDR_A, 16, (const uint8_t *)"x", 1, buf, sizeof buf, &n),
         NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_write(&g_ep, ADDR_B, 16, (const uint8_t *)"back", 4, buf, sizeof buf, &n), NANODTLS_OK);
    T_ST(t_feed(&g_client, buf, n), NANODTLS_OK);
    T_ST(t_read(&g_client, buf, sizeof buf, &n), NANODTLS_OK);
    T_EQ(n, 4);
    nanodtls_deinit(&g_client);
    nanodtls_endpoint_deinit(&g_ep);
    t_queues_reset();
}
#else
static void test_cid_unsupported(void)
{
    t_party cp;
    g_clock = 0;
    t_party_init(&cp, 1, &g_clock);
    T_ST(setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 4), NANODTLS_E_UNSUPPORTED);
}
#endif

int main(void)
{
#if NANODTLS_TEST_EXPECT_CID
    T_RUN(test_config_and_negotiated_cids);
    T_RUN(test_endpoint_address_change_event);
#else
    T_RUN(test_cid_unsupported);
#endif
    return t_finish("test_cid");
}
