#include "internal.h"

#include <stdlib.h>
#include <string.h>

size_t ncc_scan1_portable_256(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                              uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    for (size_t e = e0; e < e1; e++) {
        uint32_t d = ncc_dist_swar(q, bank + e * 4, 4);
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

size_t ncc_scan1_portable_64(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                             uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    uint64_t qq = q[0];
    for (size_t e = e0; e < e1; e++) {
        uint32_t d = ncc_popcount_swar(qq ^ bank[e]);
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

static ncc_scan_fn pick_scan(int path, int words) {
    path = ncc_resolve_path(path);
#if defined(__x86_64__)
    switch (path) {
    case NCC_CPU_AVX512: return words == 4 ? ncc_scan1_avx512_256 : ncc_scan1_avx512_64;
    case NCC_CPU_AVX2: return words == 4 ? ncc_scan1_avx2_256 : ncc_scan1_avx2_64;
    case NCC_CPU_POPCNT: return words == 4 ? ncc_scan1_popcnt_256 : ncc_scan1_popcnt_64;
    default: break;
    }
#endif
    (void)path;
    return words == 4 ? ncc_scan1_portable_256 : ncc_scan1_portable_64;
}

size_t ncc_scan_range(int path, int words, const uint64_t *queries, size_t nq, const uint64_t *bank, size_t nb,
                      uint32_t max_distance, ncc_hit *out, size_t cap, ncc_scan_cursor *cursor) {
    ncc_scan_fn scan = pick_scan(path, words);
    /* Blocks of 32 KiB of bank stay in L1/L2 while every query of the batch passes over them. */
    const size_t block_len = words == 4 ? 1024 : 4096;
    size_t n = 0;
    if (cursor->done) return 0;
    size_t block = cursor->block, qi = cursor->query, entry = cursor->entry;
    for (; block < nb; block += block_len) {
        size_t end = block + block_len < nb ? block + block_len : nb;
        for (; qi < nq; qi++) {
            size_t start = entry > block ? entry : block;
            entry = 0;
            size_t stopped = scan(queries + qi * (size_t)words, bank, start, end, max_distance, (uint32_t)qi, out, &n, cap);
            if (stopped < end) {
                cursor->block = block;
                cursor->query = qi;
                cursor->entry = stopped;
                return n;
            }
        }
        qi = 0;
    }
    cursor->done = 1;
    return n;
}

void ncc_distances(int path, int words, const uint64_t *query, const uint64_t *bank, size_t nb, uint16_t *out) {
    path = ncc_resolve_path(path);
#if defined(__x86_64__)
    if (path == NCC_CPU_AVX512) { ncc_distances_avx512(words, query, bank, nb, out); return; }
    if (path == NCC_CPU_AVX2) { ncc_distances_avx2(words, query, bank, nb, out); return; }
    if (path == NCC_CPU_POPCNT) {
        for (size_t i = 0; i < nb; i++) out[i] = (uint16_t)ncc_dist_popcnt(query, bank + i * (size_t)words, words);
        return;
    }
#endif
    for (size_t i = 0; i < nb; i++) out[i] = (uint16_t)ncc_dist_swar(query, bank + i * (size_t)words, words);
}

size_t ncc_verify(int path, int words, const uint64_t *query, const uint64_t *bank, const uint32_t *cand, size_t nc,
                  uint32_t max_distance, uint32_t *out_entry, uint16_t *out_distance) {
    path = ncc_resolve_path(path);
#if defined(__x86_64__)
    if (path >= NCC_CPU_POPCNT) return ncc_verify_popcnt(words, query, bank, cand, nc, max_distance, out_entry, out_distance);
#endif
    size_t n = 0;
    for (size_t i = 0; i < nc; i++) {
        /* Candidates are scattered over the bank: ask for the line well before it is needed. */
        if (i + 16 < nc) __builtin_prefetch(bank + (size_t)cand[i + 16] * words);
        uint32_t d = ncc_dist_swar(query, bank + (size_t)cand[i] * words, words);
        out_entry[n] = cand[i];
        out_distance[n] = (uint16_t)d;
        /* Branch-free keep: the write always happens, the count advances only on a hit. */
        n += d <= max_distance;
    }
    return n;
}

/* ---- multi-index hashing ---- */

uint32_t ncc_substring(const uint64_t *code, int words, uint32_t start, uint32_t bits) {
    uint32_t w = start >> 6, s = start & 63;
    uint64_t mask = bits >= 64 ? ~0ULL : ((1ULL << bits) - 1);
    uint64_t v;
    if (s + bits <= 64) {
        v = code[w] >> (64 - s - bits);
    } else {
        uint32_t lo_bits = s + bits - 64;
        v = (code[w] << lo_bits) | ((int)(w + 1) < words ? code[w + 1] >> (64 - lo_bits) : 0);
    }
    return (uint32_t)(v & mask);
}

void ncc_mih_build(const uint64_t *codes, size_t n, int words, uint32_t start, uint32_t bits, uint32_t *offsets,
                   uint32_t *positions) {
    size_t keys = (size_t)1 << bits;
    memset(offsets, 0, (keys + 1) * sizeof(uint32_t));
    uint32_t *key_of = (uint32_t *)malloc(n ? n * sizeof(uint32_t) : 1);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = ncc_substring(codes + i * (size_t)words, words, start, bits);
        key_of[i] = k;
        offsets[k + 1]++;
    }
    for (size_t k = 0; k < keys; k++) offsets[k + 1] += offsets[k];
    uint32_t *cursor = (uint32_t *)malloc(keys * sizeof(uint32_t));
    memcpy(cursor, offsets, keys * sizeof(uint32_t));
    /* Counting sort keeps indices ascending within a key, so buckets are stable and deterministic. */
    for (size_t i = 0; i < n; i++) positions[cursor[key_of[i]]++] = (uint32_t)i;
    free(cursor);
    free(key_of);
}

typedef struct {
    const uint32_t *offsets;
    const uint32_t *positions;
    uint32_t *out;
    size_t cap;
    size_t n;
    uint32_t bits;
} gather_state;

static inline void gather_bucket(gather_state *g, uint32_t key) {
    uint32_t lo = g->offsets[key], hi = g->offsets[key + 1];
    size_t len = hi - lo;
    if (len == 0) return;
    if (g->n + len <= g->cap) memcpy(g->out + g->n, g->positions + lo, len * sizeof(uint32_t));
    else if (g->n < g->cap) memcpy(g->out + g->n, g->positions + lo, (g->cap - g->n) * sizeof(uint32_t));
    g->n += len;
}

/* Flips each combination of `left` more bits above `from`: every key within the radius exactly once. */
static void gather_rec(gather_state *g, uint32_t key, uint32_t from, uint32_t left) {
    for (uint32_t b = from; b < g->bits; b++) {
        uint32_t k = key ^ (1u << b);
        gather_bucket(g, k);
        if (left > 1) gather_rec(g, k, b + 1, left - 1);
    }
}

size_t ncc_mih_gather(const uint32_t *offsets, const uint32_t *positions, uint32_t bits, uint32_t key, uint32_t radius,
                      uint32_t *out, size_t cap) {
    gather_state g = {offsets, positions, out, cap, 0, bits};
    gather_bucket(&g, key);
    if (radius > 0) gather_rec(&g, key, 0, radius);
    return g.n;
}

/* ---- snapshot helpers ---- */

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t ncc_checksum(const void *data, size_t n, uint64_t seed) {
    const uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL, P3 = 0x165667B19E3779F9ULL;
    const unsigned char *p = (const unsigned char *)data;
    /* Four independent lanes keep the multiplier busy: the sum runs at memory speed. */
    uint64_t a0 = seed + P1 + P2, a1 = seed + P2, a2 = seed, a3 = seed - P1;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t x0, x1, x2, x3;
        memcpy(&x0, p + i, 8); memcpy(&x1, p + i + 8, 8); memcpy(&x2, p + i + 16, 8); memcpy(&x3, p + i + 24, 8);
        a0 = rotl64(a0 + x0 * P2, 31) * P1;
        a1 = rotl64(a1 + x1 * P2, 31) * P1;
        a2 = rotl64(a2 + x2 * P2, 31) * P1;
        a3 = rotl64(a3 + x3 * P2, 31) * P1;
    }
    uint64_t h = rotl64(a0, 1) + rotl64(a1, 7) + rotl64(a2, 12) + rotl64(a3, 18) + (uint64_t)n;
    for (; i < n; i++) h = rotl64(h ^ (p[i] * P3), 11) * P1;
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}

int ncc_check_offsets(const uint32_t *values, size_t n, uint32_t last) {
    if (n == 0) return 0;
    uint32_t bad = 0;
    /* Accumulate instead of branching so the loop vectorizes. */
    for (size_t i = 1; i < n; i++) bad |= values[i] < values[i - 1];
    return !bad && values[n - 1] == last && values[0] == 0;
}

int ncc_check_below(const uint32_t *values, size_t n, uint32_t limit) {
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) bad |= values[i] >= limit;
    return !bad;
}
