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
    int32_t found = ncc_exif_orientation_or_zero(tiff, size);
    return found == 0 ? 1 : found;
}

int32_t ncc_exif_orientation_or_zero(const uint8_t *tiff, size_t size) {
    if (tiff == NULL) return 0;
    if (size >= 6 && memcmp(tiff, "Exif\0\0", 6) == 0) { tiff += 6; size -= 6; } /* JPEG-style prefix, accepted like Pillow */
    if (size < 8) return 0;
    int big;
    if (tiff[0] == 'I' && tiff[1] == 'I') big = 0;
    else if (tiff[0] == 'M' && tiff[1] == 'M') big = 1;
    else return 0;
    if (read16(tiff + 2, big) != 42) return 0;
    uint64_t ifd = read32(tiff + 4, big);
    if (ifd > size || size - ifd < 2) return 0; /* 64-bit math: no offset can wrap around */
    uint32_t count = read16(tiff + ifd, big);
    uint64_t entries = ifd + 2;
    if ((uint64_t)count * 12 > size - entries) count = (uint32_t)((size - entries) / 12); /* read only entries that fit */
    int32_t orientation = 0;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = tiff + entries + (uint64_t)i * 12;
        if (read16(e, big) != 0x0112) continue;
        uint32_t type = read16(e + 2, big), n = read32(e + 4, big);
        uint32_t value;
        if (type == 3 && n >= 1) value = read16(e + 8, big);      /* SHORT: value sits in the first 2 bytes of the field */
        else if (type == 4 && n >= 1) value = read32(e + 8, big); /* LONG, seen in a few writers */
        else continue;
        /* Like a dictionary, a later duplicate tag replaces an earlier one. A present but invalid value
         * counts as present (1): Pillow then neither rotates nor looks at XMP. */
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

int32_t ncc_xmp_orientation(const uint8_t *xmp, size_t size) {
    static const char key[] = "tiff:Orientation";
    const size_t key_length = sizeof key - 1;
    /* The first `tiff:Orientation="N` or `tiff:Orientation>N` (one digit), as Pillow's getexif searches XMP. */
    for (size_t i = 0; xmp != NULL && size >= key_length + 2 && i <= size - key_length - 2; i++) {
        if (memcmp(xmp + i, key, key_length) != 0) continue;
        const uint8_t *after = xmp + i + key_length;
        size_t left = size - i - key_length;
        size_t digit;
        if (after[0] == '=' && left >= 3 && after[1] == '"') digit = 2;
        else if (after[0] == '>') digit = 1;
        else continue;
        if (digit >= left || after[digit] < '0' || after[digit] > '9') continue;
        int32_t value = after[digit] - '0';
        return (value >= 1 && value <= 8) ? value : 1;
    }
    return 1;
}

int32_t ncc_raw_profile_exif_orientation(const uint8_t *text, size_t size) {
    /* ImageMagick's "Raw profile type exif" text: "\nexif\n<length>\n<hex lines>". Skip three newlines'
     * worth of fields like Pillow (split on \n, drop 3), then hex-decode, ignoring whitespace. */
    size_t i = 0;
    for (int lines = 0; lines < 3; lines++) {
        while (i < size && text[i] != '\n') i++;
        if (i == size) return 0;
        i++;
    }
    uint8_t *bytes = malloc((size - i) / 2 + 1);
    if (bytes == NULL) return 0;
    size_t count = 0;
    int high = -1;
    for (; i < size; i++) {
        uint8_t c = text[i];
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        else { ncc_wipe_free(bytes, (size - i) / 2 + 1); return 0; } /* not hex: Pillow fails to read it too */
        if (high < 0) high = v;
        else { bytes[count++] = (uint8_t)(high << 4 | v); high = -1; }
    }
    int32_t orientation = ncc_exif_orientation_or_zero(bytes, count);
    explicit_bzero(bytes, count); /* EXIF can hold private data (places, times); wipe it like pixels */
    free(bytes);
    return orientation;
}
