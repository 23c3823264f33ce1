/*
 * Our ECDSA key in a "secure element" through the C API
 * (nanodtls_set_own_key_signer): the element is OpenSSL's libcrypto, an
 * EVP_PKEY the library never sees; its callback signs with EVP_PKEY_sign.
 * Both roles against our own peer: a server signing ServerKeyExchange
 * (DER), a client signing CertificateVerify (raw r || s), one call per
 * signature; the private scalar is nowhere in the contexts' memory; a
 * failing callback and a malformed signature fail the handshake closed
 * (internal_error sent, NANODTLS_E_SIGNER); misuse is refused.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static uint64_t g_clock;

/* The "secure element": a libcrypto key and what its callback should do. */
typedef struct se {
    EVP_PKEY *key;
    uint8_t spki[128];
    size_t spki_len;
    uint8_t scalar[32]; /* only to check the library never holds it */
    int raw;            /* answer r || s instead of DER */
    int fail;           /* 1: return non-zero; 2: a truncated signature */
    int calls;
} se;

static se g_se_server, g_se_client, g_other;

static int se_new(se *s)
{
    unsigned char *p;
    int n;
    BIGNUM *d = NULL;

    memset(s, 0, sizeof *s);
    s->key = EVP_EC_gen("P-256");
    if (s->key == NULL) {
        return 0;
    }
    p = s->spki;
    n = i2d_PUBKEY(s->key, NULL);
    if (n <= 0 || (size_t)n > sizeof s->spki || i2d_PUBKEY(s->key, &p) != n) {
        return 0;
    }
    s->spki_len = (size_t)n;
    if (!EVP_PKEY_get_bn_param(s->key, OSSL_PKEY_PARAM_PRIV_KEY, &d) || BN_bn2binpad(d, s->scalar, 32) != 32) {
        BN_free(d);
        return 0;
    }
    BN_clear_free(d);
    return 1;
}

/* nanodtls_sign_fn backed by EVP_PKEY_sign (ECDSA over the given hash). */
static int se_sign(void *user, const uint8_t *hash, uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
    se *s = (se *)user;
    unsigned char der[80];
    size_t der_len = sizeof der;
    EVP_PKEY_CTX *pc;
    int ok;

    s->calls++;
    if (s->fail == 1) {
        return -1;
    }
    pc = EVP_PKEY_CTX_new(s->key, NULL);
    ok = pc != NULL && EVP_PKEY_sign_init(pc) == 1 && EVP_PKEY_sign(pc, der, &der_len, hash, 32) == 1;
    EVP_PKEY_CTX_free(pc);
    if (!ok) {
        return -1;
    }
    if (s->raw) {
        const unsigned char *q = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)der_len);
        const BIGNUM *r, *ss;
        if (es == NULL || sig_cap < 64) {
            ECDSA_SIG_free(es);
            return -1;
        }
        ECDSA_SIG_get0(es, &r, &ss);
        ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(ss, sig + 32, 32) == 32;
        ECDSA_SIG_free(es);
        *sig_len = 64;
        return ok ? 0 : -1;
    }
    if (der_len > sig_cap) {
        return -1;
    }
    memcpy(sig, der, der_len);
    *sig_len = s->fail == 2 ? der_len - 1 : der_len;
    return 0;
}

/* An ECDHE-ECDSA-only context without a PSK. */
static nanodtls_status init_ecc(nanodtls_ctx *ctx, uint8_t role, t_party *p, int client_auth)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st = nanodtls_config_default(&cfg, role);

    if (st != NANODTLS_OK) {
        return st;
    }
    memset(cfg.suites, 0, sizeof cfg.suites);
    cfg.suites[0] = NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
    cfg.client_auth = (uint8_t)client_auth;
    t_platform(&plat, p);
    return nanodtls_init(ctx, sizeof *ctx, &cfg, &plat);
}

static int contains(const void *hay, size_t n, const uint8_t *needle, size_t m)
{
    const uint8_t *h = (const uint8_t *)hay;
    size_t i;
    for (i = 0; i + m <= n; i++) {
        if (memcmp(h + i, needle, m) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A server whose key is in g_se_server (signer in `format`), a client
 * trusting it; with client_auth, the client's key is in g_se_client and
 * the server trusts it. Returns 1 if both connected. */
static int run(int client_auth, uint8_t server_format, uint8_t client_format)
{
    t_party cp, sp;
    int ok;

    g_clock = 1000;
    t_party_init(&cp, 61, &g_clock);
    t_party_init(&sp, 62, &g_clock);
    t_queues_reset();
    if (init_ecc(&g_client, NANODTLS_ROLE_CLIENT, &cp, 0) != NANODTLS_OK ||
        init_ecc(&g_server, NANODTLS_ROLE_SERVER, &sp, client_auth) != NANODTLS_OK ||
        nanodtls_set_own_key_signer(&g_server, g_se_server.spki, g_se_server.spki_len, se_sign, &g_se_server,
                                    server_format) != NANODTLS_OK ||
        nanodtls_add_trusted_key(&g_client, g_se_server.spki, g_se_server.spki_len) != NANODTLS_OK) {
        return 0;
    }
    if (client_auth &&
        (nanodtls_set_own_key_signer(&g_client, g_se_client.spki, g_se_client.spki_len, se_sign, &g_se_client,
                                     client_format) != NANODTLS_OK ||
         nanodtls_add_trusted_key(&g_server, g_se_client.spki, g_se_client.spki_len) != NANODTLS_OK)) {
        return 0;
    }
    if (nanodtls_connect(&g_client) != NANODTLS_OK) {
        return 0;
    }
    ok = t_handshake(&g_client, &g_server, 10);
    /* The private keys were never handed over: not a byte of them here. */
    T_CHECK(!contains(&g_server, sizeof g_server, g_se_server.scalar, 32));
    T_CHECK(!contains(&g_client, sizeof g_client, g_se_client.scalar, 32));
    return ok;
}

static void finish(void)
{
    (void)nanodtls_deinit(&g_client);
    (void)nanodtls_deinit(&g_server);
}

static void test_server_signs_with_der(void)
{
    g_se_server.calls = 0;
    g_se_server.raw = 0;
    T_CHECK(run(0, NANODTLS_SIG_DER, NANODTLS_SIG_DER));
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_EQ(g_se_server.calls, 1);
    finish();
}

static void test_both_sign_server_der_client_raw(void)
{
    g_se_server.calls = 0;
    g_se_client.calls = 0;
    g_se_server.raw = 0;
    g_se_client.raw = 1;
    T_CHECK(run(1, NANODTLS_SIG_DER, NANODTLS_SIG_RAW));
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_EQ(g_se_server.calls, 1);
    T_EQ(g_se_client.calls, 1);
    g_se_client.raw = 0;
    finish();
}

/* The server's element misbehaves (`fail`): the server ends with
 * internal_error and NANODTLS_E_SIGNER, the client gets the alert. */
static void server_fails(int fail, int raw, uint8_t format)
{
    nanodtls_alert a;

    g_se_server.calls = 0;
    g_se_server.fail = fail;
    g_se_server.raw = raw;
    T_CHECK(!run(0, format, NANODTLS_SIG_DER));
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_server), NANODTLS_E_SIGNER);
    T_ST(nanodtls_last_alert(&g_server, &a), NANODTLS_OK);
    T_EQ(a.level, 2);
    T_EQ(a.description, 80); /* internal_error */
    T_EQ(a.sent, 1);
    T_ST(nanodtls_last_alert(&g_client, &a), NANODTLS_OK);
    T_EQ(a.description, 80);
    T_EQ(a.sent, 0);
    T_CHECK(nanodtls_state(&g_client) != NANODTLS_STATE_CONNECTED);
    T_EQ(g_se_server.calls, 1);
    g_se_server.fail = 0;
    g_se_server.raw = 0;
    finish();
}

static void test_a_failing_signer_fails_closed(void)
{
    server_fails(1, 0, NANODTLS_SIG_DER);
    server_fails(2, 0, NANODTLS_SIG_DER); /* truncated DER */
    server_fails(0, 0, NANODTLS_SIG_RAW); /* DER where raw was promised */
    server_fails(0, 1, NANODTLS_SIG_DER); /* raw where DER was promised */
    T_CHECK(strstr(nanodtls_status_str(NANODTLS_E_SIGNER), "callback") != NULL);
}

static void test_a_failing_client_signer_fails_closed(void)
{
    nanodtls_alert a;

    g_se_client.calls = 0;
    g_se_client.fail = 1;
    T_CHECK(!run(1, NANODTLS_SIG_DER, NANODTLS_SIG_DER));
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_SIGNER);
    T_ST(nanodtls_last_alert(&g_client, &a), NANODTLS_OK);
    T_EQ(a.description, 80);
    T_EQ(a.sent, 1);
    T_EQ(g_se_client.calls, 1);
    g_se_client.fail = 0;
    finish();
}

static void test_misuse_is_refused(void)
{
    t_party p;
    uint8_t bad[128];
    uint8_t spki[NANODTLS_SPKI_LEN];
    size_t n = 0;

    g_clock = 0;
    t_party_init(&p, 70, &g_clock);
    T_ST(init_ecc(&g_client, NANODTLS_ROLE_CLIENT, &p, 0), NANODTLS_OK);
    T_ST(nanodtls_set_own_key_signer(&g_client, g_other.spki, g_other.spki_len, NULL, &g_other, NANODTLS_SIG_DER),
         NANODTLS_E_NULL);
    T_ST(nanodtls_set_own_key_signer(&g_client, NULL, 91, se_sign, &g_other, NANODTLS_SIG_DER), NANODTLS_E_NULL);
    T_ST(nanodtls_set_own_key_signer(&g_client, g_other.spki, g_other.spki_len, se_sign, &g_other, 2),
         NANODTLS_E_INVALID_ARG);
    memcpy(bad, g_other.spki, g_other.spki_len);
    bad[g_other.spki_len - 1] ^= 1; /* off the curve */
    T_ST(nanodtls_set_own_key_signer(&g_client, bad, g_other.spki_len, se_sign, &g_other, NANODTLS_SIG_DER),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_own_key_signer(&g_client, g_other.scalar, 32, se_sign, &g_other, NANODTLS_SIG_DER),
         NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_get_own_spki(&g_client, spki, sizeof spki, &n), NANODTLS_E_STATE);
    T_ST(nanodtls_set_own_key_signer(&g_client, g_other.spki, g_other.spki_len, se_sign, &g_other, NANODTLS_SIG_DER),
         NANODTLS_OK);
    T_ST(nanodtls_get_own_spki(&g_client, spki, sizeof spki, &n), NANODTLS_OK);
    T_EQ(n, g_other.spki_len);
    T_CHECK(memcmp(spki, g_other.spki, n) == 0);
    T_ST(nanodtls_add_trusted_key(&g_client, g_se_server.spki, g_se_server.spki_len), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_set_own_key_signer(&g_client, g_other.spki, g_other.spki_len, se_sign, &g_other, NANODTLS_SIG_DER),
         NANODTLS_E_STATE);
    T_ST(nanodtls_set_own_key_signer(NULL, g_other.spki, g_other.spki_len, se_sign, &g_other, NANODTLS_SIG_DER),
         NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_set_own_key_signer(NULL, g_other.spki, g_other.spki_len, se_sign, &g_other,
                                              NANODTLS_SIG_DER),
         NANODTLS_E_NULL);
    (void)nanodtls_deinit(&g_client);
}

int main(void)
{
    if (!se_new(&g_se_server) || !se_new(&g_se_client) || !se_new(&g_other)) {
        fprintf(stderr, "test_signer: libcrypto could not make P-256 keys\n");
        return 1;
    }
    T_RUN(test_server_signs_with_der);
    T_RUN(test_both_sign_server_der_client_raw);
    T_RUN(test_a_failing_signer_fails_closed);
    T_RUN(test_a_failing_client_signer_fails_closed);
    T_RUN(test_misuse_is_refused);
    EVP_PKEY_free(g_se_server.key);
    EVP_PKEY_free(g_se_client.key);
    EVP_PKEY_free(g_other.key);
    return t_finish("test_signer");
}
