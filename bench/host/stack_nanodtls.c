/*
 * Host benchmark driver: nanodtls (the release static library), the
 * context API (nanodtls_ctx) on both sides, the server with
 * require_cookie = 1. RNG: getrandom(2), as the POSIX tools use; clock:
 * CLOCK_MONOTONIC. ECDHE-ECDSA with raw public keys (RFC 7250): the
 * library has no X.509 handshake yet.
 *
 * Three stacks from this file: stack_nanodtls (the library's own
 * constant-time AES), stack_nanodtls_hook (the same library with
 * libcrypto_ccm_hook registered around each measurement: EVP
 * aes-128-ccm, AES-NI) and, compiled a second time with
 * -DBENCH_NANODTLS_TABLES against a library built with the cargo feature
 * aes-tables whose exported symbols are renamed (scripts/bench-host.sh),
 * stack_nanodtls_tables.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "bench.h"
#include "nanodtls.h"
#ifndef BENCH_NANODTLS_TABLES
#include "libcrypto_aes_hook.h"
#endif

#ifdef BENCH_NANODTLS_TABLES
#define NAME "nanodtls aes-tables"
#define STACK stack_nanodtls_tables
#else
#define NAME "nanodtls"
#define STACK stack_nanodtls
#endif

static int rng(void *user, uint8_t *buf, size_t len)
{
    (void)user;
    size_t got = 0;
    while (got < len) {
        ssize_t r = getrandom(buf + got, len - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static uint64_t clock_ms(void *user)
{
    (void)user;
    return (uint64_t)(now_s() * 1e3);
}

static const nanodtls_platform plat = {rng, clock_ms, NULL};
static nanodtls_ctx g_c, g_s;
static struct dq c2s, s2c;
static char g_name[96];

/* ECDHE-ECDSA: fixed test scalars; SPKIs derived once in init. */
static uint8_t g_kc[32], g_ks[32], g_spki_c[NANODTLS_SPKI_LEN], g_spki_s[NANODTLS_SPKI_LEN];
static int g_have_spki;

static void check(const char *what, nanodtls_status st)
{
    if (st < 0) {
        fprintf(stderr, "nanodtls: %s: %s\n", what, nanodtls_status_str(st));
        fail(NAME, what, st);
    }
}

static void setup(int ecdhe)
{
    nanodtls_config cc, sc;
    nanodtls_config_default(&cc, NANODTLS_ROLE_CLIENT);
    nanodtls_config_default(&sc, NANODTLS_ROLE_SERVER);
    memset(cc.suites, 0, sizeof cc.suites);
    memset(sc.suites, 0, sizeof sc.suites);
    cc.suites[0] = sc.suites[0] = ecdhe ? NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8 : NANODTLS_SUITE_PSK_AES_128_CCM_8;
    sc.require_cookie = 1;
    sc.client_auth = (uint8_t)ecdhe;
    check("init", nanodtls_init(&g_c, sizeof g_c, &cc, &plat));
    check("init", nanodtls_init(&g_s, sizeof g_s, &sc, &plat));
    if (ecdhe) {
        check("set_own_key", nanodtls_set_own_key(&g_c, g_kc, sizeof g_kc));
        check("set_own_key", nanodtls_set_own_key(&g_s, g_ks, sizeof g_ks));
        if (g_have_spki) {
            check("add_trusted_key", nanodtls_add_trusted_key(&g_c, g_spki_s, sizeof g_spki_s));
            check("add_trusted_key", nanodtls_add_trusted_key(&g_s, g_spki_c, sizeof g_spki_c));
        }
    } else {
        check("set_psk", nanodtls_set_psk(&g_c, (const uint8_t *)BENCH_PSK_ID, strlen(BENCH_PSK_ID), bench_psk,
                                          sizeof bench_psk));
        check("set_psk", nanodtls_set_psk(&g_s, (const uint8_t *)BENCH_PSK_ID, strlen(BENCH_PSK_ID), bench_psk,
                                          sizeof bench_psk));
    }
    dq_reset(&c2s);
    dq_reset(&s2c);
}

/* Move everything queued by `from` into `q`. */
static void drain(nanodtls_ctx *from, struct dq *q)
{
    size_t n;
    uint8_t *slot;
    while ((slot = dq_slot(q)) != NULL && nanodtls_poll_datagram(from, slot, DQ_MAX, &n) == NANODTLS_OK)
        dq_commit(q, n);
}

static void deliver(struct dq *q, nanodtls_ctx *to)
{
    uint8_t *d;
    size_t n;
    nanodtls_input in;
    while ((d = dq_front(q, &n)) != NULL) {
        check("feed", nanodtls_feed(to, d, n, &in));
        dq_pop(q);
    }
}

static void handshake(void)
{
    check("connect", nanodtls_connect(&g_c));
    for (int i = 0; i < 20; i++) {
        drain(&g_c, &c2s);
        deliver(&c2s, &g_s);
        drain(&g_s, &s2c);
        if (i == 0)
            expect_hvr(NAME, &s2c);
        deliver(&s2c, &g_c);
        if (nanodtls_state(&g_c) == NANODTLS_STATE_CONNECTED && nanodtls_state(&g_s) == NANODTLS_STATE_CONNECTED)
            return;
    }
    fail(NAME, "handshake did not complete", nanodtls_error(&g_c));
}

/* The suite both sides agreed on. */
static void expect_suite(uint16_t want)
{
    uint16_t c = 0, s = 0;
    check("get_suite", nanodtls_get_suite(&g_c, &c));
    check("get_suite", nanodtls_get_suite(&g_s, &s));
    if (c != want || s != want)
        fail(NAME, "unexpected cipher suite", c);
}

static void teardown(void)
{
    nanodtls_deinit(&g_c);
    nanodtls_deinit(&g_s);
}

static void init(const struct bench_files *f)
{
    (void)f;
    size_t n;
    memset(g_kc, 1, sizeof g_kc);
    memset(g_ks, 2, sizeof g_ks);
    g_kc[0] = g_ks[0] = 0x10;
    setup(1);
    check("get_own_spki", nanodtls_get_own_spki(&g_c, g_spki_c, sizeof g_spki_c, &n));
    check("get_own_spki", nanodtls_get_own_spki(&g_s, g_spki_s, sizeof g_spki_s, &n));
    teardown();
    g_have_spki = 1;
#ifdef NANODTLS_BUILD_NOTE
#define NOTE " (" NANODTLS_BUILD_NOTE ")"
#else
#define NOTE ""
#endif
#ifdef BENCH_NANODTLS_TABLES
    snprintf(g_name, sizeof g_name, "nanodtls %s aes-tables%s, not constant-time", nanodtls_version(), NOTE);
#else
    snprintf(g_name, sizeof g_name, "nanodtls %s%s", nanodtls_version(), NOTE);
#endif
}

static double psk_handshakes(int n)
{
    double t0 = bench_clock();
    for (int i = 0; i < n; i++) {
        setup(0);
        handshake();
        teardown();
    }
    return bench_clock() - t0;
}

static void records(int batches, double *seal_s, double *open_s)
{
    uint8_t pt[BENCH_BATCH][REC_LEN];
    const uint8_t *out[BENCH_BATCH];
    size_t out_len[BENCH_BATCH];
    setup(0);
    handshake();
    expect_suite(NANODTLS_SUITE_PSK_AES_128_CCM_8);
    for (int b = 0; b < batches; b++) {
        for (int i = 0; i < BENCH_BATCH; i++)
            payload_fill(pt[i], REC_LEN, (uint32_t)i);
        double t0 = bench_clock();
        for (int i = 0; i < BENCH_BATCH; i++) {
            size_t n;
            check("write", nanodtls_write(&g_c, pt[i], REC_LEN, dq_slot(&c2s), DQ_MAX, &n));
            dq_commit(&c2s, n);
        }
        double t1 = bench_clock();
        for (int i = 0; i < BENCH_BATCH; i++) {
            size_t n;
            nanodtls_input in;
            uint8_t *d = dq_front(&c2s, &n);
            check("feed", nanodtls_feed(&g_s, d, n, &in));
            out[i] = in.app_data;
            out_len[i] = in.app_len;
            dq_pop(&c2s);
        }
        double t2 = bench_clock();
        *seal_s += t1 - t0;
        *open_s += t2 - t1;
        /* Decrypted in place: the plaintext is in the queue's slots, which
         * the next batch overwrites. */
        for (int i = 0; i < BENCH_BATCH; i++) {
            if (!out[i])
                fail(NAME, "record dropped", i);
            payload_check(NAME, out[i], out_len[i], (uint32_t)i);
        }
    }
    teardown();
}

static double ecdhe_handshakes(int n)
{
    double t = 0;
    for (int i = 0; i < n; i++) {
        setup(1);
        double t0 = bench_clock();
        handshake();
        t += bench_clock() - t0;
        if (i == 0)
            expect_suite(NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8);
        teardown();
    }
    return t;
}

const struct stack STACK = {g_name, init, psk_handshakes, records, ecdhe_handshakes};

#ifndef BENCH_NANODTLS_TABLES
/* The same library with the libcrypto CCM hook registered for each
 * measurement (registration is global; the other stacks run without). */
static char g_hook_name[128];

static void hook_on(void)
{
    check("set_aes_hook", nanodtls_set_aes_hook(&libcrypto_ccm_hook));
}

static void hook_off(void)
{
    check("set_aes_hook", nanodtls_set_aes_hook(NULL));
    libcrypto_aes_hook_cleanup();
}

static void hook_init(const struct bench_files *f)
{
    init(f);
    snprintf(g_hook_name, sizeof g_hook_name, "%s + libcrypto CCM hook", g_name);
}

static double hook_psk_handshakes(int n)
{
    hook_on();
    double t = psk_handshakes(n);
    hook_off();
    return t;
}

static void hook_records(int n, double *seal_s, double *open_s)
{
    hook_on();
    records(n, seal_s, open_s);
    hook_off();
}

static double hook_ecdhe_handshakes(int n)
{
    hook_on();
    double t = ecdhe_handshakes(n);
    hook_off();
    return t;
}

const struct stack stack_nanodtls_hook = {g_hook_name, hook_init, hook_psk_handshakes, hook_records,
                                          hook_ecdhe_handshakes};
#endif
