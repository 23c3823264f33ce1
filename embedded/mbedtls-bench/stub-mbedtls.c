/*
 * Stand-ins for every Mbed TLS function that bench-mbedtls.c calls, so the
 * same harness links WITHOUT the library: flash of Mbed TLS as linked =
 * (real image) - (stub image). Only linked, never run. No Mbed TLS header
 * is included here: each stand-in only has to resolve the symbol.
 */
static volatile int g_ret;

#define STUB(name) \
    int name(void); \
    int name(void) { return g_ret; }

STUB(mbedtls_pk_init)
STUB(mbedtls_pk_parse_key)
STUB(mbedtls_ssl_conf_authmode)
STUB(mbedtls_ssl_conf_ca_chain)
STUB(mbedtls_ssl_conf_ciphersuites)
STUB(mbedtls_ssl_conf_dtls_cookies)
STUB(mbedtls_ssl_conf_own_cert)
STUB(mbedtls_ssl_conf_rng)
STUB(mbedtls_ssl_config_defaults)
STUB(mbedtls_ssl_config_init)
STUB(mbedtls_ssl_cookie_setup)
STUB(mbedtls_ssl_cookie_write)
STUB(mbedtls_ssl_cookie_check)
STUB(mbedtls_ssl_get_ciphersuite_id_from_ssl)
STUB(mbedtls_ssl_get_verify_result)
STUB(mbedtls_ssl_handshake)
STUB(mbedtls_ssl_init)
STUB(mbedtls_ssl_read)
STUB(mbedtls_ssl_session_reset)
STUB(mbedtls_ssl_set_bio)
STUB(mbedtls_ssl_set_client_transport_id)
STUB(mbedtls_ssl_set_hostname)
STUB(mbedtls_ssl_set_mtu)
STUB(mbedtls_ssl_set_timer_cb)
STUB(mbedtls_ssl_setup)
STUB(mbedtls_ssl_write)
STUB(mbedtls_x509_crt_init)
STUB(mbedtls_x509_crt_parse_der)
