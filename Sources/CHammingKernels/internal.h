#ifndef NCC_INTERNAL_H
#define NCC_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "CHammingKernels.h"

int ncc_resolve_path(int path);

/* Scans one query against bank entries [e0, e1); appends hits; returns the entry it stopped at
 * (e1 when finished, earlier when the output filled). */
typedef size_t (*ncc_scan_fn)(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                              uint32_t qi, ncc_hit *out, size_t *n, size_t cap);

size_t ncc_scan1_portable_256(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
size_t ncc_scan1_portable_64(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
#if defined(__x86_64__)
size_t ncc_scan1_popcnt_256(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
size_t ncc_scan1_popcnt_64(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
size_t ncc_scan1_avx2_256(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
size_t ncc_scan1_avx2_64(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
size_t ncc_scan1_avx512_256(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
size_t ncc_scan1_avx512_64(const uint64_t *, const uint64_t *, size_t, size_t, uint32_t, uint32_t, ncc_hit *, size_t *, size_t);
uint32_t ncc_dist_popcnt(const uint64_t *a, const uint64_t *b, int words);
size_t ncc_verify_popcnt(int words, const uint64_t *q, const uint64_t *bank, const uint32_t *cand, size_t nc,
                         uint32_t maxd, uint32_t *oe, uint16_t *od);
void ncc_distances_avx512(int words, const uint64_t *q, const uint64_t *bank, size_t nb, uint16_t *out);
void ncc_distances_avx2(int words, const uint64_t *q, const uint64_t *bank, size_t nb, uint16_t *out);
#endif

/* SWAR popcount: no instruction needed, so it runs on any CPU. */
static inline uint32_t ncc_popcount_swar(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
}

static inline uint32_t ncc_dist_swar(const uint64_t *a, const uint64_t *b, int words) {
    uint32_t d = 0;
    for (int w = 0; w < words; w++) d += ncc_popcount_swar(a[w] ^ b[w]);
    return d;
}

/* Appends one hit; returns 0 when the buffer is full. */
static inline int ncc_emit(ncc_hit *out, size_t *n, size_t cap, uint32_t qi, size_t entry, uint32_t d) {
    if (*n == cap) return 0;
    out[*n].query = qi;
    out[*n].entry = (uint32_t)entry;
    out[*n].distance = d;
    (*n)++;
    return 1;
}
#endif
