/*
 * Sizes and alignment of the opaque objects: the header's compile-time
 * constants, sizeof() and the library's own values must agree, and the
 * objects must work in static storage.
 *
 * Built twice: as C99 (alignment measured with the offsetof idiom) and as
 * C11 (_Alignof and _Static_assert).
 */
#include <stddef.h>
#include <string.h>

#include "harness.h"

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define T_C11 1
_Static_assert(sizeof(nanodtls_ctx) == NANODTLS_CTX_SIZE, "ctx size");
_Static_assert(sizeof(nanodtls_endpoint) == NANODTLS_ENDPOINT_SIZE, "endpoint size");
_Static_assert(sizeof(nanodtls_peer) == NANODTLS_PEER_SIZE, "peer size");
_Static_assert(_Alignof(nanodtls_ctx) >= 8, "ctx alignment");
_Static_assert(_Alignof(nanodtls_endpoint) >= 8, "endpoint alignment");
_Static_assert(_Alignof(nanodtls_peer) >= 8, "peer alignment");
#define T_ALIGNOF(type) _Alignof(type)
#else
/* C99: the offset of a member that follows a char is its alignment. */
struct t_align_ctx { char c; nanodtls_ctx x; };
struct t_align_endpoint { char c; nanodtls_endpoint x; };
struct t_align_peer { char c; nanodtls_peer x; };
#define T_ALIGNOF(type) offsetof(struct t_align_##type, x)
#endif

/* Objects in static storage, as firmware declares them. */
static nanodtls_ctx s_ctx;
static nanodtls_endpoint s_ep;
static nanodtls_peer s_peers[3];

static void test_sizes_match(void)
{
    T_EQ(sizeof(nanodtls_ctx), NANODTLS_CTX_SIZE);
    T_EQ(nanodtls_ctx_size(), NANODTLS_CTX_SIZE);
    T_EQ(sizeof(nanodtls_ctx), NANODTLS_CTX_WORDS * 8);

    T_EQ(sizeof(nanodtls_endpoint), NANODTLS_ENDPOINT_SIZE);
    T_EQ(nanodtls_endpoint_size(), NANODTLS_ENDPOINT_SIZE);
    T_EQ(sizeof(nanodtls_endpoint), NANODTLS_ENDPOINT_WORDS * 8);

    T_EQ(sizeof(nanodtls_peer), NANODTLS_PEER_SIZE);
    T_EQ(nanodtls_peer_size(), NANODTLS_PEER_SIZE);
    T_EQ(sizeof(nanodtls_peer), NANODTLS_PEER_WORDS * 8);
    T_EQ(sizeof s_peers, 3 * NANODTLS_PEER_SIZE);
}

static void test_alignment(void)
{
#if defined(T_C11)
    T_CHECK(T_ALIGNOF(nanodtls_ctx) >= 8);
    T_CHECK(T_ALIGNOF(nanodtls_endpoint) >= 8);
    T_CHECK(T_ALIGNOF(nanodtls_peer) >= 8);
#else
    T_CHECK(T_ALIGNOF(ctx) >= 8);
    T_CHECK(T_ALIGNOF(endpoint) >= 8);
    T_CHECK(T_ALIGNOF(peer) >= 8);
#endif
    T_EQ((uintptr_t)&s_ctx % 8, 0);
    T_EQ((uintptr_t)&s_ep % 8, 0);
    T_EQ((uintptr_t)&s_peers[1] % 8, 0);
}

static void test_static_objects_work(void)
{
    uint64_t clock = 0;
    t_party party;
    nanodtls_config cfg;
    nanodtls_platform plat;
    nanodtls_event ev;
    uint8_t addr[NANODTLS_MAX_PEER_ADDR];
    size_t alen = 0;

    t_party_init(&party, 1, &clock);
    t_platform(&plat, &party);

    /* A zero-initialised static context is "not initialised", not garbage. */
    T_ST(nanodtls_state(&s_ctx), NANODTLS_E_NOT_INITIALIZED);
    T_ST(nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT), NANODTLS_OK);
    T_ST(nanodtls_init(&s_ctx, sizeof s_ctx, &cfg, &plat), NANODTLS_OK);
    T_EQ(nanodtls_state(&s_ctx), NANODTLS_STATE_IDLE);
    T_ST(nanodtls_deinit(&s_ctx), NANODTLS_OK);
    T_CHECK(t_all_bytes(&s_ctx, sizeof s_ctx, 0));

    T_ST(nanodtls_endpoint_poll_event(&s_ep, &ev, addr, sizeof addr, &alen), NANODTLS_E_NOT_INITIALIZED);
    T_ST(nanodtls_config_default(&cfg, NANODTLS_ROLE_SERVER), NANODTLS_OK);
    T_ST(nanodtls_endpoint_init(&s_ep, sizeof s_ep, &cfg, &plat, s_peers, sizeof s_peers[0], 3), NANODTLS_OK);
    T_ST(nanodtls_endpoint_poll_event(&s_ep, &ev, addr, sizeof addr, &alen), NANODTLS_DONE);
    T_ST(nanodtls_endpoint_deinit(&s_ep), NANODTLS_OK);
    T_CHECK(t_all_bytes(&s_ep, sizeof s_ep, 0));
    T_CHECK(t_all_bytes(s_peers, sizeof s_peers, 0));
}

static void test_version(void)
{
    const char *v = nanodtls_version();
    T_REQUIRE(v != NULL);
    T_CHECK(strlen(v) > 0);
    T_CHECK(v[0] >= '0' && v[0] <= '9');
}

int main(void)
{
    T_RUN(test_sizes_match);
    T_RUN(test_alignment);
    T_RUN(test_static_objects_work);
    T_RUN(test_version);
#if defined(T_C11)
    return t_finish("test_sizes (C11)");
#else
    return t_finish("test_sizes (C99)");
#endif
}
