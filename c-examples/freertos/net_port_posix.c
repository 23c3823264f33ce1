/*
 * Network port for FreeRTOS's POSIX port: a connected, non-blocking UDP
 * socket. The receive wait is done the FreeRTOS way - poll the socket,
 * and if nothing is there, vTaskDelay() for a tick - so that a waiting
 * task never blocks the simulated CPU inside a host system call (the port
 * runs one task thread at a time, and its tick is a signal).
 */
#define _POSIX_C_SOURCE 200809L
#include "net_port.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "FreeRTOS.h"
#include "task.h"

static int s_fd = -1;

int net_open(const char *host, uint16_t port)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", (unsigned)port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        s_fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s_fd < 0)
            continue;
        if (connect(s_fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(s_fd);
        s_fd = -1;
    }
    freeaddrinfo(res);
    if (s_fd < 0)
        return -1;
    return fcntl(s_fd, F_SETFL, fcntl(s_fd, F_GETFL) | O_NONBLOCK) == 0 ? 0 : -1;
}

int net_send(const uint8_t *data, size_t len)
{
    ssize_t n;
    do {
        n = send(s_fd, data, len, 0);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int net_recv(uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    TickType_t start = xTaskGetTickCount();
    TickType_t limit = pdMS_TO_TICKS(timeout_ms);
    for (;;) {
        ssize_t n = recv(s_fd, buf, cap, 0);
        if (n > 0)
            return (int)n;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNREFUSED)
            return -1;
        /* ECONNREFUSED: an ICMP port unreachable (server not up yet); the
         * DTLS timer retransmits, so keep waiting like for a timeout. */
        if ((TickType_t)(xTaskGetTickCount() - start) >= limit)
            return 0;
        vTaskDelay(1);
    }
}

void net_close(void)
{
    if (s_fd >= 0)
        close(s_fd);
    s_fd = -1;
}
