//! Attachments through Outpost's relay (issue 17's figure): a device uploads records with a
//! photo each and then the photos' bytes through `/api/blobs` (chunks of at most 1 MiB, as
//! the app sends them); a fresh device then syncs the records and fetches every photo, which
//! must arrive byte-identical (SHA-256). Photos are random bytes: nothing compresses them.

use std::time::{Duration, Instant};

use automerge::Automerge;
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::attachments::{Attachment, attach};
use shared::ids::DocumentId;

use crate::Result;
use crate::load::{self, Login, download_as, heads_of, upload_as};

/// What the run took.
#[derive(Debug, Clone, Copy)]
pub struct Photos {
    pub count: usize,
    pub bytes_each: usize,
    /// The records (one per photo) until the relay acknowledged them.
    pub records_up: Duration,
    /// Every photo's bytes until the relay answered 201 for each.
    pub upload: Duration,
    /// A fresh device: the records, then every photo, checked.
    pub fresh_device: Duration,
}

/// The largest chunk the relay accepts (`server::blobs::MAX_CHUNK`).
const CHUNK: usize = 1024 * 1024;

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// `http://host:port` of a login's relay.
fn base(login: &Login) -> Result<String> {
    let host = login
        .ws_url
        .strip_prefix("ws://")
        .and_then(|r| r.split('/').next())
        .ok_or("no host in the url")?;
    Ok(format!("http://{host}"))
}

/// Runs the figure against the relay at `url` (`ws://user:password@host:port/sync`).
pub async fn photos(
    url: &str,
    count: usize,
    bytes_each: usize,
    timeout: Duration,
) -> Result<Photos> {
    let mut rng = rand::thread_rng();
    let files: Vec<Vec<u8>> = (0..count)
        .map(|_| {
            let mut b = vec![0; bytes_each];
            rng.fill_bytes(&mut b);
            b
        })
        .collect();
    let docs: Vec<(DocumentId, Automerge)> = files
        .iter()
        .enumerate()
        .map(|(n, file)| {
            let (id, mut doc) = load::incident_doc(n);
            let mut record = shared::records::read(&doc)?;
            let photo = Attachment {
                hash: sha256(file),
                name: format!("photo-{n}.jpg"),
                mime: "image/jpeg".into(),
                size: file.len() as u64,
                at: load::meta("camera").at,
                by: String::new(),
                device: String::new(),
            };
            attach(&mut record, &load::meta("camera"), &photo)?;
            record.write(&mut doc, &load::meta("camera"))?;
            Ok((id, doc))
        })
        .collect::<Result<_>>()?;
    let want = heads_of(docs.iter().map(|(id, d)| (id, d)));

    let camera = Login::new(url, "camera").await?;
    let http = reqwest::Client::new();
    let relay = base(&camera)?;
    let cookie = camera.cookie.clone().ok_or("no session")?;
    let records_up = upload_as(vec![camera], vec![docs], timeout).await?;

    let started = Instant::now();
    for file in &files {
        let hash = sha256(file);
        for (i, chunk) in file.chunks(CHUNK).enumerate() {
            let res = http
                .put(format!("{relay}/api/blobs/{hash}"))
                .header("cookie", &cookie)
                .header("Upload-Offset", (i * CHUNK).to_string())
                .header("Upload-Length", file.len().to_string())
                .body(chunk.to_vec())
                .send()
                .await?;
            if !matches!(res.status().as_u16(), 201 | 204) {
                return Err(format!("upload: {} {}", res.status(), res.text().await?).into());
            }
        }
    }
    let upload = started.elapsed();

    let fresh = Login::new(url, "fresh").await?;
    let cookie = fresh.cookie.clone().ok_or("no session")?;
    let started = Instant::now();
    let (_, got) = download_as(&fresh, &want, timeout).await?;
    let mut fetched = 0;
    for doc in got.values() {
        for photo in Attachment::all(&shared::records::read(doc)?) {
            let res = http
                .get(format!("{relay}/api/blobs/{}", photo.hash))
                .header("cookie", &cookie)
                .send()
                .await?;
            if res.status() != 200 {
                return Err(format!("download: {}", res.status()).into());
            }
            if sha256(&res.bytes().await?) != photo.hash {
                return Err("a photo arrived different".into());
            }
            fetched += 1;
        }
    }
    let fresh_device = started.elapsed();
    if fetched != count {
        return Err(format!("the fresh device found {fetched} photos of {count}").into());
    }
    Ok(Photos {
        count,
        bytes_each,
        records_up,
        upload,
        fresh_device,
    })
}
