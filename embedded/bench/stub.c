/*
 * Stand-ins for every nanodtls function that bench.c and linktest.c call,
 * so that the same application can be linked WITHOUT the library. The
 * flash of the library "as linked" is then (real image) - (stub image).
 * These images are only linked, never run.
 */
#include "nanodtls.h"

static volatile int32_t g_ret;
static const char g_str[] = "";

#define STUB_STATUS(name, ...) \
    nanodtls_status name(__VA_ARGS__) { return g_ret; }

const char *nanodtls_status_str(nanodtls_status s) { (void)s; return g_str; }
const char *nanodtls_suite_name(uint16_t s) { (void)s; return g_str; }
size_t nanodtls_ctx_size(void) { return (size_t)g_ret; }
void nanodtls_set_panic_hook(nanodtls_panic_hook_fn hook) { (void)hook; }
nanodtls_status nanodtls_set_aes_hook(const struct nanodtls_aes_hook *h) { (void)h; return g_ret; }
int32_t nanodtls_state(struct nanodtls_ctx *ctx) { (void)ctx; return g_ret; }

#define U __attribute__((unused))
STUB_STATUS(nanodtls_config_default, struct nanodtls_config *c U, uint8_t r U)
STUB_STATUS(nanodtls_init, struct nanodtls_ctx *c U, size_t s U, const struct nanodtls_config *g U,
            const struct nanodtls_platform *p U)
STUB_STATUS(nanodtls_deinit, struct nanodtls_ctx *c U)
STUB_STATUS(nanodtls_set_psk, struct nanodtls_ctx *c U, const uint8_t *i U, size_t il U, const uint8_t *k U,
            size_t kl U)
STUB_STATUS(nanodtls_connect, struct nanodtls_ctx *c U)
STUB_STATUS(nanodtls_feed, struct nanodtls_ctx *c U, uint8_t *d U, size_t l U, struct nanodtls_input *in U)
STUB_STATUS(nanodtls_poll_datagram, struct nanodtls_ctx *c U, uint8_t *o U, size_t cap U, size_t *l U)
STUB_STATUS(nanodtls_write, struct nanodtls_ctx *c U, const uint8_t *d U, size_t l U, uint8_t *o U, size_t cap U,
            size_t *ol U)
STUB_STATUS(nanodtls_timeout_ms, struct nanodtls_ctx *c U, uint32_t *ms U)
STUB_STATUS(nanodtls_handle_timeout, struct nanodtls_ctx *c U)
STUB_STATUS(nanodtls_error, struct nanodtls_ctx *c U)
STUB_STATUS(nanodtls_get_suite, struct nanodtls_ctx *c U, uint16_t *s U)
STUB_STATUS(nanodtls_close, struct nanodtls_ctx *c U)
STUB_STATUS(nanodtls_set_own_key, struct nanodtls_ctx *c U, const uint8_t *k U, size_t l U)
STUB_STATUS(nanodtls_get_own_spki, struct nanodtls_ctx *c U, uint8_t *o U, size_t cap U, size_t *l U)
STUB_STATUS(nanodtls_add_trusted_key, struct nanodtls_ctx *c U, const uint8_t *s U, size_t l U)
STUB_STATUS(nanodtls_get_peer_key_hash, struct nanodtls_ctx *c U, uint8_t *o U, size_t cap U)
/* Trusted-third-party modes (bench.c with BENCH_DK / BENCH_AUTHZ). */
STUB_STATUS(nanodtls_ta_add, struct nanodtls_ctx *c U, const uint8_t *i U, size_t il U, const uint8_t *k U,
            size_t kl U, size_t dl U)
STUB_STATUS(nanodtls_get_ta_peer, struct nanodtls_ctx *c U, struct nanodtls_ta_peer *p U)
STUB_STATUS(nanodtls_ttp_derive, const uint8_t *i U, size_t il U, const uint8_t *k U, size_t kl U,
            const uint8_t *ci U, size_t cil U, uint32_t s U, size_t l U, uint8_t *no U, size_t nc U, size_t *nl U,
            uint8_t *ko U, size_t kc U)
STUB_STATUS(nanodtls_authz_cert_encode, const uint8_t *i U, size_t il U, const uint8_t *k U, size_t kl U,
            uint32_t s U, const uint8_t *sp U, size_t spl U, uint8_t *o U, size_t oc U, size_t *ol U)
STUB_STATUS(nanodtls_set_authz_cert, struct nanodtls_ctx *c U, const uint8_t *m U, size_t l U)
STUB_STATUS(nanodtls_set_authz_server_key, struct nanodtls_ctx *c U, const uint8_t *k U, size_t l U)
#ifdef BENCH_X509
STUB_STATUS(nanodtls_set_own_certificate, struct nanodtls_ctx *c U, const uint8_t *d U, size_t l U)
STUB_STATUS(nanodtls_add_ca, struct nanodtls_ctx *c U, const uint8_t *d U, size_t l U)
STUB_STATUS(nanodtls_set_wall_clock, struct nanodtls_ctx *c U, nanodtls_wall_clock_fn f U, void *u U)
STUB_STATUS(nanodtls_set_server_name, struct nanodtls_ctx *c U, const uint8_t *n U, size_t l U)
STUB_STATUS(nanodtls_peer_x509, struct nanodtls_ctx *c U, struct nanodtls_x509_peer *o U)
#endif
