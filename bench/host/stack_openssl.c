/*
 * Host benchmark driver: OpenSSL's libssl, DTLS_client_method /
 * DTLS_server_method pinned to DTLS 1.2, over a memory BIO of our own
 * (one datagram per BIO_read / BIO_write, bench.h's queues; OpenSSL 3.0
 * has no datagram memory BIO). Server: SSL_OP_COOKIE_EXCHANGE with
 * cookie callbacks (HMAC-SHA256 over the client's transport id, compared
 * with CRYPTO_memcmp). PSK: PSK callbacks, PSK-AES128-CCM8. ECDHE-ECDSA:
 * X.509 (OpenSSL has no RFC 7250), P-256, ECDSA+SHA256, the certificate
 * path check replaced by an accept-all callback, so both sides do the
 * same public-key work as nanodtls (ECDHE keygen + ECDH, one signature and
 * one verification each; no chain validation). No tickets, no session
 * cache: every handshake is a full one. A fresh SSL per connection.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define NAME "OpenSSL"

static struct dq c2s, s2c;
static BIO_METHOD *g_meth;
static SSL_CTX *g_psk_c, *g_psk_s, *g_ec_c, *g_ec_s;
static SSL *g_c, *g_s;
static uint8_t g_cookie_secret[32];
static char g_name[64];

/* ---- the datagram BIO: read pops from one queue, write pushes to the other */

struct qpair {
    struct dq *in, *out;
};
static struct qpair g_cq = {&s2c, &c2s}, g_sq = {&c2s, &s2c};

static int qbio_write(BIO *b, const char *data, int len)
{
    struct qpair *p = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    dq_push(p->out, (const uint8_t *)data, (size_t)len);
    return len;
}

static int qbio_read(BIO *b, char *data, int cap)
{
    struct qpair *p = BIO_get_data(b);
    size_t n;
    uint8_t *d = dq_front(p->in, &n);
    BIO_clear_retry_flags(b);
    if (!d) {
        BIO_set_retry_read(b);
        return -1;
    }
    if (n > (size_t)cap)
        n = (size_t)cap; /* a datagram read short is truncated, as on a socket */
    memcpy(data, d, n);
    dq_pop(p->in);
    return (int)n;
}

static long qbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return 1400;
    default:
        return 0;
    }
}

static int qbio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO *qbio(struct qpair *p)
{
    BIO *b = BIO_new(g_meth);
    if (!b)
        fail(NAME, "BIO_new", 0);
    BIO_set_data(b, p);
    return b;
}

/* ---- callbacks --------------------------------------------------------- */

/* The "transport id" of our only client: stands for its address. */
static const unsigned char g_client_id[] = "client 127.0.0.1:5684";

static int cookie_gen(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    (void)ssl;
    if (!HMAC(EVP_sha256(), g_cookie_secret, sizeof g_cookie_secret, g_client_id, sizeof g_client_id, cookie, len))
        return 0;
    return 1;
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int wlen;
    (void)ssl;
    if (!HMAC(EVP_sha256(), g_cookie_secret, sizeof g_cookie_secret, g_client_id, sizeof g_client_id, want, &wlen))
        return 0;
    return len == wlen && CRYPTO_memcmp(cookie, want, len) == 0;
}

static unsigned int psk_client(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
                               unsigned int max_psk)
{
    (void)ssl;
    (void)hint;
    if (strlen(BENCH_PSK_ID) + 1 > max_id || sizeof bench_psk > max_psk)
        return 0;
    memcpy(identity, BENCH_PSK_ID, strlen(BENCH_PSK_ID) + 1);
    memcpy(psk, bench_psk, sizeof bench_psk);
    return sizeof bench_psk;
}

static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk)
{
    (void)ssl;
    if (strcmp(identity, BENCH_PSK_ID) != 0 || sizeof bench_psk > max_psk)
        return 0;
    memcpy(psk, bench_psk, sizeof bench_psk);
    return sizeof bench_psk;
}

static int accept_any(X509_STORE_CTX *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 1;
}

static void ossl_fail(const char *what)
{
    ERR_print_errors_fp(stderr);
    fail(NAME, what, 0);
}

static SSL_CTX *make_ctx(int server, const char *cipher, const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) || !SSL_CTX_set_cipher_list(ctx, cipher))
        ossl_fail("SSL_CTX setup");
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (server) {
        SSL_CTX_set_options(ctx, SSL_OP_COOKIE_EXCHANGE);
        SSL_CTX_set_cookie_generate_cb(ctx, cookie_gen);
        SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
    }
    if (cert) {
        if (!SSL_CTX_set1_groups_list(ctx, "P-256") || !SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256") ||
            SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
            ossl_fail("certificate setup");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_CTX_set_cert_verify_callback(ctx, accept_any, NULL);
    } else if (server) {
        SSL_CTX_set_psk_server_callback(ctx, psk_server);
    } else {
        SSL_CTX_set_psk_client_callback(ctx, psk_client);
    }
    return ctx;
}

static void init(const struct bench_files *f)
{
    if (RAND_bytes(g_cookie_secret, sizeof g_cookie_secret) != 1)
        ossl_fail("RAND_bytes");
    g_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "bench datagram queue");
    if (!g_meth || !BIO_meth_set_write(g_meth, qbio_write) || !BIO_meth_set_read(g_meth, qbio_read) ||
        !BIO_meth_set_ctrl(g_meth, qbio_ctrl) || !BIO_meth_set_create(g_meth, qbio_create))
        ossl_fail("BIO_meth");
    g_psk_c = make_ctx(0, "PSK-AES128-CCM8", NULL, NULL);
    g_psk_s = make_ctx(1, "PSK-AES128-CCM8", NULL, NULL);
    g_ec_c = make_ctx(0, "ECDHE-ECDSA-AES128-CCM8", f->client_crt, f->client_key);
    g_ec_s = make_ctx(1, "ECDHE-ECDSA-AES128-CCM8", f->server_crt, f->server_key);
    snprintf(g_name, sizeof g_name, "%s", OpenSSL_version(OPENSSL_VERSION));
    /* "OpenSSL 3.0.19 27 Jan 2026": keep name and version. */
    char *sp = strchr(g_name, ' ');
    if (sp && (sp = strchr(sp + 1, ' ')))
        *sp = 0;
}

static void setup(SSL_CTX *cctx, SSL_CTX *sctx)
{
    dq_reset(&c2s);
    dq_reset(&s2c);
    g_c = SSL_new(cctx);
    g_s = SSL_new(sctx);
    if (!g_c || !g_s)
        ossl_fail("SSL_new");
    BIO *cb = qbio(&g_cq), *sb = qbio(&g_sq);
    SSL_set_bio(g_c, cb, cb);
    SSL_set_bio(g_s, sb, sb);
    SSL_set_mtu(g_c, 1400);
    SSL_set_mtu(g_s, 1400);
    SSL_set_connect_state(g_c);
    SSL_set_accept_state(g_s);
}

static void step(SSL *ssl, int *done, const char *who)
{
    if (*done)
        return;
    int r = SSL_do_handshake(ssl);
    if (r == 1)
        *done = 1;
    else if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ) {
        fprintf(stderr, "OpenSSL %s: SSL error %d\n", who, SSL_get_error(ssl, r));
        ossl_fail("handshake");
    }
}

static void handshake(void)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 20 && !(cdone && sdone); i++) {
        step(g_c, &cdone, "client");
        step(g_s, &sdone, "server");
        if (i == 0)
            expect_hvr(NAME, &s2c);
    }
    if (!(cdone && sdone))
        fail(NAME, "handshake did not complete", 0);
}

static void expect_suite(const char *want)
{
    const char *c = SSL_CIPHER_get_name(SSL_get_current_cipher(g_c));
    const char *s = SSL_CIPHER_get_name(SSL_get_current_cipher(g_s));
    if (!c || !s || strcmp(c, want) != 0 || strcmp(s, want) != 0)
        fail(NAME, "unexpected cipher suite", 0);
    if (SSL_session_reused(g_c))
        fail(NAME, "session resumed", 0);
}

static void teardown(void)
{
    SSL_free(g_c);
    SSL_free(g_s);
}

static double psk_handshakes(int n)
{
    double t0 = bench_clock();
    for (int i = 0; i < n; i++) {
        setup(g_psk_c, g_psk_s);
        handshake();
        teardown();
    }
    return bench_clock() - t0;
}

static void records(int batches, double *seal_s, double *open_s)
{
    static uint8_t pt[BENCH_BATCH][REC_LEN], out[BENCH_BATCH][DQ_MAX];
    int out_len[BENCH_BATCH];
    setup(g_psk_c, g_psk_s);
    handshake();
    expect_suite("PSK-AES128-CCM8");
    /* The client's last flight is answered by the server's; nothing is
     * left in flight once both report completion. */
    if (c2s.count || s2c.count)
        fail(NAME, "datagrams left after the handshake", (long)(c2s.count + s2c.count));
    for (int b = 0; b < batches; b++) {
        for (int i = 0; i < BENCH_BATCH; i++)
            payload_fill(pt[i], REC_LEN, (uint32_t)i);
        double t0 = bench_clock();
        for (int i = 0; i < BENCH_BATCH; i++)
            if (SSL_write(g_c, pt[i], REC_LEN) != REC_LEN)
                ossl_fail("SSL_write");
        double t1 = bench_clock();
        for (int i = 0; i < BENCH_BATCH; i++)
            out_len[i] = SSL_read(g_s, out[i], DQ_MAX);
        double t2 = bench_clock();
        *seal_s += t1 - t0;
        *open_s += t2 - t1;
        for (int i = 0; i < BENCH_BATCH; i++) {
            if (out_len[i] <= 0)
                ossl_fail("SSL_read");
            payload_check(NAME, out[i], (size_t)out_len[i], (uint32_t)i);
        }
    }
    teardown();
}

static double ecdhe_handshakes(int n)
{
    double t = 0;
    for (int i = 0; i < n; i++) {
        setup(g_ec_c, g_ec_s);
        double t0 = bench_clock();
        handshake();
        t += bench_clock() - t0;
        if (i == 0)
            expect_suite("ECDHE-ECDSA-AES128-CCM8");
        teardown();
    }
    return t;
}

const struct stack stack_openssl = {g_name, init, psk_handshakes, records, ecdhe_handshakes};
