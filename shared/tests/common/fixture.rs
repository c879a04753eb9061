//! What a fixture document (`tests/fixtures/<name>.automerge`) reads as, in JSON: the document
//! as stored, what the record reader reads written canonically into a fresh document, the form's
//! view, the list's summary, what needs a person, and the document after a given edit. The
//! expected JSON beside each fixture was computed by this module at the commit that made the
//! fixtures (4f440f7, before the record engine); `fixtures.rs` recomputes it and compares.

use automerge::Automerge;
use serde_json::{Value as Json, json};
use shared::forms::{self, Nothing, Values, View};
use shared::records::ChangeMeta;
use shared::time::Timestamp;

use super::layout::dump;

/// The time summaries are measured at.
pub const NOW: i64 = 1_795_392_000_000 + 40 * 86_400_000;

/// The change every edit is made with.
pub fn edit_meta() -> ChangeMeta {
    ChangeMeta {
        author: "fixture".into(),
        device: "fixture-tablet".into(),
        at: Timestamp(NOW),
    }
}

/// The expected JSON of document `doc` of record type `kind`, edited with `edit`.
pub fn expected(kind: &str, doc: &Automerge, edit: &Values) -> Json {
    let summary = shared::summary::summarize(
        "fixture",
        doc,
        &Default::default(),
        &Default::default(),
        &Nothing,
        Timestamp(NOW),
    );
    let attention: Vec<String> = shared::review::attention(doc, &Nothing)
        .iter()
        .map(|a| a.to_string())
        .collect();
    let mut edited = doc.clone();
    edit_record(kind, &mut edited, edit);
    json!({
        "kind": kind,
        "doc": dump(doc),
        "read": dump(&canonical(kind, doc)),
        // Incidents had no form before the record engine.
        "view": forms::of(kind)
            .filter(|f| f.kind() != "incident")
            .map(|f| view(&f.view(doc).unwrap())),
        "summary": summary.map(|s| serde_json::to_value(s).unwrap()).unwrap_or(Json::Null),
        "attention": attention,
        "edit": edit,
        "edited": dump(&edited),
    })
}

/// What the record reader reads in `doc`, written into a fresh document.
pub fn canonical(_kind: &str, doc: &Automerge) -> Automerge {
    shared::records::read(doc)
        .unwrap()
        .document(&edit_meta())
        .unwrap()
}

/// Applies the form values `edit` to record `kind` in `doc` (an incident takes `title`,
/// `description`, `assignee`, `status` and `note` as its form always did).
pub fn edit_record(kind: &str, doc: &mut Automerge, edit: &Values) {
    forms::of(kind)
        .unwrap()
        .edit(doc, edit, &Nothing, &edit_meta())
        .unwrap();
}

/// A form's view as JSON.
pub fn view(v: &View) -> Json {
    json!({
        "number": v.number,
        "title": v.title,
        "values": v.values,
        "status": [v.status.0, v.status.1],
        "moves": v.moves.iter().map(|(k, l)| [*k, *l]).collect::<Vec<_>>(),
        "sections": v.sections.iter().map(|s| json!({
            "title": s.title,
            "rows": s.rows.iter().map(|r| json!({
                "text": r.text,
                "button": r.button.as_ref().map(|b| json!({
                    "label": b.label,
                    "action": b.action,
                    "values": b.values,
                })),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "work_log": v.work_log.iter().map(|e| json!([e.at.millis(), e.author, e.device, e.note])).collect::<Vec<_>>(),
    })
}
