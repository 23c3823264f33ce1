/*
 * Mbed TLS 3.6.6 in certificate mode on a Cortex-M4 (QEMU mps2-an386),
 * measured the way embedded/bench/bench.c measures nanodtls, for the
 * comparison in embedded/README.md ("Certificate mode").
 *
 * One image holds a DTLS client and a DTLS server (bench_mbedtls_config.h:
 * DTLS 1.2, TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8, P-256, X.509). They do a
 * mutual handshake through two RAM datagram queues (non-blocking BIO
 * callbacks), with a HelloVerifyRequest cookie exchange, both chains of
 * tests/pki validated (root -> int1 -> int2 -> server3 / client-cn: 3
 * below the root, the same certificates as nanodtls' full-x509 bench),
 * the wall clock set inside every validity period and the server's name
 * checked; then a 64-byte application record goes each way.
 *
 * As in bench.c, every library call is wrapped by CALL(): the free stack
 * below the caller's stack pointer is painted before the call and the
 * lowest word changed is found after it (peak stack of that call), and
 * the CMSDK timer is read around it (under qemu -icount shift=0, ticks x
 * the calibrated instructions per tick = guest instructions). The BIO
 * callbacks (a memcpy into or out of a queue slot) and the timer/clock
 * callbacks run inside the timed window: they are part of what Mbed TLS
 * needs from its platform.
 *
 * The heap: Mbed TLS allocates through bench_calloc/bench_free
 * (MBEDTLS_PLATFORM_CALLOC_MACRO), which count the bytes handed out (live
 * and peak, per role and together; block headers not included) on top of
 * newlib's malloc over a static arena. The RNG is a deterministic
 * xorshift, as in bench.c (no entropy/DRBG module in either library).
 *
 * Output: "key value" lines on the semihosting console, read by
 * scripts/bench-mbedtls.sh. Exit status 0 = every step worked.
 * Linked against stub-mbedtls.c instead of the library, the same harness
 * gives the stub image (flash of the library as linked = image - stub
 * image); it is only linked, never run. -DBENCH_CLIENT_ONLY (with the
 * library built without MBEDTLS_SSL_SRV_C and MBEDTLS_SSL_COOKIE_C): a
 * client-only image, only linked (the flash of a client application).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/ssl.h"
#include "mbedtls/ssl_cookie.h"
#include "mbedtls/x509_crt.h"
#include "mbedtls/pk.h"
#include "mbedtls/platform_time.h"
#include "mbedtls/platform_util.h"

#include "nd_board.h"
#include "bench_pki.h"

/* ---- Output -------------------------------------------------------------- */

static void put_u(uint64_t v)
{
    char buf[24];
    int i = sizeof buf - 1;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    nd_puts(&buf[i]);
}

static void kv(const char *key, uint64_t v)
{
    nd_puts(key);
    nd_puts(" ");
    put_u(v);
    nd_puts("\n");
}

static void fail(const char *what, int ret)
{
    nd_puts("FAIL ");
    nd_puts(what);
    nd_puts(": -0x");
    char hex[9];
    uint32_t v = ret < 0 ? (uint32_t)-ret : (uint32_t)ret;
    for (int i = 7; i >= 0; i--, v >>= 4)
        hex[i] = "0123456789abcdef"[v & 15];
    hex[8] = 0;
    nd_puts(hex);
    nd_puts("\n");
    nd_exit(1);
}

/* ---- Timer (as bench.c) -------------------------------------------------- */

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)

static void timer_start(void)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1;
}

static inline __attribute__((always_inline)) uint32_t ticks(void)
{
    __asm__ volatile("" ::: "memory");
    uint32_t t = 0xFFFFFFFFu - TIMER0_VALUE;
    __asm__ volatile("" ::: "memory");
    return t;
}

static uint32_t g_ipt_milli;

static void calibrate(void)
{
    const uint32_t n = 2000000;
    uint32_t t0 = ticks();
    uint32_t r = n;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(r) : : "cc");
    uint32_t dt = ticks() - t0;
    if (dt == 0)
        fail("timer does not run", 0);
    g_ipt_milli = (uint32_t)(((uint64_t)2 * n * 1000 + dt / 2) / dt);
}

static uint64_t to_insns(uint64_t t)
{
    return (t * g_ipt_milli + 500) / 1000;
}

/* ---- Stack painting (as bench.c) ----------------------------------------- */

extern uint32_t __stack_bottom[], __stack_top[];
#define PAINT 0xDEADBEEFu
static uint32_t *g_lowest;

static inline __attribute__((always_inline)) uint32_t *sp_now(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

static inline __attribute__((always_inline)) void paint_below(uint32_t *sp)
{
    for (uint32_t *p = __stack_bottom; p < sp - 4; p++)
        *p = PAINT;
}

static uint32_t *lowest_used(void)
{
    uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == PAINT)
        p++;
    return p;
}

/* ---- Per-role accounting ------------------------------------------------- */

enum { CLIENT, SERVER, NROLES };
#ifdef BENCH_CLIENT_ONLY
#define RUN_ROLES 1 /* the client only (link-only image) */
#else
#define RUN_ROLES NROLES
#endif

struct acc {
    uint64_t ticks;
    uint32_t calls;
    uint32_t stack_max;
};
static struct acc g_phase[NROLES];
static int g_role; /* whose call is running (for the heap counters) */

static void phase_begin(void)
{
    memset(g_phase, 0, sizeof g_phase);
}

#define CALL(role, expr)                                                       \
    __extension__({                                                            \
        g_role = (role);                                                       \
        uint32_t *sp_ = sp_now();                                              \
        paint_below(sp_);                                                      \
        uint32_t t0_ = ticks();                                                \
        int r_ = (expr);                                                       \
        uint32_t t1_ = ticks();                                                \
        uint32_t *low_ = lowest_used();                                        \
        if (low_ < g_lowest)                                                   \
            g_lowest = low_;                                                   \
        uint32_t st_ = low_ < sp_ ? (uint32_t)((uint8_t *)sp_ - (uint8_t *)low_) : 0; \
        g_phase[role].ticks += t1_ - t0_;                                      \
        g_phase[role].calls++;                                                 \
        if (st_ > g_phase[role].stack_max)                                     \
            g_phase[role].stack_max = st_;                                     \
        r_;                                                                    \
    })

/* ---- Heap: counting calloc/free over newlib's malloc --------------------- */

static uint8_t g_arena[96 * 1024] __attribute__((aligned(8)));
static size_t g_brk;
static uint32_t g_sbrk_calls;
void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
    g_sbrk_calls++;
    if (incr < 0 || (size_t)incr > sizeof g_arena - g_brk)
        return (void *)-1;
    void *p = &g_arena[g_brk];
    g_brk += (size_t)incr;
    return p;
}

/* newlib's system calls, for the C library code Mbed TLS pulls in (gmtime,
 * snprintf: archive members whose stdio/abort paths are never taken). */
int _write(int fd, const void *b, int n);
int _read(int fd, void *b, int n);
int _close(int fd);
int _lseek(int fd, int o, int w);
int _fstat(int fd, void *st);
int _isatty(int fd);
int _kill(int pid, int sig);
int _getpid(void);
void _exit(int code);
int _write(int fd, const void *b, int n) { (void)fd, (void)b; return n; }
int _read(int fd, void *b, int n) { (void)fd, (void)b, (void)n; return -1; }
int _close(int fd) { (void)fd; return -1; }
int _lseek(int fd, int o, int w) { (void)fd, (void)o, (void)w; return -1; }
int _fstat(int fd, void *st) { (void)fd, (void)st; return -1; }
int _isatty(int fd) { (void)fd; return 0; }
int _kill(int pid, int sig) { (void)pid, (void)sig; return -1; }
int _getpid(void) { return 1; }
void _exit(int code) { nd_exit(code); }

static size_t g_live[NROLES], g_peak[NROLES], g_live_all, g_peak_all;
static uint32_t g_allocs;

struct hdr {
    size_t size;
    int role;
};

void *bench_calloc(size_t n, size_t size)
{
    if (size && n > (SIZE_MAX - 8) / size)
        return NULL;
    size_t len = n * size;
    struct hdr *h = calloc(1, sizeof(struct hdr) + len);
    if (h == NULL)
        return NULL;
    h->size = len;
    h->role = g_role;
    g_allocs++;
    g_live[g_role] += len;
    if (g_live[g_role] > g_peak[g_role])
        g_peak[g_role] = g_live[g_role];
    g_live_all += len;
    if (g_live_all > g_peak_all)
        g_peak_all = g_live_all;
    return h + 1;
}

void bench_free(void *p)
{
    if (p == NULL)
        return;
    struct hdr *h = (struct hdr *)p - 1;
    g_live[h->role] -= h->size;
    g_live_all -= h->size;
    free(h);
}

/* ---- Platform: RNG, clocks ----------------------------------------------- */

static uint32_t g_rng_state[NROLES] = {0x12345678u, 0x9ABCDEF1u};

static int rng(void *user, unsigned char *buf, size_t len)
{
    uint32_t *s = user;
    for (size_t i = 0; i < len; i++) {
        uint32_t x = *s;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *s = x;
        buf[i] = (unsigned char)(x >> 24);
    }
    return 0;
}

static uint64_t g_now_ms;

/* The wall clock: 2026-12-01, inside every certificate's validity (as bench.c). */
time_t bench_time(time_t *t)
{
    time_t v = (time_t)1796083200 + (time_t)(g_now_ms / 1000);
    if (t)
        *t = v;
    return v;
}

/* MBEDTLS_PLATFORM_GMTIME_R_ALT: newlib does not announce _POSIX_VERSION,
 * so platform_util.c would take gmtime(), whose reentrancy assert pulls in
 * fprintf and stdio (6 KB); a firmware would give it gmtime_r like this.
 * gmtime_r's code is counted as the C library that Mbed TLS pulls in. */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
    time_t t = (time_t)*tt;
    return gmtime_r(&t, tm_buf);
}

mbedtls_ms_time_t mbedtls_ms_time(void)
{
    return (mbedtls_ms_time_t)g_now_ms;
}

/* DTLS retransmission timer (mbedtls_ssl_set_timer_cb) on the virtual clock. */
struct vtimer {
    uint64_t start;
    uint32_t int_ms, fin_ms;
};
static struct vtimer g_timer[NROLES];

static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
    struct vtimer *t = ctx;
    t->start = g_now_ms;
    t->int_ms = int_ms;
    t->fin_ms = fin_ms;
}

static int timer_get(void *ctx)
{
    struct vtimer *t = ctx;
    if (t->fin_ms == 0)
        return -1;
    uint64_t e = g_now_ms - t->start;
    if (e >= t->fin_ms)
        return 2;
    if (e >= t->int_ms)
        return 1;
    return 0;
}

/* ---- Datagram queues, non-blocking BIO ------------------------------------ */

#define QLEN 8
#define DGRAM_MAX 1500
#define MTU 1280 /* NANODTLS_MTU of the full-x509 bench */

struct queue {
    uint8_t data[QLEN][DGRAM_MAX];
    size_t len[QLEN];
    unsigned head, count;
};
static struct queue g_q[NROLES]; /* g_q[r]: datagrams addressed to role r */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct queue *q = &g_q[(int)(intptr_t)ctx == CLIENT ? SERVER : CLIENT];
    if (q->count == QLEN || len > DGRAM_MAX)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    unsigned slot = (q->head + q->count) % QLEN;
    memcpy(q->data[slot], buf, len);
    q->len[slot] = len;
    q->count++;
    return (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct queue *q = &g_q[(int)(intptr_t)ctx];
    if (q->count == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = q->len[q->head];
    if (n > len)
        n = len; /* datagram semantics: the rest is lost */
    memcpy(buf, q->data[q->head], n);
    q->head = (q->head + 1) % QLEN;
    q->count--;
    return (int)n;
}

/* ---- The contexts -------------------------------------------------------- */

static mbedtls_ssl_config g_conf[NROLES];
static mbedtls_ssl_context g_ssl[NROLES];
static mbedtls_x509_crt g_ca[NROLES], g_own[NROLES];
static mbedtls_pk_context g_key[NROLES];
#ifndef BENCH_CLIENT_ONLY
static mbedtls_ssl_cookie_ctx g_cookie;
#endif
static const int g_suites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0};
#ifndef BENCH_CLIENT_ONLY
static const uint8_t g_cid[] = {127, 0, 0, 1, 0x16, 0x34}; /* the client's "address" */
#endif

static int setup_role(int role)
{
    int r;
    mbedtls_ssl_config *conf = &g_conf[role];
    mbedtls_ssl_context *ssl = &g_ssl[role];
    mbedtls_ssl_config_init(conf);
    mbedtls_ssl_init(ssl);
    mbedtls_x509_crt_init(&g_ca[role]);
    mbedtls_x509_crt_init(&g_own[role]);
    mbedtls_pk_init(&g_key[role]);
    if ((r = mbedtls_ssl_config_defaults(conf, role == CLIENT ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER,
                                         MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
        return r;
    mbedtls_ssl_conf_rng(conf, rng, &g_rng_state[role]);
    mbedtls_ssl_conf_ciphersuites(conf, g_suites);
    mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    /* Trust anchor and own chain (leaf first, then the intermediates). */
    if ((r = mbedtls_x509_crt_parse_der(&g_ca[role], PKI_ROOT, sizeof PKI_ROOT)) != 0)
        return r;
    if ((r = mbedtls_x509_crt_parse_der(&g_own[role], role == CLIENT ? PKI_CLIENT : PKI_SERVER,
                                        role == CLIENT ? sizeof PKI_CLIENT : sizeof PKI_SERVER)) != 0)
        return r;
    if ((r = mbedtls_x509_crt_parse_der(&g_own[role], PKI_INT2, sizeof PKI_INT2)) != 0)
        return r;
    if ((r = mbedtls_x509_crt_parse_der(&g_own[role], PKI_INT1, sizeof PKI_INT1)) != 0)
        return r;
    if ((r = mbedtls_pk_parse_key(&g_key[role], role == CLIENT ? PKI_CLIENT_KEY : PKI_SERVER_KEY,
                                  role == CLIENT ? sizeof PKI_CLIENT_KEY : sizeof PKI_SERVER_KEY, NULL, 0, rng,
                                  &g_rng_state[role])) != 0)
        return r;
    mbedtls_ssl_conf_ca_chain(conf, &g_ca[role], NULL);
    if ((r = mbedtls_ssl_conf_own_cert(conf, &g_own[role], &g_key[role])) != 0)
        return r;
#ifndef BENCH_CLIENT_ONLY
    if (role == SERVER) {
        if ((r = mbedtls_ssl_cookie_setup(&g_cookie, rng, &g_rng_state[role])) != 0)
            return r;
        mbedtls_ssl_conf_dtls_cookies(conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &g_cookie);
    }
#endif
    if ((r = mbedtls_ssl_setup(ssl, conf)) != 0)
        return r;
    mbedtls_ssl_set_bio(ssl, (void *)(intptr_t)role, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(ssl, &g_timer[role], timer_set, timer_get);
    mbedtls_ssl_set_mtu(ssl, MTU);
    if (role == CLIENT)
        return mbedtls_ssl_set_hostname(ssl, "server.example");
#ifndef BENCH_CLIENT_ONLY
    return mbedtls_ssl_set_client_transport_id(ssl, g_cid, sizeof g_cid);
#else
    return -1;
#endif
}

#ifndef BENCH_CLIENT_ONLY
static int server_restart(void)
{
    int r = mbedtls_ssl_session_reset(&g_ssl[SERVER]);
    if (r != 0)
        return r;
    return mbedtls_ssl_set_client_transport_id(&g_ssl[SERVER], g_cid, sizeof g_cid);
}
#endif

static void report(const char *prefix)
{
    static const char *const names[NROLES] = {"client", "server"};
    for (int role = 0; role < NROLES; role++) {
        nd_puts(prefix);
        nd_puts(".");
        nd_puts(names[role]);
        kv("_insns", to_insns(g_phase[role].ticks));
        nd_puts(prefix);
        nd_puts(".");
        nd_puts(names[role]);
        kv("_stack", g_phase[role].stack_max);
        nd_puts(prefix);
        nd_puts(".");
        nd_puts(names[role]);
        kv("_calls", g_phase[role].calls);
    }
}

#ifndef BENCH_CLIENT_ONLY
static void record(int from, int to, const char *name)
{
    unsigned char msg[64], got[64];
    for (unsigned i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7 + from);
    phase_begin();
    int r = CALL(from, mbedtls_ssl_write(&g_ssl[from], msg, sizeof msg));
    if (r != (int)sizeof msg)
        fail("ssl_write", r);
    uint64_t send = g_phase[from].ticks;
    r = CALL(to, mbedtls_ssl_read(&g_ssl[to], got, sizeof got));
    if (r != (int)sizeof msg || memcmp(got, msg, sizeof msg) != 0)
        fail("ssl_read", r);
    uint64_t recv = g_phase[to].ticks;
    nd_puts(name);
    kv(".send_insns", to_insns(send));
    nd_puts(name);
    kv(".recv_insns", to_insns(recv));
}
#endif

int main(void)
{
    uint32_t *sp = sp_now();
    g_lowest = sp;
    timer_start();
    calibrate();
    kv("ipt_milli", g_ipt_milli);
    kv("ssl_context_size", sizeof(mbedtls_ssl_context));
    kv("ssl_config_size", sizeof(mbedtls_ssl_config));
    kv("x509_crt_size", sizeof(mbedtls_x509_crt));
    kv("pk_context_size", sizeof(mbedtls_pk_context));
    /* Keep the allocator in the stub image too (image - stub = Mbed TLS
     * alone; the allocator is reported on its own). */
    void *(*volatile ca)(size_t, size_t) = bench_calloc;
    bench_free(ca(1, 1));
    g_allocs = 0;
    g_peak_all = g_peak[CLIENT] = g_peak[SERVER] = 0;

    /* Set-up: contexts, certificates parsed onto the heap, keys. */
    phase_begin();
    for (int role = 0; role < RUN_ROLES; role++) {
        int r = CALL(role, setup_role(role));
        if (r != 0)
            fail(role == CLIENT ? "client setup" : "server setup", r);
    }
    report("setup");
    kv("setup.client_heap", g_live[CLIENT]);
    kv("setup.server_heap", g_live[SERVER]);

    /* The handshake: each side runs until it wants to read. */
    phase_begin();
    g_peak[CLIENT] = g_live[CLIENT];
    g_peak[SERVER] = g_live[SERVER];
    int done[NROLES] = {0, RUN_ROLES == 1}, hvr = 0, rounds;
    for (rounds = 0; rounds < 40 && !(done[CLIENT] && done[SERVER]); rounds++) {
        for (int role = 0; role < RUN_ROLES; role++) {
            if (done[role])
                continue;
            int r = CALL(role, mbedtls_ssl_handshake(&g_ssl[role]));
            if (r == 0)
                done[role] = 1;
#ifndef BENCH_CLIENT_ONLY
            else if (role == SERVER && r == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
                hvr++;
                r = CALL(SERVER, server_restart());
                if (r != 0)
                    fail("server session reset", r);
            }
#endif
            else if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
                fail(role == CLIENT ? "client handshake" : "server handshake", r);
        }
        g_now_ms += 10;
    }
    if (!done[CLIENT] || !done[SERVER])
        fail("handshake did not finish", rounds);
    report("x509");
    kv("x509.rounds", (uint64_t)rounds);
    kv("x509.hello_verify", (uint64_t)hvr);
    kv("x509.client_heap_peak", g_peak[CLIENT]);
    kv("x509.server_heap_peak", g_peak[SERVER]);
    kv("x509.client_heap_after", g_live[CLIENT]);
    kv("x509.server_heap_after", g_live[SERVER]);
    for (int role = 0; role < RUN_ROLES; role++) {
        uint32_t v = mbedtls_ssl_get_verify_result(&g_ssl[role]);
        if (v != 0)
            fail(role == CLIENT ? "client: server chain not verified" : "server: client chain not verified", (int)v);
        if (mbedtls_ssl_get_ciphersuite_id_from_ssl(&g_ssl[role]) != MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8)
            fail("ciphersuite", mbedtls_ssl_get_ciphersuite_id_from_ssl(&g_ssl[role]));
    }

#ifndef BENCH_CLIENT_ONLY
    record(CLIENT, SERVER, "record_c2s");
    record(SERVER, CLIENT, "record_s2c");
#else
    /* A client application writes and reads (link-only image). */
    unsigned char app[64] = {0};
    if (mbedtls_ssl_write(&g_ssl[CLIENT], app, sizeof app) < 0 || mbedtls_ssl_read(&g_ssl[CLIENT], app, sizeof app) < 0)
        fail("client records", 0);
#endif

    kv("heap_peak_total", g_peak_all);
    kv("heap_allocs", g_allocs);
    kv("heap_arena_used", g_brk);
    kv("sbrk_calls", g_sbrk_calls);
    kv("stack_peak_total", (uint32_t)((uint8_t *)__stack_top - (uint8_t *)g_lowest));
    nd_puts("BENCH OK\n");
    return 0;
}
