/*
 * Minimal Mbed TLS 3.6.6 configuration for the certificate-mode comparison
 * (scripts/bench-mbedtls.sh, embedded/README.md "Certificate mode"):
 * DTLS 1.2 only, TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8 only, P-256 only,
 * X.509 parse + verify of DER chains, HelloVerifyRequest cookies, no TLS
 * (stream), no TLS 1.3, no PSA, no RSA, no PEM, no entropy/DRBG module
 * (the RNG is the bench's, as for nanodtls), no debug, no net sockets.
 * Record buffers sized like nanodtls' defaults (2,048-byte handshake
 * messages). Everything not listed is off. Used with
 * -DMBEDTLS_CONFIG_FILE='"bench_mbedtls_config.h"' (not named
 * mbedtls_config.h: build_info.h's #include "..." would find Mbed TLS's
 * own full default configuration beside it first).
 */
#ifndef BENCH_MBEDTLS_CONFIG_H
#define BENCH_MBEDTLS_CONFIG_H

/* Platform: the heap goes through the bench's counting calloc/free;
 * wall-clock time through the bench's clock (for validity periods). */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_CALLOC_MACRO bench_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO bench_free
#include <stddef.h>
void *bench_calloc(size_t n, size_t size);
void bench_free(void *p);
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_GMTIME_R_ALT /* the bench maps it to newlib's gmtime_r */
#define MBEDTLS_PLATFORM_TIME_MACRO bench_time
#include <time.h>
time_t bench_time(time_t *t);
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_DEPRECATED_REMOVED

/* Cryptography */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_AES_ONLY_128_BIT_KEY_LENGTH
#define MBEDTLS_CCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA224_C /* required by SHA256_C in 3.6's config checks */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C

/* X.509: parse and verify certificate chains (DER only) */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_MAX_INTERMEDIATE_CA 4

/* DTLS 1.2 */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY
#define MBEDTLS_SSL_COOKIE_C
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
#define MBEDTLS_SSL_IN_CONTENT_LEN 2048
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048
#define MBEDTLS_SSL_DTLS_MAX_BUFFERING 4096

/* -DBENCH_CLIENT_ONLY: the client-only library (flash of a client app). */
#ifdef BENCH_CLIENT_ONLY
#undef MBEDTLS_SSL_SRV_C
#undef MBEDTLS_SSL_COOKIE_C
#endif

#endif
