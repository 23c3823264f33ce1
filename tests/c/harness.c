/*
 * Test harness implementation. See harness.h.
 */
#include "harness.h"

#include <stdarg.h>
#include <string.h>

unsigned long t_checks = 0;
unsigned long t_failed = 0;

static unsigned long t_tests_run = 0;
static unsigned long t_tests_failed = 0;

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    t_failed++;
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

void t_run(const char *name, void (*fn)(void))
{
    unsigned long before = t_failed;

    fprintf(stderr, "--- %s\n", name);
    t_queues_reset();
    fn();
    t_tests_run++;
    if (t_failed != before) {
        t_tests_failed++;
        fprintf(stderr, "--- %s: FAILED (%lu failed checks)\n", name, t_failed - before);
    } else {
        fprintf(stderr, "--- %s: ok\n", name);
    }
}

int t_finish(const char *program)
{
    /* "N passed, N failed" in the form CI log readers recognise. */
    printf("%s: %lu passed, %lu failed (%lu checks)\n", program, t_tests_run - t_tests_failed,
           t_tests_failed, t_checks);
    return t_failed == 0 ? 0 : 1;
}

int t_all_bytes(const void *p, size_t n, unsigned char value)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) {
        if (b[i] != value) {
            return 0;
        }
    }
    return 1;
}

/* ---- Deterministic environment ---------------------------------------- */

const uint8_t T_KEY[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                           0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
const char T_ID[] = "client1";

void t_party_init(t_party *p, uint64_t seed, uint64_t *clock)
{
    memset(p, 0, sizeof *p);
    p->rng_state = seed ? seed : 0x9e3779b97f4a7c15u;
    p->clock = clock;
}

/* xorshift64*: deterministic, NOT cryptographic (tests only). */
int t_rng(void *user, uint8_t *buf, size_t len)
{
    t_party *p = (t_party *)user;
    size_t i;

    p->rng_calls++;
    if (p->rng_hook != NULL) {
        p->rng_hook(p);
    }
    if (p->rng_fail) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        uint64_t x = p->rng_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        p->rng_state = x;
        buf[i] = (uint8_t)((x * 0x2545f4914f6cdd1dU) >> 56);
    }
    return 0;
}

uint64_t t_now(void *user)
{
    t_party *p = (t_party *)user;
    if (p->now_hook != NULL) {
        p->now_hook(p);
    }
    return p->clock != NULL ? *p->clock : 0;
}

void t_platform(nanodtls_platform *plat, t_party *p)
{
    memset(plat, 0, sizeof *plat);
    plat->rng = t_rng;
    plat->now_ms = t_now;
    plat->user = p;
}

nanodtls_status t_setup_ctx(nanodtls_ctx *ctx, uint8_t role, t_party *p, const char *id, const uint8_t *key,
                            size_t key_len)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st;

    st = nanodtls_config_default(&cfg, role);
    if (st != NANODTLS_OK) {
        return st;
    }
    t_platform(&plat, p);
    st = nanodtls_init(ctx, sizeof *ctx, &cfg, &plat);
    if (st != NANODTLS_OK) {
        return st;
    }
    return nanodtls_set_psk(ctx, (const uint8_t *)id, strlen(id), key, key_len);
}

/* ---- Datagrams through arrays ------------------------------------------ */

size_t t_collect(nanodtls_ctx *ctx, t_flight *f)
{
    size_t got = 0;

    while (f->n < T_FLIGHT_MAX) {
        t_dgram *d = &f->d[f->n];
        nanodtls_status st = t_poll(ctx, d->data, sizeof d->data, &d->len);
        if (st != NANODTLS_OK) {
            if (st != NANODTLS_DONE) {
                t_fail(__FILE__, __LINE__, "poll_datagram: %s", nanodtls_status_str(st));
            }
            break;
        }
        d->addr_len = 0;
        f->n++;
        got++;
    }
    return got;
}

/* ---- The application's queues (see harness.h) ---------------------------- */

#define T_QUEUES 8
#define T_QUEUE_LEN 16

typedef struct t_queue {
    const void *owner;
    t_dgram item[T_QUEUE_LEN];
    size_t head, n;
} t_queue;

static t_queue t_rxq[T_QUEUES];
static t_queue t_txq[T_QUEUES];

void t_queues_reset(void)
{
    memset(t_rxq, 0, sizeof t_rxq);
    memset(t_txq, 0, sizeof t_txq);
}

static t_queue *t_queue_of(t_queue *qs, const void *owner)
{
    size_t i;

    for (i = 0; i < T_QUEUES; i++) {
        if (qs[i].owner == owner) {
            return &qs[i];
        }
    }
    for (i = 0; i < T_QUEUES; i++) {
        if (qs[i].owner == NULL) {
            qs[i].owner = owner;
            qs[i].head = qs[i].n = 0;
            return &qs[i];
        }
    }
    t_fail(__FILE__, __LINE__, "more than %d contexts with queues", T_QUEUES);
    return &qs[0];
}

static void t_push(t_queue *q, const uint8_t *data, size_t len, const uint8_t *addr, size_t addr_len)
{
    t_dgram *d;

    if (q->n == T_QUEUE_LEN || len > T_DGRAM_MAX || addr_len > sizeof d->addr) {
        t_fail(__FILE__, __LINE__, "test queue overflow");
        return;
    }
    d = &q->item[(q->head + q->n) % T_QUEUE_LEN];
    memcpy(d->data, data, len);
    d->len = len;
    if (addr_len > 0) {
        memcpy(d->addr, addr, addr_len);
    }
    d->addr_len = addr_len;
    q->n++;
}

static t_dgram *t_front(t_queue *q)
{
    return q->n > 0 ? &q->item[q->head] : NULL;
}

static void t_pop(t_queue *q)
{
    q->head = (q->head + 1) % T_QUEUE_LEN;
    q->n--;
}

/* Take the front item into out / addr_out (NULL addr_out: no address). */
static nanodtls_status t_take(t_queue *q, uint8_t *out, size_t cap, size_t *n, uint8_t *addr_out, size_t addr_cap,
                              size_t *addr_len)
{
    t_dgram *d = t_front(q);

    if (d == NULL) {
        return NANODTLS_DONE;
    }
    if (d->len > cap || (addr_out != NULL && d->addr_len > addr_cap)) {
        return NANODTLS_E_BUFFER_TOO_SMALL;
    }
    if (d->len > 0) {
        memcpy(out, d->data, d->len);
    }
    *n = d->len;
    if (addr_out != NULL) {
        memcpy(addr_out, d->addr, d->addr_len);
        *addr_len = d->addr_len;
    }
    t_pop(q);
    return NANODTLS_OK;
}

nanodtls_status t_feed(nanodtls_ctx *ctx, const uint8_t *data, size_t len)
{
    static uint8_t buf[T_DGRAM_MAX];
    size_t at = 0;
    nanodtls_status st;

    if (len > sizeof buf) {
        return NANODTLS_E_INVALID_ARG;
    }
    memcpy(buf, data, len);
    do {
        nanodtls_input in;
        st = nanodtls_feed(ctx, buf + at, len - at, &in);
        if (st != NANODTLS_OK && st != NANODTLS_MORE) {
            return st;
        }
        if (in.app_data != NULL) {
            t_push(t_queue_of(t_rxq, ctx), in.app_data, in.app_len, NULL, 0);
        }
        at += in.consumed;
    } while (st == NANODTLS_MORE);
    return NANODTLS_OK;
}

nanodtls_status t_read(nanodtls_ctx *ctx, uint8_t *out, size_t cap, size_t *n)
{
    nanodtls_status st = t_take(t_queue_of(t_rxq, ctx), out, cap, n, NULL, 0, NULL);

    if (st == NANODTLS_DONE && nanodtls_state(ctx) >= NANODTLS_STATE_CLOSED) {
        return nanodtls_error(ctx);
    }
    return st;
}

nanodtls_status t_write(nanodtls_ctx *ctx, const uint8_t *data, size_t len)
{
    static uint8_t out[T_DGRAM_MAX];
    size_t n = 0;
    nanodtls_status st = nanodtls_write(ctx, data, len, out, sizeof out, &n);

    if (st == NANODTLS_OK) {
        t_push(t_queue_of(t_txq, ctx), out, n, NULL, 0);
    }
    return st;
}

nanodtls_status t_poll(nanodtls_ctx *ctx, uint8_t *out, size_t cap, size_t *n)
{
    t_queue *q = t_queue_of(t_txq, ctx);

    if (t_front(q) != NULL) {
        return t_take(q, out, cap, n, NULL, 0, NULL);
    }
    return nanodtls_poll_datagram(ctx, out, cap, n);
}

nanodtls_status t_ep_feed(nanodtls_endpoint *ep, const uint8_t *addr, size_t addr_len, const uint8_t *data,
                          size_t len)
{
    static uint8_t buf[T_DGRAM_MAX];
    size_t at = 0;
    nanodtls_status st;

    if (len > sizeof buf) {
        return NANODTLS_E_INVALID_ARG;
    }
    memcpy(buf, data, len);
    do {
        nanodtls_input in;
        st = nanodtls_endpoint_feed(ep, addr, addr_len, buf + at, len - at, &in);
        if (st != NANODTLS_OK && st != NANODTLS_MORE) {
            return st;
        }
        if (in.app_data != NULL) {
            t_push(t_queue_of(t_rxq, ep), in.app_data, in.app_len, addr, addr_len);
        }
        at += in.consumed;
    } while (st == NANODTLS_MORE);
    return NANODTLS_OK;
}

nanodtls_status t_ep_read(nanodtls_endpoint *ep, uint8_t *out, size_t cap, size_t *n, uint8_t *addr_out,
                          size_t addr_cap, size_t *addr_len)
{
    return t_take(t_queue_of(t_rxq, ep), out, cap, n, addr_out, addr_cap, addr_len);
}

nanodtls_status t_ep_write(nanodtls_endpoint *ep, const uint8_t *addr, size_t addr_len, const uint8_t *data,
                           size_t len)
{
    static uint8_t out[T_DGRAM_MAX];
    size_t n = 0;
    nanodtls_status st = nanodtls_endpoint_write(ep, addr, addr_len, data, len, out, sizeof out, &n);

    if (st == NANODTLS_OK) {
        t_push(t_queue_of(t_txq, ep), out, n, addr, addr_len);
    }
    return st;
}

nanodtls_status t_ep_poll(nanodtls_endpoint *ep, uint8_t *out, size_t cap, size_t *n, uint8_t *addr_out,
                          size_t addr_cap, size_t *addr_len)
{
    t_queue *q = t_queue_of(t_txq, ep);

    if (t_front(q) != NULL) {
        return t_take(q, out, cap, n, addr_out, addr_cap, addr_len);
    }
    return nanodtls_endpoint_poll_datagram(ep, out, cap, n, addr_out, addr_cap, addr_len);
}

nanodtls_status t_deliver(nanodtls_ctx *ctx, const t_flight *f)
{
    nanodtls_status first = NANODTLS_OK;
    size_t i;

    for (i = 0; i < f->n; i++) {
        nanodtls_status st = t_feed(ctx, f->d[i].data, f->d[i].len);
        if (st != NANODTLS_OK && first == NANODTLS_OK) {
            first = st;
        }
    }
    return first;
}

size_t t_collect_ep(nanodtls_endpoint *ep, t_flight *f)
{
    size_t got = 0;

    while (f->n < T_FLIGHT_MAX) {
        t_dgram *d = &f->d[f->n];
        nanodtls_status st = t_ep_poll(ep, d->data, sizeof d->data, &d->len, d->addr, sizeof d->addr, &d->addr_len);
        if (st != NANODTLS_OK) {
            if (st != NANODTLS_DONE) {
                t_fail(__FILE__, __LINE__, "endpoint_poll_datagram: %s", nanodtls_status_str(st));
            }
            break;
        }
        f->n++;
        got++;
    }
    return got;
}

nanodtls_status t_deliver_ep(nanodtls_endpoint *ep, const void *addr, size_t addr_len, const t_flight *f)
{
    nanodtls_status first = NANODTLS_OK;
    size_t i;

    for (i = 0; i < f->n; i++) {
        nanodtls_status st = t_ep_feed(ep, (const uint8_t *)addr, addr_len, f->d[i].data, f->d[i].len);
        if (st != NANODTLS_OK && first == NANODTLS_OK) {
            first = st;
        }
    }
    return first;
}

nanodtls_status t_deliver_to(nanodtls_ctx *ctx, const void *addr, size_t addr_len, const t_flight *f)
{
    nanodtls_status first = NANODTLS_OK;
    size_t i;

    for (i = 0; i < f->n; i++) {
        const t_dgram *d = &f->d[i];
        nanodtls_status st;
        if (d->addr_len != addr_len || memcmp(d->addr, addr, addr_len) != 0) {
            continue;
        }
        st = t_feed(ctx, d->data, d->len);
        if (st != NANODTLS_OK && first == NANODTLS_OK) {
            first = st;
        }
    }
    return first;
}

int t_handshake(nanodtls_ctx *client, nanodtls_ctx *server, int rounds)
{
    static t_flight f;
    int r;

    for (r = 0; r < rounds; r++) {
        size_t moved = 0;
        f.n = 0;
        moved += t_collect(client, &f);
        (void)t_deliver(server, &f);
        f.n = 0;
        moved += t_collect(server, &f);
        (void)t_deliver(client, &f);
        if (moved == 0 && nanodtls_state(client) == NANODTLS_STATE_CONNECTED &&
            nanodtls_state(server) == NANODTLS_STATE_CONNECTED) {
            return 1;
        }
        if (nanodtls_state(client) == NANODTLS_STATE_FAILED || nanodtls_state(server) == NANODTLS_STATE_FAILED) {
            return 0;
        }
    }
    return nanodtls_state(client) == NANODTLS_STATE_CONNECTED && nanodtls_state(server) == NANODTLS_STATE_CONNECTED;
}

int t_fire_timers(uint64_t *clock, nanodtls_ctx *a, nanodtls_ctx *b)
{
    nanodtls_ctx *ctxs[2];
    uint32_t best = UINT32_MAX;
    int any = 0;
    int i;

    ctxs[0] = a;
    ctxs[1] = b;
    for (i = 0; i < 2; i++) {
        uint32_t ms = 0;
        if (ctxs[i] != NULL && nanodtls_timeout_ms(ctxs[i], &ms) == NANODTLS_OK) {
            any = 1;
            if (ms < best) {
                best = ms;
            }
        }
    }
    if (!any) {
        return 0;
    }
    *clock += best;
    for (i = 0; i < 2; i++) {
        if (ctxs[i] != NULL) {
            (void)nanodtls_handle_timeout(ctxs[i]);
        }
    }
    return 1;
}
