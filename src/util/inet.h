/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP addresses, prefixes and MAC addresses as values: parsing (strict:
 * what a client sends is either one of these or an error), the canonical
 * text form gureum stores and compares, and the arithmetic IPAM needs
 * (containment, overlap, the n-th address of a prefix).  Both families
 * use one 128-bit big-endian representation; an IPv4 address is in the
 * last four bytes.  Pure, so every parser here is fuzzed.
 */
#pragma once

#include "util/util.h"

#define INET_ADDR_MAX 46         /* INET6_ADDRSTRLEN */
#define INET_PREFIX_MAX (INET_ADDR_MAX + 4)
#define MAC_TEXT_MAX 18

typedef struct InetAddr {
        int version;             /* 4 or 6 */
        uint8_t b[16];           /* big-endian; IPv4 in b[12..15] */
} InetAddr;

typedef struct InetPrefix {
        InetAddr addr;           /* host bits are zero */
        unsigned len;            /* 0..32 or 0..128 */
} InetPrefix;

/* An address in dotted quad or RFC 4291 text; -EINVAL for anything else (leading zeros, zones, spaces). */
int inet_addr_parse(const char *s, InetAddr *ret);
/*
 * A prefix "addr/len"; a bare address is a host prefix.  Host bits set
 * are -EINVAL when strict, cleared otherwise.  *ret_host_bits (may be
 * NULL) tells whether any were set.
 */
int inet_prefix_parse(const char *s, bool strict, InetPrefix *ret, bool *ret_host_bits);

/* Canonical text: "10.0.0.5", "fd00::5" (RFC 5952), "10.0.0.0/24". */
char *inet_addr_format(const InetAddr *a, char buf[static INET_ADDR_MAX]);
char *inet_prefix_format(const InetPrefix *p, char buf[static INET_PREFIX_MAX]);

int inet_addr_cmp(const InetAddr *a, const InetAddr *b);
static inline unsigned inet_bits(int version) {
        return version == 4 ? 32 : 128;
}
bool inet_prefix_contains(const InetPrefix *p, const InetAddr *a);
bool inet_prefix_overlaps(const InetPrefix *a, const InetPrefix *b);
/* The first and last addresses of p (network and broadcast for IPv4). */
InetAddr inet_prefix_first(const InetPrefix *p);
InetAddr inet_prefix_last(const InetPrefix *p);
/* a + n, and whether it stayed inside the family's space (false: wrapped). */
bool inet_addr_add(InetAddr *a, uint64_t n);
/* The number of addresses from a to b inclusive, saturated at UINT64_MAX; 0 if b < a. */
uint64_t inet_range_size(const InetAddr *a, const InetAddr *b);
/* The netmask of a prefix length as an address ("255.255.255.0"). */
InetAddr inet_netmask(int version, unsigned len);

/*
 * The SLAAC address (RFC 4291 appendix A, modified EUI-64) of mac in the
 * IPv6 /64 p: p's first 64 bits, then the MAC with its universal/local
 * bit flipped and ff:fe in the middle.  -EINVAL unless p is an IPv6 /64.
 */
int inet_addr_eui64(const InetPrefix *p, const uint8_t mac[static 6], InetAddr *ret);
/* Whether a looks like one (an IPv6 address with ff:fe in bytes 11 and 12), as Neutron tells them apart. */
bool inet_addr_is_eui64(const InetAddr *a);

/* A MAC "fa:16:3e:12:34:56" (also with dashes or upper case); -EINVAL otherwise, and for multicast ones. */
int mac_parse(const char *s, uint8_t ret[static 6]);
/* Lower case with colons. */
char *mac_format(const uint8_t mac[static 6], char buf[static MAC_TEXT_MAX]);
