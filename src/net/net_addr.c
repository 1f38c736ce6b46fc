/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addresses, MACs and names as the data plane checks them before any of
 * them reaches an nft script, a dnsmasq file or an ip command: a value
 * that does not parse is refused, and what is written is the canonical
 * form (inet_ntop, lowercase MACs), so the text a builder makes depends
 * only on what the values mean.
 */
#include <arpa/inet.h>
#include <ctype.h>

#include "net/net_internal.h"

int net_addr_parse(const char *s, NetAddr *ret) {
        NetAddr a = {};
        if (isempty(s) || strlen(s) >= 64)
                return -EINVAL;
        if (inet_pton(AF_INET, s, a.bytes) == 1) {
                a.family = AF_INET;
                a.prefixlen = 32;
        } else if (inet_pton(AF_INET6, s, a.bytes) == 1) {
                a.family = AF_INET6;
                a.prefixlen = 128;
        } else
                return -EINVAL;
        *ret = a;
        return 0;
}

int net_cidr_parse(const char *s, NetAddr *ret) {
        char host[64];
        const char *slash;
        NetAddr a;
        int64_t len;

        if (isempty(s))
                return -EINVAL;
        slash = strchr(s, '/');
        if (!slash)
                return net_addr_parse(s, ret);
        if ((size_t) (slash - s) >= sizeof(host))
                return -EINVAL;
        memcpy(host, s, (size_t) (slash - s));
        host[slash - s] = '\0';
        if (net_addr_parse(host, &a) < 0)
                return -EINVAL;
        if (parse_int64(slash + 1, 0, a.family == AF_INET ? 32 : 128, &len) < 0)
                return -EINVAL;
        a.prefixlen = (int) len;
        *ret = a;
        return 0;
}

bool net_cidr_contains(const NetAddr *net, const NetAddr *a) {
        if (net->family != a->family || a->prefixlen < net->prefixlen)
                return false;
        int full = net->prefixlen / 8, rest = net->prefixlen % 8;
        if (memcmp(net->bytes, a->bytes, (size_t) full) != 0)
                return false;
        if (rest == 0)
                return true;
        uint8_t mask = (uint8_t) (0xff << (8 - rest));
        return (net->bytes[full] & mask) == (a->bytes[full] & mask);
}

NetAddr net_cidr_network(const NetAddr *a) {
        NetAddr r = *a;
        int size = a->family == AF_INET ? 4 : 16;
        for (int i = 0; i < size; i++) {
                int bits = a->prefixlen - i * 8;
                if (bits >= 8)
                        continue;
                r.bytes[i] &= bits <= 0 ? 0 : (uint8_t) (0xff << (8 - bits));
        }
        return r;
}

void net_addr_format(const NetAddr *a, bool with_prefix, char buf[static 64]) {
        char text[INET6_ADDRSTRLEN];
        if (!inet_ntop(a->family, a->bytes, text, sizeof(text)))
                text[0] = '\0';
        if (with_prefix)
                snprintf(buf, 64, "%s/%d", text, a->prefixlen);
        else
                snprintf(buf, 64, "%s", text);
}

void net_netmask4(int prefixlen, char buf[static 16]) {
        uint32_t m = prefixlen <= 0 ? 0 : (uint32_t) (0xffffffffu << (32 - prefixlen));
        snprintf(buf, 16, "%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int net_mac_parse(const char *s, uint8_t ret[static 6]) {
        uint8_t mac[6];
        if (!s || strlen(s) != 17)
                return -EINVAL;
        for (int i = 0; i < 6; i++) {
                int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
                if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
                        return -EINVAL;
                mac[i] = (uint8_t) (hi << 4 | lo);
        }
        /* A port's address is unicast: a multicast MAC would match every flooded frame. */
        if (mac[0] & 1)
                return -EINVAL;
        memcpy(ret, mac, 6);
        return 0;
}

void net_mac_format(const uint8_t mac[static 6], char buf[static 18]) {
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

void net_mac_link_local(const uint8_t mac[static 6], char buf[static 64]) {
        NetAddr a = { .family = AF_INET6, .prefixlen = 128 };
        a.bytes[0] = 0xfe;
        a.bytes[1] = 0x80;
        a.bytes[8] = mac[0] ^ 0x02;
        a.bytes[9] = mac[1];
        a.bytes[10] = mac[2];
        a.bytes[11] = 0xff;
        a.bytes[12] = 0xfe;
        a.bytes[13] = mac[3];
        a.bytes[14] = mac[4];
        a.bytes[15] = mac[5];
        net_addr_format(&a, false, buf);
}

bool net_id_valid(const char *id) {
        return id && uuid_is_valid(id);
}

bool net_dns_name_valid(const char *s) {
        size_t label = 0, len = s ? strlen(s) : 0;
        if (len == 0 || len > 253)
                return false;
        for (size_t i = 0; i <= len; i++) {
                char c = s[i];
                if (c == '.' || c == '\0') {
                        if (label == 0 || label > 63 || s[i - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char) c) && c != '-')
                        return false;
                if (label == 0 && c == '-')
                        return false;
                label++;
        }
        return true;
}

bool net_ifname_valid(const char *s) {
        size_t len = s ? strlen(s) : 0;
        if (len == 0 || len > NET_IFNAME_MAX || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || *p == '"' || *p == '\'' || *p == '*' || *p == '\\' ||
                    isspace((unsigned char) *p) || !isprint((unsigned char) *p))
                        return false;
        return true;
}

uint16_t net_zone(const char *network_id) {
        /* Zone 0 is the default zone every other packet shares; ours start at 1. */
        return (uint16_t) (hash_fnv1a(network_id) % 65535 + 1);
}
