#include "CVipsShim.h"
#include <math.h>
#include <vips/vips.h>
#include <pango/pangocairo.h>
#include <string.h>

/* Card text is laid out with pango and drawn with cairo here rather than with vips_text().
 * libvips 8.14's vips_text() clears pango's font cache while pango's own fontconfig thread may be
 * using it, which crashes (SIGFPE in g_hash_table_lookup) under parallel rendering. Here one
 * private font map is created once, never cleared, and used under one lock. */
static GMutex sdvips_text_lock;
static PangoFontMap *sdvips_font_map = NULL;

static int text_fits(PangoLayout *layout, PangoFontDescription *font, int size, int box_width, int box_height,
                     PangoRectangle *logical) {
    PangoRectangle ink;
    pango_font_description_set_absolute_size(font, (double) size * PANGO_SCALE);
    pango_layout_set_font_description(layout, font);
    pango_layout_get_pixel_extents(layout, &ink, logical);
    return logical->width <= box_width && logical->height <= box_height;
}

/* A one-band mask (0..255) of the markup, word-wrapped to box_width, centred, at the largest
 * size that fits box_width x box_height. */
static VipsImage *text_mask(const char *markup, int box_width, int box_height) {
    if (!pango_parse_markup(markup, -1, 0, NULL, NULL, NULL, NULL)) {
        vips_error("sdvips_card", "%s", "invalid markup in text");
        return NULL;
    }
    VipsImage *mask = NULL;
    g_mutex_lock(&sdvips_text_lock);
    if (sdvips_font_map == NULL) {
        sdvips_font_map = pango_cairo_font_map_new();
        pango_cairo_font_map_set_resolution(PANGO_CAIRO_FONT_MAP(sdvips_font_map), 72.0);
    }
    PangoContext *context = pango_font_map_create_context(sdvips_font_map);
    PangoLayout *layout = pango_layout_new(context);
    PangoFontDescription *font = pango_font_description_from_string("DejaVu Sans");
    pango_layout_set_markup(layout, markup, -1);
    pango_layout_set_width(layout, box_width * PANGO_SCALE);
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);

    /* Binary search on the font size in pixels. */
    PangoRectangle logical;
    int low = 1, high = box_height > 2 ? box_height : 2;
    while (high - low > 1) {
        int middle = (low + high) / 2;
        if (text_fits(layout, font, middle, box_width, box_height, &logical)) low = middle; else high = middle;
    }
    text_fits(layout, font, low, box_width, box_height, &logical);

    int width = logical.width > 0 ? logical.width : 1;
    int height = logical.height > 0 ? logical.height : 1;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_A8, width, height);
    if (cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS) {
        cairo_t *cr = cairo_create(surface);
        cairo_move_to(cr, -logical.x, -logical.y);
        pango_cairo_show_layout(cr, layout);
        cairo_destroy(cr);
        cairo_surface_flush(surface);
        int stride = cairo_image_surface_get_stride(surface);
        unsigned char *pixels = cairo_image_surface_get_data(surface);
        unsigned char *packed = g_malloc((size_t) width * height);
        for (int y = 0; y < height; y++) memcpy(packed + (size_t) y * width, pixels + (size_t) y * stride, width);
        mask = vips_image_new_from_memory_copy(packed, (size_t) width * height, width, height, 1, VIPS_FORMAT_UCHAR);
        g_free(packed);
    } else {
        vips_error("sdvips_card", "%s", "cairo could not allocate the text surface");
    }
    cairo_surface_destroy(surface);
    pango_font_description_free(font);
    g_object_unref(layout);
    g_object_unref(context);
    g_mutex_unlock(&sdvips_text_lock);
    return mask;
}

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

/* A decompression bomb is a few hundred KB whose header declares 60000x60000: decoding it would take
 * gigabytes. vips_image_new_from_buffer reads only the header (decoding is lazy), so the size can be
 * refused here, before a single pixel is decoded. */
static int too_large(VipsImage *image, long long max_pixels, int *width, int *height) {
    long long w = vips_image_get_width(image), h = vips_image_get_height(image);
    if (max_pixels <= 0 || w * h <= max_pixels) return 0;
    *width = (int)w;
    *height = (int)h;
    return 1;
}

/* An encoded image opened for one sequential decode that fails on any warning (so truncated or corrupt
 * data is an error when the pixels are read). NULL on failure; *refused is set when the header declared more
 * than max_pixels pixels, whose count is then in *width and *height. */
static VipsImage *open_checked(const void *buf, size_t len, long long max_pixels, int *width, int *height,
                               int *refused) {
    *refused = 0;
    VipsImage *image = vips_image_new_from_buffer(buf, len, "",
        "access", VIPS_ACCESS_SEQUENTIAL,
        "fail_on", VIPS_FAIL_ON_WARNING,
        NULL);
    if (image == NULL) return NULL;
    if (too_large(image, max_pixels, width, height)) {
        g_object_unref(image);
        *refused = 1;
        return NULL;
    }
    return image;
}

int sdvips_inspect(const void *buf, size_t len, long long max_pixels, int *width, int *height, int *bands) {
    int refused;
    VipsImage *image = open_checked(buf, len, max_pixels, width, height, &refused);
    if (image == NULL) return refused ? SDVIPS_TOO_LARGE : -1;
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
    // zlib level 3, not libvips' 6: on a 1920x1080 image it saves about 2.5x faster for ~10% more
    // bytes (measured here: 0.09 s / 675 KB against 0.23 s / 612 KB), and encode time is on every
    // scene's critical path.
    return vips_pngsave_buffer(image, out, out_len, "compression", 3, "strip", TRUE, NULL);
}

/* Scales `in` to cover width x height and crops the centre; an image already at the target size
 * is passed through untouched. Shrinking uses lanczos3. Enlarging (a 1K draft image brought to
 * 1920x1080) avoids vips_resize, which in libvips 8.14 enlarges with a scalar affine interpolator:
 * per 1920x1080 image, with one libvips thread, 85 ms lanczos3/bicubic and 50 ms bilinear here,
 * against 35 ms for an integer zoom then a linear reduce, which looked no different side by side
 * (lanczos3 as the reduce kernel cost more than it saved). */
#define ENLARGE_KERNEL VIPS_KERNEL_LINEAR
static int cover_decoded(VipsImage *in, int width, int height, VipsImage **out) {
    VipsImage *srgb = NULL;
    if (vips_image_guess_interpretation(in) == VIPS_INTERPRETATION_CMYK) {
        if (vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0) return -1;
    } else {
        srgb = in;
        g_object_ref(srgb);
    }
    int w = vips_image_get_width(srgb), h = vips_image_get_height(srgb);
    if (w == width && h == height) {
        *out = srgb;
        return 0;
    }
    double scale = fmax((double)width / w, (double)height / h);
    VipsImage *resized = NULL;
    int rc;
    if (scale > 1.0) {
        // Enlarge by an integer nearest-neighbour zoom, then shrink the rest of the way with the
        // reduce kernel: libvips' vectorised reduce instead of its scalar affine interpolators.
        int factor = (int)ceil(scale);
        VipsImage *zoomed = NULL;
        rc = vips_zoom(srgb, &zoomed, factor, factor, NULL);
        g_object_unref(srgb);
        if (rc != 0) return -1;
        double shrink = factor / scale;
        if (shrink > 1.0) {
            rc = vips_reduce(zoomed, &resized, shrink, shrink, "kernel", ENLARGE_KERNEL, NULL);
            g_object_unref(zoomed);
            if (rc != 0) return -1;
        } else {
            resized = zoomed;
        }
    } else {
        rc = vips_resize(srgb, &resized, scale, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
        g_object_unref(srgb);
        if (rc != 0) return -1;
    }
    int rw = vips_image_get_width(resized), rh = vips_image_get_height(resized);
    if (rw < width || rh < height) {
        // Rounding left the image a pixel short: stretch the last pixel rather than fail.
        VipsImage *embedded = NULL;
        rc = vips_embed(resized, &embedded, 0, 0, rw < width ? width : rw, rh < height ? height : rh,
            "extend", VIPS_EXTEND_COPY, NULL);
        g_object_unref(resized);
        if (rc != 0) return -1;
        resized = embedded;
        rw = vips_image_get_width(resized);
        rh = vips_image_get_height(resized);
    }
    rc = vips_extract_area(resized, out, (rw - width) / 2, (rh - height) / 2, width, height, NULL);
    g_object_unref(resized);
    return rc;
}

int sdvips_cover(const void *buf, size_t len, int width, int height, int format, long long max_pixels,
                 int *declared_width, int *declared_height, void **out, size_t *out_len) {
    // One decode serves both the check and the resize: the whole image is decoded into memory
    // (failing on any warning, so a truncated or corrupt image is refused), then scaled from there.
    // Decoding twice (once to check, once in thumbnail_buffer) cost a second decode per scene.
    int refused;
    VipsImage *image = open_checked(buf, len, max_pixels, declared_width, declared_height, &refused);
    if (image == NULL) return refused ? SDVIPS_TOO_LARGE : -1;
    VipsImage *decoded = vips_image_copy_memory(image);
    g_object_unref(image);
    if (decoded == NULL) return -1;
    VipsImage *thumb = NULL;
    int rc = cover_decoded(decoded, width, height, &thumb);
    g_object_unref(decoded);
    if (rc != 0) return -1;
    rc = save(thumb, format, out, out_len);
    g_object_unref(thumb);
    return rc;
}

int sdvips_fit(const void *buf, size_t len, int long_side, long long max_pixels,
               int *width, int *height, int *format, void **out, size_t *out_len) {
    int refused;
    VipsImage *image = open_checked(buf, len, max_pixels, width, height, &refused);
    if (image == NULL) return refused ? SDVIPS_TOO_LARGE : -1;
    VipsImage *srgb = NULL;
    int rc;
    if (vips_image_guess_interpretation(image) == VIPS_INTERPRETATION_CMYK) {
        rc = vips_colourspace(image, &srgb, VIPS_INTERPRETATION_sRGB, NULL);
        g_object_unref(image);
        if (rc != 0) return -1;
    } else {
        srgb = image;
    }
    int w = vips_image_get_width(srgb), h = vips_image_get_height(srgb);
    int longest = w > h ? w : h;
    VipsImage *fitted = NULL;
    if (longest > long_side) {
        // A streaming resize from a sequential decode: a 4096x4096 reference never sits whole in memory.
        rc = vips_resize(srgb, &fitted, (double)long_side / longest, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
        g_object_unref(srgb);
        if (rc != 0) return -1;
    } else {
        fitted = srgb;
    }
    VipsImage *bytes8 = NULL;
    if (vips_image_get_format(fitted) != VIPS_FORMAT_UCHAR) {
        // 16-bit PNGs: scale to 8 bits per band, which both encoders take.
        rc = vips_cast(fitted, &bytes8, VIPS_FORMAT_UCHAR, "shift", TRUE, NULL);
        g_object_unref(fitted);
        if (rc != 0) return -1;
    } else {
        bytes8 = fitted;
    }
    *format = vips_image_hasalpha(bytes8) ? SDVIPS_FORMAT_PNG : SDVIPS_FORMAT_JPEG;
    rc = save(bytes8, *format, out, out_len);
    if (rc == 0) {
        *width = vips_image_get_width(bytes8);
        *height = vips_image_get_height(bytes8);
    }
    g_object_unref(bytes8);
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

    text = text_mask(markup, text_width, text_height);
    if (text == NULL) goto done;

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
