/*
 * The AES/CCM hook (nanodtls_set_aes_hook, cargo feature aes-hook) on
 * OpenSSL's libcrypto (bench/host/libcrypto_aes_hook.c, shared with the
 * host benchmark): a whole-CCM hook (EVP aes-128-ccm) and a block hook
 * (EVP aes-128-ecb, nanodtls's CCM around it) give a PSK handshake and
 * 64-byte records both ways byte-identical to the built-in AES (every
 * datagram compared, for CCM-8 and CCM-16), and are really used (calls
 * counted). A failing hook fails the context closed: NANODTLS_E_CRYPTO from
 * the call and as the sticky error, state FAILED, internal_error (sealed
 * and sent when the hook works again, received by the peer), never the
 * built-in AES; no application data is delivered. A forged record through
 * either hook is dropped and moves nothing. Registration misuse.
 */
#include <string.h>

#include "harness.h"
#include "libcrypto_aes_hook.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static uint64_t g_clock;

/* ---- Hooks on libcrypto ------------------------------------------------- */

static unsigned long g_calls;
/* Calls numbered from 1: fail call g_fail_from and the g_fail_n - 1 after it. */
static unsigned long g_fail_from;
static unsigned long g_fail_n;
static int g_user_ok = 1;
static int g_marker;

static int injected_failure(void *user)
{
    g_calls++;
    if (user != &g_marker) {
        g_user_ok = 0;
    }
    return g_fail_from != 0 && g_calls >= g_fail_from && g_calls < g_fail_from + g_fail_n;
}

/* The hook itself is bench/host/libcrypto_aes_hook.c (shared with the host
 * benchmark); these wrappers count the calls and inject failures. */
static int ossl_block(void *user, const uint8_t *key, uint8_t *block)
{
    if (injected_failure(user)) {
        return -1;
    }
    return libcrypto_aes_block(user, key, block);
}

static int ossl_seal(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                     uint8_t *buf, size_t len, uint8_t *tag, size_t tag_len)
{
    if (injected_failure(user)) {
        return -1;
    }
    return libcrypto_aes_ccm_seal(user, key, nonce, aad, aad_len, buf, len, tag, tag_len);
}

static int ossl_open(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                     uint8_t *buf, size_t len, const uint8_t *tag, size_t tag_len)
{
    if (injected_failure(user)) {
        return -1;
    }
    return libcrypto_aes_ccm_open(user, key, nonce, aad, aad_len, buf, len, tag, tag_len);
}

static const nanodtls_aes_hook CCM_HOOK = {&g_marker, NULL, ossl_seal, ossl_open};
static const nanodtls_aes_hook BLOCK_HOOK = {&g_marker, ossl_block, NULL, NULL};

/* ---- A run that keeps every datagram ------------------------------------ */

#define MAX_LOG 32768
typedef struct transcript {
    uint8_t data[MAX_LOG];
    size_t len;
    int overflow;
} transcript;

static void log_dgram(transcript *tr, int to_server, const uint8_t *d, size_t n)
{
    if (tr->len + n + 3 > MAX_LOG) {
        tr->overflow = 1;
        return;
    }
    tr->data[tr->len++] = (uint8_t)to_server;
    tr->data[tr->len++] = (uint8_t)(n >> 8);
    tr->data[tr->len++] = (uint8_t)n;
    memcpy(tr->data + tr->len, d, n);
    tr->len += n;
}

/* Move datagrams both ways until quiet (at most `rounds`); the last error
 * status of each side's poll/feed goes to *st_c / *st_s (if not NULL). */
static void pump(transcript *tr, int rounds, nanodtls_status *st_c, nanodtls_status *st_s)
{
    static uint8_t d[T_DGRAM_MAX];
    int r, side;
    for (r = 0; r < rounds; r++) {
        size_t moved = 0;
        for (side = 0; side < 2; side++) {
            nanodtls_ctx *from = side == 0 ? &g_client : &g_server;
            nanodtls_ctx *to = side == 0 ? &g_server : &g_client;
            nanodtls_status *st_from = side == 0 ? st_c : st_s;
            nanodtls_status *st_to = side == 0 ? st_s : st_c;
            for (;;) {
                size_t n = 0;
                nanodtls_status st = t_poll(from, d, sizeof d, &n), fs;
                if (st != NANODTLS_OK) {
                    if (st != NANODTLS_DONE && st_from != NULL) {
                        *st_from = st;
                    }
                    break;
                }
                moved++;
                if (tr != NULL) {
                    log_dgram(tr, side == 0, d, n);
                }
                fs = t_feed(to, d, n);
                if (fs != NANODTLS_OK && st_to != NULL) {
                    *st_to = fs;
                }
            }
        }
        if (moved == 0) {
            return;
        }
    }
}

static void setup(uint16_t suite)
{
    static t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;

    t_queues_reset();
    g_clock = 1000;
    t_party_init(&cp, 1, &g_clock);
    t_party_init(&sp, 2, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    if (suite != 0) {
        /* Re-init the client with one suite offered. */
        nanodtls_deinit(&g_client);
        T_ST(nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT), NANODTLS_OK);
        memset(cfg.suites, 0, sizeof cfg.suites);
        cfg.suites[0] = suite;
        t_platform(&plat, &cp);
        T_ST(nanodtls_init(&g_client, sizeof g_client, &cfg, &plat), NANODTLS_OK);
        T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
    }
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
}

static void teardown(void)
{
    nanodtls_deinit(&g_client);
    nanodtls_deinit(&g_server);
    t_queues_reset();
}

/* A 64-byte record `from` -> `to`, logged; returns what `to` read (0: none). */
static size_t record(transcript *tr, int from_client, uint8_t fill, nanodtls_status *st_w, nanodtls_status *st_f)
{
    nanodtls_ctx *from = from_client ? &g_client : &g_server;
    nanodtls_ctx *to = from_client ? &g_server : &g_client;
    uint8_t data[64], d[T_DGRAM_MAX], got[128];
    size_t n = 0, r = 0;

    memset(data, fill, sizeof data);
    *st_w = t_write(from, data, sizeof data);
    *st_f = NANODTLS_OK;
    if (*st_w != NANODTLS_OK) {
        return 0;
    }
    T_ST(t_poll(from, d, sizeof d, &n), NANODTLS_OK);
    if (tr != NULL) {
        log_dgram(tr, from_client, d, n);
    }
    *st_f = t_feed(to, d, n);
    if (t_read(to, got, sizeof got, &r) != NANODTLS_OK) {
        return 0;
    }
    T_CHECK(r == sizeof data && memcmp(got, data, r) == 0);
    return r;
}

/* Handshake and a record each way with `hook` (NULL: built-in) into `tr`. */
static void full_run(const nanodtls_aes_hook *hook, uint16_t suite, transcript *tr)
{
    nanodtls_status w = 0, f = 0;
    memset(tr, 0, sizeof *tr);
    T_ST(nanodtls_set_aes_hook(hook), NANODTLS_OK);
    setup(suite);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    pump(tr, 20, NULL, NULL);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_EQ(record(tr, 1, 0x11, &w, &f), 64);
    T_EQ(record(tr, 0, 0x22, &w, &f), 64);
    T_CHECK(!tr->overflow);
    teardown();
    T_ST(nanodtls_set_aes_hook(NULL), NANODTLS_OK);
}

static transcript g_builtin, g_hooked;

static void test_hooks_match_the_built_in_aes(void)
{
    static const uint16_t suites[2] = {NANODTLS_SUITE_PSK_AES_128_CCM_8, NANODTLS_SUITE_PSK_AES_128_CCM};
    const nanodtls_aes_hook *hooks[2] = {&CCM_HOOK, &BLOCK_HOOK};
    int s, h;

    for (s = 0; s < 2; s++) {
        g_calls = 0;
        full_run(NULL, suites[s], &g_builtin);
        T_EQ(g_calls, 0);
        T_CHECK(g_builtin.len > 500);
        for (h = 0; h < 2; h++) {
            g_calls = 0;
            full_run(hooks[h], suites[s], &g_hooked);
            /* Finished sealed and opened both ways, two records: >= 6
             * whole-CCM calls; the block hook a call per AES block. */
            T_CHECK(g_calls >= (h == 0 ? 6u : 6u * 8u));
            T_EQ(g_hooked.len, g_builtin.len);
            T_CHECK(g_hooked.len == g_builtin.len && memcmp(g_hooked.data, g_builtin.data, g_builtin.len) == 0);
        }
    }
    T_CHECK(g_user_ok);
}

static void check_alert(nanodtls_ctx *c, uint8_t description, uint8_t sent)
{
    nanodtls_alert a;
    T_ST(nanodtls_last_alert(c, &a), NANODTLS_OK);
    T_EQ(a.level, 2);
    T_EQ(a.description, description);
    T_EQ(a.sent, sent);
}

/* The hook fails from its first call on (the client sealing Finished):
 * the client fails closed; the internal_error alert cannot be sealed, so
 * none is sent; the server never connects. */
static void test_broken_hook_fails_the_handshake_closed(int block)
{
    nanodtls_status sc = NANODTLS_OK, ss = NANODTLS_OK;
    g_calls = 0;
    g_fail_from = 1;
    g_fail_n = 1000000;
    T_ST(nanodtls_set_aes_hook(block ? &BLOCK_HOOK : &CCM_HOOK), NANODTLS_OK);
    setup(0);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    pump(NULL, 20, &sc, &ss);
    T_EQ(sc, NANODTLS_E_CRYPTO);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_CRYPTO);
    check_alert(&g_client, 80, 1);
    T_CHECK(nanodtls_state(&g_server) != NANODTLS_STATE_CONNECTED);
    /* Nothing fell back: every AES operation after the first went to the
     * hook (and failed) or was never attempted. */
    T_CHECK(g_calls >= 1);
    teardown();
    g_fail_from = 0;
    T_ST(nanodtls_set_aes_hook(NULL), NANODTLS_OK);
}

static void test_broken_hook_ccm(void)
{
    test_broken_hook_fails_the_handshake_closed(0);
}

static void test_broken_hook_block(void)
{
    test_broken_hook_fails_the_handshake_closed(1);
}

/* Connected; then the hook fails once, when `sealing` the client's record
 * (nanodtls_write) or when the server opens it (nanodtls_feed). That side
 * fails closed with NANODTLS_E_CRYPTO, the record is not delivered, and
 * its internal_error alert (sealed by the working hook) reaches the peer. */
static void transient_failure(int sealing)
{
    nanodtls_status w = 0, f = 0, sc = NANODTLS_OK, ss = NANODTLS_OK;
    nanodtls_ctx *failed = sealing ? &g_client : &g_server;
    nanodtls_ctx *peer = sealing ? &g_server : &g_client;
    uint8_t data[8] = {0};
    uint8_t out[128];
    size_t n = 0;

    T_ST(nanodtls_set_aes_hook(&CCM_HOOK), NANODTLS_OK);
    setup(0);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    pump(NULL, 20, NULL, NULL);
    T_REQUIRE(nanodtls_state(&g_client) == NANODTLS_STATE_CONNECTED);
    T_REQUIRE(nanodtls_state(&g_server) == NANODTLS_STATE_CONNECTED);
    g_fail_from = g_calls + (sealing ? 1 : 2);
    g_fail_n = 1;
    T_EQ(record(NULL, 1, 0x33, &w, &f), 0);
    if (sealing) {
        T_EQ(w, NANODTLS_E_CRYPTO);
    } else {
        T_EQ(w, NANODTLS_OK);
        T_EQ(f, NANODTLS_E_CRYPTO);
    }
    T_EQ(nanodtls_state(failed), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(failed), NANODTLS_E_CRYPTO);
    T_ST(t_read(&g_server, data, sizeof data, &n), sealing ? NANODTLS_DONE : NANODTLS_E_CRYPTO);
    /* Later calls keep failing with the same status. */
    T_ST(nanodtls_write(failed, data, sizeof data, out, sizeof out, &n), NANODTLS_E_CRYPTO);
    /* The alert goes out (sealed by the hook, which works again). */
    pump(NULL, 5, &sc, &ss);
    check_alert(failed, 80, 1);
    T_EQ(nanodtls_state(peer), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(peer), NANODTLS_E_ALERT_RECEIVED);
    check_alert(peer, 80, 0);
    teardown();
    g_fail_from = 0;
    T_ST(nanodtls_set_aes_hook(NULL), NANODTLS_OK);
}

static void test_failure_sealing_a_record(void)
{
    transient_failure(1);
}

static void test_failure_opening_a_record(void)
{
    transient_failure(0);
}

/* Connected through `hook`; a record whose tag is forged reaches the server:
 * the hook judges it (NANODTLS_AES_HOOK_AUTH_FAILED from the CCM pair, a tag
 * mismatch in nanodtls's CCM over the block hook), it is dropped, nothing
 * is delivered and nothing moves: the same record intact is then accepted
 * (its sequence number was not taken; the CCM pair's reused EVP context
 * works after a failed open) and a reply goes back. */
static void forged_then_genuine(const nanodtls_aes_hook *hook)
{
    nanodtls_status w = 0, f = 0;
    uint8_t data[64], d[T_DGRAM_MAX], forged[T_DGRAM_MAX], got[128];
    size_t n = 0, r = 0;
    unsigned long before;

    T_ST(nanodtls_set_aes_hook(hook), NANODTLS_OK);
    setup(0);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    pump(NULL, 20, NULL, NULL);
    T_REQUIRE(nanodtls_state(&g_client) == NANODTLS_STATE_CONNECTED);
    T_REQUIRE(nanodtls_state(&g_server) == NANODTLS_STATE_CONNECTED);
    memset(data, 0x44, sizeof data);
    T_ST(t_write(&g_client, data, sizeof data), NANODTLS_OK);
    T_ST(t_poll(&g_client, d, sizeof d, &n), NANODTLS_OK);
    T_REQUIRE(n > 8 && n <= sizeof forged);
    memcpy(forged, d, n);
    forged[n - 1] ^= 1; /* the last tag byte */
    before = g_calls;
    T_ST(t_feed(&g_server, forged, n), NANODTLS_OK);
    T_CHECK(g_calls > before);
    T_ST(t_read(&g_server, got, sizeof got, &r), NANODTLS_DONE);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_error(&g_server), NANODTLS_OK);
    T_ST(t_feed(&g_server, d, n), NANODTLS_OK);
    T_ST(t_read(&g_server, got, sizeof got, &r), NANODTLS_OK);
    T_CHECK(r == sizeof data && memcmp(got, data, r) == 0);
    T_EQ(record(NULL, 0, 0x55, &w, &f), 64);
    teardown();
    T_ST(nanodtls_set_aes_hook(NULL), NANODTLS_OK);
}

static void test_forged_record_through_the_ccm_hook(void)
{
    forged_then_genuine(&CCM_HOOK);
}

static void test_forged_record_through_the_block_hook(void)
{
    forged_then_genuine(&BLOCK_HOOK);
}

static void test_registration_misuse(void)
{
    nanodtls_aes_hook h;
    memset(&h, 0, sizeof h);
    T_ST(nanodtls_set_aes_hook(&h), NANODTLS_E_INVALID_ARG);
    h.ccm_seal = ossl_seal;
    T_ST(nanodtls_set_aes_hook(&h), NANODTLS_E_INVALID_ARG);
    h.ccm_seal = NULL;
    h.ccm_open = ossl_open;
    T_ST(nanodtls_set_aes_hook(&h), NANODTLS_E_INVALID_ARG);
    /* Refused registrations changed nothing: the built-in AES still works. */
    g_calls = 0;
    full_run(NULL, 0, &g_builtin);
    T_EQ(g_calls, 0);
    T_ST(nanodtls_set_aes_hook(NULL), NANODTLS_OK);
}

int main(void)
{
    T_RUN(test_hooks_match_the_built_in_aes);
    T_RUN(test_broken_hook_ccm);
    T_RUN(test_broken_hook_block);
    T_RUN(test_failure_sealing_a_record);
    T_RUN(test_failure_opening_a_record);
    T_RUN(test_forged_record_through_the_ccm_hook);
    T_RUN(test_forged_record_through_the_block_hook);
    T_RUN(test_registration_misuse);
    libcrypto_aes_hook_cleanup();
    return t_finish("test_aes_hook");
}
