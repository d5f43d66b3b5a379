/* x86-64 kernels. Each function carries its own target attribute, so a baseline x86-64 build
 * contains every variant and dispatch.c picks one at run time. */
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define NCC_POPCNT __attribute__((target("popcnt")))
#define NCC_AVX2 __attribute__((target("avx2,popcnt")))
#define NCC_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vpopcntdq,popcnt")))

/* ---------------- scalar POPCNT ---------------- */

NCC_POPCNT uint32_t ncc_dist_popcnt(const uint64_t *a, const uint64_t *b, int words) {
    if (words == 4) {
        return (uint32_t)(__builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1]) +
                          __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]));
    }
    return (uint32_t)__builtin_popcountll(a[0] ^ b[0]);
}

NCC_POPCNT size_t ncc_scan1_popcnt_256(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                                       uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    uint64_t q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    for (size_t e = e0; e < e1; e++) {
        const uint64_t *b = bank + e * 4;
        uint32_t d = (uint32_t)(__builtin_popcountll(q0 ^ b[0]) + __builtin_popcountll(q1 ^ b[1]) +
                                __builtin_popcountll(q2 ^ b[2]) + __builtin_popcountll(q3 ^ b[3]));
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

NCC_POPCNT size_t ncc_scan1_popcnt_64(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                                      uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    uint64_t qq = q[0];
    for (size_t e = e0; e < e1; e++) {
        uint32_t d = (uint32_t)__builtin_popcountll(qq ^ bank[e]);
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

NCC_POPCNT size_t ncc_verify_popcnt(int words, const uint64_t *q, const uint64_t *bank, const uint32_t *cand, size_t nc,
                                    uint32_t maxd, uint32_t *oe, uint16_t *od) {
    size_t n = 0;
    if (words == 4) {
        uint64_t q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
        for (size_t i = 0; i < nc; i++) {
            /* Candidates are scattered over the bank: ask for the line well before it is needed. */
            if (i + 16 < nc) __builtin_prefetch(bank + (size_t)cand[i + 16] * 4);
            const uint64_t *b = bank + (size_t)cand[i] * 4;
            uint32_t d = (uint32_t)(__builtin_popcountll(q0 ^ b[0]) + __builtin_popcountll(q1 ^ b[1]) +
                                    __builtin_popcountll(q2 ^ b[2]) + __builtin_popcountll(q3 ^ b[3]));
            oe[n] = cand[i];
            od[n] = (uint16_t)d;
            /* Branch-free keep: hits are rare and unpredictable, a branch would mispredict. */
            n += d <= maxd;
        }
    } else {
        uint64_t qq = q[0];
        for (size_t i = 0; i < nc; i++) {
            if (i + 16 < nc) __builtin_prefetch(bank + cand[i + 16]);
            uint32_t d = (uint32_t)__builtin_popcountll(qq ^ bank[cand[i]]);
            oe[n] = cand[i];
            od[n] = (uint16_t)d;
            n += d <= maxd;
        }
    }
    return n;
}

/* ---------------- AVX2 ---------------- */

/* Per-byte popcount by two 16-entry table lookups (pshufb), one per nibble: AVX2 has no popcount. */
NCC_AVX2 static inline __m256i popcnt_bytes_avx2(__m256i v) {
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i lo = _mm256_and_si256(v, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* Four 64-bit word counts per code (psadbw sums bytes into qwords). */
NCC_AVX2 static inline __m256i word_counts_avx2(__m256i q, const uint64_t *b) {
    __m256i x = _mm256_xor_si256(q, _mm256_loadu_si256((const __m256i *)b));
    return _mm256_sad_epu8(popcnt_bytes_avx2(x), _mm256_setzero_si256());
}

/* Distances of 4 consecutive 256-bit codes in the 16-bit fields 0..3 of the low qword. */
NCC_AVX2 static inline __m256i dist4_avx2(__m256i q, const uint64_t *b) {
    __m256i s0 = word_counts_avx2(q, b), s1 = word_counts_avx2(q, b + 4);
    __m256i s2 = word_counts_avx2(q, b + 8), s3 = word_counts_avx2(q, b + 12);
    /* Pack the four codes' word counts (each <= 64) into 16-bit fields, then one horizontal sum serves all four. */
    __m256i y = _mm256_or_si256(_mm256_or_si256(s0, _mm256_slli_epi64(s1, 16)),
                                _mm256_or_si256(_mm256_slli_epi64(s2, 32), _mm256_slli_epi64(s3, 48)));
    y = _mm256_add_epi64(y, _mm256_shuffle_epi32(y, 0x4E));
    return _mm256_add_epi64(y, _mm256_permute2x128_si256(y, y, 1));
}

NCC_AVX2 size_t ncc_scan1_avx2_256(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                                   uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    __m256i qq = _mm256_loadu_si256((const __m256i *)q);
    __m256i limit = _mm256_set1_epi16((short)(maxd > 256 ? 256 : maxd));
    size_t e = e0;
    for (; e + 4 <= e1; e += 4) {
        __m256i d = dist4_avx2(qq, bank + e * 4);
        /* 16-bit compare; fields 0..3 of the low qword are bytes 0..7 of the mask. */
        unsigned over = (unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi16(d, limit)) & 0xFF;
        if (over != 0xFF) {
            uint16_t dist[16];
            _mm256_storeu_si256((__m256i *)dist, d);
            for (int k = 0; k < 4; k++) {
                if (dist[k] <= maxd && !ncc_emit(out, n, cap, qi, e + k, dist[k])) return e + k;
            }
        }
    }
    for (; e < e1; e++) {
        uint32_t d = ncc_dist_popcnt(q, bank + e * 4, 4);
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

NCC_AVX2 size_t ncc_scan1_avx2_64(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                                  uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    __m256i qq = _mm256_set1_epi64x((long long)q[0]);
    __m256i limit = _mm256_set1_epi64x((long long)maxd);
    size_t e = e0;
    for (; e + 4 <= e1; e += 4) {
        __m256i x = _mm256_xor_si256(qq, _mm256_loadu_si256((const __m256i *)(bank + e)));
        __m256i d = _mm256_sad_epu8(popcnt_bytes_avx2(x), _mm256_setzero_si256());
        unsigned over = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(d, limit)));
        if (over != 0xF) {
            uint64_t dist[4];
            _mm256_storeu_si256((__m256i *)dist, d);
            for (int k = 0; k < 4; k++) {
                if (dist[k] <= maxd && !ncc_emit(out, n, cap, qi, e + k, (uint32_t)dist[k])) return e + k;
            }
        }
    }
    for (; e < e1; e++) {
        uint32_t d = (uint32_t)__builtin_popcountll(q[0] ^ bank[e]);
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

NCC_AVX2 void ncc_distances_avx2(int words, const uint64_t *q, const uint64_t *bank, size_t nb, uint16_t *out) {
    size_t e = 0;
    if (words == 4) {
        __m256i qq = _mm256_loadu_si256((const __m256i *)q);
        for (; e + 4 <= nb; e += 4) {
            __m256i d = dist4_avx2(qq, bank + e * 4);
            _mm_storel_epi64((__m128i *)(out + e), _mm256_castsi256_si128(d));
        }
    }
    for (; e < nb; e++) out[e] = (uint16_t)ncc_dist_popcnt(q, bank + e * (size_t)words, words);
}

/* ---------------- AVX-512 VPOPCNTDQ ---------------- */

/* Distances of 8 consecutive 256-bit codes: fields 0..3 of qword 0 hold codes 0,2,4,6 and of qword 4 codes 1,3,5,7. */
NCC_AVX512 static inline __m512i dist8_avx512(__m512i qq, const uint64_t *b) {
    __m512i p0 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(b)));
    __m512i p1 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(b + 8)));
    __m512i p2 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(b + 16)));
    __m512i p3 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(b + 24)));
    /* Word counts are <= 64: pack four registers into 16-bit fields so one horizontal sum serves eight codes. */
    __m512i y = _mm512_ternarylogic_epi64(p0, _mm512_slli_epi64(p1, 16), _mm512_slli_epi64(p2, 32), 0xFE);
    y = _mm512_or_si512(y, _mm512_slli_epi64(p3, 48));
    y = _mm512_add_epi64(y, _mm512_shuffle_epi32(y, _MM_PERM_BADC));
    return _mm512_add_epi64(y, _mm512_shuffle_i64x2(y, y, _MM_SHUFFLE(2, 3, 0, 1)));
}

NCC_AVX512 size_t ncc_scan1_avx512_256(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                                       uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    __m512i qq = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)q));
    __m512i limit = _mm512_set1_epi16((short)(maxd > 256 ? 256 : maxd));
    size_t e = e0;
    for (; e + 8 <= e1; e += 8) {
        __m512i d = dist8_avx512(qq, bank + e * 4);
        /* Only qwords 0 and 4 carry the sums: keep their four 16-bit fields each. */
        uint32_t m = (uint32_t)_mm512_cmple_epu16_mask(d, limit) & 0x000F000Fu;
        if (m) {
            uint16_t dist[32];
            _mm512_storeu_si512(dist, d);
            for (int c = 0; c < 8; c++) {
                int field = (c & 1) * 16 + (c >> 1);
                if (((m >> field) & 1) && !ncc_emit(out, n, cap, qi, e + c, dist[field])) return e + c;
            }
        }
    }
    for (; e < e1; e++) {
        uint32_t d = ncc_dist_popcnt(q, bank + e * 4, 4);
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

NCC_AVX512 size_t ncc_scan1_avx512_64(const uint64_t *q, const uint64_t *bank, size_t e0, size_t e1, uint32_t maxd,
                                      uint32_t qi, ncc_hit *out, size_t *n, size_t cap) {
    __m512i qq = _mm512_set1_epi64((long long)q[0]);
    __m512i limit = _mm512_set1_epi64((long long)maxd);
    size_t e = e0;
    for (; e + 16 <= e1; e += 16) {
        /* Two independent registers per step hide the popcount latency. */
        __m512i d0 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(bank + e)));
        __m512i d1 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(bank + e + 8)));
        uint32_t m = (uint32_t)_mm512_cmple_epu64_mask(d0, limit) | ((uint32_t)_mm512_cmple_epu64_mask(d1, limit) << 8);
        if (m) {
            uint64_t dist[16];
            _mm512_storeu_si512(dist, d0);
            _mm512_storeu_si512(dist + 8, d1);
            for (int c = 0; c < 16; c++) {
                if (((m >> c) & 1) && !ncc_emit(out, n, cap, qi, e + c, (uint32_t)dist[c])) return e + c;
            }
        }
    }
    for (; e < e1; e++) {
        uint32_t d = (uint32_t)__builtin_popcountll(q[0] ^ bank[e]);
        if (d <= maxd && !ncc_emit(out, n, cap, qi, e, d)) return e;
    }
    return e1;
}

NCC_AVX512 void ncc_distances_avx512(int words, const uint64_t *q, const uint64_t *bank, size_t nb, uint16_t *out) {
    size_t e = 0;
    if (words == 4) {
        __m512i qq = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)q));
        for (; e + 8 <= nb; e += 8) {
            uint16_t dist[32];
            _mm512_storeu_si512(dist, dist8_avx512(qq, bank + e * 4));
            for (int c = 0; c < 8; c++) out[e + c] = dist[(c & 1) * 16 + (c >> 1)];
        }
    } else {
        __m512i qq = _mm512_set1_epi64((long long)q[0]);
        for (; e + 8 <= nb; e += 8) {
            __m512i d = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(bank + e)));
            _mm_storeu_si128((__m128i *)(out + e), _mm512_cvtepi64_epi16(d));
        }
    }
    for (; e < nb; e++) out[e] = (uint16_t)ncc_dist_popcnt(q, bank + e * (size_t)words, words);
}

#endif
