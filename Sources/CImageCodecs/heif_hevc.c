/*
 * HEIC decoding through FFmpeg's HEVC decoder (libavcodec) for the common case, faster than libheif 1.15 with
 * libde265 1.0.11 (about 2 times on one core, measured on 12-megapixel files) and, for grid images (iPhones write
 * 512x512 tiles), tile by tile: each tile is converted and placed (or averaged into the reduced picture in fast mode)
 * as soon as it is decoded, so the full-size picture never exists.
 *
 * The HEIF container is read here, bounded: every box size is checked against its parent, item and property
 * counts are capped, the SPS picture sizes in each hvcC and the grid's tiles are checked against the picture's size
 * before anything is decoded, and coded data carrying its own parameter sets is not handled. Only this layout is
 * handled: the primary item is `hvc1` or a `grid` of `hvc1` tiles of one even size; its properties are `hvcC`,
 * `ispe`, `colr`, `pixi`, at most one `clap` that keeps the top-left corner (encoders pad odd sizes so) and then at
 * most one `irot` (an `imir`, another crop, any other essential property, items stored elsewhere, differing tile
 * sizes: not handled). Anything not handled, and any decoding failure, returns NCC_HEVC_NOT_HANDLED and the caller
 * decodes with libheif, which gives the specific error.
 *
 * HEVC decoding is exact (every conforming decoder gives the same samples; libde265 1.0.11, behind libheif 1.15,
 * differs from pillow-heif's 1.1.3 on a few pixels per thousand, FFmpeg's does not), and the 8-bit 4:2:0 to RGB
 * conversion is libheif 1.23's fixed point with the nearest chroma sample (as heif_decode.c's), with the matrix of
 * the file's nclx or, without one, the full-range matrix the HEVC stream's VUI states. On the 122 corpus pictures
 * and every fixture the RGB equals pillow-heif's byte for byte. With an `irot`, the shown picture's sides must be
 * even (then the chroma sample of each turned pixel is the one libheif's turned planes give).
 *
 * When the caller prefers luma (fast mode), the output is 1 channel made straight from the decoder's frame: the luma
 * the hashers take from the RGB (0.299 R + 0.587 G + 0.114 B), which for a BT.601 matrix (iPhones, pillow-heif) is
 * the Y sample itself and for other matrices Y plus a fixed-point chroma term; it differs from the luma of the
 * exact RGB only by that RGB's rounding and clipping. No RGB is made, and over 24 megapixels the luma is averaged
 * into the reduced picture tile by tile, as the RGB is. Under 24 megapixels a nearly flat picture still gives RGB
 * (luma_is_close says why); a grid's tiles are then kept as planes in one picture-sized YCbCr buffer (1.5 bytes a
 * pixel) until the whole picture can be judged, and the luma or RGB is made from it as for a single picture.
 *
 * libavcodec runs with one thread. Each decoded frame's buffers are wiped once converted (the decoder's pools would
 * otherwise hand them back unwiped); the compressed tile copies are wiped too.
 *
 * Memory: a grid costs one tile's decode at a time. A single coded picture is decoded whole: its frame (1.5 bytes a
 * pixel) and the decoder's per-block tables (motion field, intra modes, coded-block flags, deblocking strengths:
 * about 1.5 bytes a pixel) live together, so `nccmatch hash --mode fast` peaks at about 3 MB a megapixel over its
 * own 52 MB (Scripts/measure/heic_memory.py, release build): 164 MB at 8192x4352, the largest picture HEVC's
 * highest level (6.2, MaxLumaPs 35,651,584) allows and so the largest a conformant encoder writes untiled; 358 MB
 * for a 10000x10000 single picture, which no level allows (a bare libavcodec decode of it peaks at 312 MB). None of
 * the context's options lowers this without changing pixels: thread_count is already 1, AV_CODEC_FLAG2_FAST
 * changes nothing, skip_loop_filter = AVDISCARD_ALL saves 12 MB but skips deblocking
 * and SAO, and the frame's row padding is 1%. Such files are still hashed, never refused.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include "ncc_internal.h"

#define NCC_HEIF_MAX_ITEMS 8192        /* infe / iloc / ipma entries read; more: not handled */
#define NCC_HEIF_MAX_PROPERTIES 4096   /* ipco entries */
#define NCC_HEIF_MAX_ITEM_PROPERTIES 32 /* associations of one item */
#define NCC_HEIF_MAX_TILES 65536       /* rows x columns of a grid (each at most 256) */

typedef struct span { const uint8_t *p; size_t n; } span;

static uint32_t rd(const uint8_t *p, int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | p[i];
    return v;
}

/* The next box of `s`: its type and payload. 0 at the end or when the box does not fit its parent. */
static int next_box(span *s, char type[5], span *payload) {
    if (s->n < 8) return 0;
    uint64_t size = rd(s->p, 4);
    size_t header = 8;
    if (size == 1) {
        if (s->n < 16) return 0;
        size = (uint64_t)rd(s->p + 8, 4) << 32 | rd(s->p + 12, 4);
        header = 16;
    } else if (size == 0) {
        size = s->n;
    }
    if (size < header || size > s->n) return 0;
    memcpy(type, s->p + 4, 4);
    type[4] = 0;
    payload->p = s->p + header;
    payload->n = (size_t)size - header;
    s->p += size;
    s->n -= (size_t)size;
    return 1;
}

typedef struct item {
    uint32_t id;
    char type[5];
    span location;      /* this item's iloc entry, from its construction method on */
    int has_location;
    uint16_t properties[NCC_HEIF_MAX_ITEM_PROPERTIES]; /* ipco indices (1-based), essential flag in bit 15 */
    int property_count;
} item;

typedef struct container {
    const uint8_t *file;
    size_t file_size;
    span idat;
    span properties[NCC_HEIF_MAX_PROPERTIES];
    char property_types[NCC_HEIF_MAX_PROPERTIES][5];
    int property_count;
    item *items;
    int item_count;
    uint32_t primary;
    span iref;
    int iref_version;
    int offset_size, length_size, base_offset_size, index_size, iloc_version;
} container;

static int compare_items(const void *a, const void *b) {
    const uint32_t x = ((const item *)a)->id, y = ((const item *)b)->id;
    return x < y ? -1 : x > y;
}

/* Items are sorted by id once iinf is read (a binary search: a grid of many tiles costs no quadratic time). */
static item *find_item(container *c, uint32_t id) {
    const item key = { .id = id };
    return bsearch(&key, c->items, (size_t)c->item_count, sizeof *c->items, compare_items);
}

static int parse_iinf(container *c, span s) {
    if (s.n < 4) return 0;
    const int version = s.p[0];
    const size_t count_bytes = version == 0 ? 2 : 4;
    if (s.n < 4 + count_bytes) return 0;
    s.p += 4 + count_bytes;
    s.n -= 4 + count_bytes;
    char type[5];
    span infe;
    while (next_box(&s, type, &infe)) {
        if (strcmp(type, "infe") != 0) continue;
        if (infe.n < 4 || infe.p[0] < 2) return 0; /* infe versions 0 and 1 carry no item type */
        const int id_bytes = infe.p[0] == 2 ? 2 : 4;
        if (infe.n < 4 + (size_t)id_bytes + 2 + 4) return 0;
        if (c->item_count >= NCC_HEIF_MAX_ITEMS) return 0;
        item *it = &c->items[c->item_count++];
        memset(it, 0, sizeof *it);
        it->id = rd(infe.p + 4, id_bytes);
        memcpy(it->type, infe.p + 4 + id_bytes + 2, 4);
        it->type[4] = 0;
    }
    qsort(c->items, (size_t)c->item_count, sizeof *c->items, compare_items);
    for (int i = 1; i < c->item_count; i++) if (c->items[i].id == c->items[i - 1].id) return 0; /* one id, two items */
    return 1;
}

static int parse_iloc(container *c, span s) {
    if (s.n < 6) return 0;
    const int version = s.p[0];
    if (version > 2) return 0;
    c->iloc_version = version;
    c->offset_size = s.p[4] >> 4;
    c->length_size = s.p[4] & 15;
    c->base_offset_size = s.p[5] >> 4;
    c->index_size = version >= 1 ? (s.p[5] & 15) : 0;
    if (c->offset_size > 4 || c->length_size > 4 || c->base_offset_size > 4 || c->index_size != 0) return 0; /* 64-bit offsets or extent indices: not handled */
    const int id_bytes = version < 2 ? 2 : 4;
    size_t pos = 6;
    if (s.n < pos + (size_t)id_bytes) return 0;
    const uint32_t count = rd(s.p + pos, id_bytes);
    pos += (size_t)id_bytes;
    if (count > NCC_HEIF_MAX_ITEMS) return 0;
    for (uint32_t i = 0; i < count; i++) {
        if (s.n - pos < (size_t)id_bytes) return 0;
        const uint32_t id = rd(s.p + pos, id_bytes);
        pos += (size_t)id_bytes;
        const size_t start = pos;
        const size_t fixed = (version >= 1 ? 2 : 0) + 2 + (size_t)c->base_offset_size + 2;
        if (s.n - pos < fixed) return 0;
        const uint32_t extents = rd(s.p + pos + fixed - 2, 2);
        const size_t extent_bytes = (size_t)c->offset_size + (size_t)c->length_size;
        if ((s.n - pos - fixed) / (extent_bytes ? extent_bytes : 1) < extents) return 0;
        pos += fixed + extent_bytes * extents;
        item *it = find_item(c, id);
        if (it != NULL && !it->has_location) {
            it->location = (span){ s.p + start, pos - start };
            it->has_location = 1;
        }
    }
    return 1;
}

static int parse_iprp(container *c, span s) {
    char type[5];
    span box;
    int have_ipco = 0;
    while (next_box(&s, type, &box)) {
        if (strcmp(type, "ipco") == 0 && !have_ipco) {
            have_ipco = 1;
            span property;
            char ptype[5];
            while (next_box(&box, ptype, &property)) {
                if (c->property_count >= NCC_HEIF_MAX_PROPERTIES) return 0;
                c->properties[c->property_count] = property;
                memcpy(c->property_types[c->property_count], ptype, 5);
                c->property_count++;
            }
        } else if (strcmp(type, "ipma") == 0) {
            if (box.n < 8) return 0;
            const int version = box.p[0], wide = box.p[3] & 1;
            const uint32_t count = rd(box.p + 4, 4);
            size_t pos = 8;
            const size_t id_bytes = version < 1 ? 2 : 4, index_bytes = wide ? 2 : 1;
            if (count > NCC_HEIF_MAX_ITEMS) return 0;
            for (uint32_t i = 0; i < count; i++) {
                if (box.n - pos < id_bytes + 1) return 0;
                const uint32_t id = rd(box.p + pos, (int)id_bytes);
                const int associations = box.p[pos + id_bytes];
                pos += id_bytes + 1;
                if ((box.n - pos) / index_bytes < (size_t)associations) return 0;
                item *it = find_item(c, id);
                for (int k = 0; k < associations; k++, pos += index_bytes) {
                    const uint32_t v = rd(box.p + pos, (int)index_bytes);
                    const uint16_t essential = (uint16_t)(v >> (wide ? 15 : 7) & 1), index = (uint16_t)(v & (wide ? 0x7fff : 0x7f));
                    if (it == NULL) continue;
                    if (it->property_count >= NCC_HEIF_MAX_ITEM_PROPERTIES) return 0;
                    it->properties[it->property_count++] = (uint16_t)(index | essential << 15);
                }
            }
        }
    }
    return have_ipco;
}

/* Reads the meta box: 1 when the container has the structure handled here. */
static int parse_container(container *c) {
    span file = { c->file, c->file_size }, meta = { 0 }, box;
    char type[5];
    int found = 0;
    while (next_box(&file, type, &box)) {
        if (strcmp(type, "meta") == 0) { meta = box; found = 1; break; }
    }
    if (!found || meta.n < 4) return 0;
    meta.p += 4;
    meta.n -= 4;
    span iinf = { 0 }, iloc = { 0 }, iprp = { 0 };
    int have_pitm = 0, have_iinf = 0, have_iloc = 0, have_iprp = 0;
    while (next_box(&meta, type, &box)) {
        if (strcmp(type, "pitm") == 0 && box.n >= 6) {
            c->primary = box.p[0] == 0 ? rd(box.p + 4, 2) : (box.n >= 8 ? rd(box.p + 4, 4) : 0);
            have_pitm = 1;
        } else if (strcmp(type, "iinf") == 0 && !have_iinf) { iinf = box; have_iinf = 1; }
        else if (strcmp(type, "iloc") == 0 && !have_iloc) { iloc = box; have_iloc = 1; }
        else if (strcmp(type, "iprp") == 0 && !have_iprp) { iprp = box; have_iprp = 1; }
        else if (strcmp(type, "iref") == 0 && c->iref.p == NULL && box.n >= 4) {
            c->iref_version = box.p[0];
            c->iref = (span){ box.p + 4, box.n - 4 };
        } else if (strcmp(type, "idat") == 0 && c->idat.p == NULL) c->idat = box;
    }
    if (!have_pitm || !have_iinf || !have_iloc || !have_iprp) return 0;
    return parse_iinf(c, iinf) && parse_iloc(c, iloc) && parse_iprp(c, iprp);
}

/* The item's bytes (all extents, in order) copied into a malloc'ed buffer with FFmpeg's padding; NULL when the
 * location is not one handled here or does not fit the file. */
static uint8_t *item_data(const container *c, const item *it, size_t *length) {
    if (!it->has_location) return NULL;
    const uint8_t *p = it->location.p;
    int method = 0;
    if (c->iloc_version >= 1) { method = p[1] & 15; p += 2; }
    if (method > 1 || rd(p, 2) != 0) return NULL; /* only the file itself or idat; data_reference_index 0 */
    p += 2;
    const uint64_t base = rd(p, c->base_offset_size);
    p += c->base_offset_size;
    const uint32_t extents = rd(p, 2);
    p += 2;
    const span source = method == 0 ? (span){ c->file, c->file_size } : c->idat;
    if (extents == 0 || source.p == NULL) return NULL;
    uint64_t total = 0;
    const uint8_t *q = p;
    for (uint32_t e = 0; e < extents; e++) {
        const uint64_t offset = base + rd(q, c->offset_size), n = rd(q + c->offset_size, c->length_size);
        q += c->offset_size + c->length_size;
        if (n == 0 || offset > source.n || n > source.n - offset) return NULL; /* length 0 = "to the end": not handled */
        total += n;
        if (total > source.n) return NULL;
    }
    uint8_t *out = malloc((size_t)total + AV_INPUT_BUFFER_PADDING_SIZE);
    if (out == NULL) return NULL;
    size_t at = 0;
    for (uint32_t e = 0; e < extents; e++) {
        const uint64_t offset = base + rd(p, c->offset_size), n = rd(p + c->offset_size, c->length_size);
        p += c->offset_size + c->length_size;
        memcpy(out + at, source.p + offset, (size_t)n);
        at += (size_t)n;
    }
    memset(out + at, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    *length = at;
    return out;
}

static void free_wiped(uint8_t *p, size_t n) {
    if (p == NULL) return;
    explicit_bzero(p, n);
    free(p);
}

/* What an image item's properties say: its hvcC, its size, its crop (0 when none), its rotation (quarter turns
 * anticlockwise). 0 when a property is not one handled here. */
typedef struct item_properties { span hvcc; uint32_t width, height, crop_width, crop_height; int rotation; } item_properties;

/* A clean aperture that keeps the top-left corner (cuts only right and bottom, as encoders pad odd sizes): its
 * width and height; 0 for any other (then libheif crops). */
static int top_left_crop(span p, uint32_t width, uint32_t height, uint32_t *crop_width, uint32_t *crop_height) {
    if (p.n < 32) return 0;
    const uint32_t wn = rd(p.p, 4), wd = rd(p.p + 4, 4), hn = rd(p.p + 8, 4), hd = rd(p.p + 12, 4);
    const int64_t xn = (int32_t)rd(p.p + 16, 4), xd = rd(p.p + 20, 4), yn = (int32_t)rd(p.p + 24, 4), yd = rd(p.p + 28, 4);
    if (wd == 0 || hd == 0 || xd == 0 || yd == 0 || wn % wd != 0 || hn % hd != 0) return 0;
    const uint32_t w = wn / wd, h = hn / hd;
    if (w == 0 || h == 0 || w > width || h > height) return 0;
    /* libheif's left edge: horizOff + (width - w) / 2, which must be exactly 0 (and the same for the top). */
    if (2 * xn != -(int64_t)(width - w) * xd || 2 * yn != -(int64_t)(height - h) * yd) return 0;
    *crop_width = w;
    *crop_height = h;
    return 1;
}

static int read_properties(const container *c, const item *it, int allow_rotation, item_properties *out) {
    memset(out, 0, sizeof *out);
    int rotations = 0, crops = 0;
    for (int k = 0; k < it->property_count; k++) {
        const int index = it->properties[k] & 0x7fff, essential = it->properties[k] >> 15;
        if (index == 0) continue;
        if (index > c->property_count) return 0;
        const char *type = c->property_types[index - 1];
        const span p = c->properties[index - 1];
        if (strcmp(type, "hvcC") == 0) {
            if (out->hvcc.p != NULL || p.n < 23) return 0;
            out->hvcc = p;
        } else if (strcmp(type, "ispe") == 0) {
            if (p.n < 12) return 0;
            out->width = rd(p.p + 4, 4);
            out->height = rd(p.p + 8, 4);
        } else if (strcmp(type, "irot") == 0) {
            if (!allow_rotation || rotations++ > 0 || p.n < 1) return 0;
            out->rotation = p.p[0] & 3;
        } else if (strcmp(type, "clap") == 0) {
            /* Applied before irot (the order the format prescribes): a clap after an irot is left to libheif. */
            if (!allow_rotation || crops++ > 0 || rotations > 0 || out->width == 0
                || !top_left_crop(p, out->width, out->height, &out->crop_width, &out->crop_height)) return 0;
        } else if (strcmp(type, "colr") == 0 || strcmp(type, "pixi") == 0) {
            continue; /* the colour comes from libheif's reading of colr (heif_decode.c); bit depth from hvcC */
        } else if (essential || strcmp(type, "imir") == 0) {
            return 0;
        }
    }
    return out->width > 0 && out->height > 0;
}

/* The dimg references of `from`, in order, into `tiles` (at most `capacity`); -1 when not readable. */
static int64_t dimg_references(const container *c, uint32_t from, uint32_t *tiles, int64_t capacity) {
    span s = c->iref, box;
    char type[5];
    const int id_bytes = c->iref_version == 0 ? 2 : 4;
    while (next_box(&s, type, &box)) {
        if (strcmp(type, "dimg") != 0 || box.n < (size_t)id_bytes + 2 || rd(box.p, id_bytes) != from) continue;
        const uint32_t count = rd(box.p + id_bytes, 2);
        if ((box.n - (size_t)id_bytes - 2) / (size_t)id_bytes < count || count > capacity) return -1;
        for (uint32_t i = 0; i < count; i++) tiles[i] = rd(box.p + id_bytes + 2 + (size_t)i * (size_t)id_bytes, id_bytes);
        return count;
    }
    return -1;
}

/* Exp-Golomb reading of an SPS (emulation-prevention bytes removed first), far enough for the picture size. */
typedef struct bits { const uint8_t *p; size_t n, at; int bad; } bits;
static uint32_t bits_read(bits *b, int count) {
    uint32_t v = 0;
    for (int i = 0; i < count; i++) {
        if (b->at >= b->n * 8) { b->bad = 1; return 0; }
        v = v << 1 | (uint32_t)(b->p[b->at / 8] >> (7 - b->at % 8) & 1);
        b->at++;
    }
    return v;
}
static uint32_t bits_ue(bits *b) {
    int zeros = 0;
    while (!b->bad && bits_read(b, 1) == 0) if (++zeros > 31) { b->bad = 1; return 0; }
    return (uint32_t)(((uint64_t)1 << zeros) - 1 + bits_read(b, zeros));
}

/* The picture size an SPS NAL unit (header included) declares; 0 when it cannot be read. */
static int sps_size(const uint8_t *nal, size_t n, uint32_t *width, uint32_t *height) {
    uint8_t rbsp[96];
    size_t m = 0;
    for (size_t i = 2, zeros = 0; i < n && m < sizeof rbsp; i++) {
        if (zeros >= 2 && nal[i] == 3) { zeros = 0; continue; }
        zeros = nal[i] == 0 ? zeros + 1 : 0;
        rbsp[m++] = nal[i];
    }
    bits b = { rbsp, m, 0, 0 };
    bits_read(&b, 4);
    const int sub_layers = (int)bits_read(&b, 3);
    bits_read(&b, 1);
    bits_read(&b, 96); /* general profile, tier, flags and level */
    int profile_present[8] = { 0 }, level_present[8] = { 0 };
    for (int i = 0; i < sub_layers; i++) { profile_present[i] = (int)bits_read(&b, 1); level_present[i] = (int)bits_read(&b, 1); }
    if (sub_layers > 0) for (int i = sub_layers; i < 8; i++) bits_read(&b, 2);
    for (int i = 0; i < sub_layers; i++) { if (profile_present[i]) bits_read(&b, 88); if (level_present[i]) bits_read(&b, 8); }
    bits_ue(&b);
    if (bits_ue(&b) == 3) bits_read(&b, 1);
    *width = bits_ue(&b);
    *height = bits_ue(&b);
    return !b.bad;
}

/* 1 when every SPS in the hvcC declares a picture at most one 64-sample block larger than width x height each way
 * (the decoder sizes its buffers from the SPS: checked before it sees one), and the hvcC has one. */
static int hvcc_sizes_fit(span hvcc, uint32_t width, uint32_t height) {
    if (hvcc.n < 23) return 0;
    size_t pos = 23;
    int found = 0;
    for (int a = 0, arrays = hvcc.p[22]; a < arrays; a++) {
        if (hvcc.n - pos < 3) return 0;
        const int count = (int)rd(hvcc.p + pos + 1, 2);
        pos += 3;
        for (int k = 0; k < count; k++) {
            if (hvcc.n - pos < 2) return 0;
            const size_t n = rd(hvcc.p + pos, 2);
            pos += 2;
            if (hvcc.n - pos < n) return 0;
            if (n < 2) return 0;
            if ((hvcc.p[pos] >> 1 & 0x3f) == 33) { /* the NAL unit's own type, which the decoder goes by */
                uint32_t w = 0, h = 0;
                if (!sps_size(hvcc.p + pos, n, &w, &h) || w == 0 || h == 0 || w > width + 64 || h > height + 64) return 0;
                found = 1;
            }
            pos += n;
        }
    }
    return found;
}

/* 1 when the coded data is whole length-prefixed NAL units, none of them a parameter set (those must come from the
 * hvcC, whose sizes were checked). */
static int nal_units_plain(const uint8_t *p, size_t n, int length_size) {
    size_t pos = 0;
    while (pos < n) {
        if (n - pos < (size_t)length_size + 2) return 0;
        const size_t length = rd(p + pos, length_size);
        pos += (size_t)length_size;
        if (length < 2 || length > n - pos) return 0;
        const int type = p[pos] >> 1 & 0x3f;
        if (type >= 32 && type <= 34) return 0;
        pos += length;
    }
    return 1;
}

static void quiet_logging(void) { av_log_set_level(AV_LOG_QUIET); }

typedef struct decoder { AVCodecContext *context; AVFrame *frame; span hvcc; } decoder;

static void decoder_close(decoder *d) {
    avcodec_free_context(&d->context); /* frees extradata (a copy of the hvcC, not picture data) */
    d->hvcc = (span){ 0 };
}

static int decoder_open(decoder *d, span hvcc) {
    if (d->context != NULL && d->hvcc.n == hvcc.n && memcmp(d->hvcc.p, hvcc.p, hvcc.n) == 0) return 1;
    decoder_close(d);
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_HEVC);
    if (codec == NULL || (d->context = avcodec_alloc_context3(codec)) == NULL) return 0;
    d->context->thread_count = 1;
    d->context->thread_type = 0;
    d->context->err_recognition = AV_EF_EXPLODE; /* damaged data fails (then libheif says how), never concealed */
    d->context->extradata = av_mallocz(hvcc.n + AV_INPUT_BUFFER_PADDING_SIZE);
    if (d->context->extradata == NULL) return 0;
    memcpy(d->context->extradata, hvcc.p, hvcc.n);
    d->context->extradata_size = (int)hvcc.n;
    if (avcodec_open2(d->context, codec, NULL) < 0) return 0;
    d->hvcc = hvcc;
    return 1;
}

/* Wipes a frame's buffers (the decoder's pool hands them out again, or frees them, unwiped) and unreferences it. */
static void wipe_frame(AVFrame *frame) {
    for (int i = 0; i < AV_NUM_DATA_POINTERS; i++) {
        if (frame->buf[i] != NULL) explicit_bzero(frame->buf[i]->data, frame->buf[i]->size);
    }
    av_frame_unref(frame);
}

/* Decodes one coded picture (length-prefixed NAL units, as HEIF stores them) into d->frame: 1 on success with an
 * 8-bit 4:2:0 frame of the expected size. */
static int decode_picture(decoder *d, uint8_t *data, size_t length, uint32_t width, uint32_t height) {
    if (length > INT32_MAX) return 0;
    AVPacket *packet = av_packet_alloc();
    if (packet == NULL) return 0;
    packet->data = data;
    packet->size = (int)length;
    int ok = avcodec_send_packet(d->context, packet) >= 0 && avcodec_send_packet(d->context, NULL) >= 0
             && avcodec_receive_frame(d->context, d->frame) >= 0;
    av_packet_free(&packet);
    avcodec_flush_buffers(d->context); /* ready for the next tile: nothing kept from this one */
    if (!ok) return 0;
    const AVFrame *f = d->frame;
    if ((f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) || f->width != (int)width || f->height != (int)height
        || f->data[0] == NULL || f->data[1] == NULL || f->data[2] == NULL || f->decode_error_flags != 0 || (f->flags & AV_FRAME_FLAG_CORRUPT)) {
        wipe_frame(d->frame);
        return 0;
    }
    return 1;
}

/* The output: full-size RGB or luma (denom 1) or sums of denom x denom blocks (averaged at the end). */
typedef struct target {
    int width, height;      /* the picture after the rotation */
    int coded_width, coded_height;
    int rotation, shift;    /* denom = 1 << shift */
    int out_width, out_height;
    int channels;           /* 3: RGB; 1: luma (fast mode's request) */
    uint8_t *rgb;           /* denom 1: width x height x channels */
    uint32_t *sums;         /* denom > 1 */
    int r_cr, b_cb, g_cb, g_cr;
    int l_cb, l_cr;         /* luma: the RGB's 0.299/0.587/0.114 luma = Y + (l_cb * Cb + l_cr * Cr) / 256; both 0 for BT.601 */
} target;

static inline uint8_t clip(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* Where coded pixel (gx, gy) goes after the rotation (quarter turns anticlockwise, as irot says). */
static inline void turn(const target *t, int gx, int gy, int *ox, int *oy) {
    switch (t->rotation) {
    case 1: *ox = gy; *oy = t->coded_width - 1 - gx; break;
    case 2: *ox = t->coded_width - 1 - gx; *oy = t->coded_height - 1 - gy; break;
    case 3: *ox = t->coded_height - 1 - gy; *oy = gx; break;
    default: *ox = gx; *oy = gy; break;
    }
}

/* The luma of w pixels of one frame row, whose first pixel goes to (ox, oy) and each next one `step` output pixels on:
 * the Y samples as they are for a BT.601 matrix (the luma the hashers take from RGB is then Y, but for the rounding
 * and the clipping of the RGB), otherwise corrected by the chroma term. Read straight from the decoder's frame. */
static void place_luma_row(target *t, const uint8_t *yr, const uint8_t *cbr, const uint8_t *crr, int w, int ox, int oy, ptrdiff_t step) {
    const int plain = t->l_cb == 0 && t->l_cr == 0;
    if (t->rgb != NULL) {
        uint8_t *o = t->rgb + (size_t)oy * (size_t)t->width + (size_t)ox;
        if (plain && step == 1) { memcpy(o, yr, (size_t)w); return; }
        for (int tx = 0; tx < w; tx++, o += step) {
            o[0] = plain ? yr[tx] : clip(yr[tx] + ((t->l_cb * (cbr[tx / 2] - 128) + t->l_cr * (crr[tx / 2] - 128) + 128) >> 8));
        }
        return;
    }
    const int dx = (int)(step == 1 ? 1 : step == -1 ? -1 : 0), dy = dx == 0 ? (step > 0 ? 1 : -1) : 0;
    size_t block = SIZE_MAX;
    uint32_t sum = 0;
    for (int tx = 0; tx < w; tx++, ox += dx, oy += dy) {
        const size_t here = (size_t)(oy >> t->shift) * (size_t)t->out_width + (size_t)(ox >> t->shift);
        if (here != block) {
            if (block != SIZE_MAX) t->sums[block] += sum;
            block = here;
            sum = 0;
        }
        sum += plain ? yr[tx] : clip(yr[tx] + ((t->l_cb * (cbr[tx / 2] - 128) + t->l_cr * (crr[tx / 2] - 128) + 128) >> 8));
    }
    if (block != SIZE_MAX) t->sums[block] += sum;
}

/* Places the part of a decoded frame at (x0, y0) of the coded picture that lies inside it. Along a row of the frame
 * the turned position moves by one pixel each step (a row or a column of the output), so runs of pixels falling into
 * one block are summed in registers before they are added to the block. */
static void place(target *t, const AVFrame *f, int x0, int y0) {
    const int w = f->width < t->coded_width - x0 ? f->width : t->coded_width - x0;
    const int h = f->height < t->coded_height - y0 ? f->height : t->coded_height - y0;
    int ax, ay, bx, by;
    turn(t, x0, y0, &ax, &ay);
    turn(t, x0 + 1, y0, &bx, &by);
    const ptrdiff_t step = (ptrdiff_t)(by - ay) * t->width + (bx - ax); /* output pixels per step along a frame row */
    for (int ty = 0; ty < h; ty++) {
        const uint8_t *yr = f->data[0] + (size_t)ty * (size_t)f->linesize[0];
        const uint8_t *cbr = f->data[1] + (size_t)(ty / 2) * (size_t)f->linesize[1];
        const uint8_t *crr = f->data[2] + (size_t)(ty / 2) * (size_t)f->linesize[2];
        int ox, oy;
        turn(t, x0, y0 + ty, &ox, &oy);
        if (t->channels == 1) {
            place_luma_row(t, yr, cbr, crr, w, ox, oy, step);
            continue;
        }
        if (t->rgb != NULL) {
            uint8_t *o = t->rgb + ((size_t)oy * (size_t)t->width + (size_t)ox) * 3;
            const ptrdiff_t next = step * 3;
            /* Two pixels share each chroma sample: its three terms are computed once (the same integers). */
            for (int tx = 0; tx < w; tx += 2) {
                const int cb = cbr[tx / 2] - 128, cr = crr[tx / 2] - 128;
                const int rc = (t->r_cr * cr + 128) >> 8; /* >> of a negative int: arithmetic on every compiler we build with */
                const int gc = (t->g_cb * cb + t->g_cr * cr + 128) >> 8, bc = (t->b_cb * cb + 128) >> 8;
                const int v0 = yr[tx];
                o[0] = clip(v0 + rc); o[1] = clip(v0 + gc); o[2] = clip(v0 + bc);
                o += next;
                if (tx + 1 == w) break;
                const int v1 = yr[tx + 1];
                o[0] = clip(v1 + rc); o[1] = clip(v1 + gc); o[2] = clip(v1 + bc);
                o += next;
            }
            continue;
        }
        const int dx = (int)(step == 1 ? 1 : step == -1 ? -1 : 0), dy = dx == 0 ? (step > 0 ? 1 : -1) : 0;
        size_t block = SIZE_MAX;
        uint32_t sr = 0, sg = 0, sb = 0;
        for (int tx = 0; tx < w; tx++, ox += dx, oy += dy) {
            const size_t here = (size_t)(oy >> t->shift) * (size_t)t->out_width + (size_t)(ox >> t->shift);
            if (here != block) {
                if (block != SIZE_MAX) { uint32_t *s = t->sums + block * 3; s[0] += sr; s[1] += sg; s[2] += sb; }
                block = here;
                sr = sg = sb = 0;
            }
            const int cb = cbr[tx / 2] - 128, cr = crr[tx / 2] - 128, v = yr[tx];
            sr += clip(v + ((t->r_cr * cr + 128) >> 8));
            sg += clip(v + ((t->g_cb * cb + t->g_cr * cr + 128) >> 8));
            sb += clip(v + ((t->b_cb * cb + 128) >> 8));
        }
        if (block != SIZE_MAX) { uint32_t *s = t->sums + block * 3; s[0] += sr; s[1] += sg; s[2] += sb; }
    }
}

/* Whether 8-bit luma hashes as the RGB does. PDQ takes its luma from the RGB in floating point; 8-bit luma loses the
 * fractions, which on a nearly flat picture (PDQ quality near 0) moves PDQ far: on the corpus, three such pictures
 * (PDQ quality 0, 1 and 23) moved 28 to 50 bits, the same as pdqhash fed Pillow's rounded luma. So the picture's
 * quality is estimated the way PDQ computes it (gradients of a 64x64 reduction, 100 at most), here from the Y plane
 * sampled every 4th pixel each way (every pixel on a side under 256), and below 80 the RGB is made instead. This box
 * estimate reads higher than PDQ's own (filtered) quality: the corpus picture of PDQ quality 23 that moved 30 bits
 * estimates 66; photographs estimate 100. On the corpus 88 of 122 pictures estimate 80 or more. 1 when luma will do. */
static int luma_is_close(const AVFrame *f, int width, int height) {
    enum { side = 64 };
    uint32_t sums[side * side] = { 0 }, counts[side * side] = { 0 };
    const int ystride = height >= 4 * side ? 4 : 1, xstride = width >= 4 * side ? 4 : 1;
    /* Sample x falls in column cell x * side / width (rounded down): cell c holds the sampled x from the first
     * multiple of xstride at or after ceil(c * width / side) up to the next cell's first; no division per sample. */
    int first[side + 1], taken[side];
    for (int c = 0; c <= side; c++) {
        const int64_t x = ((int64_t)c * width + side - 1) / side;
        const int64_t sampled = (x + xstride - 1) / xstride * xstride;
        first[c] = (int)(sampled < width ? sampled : width);
    }
    for (int c = 0; c < side; c++) taken[c] = first[c + 1] > first[c] ? (first[c + 1] - first[c] + xstride - 1) / xstride : 0;
    for (int y = 0; y < height; y += ystride) {
        const uint8_t *row = f->data[0] + (size_t)y * (size_t)f->linesize[0];
        const int cy = (int)((int64_t)y * side / height);
        for (int c = 0; c < side; c++) {
            uint32_t sum = 0;
            for (int x = first[c]; x < first[c + 1]; x += xstride) sum += row[x];
            sums[cy * side + c] += sum;
            counts[cy * side + c] += (uint32_t)taken[c];
        }
    }
    double cells[side * side];
    for (int i = 0; i < side * side; i++) cells[i] = counts[i] ? (double)sums[i] / counts[i] : 0;
    double gradients = 0;
    for (int i = 0; i < side - 1; i++) {
        for (int j = 0; j < side; j++) {
            /* Cells no sample fell into (a picture under 64 pixels a side) take no part. */
            if (counts[i * side + j] && counts[(i + 1) * side + j]) gradients += fabs(cells[i * side + j] - cells[(i + 1) * side + j]) * 100 / 255;
            if (counts[j * side + i] && counts[j * side + i + 1]) gradients += fabs(cells[j * side + i] - cells[j * side + i + 1]) * 100 / 255;
        }
    }
    const double quality = gradients / 90 > 100 ? 100 : gradients / 90;
    return quality >= 80;
}

/* A grid under the averaging size in fast mode keeps its tiles' planes in one picture-sized YCbCr buffer (Y, then
 * Cb and Cr at half size each way: 1.5 bytes a pixel, 36 MB at 24 megapixels), so the whole picture's flatness is
 * estimated before luma or RGB is chosen, as for a single picture. The same size as heif_decode.c's averaging
 * threshold (NCC_HEIF_AVERAGE_ABOVE_PIXELS): over it the picture is averaged tile by tile. */
#define NCC_HEVC_KEEP_PLANES_PIXELS 24000000LL

typedef struct planes { uint8_t *y, *chroma; int width, height, chroma_width, chroma_height; } planes;

static size_t planes_chroma_bytes(const planes *p) { return 2 * (size_t)p->chroma_width * (size_t)p->chroma_height; }

/* Copies the part of a decoded tile at (x0, y0) (both even) that lies inside the picture into the kept planes. */
static void keep_tile(planes *p, const AVFrame *f, int x0, int y0) {
    const int w = f->width < p->width - x0 ? f->width : p->width - x0;
    const int h = f->height < p->height - y0 ? f->height : p->height - y0;
    for (int ty = 0; ty < h; ty++) {
        memcpy(p->y + (size_t)(y0 + ty) * (size_t)p->width + (size_t)x0, f->data[0] + (size_t)ty * (size_t)f->linesize[0], (size_t)w);
    }
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    uint8_t *cb = p->chroma, *cr = p->chroma + (size_t)p->chroma_width * (size_t)p->chroma_height;
    for (int ty = 0; ty < ch; ty++) {
        const size_t at = (size_t)(y0 / 2 + ty) * (size_t)p->chroma_width + (size_t)(x0 / 2);
        memcpy(cb + at, f->data[1] + (size_t)ty * (size_t)f->linesize[1], (size_t)cw);
        memcpy(cr + at, f->data[2] + (size_t)ty * (size_t)f->linesize[2], (size_t)cw);
    }
}

static void set_coefficients(target *t, float kr, float kb) {
    const float kg = kb + kr - 1.0f;
    t->r_cr = (int)lroundf(256 * (2 * (-kr + 1)));
    t->b_cb = (int)lroundf(256 * (2 * (-kb + 1)));
    t->g_cb = (int)lroundf(256 * (2 * kb * (-kb + 1) / kg));
    t->g_cr = (int)lroundf(256 * (2 * kr * (-kr + 1) / kg));
    /* 0.299 R + 0.587 G + 0.114 B with R, G, B as above: Y plus these chroma terms (0 when Kr, Kb are 0.299, 0.114). */
    t->l_cb = (int)lroundf(256 * (0.587f * (2 * kb * (-kb + 1) / kg) + 0.114f * (2 * (-kb + 1))));
    t->l_cr = (int)lroundf(256 * (0.299f * (2 * (-kr + 1)) + 0.587f * (2 * kr * (-kr + 1) / kg)));
}

/* Kr/Kb of the matrices heif_decode.c converts itself (the same list as its kr_kb); 0 for others. */
static int matrix_kr_kb(int space, float *kr, float *kb) {
    switch (space) {
    case AVCOL_SPC_BT709: *kr = 0.2126f; *kb = 0.0722f; return 1;
    case AVCOL_SPC_BT470BG: case AVCOL_SPC_SMPTE170M: *kr = 0.299f; *kb = 0.114f; return 1;
    case AVCOL_SPC_BT2020_NCL: *kr = 0.2627f; *kb = 0.0593f; return 1;
    default: return 0;
    }
}

int32_t ncc_heif_decode_hevc(const uint8_t *data, size_t size, int width, int height, float kr, float kb, int denom,
                             int luma, int64_t max_pixels, ncc_decode_result *result) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, quiet_logging);
    int32_t status = NCC_HEVC_NOT_HANDLED;
    container *c = calloc(1, sizeof *c);
    uint32_t *tiles = NULL;
    decoder d = { 0 };
    target t = { 0 };
    planes kept = { 0 };
    if (c == NULL || (c->items = calloc(NCC_HEIF_MAX_ITEMS, sizeof *c->items)) == NULL) goto done;
    c->file = data;
    c->file_size = size;
    if (!parse_container(c)) goto done;
    item *primary = find_item(c, c->primary);
    if (primary == NULL) goto done;
    item_properties props;
    if (!read_properties(c, primary, 1, &props)) goto done;
    const int grid = strcmp(primary->type, "grid") == 0;
    if (!grid && (strcmp(primary->type, "hvc1") != 0 || props.hvcc.p == NULL)) goto done;

    /* The coded picture and its tiles, checked against the size libheif read and the pixel limit first. */
    uint32_t coded_width = props.width, coded_height = props.height, tile_width = coded_width, tile_height = coded_height;
    int64_t columns = 1, rows = 1;
    if (grid) {
        size_t length = 0;
        uint8_t *g = item_data(c, primary, &length);
        if (g == NULL) goto done;
        const int wide = length >= 2 && (g[1] & 1);
        if (length < (size_t)(wide ? 12 : 8) || g[0] != 0) { free_wiped(g, length); goto done; }
        rows = (int64_t)g[2] + 1;
        columns = (int64_t)g[3] + 1;
        coded_width = rd(g + 4, wide ? 4 : 2);
        coded_height = rd(g + (wide ? 8 : 6), wide ? 4 : 2);
        free_wiped(g, length);
        if (coded_width != props.width || coded_height != props.height) goto done;
        if ((tiles = malloc(sizeof *tiles * (size_t)(rows * columns))) == NULL) goto done;
        if (dimg_references(c, primary->id, tiles, rows * columns) != rows * columns) goto done;
        item *first = find_item(c, tiles[0]);
        item_properties tile;
        if (first == NULL || !read_properties(c, first, 0, &tile)) goto done;
        tile_width = tile.width;
        tile_height = tile.height;
        /* Every column and row of tiles inside the picture (none wholly outside it). */
        if ((uint64_t)tile_width * (uint64_t)columns < coded_width || (uint64_t)tile_width * (uint64_t)(columns - 1) >= coded_width
            || (uint64_t)tile_height * (uint64_t)rows < coded_height || (uint64_t)tile_height * (uint64_t)(rows - 1) >= coded_height
            || (tile_width & 1) || (tile_height & 1)) goto done;
    }
    /* The picture that is shown: the coded one, its right and bottom cut off by a clap. */
    const uint32_t shown_width = props.crop_width ? props.crop_width : coded_width, shown_height = props.crop_height ? props.crop_height : coded_height;
    const int turned = props.rotation & 1;
    if ((int64_t)coded_width > INT32_MAX / 2 || (int64_t)coded_height > INT32_MAX / 2
        || (int)(turned ? shown_height : shown_width) != width || (int)(turned ? shown_width : shown_height) != height
        || (uint64_t)coded_width * coded_height > (uint64_t)max_pixels || (uint64_t)tile_width * tile_height > (uint64_t)max_pixels
        || (props.rotation != 0 && ((shown_width & 1) || (shown_height & 1)))) goto done;

    t.width = width;
    t.height = height;
    t.coded_width = (int)shown_width; /* place() keeps what lies inside it */
    t.coded_height = (int)shown_height;
    t.rotation = props.rotation;
    t.shift = denom == 8 ? 3 : denom == 4 ? 2 : denom == 2 ? 1 : 0;
    t.out_width = (width + denom - 1) / denom;
    t.out_height = (height + denom - 1) / denom;
    /* Luma when asked for, except a picture under the averaging size that looks nearly flat (see luma_is_close):
     * decided once a single picture is decoded, or, for a grid, once all its tiles are (their planes kept until then). */
    const int keep = grid && luma && denom == 1 && (int64_t)shown_width * shown_height <= NCC_HEVC_KEEP_PLANES_PIXELS;
    t.channels = luma && (denom > 1 || !grid || keep) ? 1 : 3;
    if (keep) {
        kept.width = (int)shown_width;
        kept.height = (int)shown_height;
        kept.chroma_width = (kept.width + 1) / 2;
        kept.chroma_height = (kept.height + 1) / 2;
        /* shown_width x shown_height is within max_pixels (checked above) and NCC_HEVC_KEEP_PLANES_PIXELS. */
        if ((kept.y = malloc((size_t)kept.width * (size_t)kept.height)) == NULL || (kept.chroma = malloc(planes_chroma_bytes(&kept))) == NULL) goto done;
    }
    const int from_stream = kr <= 0 || kb <= 0;
    int stream_space = -1;
    if (!from_stream) set_coefficients(&t, kr, kb);
    if ((d.frame = av_frame_alloc()) == NULL) goto done;

    for (int64_t i = 0; i < rows * columns; i++) {
        item *it = grid ? find_item(c, tiles[i]) : primary;
        item_properties tile = props;
        if (grid && (it == NULL || strcmp(it->type, "hvc1") != 0 || !read_properties(c, it, 0, &tile)
                     || tile.width != tile_width || tile.height != tile_height)) goto done;
        if (tile.hvcc.p == NULL || !hvcc_sizes_fit(tile.hvcc, tile_width, tile_height) || !decoder_open(&d, tile.hvcc)) goto done;
        size_t length = 0;
        uint8_t *coded = item_data(c, it, &length);
        if (coded == NULL) goto done;
        if (!nal_units_plain(coded, length, (tile.hvcc.p[21] & 3) + 1)) { free_wiped(coded, length); goto done; }
        const int decoded = decode_picture(&d, coded, length, tile_width, tile_height);
        free_wiped(coded, length);
        if (!decoded) goto done;
        if (from_stream) {
            /* No nclx box: the colour the HEVC stream's VUI states, as libheif 1.23 takes it; every tile the same. */
            float skr = 0, skb = 0;
            if (d.frame->color_range != AVCOL_RANGE_JPEG || (stream_space >= 0 && (int)d.frame->colorspace != stream_space)
                || !matrix_kr_kb(d.frame->colorspace, &skr, &skb)) { wipe_frame(d.frame); goto done; }
            if (stream_space < 0) set_coefficients(&t, skr, skb);
            stream_space = d.frame->colorspace;
        }
        if (keep) {
            keep_tile(&kept, d.frame, (int)((i % columns) * tile_width), (int)((i / columns) * tile_height));
            wipe_frame(d.frame);
            continue;
        }
        if (t.rgb == NULL && t.sums == NULL) {
            if (t.channels == 1 && denom == 1 && !luma_is_close(d.frame, (int)shown_width, (int)shown_height)) t.channels = 3;
            if (denom == 1) t.rgb = malloc((size_t)width * (size_t)height * (size_t)t.channels);
            else t.sums = calloc((size_t)t.out_width * (size_t)t.out_height * (size_t)t.channels, sizeof *t.sums);
            if (t.rgb == NULL && t.sums == NULL) { wipe_frame(d.frame); goto done; }
        }
        place(&t, d.frame, (int)((i % columns) * tile_width), (int)((i / columns) * tile_height));
        wipe_frame(d.frame);
    }

    if (keep) {
        /* The whole picture's planes, as one decoded frame of the shown size: the single picture's steps from here. */
        AVFrame whole = { 0 };
        whole.width = kept.width;
        whole.height = kept.height;
        whole.data[0] = kept.y;
        whole.data[1] = kept.chroma;
        whole.data[2] = kept.chroma + (size_t)kept.chroma_width * (size_t)kept.chroma_height;
        whole.linesize[0] = kept.width;
        whole.linesize[1] = whole.linesize[2] = kept.chroma_width;
        if (!luma_is_close(&whole, kept.width, kept.height)) t.channels = 3;
        if (t.channels == 1 && t.l_cb == 0 && t.l_cr == 0 && t.rotation == 0) {
            t.rgb = kept.y; /* BT.601, upright: the luma is the Y plane itself */
            kept.y = NULL;
        } else {
            if ((t.rgb = malloc((size_t)width * (size_t)height * (size_t)t.channels)) == NULL) goto done;
            place(&t, &whole, 0, 0);
        }
    }
    if (t.sums != NULL) {
        const size_t byte_count = (size_t)t.out_width * (size_t)t.out_height * (size_t)t.channels;
        uint8_t *out = malloc(byte_count);
        if (out == NULL) goto done;
        for (int oy = 0; oy < t.out_height; oy++) {
            const int y0 = oy * denom, y1 = y0 + denom < height ? y0 + denom : height;
            for (int ox = 0; ox < t.out_width; ox++) {
                const int x0 = ox * denom, x1 = x0 + denom < width ? x0 + denom : width;
                const uint32_t count = (uint32_t)((x1 - x0) * (y1 - y0));
                const size_t at = ((size_t)oy * (size_t)t.out_width + (size_t)ox) * (size_t)t.channels;
                for (int k = 0; k < t.channels; k++) out[at + k] = (uint8_t)((t.sums[at + k] + count / 2) / count);
            }
        }
        result->pixels = out;
        result->byte_count = byte_count;
    } else {
        result->pixels = t.rgb;
        result->byte_count = (size_t)width * (size_t)height * (size_t)t.channels;
        t.rgb = NULL;
    }
    result->width = t.out_width;
    result->height = t.out_height;
    result->full_width = width;
    result->full_height = height;
    result->scale_denom = denom;
    result->channels = t.channels;
    status = NCC_STATUS_OK;

done:
    if (d.frame != NULL) { wipe_frame(d.frame); av_frame_free(&d.frame); }
    decoder_close(&d);
    free_wiped(t.rgb, t.rgb != NULL ? (size_t)width * (size_t)height * (size_t)t.channels : 0);
    free_wiped(kept.y, kept.y != NULL ? (size_t)kept.width * (size_t)kept.height : 0);
    free_wiped(kept.chroma, kept.chroma != NULL ? planes_chroma_bytes(&kept) : 0);
    free_wiped((uint8_t *)t.sums, t.sums != NULL ? (size_t)t.out_width * (size_t)t.out_height * (size_t)t.channels * sizeof *t.sums : 0);
    free(tiles);
    if (c != NULL) free(c->items);
    free(c);
    return status;
}
