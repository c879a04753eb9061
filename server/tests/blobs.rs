//! Attachments' bytes through `/api/blobs` on the real relay: chunked and resumable uploads,
//! integrity, limits, quota, and access by the records that reference a blob.

mod common;

use automerge::Automerge;
use common::*;
use rand::RngCore;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};
use shared::{
    access::Role,
    attachments::{Attachment, BlobLimits, attach},
    ids::DocumentId,
    time::Timestamp,
};

const MIB: usize = 1024 * 1024;

fn random(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn hash(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// `doc` with these files attached by ana: (name, type, bytes).
fn with_files(mut doc: Automerge, files: &[(&str, &str, &[u8])]) -> Automerge {
    let mut record = shared::records::read(&doc).unwrap();
    for (name, mime, bytes) in files {
        let a = Attachment {
            hash: hash(bytes),
            name: name.to_string(),
            mime: mime.to_string(),
            size: bytes.len() as u64,
            at: Timestamp(1_764_000_000_000),
            by: String::new(),
            device: String::new(),
        };
        attach(&mut record, &meta("ana"), &a).unwrap();
    }
    record.write(&mut doc, &meta("ana")).unwrap();
    doc
}

/// A relay (3 MiB per file, 5 MiB per person, 2 uploads at once each) with technicians ana and bo of site north, sam
/// of site south and sid of security.
struct World {
    relay: RunningRelay,
    dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay_with(dir.path(), |c| {
        c.blobs = BlobLimits {
            max_bytes: 3 * MIB as u64,
            quota_bytes: 5 * MIB as u64,
            uploads_at_once: 2,
        }
    })
    .await;
    let admin = relay.admin_cookie().await;
    for (name, role, site) in [
        ("ana", Role::Technician, "north"),
        ("bo", Role::Technician, "north"),
        ("sam", Role::Technician, "south"),
    ] {
        relay.add_person(&admin, name, &[role], &[site], &[]).await;
    }
    relay
        .add_person(&admin, "sid", &[Role::Security], &[], &[])
        .await;
    World { relay, dir }
}

impl World {
    async fn cookie(&self, who: &str) -> String {
        self.relay
            .sign_in(who, PASSWORD, &format!("device-{who}"))
            .await
            .unwrap()
    }

    /// `who` syncs `doc` as a new record until the relay has stored it.
    async fn upload_record(&self, who: &str, doc: Automerge) -> DocumentId {
        let cookie = self.cookie(who).await;
        let mut device = Device::connect(&self.relay, &cookie, &format!("device-{who}")).await;
        let id = new_id();
        device.edit(id, doc).await;
        device.run_until(|d| d.unsynced(&id) == 0).await;
        id
    }

    /// A photo of `len` random bytes attached to a new incident of ana's, which the relay
    /// holds whole.
    async fn photo_on_a_record(&self, len: usize) -> Vec<u8> {
        let photo = random(len);
        let doc = incident_doc("Pump leaks", Some("north"), None);
        self.upload_record(
            "ana",
            with_files(doc, &[("pump.jpg", "image/jpeg", &photo)]),
        )
        .await;
        let ana = self.cookie("ana").await;
        assert_eq!(upload(&self.relay, &ana, &photo).await, 201);
        photo
    }
}

async fn put(
    relay: &Api,
    cookie: &str,
    hash: &str,
    offset: usize,
    total: usize,
    body: &[u8],
) -> reqwest::Response {
    reqwest::Client::new()
        .put(relay.url(&format!("/api/blobs/{hash}")))
        .header("cookie", cookie)
        .header("Upload-Offset", offset.to_string())
        .header("Upload-Length", total.to_string())
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn call(relay: &Api, method: Method, cookie: &str, hash: &str) -> reqwest::Response {
    relay
        .call(method, &format!("/api/blobs/{hash}"), cookie, None)
        .await
}

fn offset_of(res: &reqwest::Response) -> usize {
    res.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn error_of(res: reqwest::Response) -> String {
    let body: serde_json::Value = res.json().await.unwrap();
    body["error"].as_str().unwrap().to_string()
}

/// Uploads `bytes` whole, in 1 MiB chunks.
async fn upload(relay: &Api, cookie: &str, bytes: &[u8]) -> StatusCode {
    let h = hash(bytes);
    let mut status = StatusCode::OK;
    for (i, chunk) in bytes.chunks(MIB).enumerate() {
        status = put(relay, cookie, &h, i * MIB, bytes.len(), chunk)
            .await
            .status();
    }
    status
}

#[tokio::test]
async fn a_file_goes_up_in_chunks_resumes_after_a_cut_and_comes_back_byte_identical() {
    let w = world().await;
    let photo = random(2 * MIB + 123_456);
    let h = hash(&photo);
    let doc = incident_doc("Pump leaks", Some("north"), None);
    w.upload_record(
        "ana",
        with_files(doc, &[("pump.jpg", "image/jpeg", &photo)]),
    )
    .await;
    let ana = w.cookie("ana").await;
    let relay = &w.relay;

    // Nothing yet: HEAD says where to start.
    let res = call(relay, Method::HEAD, &ana, &h).await;
    assert_eq!(res.status(), 404);
    assert_eq!(offset_of(&res), 0);
    let total = photo.len();
    let res = put(relay, &ana, &h, 0, total, &photo[..MIB]).await;
    assert_eq!(res.status(), 204);
    assert_eq!(offset_of(&res), MIB);
    // The connection is cut after the second chunk went through but before its answer came
    // back; the device, unsure, sends it again: the relay says where it stands.
    let res = put(relay, &ana, &h, MIB, total, &photo[MIB..2 * MIB]).await;
    assert_eq!(res.status(), 204);
    let res = put(relay, &ana, &h, MIB, total, &photo[MIB..2 * MIB]).await;
    assert_eq!(res.status(), 409);
    assert_eq!(offset_of(&res), 2 * MIB);
    let res = call(relay, Method::HEAD, &ana, &h).await;
    assert_eq!((res.status().as_u16(), offset_of(&res)), (404, 2 * MIB));
    // Not complete: nobody can download it yet.
    let res = call(relay, Method::GET, &ana, &h).await;
    assert_eq!(res.status(), 404);
    assert!(error_of(res).await.contains("not reached the relay yet"));
    let res = put(relay, &ana, &h, 2 * MIB, total, &photo[2 * MIB..]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(call(relay, Method::HEAD, &ana, &h).await.status(), 200);
    // Sending it again (another device of the same record) is accepted at once.
    assert_eq!(put(relay, &ana, &h, 0, total, &[]).await.status(), 201);
    assert_eq!(upload(relay, &ana, &photo).await, 201);

    // bo, of the same site, downloads it: the same bytes, with headers safe to show inline.
    let bo = w.cookie("bo").await;
    let res = call(relay, Method::GET, &bo, &h).await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["cache-control"],
        "private, max-age=31536000, immutable"
    );
    assert_eq!(headers["etag"], format!("\"{h}\"").as_str());
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline; filename=\"pump.jpg\"")
    );
    let body = res.bytes().await.unwrap();
    assert_eq!(hash(&body), h);
    assert_eq!(body.as_ref(), photo.as_slice());

    // It counts in ana's quota, not bo's.
    let limits = relay.get_json("/api/blobs", &ana).await;
    assert_eq!(
        limits,
        serde_json::json!({"max_bytes": 3 * MIB, "quota_bytes": 5 * MIB, "used_bytes": total})
    );
    assert_eq!(relay.get_json("/api/blobs", &bo).await["used_bytes"], 0);
}

#[tokio::test]
async fn a_file_that_arrives_damaged_is_discarded_and_can_be_sent_again() {
    let w = world().await;
    let report = random(300_000);
    let h = hash(&report);
    let doc = incident_doc("Pump leaks", Some("north"), None);
    w.upload_record(
        "ana",
        with_files(doc, &[("report.pdf", "application/pdf", &report)]),
    )
    .await;
    let ana = w.cookie("ana").await;
    let mut damaged = report.clone();
    damaged[1000] ^= 1;
    let res = put(&w.relay, &ana, &h, 0, damaged.len(), &damaged).await;
    assert_eq!(res.status(), 400);
    assert!(error_of(res).await.contains("arrived damaged"));
    let res = call(&w.relay, Method::HEAD, &ana, &h).await;
    assert_eq!((res.status().as_u16(), offset_of(&res)), (404, 0));
    assert_eq!(w.relay.get_json("/api/blobs", &ana).await["used_bytes"], 0);
    assert_eq!(upload(&w.relay, &ana, &report).await, 201);
    // A browser accepts gzip: the PDF comes gzipped, whole.
    let res = reqwest::Client::new()
        .get(w.relay.url(&format!("/api/blobs/{h}")))
        .header("cookie", &ana)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let gzipped = res.bytes().await.unwrap();
    let mut unzipped = vec![];
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gzipped.as_ref()),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, report);
    // A download, not shown inline.
    let res = call(&w.relay, Method::GET, &ana, &h).await;
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
}

#[tokio::test]
async fn files_over_the_limit_chunks_over_a_mebibyte_and_a_full_quota_are_refused() {
    let w = world().await;
    let big = random(3 * MIB + 1);
    let (a, b) = (random(3 * MIB), random(2 * MIB + 1));
    let doc = incident_doc("Pump leaks", Some("north"), None);
    w.upload_record(
        "ana",
        with_files(
            doc,
            &[
                ("big.mp4", "video/mp4", &big),
                ("a.bin", "", &a),
                ("b.bin", "", &b),
            ],
        ),
    )
    .await;
    let ana = w.cookie("ana").await;
    let relay = &w.relay;

    // Over the limit: refused from Upload-Length, before any byte is read.
    let res = put(relay, &ana, &hash(&big), 0, big.len(), &big[..10]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        error_of(res).await,
        "the file is 3.1 MB; the relay accepts at most 3 MB per file"
    );
    // A chunk over 1 MiB.
    let res = put(relay, &ana, &hash(&a), 0, a.len(), &a[..MIB + 1]).await;
    assert_eq!(res.status(), 413);
    assert!(error_of(res).await.contains("chunks of at most 1 MB"));
    // 3 MiB fit in the quota of 5; 2 MiB and a byte more do not.
    assert_eq!(upload(relay, &ana, &a).await, 201);
    let res = put(relay, &ana, &hash(&b), 0, b.len(), &b[..MIB]).await;
    assert_eq!(res.status(), 507);
    assert_eq!(
        error_of(res).await,
        "your attachment quota is full (3 MB of 5 MB used; this file needs 2.1 MB)"
    );
    // Nothing of it was kept.
    let res = call(relay, Method::HEAD, &ana, &hash(&b)).await;
    assert_eq!((res.status().as_u16(), offset_of(&res)), (404, 0));
    // bo's quota is his own.
    let bo = w.cookie("bo").await;
    assert_eq!(upload(relay, &bo, &b).await, 201);
    // Bad headers and names.
    let res = reqwest::Client::new()
        .put(relay.url(&format!("/api/blobs/{}", hash(&big))))
        .header("cookie", &ana)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(error_of(res).await.contains("upload-offset"));
    let res = put(relay, &ana, "ABC", 0, 1, b"x").await;
    assert_eq!(res.status(), 400);
    assert!(error_of(res).await.contains("SHA-256"));
}

/// A PUT of `hash` whose body stops after its first byte, on a connection of its own: an
/// upload under way (as on a slow link) until the returned stream is dropped.
async fn stalled_put(relay: &Api, cookie: &str, hash: &str, total: usize) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
    let head = format!(
        "PUT /api/blobs/{hash} HTTP/1.1\r\nhost: {}\r\ncookie: {cookie}\r\n\
         upload-offset: 0\r\nupload-length: {total}\r\ncontent-length: {total}\r\n\r\nx",
        relay.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn uploads_under_way_count_whole_in_the_quota_and_few_run_at_once() {
    let w = world().await;
    let (a, b) = (random(3 * MIB), random(2 * MIB + 1));
    let (c, d, e) = (random(1000), random(1000), random(1000));
    let doc = incident_doc("Pump leaks", Some("north"), None);
    let files = [a.as_slice(), &b, &c, &d, &e].map(|f| ("f.bin", "", f));
    w.upload_record("ana", with_files(doc, &files)).await;
    let ana = w.cookie("ana").await;
    let relay = &w.relay;

    // a has started (1 of its 3 MiB arrived): its whole length is spoken for, so b (2 MiB
    // and a byte) would overshoot the quota of 5 when both finish, and is refused now.
    let res = put(relay, &ana, &hash(&a), 0, a.len(), &a[..MIB]).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        relay.get_json("/api/blobs", &ana).await["used_bytes"],
        3 * MIB
    );
    let res = put(relay, &ana, &hash(&b), 0, b.len(), &b[..MIB]).await;
    assert_eq!(res.status(), 507);

    // Two uploads of ana's stall on a slow link: a third waits its turn (429, which the
    // device retries), and gets it once one of them ends. bo is not held up by ana's. (The
    // probe resumes d at an offset it has not reached: 409 whenever it gets a turn, and it
    // changes nothing.)
    let first = stalled_put(relay, &ana, &hash(&c), c.len()).await;
    let _second = stalled_put(relay, &ana, &hash(&c), c.len()).await;
    let d_hash = hash(&d);
    let probe = || put(relay, &ana, &d_hash, 5, d.len(), &d[5..]);
    // Both under way (the relay's gauge says so) before the third is tried: tried sooner, it
    // could take a place first and leave one of them refused.
    let admin = w.relay.admin_cookie().await;
    poll_until("the two stalled uploads to be under way", || async {
        let res = relay.call(Method::GET, "/metrics", &admin, None).await;
        let text = res.text().await.unwrap();
        text.lines()
            .any(|l| l == "outpost_uploads_running 2")
            .then_some(())
    })
    .await;
    let refused = poll_until("a third upload to wait", || async {
        let res = probe().await;
        (res.status() == 429).then_some(res)
    })
    .await;
    assert_eq!(
        error_of(refused).await,
        "2 of your uploads are already running; this one is tried again when one ends"
    );
    let bo = w.cookie("bo").await;
    assert_eq!(upload(relay, &bo, &e).await, 201);
    drop(first);
    poll_until("a turn once an upload ended", || async {
        (probe().await.status() == 409).then_some(())
    })
    .await;
    assert_eq!(upload(relay, &ana, &d).await, 201);
}

/// Asks `f` every 50 ms until it gives something, for at most 10 s.
async fn poll_until<T, Fut: std::future::Future<Output = Option<T>>>(
    what: &str,
    f: impl Fn() -> Fut,
) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(found) = f().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited 10 s for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn blobs_are_for_people_who_may_read_a_record_that_references_them() {
    let w = world().await;
    let photo = random(100_000);
    let secret = random(50_000);
    let stray = random(1_000);
    let doc = incident_doc("Pump leaks", Some("north"), None);
    w.upload_record(
        "ana",
        with_files(doc, &[("pump.jpg", "image/jpeg", &photo)]),
    )
    .await;
    // A restricted record (a security incident) at site north, by sid.
    let mut restricted = incident_doc("Phishing", Some("north"), None);
    {
        use automerge::transaction::Transactable;
        let mut tx = restricted.transaction();
        tx.put(automerge::ROOT, "restricted", true).unwrap();
        tx.commit();
    }
    let restricted = with_files(restricted, &[("mail.txt", "text/plain", &secret)]);
    w.upload_record("sid", restricted).await;
    let (ana, sam, sid) = (
        w.cookie("ana").await,
        w.cookie("sam").await,
        w.cookie("sid").await,
    );
    let relay = &w.relay;
    assert_eq!(upload(relay, &ana, &photo).await, 201);
    assert_eq!(upload(relay, &sid, &secret).await, 201);

    // No document references it: nothing to upload, nothing to fetch.
    for method in [Method::HEAD, Method::GET] {
        let res = call(relay, method, &ana, &hash(&stray)).await;
        assert_eq!(res.status(), 403);
    }
    let res = put(relay, &ana, &hash(&stray), 0, stray.len(), &stray).await;
    assert_eq!(res.status(), 403);
    assert!(error_of(res).await.contains("no record you may read"));
    // A technician of another site.
    let res = call(relay, Method::GET, &sam, &hash(&photo)).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        put(relay, &sam, &hash(&photo), 0, photo.len(), &photo)
            .await
            .status(),
        403
    );
    // The restricted record's file: its own site's technician may not read it, security may.
    assert_eq!(
        call(relay, Method::GET, &ana, &hash(&secret))
            .await
            .status(),
        403
    );
    let res = call(relay, Method::GET, &sid, &hash(&secret)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), secret.as_slice());
    // Signed out.
    let res = reqwest::get(relay.url(&format!("/api/blobs/{}", hash(&photo))))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    drop(w.dir);
}

#[tokio::test]
async fn a_backup_holds_the_blobs_and_a_relay_restored_from_it_serves_them() {
    let w = world().await;
    let photo = w.photo_on_a_record(MIB + 10).await;
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(copy.path().join("data")).unwrap();
    let backup = open_store(w.dir.path()).backup_to(&copy.path().join("data/outpost.sqlite"));
    if postgres::on_postgres() {
        // PostgreSQL is backed up with its own tools, blobs and all.
        assert!(backup.unwrap_err().to_string().contains("pg_dump"));
        return;
    }
    backup.unwrap();
    w.relay.shutdown().await;

    let restored = start_relay(copy.path()).await;
    let ana = restored
        .sign_in("ana", PASSWORD, "device-ana")
        .await
        .unwrap();
    let res = call(&restored, Method::GET, &ana, &hash(&photo)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());
}

#[tokio::test]
async fn an_evidence_export_carries_the_attachments_with_their_hashes() {
    use std::io::Read;
    let w = world().await;
    // Stored in three chunks: the export copies them one at a time into its file.
    let photo = random(2 * MIB + 200_000);
    let never_uploaded = random(1_000);
    let doc = incident_doc("Pump leaks", Some("north"), None);
    let files = [
        ("pump.jpg", "image/jpeg", photo.as_slice()),
        ("later.pdf", "application/pdf", never_uploaded.as_slice()),
    ];
    w.upload_record("ana", with_files(doc, &files)).await;
    let ana = w.cookie("ana").await;
    assert_eq!(upload(&w.relay, &ana, &photo).await, 201);
    let admin = w.relay.admin_cookie().await;
    // A browser accepts gzip: the zip (deflated already) is sent as it is, whole.
    let res = reqwest::Client::new()
        .get(w.relay.url("/api/export/evidence?clause=8.6.1&sample=10"))
        .header("cookie", &admin)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.headers().contains_key("content-encoding"));
    let length = res.headers()["content-length"]
        .to_str()
        .unwrap()
        .to_string();
    let zip = res.bytes().await.unwrap();
    assert_eq!(length, zip.len().to_string());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut read = |name: &str| {
        let mut file = archive
            .by_name(&format!("outpost-evidence-8.6.1/{name}"))
            .ok()?;
        let mut bytes = vec![];
        file.read_to_end(&mut bytes).unwrap();
        Some(bytes)
    };
    let photo_path = format!("attachments/{}-pump.jpg", hash(&photo));
    assert_eq!(read(&photo_path), Some(photo.clone()));
    let manifest = String::from_utf8(read("MANIFEST.sha256").unwrap()).unwrap();
    assert!(
        manifest.contains(&format!("{}  {photo_path}\n", hash(&photo))),
        "{manifest}"
    );
    // The file the relay does not hold is listed with its hash, without a file.
    let csv = String::from_utf8(read("attachments.csv").unwrap()).unwrap();
    assert!(
        csv.contains(&format!(
            "{},later.pdf,application/pdf,1000,",
            hash(&never_uploaded)
        )),
        "{csv}"
    );
    assert!(read(&format!("attachments/{}-later.pdf", hash(&never_uploaded))).is_none());
}

/// An export is written to a temporary file and sent as the client reads it: a person runs one
/// at a time, so repeated exports cannot fill the relay's disk.
#[tokio::test]
async fn a_person_runs_one_evidence_export_at_a_time() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let w = world().await;
    w.photo_on_a_record(3 * MIB - 1_000).await;
    let admin = w.relay.admin_cookie().await;
    let path = "/api/export/evidence?clause=8.6.1&sample=10";
    // A client that reads the answer's first bytes and then nothing: the 3 MiB zip cannot
    // all leave the relay.
    let slow = tokio::net::TcpSocket::new_v4().unwrap();
    slow.set_recv_buffer_size(1024).unwrap();
    let mut slow = slow.connect(w.relay.addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {}\r\ncookie: {admin}\r\n\r\n",
        w.relay.addr
    );
    slow.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 64];
    let n = slow.read(&mut head).await.unwrap();
    assert!(
        head[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&head[..n])
    );
    let export = || {
        reqwest::Client::new()
            .get(w.relay.url(path))
            .header("cookie", &admin)
            .send()
    };
    let busy = export().await.unwrap();
    assert_eq!(busy.status(), 429);
    assert!(error_of(busy).await.contains("previous evidence export"));
    // Once the slow client leaves, the next export runs.
    drop(slow);
    poll_until("an export after the slow client left", || async {
        (export().await.unwrap().status() == 200).then_some(())
    })
    .await;
}
