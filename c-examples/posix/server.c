/*
 * nanodtls-server: a DTLS 1.2 server for the command line, in the spirit
 * of `openssl s_server`, built on the nanodtls ENDPOINT API (one UDP
 * socket, several peers, stateless cookies, a shared session cache).
 *
 *   nanodtls-server --host H --port P [--psk-id ID --psk HEX]
 *                   [--key FILE] [--cert FILE] [--rpk-peer FILE]... [--suite NAME]...
 *                   [--client-auth] [--sni NAME] [--heartbeat [--heartbeat-interval MS]]
 *                   [--cid N] [--tickets] [--no-cached-info]
 *                   [--echo] [--once] [--mtu N] [--rsl N] [--peers N] [--idle-timeout-ms N]
 *                   [--handshake-timeout-ms N] [--half-open-timeout-ms N] [--stats]
 *                   [--ta ID:HEXKEY[:16|32]]... [--ta-state FILE] [--verbose]
 *
 * Per peer it prints "HANDSHAKE OK <suite> <peer-ip>:<port>[ <identity>]"
 * (plus " resumed=1" for an abbreviated handshake), "PEER-KEY-SHA256
 * <hex>" when the client presented a key, and "RECV <text>" per
 * application record. --echo writes every record back to its sender;
 * otherwise lines typed on stdin go to the most recently connected peer.
 * --once exits after the first peer's connection ends. SIGINT/SIGTERM
 * close every connection (close_notify) and exit. --stats prints the
 * endpoint's counters to stderr at exit ("STATS hello_verify_requests=N
 * ...", one line).
 *
 * --ta adds a trust anchor (docs/ttp.md): DerivedKey clients (PSK
 * identity "DK.<ID>.<client>.<seq>", key derived from HEXKEY) are
 * accepted once per seq; on success "TRUST-ANCHOR DK ta=<ID>
 * client=<client> seq=<seq>" follows the HANDSHAKE OK line. With --key,
 * AuthzCert clients (a MacCert from `nanodtls-ta authz`) are accepted the
 * same way: "TRUST-ANCHOR AUTHZ ta=<ID> client=<SHA-256 of the client's
 * key, hex> seq=<seq>". --ta-state
 * keeps the trust anchors' windows of used seqs in FILE (loaded at start,
 * saved after each such handshake), so a nonce stays used across
 * restarts.
 *
 * The endpoint identifies peers by opaque address bytes: here the raw
 * struct sockaddr_in / sockaddr_in6 from recvfrom() (normalised, see
 * nd_normalize_addr), which is also what sendto() needs for the reply.
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Peer slots: each is a complete connection (~6.8 KiB), in static memory
 * (untouched pages cost nothing); --peers picks how many are used. */
#define MAX_PEERS 1024
#define DEFAULT_PEERS 16
#define MAX_TIMEOUT_MS 86400000UL /* one day */
/* Session cache entries shared by all peers (RFC 5246 session IDs). */
#define N_SESSIONS 16
#define MAX_HB_INTERVAL_MS 86400000UL

struct options {
    const char *host;
    const char *port;
    nd_creds creds;
    unsigned long mtu; /* 0 = library default */
    unsigned long rsl; /* 0 = library default (mtu - 37) */
    int echo;
    int once;
    int client_auth;
    int any_client_identity; /* --any-client-identity: a client chain without an EUI-64 is accepted */
    const char *sni;   /* only accept this server_name (NULL: any) */
    int heartbeat;
    int tickets;                  /* --tickets: RFC 5077 tickets instead of the cache */
    int no_cached_info;           /* --no-cached-info: never answer cached_info */
    unsigned long hb_interval_ms; /* 0 = never ping */
    unsigned long n_peers;
    int idle_set;
    unsigned long idle_timeout_ms;      /* with idle_set; 0 = never reclaim a connected peer */
    unsigned long handshake_timeout_ms; /* 0 = library default */
    unsigned long half_open_timeout_ms; /* 0 = library default */
    int stats;                          /* --stats: counters to stderr at exit */
    const char *ta_specs[NANODTLS_MAX_TRUST_ANCHORS]; /* --ta ID:HEXKEY[:16|32] */
    int n_ta;
    char ta_ids[NANODTLS_MAX_TRUST_ANCHORS][NANODTLS_MAX_TA_ID + 1];
    const char *ta_state;               /* --ta-state FILE */
    long cid;                           /* --cid: -1 none, else the length we ask for */
    const char *cert_url_dir;           /* --cert-url-dir DIR: client certificate URLs */
    unsigned long cert_url_delay_ms;    /* --cert-url-delay-ms: fetch this much later */
};

/* What the tool itself remembers about a connected peer. */
struct peer_info {
    int in_use;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t addr_len;
    unsigned long seq; /* connection order, to find the most recent */
    /* --heartbeat-interval */
    uint64_t hb_next;  /* when to send the next request (ms) */
    int hb_pending;    /* a request waits for its outcome */
    int hb_off;        /* the peer did not negotiate heartbeat */
};

/* Outcome of the first peer for --once. */
enum once_state { ONCE_WAITING, ONCE_TRACKING, ONCE_DONE_OK, ONCE_DONE_FAIL };

struct server {
    const struct options *opt;
    int fd;
    struct peer_info peers[MAX_PEERS];
    unsigned long next_seq;
    /* --once: the first peer seen in an event, and whether it connected. */
    enum once_state once;
    uint8_t once_addr[NANODTLS_MAX_PEER_ADDR];
    size_t once_addr_len;
    int once_connected;
};

static nanodtls_endpoint g_ep;
static nanodtls_peer g_peers[MAX_PEERS];
static nanodtls_session_entry g_sessions[N_SESSIONS];
static nanodtls_ticket_keys g_ticket_keys;
static struct server g_server;
static uint8_t g_tx[ND_TX_DATAGRAM_MAX];
static uint8_t g_rx[ND_RX_DATAGRAM_MAX];
static uint8_t g_app[ND_APP_MAX];
/* The peer being fed (for hooks called from inside nanodtls_endpoint_feed). */
static const uint8_t *g_feed_addr;
static size_t g_feed_addr_len;

static void usage(FILE *out)
{
    /* Two strings: C99 promises string literals of 4095 bytes only. */
    fprintf(out,
            "usage: nanodtls-server --host H --port P [--psk-id ID --psk HEX]\n"
            "                       [--key FILE] [--cert FILE] [--rpk-peer FILE]... [--suite NAME]...\n"
            "                       [--key-via-callback] [--keylog FILE]\n"
            "                       [--client-auth] [--sni NAME] [--heartbeat [--heartbeat-interval MS]]\n"
            "                       [--cid N] [--tickets] [--no-cached-info] [--echo] [--once] [--mtu N] [--rsl N]\n"
            "                       [--peers N] [--idle-timeout-ms N]\n"
            "                       [--handshake-timeout-ms N] [--half-open-timeout-ms N] [--stats]\n"
            "                       [--ta ID:HEXKEY[:16|32]]... [--ta-state FILE] [--verbose]\n"
            "                       [--cert-url-dir DIR [--cert-url-delay-ms MS]]\n"
            "\n"
            "  --host H         address to bind (IPv4 or IPv6; \"::\" also serves IPv4)\n"
            "  --port P         UDP port (0-65535; 0 picks a free one, see the\n"
            "                   \"listening on\" line on stderr)\n"
            "%s"
            "  --client-auth    ECDHE-ECDSA: request and require the client's key; it\n"
            "                   must be one of the --rpk-peer keys, or its certificate\n"
            "                   chain must validate to a --ca and name an EUI-64\n"
            "  --any-client-identity  with --ca: accept a client chain that names no\n"
            "                   EUI-64 (printed as PEER-UNCHECKED)\n"
            "  --cert-url-dir D with --client-auth and --ca: accept client certificate\n"
            "                   URLs (RFC 6066 5); file:// and http://host/path URLs\n"
            "                   are read from D/<basename> while the handshake pauses\n"
            "                   (\"CERT-URL fetched N\" or \"CERT-URL refused <url>\")\n"
            "  --cert-url-delay-ms MS  fetch MS after the CertificateURL arrived\n"
            "  --sni NAME       accept only clients asking for server_name NAME (or\n"
            "                   none); others get unrecognized_name. \"SNI <name>\" is\n"
            "                   printed whenever a client sends a name\n"
            "  --heartbeat      negotiate heartbeat (RFC 6520) and answer requests\n"
            "  --tickets        issue RFC 5077 session tickets (stateless: sealed under\n"
            "                   a key drawn at start, rotated every 2 h) and resume\n"
            "                   from them; the session cache is then not used\n"
            "  --no-cached-info do not answer cached_info (RFC 7924): a client that kept\n"
            "                   our chain (or CertificateRequest) gets it in full\n"
            "  --cid N          negotiate a connection ID (RFC 9146) with clients that\n"
            "                   offer one, asking for an N-byte CID (0: none wanted); a\n"
            "                   peer found by its CID at a new address moves there:\n"
            "                   \"ADDRESS-CHANGED <old> -> <new>\"\n"
            "  --heartbeat-interval MS\n"
            "                   also send a request to every connected peer every MS\n"
            "                   ms; prints \"HEARTBEAT OK <peer> rtt=<ms>\" or\n"
            "                   \"HEARTBEAT FAILED <peer>\"\n"
            "  --echo           send every record received back to its sender\n"
            "                   (without it, lines typed on stdin go to the most\n"
            "                   recently connected peer)\n"
            "  --once           exit after the first peer's connection ends: 0 if it\n"
            "                   connected and closed or exchanged data, 1 otherwise\n"
            "  --mtu N          largest datagram to send (%lu-%lu)\n"
            "  --rsl N          record_size_limit (RFC 8449, 64-16384) answered to clients\n"
            "                   that offer one (default: MTU - 37, at least 512)\n"
            "  --peers N        peer slots (1-%d, default %d): peers served at once\n"
            "  --idle-timeout-ms N\n"
            "                   when every slot is taken, a new client may take the\n"
            "                   slot of the connected peer silent for longest, if it\n"
            "                   was silent for N ms (0: never; default: the library's)\n"
            "  --handshake-timeout-ms N\n"
            "                   deadline of each peer's handshake (1-%lu; default: the\n"
            "                   library's)\n"
            "  --half-open-timeout-ms N\n"
            "                   when every slot is taken, a new client may take the\n"
            "                   slot of a handshake that accepted nothing from its peer\n"
            "                   for N ms (1-%lu; default: the library's, %d)\n",
            ND_CREDS_HELP, ND_MTU_MIN, ND_MTU_MAX, MAX_PEERS, DEFAULT_PEERS, MAX_TIMEOUT_MS, MAX_TIMEOUT_MS,
            NANODTLS_DEFAULT_HALF_OPEN_MS);
    fprintf(out,
            "  --stats          at exit, print the endpoint's counters to stderr:\n"
            "                   \"STATS hello_verify_requests=N slots_allocated=N\n"
            "                   slots_reclaimed=N dropped_no_slot=N dropped_hvr_busy=N\n"
            "                   dropped_unknown_peer=N refused_too_large=N rng_failures=N\n"
            "                   peers_in_use=N peers_handshaking=N peers_connected=N\n"
            "                   peers_ended=N\"\n"
            "                   (peers_in_use = handshaking + connected + ended: a\n"
            "                   closed or failed peer keeps its slot until reclaimed)\n"
            "  --ta ID:HEXKEY[:16|32]\n"
            "                   trust anchor ID (no '.' or ':') with key HEXKEY (16-32\n"
            "                   bytes): DerivedKey clients (PSK identity\n"
            "                   \"DK.ID.<client>.<seq>\", key from nanodtls-ta derive;\n"
            "                   16- or 32-byte keys, default 16) get in once per seq;\n"
            "                   prints \"TRUST-ANCHOR DK ta=ID client=C seq=N\".\n"
            "                   With --key, AuthzCert clients too (a MacCert from\n"
            "                   nanodtls-ta authz, our key pinned by the client):\n"
            "                   \"TRUST-ANCHOR AUTHZ ta=ID client=<key SHA-256> seq=N\".\n"
            "                   Repeatable (up to %d)\n"
            "  --ta-state FILE  load the trust anchors' windows of used seqs from FILE\n"
            "                   at start (if it exists) and save them after every\n"
            "                   handshake that used a trust anchor; --stats adds a\n"
            "                   \"TA-STATS ...\" line\n"
            "  --verbose        log datagrams and peer state changes to stderr, with\n"
            "                   the library's debug log (\"nanodtls[LEVEL] message\")\n"
            "\n"
            "Credentials: a PSK (the identity clients must use), --ta trust anchors,\n"
            "and/or --key (with --cert for clients without raw public keys) for the\n"
            "ECDHE-ECDSA suites.\n"
            "\n"
            "stdout: \"HANDSHAKE OK <suite> <peer>[ <identity>][ resumed=1]\" per peer,\n"
            "\"PEER-KEY-SHA256 <hex>\" when the client presented a key (\"PEER-EUI64 <eui>\" when\n"
            "its certificate chain validated to a --ca), then \"RECV <text>\"\n"
            "per record received. Keeps a cache of %d sessions for resumption.\n"
            "exit: 0 ok, 1 failure, 2 usage error\n",
            NANODTLS_MAX_TRUST_ANCHORS, N_SESSIONS);
}

#define usage_error(...) nd_usage_error("nanodtls-server", usage, __VA_ARGS__)

enum {
    OPT_HOST,
    OPT_PORT,
    OPT_MTU,
    OPT_RSL,
    OPT_SNI,
    OPT_HB_INTERVAL,
    OPT_PEERS,
    OPT_IDLE,
    OPT_HS_TIMEOUT,
    OPT_HALF_OPEN,
    OPT_TA,
    OPT_TA_STATE,
    OPT_CID,
    OPT_CERT_URL_DIR,
    OPT_CERT_URL_DELAY,
    OPT_COUNT
};
static const char *const option_names[OPT_COUNT] = {
    "--host", "--port", "--mtu", "--rsl", "--sni", "--heartbeat-interval", "--peers", "--idle-timeout-ms",
    "--handshake-timeout-ms", "--half-open-timeout-ms", "--ta", "--ta-state", "--cid",
    "--cert-url-dir", "--cert-url-delay-ms",
};

/* Returns -1 when the options are fine, otherwise the exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
    int i;
    unsigned long port;
    char err[256];

    memset(o, 0, sizeof *o);
    o->cid = -1;
    o->n_peers = DEFAULT_PEERS;
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
        if (strcmp(argv[i], "--echo") == 0) {
            o->echo = 1;
            continue;
        }
        if (strcmp(argv[i], "--once") == 0) {
            o->once = 1;
            continue;
        }
        if (strcmp(argv[i], "--no-cached-info") == 0) {
            o->no_cached_info = 1;
            continue;
        }
        if (strcmp(argv[i], "--stats") == 0) {
            o->stats = 1;
            continue;
        }
        if (strcmp(argv[i], "--client-auth") == 0) {
            o->client_auth = 1;
            continue;
        }
        if (strcmp(argv[i], "--any-client-identity") == 0) {
            o->any_client_identity = 1;
            continue;
        }
        if (strcmp(argv[i], "--heartbeat") == 0) {
            o->heartbeat = 1;
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
        case OPT_SNI:
            if (v[0] == '\0' || strlen(v) > NANODTLS_MAX_SERVER_NAME) {
                return usage_error("bad --sni: 1 to %d bytes", NANODTLS_MAX_SERVER_NAME);
            }
            o->sni = v;
            break;
        case OPT_HB_INTERVAL:
            if (nd_parse_ulong(v, 1, MAX_HB_INTERVAL_MS, &o->hb_interval_ms) != 0) {
                return usage_error("bad --heartbeat-interval value '%s' (1-%lu)", v, MAX_HB_INTERVAL_MS);
            }
            break;
        case OPT_MTU:
            if (nd_parse_ulong(v, ND_MTU_MIN, ND_MTU_MAX, &o->mtu) != 0) {
                return usage_error("bad --mtu value '%s' (%lu-%lu)", v, ND_MTU_MIN, ND_MTU_MAX);
            }
            break;
        case OPT_RSL:
            if (nd_parse_ulong(v, 64, 16384, &o->rsl) != 0) {
                return usage_error("bad --rsl value '%s' (64-16384)", v);
            }
            break;
        case OPT_PEERS:
            if (nd_parse_ulong(v, 1, MAX_PEERS, &o->n_peers) != 0) {
                return usage_error("bad --peers value '%s' (1-%d)", v, MAX_PEERS);
            }
            break;
        case OPT_IDLE:
            if (nd_parse_ulong(v, 0, MAX_TIMEOUT_MS, &o->idle_timeout_ms) != 0) {
                return usage_error("bad --idle-timeout-ms value '%s' (0-%lu)", v, MAX_TIMEOUT_MS);
            }
            o->idle_set = 1;
            break;
        case OPT_HS_TIMEOUT:
            if (nd_parse_ulong(v, 1, MAX_TIMEOUT_MS, &o->handshake_timeout_ms) != 0) {
                return usage_error("bad --handshake-timeout-ms value '%s' (1-%lu)", v, MAX_TIMEOUT_MS);
            }
            break;
        case OPT_HALF_OPEN:
            if (nd_parse_ulong(v, 1, MAX_TIMEOUT_MS, &o->half_open_timeout_ms) != 0) {
                return usage_error("bad --half-open-timeout-ms value '%s' (1-%lu)", v, MAX_TIMEOUT_MS);
            }
            break;
        case OPT_TA:
            if (o->n_ta >= NANODTLS_MAX_TRUST_ANCHORS) {
                return usage_error("at most %d --ta", NANODTLS_MAX_TRUST_ANCHORS);
            }
            o->ta_specs[o->n_ta++] = v;
            break;
        case OPT_TA_STATE:
            o->ta_state = v;
            break;
        case OPT_CID: {
            unsigned long n;
            if (nd_parse_ulong(v, 0, NANODTLS_MAX_CID, &n) != 0) {
                return usage_error("bad --cid value '%s' (0-%d)", v, NANODTLS_MAX_CID);
            }
            o->cid = (long)n;
            break;
        }
        case OPT_CERT_URL_DIR:
            o->cert_url_dir = v;
            break;
        case OPT_CERT_URL_DELAY:
            if (nd_parse_ulong(v, 0, MAX_TIMEOUT_MS, &o->cert_url_delay_ms) != 0) {
                return usage_error("bad --cert-url-delay-ms value '%s' (0-%lu)", v, MAX_TIMEOUT_MS);
            }
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
    if (nd_parse_ulong(o->port, 0, 65535, &port) != 0) {
        return usage_error("bad --port value '%s' (0-65535)", o->port);
    }
    if (o->creds.psk_id == NULL && o->creds.psk_hex == NULL && o->creds.key_path == NULL && o->n_ta == 0) {
        return usage_error("credentials needed: --psk-id and --psk, --ta, and/or --key");
    }
    if (o->ta_state != NULL && o->n_ta == 0) {
        return usage_error("--ta-state needs --ta");
    }
    if (o->client_auth && o->creds.n_peers == 0 && o->creds.n_ca_paths == 0) {
        return usage_error("--client-auth needs the trusted client keys (--rpk-peer) or CAs (--ca)");
    }
    if (o->creds.verify_name != NULL) {
        return usage_error("--verify-name is a client option");
    }
    if (o->hb_interval_ms != 0 && !o->heartbeat) {
        return usage_error("--heartbeat-interval needs --heartbeat");
    }
    if (o->cert_url_dir != NULL && !(o->client_auth && o->creds.n_ca_paths > 0)) {
        return usage_error("--cert-url-dir needs --client-auth and --ca");
    }
    if (nd_creds_load(&o->creds, err, sizeof err) != 0) {
        fprintf(stderr, "nanodtls-server: %s\n", err);
        return ND_EXIT_USAGE;
    }
    return -1;
}

static void save_ta_state(const struct options *o);

/* ---- Peer bookkeeping -------------------------------------------------- */

static void peer_str(const uint8_t *addr, size_t len, char *buf, size_t cap)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof ss);
    memcpy(&ss, addr, len < sizeof ss ? len : sizeof ss);
    nd_addr_str((const struct sockaddr *)&ss, (socklen_t)len, buf, cap);
}

static struct peer_info *find_peer(struct server *s, const uint8_t *addr, size_t len)
{
    int i;
    for (i = 0; i < (int)s->opt->n_peers; i++) {
        struct peer_info *p = &s->peers[i];
        if (p->in_use && p->addr_len == len && memcmp(p->addr, addr, len) == 0) {
            return p;
        }
    }
    return NULL;
}

static void add_peer(struct server *s, const uint8_t *addr, size_t len)
{
    struct peer_info *p = find_peer(s, addr, len);
    int i;

    for (i = 0; p == NULL && i < (int)s->opt->n_peers; i++) {
        if (!s->peers[i].in_use) {
            p = &s->peers[i];
        }
    }
    if (p == NULL) {
        /* More connected peers than we track: forget the oldest (the
         * endpoint reclaimed its slot anyway, or will report it). */
        p = &s->peers[0];
        for (i = 1; i < (int)s->opt->n_peers; i++) {
            if (s->peers[i].seq < p->seq) {
                p = &s->peers[i];
            }
        }
    }
    memset(p, 0, sizeof *p);
    p->in_use = 1;
    memcpy(p->addr, addr, len);
    p->addr_len = len;
    p->seq = ++s->next_seq;
    if (s->opt->hb_interval_ms != 0) {
        p->hb_next = nd_now_ms(NULL) + s->opt->hb_interval_ms;
    }
}

static void remove_peer(struct server *s, const uint8_t *addr, size_t len)
{
    struct peer_info *p = find_peer(s, addr, len);
    if (p != NULL) {
        p->in_use = 0;
    }
}

static struct peer_info *latest_peer(struct server *s)
{
    struct peer_info *best = NULL;
    int i;
    for (i = 0; i < (int)s->opt->n_peers; i++) {
        if (s->peers[i].in_use && (best == NULL || s->peers[i].seq > best->seq)) {
            best = &s->peers[i];
        }
    }
    return best;
}

/* ---- The loop's steps --------------------------------------------------- */

/* Send every queued datagram to its peer. */
/* Send g_tx[0..n] to the peer address `addr`. */
static void send_to(struct server *s, const uint8_t *addr, size_t alen, size_t n)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof ss);
    memcpy(&ss, addr, alen);
    if (sendto(s->fd, g_tx, n, 0, (const struct sockaddr *)&ss, (socklen_t)alen) < 0) {
        nd_vlog("-> sendto of %zu bytes failed: %s", n, strerror(errno));
    } else if (nd_verbose) {
        char who[ND_ADDR_STR_MAX];
        peer_str(addr, alen, who, sizeof who);
        nd_vlog("-> %zu bytes to %s", n, who);
    }
}

static int flush_out(struct server *s)
{
    for (;;) {
        uint8_t addr[NANODTLS_MAX_PEER_ADDR];
        size_t n = 0;
        size_t alen = 0;
        nanodtls_status st =
            nanodtls_endpoint_poll_datagram(&g_ep, g_tx, sizeof g_tx, &n, addr, sizeof addr, &alen);

        if (st == NANODTLS_DONE) {
            return 0;
        }
        if (st != NANODTLS_OK) {
            nd_print_failure("endpoint_poll_datagram", st, NULL);
            return -1;
        }
        send_to(s, addr, alen, n);
    }
}

/* Largest record payload for a peer (MTU, suite, max_fragment_length). */
static size_t max_record(const uint8_t *addr, size_t alen)
{
    size_t max = 0;
    if (nanodtls_endpoint_max_write(&g_ep, addr, alen, &max) != NANODTLS_OK || max == 0) {
        return 0;
    }
    return max < ND_APP_MAX ? max : ND_APP_MAX;
}

/* Write data to a peer as records of at most max_record() bytes, each
 * sealed straight into g_tx and sent in its own datagram (`data` must not
 * be g_tx). */
static void write_to_peer(struct server *s, const uint8_t *addr, size_t alen, const uint8_t *data, size_t len)
{
    size_t max = max_record(addr, alen);
    size_t off = 0;

    do {
        size_t n = len - off < max ? len - off : max;
        size_t dlen = 0;
        nanodtls_status st = max == 0 ? NANODTLS_E_UNKNOWN_PEER
                                      : nanodtls_endpoint_write(&g_ep, addr, alen, data + off, n, g_tx, sizeof g_tx, &dlen);
        if (st != NANODTLS_OK) {
            char who[ND_ADDR_STR_MAX];
            peer_str(addr, alen, who, sizeof who);
            fprintf(stderr, "write to %s: %s\n", who, nanodtls_status_str(st));
            return;
        }
        off += n;
        /* One record per datagram: a peer that asked for
         * max_fragment_length may read a datagram into a buffer of one
         * record (GnuTLS 3.7 drops what follows the first record). */
        send_to(s, addr, alen, dlen);
    } while (off < len);
}

/* --once: note how the first peer's connection went. */
static void once_event(struct server *s, const nanodtls_event *ev, const uint8_t *addr, size_t alen)
{
    int exchanged = 0;
    nanodtls_stats st;

    if (!s->opt->once || s->once == ONCE_DONE_OK || s->once == ONCE_DONE_FAIL) {
        return;
    }
    if (s->once == ONCE_WAITING) {
        s->once = ONCE_TRACKING;
        memcpy(s->once_addr, addr, alen);
        s->once_addr_len = alen;
    } else if (alen != s->once_addr_len || memcmp(addr, s->once_addr, alen) != 0) {
        return; /* another peer */
    }
    switch (ev->kind) {
    case NANODTLS_EVENT_CONNECTED:
        s->once_connected = 1;
        break;
    case NANODTLS_EVENT_CLOSED:
        s->once = s->once_connected ? ONCE_DONE_OK : ONCE_DONE_FAIL;
        break;
    default: /* FAILED: fine only after a handshake and some data */
        if (s->once_connected && nanodtls_endpoint_peer_stats(&g_ep, addr, alen, &st) == NANODTLS_OK) {
            exchanged = st.app_records_rx > 0 || st.app_records_tx > 0;
        }
        s->once = exchanged ? ONCE_DONE_OK : ONCE_DONE_FAIL;
        break;
    }
}

/* Report every endpoint event. */
static void drain_events(struct server *s)
{
    for (;;) {
        nanodtls_event ev;
        uint8_t addr[NANODTLS_MAX_PEER_ADDR];
        size_t alen = 0;
        char who[ND_ADDR_STR_MAX];
        nanodtls_status st = nanodtls_endpoint_poll_event(&g_ep, &ev, addr, sizeof addr, &alen);

        if (st != NANODTLS_OK) {
            return;
        }
        peer_str(addr, alen, who, sizeof who);
        if (nd_verbose && ev.kind != NANODTLS_EVENT_CONNECTED) {
            nanodtls_stats stats;
            if (nanodtls_endpoint_peer_stats(&g_ep, addr, alen, &stats) == NANODTLS_OK) {
                char label[ND_ADDR_STR_MAX + 8];
                snprintf(label, sizeof label, "peer %s", who);
                nd_vlog_stats(label, &stats);
            }
        }
        nd_vlog("peer %s: event %s (%s)", who,
                ev.kind == NANODTLS_EVENT_CONNECTED ? "CONNECTED"
                : ev.kind == NANODTLS_EVENT_CLOSED  ? "CLOSED"
                : ev.kind == NANODTLS_EVENT_ADDRESS_CHANGED ? "ADDRESS-CHANGED"
                                                    : "FAILED",
                nanodtls_status_str(ev.status));
        switch (ev.kind) {
        case NANODTLS_EVENT_CONNECTED: {
            uint8_t id[NANODTLS_MAX_PSK_IDENTITY];
            size_t id_len = 0;
            uint8_t hash[32];
            nanodtls_info info;
            memset(&info, 0, sizeof info);
            if (nanodtls_endpoint_peer_identity(&g_ep, addr, alen, id, sizeof id, &id_len) != NANODTLS_OK) {
                id_len = 0;
            }
            (void)nanodtls_endpoint_peer_info(&g_ep, addr, alen, &info);
            printf("HANDSHAKE OK %s %s", nanodtls_suite_name(ev.suite), who);
            if (id_len > 0) {
                putchar(' ');
                nd_print_escaped(id, id_len);
            }
            if (info.resumed) {
                fputs(" resumed=1", stdout);
            }
            putchar('\n');
            if (nanodtls_endpoint_peer_key_hash(&g_ep, addr, alen, hash, sizeof hash) == NANODTLS_OK) {
                fputs("PEER-KEY-SHA256 ", stdout);
                nd_print_hex(hash, sizeof hash);
                putchar('\n');
            }
            {
                nanodtls_x509_peer xp;
                if (nanodtls_endpoint_peer_x509(&g_ep, addr, alen, &xp) == NANODTLS_OK) {
                    nd_print_x509_peer(&xp, NULL);
                }
            }
            if (s->opt->n_ta > 0) {
                nanodtls_ta_peer tp;
                if (nanodtls_endpoint_peer_ta(&g_ep, addr, alen, &tp) == NANODTLS_OK) {
                    printf("TRUST-ANCHOR %s ta=", tp.mode == NANODTLS_TTP_DERIVED_KEY ? "DK" : "AUTHZ");
                    nd_print_escaped(tp.ta_id, tp.ta_id_len);
                    fputs(" client=", stdout);
                    if (tp.mode == NANODTLS_TTP_DERIVED_KEY) {
                        nd_print_escaped(tp.client_id, tp.client_id_len);
                    } else {
                        nd_print_hex(tp.client_id, tp.client_id_len); /* SHA-256 of its key */
                    }
                    printf(" seq=%lu\n", (unsigned long)tp.seq);
                    save_ta_state(s->opt);
                }
            }
            fflush(stdout);
            nd_vlog("peer %s: resumed=%u extended_master_secret=%u heartbeat=%u record_limit=%u "
                    "record_size_limit=%u",
                    who, info.resumed, info.extended_master_secret, info.heartbeat, info.record_limit,
                    info.record_size_limit);
            add_peer(s, addr, alen);
            break;
        }
        case NANODTLS_EVENT_CLOSED:
            fprintf(stderr, "peer %s closed the connection\n", who);
            remove_peer(s, addr, alen);
            break;
        case NANODTLS_EVENT_ADDRESS_CHANGED: {
            /* The peer we knew at an address the endpoint no longer has. */
            char old[ND_ADDR_STR_MAX] = "?";
            nanodtls_stats pst;
            int i;
            for (i = 0; i < (int)s->opt->n_peers; i++) {
                struct peer_info *p = &s->peers[i];
                if (p->in_use && nanodtls_endpoint_peer_stats(&g_ep, p->addr, p->addr_len, &pst) != NANODTLS_OK) {
                    peer_str(p->addr, p->addr_len, old, sizeof old);
                    if (s->once == ONCE_TRACKING && s->once_addr_len == p->addr_len &&
                        memcmp(s->once_addr, p->addr, p->addr_len) == 0) {
                        memcpy(s->once_addr, addr, alen);
                        s->once_addr_len = alen;
                    }
                    memcpy(p->addr, addr, alen);
                    p->addr_len = alen;
                    break;
                }
            }
            printf("ADDRESS-CHANGED %s -> %s\n", old, who);
            fflush(stdout);
            continue; /* not an end of the connection (once_event) */
        }
        default: {
            char what[ND_ADDR_STR_MAX + 8];
            nanodtls_x509_peer xp;
            snprintf(what, sizeof what, "peer %s", who);
            if (nanodtls_endpoint_peer_x509(&g_ep, addr, alen, &xp) == NANODTLS_OK) {
                nd_print_x509_refusal(&xp);
            }
            nd_print_failure(what, ev.status, &ev.alert);
            remove_peer(s, addr, alen);
            break;
        }
        }
        once_event(s, &ev, addr, alen);
    }
}

/* Feed one datagram from `addr` (decrypted in place in `data`): each call
 * processes records up to the next application record, which is printed
 * (and echoed with --echo); MORE means records are left. Then send what
 * the datagram produced, before the next one is fed: the endpoint keeps
 * at most 4 HelloVerifyRequests waiting to be polled (and drops further
 * ClientHellos, counted in dropped_hvr_busy), so a burst of new clients
 * read in one go without polling in between would lose all but 4 cookie
 * replies and leave those clients to their retransmission timers (1 s,
 * 2 s, 4 s ...). Returns flush_out's result. */
static int feed(struct server *s, const uint8_t *addr, size_t alen, uint8_t *data, size_t len)
{
    nanodtls_status st;
    size_t at = 0;

    do {
        nanodtls_input in;
        g_feed_addr = addr;
        g_feed_addr_len = alen;
        st = nanodtls_endpoint_feed(&g_ep, addr, alen, data + at, len - at, &in);
        if (st != NANODTLS_OK && st != NANODTLS_MORE) {
            break;
        }
        if (in.app_data != NULL) {
            nd_print_recv(in.app_data, in.app_len);
            if (s->opt->echo) {
                write_to_peer(s, addr, alen, in.app_data, in.app_len);
            }
        }
        at += in.consumed;
    } while (st == NANODTLS_MORE);
    if (st == NANODTLS_E_RNG) {
        fprintf(stderr, "the RNG failed (cookie secret): ClientHello dropped\n");
    }
    /* Per-peer failures are also reported as events (drain_events). */
    if (st < 0 && nd_verbose) {
        char who[ND_ADDR_STR_MAX];
        peer_str(addr, alen, who, sizeof who);
        nd_vlog("feed from %s: %s", who, nanodtls_status_str(st));
    }
    return flush_out(s);
}

/* --cert-url-dir: one paused peer at a time (a demo): the basenames of
 * its URLs, set by the hook from inside nanodtls_endpoint_feed, fetched
 * by cert_url_tick once due. */
static struct {
    int pending;
    int bad; /* a URL we cannot map */
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t addr_len;
    char names[NANODTLS_MAX_CERT_CHAIN][256];
    char bad_url[1024];
    size_t n;
    uint64_t due;
} g_cu;
static uint8_t g_cu_buf[16384];

static void on_cert_url(void *user, size_t index, const uint8_t *url, size_t len, const uint8_t *sha1)
{
    const struct options *o = user;
    char u[256];
    const char *path;
    const char *base;
    (void)sha1;
    if (index == 0) {
        memset(&g_cu, 0, sizeof g_cu);
        if (g_feed_addr_len <= sizeof g_cu.addr) {
            memcpy(g_cu.addr, g_feed_addr, g_feed_addr_len);
            g_cu.addr_len = g_feed_addr_len;
        }
        g_cu.due = nd_now_ms(NULL) + o->cert_url_delay_ms;
        g_cu.pending = 1;
    }
    if (len >= sizeof u || index >= NANODTLS_MAX_CERT_CHAIN) {
        g_cu.bad = 1;
        return;
    }
    memcpy(u, url, len);
    u[len] = 0;
    if (strncmp(u, "file://", 7) == 0) {
        path = u + 7;
    } else if (strncmp(u, "http://", 7) == 0) {
        path = strchr(u + 7, '/');
    } else {
        path = NULL;
    }
    base = path != NULL ? strrchr(path, '/') : NULL;
    if (base == NULL || base[1] == 0 || strcmp(base + 1, "..") == 0 || strcmp(base + 1, ".") == 0) {
        g_cu.bad = 1;
        snprintf(g_cu.bad_url, sizeof g_cu.bad_url, "%s", u);
        return;
    }
    snprintf(g_cu.names[index], sizeof g_cu.names[index], "%s", base + 1);
    g_cu.n = index + 1;
    nd_vlog("CertificateURL %zu: %s -> %s/%s", index, u, o->cert_url_dir, base + 1);
}

/* Fetch the paused peer's certificates once due: provide or refuse. */
static void cert_url_tick(struct server *s)
{
    size_t i, total = 0;
    nanodtls_status st;
    if (!g_cu.pending || nd_now_ms(NULL) < g_cu.due) {
        return;
    }
    g_cu.pending = 0;
    for (i = 0; i < g_cu.n && !g_cu.bad; i++) {
        char path[1024];
        size_t n = 0;
        snprintf(path, sizeof path, "%s/%s", s->opt->cert_url_dir, g_cu.names[i]);
        if (nd_read_file(path, g_cu_buf + total, sizeof g_cu_buf - total, &n) != 0 || n == 0) {
            g_cu.bad = 1;
            snprintf(g_cu.bad_url, sizeof g_cu.bad_url, "%s", path);
            break;
        }
        total += n;
    }
    if (g_cu.bad) {
        printf("CERT-URL refused %s\n", g_cu.bad_url);
        st = nanodtls_endpoint_provide_client_certificates(&g_ep, g_cu.addr, g_cu.addr_len, NULL, 0);
    } else {
        printf("CERT-URL fetched %zu\n", g_cu.n);
        st = nanodtls_endpoint_provide_client_certificates(&g_ep, g_cu.addr, g_cu.addr_len, g_cu_buf, total);
    }
    fflush(stdout);
    if (st != NANODTLS_OK) {
        nd_vlog("provide_client_certificates: %s", nanodtls_status_str(st));
    }
    (void)flush_out(s);
}

/* Receive and feed every datagram waiting on the socket (bounded),
 * sending the replies to each before the next (see feed). */
static int receive_all(struct server *s)
{
    int budget;

    for (budget = 0; budget < 64; budget++) {
        struct sockaddr_storage ss;
        socklen_t slen = sizeof ss;
        ssize_t n;

        memset(&ss, 0, sizeof ss);
        n = recvfrom(s->fd, g_rx, sizeof g_rx, 0, (struct sockaddr *)&ss, &slen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return 0;
            }
            if (errno == ECONNREFUSED) {
                continue; /* ICMP error for an earlier sendto; ignore */
            }
            fprintf(stderr, "recvfrom: %s\n", strerror(errno));
            return -1;
        }
        if (slen == 0 || slen > NANODTLS_MAX_PEER_ADDR || slen > sizeof ss) {
            nd_vlog("<- %zd bytes from an address of %u bytes: ignored", n, (unsigned)slen);
            continue;
        }
        nd_normalize_addr(&ss);
        if (nd_verbose) {
            char who[ND_ADDR_STR_MAX];
            nd_addr_str((const struct sockaddr *)&ss, slen, who, sizeof who);
            nd_vlog("<- %zd bytes from %s", n, who);
        }
        if (feed(s, (const uint8_t *)&ss, slen, g_rx, (size_t)n) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Send what stdin produced so far to the most recently connected peer. */
static void send_stdin(struct server *s, nd_line_reader *lr)
{
    size_t n;

    (void)nd_line_reader_fill(lr, STDIN_FILENO);
    for (;;) {
        struct peer_info *p = latest_peer(s);
        /* One record per line: lines longer than the peer's largest
         * record are cut (e.g. after max_fragment_length 512). */
        size_t max = p != NULL ? max_record(p->addr, p->addr_len) : ND_APP_MAX;
        if (max == 0) {
            max = ND_APP_MAX;
        }
        if (!nd_line_reader_next(lr, max, g_app, &n)) {
            break;
        }
        if (p == NULL) {
            fprintf(stderr, "no connected peer: input dropped\n");
            continue;
        }
        write_to_peer(s, p->addr, p->addr_len, g_app, n);
    }
}

/* SNI callback (called from inside nanodtls_endpoint_feed): print the
 * name and accept it if no --sni was given or it matches (DNS names are
 * case-insensitive). */
static int on_sni(void *user, const uint8_t *name, size_t len)
{
    const struct options *o = ((const struct server *)user)->opt;
    size_t k;

    fputs("SNI ", stdout);
    nd_print_escaped(name, len);
    putchar('\n');
    fflush(stdout);
    if (o->sni == NULL) {
        return 0;
    }
    if (strlen(o->sni) != len) {
        return 1;
    }
    for (k = 0; k < len; k++) {
        unsigned char a = name[k];
        unsigned char b = (unsigned char)o->sni[k];
        if (a >= 'A' && a <= 'Z') {
            a = (unsigned char)(a - 'A' + 'a');
        }
        if (b >= 'A' && b <= 'Z') {
            b = (unsigned char)(b - 'A' + 'a');
        }
        if (a != b) {
            return 1;
        }
    }
    return 0;
}

/* --heartbeat-interval: send due requests, report outcomes. Returns the
 * time of the next due request (0 = none). */
static uint64_t heartbeat_tick(struct server *s)
{
    uint64_t now = nd_now_ms(NULL);
    uint64_t next = 0;
    int i;

    if (s->opt->hb_interval_ms == 0) {
        return 0;
    }
    for (i = 0; i < (int)s->opt->n_peers; i++) {
        struct peer_info *p = &s->peers[i];
        char who[ND_ADDR_STR_MAX];

        if (!p->in_use || p->hb_off) {
            continue;
        }
        peer_str(p->addr, p->addr_len, who, sizeof who);
        if (p->hb_pending) {
            uint8_t hb = 0;
            uint32_t rtt = 0;
            if (nanodtls_endpoint_heartbeat_status(&g_ep, p->addr, p->addr_len, &hb, &rtt) != NANODTLS_OK) {
                continue;
            }
            if (hb == NANODTLS_HEARTBEAT_OK) {
                printf("HEARTBEAT OK %s rtt=%lu\n", who, (unsigned long)rtt);
            } else if (hb == NANODTLS_HEARTBEAT_FAILED) {
                printf("HEARTBEAT FAILED %s\n", who);
            } else {
                continue; /* still waiting (its retransmissions run on the endpoint timer) */
            }
            fflush(stdout);
            p->hb_pending = 0;
            p->hb_next = now + s->opt->hb_interval_ms;
        }
        if (now >= p->hb_next) {
            nanodtls_status st = nanodtls_endpoint_heartbeat(&g_ep, p->addr, p->addr_len);
            if (st == NANODTLS_OK) {
                p->hb_pending = 1;
                nd_vlog("peer %s: heartbeat request", who);
                continue;
            }
            if (st == NANODTLS_E_UNSUPPORTED) {
                fprintf(stderr, "peer %s did not negotiate heartbeat: not pinging it\n", who);
                p->hb_off = 1;
                continue;
            }
            nd_vlog("peer %s: heartbeat: %s", who, nanodtls_status_str(st));
            p->hb_next = now + s->opt->hb_interval_ms;
        }
        if (next == 0 || p->hb_next < next) {
            next = p->hb_next;
        }
    }
    return next;
}

/* ---- Trust anchors (--ta, --ta-state) ----------------------------------- */

/* Largest --ta-state file: one line of hex per trust anchor. */
#define TA_STATE_FILE_MAX ((size_t)NANODTLS_MAX_TRUST_ANCHORS * (2 * NANODTLS_TA_STATE_MAX + 1))

/* Parse "ID:HEXKEY[:16|32]" and add the trust anchor. Returns 0 or -1 (printed). */
static int add_ta(struct options *o, int k)
{
    const char *spec = o->ta_specs[k];
    const char *c1 = strchr(spec, ':');
    const char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
    char hex[2 * NANODTLS_TA_KEY_MAX + 1];
    uint8_t key[NANODTLS_TA_KEY_MAX];
    size_t id_len = c1 != NULL ? (size_t)(c1 - spec) : 0;
    size_t hex_len = c1 == NULL ? 0 : c2 != NULL ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    size_t key_len = 0;
    unsigned long dlen = 16;
    nanodtls_status st;

    if (id_len == 0 || id_len > NANODTLS_MAX_TA_ID || hex_len == 0 || hex_len >= sizeof hex ||
        (c2 != NULL && (nd_parse_ulong(c2 + 1, 16, 32, &dlen) != 0 || (dlen != 16 && dlen != 32)))) {
        fprintf(stderr, "nanodtls-server: bad --ta '%s': ID:HEXKEY or ID:HEXKEY:16|32 (ID 1-%d bytes)\n", spec,
                NANODTLS_MAX_TA_ID);
        return -1;
    }
    memcpy(o->ta_ids[k], spec, id_len);
    o->ta_ids[k][id_len] = '\0';
    memcpy(hex, c1 + 1, hex_len);
    hex[hex_len] = '\0';
    if (nd_parse_hex(hex, key, sizeof key, &key_len) != 0) {
        fprintf(stderr, "nanodtls-server: bad --ta key for '%s': %d to %d bytes in hex\n", o->ta_ids[k],
                NANODTLS_TA_KEY_MIN, NANODTLS_TA_KEY_MAX);
        nd_wipe(hex, sizeof hex);
        return -1;
    }
    st = nanodtls_endpoint_ta_add(&g_ep, (const uint8_t *)o->ta_ids[k], id_len, key, key_len, (size_t)dlen);
    nd_wipe(hex, sizeof hex);
    nd_wipe(key, sizeof key);
    if (st != NANODTLS_OK) {
        fprintf(stderr, "--ta %s: ", o->ta_ids[k]);
        nd_print_failure("(no '.' in the id, a 16-32 byte key)", st, NULL);
        return -1;
    }
    return 0;
}

/* --ta-state: merge the saved windows (one hex line per trust anchor;
 * lines of trust anchors not given with --ta are skipped). A missing file
 * is an empty state. Returns 0 or -1 (printed). */
static int load_ta_state(const struct options *o)
{
    static uint8_t text[TA_STATE_FILE_MAX + 1];
    size_t len = 0, at = 0;
    int lines = 0;

    if (o->ta_state == NULL) {
        return 0;
    }
    if (nd_read_file(o->ta_state, text, sizeof text - 1, &len) != 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "--ta-state %s: no such file yet: every window starts empty\n", o->ta_state);
            return 0;
        }
        fprintf(stderr, "--ta-state %s: %s\n", o->ta_state, strerror(errno));
        return -1;
    }
    text[len] = '\0';
    while (at < len) {
        char *line = (char *)text + at;
        char *nl = strchr(line, '\n');
        uint8_t blob[NANODTLS_TA_STATE_MAX];
        size_t n = 0;
        nanodtls_status st;
        if (nl != NULL) {
            *nl = '\0';
        }
        at += strlen(line) + 1;
        if (line[0] == '\0') {
            continue;
        }
        if (nd_parse_hex(line, blob, sizeof blob, &n) != 0) {
            fprintf(stderr, "--ta-state %s: line %d is not hex\n", o->ta_state, lines + 1);
            return -1;
        }
        st = nanodtls_endpoint_ta_import(&g_ep, blob, n);
        if (st != NANODTLS_OK) {
            fprintf(stderr, "--ta-state %s: line %d: %s (corrupted, or a trust anchor not given with --ta): skipped\n",
                    o->ta_state, lines + 1, nanodtls_status_str(st));
        }
        lines++;
    }
    nd_vlog("--ta-state %s: %d windows loaded", o->ta_state, lines);
    return 0;
}

/* --ta-state: save every trust anchor's window (FILE.tmp, then renamed). */
static void save_ta_state(const struct options *o)
{
    static uint8_t text[TA_STATE_FILE_MAX];
    static char tmp[4096];
    size_t used = 0;
    int k;

    if (o->ta_state == NULL) {
        return;
    }
    for (k = 0; k < o->n_ta; k++) {
        uint8_t blob[NANODTLS_TA_STATE_MAX];
        size_t n = 0, j;
        if (nanodtls_endpoint_ta_export(&g_ep, (const uint8_t *)o->ta_ids[k], strlen(o->ta_ids[k]), blob, sizeof blob,
                                        &n) != NANODTLS_OK) {
            continue;
        }
        for (j = 0; j < n && used + 3 <= sizeof text; j++) {
            static const char digits[] = "0123456789abcdef";
            text[used++] = (uint8_t)digits[blob[j] >> 4];
            text[used++] = (uint8_t)digits[blob[j] & 15];
        }
        text[used++] = '\n';
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", o->ta_state) >= sizeof tmp) {
        fprintf(stderr, "--ta-state: path too long\n");
        return;
    }
    if (nd_write_private_file(tmp, text, used) != 0 || rename(tmp, o->ta_state) != 0) {
        fprintf(stderr, "--ta-state %s: not saved: %s\n", o->ta_state, strerror(errno));
    }
}

/* Give the endpoint our credentials. Returns 0 or -1 (printed). */
static int configure(struct server *s, struct options *o)
{
    const nd_creds *cr = &o->creds;
    nanodtls_status st;
    int k;

    if (cr->psk_id != NULL) {
        st = nanodtls_endpoint_set_psk(&g_ep, (const uint8_t *)cr->psk_id, strlen(cr->psk_id), cr->psk,
                                       cr->psk_len);
        if (st != NANODTLS_OK) {
            nd_print_failure("endpoint_set_psk", st, NULL);
            return -1;
        }
    }
    if (cr->key_len > 0) {
        st = nanodtls_endpoint_set_own_key(&g_ep, cr->key, cr->key_len);
        if (st != NANODTLS_OK) {
            nd_print_failure("--key", st, NULL);
            return -1;
        }
    }
    if (cr->se_key != NULL) {
        st = nanodtls_endpoint_set_own_key_signer(&g_ep, cr->spki, cr->spki_len, nd_key_sign, cr->se_key,
                                                  NANODTLS_SIG_DER);
        if (st != NANODTLS_OK) {
            nd_print_failure("--key-via-callback", st, NULL);
            return -1;
        }
    }
    if (cr->cert != NULL) {
        st = nanodtls_endpoint_set_own_certificate(&g_ep, cr->cert, cr->cert_len);
        if (st != NANODTLS_OK) {
            nd_print_failure("--cert (does its key match --key?)", st, NULL);
            return -1;
        }
    }
    for (k = 0; k < o->n_ta; k++) {
        if (add_ta(o, k) != 0) {
            return -1;
        }
    }
    if (load_ta_state(o) != 0) {
        return -1;
    }
    if (nd_x509_setup_ep(&g_ep, cr) != 0) {
        return -1;
    }
    if (o->no_cached_info) {
        st = nanodtls_endpoint_set_cached_info(&g_ep, 0);
        if (st != NANODTLS_OK) {
            nd_print_failure("--no-cached-info", st, NULL);
            return -1;
        }
    }
    if (o->any_client_identity) {
        st = nanodtls_endpoint_set_any_client_identity(&g_ep, 1);
        if (st != NANODTLS_OK) {
            nd_print_failure("--any-client-identity", st, NULL);
            return -1;
        }
    }
    for (k = 0; k < cr->n_peers; k++) {
        st = nanodtls_endpoint_add_trusted_key(&g_ep, cr->peer_der[k], cr->peer_len[k]);
        if (st != NANODTLS_OK) {
            fprintf(stderr, "--rpk-peer %s: ", cr->peer_paths[k]);
            nd_print_failure(NULL, st, NULL);
            return -1;
        }
    }
    if (o->tickets) {
        /* Stateless resumption: no cache, a ticket key from the RNG. */
        st = nanodtls_ticket_keys_init(&g_ticket_keys, 0);
        if (st == NANODTLS_OK) {
            st = nanodtls_endpoint_set_ticket_keys(&g_ep, &g_ticket_keys);
        }
        if (st != NANODTLS_OK) {
            nd_print_failure("endpoint_set_ticket_keys", st, NULL);
            return -1;
        }
    } else {
        st = nanodtls_endpoint_set_session_cache(&g_ep, g_sessions, sizeof g_sessions[0], N_SESSIONS);
        if (st != NANODTLS_OK) {
            nd_print_failure("endpoint_set_session_cache", st, NULL);
            return -1;
        }
    }
    st = nanodtls_endpoint_set_sni_callback(&g_ep, on_sni, s);
    if (st != NANODTLS_OK) {
        nd_print_failure("endpoint_set_sni_callback", st, NULL);
        return -1;
    }
    return 0;
}

/* --stats: the endpoint's counters, one line on stderr (and one for the
 * trust anchors). */
static void print_stats(const struct options *o)
{
    nanodtls_endpoint_stats es;

    memset(&es, 0, sizeof es);
    if (nanodtls_endpoint_get_stats(&g_ep, &es) != NANODTLS_OK) {
        fprintf(stderr, "STATS unavailable\n");
        return;
    }
    fprintf(stderr,
            "STATS hello_verify_requests=%lu slots_allocated=%lu slots_reclaimed=%lu dropped_no_slot=%lu "
            "dropped_hvr_busy=%lu dropped_unknown_peer=%lu refused_too_large=%lu rng_failures=%lu peers_in_use=%lu "
            "peers_handshaking=%lu peers_connected=%lu peers_ended=%lu\n",
            (unsigned long)es.hello_verify_requests, (unsigned long)es.slots_allocated,
            (unsigned long)es.slots_reclaimed, (unsigned long)es.dropped_no_slot, (unsigned long)es.dropped_hvr_busy,
            (unsigned long)es.dropped_unknown_peer, (unsigned long)es.refused_too_large,
            (unsigned long)es.rng_failures, (unsigned long)es.peers_in_use, (unsigned long)es.peers_handshaking, (unsigned long)es.peers_connected,
            (unsigned long)es.peers_ended);
    if (o->n_ta > 0) {
        nanodtls_ta_stats ts;
        memset(&ts, 0, sizeof ts);
        if (nanodtls_endpoint_ta_get_stats(&g_ep, &ts) == NANODTLS_OK) {
            fprintf(stderr,
                    "TA-STATS derived=%lu accepted=%lu refused_malformed=%lu refused_unknown_ta=%lu "
                    "refused_replayed=%lu refused_too_old=%lu refused_at_commit=%lu authz_checked=%lu "
                    "refused_bad_spki=%lu refused_bad_mac=%lu\n",
                    (unsigned long)ts.derived, (unsigned long)ts.accepted, (unsigned long)ts.refused_malformed,
                    (unsigned long)ts.refused_unknown_ta, (unsigned long)ts.refused_replayed,
                    (unsigned long)ts.refused_too_old, (unsigned long)ts.refused_at_commit,
                    (unsigned long)ts.authz_checked, (unsigned long)ts.refused_bad_spki,
                    (unsigned long)ts.refused_bad_mac);
        }
    }
    fflush(stderr);
}

/* Close every connection we know of with close_notify. */
static void close_all(struct server *s)
{
    int i;
    for (i = 0; i < (int)s->opt->n_peers; i++) {
        if (s->peers[i].in_use) {
            (void)nanodtls_endpoint_close_peer(&g_ep, s->peers[i].addr, s->peers[i].addr_len);
            s->peers[i].in_use = 0;
        }
    }
    (void)flush_out(s);
}

static int run(struct options *o)
{
    struct server *s = &g_server;
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_status st;
    nd_line_reader lr;
    int result = ND_EXIT_FAIL;
    int initialised = 0;
    char local[ND_ADDR_STR_MAX];

    memset(s, 0, sizeof *s);
    memset(&lr, 0, sizeof lr);
    s->opt = o;
    s->fd = nd_udp_bind(o->host, o->port);
    if (s->fd < 0) {
        return ND_EXIT_FAIL;
    }

    nd_platform_init(&plat);
    nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER); /* cookies on */
    if (o->mtu != 0) {
        cfg.mtu = (uint16_t)o->mtu;
    }
    if (o->creds.n_suites > 0) {
        memset(cfg.suites, 0, sizeof cfg.suites);
        memcpy(cfg.suites, o->creds.suites, (size_t)o->creds.n_suites * sizeof cfg.suites[0]);
    }
    cfg.client_auth = o->client_auth ? 1 : 0;
    cfg.heartbeat = o->heartbeat ? 1 : 0;
    cfg.record_size_limit = (uint16_t)o->rsl;
    if (o->cid >= 0) {
        cfg.connection_id = 1;
        cfg.cid_len = (uint8_t)o->cid;
    }
    if (o->handshake_timeout_ms != 0) {
        cfg.handshake_timeout_ms = (uint32_t)o->handshake_timeout_ms;
    }
    st = nanodtls_endpoint_init(&g_ep, sizeof g_ep, &cfg, &plat, g_peers, sizeof g_peers[0], o->n_peers);
    if (st != NANODTLS_OK) {
        nd_print_failure("endpoint_init", st, NULL);
        goto out;
    }
    initialised = 1;
    if (o->idle_set || o->half_open_timeout_ms != 0) {
        uint32_t idle = o->idle_set ? (uint32_t)o->idle_timeout_ms : NANODTLS_DEFAULT_IDLE_MS;
        uint32_t half_open =
            o->half_open_timeout_ms != 0 ? (uint32_t)o->half_open_timeout_ms : NANODTLS_DEFAULT_HALF_OPEN_MS;
        st = nanodtls_endpoint_set_timeouts(&g_ep, idle, half_open);
        if (st != NANODTLS_OK) {
            nd_print_failure("endpoint_set_timeouts", st, NULL);
            goto out;
        }
    }
    if (configure(s, o) != 0) {
        goto out;
    }
    if (o->cert_url_dir != NULL) {
        st = nanodtls_endpoint_set_cert_url_hook(&g_ep, on_cert_url, o);
        if (st != NANODTLS_OK) {
            nd_print_failure("--cert-url-dir", st, NULL);
            goto out;
        }
    }
    nd_sock_name(s->fd, local, sizeof local);
    fprintf(stderr, "listening on %s\n", local);
    fflush(stderr);

    while (!nd_stop) {
        struct pollfd fds[2];
        nfds_t nfds = 1;
        uint32_t ms = 0;
        nanodtls_status tst;
        int stdin_idx = -1;
        uint64_t hb_due;

        if (flush_out(s) != 0) {
            goto out;
        }
        drain_events(s);
        hb_due = heartbeat_tick(s);
        if (flush_out(s) != 0) { /* heartbeat requests */
            goto out;
        }
        cert_url_tick(s);
        if (g_cu.pending && (hb_due == 0 || g_cu.due < hb_due)) {
            hb_due = g_cu.due;
        }
        if (s->once == ONCE_DONE_OK || s->once == ONCE_DONE_FAIL) {
            (void)flush_out(s); /* e.g. our close_notify reply */
            result = s->once == ONCE_DONE_OK ? ND_EXIT_OK : ND_EXIT_FAIL;
            goto out;
        }

        tst = nanodtls_endpoint_timeout_ms(&g_ep, &ms);
        fds[0].fd = s->fd;
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        if (!o->echo && !lr.eof) {
            stdin_idx = 1;
            fds[1].fd = STDIN_FILENO;
            fds[1].events = POLLIN;
            fds[1].revents = 0;
            nfds = 2;
        }
        if (nd_poll(fds, nfds, nd_poll_timeout(tst, ms, hb_due, nd_now_ms(NULL))) < 0) {
            fprintf(stderr, "poll: %s\n", strerror(errno));
            goto out;
        }
        if (fds[0].revents & (POLLIN | POLLERR)) {
            if (receive_all(s) != 0) {
                goto out;
            }
        }
        if (stdin_idx >= 0 && (fds[stdin_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
            send_stdin(s, &lr);
        }
        if (nanodtls_endpoint_timeout_ms(&g_ep, &ms) == NANODTLS_OK && ms == 0) {
            (void)nanodtls_endpoint_handle_timeout(&g_ep);
        }
    }
    fprintf(stderr, "interrupted: closing\n");
    close_all(s);
    result = ND_EXIT_OK;

out:
    if (initialised && o->stats) {
        print_stats(o);
    }
    if (initialised) {
        (void)nanodtls_endpoint_deinit(&g_ep);
    }
    close(s->fd);
    return result;
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
    nd_creds_wipe(&o.creds);
    return rc;
}
