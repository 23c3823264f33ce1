/*
 * nanodtls-client: a DTLS 1.2 client for the command line, in the spirit
 * of `openssl s_client`, built on the sans-IO nanodtls context API.
 *
 *   nanodtls-client --host H --port P [--psk-id ID --psk HEX]
 *                   [--key FILE] [--cert FILE] [--rpk-peer FILE]... [--suite NAME]...
 *                   [--authz-cert FILE]
 *                   [--mtu N] [--mfl N] [--rsl N] [--sni NAME] [--heartbeat]
 *                   [--cid N] [--rebind-after K]
 *                   [--resume] [--tickets] [--session-in FILE] [--session-out FILE]
 *                   [--send TEXT | --send-hex HEX] [--timeout-ms N] [--verbose]
 *
 * It connects a UDP socket to H:P (IPv4 or IPv6), runs the handshake and
 * prints "HANDSHAKE OK <suite>" (plus " resumed=0|1" when a session was
 * offered) and "PEER-KEY-SHA256 <hex>" when the peer presented a key;
 * with --ca (certificate mode) "PEER-NAME <name>" once the server's
 * chain validated for that name (else "X509-REFUSED <reason>" on stderr).
 * With --heartbeat it then sends a heartbeat request and prints
 * "HEARTBEAT OK rtt=<ms>" or "HEARTBEAT FAILED". With --send it writes
 * TEXT as one record and waits for a reply; otherwise every line read from
 * stdin is sent as one record until end of file. Every application record
 * received is printed as "RECV <text>". The connection is then closed with
 * close_notify. With --cid N a connection ID (RFC 9146) is negotiated:
 * "CID tx=<hex|none> rx=<hex|none>" follows HANDSHAKE OK; --rebind-after K
 * then moves to a new UDP socket (a new source port, as a NAT rebinding
 * does) after K application records and goes on with the same session,
 * printing "REBIND <new local address>". --authz-cert FILE (a MacCert
 * from `nanodtls-ta authz`, docs/ttp.md) authenticates us with AuthzCert:
 * --key is the key it was issued for, the (single) --rpk-peer is the
 * server's key, pinned (the server sends none). --resume repeats the whole connection from a fresh context
 * that imports the session exported from the first one.
 *
 * The loop is the one every nanodtls integration has:
 *   1. poll all datagrams out of the library and send them;
 *   2. wait (poll()) for the socket, stdin, the library's retransmission
 *      timer (nanodtls_timeout_ms) or our own deadline;
 *   3. feed a received datagram in (nanodtls_feed: decrypted in place,
 *      one application record per call, NANODTLS_MORE while records are
 *      left); or run the timer (nanodtls_handle_timeout).
 * Application data goes out with nanodtls_write, sealed straight into
 * the datagram buffer that is then sent.
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 10000UL
#define MAX_TIMEOUT_MS 86400000UL /* one day */
#define MAX_SEND_HEX 1024

struct options {
    const char *host;
    const char *port;
    nd_creds creds;
    unsigned long mtu;  /* 0 = library default */
    unsigned long mfl;  /* 0 = none */
    unsigned long rsl;  /* 0 = none */
    const char *sni;
    int heartbeat;
    int resume;
    int tickets; /* --tickets: offer and use RFC 5077 session tickets */
    const char *session_in;
    const char *session_out;
    const uint8_t *send; /* NULL = read stdin */
    size_t send_len;
    uint8_t send_hex[MAX_SEND_HEX];
    unsigned long timeout_ms;
    long cid;                    /* -1 = no connection ID; else the length we ask for */
    unsigned long rebind_after;  /* 0 = never */
    const char *authz_cert;      /* --authz-cert FILE, or NULL */
    const char *cached_info;     /* --cached-info FILE, or NULL */
    const char *cached_request;  /* --cached-request FILE, or NULL */
    const char *cert_urls[NANODTLS_MAX_CERT_CHAIN]; /* --cert-url URL (repeatable) */
    size_t n_cert_urls;
};

/* Everything the loop needs. Static storage: the context is ~6 KiB. */
struct client {
    nanodtls_ctx ctx;
    const char *verify_name; /* certificate mode: the name checked (PEER-NAME) */
    int fd;
    int32_t state;           /* last state seen, for --verbose */
    unsigned long sent;      /* application records written */
    unsigned long received;  /* application records read */
    const struct options *o;
    int rebound;             /* --rebind-after done */
};

/* What one connection should do and how it went. */
struct conn_plan {
    const uint8_t *session; /* blob to import before connecting, or NULL */
    size_t session_len;
    int use_stdin;          /* 1: send stdin lines (only the first connection) */
    int report_resumed;     /* 1: append " resumed=0|1" to HANDSHAKE OK */
};

static struct client g_client;
static uint8_t g_tx[ND_TX_DATAGRAM_MAX];
static uint8_t g_rx[ND_RX_DATAGRAM_MAX];
static uint8_t g_app[ND_APP_MAX];
static uint8_t g_session[NANODTLS_SESSION_BLOB_MAX];
/* --authz-cert: the MacCert, borrowed by the context while it lives. */
static uint8_t g_authz_cert[NANODTLS_AUTHZ_CERT_MAX];
static size_t g_authz_cert_len;
/* --cached-info: the server Certificate body read from the file (lent to
 * the context), and the one the library handed out to keep. */
static uint8_t g_cached[8192];
static size_t g_cached_len;
static uint8_t g_cached_new[8192];
static size_t g_cached_new_len;
static int g_cached_new_seen;
static void keep_server_certificate(void *user, const uint8_t *body, size_t len);
/* --cached-request: the same for the server's CertificateRequest body. */
static uint8_t g_req[1024];
static size_t g_req_len;
static uint8_t g_req_new[1024];
static size_t g_req_new_len;
static int g_req_new_seen;
static void keep_certificate_request(void *user, const uint8_t *body, size_t len);

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nanodtls-client --host H --port P [--psk-id ID --psk HEX]\n"
            "                       [--key FILE] [--cert FILE] [--rpk-peer FILE]... [--suite NAME]...\n"
            "                       [--key-via-callback] [--keylog FILE]\n"
            "                       [--authz-cert FILE] [--cached-info FILE] [--cached-request FILE]\n"
            "                       [--cert-url URL]...\n"
            "                       [--mtu N] [--mfl N] [--rsl N] [--sni NAME] [--heartbeat]\n"
            "                       [--cid N] [--rebind-after K]\n"
            "                       [--resume] [--tickets] [--session-in FILE] [--session-out FILE]\n"
            "                       [--send TEXT | --send-hex HEX] [--timeout-ms N] [--verbose]\n"
            "\n"
            "  --host H         server name or address (IPv4 or IPv6)\n"
            "  --port P         server UDP port (1-65535)\n"
            "%s"
            "  --cert-url URL   with --key and --cert: the URL of each certificate of\n"
            "                   the --cert chain, leaf first (RFC 6066 5): a server\n"
            "                   that accepts URLs gets CertificateURL instead\n"
            "  --authz-cert F   authenticate with AuthzCert (docs/ttp.md): F is the binary\n"
            "                   MacCert from `nanodtls-ta authz` for the key in --key;\n"
            "                   the one --rpk-peer is the server's key, pinned\n"
            "  --cached-info F  cached_info (RFC 7924), with --ca: if F exists, offer the\n"
            "                   hash of the server Certificate kept in it (the server then\n"
            "                   sends the hash, the kept chain is validated); after a\n"
            "                   full handshake write the server's Certificate to F;\n"
            "                   prints \"CACHED-INFO used=0|1\"\n"
            "  --cached-request F  cached_info for the server's CertificateRequest (RFC\n"
            "                   7924 4.2): if F exists, offer the hash of the request\n"
            "                   kept in it (the server then sends the hash, the kept\n"
            "                   request is answered); after a full handshake in which\n"
            "                   the server asked for a certificate write its request to\n"
            "                   F; prints \"CACHED-REQUEST used=0|1\"\n",
            ND_CREDS_HELP);
    /* Two strings: C99 promises string literals of 4095 bytes only. */
    fprintf(out,
            "  --mtu N          largest datagram to send (%lu-%lu, default: library default)\n"
            "  --mfl N          request max_fragment_length N (512, 1024, 2048, 4096)\n"
            "  --rsl N          offer record_size_limit N (RFC 8449, 64-16384): the largest\n"
            "                   record plaintext we accept; servers prefer it to --mfl\n"
            "  --sni NAME       send server_name NAME (a DNS name)\n"
            "  --heartbeat      negotiate heartbeat (RFC 6520); after the handshake send\n"
            "                   a request and print \"HEARTBEAT OK rtt=<ms>\" or\n"
            "                   \"HEARTBEAT FAILED\"\n"
            "  --cid N          negotiate a connection ID (RFC 9146), asking for an N-byte\n"
            "                   CID (0-%d; 0: we send the server's but want none); prints\n"
            "                   \"CID tx=<hex|none> rx=<hex|none>\" after the handshake\n"
            "  --rebind-after K after K application records, move to a new UDP socket\n"
            "                   (new source port, as a NAT rebinding) and go on with the\n"
            "                   same session; prints \"REBIND <local address>\"\n"
            "  --resume         after the exchange, close, export the session, and\n"
            "                   connect again from a fresh context that imports it\n"
            "                   (needs --send or --send-hex)\n"
            "  --tickets        offer RFC 5077 session tickets, keep the server's ticket\n"
            "                   (it goes into --session-out) and resume with it; with\n"
            "                   a session offered, prints \" ticket=0|1\" after resumed=\n"
            "  --session-in F   offer the session stored in file F (see --session-out)\n"
            "  --session-out F  at the end, write the resumable session to F (mode 0600:\n"
            "                   it contains the master secret)\n"
            "  --send TEXT      send TEXT as one record, wait for a reply, close;\n"
            "                   without it, each line of stdin is sent as one record\n"
            "  --send-hex HEX   like --send, with binary data given in hex\n"
            "  --timeout-ms N   deadline for the handshake and for the reply (1-%lu,\n"
            "                   default %lu); after stdin ends, the time to wait for\n"
            "                   as many records as were sent\n"
            "  --verbose        log datagrams and state changes to stderr, with the\n"
            "                   library's debug log (\"nanodtls[LEVEL] message\")\n"
            "\n"
            "Credentials: a PSK, and/or --rpk-peer (the server's key) for ECDHE-ECDSA,\n"
            "where --key (and --cert for X.509 peers) answer a request for our key.\n"
            "The client offers the suites it has credentials for (or --suite's).\n"
            "\n"
            "stdout: \"HANDSHAKE OK <suite>[ resumed=0|1[ ticket=0|1]]\", \"PEER-KEY-SHA256 <hex>\" (the\n"
            "SHA-256 of the server's SubjectPublicKeyInfo), \"HEARTBEAT OK rtt=<ms>\",\n"
            "then \"RECV <text>\" per record received.\n"
            "exit: 0 ok, 1 failure (or no reply to --send), 2 usage error\n",
            ND_MTU_MIN, ND_MTU_MAX, NANODTLS_MAX_CID, MAX_TIMEOUT_MS, DEFAULT_TIMEOUT_MS);
}

#define usage_error(...) nd_usage_error("nanodtls-client", usage, __VA_ARGS__)

enum {
    OPT_HOST,
    OPT_PORT,
    OPT_SEND,
    OPT_SEND_HEX,
    OPT_MTU,
    OPT_TIMEOUT,
    OPT_MFL,
    OPT_RSL,
    OPT_SNI,
    OPT_SESSION_IN,
    OPT_SESSION_OUT,
    OPT_CID,
    OPT_REBIND_AFTER,
    OPT_AUTHZ_CERT,
    OPT_CACHED_INFO,
    OPT_CACHED_REQUEST,
    OPT_CERT_URL,
    OPT_COUNT
};
static const char *const option_names[OPT_COUNT] = {
    "--host",        "--port", "--send",         "--send-hex",   "--mtu", "--timeout-ms", "--mfl", "--rsl", "--sni",
    "--session-in", "--session-out", "--cid", "--rebind-after", "--authz-cert", "--cached-info",
    "--cached-request",
    "--cert-url",
};

/* Returns -1 when the options are fine, otherwise the exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
    int i;
    unsigned long port;
    char err[256];
    const char *send_hex = NULL;

    memset(o, 0, sizeof *o);
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->cid = -1;
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
        if (strcmp(argv[i], "--heartbeat") == 0) {
            o->heartbeat = 1;
            continue;
        }
        if (strcmp(argv[i], "--resume") == 0) {
            o->resume = 1;
            continue;
        }
        if (strcmp(argv[i], "--tickets") == 0) {
            o->tickets = 1;
            continue;
        }
        k = nd_creds_option(argc, argv, &i, &o->creds, err, sizeof err);
        if (k < 0) {
            return usage_error("%s", err);
        }
        if (k > 0) {
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
        case OPT_SEND:
            o->send = (const uint8_t *)v;
            o->send_len = strlen(v);
            break;
        case OPT_SEND_HEX:
            send_hex = v;
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
        case OPT_MFL:
            if (nd_parse_ulong(v, 512, 4096, &o->mfl) != 0 ||
                (o->mfl != 512 && o->mfl != 1024 && o->mfl != 2048 && o->mfl != 4096)) {
                return usage_error("bad --mfl value '%s' (512, 1024, 2048 or 4096)", v);
            }
            break;
        case OPT_RSL:
            if (nd_parse_ulong(v, 64, 16384, &o->rsl) != 0) {
                return usage_error("bad --rsl value '%s' (64-16384)", v);
            }
            break;
        case OPT_SNI:
            if (v[0] == '\0' || strlen(v) > NANODTLS_MAX_SERVER_NAME) {
                return usage_error("bad --sni: 1 to %d bytes", NANODTLS_MAX_SERVER_NAME);
            }
            o->sni = v;
            break;
        case OPT_SESSION_IN:
            o->session_in = v;
            break;
        case OPT_SESSION_OUT:
            o->session_out = v;
            break;
        case OPT_CACHED_INFO:
            o->cached_info = v;
            break;
        case OPT_CACHED_REQUEST:
            o->cached_request = v;
        case OPT_CERT_URL:
            if (o->n_cert_urls >= NANODTLS_MAX_CERT_CHAIN || v[0] == 0) {
                return usage_error("--cert-url: 1 to %d non-empty URLs", NANODTLS_MAX_CERT_CHAIN);
            }
            o->cert_urls[o->n_cert_urls++] = v;
            break;
        case OPT_CID: {
            unsigned long n;
            if (nd_parse_ulong(v, 0, NANODTLS_MAX_CID, &n) != 0) {
                return usage_error("bad --cid value '%s' (0-%d)", v, NANODTLS_MAX_CID);
            }
            o->cid = (long)n;
            break;
        }
        case OPT_REBIND_AFTER:
            if (nd_parse_ulong(v, 1, 1000000, &o->rebind_after) != 0) {
                return usage_error("bad --rebind-after value '%s' (1-1000000)", v);
            }
            break;
        case OPT_AUTHZ_CERT:
            o->authz_cert = v;
            break;
        default:
            return usage_error("unknown argument: %s", argv[i]);
        }
    }
    if (o->host == NULL || o->port == NULL) {
        return usage_error("--host and --port are required");
    }
    if (o->host[0] == '\0') {
        return usage_error("--host must not be empty");
    }
    if (nd_parse_ulong(o->port, 1, 65535, &port) != 0) {
        return usage_error("bad --port value '%s' (1-65535)", o->port);
    }
    if (send_hex != NULL) {
        if (o->send != NULL) {
            return usage_error("--send and --send-hex exclude each other");
        }
        if (nd_parse_hex(send_hex, o->send_hex, sizeof o->send_hex, &o->send_len) != 0) {
            return usage_error("bad --send-hex: an even number of hex digits, 1 to %d bytes", MAX_SEND_HEX);
        }
        o->send = o->send_hex;
    }
    if (o->resume && o->send == NULL) {
        return usage_error("--resume needs --send or --send-hex (stdin can be read only once)");
    }
    if (o->creds.psk_id == NULL && o->creds.psk_hex == NULL && o->creds.n_peers == 0 && o->creds.n_ca_paths == 0) {
        return usage_error("credentials needed: --psk-id and --psk, or --rpk-peer or --ca (with --key to "
                           "authenticate ourselves)");
    }
    if (o->authz_cert != NULL && (o->creds.key_path == NULL || o->creds.n_peers != 1)) {
        return usage_error("--authz-cert needs --key and exactly one --rpk-peer (the server's key)");
    }
    if (nd_creds_load(&o->creds, err, sizeof err) != 0) {
        fprintf(stderr, "nanodtls-client: %s\n", err);
        return ND_EXIT_USAGE;
    }
    if (o->authz_cert != NULL &&
        nd_read_file(o->authz_cert, g_authz_cert, sizeof g_authz_cert, &g_authz_cert_len) != 0) {
        fprintf(stderr, "nanodtls-client: cannot read --authz-cert %s (at most %d bytes)\n", o->authz_cert,
                NANODTLS_AUTHZ_CERT_MAX);
        return ND_EXIT_USAGE;
    }
    if (o->cached_info != NULL) {
        if (o->creds.n_ca == 0) {
            return usage_error("--cached-info needs --ca (certificate mode)");
        }
        /* A missing file: nothing kept yet (a full handshake writes it). */
        if (nd_read_file(o->cached_info, g_cached, sizeof g_cached, &g_cached_len) != 0) {
            if (errno != ENOENT) {
                fprintf(stderr, "nanodtls-client: cannot read --cached-info %s: %s\n", o->cached_info,
                        strerror(errno));
                return ND_EXIT_USAGE;
            }
            g_cached_len = 0;
        }
    }
    if (o->cached_request != NULL &&
        nd_read_file(o->cached_request, g_req, sizeof g_req, &g_req_len) != 0) {
        if (errno != ENOENT) {
            fprintf(stderr, "nanodtls-client: cannot read --cached-request %s: %s\n", o->cached_request,
                    strerror(errno));
            return ND_EXIT_USAGE;
        }
        g_req_len = 0;
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

/* Feed one datagram (decrypted in place in `data`): each call processes
 * records up to the next application record, which is printed; MORE
 * means records are left. Returns the feed status (protocol errors are
 * handled through the state). */
static nanodtls_status feed(struct client *c, uint8_t *data, size_t len)
{
    nanodtls_status st;
    size_t at = 0;

    do {
        nanodtls_input in;
        st = nanodtls_feed(&c->ctx, data + at, len - at, &in);
        if (st != NANODTLS_OK && st != NANODTLS_MORE) {
            break;
        }
        if (in.app_data != NULL) {
            c->received++;
            nd_print_recv(in.app_data, in.app_len);
        }
        at += in.consumed;
    } while (st == NANODTLS_MORE);
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

/* --rebind-after: a new UDP socket to the same server (the kernel picks
 * a new source port), as a NAT rebinding would do; the context does not
 * notice (it never sees addresses): the server finds it by its CID. */
static int rebind(struct client *c)
{
    char local[ND_ADDR_STR_MAX];
    int fd = nd_udp_connect(c->o->host, c->o->port);

    if (fd < 0) {
        return -1;
    }
    close(c->fd);
    c->fd = fd;
    c->rebound = 1;
    nd_sock_name(fd, local, sizeof local);
    printf("REBIND %s\n", local);
    fflush(stdout);
    return 0;
}

/* Write one record: sealed straight into the transmit buffer, sent. */
static int write_record(struct client *c, const uint8_t *data, size_t len)
{
    size_t n = 0;
    nanodtls_status st = nanodtls_write(&c->ctx, data, len, g_tx, sizeof g_tx, &n);
    if (st != NANODTLS_OK) {
        nd_print_failure("write", st, NULL);
        return -1;
    }
    if (send(c->fd, g_tx, n, 0) < 0) {
        nd_vlog("-> send of %zu bytes failed: %s", n, strerror(errno));
    } else {
        nd_vlog("-> %zu bytes", n);
    }
    c->sent++;
    if (c->o->rebind_after != 0 && !c->rebound && c->sent == c->o->rebind_after) {
        /* Wait for the answers to what was sent before moving on. */
        uint64_t until = nd_now_ms(NULL) + c->o->timeout_ms;
        while (c->received < c->sent && nd_now_ms(NULL) < until && !nd_stop) {
            struct pollfd pfd;
            pfd.fd = c->fd;
            pfd.events = POLLIN;
            pfd.revents = 0;
            if (nd_poll(&pfd, 1, 100) > 0 && receive_all(c) != 0) {
                return -1;
            }
            if (flush_out(c) != 0) {
                return -1;
            }
        }
        if (rebind(c) != 0) {
            return -1;
        }
    }
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

/* Give the context our credentials and options. Returns 0 or -1 (printed). */
static int configure(struct client *c, const struct options *o)
{
    const nd_creds *cr = &o->creds;
    nanodtls_status st;
    int k;

    if (cr->psk_id != NULL) {
        st = nanodtls_set_psk(&c->ctx, (const uint8_t *)cr->psk_id, strlen(cr->psk_id), cr->psk, cr->psk_len);
        if (st != NANODTLS_OK) {
            nd_print_failure("set_psk", st, NULL);
            return -1;
        }
    }
    if (cr->key_len > 0) {
        st = nanodtls_set_own_key(&c->ctx, cr->key, cr->key_len);
        if (st != NANODTLS_OK) {
            nd_print_failure("--key", st, NULL);
            return -1;
        }
    }
    if (cr->se_key != NULL) {
        st = nanodtls_set_own_key_signer(&c->ctx, cr->spki, cr->spki_len, nd_key_sign, cr->se_key,
                                         NANODTLS_SIG_DER);
        if (st != NANODTLS_OK) {
            nd_print_failure("--key-via-callback", st, NULL);
            return -1;
        }
    }
    if (cr->cert != NULL) {
        st = nanodtls_set_own_certificate(&c->ctx, cr->cert, cr->cert_len);
        if (st != NANODTLS_OK) {
            nd_print_failure("--cert (does its key match --key?)", st, NULL);
            return -1;
        }
    }
    for (k = 0; k < cr->n_peers; k++) {
        st = nanodtls_add_trusted_key(&c->ctx, cr->peer_der[k], cr->peer_len[k]);
        if (st != NANODTLS_OK) {
            fprintf(stderr, "--rpk-peer %s: ", cr->peer_paths[k]);
            nd_print_failure(NULL, st, NULL);
            return -1;
        }
    }
    if (o->authz_cert != NULL) {
        st = nanodtls_set_authz_server_key(&c->ctx, cr->peer_der[0], cr->peer_len[0]);
        if (st != NANODTLS_OK) {
            fprintf(stderr, "--rpk-peer %s (the server's key for --authz-cert): ", cr->peer_paths[0]);
            nd_print_failure(NULL, st, NULL);
            return -1;
        }
        st = nanodtls_set_authz_cert(&c->ctx, g_authz_cert, g_authz_cert_len);
        if (st != NANODTLS_OK) {
            nd_print_failure("--authz-cert (not a MacCert?)", st, NULL);
            return -1;
        }
    }
    if (o->sni != NULL) {
        st = nanodtls_set_server_name(&c->ctx, (const uint8_t *)o->sni, strlen(o->sni));
        if (st != NANODTLS_OK) {
            nd_print_failure("--sni (a DNS host name, not an address)", st, NULL);
            return -1;
        }
    }
    if (cr->n_ca > 0) {
        /* Certificate mode: the name the server's certificate must carry
         * is --verify-name, else --sni (the library's default), else
         * --host when it is a name rather than an address. */
        uint8_t ip[16];
        c->verify_name = cr->verify_name;
        if (c->verify_name == NULL && o->sni == NULL && inet_pton(AF_INET, o->host, ip) != 1 &&
            inet_pton(AF_INET6, o->host, ip) != 1 && strlen(o->host) <= NANODTLS_MAX_SERVER_NAME) {
            c->verify_name = o->host;
        }
        if (c->verify_name != NULL) {
            st = nanodtls_set_verify_name(&c->ctx, (const uint8_t *)c->verify_name, strlen(c->verify_name));
            if (st != NANODTLS_OK) {
                nd_print_failure("--verify-name (a DNS name without wildcards)", st, NULL);
                return -1;
            }
        } else {
            c->verify_name = o->sni;
        }
        if (c->verify_name == NULL) {
            fprintf(stderr, "nanodtls-client: warning: --ca without a name to check (--host is an address): "
                            "give --verify-name or --sni, or the server's chain is refused\n");
        }
        if (nd_x509_setup_ctx(&c->ctx, cr) != 0) {
            return -1;
        }
    }
    if (o->n_cert_urls > 0) {
        static const uint8_t *urls[NANODTLS_MAX_CERT_CHAIN];
        static size_t lens[NANODTLS_MAX_CERT_CHAIN];
        size_t i;
        for (i = 0; i < o->n_cert_urls; i++) {
            urls[i] = (const uint8_t *)o->cert_urls[i];
            lens[i] = strlen(o->cert_urls[i]);
        }
        st = nanodtls_set_own_certificate_urls(&c->ctx, urls, lens, o->n_cert_urls);
        if (st != NANODTLS_OK) {
            nd_print_failure("--cert-url", st, NULL);
            return -1;
        }
    }
    if (o->cached_info != NULL) {
        st = nanodtls_set_server_certificate_hook(&c->ctx, keep_server_certificate, NULL);
        if (st != NANODTLS_OK) {
            nd_print_failure("--cached-info", st, NULL);
            return -1;
        }
        if (g_cached_len > 0) {
            st = nanodtls_set_cached_server_certificate(&c->ctx, g_cached, g_cached_len);
            if (st == NANODTLS_E_INVALID_ARG) {
                fprintf(stderr, "nanodtls-client: warning: --cached-info %s is no Certificate body: not offered\n",
                        o->cached_info);
            } else if (st != NANODTLS_OK) {
                nd_print_failure("--cached-info", st, NULL);
                return -1;
            }
        }
    }
    if (o->cached_request != NULL) {
        st = nanodtls_set_certificate_request_hook(&c->ctx, keep_certificate_request, NULL);
        if (st != NANODTLS_OK) {
            nd_print_failure("--cached-request", st, NULL);
            return -1;
        }
        if (g_req_len > 0) {
            st = nanodtls_set_cached_certificate_request(&c->ctx, g_req, g_req_len);
            if (st == NANODTLS_E_INVALID_ARG) {
                fprintf(stderr,
                        "nanodtls-client: warning: --cached-request %s is no CertificateRequest body: not offered\n",
                        o->cached_request);
                g_req_len = 0;
            } else if (st != NANODTLS_OK) {
                nd_print_failure("--cached-request", st, NULL);
                return -1;
            }
        }
    }
    return 0;
}

/* --cached-request: the server's CertificateRequest body, kept until the
 * handshake completes (then written to the file). */
static void keep_certificate_request(void *user, const uint8_t *body, size_t len)
{
    (void)user;
    if (len <= sizeof g_req_new) {
        memcpy(g_req_new, body, len);
        g_req_new_len = len;
        g_req_new_seen = 1;
    }
}

/* --cached-info: the server's validated Certificate body, kept until the
 * handshake completes (then written to the file). */
static void keep_server_certificate(void *user, const uint8_t *body, size_t len)
{
    (void)user;
    if (len <= sizeof g_cached_new) {
        memcpy(g_cached_new, body, len);
        g_cached_new_len = len;
        g_cached_new_seen = 1;
    }
}

/* Print the handshake result lines. */
static void announce(struct client *c, int offered_session, int tickets)
{
    const struct options *o = c->o;
    uint16_t suite = 0;
    nanodtls_info info;
    uint8_t hash[32];

    memset(&info, 0, sizeof info);
    (void)nanodtls_get_suite(&c->ctx, &suite);
    (void)nanodtls_get_info(&c->ctx, &info);
    printf("HANDSHAKE OK %s", nanodtls_suite_name(suite));
    if (offered_session) {
        printf(" resumed=%d", info.resumed ? 1 : 0);
        if (tickets) {
            printf(" ticket=%d", nanodtls_resumed_by_ticket(&c->ctx));
        }
    }
    putchar('\n');
    if (nanodtls_get_peer_key_hash(&c->ctx, hash, sizeof hash) == NANODTLS_OK) {
        fputs("PEER-KEY-SHA256 ", stdout);
        nd_print_hex(hash, sizeof hash);
        putchar('\n');
    }
    {
        nanodtls_x509_peer xp;
        if (nanodtls_peer_x509(&c->ctx, &xp) == NANODTLS_OK) {
            nd_print_x509_peer(&xp, c->verify_name);
        }
    }
    if (o->cached_info != NULL && !(offered_session && info.resumed)) {
        /* The hash form was used when a chain was lent and none handed out. */
        printf("CACHED-INFO used=%d\n", g_cached_len > 0 && !g_cached_new_seen);
        if (g_cached_new_seen && nd_write_private_file(o->cached_info, g_cached_new, g_cached_new_len) == 0) {
            nd_vlog("server Certificate written to %s (%zu bytes)", o->cached_info, g_cached_new_len);
        }
        g_cached_new_seen = 0;
    }
    if (o->cached_request != NULL && !(offered_session && info.resumed)) {
        /* The hash form was used when a request was lent and none handed out. */
        printf("CACHED-REQUEST used=%d\n", g_req_len > 0 && !g_req_new_seen);
        if (g_req_new_seen && nd_write_private_file(o->cached_request, g_req_new, g_req_new_len) == 0) {
            nd_vlog("server CertificateRequest written to %s (%zu bytes)", o->cached_request, g_req_new_len);
        }
        g_req_new_seen = 0;
    }
    fflush(stdout);
    if (c->o->cid >= 0) {
        uint8_t cid[NANODTLS_MAX_CID];
        size_t n = 0;
        int k;
        for (k = 0; k < 2; k++) {
            nanodtls_status st = nanodtls_get_cid(&c->ctx, k == 0 ? NANODTLS_CID_TX : NANODTLS_CID_RX, cid,
                                                  sizeof cid, &n);
            fputs(k == 0 ? "CID tx=" : " rx=", stdout);
            if (st == NANODTLS_OK && n > 0) {
                nd_print_hex(cid, n);
            } else {
                fputs("none", stdout);
            }
        }
        putchar('\n');
        fflush(stdout);
    }
    nd_vlog("info: resumed=%u extended_master_secret=%u heartbeat=%u record_limit=%u record_size_limit=%u",
            info.resumed, info.extended_master_secret, info.heartbeat, info.record_limit, info.record_size_limit);
}

/* Phases of one connection. */
enum phase { PH_HANDSHAKE, PH_HEARTBEAT, PH_EXCHANGE };

/* One connection: handshake, optional heartbeat, exchange, close. On
 * success the session (if any) is exported into g_session, its length
 * into session_len.
 * Returns an exit code. */
static int run_connection(const struct options *o, const struct conn_plan *plan, size_t *session_len)
{
    struct client *c = &g_client;
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st;
    nanodtls_alert alert;
    nd_line_reader lr;
    uint64_t deadline;
    enum phase phase = PH_HANDSHAKE;
    int hb_done = 0;
    int result = ND_EXIT_FAIL;
    int initialised = 0;
    char local[ND_ADDR_STR_MAX];

    memset(c, 0, sizeof *c);
    c->o = o;
    memset(&lr, 0, sizeof lr);
    *session_len = 0;
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
    if (o->creds.n_suites > 0) {
        memset(cfg.suites, 0, sizeof cfg.suites);
        memcpy(cfg.suites, o->creds.suites, (size_t)o->creds.n_suites * sizeof cfg.suites[0]);
    }
    cfg.max_fragment_length = (uint16_t)o->mfl;
    cfg.record_size_limit = (uint16_t)o->rsl;
    cfg.heartbeat = o->heartbeat ? 1 : 0;
    if (o->cid >= 0) {
        cfg.connection_id = 1;
        cfg.cid_len = (uint8_t)o->cid;
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
    if (configure(c, o) != 0) {
        goto out;
    }
    if (o->tickets) {
        st = nanodtls_enable_tickets(&c->ctx, 1);
        if (st != NANODTLS_OK) {
            nd_print_failure("enable_tickets", st, NULL);
            goto out;
        }
    }
    if (plan->session != NULL) {
        st = nanodtls_session_import(&c->ctx, plan->session, plan->session_len);
        if (st != NANODTLS_OK) {
            /* A corrupted or foreign blob changes nothing: full handshake. */
            fprintf(stderr, "session not usable (%s): full handshake\n", nanodtls_status_str(st));
        }
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
        if (state == NANODTLS_STATE_CONNECTED && phase == PH_HANDSHAKE) {
            announce(c, plan->report_resumed, o->tickets);
            phase = PH_HEARTBEAT;
            if (o->heartbeat) {
                st = nanodtls_heartbeat(&c->ctx);
                if (st != NANODTLS_OK) {
                    printf("HEARTBEAT FAILED\n");
                    fflush(stdout);
                    nd_print_failure("heartbeat (did the peer negotiate it?)", st, NULL);
                    goto out;
                }
                /* Wait for the response or the last retransmission. */
                deadline = 0;
                continue; /* to flush_out: the request goes out now */
            }
        }
        if (phase == PH_HEARTBEAT && o->heartbeat) {
            uint8_t hb = 0;
            uint32_t rtt = 0;
            (void)nanodtls_heartbeat_status(&c->ctx, &hb, &rtt);
            if (hb == NANODTLS_HEARTBEAT_FAILED) {
                printf("HEARTBEAT FAILED\n");
                fflush(stdout);
                fprintf(stderr, "FAILED: no heartbeat response\n");
                goto out;
            }
            if (hb == NANODTLS_HEARTBEAT_OK) {
                printf("HEARTBEAT OK rtt=%lu\n", (unsigned long)rtt);
                fflush(stdout);
            }
            hb_done = hb == NANODTLS_HEARTBEAT_OK;
        }
        if (phase == PH_HEARTBEAT && (!o->heartbeat || hb_done)) {
            phase = PH_EXCHANGE;
            if (o->send != NULL) {
                deadline = nd_now_ms(NULL) + o->timeout_ms;
                if (write_record(c, o->send, o->send_len) != 0) {
                    goto out;
                }
            } else {
                deadline = 0; /* interactive: no deadline while stdin is open */
            }
        }
        if (state == NANODTLS_STATE_FAILED) {
            nanodtls_x509_peer xp;
            (void)nanodtls_last_alert(&c->ctx, &alert);
            if (nanodtls_peer_x509(&c->ctx, &xp) == NANODTLS_OK) {
                nd_print_x509_refusal(&xp);
            }
            nd_print_failure(NULL, nanodtls_error(&c->ctx), &alert);
            goto out;
        }
        if (state == NANODTLS_STATE_CLOSED) {
            /* The peer sent close_notify (our reply went out in flush_out). */
            fprintf(stderr, "peer closed the connection\n");
            result = (phase == PH_EXCHANGE && (o->send == NULL || c->received > 0)) ? ND_EXIT_OK : ND_EXIT_FAIL;
            if (result != ND_EXIT_OK) {
                fprintf(stderr, "FAILED: no reply received\n");
            }
            goto out;
        }
        if (phase == PH_EXCHANGE && o->send != NULL && c->received > 0) {
            result = ND_EXIT_OK;
            break;
        }
        if (phase == PH_EXCHANGE && o->send == NULL && (!plan->use_stdin || (lr.eof && lr.len == 0))) {
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
            result = phase == PH_EXCHANGE && o->send == NULL ? ND_EXIT_OK : ND_EXIT_FAIL;
            break;
        }
        now = nd_now_ms(NULL);
        if (deadline != 0 && now >= deadline) {
            if (phase == PH_HANDSHAKE) {
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
        if (phase == PH_EXCHANGE && o->send == NULL && plan->use_stdin && !lr.eof) {
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

    /* Graceful close: queue close_notify and send it. The session stays
     * resumable after a close_notify (RFC 5246 7.2.1). */
    (void)nanodtls_close(&c->ctx);
    (void)flush_out(c);
    if (o->resume || o->session_out != NULL) {
        st = nanodtls_session_export(&c->ctx, g_session, sizeof g_session, session_len);
        if (st != NANODTLS_OK) {
            *session_len = 0;
            fprintf(stderr, "no resumable session (%s): the server issued no session ID (nor a ticket)\n",
                    nanodtls_status_str(st));
        } else {
            nd_vlog("session exported: %zu bytes", *session_len);
        }
    }

out:
    if (initialised) {
        nanodtls_stats stats;
        if (nd_verbose && nanodtls_get_stats(&c->ctx, &stats) == NANODTLS_OK) {
            nd_vlog_stats("connection", &stats);
        }
        (void)nanodtls_deinit(&c->ctx);
    }
    close(c->fd);
    return result;
}

static int run(const struct options *o)
{
    struct conn_plan plan;
    size_t session_len = 0;
    size_t in_len = 0;
    int rc;

    memset(&plan, 0, sizeof plan);
    plan.use_stdin = o->send == NULL;
    if (o->session_in != NULL) {
        if (nd_read_file(o->session_in, g_session, sizeof g_session, &in_len) != 0) {
            fprintf(stderr, "FAILED: --session-in %s: %s\n", o->session_in,
                    errno == EFBIG ? "larger than a session blob" : strerror(errno));
            return ND_EXIT_FAIL;
        }
        plan.session = g_session;
        plan.session_len = in_len;
        plan.report_resumed = 1;
    }
    rc = run_connection(o, &plan, &session_len);
    if (rc == ND_EXIT_OK && o->resume) {
        nd_vlog("--resume: reconnecting with a fresh context");
        plan.session = session_len > 0 ? g_session : NULL;
        plan.session_len = session_len;
        plan.use_stdin = 0;
        plan.report_resumed = 1; /* "resumed=0" when there was nothing to offer */
        rc = run_connection(o, &plan, &session_len);
    }
    if (rc == ND_EXIT_OK && o->session_out != NULL) {
        if (session_len == 0) {
            fprintf(stderr, "FAILED: no session to write to %s\n", o->session_out);
            rc = ND_EXIT_FAIL;
        } else if (nd_write_private_file(o->session_out, g_session, session_len) != 0) {
            rc = ND_EXIT_FAIL;
        } else {
            nd_vlog("session written to %s (%zu bytes, mode 0600)", o->session_out, session_len);
        }
    }
    nd_wipe(g_session, sizeof g_session);
    return rc;
}

int main(int argc, char **argv)
{
    static struct options o; /* static: the credentials are a few KiB */
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0) {
        nd_creds_wipe(&o.creds);
        return rc;
    }
    if (nd_verbose) {
        nd_enable_library_log();
    }
    nd_install_signal_handlers();
    rc = run(&o);
    nd_report_key_sign(&o.creds);
    /* Do not leave the keys in this process's memory longer than needed. */
    nd_creds_wipe(&o.creds);
    return rc;
}
