//! A record's attachments and signature, through the app's DOM contract: the
//! `section#attachments` with `#attach-photo` (camera) and `#attach-file` file inputs,
//! `#attach-keep-original`, `#attach-limit`, `#attach-status` / `#attach-error`, and one
//! `li.attachment[data-hash][data-name]` per entry with its `.attachment-state`; the customer
//! signature action `details#action-sign`. The device's blobs are read straight from its
//! IndexedDB (`outpost`, store `blobs`: `{bytes, type}` keyed by hex SHA-256).

use std::path::Path;

use crate::app::UI_TIMEOUT;
use crate::{Result, Tablet};

/// One attachment as its record's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub hash: String,
    pub name: String,
    pub state: String,
}

/// What a stored picture decodes to: its size and two pixels (RGBA) near its top corners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub top_left: [u8; 4],
    pub top_right: [u8; 4],
}

/// Reads blob `arguments[0]` from the page's IndexedDB and calls `use(value)` (null if absent)
/// with its `{bytes, type}`; the calling script defines `use` and `done`.
const READ_BLOB: &str = "const open = indexedDB.open('outpost');
     open.onerror = () => done(null);
     open.onsuccess = () => {
       const db = open.result;
       const get = db.transaction('blobs').objectStore('blobs').get(arguments[0]);
       get.onerror = () => { db.close(); done(null); };
       get.onsuccess = () => { db.close(); use(get.result || null); };
     };";

impl Tablet {
    /// Picks the file at `path` in the open record's file input `input` (`#attach-photo` or
    /// `#attach-file`), as a person choosing it would.
    pub async fn pick_file(&self, input: &str, path: &Path) -> Result<()> {
        let element = self.wait_for(input, UI_TIMEOUT).await?;
        let path = path.to_str().ok_or("a file path that is not UTF-8")?;
        element.send_keys(path).await?;
        Ok(())
    }

    /// The open record's attachments.
    pub async fn attachments(&self) -> Result<Vec<Listed>> {
        let found = self
            .execute(
                "return Array.from(document.querySelectorAll('li.attachment')).map(li => [
                   li.dataset.hash, li.dataset.name,
                   li.querySelector('.attachment-state').textContent]);",
                vec![],
            )
            .await?;
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        Ok(found
            .as_array()
            .into_iter()
            .flatten()
            .map(|row| Listed {
                hash: text(&row[0]),
                name: text(&row[1]),
                state: text(&row[2]),
            })
            .collect())
    }

    /// Waits up to `timeout` until an attachment named `name` is listed in a state `accept`
    /// takes; returns it.
    pub async fn wait_attachment(
        &self,
        name: &str,
        timeout: std::time::Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<Listed> {
        crate::poll(
            &format!("{}: attachment {name} in the state wanted", self.name()),
            timeout,
            || async {
                let listed = self.attachments().await.map_err(|e| e.to_string())?;
                listed
                    .iter()
                    .find(|a| a.name == name && accept(&a.state))
                    .cloned()
                    .ok_or_else(|| format!("{listed:?}"))
            },
        )
        .await
    }

    /// Blob `hash` as this device stores it: its MIME type and bytes (None if not held).
    pub async fn stored_blob(&self, hash: &str) -> Result<Option<(String, Vec<u8>)>> {
        let found = self
            .client()
            .execute_async(
                &format!(
                    "const done = arguments[arguments.length - 1];
                     const use = (v) => done(v && [v.type, Array.from(v.bytes)]);
                     {READ_BLOB}"
                ),
                vec![hash.into()],
            )
            .await?;
        let Some(found) = found.as_array() else {
            return Ok(None);
        };
        let mime = found[0].as_str().unwrap_or_default().to_string();
        let bytes = found[1]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b.as_u64().map(|b| b as u8))
            .collect();
        Ok(Some((mime, bytes)))
    }

    /// Decodes stored blob `hash` as the browser shows it.
    pub async fn stored_picture(&self, hash: &str) -> Result<Picture> {
        let found = self
            .client()
            .execute_async(
                &format!(
                    "const done = arguments[arguments.length - 1];
                     const use = (v) => {{
                       if (!v) return done(null);
                       createImageBitmap(new Blob([v.bytes], {{type: v.type}})).then(b => {{
                         const c = new OffscreenCanvas(b.width, b.height);
                         const x = c.getContext('2d');
                         x.drawImage(b, 0, 0);
                         const px = (X, Y) => Array.from(x.getImageData(X, Y, 1, 1).data);
                         done([b.width, b.height, px(20, 20), px(b.width - 20, 20)]);
                       }}, () => done(null));
                     }};
                     {READ_BLOB}"
                ),
                vec![hash.into()],
            )
            .await?;
        let found = found
            .as_array()
            .ok_or_else(|| format!("{}: blob {hash} is not a picture it holds", self.name()))?;
        let px = |v: &serde_json::Value| {
            let mut out = [0u8; 4];
            for (o, c) in out.iter_mut().zip(v.as_array().into_iter().flatten()) {
                *o = c.as_u64().unwrap_or(0) as u8;
            }
            out
        };
        Ok(Picture {
            width: found[0].as_u64().unwrap_or(0) as u32,
            height: found[1].as_u64().unwrap_or(0) as u32,
            top_left: px(&found[2]),
            top_right: px(&found[3]),
        })
    }

    /// A camera-like JPEG made by the browser's encoder: `width` × `height`, a blue gradient
    /// with a red square in its (stored) top-left corner; `detail` sprinkles small random
    /// patches over it, so it weighs what a camera's photo of a busy scene does.
    pub async fn make_jpeg(&self, width: u32, height: u32, detail: bool) -> Result<Vec<u8>> {
        let found = self
            .client()
            .execute_async(
                "const [w, h, detail, done] = arguments;
                 const c = new OffscreenCanvas(w, h);
                 const x = c.getContext('2d');
                 const g = x.createLinearGradient(0, 0, w, h);
                 g.addColorStop(0, '#2060a0');
                 g.addColorStop(1, '#a0e0ff');
                 x.fillStyle = g;
                 x.fillRect(0, 0, w, h);
                 for (let i = 0; detail && i < w * h / 40; i++) {
                   x.fillStyle = `hsl(${Math.random() * 360} 60% ${30 + Math.random() * 40}%)`;
                   x.fillRect(Math.random() * w, Math.random() * h, 3, 3);
                 }
                 x.fillStyle = '#ff0000';
                 x.fillRect(0, 0, Math.floor(h * 0.4), Math.floor(h * 0.4));
                 c.convertToBlob({type: 'image/jpeg', quality: 0.9})
                   .then(b => b.arrayBuffer())
                   .then(a => done(Array.from(new Uint8Array(a))), () => done(null));",
                vec![width.into(), height.into(), detail.into()],
            )
            .await?;
        let bytes: Vec<u8> = found
            .as_array()
            .ok_or("the browser made no JPEG")?
            .iter()
            .filter_map(|b| b.as_u64().map(|b| b as u8))
            .collect();
        Ok(bytes)
    }

    /// Picks `path` in `input` and returns how long the page took from the file input's change
    /// to the attachment being durable on the device ("Attached …" is shown only once the blob
    /// and the record are committed to IndexedDB), in milliseconds, measured in the page.
    pub async fn time_attach(&self, input: &str, path: &Path) -> Result<f64> {
        self.execute(
            "window.__picked = null; window.__durable = null;
             document.addEventListener('change', () => { window.__picked = performance.now(); },
                                       {capture: true, once: true});
             const seen = new MutationObserver(() => {
               const s = document.querySelector('#attach-status, #attach-error');
               if (window.__picked !== null && s && s.textContent) {
                 window.__durable = performance.now();
                 window.__outcome = s.textContent;
                 seen.disconnect();
               }
             });
             seen.observe(document.body, {subtree: true, childList: true, characterData: true});",
            vec![],
        )
        .await?;
        self.pick_file(input, path).await?;
        let (took, outcome) = crate::poll(
            &format!("{}: the attachment to be durable", self.name()),
            std::time::Duration::from_secs(60),
            || async {
                let v = self
                    .execute(
                        "return window.__durable === null ? null
                           : [window.__durable - window.__picked, window.__outcome];",
                        vec![],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                match v.as_array() {
                    Some(v) => Ok((
                        v[0].as_f64().unwrap_or(f64::NAN),
                        v[1].as_str().unwrap_or_default().to_string(),
                    )),
                    None => Err("not yet".to_string()),
                }
            },
        )
        .await?;
        if !outcome.starts_with("Attached") {
            return Err(format!("{}: {outcome}", self.name()).into());
        }
        Ok(took)
    }

    /// Opens the "Customer signature" action, names the signer, draws two strokes and submits.
    pub async fn sign_record(&self, who: &str) -> Result<()> {
        let details = "details#action-sign";
        if self.attr(details, "open").await?.is_none() {
            self.click(&format!("{details} > summary")).await?;
        }
        self.fill("#a-sign-signer", who).await?;
        self.click("#a-sign-drawing ~ .clear-signature").await?;
        self.draw(
            "#a-sign-drawing",
            &[
                &[(0.1, 0.7), (0.2, 0.3), (0.3, 0.7), (0.4, 0.3)],
                &[(0.5, 0.5), (0.9, 0.55)],
            ],
        )
        .await?;
        self.click("#action-sign-submit").await
    }
}

/// `jpeg` with an EXIF segment saying how a camera held sideways stored it (`orientation`, 1–8;
/// 6: turn 90° clockwise to view) and where it was (a GPS IFD pointer with a latitude), as a
/// phone writes them: the segment follows the JPEG's start marker.
pub fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG starts with SOI");
    // Big-endian TIFF: IFD0 with Orientation and a GPS IFD pointer; the GPS IFD with
    // GPSLatitudeRef "N".
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend([0x00, 0x02]); // IFD0: two entries
    tiff.extend([0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0x00, 0x00]);
    let gps_at: u32 = 8 + 2 + 2 * 12 + 4;
    tiff.extend([0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend(gps_at.to_be_bytes());
    tiff.extend([0x00, 0x00, 0x00, 0x00]); // no IFD1
    tiff.extend([0x00, 0x01]); // GPS IFD: one entry, GPSLatitudeRef = "N"
    tiff.extend([
        0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, b'N', 0x00, 0x00, 0x00,
    ]);
    tiff.extend([0x00, 0x00, 0x00, 0x00]);
    let mut segment = b"Exif\x00\x00".to_vec();
    segment.extend(tiff);
    let length = u16::try_from(segment.len() + 2).expect("a small segment");
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(length.to_be_bytes());
    out.extend(segment);
    out.extend(&jpeg[2..]);
    out
}
