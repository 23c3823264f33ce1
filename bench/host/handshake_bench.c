/*
 * Host benchmark: time of a complete ECDHE-ECDSA (P-256, AES-128-CCM-8)
 * handshake with mutual authentication, client and server in one process
 * and one thread, for nanodtls and for OpenSSL, in the same run.
 *
 *   nanodtls: raw public keys (RFC 7250), datagrams passed through arrays.
 *   OpenSSL:  X.509 certificates (it has no RFC 7250), datagrams over an
 *             AF_UNIX SOCK_DGRAM socketpair, certificate path checks
 *             replaced by an accept-all callback (so both sides do the same
 *             public-key work: ECDHE keygen + ECDH, one signature and one
 *             verification each; no chain validation).
 * Cookies are off on both servers. Prints min / median / max of N runs.
 *
 *   scripts/bench-host.sh      builds and runs this (see there)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nanodtls.h"

#define RUNS 20

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("| %s | %.2f | %.2f | %.2f |\n", name, t[0], t[n / 2], t[n - 1]);
}

/* ---- nanodtls ---------------------------------------------------------- */

static uint64_t g_rng_state = 0x9e3779b97f4a7c15ull;

static int rng(void *user, uint8_t *buf, size_t len)
{
    (void)user;
    /* xorshift64*: deterministic; fine for a benchmark, never for production. */
    for (size_t i = 0; i < len; i++) {
        g_rng_state ^= g_rng_state >> 12;
        g_rng_state ^= g_rng_state << 25;
        g_rng_state ^= g_rng_state >> 27;
        buf[i] = (uint8_t)((g_rng_state * 0x2545F4914F6CDD1Dull) >> 56);
    }
    return 0;
}

static uint64_t clock_ms(void *user)
{
    (void)user;
    return (uint64_t)now_ms();
}

static nanodtls_ctx g_c, g_s;

static void die(const char *what, int st)
{
    fprintf(stderr, "%s: %d (%s)\n", what, st, nanodtls_status_str(st));
    exit(1);
}

static void key_of(uint8_t k[32], uint8_t n)
{
    memset(k, n, 32);
    k[0] = 0x10;
}

static double nanodtls_handshake(void)
{
    nanodtls_config cc, sc;
    nanodtls_platform plat = {rng, clock_ms, NULL};
    uint8_t kc[32], ks[32], spki_c[NANODTLS_SPKI_LEN], spki_s[NANODTLS_SPKI_LEN], buf[1500];
    size_t n;
    nanodtls_input in;
    int st;

    nanodtls_config_default(&cc, NANODTLS_ROLE_CLIENT);
    nanodtls_config_default(&sc, NANODTLS_ROLE_SERVER);
    memset(cc.suites, 0, sizeof cc.suites);
    cc.suites[0] = NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
    sc.require_cookie = 0;
    sc.client_auth = 1;
    key_of(kc, 1);
    key_of(ks, 2);
    if ((st = nanodtls_init(&g_c, sizeof g_c, &cc, &plat)) || (st = nanodtls_init(&g_s, sizeof g_s, &sc, &plat)))
        die("init", st);
    /* Key setup (public key derivation) is configuration, not handshake. */
    nanodtls_set_own_key(&g_c, kc, 32);
    nanodtls_set_own_key(&g_s, ks, 32);
    nanodtls_get_own_spki(&g_c, spki_c, sizeof spki_c, &n);
    nanodtls_get_own_spki(&g_s, spki_s, sizeof spki_s, &n);
    nanodtls_add_trusted_key(&g_c, spki_s, sizeof spki_s);
    nanodtls_add_trusted_key(&g_s, spki_c, sizeof spki_c);

    double t0 = now_ms();
    if ((st = nanodtls_connect(&g_c)))
        die("connect", st);
    for (int round = 0; round < 10; round++) {
        /* Handshake datagrams carry no application data: one feed each. */
        while (nanodtls_poll_datagram(&g_c, buf, sizeof buf, &n) == NANODTLS_OK)
            if ((st = nanodtls_feed(&g_s, buf, n, &in)) < 0)
                die("server feed", st);
        while (nanodtls_poll_datagram(&g_s, buf, sizeof buf, &n) == NANODTLS_OK)
            if ((st = nanodtls_feed(&g_c, buf, n, &in)) < 0)
                die("client feed", st);
        if (nanodtls_state(&g_c) == NANODTLS_STATE_CONNECTED && nanodtls_state(&g_s) == NANODTLS_STATE_CONNECTED)
            break;
    }
    double t = now_ms() - t0;
    if (nanodtls_state(&g_c) != NANODTLS_STATE_CONNECTED || nanodtls_state(&g_s) != NANODTLS_STATE_CONNECTED)
        die("nanodtls handshake did not complete", nanodtls_error(&g_c));
    nanodtls_deinit(&g_c);
    nanodtls_deinit(&g_s);
    return t;
}

/* ---- OpenSSL ------------------------------------------------------------- */

static int accept_any(X509_STORE_CTX *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 1;
}

static SSL_CTX *make_ctx(int server, const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-CCM8") || !SSL_CTX_set1_groups_list(ctx, "P-256") ||
        !SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256") ||
        SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, accept_any, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

static double openssl_handshake(SSL_CTX *cctx, SSL_CTX *sctx)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fds) != 0) {
        perror("socketpair");
        exit(1);
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *cb = BIO_new_dgram(fds[0], BIO_NOCLOSE), *sb = BIO_new_dgram(fds[1], BIO_NOCLOSE);
    /* The socketpair is connected: make the BIOs use send(), not sendto(). */
    BIO_ADDR *peer = BIO_ADDR_new();
    BIO_ctrl_set_connected(cb, peer);
    BIO_ctrl_set_connected(sb, peer);
    BIO_ADDR_free(peer);
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_mtu(c, 1400);
    SSL_set_mtu(s, 1400);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    double t0 = now_ms();
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 1000 && !(cdone && sdone); i++) {
        if (!cdone) {
            int r = SSL_do_handshake(c);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ) {
                fprintf(stderr, "OpenSSL client: SSL error %d (errno %d)\n", SSL_get_error(c, r), errno);
                ERR_print_errors_fp(stderr);
                exit(1);
            }
        }
        if (!sdone) {
            int r = SSL_do_handshake(s);
            if (r == 1)
                sdone = 1;
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ) {
                fprintf(stderr, "OpenSSL server: SSL error %d (errno %d)\n", SSL_get_error(s, r), errno);
                ERR_print_errors_fp(stderr);
                exit(1);
            }
        }
    }
    double t = now_ms() - t0;
    if (!(cdone && sdone)) {
        fprintf(stderr, "OpenSSL handshake did not complete\n");
        exit(1);
    }
    SSL_free(c);
    SSL_free(s);
    close(fds[0]);
    close(fds[1]);
    return t;
}

int main(int argc, char **argv)
{
    double a[RUNS], b[RUNS];
    if (argc != 5) {
        fprintf(stderr, "usage: %s server.crt server.key client.crt client.key (PEM)\n", argv[0]);
        return 2;
    }
    SSL_CTX *sctx = make_ctx(1, argv[1], argv[2]);
    SSL_CTX *cctx = make_ctx(0, argv[3], argv[4]);
    /* Warm up caches and lazy initialisation on both sides. */
    (void)nanodtls_handshake();
    (void)openssl_handshake(cctx, sctx);
    for (int i = 0; i < RUNS; i++) {
        a[i] = nanodtls_handshake();
        b[i] = openssl_handshake(cctx, sctx);
    }
    printf("ECDHE-ECDSA-AES128-CCM8 (P-256), mutual authentication, client + server in one thread, %d runs\n\n", RUNS);
    printf("| stack | min ms | median ms | max ms |\n|---|---|---|---|\n");
    report(nanodtls_version() ? "nanodtls (raw public keys)" : "nanodtls", a, RUNS);
    report(OpenSSL_version(OPENSSL_VERSION), b, RUNS);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    return 0;
}
