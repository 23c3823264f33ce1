/*
 * nanodtls footprint and speed benchmark for a Cortex-M4 (QEMU mps2-an386).
 *
 * One image holds a client and a server context. The handshake runs
 * entirely in RAM: datagrams go through two small queues, the RNG is a
 * deterministic xorshift, the clock is virtual. Then a 64-byte
 * application record goes each way.
 *
 * Every library call is wrapped by CALL(), which
 *   - paints the free stack below the current stack pointer and, after the
 *     call, finds the lowest word that changed (stack high-water mark of
 *     that call, and of the whole run);
 *   - reads the CMSDK APB timer 0 (25 MHz PCLK) before and after the call.
 *     Under `qemu -icount shift=0` a guest instruction takes 1 ns of
 *     virtual time, so ticks x (instructions per tick, calibrated below on
 *     a loop of known length) = guest instructions spent inside the call.
 * The painting and bookkeeping happen outside the timed window.
 *
 * Output: "key value" lines on the semihosting console, read by
 * scripts/bench-embedded.sh. Exit status 0 = every step worked.
 *
 * Build options: -DBENCH_ECC (also run an ECDHE-ECDSA handshake with
 * mutual raw-public-key authentication), -DBENCH_X509 (with -DBENCH_ECC:
 * also one in certificate mode, both chains validated, needs bench_pki.h),
 * -DBENCH_DK (a DerivedKey handshake: a PSK client with a nonce and
 * derived key against a server holding a trust anchor; feature
 * derived-key), -DBENCH_AUTHZ (with BENCH_ECC: an AuthzCert handshake;
 * feature authz-cert), -DBENCH_PANIC_ENTRY (call the
 * library's panic entry point, whose address the linker provides as
 * nd_panic_entry, to check that a panic reaches the hook).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nanodtls.h"
#include "nd_board.h"

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

static void kvs(const char *key, int32_t v)
{
    nd_puts(key);
    nd_puts(v < 0 ? " -" : " ");
    put_u(v < 0 ? (uint64_t)(-(int64_t)v) : (uint64_t)v);
    nd_puts("\n");
}

static void fail(const char *what, int32_t status)
{
    nd_puts("FAIL ");
    nd_puts(what);
    nd_puts(": ");
    nd_puts(nanodtls_status_str(status));
    nd_puts("\n");
    kvs("status", status);
    nd_exit(1);
}

/* ---- Timer: CMSDK APB timer 0, a 32-bit down counter at PCLK ------------ */

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)

static void timer_start(void)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1; /* enable, PCLK, no interrupt */
}

/* The memory clobbers keep the compiler from moving the stack painting
 * or scanning (plain loads and stores) across the timer reads. */
static inline __attribute__((always_inline)) uint32_t ticks(void)
{
    __asm__ volatile("" ::: "memory");
    uint32_t t = 0xFFFFFFFFu - TIMER0_VALUE; /* counts up */
    __asm__ volatile("" ::: "memory");
    return t;
}

/* Instructions per timer tick x 1000, measured on a loop of known length. */
static uint32_t g_ipt_milli;

static void calibrate(void)
{
#ifdef BENCH_NO_PAINT /* profile builds: no timing, keep the loop out of the profile */
    g_ipt_milli = 40000;
    return;
#endif
    const uint32_t n = 2000000; /* 2 instructions per iteration (subs, bne) */
    uint32_t t0 = ticks();
    uint32_t r = n;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(r) : : "cc");
    uint32_t t1 = ticks();
    uint32_t dt = t1 - t0;
    if (dt == 0) {
        nd_puts("FAIL timer does not run\n");
        nd_exit(1);
    }
    g_ipt_milli = (uint32_t)(((uint64_t)2 * n * 1000 + dt / 2) / dt);
}

static uint64_t to_insns(uint64_t t)
{
    return (t * g_ipt_milli + 500) / 1000;
}

/* ---- Stack painting ------------------------------------------------------ */

extern uint32_t __stack_bottom[], __stack_top[];
#define PAINT 0xDEADBEEFu

static uint32_t *g_lowest; /* lowest stack word ever used by a library call */

static inline __attribute__((always_inline)) uint32_t *sp_now(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

static inline __attribute__((always_inline)) void paint_below(uint32_t *sp)
{
#ifdef BENCH_NO_PAINT /* profile builds: keep the bench's own work out */
    (void)sp;
#else
    for (uint32_t *p = __stack_bottom; p < sp - 4; p++)
        *p = PAINT;
#endif
}

static uint32_t *lowest_used(void)
{
#ifdef BENCH_NO_PAINT
    return __stack_top;
#endif
    uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == PAINT)
        p++;
    return p;
}

/* ---- Per-role accounting ------------------------------------------------- */

enum { CLIENT, SERVER, NROLES };

struct acc {
    uint64_t ticks;     /* timer ticks inside library calls */
    uint32_t calls;
    uint32_t stack_max; /* deepest stack use of one call, bytes below the caller's sp */
};

static struct acc g_acc[NROLES];
static struct acc g_phase[NROLES]; /* the current phase (reset by phase_begin) */

/* Per-call log of the current phase (printed for handshakes). */
struct call_rec {
    const char *name;
    uint8_t role;
    uint32_t ticks;
    uint32_t stack;
};
#define MAX_RECS 96
static struct call_rec g_recs[MAX_RECS];
static unsigned g_nrecs;

static void phase_begin(void)
{
    memset(g_phase, 0, sizeof g_phase);
    g_nrecs = 0;
}

static void acc_add(int role, const char *name, uint32_t dt, uint32_t stack)
{
    struct acc *a[2] = {&g_acc[role], &g_phase[role]};
    for (int i = 0; i < 2; i++) {
        a[i]->ticks += dt;
        a[i]->calls++;
        if (stack > a[i]->stack_max)
            a[i]->stack_max = stack;
    }
    if (g_nrecs < MAX_RECS)
        g_recs[g_nrecs++] = (struct call_rec){name, (uint8_t)role, dt, stack};
}

/*
 * CALL(role, name, expr): run one library call with stack painting and timing.
 * The statement expression keeps everything in the caller's frame, so
 * `sp` is the stack pointer the library function starts from.
 */
#define CALL(role, name, expr)                                               \
    __extension__({                                                          \
        uint32_t *sp_ = sp_now();                                            \
        paint_below(sp_);                                                    \
        uint32_t t0_ = ticks();                                              \
        int32_t r_ = (expr);                                                 \
        uint32_t t1_ = ticks();                                              \
        uint32_t *low_ = lowest_used();                                      \
        if (low_ < g_lowest)                                                 \
            g_lowest = low_;                                                 \
        acc_add((role), (name), t1_ - t0_,                                   \
                low_ < sp_ ? (uint32_t)((uint8_t *)sp_ - (uint8_t *)low_) : 0); \
        r_;                                                                  \
    })

/* ---- Platform: deterministic RNG, virtual clock, no heap ----------------- */

static uint64_t g_now_ms;

static int rng(void *user, uint8_t *buf, size_t len)
{
    uint32_t *s = user;
    for (size_t i = 0; i < len; i++) {
        uint32_t x = *s;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *s = x;
        buf[i] = (uint8_t)(x >> 24);
    }
    return 0;
}

static uint64_t now_ms(void *user)
{
    (void)user;
    return g_now_ms;
}

/* The C library must never allocate: any malloc would end up here. */
static uint32_t g_sbrk_calls;
void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
    (void)incr;
    g_sbrk_calls++;
    return (void *)-1;
}

static volatile uint32_t g_panics;
static void on_panic(void)
{
    g_panics++;
    nd_puts("PANIC HOOK CALLED\n");
    kv("panic_hook_called", 1);
    nd_exit(
#ifdef BENCH_PANIC_ENTRY
        0
#else
        2
#endif
    );
}

/* ---- Datagram queues ----------------------------------------------------- */

#define QLEN 8
#define DGRAM_MAX 1500

struct queue {
    uint8_t data[QLEN][DGRAM_MAX];
    size_t len[QLEN];
    unsigned head, count;
};

static struct queue g_c2s, g_s2c;

static nanodtls_ctx g_ctx[NROLES];
static uint32_t g_rng_state[NROLES] = {0x12345678u, 0x9ABCDEF1u};

static void drain(int role, struct queue *q)
{
    size_t n;
    for (;;) {
        if (q->count == QLEN)
            fail("datagram queue full", 0);
        unsigned slot = (q->head + q->count) % QLEN;
        int32_t r = CALL(role, "poll_datagram", nanodtls_poll_datagram(&g_ctx[role], q->data[slot], DGRAM_MAX, &n));
        if (r == NANODTLS_DONE)
            return;
        if (r != NANODTLS_OK)
            fail("poll_datagram", r);
        q->len[slot] = n;
        q->count++;
    }
}

static void deliver(int role, struct queue *q)
{
    while (q->count) {
        nanodtls_input in;
        size_t at = 0;
        int32_t r;
        do {
            r = CALL(role, "feed", nanodtls_feed(&g_ctx[role], q->data[q->head] + at, q->len[q->head] - at, &in));
            if (r != NANODTLS_OK && r != NANODTLS_MORE)
                fail("feed", r);
            at += in.consumed;
        } while (r == NANODTLS_MORE);
        q->head = (q->head + 1) % QLEN;
        q->count--;
    }
}

static void setup(int role, const uint16_t *suites)
{
    nanodtls_config cfg;
    nanodtls_platform plat = {rng, now_ms, &g_rng_state[role]};
    int32_t r = nanodtls_config_default(&cfg, role == CLIENT ? NANODTLS_ROLE_CLIENT : NANODTLS_ROLE_SERVER);
    if (r != NANODTLS_OK)
        fail("config_default", r);
    if (suites) {
        memset(cfg.suites, 0, sizeof cfg.suites);
        for (int i = 0; i < 4 && suites[i]; i++)
            cfg.suites[i] = suites[i];
    }
#if NANODTLS_MTU < 1280
    /* Small build (MTU 560 by default): ask for 512-byte fragments
     * (RFC 6066 max_fragment_length). */
    if (role == CLIENT)
        cfg.max_fragment_length = 512;
#endif
    r = CALL(role, "init", nanodtls_init(&g_ctx[role], sizeof g_ctx[role], &cfg, &plat));
    if (r != NANODTLS_OK)
        fail("init", r);
}

static void handshake(const char *name)
{
    int32_t r = CALL(CLIENT, "connect", nanodtls_connect(&g_ctx[CLIENT]));
    if (r != NANODTLS_OK)
        fail("connect", r);
#ifdef BENCH_EXIT_AFTER_CONNECT /* profiling aid */
    nd_exit(0);
#endif
    int rounds = 0;
    for (; rounds < 20; rounds++) {
        drain(CLIENT, &g_c2s);
        deliver(SERVER, &g_c2s);
        drain(SERVER, &g_s2c);
        deliver(CLIENT, &g_s2c);
        g_now_ms += 10;
        if (CALL(CLIENT, "state", nanodtls_state(&g_ctx[CLIENT])) == NANODTLS_STATE_CONNECTED &&
            CALL(SERVER, "state", nanodtls_state(&g_ctx[SERVER])) == NANODTLS_STATE_CONNECTED &&
            g_c2s.count == 0 && g_s2c.count == 0)
            break;
    }
    for (int role = 0; role < NROLES; role++) {
        if (nanodtls_state(&g_ctx[role]) != NANODTLS_STATE_CONNECTED)
            fail(role == CLIENT ? "client did not connect" : "server did not connect", nanodtls_error(&g_ctx[role]));
    }
    uint16_t suite = 0;
    nanodtls_get_suite(&g_ctx[CLIENT], &suite);
    nd_puts(name);
    nd_puts(".suite ");
    nd_puts(nanodtls_suite_name(suite));
    nd_puts("\n");
}

/* 64 bytes from `from` to `to`; returns after `to` has read them back. */
static void record(int from, int to, const char *name)
{
    uint8_t msg[64];
    size_t n = 0;
    for (unsigned i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + from);
    struct queue *q = from == CLIENT ? &g_c2s : &g_s2c;

    /* Sealed straight into the datagram queue slot ... */
    phase_begin();
    unsigned slot = (q->head + q->count) % QLEN;
    int32_t r = CALL(from, "write", nanodtls_write(&g_ctx[from], msg, sizeof msg, q->data[slot], DGRAM_MAX, &n));
    if (r != NANODTLS_OK)
        fail("write", r);
    q->len[slot] = n;
    q->count++;
    uint64_t send_ticks = g_phase[from].ticks;

    /* ... and opened in place there. */
    phase_begin();
    nanodtls_input in;
    r = CALL(to, "feed", nanodtls_feed(&g_ctx[to], q->data[q->head], q->len[q->head], &in));
    if (r != NANODTLS_OK)
        fail("feed record", r);
    if (in.app_len != sizeof msg || memcmp(in.app_data, msg, sizeof msg) != 0)
        fail("record content", r);
    q->head = (q->head + 1) % QLEN;
    q->count--;
    uint64_t recv_ticks = g_phase[to].ticks;

    nd_puts(name);
    nd_puts(".send_insns ");
    put_u(to_insns(send_ticks));
    nd_puts("\n");
    nd_puts(name);
    nd_puts(".recv_insns ");
    put_u(to_insns(recv_ticks));
    nd_puts("\n");
}

static void report_handshake(const char *name)
{
    static const char *const role_name[NROLES] = {".client", ".server"};
    /* One line per call: "<name>.trace <role> <call> <insns> <stack>". */
    for (unsigned i = 0; i < g_nrecs; i++) {
        nd_puts(name);
        nd_puts(".trace ");
        nd_puts(g_recs[i].role == CLIENT ? "client " : "server ");
        nd_puts(g_recs[i].name);
        nd_puts(" ");
        put_u(to_insns(g_recs[i].ticks));
        nd_puts(" ");
        put_u(g_recs[i].stack);
        nd_puts("\n");
    }
    for (int role = 0; role < NROLES; role++) {
        nd_puts(name);
        nd_puts(role_name[role]);
        nd_puts("_insns ");
        put_u(to_insns(g_phase[role].ticks));
        nd_puts("\n");
        nd_puts(name);
        nd_puts(role_name[role]);
        nd_puts("_calls ");
        put_u(g_phase[role].calls);
        nd_puts("\n");
        nd_puts(name);
        nd_puts(role_name[role]);
        nd_puts("_stack ");
        put_u(g_phase[role].stack_max);
        nd_puts("\n");
    }
}

/* Cost of the calls before the handshake (init, credentials). */
static void report_setup(const char *name)
{
    nd_puts(name);
    nd_puts(".client_setup_insns ");
    put_u(to_insns(g_phase[CLIENT].ticks));
    nd_puts("\n");
    nd_puts(name);
    nd_puts(".client_setup_stack ");
    put_u(g_phase[CLIENT].stack_max);
    nd_puts("\n");
}

static void teardown(void)
{
    for (int role = 0; role < NROLES; role++) {
        int32_t r = CALL(role, "close", nanodtls_close(&g_ctx[role]));
        if (r != NANODTLS_OK)
            fail("close", r);
        drain(role, role == CLIENT ? &g_c2s : &g_s2c);
    }
    g_c2s.count = g_s2c.count = 0;
    for (int role = 0; role < NROLES; role++) {
        int32_t r = CALL(role, "deinit", nanodtls_deinit(&g_ctx[role]));
        if (r != NANODTLS_OK)
            fail("deinit", r);
    }
}

static const uint8_t PSK_ID[] = "bench-client";
static const uint8_t PSK[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x01};

static void run_psk(const char *name)
{
    static const uint16_t suites[] = {NANODTLS_SUITE_PSK_AES_128_CCM_8, 0};
    phase_begin();
    setup(CLIENT, suites);
    setup(SERVER, suites);
    for (int role = 0; role < NROLES; role++) {
        int32_t r = CALL(role, "set_psk", nanodtls_set_psk(&g_ctx[role], PSK_ID, sizeof PSK_ID - 1, PSK, sizeof PSK));
        if (r != NANODTLS_OK)
            fail("set_psk", r);
    }
    report_setup(name);
    phase_begin();
    handshake(name);
    report_handshake(name);
    record(CLIENT, SERVER, "psk_record_c2s");
    record(SERVER, CLIENT, "psk_record_s2c");
#ifdef BENCH_RECORD_LOOP /* profiling aid: many records, so they dominate */
    for (int i = 0; i < BENCH_RECORD_LOOP; i++)
        record(CLIENT, SERVER, "loop");
#endif
    teardown();
}

#ifdef BENCH_ECC
/* Fixed test scalars (valid P-256 private keys; test use only). */
static const uint8_t CLIENT_KEY[32] = {
    0xc9, 0xaf, 0xa9, 0xd8, 0x45, 0xba, 0x75, 0x16, 0x6b, 0x5c, 0x21, 0x57, 0x67, 0xb1, 0xd6, 0x93,
    0x4e, 0x50, 0xc3, 0xdb, 0x36, 0xe8, 0x9b, 0x12, 0x7b, 0x8a, 0x62, 0x2b, 0x12, 0x0f, 0x67, 0x21};
static const uint8_t SERVER_KEY[32] = {
    0x51, 0x9b, 0x42, 0x3d, 0x71, 0x5f, 0x8b, 0x58, 0x1f, 0x4f, 0xa8, 0xee, 0x59, 0xf4, 0x77, 0x1a,
    0x5b, 0x44, 0xc8, 0x13, 0x0b, 0x4e, 0x3e, 0xac, 0xca, 0x54, 0xa5, 0x6d, 0xda, 0x72, 0xb4, 0x64};

static void run_ecc(const char *name)
{
    static const uint16_t suites[] = {NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8, 0};
    uint8_t spki[NROLES][NANODTLS_SPKI_LEN];
    size_t n;
    phase_begin();
    setup(CLIENT, suites);
    {
        /* The server requires and checks the client's raw public key. */
        nanodtls_config cfg;
        nanodtls_platform plat = {rng, now_ms, &g_rng_state[SERVER]};
        nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
        memset(cfg.suites, 0, sizeof cfg.suites);
        cfg.suites[0] = NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
        cfg.client_auth = 1;
        int32_t r = CALL(SERVER, "init", nanodtls_init(&g_ctx[SERVER], sizeof g_ctx[SERVER], &cfg, &plat));
        if (r != NANODTLS_OK)
            fail("init server", r);
    }
    int32_t r = CALL(CLIENT, "set_own_key", nanodtls_set_own_key(&g_ctx[CLIENT], CLIENT_KEY, sizeof CLIENT_KEY));
    if (r != NANODTLS_OK)
        fail("set_own_key client", r);
    r = CALL(SERVER, "set_own_key", nanodtls_set_own_key(&g_ctx[SERVER], SERVER_KEY, sizeof SERVER_KEY));
    if (r != NANODTLS_OK)
        fail("set_own_key server", r);
    for (int role = 0; role < NROLES; role++) {
        r = CALL(role, "get_own_spki", nanodtls_get_own_spki(&g_ctx[role], spki[role], sizeof spki[role], &n));
        if (r != NANODTLS_OK || n != NANODTLS_SPKI_LEN)
            fail("get_own_spki", r);
    }
    r = CALL(CLIENT, "add_trusted_key", nanodtls_add_trusted_key(&g_ctx[CLIENT], spki[SERVER], NANODTLS_SPKI_LEN));
    if (r != NANODTLS_OK)
        fail("add_trusted_key client", r);
    r = CALL(SERVER, "add_trusted_key", nanodtls_add_trusted_key(&g_ctx[SERVER], spki[CLIENT], NANODTLS_SPKI_LEN));
    if (r != NANODTLS_OK)
        fail("add_trusted_key server", r);
    report_setup(name);
    phase_begin();
    handshake(name);
    report_handshake(name);
    uint8_t h[32];
    r = nanodtls_get_peer_key_hash(&g_ctx[SERVER], h, sizeof h);
    if (r != NANODTLS_OK)
        fail("server has no client key (mutual auth)", r);
    record(CLIENT, SERVER, "ecc_record_c2s");
    teardown();
}
#endif

#if defined(BENCH_DK) || defined(BENCH_AUTHZ)
static const uint8_t TA_ID[] = "ta1";
static const uint8_t TA_KEY[32] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                   0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                   0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

/* The server authenticated the client through trust anchor ta1, seq 7. */
static void check_ta_peer(uint8_t mode)
{
    nanodtls_ta_peer tp;
    int32_t r = nanodtls_get_ta_peer(&g_ctx[SERVER], &tp);
    if (r != NANODTLS_OK || tp.mode != mode || tp.seq != 7)
        fail("trust anchor peer", r);
}
#endif

#ifdef BENCH_DK
/* DerivedKey: the client is an ordinary PSK client whose identity is the
 * nonce (derived here, as the trust anchor would); the server holds only
 * the trust anchor. */
static void run_dk(const char *name)
{
    static const uint16_t suites[] = {NANODTLS_SUITE_PSK_AES_128_CCM_8, 0};
    uint8_t nonce[64], key[16];
    size_t n = 0;
    int32_t r = nanodtls_ttp_derive(TA_ID, sizeof TA_ID - 1, TA_KEY, sizeof TA_KEY, (const uint8_t *)"sensor-42", 9, 7,
                                    sizeof key, nonce, sizeof nonce, &n, key, sizeof key);
    if (r != NANODTLS_OK)
        fail("ttp_derive", r);
    phase_begin();
    setup(CLIENT, suites);
    setup(SERVER, suites);
    r = CALL(CLIENT, "set_psk", nanodtls_set_psk(&g_ctx[CLIENT], nonce, n, key, sizeof key));
    if (r != NANODTLS_OK)
        fail("set_psk", r);
    r = CALL(SERVER, "ta_add", nanodtls_ta_add(&g_ctx[SERVER], TA_ID, sizeof TA_ID - 1, TA_KEY, sizeof TA_KEY, 16));
    if (r != NANODTLS_OK)
        fail("ta_add", r);
    report_setup(name);
    phase_begin();
    handshake(name);
    report_handshake(name);
    check_ta_peer(NANODTLS_TTP_DERIVED_KEY);
    teardown();
}
#endif

#if defined(BENCH_AUTHZ) && defined(BENCH_ECC)
/* Borrowed by the client context while it lives. */
static uint8_t g_maccert[NANODTLS_AUTHZ_CERT_MAX];

/* AuthzCert: the client has its key, a MacCert for it (issued here, as the
 * trust anchor would) and the server's key pinned; the server holds its
 * key and the trust anchor, and sends no certificate. */
static void run_authz(const char *name)
{
    static const uint16_t suites[] = {NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8, 0};
    uint8_t spki[NROLES][NANODTLS_SPKI_LEN];
    size_t n = 0, mlen = 0;
    phase_begin();
    setup(CLIENT, suites);
    setup(SERVER, suites);
    int32_t r = CALL(CLIENT, "set_own_key", nanodtls_set_own_key(&g_ctx[CLIENT], CLIENT_KEY, sizeof CLIENT_KEY));
    if (r != NANODTLS_OK)
        fail("set_own_key client", r);
    r = CALL(SERVER, "set_own_key", nanodtls_set_own_key(&g_ctx[SERVER], SERVER_KEY, sizeof SERVER_KEY));
    if (r != NANODTLS_OK)
        fail("set_own_key server", r);
    for (int role = 0; role < NROLES; role++) {
        r = CALL(role, "get_own_spki", nanodtls_get_own_spki(&g_ctx[role], spki[role], sizeof spki[role], &n));
        if (r != NANODTLS_OK || n != NANODTLS_SPKI_LEN)
            fail("get_own_spki", r);
    }
    r = nanodtls_authz_cert_encode(TA_ID, sizeof TA_ID - 1, TA_KEY, sizeof TA_KEY, 7, spki[CLIENT], NANODTLS_SPKI_LEN,
                                   g_maccert, sizeof g_maccert, &mlen);
    if (r != NANODTLS_OK)
        fail("authz_cert_encode", r);
    r = CALL(CLIENT, "set_authz_cert", nanodtls_set_authz_cert(&g_ctx[CLIENT], g_maccert, mlen));
    if (r != NANODTLS_OK)
        fail("set_authz_cert", r);
    r = CALL(CLIENT, "set_authz_server_key",
             nanodtls_set_authz_server_key(&g_ctx[CLIENT], spki[SERVER], NANODTLS_SPKI_LEN));
    if (r != NANODTLS_OK)
        fail("set_authz_server_key", r);
    r = CALL(SERVER, "ta_add", nanodtls_ta_add(&g_ctx[SERVER], TA_ID, sizeof TA_ID - 1, TA_KEY, sizeof TA_KEY, 16));
    if (r != NANODTLS_OK)
        fail("ta_add", r);
    report_setup(name);
    phase_begin();
    handshake(name);
    report_handshake(name);
    check_ta_peer(NANODTLS_TTP_AUTHZ_CERT);
    teardown();
}
#endif

#ifdef BENCH_X509
/* Certificate mode (feature x509): tests/pki's root, the server's chain
 * root -> int1 -> int2 -> server3 (3 below the anchor, RFC 7925 4.4.4) and
 * the client's root -> int1 -> int2 -> client-cn (EUI-64 in the CN), as C
 * arrays written by scripts/bench-embedded.sh (bench_pki.h). */
#include "bench_pki.h"

/* The wall clock: 2026-12-01, inside every certificate's validity. */
static int wall_clock(void *user, uint64_t *secs)
{
    (void)user;
    *secs = 1796083200u;
    return 0;
}

static void run_x509(const char *name)
{
    static const uint16_t suites[] = {NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8, 0};
    nanodtls_x509_peer peer;
    phase_begin();
    setup(CLIENT, suites);
    {
        nanodtls_config cfg;
        nanodtls_platform plat = {rng, now_ms, &g_rng_state[SERVER]};
        nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER);
        memset(cfg.suites, 0, sizeof cfg.suites);
        cfg.suites[0] = NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8;
        cfg.client_auth = 1;
        int32_t r = CALL(SERVER, "init", nanodtls_init(&g_ctx[SERVER], sizeof g_ctx[SERVER], &cfg, &plat));
        if (r != NANODTLS_OK)
            fail("init server", r);
    }
    int32_t r = CALL(CLIENT, "set_own_key", nanodtls_set_own_key(&g_ctx[CLIENT], PKI_CLIENT_KEY, sizeof PKI_CLIENT_KEY));
    if (r != NANODTLS_OK)
        fail("set_own_key client", r);
    r = CALL(SERVER, "set_own_key", nanodtls_set_own_key(&g_ctx[SERVER], PKI_SERVER_KEY, sizeof PKI_SERVER_KEY));
    if (r != NANODTLS_OK)
        fail("set_own_key server", r);
    r = CALL(CLIENT, "set_own_certificate",
             nanodtls_set_own_certificate(&g_ctx[CLIENT], PKI_CLIENT_CHAIN, sizeof PKI_CLIENT_CHAIN));
    if (r != NANODTLS_OK)
        fail("set_own_certificate client", r);
    r = CALL(SERVER, "set_own_certificate",
             nanodtls_set_own_certificate(&g_ctx[SERVER], PKI_SERVER_CHAIN, sizeof PKI_SERVER_CHAIN));
    if (r != NANODTLS_OK)
        fail("set_own_certificate server", r);
    for (int role = 0; role < NROLES; role++) {
        r = CALL(role, "add_ca", nanodtls_add_ca(&g_ctx[role], PKI_ROOT, sizeof PKI_ROOT));
        if (r != NANODTLS_OK)
            fail("add_ca", r);
        r = CALL(role, "set_wall_clock", nanodtls_set_wall_clock(&g_ctx[role], wall_clock, NULL));
        if (r != NANODTLS_OK)
            fail("set_wall_clock", r);
    }
    r = CALL(CLIENT, "set_server_name",
             nanodtls_set_server_name(&g_ctx[CLIENT], (const uint8_t *)"server.example", 14));
    if (r != NANODTLS_OK)
        fail("set_server_name", r);
    report_setup(name);
    phase_begin();
    handshake(name);
    report_handshake(name);
    r = nanodtls_peer_x509(&g_ctx[SERVER], &peer);
    if (r != NANODTLS_OK || peer.kind != NANODTLS_X509_PEER_EUI64 || peer.depth != 3)
        fail("server: no validated client EUI-64", r);
    r = nanodtls_peer_x509(&g_ctx[CLIENT], &peer);
    if (r != NANODTLS_OK || peer.kind != NANODTLS_X509_PEER_NAME || peer.depth != 3)
        fail("client: no validated server name", r);
    teardown();
}
#endif

#ifdef BENCH_PANIC_ENTRY
/* Provided by the link (--defsym): address of the library's panic entry
 * point (core::panicking::panic_fmt, Thumb bit set). */
extern char nd_panic_entry[];
#endif

#ifdef BENCH_AES_HOOK
/* A stand-in AES/CCM hook (profile psk-hook): it does no cryptography at
 * all (the "ciphertext" is the plaintext, the tag zeros) and costs a few
 * instructions, so a record's figure is what the library itself spends
 * around a whole-CCM engine; a real engine adds its own time (and a
 * hardware CCM works while the CPU waits or sleeps). Never use it for
 * anything but this measurement. */
static int standin_seal(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                        uint8_t *buf, size_t len, uint8_t *tag, size_t tag_len)
{
    (void)user, (void)key, (void)nonce, (void)aad, (void)aad_len, (void)buf, (void)len;
    for (size_t i = 0; i < tag_len; i++)
        tag[i] = 0;
    return 0;
}
static int standin_open(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                        uint8_t *buf, size_t len, const uint8_t *tag, size_t tag_len)
{
    (void)user, (void)key, (void)nonce, (void)aad, (void)aad_len, (void)buf, (void)len, (void)tag, (void)tag_len;
    return 0;
}
static const nanodtls_aes_hook g_standin = {0, 0, standin_seal, standin_open};
#endif

int main(void)
{
    uint32_t *sp = sp_now();
    g_lowest = sp;
    timer_start();
    calibrate();
    kv("ipt_milli", g_ipt_milli);

    nanodtls_set_panic_hook(on_panic);
#ifdef BENCH_AES_HOOK
    if (nanodtls_set_aes_hook(&g_standin) != NANODTLS_OK) {
        nd_puts("FAIL nanodtls_set_aes_hook\n");
        return 1;
    }
#endif
#ifdef BENCH_PANIC_ENTRY
    /* Volatile condition: the rest of main stays in the image, so the
     * layout (and the library code linked) matches the normal bench. */
    static volatile int do_panic = 1;
    if (do_panic) {
        typedef void (*panic_fn)(const void *, const void *);
        static const uint32_t dummy[8];
        panic_fn f = (panic_fn)(uintptr_t)nd_panic_entry;
        nd_puts("calling the library's panic entry point\n");
        f(dummy, dummy);
        nd_puts("FAIL panic entry returned\n");
        return 1;
    }
#endif
    kv("ctx_size", sizeof(nanodtls_ctx));
    kv("lib_ctx_size", nanodtls_ctx_size());
    kv("mtu", NANODTLS_MTU);

    run_psk("psk");
#ifdef BENCH_ECC
    run_ecc("ecc");
#endif
#ifdef BENCH_DK
    run_dk("dk");
#endif
#if defined(BENCH_AUTHZ) && defined(BENCH_ECC)
    run_authz("authz");
#endif
#ifdef BENCH_X509
    run_x509("x509");
#endif
    kv("client_total_insns", to_insns(g_acc[CLIENT].ticks));
    kv("client_stack_max", g_acc[CLIENT].stack_max);
    kv("server_stack_max", g_acc[SERVER].stack_max);
    /* Deepest stack of the whole run: from the top of the stack to the
     * lowest word any library call touched (includes start-up and main). */
    kv("stack_peak_total", (uint32_t)((uint8_t *)__stack_top - (uint8_t *)g_lowest));
    kv("sbrk_calls", g_sbrk_calls);
    kv("panics", g_panics);
    nd_puts("BENCH OK\n");
    return g_sbrk_calls == 0 ? 0 : 1;
}
