/*
 * nanodtls-ta: the trust anchor's side of the trusted-third-party modes
 * (docs/ttp.md), with the library's own functions (nanodtls_ttp_derive,
 * nanodtls_authz_cert_encode): no crypto of its own.
 *
 *   nanodtls-ta derive --ta-id ID --ta-key HEX --client-id C --seq N [--key-len 16|32]
 *       prints "NONCE <nonce>" and "KEY <hex>": the client's PSK identity
 *       and PSK for DerivedKey (an ordinary PSK client, e.g.
 *       nanodtls-client --psk-id NONCE --psk KEY, or openssl s_client
 *       -psk_identity NONCE -psk KEY)
 *   nanodtls-ta authz --ta-id ID --ta-key HEX --seq N --spki FILE --out FILE
 *       writes the MacCert (the binary encoding of docs/ttp.md, nothing
 *       around it) for the client key in FILE (a DER or PEM
 *       SubjectPublicKeyInfo, or a certificate, like --rpk-peer)
 *
 * The trust anchor must never issue a seq twice for the same key: the
 * server's window refuses a seq it has seen, but only while it remembers.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nanodtls-ta derive --ta-id ID --ta-key HEX --client-id C --seq N [--key-len 16|32]\n"
            "       nanodtls-ta authz --ta-id ID --ta-key HEX --seq N --spki FILE --out FILE\n"
            "\n"
            "  --ta-id ID       the trust anchor's id (1-255 bytes, no '.')\n"
            "  --ta-key HEX     its key K_RS-TA, shared with the server (%d-%d bytes in hex)\n"
            "  --client-id C    derive: the client's id (any text, may contain '.')\n"
            "  --seq N          the credential's sequence number (0-4294967295); never\n"
            "                   reuse one\n"
            "  --key-len 16|32  derive: bytes of the derived PSK (default 16; the server's\n"
            "                   --ta setting must match)\n"
            "  --spki FILE      authz: the client's P-256 public key: SubjectPublicKeyInfo\n"
            "                   (DER or PEM \"PUBLIC KEY\") or a certificate (DER or PEM)\n"
            "  --out FILE       authz: where to write the MacCert (binary)\n"
            "\n"
            "derive prints \"NONCE <nonce>\" and \"KEY <hex>\"; authz prints\n"
            "\"MACCERT <bytes> <FILE>\".\n"
            "exit: 0 ok, 1 failure, 2 usage error\n",
            NANODTLS_TA_KEY_MIN, NANODTLS_TA_KEY_MAX);
}

#define usage_error(...) nd_usage_error("nanodtls-ta", usage, __VA_ARGS__)

enum { OPT_TA_ID, OPT_TA_KEY, OPT_CLIENT_ID, OPT_SEQ, OPT_KEY_LEN, OPT_SPKI, OPT_OUT, OPT_COUNT };
static const char *const option_names[OPT_COUNT] = {
    "--ta-id", "--ta-key", "--client-id", "--seq", "--key-len", "--spki", "--out",
};

int main(int argc, char **argv)
{
    const char *v[OPT_COUNT];
    int derive;
    int i;
    unsigned long seq = 0, key_len = 16;
    uint8_t ta_key[NANODTLS_TA_KEY_MAX];
    size_t ta_key_len = 0;
    nanodtls_status st;
    int rc = ND_EXIT_FAIL;

    memset((void *)v, 0, sizeof v);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return ND_EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "derive") != 0 && strcmp(argv[1], "authz") != 0)) {
        return usage_error("the first argument is the command: derive or authz");
    }
    derive = strcmp(argv[1], "derive") == 0;
    for (i = 2; i < argc; i++) {
        const char *val = NULL;
        int which = 0;
        int k = nd_match_option(argc, argv, &i, option_names, OPT_COUNT, &val, &which);
        if (k == -2) {
            return usage_error("option %s needs a value", option_names[which]);
        }
        if (k < 0) {
            return usage_error("unknown argument: %s", argv[i]);
        }
        if (v[k] != NULL) {
            return usage_error("%s given twice", option_names[k]);
        }
        v[k] = val;
    }
    if (v[OPT_TA_ID] == NULL || v[OPT_TA_KEY] == NULL || v[OPT_SEQ] == NULL) {
        return usage_error("--ta-id, --ta-key and --seq are required");
    }
    if (derive && (v[OPT_CLIENT_ID] == NULL || v[OPT_SPKI] != NULL || v[OPT_OUT] != NULL)) {
        return usage_error("derive takes --client-id (and no --spki, --out)");
    }
    if (!derive && (v[OPT_SPKI] == NULL || v[OPT_OUT] == NULL || v[OPT_CLIENT_ID] != NULL || v[OPT_KEY_LEN] != NULL)) {
        return usage_error("authz takes --spki and --out (and no --client-id, --key-len)");
    }
    if (v[OPT_TA_ID][0] == '\0' || strlen(v[OPT_TA_ID]) > 255 || strchr(v[OPT_TA_ID], '.') != NULL) {
        return usage_error("bad --ta-id: 1 to 255 bytes without '.'");
    }
    if (nd_parse_ulong(v[OPT_SEQ], 0, 4294967295UL, &seq) != 0) {
        return usage_error("bad --seq '%s' (0-4294967295)", v[OPT_SEQ]);
    }
    if (v[OPT_KEY_LEN] != NULL && (nd_parse_ulong(v[OPT_KEY_LEN], 16, 32, &key_len) != 0 ||
                                   (key_len != 16 && key_len != 32))) {
        return usage_error("bad --key-len '%s' (16 or 32)", v[OPT_KEY_LEN]);
    }
    if (nd_parse_hex(v[OPT_TA_KEY], ta_key, sizeof ta_key, &ta_key_len) != 0 || ta_key_len < NANODTLS_TA_KEY_MIN) {
        return usage_error("bad --ta-key: %d to %d bytes in hex", NANODTLS_TA_KEY_MIN, NANODTLS_TA_KEY_MAX);
    }

    if (derive) {
        static uint8_t nonce[65536];
        uint8_t key[32];
        size_t n = 0;
        const char *cid = v[OPT_CLIENT_ID];
        st = nanodtls_ttp_derive((const uint8_t *)v[OPT_TA_ID], strlen(v[OPT_TA_ID]), ta_key, ta_key_len,
                                 (const uint8_t *)cid, strlen(cid), (uint32_t)seq, (size_t)key_len, nonce,
                                 sizeof nonce, &n, key, sizeof key);
        if (st != NANODTLS_OK) {
            nd_print_failure("nanodtls_ttp_derive", st, NULL);
        } else {
            fputs("NONCE ", stdout);
            fwrite(nonce, 1, n, stdout);
            fputs("\nKEY ", stdout);
            nd_print_hex(key, (size_t)key_len);
            putchar('\n');
            rc = ND_EXIT_OK;
        }
        nd_wipe(key, sizeof key);
    } else {
        static const char *const labels[] = {"PUBLIC KEY", "CERTIFICATE", NULL};
        static uint8_t der[ND_CERT_DER_MAX];
        uint8_t out[NANODTLS_AUTHZ_CERT_MAX];
        size_t der_len = 0, n = 0;
        int which = 0;
        char err[256];
        if (nd_load_der(v[OPT_SPKI], labels, der, sizeof der, &der_len, &which, err, sizeof err) != 0) {
            fprintf(stderr, "nanodtls-ta: %s\n", err);
            nd_wipe(ta_key, sizeof ta_key);
            return ND_EXIT_USAGE;
        }
        st = nanodtls_authz_cert_encode((const uint8_t *)v[OPT_TA_ID], strlen(v[OPT_TA_ID]), ta_key, ta_key_len,
                                        (uint32_t)seq, der, der_len, out, sizeof out, &n);
        if (st != NANODTLS_OK) {
            nd_print_failure("nanodtls_authz_cert_encode (a P-256 key?)", st, NULL);
        } else if (nd_write_private_file(v[OPT_OUT], out, n) == 0) {
            printf("MACCERT %zu %s\n", n, v[OPT_OUT]);
            rc = ND_EXIT_OK;
        }
    }
    fflush(stdout);
    nd_wipe(ta_key, sizeof ta_key);
    return rc;
}
