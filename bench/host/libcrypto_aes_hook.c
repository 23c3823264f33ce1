/*
 * The AES/CCM hook on OpenSSL's libcrypto (libcrypto_aes_hook.h): EVP
 * aes-128-ccm for whole CCM records, EVP aes-128-ecb for single blocks.
 */
#include "libcrypto_aes_hook.h"

#include <string.h>

#include <openssl/evp.h>

int libcrypto_aes_block(void *user, const uint8_t *key, uint8_t *block)
{
    EVP_CIPHER_CTX *c;
    int len = 0, ok;
    uint8_t out[32];

    (void)user;
    c = EVP_CIPHER_CTX_new();
    ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
         EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_EncryptUpdate(c, out, &len, block, 16) == 1 && len == 16;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        return -1;
    }
    memcpy(block, out, 16);
    return 0;
}

/* One EVP aes-128-ccm context per direction, made on first use and
 * re-keyed on every call: creating a context and fetching the cipher per
 * record cost a third of the record time (scripts/bench-host.sh: ~750
 * instead of ~1,000 MB/s). Between calls a context holds the last key's
 * schedule: libcrypto_aes_hook_cleanup() frees (and so wipes) them. */
static EVP_CIPHER_CTX *g_ccm[2];

static EVP_CIPHER_CTX *ccm_ctx(int enc, const uint8_t *key, const uint8_t *nonce, size_t tag_len,
                               const uint8_t *tag)
{
    EVP_CIPHER_CTX *c = g_ccm[enc];
    if (c == NULL) {
        c = EVP_CIPHER_CTX_new();
        if (c == NULL || EVP_CipherInit_ex(c, EVP_aes_128_ccm(), NULL, NULL, NULL, enc) != 1) {
            EVP_CIPHER_CTX_free(c);
            return NULL;
        }
        g_ccm[enc] = c;
    }
    /* The cipher stays; IV length, tag (length) and key are set anew. */
    if (EVP_CipherInit_ex(c, NULL, NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, enc ? NULL : (void *)tag) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1) {
        return NULL;
    }
    return c;
}

void libcrypto_aes_hook_cleanup(void)
{
    int i;
    for (i = 0; i < 2; i++) {
        EVP_CIPHER_CTX_free(g_ccm[i]);
        g_ccm[i] = NULL;
    }
}

/* CCM needs the total length first, then the AAD, then the data. Returns
 * 1 when the data update fails (decryption: the tag did not verify). */
static int ccm_run(EVP_CIPHER_CTX *c, const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len)
{
    static uint8_t out[4096];
    int n = 0;
    if (len > sizeof out || EVP_CipherUpdate(c, NULL, &n, NULL, (int)len) != 1 ||
        (aad_len > 0 && EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1)) {
        return -1;
    }
    /* OpenSSL CCM wants a (possibly empty) data update; out may not be NULL. */
    if (EVP_CipherUpdate(c, out, &n, len > 0 ? buf : out, (int)len) != 1) {
        return 1;
    }
    memcpy(buf, out, len);
    return 0;
}

int libcrypto_aes_ccm_seal(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                           uint8_t *buf, size_t len, uint8_t *tag, size_t tag_len)
{
    EVP_CIPHER_CTX *c;
    int r;
    (void)user;
    c = ccm_ctx(1, key, nonce, tag_len, NULL);
    if (c == NULL) {
        return -1;
    }
    r = ccm_run(c, aad, aad_len, buf, len);
    if (r == 0 && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag) != 1) {
        r = -1;
    }
    return r == 0 ? 0 : -1;
}

int libcrypto_aes_ccm_open(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                           uint8_t *buf, size_t len, const uint8_t *tag, size_t tag_len)
{
    EVP_CIPHER_CTX *c;
    int r;
    (void)user;
    c = ccm_ctx(0, key, nonce, tag_len, tag);
    if (c == NULL) {
        return -1;
    }
    /* In CCM decryption OpenSSL verifies the tag in the data update. */
    r = ccm_run(c, aad, aad_len, buf, len);
    if (r == 1) {
        return NANODTLS_AES_HOOK_AUTH_FAILED;
    }
    return r == 0 ? 0 : -1;
}

const nanodtls_aes_hook libcrypto_ccm_hook = {NULL, NULL, libcrypto_aes_ccm_seal, libcrypto_aes_ccm_open};
