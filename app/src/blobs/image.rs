//! Scaling a photo down on the device (`shared::photo` decides the size and name): the
//! browser decodes it with its EXIF orientation applied (`createImageBitmap`, imageOrientation
//! "from-image"), draws it at the fitted size on an `OffscreenCanvas` and encodes a JPEG, which
//! carries no EXIF at all, so no location either.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `file` (a picture the browser can decode) as the bytes of a JPEG whose longest edge is at most
/// `longest_edge`, upright. Errors are sentences for the person.
pub async fn scale_down(file: &web_sys::Blob, longest_edge: u32) -> Result<Vec<u8>, String> {
    let undecodable = |_| "the browser could not read this picture".to_string();
    let window = web_sys::window().ok_or("no browser window")?;
    let options = web_sys::ImageBitmapOptions::new();
    options.set_image_orientation(web_sys::ImageOrientation::FromImage);
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob_and_image_bitmap_options(file, &options)
            .map_err(undecodable)?,
    )
    .await
    .map_err(undecodable)?
    .dyn_into()
    .map_err(undecodable)?;
    let (width, height) = shared::photo::fit(bitmap.width(), bitmap.height(), longest_edge);
    let drawn = draw(&bitmap, width, height).await;
    bitmap.close();
    drawn
}

async fn draw(bitmap: &web_sys::ImageBitmap, width: u32, height: u32) -> Result<Vec<u8>, String> {
    let failed = |_: JsValue| "the picture could not be scaled on this device".to_string();
    let canvas = web_sys::OffscreenCanvas::new(width, height).map_err(failed)?;
    let context: web_sys::OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(failed)?
        .ok_or("the picture could not be scaled on this device")?
        .dyn_into()
        .map_err(|_| "the picture could not be scaled on this device".to_string())?;
    // The best resampling the browser has (web-sys has no binding for this setter).
    let _ = js_sys::Reflect::set(
        &context,
        &JsValue::from_str("imageSmoothingQuality"),
        &JsValue::from_str("high"),
    );
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(
            bitmap,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .map_err(failed)?;
    let encode = web_sys::ImageEncodeOptions::new();
    encode.set_type("image/jpeg");
    encode.set_quality(shared::photo::JPEG_QUALITY);
    let blob: web_sys::Blob = JsFuture::from(
        canvas
            .convert_to_blob_with_options(&encode)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?
    .dyn_into()
    .map_err(failed)?;
    blob_bytes(&blob).await
}

/// The bytes of a `Blob` (or `File`).
pub async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| "the browser could not read the file".to_string())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
