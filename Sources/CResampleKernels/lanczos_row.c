/* Horizontal Lanczos pass of one 8-bit row (see CResampleKernels.h). Each x86-64 variant carries its own target
 * attribute, so a baseline build contains every variant and the first call picks one. The weights are split as
 * high * 2048 + low so that each product fits a 16-bit multiply-add (pmaddwd); the two partial sums are exact
 * in 32 bits and recombine, with wrapping arithmetic, to the exact 32-bit total Pillow computes. */
#include "CResampleKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define NCC_PRECISION_BITS 22
#define NCC_SPLIT_BITS 11

static inline uint8_t ncc_clip8(uint32_t wrapped) {
    int32_t v = (int32_t)wrapped >> NCC_PRECISION_BITS;
    return v < 0 ? 0 : (v > 255 ? 255 : (uint8_t)v);
}

/* The taps [from, count) of one output, one at a time; high and low partial sums carried in. */
static inline uint8_t ncc_finish_scalar(const uint8_t *p, const int16_t *h, const int16_t *l, ptrdiff_t from,
                                        ptrdiff_t count, uint32_t sum_high, uint32_t sum_low) {
    for (ptrdiff_t i = from; i < count; i++) {
        sum_high += (uint32_t)((int32_t)p[i] * h[i]);
        sum_low += (uint32_t)((int32_t)p[i] * l[i]);
    }
    return ncc_clip8((sum_high << NCC_SPLIT_BITS) + sum_low);
}

static void ncc_lanczos_row_portable(const uint8_t *row, uint8_t *out, ptrdiff_t outputs, const ptrdiff_t *starts,
                                     const ptrdiff_t *counts, const int16_t *high, const int16_t *low,
                                     ptrdiff_t stride) {
    for (ptrdiff_t xx = 0; xx < outputs; xx++) {
        out[xx] = ncc_finish_scalar(row + starts[xx], high + xx * stride, low + xx * stride, 0, counts[xx], 0,
                                    1u << (NCC_PRECISION_BITS - 1));
    }
}

#if defined(__x86_64__)
static inline uint32_t ncc_hsum128(__m128i v) {
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(v);
}

static void ncc_lanczos_row_sse2(const uint8_t *row, uint8_t *out, ptrdiff_t outputs, const ptrdiff_t *starts,
                                 const ptrdiff_t *counts, const int16_t *high, const int16_t *low, ptrdiff_t stride) {
    const __m128i zero = _mm_setzero_si128();
    for (ptrdiff_t xx = 0; xx < outputs; xx++) {
        const uint8_t *p = row + starts[xx];
        const int16_t *h = high + xx * stride, *l = low + xx * stride;
        ptrdiff_t count = counts[xx], i = 0;
        __m128i acc_high = zero, acc_low = zero;
        for (; i + 8 <= count; i += 8) {
            __m128i px = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(p + i)), zero);
            acc_high = _mm_add_epi32(acc_high, _mm_madd_epi16(px, _mm_loadu_si128((const __m128i *)(h + i))));
            acc_low = _mm_add_epi32(acc_low, _mm_madd_epi16(px, _mm_loadu_si128((const __m128i *)(l + i))));
        }
        out[xx] = ncc_finish_scalar(p, h, l, i, count, ncc_hsum128(acc_high),
                                    ncc_hsum128(acc_low) + (1u << (NCC_PRECISION_BITS - 1)));
    }
}

__attribute__((target("avx2"))) static void ncc_lanczos_row_avx2(const uint8_t *row, uint8_t *out, ptrdiff_t outputs,
                                                                 const ptrdiff_t *starts, const ptrdiff_t *counts,
                                                                 const int16_t *high, const int16_t *low,
                                                                 ptrdiff_t stride) {
    for (ptrdiff_t xx = 0; xx < outputs; xx++) {
        const uint8_t *p = row + starts[xx];
        const int16_t *h = high + xx * stride, *l = low + xx * stride;
        ptrdiff_t count = counts[xx], i = 0;
        __m256i acc_high = _mm256_setzero_si256(), acc_low = _mm256_setzero_si256();
        for (; i + 16 <= count; i += 16) {
            __m256i px = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p + i)));
            acc_high = _mm256_add_epi32(acc_high, _mm256_madd_epi16(px, _mm256_loadu_si256((const __m256i *)(h + i))));
            acc_low = _mm256_add_epi32(acc_low, _mm256_madd_epi16(px, _mm256_loadu_si256((const __m256i *)(l + i))));
        }
        __m128i sum_high = _mm_add_epi32(_mm256_castsi256_si128(acc_high), _mm256_extracti128_si256(acc_high, 1));
        __m128i sum_low = _mm_add_epi32(_mm256_castsi256_si128(acc_low), _mm256_extracti128_si256(acc_low, 1));
        if (i + 8 <= count) {
            __m128i px = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(p + i)));
            sum_high = _mm_add_epi32(sum_high, _mm_madd_epi16(px, _mm_loadu_si128((const __m128i *)(h + i))));
            sum_low = _mm_add_epi32(sum_low, _mm_madd_epi16(px, _mm_loadu_si128((const __m128i *)(l + i))));
            i += 8;
        }
        out[xx] = ncc_finish_scalar(p, h, l, i, count, ncc_hsum128(sum_high),
                                    ncc_hsum128(sum_low) + (1u << (NCC_PRECISION_BITS - 1)));
    }
}
#endif

typedef void (*ncc_lanczos_row_fn)(const uint8_t *, uint8_t *, ptrdiff_t, const ptrdiff_t *, const ptrdiff_t *,
                                   const int16_t *, const int16_t *, ptrdiff_t);

/* The variant for `path` (0 portable, 1 SSE2, 2 AVX2, -1 the fastest), never one this CPU cannot run. */
static ncc_lanczos_row_fn ncc_pick(int path, const char **name) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (path != 0 && path != 1 && __builtin_cpu_supports("avx2")) { *name = "avx2"; return ncc_lanczos_row_avx2; }
    if (path != 0) { *name = "sse2"; return ncc_lanczos_row_sse2; }
#else
    (void)path;
#endif
    *name = "portable";
    return ncc_lanczos_row_portable;
}

static ncc_lanczos_row_fn g_row;
static const char *g_name;

static ncc_lanczos_row_fn ncc_resolved(void) {
    ncc_lanczos_row_fn fn = __atomic_load_n(&g_row, __ATOMIC_ACQUIRE);
    if (!fn) {
        const char *name = "portable";
        fn = ncc_pick(-1, &name);
        /* Every thread computes the same answer, so a race only stores it twice. */
        __atomic_store_n(&g_name, name, __ATOMIC_RELAXED);
        __atomic_store_n(&g_row, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

void ncc_lanczos_row(const uint8_t *row, uint8_t *out, ptrdiff_t outputs, const ptrdiff_t *starts,
                     const ptrdiff_t *counts, const int16_t *high, const int16_t *low, ptrdiff_t stride) {
    ncc_resolved()(row, out, outputs, starts, counts, high, low, stride);
}

const char *ncc_lanczos_row_path(void) {
    ncc_resolved();
    return __atomic_load_n(&g_name, __ATOMIC_RELAXED);
}

void ncc_lanczos_row_on(int path, const uint8_t *row, uint8_t *out, ptrdiff_t outputs, const ptrdiff_t *starts,
                        const ptrdiff_t *counts, const int16_t *high, const int16_t *low, ptrdiff_t stride) {
    const char *name;
    ncc_pick(path, &name)(row, out, outputs, starts, counts, high, low, stride);
}
