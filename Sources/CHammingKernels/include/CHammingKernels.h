#ifndef CHAMMINGKERNELS_H
#define CHAMMINGKERNELS_H

/*
 * XOR+popcount kernels for 256-bit (4 x uint64) and 64-bit (1 x uint64) binary codes,
 * with run-time CPU dispatch. Codes are stored "array of structures": code i occupies
 * words [i*w, i*w + w) where w is 1 or 4. Swift wraps these behind NCCIndex's safe API.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel families, slowest to fastest. */
enum {
    NCC_CPU_PORTABLE = 0, /* plain C, SWAR popcount: any CPU */
    NCC_CPU_POPCNT = 1,   /* x86-64 POPCNT instruction, one 64-bit word at a time */
    NCC_CPU_AVX2 = 2,     /* AVX2, nibble-table (pshufb) popcount */
    NCC_CPU_AVX512 = 3,   /* AVX-512 F/BW/VL + VPOPCNTDQ */
    NCC_CPU_ACTIVE = -1   /* pass to any kernel: use the path selected for this process */
};

/* 1 when this CPU can run `path`, else 0. */
int ncc_cpu_supported(int path);
/* The fastest path this CPU supports. */
int ncc_cpu_best(void);
/* The path kernels use when given NCC_CPU_ACTIVE: NCCMATCH_CPU=avx512|avx2|popcnt|portable
 * if set (and supported; an unsupported request falls back to the best supported path), else the best. */
int ncc_cpu_active(void);
/* Name of a path ("avx512", "avx2", "popcnt", "portable"). */
const char *ncc_cpu_name(int path);

/* One result of a batched range scan. */
typedef struct {
    uint32_t query;    /* index of the query in the batch */
    uint32_t entry;    /* index of the code in the bank */
    uint32_t distance; /* Hamming distance, <= max_distance */
} ncc_hit;

/* Resume point of a batched scan that filled its output buffer. Zero it before the first call. */
typedef struct {
    size_t block; /* first bank index of the current block */
    size_t query; /* query within the block */
    size_t entry; /* bank index to resume at */
    int done;     /* 1 when the whole scan has been emitted */
} ncc_scan_cursor;

/*
 * Batched range scan: every (query, entry) pair with distance <= max_distance, for nq queries
 * against nb bank codes, `words` 64-bit words per code (1 or 4). Emits at most `cap` hits into
 * `out` and returns how many; call again with the same cursor until cursor->done.
 * Hits come out grouped by bank block, not sorted.
 */
size_t ncc_scan_range(int path, int words, const uint64_t *queries, size_t nq, const uint64_t *bank, size_t nb,
                      uint32_t max_distance, ncc_hit *out, size_t cap, ncc_scan_cursor *cursor);

/* Distance from one query to each of nb bank codes, into out[0..nb). */
void ncc_distances(int path, int words, const uint64_t *query, const uint64_t *bank, size_t nb, uint16_t *out);

/*
 * Candidate verification: for each bank index in cand[0..nc), keeps those within max_distance.
 * Writes kept indices to out_entry and distances to out_distance (both sized nc); returns the count.
 * Prefetches codes ahead, so the candidates may be scattered over a large bank.
 */
size_t ncc_verify(int path, int words, const uint64_t *query, const uint64_t *bank, const uint32_t *cand, size_t nc,
                  uint32_t max_distance, uint32_t *out_entry, uint16_t *out_distance);

/* ---- multi-index hashing tables ---- */

/*
 * A table over one substring of `bits` bits (6 <= bits <= 26) is three arrays:
 *   dir                        the directory: 2^bits / 64 occupancy words (bit k of word w set: key
 *                              w*64+k has entries), then 2^bits / 64 32-bit ranks (non-empty keys
 *                              before word w); ncc_mih_directory_words() 64-bit words in all;
 *   starts[min(2^bits, n) + 1] where each non-empty key's entries begin in positions; the slot after
 *                              the last non-empty key holds n, and unused slots hold n too;
 *   positions[n]               bank indices grouped by key, ascending within a key.
 * An empty key costs one bit test in a small, cache-friendly bitmap; only non-empty keys read a rank
 * and touch starts.
 */

/* 64-bit words of a table's directory: occupancy bitmap plus ranks. */
size_t ncc_mih_directory_words(uint32_t bits);

/* Number of starts slots for a table: min(2^bits, n) + 1. */
size_t ncc_mih_starts_count(uint32_t bits, size_t n);

/* Bits [start, start+bits) of a code, bit 0 being the most significant bit of word 0; bits <= 32. */
uint32_t ncc_substring(const uint64_t *code, int words, uint32_t start, uint32_t bits);

/* Builds one table over bits [start, start+bits) of n codes (n < 2^32). scratch: n words of working
 * memory, reusable from table to table, or NULL to allocate it for this call. */
void ncc_mih_build(const uint64_t *codes, size_t n, int words, uint32_t start, uint32_t bits, uint64_t *dir,
                   uint32_t *starts, uint32_t *positions, uint64_t *scratch);

/*
 * Appends to out the bank indices stored under every key within Hamming distance `radius` of `key`.
 * Writes at most cap; returns the total that would have been written. When bank is not NULL, the
 * candidates' codes (words 64-bit words each) are prefetched for the verification that follows.
 */
size_t ncc_mih_gather(const uint64_t *dir, const uint32_t *starts, const uint32_t *positions, uint32_t bits,
                      uint32_t key, uint32_t radius, uint32_t *out, size_t cap, const uint64_t *bank, int words);

/* One table's part of a multi-table gather: its arrays, the query's key in it and the radius to probe. */
typedef struct {
    const uint64_t *dir;
    const uint32_t *starts;
    const uint32_t *positions;
    uint32_t bits;
    uint32_t key;
    uint32_t radius;
} ncc_mih_probe;

/*
 * ncc_mih_gather over np tables at once (np <= 255): the candidates of every table, in table order, the keys of
 * all tables passing through each step together so that their cache misses overlap. Writes at most cap;
 * returns the total that would have been written.
 */
size_t ncc_mih_gather_tables(const ncc_mih_probe *probes, size_t np, uint32_t *out, size_t cap, const uint64_t *bank,
                             int words);

/* 1 when a table read from a file is consistent (ranks, starts, positions all in range), else 0. */
int ncc_mih_check(const uint64_t *dir, const uint32_t *starts, const uint32_t *positions, uint32_t bits, size_t n);

/* ---- snapshot helpers ---- */

/* 64-bit checksum of n bytes (multiply-rotate over 32-byte stripes), seeded. */
uint64_t ncc_checksum(const void *data, size_t n, uint64_t seed);
/* 1 when values[0..n) are non-decreasing and values[n-1] == last (n > 0), else 0. */
int ncc_check_offsets(const uint32_t *values, size_t n, uint32_t last);
/* 1 when every values[i] < limit, else 0. */
int ncc_check_below(const uint32_t *values, size_t n, uint32_t limit);

#ifdef __cplusplus
}
#endif

#endif
