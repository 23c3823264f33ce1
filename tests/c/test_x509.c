/*
 * Certificate mode through the C API (RFC 7925 4.4, docs/x509.md): trust
 * anchors (borrowed DER certificates or SPKIs), our own chain (leaf and
 * intermediates back to back), the verify name, the wall clock callback
 * ("no time known" skips validity), the identity hook, and what the peer
 * proved or why it was refused (nanodtls_peer_x509,
 * nanodtls_endpoint_peer_x509), for a context and an endpoint. The chains
 * are tests/pki/ (tests/pki/gen.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifndef NANODTLS_TEST_PKI_DIR
#error "NANODTLS_TEST_PKI_DIR must name tests/pki"
#endif

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[2];
static uint64_t g_clock;
static t_flight g_f;

/* Files of tests/pki, read once (they stay valid: the library borrows them). */
typedef struct blob {
    uint8_t data[4096];
    size_t len;
} blob;

static void load(blob *b, const char *name)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", NANODTLS_TEST_PKI_DIR, name);
    f = fopen(path, "rb");
    b->len = 0;
    if (f == NULL) {
        t_fail(__FILE__, __LINE__, "cannot open %s", path);
        return;
    }
    b->len = fread(b->data, 1, sizeof b->data, f);
    fclose(f);
}

/* A chain: the DER files back to back. */
static void load_chain(blob *b, const char *leaf, const char *inter)
{
    blob i;
    load(b, leaf);
    load(&i, inter);
    memcpy(b->data + b->len, i.data, i.len);
    b->len += i.len;
}

static blob g_root, g_root_spki, g_other_root, g_server_chain, g_server_key, g_client_chain, g_client_key,
    g_expired_chain, g_expired_key;

/* The wall clock: `*secs` from the user pointer, or no time known (NULL). */
static int wall_clock(void *user, uint64_t *secs)
{
    if (user == NULL) {
        return -1;
    }
    *secs = *(const uint64_t *)user;
    return 0;
}
static uint64_t g_now = 1796083200u; /* 2026-12-01 */

/* The identity hook: records what it saw, answers g_answer. */
static int g_answer;
static int g_hook_calls;
static uint8_t g_hook_kind;
static uint8_t g_hook_id[64];
static size_t g_hook_id_len;
static int hook(void *user, uint8_t kind, const uint8_t *id, size_t id_len, const uint8_t *leaf, size_t leaf_len)
{
    (void)user;
    g_hook_calls++;
    g_hook_kind = kind;
    g_hook_id_len = id_len < sizeof g_hook_id ? id_len : sizeof g_hook_id;
    memcpy(g_hook_id, id, g_hook_id_len);
    T_CHECK(leaf_len > 100 && leaf[0] == 0x30);
    return g_answer;
}

/* Servers set up by setup() require a client certificate. */
static uint8_t g_client_auth = 1;

static const uint8_t EUI[8] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};

static void setup(nanodtls_ctx *ctx, uint8_t role, t_party *p, uint64_t seed, const blob *key, const blob *chain)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    t_party_init(p, seed, &g_clock);
    nanodtls_config_default(&cfg, role);
    memset(cfg.suites, 0, sizeof cfg.suites);
    cfg.suites[0] = NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
    cfg.client_auth = g_client_auth;
    t_platform(&plat, p);
    T_ST(nanodtls_init(ctx, sizeof *ctx, &cfg, &plat), NANODTLS_OK);
    if (key != NULL) {
        T_ST(nanodtls_set_own_key(ctx, key->data, key->len), NANODTLS_OK);
        T_ST(nanodtls_set_own_certificate(ctx, chain->data, chain->len), NANODTLS_OK);
    }
    T_ST(nanodtls_add_ca(ctx, g_root.data, g_root.len), NANODTLS_OK);
    T_ST(nanodtls_set_wall_clock(ctx, wall_clock, &g_now), NANODTLS_OK);
}

/* Run the handshake; on a stall, fire the timers of `refusing` only (a
 * refusal in epoch 0 is sent at the refusing side's deadline; the other
 * side's own deadline is earlier, as it started first). */
static void run(nanodtls_ctx *c, nanodtls_ctx *s, nanodtls_ctx *refusing)
{
    int r;
    for (r = 0; r < 60; r++) {
        if (t_handshake(c, s, 10)) {
            return;
        }
        if (nanodtls_state(c) == NANODTLS_STATE_FAILED && nanodtls_state(s) == NANODTLS_STATE_FAILED) {
            return;
        }
        if (refusing == NULL || !t_fire_timers(&g_clock, refusing, NULL)) {
            return;
        }
    }
}

static void test_mutual_certificate_mode(void)
{
    t_party cp, sp;
    nanodtls_x509_peer peer;
    g_clock = 0;
    g_answer = 0;
    g_hook_calls = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 1, &g_client_key, &g_client_chain);
    setup(&g_server, NANODTLS_ROLE_SERVER, &sp, 2, &g_server_key, &g_server_chain);
    T_ST(nanodtls_set_server_name(&g_client, (const uint8_t *)"server.example", 14), NANODTLS_OK);
    T_ST(nanodtls_set_peer_identity_hook(&g_server, hook, NULL), NANODTLS_OK);
    T_ST(nanodtls_peer_x509(&g_client, &peer), NANODTLS_OK);
    T_EQ(peer.kind, NANODTLS_X509_PEER_NONE);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    run(&g_client, &g_server, NULL);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_peer_x509(&g_client, &peer), NANODTLS_OK);
    T_EQ(peer.kind, NANODTLS_X509_PEER_NAME);
    T_EQ(peer.reason, 0);
    T_EQ(peer.depth, 2);
    T_ST(nanodtls_peer_x509(&g_server, &peer), NANODTLS_OK);
    T_EQ(peer.kind, NANODTLS_X509_PEER_EUI64);
    T_CHECK(memcmp(peer.eui64, EUI, 8) == 0);
    T_EQ(g_hook_calls, 1);
    T_EQ(g_hook_kind, NANODTLS_X509_PEER_EUI64);
    T_EQ(g_hook_id_len, 8);
    T_CHECK(memcmp(g_hook_id, EUI, 8) == 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_refusals_are_readable(void)
{
    t_party cp, sp;
    nanodtls_x509_peer peer;
    nanodtls_alert a;

    /* The server's hook refuses the device: certificate_unknown. */
    g_clock = 0;
    g_answer = 1;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 3, &g_client_key, &g_client_chain);
    setup(&g_server, NANODTLS_ROLE_SERVER, &sp, 4, &g_server_key, &g_server_chain);
    T_ST(nanodtls_set_verify_name(&g_client, (const uint8_t *)"server.example", 14), NANODTLS_OK);
    T_ST(nanodtls_set_peer_identity_hook(&g_server, hook, NULL), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    run(&g_client, &g_server, &g_server);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_peer_x509(&g_server, &peer), NANODTLS_OK);
    T_EQ(peer.kind, NANODTLS_X509_PEER_NONE);
    T_EQ(peer.reason, 21);
    T_EQ(peer.alert, 46);
    T_CHECK(strstr(nanodtls_x509_reason_str(peer.reason), "refused") != NULL);
    T_ST(nanodtls_last_alert(&g_client, &a), NANODTLS_OK);
    T_EQ(a.description, 46);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* An expired server certificate with the time known: certificate_expired. */
    g_clock = 0;
    g_client_auth = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 5, NULL, NULL);
    setup(&g_server, NANODTLS_ROLE_SERVER, &sp, 6, &g_expired_key, &g_expired_chain);
    T_ST(nanodtls_set_server_name(&g_client, (const uint8_t *)"server.example", 14), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    run(&g_client, &g_server, &g_client);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_peer_x509(&g_client, &peer), NANODTLS_OK);
    T_EQ(peer.reason, 13);
    T_EQ(peer.alert, 45);
    T_ST(nanodtls_last_alert(&g_server, &a), NANODTLS_OK);
    T_EQ(a.description, 45);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* The same with no time known: accepted. */
    g_clock = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 7, NULL, NULL);
    setup(&g_server, NANODTLS_ROLE_SERVER, &sp, 8, &g_expired_key, &g_expired_chain);
    T_ST(nanodtls_set_wall_clock(&g_client, wall_clock, NULL), NANODTLS_OK);
    T_ST(nanodtls_set_server_name(&g_client, (const uint8_t *)"server.example", 14), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    run(&g_client, &g_server, NULL);
    T_ST(nanodtls_peer_x509(&g_client, &peer), NANODTLS_OK);
    T_EQ(peer.reason, 0);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);

    /* An unknown root: unknown_ca (the client trusts only other-root). */
    g_clock = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 9, NULL, NULL);
    setup(&g_server, NANODTLS_ROLE_SERVER, &sp, 10, &g_server_key, &g_server_chain);
    T_ST(nanodtls_clear_cas(&g_client), NANODTLS_OK);
    T_ST(nanodtls_add_ca(&g_client, g_other_root.data, g_other_root.len), NANODTLS_OK);
    T_ST(nanodtls_set_server_name(&g_client, (const uint8_t *)"server.example", 14), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    run(&g_client, &g_server, &g_client);
    T_ST(nanodtls_peer_x509(&g_client, &peer), NANODTLS_OK);
    T_EQ(peer.alert, 48);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    g_client_auth = 1;
}

static void test_endpoint_reads_the_device_eui64(void)
{
    t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_x509_peer peer;
    static const uint8_t addr[16] = {'D', 'E', 'V', 'I', 'C', 'E', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    int r;

    g_clock = 0;
    g_answer = 0;
    g_hook_calls = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 11, &g_client_key, &g_client_chain);
    T_ST(nanodtls_set_server_name(&g_client, (const uint8_t *)"server.example", 14), NANODTLS_OK);
    t_party_init(&sp, 12, &g_clock);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    memset(cfg.suites, 0, sizeof cfg.suites);
    cfg.suites[0] = NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
    cfg.client_auth = 1;
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_own_key(&g_ep, g_server_key.data, g_server_key.len), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_own_certificate(&g_ep, g_server_chain.data, g_server_chain.len), NANODTLS_OK);
    T_ST(nanodtls_endpoint_add_ca(&g_ep, g_root_spki.data, g_root_spki.len), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_wall_clock(&g_ep, wall_clock, &g_now), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_peer_identity_hook(&g_ep, hook, NULL), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    for (r = 0; r < 20 && nanodtls_state(&g_client) == NANODTLS_STATE_HANDSHAKING; r++) {
        g_f.n = 0;
        (void)t_collect(&g_client, &g_f);
        (void)t_deliver_ep(&g_ep, addr, sizeof addr, &g_f);
        g_f.n = 0;
        (void)t_collect_ep(&g_ep, &g_f);
        (void)t_deliver_to(&g_client, addr, sizeof addr, &g_f);
    }
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_endpoint_peer_x509(&g_ep, addr, sizeof addr, &peer), NANODTLS_OK);
    T_EQ(peer.kind, NANODTLS_X509_PEER_EUI64);
    T_CHECK(memcmp(peer.eui64, EUI, 8) == 0);
    T_EQ(g_hook_calls, 1);
    T_ST(nanodtls_endpoint_peer_x509(&g_ep, (const uint8_t *)"nobody", 6, &peer), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_peer_x509(&g_ep, addr, sizeof addr, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

static void test_misuse(void)
{
    t_party cp;
    nanodtls_x509_peer peer;
    static const uint8_t junk[4] = {1, 2, 3, 4};
    blob trailing;
    int i;

    g_clock = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 13, &g_client_key, &g_client_chain);
    T_ST(nanodtls_add_ca(&g_client, junk, sizeof junk), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_add_ca(&g_client, NULL, 5), NANODTLS_E_NULL);
    T_ST(nanodtls_add_ca(&g_client, g_root.data, 0), NANODTLS_E_INVALID_ARG);
    /* One anchor is in already (setup). */
    for (i = 1; i < NANODTLS_MAX_X509_ANCHORS; i++) {
        T_ST(nanodtls_add_ca(&g_client, g_root_spki.data, g_root_spki.len), NANODTLS_OK);
    }
    T_ST(nanodtls_add_ca(&g_client, g_root.data, g_root.len), NANODTLS_E_NO_SLOT);
    T_ST(nanodtls_clear_cas(&g_client), NANODTLS_OK);
    T_ST(nanodtls_add_ca(&g_client, g_root.data, g_root.len), NANODTLS_OK);
    T_ST(nanodtls_set_verify_name(&g_client, (const uint8_t *)"*.example", 9), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_verify_name(&g_client, NULL, 0), NANODTLS_OK);
    /* A chain with bytes after the last certificate that are no DER. */
    trailing = g_client_chain;
    trailing.data[trailing.len++] = 0x30;
    T_ST(nanodtls_set_own_certificate(&g_client, trailing.data, trailing.len), NANODTLS_E_INVALID_ARG);
    /* A chain whose leaf is someone else's. */
    T_ST(nanodtls_set_own_certificate(&g_client, g_server_chain.data, g_server_chain.len), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_peer_x509(&g_client, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_peer_x509(NULL, &peer), NANODTLS_E_NULL);
    T_CHECK(strcmp(nanodtls_x509_reason_str(0), "none") == 0);
    T_CHECK(strcmp(nanodtls_x509_reason_str(200), "unknown reason") == 0);
    T_CHECK(strcmp(nanodtls_x509_reason_str(13), "certificate expired") == 0);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_set_verify_name(&g_client, (const uint8_t *)"a", 1), NANODTLS_E_STATE);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

int main(void)
{
    load(&g_root, "root.der");
    load(&g_root_spki, "root.spki.der");
    load(&g_other_root, "other-root.der");
    load_chain(&g_server_chain, "server.der", "int.der");
    load(&g_server_key, "server.key.der");
    load_chain(&g_client_chain, "client-eui.der", "int.der");
    load(&g_client_key, "client-eui.key.der");
    load_chain(&g_expired_chain, "expired.der", "int.der");
    load(&g_expired_key, "expired.key.der");
    T_RUN(test_mutual_certificate_mode);
    T_RUN(test_refusals_are_readable);
    T_RUN(test_endpoint_reads_the_device_eui64);
    T_RUN(test_misuse);
    return t_finish("test_x509");
}
