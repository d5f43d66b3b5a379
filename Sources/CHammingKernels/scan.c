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

size_t ncc_mih_directory_words(uint32_t bits) {
    size_t nwords = ((size_t)1 << bits) / 64;
    return nwords + (nwords + 1) / 2;
}

size_t ncc_mih_starts_count(uint32_t bits, size_t n) {
    size_t keys = (size_t)1 << bits;
    return (keys < n ? keys : n) + 1;
}

static inline uint32_t popcount_portable(uint64_t x) { return ncc_popcount_swar(x); }

void ncc_mih_build(const uint64_t *codes, size_t n, int words, uint32_t start, uint32_t bits, uint64_t *dir,
                   uint32_t *starts, uint32_t *positions, uint64_t *scratch) {
    size_t nstarts = ncc_mih_starts_count(bits, n);
    /* Two-level counting sort: first partition by the top 8 key bits (256 sequential write streams),
     * then sort each partition with a count array small enough for L2. A single-level sort over a
     * table of millions of keys would miss the cache on every entry, twice. */
    uint32_t part_bits = bits >= 14 ? 8 : 0, sub = bits - part_bits;
    uint32_t *ranks = (uint32_t *)(dir + ((size_t)1 << bits) / 64);
    if ((((size_t)1 << bits) / 64) % 2) ranks[((size_t)1 << bits) / 64] = 0; /* padding stays zero */
    size_t nparts = (size_t)1 << part_bits, sub_keys = (size_t)1 << sub;
    size_t *part_start = (size_t *)calloc(nparts + 1, sizeof(size_t));
    /* Keys are recomputed in the second pass rather than stored: reading the codes again is cheaper
     * than writing, faulting in and reading back a key array. */
    for (size_t i = 0; i < n; i++) part_start[(ncc_substring(codes + i * (size_t)words, words, start, bits) >> sub) + 1]++;
    for (size_t p = 0; p < nparts; p++) part_start[p + 1] += part_start[p];
    /* A caller building many tables passes one scratch buffer for all: fresh pages cost a zeroing each. */
    uint64_t *pairs = scratch ? scratch : (uint64_t *)malloc(n ? n * sizeof(uint64_t) : 1);
    size_t *cursor = (size_t *)malloc(nparts * sizeof(size_t));
    memcpy(cursor, part_start, nparts * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        uint32_t k = ncc_substring(codes + i * (size_t)words, words, start, bits);
        pairs[cursor[k >> sub]++] = ((uint64_t)k << 32) | (uint32_t)i;
    }
    free(cursor);
    uint32_t *count = (uint32_t *)malloc(sub_keys * sizeof(uint32_t));
    uint32_t rank = 0, offset = 0;
    for (size_t p = 0; p < nparts; p++) {
        memset(count, 0, sub_keys * sizeof(uint32_t));
        for (size_t e = part_start[p]; e < part_start[p + 1]; e++) count[(pairs[e] >> 32) & (sub_keys - 1)]++;
        for (size_t lw = 0; lw < sub_keys / 64; lw++) {
            size_t wi = p * (sub_keys / 64) + lw;
            uint64_t occupied = 0;
            ranks[wi] = rank;
            for (size_t b = 0; b < 64; b++) {
                size_t k = lw * 64 + b;
                uint32_t c = count[k];
                /* count[] becomes each key's write cursor into positions. */
                count[k] = offset;
                if (c) {
                    occupied |= 1ULL << b;
                    starts[rank++] = offset;
                    offset += c;
                }
            }
            dir[wi] = occupied;
        }
        /* Pairs are in ascending index order within a partition, so buckets come out ascending. */
        for (size_t e = part_start[p]; e < part_start[p + 1]; e++)
            positions[count[(pairs[e] >> 32) & (sub_keys - 1)]++] = (uint32_t)pairs[e];
    }
    for (size_t r = rank; r < nstarts; r++) starts[r] = (uint32_t)n;
    free(count);
    if (!scratch) free(pairs);
    free(part_start);
}

/* Every key within `left` more flips above bit `from`, into keys[]; returns the new count. */
static size_t enumerate_keys(uint32_t *keys, size_t n, size_t cap, uint32_t key, uint32_t bits, uint32_t from,
                             uint32_t left) {
    for (uint32_t b = from; b < bits && n < cap; b++) {
        uint32_t k = key ^ (1u << b);
        keys[n++] = k;
        if (left > 1) n = enumerate_keys(keys, n, cap, k, bits, b + 1, left - 1);
    }
    return n;
}

/* Index into starts of a non-empty key, or UINT32_MAX when the key has no entries. */
static inline const uint32_t *ranks_of(const uint64_t *dir, uint32_t bits) {
    return (const uint32_t *)(dir + ((size_t)1 << bits) / 64);
}

static inline uint32_t key_slot(const uint64_t *dir, uint32_t bits, uint32_t key) {
    uint64_t word = dir[key >> 6], bit = 1ULL << (key & 63);
    if (!(word & bit)) return UINT32_MAX;
    return ranks_of(dir, bits)[key >> 6] + popcount_portable(word & (bit - 1));
}

/* Pass 1 of a gather: replaces keys[] by the starts slots of the non-empty keys; returns their count. */
static inline __attribute__((always_inline)) size_t keep_occupied(const uint64_t *dir, uint32_t bits, uint32_t *keys,
                                                                  size_t nk, int hardware_popcount) {
    enum { AHEAD = 16 };
    const uint32_t *ranks = ranks_of(dir, bits);
    size_t ns = 0;
    /* Bitmap pass: one bit (8 bytes per 64 keys) per key; prefetch covers what the cache misses. */
    for (size_t i = 0; i < nk; i++) {
        if (i + AHEAD < nk) __builtin_prefetch(dir + (keys[i + AHEAD] >> 6));
        uint32_t k = keys[i];
        keys[ns] = k;
        /* Branch-free: most keys are empty at large table widths and the pattern is random. */
        ns += (dir[k >> 6] >> (k & 63)) & 1;
    }
    /* Rank pass, for the few occupied keys only. */
    for (size_t i = 0; i < ns && i < AHEAD; i++) __builtin_prefetch(ranks + (keys[i] >> 6));
    for (size_t i = 0; i < ns; i++) {
        if (i + AHEAD < ns) __builtin_prefetch(ranks + (keys[i + AHEAD] >> 6));
        uint32_t k = keys[i];
        uint64_t below = dir[k >> 6] & ((1ULL << (k & 63)) - 1);
        keys[i] = ranks[k >> 6] + (hardware_popcount ? (uint32_t)__builtin_popcountll(below) : popcount_portable(below));
    }
    return ns;
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) static size_t keep_occupied_popcnt(const uint64_t *dir, uint32_t bits, uint32_t *keys,
                                                                      size_t nk) {
    return keep_occupied(dir, bits, keys, nk, 1);
}
#endif

static size_t keep_occupied_any(const uint64_t *dir, uint32_t bits, uint32_t *keys, size_t nk) {
#if defined(__x86_64__)
    if (ncc_cpu_active() >= NCC_CPU_POPCNT) return keep_occupied_popcnt(dir, bits, keys, nk);
#endif
    return keep_occupied(dir, bits, keys, nk, 0);
}

typedef struct {
    const uint64_t *dir;
    const uint32_t *starts;
    const uint32_t *positions;
    uint32_t *out;
    size_t cap;
    size_t n;
    uint32_t bits;
} gather_state;

static void gather_bucket(gather_state *g, uint32_t key) {
    uint32_t slot = key_slot(g->dir, g->bits, key);
    if (slot == UINT32_MAX) return;
    uint32_t lo = g->starts[slot], hi = g->starts[slot + 1];
    size_t len = hi - lo;
    if (g->n + len <= g->cap) memcpy(g->out + g->n, g->positions + lo, len * sizeof(uint32_t));
    else if (g->n < g->cap) memcpy(g->out + g->n, g->positions + lo, (g->cap - g->n) * sizeof(uint32_t));
    g->n += len;
}

static void gather_rec(gather_state *g, uint32_t key, uint32_t from, uint32_t left) {
    for (uint32_t b = from; b < g->bits; b++) {
        uint32_t k = key ^ (1u << b);
        gather_bucket(g, k);
        if (left > 1) gather_rec(g, k, b + 1, left - 1);
    }
}

/* Appends positions[lo..hi) to out at n (at most cap in all); returns n + hi - lo. */
static inline __attribute__((always_inline)) size_t copy_bucket(uint32_t *out, size_t n, size_t cap, const uint32_t *positions,
                                                                uint32_t lo, uint32_t hi, const uint64_t *bank, int words) {
    if (n + (hi - lo) <= cap) {
        for (uint32_t x = lo; x < hi; x++) {
            uint32_t p = positions[x];
            out[n + (x - lo)] = p;
            /* Start fetching the candidate's code now: verification reads it shortly after. */
            if (bank) __builtin_prefetch(bank + (size_t)p * words);
        }
    } else if (n < cap) {
        memcpy(out + n, positions + lo, (cap - n) * sizeof(uint32_t));
    }
    return n + (hi - lo);
}

size_t ncc_mih_gather(const uint64_t *dir, const uint32_t *starts, const uint32_t *positions, uint32_t bits,
                      uint32_t key, uint32_t radius, uint32_t *out, size_t cap, const uint64_t *bank, int words) {
    enum { KEY_CAP = 4096, STEP = 24 };
    uint32_t keys[KEY_CAP];
    keys[0] = key;
    size_t nk = radius > 0 ? enumerate_keys(keys, 1, KEY_CAP, key, bits, 0, radius) : 1;
    if (nk == KEY_CAP) {
        /* A huge ball (large radius): walk it directly rather than listing it. */
        gather_state g = {dir, starts, positions, out, cap, 0, bits};
        gather_bucket(&g, key);
        gather_rec(&g, key, 0, radius);
        return g.n;
    }
    /* Pass 1: keep only non-empty keys, as starts slots. */
    size_t ns = keep_occupied_any(dir, bits, keys, nk);
    /* Pass 2, pipelined: prefetch starts 2*STEP slots ahead; STEP ahead read the bounds and prefetch the
     * positions; then copy. The dependent cache misses of neighbouring probes overlap. */
    uint32_t lo_ring[STEP], hi_ring[STEP];
    size_t n = 0;
    for (size_t i = 0; i < ns + 2 * STEP; i++) {
        if (i < ns) __builtin_prefetch(starts + keys[i]);
        /* Copy before refilling: slot j % STEP is reused by the bucket STEP slots later. */
        if (i >= 2 * STEP) {
            size_t j = i - 2 * STEP;
            n = copy_bucket(out, n, cap, positions, lo_ring[j % STEP], hi_ring[j % STEP], bank, words);
        }
        if (i >= STEP && i - STEP < ns) {
            size_t j = i - STEP;
            uint32_t lo = starts[keys[j]], hi = starts[keys[j] + 1];
            lo_ring[j % STEP] = lo;
            hi_ring[j % STEP] = hi;
            __builtin_prefetch(positions + lo);
        }
    }
    return n;
}

/* Every table's keys through each pass together: the cache misses of all tables overlap (a radius-1 probe lists
 * only about 24 keys a table, too few to keep the memory system busy on its own). */
static inline __attribute__((always_inline)) size_t gather_tables(const ncc_mih_probe *probes, size_t np, uint32_t *out,
                                                                   size_t cap, const uint64_t *bank, int words,
                                                                   int hardware_popcount) {
    enum { KEY_CAP = 4096, STEP = 24, AHEAD = 16 };
    uint32_t keys[KEY_CAP];
    uint8_t table[KEY_CAP];
    size_t nk = 0;
    for (size_t t = 0; t < np && np <= 255; t++) {
        size_t first = nk;
        if (nk == KEY_CAP) break;
        keys[nk++] = probes[t].key;
        if (probes[t].radius > 0) nk = enumerate_keys(keys, nk, KEY_CAP, probes[t].key, probes[t].bits, 0, probes[t].radius);
        for (size_t i = first; i < nk; i++) table[i] = (uint8_t)t;
    }
    if (np > 255 || nk == KEY_CAP) {
        /* Too many keys to list at once: one table at a time. */
        size_t n = 0;
        for (size_t t = 0; t < np; t++) {
            const ncc_mih_probe *p = &probes[t];
            n += ncc_mih_gather(p->dir, p->starts, p->positions, p->bits, p->key, p->radius, out + (n < cap ? n : cap),
                                n < cap ? cap - n : 0, bank, words);
        }
        return n;
    }
    /* Pass 1: keep the non-empty keys (one bit each in their table's bitmap). */
    size_t ns = 0;
    for (size_t i = 0; i < nk; i++) {
        if (i + AHEAD < nk) __builtin_prefetch(probes[table[i + AHEAD]].dir + (keys[i + AHEAD] >> 6));
        uint32_t k = keys[i];
        uint8_t t = table[i];
        keys[ns] = k;
        table[ns] = t;
        ns += (probes[t].dir[k >> 6] >> (k & 63)) & 1;
    }
    /* Pass 2: their starts slots (rank of the word plus the bits below). */
    for (size_t i = 0; i < ns; i++) {
        if (i + AHEAD < ns) {
            const ncc_mih_probe *a = &probes[table[i + AHEAD]];
            __builtin_prefetch(ranks_of(a->dir, a->bits) + (keys[i + AHEAD] >> 6));
        }
        const ncc_mih_probe *p = &probes[table[i]];
        uint32_t k = keys[i];
        uint64_t below = p->dir[k >> 6] & ((1ULL << (k & 63)) - 1);
        keys[i] = ranks_of(p->dir, p->bits)[k >> 6] + (hardware_popcount ? (uint32_t)__builtin_popcountll(below) : popcount_portable(below));
    }
    /* Pass 3, pipelined as in ncc_mih_gather: starts 2*STEP ahead, positions STEP ahead, then copy. */
    uint32_t lo_ring[STEP], hi_ring[STEP];
    uint8_t t_ring[STEP];
    size_t n = 0;
    for (size_t i = 0; i < ns + 2 * STEP; i++) {
        if (i < ns) __builtin_prefetch(probes[table[i]].starts + keys[i]);
        if (i >= 2 * STEP) {
            size_t j = i - 2 * STEP;
            n = copy_bucket(out, n, cap, probes[t_ring[j % STEP]].positions, lo_ring[j % STEP], hi_ring[j % STEP], bank, words);
        }
        if (i >= STEP && i - STEP < ns) {
            size_t j = i - STEP;
            const ncc_mih_probe *p = &probes[table[j]];
            uint32_t lo = p->starts[keys[j]], hi = p->starts[keys[j] + 1];
            lo_ring[j % STEP] = lo;
            hi_ring[j % STEP] = hi;
            t_ring[j % STEP] = table[j];
            __builtin_prefetch(p->positions + lo);
        }
    }
    return n;
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) static size_t gather_tables_popcnt(const ncc_mih_probe *probes, size_t np, uint32_t *out,
                                                                      size_t cap, const uint64_t *bank, int words) {
    return gather_tables(probes, np, out, cap, bank, words, 1);
}
#endif

size_t ncc_mih_gather_tables(const ncc_mih_probe *probes, size_t np, uint32_t *out, size_t cap, const uint64_t *bank,
                             int words) {
#if defined(__x86_64__)
    if (ncc_cpu_active() >= NCC_CPU_POPCNT) return gather_tables_popcnt(probes, np, out, cap, bank, words);
#endif
    return gather_tables(probes, np, out, cap, bank, words, 0);
}

int ncc_mih_check(const uint64_t *dir, const uint32_t *starts, const uint32_t *positions, uint32_t bits, size_t n) {
    size_t nwords = ((size_t)1 << bits) / 64, nstarts = ncc_mih_starts_count(bits, n);
    uint32_t rank = 0;
    for (size_t w = 0; w < nwords; w++) {
        if (ranks_of(dir, bits)[w] != rank) return 0;
        rank += popcount_portable(dir[w]);
        if (rank >= nstarts) return 0;
    }
    uint32_t bad = 0;
    /* Non-empty keys have non-empty, ordered ranges; the tail is all n. */
    for (size_t r = 0; r < rank; r++) bad |= starts[r] >= starts[r + 1];
    for (size_t r = rank; r < nstarts; r++) bad |= starts[r] != (uint32_t)n;
    if (bad || (rank > 0 && starts[0] != 0)) return 0;
    return ncc_check_below(positions, n, (uint32_t)n);
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
