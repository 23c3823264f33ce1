/*
 * The debug log hook through the C API (nanodtls_set_log_hook): during an
 * in-memory handshake messages arrive with valid levels, lengths and the
 * registered user pointer; the level filter holds; a NULL hook or level 0
 * stops them; levels above NANODTLS_LOG_DEBUG are refused; no message
 * contains the PSK or the identity; a hook calling back into the context
 * that is logging gets NANODTLS_E_REENTRANT (other contexts work).
 *
 * NANODTLS_TEST_EXPECT_LOG (set by CMakeLists.txt from the cargo feature
 * selection) is 0 when the library is built without the `log` feature:
 * nanodtls_set_log_hook must then answer NANODTLS_E_UNSUPPORTED.
 */
#include <string.h>

#include "harness.h"

#ifndef NANODTLS_TEST_EXPECT_LOG
#define NANODTLS_TEST_EXPECT_LOG 1
#endif

#define LOG_LINE_MAX 120
#define MAX_MSGS 512

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static uint64_t g_clock;

static const char LOG_ID[] = "c-log-identity";
/* A recognisable PSK: neither its bytes nor its hex may appear in the log. */
static const uint8_t LOG_KEY[16] = {'C', '-', 'L', 'O', 'G', '-', 'P', 'S', 'K', '-', 's', 'e', 'c', 'r', 'e', 't'};

static struct {
    uint8_t level;
    char text[LOG_LINE_MAX + 1];
} g_msgs[MAX_MSGS];
static size_t g_n;
static unsigned long g_calls;
static unsigned long g_bad;        /* wrong user pointer, NULL or over-long message */
static int g_marker;               /* its address is the user pointer */
static int g_reenter;              /* call back into the contexts from the hook */
static nanodtls_status g_same_ctx; /* status of a call into the logging context */
static nanodtls_status g_other_ctx;

static void log_hook(void *user, uint8_t level, const char *msg, size_t len)
{
    g_calls++;
    if (user != (void *)&g_marker || msg == NULL || len == 0 || len > LOG_LINE_MAX) {
        g_bad++;
        return;
    }
    if (g_n < MAX_MSGS) {
        g_msgs[g_n].level = level;
        memcpy(g_msgs[g_n].text, msg, len);
        g_msgs[g_n].text[len] = '\0';
        g_n++;
    }
    if (g_reenter && len > 8 && memcmp(msg, "client: ", 8) == 0) {
        /* Logged from inside a call on g_client. */
        nanodtls_stats st;
        g_same_ctx = nanodtls_get_stats(&g_client, &st);
        g_other_ctx = nanodtls_get_stats(&g_server, &st);
    }
}

static void reset_log(void)
{
    g_n = 0;
    g_calls = 0;
    g_bad = 0;
}

/* Full PSK handshake between fresh contexts (cookie exchange included),
 * then close_notify from the client; returns 1 if both connected. */
static int run_handshake(void)
{
    t_party cp, sp;
    int ok;
    static t_flight f;

    g_clock = 1000;
    t_party_init(&cp, 11, &g_clock);
    t_party_init(&sp, 12, &g_clock);
    if (t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, LOG_ID, LOG_KEY, sizeof LOG_KEY) != NANODTLS_OK ||
        t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, LOG_ID, LOG_KEY, sizeof LOG_KEY) != NANODTLS_OK ||
        nanodtls_connect(&g_client) != NANODTLS_OK) {
        return 0;
    }
    ok = t_handshake(&g_client, &g_server, 10);
    if (ok && nanodtls_close(&g_client) == NANODTLS_OK) {
        f.n = 0;
        (void)t_collect(&g_client, &f);
        (void)t_deliver(&g_server, &f);
    }
    (void)nanodtls_deinit(&g_client);
    (void)nanodtls_deinit(&g_server);
    return ok;
}

/* Index of the first message of `level` (0 = any) containing `needle`, or -1. */
static long find(uint8_t level, const char *needle)
{
    size_t i;
    for (i = 0; i < g_n; i++) {
        if ((level == 0 || g_msgs[i].level == level) && strstr(g_msgs[i].text, needle) != NULL) {
            return (long)i;
        }
    }
    return -1;
}

static int contains_bytes(const char *hay, const void *needle, size_t n)
{
    size_t len = strlen(hay), i;
    for (i = 0; n > 0 && i + n <= len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void test_bad_levels_are_refused(void)
{
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, 5), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, 255), NANODTLS_E_INVALID_ARG);
    T_ST(nanodtls_set_log_hook(NULL, NULL, 5), NANODTLS_E_INVALID_ARG);
    T_EQ(NANODTLS_LOG_ERROR, 1);
    T_EQ(NANODTLS_LOG_WARN, 2);
    T_EQ(NANODTLS_LOG_INFO, 3);
    T_EQ(NANODTLS_LOG_DEBUG, 4);
}

static void test_handshake_is_logged(void)
{
    unsigned long failed_before;
    size_t i;
    char hex_lower[2 * sizeof LOG_KEY + 1];
    char hex_upper[2 * sizeof LOG_KEY + 1];

    for (i = 0; i < sizeof LOG_KEY; i++) {
        static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
        hex_lower[2 * i] = lo[LOG_KEY[i] >> 4];
        hex_lower[2 * i + 1] = lo[LOG_KEY[i] & 15];
        hex_upper[2 * i] = up[LOG_KEY[i] >> 4];
        hex_upper[2 * i + 1] = up[LOG_KEY[i] & 15];
    }
    hex_lower[2 * sizeof LOG_KEY] = hex_upper[2 * sizeof LOG_KEY] = '\0';

    failed_before = t_failed;
    reset_log();
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, NANODTLS_LOG_DEBUG), NANODTLS_OK);
    T_REQUIRE(run_handshake());
    T_EQ(g_bad, 0);
    T_CHECK(g_n > 10);
    T_EQ(g_calls, g_n);
    for (i = 0; i < g_n; i++) {
        T_CHECK(g_msgs[i].level >= NANODTLS_LOG_ERROR && g_msgs[i].level <= NANODTLS_LOG_DEBUG);
        /* No failure in a clean run. */
        T_CHECK(g_msgs[i].level >= NANODTLS_LOG_INFO);
        T_CHECK(!contains_bytes(g_msgs[i].text, LOG_KEY, sizeof LOG_KEY));
        T_CHECK(!contains_bytes(g_msgs[i].text, LOG_KEY, 8));
        T_CHECK(strstr(g_msgs[i].text, hex_lower) == NULL && strstr(g_msgs[i].text, hex_upper) == NULL);
        T_CHECK(strstr(g_msgs[i].text, LOG_ID) == NULL);
    }
    T_CHECK(find(NANODTLS_LOG_INFO, "client: connect") >= 0);
    T_CHECK(find(NANODTLS_LOG_INFO, "server: ClientHello without a valid cookie") >= 0);
    T_CHECK(find(NANODTLS_LOG_DEBUG, "server: rx ClientHello") >= 0);
    T_CHECK(find(NANODTLS_LOG_DEBUG, "client: rx Finished") >= 0);
    T_CHECK(find(NANODTLS_LOG_DEBUG, "flight sent") >= 0);
    T_CHECK(find(NANODTLS_LOG_INFO, "client: handshake complete: TLS_PSK_WITH_AES_128_CCM_8") >= 0);
    T_CHECK(find(NANODTLS_LOG_INFO, "server: handshake complete: TLS_PSK_WITH_AES_128_CCM_8") >= 0);
    T_CHECK(find(NANODTLS_LOG_INFO, "server: alert received: warning close_notify") >= 0);
    if (t_failed != failed_before) {
        for (i = 0; i < g_n; i++) {
            printf("  [%u] %s\n", (unsigned)g_msgs[i].level, g_msgs[i].text);
        }
    }
}

static void test_level_filter(void)
{
    reset_log();
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, NANODTLS_LOG_INFO), NANODTLS_OK);
    T_REQUIRE(run_handshake());
    T_CHECK(g_n > 0);
    T_CHECK(find(0, "handshake complete") >= 0);
    T_CHECK(find(NANODTLS_LOG_DEBUG, "") < 0);

    /* Nothing in a clean handshake is worth a warning. */
    reset_log();
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, NANODTLS_LOG_WARN), NANODTLS_OK);
    T_REQUIRE(run_handshake());
    T_EQ(g_calls, 0);
}

static void test_null_hook_and_level_zero_stop_it(void)
{
    reset_log();
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, NANODTLS_LOG_DEBUG), NANODTLS_OK);
    T_ST(nanodtls_set_log_hook(NULL, &g_marker, NANODTLS_LOG_DEBUG), NANODTLS_OK);
    T_REQUIRE(run_handshake());
    T_EQ(g_calls, 0);

    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, 0), NANODTLS_OK);
    T_REQUIRE(run_handshake());
    T_EQ(g_calls, 0);

    /* A refused level leaves the previous setting (off) in place. */
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, 9), NANODTLS_E_INVALID_ARG);
    T_REQUIRE(run_handshake());
    T_EQ(g_calls, 0);
}

static void test_hook_calling_back_in(void)
{
    reset_log();
    g_reenter = 1;
    g_same_ctx = g_other_ctx = 12345;
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, NANODTLS_LOG_DEBUG), NANODTLS_OK);
    T_REQUIRE(run_handshake());
    g_reenter = 0;
    T_ST(g_same_ctx, NANODTLS_E_REENTRANT);
    T_ST(g_other_ctx, NANODTLS_OK);
    T_ST(nanodtls_set_log_hook(NULL, NULL, 0), NANODTLS_OK);
}

static void test_wrong_psk_hint_when_the_peer_stays_silent(void)
{
    /* A server with another key drops our Finished without an alert (as
     * OpenSSL does): the client warns once, after its first retransmission
     * went unanswered, instead of waiting for the deadline in silence. */
    static const uint8_t OTHER[16] = {'o', 't', 'h', 'e', 'r', '-', 'k', 'e', 'y', '-', '0', '1', '2', '3', '4', '5'};
    t_party cp, sp;
    nanodtls_stats st;
    long at;
    size_t i, hints = 0;
    int r;

    reset_log();
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, NANODTLS_LOG_WARN), NANODTLS_OK);
    g_clock = 1000;
    t_party_init(&cp, 21, &g_clock);
    t_party_init(&sp, 22, &g_clock);
    T_ST(t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, LOG_ID, LOG_KEY, sizeof LOG_KEY), NANODTLS_OK);
    T_ST(t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, LOG_ID, OTHER, sizeof OTHER), NANODTLS_OK);
    T_ST(nanodtls_connect(&g_client), NANODTLS_OK);
    (void)t_handshake(&g_client, &g_server, 4);
    for (r = 0; r < 2; r++) {
        T_CHECK(find(NANODTLS_LOG_WARN, "client: no answer to our Finished") < 0);
        T_CHECK(t_fire_timers(&g_clock, &g_client, NULL));
        (void)t_handshake(&g_client, &g_server, 2);
    }
    T_ST(nanodtls_get_stats(&g_client, &st), NANODTLS_OK);
    T_EQ(st.retransmits, 2);
    T_EQ(nanodtls_state(&g_client), NANODTLS_STATE_HANDSHAKING);
    at = find(NANODTLS_LOG_WARN, "client: no answer to our Finished, sent twice: wrong PSK?");
    T_CHECK(at >= 0);
    /* Once, however long it waits. */
    for (r = 0; r < 4; r++) {
        (void)t_fire_timers(&g_clock, &g_client, NULL);
    }
    for (i = 0; i < g_n; i++) {
        hints += strstr(g_msgs[i].text, "no answer to our Finished") != NULL;
    }
    T_EQ(hints, 1);
    T_EQ(g_bad, 0);
    T_ST(nanodtls_set_log_hook(NULL, NULL, 0), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_client), NANODTLS_OK);
    T_ST(nanodtls_deinit(&g_server), NANODTLS_OK);
}

static void test_without_the_log_feature(void)
{
    reset_log();
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, NANODTLS_LOG_DEBUG), NANODTLS_E_UNSUPPORTED);
    T_ST(nanodtls_set_log_hook(log_hook, &g_marker, 5), NANODTLS_E_INVALID_ARG);
    T_REQUIRE(run_handshake());
    T_EQ(g_calls, 0);
}

int main(void)
{
    T_RUN(test_bad_levels_are_refused);
    if (NANODTLS_TEST_EXPECT_LOG) {
        T_RUN(test_handshake_is_logged);
        T_RUN(test_level_filter);
        T_RUN(test_null_hook_and_level_zero_stop_it);
        T_RUN(test_hook_calling_back_in);
        T_RUN(test_wrong_psk_hint_when_the_peer_stays_silent);
    } else {
        T_RUN(test_without_the_log_feature);
    }
    (void)nanodtls_set_log_hook(NULL, NULL, 0);
    return t_finish("test_log");
}
