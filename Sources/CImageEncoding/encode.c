/*
 * In-memory JPEG and PNG encoding. See CImageEncoding.h.
 *
 * Both encoders write into a growable buffer owned by ncc_encode_result. Growing allocates a new
 * block, copies, and wipes the old block before freeing it, so no encoded picture bytes are left in
 * freed memory (libjpeg's own jpeg_mem_dest frees its old blocks without wiping; we use our own
 * destination manager for that reason).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include "CImageEncoding.h"

static void wipe(void *p, size_t n) {
    if (p != NULL && n > 0) explicit_bzero(p, n);
}

void ncc_encoded_free(ncc_encode_result *result) {
    if (result == NULL) return;
    if (result->data != NULL) {
        wipe(result->data, result->capacity);
        free(result->data);
    }
    result->data = NULL;
    result->size = 0;
    result->capacity = 0;
}

/* Makes room for `extra` more bytes; returns 0 on success. */
static int reserve(ncc_encode_result *r, size_t extra) {
    if (r->size + extra <= r->capacity) return 0;
    size_t wanted = r->capacity < 4096 ? 4096 : r->capacity;
    while (wanted < r->size + extra) {
        if (wanted > SIZE_MAX / 2) return -1;
        wanted *= 2;
    }
    uint8_t *bigger = malloc(wanted);
    if (bigger == NULL) return -1;
    memset(bigger, 0, wanted);
    if (r->data != NULL) {
        memcpy(bigger, r->data, r->size);
        wipe(r->data, r->capacity);
        free(r->data);
    }
    r->data = bigger;
    r->capacity = wanted;
    return 0;
}

static void reset_result(ncc_encode_result *r) {
    r->data = NULL;
    r->size = 0;
    r->capacity = 0;
    r->underlying[0] = '\0';
}

/* ---------- JPEG ---------- */

typedef struct ncc_jpeg_encode_error {
    struct jpeg_error_mgr base; /* must be first */
    jmp_buf jump;
    int out_of_memory;
} ncc_jpeg_encode_error;

typedef struct ncc_jpeg_destination {
    struct jpeg_destination_mgr base; /* must be first */
    ncc_encode_result *result;
    size_t chunk;
} ncc_jpeg_destination;

static void jpeg_encode_error_exit(j_common_ptr cinfo) {
    ncc_jpeg_encode_error *err = (ncc_jpeg_encode_error *)cinfo->err;
    longjmp(err->jump, 1); /* back to the setjmp in ncc_encode_jpeg; never crosses a Swift frame */
}

static void jpeg_encode_message(j_common_ptr cinfo, int level) {
    (void)cinfo; (void)level; /* nothing about the picture is ever printed */
}

static void dest_init(j_compress_ptr cinfo) {
    ncc_jpeg_destination *d = (ncc_jpeg_destination *)cinfo->dest;
    ncc_encode_result *r = d->result;
    if (reserve(r, d->chunk) != 0) {
        ((ncc_jpeg_encode_error *)cinfo->err)->out_of_memory = 1;
        ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
    }
    d->base.next_output_byte = r->data + r->size;
    d->base.free_in_buffer = r->capacity - r->size;
}

static boolean dest_empty(j_compress_ptr cinfo) {
    ncc_jpeg_destination *d = (ncc_jpeg_destination *)cinfo->dest;
    ncc_encode_result *r = d->result;
    r->size = r->capacity; /* libjpeg filled the whole buffer */
    if (reserve(r, r->capacity) != 0) {
        ((ncc_jpeg_encode_error *)cinfo->err)->out_of_memory = 1;
        ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
    }
    d->base.next_output_byte = r->data + r->size;
    d->base.free_in_buffer = r->capacity - r->size;
    return TRUE;
}

static void dest_term(j_compress_ptr cinfo) {
    ncc_jpeg_destination *d = (ncc_jpeg_destination *)cinfo->dest;
    ncc_encode_result *r = d->result;
    r->size = r->capacity - d->base.free_in_buffer;
}

int32_t ncc_encode_jpeg(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                        int32_t quality, ncc_encode_result *result) {
    if (result == NULL) return NCC_ENCODE_INVALID_ARGUMENT;
    reset_result(result);
    if (pixels == NULL || width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION
        || (channels != 1 && channels != 3) || quality < 1 || quality > 100) {
        return NCC_ENCODE_INVALID_ARGUMENT;
    }
    struct jpeg_compress_struct cinfo;
    ncc_jpeg_encode_error err;
    ncc_jpeg_destination dest;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&err, 0, sizeof err);
    memset(&dest, 0, sizeof dest);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = jpeg_encode_error_exit;
    err.base.emit_message = jpeg_encode_message;
    err.base.output_message = (void (*)(j_common_ptr))jpeg_encode_message;
    /* volatile: read after a longjmp */
    volatile int created = 0;
    if (setjmp(err.jump) != 0) {
        int32_t status = err.out_of_memory ? NCC_ENCODE_OUT_OF_MEMORY : NCC_ENCODE_LIBRARY_ERROR;
        if (!err.out_of_memory) {
            char message[JMSG_LENGTH_MAX];
            err.base.format_message((j_common_ptr)&cinfo, message);
            snprintf(result->underlying, NCC_ENCODE_MESSAGE_CAPACITY, "%s", message);
        }
        if (created) jpeg_destroy_compress(&cinfo);
        ncc_encoded_free(result);
        return status;
    }
    jpeg_create_compress(&cinfo);
    created = 1;
    dest.result = result;
    /* A first guess at the size: about 1.5 bits a pixel; grows by doubling. */
    dest.chunk = (size_t)width * (size_t)height / 4 + 16384;
    dest.base.init_destination = dest_init;
    dest.base.empty_output_buffer = dest_empty;
    dest.base.term_destination = dest_term;
    cinfo.dest = &dest.base;
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return NCC_ENCODE_OK;
}

/* ---------- PNG ---------- */

typedef struct ncc_png_encode_state {
    ncc_encode_result *result;
    int out_of_memory;
    char message[NCC_ENCODE_MESSAGE_CAPACITY];
} ncc_png_encode_state;

static void png_encode_error(png_structp png, png_const_charp message) {
    ncc_png_encode_state *state = (ncc_png_encode_state *)png_get_error_ptr(png);
    if (state != NULL && state->message[0] == '\0') {
        snprintf(state->message, NCC_ENCODE_MESSAGE_CAPACITY, "%s", message ? message : "");
    }
    png_longjmp(png, 1); /* back to the setjmp in ncc_encode_png; never crosses a Swift frame */
}

static void png_encode_warning(png_structp png, png_const_charp message) {
    (void)png; (void)message; /* nothing is printed */
}

static void png_encode_write(png_structp png, png_bytep data, size_t length) {
    ncc_png_encode_state *state = (ncc_png_encode_state *)png_get_io_ptr(png);
    ncc_encode_result *r = state->result;
    if (reserve(r, length) != 0) {
        state->out_of_memory = 1;
        png_error(png, "out of memory");
    }
    memcpy(r->data + r->size, data, length);
    r->size += length;
}

static void png_encode_flush(png_structp png) { (void)png; }

int32_t ncc_encode_png(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                       int32_t compression, ncc_encode_result *result) {
    if (result == NULL) return NCC_ENCODE_INVALID_ARGUMENT;
    reset_result(result);
    if (pixels == NULL || width <= 0 || height <= 0 || width > 1000000 || height > 1000000
        || (channels != 1 && channels != 3) || compression < 0 || compression > 9) {
        return NCC_ENCODE_INVALID_ARGUMENT;
    }
    ncc_png_encode_state state;
    memset(&state, 0, sizeof state);
    state.result = result;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, png_encode_error, png_encode_warning);
    if (png == NULL) return NCC_ENCODE_OUT_OF_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return NCC_ENCODE_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png)) != 0) {
        int32_t status = state.out_of_memory ? NCC_ENCODE_OUT_OF_MEMORY : NCC_ENCODE_LIBRARY_ERROR;
        snprintf(result->underlying, NCC_ENCODE_MESSAGE_CAPACITY, "%s", state.message);
        png_destroy_write_struct(&png, &info);
        ncc_encoded_free(result);
        return status;
    }
    png_set_write_fn(png, &state, png_encode_write, png_encode_flush);
    png_set_compression_level(png, compression);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int32_t y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return NCC_ENCODE_OK;
}
