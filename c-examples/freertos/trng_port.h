/*
 * Randomness for the nanodtls FreeRTOS example: fill `buf` with `len`
 * bytes from the platform's true random number generator (or a DRBG
 * seeded by it). Returns 0 on success. On a microcontroller this reads
 * the TRNG peripheral; trng_port_posix.c uses getrandom().
 */
#ifndef TRNG_PORT_H
#define TRNG_PORT_H

#include <stddef.h>
#include <stdint.h>

int trng_fill(uint8_t *buf, size_t len);

#endif
