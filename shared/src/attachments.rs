//! Files attached to a record: photos from the tablet's camera, PDFs, spreadsheets. The bytes
//! live outside the record's Automerge document, as content-addressed blobs (SHA-256) on the
//! device and on the relay; the document lists each attachment (its hash, name, type, size,
//! when, by whom, on which device) in the sparse list `attachments`, so attachment lists merge
//! like any list and a record without attachments is stored exactly as before.
//!
//! The rules for what may be attached and uploaded (types, sizes, the relay's limits) are here
//! so the app refuses what the relay would refuse, in the same words.

use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, Value as Am};
use serde::{Deserialize, Serialize};

use crate::model::{ChangeMeta, Field, Group, Record, RecordError, Shape};
use crate::time::Timestamp;

/// The longest edge, in pixels, a photo is downscaled to on the device before it is stored.
pub const DEFAULT_LONGEST_EDGE: u32 = 2048;

/// The longest file name kept, in characters.
pub const MAX_NAME: usize = 200;

/// The most attachments one record lists: more is not field work but a file share (and every
/// device reads the list with the record).
pub const MAX_PER_RECORD: usize = 500;

/// A file's size in bytes: up to 2^53, the largest whole number JavaScript holds exactly.
const SIZE: Shape = Shape::Count { max: 1 << 53 };

/// One attachment as the document keeps it.
pub const ENTRY: &[Field] = &[
    Field::new("hash", Shape::Text),
    Field::new("name", Shape::Text),
    Field::new("type", Shape::Text),
    Field::new("size", SIZE),
    Field::new("at", Shape::When),
    Field::new("by", Shape::Text),
    Field::new("device", Shape::Text),
];

/// The field every record type keeps its attachments in: written only once something is
/// attached, so documents without attachments stay as they were.
pub const FIELD: Field = Field::new("attachments", Shape::List(&Shape::Group(ENTRY))).sparse();

/// One attachment as code reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// SHA-256 of the bytes, lowercase hex.
    pub hash: String,
    /// The file's name (no folders).
    pub name: String,
    /// Its MIME type, as [`normal_type`] gives it.
    pub mime: String,
    /// Bytes.
    pub size: u64,
    /// When it was taken or picked.
    pub at: Timestamp,
    /// Who attached it, on which device.
    pub by: String,
    pub device: String,
}

impl Attachment {
    /// The readable attachments of `record`, in list order. Entries another program wrote
    /// that are not attachments (no valid hash, no name) are skipped.
    pub fn all(record: &Record) -> Vec<Attachment> {
        record.groups(FIELD.key).filter_map(Self::of).collect()
    }

    fn of(g: &Group) -> Option<Attachment> {
        let hash = g.str("hash").to_ascii_lowercase();
        check_hash(&hash).ok()?;
        let name = clean_name(g.str("name")).ok()?;
        Some(Attachment {
            hash,
            name,
            mime: normal_type(g.str("type")),
            size: g.uint("size"),
            at: g.at("at"),
            by: g.str("by").into(),
            device: g.str("device").into(),
        })
    }

    /// Whether the app may show it in the page (an image of a type that is safe to show).
    pub fn is_image(&self) -> bool {
        is_image(&self.mime)
    }
}

/// Attaches `a` to `record` and logs "Attached NAME" in the work log. The name is cleaned
/// ([`clean_name`]) and the type normalised ([`normal_type`]); who attached it and on which
/// device come from `meta` (the person signed in), when it was taken from `a.at` (or `meta`'s
/// time if `a` has none). Refused, with nothing changed: a bad hash, a dangerous type, an empty
/// file, a file already attached, a record that holds [`MAX_PER_RECORD`].
pub fn attach(record: &mut Record, meta: &ChangeMeta, a: &Attachment) -> Result<(), RecordError> {
    let refuse = |message: String| RecordError::invalid("Attachment", message);
    check_hash(&a.hash).map_err(refuse)?;
    let name = clean_name(&a.name).map_err(refuse)?;
    check_type(&a.mime, &name).map_err(refuse)?;
    if a.size == 0 {
        return Err(refuse(format!("{name} is empty")));
    }
    let held = Attachment::all(record);
    if held.iter().any(|h| h.hash == a.hash) {
        return Err(refuse(format!("{name} is already attached")));
    }
    if held.len() >= MAX_PER_RECORD {
        return Err(refuse(format!(
            "a record holds at most {MAX_PER_RECORD} attachments"
        )));
    }
    let at = if a.at == Timestamp::default() {
        meta.at
    } else {
        a.at
    };
    let entry = Group::defaults(ENTRY)
        .with("hash", a.hash.as_str())
        .with("name", name.as_str())
        .with("type", normal_type(&a.mime))
        .with("size", a.size)
        .with("at", at)
        .with("by", meta.author.as_str())
        .with("device", meta.device.as_str());
    record.push(FIELD.key, entry);
    record.log(meta, format!("Attached {name}"));
    Ok(())
}

/// Whether `hash` is a SHA-256 as blobs are named: 64 lowercase hex digits.
pub fn check_hash(hash: &str) -> Result<(), String> {
    if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err("the file's fingerprint is not a SHA-256 (64 lowercase hex digits)".into())
    }
}

/// A file name as it is kept: its last path component (a browser or a peer may send
/// `C:\photos\a.jpg`), without control characters, trimmed, at most [`MAX_NAME`] characters
/// (the extension kept).
pub fn clean_name(name: &str) -> Result<String, String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        return Err("the file has no name".into());
    }
    if clean.chars().count() <= MAX_NAME {
        return Ok(clean.to_string());
    }
    let extension = match clean.rsplit_once('.') {
        Some((_, ext)) if ext.chars().count() <= 10 => format!(".{ext}"),
        _ => String::new(),
    };
    let keep = MAX_NAME - extension.chars().count();
    let stem: String = clean.chars().take(keep).collect();
    Ok(format!("{}{extension}", stem.trim_end()))
}

/// Types a browser would run or render as a page if the relay served them: never accepted,
/// whatever name the file has.
const DANGEROUS_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "application/xslt+xml",
    "application/hta",
    "application/x-msdownload",
    "application/x-msdos-program",
    "application/x-ms-installer",
    "application/x-msi",
    "application/x-executable",
    "application/x-elf",
    "application/x-mach-binary",
    "application/vnd.microsoft.portable-executable",
    "application/x-dosexec",
    "application/x-sh",
    "application/x-shellscript",
    "application/x-bat",
    "application/x-csh",
    "application/java-archive",
    "application/x-java-archive",
    "application/vnd.android.package-archive",
    "application/wasm",
    "application/x-httpd-php",
];

/// Extensions of pages, scripts and programs: refused whatever type the file claims.
const DANGEROUS_EXTENSIONS: &[&str] = &[
    "html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "js", "mjs", "cjs", "vbs", "vbe",
    "jse", "wsf", "wsh", "hta", "exe", "com", "scr", "pif", "msi", "msp", "dll", "cpl", "bat",
    "cmd", "ps1", "psm1", "sh", "bash", "csh", "jar", "apk", "app", "lnk", "reg", "php", "wasm",
];

/// Types kept as they are: what a field technician attaches and what is safe to serve back
/// (with `X-Content-Type-Options: nosniff`). Any other type is kept as
/// `application/octet-stream`, a download.
const KNOWN_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/heic",
    "image/heif",
    "image/bmp",
    "image/tiff",
    "application/pdf",
    "text/plain",
    "text/csv",
    "text/markdown",
    "application/json",
    "application/rtf",
    "message/rfc822",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-outlook",
    "application/vnd.visio",
    "application/zip",
    "application/x-zip-compressed",
    "application/gzip",
    "application/x-7z-compressed",
    "application/octet-stream",
];

/// Families of types kept as they are (office documents, audio and video).
const KNOWN_PREFIXES: &[&str] = &[
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/vnd.ms-excel.",
    "application/vnd.ms-word.",
    "application/vnd.ms-powerpoint.",
    "audio/",
    "video/",
];

/// The type without parameters, in lowercase: `Image/JPEG; q=1` is `image/jpeg`.
fn bare_type(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a file of type `mime` named `name` may be attached: refuses pages, scripts and
/// programs (which a browser would run if the relay served them back), by type or by name.
/// An unknown type is fine: it is kept and served as `application/octet-stream`.
pub fn check_type(mime: &str, name: &str) -> Result<(), String> {
    let mime = bare_type(mime);
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let script = mime.contains("javascript") || mime.contains("ecmascript");
    if script
        || DANGEROUS_TYPES.contains(&mime.as_str())
        || DANGEROUS_EXTENSIONS.contains(&extension.as_str())
    {
        let what = if mime.is_empty() { extension } else { mime };
        return Err(format!(
            "{name} cannot be attached: files of this type ({what}) can carry programs or web \
             pages; attach a photo, PDF, office document, text or zip instead"
        ));
    }
    Ok(())
}

/// The type an attachment is kept and served as: a known type as it is ([`bare_type`]),
/// anything else (empty, unknown, or refused by [`check_type`]) as `application/octet-stream`.
pub fn normal_type(mime: &str) -> String {
    let mime = bare_type(mime);
    let known =
        KNOWN_TYPES.contains(&mime.as_str()) || KNOWN_PREFIXES.iter().any(|p| mime.starts_with(p));
    if known {
        mime
    } else {
        "application/octet-stream".into()
    }
}

/// Whether `mime` is an image the browser shows in the page (and the device downscales):
/// served inline rather than as a download.
pub fn is_image(mime: &str) -> bool {
    let mime = normal_type(mime);
    mime.starts_with("image/") && !matches!(mime.as_str(), "image/heic" | "image/heif")
}

/// Every valid hash the `attachments` lists of `doc` name (lowercased, sorted, once each):
/// the blobs the document references. Reads the document directly, whatever its record type,
/// tolerant of any shape (entries that are not maps, hashes that are not SHA-256 are skipped),
/// and of lists written concurrently at the same key. Cheap when there are none: one lookup.
pub fn hashes_in(doc: &Automerge) -> Vec<String> {
    let Ok(lists) = doc.get_all(automerge::ROOT, FIELD.key) else {
        return vec![];
    };
    let mut hashes = vec![];
    for (value, list) in lists {
        if !matches!(value, Am::Object(ObjType::List)) {
            continue;
        }
        for item in doc.list_range(&list, ..) {
            let entry = item.id();
            if !matches!(item.value.into_value(), Am::Object(ObjType::Map)) {
                continue;
            }
            let hash = text_at(doc, &entry, "hash").map(|h| h.to_ascii_lowercase());
            if let Some(hash) = hash.filter(|h| check_hash(h).is_ok()) {
                hashes.push(hash);
            }
        }
    }
    hashes.sort();
    hashes.dedup();
    hashes
}

/// How many entries the `attachments` lists of `doc` hold (whatever they are): a cheap sign
/// that [`hashes_in`] may give something new.
pub fn listed(doc: &Automerge) -> usize {
    doc.get_all(automerge::ROOT, FIELD.key)
        .unwrap_or_default()
        .into_iter()
        .filter(|(value, _)| matches!(value, Am::Object(ObjType::List)))
        .map(|(_, list)| doc.length(&list))
        .sum()
}

/// The text at `key` of map `obj` (a string or a text object).
fn text_at(doc: &Automerge, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Am::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            _ => None,
        },
        (Am::Object(ObjType::Text), id) => doc.text(&id).ok(),
        _ => None,
    }
}

/// What the relay accepts: the largest file, how much one person may upload in all, and how
/// many of their uploads may run at once (each holds up to a chunk in the relay's memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobLimits {
    pub max_bytes: u64,
    pub quota_bytes: u64,
    pub uploads_at_once: usize,
}

const MIB: u64 = 1024 * 1024;

impl Default for BlobLimits {
    /// 50 MB per file (a long video clip is more, a photo far less), 2 GB per person, and 4
    /// uploads at once per person (a device sends one at a time; a few devices or tabs).
    fn default() -> Self {
        BlobLimits {
            max_bytes: 50 * MIB,
            quota_bytes: 2048 * MIB,
            uploads_at_once: 4,
        }
    }
}

/// The relay's limits and what the signed-in person has used (`GET /api/blobs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobLimitsInfo {
    pub max_bytes: u64,
    pub quota_bytes: u64,
    pub used_bytes: u64,
}

/// An error answer of the relay's API: `{"error": "…"}`, words for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// Why a file may not be uploaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobRefusal {
    #[error("the file is {}; the relay accepts at most {} per file", bytes(*size), bytes(*max))]
    TooLarge { size: u64, max: u64 },
    #[error(
        "your attachment quota is full ({} of {} used; this file needs {})",
        bytes(*used),
        bytes(*quota),
        bytes(*size)
    )]
    QuotaFull { size: u64, used: u64, quota: u64 },
    #[error("{at_once} of your uploads are already running; this one is tried again when one ends")]
    Busy { at_once: usize },
}

impl BlobRefusal {
    /// The HTTP status the relay answers with: 413 Content Too Large, 507 Insufficient
    /// Storage, 429 Too Many Requests.
    pub fn status(&self) -> u16 {
        match self {
            BlobRefusal::TooLarge { .. } => 413,
            BlobRefusal::QuotaFull { .. } => 507,
            BlobRefusal::Busy { .. } => 429,
        }
    }
}

/// Whether a file of `size` bytes may be uploaded by a person who has uploaded (or started
/// uploading) `used` bytes.
pub fn check_upload(limits: &BlobLimits, size: u64, used: u64) -> Result<(), BlobRefusal> {
    if size > limits.max_bytes {
        return Err(BlobRefusal::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    if used.saturating_add(size) > limits.quota_bytes {
        return Err(BlobRefusal::QuotaFull {
            size,
            used,
            quota: limits.quota_bytes,
        });
    }
    Ok(())
}

/// A number of bytes for people: `812 bytes`, `300 KB`, `61 MB`, `1.5 GB` (1 KB = 1024 bytes,
/// one decimal below 10, rounded up so a file just over a limit never reads as the limit).
pub fn bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GB", 1024 * MIB), ("MB", MIB), ("KB", 1024)];
    let Some((unit, size)) = UNITS.into_iter().find(|(_, size)| n >= *size) else {
        return format!("{n} bytes");
    };
    // Tenths of the unit, rounded up, in u64 without overflow (the remainder is below `size`):
    // u128 arithmetic would link its division and formatting into the app (~1 KB gz).
    let tenths = n / size * 10 + (n % size * 10).div_ceil(size);
    if tenths >= 100 || tenths.is_multiple_of(10) {
        format!("{} {unit}", tenths.div_ceil(10))
    } else {
        format!("{}.{} {unit}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests;
