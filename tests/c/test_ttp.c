/*
 * The trusted-third-party modes through the C API (docs/ttp.md):
 * - nanodtls_ttp_derive and nanodtls_authz_cert_encode against the
 *   known answers of tests/vectors/ttp_vectors.py (Python hmac/hashlib);
 * - DerivedKey with a server context: an ordinary PSK client with the
 *   nonce and the derived key gets in once (nanodtls_get_ta_peer tells
 *   who it is), the same nonce is refused after a "restart" that imports
 *   the saved window (decrypt_error at the deadline, refused_replayed);
 * - the same with an endpoint shared by several clients, revoke, and the
 *   statistics;
 * - misuse: NULLs, client contexts, duplicates, a full table, corrupted
 *   window blobs, small buffers; the context is all zero after deinit;
 * - AuthzCert with contexts: our client with a MacCert from
 *   nanodtls_authz_cert_encode, its key and the pinned server key gets in
 *   (nanodtls_get_ta_peer: the trust anchor, the key hash, the seq), the
 *   same MacCert is refused after a restart that imports the window, a
 *   forged one is refused (bad_certificate, refused_bad_mac); the client
 *   setters' misuse.
 */
#include <string.h>

#include "../vectors/ttp_vectors.h"
#include "harness.h"

/* Set by tests/c/CMakeLists.txt from the cargo features of the library. */
#ifndef NANODTLS_TEST_EXPECT_DK
#define NANODTLS_TEST_EXPECT_DK 1
#endif
#ifndef NANODTLS_TEST_EXPECT_AUTHZ
#define NANODTLS_TEST_EXPECT_AUTHZ 1
#endif

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[3];
static uint64_t g_clock;
static t_flight g_f;

static const uint8_t TA_KEY[32] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                   0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                   0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};
#define TA_ID "ta1"

static void test_known_answers(void)
{
    size_t i;
    for (i = 0; i < sizeof ttp_dk_vectors / sizeof ttp_dk_vectors[0]; i++) {
        const struct ttp_dk_vector *v = &ttp_dk_vectors[i];
        uint8_t nonce[256];
        uint8_t key[32];
        size_t n = 0;
        memset(key, 0, sizeof key);
        T_ST(nanodtls_ttp_derive(v->ta_id, v->ta_id_len, v->ta_key, v->ta_key_len, v->client_id, v->client_id_len,
                                 v->seq, 16, nonce, sizeof nonce, &n, key, sizeof key),
             NANODTLS_OK);
        T_EQ(n, v->nonce_len);
        T_CHECK(n == v->nonce_len && memcmp(nonce, v->nonce, n) == 0);
        T_CHECK(memcmp(key, v->key16, 16) == 0);
        T_CHECK(t_all_bytes(key + 16, 16, 0)); /* only key_len bytes written */
        T_ST(nanodtls_ttp_derive(v->ta_id, v->ta_id_len, v->ta_key, v->ta_key_len, v->client_id, v->client_id_len,
                                 v->seq, 32, nonce, sizeof nonce, &n, key, sizeof key),
             NANODTLS_OK);
        T_CHECK(memcmp(key, v->key32, 32) == 0);
        if (t_failed) {
            printf("  vector %s\n", v->name);
        }
    }
    for (i = 0; i < sizeof ttp_maccert_vectors / sizeof ttp_maccert_vectors[0]; i++) {
        const struct ttp_maccert_vector *v = &ttp_maccert_vectors[i];
        uint8_t out[NANODTLS_AUTHZ_CERT_MAX];
        size_t n = 0;
        T_ST(nanodtls_authz_cert_encode(v->ta_id, v->ta_id_len, v->ta_key, v->ta_key_len, v->seq, v->spki,
                                        sizeof v->spki, out, sizeof out, &n),
             NANODTLS_OK);
        T_EQ(n, v->maccert_len);
        T_CHECK(n == v->maccert_len && memcmp(out, v->maccert, n) == 0);
        T_CHECK(n >= 32 && memcmp(out + n - 32, v->mac, 32) == 0);
    }
}

static void test_derive_arguments(void)
{
    uint8_t nonce[64];
    uint8_t key[32];
    size_t n = 77;
    const uint8_t spki[91] = {0};

    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 32, (const uint8_t *)"c", 1, 1, 16, nonce, sizeof nonce,
                             NULL, key, sizeof key),
         NANODTLS_E_NULL);
    T_ST(nanodtls_ttp_derive(NULL, 2, TA_KEY, 32, (const uint8_t *)"c", 1, 1, 16, nonce, sizeof nonce, &n, key,
                             sizeof key),
         NANODTLS_E_NULL);
    T_ST(nanodtls_ttp_derive((const uint8_t *)"t.a", 3, TA_KEY, 32, (const uint8_t *)"c", 1, 1, 16, nonce,
                             sizeof nonce, &n, key, sizeof key),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 15, (const uint8_t *)"c", 1, 1, 16, nonce, sizeof nonce,
                             &n, key, sizeof key),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 32, (const uint8_t *)"c", 1, 1, 24, nonce, sizeof nonce,
                             &n, key, sizeof key),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 32, (const uint8_t *)"c", 1, 1, 32, nonce, sizeof nonce,
                             &n, key, 16),
         NANODTLS_E_BUFFER_TOO_SMALL);
    /* "DK.ta.c.1" is 9 bytes. */
    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 32, (const uint8_t *)"c", 1, 1, 16, nonce, 8, &n, key,
                             sizeof key),
         NANODTLS_E_BUFFER_TOO_SMALL);
    T_EQ(n, 77);
    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 32, (const uint8_t *)"c", 1, 1, 16, nonce, 9, &n, key,
                             sizeof key),
         NANODTLS_OK);
    T_EQ(n, 9);
    T_CHECK(memcmp(nonce, "DK.ta.c.1", 9) == 0);
    /* An empty client id is allowed. */
    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 32, NULL, 0, 0, 16, nonce, sizeof nonce, &n, key,
                             sizeof key),
         NANODTLS_OK);
    T_CHECK(n == 8 && memcmp(nonce, "DK.ta..0", 8) == 0);
    /* A key that is not on the curve. */
    T_ST(nanodtls_authz_cert_encode((const uint8_t *)"ta", 2, TA_KEY, 32, 1, spki, sizeof spki, nonce, sizeof nonce,
                                    &n),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_authz_cert_encode((const uint8_t *)"ta", 2, TA_KEY, 32, 1, spki, sizeof spki, nonce, sizeof nonce,
                                    NULL),
         NANODTLS_E_NULL);
}

/* A DerivedKey client: an ordinary PSK client context whose identity is
 * the nonce and whose PSK is the derived key. */
static nanodtls_status dk_client(nanodtls_ctx *c, t_party *p, const char *client_id, uint32_t seq)
{
    uint8_t nonce[128];
    uint8_t key[16];
    size_t n = 0;
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st = nanodtls_ttp_derive((const uint8_t *)TA_ID, strlen(TA_ID), TA_KEY, sizeof TA_KEY,
                                             (const uint8_t *)client_id, strlen(client_id), seq, sizeof key, nonce,
                                             sizeof nonce, &n, key, sizeof key);
    if (st != NANODTLS_OK) {
        return st;
    }
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    t_platform(&plat, p);
    st = nanodtls_init(c, sizeof *c, &cfg, &plat);
    if (st == NANODTLS_OK) {
        st = nanodtls_set_psk(c, nonce, n, key, sizeof key);
    }
    memset(key, 0, sizeof key);
    return st;
}

/* A server context holding trust anchor ta1 and no PSK. */
static nanodtls_status ta_server(nanodtls_ctx *s, t_party *p)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st;
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    cfg.handshake_timeout_ms = 20000;
    t_platform(&plat, p);
    st = nanodtls_init(s, sizeof *s, &cfg, &plat);
    if (st == NANODTLS_OK) {
        st = nanodtls_ta_add(s, (const uint8_t *)TA_ID, strlen(TA_ID), TA_KEY, sizeof TA_KEY, 16);
    }
    return st;
}

/* Run timers and exchanges until the server context gives up. */
static void run_to_server_deadline(void)
{
    int i;
    for (i = 0; i < 64 && nanodtls_state(&g_server) != NANODTLS_STATE_FAILED; i++) {
        (void)t_handshake(&g_client, &g_server, 2);
        if (!t_fire_timers(&g_clock, &g_client, &g_server)) {
            break;
        }
    }
}

static void test_ctx_derived_key_once_never_twice(void)
{
    t_party cp, sp;
    nanodtls_ta_peer peer;
    nanodtls_ta_stats ts;
    nanodtls_alert a;
    uint8_t blob[NANODTLS_TA_STATE_MAX];
    size_t blob_len = 0;

    g_clock = 1000;
    t_party_init(&cp, 11, &g_clock);
    t_party_init(&sp, 12, &g_clock);
    T_ST(dk_client(&g_client, &cp, "sensor-42", 7), NANODTLS_OK);
    T_ST(ta_server(&g_server, &sp), NANODTLS_OK);
    T_ST(nanodtls_get_ta_peer(&g_server, &peer), NANODTLS_E_STATE);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));

    memset(&peer, 0xee, sizeof peer);
    T_ST(nanodtls_get_ta_peer(&g_server, &peer), NANODTLS_OK);
    T_EQ(peer.mode, NANODTLS_TTP_DERIVED_KEY);
    T_EQ(peer.seq, 7);
    T_CHECK(peer.ta_id_len == 3 && memcmp(peer.ta_id, TA_ID, 3) == 0);
    T_CHECK(peer.client_id_len == 9 && memcmp(peer.client_id, "sensor-42", 9) == 0);
    T_ST(nanodtls_get_ta_peer(&g_client, &peer), NANODTLS_E_STATE);
    T_ST(nanodtls_get_ta_peer(&g_server, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_ta_get_stats(&g_server, &ts), NANODTLS_OK);
    T_EQ(ts.derived, 1);
    T_EQ(ts.accepted, 1);
    T_EQ(ts.refused_replayed, 0);

    /* Save the window; the blob holds no key. */
    T_ST(nanodtls_ta_export(&g_server, (const uint8_t *)TA_ID, 3, blob, 4, &blob_len), NANODTLS_E_BUFFER_TOO_SMALL);
    T_ST(nanodtls_ta_export(&g_server, (const uint8_t *)TA_ID, 3, blob, sizeof blob, &blob_len), NANODTLS_OK);
    T_EQ(blob_len, NANODTLS_TA_STATE_MAX - NANODTLS_MAX_TA_ID + 3);
    T_CHECK(memcmp(blob, "NDTW\x01", 5) == 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_server, sizeof g_server, 0)); /* keys and windows wiped */

    /* "Reboot": a new server, the trust anchor again, the saved window. */
    T_ST(ta_server(&g_server, &sp), NANODTLS_OK);
    T_ST(nanodtls_ta_import(&g_server, blob, blob_len), NANODTLS_OK);
    T_ST(dk_client(&g_client, &cp, "sensor-42", 7), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(!t_handshake(&g_client, &g_server, 10));
    run_to_server_deadline();
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_last_alert(&g_server, &a), NANODTLS_OK);
    T_EQ(a.description, 51); /* decrypt_error, as for an unknown PSK identity */
    T_EQ(a.sent, 1);
    T_ST(nanodtls_get_ta_peer(&g_server, &peer), NANODTLS_E_STATE);
    T_ST(nanodtls_ta_get_stats(&g_server, &ts), NANODTLS_OK);
    T_CHECK(ts.refused_replayed >= 1);
    T_EQ(ts.derived, 0);
    T_EQ(ts.accepted, 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* The next seq gets in after the same restart. */
    T_ST(ta_server(&g_server, &sp), NANODTLS_OK);
    T_ST(nanodtls_ta_import(&g_server, blob, blob_len), NANODTLS_OK);
    T_ST(dk_client(&g_client, &cp, "sensor-42", 8), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(t_handshake(&g_client, &g_server, 10));
    T_ST(nanodtls_get_ta_peer(&g_server, &peer), NANODTLS_OK);
    T_EQ(peer.seq, 8);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_ctx_misuse(void)
{
    t_party cp, sp;
    uint8_t blob[NANODTLS_TA_STATE_MAX];
    size_t n = 0;
    nanodtls_ta_stats ts;
    char id[8];
    int i;

    g_clock = 1000;
    t_party_init(&cp, 21, &g_clock);
    t_party_init(&sp, 22, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_ta_add(&g_client, (const uint8_t *)"x", 1, TA_KEY, 16, 16), NANODTLS_E_STATE);
    T_ST(nanodtls_ta_add(NULL, (const uint8_t *)"x", 1, TA_KEY, 16, 16), NANODTLS_E_NULL);
    T_ST(ta_server(&g_server, &sp), NANODTLS_OK);
    T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)TA_ID, 3, TA_KEY, 16, 16), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)"a.b", 3, TA_KEY, 16, 16), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)"ok", 2, TA_KEY, 8, 16), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)"ok", 2, TA_KEY, 16, 20), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_add(&g_server, NULL, 2, TA_KEY, 16, 16), NANODTLS_E_NULL);
    for (i = 1; i < NANODTLS_MAX_TRUST_ANCHORS; i++) {
        snprintf(id, sizeof id, "t%d", i);
        T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)id, strlen(id), TA_KEY, 16, 32), NANODTLS_OK);
    }
    T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)"full", 4, TA_KEY, 16, 16), NANODTLS_E_NO_SLOT);
    T_ST(nanodtls_ta_remove(&g_server, (const uint8_t *)"nope", 4), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_revoke(&g_server, (const uint8_t *)"nope", 4, 1), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_reset(&g_server, (const uint8_t *)TA_ID, 3, TA_KEY, 40), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_export(&g_server, (const uint8_t *)"nope", 4, blob, sizeof blob, &n), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_export(&g_server, (const uint8_t *)TA_ID, 3, blob, sizeof blob, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_ta_revoke(&g_server, (const uint8_t *)TA_ID, 3, 1000), NANODTLS_OK);
    T_ST(nanodtls_ta_export(&g_server, (const uint8_t *)TA_ID, 3, blob, sizeof blob, &n), NANODTLS_OK);
    /* A corrupted blob (any byte) is refused and changes nothing. */
    blob[n / 2] ^= 0x40;
    T_ST(nanodtls_ta_import(&g_server, blob, n), NANODTLS_E_INVALID_ARG);
    blob[n / 2] ^= 0x40;
    T_ST(nanodtls_ta_import(&g_server, blob, n - 1), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_import(&g_server, blob, n), NANODTLS_OK);
    T_ST(nanodtls_ta_import(&g_server, NULL, 0), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_ta_remove(&g_server, (const uint8_t *)TA_ID, 3), NANODTLS_OK);
    T_ST(nanodtls_ta_import(&g_server, blob, n), NANODTLS_E_INVALID_ARG); /* its trust anchor is gone */
    T_ST(nanodtls_ta_reset(&g_server, (const uint8_t *)"t1", 2, TA_KEY, 32), NANODTLS_OK);
    T_ST(nanodtls_ta_get_stats(&g_server, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_ta_get_stats(&g_server, &ts), NANODTLS_OK);
    T_EQ(ts.accepted, 0);
    T_ST(nanodtls_ta_get_stats(&g_client, &ts), NANODTLS_E_STATE);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)"x", 1, TA_KEY, 16, 16), NANODTLS_E_NOT_INITIALIZED);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

/* ---- Endpoint ----------------------------------------------------------- */

struct ep_client {
    nanodtls_ctx ctx;
    t_party p;
    uint8_t addr[16];
};
static struct ep_client g_cl[3];

static size_t ep_round(size_t ncl)
{
    size_t moved = 0;
    size_t i;
    for (i = 0; i < ncl; i++) {
        g_f.n = 0;
        moved += t_collect(&g_cl[i].ctx, &g_f);
        (void)t_deliver_ep(&g_ep, g_cl[i].addr, sizeof g_cl[i].addr, &g_f);
    }
    g_f.n = 0;
    moved += t_collect_ep(&g_ep, &g_f);
    for (i = 0; i < ncl; i++) {
        (void)t_deliver_to(&g_cl[i].ctx, g_cl[i].addr, sizeof g_cl[i].addr, &g_f);
    }
    return moved;
}

static void test_endpoint_shares_one_window(void)
{
    t_party sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_ta_peer peer;
    nanodtls_ta_stats ts;
    uint8_t blob[NANODTLS_TA_STATE_MAX];
    size_t n = 0;
    int i, r;

    g_clock = 5000;
    t_party_init(&sp, 40, &g_clock);
    memset(g_cl, 0, sizeof g_cl);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 3), NANODTLS_OK);
    T_ST(nanodtls_endpoint_ta_add(&g_ep, (const uint8_t *)TA_ID, 3, TA_KEY, sizeof TA_KEY, 16), NANODTLS_OK);
    T_ST(nanodtls_endpoint_ta_add(NULL, (const uint8_t *)TA_ID, 3, TA_KEY, sizeof TA_KEY, 16), NANODTLS_E_NULL);
    /* Clients A (seq 1) and B (seq 2) get in; B's seq 2 is then revoked
     * for anyone else, and C presenting A's nonce is refused. */
    for (i = 0; i < 3; i++) {
        t_party_init(&g_cl[i].p, (uint64_t)(41 + i), &g_clock);
        memset(g_cl[i].addr, 'A' + i, sizeof g_cl[i].addr);
    }
    T_ST(dk_client(&g_cl[0].ctx, &g_cl[0].p, "alice", 1), NANODTLS_OK);
    T_ST(dk_client(&g_cl[1].ctx, &g_cl[1].p, "bob", 2), NANODTLS_OK);
    T_ST(dk_client(&g_cl[2].ctx, &g_cl[2].p, "alice", 1), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_cl[0].ctx), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_cl[1].ctx), NANODTLS_OK);
    for (r = 0; r < 10; r++) {
        ep_round(2);
    }
    T_EQ(nanodtls_state(&g_cl[0].ctx), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_cl[1].ctx), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_endpoint_peer_ta(&g_ep, g_cl[1].addr, 16, &peer), NANODTLS_OK);
    T_CHECK(peer.client_id_len == 3 && memcmp(peer.client_id, "bob", 3) == 0);
    T_EQ(peer.seq, 2);
    T_ST(nanodtls_endpoint_peer_ta(&g_ep, g_cl[2].addr, 16, &peer), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_ta_revoke(&g_ep, (const uint8_t *)TA_ID, 3, 3), NANODTLS_OK);

    T_ST(nanodtls_connect(&g_cl[2].ctx), NANODTLS_OK);
    for (r = 0; r < 10; r++) {
        ep_round(3);
    }
    T_CHECK(nanodtls_state(&g_cl[2].ctx) != NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_endpoint_ta_get_stats(&g_ep, &ts), NANODTLS_OK);
    T_EQ(ts.accepted, 2);
    T_CHECK(ts.refused_replayed >= 1);
    T_ST(nanodtls_endpoint_ta_export(&g_ep, (const uint8_t *)TA_ID, 3, blob, sizeof blob, &n), NANODTLS_OK);
    T_ST(nanodtls_endpoint_ta_import(&g_ep, blob, n), NANODTLS_OK);
    T_ST(nanodtls_endpoint_ta_reset(&g_ep, (const uint8_t *)TA_ID, 3, TA_KEY, 16), NANODTLS_OK);
    T_ST(nanodtls_endpoint_ta_remove(&g_ep, (const uint8_t *)TA_ID, 3), NANODTLS_OK);
    T_ST(nanodtls_endpoint_ta_remove(&g_ep, (const uint8_t *)TA_ID, 3), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_ep, sizeof g_ep, 0));
    for (i = 0; i < 3; i++) {
        T_ST(nanodtls_deinit(&g_cl[i].ctx), NANODTLS_OK);
    }
}

/* What a library built without the features says (nothing to check in
 * the default build, which has both). */
static void test_unsupported(void)
{
    t_party sp;
    uint8_t buf[64];
    size_t n = 0;
    nanodtls_ta_stats ts;

    g_clock = 1000;
    t_party_init(&sp, 50, &g_clock);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
#if !NANODTLS_TEST_EXPECT_DK
    T_ST(nanodtls_ttp_derive((const uint8_t *)"ta", 2, TA_KEY, 32, NULL, 0, 1, 16, buf, sizeof buf, &n, buf, 32),
         NANODTLS_E_UNSUPPORTED);
#endif
#if !NANODTLS_TEST_EXPECT_AUTHZ
    T_ST(nanodtls_authz_cert_encode((const uint8_t *)"ta", 2, TA_KEY, 32, 1, buf, 1, buf, sizeof buf, &n),
         NANODTLS_E_UNSUPPORTED);
    T_ST(nanodtls_set_authz_cert(&g_server, buf, 1), NANODTLS_E_UNSUPPORTED);
    T_ST(nanodtls_set_authz_server_key(&g_server, buf, 1), NANODTLS_E_UNSUPPORTED);
    T_ST(nanodtls_set_authz_cert_type(&g_server, 224), NANODTLS_E_UNSUPPORTED);
#endif
#if !NANODTLS_TEST_EXPECT_DK && !NANODTLS_TEST_EXPECT_AUTHZ
    T_ST(nanodtls_ta_add(&g_server, (const uint8_t *)"ta", 2, TA_KEY, 16, 16), NANODTLS_E_UNSUPPORTED);
    T_ST(nanodtls_ta_get_stats(&g_server, &ts), NANODTLS_E_UNSUPPORTED);
#else
    (void)ts;
#endif
    (void)n;
    (void)buf;
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

/* AuthzCert: the client's and the server's keys (raw P-256 scalars). */
static const uint8_t AZ_CLIENT_KEY[32] = {0x10, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
                                          5,    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
static const uint8_t AZ_SERVER_KEY[32] = {0x10, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                          2,    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
/* Borrowed by the client context while registered. */
static uint8_t g_maccert[NANODTLS_AUTHZ_CERT_MAX];
static size_t g_maccert_len;
static uint8_t g_server_spki[NANODTLS_SPKI_LEN];

/* An AuthzCert client: own key, the MacCert for it (seq `seq`, trust
 * anchor key `ta_key`, the last byte XORed with `flip`), the pinned key. */
static nanodtls_status az_client(nanodtls_ctx *c, t_party *p, const uint8_t *ta_key, uint32_t seq, uint8_t flip)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    uint8_t spki[NANODTLS_SPKI_LEN];
    size_t n = 0;
    nanodtls_status st;
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    t_platform(&plat, p);
    st = nanodtls_init(c, sizeof *c, &cfg, &plat);
    if (st == NANODTLS_OK) {
        st = nanodtls_set_own_key(c, AZ_CLIENT_KEY, sizeof AZ_CLIENT_KEY);
    }
    if (st == NANODTLS_OK) {
        st = nanodtls_get_own_spki(c, spki, sizeof spki, &n);
    }
    if (st == NANODTLS_OK) {
        st = nanodtls_authz_cert_encode((const uint8_t *)TA_ID, strlen(TA_ID), ta_key, 32, seq, spki, n, g_maccert,
                                        sizeof g_maccert, &g_maccert_len);
    }
    if (st == NANODTLS_OK) {
        g_maccert[g_maccert_len - 1] ^= flip;
        st = nanodtls_set_authz_cert(c, g_maccert, g_maccert_len);
    }
    if (st == NANODTLS_OK) {
        st = nanodtls_set_authz_server_key(c, g_server_spki, sizeof g_server_spki);
    }
    return st;
}

/* A server context with trust anchor ta1 and its own key. */
static nanodtls_status az_server(nanodtls_ctx *s, t_party *p)
{
    size_t n = 0;
    nanodtls_status st = ta_server(s, p);
    if (st == NANODTLS_OK) {
        st = nanodtls_set_own_key(s, AZ_SERVER_KEY, sizeof AZ_SERVER_KEY);
    }
    if (st == NANODTLS_OK) {
        st = nanodtls_get_own_spki(s, g_server_spki, sizeof g_server_spki, &n);
    }
    return st;
}

static void test_ctx_authz_cert(void)
{
    t_party cp, sp;
    nanodtls_ta_peer peer;
    nanodtls_ta_stats ts;
    nanodtls_alert a;
    uint8_t hash[32];
    uint8_t blob[NANODTLS_TA_STATE_MAX];
    size_t blob_len = 0;

    g_clock = 1000;
    t_party_init(&cp, 61, &g_clock);
    t_party_init(&sp, 62, &g_clock);
    T_ST(az_server(&g_server, &sp), NANODTLS_OK);
    T_ST(az_client(&g_client, &cp, TA_KEY, 7, 0), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    memset(&peer, 0xee, sizeof peer);
    T_ST(nanodtls_get_ta_peer(&g_server, &peer), NANODTLS_OK);
    T_EQ(peer.mode, NANODTLS_TTP_AUTHZ_CERT);
    T_EQ(peer.seq, 7);
    T_CHECK(peer.ta_id_len == 3 && memcmp(peer.ta_id, TA_ID, 3) == 0);
    T_ST(nanodtls_get_peer_key_hash(&g_server, hash, sizeof hash), NANODTLS_OK);
    T_CHECK(peer.client_id_len == 32 && memcmp(peer.client_id, hash, 32) == 0); /* the client's key */
    T_ST(nanodtls_ta_get_stats(&g_server, &ts), NANODTLS_OK);
    T_EQ(ts.authz_checked, 1);
    T_EQ(ts.accepted, 1);
    T_ST(nanodtls_ta_export(&g_server, (const uint8_t *)TA_ID, 3, blob, sizeof blob, &blob_len), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_server, sizeof g_server, 0));

    /* Restart with the saved window: the same MacCert is refused. */
    T_ST(az_server(&g_server, &sp), NANODTLS_OK);
    T_ST(nanodtls_ta_import(&g_server, blob, blob_len), NANODTLS_OK);
    T_ST(az_client(&g_client, &cp, TA_KEY, 7, 0), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(!t_handshake(&g_client, &g_server, 10));
    run_to_server_deadline();
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_last_alert(&g_server, &a), NANODTLS_OK);
    T_EQ(a.description, 42); /* bad_certificate */
    T_ST(nanodtls_get_ta_peer(&g_server, &peer), NANODTLS_E_STATE);
    T_ST(nanodtls_ta_get_stats(&g_server, &ts), NANODTLS_OK);
    T_CHECK(ts.refused_replayed >= 1);
    T_EQ(ts.accepted, 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* A forged MacCert (one MAC bit) with a fresh seq. */
    T_ST(az_server(&g_server, &sp), NANODTLS_OK);
    T_ST(az_client(&g_client, &cp, TA_KEY, 8, 1), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(!t_handshake(&g_client, &g_server, 10));
    run_to_server_deadline();
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_last_alert(&g_server, &a), NANODTLS_OK);
    T_EQ(a.description, 42);
    T_ST(nanodtls_ta_get_stats(&g_server, &ts), NANODTLS_OK);
    T_CHECK(ts.refused_bad_mac >= 1);
    T_EQ(ts.accepted, 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* The same seq, genuine, still gets in (the forgery marked nothing). */
    T_ST(az_server(&g_server, &sp), NANODTLS_OK);
    T_ST(az_client(&g_client, &cp, TA_KEY, 8, 0), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(t_handshake(&g_client, &g_server, 10));
    T_ST(nanodtls_get_ta_peer(&g_server, &peer), NANODTLS_OK);
    T_EQ(peer.seq, 8);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_authz_misuse(void)
{
    t_party cp, sp;
    uint8_t junk[8] = {0};
    g_clock = 1000;
    t_party_init(&cp, 71, &g_clock);
    t_party_init(&sp, 72, &g_clock);
    T_ST(az_server(&g_server, &sp), NANODTLS_OK);
    T_ST(az_client(&g_client, &cp, TA_KEY, 1, 0), NANODTLS_OK);
    /* Client-only setters on a server. */
    T_ST(nanodtls_set_authz_cert(&g_server, g_maccert, g_maccert_len), NANODTLS_E_STATE);
    T_ST(nanodtls_set_authz_server_key(&g_server, g_server_spki, sizeof g_server_spki), NANODTLS_E_STATE);
    /* Not a MacCert; a truncated one; not a key; NULL with a length. */
    T_ST(nanodtls_set_authz_cert(&g_client, junk, sizeof junk), NANODTLS_E_INVALID_ARG);
    /* A MacCert for another key than ours (the server's key here). */
    T_ST(nanodtls_set_own_key(&g_client, AZ_SERVER_KEY, sizeof AZ_SERVER_KEY), NANODTLS_OK);
    T_ST(nanodtls_set_authz_cert(&g_client, g_maccert, g_maccert_len), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_own_key(&g_client, AZ_CLIENT_KEY, sizeof AZ_CLIENT_KEY), NANODTLS_OK);
    T_ST(nanodtls_set_authz_cert(&g_client, g_maccert, g_maccert_len - 1), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_authz_cert(&g_client, NULL, 4), NANODTLS_E_NULL);
    T_ST(nanodtls_set_authz_server_key(&g_client, junk, sizeof junk), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_authz_server_key(NULL, g_server_spki, sizeof g_server_spki), NANODTLS_E_NULL);
    /* Codepoints 0 and 2 are X.509 and RawPublicKey. */
    T_ST(nanodtls_set_authz_cert_type(&g_client, 0), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_authz_cert_type(&g_server, 2), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_authz_cert_type(&g_client, 224), NANODTLS_OK);
    T_ST(nanodtls_set_authz_cert_type(&g_server, 224), NANODTLS_OK);
    /* (NULL, 0) unregisters the MacCert: nothing left to offer. */
    T_ST(nanodtls_set_authz_cert(&g_client, NULL, 0), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_E_NO_CREDENTIALS);
    T_ST(nanodtls_set_authz_cert(&g_client, g_maccert, g_maccert_len), NANODTLS_OK);
    /* Both on 224: it works. */
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(t_handshake(&g_client, &g_server, 10));
    T_ST(nanodtls_set_authz_server_key(&g_client, g_server_spki, sizeof g_server_spki), NANODTLS_E_STATE);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_authz_cert_type(NULL, 224), NANODTLS_E_NULL);
}

int main(void)
{
#if NANODTLS_TEST_EXPECT_DK && NANODTLS_TEST_EXPECT_AUTHZ
    T_RUN(test_known_answers);
    T_RUN(test_derive_arguments);
    T_RUN(test_ctx_derived_key_once_never_twice);
    T_RUN(test_ctx_misuse);
    T_RUN(test_endpoint_shares_one_window);
    T_RUN(test_ctx_authz_cert);
    T_RUN(test_authz_misuse);
#endif
    T_RUN(test_unsupported);
    return t_finish("test_ttp");
}
