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
 * Progressive files decoded at reduced size skip the scans the output never reads (plan_scan_skipping below):
 * truncation is still found (the whole scan structure is walked first), damage inside a skipped scan is not.
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

/*
 * Progressive files at reduced size: skipping the scans the picture does not use.
 *
 * A 1/8-scale decode runs the 1x1 inverse DCT (jidctred.c), which reads only a block's DC coefficient; a
 * component the output does not use (Cb and Cr when a YCbCr file is decoded to luma) is never read at all.
 * In a progressive file every scan holds one band of coefficients of one or more components, and decoding a
 * scan writes only that band. So when the file is fed to libjpeg without the scans that hold nothing the output
 * reads, the coefficients the output does read come out equal, and so do the pixels, provided that:
 *   - block smoothing changes nothing in the full decode: libjpeg smooths (jdcoefct.c, smoothing_ok) only while
 *     one of the first 10 coefficients of some component is not final (its last scan had Al > 0, or it never had
 *     one); we require all of them final at the end of the file, and turn smoothing off for the shortened stream
 *     (where the skipped bands are missing and smoothing would otherwise run);
 *   - the quantization tables cannot change between scans (no DQT after the first scan);
 *   - the file is whole: every scan, then the end marker. Anything unusual (no end marker, an unknown or
 *     misplaced marker, an odd scan header, more than NCC_MAX_SCANS scans, arithmetic coding) sends the file
 *     through the full decode, so it fails exactly as before (a truncated file stays NCC_STATUS_TRUNCATED).
 * Every DC scan is kept (they are small), and every scan of a component whose output reads AC coefficients.
 * One difference remains: damaged entropy-coded bytes inside a skipped scan are no longer seen, so such a file
 * hashes (from its intact coefficients) where the full decode reports NCC_STATUS_CORRUPT_DATA.
 * Memory is unchanged: libjpeg still holds the coefficients of every block of a progressive picture.
 */
#define NCC_SMOOTHING_COEFS 10 /* SAVED_COEFS in jdcoefct.c: the coefficients smoothing_ok looks at */

typedef struct ncc_byte_range { size_t start, end; } ncc_byte_range;

#define NCC_MAX_PLAN_EVENTS 4096 /* scan headers and table changes the luma DC decoder replays; more: not used */

typedef struct ncc_scan_plan {
    ncc_byte_range keep[NCC_MAX_SCANS + 2]; /* what libjpeg reads from the first scan's data on */
    int count;
    size_t events[NCC_MAX_PLAN_EVENTS]; /* offsets of the SOS, DHT and DRI markers from the first scan on */
    int event_count;                    /* -1 when there were more than NCC_MAX_PLAN_EVENTS */
} ncc_scan_plan;

typedef struct ncc_span_source {
    struct jpeg_source_mgr base; /* must be first */
    const uint8_t *data;
    const ncc_scan_plan *plan;
    int next; /* index of the next range to hand out */
} ncc_span_source;

static void span_init_source(j_decompress_ptr cinfo) { (void)cinfo; }
static void span_term_source(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean span_fill_input_buffer(j_decompress_ptr cinfo) {
    ncc_span_source *src = (ncc_span_source *)cinfo->src;
    while (src->next < src->plan->count) {
        const ncc_byte_range r = src->plan->keep[src->next++];
        if (r.end > r.start) {
            src->base.next_input_byte = src->data + r.start;
            src->base.bytes_in_buffer = r.end - r.start;
            return TRUE;
        }
    }
    /* As jpeg_mem_src: past the end, warn and insert an end marker (the plan ends with one, so not reached). */
    static const JOCTET eoi[2] = { 0xFF, JPEG_EOI };
    WARNMS(cinfo, JWRN_JPEG_EOF);
    src->base.next_input_byte = eoi;
    src->base.bytes_in_buffer = 2;
    return TRUE;
}

static void span_skip_input_data(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *src = cinfo->src;
    if (count <= 0) return;
    while ((size_t)count > src->bytes_in_buffer) {
        count -= (long)src->bytes_in_buffer;
        (void)span_fill_input_buffer(cinfo);
    }
    src->next_input_byte += count;
    src->bytes_in_buffer -= (size_t)count;
}

/* Offset of the next marker at or after `at` (the 0xFF before its code), skipping entropy-coded data, byte
 * stuffing (FF 00), fill bytes and restart markers as libjpeg does; `size` when the data runs out. */
static size_t next_marker_at(const uint8_t *data, size_t size, size_t at) {
    while (at + 1 < size) {
        const uint8_t *ff = memchr(data + at, 0xFF, size - at - 1);
        if (ff == NULL) return size;
        size_t q = (size_t)(ff - data);
        while (q + 1 < size && data[q + 1] == 0xFF) q++; /* fill bytes */
        if (q + 1 >= size) return size;
        const uint8_t code = data[q + 1];
        if (code != 0x00 && !(code >= JPEG_RST0 && code <= JPEG_RST0 + 7)) return q;
        at = q + 2;
    }
    return size;
}

/* Plans the shortened stream; returns 0 (decode everything, as before) unless a scan can be skipped safely.
 * `first_data` is where the first scan's entropy-coded data starts (jpeg_read_header stopped there). */
static int plan_scan_skipping(j_decompress_ptr cinfo, const uint8_t *data, size_t size, size_t first_data, int gray_out,
    ncc_scan_plan *plan) {
    if (!cinfo->progressive_mode || cinfo->arith_code || cinfo->num_components > MAX_COMPONENTS) return 0;
    int needs_ac[MAX_COMPONENTS]; /* the output reads AC coefficients of this component */
    int any_dc_only = 0;
    for (int ci = 0; ci < cinfo->num_components; ci++) {
        const int needed = !gray_out || ci == 0;
        needs_ac[ci] = needed && cinfo->comp_info[ci].DCT_scaled_size > 1;
        if (!needs_ac[ci]) any_dc_only = 1;
    }
    if (!any_dc_only) return 0;

    int final_al[MAX_COMPONENTS][NCC_SMOOTHING_COEFS]; /* Al of the last scan holding the coefficient; -1: none */
    for (int ci = 0; ci < MAX_COMPONENTS; ci++)
        for (int k = 0; k < NCC_SMOOTHING_COEFS; k++) final_al[ci][k] = -1;

    /* The first scan, whose header jpeg_read_header has read. */
    int ns = cinfo->comps_in_scan, ss = cinfo->Ss, se = cinfo->Se, al = cinfo->Al;
    for (int ci = 0; ci < cinfo->num_components; ci++) /* ids must name one component each, as we look them up */
        for (int cj = 0; cj < ci; cj++)
            if (cinfo->comp_info[ci].component_id == cinfo->comp_info[cj].component_id) return 0;
    int comps[MAX_COMPS_IN_SCAN];
    if (ns < 1 || ns > MAX_COMPS_IN_SCAN) return 0;
    for (int i = 0; i < ns; i++) comps[i] = cinfo->cur_comp_info[i]->component_index;
    int keep = ss == 0;
    for (int i = 0; i < ns; i++) if (needs_ac[comps[i]]) keep = 1;
    if (!keep) return 0; /* its header is already read: it cannot be left out */

    int scans = 1, skipped = 0, in_skip = 0;
    size_t skip_start = 0, keep_start = first_data, at = first_data;
    plan->count = 0;
    plan->event_count = 0;
    const size_t first_sos = first_data - (size_t)(8 + 2 * ns); /* FF DA, length, Ns, 2 bytes each, Ss Se AhAl */
    if (first_data < (size_t)(8 + 2 * ns) || data[first_sos] != 0xFF || data[first_sos + 1] != 0xDA) return 0;
#define NCC_EVENT(offset) do { \
        if (plan->event_count >= 0 && plan->event_count < NCC_MAX_PLAN_EVENTS) plan->events[plan->event_count++] = (offset); \
        else plan->event_count = -1; \
    } while (0)
    NCC_EVENT(first_sos);
#define NCC_END_SKIP(at_marker) do { \
        plan->keep[plan->count++] = (ncc_byte_range){ keep_start, skip_start }; \
        keep_start = (at_marker); in_skip = 0; \
    } while (0)
    for (;;) {
        for (int i = 0; i < ns; i++)
            for (int k = ss; k <= se && k < NCC_SMOOTHING_COEFS; k++) final_al[comps[i]][k] = al;
        /* The marker after the scan's data, then the marker segments up to the next scan or the end. */
        size_t m = next_marker_at(data, size, at);
        uint8_t code;
        for (;;) {
            if (m + 1 >= size) return 0; /* the data ends before the end marker: the full decode reports it */
            code = data[m + 1];
            if (code == JPEG_EOI || code == 0xDA /* SOS */) break;
            const int allowed = code == 0xC4 /* DHT */ || code == 0xDD /* DRI */ || code == 0x01 /* TEM */ ||
                (code >= JPEG_APP0 && code <= JPEG_APP0 + 15) || code == JPEG_COM;
            if (!allowed) return 0; /* DQT, SOF, DNL, DAC, reserved codes: left to the full decode */
            if (in_skip) NCC_END_SKIP(m);
            if (code == 0xC4 || code == 0xDD) NCC_EVENT(m);
            size_t next = m + 2;
            if (code != 0x01) {
                if (m + 4 > size) return 0;
                const size_t length = ((size_t)data[m + 2] << 8) | data[m + 3];
                if (length < 2 || m + 2 + length > size) return 0;
                next = m + 2 + length;
            }
            m = next_marker_at(data, size, next);
        }
        if (code == JPEG_EOI) {
            if (in_skip) NCC_END_SKIP(m);
            plan->keep[plan->count++] = (ncc_byte_range){ keep_start, m + 2 };
            break;
        }
        /* A scan header: odd ones go to the full decode, which reports them as before. */
        if (++scans > NCC_MAX_SCANS || m + 4 > size) return 0;
        const size_t length = ((size_t)data[m + 2] << 8) | data[m + 3];
        if (length < 6 || m + 2 + length > size) return 0;
        const uint8_t *h = data + m + 4;
        ns = h[0];
        if (ns < 1 || ns > MAX_COMPS_IN_SCAN || length != (size_t)(6 + 2 * ns)) return 0;
        for (int i = 0; i < ns; i++) {
            int found = -1;
            for (int ci = 0; ci < cinfo->num_components; ci++)
                if (cinfo->comp_info[ci].component_id == h[1 + 2 * i]) found = ci;
            if (found < 0) return 0;
            for (int j = 0; j < i; j++) if (comps[j] == found) return 0;
            comps[i] = found;
        }
        ss = h[1 + 2 * ns];
        se = h[2 + 2 * ns];
        const int ah = h[3 + 2 * ns] >> 4;
        al = h[3 + 2 * ns] & 15;
        /* libjpeg's own checks (get_sos, jdphuff.c start_pass_phuff_decoder), which a skipped scan must pass too */
        if (ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13 || (ah != 0 && al != ah - 1))
            return 0;
        if (ss > 0 && (h[2] & 15) >= NUM_HUFF_TBLS) return 0; /* the AC table a scan names must exist */
        at = m + 2 + length;
        NCC_EVENT(m);
        keep = ss == 0;
        for (int i = 0; i < ns; i++) if (needs_ac[comps[i]]) keep = 1;
        if (!keep) {
            skipped = 1;
            if (!in_skip) { in_skip = 1; skip_start = m; }
        } else if (in_skip) {
            NCC_END_SKIP(m);
        }
    }
#undef NCC_END_SKIP
#undef NCC_EVENT
    if (!skipped) return 0;
    /* Smoothing would run in the full decode (a coefficient it works from is not final): decode as before. */
    for (int ci = 0; ci < cinfo->num_components; ci++)
        for (int k = 0; k < NCC_SMOOTHING_COEFS; k++)
            if (final_al[ci][k] != 0) return 0;
    return 1;
}

/*
 * Luma at 1/8 scale straight from the DC scans, without libjpeg's coefficient memory.
 *
 * When the output is the luma plane at 1/8 (fast mode on a large YCbCr or grayscale progressive file), every
 * output pixel is the 1x1 inverse DCT of one luma block's final DC coefficient: range_limit[(DC*Q0 + 4) >> 3]
 * (jidctred.c jpeg_idct_1x1, jdmaster.c prepare_range_limit_table), and the gray conversion copies the plane.
 * libjpeg would first allocate and zero 2 bytes per sample of the whole picture (300 MB at 100 megapixels);
 * here only the DC scans are read, with the DC decoding of jdphuff.c (decode_mcu_DC_first, decode_mcu_DC_refine,
 * process_restart) and the tables as jdmarker.c and jdhuff.c build them, into one 16-bit value per luma block.
 * Anything this reader does not expect of a well-formed file (a code no table has, data running into a marker,
 * a missing or unexpected restart marker, a table libjpeg would refuse) makes it give up; the file then goes
 * through libjpeg, which decodes or reports it exactly as before.
 */
typedef struct ncc_dc_table {
    int32_t maxcode[18]; /* largest code of each length, -1 when none (jdhuff.c's d_derived_tbl) */
    int32_t valoffset[18];
    uint8_t huffval[256];
    int usable;
} ncc_dc_table;

/* jdhuff.c jpeg_make_d_derived_tbl for a DC table: 0 where libjpeg would stop with an error. */
static int make_dc_table(const uint8_t bits[17], const uint8_t huffval[256], ncc_dc_table *t) {
    char huffsize[257];
    unsigned int huffcode[257];
    int p = 0;
    t->usable = 0;
    for (int l = 1; l <= 16; l++) {
        int i = bits[l];
        if (p + i > 256) return 0;
        while (i--) huffsize[p++] = (char)l;
    }
    huffsize[p] = 0;
    const int symbols = p;
    unsigned int code = 0;
    int si = huffsize[0];
    p = 0;
    while (huffsize[p]) {
        while ((int)huffsize[p] == si) huffcode[p++] = code++;
        if ((int64_t)code >= ((int64_t)1 << si)) return 0;
        code <<= 1;
        si++;
    }
    p = 0;
    for (int l = 1; l <= 16; l++) {
        if (bits[l]) {
            t->valoffset[l] = (int32_t)p - (int32_t)huffcode[p];
            p += bits[l];
            t->maxcode[l] = (int32_t)huffcode[p - 1];
        } else {
            t->maxcode[l] = -1;
        }
    }
    t->valoffset[17] = 0;
    t->maxcode[17] = 0xFFFFF;
    for (int i = 0; i < symbols; i++) if (huffval[i] > 15) return 0; /* DC symbols are bit counts 0...15 */
    memcpy(t->huffval, huffval, 256);
    t->usable = 1;
    return 1;
}

typedef struct ncc_bit_reader {
    const uint8_t *data;
    size_t size, pos;   /* next byte to read */
    uint64_t buffer;    /* the low `count` bits are unread, first bit highest */
    int count;
    int at_marker;      /* the data stopped at a marker; marker_pos is its last 0xFF */
    size_t marker_pos;
} ncc_bit_reader;

/* One more byte of entropy-coded data (FF 00 is a data FF, fill FFs skipped), as jdhuff.c reads it; 0 at a marker. */
static int bits_fill(ncc_bit_reader *b) {
    if (b->at_marker) return 0;
    if (b->pos >= b->size) { b->at_marker = 1; b->marker_pos = b->size; return 0; }
    uint8_t c = b->data[b->pos];
    if (c == 0xFF) {
        size_t q = b->pos + 1;
        while (q < b->size && b->data[q] == 0xFF) q++;
        if (q >= b->size) { b->at_marker = 1; b->marker_pos = b->size; return 0; }
        if (b->data[q] != 0) { b->at_marker = 1; b->marker_pos = q - 1; return 0; }
        b->pos = q + 1;
    } else {
        b->pos++;
    }
    b->buffer = (b->buffer << 8) | c;
    b->count += 8;
    return 1;
}

/* The next n (0...16) bits, or -1 when the data runs into a marker first (libjpeg would warn and pad zeros). */
static int32_t bits_get(ncc_bit_reader *b, int n) {
    while (b->count < n) if (!bits_fill(b)) return -1;
    b->count -= n;
    return (int32_t)((b->buffer >> b->count) & ((1u << n) - 1u));
}

/* A Huffman-coded DC symbol, or -1 for a code no table has (libjpeg: JWRN_HUFF_BAD_CODE) or missing data. */
static int dc_symbol(ncc_bit_reader *b, const ncc_dc_table *t) {
    int32_t code = bits_get(b, 1);
    if (code < 0) return -1;
    int l = 1;
    while (code > t->maxcode[l]) {
        const int32_t bit = bits_get(b, 1);
        if (bit < 0) return -1;
        code = (code << 1) | bit;
        if (++l > 16) return -1;
    }
    return t->huffval[(code + t->valoffset[l]) & 0xFF];
}

/* jdphuff.c process_restart with jdmarker.c read_restart_marker, for a file that has the marker right there. */
static int dc_restart(ncc_bit_reader *b, int *next_restart) {
    b->count = 0; /* the rest of the byte is padding */
    size_t m;
    if (b->at_marker) {
        m = b->marker_pos;
    } else {
        m = b->pos;
        if (m >= b->size || b->data[m] != 0xFF) return 0;
        while (m + 1 < b->size && b->data[m + 1] == 0xFF) m++;
    }
    if (m + 1 >= b->size || b->data[m + 1] != JPEG_RST0 + *next_restart) return 0;
    b->pos = m + 2;
    b->at_marker = 0;
    *next_restart = (*next_restart + 1) & 7;
    return 1;
}

/* Fills `out` (output_width x output_height luma bytes) from the DC scans listed in the plan; 0 to give up. */
static int decode_luma_dc(j_decompress_ptr cinfo, const uint8_t *data, size_t size, const ncc_scan_plan *plan,
    uint8_t *out) {
    if (plan->event_count <= 0) return 0;
    const jpeg_component_info *luma = &cinfo->comp_info[0];
    const int max_h = cinfo->max_h_samp_factor, max_v = cinfo->max_v_samp_factor;
    if (luma->h_samp_factor != max_h || luma->v_samp_factor != max_v || luma->DCT_scaled_size != 1) return 0;
    if (luma->quant_tbl_no < 0 || luma->quant_tbl_no >= NUM_QUANT_TBLS) return 0;
    const JQUANT_TBL *qtable = cinfo->quant_tbl_ptrs[luma->quant_tbl_no];
    if (qtable == NULL) return 0;
    const size_t mcus_per_row = (cinfo->image_width + (size_t)max_h * 8 - 1) / ((size_t)max_h * 8);
    const size_t mcu_rows = (cinfo->image_height + (size_t)max_v * 8 - 1) / ((size_t)max_v * 8);
    const size_t stride = mcus_per_row * (size_t)max_h; /* luma blocks per row, padded to whole MCUs */
    const size_t rows = mcu_rows * (size_t)max_v;
    if (cinfo->output_width > luma->width_in_blocks || cinfo->output_height > luma->height_in_blocks) return 0;
    int16_t *dc = calloc(stride * rows, sizeof *dc); /* pre-zeroed as libjpeg's coefficient arrays */
    if (dc == NULL) return 0;

    ncc_dc_table tables[NUM_HUFF_TBLS];
    for (int i = 0; i < NUM_HUFF_TBLS; i++) {
        tables[i].usable = 0;
        const JHUFF_TBL *h = cinfo->dc_huff_tbl_ptrs[i];
        if (h != NULL) (void)make_dc_table(h->bits, h->huffval, &tables[i]);
    }
    unsigned int restart_interval = cinfo->restart_interval;
    int ok = 1;
    for (int e = 0; ok && e < plan->event_count; e++) {
        const size_t m = plan->events[e]; /* checked by plan_scan_skipping: the segment lies inside the file */
        const uint8_t code = data[m + 1];
        const size_t length = ((size_t)data[m + 2] << 8) | data[m + 3];
        const uint8_t *seg = data + m + 4;
        if (code == 0xDD) { /* DRI */
            if (length != 4) { ok = 0; break; }
            restart_interval = ((unsigned int)seg[0] << 8) | seg[1];
            continue;
        }
        if (code == 0xC4) { /* DHT: jdmarker.c get_dht */
            size_t left = length - 2, at = 0;
            while (left > 16) {
                const int index = seg[at];
                uint8_t bits[17] = { 0 }, values[256] = { 0 };
                size_t count = 0;
                for (int i = 1; i <= 16; i++) { bits[i] = seg[at + i]; count += bits[i]; }
                left -= 17;
                if (count > 256 || count > left) { ok = 0; break; }
                memcpy(values, seg + at + 17, count);
                left -= count;
                at += 17 + count;
                if ((index & 0x0F) >= NUM_HUFF_TBLS || (index & 0xE0) != 0) { ok = 0; break; }
                if (!(index & 0x10)) (void)make_dc_table(bits, values, &tables[index & 0x0F]);
            }
            if (left != 0) ok = 0;
            continue;
        }
        /* SOS */
        const int ns = seg[0];
        const int ss = seg[1 + 2 * ns], ah = seg[3 + 2 * ns] >> 4, al = seg[3 + 2 * ns] & 15;
        if (ss != 0) continue; /* AC band: not read */
        int comp_of[MAX_COMPS_IN_SCAN], table_of[MAX_COMPS_IN_SCAN], blocks = 0;
        for (int i = 0; i < ns; i++) {
            comp_of[i] = -1;
            for (int ci = 0; ci < cinfo->num_components; ci++)
                if (cinfo->comp_info[ci].component_id == seg[1 + 2 * i]) comp_of[i] = ci;
            table_of[i] = seg[2 + 2 * i] >> 4;
            if (comp_of[i] < 0 || (ah == 0 && (table_of[i] >= NUM_HUFF_TBLS || !tables[table_of[i]].usable))) ok = 0;
            if (ok) blocks += ns == 1 ? 1 : cinfo->comp_info[comp_of[i]].h_samp_factor * cinfo->comp_info[comp_of[i]].v_samp_factor;
        }
        if (!ok || blocks > D_MAX_BLOCKS_IN_MCU) { ok = 0; break; }
        size_t per_row = mcus_per_row, mcu_row_count = mcu_rows;
        if (ns == 1) {
            per_row = cinfo->comp_info[comp_of[0]].width_in_blocks;
            mcu_row_count = cinfo->comp_info[comp_of[0]].height_in_blocks;
        }
        ncc_bit_reader b = { .data = data, .size = size, .pos = m + 2 + length };
        int last_dc[MAX_COMPS_IN_SCAN] = { 0 };
        int next_restart = 0;
        unsigned int restarts_to_go = restart_interval;
        for (size_t my = 0; ok && my < mcu_row_count; my++) {
            for (size_t mx = 0; mx < per_row; mx++) {
                if (restart_interval) {
                    if (restarts_to_go == 0) {
                        if (!dc_restart(&b, &next_restart)) { ok = 0; break; }
                        for (int i = 0; i < ns; i++) last_dc[i] = 0;
                        restarts_to_go = restart_interval;
                    }
                    restarts_to_go--;
                }
                for (int i = 0; i < ns; i++) {
                    const jpeg_component_info *comp = &cinfo->comp_info[comp_of[i]];
                    const int bw = ns == 1 ? 1 : comp->h_samp_factor, bh = ns == 1 ? 1 : comp->v_samp_factor;
                    for (int by = 0; by < bh; by++) {
                        for (int bx = 0; bx < bw; bx++) {
                            int16_t *target = NULL;
                            if (comp_of[i] == 0) target = &dc[(my * (size_t)bh + (size_t)by) * stride + mx * (size_t)bw + (size_t)bx];
                            if (ah == 0) {
                                int sym = dc_symbol(&b, &tables[table_of[i]]);
                                if (sym < 0) { ok = 0; break; }
                                int diff = 0;
                                if (sym) {
                                    const int32_t r = bits_get(&b, sym);
                                    if (r < 0) { ok = 0; break; }
                                    diff = r < (1 << (sym - 1)) ? r - (1 << sym) + 1 : r; /* HUFF_EXTEND */
                                }
                                if ((last_dc[i] >= 0 && diff > INT32_MAX - last_dc[i]) ||
                                    (last_dc[i] < 0 && diff < INT32_MIN - last_dc[i])) { ok = 0; break; }
                                last_dc[i] += diff;
                                if (target) *target = (int16_t)(uint16_t)((unsigned long)(long)last_dc[i] << al);
                            } else {
                                const int32_t bit = bits_get(&b, 1);
                                if (bit < 0) { ok = 0; break; }
                                if (bit && target) *target = (int16_t)(*target | (1 << al));
                            }
                        }
                        if (!ok) break;
                    }
                    if (!ok) break;
                }
                if (!ok) break;
            }
        }
    }
    if (ok) {
        const int q = (short)qtable->quantval[0]; /* ISLOW_MULT_TYPE is a short */
        for (JDIMENSION y = 0; y < cinfo->output_height; y++) {
            const int16_t *row = dc + (size_t)y * stride;
            uint8_t *target = out + (size_t)y * cinfo->output_width;
            for (JDIMENSION x = 0; x < cinfo->output_width; x++) {
                const int v = ((int)row[x] * q + 4) >> 3; /* DESCALE(DEQUANTIZE(dc, q), 3) */
                const int t = v & 1023;                    /* RANGE_MASK into the post-IDCT range_limit table */
                target[x] = (uint8_t)(t < 128 ? t + 128 : t < 512 ? 255 : t < 896 ? 0 : t - 896);
            }
        }
    }
    ncc_wipe_free(dc, stride * rows * sizeof *dc); /* the picture at 1/8 scale, so wiped like pixels */
    return ok;
}

int32_t ncc_decode_jpeg(const uint8_t *data, size_t size, const ncc_decode_options *options, ncc_decode_result *result) {
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    result->scale_denom = 1;
    struct jpeg_decompress_struct cinfo;
    ncc_jpeg_error err;
    ncc_jpeg_progress progress;
    ncc_span_source span_source;
    ncc_scan_plan *volatile scan_plan = NULL; /* 16 KB, only for progressive files at reduced size */
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
        free(scan_plan);
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

    /* A progressive file at reduced size: leave out the scans the output never reads (see plan_scan_skipping). */
    if (cinfo.progressive_mode && cinfo.scale_denom > 1) {
        jpeg_calc_output_dimensions(&cinfo); /* the chosen scale's DCT sizes per component */
        const size_t first_data = (size_t)(cinfo.src->next_input_byte - data);
        scan_plan = malloc(sizeof *scan_plan);
        if (scan_plan == NULL) ERREXIT1(&cinfo, JERR_OUT_OF_MEMORY, 102);
        if (first_data <= size && cinfo.src->bytes_in_buffer == size - first_data &&
            plan_scan_skipping(&cinfo, data, size, first_data, cinfo.out_color_space == JCS_GRAYSCALE, scan_plan)) {
            if (cinfo.out_color_space == JCS_GRAYSCALE && cinfo.comp_info[0].DCT_scaled_size == 1) {
                pixel_bytes = (size_t)cinfo.output_width * cinfo.output_height;
                pixels = malloc(pixel_bytes ? pixel_bytes : 1);
                if (pixels == NULL) ERREXIT1(&cinfo, JERR_OUT_OF_MEMORY, 103);
                if (decode_luma_dc(&cinfo, data, size, scan_plan, pixels)) {
                    result->width = (int32_t)cinfo.output_width;
                    result->height = (int32_t)cinfo.output_height;
                    result->channels = 1;
                    goto done;
                }
                ncc_wipe_free(pixels, pixel_bytes); /* gave up part way: libjpeg decodes it instead */
                pixels = NULL;
                pixel_bytes = 0;
            }
            span_source.base.init_source = span_init_source;
            span_source.base.fill_input_buffer = span_fill_input_buffer;
            span_source.base.skip_input_data = span_skip_input_data;
            span_source.base.resync_to_restart = jpeg_resync_to_restart;
            span_source.base.term_source = span_term_source;
            span_source.data = data;
            span_source.plan = scan_plan;
            span_source.next = 0;
            cinfo.src = &span_source.base; /* the jpeg_mem_src manager stays in libjpeg's pool, unused */
            (void)span_fill_input_buffer(&cinfo); /* never warns: the plan has a range ending in the end marker */
            cinfo.do_block_smoothing = FALSE; /* the full decode does not smooth either (checked in the plan) */
        }
    }

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

    result->width = (int32_t)cinfo.output_width;
    result->height = (int32_t)cinfo.output_height;
    result->channels = channels;
done:
    result->orientation = orientation;
    const int swap = options->apply_exif_orientation && orientation >= 5;
    result->full_width = (int32_t)(swap ? cinfo.image_height : cinfo.image_width);
    result->full_height = (int32_t)(swap ? cinfo.image_width : cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    free(scan_plan); /* byte offsets only, nothing of the picture */
    ncc_wipe_free(cmyk_row, cmyk_bytes);
    result->pixels = pixels;
    result->byte_count = pixel_bytes;
    if (options->apply_exif_orientation) return ncc_apply_orientation(result, orientation);
    return NCC_STATUS_OK;
}
