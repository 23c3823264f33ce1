/*
 * Host benchmark driver: Mbed TLS (Debian's libmbedtls-dev, 2.28.x),
 * MBEDTLS_SSL_TRANSPORT_DATAGRAM, DTLS 1.2, send/receive callbacks on
 * bench.h's queues, a timer that never expires (nothing is lost in
 * memory). Server: mbedtls_ssl_cookie (HelloVerifyRequest; after it the
 * server context is reset and given the client's transport id again, as
 * Mbed TLS's dtls_server example does). PSK: mbedtls_ssl_conf_psk on both
 * sides, MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8. ECDHE-ECDSA: X.509, P-256,
 * SHA-256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, authmode required
 * with the peer's self-signed certificate as the only trust anchor (Mbed
 * TLS accepts a locally trusted end-entity certificate by comparing it,
 * without a signature check: the same public-key work as the others).
 * RNG: CTR_DRBG seeded once from mbedtls_entropy. A fresh
 * mbedtls_ssl_context per connection (mbedtls_ssl_setup / mbedtls_ssl_free).
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define NAME "Mbed TLS"

static struct dq c2s, s2c;
static mbedtls_entropy_context g_entropy;
static mbedtls_ctr_drbg_context g_drbg;
static mbedtls_ssl_cookie_ctx g_cookie;
static mbedtls_ssl_config g_psk_c, g_psk_s, g_ec_c, g_ec_s;
static mbedtls_x509_crt g_crt_c, g_crt_s;
static mbedtls_pk_context g_key_c, g_key_s;
static mbedtls_ssl_context g_c, g_s;
static char g_name[64];

static const int g_psk_suites[] = {MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0};
static const int g_ec_suites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0};
static const mbedtls_ecp_group_id g_curves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};
static const int g_hashes[] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_NONE};
static const unsigned char g_client_id[] = "client 127.0.0.1:5684";

static void check(const char *what, int ret)
{
    if (ret != 0) {
        char msg[128];
        mbedtls_strerror(ret, msg, sizeof msg);
        fprintf(stderr, "Mbed TLS: %s: -0x%04x %s\n", what, (unsigned)-ret, msg);
        fail(NAME, what, ret);
    }
}

static int q_send(struct dq *q, const unsigned char *buf, size_t len)
{
    dq_push(q, buf, len);
    return (int)len;
}

static int q_recv(struct dq *q, unsigned char *buf, size_t cap)
{
    size_t n;
    uint8_t *d = dq_front(q, &n);
    if (!d)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n > cap)
        n = cap;
    memcpy(buf, d, n);
    dq_pop(q);
    return (int)n;
}

/* A timer that is never reported expired: -1 cancelled, 0 running. */
struct timer {
    uint32_t fin_ms;
};
static struct timer g_tc, g_ts;

static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
    (void)int_ms;
    ((struct timer *)ctx)->fin_ms = fin_ms;
}

static int timer_get(void *ctx)
{
    return ((struct timer *)ctx)->fin_ms ? 0 : -1;
}

static void conf(mbedtls_ssl_config *c, int server, const int *suites)
{
    mbedtls_ssl_config_init(c);
    check("config_defaults", mbedtls_ssl_config_defaults(c, server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                                         MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT));
    mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &g_drbg);
    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(c, suites);
    if (server)
        mbedtls_ssl_conf_dtls_cookies(c, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &g_cookie);
}

static void init(const struct bench_files *f)
{
    mbedtls_entropy_init(&g_entropy);
    mbedtls_ctr_drbg_init(&g_drbg);
    check("ctr_drbg_seed", mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy, NULL, 0));
    mbedtls_ssl_cookie_init(&g_cookie);
    check("cookie_setup", mbedtls_ssl_cookie_setup(&g_cookie, mbedtls_ctr_drbg_random, &g_drbg));

    conf(&g_psk_c, 0, g_psk_suites);
    conf(&g_psk_s, 1, g_psk_suites);
    check("conf_psk", mbedtls_ssl_conf_psk(&g_psk_c, bench_psk, sizeof bench_psk,
                                           (const unsigned char *)BENCH_PSK_ID, strlen(BENCH_PSK_ID)));
    check("conf_psk", mbedtls_ssl_conf_psk(&g_psk_s, bench_psk, sizeof bench_psk,
                                           (const unsigned char *)BENCH_PSK_ID, strlen(BENCH_PSK_ID)));

    mbedtls_x509_crt_init(&g_crt_c);
    mbedtls_x509_crt_init(&g_crt_s);
    mbedtls_pk_init(&g_key_c);
    mbedtls_pk_init(&g_key_s);
    check("client certificate", mbedtls_x509_crt_parse_file(&g_crt_c, f->client_crt));
    check("server certificate", mbedtls_x509_crt_parse_file(&g_crt_s, f->server_crt));
    check("client key", mbedtls_pk_parse_keyfile(&g_key_c, f->client_key, NULL));
    check("server key", mbedtls_pk_parse_keyfile(&g_key_s, f->server_key, NULL));
    conf(&g_ec_c, 0, g_ec_suites);
    conf(&g_ec_s, 1, g_ec_suites);
    mbedtls_ssl_config *ec[2] = {&g_ec_c, &g_ec_s};
    for (int i = 0; i < 2; i++) {
        mbedtls_ssl_conf_curves(ec[i], g_curves);
        mbedtls_ssl_conf_sig_hashes(ec[i], g_hashes);
        mbedtls_ssl_conf_authmode(ec[i], MBEDTLS_SSL_VERIFY_REQUIRED);
    }
    check("own_cert", mbedtls_ssl_conf_own_cert(&g_ec_c, &g_crt_c, &g_key_c));
    check("own_cert", mbedtls_ssl_conf_own_cert(&g_ec_s, &g_crt_s, &g_key_s));
    mbedtls_ssl_conf_ca_chain(&g_ec_c, &g_crt_s, NULL);
    mbedtls_ssl_conf_ca_chain(&g_ec_s, &g_crt_c, NULL);
    snprintf(g_name, sizeof g_name, "Mbed TLS %s", MBEDTLS_VERSION_STRING);
}

/* One pair of callbacks per side, each knowing its queues. */
static int c_send(void *ctx, const unsigned char *b, size_t n)
{
    (void)ctx;
    return q_send(&c2s, b, n);
}
static int c_recv(void *ctx, unsigned char *b, size_t n)
{
    (void)ctx;
    return q_recv(&s2c, b, n);
}
static int s_send(void *ctx, const unsigned char *b, size_t n)
{
    (void)ctx;
    return q_send(&s2c, b, n);
}
static int s_recv(void *ctx, unsigned char *b, size_t n)
{
    (void)ctx;
    return q_recv(&c2s, b, n);
}

static void server_id(void)
{
    check("set_client_transport_id", mbedtls_ssl_set_client_transport_id(&g_s, g_client_id, sizeof g_client_id));
}

static void setup(const mbedtls_ssl_config *cc, const mbedtls_ssl_config *sc)
{
    dq_reset(&c2s);
    dq_reset(&s2c);
    mbedtls_ssl_init(&g_c);
    mbedtls_ssl_init(&g_s);
    check("ssl_setup", mbedtls_ssl_setup(&g_c, cc));
    check("ssl_setup", mbedtls_ssl_setup(&g_s, sc));
    mbedtls_ssl_set_bio(&g_c, NULL, c_send, c_recv, NULL);
    mbedtls_ssl_set_bio(&g_s, NULL, s_send, s_recv, NULL);
    mbedtls_ssl_set_mtu(&g_c, 1400);
    mbedtls_ssl_set_mtu(&g_s, 1400);
    mbedtls_ssl_set_timer_cb(&g_c, &g_tc, timer_set, timer_get);
    mbedtls_ssl_set_timer_cb(&g_s, &g_ts, timer_set, timer_get);
    server_id();
}

static void step(mbedtls_ssl_context *ssl, int *done, int server)
{
    if (*done)
        return;
    int r = mbedtls_ssl_handshake(ssl);
    if (r == 0) {
        *done = 1;
    } else if (server && r == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
        /* HelloVerifyRequest sent: start over, the ClientHello with the
         * cookie comes next. */
        check("session_reset", mbedtls_ssl_session_reset(ssl));
        server_id();
    } else if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
        check(server ? "server handshake" : "client handshake", r);
    }
}

static void handshake(void)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 40 && !(cdone && sdone); i++) {
        step(&g_c, &cdone, 0);
        step(&g_s, &sdone, 1);
        if (i == 0)
            expect_hvr(NAME, &s2c);
    }
    if (!(cdone && sdone))
        fail(NAME, "handshake did not complete", 0);
}

static void expect_suite(const char *want)
{
    const char *c = mbedtls_ssl_get_ciphersuite(&g_c), *s = mbedtls_ssl_get_ciphersuite(&g_s);
    if (!c || !s || strcmp(c, want) != 0 || strcmp(s, want) != 0)
        fail(NAME, "unexpected cipher suite", 0);
}

static void teardown(void)
{
    mbedtls_ssl_free(&g_c);
    mbedtls_ssl_free(&g_s);
}

static void connect_pair(const mbedtls_ssl_config *cc, const mbedtls_ssl_config *sc)
{
    setup(cc, sc);
    handshake();
}

static double psk_handshakes(int n)
{
    double t0 = bench_clock();
    for (int i = 0; i < n; i++) {
        connect_pair(&g_psk_c, &g_psk_s);
        teardown();
    }
    return bench_clock() - t0;
}

static void records(int batches, double *seal_s, double *open_s)
{
    static uint8_t pt[BENCH_BATCH][REC_LEN], out[BENCH_BATCH][DQ_MAX];
    int out_len[BENCH_BATCH];
    connect_pair(&g_psk_c, &g_psk_s);
    expect_suite("TLS-PSK-WITH-AES-128-CCM-8");
    if (c2s.count || s2c.count)
        fail(NAME, "datagrams left after the handshake", (long)(c2s.count + s2c.count));
    for (int b = 0; b < batches; b++) {
        for (int i = 0; i < BENCH_BATCH; i++)
            payload_fill(pt[i], REC_LEN, (uint32_t)i);
        double t0 = bench_clock();
        for (int i = 0; i < BENCH_BATCH; i++) {
            int r = mbedtls_ssl_write(&g_c, pt[i], REC_LEN);
            if (r != REC_LEN)
                check("ssl_write", r < 0 ? r : -1);
        }
        double t1 = bench_clock();
        for (int i = 0; i < BENCH_BATCH; i++)
            out_len[i] = mbedtls_ssl_read(&g_s, out[i], DQ_MAX);
        double t2 = bench_clock();
        *seal_s += t1 - t0;
        *open_s += t2 - t1;
        for (int i = 0; i < BENCH_BATCH; i++) {
            if (out_len[i] <= 0)
                check("ssl_read", out_len[i] < 0 ? out_len[i] : -1);
            payload_check(NAME, out[i], (size_t)out_len[i], (uint32_t)i);
        }
    }
    teardown();
}

static double ecdhe_handshakes(int n)
{
    double t = 0;
    for (int i = 0; i < n; i++) {
        setup(&g_ec_c, &g_ec_s);
        double t0 = bench_clock();
        handshake();
        t += bench_clock() - t0;
        if (i == 0)
            expect_suite("TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8");
        teardown();
    }
    return t;
}

const struct stack stack_mbedtls = {g_name, init, psk_handshakes, records, ecdhe_handshakes};
