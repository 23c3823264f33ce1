/*
 * Host benchmark: a running nanodtls-server (the endpoint API) under a
 * burst of new clients. N PSK clients in this one process, each with its
 * own UDP socket bound to its own loopback address (127.0.x.y; Linux
 * routes all of 127/8 to lo), all started at once. Per client it measures
 * the time from nanodtls_connect to CONNECTED, then one echo round trip
 * (the server must run with --echo; DTLS does not retransmit application
 * data, so the ping is sent again every second until the echo arrives,
 * as a CoAP client would), then it closes with close_notify.
 * Every client has a deadline (--deadline-ms) for handshake + echo.
 *
 * Reported: completed/N (handshake and echo), handshakes/s, p50/p90/max
 * time to CONNECTED, retransmissions, the server's CPU time (utime+stime
 * from /proc/PID/stat, --server-pid) and the kernel's drop counter of the
 * server socket (/proc/net/udp). The last line is machine-readable:
 *   RESULT n=... completed=... hs_per_s=... p50_ms=... ...
 * (scripts/bench-endpoint.sh builds its table from it). This is a
 * benchmark: the exit status does not depend on the numbers unless
 * --require-all is given (then 1 if a client did not complete).
 *
 * --half-open turns every client into a stalled handshake for the slot
 * exhaustion check (scripts/endpoint-exhaustion-test.sh): it does the
 * cookie exchange, sends the ClientHello with the cookie (so the server
 * allocates a slot), prints "HALF-OPEN <addr>" when the server's next
 * flight arrives and from then on ignores the server and, with
 * --junk-ms N, sends a 1-byte datagram every N ms from the same address,
 * until --hold-ms after the start (or a signal).
 *
 *   nanodtls-endpoint-load --host 127.0.0.1 --port P --psk-id ID --psk HEX -n N
 *                          [--deadline-ms N] [--server-pid PID] [--require-all]
 *                          [--half-open [--junk-ms N] [--hold-ms N]] [--first-addr X.Y]
 *
 *   scripts/bench-endpoint.sh      starts the server and runs this (see there)
 *
 * Linux only (127/8 loopback, /proc).
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1024
#define DEFAULT_DEADLINE_MS 60000UL
#define MAX_MS 86400000UL
#define PING_RETRY_MS 1000.0

enum phase { PH_HANDSHAKE, PH_ECHO, PH_DONE, PH_FAILED, PH_HALF_OPEN };

struct client {
    int fd;
    enum phase phase;
    double t_start, t_conn, t_echo; /* ms, CLOCK_MONOTONIC */
    uint64_t next_junk;             /* --half-open --junk-ms */
    unsigned long junk_sent;
    double next_ping;               /* PH_ECHO: when to send the ping again */
    unsigned long ping_retries;
    nanodtls_status fail;           /* why it failed (0: deadline) */
    nanodtls_stats stats;           /* copied before deinit */
    struct sockaddr_in local;
};

struct options {
    const char *host;
    unsigned long port;
    const char *psk_id;
    uint8_t psk[NANODTLS_MAX_PSK_KEY];
    size_t psk_len;
    unsigned long n;
    unsigned long deadline_ms;
    long server_pid;
    int require_all;
    int half_open;
    unsigned long junk_ms;
    unsigned long hold_ms;
    unsigned long first_x, first_y; /* first local address 127.0.X.Y */
};

static struct client g_cl[MAX_CLIENTS];
static nanodtls_ctx g_ctx[MAX_CLIENTS];
static struct pollfd g_pfd[MAX_CLIENTS];
static int g_pidx[MAX_CLIENTS];
static uint8_t g_buf[ND_RX_DATAGRAM_MAX];
static uint8_t g_app[ND_APP_MAX];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile q (nearest rank) over all `total` clients, of which the
 * `n` that got there are in sorted v[0..n); the others count as later
 * than any: then "><deadline>" is written. */
static const char *quantile(const double *v, int n, int total, double q, unsigned long deadline, char *buf,
                            size_t cap)
{
    int k = (int)(q * total + 0.999999) - 1;
    if (k < 0) {
        k = 0;
    }
    if (k >= total) {
        k = total - 1;
    }
    if (k >= n) {
        snprintf(buf, cap, ">%lu", deadline);
    } else {
        snprintf(buf, cap, "%.1f", v[k]);
    }
    return buf;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nanodtls-endpoint-load --host IPV4 --port P --psk-id ID --psk HEX -n N\n"
            "                              [--deadline-ms N] [--server-pid PID] [--require-all]\n"
            "                              [--half-open [--junk-ms N] [--hold-ms N]] [--first-addr X.Y]\n"
            "\n"
            "  -n N             clients (1-%d), started at once, client i bound to\n"
            "                   127.0.X.Y+i (Y wraps at 250 into the next X)\n"
            "  --deadline-ms N  per client: handshake + echo within N ms (default %lu)\n"
            "  --server-pid PID report the server's CPU time (utime+stime) during the run\n"
            "  --require-all    exit 1 unless every client completed (default: exit 0)\n"
            "  --half-open      stall every handshake after the ClientHello with cookie\n"
            "                   (see the source); --junk-ms N: then send a 1-byte datagram\n"
            "                   every N ms; --hold-ms N: stop N ms after the start\n"
            "                   (default: the deadline)\n"
            "  --first-addr X.Y first local address 127.0.X.Y (default 1.1)\n",
            MAX_CLIENTS, DEFAULT_DEADLINE_MS);
}

#define usage_error(...) nd_usage_error("nanodtls-endpoint-load", usage, __VA_ARGS__)

static int parse_args(int argc, char **argv, struct options *o)
{
    static const char *const names[] = {"--host",      "--port",    "--psk-id",  "--psk",       "-n",
                                        "--deadline-ms", "--server-pid", "--junk-ms", "--hold-ms", "--first-addr"};
    const char *psk_hex = NULL;
    int i;

    memset(o, 0, sizeof *o);
    o->deadline_ms = DEFAULT_DEADLINE_MS;
    o->server_pid = -1;
    o->first_x = 1;
    o->first_y = 1;
    for (i = 1; i < argc; i++) {
        const char *v = NULL;
        int which = 0, k;
        unsigned long pid;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return ND_EXIT_OK;
        }
        if (strcmp(argv[i], "--require-all") == 0) {
            o->require_all = 1;
            continue;
        }
        if (strcmp(argv[i], "--half-open") == 0) {
            o->half_open = 1;
            continue;
        }
        k = nd_match_option(argc, argv, &i, names, (int)(sizeof names / sizeof names[0]), &v, &which);
        switch (k) {
        case -2:
            return usage_error("option %s needs a value", names[which]);
        case 0:
            o->host = v;
            break;
        case 1:
            if (nd_parse_ulong(v, 1, 65535, &o->port) != 0) {
                return usage_error("bad --port '%s'", v);
            }
            break;
        case 2:
            o->psk_id = v;
            break;
        case 3:
            psk_hex = v;
            break;
        case 4:
            if (nd_parse_ulong(v, 1, MAX_CLIENTS, &o->n) != 0) {
                return usage_error("bad -n '%s' (1-%d)", v, MAX_CLIENTS);
            }
            break;
        case 5:
            if (nd_parse_ulong(v, 1, MAX_MS, &o->deadline_ms) != 0) {
                return usage_error("bad --deadline-ms '%s'", v);
            }
            break;
        case 6:
            if (nd_parse_ulong(v, 1, 4194304, &pid) != 0) {
                return usage_error("bad --server-pid '%s'", v);
            }
            o->server_pid = (long)pid;
            break;
        case 7:
            if (nd_parse_ulong(v, 1, MAX_MS, &o->junk_ms) != 0) {
                return usage_error("bad --junk-ms '%s'", v);
            }
            break;
        case 8:
            if (nd_parse_ulong(v, 1, MAX_MS, &o->hold_ms) != 0) {
                return usage_error("bad --hold-ms '%s'", v);
            }
            break;
        case 9: {
            char *dot = strchr(v, '.');
            char xs[8];
            if (dot == NULL || dot - v <= 0 || dot - v >= (long)sizeof xs) {
                return usage_error("bad --first-addr '%s' (X.Y)", v);
            }
            memcpy(xs, v, (size_t)(dot - v));
            xs[dot - v] = '\0';
            if (nd_parse_ulong(xs, 0, 255, &o->first_x) != 0 || nd_parse_ulong(dot + 1, 1, 250, &o->first_y) != 0) {
                return usage_error("bad --first-addr '%s' (X 0-255, Y 1-250)", v);
            }
            break;
        }
        default:
            return usage_error("unknown argument: %s", argv[i]);
        }
    }
    if (o->host == NULL || o->port == 0 || o->psk_id == NULL || psk_hex == NULL || o->n == 0) {
        return usage_error("--host, --port, --psk-id, --psk and -n are required");
    }
    if (strlen(o->psk_id) == 0 || strlen(o->psk_id) > NANODTLS_MAX_PSK_IDENTITY) {
        return usage_error("bad --psk-id");
    }
    if (nd_parse_hex(psk_hex, o->psk, sizeof o->psk, &o->psk_len) != 0) {
        return usage_error("bad --psk (hex, 1-%d bytes)", NANODTLS_MAX_PSK_KEY);
    }
    if ((o->junk_ms != 0 || o->hold_ms != 0) && !o->half_open) {
        return usage_error("--junk-ms and --hold-ms need --half-open");
    }
    if (o->hold_ms == 0) {
        o->hold_ms = o->deadline_ms;
    }
    return -1;
}

/* utime+stime of a process in seconds, or -1. */
static double proc_cpu_s(long pid)
{
    char path[64], buf[1024];
    FILE *f;
    size_t n;
    char *p;
    unsigned long ut = 0, st = 0;
    int field;

    if (pid <= 0) {
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (p == NULL) {
        return -1;
    }
    p++;
    /* Fields after the name: 3 state ... 14 utime, 15 stime. */
    for (field = 3; field <= 15 && *p; field++) {
        while (*p == ' ') {
            p++;
        }
        if (field == 14) {
            ut = strtoul(p, NULL, 10);
        } else if (field == 15) {
            st = strtoul(p, NULL, 10);
        }
        while (*p && *p != ' ') {
            p++;
        }
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Kernel drop counter (receive buffer full) of the UDP socket bound to
 * addr:port from /proc/net/udp, or -1. /proc prints the address as the
 * in-memory 32-bit value, i.e. s_addr read in host order. */
static long udp_drops(uint32_t s_addr, unsigned long port)
{
    char line[512];
    long drops = -1;
    FILE *f = fopen("/proc/net/udp", "r");

    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned int sl, laddr, lport, raddr, rport;
        char rest[400];
        if (sscanf(line, " %u: %8X:%4X %8X:%4X %399[^\n]", &sl, &laddr, &lport, &raddr, &rport, rest) == 6 &&
            laddr == s_addr && lport == port) {
            /* The drops counter is the last column (the line ends in
             * padding spaces). */
            size_t len = strlen(rest);
            char *last;
            while (len > 0 && rest[len - 1] == ' ') {
                rest[--len] = '\0';
            }
            last = strrchr(rest, ' ');
            drops = strtol(last != NULL ? last + 1 : rest, NULL, 10);
            break;
        }
    }
    fclose(f);
    return drops;
}

static void flush_client(int i)
{
    struct client *c = &g_cl[i];
    for (;;) {
        size_t n = 0;
        nanodtls_status st = nanodtls_poll_datagram(&g_ctx[i], g_buf, ND_TX_DATAGRAM_MAX, &n);
        if (st != NANODTLS_OK) {
            return;
        }
        (void)send(c->fd, g_buf, n, 0); /* loss is covered by retransmission */
    }
}

static void finish(int i, enum phase ph, nanodtls_status why)
{
    struct client *c = &g_cl[i];
    c->phase = ph;
    c->fail = why;
    (void)nanodtls_get_stats(&g_ctx[i], &c->stats);
    if (ph == PH_DONE) {
        (void)nanodtls_close(&g_ctx[i]);
        flush_client(i);
    }
    (void)nanodtls_deinit(&g_ctx[i]);
    close(c->fd);
    c->fd = -1;
}

/* Write the ping record ("ping <i>"); 0 or -1. */
static int send_ping(int i)
{
    char msg[32];
    int len = snprintf(msg, sizeof msg, "ping %d", i);
    size_t n = 0;
    /* Sealed straight into a datagram buffer of our own, then sent. */
    if (nanodtls_write(&g_ctx[i], (const uint8_t *)msg, (size_t)len, g_app, sizeof g_app, &n) != NANODTLS_OK) {
        return -1;
    }
    (void)send(g_cl[i].fd, g_app, n, 0);
    g_cl[i].next_ping = now_ms() + PING_RETRY_MS;
    flush_client(i);
    return 0;
}

/* React to the context's state after input or a timer. */
static void step(int i, const struct options *o)
{
    struct client *c = &g_cl[i];
    int32_t s = nanodtls_state(&g_ctx[i]);

    if (s == NANODTLS_STATE_FAILED || s == NANODTLS_STATE_CLOSED) {
        finish(i, PH_FAILED, s == NANODTLS_STATE_CLOSED ? NANODTLS_E_CLOSED : nanodtls_error(&g_ctx[i]));
        return;
    }
    if (c->phase == PH_HANDSHAKE && s == NANODTLS_STATE_CONNECTED) {
        c->t_conn = now_ms();
        c->phase = PH_ECHO;
        if (send_ping(i) != 0) {
            finish(i, PH_FAILED, NANODTLS_E_INTERNAL);
            return;
        }
    }
    flush_client(i);
    (void)o;
}

static void on_datagram(int i, uint8_t *data, size_t len, const struct options *o)
{
    struct client *c = &g_cl[i];
    nanodtls_status st;
    size_t at = 0;

    if (c->phase == PH_HALF_OPEN) {
        return; /* a stalled handshake ignores the server */
    }
    if (o->half_open) {
        nanodtls_stats s;
        (void)nanodtls_get_stats(&g_ctx[i], &s);
        if (s.hello_verify_requests > 0) {
            /* The ClientHello with the cookie went out and the server
             * answers: it has allocated a slot for us. Stall here. */
            char who[ND_ADDR_STR_MAX];
            c->phase = PH_HALF_OPEN;
            c->t_conn = now_ms();
            c->next_junk = nd_now_ms(NULL);
            nd_addr_str((const struct sockaddr *)&c->local, sizeof c->local, who, sizeof who);
            printf("HALF-OPEN %s\n", who);
            fflush(stdout);
            return;
        }
    }
    /* Decrypted in place; one application record per call (MORE: more left). */
    do {
        nanodtls_input in;
        st = nanodtls_feed(&g_ctx[i], data + at, len - at, &in);
        if (st != NANODTLS_OK && st != NANODTLS_MORE) {
            break;
        }
        if (in.app_data != NULL && c->phase == PH_ECHO) {
            c->t_echo = now_ms();
            finish(i, PH_DONE, NANODTLS_OK);
            return;
        }
        at += in.consumed;
    } while (st == NANODTLS_MORE);
    step(i, o);
}

static int setup(const struct options *o, const struct sockaddr_in *server)
{
    nanodtls_config cfg;
    nanodtls_platform plat;
    struct rlimit rl;
    unsigned long i;

    /* One descriptor per client. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < o->n + 64 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    nd_platform_init(&plat);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    cfg.handshake_timeout_ms = (uint32_t)o->deadline_ms;
    for (i = 0; i < o->n; i++) {
        struct client *c = &g_cl[i];
        unsigned long k = (o->first_x * 250 + (o->first_y - 1)) + i;
        nanodtls_status st;

        memset(c, 0, sizeof *c);
        c->local.sin_family = AF_INET;
        c->local.sin_port = 0;
        c->local.sin_addr.s_addr = htonl((127UL << 24) | ((k / 250) << 8) | (k % 250 + 1));
        if (k / 250 > 255) {
            fprintf(stderr, "too many clients for 127.0.X.Y from --first-addr\n");
            return -1;
        }
        c->fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (c->fd < 0 || fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL, 0) | O_NONBLOCK) != 0) {
            fprintf(stderr, "socket (client %lu): %s\n", i, strerror(errno));
            return -1;
        }
        if (bind(c->fd, (const struct sockaddr *)&c->local, sizeof c->local) != 0 ||
            connect(c->fd, (const struct sockaddr *)server, sizeof *server) != 0) {
            fprintf(stderr, "bind/connect (client %lu): %s\n", i, strerror(errno));
            return -1;
        }
        {
            socklen_t len = sizeof c->local;
            (void)getsockname(c->fd, (struct sockaddr *)&c->local, &len);
        }
        st = nanodtls_init(&g_ctx[i], sizeof g_ctx[i], &cfg, &plat);
        if (st == NANODTLS_OK) {
            st = nanodtls_set_psk(&g_ctx[i], (const uint8_t *)o->psk_id, strlen(o->psk_id), o->psk, o->psk_len);
        }
        if (st != NANODTLS_OK) {
            nd_print_failure("init", st, NULL);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct options o;
    struct sockaddr_in server;
    struct rusage ru;
    double t0, t_end, cpu0, cpu1, lat[MAX_CLIENTS], echo[MAX_CLIENTS], first_start = 0, last_conn = 0;
    unsigned long i, retrans = 0, retrans_clients = 0, hvr = 0, junk = 0, ping_retries = 0;
    int connected = 0, completed = 0, half_open = 0, failed_early = 0, active;
    long drops0, drops1;
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0) {
        return rc;
    }
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)o.port);
    if (inet_pton(AF_INET, o.host, &server.sin_addr) != 1) {
        return usage_error("--host must be an IPv4 address");
    }
    nd_install_signal_handlers();
    if (setup(&o, &server) != 0) {
        return ND_EXIT_FAIL;
    }

    cpu0 = proc_cpu_s(o.server_pid);
    drops0 = udp_drops(server.sin_addr.s_addr, o.port);
    t0 = now_ms();
    /* All at once: every first ClientHello before any reply is read. */
    for (i = 0; i < o.n; i++) {
        g_cl[i].t_start = now_ms();
        if (nanodtls_connect(&g_ctx[i]) != NANODTLS_OK) {
            finish((int)i, PH_FAILED, NANODTLS_E_INTERNAL);
            continue;
        }
        flush_client((int)i);
    }
    first_start = g_cl[0].t_start;

    for (;;) {
        double now = now_ms();
        uint64_t now_lib = nd_now_ms(NULL);
        int timeout = -1, n_pfd = 0, r, k;

        active = 0;
        for (i = 0; i < o.n; i++) {
            struct client *c = &g_cl[i];
            int t;
            uint32_t ms;

            if (c->phase == PH_DONE || c->phase == PH_FAILED) {
                continue;
            }
            if (c->phase == PH_HALF_OPEN) {
                if (now - c->t_start >= (double)o.hold_ms) {
                    c->phase = PH_DONE; /* counted as half-open below */
                    close(c->fd);
                    c->fd = -1;
                    continue;
                }
                if (o.junk_ms != 0 && now_lib >= c->next_junk) {
                    uint8_t junk_byte = 0x42;
                    if (send(c->fd, &junk_byte, 1, 0) == 1) {
                        c->junk_sent++;
                    }
                    c->next_junk = now_lib + o.junk_ms;
                }
                t = (int)(o.hold_ms - (unsigned long)(now - c->t_start));
                if (o.junk_ms != 0 && (int)(c->next_junk - now_lib) < t) {
                    t = (int)(c->next_junk - now_lib);
                }
            } else {
                if (now - c->t_start >= (double)o.deadline_ms) {
                    finish((int)i, PH_FAILED, NANODTLS_E_TIMEOUT);
                    continue;
                }
                if (nanodtls_timeout_ms(&g_ctx[i], &ms) == NANODTLS_OK && ms == 0) {
                    (void)nanodtls_handle_timeout(&g_ctx[i]);
                    step((int)i, &o);
                    if (c->phase == PH_FAILED) {
                        continue;
                    }
                    if (nanodtls_timeout_ms(&g_ctx[i], &ms) != NANODTLS_OK) {
                        ms = 1000;
                    }
                } else if (nanodtls_timeout_ms(&g_ctx[i], &ms) != NANODTLS_OK) {
                    ms = 1000;
                }
                if (c->phase == PH_ECHO && now >= c->next_ping) {
                    c->ping_retries++;
                    if (send_ping((int)i) != 0) {
                        finish((int)i, PH_FAILED, NANODTLS_E_INTERNAL);
                        continue;
                    }
                }
                t = (int)ms;
                if (c->phase == PH_ECHO && c->next_ping - now < t) {
                    t = (int)(c->next_ping - now) + 1;
                }
                if ((double)o.deadline_ms - (now - c->t_start) < t) {
                    t = (int)((double)o.deadline_ms - (now - c->t_start)) + 1;
                }
            }
            if (t < 0) {
                t = 0;
            }
            if (timeout < 0 || t < timeout) {
                timeout = t;
            }
            g_pfd[n_pfd].fd = c->fd;
            g_pfd[n_pfd].events = POLLIN;
            g_pfd[n_pfd].revents = 0;
            g_pidx[n_pfd] = (int)i;
            n_pfd++;
            active++;
        }
        if (active == 0 || nd_stop) {
            break;
        }
        r = nd_poll(g_pfd, (nfds_t)n_pfd, timeout);
        if (r < 0) {
            fprintf(stderr, "poll: %s\n", strerror(errno));
            return ND_EXIT_FAIL;
        }
        for (k = 0; r > 0 && k < n_pfd; k++) {
            int ci = g_pidx[k];
            int budget;
            if (!(g_pfd[k].revents & (POLLIN | POLLERR))) {
                continue;
            }
            for (budget = 0; budget < 16 && g_cl[ci].fd >= 0; budget++) {
                ssize_t n = recv(g_cl[ci].fd, g_buf, sizeof g_buf, 0);
                if (n < 0) {
                    break; /* EAGAIN, or ICMP refused: retransmission covers it */
                }
                on_datagram(ci, g_buf, (size_t)n, &o);
                if (g_cl[ci].phase == PH_DONE || g_cl[ci].phase == PH_FAILED) {
                    break;
                }
            }
        }
    }
    t_end = now_ms();
    cpu1 = proc_cpu_s(o.server_pid);
    drops1 = udp_drops(server.sin_addr.s_addr, o.port);

    for (i = 0; i < o.n; i++) {
        struct client *c = &g_cl[i];
        if (c->fd >= 0) { /* interrupted */
            (void)nanodtls_get_stats(&g_ctx[i], &c->stats);
            (void)nanodtls_deinit(&g_ctx[i]);
            close(c->fd);
        }
        if (c->t_conn > 0) {
            lat[connected++] = c->t_conn - c->t_start;
            if (c->t_conn > last_conn) {
                last_conn = c->t_conn;
            }
        }
        if (c->t_echo > 0) {
            echo[completed++] = c->t_echo - c->t_conn;
        }
        if (c->t_conn > 0 && o.half_open) {
            half_open++;
        }
        if (c->phase == PH_FAILED && c->fail != NANODTLS_E_TIMEOUT) {
            failed_early++;
        }
        retrans += c->stats.retransmits;
        retrans_clients += c->stats.retransmits > 0;
        hvr += c->stats.hello_verify_requests;
        junk += c->junk_sent;
        ping_retries += c->ping_retries;
    }
    qsort(lat, (size_t)connected, sizeof lat[0], cmp_double);
    qsort(echo, (size_t)completed, sizeof echo[0], cmp_double);
    getrusage(RUSAGE_SELF, &ru);

    if (o.half_open) {
        printf("half-open: %d of %lu clients held a server slot; %lu junk datagrams sent\n", half_open, o.n, junk);
        printf("RESULT n=%lu half_open=%d junk=%lu\n", o.n, half_open, junk);
        fflush(stdout);
        return half_open == (int)o.n ? ND_EXIT_OK : ND_EXIT_FAIL;
    }
    {
        double span_s = (last_conn - first_start) / 1e3;
        double hs_per_s = connected > 0 && span_s > 0 ? connected / span_s : 0;
        double scpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
        double ccpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                      (double)ru.ru_stime.tv_usec / 1e6;
        printf("%lu clients, deadline %lu ms: %d connected, %d completed the echo, %d failed before the deadline\n",
               o.n, o.deadline_ms, connected, completed, failed_early);
        char p50[32], p90[32], pmax[32], e50[32];
        (void)quantile(lat, connected, (int)o.n, 0.5, o.deadline_ms, p50, sizeof p50);
        (void)quantile(lat, connected, (int)o.n, 0.9, o.deadline_ms, p90, sizeof p90);
        (void)quantile(lat, connected, (int)o.n, 1.0, o.deadline_ms, pmax, sizeof pmax);
        if (completed > 0) {
            snprintf(e50, sizeof e50, "%.2f", echo[(completed - 1) / 2]);
        } else {
            snprintf(e50, sizeof e50, "-");
        }
        printf("time to CONNECTED over all %lu clients (\">%lu\": not within the deadline): p50 %s ms, p90 %s ms, "
               "max %s ms; echo round trip p50 %s ms\n",
               o.n, o.deadline_ms, p50, p90, pmax, e50);
        printf("handshakes/s %.1f (connected / time from the first start to the last CONNECTED); run %.1f s\n",
               hs_per_s, (t_end - t0) / 1e3);
        printf("client retransmissions %lu (%lu clients retransmitted); HelloVerifyRequests received %lu; "
               "pings sent again %lu\n",
               retrans, retrans_clients, hvr, ping_retries);
        printf("server CPU %.2f s; server socket drops %ld; load generator CPU %.2f s\n", scpu,
               drops0 >= 0 && drops1 >= 0 ? drops1 - drops0 : -1L, ccpu);
        printf("RESULT n=%lu completed=%d connected=%d hs_per_s=%.1f p50_ms=%s p90_ms=%s max_ms=%s "
               "retrans=%lu retrans_clients=%lu ping_retries=%lu server_cpu_s=%.2f sock_drops=%ld run_s=%.1f\n",
               o.n, completed, connected, hs_per_s, p50, p90, pmax, retrans, retrans_clients, ping_retries, scpu,
               drops0 >= 0 && drops1 >= 0 ? drops1 - drops0 : -1L, (t_end - t0) / 1e3);
        fflush(stdout);
        return o.require_all && completed != (int)o.n ? ND_EXIT_FAIL : ND_EXIT_OK;
    }
}
