/*
 * nanodtls Zephyr sample: a DTLS 1.2 PSK client (RFC 7925 profile).
 *
 * One UDP socket connected to CONFIG_NANODTLS_SAMPLE_SERVER_ADDR:PORT, the
 * sans-IO loop of nanodtls on top of it, sys_csrand_get() as the RNG,
 * k_uptime_get() as the clock, k_panic() as the library's panic hook. Once
 * the handshake completes it sends CONFIG_NANODTLS_SAMPLE_MESSAGE, prints
 * what comes back (e.g. from `nanodtls-server --echo`), and closes.
 *
 * SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>
#include <zephyr/sys/printk.h>
#if __has_include(<zephyr/random/random.h>)
#include <zephyr/random/random.h>
#else
#include <zephyr/random/rand32.h> /* Zephyr < 3.5 */
#endif

#include <nanodtls.h>

/* Zephyr 4.3 prefixed the socket address types and constants with net_ /
 * NET_; older releases have the BSD names. */
#if defined(NET_AF_INET)
#define ND_AF_INET NET_AF_INET
#define ND_SOCK_DGRAM NET_SOCK_DGRAM
#define ND_IPPROTO_UDP NET_IPPROTO_UDP
#define ND_HTONS(x) net_htons(x)
typedef struct net_sockaddr_in nd_sockaddr_in;
typedef struct net_sockaddr nd_sockaddr;
#else
#define ND_AF_INET AF_INET
#define ND_SOCK_DGRAM SOCK_DGRAM
#define ND_IPPROTO_UDP IPPROTO_UDP
#define ND_HTONS(x) htons(x)
typedef struct sockaddr_in nd_sockaddr_in;
typedef struct sockaddr nd_sockaddr;
#endif

/* Datagrams: the MTU we configure (the library's default, NANODTLS_MTU),
 * and the one buffer everything goes through: received datagrams are
 * decrypted in place in it (the application data is read from there),
 * our datagrams are polled and sealed into it. The library keeps no
 * datagram of its own. */
#define ND_MTU NANODTLS_MTU
#define ND_DGRAM_MAX (NANODTLS_MTU > 1280 ? NANODTLS_MTU : 1280)

static nanodtls_ctx g_ctx; /* NANODTLS_CTX_SIZE bytes, static storage */
static uint8_t g_dgram[ND_DGRAM_MAX];

static int rng(void *user, uint8_t *buf, size_t len)
{
	ARG_UNUSED(user);
	return sys_csrand_get(buf, len) == 0 ? 0 : -1;
}

static uint64_t now_ms(void *user)
{
	ARG_UNUSED(user);
	return (uint64_t)k_uptime_get();
}

/* The library never panics by design; if a bug makes it, stop the system
 * the Zephyr way (fatal error handler, then halt or reboot). */
static void on_panic(void)
{
	printk("nanodtls: panic\n");
	k_panic();
}

static int hex_value(char c)
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

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (n == 0 || n % 2 != 0 || n / 2 > cap) {
		return -EINVAL;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_value(s[2 * i]);
		int lo = hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/* Send every datagram the library has queued. */
static int flush(int sock)
{
	size_t n;
	nanodtls_status st;

	while ((st = nanodtls_poll_datagram(&g_ctx, g_dgram, sizeof(g_dgram), &n)) ==
	       NANODTLS_OK) {
		if (zsock_send(sock, g_dgram, n, 0) < 0) {
			printk("send failed: %d\n", errno);
			/* UDP: a lost datagram is retransmitted by the library. */
		}
	}
	return st == NANODTLS_DONE ? 0 : st;
}

static int setup_socket(void)
{
	nd_sockaddr_in addr = {0};
	int sock = zsock_socket(ND_AF_INET, ND_SOCK_DGRAM, ND_IPPROTO_UDP);

	if (sock < 0) {
		printk("socket failed: %d\n", errno);
		return -1;
	}
	addr.sin_family = ND_AF_INET;
	addr.sin_port = ND_HTONS(CONFIG_NANODTLS_SAMPLE_SERVER_PORT);
	if (zsock_inet_pton(ND_AF_INET, CONFIG_NANODTLS_SAMPLE_SERVER_ADDR, &addr.sin_addr) != 1) {
		printk("bad server address %s\n", CONFIG_NANODTLS_SAMPLE_SERVER_ADDR);
		zsock_close(sock);
		return -1;
	}
	if (zsock_connect(sock, (nd_sockaddr *)&addr, sizeof(addr)) < 0) {
		printk("connect failed: %d\n", errno);
		zsock_close(sock);
		return -1;
	}
	return sock;
}

static int run(int sock)
{
	static const char identity[] = CONFIG_NANODTLS_SAMPLE_PSK_IDENTITY;
	uint8_t key[NANODTLS_MAX_PSK_KEY];
	size_t key_len = 0;
	nanodtls_config cfg;
	nanodtls_platform plat = {.rng = rng, .now_ms = now_ms, .user = NULL};
	nanodtls_status st;
	bool sent = false;
	int64_t deadline = k_uptime_get() + (int64_t)CONFIG_NANODTLS_SAMPLE_TIMEOUT_S * 1000;

	if (parse_hex(CONFIG_NANODTLS_SAMPLE_PSK_HEX, key, sizeof(key), &key_len) != 0) {
		printk("CONFIG_NANODTLS_SAMPLE_PSK_HEX is not valid hex (max %d bytes)\n",
		       NANODTLS_MAX_PSK_KEY);
		return -1;
	}
	nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT);
	cfg.mtu = ND_MTU;
	if (NANODTLS_MTU < 1280) {
		cfg.max_fragment_length = 512; /* small-buffer build */
	}
	st = nanodtls_init(&g_ctx, sizeof(g_ctx), &cfg, &plat);
	if (st == NANODTLS_OK) {
		st = nanodtls_set_psk(&g_ctx, (const uint8_t *)identity, sizeof(identity) - 1, key,
				      key_len);
	}
	memset(key, 0, sizeof(key));
	if (st == NANODTLS_OK) {
		st = nanodtls_connect(&g_ctx);
	}
	if (st != NANODTLS_OK) {
		printk("nanodtls setup failed: %s\n", nanodtls_status_str(st));
		return -1;
	}
	printk("DTLS handshake with %s:%d ...\n", CONFIG_NANODTLS_SAMPLE_SERVER_ADDR,
	       CONFIG_NANODTLS_SAMPLE_SERVER_PORT);

	for (;;) {
		uint32_t wait_ms = 1000;
		struct zsock_pollfd pfd = {.fd = sock, .events = ZSOCK_POLLIN};
		int r;
		bool got_reply = false;

		st = flush(sock);
		if (st != NANODTLS_OK) {
			break;
		}
		if (k_uptime_get() > deadline) {
			printk("giving up after %d s\n", CONFIG_NANODTLS_SAMPLE_TIMEOUT_S);
			st = NANODTLS_E_TIMEOUT;
			break;
		}
		if (nanodtls_timeout_ms(&g_ctx, &wait_ms) == NANODTLS_DONE) {
			wait_ms = 1000;
		}
		r = zsock_poll(&pfd, 1, (int)MIN(wait_ms, 1000u));
		if (r > 0 && (pfd.revents & ZSOCK_POLLIN)) {
			ssize_t got = zsock_recv(sock, g_dgram, sizeof(g_dgram), 0);

			size_t at = 0;

			/* One application record per call; MORE: records are left. */
			while (got > 0 && at < (size_t)got) {
				nanodtls_input in;

				st = nanodtls_feed(&g_ctx, g_dgram + at, (size_t)got - at, &in);
				if (st < 0) {
					break;
				}
				if (in.app_data != NULL) {
					printk("received %u bytes: %.*s\n", (unsigned int)in.app_len,
					       (int)in.app_len, (const char *)in.app_data);
					got_reply = sent;
				}
				at += in.consumed;
				if (st != NANODTLS_MORE) {
					break;
				}
			}
		} else if (r == 0) {
			st = nanodtls_handle_timeout(&g_ctx);
		}
		if (st < 0) {
			nanodtls_alert alert;

			nanodtls_last_alert(&g_ctx, &alert);
			printk("DTLS failed: %s (alert %s)\n", nanodtls_status_str(st),
			       nanodtls_alert_name(alert.description));
			break;
		}
		if (got_reply) {
			nanodtls_close(&g_ctx);
			flush(sock);
			printk("done\n");
			return 0;
		}
		if (!sent && nanodtls_state(&g_ctx) == NANODTLS_STATE_CONNECTED) {
			static const char msg[] = CONFIG_NANODTLS_SAMPLE_MESSAGE;
			uint16_t suite = 0;

			nanodtls_get_suite(&g_ctx, &suite);
			printk("HANDSHAKE OK %s\n", nanodtls_suite_name(suite));
			size_t n = 0;

			/* Sealed straight into the datagram buffer, then sent. */
			st = nanodtls_write(&g_ctx, (const uint8_t *)msg, sizeof(msg) - 1, g_dgram,
					    sizeof(g_dgram), &n);
			if (st != NANODTLS_OK) {
				printk("write failed: %s\n", nanodtls_status_str(st));
				break;
			}
			if (zsock_send(sock, g_dgram, n, 0) < 0) {
				printk("send failed: %d\n", errno);
			}
			sent = true;
		}
	}
	return st == NANODTLS_OK ? 0 : -1;
}

int main(void)
{
	int sock;
	int ret;

	nanodtls_set_panic_hook(on_panic);
	printk("nanodtls %s, context %u bytes\n", nanodtls_version(), (unsigned int)sizeof(g_ctx));
	sock = setup_socket();
	if (sock < 0) {
		return 0;
	}
	ret = run(sock);
	nanodtls_deinit(&g_ctx);
	zsock_close(sock);
	printk(ret == 0 ? "nanodtls sample: success\n" : "nanodtls sample: FAILED\n");
	return 0;
}
