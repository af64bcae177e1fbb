// Non-variadic wrappers around the parts of libvips SceneDrop uses.
// Swift cannot call libvips' variadic API, and the glib headers stay out of Swift this way:
// this header uses plain C types only.
#ifndef CVIPSSHIM_H
#define CVIPSSHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SDVIPS_FORMAT_PNG = 0,
    SDVIPS_FORMAT_JPEG = 1,
};

/// Returned instead of -1 when an image's header declares more than max_pixels pixels: nothing was decoded.
enum {
    SDVIPS_TOO_LARGE = -2,
};

/// Starts libvips once for the process. Returns 0 on success.
int sdvips_init(const char *argv0);

/// Decodes every pixel of an encoded image (so truncated or corrupt data is an error)
/// and reports its size. Returns 0 on success. The header is read first: an image of more than
/// max_pixels pixels (0: no limit) is refused with SDVIPS_TOO_LARGE before anything is decoded,
/// and *width and *height say what it declared.
int sdvips_inspect(const void *buf, size_t len, long long max_pixels, int *width, int *height, int *bands);

/// Scales the image to cover width x height and crops the centre, then encodes it.
/// On success *out is a buffer the caller releases with sdvips_free. An image whose header declares
/// more than max_pixels pixels (0: no limit) is refused with SDVIPS_TOO_LARGE, undecoded; its
/// declared size is then in *declared_width and *declared_height.
int sdvips_cover(const void *buf, size_t len, int width, int height, int format, long long max_pixels,
                 int *declared_width, int *declared_height, void **out, size_t *out_len);

/// Decodes every pixel of an encoded image as it goes (so truncated or corrupt data is an error, and a large
/// image is never held whole), brings it within long_side pixels on its long side (never enlarging), and
/// encodes it: JPEG (quality 90) without an alpha channel, PNG with one; metadata is stripped. Refuses an
/// image whose header declares more than max_pixels pixels with SDVIPS_TOO_LARGE, undecoded. On success
/// *format is SDVIPS_FORMAT_PNG or SDVIPS_FORMAT_JPEG and *width, *height the output size; otherwise they
/// hold the declared size.
int sdvips_fit(const void *buf, size_t len, int long_side, long long max_pixels,
               int *width, int *height, int *format, void **out, size_t *out_len);

/// Renders a flat card of the given colour with Pango markup centred in a box of
/// text_width x text_height (the text is sized to fit), then encodes it.
int sdvips_card(int width, int height, double red, double green, double blue,
                const char *markup, int text_width, int text_height,
                double ink_red, double ink_green, double ink_blue,
                int format, void **out, size_t *out_len);

/// Takes and clears libvips' error buffer for this failure. Caller frees with sdvips_free.
char *sdvips_take_error(void);

void sdvips_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
