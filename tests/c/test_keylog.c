/*
 * The NSS key log hook through the C API (nanodtls_set_keylog_hook): a
 * full PSK handshake hands one "CLIENT_RANDOM <64 hex> <96 hex>" line per
 * role (the same line on both sides) to the hook with the registered
 * user pointer; a resumed handshake (RFC 5077 ticket, feature tickets)
 * one more per role, with the same master secret and a new client random;
 * a NULL hook stops the lines.
 *
 * NANODTLS_TEST_EXPECT_KEYLOG (set by CMakeLists.txt from the cargo
 * feature selection) is 0 when the library is built without the `keylog`
 * feature: nanodtls_set_keylog_hook must then answer
 * NANODTLS_E_UNSUPPORTED and no line is ever produced.
 */
#include <string.h>

#include "harness.h"

#ifndef NANODTLS_TEST_EXPECT_KEYLOG
#define NANODTLS_TEST_EXPECT_KEYLOG 1
#endif
/* 1 if the library has the tickets feature (resumption by ticket). */
#ifndef NANODTLS_TEST_KEYLOG_TICKETS
#define NANODTLS_TEST_KEYLOG_TICKETS 0
#endif

#define MAX_LINES 8

static nanodtls_ctx g_client;
static nanodtls_ctx g_server;
static uint64_t g_clock;

static char g_lines[MAX_LINES][NANODTLS_KEYLOG_LINE_LEN + 1];
static size_t g_n;
static unsigned long g_calls;
static unsigned long g_bad; /* wrong user pointer, NULL or wrong length */
static int g_marker;        /* its address is the user pointer */

static void keylog_hook(void *user, const char *line, size_t len)
{
    g_calls++;
    if (user != (void *)&g_marker || line == NULL || len != NANODTLS_KEYLOG_LINE_LEN) {
        g_bad++;
        return;
    }
    if (g_n < MAX_LINES) {
        memcpy(g_lines[g_n], line, len);
        g_lines[g_n][len] = '\0';
        g_n++;
    }
}

/* "CLIENT_RANDOM " + 64 lowercase hex + " " + 96 lowercase hex. */
static int well_formed(const char *l)
{
    size_t i;
    if (strlen(l) != NANODTLS_KEYLOG_LINE_LEN || memcmp(l, "CLIENT_RANDOM ", 14) != 0 || l[14 + 64] != ' ') {
        return 0;
    }
    for (i = 14; i < NANODTLS_KEYLOG_LINE_LEN; i++) {
        char c = l[i];
        if (i == 14 + 64) {
            continue;
        }
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

#if NANODTLS_TEST_KEYLOG_TICKETS
static nanodtls_ticket_keys g_keys;
#endif

/* A PSK handshake between fresh contexts; with the tickets feature the
 * client offers the session in `blob` if non-NULL, the server resumes it
 * from its ticket (g_keys), and the client exports its session into
 * `out`. Returns 1 if both connected. */
static int run_handshake(uint64_t seed, const uint8_t *blob, size_t blob_len, uint8_t *out, size_t *out_len)
{
    t_party cp, sp;
    int ok;

    g_clock = 1000;
    t_party_init(&cp, seed, &g_clock);
    t_party_init(&sp, seed + 1, &g_clock);
    t_queues_reset();
    if (t_setup_ctx(&g_client, NANODTLS_ROLE_CLIENT, &cp, T_ID, T_KEY, sizeof T_KEY) != NANODTLS_OK ||
        t_setup_ctx(&g_server, NANODTLS_ROLE_SERVER, &sp, T_ID, T_KEY, sizeof T_KEY) != NANODTLS_OK) {
        return 0;
    }
#if NANODTLS_TEST_KEYLOG_TICKETS
    if (nanodtls_enable_tickets(&g_client, 1) != NANODTLS_OK ||
        nanodtls_set_ticket_keys(&g_server, &g_keys) != NANODTLS_OK) {
        return 0;
    }
#endif
    if (blob != NULL && nanodtls_session_import(&g_client, blob, blob_len) != NANODTLS_OK) {
        return 0;
    }
    if (nanodtls_connect(&g_client) != NANODTLS_OK) {
        return 0;
    }
    ok = t_handshake(&g_client, &g_server, 10);
    if (ok && out != NULL && nanodtls_session_export(&g_client, out, NANODTLS_SESSION_BLOB_MAX, out_len) != NANODTLS_OK) {
        ok = 0;
    }
    (void)nanodtls_deinit(&g_client);
#if NANODTLS_TEST_KEYLOG_TICKETS
    /* The keys outlive the server context (its deinit would wipe them). */
    (void)nanodtls_set_ticket_keys(&g_server, NULL);
#endif
    (void)nanodtls_deinit(&g_server);
    return ok;
}

static void test_one_line_per_role_full_and_resumed(void)
{
    static uint8_t blob[NANODTLS_SESSION_BLOB_MAX];
    size_t blob_len = 0;

    g_n = 0;
    g_calls = 0;
    g_bad = 0;
    T_EQ(NANODTLS_KEYLOG_LINE_LEN, 175);
#if NANODTLS_TEST_KEYLOG_TICKETS
    T_ST(nanodtls_ticket_keys_init(&g_keys, 3600), NANODTLS_OK);
#endif
    T_ST(nanodtls_set_keylog_hook(keylog_hook, &g_marker), NANODTLS_OK);
    T_REQUIRE(run_handshake(21, NULL, 0, blob, &blob_len));
    T_EQ(g_bad, 0);
    T_EQ(g_n, 2);
    T_REQUIRE(g_n == 2);
    T_CHECK(well_formed(g_lines[0]));
    T_CHECK(strcmp(g_lines[0], g_lines[1]) == 0);

#if NANODTLS_TEST_KEYLOG_TICKETS
    /* Resumed (RFC 5077 ticket): the same master secret, a new client random. */
    T_REQUIRE(run_handshake(31, blob, blob_len, NULL, NULL));
    T_EQ(g_bad, 0);
    T_EQ(g_n, 4);
    T_REQUIRE(g_n == 4);
    T_CHECK(well_formed(g_lines[2]));
    T_CHECK(strcmp(g_lines[2], g_lines[3]) == 0);
    T_CHECK(memcmp(g_lines[0] + 14, g_lines[2] + 14, 64) != 0);
    T_CHECK(strcmp(g_lines[0] + 14 + 65, g_lines[2] + 14 + 65) == 0);
#endif

    /* A NULL hook: no more lines. */
    T_ST(nanodtls_set_keylog_hook(NULL, NULL), NANODTLS_OK);
    g_calls = 0;
    T_REQUIRE(run_handshake(41, NULL, 0, NULL, NULL));
    T_EQ(g_calls, 0);
}

static void test_without_the_keylog_feature(void)
{
    g_calls = 0;
    T_ST(nanodtls_set_keylog_hook(keylog_hook, &g_marker), NANODTLS_E_UNSUPPORTED);
    T_REQUIRE(run_handshake(51, NULL, 0, NULL, NULL));
    T_EQ(g_calls, 0);
}

int main(void)
{
    if (NANODTLS_TEST_EXPECT_KEYLOG) {
        T_RUN(test_one_line_per_role_full_and_resumed);
    } else {
        T_RUN(test_without_the_keylog_feature);
    }
    (void)nanodtls_set_keylog_hook(NULL, NULL);
    return t_finish("test_keylog");
}
