/*
 * Host benchmark (bench/host/host_bench.c): what every stack's driver
 * shares. Client and server of each stack run in one thread; datagrams
 * go through two in-memory queues (client -> server, server -> client),
 * one datagram per slot, the same for all three stacks.
 */
#ifndef NANODTLS_HOST_BENCH_H
#define NANODTLS_HOST_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Datagrams in flight in one direction: a handshake flight or one batch
 * of application records (BENCH_BATCH). */
#define DQ_SLOTS 64
#define DQ_MAX 2048

/* Application records: payload size and how many are sealed, then
 * opened, per batch (the batch stays in L2: 32 x 1 KiB). */
#define REC_LEN 1024
#define BENCH_BATCH 32

/* PSK credentials (TLS_PSK_WITH_AES_128_CCM_8), the same for all stacks. */
#define BENCH_PSK_ID "bench"
extern const uint8_t bench_psk[16];

struct dq {
    uint8_t buf[DQ_SLOTS][DQ_MAX];
    size_t len[DQ_SLOTS];
    unsigned head, count;
};

/* Clear a queue. */
void dq_reset(struct dq *q);
/* Copy a datagram in; exits the program on overflow (a driver bug). */
void dq_push(struct dq *q, const uint8_t *d, size_t n);
/* The slot the next push fills, for a stack that writes its datagram in
 * place (nanodtls_write): fill it, then dq_commit(q, n). NULL when full. */
uint8_t *dq_slot(struct dq *q);
void dq_commit(struct dq *q, size_t n);
/* The oldest datagram (NULL when empty) and dropping it. Front stays
 * valid until the next push. */
uint8_t *dq_front(struct dq *q, size_t *n);
void dq_pop(struct dq *q);

/* Certificates and keys (PEM) for the X.509 stacks' ECDHE-ECDSA
 * handshake; nanodtls uses raw public keys. */
struct bench_files {
    const char *server_crt, *server_key, *client_crt, *client_key;
};

/* One stack's driver. Every function exits the program (with a message)
 * when a handshake fails or a record does not decrypt to what was sent:
 * a benchmark that measures a failure is worse than none. */
struct stack {
    const char *name;
    /* Load credentials, create long-lived configuration. */
    void (*init)(const struct bench_files *f);
    /* n full PSK-CCM8 handshakes with cookie exchange, each with a fresh
     * connection on both sides (set up and torn down inside the timing).
     * Returns seconds. */
    double (*psk_handshakes)(int n);
    /* Over one PSK-CCM8 connection set up outside the timing: n batches
     * of BENCH_BATCH records of REC_LEN bytes, client seals, server opens.
     * Adds the seconds spent sealing / opening to *seal_s / *open_s. */
    void (*records)(int n, double *seal_s, double *open_s);
    /* n ECDHE-ECDSA (P-256) CCM-8 handshakes with mutual authentication
     * and cookie exchange; only the handshake itself is timed (first
     * flight to both sides connected). Returns seconds. */
    double (*ecdhe_handshakes)(int n);
};

extern const struct stack stack_nanodtls, stack_nanodtls_hook, stack_openssl, stack_mbedtls;
/* nanodtls built with the cargo feature aes-tables (host_bench built with
 * -DBENCH_HAVE_TABLES, scripts/bench-host.sh). */
extern const struct stack stack_nanodtls_tables;

/* Seconds on CLOCK_MONOTONIC (timers). */
double now_s(void);
/* Seconds on the clock measurements use: this thread's CPU time
 * (default; preemption by other processes is not counted), or
 * CLOCK_MONOTONIC with --wall. */
double bench_clock(void);
/* Exit with a message. */
void fail(const char *stack, const char *what, long code);
/* Exit unless the oldest datagram in q is a HelloVerifyRequest (DTLS
 * record of type handshake whose first message is hello_verify_request):
 * the proof that a driver's server really runs the cookie exchange. */
void expect_hvr(const char *stack, struct dq *q);
/* Fill a record payload; check one (exits on mismatch). */
void payload_fill(uint8_t *p, size_t n, uint32_t seq);
void payload_check(const char *stack, const uint8_t *p, size_t n, uint32_t seq);

#endif
