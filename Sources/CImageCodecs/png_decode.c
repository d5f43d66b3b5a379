/*
 * PNG decoding with libpng's progressive-free "low level" API (needed for user limits, eXIf and
 * exact control of bit-depth reduction). Output equals Pillow's convert("RGB"): alpha is dropped
 * (no compositing), palettes are expanded, 1/2/4-bit gray is scaled to 0...255 (x255, x85, x17),
 * gamma and color-profile chunks are ignored, 16-bit samples keep their high byte.
 *
 * Deliberate difference: Pillow opens 16-bit grayscale as mode "I;16" and its convert("RGB") clips
 * every value above 255 to white, so a 16-bit gray photo becomes almost all white. We take the high
 * byte (value >> 8) instead, as Pillow itself does for 16-bit RGB, RGBA and gray+alpha.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include "ncc_internal.h"

typedef struct ncc_png_reader {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int32_t status;  /* set before png_error so the landing site knows what went wrong */
    char message[NCC_MESSAGE_CAPACITY];
} ncc_png_reader;

static void on_png_error(png_structp png, png_const_charp text) {
    ncc_png_reader *reader = png_get_error_ptr(png);
    if (reader->message[0] == 0) strncpy(reader->message, text, NCC_MESSAGE_CAPACITY - 1);
    if (reader->status == NCC_STATUS_OK) {
        /* libpng reports every problem as text; its CRC, memory and limit messages are stable since 1.6.0 */
        if (strstr(text, "CRC error") != NULL) reader->status = NCC_STATUS_PNG_CRC_MISMATCH;
        else if (strstr(text, "out of memory") != NULL || strstr(text, "Out of memory") != NULL) reader->status = NCC_STATUS_OUT_OF_MEMORY;
        else if (strstr(text, "exceeds user limit") != NULL) reader->status = NCC_STATUS_TOO_MANY_PIXELS;
        else if (strstr(text, "Image width is zero") != NULL || strstr(text, "Image height is zero") != NULL
                 || strstr(text, "Invalid image width") != NULL || strstr(text, "Invalid image height") != NULL
                 || strstr(text, "too large") != NULL)
            reader->status = NCC_STATUS_INVALID_DIMENSIONS;
        else if (strstr(text, "Not enough image data") != NULL) reader->status = NCC_STATUS_TRUNCATED;
        else reader->status = NCC_STATUS_CORRUPT_DATA;
    }
    png_longjmp(png, 1); /* back to our setjmp in ncc_decode_png; never crosses a Swift frame */
}

static void on_png_warning(png_structp png, png_const_charp text) {
    (void)png; (void)text; /* warnings concern ancillary data; nothing is printed (nothing about a picture is logged) */
}

static void read_from_memory(png_structp png, png_bytep out, size_t length) {
    ncc_png_reader *reader = png_get_io_ptr(png);
    if (length > reader->size - reader->offset) {
        reader->status = NCC_STATUS_TRUNCATED;
        strncpy(reader->message, "end of data", NCC_MESSAGE_CAPACITY - 1);
        png_error(png, "end of data");
    }
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

static uint32_t crc_table[256];
static void make_crc_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Walks the chunk list before libpng sees it: libpng inflates IDAT as it streams, so damaged pixel data
 * surfaces as a zlib error before the chunk's CRC is checked. Checking critical-chunk CRCs first gives the
 * specific answer (png_crc_mismatch), and reading IHDR here refuses absurd sizes before anything is allocated. */
static int32_t precheck_png(const uint8_t *data, size_t size, int64_t max_pixels, ncc_decode_result *result) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_crc_table); /* the table is built once, safely across threads */
    size_t offset = 8;
    int first = 1;
    while (size - offset >= 12) {
        uint32_t length = be32(data + offset);
        const uint8_t *type = data + offset + 4;
        if (length > 0x7fffffffu || (uint64_t)length + 12 > size - offset) return NCC_STATUS_OK; /* libpng reports it */
        if ((type[0] & 0x20) == 0) { /* uppercase first letter: a critical chunk */
            uint32_t crc = 0xFFFFFFFFu;
            for (size_t i = 0; i < (size_t)length + 4; i++) crc = crc_table[(crc ^ type[i]) & 0xFF] ^ (crc >> 8);
            if ((crc ^ 0xFFFFFFFFu) != be32(type + 4 + length)) {
                char name[5] = { 0 };
                for (int i = 0; i < 4; i++) name[i] = (type[i] >= 'A' && type[i] <= 'z') ? (char)type[i] : '?'; /* hostile bytes stay printable */
                snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%s: CRC error", name);
                return NCC_STATUS_PNG_CRC_MISMATCH;
            }
        }
        if (first && memcmp(type, "IHDR", 4) == 0 && length >= 8) {
            uint32_t width = be32(type + 4), height = be32(type + 8);
            if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) {
                snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "IHDR gives %ux%u pixels", width, height);
                return NCC_STATUS_INVALID_DIMENSIONS;
            }
            if ((uint64_t)width * height > (uint64_t)max_pixels) { /* 64-bit: cannot overflow */
                snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%ux%u pixels", width, height);
                return NCC_STATUS_TOO_MANY_PIXELS;
            }
        }
        first = 0;
        if (memcmp(type, "IEND", 4) == 0) break;
        offset += (size_t)length + 12;
    }
    return NCC_STATUS_OK;
}

int32_t ncc_decode_png(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result) {
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    result->scale_denom = 1;
    if (size >= 8) {
        int32_t early = precheck_png(data, size, options->max_pixels < 0 ? 0 : options->max_pixels, result);
        if (early != NCC_STATUS_OK) return early;
    }
    ncc_png_reader reader = { .data = data, .size = size };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_png_error, on_png_warning);
    if (png == NULL) return NCC_STATUS_OUT_OF_MEMORY;
    png_infop info = png_create_info_struct(png);
    /* volatile: these change after setjmp and are read after a longjmp back to it */
    uint8_t *volatile pixels = NULL;
    volatile size_t pixel_bytes = 0;
    png_bytep *volatile rows = NULL;
    if (info == NULL) { png_destroy_read_struct(&png, NULL, NULL); return NCC_STATUS_OUT_OF_MEMORY; }

    if (setjmp(png_jmpbuf(png))) {
        int32_t status = reader.status == NCC_STATUS_OK ? NCC_STATUS_CORRUPT_DATA : reader.status;
        ncc_set_underlying(result, reader.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(rows); /* holds only pointers, no pixels */
        ncc_wipe_free(pixels, pixel_bytes);
        result->pixels = NULL;
        return status;
    }

    png_set_read_fn(png, &reader, read_from_memory);
    {
        /* Side limit = pixel limit: with the product check below, nothing absurd gets allocated. */
        int64_t side = options->max_pixels < 0x7fffffff ? options->max_pixels : 0x7fffffff;
        png_set_user_limits(png, (png_uint_32)(side > 0 ? side : 1), (png_uint_32)(side > 0 ? side : 1));
    }
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info), bit_depth = png_get_bit_depth(png, info);
    if (width == 0 || height == 0) {
        reader.status = NCC_STATUS_INVALID_DIMENSIONS;
        png_error(png, "zero width or height");
    }
    if ((uint64_t)width * (uint64_t)height > (uint64_t)(options->max_pixels < 0 ? 0 : options->max_pixels)) {
        reader.status = NCC_STATUS_TOO_MANY_PIXELS;
        snprintf(reader.message, NCC_MESSAGE_CAPACITY, "%ux%u pixels", width, height);
        png_error(png, reader.message);
    }

    const int gray = (color_type & PNG_COLOR_MASK_COLOR) == 0;
    const int channels = (gray && options->prefer_luma) ? 1 : 3;
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (gray && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png); /* 1-bit becomes 0/255, like Pillow */
    if (bit_depth == 16) png_set_strip_16(png);                      /* keep the high byte, like Pillow's ";16B" unpackers */
    png_set_strip_alpha(png); /* alpha (and tRNS that palette expansion turns into alpha) is dropped, never composited */
    if (gray && channels == 3) png_set_gray_to_rgb(png);
    int passes = png_set_interlace_handling(png); /* Adam7: libpng merges the passes into full rows */
    (void)passes;
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * (size_t)channels) {
        reader.status = NCC_STATUS_CORRUPT_DATA;
        png_error(png, "unexpected row layout after transformation");
    }

    pixel_bytes = (size_t)width * (size_t)height * (size_t)channels;
    pixels = malloc(pixel_bytes);
    rows = malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) {
        reader.status = NCC_STATUS_OUT_OF_MEMORY;
        png_error(png, "out of memory for pixels");
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * channels;
    png_read_image(png, rows);
    /* A second landing point for the chunks after the image: nothing above is modified past it, so
     * the locals stay valid after a longjmp; there a missing IEND is harmless (every row is decoded). */
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_read_end(png, info); /* reads chunks after the image: an eXIf there counts; the last IDAT CRC is checked */
    } else if (reader.status != NCC_STATUS_TRUNCATED) {
        ncc_set_underlying(result, reader.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        ncc_wipe_free(pixels, pixel_bytes);
        result->pixels = NULL;
        return reader.status == NCC_STATUS_OK ? NCC_STATUS_CORRUPT_DATA : reader.status;
    }
    /* Orientation as Pillow's exif_transpose finds it: the eXIf chunk, else an ImageMagick "Raw profile type
     * exif" text; when neither has the tag, XMP (iTXt "XML:com.adobe.xmp") tiff:Orientation. */
    int32_t orientation = 0, xmp_orientation = 1, have_exif = 0;
    png_bytep exif = NULL;
    png_uint_32 exif_length = 0;
    if (png_get_eXIf_1(png, info, &exif_length, &exif) != 0 && exif != NULL) {
        have_exif = 1;
        orientation = ncc_exif_orientation_or_zero(exif, exif_length);
    }
    png_textp texts = NULL;
    int text_count = 0;
    png_get_text(png, info, &texts, &text_count);
    png_textp found_raw = NULL, found_xmp = NULL;
    for (int i = 0; i < text_count; i++) { /* later chunks with the same keyword win, as in Pillow's info dict */
        if (texts[i].key == NULL || texts[i].text == NULL) continue;
        if (strcmp(texts[i].key, "Raw profile type exif") == 0) found_raw = &texts[i];
        else if (strcmp(texts[i].key, "XML:com.adobe.xmp") == 0) found_xmp = &texts[i];
    }
    if (!have_exif && found_raw != NULL)
        orientation = ncc_raw_profile_exif_orientation((const uint8_t *)found_raw->text, strlen(found_raw->text));
    if (found_xmp != NULL)
        xmp_orientation = ncc_xmp_orientation((const uint8_t *)found_xmp->text, strlen(found_xmp->text));
    if (orientation == 0) orientation = xmp_orientation;
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    result->pixels = pixels;
    result->byte_count = pixel_bytes;
    result->width = (int32_t)width;
    result->height = (int32_t)height;
    result->channels = channels;
    result->orientation = orientation;
    const int swap = options->apply_exif_orientation && orientation >= 5;
    result->full_width = (int32_t)(swap ? height : width);
    result->full_height = (int32_t)(swap ? width : height);
    if (options->apply_exif_orientation) return ncc_apply_orientation(result, orientation);
    return NCC_STATUS_OK;
}
