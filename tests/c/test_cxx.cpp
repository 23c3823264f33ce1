// The generated header must compile as C++ (extern "C", no C-only
// constructs) under -Wall -Wextra -Werror -pedantic.
#include "nanodtls.h"

#include <cstdio>
#include <cstring>

static_assert(sizeof(nanodtls_ctx) == NANODTLS_CTX_SIZE, "context size");
static_assert(sizeof(nanodtls_endpoint) == NANODTLS_ENDPOINT_SIZE, "endpoint size");
static_assert(sizeof(nanodtls_peer) == NANODTLS_PEER_SIZE, "peer size");
static_assert(alignof(nanodtls_ctx) >= 8, "context alignment");

int main()
{
    const char *v = nanodtls_version();
    if (v == nullptr || std::strlen(v) == 0) {
        std::fprintf(stderr, "nanodtls_version() returned nothing\n");
        return 1;
    }
    nanodtls_config cfg;
    if (nanodtls_config_default(&cfg, NANODTLS_ROLE_CLIENT) != NANODTLS_OK ||
        nanodtls_ctx_size() != sizeof(nanodtls_ctx)) {
        std::fprintf(stderr, "C++: unexpected results\n");
        return 1;
    }
    std::printf("test_cxx: nanodtls %s: 1 passed, 0 failed\n", v);
    return 0;
}
