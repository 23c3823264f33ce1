/*
 * nanodtls-client: a DTLS 1.2 PSK client for the command line, in the
 * spirit of `openssl s_client`, built on the sans-IO nanodtls context API.
 *
 *   nanodtls-client --host H --port P --psk-id ID --psk HEX
 *                   [--mtu N] [--send TEXT] [--timeout-ms N] [--verbose]
 *
 * It connects a UDP socket to H:P (IPv4 or IPv6), runs the handshake and
 * prints "HANDSHAKE OK <suite>". With --send it writes TEXT as one record
 * and waits for a reply; otherwise every line read from stdin is sent as
 * one record until end of file. Every application record received is
 * printed as "RECV <text>". The connection is then closed with
 * close_notify.
 *
 * The loop is the one every nanodtls integration has:
 *   1. poll all datagrams out of the library and send them;
 *   2. wait (poll()) for the socket, stdin, the library's retransmission
 *      timer (nanodtls_timeout_ms) or our own deadline;
 *   3. feed a received datagram in (nanodtls_feed) and read the
 *      application data out (nanodtls_read); or run the timer
 *      (nanodtls_handle_timeout).
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 10000UL
#define MAX_TIMEOUT_MS 86400000UL /* one day */

struct options {
    const char *host;
    const char *port;
    const char *psk_id;
    uint8_t psk[NANODTLS_MAX_PSK_KEY];
    size_t psk_len;
    unsigned long mtu;  /* 0 = library default */
    const char *send;   /* NULL = read stdin */
    unsigned long timeout_ms;
};

/* Everything the loop needs. Static storage: the context is ~6 KiB. */
struct client {
    nanodtls_ctx ctx;
    int fd;
    int32_t state;           /* last state seen, for --verbose */
    unsigned long sent;      /* application records written */
    unsigned long received;  /* application records read */
};

static struct client g_client;
static uint8_t g_tx[ND_TX_DATAGRAM_MAX];
static uint8_t g_rx[ND_RX_DATAGRAM_MAX];
static uint8_t g_app[ND_APP_MAX];

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nanodtls-client --host H --port P --psk-id ID --psk HEX\n"
            "                       [--mtu N] [--send TEXT] [--timeout-ms N] [--verbose]\n"
            "\n"
            "  --host H         server name or address (IPv4 or IPv6)\n"
            "  --port P         server UDP port (1-65535)\n"
            "  --psk-id ID      PSK identity (1-%d bytes)\n"
            "  --psk HEX        pre-shared key in hex (1-%d bytes)\n"
            "  --mtu N          largest datagram to send (%lu-%lu, default: library default)\n"
            "  --send TEXT      send TEXT as one record, wait for a reply, close;\n"
            "                   without it, each line of stdin is sent as one record\n"
            "  --timeout-ms N   deadline for the handshake and for the reply (1-%lu,\n"
            "                   default %lu); after stdin ends, the time to wait for\n"
            "                   as many records as were sent\n"
            "  --verbose        log datagrams and state changes to stderr\n"
            "\n"
            "stdout: \"HANDSHAKE OK <suite>\", then \"RECV <text>\" per record received.\n"
            "exit: 0 ok, 1 failure (or no reply to --send), 2 usage error\n",
            NANODTLS_MAX_PSK_IDENTITY, NANODTLS_MAX_PSK_KEY, ND_MTU_MIN, ND_MTU_MAX, MAX_TIMEOUT_MS,
            DEFAULT_TIMEOUT_MS);
}

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("nanodtls-client: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    usage(stderr);
    return ND_EXIT_USAGE;
}

enum { OPT_HOST, OPT_PORT, OPT_PSK_ID, OPT_PSK, OPT_SEND, OPT_MTU, OPT_TIMEOUT, OPT_COUNT };
static const char *const option_names[OPT_COUNT] = {
    "--host", "--port", "--psk-id", "--psk", "--send", "--mtu", "--timeout-ms",
};

/* Returns -1 when the options are fine, otherwise the exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
    int i;
    const char *psk_hex = NULL;
    unsigned long port;

    memset(o, 0, sizeof *o);
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    for (i = 1; i < argc; i++) {
        const char *v = NULL;
        int which = 0;
        int k;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return ND_EXIT_OK;
        }
        if (strcmp(argv[i], "--verbose") == 0) {
            nd_verbose = 1;
            continue;
        }
        k = nd_match_option(argc, argv, &i, option_names, OPT_COUNT, &v, &which);
        switch (k) {
        case -2:
            return usage_error("option %s needs a value", option_names[which]);
        case -1:
            return usage_error("unknown argument: %s", argv[i]);
        case OPT_HOST:
            o->host = v;
            break;
        case OPT_PORT:
            o->port = v;
            break;
        case OPT_PSK_ID:
            o->psk_id = v;
            break;
        case OPT_PSK:
            psk_hex = v;
            break;
        case OPT_SEND:
            o->send = v;
            break;
        case OPT_MTU:
            if (nd_parse_ulong(v, ND_MTU_MIN, ND_MTU_MAX, &o->mtu) != 0) {
                return usage_error("bad --mtu value '%s' (%lu-%lu)", v, ND_MTU_MIN, ND_MTU_MAX);
            }
            break;
        case OPT_TIMEOUT:
            if (nd_parse_ulong(v, 1, MAX_TIMEOUT_MS, &o->timeout_ms) != 0) {
                return usage_error("bad --timeout-ms value '%s' (1-%lu)", v, MAX_TIMEOUT_MS);
            }
            break;
        default:
            return usage_error("unknown argument: %s", argv[i]);
        }
    }
    if (o->host == NULL || o->port == NULL || o->psk_id == NULL || psk_hex == NULL) {
        return usage_error("--host, --port, --psk-id and --psk are required");
    }
    if (o->host[0] == '\0') {
        return usage_error("--host must not be empty");
    }
    if (nd_parse_ulong(o->port, 1, 65535, &port) != 0) {
        return usage_error("bad --port value '%s' (1-65535)", o->port);
    }
    if (strlen(o->psk_id) == 0 || strlen(o->psk_id) > NANODTLS_MAX_PSK_IDENTITY) {
        return usage_error("bad --psk-id: 1 to %d bytes", NANODTLS_MAX_PSK_IDENTITY);
    }
    if (nd_parse_hex(psk_hex, o->psk, sizeof o->psk, &o->psk_len) != 0) {
        return usage_error("bad --psk: an even number of hex digits, 1 to %d bytes", NANODTLS_MAX_PSK_KEY);
    }
    return -1;
}

/* Log state transitions (--verbose). */
static void note_state(struct client *c)
{
    int32_t s = nanodtls_state(&c->ctx);
    if (s != c->state) {
        nd_vlog("state: %s -> %s", nd_state_name(c->state), nd_state_name(s));
        c->state = s;
    }
}

/* Send every datagram the library has queued. Returns 0, or -1 if the
 * library reported an unexpected error (printed). Send errors are not
 * fatal: UDP may lose datagrams, and the retransmission timer covers it. */
static int flush_out(struct client *c)
{
    for (;;) {
        size_t n = 0;
        nanodtls_status st = nanodtls_poll_datagram(&c->ctx, g_tx, sizeof g_tx, &n);
        if (st == NANODTLS_DONE) {
            break;
        }
        if (st != NANODTLS_OK) {
            nd_print_failure("poll_datagram", st, NULL);
            return -1;
        }
        if (send(c->fd, g_tx, n, 0) < 0) {
            nd_vlog("-> send of %zu bytes failed: %s", n, strerror(errno));
        } else {
            nd_vlog("-> %zu bytes", n);
        }
    }
    note_state(c);
    return 0;
}

/* Read every queued application record and print it. */
static void drain_reads(struct client *c)
{
    for (;;) {
        size_t n = 0;
        nanodtls_status st = nanodtls_read(&c->ctx, g_app, sizeof g_app, &n);
        if (st != NANODTLS_OK) {
            /* DONE, or the sticky status of a closed/failed connection
             * (handled by the main loop through nanodtls_state). */
            break;
        }
        c->received++;
        nd_print_recv(g_app, n);
    }
}

/* Feed one datagram. READ_PENDING means data from an earlier datagram is
 * still queued: read it, then feed the same datagram again. Returns the
 * feed status (protocol errors are handled through the state). */
static nanodtls_status feed(struct client *c, const uint8_t *data, size_t len)
{
    nanodtls_status st;
    int tries;

    for (tries = 0; tries < 2; tries++) {
        st = nanodtls_feed(&c->ctx, data, len);
        drain_reads(c);
        if (st != NANODTLS_E_READ_PENDING) {
            break;
        }
    }
    note_state(c);
    return st;
}

/* Receive and feed every datagram waiting on the socket. */
static int receive_all(struct client *c)
{
    int budget;

    /* Bounded so timers and stdin get a turn under a flood. */
    for (budget = 0; budget < 64; budget++) {
        nanodtls_status st;
        ssize_t n = recv(c->fd, g_rx, sizeof g_rx, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return 0;
            }
            if (errno == ECONNREFUSED) {
                /* ICMP port unreachable: nobody listens (yet). Keep
                 * retransmitting until the deadline. */
                nd_vlog("<- ICMP: connection refused");
                continue;
            }
            fprintf(stderr, "recv: %s\n", strerror(errno));
            return -1;
        }
        nd_vlog("<- %zd bytes", n);
        st = feed(c, g_rx, (size_t)n);
        if (st < 0 && st != NANODTLS_E_ALERT_SENT && st != NANODTLS_E_ALERT_RECEIVED &&
            st != NANODTLS_E_TIMEOUT && st != NANODTLS_E_CLOSED) {
            nd_print_failure("feed", st, NULL);
            return -1;
        }
        if (st < 0) {
            return 0; /* the connection ended: the main loop reports it */
        }
    }
    return 0;
}

/* Write one record, polling the transmit buffer empty if it is full. */
static int write_record(struct client *c, const uint8_t *data, size_t len)
{
    nanodtls_status st = nanodtls_write(&c->ctx, data, len);
    if (st == NANODTLS_E_WOULD_BLOCK) {
        if (flush_out(c) != 0) {
            return -1;
        }
        st = nanodtls_write(&c->ctx, data, len);
    }
    if (st != NANODTLS_OK) {
        nd_print_failure("write", st, NULL);
        return -1;
    }
    c->sent++;
    return flush_out(c);
}

/* Send what stdin has produced so far, one record per line. */
static int send_stdin(struct client *c, nd_line_reader *lr)
{
    size_t max = 0;
    size_t n;

    if (nanodtls_max_write(&c->ctx, &max) != NANODTLS_OK || max == 0) {
        return -1;
    }
    if (max > ND_APP_MAX) {
        max = ND_APP_MAX;
    }
    (void)nd_line_reader_fill(lr, STDIN_FILENO);
    while (nd_line_reader_next(lr, max, g_app, &n)) {
        if (write_record(c, g_app, n) != 0) {
            return -1;
        }
    }
    return 0;
}

static int run(const struct options *o)
{
    struct client *c = &g_client;
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st;
    nanodtls_alert alert;
    nd_line_reader lr;
    uint64_t deadline;
    int announced = 0;
    int result = ND_EXIT_FAIL;
    int initialised = 0;
    char local[ND_ADDR_STR_MAX];

    memset(&lr, 0, sizeof lr);
    c->fd = nd_udp_connect(o->host, o->port);
    if (c->fd < 0) {
        return ND_EXIT_FAIL;
    }
    nd_sock_name(c->fd, local, sizeof local);
    nd_vlog("UDP socket %s -> %s port %s", local, o->host, o->port);

    nd_platform_init(&plat);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
    if (o->mtu != 0) {
        cfg.mtu = (uint16_t)o->mtu;
    }
    /* The library gives up on the handshake at our deadline too. */
    cfg.handshake_timeout_ms = (uint32_t)o->timeout_ms;
    st = nanodtls_init(&c->ctx, sizeof c->ctx, &cfg, &plat);
    if (st != NANODTLS_OK) {
        nd_print_failure("init", st, NULL);
        goto out;
    }
    initialised = 1;
    c->state = NANODTLS_STATE_IDLE;
    st = nanodtls_set_psk(&c->ctx, (const uint8_t *)o->psk_id, strlen(o->psk_id), o->psk, o->psk_len);
    if (st != NANODTLS_OK) {
        nd_print_failure("set_psk", st, NULL);
        goto out;
    }
    st = nanodtls_connect(&c->ctx);
    if (st != NANODTLS_OK) {
        nd_print_failure("connect", st, NULL);
        goto out;
    }
    deadline = nd_now_ms(NULL) + o->timeout_ms;

    for (;;) {
        struct pollfd fds[2];
        nfds_t nfds = 1;
        uint32_t ms = 0;
        nanodtls_status tst;
        int32_t state;
        uint64_t now;
        int stdin_idx = -1;

        if (flush_out(c) != 0) {
            goto out;
        }
        state = nanodtls_state(&c->ctx);
        if (state == NANODTLS_STATE_CONNECTED && !announced) {
            uint16_t suite = 0;
            (void)nanodtls_get_suite(&c->ctx, &suite);
            printf("HANDSHAKE OK %s\n", nanodtls_suite_name(suite));
            fflush(stdout);
            announced = 1;
            if (o->send != NULL) {
                if (write_record(c, (const uint8_t *)o->send, strlen(o->send)) != 0) {
                    goto out;
                }
            } else {
                deadline = 0; /* interactive: no deadline while stdin is open */
            }
        }
        if (state == NANODTLS_STATE_FAILED) {
            (void)nanodtls_last_alert(&c->ctx, &alert);
            nd_print_failure(NULL, nanodtls_error(&c->ctx), &alert);
            goto out;
        }
        if (state == NANODTLS_STATE_CLOSED) {
            /* The peer sent close_notify (our reply went out in flush_out). */
            fprintf(stderr, "peer closed the connection\n");
            result = (o->send != NULL && c->received == 0) ? ND_EXIT_FAIL : ND_EXIT_OK;
            if (result != ND_EXIT_OK) {
                fprintf(stderr, "FAILED: no reply received\n");
            }
            goto out;
        }
        if (announced && o->send != NULL && c->received > 0) {
            result = ND_EXIT_OK;
            break;
        }
        if (announced && o->send == NULL && lr.eof && lr.len == 0) {
            if (deadline == 0) {
                deadline = nd_now_ms(NULL) + o->timeout_ms; /* wait for the replies */
            }
            if (c->received >= c->sent) {
                result = ND_EXIT_OK;
                break;
            }
        }
        if (nd_stop) {
            fprintf(stderr, "interrupted\n");
            result = announced && o->send == NULL ? ND_EXIT_OK : ND_EXIT_FAIL;
            break;
        }
        now = nd_now_ms(NULL);
        if (deadline != 0 && now >= deadline) {
            if (!announced) {
                nd_print_failure(NULL, NANODTLS_E_TIMEOUT, NULL);
            } else if (o->send != NULL) {
                fprintf(stderr, "FAILED: no reply within %lu ms\n", o->timeout_ms);
            } else {
                result = ND_EXIT_OK; /* stdin done; stop waiting for replies */
                break;
            }
            goto out;
        }

        tst = nanodtls_timeout_ms(&c->ctx, &ms);
        fds[0].fd = c->fd;
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        if (announced && o->send == NULL && !lr.eof) {
            stdin_idx = 1;
            fds[1].fd = STDIN_FILENO;
            fds[1].events = POLLIN;
            fds[1].revents = 0;
            nfds = 2;
        }
        if (nd_poll(fds, nfds, nd_poll_timeout(tst, ms, deadline, now)) < 0) {
            fprintf(stderr, "poll: %s\n", strerror(errno));
            goto out;
        }
        if (fds[0].revents & (POLLIN | POLLERR)) {
            if (receive_all(c) != 0) {
                goto out;
            }
        }
        if (stdin_idx >= 0 && (fds[stdin_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (send_stdin(c, &lr) != 0) {
                goto out;
            }
        }
        /* Run the retransmission timer once it is due ("early is harmless",
         * but asking first keeps --verbose quiet). */
        if (nanodtls_timeout_ms(&c->ctx, &ms) == NANODTLS_OK && ms == 0) {
            st = nanodtls_handle_timeout(&c->ctx);
            if (st == NANODTLS_OK) {
                nd_vlog("timer: retransmitting");
            }
            note_state(c);
        }
    }

    /* Graceful close: queue close_notify and send it. */
    (void)nanodtls_close(&c->ctx);
    (void)flush_out(c);

out:
    if (initialised) {
        (void)nanodtls_deinit(&c->ctx);
    }
    close(c->fd);
    return result;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0) {
        return rc;
    }
    nd_install_signal_handlers();
    rc = run(&o);
    /* Do not leave the key in this process's memory longer than needed. */
    nd_wipe(o.psk, sizeof o.psk);
    return rc;
}
