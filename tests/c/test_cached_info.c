/*
 * cached_info (RFC 7924, docs/cached_info.md) through the C API: the
 * client's hook receives the server's Certificate body after a full
 * handshake; lent back with nanodtls_set_cached_server_certificate, the
 * next handshake carries the hash instead of the chain (fewer bytes from
 * the server); a server with nanodtls_set_cached_info(0) sends the chain.
 * The same for the server's CertificateRequest (type cert_req) with
 * client authentication: nanodtls_set_certificate_request_hook and
 * nanodtls_set_cached_certificate_request.
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

static blob g_root, g_chain, g_key, g_int;
/* The client's chain and key (client authentication). */
static blob g_cchain, g_ckey;
static int g_auth;

/* What the hook was handed (kept), and how often. */
static blob g_kept;
static int g_stored;
static void store(void *user, const uint8_t *body, size_t len)
{
    T_CHECK(user == &g_kept);
    g_stored++;
    T_CHECK(len <= sizeof g_kept.data);
    if (len <= sizeof g_kept.data) {
        memcpy(g_kept.data, body, len);
        g_kept.len = len;
    }
}

/* The CertificateRequest body the request hook was handed. */
static blob g_kept_req;
static int g_stored_req;
static void store_req(void *user, const uint8_t *body, size_t len)
{
    T_CHECK(user == &g_kept_req);
    g_stored_req++;
    T_CHECK(len <= sizeof g_kept_req.data);
    if (len <= sizeof g_kept_req.data) {
        memcpy(g_kept_req.data, body, len);
        g_kept_req.len = len;
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
    cfg.client_auth = (uint8_t)(role == NANODTLS_ROLE_SERVER && g_auth);
    t_platform(&plat, p);
    T_ST(nanodtls_init(ctx, sizeof *ctx, &cfg, &plat), NANODTLS_OK);
    if (role == NANODTLS_ROLE_SERVER) {
        T_ST(nanodtls_set_own_key(ctx, g_key.data, g_key.len), NANODTLS_OK);
        T_ST(nanodtls_set_own_certificate(ctx, g_chain.data, g_chain.len), NANODTLS_OK);
        if (g_auth) {
            T_ST(nanodtls_add_ca(ctx, g_root.data, g_root.len), NANODTLS_OK);
        }
    } else {
        if (g_auth) {
            T_ST(nanodtls_set_own_key(ctx, g_ckey.data, g_ckey.len), NANODTLS_OK);
            T_ST(nanodtls_set_own_certificate(ctx, g_cchain.data, g_cchain.len), NANODTLS_OK);
        }
        T_ST(nanodtls_set_certificate_request_hook(ctx, store_req, &g_kept_req), NANODTLS_OK);
        T_ST(nanodtls_add_ca(ctx, g_root.data, g_root.len), NANODTLS_OK);
        T_ST(nanodtls_set_server_name(ctx, (const uint8_t *)"server.example", 14), NANODTLS_OK);
        T_ST(nanodtls_set_server_certificate_hook(ctx, store, &g_kept), NANODTLS_OK);
    }
}

/* One handshake; returns the bytes the server sent. */
static uint64_t handshake_req(uint64_t seed, const blob *cached, const blob *req, int serve)
{
    t_party cp, sp;
    nanodtls_stats st;
    g_clock = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, seed);
    setup(&g_server, NANODTLS_ROLE_SERVER, &sp, seed + 1);
    T_ST(nanodtls_set_cached_info(&g_server, serve), NANODTLS_OK);
    if (cached != NULL) {
        T_ST(nanodtls_set_cached_server_certificate(&g_client, cached->data, cached->len), NANODTLS_OK);
    }
    if (req != NULL) {
        T_ST(nanodtls_set_cached_certificate_request(&g_client, req->data, req->len), NANODTLS_OK);
    }
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(t_handshake(&g_client, &g_server, 20));
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_get_stats(&g_server, &st), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    return st.tx_bytes;
}

static uint64_t handshake(uint64_t seed, const blob *cached, int serve)
{
    return handshake_req(seed, cached, NULL, serve);
}

static void test_second_handshake_sends_the_hash(void)
{
    blob kept;
    uint64_t full, cached, ignored;
    g_stored = 0;
    full = handshake(1, NULL, 1);
    T_EQ(g_stored, 1);
    /* The body: a 3-byte list length, then the two entries. */
    T_EQ(g_kept.len, 3 + 3 + (g_chain.len - g_int.len) + 3 + g_int.len);
    kept = g_kept;
    cached = handshake(3, &kept, 1);
    T_EQ(g_stored, 1); /* the hash form: nothing new to keep */
    T_CHECK(full > cached + 700);
    printf("test_cached_info: server sent %llu bytes, %llu with the hash\n", (unsigned long long)full,
           (unsigned long long)cached);
    /* A server that does not answer: the chain, kept again. */
    ignored = handshake(5, &kept, 0);
    T_EQ(g_stored, 2);
    T_CHECK(ignored > cached + 700);
}

static void test_the_request_is_kept_and_hashed(void)
{
    static const uint8_t ours[8] = {1, 64, 0, 2, 4, 3, 0, 0};
    blob req;
    uint64_t full, hashed, ignored;
    g_auth = 1;
    g_stored_req = 0;
    g_stored = 0;
    full = handshake_req(11, NULL, NULL, 1);
    T_EQ(g_stored_req, 1);
    T_EQ(g_kept_req.len, sizeof ours);
    T_CHECK(memcmp(g_kept_req.data, ours, sizeof ours) == 0);
    req = g_kept_req;
    /* Lent back: the hash form (33 bytes for our 8-byte request, and the
     * answer), nothing new to keep; the client still authenticated. */
    hashed = handshake_req(13, NULL, &req, 1);
    T_EQ(g_stored_req, 1);
    T_CHECK(hashed > full && hashed <= full + 25 + 7 + 4);
    /* A server that does not answer: the full request, kept again. */
    ignored = handshake_req(15, NULL, &req, 0);
    T_EQ(g_stored_req, 2);
    T_CHECK(ignored + 20 < hashed);
    printf("test_cached_info: with client authentication the server sent %llu bytes, %llu with the request hash\n",
           (unsigned long long)full, (unsigned long long)hashed);
    g_auth = 0;
}

static void test_misuse(void)
{
    t_party cp;
    static const uint8_t junk[4] = {0, 0, 1, 0};
    g_clock = 0;
    setup(&g_client, NANODTLS_ROLE_CLIENT, &cp, 7);
    T_ST(nanodtls_set_cached_server_certificate(&g_client, junk, sizeof junk), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_cached_server_certificate(&g_client, NULL, 3), NANODTLS_E_NULL);
    T_ST(nanodtls_set_cached_server_certificate(&g_client, NULL, 0), NANODTLS_OK);
    T_ST(nanodtls_set_cached_certificate_request(&g_client, junk, sizeof junk), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_cached_certificate_request(&g_client, NULL, 3), NANODTLS_E_NULL);
    T_ST(nanodtls_set_cached_certificate_request(&g_client, NULL, 0), NANODTLS_OK);
    T_ST(nanodtls_set_cached_certificate_request(NULL, NULL, 0), NANODTLS_E_NULL);
    T_ST(nanodtls_set_certificate_request_hook(NULL, NULL, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_set_cached_server_certificate(NULL, NULL, 0), NANODTLS_E_NULL);
    T_ST(nanodtls_set_cached_info(NULL, 1), NANODTLS_E_NULL);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_set_cached_server_certificate(&g_client, g_kept.data, g_kept.len), NANODTLS_E_STATE);
    T_ST(nanodtls_set_cached_certificate_request(&g_client, g_kept_req.data, g_kept_req.len), NANODTLS_E_STATE);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

int main(void)
{
    blob leaf;
    load(&g_root, "root.der");
    load(&leaf, "server.der");
    load(&g_int, "int.der");
    memcpy(g_chain.data, leaf.data, leaf.len);
    memcpy(g_chain.data + leaf.len, g_int.data, g_int.len);
    g_chain.len = leaf.len + g_int.len;
    load(&g_key, "server.key.der");
    load(&leaf, "client-eui.der");
    memcpy(g_cchain.data, leaf.data, leaf.len);
    memcpy(g_cchain.data + leaf.len, g_int.data, g_int.len);
    g_cchain.len = leaf.len + g_int.len;
    load(&g_ckey, "client-eui.key.der");
    T_RUN(test_second_handshake_sends_the_hash);
    T_RUN(test_the_request_is_kept_and_hashed);
    T_RUN(test_misuse);
    return t_finish("test_cached_info");
}
