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
#include <time.h>
#include <unistd.h>

#if defined(ND_HAVE_GETRANDOM)
#include <sys/random.h>
#endif

int nd_verbose = 0;
volatile sig_atomic_t nd_stop = 0;

/* ---- Diagnostics ------------------------------------------------------ */

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

const char *nd_state_name(int32_t state)
{
    switch (state) {
    case NANODTLS_STATE_IDLE: return "IDLE";
    case NANODTLS_STATE_HANDSHAKING: return "HANDSHAKING";
    case NANODTLS_STATE_CONNECTED: return "CONNECTED";
    case NANODTLS_STATE_CLOSED: return "CLOSED";
    case NANODTLS_STATE_FAILED: return "FAILED";
    default: return nanodtls_status_str(state);
    }
}

void nd_print_failure(const char *what, nanodtls_status st, const nanodtls_alert *alert)
{
    fprintf(stderr, "FAILED: %s%s%s", what ? what : "", what ? ": " : "", nanodtls_status_str(st));
    if (alert != NULL && alert->level != 0) {
        fprintf(stderr, " (alert %s %s)", nanodtls_alert_name(alert->description),
                alert->sent ? "sent" : "received");
    }
    fputc('\n', stderr);
    fflush(stderr);
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
