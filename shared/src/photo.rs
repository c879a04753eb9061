//! How the device prepares a photo before storing it (issue 17 item 1): a camera picture is
//! scaled down so its longest edge is at most the device's setting and re-encoded as JPEG,
//! which also leaves out its EXIF data (location included). The app does the pixels with the
//! browser's image APIs; the arithmetic and the naming are decided here.

/// The longest edges a person can choose on the device (pixels). The default is
/// `shared::attachments::DEFAULT_LONGEST_EDGE`.
pub const LONGEST_EDGES: [u32; 4] = [1024, 1600, 2048, 4096];

/// JPEG quality of a scaled photo (0–1): fine detail of a nameplate stays legible.
pub const JPEG_QUALITY: f64 = 0.85;

/// The size a `width` × `height` image is drawn at so its longest edge is at most
/// `longest_edge`, keeping its proportions (never enlarged; never below 1 px).
pub fn fit(width: u32, height: u32, longest_edge: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= longest_edge || longest == 0 {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(longest_edge) + u64::from(longest) / 2)
            / u64::from(longest);
        (scaled as u32).max(1)
    };
    (scale(width), scale(height))
}

/// Whether a file of type `mime` is a picture the device scales down before storing (the
/// raster formats a browser decodes; a GIF may be animated and is kept as it is).
pub fn scaled_before_storing(mime: &str) -> bool {
    matches!(
        mime.to_ascii_lowercase().as_str(),
        "image/jpeg" | "image/jpg" | "image/png" | "image/webp" | "image/bmp" | "image/avif"
    )
}

/// The file name of a scaled photo: its name with a `.jpg` extension (`IMG_1.HEIC` →
/// `IMG_1.jpg`, `photo` → `photo.jpg`).
pub fn jpeg_name(name: &str) -> String {
    let stem = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 5 => stem,
        _ => name,
    };
    let stem = if stem.trim().is_empty() {
        "photo"
    } else {
        stem
    };
    format!("{stem}.jpg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_12_megapixel_photo_fits_2048_on_its_longest_edge_in_proportion() {
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 2048), (1536, 2048), "portrait");
        assert_eq!(fit(1000, 800, 2048), (1000, 800), "never enlarged");
        assert_eq!(fit(2048, 10, 1024), (1024, 5));
        assert_eq!(fit(100_000, 1, 2048), (2048, 1), "never below one pixel");
        assert_eq!(fit(0, 0, 2048), (0, 0));
        assert_eq!(fit(u32::MAX, u32::MAX, 2048), (2048, 2048), "no overflow");
    }

    #[test]
    fn raster_pictures_are_scaled_other_files_kept() {
        for mime in ["image/jpeg", "IMAGE/PNG", "image/webp"] {
            assert!(scaled_before_storing(mime), "{mime}");
        }
        for mime in [
            "image/gif",
            "image/svg+xml",
            "application/pdf",
            "",
            "text/plain",
        ] {
            assert!(!scaled_before_storing(mime), "{mime}");
        }
    }

    #[test]
    fn a_scaled_photo_is_named_jpg() {
        assert_eq!(jpeg_name("IMG_0001.HEIC"), "IMG_0001.jpg");
        assert_eq!(jpeg_name("pump.png"), "pump.jpg");
        assert_eq!(jpeg_name("photo"), "photo.jpg");
        assert_eq!(jpeg_name(".hidden"), ".hidden.jpg");
        assert_eq!(jpeg_name("a.b.jpeg"), "a.b.jpg");
        assert_eq!(jpeg_name(""), "photo.jpg");
    }
}
