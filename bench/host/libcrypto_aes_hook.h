/*
 * An AES/CCM hook (nanodtls_set_aes_hook, docs/aes-hook.md) on OpenSSL's
 * libcrypto: whole AES-128-CCM through EVP aes-128-ccm (what a Linux
 * gateway registers to get AES-NI), and the AES-128 block function through
 * EVP aes-128-ecb (nanodtls's CCM around it). Used by the host benchmark
 * (bench/host/stack_nanodtls.c) and by tests/c/test_aes_hook.c, which wraps
 * these functions with its call counting and failure injection.
 *
 * `user` is not used. The functions follow the hook contract: 0 on
 * success, libcrypto_aes_ccm_open returns NANODTLS_AES_HOOK_AUTH_FAILED
 * for a tag that does not verify and -1 for any other failure; no pointer
 * to the key is kept. The CCM pair keeps one EVP context per direction,
 * made on first use and re-keyed on each call (a fresh context per record
 * costs a third of the record time), which holds the last key's schedule
 * until the next call: libcrypto_aes_hook_cleanup() frees (wipes) them.
 * The block function uses a fresh EVP context per call. Not thread-safe
 * (a gateway with several threads keeps the contexts per thread): static
 * contexts and one static bounce buffer (records up to 4096 bytes).
 */
#ifndef NANODTLS_LIBCRYPTO_AES_HOOK_H
#define NANODTLS_LIBCRYPTO_AES_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "nanodtls.h"

int libcrypto_aes_block(void *user, const uint8_t *key, uint8_t *block);
int libcrypto_aes_ccm_seal(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                           uint8_t *buf, size_t len, uint8_t *tag, size_t tag_len);
int libcrypto_aes_ccm_open(void *user, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                           uint8_t *buf, size_t len, const uint8_t *tag, size_t tag_len);

/* Free the CCM pair's EVP contexts (OpenSSL wipes the key schedule). */
void libcrypto_aes_hook_cleanup(void);

/* The whole-CCM hook (user NULL): what a gateway registers. */
extern const nanodtls_aes_hook libcrypto_ccm_hook;

#endif
