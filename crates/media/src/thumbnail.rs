//! Thumbnails of raster images, made on a blocking thread with decoding limits.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use inkstone_core::media::Thumbnail;

use crate::MediaLimits;

/// A thumbnail made, with the source image's dimensions.
pub(crate) struct Made {
    pub thumbnail: Thumbnail,
    pub source_width: i64,
    pub source_height: i64,
}

/// `jpg` for JPEG sources (photos), `png` for the rest (they may be transparent).
pub(crate) fn extension_for(source_mime: &str) -> &'static str {
    if source_mime == "image/jpeg" { "jpg" } else { "png" }
}

fn format_of(mime: &str) -> Option<ImageFormat> {
    match mime {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Decodes `bytes` (a `mime` image) and scales it to fit a `limits.thumbnail_edge` square,
/// never enlarging. Refuses, before decoding, images whose header declares more than
/// `limits.max_thumbnail_pixels` pixels; the decoder is also held to those dimensions and
/// to 512 MiB of allocations. Returns the encoded thumbnail (its `key` left empty) or why
/// there is none.
pub(crate) fn make(bytes: &[u8], mime: &str, limits: &MediaLimits) -> Result<(Vec<u8>, Made), String> {
    let format = format_of(mime).ok_or("not a raster type")?;
    let declared = imagesize::blob_size(bytes).map_err(|e| format!("unreadable header: {e}"))?;
    let pixels = (declared.width as u64).saturating_mul(declared.height as u64);
    if pixels == 0 || pixels > limits.max_thumbnail_pixels {
        return Err(format!("{}x{} pixels is over the limit", declared.width, declared.height));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = u32::try_from(declared.width).ok();
    decoder_limits.max_image_height = u32::try_from(declared.height).ok();
    decoder_limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(decoder_limits);
    let image = reader.decode().map_err(|e| format!("cannot decode: {e}"))?;
    let (width, height) = (image.width(), image.height());
    let edge = limits.thumbnail_edge.max(1);
    let small = if width <= edge && height <= edge {
        image
    } else {
        image.resize(edge, edge, image::imageops::FilterType::Triangle)
    };
    let (out_format, out_mime) = if mime == "image/jpeg" {
        (ImageFormat::Jpeg, "image/jpeg")
    } else {
        (ImageFormat::Png, "image/png")
    };
    let small =
        if out_format == ImageFormat::Jpeg { image::DynamicImage::ImageRgb8(small.to_rgb8()) } else { small };
    let mut encoded = Vec::new();
    small.write_to(&mut Cursor::new(&mut encoded), out_format).map_err(|e| format!("cannot encode: {e}"))?;
    let thumbnail = Thumbnail {
        key: String::new(),
        mime: out_mime.to_string(),
        size: encoded.len() as i64,
        width: i64::from(small.width()),
        height: i64::from(small.height()),
    };
    Ok((encoded, Made { thumbnail, source_width: i64::from(width), source_height: i64::from(height) }))
}
