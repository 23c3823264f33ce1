/*
 * The network port of the nanodtls FreeRTOS example: one connected UDP
 * "socket" to the DTLS server. Four functions; a board implements them on
 * its stack (FreeRTOS+TCP, lwIP, a modem's AT socket commands, ...).
 * net_port_posix.c implements them with POSIX UDP sockets for the
 * kernel's POSIX port.
 */
#ifndef NET_PORT_H
#define NET_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Open a UDP association with host:port (numeric IPv4/IPv6 address).
 * Returns 0 or a negative error. */
int net_open(const char *host, uint16_t port);

/* Send one datagram. Returns 0 or a negative error (a lost datagram is
 * not an error: DTLS retransmits). */
int net_send(const uint8_t *data, size_t len);

/* Wait up to timeout_ms for one datagram. Returns its length (> 0), 0 on
 * timeout, or a negative error. Blocks only the calling task. */
int net_recv(uint8_t *buf, size_t cap, uint32_t timeout_ms);

void net_close(void);

#endif
