/* EXIF orientation: parsing the TIFF structure of an EXIF block and rotating pixels upright. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ncc_internal.h"

void ncc_wipe_free(void *pointer, size_t size) {
    if (pointer == NULL) return;
    explicit_bzero(pointer, size); /* cannot be removed by the optimiser as a dead store, unlike memset */
    free(pointer);
}

void ncc_set_underlying(ncc_decode_result *result, const char *text) {
    if (text == NULL) { result->underlying[0] = 0; return; }
    strncpy(result->underlying, text, NCC_MESSAGE_CAPACITY - 1);
    result->underlying[NCC_MESSAGE_CAPACITY - 1] = 0;
}

static uint32_t read16(const uint8_t *p, int big) { return big ? (uint32_t)(p[0] << 8 | p[1]) : (uint32_t)(p[1] << 8 | p[0]); }
static uint32_t read32(const uint8_t *p, int big) {
    return big ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3])
               : ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}

int32_t ncc_exif_orientation(const uint8_t *tiff, size_t size) {
    if (tiff == NULL || size < 8) return 1;
    int big;
    if (tiff[0] == 'I' && tiff[1] == 'I') big = 0;
    else if (tiff[0] == 'M' && tiff[1] == 'M') big = 1;
    else return 1;
    if (read16(tiff + 2, big) != 42) return 1;
    uint64_t ifd = read32(tiff + 4, big);
    if (ifd > size || size - ifd < 2) return 1; /* 64-bit math: no offset can wrap around */
    uint32_t count = read16(tiff + ifd, big);
    uint64_t entries = ifd + 2;
    if ((uint64_t)count * 12 > size - entries) count = (uint32_t)((size - entries) / 12); /* read only entries that fit */
    int32_t orientation = 1;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = tiff + entries + (uint64_t)i * 12;
        if (read16(e, big) != 0x0112) continue;
        uint32_t type = read16(e + 2, big), n = read32(e + 4, big);
        uint32_t value;
        if (type == 3 && n >= 1) value = read16(e + 8, big);      /* SHORT: value sits in the first 2 bytes of the field */
        else if (type == 4 && n >= 1) value = read32(e + 8, big); /* LONG, seen in a few writers */
        else continue;
        /* Like a dictionary, a later duplicate tag replaces an earlier one. */
        orientation = (value >= 1 && value <= 8) ? (int32_t)value : 1;
    }
    return orientation;
}

int32_t ncc_apply_orientation(ncc_decode_result *r, int32_t orientation) {
    if (orientation < 2 || orientation > 8 || r->pixels == NULL) return NCC_STATUS_OK;
    const size_t w = (size_t)r->width, h = (size_t)r->height, ch = (size_t)r->channels;
    uint8_t *src = r->pixels;
    uint8_t *dst = malloc(r->byte_count ? r->byte_count : 1);
    if (dst == NULL) {
        ncc_wipe_free(r->pixels, r->byte_count);
        r->pixels = NULL;
        return NCC_STATUS_OUT_OF_MEMORY;
    }
    const int swap = orientation >= 5; /* 5...8 exchange width and height */
    const size_t ow = swap ? h : w;
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            size_t dx, dy; /* where source pixel (x, y) lands in the upright picture */
            switch (orientation) {
            case 2: dx = w - 1 - x; dy = y; break;         /* mirror left-right */
            case 3: dx = w - 1 - x; dy = h - 1 - y; break; /* rotate 180 */
            case 4: dx = x; dy = h - 1 - y; break;         /* mirror top-bottom */
            case 5: dx = y; dy = x; break;                 /* transpose */
            case 6: dx = h - 1 - y; dy = x; break;         /* rotate 90 clockwise */
            case 7: dx = h - 1 - y; dy = w - 1 - x; break; /* transverse */
            default: dx = y; dy = w - 1 - x; break;        /* 8: rotate 90 counter-clockwise */
            }
            memcpy(dst + (dy * ow + dx) * ch, src + (y * w + x) * ch, ch);
        }
    }
    ncc_wipe_free(src, r->byte_count);
    r->pixels = dst;
    if (swap) { int32_t t = r->width; r->width = r->height; r->height = t; }
    return NCC_STATUS_OK;
}
