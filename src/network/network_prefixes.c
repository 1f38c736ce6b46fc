/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sets of address prefixes, the arithmetic of subnet pools: merging a
 * pool's prefixes into the fewest CIDRs (as Neutron compacts them),
 * subtracting the subnets already carved out, and picking the next one
 * (the most specific free block first, as Neutron's allocator does).
 * Pure, without a database, so it is fuzzed (tests/fuzz/fuzz-network-input.c).
 */
#include "network/network_internal.h"

void network_prefixes_done(NetPrefixSet *s) {
        free(s->v);
        *s = (NetPrefixSet) {};
}

void network_prefixes_add(NetPrefixSet *s, const InetPrefix *p) {
        if (s->n == s->alloc) {
                s->alloc = s->alloc ? s->alloc * 2 : 16;
                s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
        }
        s->v[s->n++] = *p;
}

/* Whether a holds all of b. */
static bool covers(const InetPrefix *a, const InetPrefix *b) {
        return a->addr.version == b->addr.version && a->len <= b->len && inet_prefix_contains(a, &b->addr);
}

/* The bit of a at position bit (0: the first of the family's bits). */
static bool bit_of(const InetAddr *a, unsigned bit) {
        unsigned at = 128 - inet_bits(a->version) + bit;
        return a->b[at / 8] & (0x80 >> (at % 8));
}

/* Half which (0 or 1) of p, one bit longer. */
static InetPrefix half(const InetPrefix *p, int which) {
        InetPrefix h = *p;
        unsigned at = 128 - inet_bits(p->addr.version) + p->len;
        if (which)
                h.addr.b[at / 8] |= 0x80 >> (at % 8);
        h.len++;
        return h;
}

static int prefix_cmp(const void *x, const void *y) {
        const InetPrefix *a = x, *b = y;
        if (a->addr.version != b->addr.version)
                return a->addr.version - b->addr.version;
        int r = inet_addr_cmp(&a->addr, &b->addr);
        return r ? r : (int) a->len - (int) b->len;
}

void network_prefixes_compact(NetPrefixSet *s) {
        bool changed = true;
        if (s->n == 0)
                return;
        qsort(s->v, s->n, sizeof(*s->v), prefix_cmp);
        while (changed) {
                size_t out = 0;
                changed = false;
                for (size_t i = 0; i < s->n; i++) {
                        InetPrefix p = s->v[i];
                        if (out > 0 && covers(&s->v[out - 1], &p)) {
                                changed = true;
                                continue;
                        }
                        /* Two halves of one prefix become that prefix. */
                        if (out > 0 && p.len > 0 && s->v[out - 1].len == p.len &&
                            s->v[out - 1].addr.version == p.addr.version && !bit_of(&s->v[out - 1].addr, p.len - 1) &&
                            bit_of(&p.addr, p.len - 1)) {
                                InetPrefix parent = p;
                                unsigned at = 128 - inet_bits(p.addr.version) + p.len - 1;
                                parent.len--;
                                parent.addr.b[at / 8] &= ~(0x80 >> (at % 8));
                                if (inet_addr_cmp(&parent.addr, &s->v[out - 1].addr) == 0) {
                                        s->v[out - 1] = parent;
                                        changed = true;
                                        continue;
                                }
                        }
                        s->v[out++] = p;
                }
                s->n = out;
        }
}

/* Adds to ret what of p the prefixes used[0..n) leave free; used holds only those overlapping p. */
static void subtract_one(const InetPrefix *p, const InetPrefix *used, size_t n, NetPrefixSet *ret) {
        if (n == 0) {
                network_prefixes_add(ret, p);
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (covers(&used[i], p))
                        return;
        if (p->len >= inet_bits(p->addr.version))
                return; /* a host prefix overlapped and not covered: cannot happen, but stop */
        for (int which = 0; which < 2; which++) {
                InetPrefix h = half(p, which);
                InetPrefix *mine = xmalloc((n ? n : 1) * sizeof(*mine));
                size_t m = 0;
                for (size_t i = 0; i < n; i++)
                        if (inet_prefix_overlaps(&h, &used[i]))
                                mine[m++] = used[i];
                subtract_one(&h, mine, m, ret);
                free(mine);
        }
}

void network_prefixes_subtract(const NetPrefixSet *s, const NetPrefixSet *minus, NetPrefixSet *ret) {
        InetPrefix *mine = xmalloc((minus->n ? minus->n : 1) * sizeof(*mine));
        *ret = (NetPrefixSet) {};
        for (size_t i = 0; i < s->n; i++) {
                size_t m = 0;
                for (size_t j = 0; j < minus->n; j++)
                        if (s->v[i].addr.version == minus->v[j].addr.version &&
                            inet_prefix_overlaps(&s->v[i], &minus->v[j]))
                                mine[m++] = minus->v[j];
                subtract_one(&s->v[i], mine, m, ret);
        }
        free(mine);
        network_prefixes_compact(ret);
}

bool network_prefixes_contain(const NetPrefixSet *s, const InetPrefix *p) {
        for (size_t i = 0; i < s->n; i++)
                if (covers(&s->v[i], p))
                        return true;
        return false;
}

bool network_prefixes_cover(const NetPrefixSet *big, const NetPrefixSet *small) {
        NetPrefixSet left;
        network_prefixes_subtract(small, big, &left);
        bool all = left.n == 0;
        network_prefixes_done(&left);
        return all;
}

bool network_prefixes_pick(const NetPrefixSet *free, unsigned len, InetPrefix *ret) {
        const InetPrefix *best = NULL;
        for (size_t i = 0; i < free->n; i++) {
                const InetPrefix *p = &free->v[i];
                if (p->len > len || len > inet_bits(p->addr.version))
                        continue;
                /* The longest (smallest) block that fits, the lowest address among equals. */
                if (!best || p->len > best->len)
                        best = p;
        }
        if (!best)
                return false;
        *ret = (InetPrefix) { best->addr, len };
        return true;
}
