/*
 * Minimal C test harness for nanodtls (no external framework).
 *
 * - Assertions: T_CHECK / T_EQ / T_ST record a failure and go on;
 *   T_REQUIRE returns from the current test function on failure.
 * - A deterministic environment: a seeded xorshift RNG and a virtual
 *   millisecond clock, passed to the library through the platform user
 *   pointer, so every run is identical.
 * - Datagrams travel between contexts through arrays (t_flight), which
 *   lets a test drop, duplicate or inspect them.
 */
#ifndef NANODTLS_TEST_HARNESS_H
#define NANODTLS_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nanodtls.h"

/* ---- Assertions ------------------------------------------------------- */

extern unsigned long t_checks;
extern unsigned long t_failed;

void t_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define T_CHECK(cond)                                                   \
    do {                                                                \
        t_checks++;                                                     \
        if (!(cond)) {                                                  \
            t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);             \
        }                                                               \
    } while (0)

/* Integer equality with both values printed. */
#define T_EQ(actual, expected)                                                              \
    do {                                                                                    \
        long long t_a_ = (long long)(actual);                                               \
        long long t_e_ = (long long)(expected);                                             \
        t_checks++;                                                                         \
        if (t_a_ != t_e_) {                                                                 \
            t_fail(__FILE__, __LINE__, "%s == %s: got %lld, expected %lld", #actual,        \
                   #expected, t_a_, t_e_);                                                  \
        }                                                                                   \
    } while (0)

/* Status equality with the status strings printed. */
#define T_ST(call, expected)                                                                \
    do {                                                                                    \
        nanodtls_status t_s_ = (call);                                                      \
        nanodtls_status t_x_ = (expected);                                                  \
        t_checks++;                                                                         \
        if (t_s_ != t_x_) {                                                                 \
            t_fail(__FILE__, __LINE__, "%s: got %d (%s), expected %d (%s)", #call, (int)t_s_, \
                   nanodtls_status_str(t_s_), (int)t_x_, nanodtls_status_str(t_x_));        \
        }                                                                                   \
    } while (0)

#define T_REQUIRE(cond)                                                 \
    do {                                                                \
        t_checks++;                                                     \
        if (!(cond)) {                                                  \
            t_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);           \
            return;                                                     \
        }                                                               \
    } while (0)

/* Run one test function (prints its name and result). */
void t_run(const char *name, void (*fn)(void));
#define T_RUN(fn) t_run(#fn, fn)

/* Print the summary line; returns the process exit code. */
int t_finish(const char *program);

/* True if all `n` bytes at `p` equal `value`. */
int t_all_bytes(const void *p, size_t n, unsigned char value);

/* ---- Deterministic environment ---------------------------------------- */

/* One side of a test connection; its address is the platform user
 * pointer. The clock is shared by all parties of a test. */
typedef struct t_party {
    uint64_t rng_state;
    int rng_fail;           /* non-zero: the RNG callback fails */
    unsigned long rng_calls;
    uint64_t *clock;        /* virtual time in ms */
    /* Optional hook run inside the RNG callback (re-entrancy tests). */
    void (*rng_hook)(struct t_party *self);
    /* Optional hook run inside the clock callback. */
    void (*now_hook)(struct t_party *self);
    void *hook_target;      /* e.g. the context the hook calls into */
    int hook_runs;
    nanodtls_status hook_results[8];
} t_party;

void t_party_init(t_party *p, uint64_t seed, uint64_t *clock);
int t_rng(void *user, uint8_t *buf, size_t len);
uint64_t t_now(void *user);
void t_platform(nanodtls_platform *plat, t_party *p);

/* The PSK used by most tests. */
extern const uint8_t T_KEY[16];
extern const char T_ID[]; /* "client1" */

/* nanodtls_init + nanodtls_set_psk with the default config of `role`;
 * returns the first failing status or NANODTLS_OK. */
nanodtls_status t_setup_ctx(nanodtls_ctx *ctx, uint8_t role, t_party *p, const char *id, const uint8_t *key,
                            size_t key_len);

/* ---- Datagrams through arrays ------------------------------------------ */

/* A datagram: room for a ClientHello one byte over the reassembly limit
 * (test_endpoint), which is 2048 with the x509 feature. */
#define T_DGRAM_MAX (NANODTLS_MAX_HANDSHAKE_MSG + 512 > 2048 ? NANODTLS_MAX_HANDSHAKE_MSG + 512 : 2048)
#define T_FLIGHT_MAX 32

typedef struct t_dgram {
    uint8_t data[T_DGRAM_MAX];
    size_t len;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR]; /* endpoint datagrams: destination */
    size_t addr_len;
} t_dgram;

typedef struct t_flight {
    t_dgram d[T_FLIGHT_MAX];
    size_t n;
} t_flight;

/* ---- The application's queues ------------------------------------------
 * The library stores no datagram: nanodtls_feed decrypts in place and
 * reports one application record per call (NANODTLS_MORE: feed the rest),
 * nanodtls_write seals straight into the caller's buffer. The tests keep
 * a receive queue and a send queue per context / endpoint, as an
 * application would:
 * - t_feed copies the datagram, feeds it until every record is processed
 *   and queues the application records (returns the last status that is
 *   not OK/MORE, or NANODTLS_OK);
 * - t_read takes the next queued record (NANODTLS_OK / NANODTLS_DONE /
 *   NANODTLS_E_BUFFER_TOO_SMALL; with nothing queued on a closed or
 *   failed context, its nanodtls_error status);
 * - t_write seals a record (nanodtls_write) and queues the datagram, which
 *   t_poll (and t_collect) hand out before the library's own datagrams.
 * The endpoint versions keep the peer address with each item. */
nanodtls_status t_feed(nanodtls_ctx *ctx, const uint8_t *data, size_t len);
nanodtls_status t_read(nanodtls_ctx *ctx, uint8_t *out, size_t cap, size_t *n);
nanodtls_status t_write(nanodtls_ctx *ctx, const uint8_t *data, size_t len);
nanodtls_status t_poll(nanodtls_ctx *ctx, uint8_t *out, size_t cap, size_t *n);
nanodtls_status t_ep_feed(nanodtls_endpoint *ep, const uint8_t *addr, size_t addr_len, const uint8_t *data,
                          size_t len);
nanodtls_status t_ep_read(nanodtls_endpoint *ep, uint8_t *out, size_t cap, size_t *n, uint8_t *addr_out,
                          size_t addr_cap, size_t *addr_len);
nanodtls_status t_ep_write(nanodtls_endpoint *ep, const uint8_t *addr, size_t addr_len, const uint8_t *data,
                           size_t len);
nanodtls_status t_ep_poll(nanodtls_endpoint *ep, uint8_t *out, size_t cap, size_t *n, uint8_t *addr_out,
                          size_t addr_cap, size_t *addr_len);
/* Forget every queue (between tests that reuse contexts). */
void t_queues_reset(void);

/* Poll every datagram `ctx` has into `f` (appending). Returns how many. */
size_t t_collect(nanodtls_ctx *ctx, t_flight *f);

/* Feed every datagram of `f` to `ctx`. Returns the first status that is
 * not NANODTLS_OK, or NANODTLS_OK. */
nanodtls_status t_deliver(nanodtls_ctx *ctx, const t_flight *f);

/* Poll every datagram of an endpoint (with destinations) into `f`. */
size_t t_collect_ep(nanodtls_endpoint *ep, t_flight *f);

/* Feed the datagrams of `f` to the endpoint as coming from `addr`. */
nanodtls_status t_deliver_ep(nanodtls_endpoint *ep, const void *addr, size_t addr_len, const t_flight *f);

/* Feed the datagrams of `f` addressed to `addr` (endpoint output) to `ctx`. */
nanodtls_status t_deliver_to(nanodtls_ctx *ctx, const void *addr, size_t addr_len, const t_flight *f);

/* Run the handshake between two contexts for at most `rounds` round trips
 * without loss. Returns 1 once both are CONNECTED and nothing is in flight. */
int t_handshake(nanodtls_ctx *client, nanodtls_ctx *server, int rounds);

/* Advance the shared clock to the earliest timer of the given contexts
 * (NULL entries are skipped) and run nanodtls_handle_timeout on them.
 * Returns 0 if no timer runs. */
int t_fire_timers(uint64_t *clock, nanodtls_ctx *a, nanodtls_ctx *b);

#endif /* NANODTLS_TEST_HARNESS_H */
