/*
 * JPEG decoding with libjpeg-turbo.
 *
 * Default settings (JDCT_ISLOW, fancy upsampling, JCS_RGB output) give the same RGB as
 * Pillow's convert("RGB"). CMYK/YCCK files are decoded to CMYK and converted like Pillow does.
 *
 * Damaged-data policy: libjpeg only *warns* about a premature end of data (JWRN_JPEG_EOF) or
 * corrupt entropy data (JWRN_HIT_MARKER, JWRN_MUST_RESYNC, JWRN_HUFF_BAD_CODE, JWRN_ARITH_BAD_CODE,
 * JWRN_NOT_SEQUENTIAL) and fills the rest of the picture with gray. A hash of such a picture would be
 * a hash of garbage, so these warnings stop decoding with NCC_STATUS_TRUNCATED / NCC_STATUS_CORRUPT_DATA.
 * A premature end is reported as truncation: at once in the header or in a multi-scan (progressive) file,
 * where later scans would be missing; in a single-scan file only when the entropy decoder actually needs
 * the missing bits (JWRN_HIT_MARKER after the end of data), since it reads ahead past the last needed byte.
 * Exceptions: a missing end marker once every scanline has been produced (the pixels are complete),
 * and harmless warnings (extraneous bytes between markers, an odd progression order, unknown JFIF/Adobe
 * versions, a bad ICC marker), which real cameras and editors produce on intact pictures.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "ncc_internal.h"

/* More scans than any real progressive JPEG uses; stops files built to make decoding take minutes. */
#define NCC_MAX_SCANS 1000

typedef struct ncc_jpeg_error {
    struct jpeg_error_mgr base; /* must be first: libjpeg hands us a pointer to it */
    jmp_buf jump;
    int32_t status;
    int decoding;  /* set once the header is read */
    int hit_eof;   /* the data ran out while decoding a single-scan JPEG (maybe only the end marker is missing) */
    int finishing; /* set once all scanlines are out: a missing end marker no longer matters */
    int scan_limit; /* set when the file has more than NCC_MAX_SCANS scans */
} ncc_jpeg_error;

typedef struct ncc_jpeg_progress {
    struct jpeg_progress_mgr base; /* must be first */
    j_decompress_ptr cinfo;
} ncc_jpeg_progress;

static int32_t status_for_error(int code) {
    switch (code) {
    case JERR_INPUT_EMPTY: case JERR_INPUT_EOF: return NCC_STATUS_TRUNCATED;
    case JERR_BAD_PRECISION: case JERR_ARITH_NOTIMPL: case JERR_NOTIMPL:
    case JERR_CONVERSION_NOTIMPL: /* e.g. a 2-component file: a layout we cannot turn into RGB */
        return NCC_STATUS_UNSUPPORTED_JPEG;
    case JERR_OUT_OF_MEMORY: return NCC_STATUS_OUT_OF_MEMORY;
    case JERR_IMAGE_TOO_BIG: case JERR_EMPTY_IMAGE: case JERR_WIDTH_OVERFLOW: return NCC_STATUS_INVALID_DIMENSIONS;
    default: return NCC_STATUS_CORRUPT_DATA;
    }
}

static void on_error_exit(j_common_ptr cinfo) {
    ncc_jpeg_error *err = (ncc_jpeg_error *)cinfo->err;
    if (err->status == NCC_STATUS_OK) err->status = status_for_error(err->base.msg_code);
    longjmp(err->jump, 1); /* back to the setjmp in ncc_decode_jpeg; never crosses a Swift frame */
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    ncc_jpeg_error *err = (ncc_jpeg_error *)cinfo->err;
    if (level >= 0) return; /* trace messages: ignore (never printed: nothing about the picture is logged) */
    switch (err->base.msg_code) {
    case JWRN_JPEG_EOF:
        if (err->finishing) return; /* only the end marker is missing; every pixel was decoded */
        if (err->decoding && !jpeg_has_multiple_scans((j_decompress_ptr)cinfo)) {
            /* The Huffman decoder reads ahead, so a file missing only its end marker runs out here too.
             * If bits are really missing, JWRN_HIT_MARKER follows and is reported as truncation. */
            err->hit_eof = 1;
            return;
        }
        err->status = NCC_STATUS_TRUNCATED; /* in the header, or a progressive file: scans are missing */
        break;
    case JWRN_HIT_MARKER:
        err->status = err->hit_eof ? NCC_STATUS_TRUNCATED : NCC_STATUS_CORRUPT_DATA;
        if (err->hit_eof) err->base.msg_code = JWRN_JPEG_EOF; /* report the cause, not the symptom */
        break;
    case JWRN_MUST_RESYNC: case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE: case JWRN_NOT_SEQUENTIAL:
        err->status = NCC_STATUS_CORRUPT_DATA;
        break;
    default:
        err->base.num_warnings++;
        return; /* harmless: the pixels are unaffected */
    }
    cinfo->err->error_exit(cinfo); /* turn the warning into an error: we must not hash a gray-padded picture */
}

static void on_progress(j_common_ptr common) {
    j_decompress_ptr cinfo = (j_decompress_ptr)common;
    if (cinfo->input_scan_number > NCC_MAX_SCANS) {
        ncc_jpeg_error *err = (ncc_jpeg_error *)cinfo->err;
        err->status = NCC_STATUS_CORRUPT_DATA;
        err->scan_limit = 1;
        longjmp(err->jump, 2); /* same landing point as on_error_exit */
    }
}

/* Orientation as Pillow's exif_transpose finds it: IFD0 of the first APP1 "Exif\0\0" block; when that has
 * no orientation tag, the last APP1 XMP packet's tiff:Orientation. */
static int32_t exif_orientation_of(j_decompress_ptr cinfo) {
    static const char xmp_id[] = "http://ns.adobe.com/xap/1.0/"; /* followed by a NUL */
    int32_t exif = 0, xmp = 1, have_exif = 0;
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next) {
        if (m->marker != JPEG_APP0 + 1) continue;
        if (!have_exif && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            have_exif = 1;
            exif = ncc_exif_orientation_or_zero(m->data + 6, m->data_length - 6);
        } else if (m->data_length >= sizeof xmp_id && memcmp(m->data, xmp_id, sizeof xmp_id) == 0) {
            xmp = ncc_xmp_orientation(m->data + sizeof xmp_id, m->data_length - sizeof xmp_id);
        }
    }
    return exif != 0 ? exif : xmp;
}

/* Pillow reads CMYK JPEG as "CMYK;I" (Adobe polarity, always) and converts with
 * R = (255-K) - (C*(255-K))/255 rounded; with raw = stored bytes, C = 255-rawC and 255-K = rawK. */
static void cmyk_row_to_rgb(const uint8_t *in, uint8_t *out, JDIMENSION width) {
    for (JDIMENSION x = 0; x < width; x++, in += 4, out += 3) {
        int nk = in[3];
        for (int c = 0; c < 3; c++) {
            int t = (255 - in[c]) * nk + 128;
            int v = nk - (((t >> 8) + t) >> 8); /* exact division by 255 with rounding, as Pillow's MULDIV255 */
            out[c] = (uint8_t)(v < 0 ? 0 : v);
        }
    }
}

int32_t ncc_decode_jpeg(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result) {
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    result->scale_denom = 1;
    struct jpeg_decompress_struct cinfo;
    ncc_jpeg_error err;
    ncc_jpeg_progress progress;
    /* volatile: these change after setjmp and are read after a longjmp back to it */
    uint8_t *volatile pixels = NULL;
    volatile size_t pixel_bytes = 0;
    uint8_t *volatile cmyk_row = NULL;
    volatile size_t cmyk_bytes = 0;

    memset(&err, 0, sizeof err);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error_exit;
    err.base.emit_message = on_emit_message;
    err.status = NCC_STATUS_OK;

    if (setjmp(err.jump)) {
        int32_t status = err.status == NCC_STATUS_OK ? NCC_STATUS_CORRUPT_DATA : err.status;
        char text[JMSG_LENGTH_MAX];
        if (err.scan_limit)
            snprintf(text, sizeof text, "more than %d scans", NCC_MAX_SCANS);
        else
            err.base.format_message((j_common_ptr)&cinfo, text);
        ncc_set_underlying(result, text);
        jpeg_destroy_decompress(&cinfo);
        ncc_wipe_free(cmyk_row, cmyk_bytes);
        ncc_wipe_free(pixels, pixel_bytes);
        result->pixels = NULL;
        return status;
    }

    jpeg_create_decompress(&cinfo);
    if (size == 0) ERREXIT(&cinfo, JERR_INPUT_EMPTY);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    progress.base.progress_monitor = on_progress;
    progress.cinfo = &cinfo;
    cinfo.progress = &progress.base;
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF); /* keep APP1 so we can read EXIF orientation */
    jpeg_read_header(&cinfo, TRUE);
    const int32_t orientation = exif_orientation_of(&cinfo); /* now: jpeg_finish_decompress drops the saved markers */
    err.decoding = 1;

    /* Refuse before any pixel memory exists: 64-bit math, so 65535 x 65535 cannot overflow. */
    uint64_t full_pixels = (uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height;
    if (cinfo.image_width == 0 || cinfo.image_height == 0) {
        jpeg_destroy_decompress(&cinfo);
        ncc_set_underlying(result, "zero width or height in the JPEG header");
        return NCC_STATUS_INVALID_DIMENSIONS;
    }
    if (options->max_pixels >= 0 && full_pixels > (uint64_t)options->max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        snprintf(result->underlying, NCC_MESSAGE_CAPACITY, "%ux%u pixels", cinfo.image_width, cinfo.image_height);
        return NCC_STATUS_TOO_MANY_PIXELS;
    }

    const int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    const int luma_source = cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_GRAYSCALE;
    if (cmyk) cinfo.out_color_space = JCS_CMYK;
    else if (options->prefer_luma && luma_source) cinfo.out_color_space = JCS_GRAYSCALE; /* skips chroma entirely */
    else cinfo.out_color_space = JCS_RGB;
    cinfo.dct_method = options->fast_dct ? JDCT_IFAST : JDCT_ISLOW;
    cinfo.do_fancy_upsampling = options->fast_dct ? FALSE : TRUE;

    /* Strongest DCT reduction whose shorter side still reaches min_short_side. */
    if (options->min_short_side > 0) {
        for (unsigned denom = 8; denom >= 2; denom /= 2) {
            cinfo.scale_num = 1;
            cinfo.scale_denom = denom;
            jpeg_calc_output_dimensions(&cinfo);
            JDIMENSION shorter = cinfo.output_width < cinfo.output_height ? cinfo.output_width : cinfo.output_height;
            if (shorter >= (JDIMENSION)options->min_short_side) break;
            cinfo.scale_denom = 1;
        }
    }
    result->scale_denom = (int32_t)cinfo.scale_denom;

    /* Memory note: progressive and multi-scan files keep all DCT coefficients of the full-resolution picture
     * (2 bytes per sample) until the last scan; max_pixels bounds that too. Single-scan files need a few rows. */
    jpeg_start_decompress(&cinfo);
    const int channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    const size_t row_bytes = (size_t)cinfo.output_width * (size_t)channels;
    pixel_bytes = row_bytes * cinfo.output_height;
    pixels = malloc(pixel_bytes ? pixel_bytes : 1);
    if (pixels == NULL) ERREXIT1(&cinfo, JERR_OUT_OF_MEMORY, 100);
    if (cmyk) {
        cmyk_bytes = (size_t)cinfo.output_width * 4;
        cmyk_row = malloc(cmyk_bytes);
        if (cmyk_row == NULL) ERREXIT1(&cinfo, JERR_OUT_OF_MEMORY, 101);
    }
    /* One scanline at a time straight into the (scaled) output: no full-resolution buffer is ever held. */
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = pixels + row_bytes * cinfo.output_scanline;
        JSAMPROW target = cmyk ? cmyk_row : row;
        if (jpeg_read_scanlines(&cinfo, &target, 1) != 1) ERREXIT(&cinfo, JERR_INPUT_EOF);
        if (cmyk) cmyk_row_to_rgb(cmyk_row, row, cinfo.output_width);
    }
    err.finishing = 1;
    jpeg_finish_decompress(&cinfo);

    result->orientation = orientation;
    result->width = (int32_t)cinfo.output_width;
    result->height = (int32_t)cinfo.output_height;
    result->channels = channels;
    const int swap = options->apply_exif_orientation && orientation >= 5;
    result->full_width = (int32_t)(swap ? cinfo.image_height : cinfo.image_width);
    result->full_height = (int32_t)(swap ? cinfo.image_width : cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    ncc_wipe_free(cmyk_row, cmyk_bytes);
    result->pixels = pixels;
    result->byte_count = pixel_bytes;
    if (options->apply_exif_orientation) return ncc_apply_orientation(result, orientation);
    return NCC_STATUS_OK;
}
