//! The summaries snapshot: every listed record's summary in ONE stored value, so a start reads
//! one IndexedDB entry instead of one per record. IndexedDB's cost is per entry, not per byte:
//! handing over 50,000 summary values took ~480 ms of a big tablet's start, their 50,000
//! strings crossing into wasm ~100 ms more (BENCHMARKS.md, issue 19).
//!
//! The format (UTF-8 bytes): the header line [`HEADER`], then one line per summary,
//! `<document id>\t<summary JSON>\n`, in id order. The summaries stay the JSON every other part
//! of the app reads and writes (read tolerantly, as the per-document store is), so a summary
//! that no longer parses is derived anew, one record at a time, never the whole snapshot. JSON
//! escapes control characters inside its strings, so a summary never holds a line break; an
//! entry that would (not written by this app) is left out, and its record derived anew.
//!
//! The summaries written since the snapshot ([`Since`]) are folded in after it, later wins; a
//! removal since is kept as one too, so a record no longer listed does not come back.

/// The first line: what this is, and the format's version. A snapshot with any other first
/// line is not read (the start reads the per-document summaries, as before snapshots).
pub const HEADER: &str = "outpost-summaries 1\n";

/// The summaries written since the snapshot, by document id in id order: `Some(JSON)`, or
/// `None` when the record stopped being listed.
pub type Since = Vec<(String, Option<String>)>;

/// `entries` (document id, summary JSON), in id order, as one snapshot value.
pub fn encode<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let entries = entries.into_iter();
    let mut out = Vec::with_capacity(HEADER.len() + entries.size_hint().0 * 512);
    out.extend_from_slice(HEADER.as_bytes());
    for (id, json) in entries {
        if id.contains(['\t', '\n']) || json.contains('\n') {
            continue;
        }
        out.extend_from_slice(id.as_bytes());
        out.push(b'\t');
        out.extend_from_slice(json.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The entries of a snapshot value (document id, summary JSON), in id order; `None` if it is
/// not one this version wrote. A line without its id is skipped (its record is derived anew).
pub fn decode(bytes: &[u8]) -> Option<Vec<(&str, &str)>> {
    let text = std::str::from_utf8(bytes).ok()?.strip_prefix(HEADER)?;
    let mut entries: Vec<(&str, &str)> = text
        .split_terminator('\n')
        .filter_map(|line| line.split_once('\t'))
        .collect();
    // Written in order; sorted again only if something else wrote it out of order, since
    // `fold` merges by order.
    if !entries.is_sorted_by(|a, b| a.0 < b.0) {
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
    }
    Some(entries)
}

/// The snapshot's entries with the summaries written since it folded in (both in id order):
/// a summary written since replaces the snapshot's, a removal since drops it.
pub fn fold<'a>(
    snapshot: &[(&'a str, &'a str)],
    since: &'a [(String, Option<String>)],
) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::with_capacity(snapshot.len() + since.len());
    let mut since = since.iter().peekable();
    for &(id, json) in snapshot {
        // What was written since, sorting before this entry, is new to the snapshot.
        while let Some((new_id, new)) = since.next_if(|(new_id, _)| new_id.as_str() < id) {
            if let Some(new) = new {
                out.push((new_id.as_str(), new.as_str()));
            }
        }
        match since.next_if(|(new_id, _)| new_id == id) {
            Some((_, Some(new))) => out.push((id, new.as_str())),
            Some((_, None)) => {}
            None => out.push((id, json)),
        }
    }
    for (new_id, new) in since {
        if let Some(new) = new {
            out.push((new_id.as_str(), new.as_str()));
        }
    }
    out
}
