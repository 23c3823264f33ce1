/*
 * In-memory handshakes through the C API: a client context against a
 * server context and against a server endpoint with two peer slots.
 * Deterministic RNG and a virtual clock (see harness.c); datagrams pass
 * through arrays. Checks states, suite, application data both ways, PSK
 * identities, statistics, close_notify, zeroization at deinit, a wrong
 * key (bad_record_mac) and an unknown identity (decrypt_error, RFC 7925),
 * both reported when the server's handshake deadline passes: the records
 * and messages that show them are unauthenticated, so they are never
 * fatal on their own (RFC 6347 4.1.2.7).
 */
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_client2;
static nanodtls_ctx g_client3;
static nanodtls_ctx g_server;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[2];
static uint64_t g_clock;
static t_flight g_f;

/* Move one record of application data from `from` to `to` and check it. */
static void transfer(nanodtls_ctx *from, nanodtls_ctx *to, const char *text)
{
    uint8_t buf[256];
    size_t n = 0;
    size_t len = strlen(text);

    T_ST(t_write(from, (const uint8_t *)text, len), NANODTLS_OK);
    g_f.n = 0;
    T_EQ(t_collect(from, &g_f), 1);
    T_ST(t_deliver(to, &g_f), NANODTLS_OK);
    T_ST(t_read(to, buf, sizeof buf, &n), NANODTLS_OK);
    T_EQ(n, len);
    T_CHECK(n == len && memcmp(buf, text, len) == 0);
    T_ST(t_read(to, buf, sizeof buf, &n), NANODTLS_DONE);
}

static void check_alert(nanodtls_ctx *c, uint8_t level, uint8_t description, uint8_t sent)
{
    nanodtls_alert a;
    memset(&a, 0xee, sizeof a);
    T_ST(nanodtls_last_alert(c, &a), NANODTLS_OK);
    T_EQ(a.level, level);
    T_EQ(a.description, description);
    T_EQ(a.sent, sent);
}

static void test_ctx_to_ctx(void)
{
    t_party cp, sp;
    uint16_t suite = 0;
    uint8_t id[NANODTLS_MAX_PSK_IDENTITY];
    size_t n = 0;
    uint8_t buf[256];
    nanodtls_stats cs, ss;

    g_clock = 1000;
    t_party_init(&cp, 1, &g_clock);
    t_party_init(&sp, 2, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_IDLE);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_HANDSHAKING); /* waiting for a ClientHello */
    check_alert(&g_client, 0, 0, 0);

    /* Before the handshake a server has no client identity yet. */
    T_ST(nanodtls_get_psk_identity(&g_server, id, sizeof id, &n), NANODTLS_E_STATE);

    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_HANDSHAKING);

    /* Flight 1 -> HelloVerifyRequest (the server context uses cookies). */
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1);
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    g_f.n = 0;
    T_EQ(t_collect(&g_server, &g_f), 1);
    T_ST(t_deliver(&g_client, &g_f), NANODTLS_OK);

    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_error(&g_client), NANODTLS_OK);
    T_ST(nanodtls_error(&g_server), NANODTLS_OK);

    T_ST(nanodtls_get_suite(&g_client, &suite), NANODTLS_OK);
    T_EQ(suite, 0xC0A8);
    suite = 0;
    T_ST(nanodtls_get_suite(&g_server, &suite), NANODTLS_OK);
    T_EQ(suite, NANODTLS_SUITE_PSK_AES_128_CCM_8);

    T_ST(nanodtls_get_psk_identity(&g_server, id, sizeof id, &n), NANODTLS_OK);
    T_CHECK(n == strlen(T_ID) && memcmp(id, T_ID, n) == 0);
    T_ST(nanodtls_get_psk_identity(&g_client, id, sizeof id, &n), NANODTLS_OK);
    T_CHECK(n == strlen(T_ID) && memcmp(id, T_ID, n) == 0);

    /* No retransmission timer once connected (the server keeps its last
     * flight only to answer a retransmitted client flight). */
    {
        uint32_t ms = 4242;
        T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_DONE);
        T_EQ(ms, 4242);
    }

    /* Application data both ways. */
    transfer(&g_client, &g_server, "hello server");
    transfer(&g_server, &g_client, "hello client");
    transfer(&g_client, &g_server, "");

    /* Two records in one datagram (sealed back to back into one buffer)
     * are read one by one. */
    g_f.n = 1;
    T_ST(nanodtls_write(&g_client, (const uint8_t *)"one", 3, g_f.d[0].data, sizeof g_f.d[0].data, &n), NANODTLS_OK);
    g_f.d[0].len = n;
    T_ST(nanodtls_write(&g_client, (const uint8_t *)"two", 3, g_f.d[0].data + n, sizeof g_f.d[0].data - n, &n),
         NANODTLS_OK);
    g_f.d[0].len += n;
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    T_ST(t_read(&g_server, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == 3 && memcmp(buf, "one", 3) == 0);
    T_ST(t_read(&g_server, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == 3 && memcmp(buf, "two", 3) == 0);
    T_ST(t_read(&g_server, buf, sizeof buf, &n), NANODTLS_DONE);

    /* A replayed datagram is dropped and counted, not delivered. */
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    T_ST(t_read(&g_server, buf, sizeof buf, &n), NANODTLS_DONE);

    T_ST(nanodtls_get_stats(&g_client, &cs), NANODTLS_OK);
    T_ST(nanodtls_get_stats(&g_server, &ss), NANODTLS_OK);
    T_CHECK(cs.tx_datagrams >= 3 && cs.rx_datagrams >= 2);
    T_CHECK(cs.tx_bytes > 0 && cs.rx_bytes > 0 && cs.tx_records >= cs.tx_datagrams);
    T_CHECK(ss.tx_datagrams >= 2 && ss.rx_datagrams >= 3);
    T_EQ(cs.app_records_tx, 4);
    T_EQ(cs.app_records_rx, 1);
    T_EQ(ss.app_records_rx, 4);
    T_EQ(ss.app_records_tx, 1);
    T_EQ(cs.hello_verify_requests, 1);
    T_EQ(ss.hello_verify_requests, 1);
    T_CHECK(ss.dropped_replay >= 2);
    T_EQ(cs.dropped_auth, 0);
    T_EQ(ss.dropped_auth, 0);
    T_EQ(cs.retransmits, 0);

    /* close_notify: the other side ends up CLOSED and answers in kind. */
    T_ST(nanodtls_close(&g_client), NANODTLS_OK);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CLOSED);
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1);
    check_alert(&g_client, 1, 0, 1);
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CLOSED);
    T_ST(nanodtls_error(&g_server), NANODTLS_E_CLOSED);
    T_ST(t_read(&g_server, buf, sizeof buf, &n), NANODTLS_E_CLOSED);
    check_alert(&g_server, 1, 0, 0);
    g_f.n = 0;
    T_EQ(t_collect(&g_server, &g_f), 1); /* its own close_notify */
    T_ST(t_write(&g_server, (const uint8_t *)"x", 1), NANODTLS_E_CLOSED);

    /* Deinit wipes every byte. */
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_client, sizeof g_client, 0));
    T_CHECK(t_all_bytes(&g_server, sizeof g_server, 0));
}

/* Deinit of a connected context (no close first) wipes everything too. */
static void test_deinit_connected_zeroizes(void)
{
    t_party cp, sp;

    g_clock = 0;
    t_party_init(&cp, 5, &g_clock);
    t_party_init(&sp, 6, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    /* Leave unread data and unsent records behind. */
    T_ST(t_write(&g_client, (const uint8_t *)"secret data", 11), NANODTLS_OK);
    g_f.n = 0;
    t_collect(&g_client, &g_f);
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    T_ST(t_write(&g_server, (const uint8_t *)"unsent", 6), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_server, sizeof g_server, 0));
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_client, sizeof g_client, 0));
}

static void test_ccm16_suite(void)
{
    t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    uint16_t suite = 0;

    g_clock = 0;
    t_party_init(&cp, 7, &g_clock);
    t_party_init(&sp, 8, &g_clock);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    memset(cfg.suites, 0, sizeof cfg.suites);
    cfg.suites[0] = NANODTLS_SUITE_PSK_AES_128_CCM;
    t_platform(&plat, &cp);
    T_ST(nanodtls_init(&g_client, sizeof g_client, &cfg, &plat), NANODTLS_OK);
    T_ST(nanodtls_set_psk(&g_client, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    T_ST(nanodtls_get_suite(&g_server, &suite), NANODTLS_OK);
    T_EQ(suite, NANODTLS_SUITE_PSK_AES_128_CCM);
    transfer(&g_client, &g_server, "sixteen-byte tags");
    transfer(&g_server, &g_client, "back");
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

/* Move datagrams both ways, running the timers when nothing moves, until
 * both sides are connected or one failed and nothing is left in flight. */
static void drive(nanodtls_ctx *c, nanodtls_ctx *s)
{
    int step;

    for (step = 0; step < 50; step++) {
        size_t moved = 0;
        g_f.n = 0;
        moved += t_collect(c, &g_f);
        (void)t_deliver(s, &g_f);
        g_f.n = 0;
        moved += t_collect(s, &g_f);
        (void)t_deliver(c, &g_f);
        if (moved != 0) {
            continue;
        }
        if (nanodtls_state(c) == NANODTLS_STATE_FAILED || nanodtls_state(s) == NANODTLS_STATE_FAILED ||
            (nanodtls_state(c) == NANODTLS_STATE_CONNECTED && nanodtls_state(s) == NANODTLS_STATE_CONNECTED)) {
            return;
        }
        if (!t_fire_timers(&g_clock, c, s)) {
            return;
        }
    }
}

/* A client whose handshake deadline is 10 s later than the server's, so
 * that it is still there to receive what the server says at its own. */
static void setup_patient_client(nanodtls_ctx *ctx, t_party *p, const char *id, const uint8_t *key)
{
    nanodtls_config cfg;
    nanodtls_platform plat;

    T_ST(nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT), NANODTLS_OK);
    cfg.handshake_timeout_ms += 10000;
    t_platform(&plat, p);
    T_ST(nanodtls_init(ctx, sizeof *ctx, &cfg, &plat), NANODTLS_OK);
    T_ST(nanodtls_set_psk(ctx, (const uint8_t *)id, strlen(id), key, 16), NANODTLS_OK);
}

/* Run a handshake that the server refuses: it waits for its deadline (what
 * it refused is unauthenticated), then ends it with the fatal alert
 * `alert_desc`, which the client receives. */
static void expect_server_alert(const char *client_id, const uint8_t *client_key, const uint8_t *server_key,
                                uint8_t alert_desc)
{
    t_party cp, sp;
    uint8_t buf[64];
    size_t n = 0;
    nanodtls_stats ss;

    g_clock = 0;
    t_party_init(&cp, 9, &g_clock);
    t_party_init(&sp, 10, &g_clock);
    setup_patient_client(&g_client, &cp, client_id, client_key);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, server_key, 16), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    drive(&g_client, &g_server);

    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_server), NANODTLS_E_TIMEOUT);
    T_CHECK(g_clock >= 120000);
    check_alert(&g_server, 2, alert_desc, 1);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_ALERT_RECEIVED);
    check_alert(&g_client, 2, alert_desc, 0);

    /* Sticky: every later call reports the failure. */
    T_ST(t_write(&g_client, buf, 1), NANODTLS_E_ALERT_RECEIVED);
    T_ST(t_feed(&g_client, buf, 0), NANODTLS_E_ALERT_RECEIVED);
    T_ST(t_read(&g_client, buf, sizeof buf, &n), NANODTLS_E_ALERT_RECEIVED);
    T_ST(nanodtls_handle_timeout(&g_server), NANODTLS_E_TIMEOUT);
    T_ST(nanodtls_get_stats(&g_server, &ss), NANODTLS_OK);
    T_EQ(ss.app_records_rx, 0);
    if (alert_desc == 20) {
        /* bad_record_mac: the client's Finished failed authentication,
         * in the first flight and every retransmission. */
        T_CHECK(ss.dropped_auth >= 2);
    } else {
        /* decrypt_error: the ClientKeyExchange was refused (and discarded). */
        T_CHECK(ss.dropped_rejected >= 1);
    }
    {
        uint32_t ms = 1;
        T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_DONE);
        T_ST(nanodtls_timeout_ms(&g_server, &ms), NANODTLS_DONE);
    }
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_server, sizeof g_server, 0));
}

static const uint8_t OTHER_KEY[16] = {0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                      0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static void test_wrong_key(void)
{
    /* Both sides derive their record keys from the PSK, so the server
     * cannot even decrypt the record carrying the client's Finished: an
     * AEAD failure, not a Finished mismatch. Such records are dropped
     * (RFC 6347 4.1.2.7) and are no evidence (anyone can send one); at its
     * deadline the server names the likely cause with bad_record_mac,
     * instead of the decrypt_error a Finished mismatch would give. */
    expect_server_alert(T_ID, T_KEY, OTHER_KEY, 20);
}

static void test_unknown_identity(void)
{
    /* RFC 7925: an unknown identity is answered with decrypt_error, so
     * that it cannot be told from a wrong key by its alert alone. */
    expect_server_alert("mallory", T_KEY, T_KEY, 51);
    T_CHECK(strcmp(nanodtls_alert_name(51), "decrypt_error") == 0);
}

static void test_state_names(void)
{
    t_party cp, sp;

    g_clock = 1000;
    t_party_init(&cp, 61, &g_clock);
    t_party_init(&sp, 62, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(&g_client)), "IDLE") == 0);
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(&g_server)), "HANDSHAKING") == 0);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(&g_client)), "HANDSHAKING") == 0);
    T_REQUIRE(t_handshake(&g_client, &g_server, 10));
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(&g_client)), "CONNECTED") == 0);
    T_ST(nanodtls_close(&g_client), NANODTLS_OK);
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(&g_client)), "CLOSED") == 0);
    T_CHECK(strcmp(nanodtls_state_name(NANODTLS_STATE_FAILED), "FAILED") == 0);
    /* Misuse statuses read as their status text; unknown values. */
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(NULL)), nanodtls_status_str(NANODTLS_E_NULL)) == 0);
    T_CHECK(strcmp(nanodtls_state_name(99), "unknown state") == 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(&g_client)), nanodtls_status_str(NANODTLS_E_NOT_INITIALIZED)) ==
            0);
}

/* The README's main loop, as written, against an in-memory server: it
 * ends, on CLOSED, after its close_notify went out. */
static void test_readme_loop_ends_after_the_last_alert(void)
{
    static t_flight to_client;
    t_party cp, sp;
    uint8_t out[1500];
    uint8_t app[256];
    size_t next = 0;
    int sent = 0, got = 0, rounds = 0;
    nanodtls_alert a;

    g_clock = 1000;
    t_party_init(&cp, 71, &g_clock);
    t_party_init(&sp, 72, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    to_client.n = 0;
    for (;;) {
        size_t n;
        uint32_t ms;
        int32_t state;
        T_REQUIRE(rounds++ < 50);
        while (nanodtls_poll_datagram(&g_client, out, sizeof out, &n) == NANODTLS_OK) {
            /* sendto(): the server answers (and echoes) at once. */
            T_ST(t_feed(&g_server, out, n), NANODTLS_OK);
            while (t_read(&g_server, app, sizeof app, &n) == NANODTLS_OK) {
                T_ST(t_write(&g_server, app, n), NANODTLS_OK);
            }
            t_collect(&g_server, &to_client);
        }
        state = nanodtls_state(&g_client);
        if (state == NANODTLS_STATE_CLOSED || state == NANODTLS_STATE_FAILED) {
            break;
        }
        if (nanodtls_timeout_ms(&g_client, &ms) != NANODTLS_OK) {
            ms = 1000;
        }
        if (next < to_client.n) { /* wait_for_datagram() */
            nanodtls_input in;
            size_t at = 0;
            nanodtls_status st;
            n = to_client.d[next].len;
            memcpy(out, to_client.d[next].data, n);
            next++;
            do { /* decrypted in place; one application record per call */
                st = nanodtls_feed(&g_client, out + at, n - at, &in);
                T_CHECK(st == NANODTLS_OK || st == NANODTLS_MORE);
                if (in.app_data) {
                    got += in.app_len == 4 && memcmp(in.app_data, "ping", 4) == 0;
                }
                at += in.consumed;
            } while (st == NANODTLS_MORE);
        } else {
            g_clock += ms;
            T_ST(nanodtls_handle_timeout(&g_client), NANODTLS_OK);
        }
        if (!sent && state == NANODTLS_STATE_CONNECTED) { /* sealed straight into out */
            T_ST(nanodtls_write(&g_client, (const uint8_t *)"ping", 4, out, sizeof out, &n), NANODTLS_OK);
            /* sendto() */
            T_ST(t_feed(&g_server, out, n), NANODTLS_OK);
            while (t_read(&g_server, app, sizeof app, &n) == NANODTLS_OK) {
                T_ST(t_write(&g_server, app, n), NANODTLS_OK);
            }
            t_collect(&g_server, &to_client);
            sent = 1;
        }
        if (got && state == NANODTLS_STATE_CONNECTED) {
            T_ST(nanodtls_close(&g_client), NANODTLS_OK);
        }
    }
    T_CHECK(strcmp(nanodtls_state_name(nanodtls_state(&g_client)), "CLOSED") == 0);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_CLOSED);
    T_EQ(got, 1);
    /* The close_notify went out before the loop ended. */
    T_EQ(nanodtls_state(&g_server), NANODTLS_STATE_CLOSED);
    T_ST(nanodtls_last_alert(&g_server, &a), NANODTLS_OK);
    T_EQ(a.description, 0);
    T_EQ(a.sent, 0);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

/* ---- Endpoint ----------------------------------------------------------- */

struct ep_client {
    nanodtls_ctx *ctx;
    uint8_t addr[16]; /* opaque bytes, e.g. a struct sockaddr_in */
};

/* One exchange: every client's datagrams to the endpoint, then the
 * endpoint's datagrams to the clients they are addressed to. Returns the
 * number of datagrams moved. */
static size_t ep_round(struct ep_client *cl, size_t ncl)
{
    size_t moved = 0;
    size_t i;
    for (i = 0; i < ncl; i++) {
        g_f.n = 0;
        moved += t_collect(cl[i].ctx, &g_f);
        (void)t_deliver_ep(&g_ep, cl[i].addr, sizeof cl[i].addr, &g_f);
    }
    g_f.n = 0;
    moved += t_collect_ep(&g_ep, &g_f);
    for (i = 0; i < ncl; i++) {
        (void)t_deliver_to(cl[i].ctx, cl[i].addr, sizeof cl[i].addr, &g_f);
    }
    return moved;
}

/* Take the next endpoint event; returns 0 if there is none. */
static int next_event(nanodtls_event *ev, uint8_t *addr, size_t *alen)
{
    return nanodtls_endpoint_poll_event(&g_ep, ev, addr, NANODTLS_MAX_PEER_ADDR, alen) == NANODTLS_OK;
}

/* Lookup for a second device identity with its own key. */
static const uint8_t KEY2[16] = {0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
                                 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};
static int lookup_client2(void *user, const uint8_t *identity, size_t identity_len, uint8_t *key, size_t key_cap,
                          size_t *key_len)
{
    int *calls = (int *)user;
    (*calls)++;
    if (identity_len == 7 && memcmp(identity, "client2", 7) == 0 && key_cap >= sizeof KEY2) {
        memcpy(key, KEY2, sizeof KEY2);
        *key_len = sizeof KEY2;
        return 0;
    }
    return 1;
}

static void test_endpoint_two_peers(void)
{
    t_party cpa, cpb, cpc, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    struct ep_client cl[3];
    nanodtls_event ev;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t alen = 0;
    uint8_t buf[256];
    size_t n = 0;
    int connected_a = 0, connected_b = 0;
    int lookups = 0;
    int r;
    nanodtls_endpoint_stats es;
    nanodtls_stats ps;

    g_clock = 5000;
    t_party_init(&cpa, 31, &g_clock);
    t_party_init(&cpb, 32, &g_clock);
    t_party_init(&cpc, 33, &g_clock);
    t_party_init(&sp, 34, &g_clock);
    memset(cl, 0, sizeof cl);
    cl[0].ctx = &g_client;
    cl[1].ctx = &g_client2;
    cl[2].ctx = &g_client3;
    memset(cl[0].addr, 'A', sizeof cl[0].addr);
    memset(cl[1].addr, 'B', sizeof cl[1].addr);
    memset(cl[2].addr, 'C', sizeof cl[2].addr);

    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk_lookup(&g_ep, lookup_client2, &lookups), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cpa, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_client2, NANODTLS_ROLE_CLIENT, &cpb, "client2", KEY2, sizeof KEY2), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client2), NANODTLS_OK);

    /* Both handshakes interleaved. */
    for (r = 0; r < 10; r++) {
        ep_round(cl, 2);
    }
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_client2), NANODTLS_STATE_CONNECTED);
    T_EQ(lookups, 1);

    while (next_event(&ev, addr, &alen)) {
        T_EQ(ev.kind, NANODTLS_EVENT_CONNECTED);
        T_EQ(ev.suite, 0xC0A8);
        T_ST(ev.status, NANODTLS_OK);
        T_EQ(alen, 16);
        if (memcmp(addr, cl[0].addr, 16) == 0) {
            connected_a++;
        } else if (memcmp(addr, cl[1].addr, 16) == 0) {
            connected_b++;
        }
    }
    T_EQ(connected_a, 1);
    T_EQ(connected_b, 1);

    T_ST(nanodtls_endpoint_peer_identity(&g_ep, cl[0].addr, 16, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == 7 && memcmp(buf, "client1", 7) == 0);
    T_ST(nanodtls_endpoint_peer_identity(&g_ep, cl[1].addr, 16, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == 7 && memcmp(buf, "client2", 7) == 0);

    /* Application data: each client to the endpoint, replies back. */
    T_ST(t_write(&g_client, (const uint8_t *)"from A", 6), NANODTLS_OK);
    T_ST(t_write(&g_client2, (const uint8_t *)"from B", 6), NANODTLS_OK);
    ep_round(cl, 2);
    for (r = 0; r < 2; r++) {
        T_ST(t_ep_read(&g_ep, buf, sizeof buf, &n, addr, sizeof addr, &alen), NANODTLS_OK);
        T_EQ(alen, 16);
        T_EQ(n, 6);
        if (addr[0] == 'A') {
            T_CHECK(memcmp(buf, "from A", 6) == 0);
            T_ST(t_ep_write(&g_ep, addr, alen, (const uint8_t *)"to A", 4), NANODTLS_OK);
        } else {
            T_CHECK(addr[0] == 'B' && memcmp(buf, "from B", 6) == 0);
            T_ST(t_ep_write(&g_ep, addr, alen, (const uint8_t *)"to B", 4), NANODTLS_OK);
        }
    }
    T_ST(t_ep_read(&g_ep, buf, sizeof buf, &n, addr, sizeof addr, &alen), NANODTLS_DONE);
    ep_round(cl, 2);
    T_ST(t_read(&g_client, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == 4 && memcmp(buf, "to A", 4) == 0);
    T_ST(t_read(&g_client2, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == 4 && memcmp(buf, "to B", 4) == 0);

    T_ST(nanodtls_endpoint_peer_stats(&g_ep, cl[0].addr, 16, &ps), NANODTLS_OK);
    T_EQ(ps.app_records_rx, 1);
    T_EQ(ps.app_records_tx, 1);
    T_CHECK(ps.rx_datagrams > 0 && ps.tx_datagrams > 0);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.hello_verify_requests, 2);
    T_EQ(es.slots_allocated, 2);
    T_EQ(es.peers_in_use, 2);
    T_EQ(es.dropped_no_slot, 0);

    /* A third client finds both slots taken by live connections. */
    T_ST(t_setup_ctx(&g_client3, NANODTLS_ROLE_CLIENT, &cpc, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client3), NANODTLS_OK);
    for (r = 0; r < 4; r++) {
        ep_round(&cl[2], 1);
    }
    T_EQ(nanodtls_state(&g_client3), NANODTLS_STATE_HANDSHAKING);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_CHECK(es.dropped_no_slot >= 1);

    /* Client A closes: the endpoint reports it and answers close_notify. */
    T_ST(nanodtls_close(&g_client), NANODTLS_OK);
    ep_round(cl, 1);
    T_CHECK(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_CLOSED);
    T_CHECK(addr[0] == 'A');
    T_ST(ev.status, NANODTLS_E_CLOSED);

    /* Client C retries (its timer) and gets A's closed slot. */
    for (r = 0; r < 20 && nanodtls_state(&g_client3) != NANODTLS_STATE_CONNECTED; r++) {
        if (ep_round(&cl[2], 1) == 0) {
            t_fire_timers(&g_clock, &g_client3, NULL);
        }
    }
    T_EQ(nanodtls_state(&g_client3), NANODTLS_STATE_CONNECTED);
    T_CHECK(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_CONNECTED);
    T_CHECK(addr[0] == 'C');
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.slots_reclaimed, 1);
    T_EQ(es.peers_in_use, 2);
    T_ST(nanodtls_endpoint_peer_stats(&g_ep, cl[0].addr, 16, &ps), NANODTLS_E_UNKNOWN_PEER);

    /* The endpoint closes B: B sees close_notify. */
    T_ST(nanodtls_endpoint_close_peer(&g_ep, cl[1].addr, 16), NANODTLS_OK);
    ep_round(&cl[1], 1);
    T_EQ(nanodtls_state(&g_client2), NANODTLS_STATE_CLOSED);
    T_ST(nanodtls_error(&g_client2), NANODTLS_E_CLOSED);
    T_CHECK(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_CLOSED);
    T_CHECK(addr[0] == 'B');
    T_ST(t_ep_write(&g_ep, cl[1].addr, 16, (const uint8_t *)"x", 1), NANODTLS_E_CLOSED);

    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_CHECK(t_all_bytes(&g_ep, sizeof g_ep, 0));
    T_CHECK(t_all_bytes(g_peers, sizeof g_peers, 0));
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client2), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client3), NANODTLS_OK);
}

static void test_endpoint_wrong_key(void)
{
    t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    struct ep_client cl;
    nanodtls_event ev;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t alen = 0;
    int r;

    g_clock = 0;
    t_party_init(&cp, 41, &g_clock);
    t_party_init(&sp, 42, &g_clock);
    memset(&cl, 0, sizeof cl);
    cl.ctx = &g_client;
    memset(cl.addr, 'W', sizeof cl.addr);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
    setup_patient_client(&g_client, &cp, T_ID, KEY2);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    /* As with a server context: bad_record_mac at the slot's deadline. */
    for (r = 0; r < 60 && nanodtls_state(&g_client) == NANODTLS_STATE_HANDSHAKING; r++) {
        /* Timers only once nothing is in flight: a queued flight's timer
         * starts when it is polled. */
        if (ep_round(&cl, 1) == 0) {
            t_fire_timers(&g_clock, &g_client, NULL);
        }
    }
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_ALERT_RECEIVED);
    T_REQUIRE(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_FAILED);
    T_ST(ev.status, NANODTLS_E_TIMEOUT);
    T_EQ(ev.alert.level, 2);
    T_EQ(ev.alert.description, 20);
    T_EQ(ev.alert.sent, 1);
    T_CHECK(!next_event(&ev, addr, &alen));
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

/* Crashed peers (no close_notify) must not lock new clients out for good:
 * by default a connected peer silent for NANODTLS_DEFAULT_IDLE_MS gives
 * its slot to a new client when every slot is taken. */
static void test_endpoint_reclaims_crashed_peers(void)
{
    t_party cpa, cpb, cpc, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    struct ep_client cl[3];
    nanodtls_endpoint_stats es;
    int r;

    g_clock = 1000;
    t_party_init(&cpa, 51, &g_clock);
    t_party_init(&cpb, 52, &g_clock);
    t_party_init(&cpc, 53, &g_clock);
    t_party_init(&sp, 54, &g_clock);
    memset(cl, 0, sizeof cl);
    cl[0].ctx = &g_client;
    cl[1].ctx = &g_client2;
    cl[2].ctx = &g_client3;
    memset(cl[0].addr, 'A', sizeof cl[0].addr);
    memset(cl[1].addr, 'B', sizeof cl[1].addr);
    memset(cl[2].addr, 'C', sizeof cl[2].addr);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cpa, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_client2, NANODTLS_ROLE_CLIENT, &cpb, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client2), NANODTLS_OK);
    for (r = 0; r < 10; r++) {
        ep_round(cl, 2);
    }
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    T_EQ(nanodtls_state(&g_client2), NANODTLS_STATE_CONNECTED);
    /* A and B crash. 30 s later C finds no slot ... */
    g_clock += 30000;
    T_ST(t_setup_ctx(&g_client3, NANODTLS_ROLE_CLIENT, &cpc, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client3), NANODTLS_OK);
    for (r = 0; r < 4; r++) {
        ep_round(&cl[2], 1);
    }
    T_EQ(nanodtls_state(&g_client3), NANODTLS_STATE_HANDSHAKING);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_CHECK(es.dropped_no_slot >= 1);
    T_EQ(es.slots_reclaimed, 0);
    /* ... and once they were silent for the default idle timeout, it does. */
    g_clock += NANODTLS_DEFAULT_IDLE_MS;
    T_ST(nanodtls_handle_timeout(&g_client3), NANODTLS_OK); /* retransmits its ClientHello */
    for (r = 0; r < 10; r++) {
        ep_round(&cl[2], 1);
    }
    T_EQ(nanodtls_state(&g_client3), NANODTLS_STATE_CONNECTED);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.slots_reclaimed, 1);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client2), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client3), NANODTLS_OK);
}

int main(void)
{
    T_RUN(test_ctx_to_ctx);
    T_RUN(test_deinit_connected_zeroizes);
    T_RUN(test_ccm16_suite);
    T_RUN(test_wrong_key);
    T_RUN(test_unknown_identity);
    T_RUN(test_state_names);
    T_RUN(test_readme_loop_ends_after_the_last_alert);
    T_RUN(test_endpoint_two_peers);
    T_RUN(test_endpoint_wrong_key);
    T_RUN(test_endpoint_reclaims_crashed_peers);
    return t_finish("test_handshake");
}
