/* TRNG hook for the POSIX port: the host kernel's CSPRNG. */
#define _DEFAULT_SOURCE
#include "trng_port.h"

#include <errno.h>
#include <sys/random.h>

int trng_fill(uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* the POSIX port's tick signal */
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}
