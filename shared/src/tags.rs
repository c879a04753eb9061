//! Asset tags as the tablet's camera sees them: a QR code on the box, read from a camera frame
//! by a decoder built into the app (so scanning works in every browser, offline), and the CI or
//! asset the tag names. Typing the tag goes through the same lookup.

use crate::model::Record;

/// The largest frame decoded: the app scales camera frames down to this many pixels (more
/// costs time on a tablet and adds nothing for a tag held in front of the camera).
pub const MAX_PIXELS: usize = 1280 * 960;

/// The text of the first QR code in an RGBA frame (`width` × `height`, as a canvas gives it),
/// or `None` if there is none, it cannot be read, or the frame is not what it says it is.
pub fn decode_rgba(width: usize, height: usize, rgba: &[u8]) -> Option<String> {
    // Checked arithmetic: on wasm32 a usize product of two large sides wraps.
    let pixels = width
        .checked_mul(height)
        .filter(|&p| p > 0 && p <= MAX_PIXELS)?;
    if rgba.len() != pixels * 4 {
        return None;
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let i = (y * width + x) * 4;
        // ITU-R BT.601 luma, in integers.
        let (r, g, b) = (
            u32::from(rgba[i]),
            u32::from(rgba[i + 1]),
            u32::from(rgba[i + 2]),
        );
        ((299 * r + 587 * g + 114 * b) / 1000) as u8
    });
    image
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok())
        .map(|(_, text)| text.trim().to_string())
        .filter(|text| !text.is_empty())
}

/// The record types that carry a tag: a scanned tag is looked up among these.
pub const TAGGED: [&str; 2] = ["configuration_item", "asset"];

/// Whether records of type `kind` carry a tag (so a picker for them offers the camera).
pub fn carries_tag(kind: &str) -> bool {
    TAGGED.contains(&kind)
}

/// The tag a CI or an asset carries (`asset_tag` of a CI, `tag` of an asset).
pub fn tag_of(record: &Record) -> &str {
    match record.ty.kind {
        "asset" => record.str("tag"),
        _ => record.str("asset_tag"),
    }
}

/// Among `records` (CIs and assets), the one whose tag or number is `scanned`
/// (case-insensitive, as `crate::records::ci::tag_matches` compares).
pub fn find<'a, T>(records: &'a [(T, Record)], scanned: &str) -> Option<&'a (T, Record)> {
    records
        .iter()
        .find(|(_, r)| crate::records::ci::tag_matches(tag_of(r), r.number(), scanned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ci::{ASSET, CONFIGURATION_ITEM};

    /// `text` as a QR code in an RGBA frame: black modules of `scale` pixels on white, with a
    /// quiet zone, as a label in front of the camera.
    fn frame(text: &str, scale: usize) -> (usize, usize, Vec<u8>) {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let modules = code.width();
        let colors = code.to_colors();
        let side = (modules + 8) * scale;
        let mut rgba = vec![255u8; side * side * 4];
        for (i, color) in colors.iter().enumerate() {
            if *color != qrcode::Color::Dark {
                continue;
            }
            let (mx, my) = (i % modules + 4, i / modules + 4);
            for y in my * scale..(my + 1) * scale {
                for x in mx * scale..(mx + 1) * scale {
                    rgba[(y * side + x) * 4..][..3].fill(20);
                }
            }
        }
        (side, side, rgba)
    }

    #[test]
    fn a_tags_qr_code_is_read_from_a_frame() {
        let (w, h, rgba) = frame("CI-TAG-0042", 6);
        assert_eq!(decode_rgba(w, h, &rgba).as_deref(), Some("CI-TAG-0042"));
    }

    #[test]
    fn a_frame_without_a_code_or_of_the_wrong_size_reads_nothing() {
        assert_eq!(decode_rgba(64, 64, &vec![255; 64 * 64 * 4]), None);
        let (w, h, rgba) = frame("CI-TAG-0042", 6);
        assert_eq!(decode_rgba(w, h + 1, &rgba), None);
        assert_eq!(decode_rgba(0, 0, &[]), None);
        assert_eq!(decode_rgba(4000, 4000, &[]), None);
        // Sides whose product overflows (wraps to 0 on 32 bits) are refused, not decoded.
        assert_eq!(decode_rgba(usize::MAX, 2, &[]), None);
        assert_eq!(decode_rgba(1 << 16, 1 << 16, &[]), None);
    }

    #[test]
    fn a_tag_finds_its_ci_or_asset_whatever_the_case() {
        let mut ci = Record::new(&CONFIGURATION_ITEM);
        ci.set("number", "CI-1");
        ci.set("asset_tag", "TAG-7");
        let mut asset = Record::new(&ASSET);
        asset.set("number", "AST-1");
        asset.set("tag", "BOX-9");
        let records = [(1, ci), (2, asset)];
        assert_eq!(find(&records, "tag-7").map(|(n, _)| *n), Some(1));
        assert_eq!(find(&records, " BOX-9 ").map(|(n, _)| *n), Some(2));
        assert_eq!(find(&records, "ast-1").map(|(n, _)| *n), Some(2));
        assert!(find(&records, "TAG-8").is_none());
    }

    #[test]
    fn cis_and_assets_carry_tags_and_nothing_else_does() {
        assert!(carries_tag(CONFIGURATION_ITEM.kind) && carries_tag(ASSET.kind));
        assert!(!carries_tag("incident") && !carries_tag("service"));
    }
}
