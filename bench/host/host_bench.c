/*
 * Host benchmark, nanodtls side by side with OpenSSL (libssl) and Mbed TLS
 * in one run. Client and server of a stack in one thread, datagrams
 * through in-memory queues (bench.h), cookie exchange on in every
 * handshake. Per round, for each measurement, the stacks take turns
 * (nanodtls, nanodtls with the libcrypto CCM hook, nanodtls built with
 * aes-tables if compiled in, OpenSSL, Mbed TLS, then the next
 * measurement), so that load
 * from other processes on a shared machine falls on all of them alike.
 * Prints one table: median over the rounds, with min and max.
 *
 * Timed on this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that time
 * the scheduler gives other processes is not counted (what load still
 * costs: caches and branch predictors shared with them); --wall times on
 * CLOCK_MONOTONIC instead.
 *
 *   PSK-CCM8 handshakes/s   TLS_PSK_WITH_AES_128_CCM_8, full handshakes
 *                           (no resumption), a fresh connection on both
 *                           sides each (setup and teardown timed)
 *   record seal / open MB/s 1 KiB of application data per record, through
 *                           the whole stack (write -> datagram, datagram
 *                           -> read), same suite; payload MB = 10^6 bytes
 *   ECDHE-ECDSA ms          P-256, AES-128-CCM-8, mutual authentication
 *
 *   host_bench [--rounds N] [--quick] [--wall] server.crt server.key client.crt client.key
 *
 * --quick: one small round, every check still made (a smoke test: the
 * drivers work against this build of each library), no table targets.
 * scripts/bench-host.sh builds and runs this.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

const uint8_t bench_psk[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static clockid_t g_bench_clock = CLOCK_THREAD_CPUTIME_ID;

double bench_clock(void)
{
    return clock_s(g_bench_clock);
}

void fail(const char *stack, const char *what, long code)
{
    fprintf(stderr, "host_bench: %s: %s (%ld)\n", stack, what, code);
    exit(1);
}

void dq_reset(struct dq *q)
{
    q->head = 0;
    q->count = 0;
}

uint8_t *dq_slot(struct dq *q)
{
    if (q->count == DQ_SLOTS)
        return NULL;
    return q->buf[(q->head + q->count) % DQ_SLOTS];
}

void dq_commit(struct dq *q, size_t n)
{
    q->len[(q->head + q->count) % DQ_SLOTS] = n;
    q->count++;
}

void dq_push(struct dq *q, const uint8_t *d, size_t n)
{
    uint8_t *s = dq_slot(q);
    if (!s || n > DQ_MAX)
        fail("queue", "datagram queue overflow", (long)n);
    memcpy(s, d, n);
    dq_commit(q, n);
}

uint8_t *dq_front(struct dq *q, size_t *n)
{
    if (q->count == 0)
        return NULL;
    *n = q->len[q->head];
    return q->buf[q->head];
}

void dq_pop(struct dq *q)
{
    if (q->count) {
        q->head = (q->head + 1) % DQ_SLOTS;
        q->count--;
    }
}

void expect_hvr(const char *stack, struct dq *q)
{
    size_t n;
    const uint8_t *d = dq_front(q, &n);
    /* record header: type(1) version(2) epoch(2) seq(6) length(2); then
     * the handshake header: msg_type(1) ... */
    if (!d || n < 14 || d[0] != 22 || d[13] != 3)
        fail(stack, "the server's first datagram is not a HelloVerifyRequest", d ? (long)n : -1L);
}

void payload_fill(uint8_t *p, size_t n, uint32_t seq)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seq * 31u + i);
}

void payload_check(const char *stack, const uint8_t *p, size_t n, uint32_t seq)
{
    if (n != REC_LEN)
        fail(stack, "record of the wrong length", (long)n);
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seq * 31u + i))
            fail(stack, "record decrypted to the wrong plaintext", (long)seq);
}

/* ---- statistics ------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct stat3 {
    double min, med, max;
};

static struct stat3 stats(double *v, int n)
{
    struct stat3 s;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    s.min = v[0];
    s.max = v[n - 1];
    s.med = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

static void loadavg(char *out, size_t cap)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
        snprintf(out, cap, "?");
    else
        snprintf(out, cap, "%.2f %.2f %.2f", a, b, c);
    if (f)
        fclose(f);
}

#ifdef BENCH_HAVE_TABLES
#define NSTACKS 5
#else
#define NSTACKS 4
#endif
/* The nanodtls variants come first; then OpenSSL (the ratios' base). */
#define NVARIANTS (NSTACKS - 2)
#define OPENSSL (NSTACKS - 2)
enum { M_PSK, M_SEAL, M_OPEN, M_ECDHE, NMEAS };

/* Per-round work. PSK: handshakes; records: batches of BENCH_BATCH;
 * ECDHE: handshakes. */
struct work {
    int psk, batches, ecdhe;
};

static void cell(char *out, size_t cap, struct stat3 s, int decimals)
{
    snprintf(out, cap, "%.*f (%.*f-%.*f)", decimals, s.med, decimals, s.min, decimals, s.max);
}

int main(int argc, char **argv)
{
    const struct stack *st[NSTACKS] = {&stack_nanodtls, &stack_nanodtls_hook,
#ifdef BENCH_HAVE_TABLES
                                       &stack_nanodtls_tables,
#endif
                                       &stack_openssl, &stack_mbedtls};
    int rounds = 51, quick = 0, argi = 1;
    struct work w = {200, 32, 4};

    while (argi < argc && strncmp(argv[argi], "--", 2) == 0) {
        if (strcmp(argv[argi], "--quick") == 0) {
            quick = 1;
            argi++;
        } else if (strcmp(argv[argi], "--wall") == 0) {
            g_bench_clock = CLOCK_MONOTONIC;
            argi++;
        } else if (strcmp(argv[argi], "--rounds") == 0 && argi + 1 < argc) {
            rounds = atoi(argv[argi + 1]);
            argi += 2;
        } else {
            break;
        }
    }
    if (argc - argi != 4 || rounds < 1) {
        fprintf(stderr, "usage: %s [--rounds N] [--quick] [--wall] server.crt server.key client.crt client.key (PEM)\n",
                argv[0]);
        return 2;
    }
    if (quick) {
        rounds = 1;
        w.psk = 2;
        w.batches = 2;
        w.ecdhe = 1;
    }
    struct bench_files files = {argv[argi], argv[argi + 1], argv[argi + 2], argv[argi + 3]};

    double *v[NSTACKS][NMEAS];
    for (int s = 0; s < NSTACKS; s++) {
        st[s]->init(&files);
        for (int m = 0; m < NMEAS; m++)
            if (!(v[s][m] = calloc((size_t)rounds, sizeof(double))))
                fail("main", "out of memory", 0);
    }
    /* Warm-up: lazy initialisation, caches, CPU frequency. */
    for (int s = 0; s < NSTACKS; s++) {
        double a = 0, b = 0;
        (void)st[s]->psk_handshakes(quick ? 1 : 20);
        st[s]->records(quick ? 1 : 8, &a, &b);
        (void)st[s]->ecdhe_handshakes(1);
    }

    char load0[64], load1[64];
    loadavg(load0, sizeof load0);
    double t0 = now_s(), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int r = 0; r < rounds; r++) {
        for (int s = 0; s < NSTACKS; s++)
            v[s][M_PSK][r] = w.psk / st[s]->psk_handshakes(w.psk);
        for (int s = 0; s < NSTACKS; s++) {
            double seal = 0, open = 0, mb = (double)w.batches * BENCH_BATCH * REC_LEN / 1e6;
            st[s]->records(w.batches, &seal, &open);
            v[s][M_SEAL][r] = mb / seal;
            v[s][M_OPEN][r] = mb / open;
        }
        for (int s = 0; s < NSTACKS; s++)
            v[s][M_ECDHE][r] = st[s]->ecdhe_handshakes(w.ecdhe) * 1e3 / w.ecdhe;
    }
    double elapsed = now_s() - t0;
    loadavg(load1, sizeof load1);

    struct stat3 res[NSTACKS][NMEAS];
    for (int s = 0; s < NSTACKS; s++)
        for (int m = 0; m < NMEAS; m++)
            res[s][m] = stats(v[s][m], rounds);

    static const char *label[NMEAS] = {
        "PSK-CCM8 full handshakes/s",
        "1 KiB record seal MB/s",
        "1 KiB record open MB/s",
        "ECDHE-ECDSA P-256 handshake ms",
    };
    static const int decimals[NMEAS] = {0, 1, 1, 2};
    /* Targets for nanodtls / OpenSSL (issue 11): speed ratios, so for
     * the handshake time OpenSSL's time over ours. */
    static const double target[NMEAS] = {1.5, 0.8, 0.8, 0.7};

    printf("%d rounds of: %d PSK handshakes, %d x %d records of %d bytes, %d ECDHE-ECDSA handshakes per stack;\n"
           "stacks interleaved within each round; timed on %s; run took %.1f s (wall), CPU %.1f s;\n"
           "load average before %s, after %s\n\n",
           rounds, w.psk, w.batches, BENCH_BATCH, REC_LEN, w.ecdhe,
           g_bench_clock == CLOCK_MONOTONIC ? "the wall clock (--wall)" : "this thread's CPU time", elapsed,
           clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0, load0, load1);
    static const char *short_name[3] = {"nanodtls", "hook", "aes-tables"};
    printf("| median (min-max) over %d rounds |", rounds);
    for (int s = 0; s < NSTACKS; s++)
        printf(" %s |", st[s]->name);
    for (int s = 0; s < NVARIANTS; s++)
        printf(" %s / OpenSSL |", short_name[s]);
    printf(" target (%s", short_name[0]);
    for (int s = 1; s < NVARIANTS; s++)
        printf(", %s", short_name[s]);
    printf(") |\n|---|");
    for (int s = 0; s < NSTACKS + NVARIANTS + 1; s++)
        printf("---|");
    printf("\n");
    for (int m = 0; m < NMEAS; m++) {
        char c[64];
        printf("| %s |", label[m]);
        for (int s = 0; s < NSTACKS; s++) {
            cell(c, sizeof c, res[s][m], decimals[m]);
            printf(" %s |", c);
        }
        double ratio[NVARIANTS];
        for (int s = 0; s < NVARIANTS; s++) {
            ratio[s] = (m == M_ECDHE) ? res[OPENSSL][m].med / res[s][m].med : res[s][m].med / res[OPENSSL][m].med;
            printf(" %.2fx |", ratio[s]);
        }
        printf(" >= %.1fx:", target[m]);
        for (int s = 0; s < NVARIANTS && !quick; s++)
            printf("%s %s", s ? "," : "", ratio[s] >= target[m] ? "met" : "missed");
        if (quick)
            printf(" (--quick)");
        printf(" |\n");
    }
    return 0;
}
