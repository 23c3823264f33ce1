/*
 * Shared helpers of the POSIX example tools (nanodtls-client and
 * nanodtls-server): command-line parsing, the platform callbacks (RNG,
 * monotonic clock), UDP sockets, the poll() loop, stdin line reading and
 * the output format.
 *
 * Output contract of the tools (scripts rely on it):
 *   stdout: "HANDSHAKE OK <suite>[ <peer> <identity>]" once per connection,
 *           "RECV <text>" once per application record received.
 *   stderr: everything else (diagnostics, "FAILED: ..." lines, --verbose).
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
#ifndef NANODTLS_POSIX_COMMON_H
#define NANODTLS_POSIX_COMMON_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "nanodtls.h"

/* Exit codes. */
#define ND_EXIT_OK 0
#define ND_EXIT_FAIL 1
#define ND_EXIT_USAGE 2

/* Range of --mtu. The header documents the minimum (128); the maximum is
 * the library's largest datagram (16384, src/config.rs MAX_MTU). */
#define ND_MTU_MIN 128UL
#define ND_MTU_MAX 16384UL

/* Buffer for one outgoing datagram: large enough for any MTU. */
#define ND_TX_DATAGRAM_MAX ((size_t)ND_MTU_MAX)
/* Buffer for one incoming datagram: the largest UDP payload. */
#define ND_RX_DATAGRAM_MAX ((size_t)65536)
/* Buffer for one application record read from the library. */
#define ND_APP_MAX ((size_t)16384)

/* Printable "ip:port" or "[ipv6]:port". */
#define ND_ADDR_STR_MAX 80

/* ---- Diagnostics ------------------------------------------------------ */

/* Non-zero when --verbose was given. */
extern int nd_verbose;

/* --verbose: register a nanodtls_set_log_hook that prints the library's
 * own log, every level up to NANODTLS_LOG_DEBUG, to stderr as
 * "nanodtls[LEVEL] message" (says so when the library was built without
 * the `log` feature). */
void nd_enable_library_log(void);

/* Usage error: print "<prog>: <message>", a blank line and the tool's
 * usage text to stderr; returns ND_EXIT_USAGE. */
int nd_usage_error(const char *prog, void (*usage)(FILE *out), const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* printf-style message to stderr, only with --verbose. */
void nd_vlog(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Name of a nanodtls_state() value ("HANDSHAKING", ...). */
const char *nd_state_name(int32_t state);

/* Print "FAILED: <what: ><status string>[ (alert <name> sent|received)]"
 * to stderr. `what` may be NULL; `alert` may be NULL or have level 0. */
void nd_print_failure(const char *what, nanodtls_status st, const nanodtls_alert *alert);

/* --verbose: log a connection's counters (retransmissions, drops). */
void nd_vlog_stats(const char *who, const nanodtls_stats *st);

/* Print "RECV <text>" to stdout with one trailing "\n" (or "\r\n") of the
 * text stripped, and flush stdout. */
void nd_print_recv(const uint8_t *data, size_t len);

/* Write `len` bytes to stdout, escaping bytes that are not printable
 * ASCII as \xHH (for peer-supplied strings such as a PSK identity). */
void nd_print_escaped(const uint8_t *data, size_t len);

/* ---- Command-line parsing --------------------------------------------- */

/* Match argv[*i] against the option `name` (e.g. "--port"), accepting
 * "--port VALUE" and "--port=VALUE". Returns 1 on a match (with *value set
 * and *i advanced past a separate value), 0 if argv[*i] is another option,
 * -1 if it matches but the value is missing. */
int nd_opt_value(int argc, char **argv, int *i, const char *name, const char **value);

/* Match argv[*i] against a table of options that take a value. Returns
 * the index of the matching name (with *value set and *i advanced past a
 * separate value), -1 if argv[*i] is none of them, -2 if the value is
 * missing (then names[*which] is the option). */
int nd_match_option(int argc, char **argv, int *i, const char *const *names, int n_names, const char **value,
                    int *which);

/* Overwrite a secret so the store is not optimised away. */
void nd_wipe(void *p, size_t n);

/* Parse a decimal unsigned number in [min, max]. Returns 0 on success,
 * -1 for anything else (empty, sign, junk, overflow, out of range). */
int nd_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Parse an even-length hex string (upper or lower case) of 1 to `cap`
 * bytes into `out`. Returns 0 on success, -1 otherwise. */
int nd_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *out_len);

/* Write `len` bytes as lowercase hex to stdout (no newline). */
void nd_print_hex(const uint8_t *data, size_t len);

/* ---- Cipher suites ----------------------------------------------------- */

/* Parse a suite name: the IANA name ("TLS_PSK_WITH_AES_128_CCM_8") or the
 * OpenSSL-style short name ("PSK-AES128-CCM8", "ECDHE-ECDSA-AES128-CCM"),
 * case-insensitive. Returns 0 and sets *suite, or -1 for an unknown name. */
int nd_parse_suite(const char *name, uint16_t *suite);

/* The accepted --suite names, for usage texts. */
#define ND_SUITE_NAMES_HELP                                                              \
    "PSK-AES128-CCM8, PSK-AES128-CCM, ECDHE-ECDSA-AES128-CCM8,\n"                       \
    "                   ECDHE-ECDSA-AES128-CCM, ECDHE-PSK-AES128-CCM8,\n"                 \
    "                   ECDHE-PSK-AES128-CCM (or the IANA names)"

/* ---- Files, PEM and credentials ----------------------------------------- */

/* Largest credential file read (PEM text or DER). */
#define ND_FILE_MAX ((size_t)16384)
/* Largest private key (DER: SEC1 is ~121 bytes, PKCS#8 ~138). */
#define ND_KEY_DER_MAX ((size_t)512)
/* Largest certificate or SubjectPublicKeyInfo (DER). */
#define ND_CERT_DER_MAX ((size_t)4096)

/* Decode standard base64 (RFC 4648, '=' padding, whitespace ignored) from
 * in[0..in_len] into out. Returns 0 on success, -1 on bad input or when
 * `cap` is too small. */
int nd_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/* Read a DER object from `path`, stored either as DER (the file starts
 * with an ASN.1 SEQUENCE) or as PEM: the first "-----BEGIN <label>-----"
 * block whose label is one of `labels` (a NULL-terminated list) is
 * decoded; other blocks (e.g. "EC PARAMETERS") are skipped. On success
 * returns 0 with *which = the index of the label (-1 for DER). On failure
 * returns -1 and writes a reason into err[0..err_cap]. */
int nd_load_der(const char *path, const char *const *labels, uint8_t *out, size_t cap, size_t *out_len, int *which,
                char *err, size_t err_cap);

/* Credentials from the command line, shared by both tools. */
#define ND_MAX_PEER_KEYS NANODTLS_MAX_TRUSTED_KEYS
/* Trust anchors (--ca; a PEM file may hold several certificates). */
#define ND_MAX_CAS NANODTLS_MAX_X509_ANCHORS
typedef struct nd_creds {
    const char *psk_id;       /* NULL = no PSK */
    const char *psk_hex;
    uint8_t psk[NANODTLS_MAX_PSK_KEY];
    size_t psk_len;
    const char *key_path;     /* --key */
    uint8_t key[ND_KEY_DER_MAX];
    size_t key_len;
    const char *cert_path;    /* --cert (the DER lives in a static buffer) */
    const uint8_t *cert;
    size_t cert_len;
    const char *peer_paths[ND_MAX_PEER_KEYS]; /* --rpk-peer, repeatable */
    int n_peers;
    uint8_t peer_der[ND_MAX_PEER_KEYS][ND_CERT_DER_MAX];
    size_t peer_len[ND_MAX_PEER_KEYS];
    uint16_t suites[4];       /* --suite, repeatable; 0-terminated when < 4 */
    int n_suites;
    /* Certificate mode (docs/x509.md). */
    const char *ca_paths[ND_MAX_CAS]; /* --ca, repeatable */
    int n_ca_paths;
    const uint8_t *ca[ND_MAX_CAS]; /* the anchors (DER, in a static buffer) */
    size_t ca_len[ND_MAX_CAS];
    int n_ca;
    const char *verify_name;  /* --verify-name (client) */
    int time_none;            /* --time none: no wall clock */
} nd_creds;

/* Handle one credential option at argv[*i] (--psk-id, --psk, --key,
 * --cert, --rpk-peer, --suite, --ca, --verify-name, --time), advancing *i
 * past its value. Returns 1 if
 * it was one (stored, not yet loaded), 0 if argv[*i] is another option,
 * -1 on an error (message written into err). */
int nd_creds_option(int argc, char **argv, int *i, nd_creds *c, char *err, size_t err_cap);

/* After parsing: check the PSK pair and load the files. Returns 0, or -1
 * with a message in err. */
int nd_creds_load(nd_creds *c, char *err, size_t err_cap);

/* Wipe the secrets (PSK, private key). */
void nd_creds_wipe(nd_creds *c);

/* Usage lines of the credential options. */
#define ND_CREDS_HELP                                                                      \
    "  --psk-id ID      PSK identity (1-128 bytes); with --psk\n"                            \
    "  --psk HEX        pre-shared key in hex (1-64 bytes)\n"                                \
    "  --key FILE       our P-256 private key, DER or PEM (SEC1 \"EC PRIVATE KEY\"\n"         \
    "                   or PKCS#8 \"PRIVATE KEY\"), for the ECDHE-ECDSA suites\n"               \
    "  --cert FILE      our X.509 certificate (DER or PEM) for peers without raw\n"          \
    "                   public keys (RFC 7250); its key must be --key. A PEM chain\n"        \
    "                   (leaf first, then its intermediates) is sent whole\n"                \
    "  --ca FILE        trust anchor (DER or PEM; a PEM file may hold several):\n"          \
    "                   the peer's X.509 chain is validated (RFC 7925 4.4) instead\n"       \
    "                   of its key pinned; repeatable (up to NANODTLS_MAX_X509_ANCHORS)\n"  \
    "  --verify-name NAME  client: the name the server certificate must carry\n"           \
    "                   (default: --sni, or --host when it is a name)\n"                    \
    "  --time now|none  validity periods against the system clock (default) or not\n"      \
    "                   at all (a device without a clock, RFC 7925 Table 1)\n"              \
    "  --rpk-peer FILE  trust this peer key: SubjectPublicKeyInfo (DER or PEM\n"             \
    "                   \"PUBLIC KEY\") or the key of a certificate (DER or PEM);\n"          \
    "                   repeatable (up to 4)\n"                                                \
    "  --suite NAME     offer/accept this suite; repeatable, in preference order:\n"          \
    "                   " ND_SUITE_NAMES_HELP "\n"

/* Wall clock callback (nanodtls_wall_clock_fn): time(NULL). */
int nd_wall_clock(void *user, uint64_t *secs);

/* Certificate mode on a context / an endpoint: the --ca anchors and the
 * wall clock (unless --time none). Returns 0, or -1 (printed). */
int nd_x509_setup_ctx(nanodtls_ctx *ctx, const nd_creds *c);
int nd_x509_setup_ep(nanodtls_endpoint *ep, const nd_creds *c);

/* Print what the peer's chain proved: "PEER-NAME <name>" (a server, with
 * the name we checked) or "PEER-EUI64 <HH-HH-..>" (a client); nothing if
 * no chain was validated. */
void nd_print_x509_peer(const nanodtls_x509_peer *p, const char *name);

/* On a failed handshake: "X509-REFUSED <reason>" on stderr if the peer's
 * chain was refused. */
void nd_print_x509_refusal(const nanodtls_x509_peer *p);

/* Write `len` bytes to `path`, created (or truncated) with mode 0600.
 * Returns 0, or -1 (message printed). */
int nd_write_private_file(const char *path, const uint8_t *data, size_t len);

/* Read a whole (small) file into buf. Returns 0, or -1 (errno set; -1 with
 * errno EFBIG when it does not fit). */
int nd_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len);

/* ---- Platform callbacks for nanodtls ---------------------------------- */

/* RNG callback: getrandom() where available, else /dev/urandom. */
int nd_rng(void *user, uint8_t *buf, size_t len);

/* Clock callback: CLOCK_MONOTONIC in milliseconds. */
uint64_t nd_now_ms(void *user);

/* Fill a nanodtls_platform with the two callbacks above. */
void nd_platform_init(nanodtls_platform *p);

/* ---- Sockets ---------------------------------------------------------- */

/* Resolve host/port (IPv4 or IPv6, getaddrinfo) and return a UDP socket
 * connected to the first address that works, or -1 (message printed). */
int nd_udp_connect(const char *host, const char *port);

/* Resolve host/port and return a UDP socket bound to the first address
 * that works, or -1 (message printed). Port "0" picks a free port. */
int nd_udp_bind(const char *host, const char *port);

/* Format a socket address as "ip:port" ("[ip]:port" for IPv6). */
void nd_addr_str(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap);

/* Format the local address of a socket (see nd_addr_str). */
void nd_sock_name(int fd, char *buf, size_t cap);

/* Clear the fields of a received address that may differ between
 * datagrams of the same peer (sin_zero, sin6_flowinfo), so the raw bytes
 * can serve as the endpoint's opaque peer address. */
void nd_normalize_addr(struct sockaddr_storage *ss);

/* ---- Event loop ------------------------------------------------------- */

/* Set by SIGINT/SIGTERM (see nd_install_signal_handlers). */
extern volatile sig_atomic_t nd_stop;

/* Install SIGINT/SIGTERM handlers that set nd_stop (without SA_RESTART,
 * so a blocked poll() returns) and ignore SIGPIPE. */
void nd_install_signal_handlers(void);

/* Combine the library's timer (status and ms from nanodtls_timeout_ms or
 * nanodtls_endpoint_timeout_ms) with an optional absolute deadline
 * (0 = none) into a poll() timeout: -1 = wait forever. */
int nd_poll_timeout(nanodtls_status timer_st, uint32_t timer_ms, uint64_t deadline, uint64_t now);

/* poll() that treats EINTR as "nothing happened" (the caller checks
 * nd_stop). Returns the number of ready descriptors, 0, or -1 on error. */
int nd_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);

/* ---- Reading lines from stdin ----------------------------------------- */

#define ND_LINE_BUF 4096

/* Accumulates bytes from a descriptor and hands out lines. */
typedef struct nd_line_reader {
    char buf[ND_LINE_BUF];
    size_t len;
    int eof;
} nd_line_reader;

/* read() once from `fd` into the reader. Returns 1 while the input is
 * open, 0 at end of file or on a read error (r->eof is then set). */
int nd_line_reader_fill(nd_line_reader *r, int fd);

/* Take the next piece to send into out[0..*out_len]: a complete line
 * including its "\n"; or, for a line longer than `max`, its next `max`
 * bytes; or, at end of file, the unterminated rest. Returns 1 if a piece
 * was taken, 0 if more input is needed. `out` must hold `max` bytes. */
int nd_line_reader_next(nd_line_reader *r, size_t max, uint8_t *out, size_t *out_len);

#endif /* NANODTLS_POSIX_COMMON_H */
