/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP and MAC address values (see inet.h).  Parsing leans on inet_pton,
 * which already refuses leading zeros in IPv4 and zone ids in IPv6; what
 * is added here is the prefix length, host bits and the canonical form.
 */
#include "util/inet.h"

#include <arpa/inet.h>

int inet_addr_parse(const char *s, InetAddr *ret) {
        InetAddr a = {};
        if (!s || !*s || strlen(s) >= INET_ADDR_MAX)
                return -EINVAL;
        if (strchr(s, ':')) {
                if (inet_pton(AF_INET6, s, a.b) != 1)
                        return -EINVAL;
                a.version = 6;
        } else {
                if (inet_pton(AF_INET, s, a.b + 12) != 1)
                        return -EINVAL;
                a.version = 4;
        }
        *ret = a;
        return 0;
}

/* Clears the bits of a after the first len; whether any was set. */
static bool mask_host_bits(InetAddr *a, unsigned len) {
        unsigned start = 128 - inet_bits(a->version) + len;
        bool any = false;
        for (unsigned bit = start; bit < 128; bit++) {
                uint8_t m = 0x80 >> (bit % 8);
                if (a->b[bit / 8] & m) {
                        any = true;
                        a->b[bit / 8] &= ~m;
                }
        }
        return any;
}

int inet_prefix_parse(const char *s, bool strict, InetPrefix *ret, bool *ret_host_bits) {
        char addr[INET_ADDR_MAX];
        const char *slash;
        InetPrefix p = {};
        int64_t len;

        if (!s)
                return -EINVAL;
        slash = strchr(s, '/');
        if (!slash) {
                if (inet_addr_parse(s, &p.addr) < 0)
                        return -EINVAL;
                p.len = inet_bits(p.addr.version);
        } else {
                if ((size_t) (slash - s) >= sizeof(addr))
                        return -EINVAL;
                memcpy(addr, s, slash - s);
                addr[slash - s] = '\0';
                if (inet_addr_parse(addr, &p.addr) < 0)
                        return -EINVAL;
                /* Digits only: no sign, no spaces, no leading zero but "0" itself. */
                if (!slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
                    (slash[1] == '0' && slash[2]) ||
                    parse_int64(slash + 1, 0, inet_bits(p.addr.version), &len) < 0)
                        return -EINVAL;
                p.len = (unsigned) len;
        }
        bool host_bits = mask_host_bits(&p.addr, p.len);
        if (host_bits && strict)
                return -EINVAL;
        if (ret_host_bits)
                *ret_host_bits = host_bits;
        *ret = p;
        return 0;
}

char *inet_addr_format(const InetAddr *a, char buf[static INET_ADDR_MAX]) {
        if (a->version == 4)
                inet_ntop(AF_INET, a->b + 12, buf, INET_ADDR_MAX);
        else
                inet_ntop(AF_INET6, a->b, buf, INET_ADDR_MAX); /* glibc writes RFC 5952's form */
        return buf;
}

char *inet_prefix_format(const InetPrefix *p, char buf[static INET_PREFIX_MAX]) {
        char a[INET_ADDR_MAX];
        snprintf(buf, INET_PREFIX_MAX, "%s/%u", inet_addr_format(&p->addr, a), p->len);
        return buf;
}

int inet_addr_cmp(const InetAddr *a, const InetAddr *b) {
        if (a->version != b->version)
                return a->version < b->version ? -1 : 1;
        return memcmp(a->b, b->b, 16);
}

bool inet_prefix_contains(const InetPrefix *p, const InetAddr *a) {
        if (a->version != p->addr.version)
                return false;
        InetAddr m = *a;
        mask_host_bits(&m, p->len);
        return memcmp(m.b, p->addr.b, 16) == 0;
}

bool inet_prefix_overlaps(const InetPrefix *a, const InetPrefix *b) {
        if (a->addr.version != b->addr.version)
                return false;
        /* Two prefixes overlap exactly when the shorter one contains the other's start. */
        return a->len <= b->len ? inet_prefix_contains(a, &b->addr) : inet_prefix_contains(b, &a->addr);
}

InetAddr inet_prefix_first(const InetPrefix *p) {
        return p->addr;
}

InetAddr inet_prefix_last(const InetPrefix *p) {
        InetAddr a = p->addr;
        for (unsigned bit = 128 - inet_bits(a.version) + p->len; bit < 128; bit++)
                a.b[bit / 8] |= 0x80 >> (bit % 8);
        return a;
}

bool inet_addr_add(InetAddr *a, uint64_t n) {
        unsigned lowest = a->version == 4 ? 12 : 0;
        unsigned carry = 0;
        for (int i = 15; i >= (int) lowest; i--) {
                unsigned sum = a->b[i] + (unsigned) (n & 0xff) + carry;
                a->b[i] = (uint8_t) sum;
                carry = sum >> 8;
                n >>= 8;
        }
        return carry == 0 && n == 0;
}

uint64_t inet_range_size(const InetAddr *a, const InetAddr *b) {
        if (a->version != b->version || inet_addr_cmp(a, b) > 0)
                return 0;
        /* b - a as a 128-bit subtraction; anything past 64 bits saturates. */
        uint8_t d[16];
        int borrow = 0;
        for (int i = 15; i >= 0; i--) {
                int v = b->b[i] - a->b[i] - borrow;
                borrow = v < 0;
                d[i] = (uint8_t) (v + (borrow ? 256 : 0));
        }
        for (int i = 0; i < 8; i++)
                if (d[i])
                        return UINT64_MAX;
        uint64_t n = 0;
        for (int i = 8; i < 16; i++)
                n = (n << 8) | d[i];
        return n == UINT64_MAX ? n : n + 1;
}

InetAddr inet_netmask(int version, unsigned len) {
        InetAddr a = { .version = version };
        for (unsigned bit = 128 - inet_bits(version); bit < 128 - inet_bits(version) + len; bit++)
                a.b[bit / 8] |= 0x80 >> (bit % 8);
        return a;
}

int inet_addr_eui64(const InetPrefix *p, const uint8_t mac[static 6], InetAddr *ret) {
        if (p->addr.version != 6 || p->len != 64)
                return -EINVAL;
        InetAddr a = p->addr;
        a.b[8] = mac[0] ^ 0x02;
        a.b[9] = mac[1];
        a.b[10] = mac[2];
        a.b[11] = 0xff;
        a.b[12] = 0xfe;
        a.b[13] = mac[3];
        a.b[14] = mac[4];
        a.b[15] = mac[5];
        *ret = a;
        return 0;
}

bool inet_addr_is_eui64(const InetAddr *a) {
        return a->version == 6 && a->b[11] == 0xff && a->b[12] == 0xfe;
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int mac_parse(const char *s, uint8_t ret[static 6]) {
        uint8_t m[6];
        if (!s || strlen(s) != 17)
                return -EINVAL;
        char sep = s[2];
        if (sep != ':' && sep != '-')
                return -EINVAL;
        for (int i = 0; i < 6; i++) {
                int hi = hex_digit(s[i * 3]), lo = hex_digit(s[i * 3 + 1]);
                if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != sep))
                        return -EINVAL;
                m[i] = (uint8_t) (hi << 4 | lo);
        }
        /* A port's address is unicast; all zeros is nobody's. */
        if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
                return -EINVAL;
        memcpy(ret, m, 6);
        return 0;
}

char *mac_format(const uint8_t mac[static 6], char buf[static MAC_TEXT_MAX]) {
        snprintf(buf, MAC_TEXT_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
        return buf;
}
