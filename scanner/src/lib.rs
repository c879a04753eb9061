//! The asset-tag decoder as a separate wasm module (`dist/pkg/scanner.js`), loaded by the app's
//! scan page on first use and precached by the service worker, so the first screen does not
//! carry it and scanning still works offline. The decoding itself is `shared::tags`'.

use wasm_bindgen::prelude::wasm_bindgen;

/// The text of the first QR code in an RGBA camera frame (`width` × `height`), if any.
#[wasm_bindgen]
pub fn decode(width: u32, height: u32, rgba: &[u8]) -> Option<String> {
    shared::tags::decode_rgba(width as usize, height as usize, rgba)
}
