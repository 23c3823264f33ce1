/*
 * Client certificate URLs (RFC 6066 section 5, docs/cert_url.md) through
 * the C API: the client lends a URL per certificate of its chain
 * (nanodtls_set_own_certificate_urls); a server with a hook
 * (nanodtls_set_cert_url_hook) receives the URLs and SHA-1s, the handshake
 * pauses (nanodtls_cert_url_paused) until the application provides the
 * certificates (then the client's retransmission completes it) or refuses
 * (certificate_unobtainable, 111); a wrong certificate is
 * bad_certificate_hash_value (114); misuse returns NANODTLS_E_STATE.
 * The chains are tests/pki/ (tests/pki/gen.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifndef NANODTLS_TEST_PKI_DIR
#error "NANODTLS_TEST_PKI_DIR must name tests/pki"
#endif

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static uint64_t g_clock;

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

static blob g_root, g_server_chain, g_server_key, g_client_chain, g_client_key, g_other_int;
static size_t g_client_leaf_len;

static const char *const k_urls[2] = {"http://certs.example/client-eui.der", "file:///certs/int.der"};
static const uint8_t *g_url_ptrs[2];
static size_t g_url_lens[2];

/* What the server's hook was handed. */
static int g_calls;
static char g_seen[2][64];
static uint8_t g_seen_hash[2][20];
static void on_urls(void *user, size_t index, const uint8_t *url, size_t len, const uint8_t *sha1)
{
    T_CHECK(user == &g_calls);
    g_calls++;
    T_CHECK(index < 2 && len < sizeof g_seen[0]);
    if (index < 2 && len < sizeof g_seen[0]) {
        memcpy(g_seen[index], url, len);
        g_seen[index][len] = 0;
        memcpy(g_seen_hash[index], sha1, 20);
    }
}

static void setup(nanodtls_ctx *ctx, uint8_t role, t_party *p, uint64_t seed)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    t_party_init(p, seed, &g_clock);
    nanodtls_config_default(&cfg, role);
    memset(cfg.suites, 0, sizeof cfg.suites);
    cfg.suites[0] = NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
    cfg.client_auth = 1;
    t_platform(&plat, p);
    T_ST(nanodtls_init(ctx, sizeof *ctx, &cfg, &plat), NANODTLS_OK);
    T_ST(nanodtls_add_ca(ctx, g_root.data, g_root.len), NANODTLS_OK);
    if (role == NANODTLS_ROLE_SERVER) {
        T_ST(nanodtls_set_own_key(ctx, g_server_key.data, g_server_key.len), NANODTLS_OK);
        T_ST(nanodtls_set_own_certificate(ctx, g_server_chain.data, g_server_chain.len), NANODTLS_OK);
        T_ST(nanodtls_set_cert_url_hook(ctx, on_urls, &g_calls), NANODTLS_OK);
    } else {
        T_ST(nanodtls_set_own_key(ctx, g_client_key.data, g_client_key.len), NANODTLS_OK);
        T_ST(nanodtls_set_own_certificate(ctx, g_client_chain.data, g_client_chain.len), NANODTLS_OK);
        T_ST(nanodtls_set_server_name(ctx, (const uint8_t *)"server.example", 14), NANODTLS_OK);
        T_ST(nanodtls_set_own_certificate_urls(ctx, g_url_ptrs, g_url_lens, 2), NANODTLS_OK);
    }
}

/* Start a handshake and run it until the server pauses. */
static t_party g_cp, g_sp; /* the contexts' platform users: live as long as they do */

static void start_paused(uint64_t seed)
{
    g_clock = 0;
    g_calls = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &g_cp, seed);
    setup(&g_server, NANODTLS_ROLE_SERVER, &g_sp, seed + 1);
    T_EQ(nanodtls_cert_url_paused(&g_server), 0);
    /* Not paused yet: provide and refuse are misuse. */
    T_ST(nanodtls_provide_client_certificates(&g_server, g_client_chain.data, g_client_chain.len), NANODTLS_E_STATE);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(!t_handshake(&g_client, &g_server, 6));
    T_EQ(nanodtls_cert_url_paused(&g_server), 1);
    T_EQ(nanodtls_cert_url_paused(&g_client), 0);
    T_EQ(g_calls, 2);
    T_CHECK(strcmp(g_seen[0], k_urls[0]) == 0);
    T_CHECK(strcmp(g_seen[1], k_urls[1]) == 0);
    T_CHECK(!t_all_bytes(g_seen_hash[0], 20, 0));
}

static void test_pause_and_provide(void)
{
    int rounds;
    start_paused(1);
    /* A retransmission while paused: no second call of the hook. */
    T_CHECK(t_fire_timers(&g_clock, &g_client, &g_server));
    (void)t_handshake(&g_client, &g_server, 3);
    T_EQ(g_calls, 2);
    T_EQ(nanodtls_cert_url_paused(&g_server), 1);
    T_ST(nanodtls_provide_client_certificates(&g_server, g_client_chain.data, g_client_chain.len), NANODTLS_OK);
    T_EQ(nanodtls_cert_url_paused(&g_server), 0);
    T_ST(nanodtls_provide_client_certificates(&g_server, g_client_chain.data, g_client_chain.len), NANODTLS_E_STATE);
    T_ST(nanodtls_refuse_client_certificates(&g_server), NANODTLS_E_STATE);
    for (rounds = 0; rounds < 8 && !t_handshake(&g_client, &g_server, 4); rounds++) {
        (void)t_fire_timers(&g_clock, &g_client, NULL);
    }
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_EQ(g_calls, 2);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_wrong_certificate_and_refusal(void)
{
    blob wrong;
    nanodtls_alert a;
    /* The intermediate swapped for another one: 114. */
    start_paused(3);
    memcpy(wrong.data, g_client_chain.data, g_client_leaf_len);
    memcpy(wrong.data + g_client_leaf_len, g_other_int.data, g_other_int.len);
    wrong.len = g_client_leaf_len + g_other_int.len;
    T_ST(nanodtls_provide_client_certificates(&g_server, wrong.data, wrong.len), NANODTLS_E_ALERT_SENT);
    (void)t_handshake(&g_client, &g_server, 2);
    T_ST(nanodtls_last_alert(&g_server, &a), NANODTLS_OK);
    T_EQ(a.description, 114);
    T_ST(nanodtls_last_alert(&g_client, &a), NANODTLS_OK);
    T_EQ(a.description, 114);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    /* Refused: 111. */
    start_paused(5);
    T_ST(nanodtls_refuse_client_certificates(&g_server), NANODTLS_E_ALERT_SENT);
    (void)t_handshake(&g_client, &g_server, 2);
    T_ST(nanodtls_last_alert(&g_client, &a), NANODTLS_OK);
    T_EQ(a.description, 111);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_misuse(void)
{
    static const uint8_t *const nulls[1] = {NULL};
    static const size_t one[1] = {1};
    g_clock = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &g_cp, 7);
    T_ST(nanodtls_set_own_certificate_urls(&g_client, NULL, NULL, 1), NANODTLS_E_NULL);
    T_ST(nanodtls_set_own_certificate_urls(&g_client, nulls, one, 1), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_own_certificate_urls(&g_client, g_url_ptrs, g_url_lens, 0), NANODTLS_OK);
    T_ST(nanodtls_set_own_certificate_urls(NULL, NULL, NULL, 0), NANODTLS_E_NULL);
    T_ST(nanodtls_set_cert_url_hook(NULL, on_urls, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_refuse_client_certificates(NULL), NANODTLS_E_NULL);
    T_EQ(nanodtls_cert_url_paused(NULL), 0);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_set_own_certificate_urls(&g_client, g_url_ptrs, g_url_lens, 2), NANODTLS_E_STATE);
    T_ST(nanodtls_refuse_client_certificates(&g_client), NANODTLS_E_STATE);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

int main(void)
{
    blob leaf, intermediate;
    int i;
    for (i = 0; i < 2; i++) {
        g_url_ptrs[i] = (const uint8_t *)k_urls[i];
        g_url_lens[i] = strlen(k_urls[i]);
    }
    load(&g_root, "root.der");
    load(&leaf, "server.der");
    load(&intermediate, "int.der");
    memcpy(g_server_chain.data, leaf.data, leaf.len);
    memcpy(g_server_chain.data + leaf.len, intermediate.data, intermediate.len);
    g_server_chain.len = leaf.len + intermediate.len;
    load(&g_server_key, "server.key.der");
    load(&leaf, "client-eui.der");
    g_client_leaf_len = leaf.len;
    memcpy(g_client_chain.data, leaf.data, leaf.len);
    memcpy(g_client_chain.data + leaf.len, intermediate.data, intermediate.len);
    g_client_chain.len = leaf.len + intermediate.len;
    load(&g_client_key, "client-eui.key.der");
    load(&g_other_int, "int1.der");
    T_RUN(test_pause_and_provide);
    T_RUN(test_wrong_certificate_and_refusal);
    T_RUN(test_misuse);
    return t_finish("test_cert_url");
}
