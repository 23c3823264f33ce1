/*
 * Loss: drop whole flights once and let the retransmission timers, driven
 * by a virtual clock through nanodtls_timeout_ms / nanodtls_handle_timeout
 * (and the endpoint equivalents), complete the handshake. Also checks the
 * RFC 6347 timer doubling and the overall handshake deadline, and that a
 * clock that goes back mid-handshake counts as no time elapsed.
 */
#include <string.h>

#include "harness.h"

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[2];
static uint64_t g_clock;
static t_flight g_f;

/* Flight numbers below count non-empty batches a side sent, from 1. */
struct lossy {
    int drop_server[4]; /* server batches to drop (0 = none) */
    int drop_client[4];
    int server_batches;
    int client_batches;
    int dropped;
    int timer_runs;
};

static int in_list(const int *list, int v)
{
    int i;
    for (i = 0; i < 4; i++) {
        if (list[i] != 0 && list[i] == v) {
            return 1;
        }
    }
    return 0;
}

/* Drive both contexts until both are connected (1) or nothing can happen
 * any more / a side failed (0). */
static int run_lossy(nanodtls_ctx *c, nanodtls_ctx *s, struct lossy *l)
{
    int step;

    for (step = 0; step < 100; step++) {
        int moved = 0;

        g_f.n = 0;
        if (t_collect(c, &g_f) > 0) {
            moved = 1;
            l->client_batches++;
            if (in_list(l->drop_client, l->client_batches)) {
                l->dropped++;
            } else {
                (void)t_deliver(s, &g_f);
            }
        }
        g_f.n = 0;
        if (t_collect(s, &g_f) > 0) {
            moved = 1;
            l->server_batches++;
            if (in_list(l->drop_server, l->server_batches)) {
                l->dropped++;
            } else {
                (void)t_deliver(c, &g_f);
            }
        }
        if (nanodtls_state(c) == NANODTLS_STATE_FAILED || nanodtls_state(s) == NANODTLS_STATE_FAILED) {
            return 0;
        }
        if (!moved) {
            if (nanodtls_state(c) == NANODTLS_STATE_CONNECTED && nanodtls_state(s) == NANODTLS_STATE_CONNECTED) {
                return 1;
            }
            if (!t_fire_timers(&g_clock, c, s)) {
                return 0; /* stuck: no timer runs */
            }
            l->timer_runs++;
        }
    }
    return 0;
}

static void setup(t_party *cp, t_party *sp)
{
    g_clock = 10000;
    t_party_init(cp, 101, &g_clock);
    t_party_init(sp, 202, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
}

static void teardown(void)
{
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

/* Data still flows after a lossy handshake. */
static void check_data(void)
{
    uint8_t buf[32];
    size_t n = 0;

    T_ST(t_write(&g_client, (const uint8_t *)"after loss", 10), NANODTLS_OK);
    g_f.n = 0;
    t_collect(&g_client, &g_f);
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    T_ST(t_read(&g_server, buf, sizeof buf, &n), NANODTLS_OK);
    T_CHECK(n == 10 && memcmp(buf, "after loss", 10) == 0);
}

static void test_drop_first_server_flight(void)
{
    t_party cp, sp;
    struct lossy l;
    uint32_t ms = 0;
    nanodtls_stats cs;
    uint64_t start;

    setup(&cp, &sp);
    start = g_clock;
    /* The client arms its timer with the initial value (1 s default). */
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1);
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 1000);
    /* Half-way nothing happens: handling the timer early is harmless. */
    g_clock += 500;
    T_ST(nanodtls_handle_timeout(&g_client), NANODTLS_OK);
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 500);
    T_EQ(t_collect(&g_client, &g_f), 0);
    /* Deliver flight 1 ourselves, then drop the server's first flight
     * (the HelloVerifyRequest). */
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    memset(&l, 0, sizeof l);
    l.client_batches = 1;
    l.drop_server[0] = 1;
    T_CHECK(run_lossy(&g_client, &g_server, &l));
    T_EQ(l.dropped, 1);
    T_CHECK(l.timer_runs >= 1);
    T_CHECK(g_clock - start >= 1000);
    T_CHECK(g_clock - start < 5000);
    T_ST(nanodtls_get_stats(&g_client, &cs), NANODTLS_OK);
    T_CHECK(cs.retransmits >= 1);
    T_EQ(cs.hello_verify_requests, 1);
    check_data();
    teardown();
}

static void test_drop_server_hello_flight(void)
{
    t_party cp, sp;
    struct lossy l;
    nanodtls_stats cs, ss;

    setup(&cp, &sp);
    memset(&l, 0, sizeof l);
    l.drop_server[0] = 2; /* ServerHello, ServerHelloDone */
    T_CHECK(run_lossy(&g_client, &g_server, &l));
    T_EQ(l.dropped, 1);
    T_CHECK(l.timer_runs >= 1);
    T_ST(nanodtls_get_stats(&g_client, &cs), NANODTLS_OK);
    T_ST(nanodtls_get_stats(&g_server, &ss), NANODTLS_OK);
    T_CHECK(cs.retransmits + ss.retransmits >= 1);
    check_data();
    teardown();
}

static void test_drop_server_finished_flight(void)
{
    t_party cp, sp;
    struct lossy l;
    nanodtls_stats cs, ss;

    setup(&cp, &sp);
    memset(&l, 0, sizeof l);
    l.drop_server[0] = 3; /* ChangeCipherSpec, Finished: the server is
                           * already connected, the client is not */
    T_CHECK(run_lossy(&g_client, &g_server, &l));
    T_EQ(l.dropped, 1);
    T_ST(nanodtls_get_stats(&g_client, &cs), NANODTLS_OK);
    T_ST(nanodtls_get_stats(&g_server, &ss), NANODTLS_OK);
    T_CHECK(cs.retransmits >= 1);      /* flight 5 again */
    T_CHECK(ss.peer_retransmits >= 1); /* noticed, flight 6 again */
    check_data();
    teardown();
}

static void test_drop_client_flights(void)
{
    t_party cp, sp;
    struct lossy l;

    setup(&cp, &sp);
    memset(&l, 0, sizeof l);
    l.drop_client[0] = 1; /* ClientHello */
    l.drop_client[1] = 3; /* ClientKeyExchange, CCS, Finished */
    T_CHECK(run_lossy(&g_client, &g_server, &l));
    T_EQ(l.dropped, 2);
    check_data();
    teardown();
}

static void test_timer_doubles(void)
{
    t_party cp, sp;
    struct lossy l;
    uint32_t ms = 0;
    uint64_t start;

    setup(&cp, &sp);
    start = g_clock;
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1); /* flight 1 lost */
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 1000);
    g_clock += ms;
    T_ST(nanodtls_handle_timeout(&g_client), NANODTLS_OK);
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1); /* retransmission, lost too */
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 2000);
    g_clock += ms;
    T_ST(nanodtls_handle_timeout(&g_client), NANODTLS_OK);
    g_f.n = 0;
    T_EQ(t_collect(&g_client, &g_f), 1);
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 4000);
    T_EQ(g_clock - start, 3000);
    /* This one arrives. */
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    memset(&l, 0, sizeof l);
    l.client_batches = 3;
    T_CHECK(run_lossy(&g_client, &g_server, &l));
    teardown();
}

static void test_handshake_deadline(void)
{
    t_party cp, sp;
    uint64_t start;
    int fired = 0;
    nanodtls_config cfg;
    nanodtls_status st = NANODTLS_OK;

    setup(&cp, &sp);
    start = g_clock;
    /* Nobody answers: retransmit until the default 120 s deadline. */
    while (nanodtls_state(&g_client) == NANODTLS_STATE_HANDSHAKING && fired < 100) {
        uint32_t ms = 0;
        g_f.n = 0;
        t_collect(&g_client, &g_f);
        if (nanodtls_timeout_ms(&g_client, &ms) != NANODTLS_OK) {
            break;
        }
        g_clock += ms;
        st = nanodtls_handle_timeout(&g_client);
        fired++;
    }
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_FAILED);
    T_ST(st, NANODTLS_E_TIMEOUT);
    T_ST(nanodtls_error(&g_client), NANODTLS_E_TIMEOUT);
    T_EQ(g_clock - start, cfg.handshake_timeout_ms);
    T_CHECK(fired > 3);
    teardown();
}

/* The same against the endpoint: its flight 4 is lost once and its own
 * timers (nanodtls_endpoint_timeout_ms / _handle_timeout) run too. */
static void test_endpoint_drop_server_flight(void)
{
    t_party cp, sp;
    nanodtls_config cfg;
    nanodtls_platform plat;
    static const uint8_t addr[6] = {'p', 'e', 'e', 'r', 0, 1};
    int server_batches = 0;
    int dropped = 0;
    int step;
    uint8_t buf[32];
    size_t n = 0;
    size_t alen = 0;
    nanodtls_event ev;
    uint8_t eaddr[NANODTLS_MAX_PEER_ADDR];

    g_clock = 0;
    t_party_init(&cp, 301, &g_clock);
    t_party_init(&sp, 302, &g_clock);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
    t_platform(&plat, &sp);
    T_ST(nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], 2), NANODTLS_OK);
    T_ST(nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)T_ID, strlen(T_ID), T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);

    for (step = 0; step < 60 && nanodtls_state(&g_client) != NANODTLS_STATE_CONNECTED; step++) {
        int moved = 0;
        g_f.n = 0;
        if (t_collect(&g_client, &g_f) > 0) {
            moved = 1;
            (void)t_deliver_ep(&g_ep, addr, sizeof addr, &g_f);
        }
        g_f.n = 0;
        if (t_collect_ep(&g_ep, &g_f) > 0) {
            moved = 1;
            server_batches++;
            if (server_batches == 2) {
                dropped++; /* ServerHello flight */
            } else {
                (void)t_deliver_to(&g_client, addr, sizeof addr, &g_f);
            }
        }
        if (!moved) {
            uint32_t a = UINT32_MAX, b = UINT32_MAX;
            uint32_t wait;
            (void)nanodtls_timeout_ms(&g_client, &a);
            (void)nanodtls_endpoint_timeout_ms(&g_ep, &b);
            wait = a < b ? a : b;
            T_REQUIRE(wait != UINT32_MAX);
            g_clock += wait;
            T_ST(nanodtls_handle_timeout(&g_client), NANODTLS_OK);
            T_ST(nanodtls_endpoint_handle_timeout(&g_ep), NANODTLS_OK);
        }
    }
    T_EQ(dropped, 1);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_CONNECTED);
    /* The endpoint reported the connection, and data flows. */
    T_ST(nanodtls_endpoint_poll_event(&g_ep, &ev, eaddr, sizeof eaddr, &alen), NANODTLS_OK);
    T_EQ(ev.kind, NANODTLS_EVENT_CONNECTED);
    T_ST(t_write(&g_client, (const uint8_t *)"ok", 2), NANODTLS_OK);
    g_f.n = 0;
    t_collect(&g_client, &g_f);
    T_ST(t_deliver_ep(&g_ep, addr, sizeof addr, &g_f), NANODTLS_OK);
    T_ST(t_ep_read(&g_ep, buf, sizeof buf, &n, eaddr, sizeof eaddr, &alen), NANODTLS_OK);
    T_CHECK(n == 2 && memcmp(buf, "ok", 2) == 0);
    T_CHECK(alen == sizeof addr && memcmp(eaddr, addr, alen) == 0);
    T_ST(nanodtls_endpoint_deinit(&g_ep), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
}

static void test_clock_jumps_back_to_zero_mid_handshake(void)
{
    /* Reported: a clock that went back (or restarted at 0) stalled the
     * handshake for as long as the step. The library takes the step as no
     * time elapsed: the retransmission comes on schedule. */
    t_party cp, sp;
    uint64_t client_clock = 5000000;
    nanodtls_stats st;
    uint32_t ms = 0;

    g_clock = 5000000;
    t_party_init(&cp, 71, &client_clock);
    t_party_init(&sp, 72, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    /* ClientHello, HelloVerifyRequest, ClientHello, server flight 4 ... */
    g_f.n = 0;
    t_collect(&g_client, &g_f);
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    g_f.n = 0;
    t_collect(&g_server, &g_f);
    T_ST(t_deliver(&g_client, &g_f), NANODTLS_OK);
    g_f.n = 0;
    t_collect(&g_client, &g_f);
    T_ST(t_deliver(&g_server, &g_f), NANODTLS_OK);
    g_f.n = 0;
    t_collect(&g_server, &g_f);
    T_ST(t_deliver(&g_client, &g_f), NANODTLS_OK);
    /* ... and the client's flight 5 is lost. */
    g_f.n = 0;
    T_CHECK(t_collect(&g_client, &g_f) > 0);
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 1000);
    /* The client's clock restarts at 0. */
    client_clock = 0;
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 1000);
    client_clock = 999;
    T_ST(nanodtls_handle_timeout(&g_client), NANODTLS_OK);
    T_ST(nanodtls_get_stats(&g_client, &st), NANODTLS_OK);
    T_EQ(st.retransmits, 0);
    client_clock = 1000;
    T_ST(nanodtls_timeout_ms(&g_client, &ms), NANODTLS_OK);
    T_EQ(ms, 0);
    T_ST(nanodtls_handle_timeout(&g_client), NANODTLS_OK);
    T_ST(nanodtls_get_stats(&g_client, &st), NANODTLS_OK);
    T_EQ(st.retransmits, 1);
    T_CHECK(t_handshake(&g_client, &g_server, 4));
    teardown();
}

int main(void)
{
    T_RUN(test_drop_first_server_flight);
    T_RUN(test_drop_server_hello_flight);
    T_RUN(test_drop_server_finished_flight);
    T_RUN(test_drop_client_flights);
    T_RUN(test_timer_doubles);
    T_RUN(test_handshake_deadline);
    T_RUN(test_endpoint_drop_server_flight);
    T_RUN(test_clock_jumps_back_to_zero_mid_handshake);
    return t_finish("test_loss");
}
