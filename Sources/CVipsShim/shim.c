#include "CVipsShim.h"
#include <vips/vips.h>
#include <string.h>

int sdvips_init(const char *argv0) {
    if (VIPS_INIT(argv0 ? argv0 : "scenedrop") != 0) {
        return -1;
    }
    // SceneDrop parallelises across scenes; one worker thread per operation keeps
    // memory predictable and avoids oversubscribing the cores.
    vips_concurrency_set(1);
    // The operation cache would keep decoded provider images alive between sessions.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    return 0;
}

int sdvips_inspect(const void *buf, size_t len, int *width, int *height, int *bands) {
    VipsImage *image = vips_image_new_from_buffer(buf, len, "",
        "access", VIPS_ACCESS_SEQUENTIAL,
        "fail_on", VIPS_FAIL_ON_WARNING,
        NULL);
    if (image == NULL) {
        return -1;
    }
    double average = 0;
    // vips_avg reads every pixel, which forces a complete decode.
    int rc = vips_avg(image, &average, NULL);
    if (rc == 0) {
        *width = vips_image_get_width(image);
        *height = vips_image_get_height(image);
        *bands = vips_image_get_bands(image);
    }
    g_object_unref(image);
    return rc;
}

static int save(VipsImage *image, int format, void **out, size_t *out_len) {
    if (format == SDVIPS_FORMAT_JPEG) {
        VipsImage *flat = NULL;
        int rc;
        if (vips_image_hasalpha(image)) {
            rc = vips_flatten(image, &flat, NULL);
            if (rc != 0) return rc;
        } else {
            flat = image;
            g_object_ref(flat);
        }
        rc = vips_jpegsave_buffer(flat, out, out_len, "Q", 90, "strip", TRUE, NULL);
        g_object_unref(flat);
        return rc;
    }
    return vips_pngsave_buffer(image, out, out_len, "compression", 6, "strip", TRUE, NULL);
}

int sdvips_cover(const void *buf, size_t len, int width, int height, int format,
                 void **out, size_t *out_len) {
    VipsImage *thumb = NULL;
    // thumbnail_buffer takes a non-const pointer but does not write to it.
    if (vips_thumbnail_buffer((void *)buf, len, &thumb, width,
            "height", height,
            "crop", VIPS_INTERESTING_CENTRE,
            "size", VIPS_SIZE_BOTH,
            "fail_on", VIPS_FAIL_ON_WARNING,
            NULL) != 0) {
        return -1;
    }
    int rc = save(thumb, format, out, out_len);
    g_object_unref(thumb);
    return rc;
}

static VipsImage *solid(int width, int height, double r, double g, double b) {
    VipsImage *black = NULL, *coloured = NULL, *cast = NULL;
    double a[3] = {1, 1, 1};
    double c[3] = {r, g, b};
    if (vips_black(&black, width, height, "bands", 3, NULL) != 0) return NULL;
    int rc = vips_linear(black, &coloured, a, c, 3, NULL);
    g_object_unref(black);
    if (rc != 0) return NULL;
    rc = vips_cast(coloured, &cast, VIPS_FORMAT_UCHAR, NULL);
    g_object_unref(coloured);
    if (rc != 0) return NULL;
    return cast;
}

int sdvips_card(int width, int height, double red, double green, double blue,
                const char *markup, int text_width, int text_height,
                double ink_red, double ink_green, double ink_blue,
                int format, void **out, size_t *out_len) {
    int rc = -1;
    VipsImage *background = NULL, *ink = NULL, *text = NULL, *placed = NULL, *card = NULL;

    background = solid(width, height, red, green, blue);
    ink = solid(width, height, ink_red, ink_green, ink_blue);
    if (background == NULL || ink == NULL) goto done;

    // With width and height but no dpi, vips_text searches for the dpi that fits the box.
    if (vips_text(&text, markup,
            "font", "DejaVu Sans",
            "width", text_width,
            "height", text_height,
            "align", VIPS_ALIGN_CENTRE,
            "wrap", VIPS_TEXT_WRAP_WORD_CHAR,
            NULL) != 0) goto done;

    int tw = vips_image_get_width(text);
    int th = vips_image_get_height(text);
    int x = (width - tw) / 2;
    int y = (height - th) / 2;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (vips_embed(text, &placed, x, y, width, height, NULL) != 0) goto done;
    // The text mask (0..255, anti-aliased) blends ink over the background.
    if (vips_ifthenelse(placed, ink, background, &card, "blend", TRUE, NULL) != 0) goto done;
    rc = save(card, format, out, out_len);

done:
    if (background) g_object_unref(background);
    if (ink) g_object_unref(ink);
    if (text) g_object_unref(text);
    if (placed) g_object_unref(placed);
    if (card) g_object_unref(card);
    return rc;
}

char *sdvips_take_error(void) {
    return vips_error_buffer_copy();
}

void sdvips_free(void *p) {
    g_free(p);
}
