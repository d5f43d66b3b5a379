#ifndef CRESAMPLEKERNELS_H
#define CRESAMPLEKERNELS_H

/*
 * The horizontal pass of Pillow's fixed-point Lanczos resize of one 8-bit row, with run-time CPU dispatch
 * (AVX2, SSE2, portable C). Every path gives the same bytes: the sums are exact integers.
 * Swift wraps this behind NCCHashing's LanczosAxisCache; NCCHashCore's LanczosPlan holds the same rule in Swift.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * For each output xx in [0, outputs): reads row[starts[xx] .. starts[xx] + counts[xx]) and the weights at
 * xx * stride of `high` and `low` (weight = high * 2048 + low, 22 fractional bits), and writes
 * clip8((2^21 + sum(pixel * weight)) >> 22) to out[xx]. Reads no pixel outside those windows.
 */
void ncc_lanczos_row(const uint8_t *row, uint8_t *out, ptrdiff_t outputs, const ptrdiff_t *starts,
                     const ptrdiff_t *counts, const int16_t *high, const int16_t *low, ptrdiff_t stride);

/* ncc_lanczos_row on one variant, for tests that compare them: 0 portable C, 1 SSE2, 2 AVX2 (a variant this CPU
 * lacks falls back to the next slower one). */
void ncc_lanczos_row_on(int path, const uint8_t *row, uint8_t *out, ptrdiff_t outputs, const ptrdiff_t *starts,
                        const ptrdiff_t *counts, const int16_t *high, const int16_t *low, ptrdiff_t stride);

/* The path ncc_lanczos_row takes on this CPU: "avx2", "sse2" or "portable". */
const char *ncc_lanczos_row_path(void);

#ifdef __cplusplus
}
#endif

#endif
