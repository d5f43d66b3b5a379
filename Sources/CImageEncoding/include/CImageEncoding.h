/*
 * CImageEncoding: in-memory JPEG (libjpeg-turbo) and PNG (libpng) encoding for the robustness
 * evaluation. Re-encoded copies of a picture stay in memory and are decoded again by CImageCodecs;
 * nothing is ever written to a file.
 *
 * Every libjpeg/libpng error is caught inside these C functions (setjmp/longjmp never leaves this
 * target). Output memory is malloc'ed here, grown by copying into a new block and wiping the old one,
 * and must be released with ncc_encoded_free, which wipes it before freeing it.
 */
#ifndef CIMAGEENCODING_H
#define CIMAGEENCODING_H

#include <stddef.h>
#include <stdint.h>

/* Status codes returned by the encoders. */
enum {
    NCC_ENCODE_OK = 0,
    NCC_ENCODE_INVALID_ARGUMENT = 1, /* bad size, channel count or quality */
    NCC_ENCODE_OUT_OF_MEMORY = 2,    /* an allocation failed */
    NCC_ENCODE_LIBRARY_ERROR = 3,    /* libjpeg or libpng reported an error (message in `underlying`) */
};

#define NCC_ENCODE_MESSAGE_CAPACITY 200

/* The encoded bytes. On success `data` holds `size` bytes (malloc'ed, `capacity` allocated);
 * release it with ncc_encoded_free. On failure `data` is NULL. */
typedef struct ncc_encode_result {
    uint8_t *data;
    size_t size;
    size_t capacity;
    char underlying[NCC_ENCODE_MESSAGE_CAPACITY]; /* the library's own message on failure ("" when none) */
} ncc_encode_result;

/* Encodes 8-bit pixels (channels 1 = gray, 3 = RGB; row-major, no padding) as a baseline JPEG
 * at `quality` 1...100 with libjpeg's default 4:2:0 chroma subsampling (as most software saves).
 * Returns an NCC_ENCODE_* value. */
int32_t ncc_encode_jpeg(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                        int32_t quality, ncc_encode_result *result);

/* Encodes 8-bit pixels (channels 1 or 3) as a non-interlaced PNG (zlib level `compression` 0...9).
 * Returns an NCC_ENCODE_* value. */
int32_t ncc_encode_png(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                       int32_t compression, ncc_encode_result *result);

/* Wipes and frees the encoded bytes and resets the result. Safe on an empty result. */
void ncc_encoded_free(ncc_encode_result *result);

#endif
