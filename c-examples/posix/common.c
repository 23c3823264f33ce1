/*
 * Shared helpers of the POSIX example tools. See common.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <time.h>
#include <unistd.h>

#if defined(ND_HAVE_GETRANDOM)
#include <sys/random.h>
#endif

int nd_verbose = 0;
volatile sig_atomic_t nd_stop = 0;

/* ---- Diagnostics ------------------------------------------------------ */

int nd_usage_error(const char *prog, void (*usage)(FILE *out), const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    usage(stderr);
    return ND_EXIT_USAGE;
}

void nd_vlog(const char *fmt, ...)
{
    va_list ap;

    if (!nd_verbose) {
        return;
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The library's log hook: one line per message on stderr. */
static void nd_library_log(void *user, uint8_t level, const char *msg, size_t len)
{
    static const char *const names[] = {"?", "ERROR", "WARN", "INFO", "DEBUG"};

    (void)user;
    fprintf(stderr, "nanodtls[%s] %.*s\n", level <= NANODTLS_LOG_DEBUG ? names[level] : "?", (int)len, msg);
}

void nd_enable_library_log(void)
{
    nanodtls_status st = nanodtls_set_log_hook(nd_library_log, NULL, NANODTLS_LOG_DEBUG);

    if (st == NANODTLS_E_UNSUPPORTED) {
        nd_vlog("library log: not available (nanodtls built without the `log` feature)");
    } else if (st != NANODTLS_OK) {
        nd_vlog("library log: %s", nanodtls_status_str(st));
    }
}

const char *nd_state_name(int32_t state)
{
    return nanodtls_state_name(state);
}

void nd_print_failure(const char *what, nanodtls_status st, const nanodtls_alert *alert)
{
    fprintf(stderr, "FAILED: %s%s%s", what ? what : "", what ? ": " : "", nanodtls_status_str(st));
    if (alert != NULL && alert->level != 0) {
        const char *name = nanodtls_alert_name(alert->description);
        fprintf(stderr, " (alert %s", name);
        if (strcmp(name, "unknown_alert") == 0) {
            /* e.g. 112 unrecognized_name, which the library sends but
             * nanodtls_alert_name() does not name */
            fprintf(stderr, "(%u)", (unsigned)alert->description);
        }
        fprintf(stderr, " %s)", alert->sent ? "sent" : "received");
    }
    fputc('\n', stderr);
    fflush(stderr);
}

void nd_vlog_stats(const char *who, const nanodtls_stats *st)
{
    nd_vlog("%s stats: rx %u dgrams / %u records, tx %u dgrams / %u records, retransmits %u, "
            "peer retransmits %u, dropped: malformed %u auth %u replay %u epoch %u unexpected %u "
            "oversize %u future %u rejected %u",
            who, st->rx_datagrams, st->rx_records, st->tx_datagrams, st->tx_records, st->retransmits,
            st->peer_retransmits, st->dropped_malformed, st->dropped_auth, st->dropped_replay, st->dropped_epoch,
            st->dropped_unexpected, st->dropped_oversize, st->dropped_future, st->dropped_rejected);
}

void nd_print_recv(const uint8_t *data, size_t len)
{
    if (len > 0 && data[len - 1] == '\n') {
        len--;
        if (len > 0 && data[len - 1] == '\r') {
            len--;
        }
    }
    fputs("RECV ", stdout);
    if (len > 0) {
        fwrite(data, 1, len, stdout);
    }
    fputc('\n', stdout);
    fflush(stdout);
}

void nd_print_escaped(const uint8_t *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (data[i] >= 0x21 && data[i] <= 0x7e && data[i] != '\\') {
            fputc(data[i], stdout);
        } else {
            fprintf(stdout, "\\x%02x", (unsigned)data[i]);
        }
    }
}

/* ---- Command-line parsing --------------------------------------------- */

int nd_opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0) {
        return 0;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') {
        return 0; /* a longer option with the same prefix */
    }
    if (*i + 1 >= argc) {
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

int nd_match_option(int argc, char **argv, int *i, const char *const *names, int n_names, const char **value,
                    int *which)
{
    int k;

    for (k = 0; k < n_names; k++) {
        int m = nd_opt_value(argc, argv, i, names[k], value);
        if (m > 0) {
            return k;
        }
        if (m < 0) {
            *which = k;
            return -2;
        }
    }
    return -1;
}

void nd_wipe(void *p, size_t n)
{
    volatile unsigned char *b = (volatile unsigned char *)p;
    while (n-- > 0) {
        *b++ = 0;
    }
}

int nd_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    const char *p;

    if (s == NULL || *s == '\0') {
        return -1;
    }
    for (p = s; *p != '\0'; p++) {
        unsigned d;
        if (*p < '0' || *p > '9') {
            return -1;
        }
        d = (unsigned)(*p - '0');
        if (d > max || v > (max - d) / 10) {
            return -1; /* above max (and so never overflows) */
        }
        v = v * 10 + d;
    }
    if (v < min) {
        return -1;
    }
    *out = v;
    return 0;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int nd_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n % 2 != 0 || n / 2 > cap) {
        return -1;
    }
    for (i = 0; i < n / 2; i++) {
        int hi = hex_nibble(s[2 * i]);
        int lo = hex_nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return 0;
}

void nd_print_hex(const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        fprintf(stdout, "%02x", (unsigned)data[i]);
    }
}

/* ---- Cipher suites ----------------------------------------------------- */

static const struct {
    const char *iana;
    const char *short_name;
    uint16_t code;
} suite_table[] = {
    {"TLS_PSK_WITH_AES_128_CCM_8", "PSK-AES128-CCM8", NANODTLS_SUITE_PSK_AES_128_CCM_8},
    {"TLS_PSK_WITH_AES_128_CCM", "PSK-AES128-CCM", NANODTLS_SUITE_PSK_AES_128_CCM},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8", NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM_8},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM", NANODTLS_SUITE_ECDHE_ECDSA_AES_128_CCM},
    {"TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", "ECDHE-PSK-AES128-CCM8", NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM_8},
    {"TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", "ECDHE-PSK-AES128-CCM", NANODTLS_SUITE_ECDHE_PSK_AES_128_CCM},
};

/* ASCII case-insensitive comparison (strcasecmp is not C99). */
static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a);
        int cb = tolower((unsigned char)*b);
        if (ca != cb) {
            return ca - cb;
        }
        if (ca == 0) {
            return 0;
        }
    }
}

int nd_parse_suite(const char *name, uint16_t *suite)
{
    size_t k;
    for (k = 0; k < sizeof suite_table / sizeof suite_table[0]; k++) {
        if (ascii_casecmp(name, suite_table[k].iana) == 0 || ascii_casecmp(name, suite_table[k].short_name) == 0) {
            *suite = suite_table[k].code;
            return 0;
        }
    }
    return -1;
}

/* ---- Files, PEM and credentials ----------------------------------------- */

/* Our certificate: the library borrows it for the life of the context, so
 * it lives in static storage rather than on a stack. */
/* Our certificate chain (leaf first) and the --ca anchors: borrowed by
 * the library, so static. */
static uint8_t g_cert_der[ND_CERT_DER_MAX];
static uint8_t g_ca_der[ND_FILE_MAX];

int nd_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY);
    size_t got = 0;

    if (fd < 0) {
        return -1;
    }
    for (;;) {
        ssize_t r;
        if (got == cap) {
            uint8_t extra;
            do {
                r = read(fd, &extra, 1);
            } while (r < 0 && errno == EINTR);
            close(fd);
            if (r != 0) {
                errno = r > 0 ? EFBIG : errno;
                return -1;
            }
            break;
        }
        r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0) {
            close(fd);
            break;
        }
        got += (size_t)r;
    }
    *len = got;
    return 0;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

int nd_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    uint32_t acc = 0;
    unsigned bits = 0;   /* valid bits in acc */
    unsigned quad = 0;   /* symbols (including '=') in the current group of 4 */
    unsigned pad = 0;
    size_t n = 0;
    size_t i;

    for (i = 0; i < in_len; i++) {
        char c = in[i];
        int v;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (c == '=') {
            /* Only at the end of a group: "xx==" or "xxx=". */
            if (quad < 2) {
                return -1;
            }
            pad++;
            quad++;
            if (quad == 4) {
                quad = 0;
            }
            continue;
        }
        if (pad > 0) {
            return -1; /* data after padding */
        }
        v = b64_value(c);
        if (v < 0) {
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        quad = (quad + 1) % 4;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap) {
                return -1;
            }
            out[n++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    if (quad != 0 || pad > 2) {
        return -1; /* truncated group */
    }
    *out_len = n;
    return 0;
}

/* Find `needle` in hay[0..hay_len]; NULL if absent. */
static const char *find_bytes(const char *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    size_t i;
    if (n > hay_len) {
        return NULL;
    }
    for (i = 0; i + n <= hay_len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return hay + i;
        }
    }
    return NULL;
}

static uint8_t g_file_buf[ND_FILE_MAX];

int nd_load_der(const char *path, const char *const *labels, uint8_t *out, size_t cap, size_t *out_len, int *which,
                char *err, size_t err_cap)
{
    size_t len = 0;
    const char *text = (const char *)g_file_buf;
    const char *p;
    const char *end;
    int rc = -1;

    if (nd_read_file(path, g_file_buf, sizeof g_file_buf, &len) != 0) {
        snprintf(err, err_cap, "%s: %s", path, errno == EFBIG ? "file too large" : strerror(errno));
        return -1;
    }
    if (len > 0 && g_file_buf[0] == 0x30) {
        /* DER: an ASN.1 SEQUENCE. */
        if (len > cap) {
            snprintf(err, err_cap, "%s: DER object too large (%zu bytes, at most %zu)", path, len, cap);
            goto out;
        }
        memcpy(out, g_file_buf, len);
        *out_len = len;
        *which = -1;
        rc = 0;
        goto out;
    }
    p = text;
    end = text + len;
    for (;;) {
        const char *begin = find_bytes(p, (size_t)(end - p), "-----BEGIN ");
        const char *label;
        const char *label_end;
        const char *body;
        const char *stop;
        size_t label_len;
        int k;

        if (begin == NULL) {
            break;
        }
        label = begin + 11;
        label_end = find_bytes(label, (size_t)(end - label), "-----");
        if (label_end == NULL) {
            break;
        }
        label_len = (size_t)(label_end - label);
        body = label_end + 5;
        stop = find_bytes(body, (size_t)(end - body), "-----END ");
        if (stop == NULL) {
            snprintf(err, err_cap, "%s: PEM block without an END line", path);
            goto out;
        }
        if (label_len == 21 && memcmp(label, "ENCRYPTED PRIVATE KEY", 21) == 0) {
            snprintf(err, err_cap, "%s: encrypted private keys are not supported (decrypt it with "
                                   "`openssl pkey -in FILE -out PLAIN`)", path);
            goto out;
        }
        for (k = 0; labels[k] != NULL; k++) {
            if (strlen(labels[k]) == label_len && memcmp(labels[k], label, label_len) == 0) {
                break;
            }
        }
        if (labels[k] != NULL) {
            /* RFC 7468 allows no headers in these blocks: reject "Proc-Type"
             * (encrypted legacy keys) explicitly for a clear message. */
            if (find_bytes(body, (size_t)(stop - body), ":") != NULL) {
                snprintf(err, err_cap, "%s: encrypted or non-standard PEM (headers) is not supported", path);
                goto out;
            }
            if (nd_base64_decode(body, (size_t)(stop - body), out, cap, out_len) != 0 || *out_len == 0) {
                snprintf(err, err_cap, "%s: bad base64 in the PEM block (or larger than %zu bytes)", path, cap);
                goto out;
            }
            *which = k;
            rc = 0;
            goto out;
        }
        p = stop + 9;
    }
    {
        /* Name what was expected. */
        size_t used = (size_t)snprintf(err, err_cap, "%s: neither DER nor a PEM block of type", path);
        int k;
        for (k = 0; labels[k] != NULL && used < err_cap; k++) {
            used += (size_t)snprintf(err + used, err_cap - used, "%s \"%s\"", k == 0 ? "" : " or", labels[k]);
        }
    }
out:
    nd_wipe(g_file_buf, len < sizeof g_file_buf ? len : sizeof g_file_buf); /* may hold a private key */
    return rc;
}

/* Every "CERTIFICATE" block of the PEM file `path` (or the single DER
 * certificate it is), DER back to back into out[0..cap]; the start and
 * length of each into starts/lens (at most max). Returns the count (>= 1)
 * or -1 with a message in err. */
static int load_certs(const char *path, uint8_t *out, size_t cap, size_t *used, size_t *starts, size_t *lens,
                      int max, char *err, size_t err_cap)
{
    size_t len = 0;
    const char *p;
    const char *end;
    int n = 0;

    if (nd_read_file(path, g_file_buf, sizeof g_file_buf, &len) != 0) {
        snprintf(err, err_cap, "%s: %s", path, errno == EFBIG ? "file too large" : strerror(errno));
        return -1;
    }
    if (len > 0 && g_file_buf[0] == 0x30) {
        if (len > cap - *used || max < 1) {
            snprintf(err, err_cap, "%s: too large", path);
            return -1;
        }
        memcpy(out + *used, g_file_buf, len);
        starts[0] = *used;
        lens[0] = len;
        *used += len;
        return 1;
    }
    p = (const char *)g_file_buf;
    end = p + len;
    for (;;) {
        const char *begin = find_bytes(p, (size_t)(end - p), "-----BEGIN CERTIFICATE-----");
        const char *stop;
        size_t n_der = 0;
        if (begin == NULL) {
            break;
        }
        begin += 27;
        stop = find_bytes(begin, (size_t)(end - begin), "-----END CERTIFICATE-----");
        if (stop == NULL) {
            snprintf(err, err_cap, "%s: PEM block without an END line", path);
            return -1;
        }
        if (n >= max) {
            snprintf(err, err_cap, "%s: more than %d certificates", path, max);
            return -1;
        }
        if (nd_base64_decode(begin, (size_t)(stop - begin), out + *used, cap - *used, &n_der) != 0 || n_der == 0) {
            snprintf(err, err_cap, "%s: bad base64 in a CERTIFICATE block (or too large)", path);
            return -1;
        }
        starts[n] = *used;
        lens[n] = n_der;
        *used += n_der;
        n++;
        p = stop + 25;
    }
    if (n == 0) {
        snprintf(err, err_cap, "%s: neither DER nor PEM \"CERTIFICATE\" blocks", path);
        return -1;
    }
    return n;
}

int nd_wall_clock(void *user, uint64_t *secs)
{
    time_t t = time(NULL);
    (void)user;
    if (t == (time_t)-1) {
        return -1;
    }
    *secs = (uint64_t)t;
    return 0;
}

int nd_x509_setup_ctx(nanodtls_ctx *ctx, const nd_creds *c)
{
    nanodtls_status st;
    int k;
    for (k = 0; k < c->n_ca; k++) {
        st = nanodtls_add_ca(ctx, c->ca[k], c->ca_len[k]);
        if (st != NANODTLS_OK) {
            nd_print_failure("--ca (a P-256 CA certificate or key?)", st, NULL);
            return -1;
        }
    }
    if (c->n_ca > 0 && !c->time_none) {
        st = nanodtls_set_wall_clock(ctx, nd_wall_clock, NULL);
        if (st != NANODTLS_OK) {
            nd_print_failure("set_wall_clock", st, NULL);
            return -1;
        }
    }
    return 0;
}

int nd_x509_setup_ep(nanodtls_endpoint *ep, const nd_creds *c)
{
    nanodtls_status st;
    int k;
    for (k = 0; k < c->n_ca; k++) {
        st = nanodtls_endpoint_add_ca(ep, c->ca[k], c->ca_len[k]);
        if (st != NANODTLS_OK) {
            nd_print_failure("--ca (a P-256 CA certificate or key?)", st, NULL);
            return -1;
        }
    }
    if (c->n_ca > 0 && !c->time_none) {
        st = nanodtls_endpoint_set_wall_clock(ep, nd_wall_clock, NULL);
        if (st != NANODTLS_OK) {
            nd_print_failure("set_wall_clock", st, NULL);
            return -1;
        }
    }
    return 0;
}

void nd_print_x509_peer(const nanodtls_x509_peer *p, const char *name)
{
    int k;
    switch (p->kind) {
    case NANODTLS_X509_PEER_NAME:
        printf("PEER-NAME %s\n", name != NULL ? name : "?");
        break;
    case NANODTLS_X509_PEER_EUI64:
        fputs("PEER-EUI64 ", stdout);
        for (k = 0; k < 8; k++) {
            printf(k == 0 ? "%02X" : "-%02X", p->eui64[k]);
        }
        putchar('\n');
        break;
    case NANODTLS_X509_PEER_UNCHECKED:
        puts("PEER-UNCHECKED");
        break;
    default:
        break;
    }
}

void nd_print_x509_refusal(const nanodtls_x509_peer *p)
{
    if (p->reason != 0) {
        fprintf(stderr, "X509-REFUSED %s (%s)\n", nanodtls_x509_reason_str(p->reason), nanodtls_alert_name(p->alert));
    }
}

int nd_creds_option(int argc, char **argv, int *i, nd_creds *c, char *err, size_t err_cap)
{
    static const char *const names[] = {"--psk-id", "--psk", "--key", "--cert", "--rpk-peer", "--suite",
                                        "--ca", "--verify-name", "--time"};
    const char *v = NULL;
    int which = 0;
    int k = nd_match_option(argc, argv, i, names, (int)(sizeof names / sizeof names[0]), &v, &which);

    switch (k) {
    case -1:
        return 0;
    case -2:
        snprintf(err, err_cap, "option %s needs a value", names[which]);
        return -1;
    case 0:
        c->psk_id = v;
        return 1;
    case 1:
        c->psk_hex = v;
        return 1;
    case 2:
        c->key_path = v;
        return 1;
    case 3:
        c->cert_path = v;
        return 1;
    case 4:
        if (c->n_peers >= ND_MAX_PEER_KEYS) {
            snprintf(err, err_cap, "at most %d --rpk-peer keys", ND_MAX_PEER_KEYS);
            return -1;
        }
        c->peer_paths[c->n_peers++] = v;
        return 1;
    case 6:
        if (c->n_ca_paths >= ND_MAX_CAS) {
            snprintf(err, err_cap, "at most %d --ca files", ND_MAX_CAS);
            return -1;
        }
        c->ca_paths[c->n_ca_paths++] = v;
        return 1;
    case 7:
        if (strlen(v) == 0 || strlen(v) > NANODTLS_MAX_SERVER_NAME) {
            snprintf(err, err_cap, "bad --verify-name: 1 to %d bytes", NANODTLS_MAX_SERVER_NAME);
            return -1;
        }
        c->verify_name = v;
        return 1;
    case 8:
        if (strcmp(v, "now") == 0) {
            c->time_none = 0;
        } else if (strcmp(v, "none") == 0) {
            c->time_none = 1;
        } else {
            snprintf(err, err_cap, "bad --time '%s': now or none", v);
            return -1;
        }
        return 1;
    case 5: {
        uint16_t code = 0;
        int j;
        if (nd_parse_suite(v, &code) != 0) {
            snprintf(err, err_cap, "unknown --suite '%s' (one of " ND_SUITE_NAMES_HELP ")", v);
            return -1;
        }
        for (j = 0; j < c->n_suites; j++) {
            if (c->suites[j] == code) {
                snprintf(err, err_cap, "--suite %s given twice", v);
                return -1;
            }
        }
        if (c->n_suites >= 4) {
            snprintf(err, err_cap, "at most 4 --suite options");
            return -1;
        }
        c->suites[c->n_suites++] = code;
        return 1;
    }
    default:
        return 0;
    }
}

int nd_creds_load(nd_creds *c, char *err, size_t err_cap)
{
    static const char *const key_labels[] = {"EC PRIVATE KEY", "PRIVATE KEY", NULL};
    static const char *const cert_labels[] = {"CERTIFICATE", NULL};
    static const char *const peer_labels[] = {"PUBLIC KEY", "CERTIFICATE", NULL};
    int which = 0;
    int k;

    if ((c->psk_id == NULL) != (c->psk_hex == NULL)) {
        snprintf(err, err_cap, "--psk-id and --psk go together");
        return -1;
    }
    if (c->psk_id != NULL) {
        size_t n = strlen(c->psk_id);
        if (n == 0 || n > NANODTLS_MAX_PSK_IDENTITY) {
            snprintf(err, err_cap, "bad --psk-id: 1 to %d bytes", NANODTLS_MAX_PSK_IDENTITY);
            return -1;
        }
        if (nd_parse_hex(c->psk_hex, c->psk, sizeof c->psk, &c->psk_len) != 0) {
            snprintf(err, err_cap, "bad --psk: an even number of hex digits, 1 to %d bytes", NANODTLS_MAX_PSK_KEY);
            return -1;
        }
    }
    if (c->cert_path != NULL && c->key_path == NULL) {
        snprintf(err, err_cap, "--cert needs --key (the certificate's private key)");
        return -1;
    }
    if (c->key_path != NULL &&
        nd_load_der(c->key_path, key_labels, c->key, sizeof c->key, &c->key_len, &which, err, err_cap) != 0) {
        return -1;
    }
    if (c->cert_path != NULL) {
        /* A PEM chain: the leaf and its intermediates, back to back. */
        size_t used = 0;
        size_t starts[8];
        size_t lens[8];
        (void)cert_labels;
        if (load_certs(c->cert_path, g_cert_der, sizeof g_cert_der, &used, starts, lens, 8, err, err_cap) < 0) {
            return -1;
        }
        c->cert = g_cert_der;
        c->cert_len = used;
    }
    {
        size_t used = 0;
        for (k = 0; k < c->n_ca_paths; k++) {
            size_t starts[ND_MAX_CAS];
            size_t lens[ND_MAX_CAS];
            int n = load_certs(c->ca_paths[k], g_ca_der, sizeof g_ca_der, &used, starts, lens, ND_MAX_CAS - c->n_ca,
                               err, err_cap);
            int j;
            if (n < 0) {
                return -1;
            }
            for (j = 0; j < n; j++) {
                c->ca[c->n_ca] = g_ca_der + starts[j];
                c->ca_len[c->n_ca] = lens[j];
                c->n_ca++;
            }
        }
    }
    for (k = 0; k < c->n_peers; k++) {
        if (nd_load_der(c->peer_paths[k], peer_labels, c->peer_der[k], sizeof c->peer_der[k], &c->peer_len[k],
                        &which, err, err_cap) != 0) {
            return -1;
        }
    }
    return 0;
}

void nd_creds_wipe(nd_creds *c)
{
    nd_wipe(c->psk, sizeof c->psk);
    nd_wipe(c->key, sizeof c->key);
}

int nd_write_private_file(const char *path, const uint8_t *data, size_t len)
{
    size_t done = 0;
    int fd;

    /* O_TRUNC keeps an existing file's mode: force 0600 with fchmod too. */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fchmod(fd, 0600) != 0) {
        fprintf(stderr, "%s: chmod 0600: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            fprintf(stderr, "%s: write: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "%s: close: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- Platform callbacks ----------------------------------------------- */

static int urandom_fill(uint8_t *buf, size_t len)
{
    int fd = open("/dev/urandom", O_RDONLY);
    size_t got = 0;

    if (fd < 0) {
        return -1;
    }
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

int nd_rng(void *user, uint8_t *buf, size_t len)
{
    size_t got = 0;

    (void)user;
#if defined(ND_HAVE_GETRANDOM)
    while (got < len) {
        ssize_t r = getrandom(buf + got, len - got, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0 && errno == ENOSYS) {
            break; /* old kernel: fall back to the device */
        }
        if (r <= 0) {
            return -1;
        }
        got += (size_t)r;
    }
    if (got == len) {
        return 0;
    }
#endif
    return urandom_fill(buf + got, len - got);
}

uint64_t nd_now_ms(void *user)
{
    struct timespec ts;

    (void)user;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void nd_platform_init(nanodtls_platform *p)
{
    memset(p, 0, sizeof *p);
    p->rng = nd_rng;
    p->now_ms = nd_now_ms;
    p->user = NULL;
}

/* ---- Sockets ---------------------------------------------------------- */

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        return -1;
    }
    return 0;
}

/* Shared by nd_udp_connect and nd_udp_bind. */
static int udp_socket(const char *host, const char *port, int passive)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ai;
    int fd = -1;
    int err;
    int last_errno = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    err = getaddrinfo(host, port, &hints, &res);
    if (err != 0) {
        fprintf(stderr, "cannot resolve %s port %s: %s\n", host, port, gai_strerror(err));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (passive) {
            int one = 1;
            (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#if defined(IPV6_V6ONLY)
            if (ai->ai_family == AF_INET6) {
                /* "::" serves IPv4 (as mapped addresses) too. */
                int zero = 0;
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            }
#endif
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && set_nonblocking(fd) == 0) {
                break;
            }
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 && set_nonblocking(fd) == 0) {
            break;
        }
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "cannot %s %s port %s: %s\n", passive ? "bind to" : "connect to", host, port,
                last_errno ? strerror(last_errno) : "no usable address");
    }
    return fd;
}

int nd_udp_connect(const char *host, const char *port)
{
    return udp_socket(host, port, 0);
}

int nd_udp_bind(const char *host, const char *port)
{
    return udp_socket(host, port, 1);
}

void nd_addr_str(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap)
{
    /* NI_MAXHOST/NI_MAXSERV are not POSIX; a numeric IPv6 address with a
     * scope suffix fits easily. */
    char host[INET6_ADDRSTRLEN + 32];
    char serv[16];

    if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, cap, "?");
        return;
    }
    if (sa->sa_family == AF_INET6) {
        snprintf(buf, cap, "[%s]:%s", host, serv);
    } else {
        snprintf(buf, cap, "%s:%s", host, serv);
    }
}

void nd_sock_name(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    memset(&ss, 0, sizeof ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(buf, cap, "?");
        return;
    }
    nd_addr_str((const struct sockaddr *)&ss, len, buf, cap);
}

void nd_normalize_addr(struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        memset(in->sin_zero, 0, sizeof in->sin_zero);
    } else if (ss->ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_flowinfo = 0;
    }
}

/* ---- Event loop ------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    nd_stop = 1;
}

void nd_install_signal_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() returns with EINTR */
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
}

int nd_poll_timeout(nanodtls_status timer_st, uint32_t timer_ms, uint64_t deadline, uint64_t now)
{
    uint64_t wait = UINT64_MAX;

    if (timer_st == NANODTLS_OK) {
        wait = timer_ms;
    }
    if (deadline != 0) {
        uint64_t left = deadline > now ? deadline - now : 0;
        if (left < wait) {
            wait = left;
        }
    }
    if (wait == UINT64_MAX) {
        return -1;
    }
    /* poll() takes an int; wake up at least every minute for long timers. */
    if (wait > 60000u) {
        wait = 60000u;
    }
    return (int)wait;
}

int nd_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    int n = poll(fds, nfds, timeout_ms);
    if (n < 0 && errno == EINTR) {
        nfds_t i;
        for (i = 0; i < nfds; i++) {
            fds[i].revents = 0;
        }
        return 0;
    }
    return n;
}

/* ---- Reading lines from stdin ----------------------------------------- */

int nd_line_reader_fill(nd_line_reader *r, int fd)
{
    ssize_t n;

    if (r->eof) {
        return 0;
    }
    if (r->len >= sizeof r->buf) {
        return 1; /* full: the caller drains it with nd_line_reader_next */
    }
    do {
        n = read(fd, r->buf + r->len, sizeof r->buf - r->len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 1; /* spurious wake-up: nothing lost */
    }
    if (n <= 0) {
        if (n < 0) {
            fprintf(stderr, "stdin: %s\n", strerror(errno));
        }
        r->eof = 1;
        return 0;
    }
    r->len += (size_t)n;
    return 1;
}

int nd_line_reader_next(nd_line_reader *r, size_t max, uint8_t *out, size_t *out_len)
{
    const char *nl;
    size_t take;

    if (r->len == 0 || max == 0) {
        return 0;
    }
    nl = memchr(r->buf, '\n', r->len);
    if (nl != NULL) {
        take = (size_t)(nl - r->buf) + 1;
    } else if (r->eof || r->len >= sizeof r->buf || r->len >= max) {
        take = r->len; /* unterminated tail, or a line too long to buffer */
    } else {
        return 0;
    }
    if (take > max) {
        take = max;
    }
    memcpy(out, r->buf, take);
    memmove(r->buf, r->buf + take, r->len - take);
    r->len -= take;
    *out_len = take;
    return 1;
}
