/*
 * The server endpoint at its limits, through the C API: cookies expire
 * on an idle server (RFC 6347 4.2.1), a ClientHello larger than
 * NANODTLS_MAX_HANDSHAKE_MSG is refused before it takes a slot, a failing
 * RNG is reported, the slot counters, small poll buffers and the per-peer
 * user pointer with its lifetime (RFC 6347 4.2.8: one association per
 * address). Deterministic RNG and a virtual clock (see harness.c).
 */
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_client2;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[2];
static uint64_t g_clock;
static t_flight g_f;
static t_party g_sp;

static const uint8_t ADDR_A[16] = {'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'};
static const uint8_t ADDR_B[16] = {'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B'};

/* An endpoint over `n` of g_peers with the test PSK; the clock at `t0`. */
static void ep_setup(size_t n, uint64_t t0)
{
    nanodtls_config cfg;
    nanodtls_platform plat;

    g_clock = t0;
    t_party_init(&g_sp, 77, &g_clock);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &g_sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], n), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
}

/* A connected client context `c` with its own party. */
static void client_setup(nanodtls_ctx *c, t_party *p, uint64_t seed)
{
    t_party_init(p, seed, &g_clock);
    T_ST(t_setup_ctx(c, NANODTLS_ROLE_CLIENT, p, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(c), NANODTLS_OK);
}

/* One exchange between client `c` at `addr` and the endpoint: the
 * client's datagrams in, the endpoint's datagrams for `addr` back (the
 * endpoint's datagrams stay in g_f). Returns the number moved. */
static size_t ep_round(nanodtls_ctx *c, const uint8_t *addr)
{
    size_t moved;
    g_f.n = 0;
    moved = t_collect(c, &g_f);
    (void)t_deliver_ep(&g_ep, addr, 16, &g_f);
    g_f.n = 0;
    moved += t_collect_ep(&g_ep, &g_f);
    (void)t_deliver_to(c, addr, 16, &g_f);
    return moved;
}

/* Run client `c` at `addr` against the endpoint until it is connected
 * (at most 10 rounds). */
static void ep_connect(nanodtls_ctx *c, const uint8_t *addr)
{
    int r;
    for (r = 0; r < 10 && nanodtls_state(c) != NANODTLS_STATE_CONNECTED; r++) {
        ep_round(c, addr);
    }
    T_EQ(nanodtls_state(c), NANODTLS_STATE_CONNECTED);
}

/* The client's ClientHello with the cookie, taken off the wire into `d`:
 * its first ClientHello and the HelloVerifyRequest are exchanged. */
static void second_hello(nanodtls_ctx *c, const uint8_t *addr, t_dgram *d)
{
    nanodtls_endpoint_stats before, es;

    T_ST(nanodtls_endpoint_get_stats(&g_ep, &before), NANODTLS_OK);
    ep_round(c, addr); /* ClientHello -> HelloVerifyRequest -> client */
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.hello_verify_requests, before.hello_verify_requests + 1);
    T_ST(nanodtls_poll_datagram(c, d->data, sizeof d->data, &d->len), NANODTLS_OK);
}

/* Append a padding extension (RFC 7685) to the unfragmented ClientHello
 * in `d` (one record) so that the message grows by `extra` + 4 bytes.
 * The cookie does not cover extensions: it stays valid. */
static void pad_client_hello(t_dgram *d, size_t extra)
{
    uint8_t *rec = d->data;
    uint8_t *body = rec + 25;
    size_t blen = d->len - 25;
    size_t at = 2 + 32;
    size_t exts_len;

    T_REQUIRE(rec[13] == 1 && d->len + 4 + extra <= sizeof d->data);
    at += 1 + (size_t)body[at];                           /* session_id */
    at += 1 + (size_t)body[at];                           /* cookie */
    at += 2 + ((size_t)body[at] << 8 | body[at + 1]);     /* cipher_suites */
    at += 1 + (size_t)body[at];                           /* compression_methods */
    T_REQUIRE(at + 2 <= blen);                            /* our client sends extensions */
    exts_len = ((size_t)body[at] << 8 | body[at + 1]) + 4 + extra;
    body[at] = (uint8_t)(exts_len >> 8);
    body[at + 1] = (uint8_t)exts_len;
    body[blen] = 0;
    body[blen + 1] = 21; /* padding */
    body[blen + 2] = (uint8_t)(extra >> 8);
    body[blen + 3] = (uint8_t)extra;
    memset(body + blen + 4, 0, extra);
    blen += 4 + extra;
    rec[14] = rec[22] = (uint8_t)(blen >> 16); /* length and fragment_length */
    rec[15] = rec[23] = (uint8_t)(blen >> 8);
    rec[16] = rec[24] = (uint8_t)blen;
    d->len = 25 + blen;
    rec[11] = (uint8_t)((d->len - 13) >> 8);
    rec[12] = (uint8_t)(d->len - 13);
}

static void test_cookies_expire_on_an_idle_server(void)
{
    /* Reported: a cookie was accepted after 30 days of clock time (the
     * secret only rotated when a ClientHello came). */
    static const uint64_t delays[4] = {300000, 599999, 600000, 2592000000u};
    static const int accepted[4] = {1, 1, 0, 0};
    t_party cp;
    t_dgram ch2;
    nanodtls_config cfg;
    int i;

    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    T_EQ(cfg.cookie_lifetime_ms, 300000);
    for (i = 0; i < 4; i++) {
        nanodtls_endpoint_stats es;
        ep_setup(1, 1000);
        client_setup(&g_client, &cp, 11);
        second_hello(&g_client, ADDR_A, &ch2);
        g_clock += delays[i];
        T_ST(t_ep_feed(&g_ep, ADDR_A, 16, ch2.data, ch2.len), NANODTLS_OK);
        g_f.n = 0;
        T_EQ(t_collect_ep(&g_ep, &g_f), 1);
        T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
        T_EQ(es.slots_allocated, accepted[i]);
        /* Refused: a new cookie exchange (a HelloVerifyRequest, type 3). */
        T_EQ(es.hello_verify_requests, accepted[i] ? 1 : 2);
        T_EQ(g_f.d[0].data[13], accepted[i] ? 2 : 3);
        T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
        T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    }
}

static void test_too_large_client_hello_is_refused_before_a_slot(void)
{
    /* Reported: a ClientHello over NANODTLS_MAX_HANDSHAKE_MSG with a valid
     * cookie got no answer and held a slot for the half-open timeout. */
    t_party cp;
    t_dgram ch2;
    nanodtls_endpoint_stats es;
    nanodtls_alert a;
    const t_dgram *al;

    ep_setup(1, 1000);
    client_setup(&g_client, &cp, 12);
    second_hello(&g_client, ADDR_A, &ch2);
    /* One byte over the limit (the message is everything after the record header). */
    pad_client_hello(&ch2, NANODTLS_MAX_HANDSHAKE_MSG + 1 - (ch2.len - 13) - 4);
    T_EQ(ch2.len - 13, NANODTLS_MAX_HANDSHAKE_MSG + 1);
    T_ST(t_ep_feed(&g_ep, ADDR_A, 16, ch2.data, ch2.len), NANODTLS_OK);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.refused_too_large, 1);
    T_EQ(es.slots_allocated, 0);
    T_EQ(es.peers_in_use, 0);
    /* Answered at once: a fatal internal_error in epoch 0 with the
     * ClientHello's record sequence number. */
    g_f.n = 0;
    T_EQ(t_collect_ep(&g_ep, &g_f), 1);
    al = &g_f.d[0];
    T_EQ(al->len, 15);
    T_EQ(al->data[0], 21);
    T_CHECK(memcmp(al->data + 3, "\0\0", 2) == 0);
    T_CHECK(memcmp(al->data + 5, ch2.data + 5, 6) == 0);
    T_EQ(al->data[13], 2);
    T_EQ(al->data[14], 80);
    T_ST(t_feed(&g_client, al->data, al->len), NANODTLS_E_ALERT_RECEIVED);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(nanodtls_last_alert(&g_client, &a), NANODTLS_OK);
    T_EQ(a.description, 80);
    T_EQ(a.sent, 0);
    T_CHECK(strcmp(nanodtls_alert_name(80), "internal_error") == 0);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

static void test_reply_queue_holds_the_documented_number(void)
{
    /* nanodtls_endpoint_feed: poll after each feed; the queue of
     * HelloVerifyRequests holds NANODTLS_ENDPOINT_REPLY_QUEUE. */
    static nanodtls_ctx clients[NANODTLS_ENDPOINT_REPLY_QUEUE + 1];
    static t_flight hellos;
    t_party cps[NANODTLS_ENDPOINT_REPLY_QUEUE + 1];
    nanodtls_endpoint_stats es;
    uint8_t addr[16];
    size_t i;
    int polled;

    hellos.n = 0;
    for (i = 0; i < NANODTLS_ENDPOINT_REPLY_QUEUE + 1; i++) {
        client_setup(&clients[i], &cps[i], 20 + i);
        T_EQ(t_collect(&clients[i], &hellos), 1);
    }
    /* The same burst of first ClientHellos, fed without and with polling
     * in between. */
    for (polled = 0; polled < 2; polled++) {
        size_t sent = 0;
        ep_setup(1, 1000);
        for (i = 0; i < hellos.n; i++) {
            memset(addr, (int)('a' + i), sizeof addr);
            T_ST(t_ep_feed(&g_ep, addr, sizeof addr, hellos.d[i].data, hellos.d[i].len),
                 NANODTLS_OK);
            if (polled) {
                g_f.n = 0;
                sent += t_collect_ep(&g_ep, &g_f);
            }
        }
        g_f.n = 0;
        sent += t_collect_ep(&g_ep, &g_f);
        T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
        T_EQ(es.hello_verify_requests, polled ? hellos.n : NANODTLS_ENDPOINT_REPLY_QUEUE);
        T_EQ(es.dropped_hvr_busy, polled ? 0 : 1);
        T_EQ(sent, es.hello_verify_requests);
        T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    }
    for (i = 0; i < NANODTLS_ENDPOINT_REPLY_QUEUE + 1; i++) {
        T_ST(nanodtls_deinit(&clients[i]), NANODTLS_OK);
    }
}

/* The endpoint's slot gauges: (in use, handshaking, connected, ended). */
static void check_peers(uint32_t in_use, uint32_t handshaking, uint32_t connected, uint32_t ended)
{
    nanodtls_endpoint_stats es;
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.peers_in_use, in_use);
    T_EQ(es.peers_handshaking, handshaking);
    T_EQ(es.peers_connected, connected);
    T_EQ(es.peers_ended, ended);
}

static void test_peer_gauges_by_state(void)
{
    /* Reported: peers_in_use counted closed peers until they were
     * reclaimed; the split tells them apart. */
    t_party cpa, cpb;
    t_dgram ch2;

    ep_setup(2, 1000);
    check_peers(0, 0, 0, 0);
    client_setup(&g_client, &cpa, 31);
    ep_connect(&g_client, ADDR_A);
    client_setup(&g_client2, &cpb, 32);
    second_hello(&g_client2, ADDR_B, &ch2);
    T_ST(t_ep_feed(&g_ep, ADDR_B, 16, ch2.data, ch2.len), NANODTLS_OK);
    g_f.n = 0;
    (void)t_collect_ep(&g_ep, &g_f); /* B's flight 4, never delivered */
    check_peers(2, 1, 1, 0);
    /* A closes: its slot stays until a new peer needs it. */
    T_ST(nanodtls_close(&g_client), NANODTLS_OK);
    ep_round(&g_client, ADDR_A);
    check_peers(2, 1, 0, 1);
    /* B's handshake reaches its deadline. */
    g_clock += 120000;
    T_ST(nanodtls_endpoint_handle_timeout(&g_ep), NANODTLS_OK);
    check_peers(2, 0, 0, 2);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client2), NANODTLS_OK);
}

static void test_rng_failure_for_the_cookie_secret(void)
{
    /* Reported: the endpoint dropped the ClientHello and counted it as a
     * datagram from an unknown peer; nothing said the RNG had failed. */
    t_party cp;
    nanodtls_endpoint_stats es;

    ep_setup(1, 1000);
    client_setup(&g_client, &cp, 41);
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1);
    g_sp.rng_fail = 1;
    T_ST(t_ep_feed(&g_ep, ADDR_A, 16, g_f.d[0].data, g_f.d[0].len), NANODTLS_E_RNG);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.rng_failures, 1);
    T_EQ(es.dropped_unknown_peer, 0);
    T_EQ(es.hello_verify_requests, 0);
    /* Nothing changed: with a working RNG the same ClientHello is answered. */
    g_sp.rng_fail = 0;
    T_ST(t_ep_feed(&g_ep, ADDR_A, 16, g_f.d[0].data, g_f.d[0].len), NANODTLS_OK);
    T_ST(nanodtls_endpoint_get_stats(&g_ep, &es), NANODTLS_OK);
    T_EQ(es.hello_verify_requests, 1);
    T_EQ(es.rng_failures, 1);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

static void test_poll_buffer_below_the_minimum_mtu(void)
{
    /* nanodtls_endpoint_poll_datagram refuses a buffer below
     * NANODTLS_MIN_MTU while a datagram waits, as nanodtls_poll_datagram. */
    t_party cp;
    t_dgram d;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t alen = 0;

    ep_setup(1, 1000);
    client_setup(&g_client, &cp, 51);
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1);
    T_ST(t_deliver_ep(&g_ep, ADDR_A, 16, &g_f), NANODTLS_OK);
    d.len = 4711;
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, d.data, NANODTLS_MIN_MTU - 1, &d.len, addr, sizeof addr, &alen),
         NANODTLS_E_BUFFER_TOO_SMALL);
    T_EQ(d.len, 4711);
    /* Nothing was taken: the HelloVerifyRequest comes with a full buffer. */
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, d.data, sizeof d.data, &d.len, addr, sizeof addr, &alen),
         NANODTLS_OK);
    T_EQ(d.data[13], 3);
    T_ST(t_feed(&g_client, d.data, d.len), NANODTLS_OK);
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1);
    T_ST(t_deliver_ep(&g_ep, ADDR_A, 16, &g_f), NANODTLS_OK);
    /* The slot's ServerHello flight likewise. */
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, d.data, 40, &d.len, addr, sizeof addr, &alen),
         NANODTLS_E_BUFFER_TOO_SMALL);
    T_ST(nanodtls_endpoint_poll_datagram(&g_ep, d.data, sizeof d.data, &d.len, addr, sizeof addr, &alen),
         NANODTLS_OK);
    T_EQ(d.data[13], 2);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

/* Take the next endpoint event; returns 0 if there is none. */
static int next_event(nanodtls_event *ev, uint8_t *addr, size_t *alen)
{
    return nanodtls_endpoint_poll_event(&g_ep, ev, addr, NANODTLS_MAX_PEER_ADDR, alen) == NANODTLS_OK;
}

static void test_peer_user_pointer_and_its_release(void)
{
    /* A per-peer application pointer: it comes with the peer's events,
     * stays after CLOSED, and is handed back once by
     * NANODTLS_EVENT_RELEASED when the slot goes to another peer. */
    struct app_peer {
        int id;
        int freed;
    } apps[2] = {{1, 0}, {2, 0}};
    t_party cpa, cpb;
    nanodtls_event ev;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t alen = 0;
    void *user = &apps[1];

    ep_setup(1, 1000);
    client_setup(&g_client, &cpa, 81);
    ep_connect(&g_client, ADDR_A);
    T_REQUIRE(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_CONNECTED);
    T_CHECK(ev.user == NULL);
    /* Misuse changes nothing. */
    T_ST(nanodtls_endpoint_set_peer_user(&g_ep, ADDR_B, 16, &apps[0]), NANODTLS_E_UNKNOWN_PEER);
    T_ST(nanodtls_endpoint_set_peer_user(NULL, ADDR_A, 16, &apps[0]), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_set_peer_user(&g_ep, NULL, 16, &apps[0]), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_get_peer_user(&g_ep, ADDR_A, 16, NULL), NANODTLS_E_NULL);
    T_ST(nanodtls_endpoint_get_peer_user(&g_ep, ADDR_B, 16, &user), NANODTLS_E_UNKNOWN_PEER);
    T_CHECK(user == &apps[1]);
    T_ST(nanodtls_endpoint_get_peer_user(&g_ep, ADDR_A, 16, &user), NANODTLS_OK);
    T_CHECK(user == NULL);
    T_ST(nanodtls_endpoint_set_peer_user(&g_ep, ADDR_A, 16, &apps[0]), NANODTLS_OK);
    T_ST(nanodtls_endpoint_get_peer_user(&g_ep, ADDR_A, 16, &user), NANODTLS_OK);
    T_CHECK(user == &apps[0]);
    /* A closes: the event carries the pointer, which stays. */
    T_ST(nanodtls_close(&g_client), NANODTLS_OK);
    ep_round(&g_client, ADDR_A);
    T_REQUIRE(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_CLOSED);
    T_CHECK(ev.user == &apps[0]);
    T_ST(nanodtls_endpoint_get_peer_user(&g_ep, ADDR_A, 16, &user), NANODTLS_OK);
    T_CHECK(user == &apps[0]);
    /* B takes A's slot: A is released and its pointer handed back, once. */
    client_setup(&g_client2, &cpb, 82);
    ep_connect(&g_client2, ADDR_B);
    T_REQUIRE(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_RELEASED);
    T_EQ(alen, 16);
    T_CHECK(memcmp(addr, ADDR_A, 16) == 0);
    T_CHECK(ev.user == &apps[0]);
    T_EQ(ev.status, NANODTLS_OK);
    T_EQ(ev.suite, 0);
    ((struct app_peer *)ev.user)->freed = 1;
    T_REQUIRE(next_event(&ev, addr, &alen));
    T_EQ(ev.kind, NANODTLS_EVENT_CONNECTED);
    T_CHECK(memcmp(addr, ADDR_B, 16) == 0);
    T_CHECK(ev.user == NULL);
    T_CHECK(!next_event(&ev, addr, &alen));
    T_ST(nanodtls_endpoint_get_peer_user(&g_ep, ADDR_A, 16, &user), NANODTLS_E_UNKNOWN_PEER);
    T_EQ(apps[0].freed, 1);
    T_EQ(apps[1].freed, 0);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client2), NANODTLS_OK);
}

int main(void)
{
    T_RUN(test_cookies_expire_on_an_idle_server);
    T_RUN(test_too_large_client_hello_is_refused_before_a_slot);
    T_RUN(test_reply_queue_holds_the_documented_number);
    T_RUN(test_peer_gauges_by_state);
    T_RUN(test_rng_failure_for_the_cookie_secret);
    T_RUN(test_poll_buffer_below_the_minimum_mtu);
    T_RUN(test_peer_user_pointer_and_its_release);
    return t_finish("test_endpoint");
}
