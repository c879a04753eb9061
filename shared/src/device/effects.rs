//! What the device core asks its edge (the app) to do: the I/O of an operation, as data.

use std::collections::BTreeSet;

use automerge::ChangeHash;

use crate::ids::DocumentId;
use crate::summary::Summary;
use crate::sync::NotAccepted;

/// One document to make durable, with its summary (none for documents no list shows) in the
/// same transaction, so the list and the document never disagree on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct DocWrite {
    pub id: DocumentId,
    pub bytes: Vec<u8>,
    pub summary: Option<Summary>,
}

/// A document found on the device that could not be opened (or read as a record).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub id: String,
    pub message: String,
}

/// The effects of one operation. The edge performs them in this order: first the store
/// writes (`writes`, `summaries`, `relay_heads`, `refusals`) — a failed one is reported to the
/// person and the rest still happen, as memory already holds the change — then what is shown,
/// then what is told to sync.
#[derive(Debug, Default, PartialEq)]
#[must_use = "effects are the operation's I/O: the edge must perform them"]
pub struct Effects {
    /// Documents with their summaries, in one transaction.
    pub writes: Vec<DocWrite>,
    /// Summaries of documents already stored (derived anew: an SLA changed, a summary was
    /// missing).
    pub summaries: Vec<(DocumentId, Summary)>,
    /// What the relay is now known to have of a document.
    pub relay_heads: Vec<(DocumentId, Vec<ChangeHash>)>,
    /// A refused change to keep with its record (`Some`), or to forget (`None`).
    pub refusals: Vec<(DocumentId, Option<NotAccepted>)>,
    /// Summaries to put in the list (`Some`) or take off it (`None`), in order.
    pub shown: Vec<(DocumentId, Option<Summary>)>,
    /// The documents that could not be opened or read, when that changed.
    pub load_errors: Option<Vec<LoadError>>,
    /// The changes the relay does not have yet, over all documents, when recounted.
    pub unsynced: Option<usize>,
    /// Documents changed on this device: the sync client announces them.
    pub announce: Vec<DocumentId>,
    /// Records whose refused change is offered to the relay again.
    pub release: Vec<DocumentId>,
    /// Documents changed: open forms read again. Holds the record types among them, so what
    /// reads every record of one type reads again only when one of those changed.
    pub changed: Option<BTreeSet<String>>,
}

impl Effects {
    /// Appends `later`'s effects after these.
    pub fn then(mut self, later: Effects) -> Effects {
        self.writes.extend(later.writes);
        self.summaries.extend(later.summaries);
        self.relay_heads.extend(later.relay_heads);
        self.refusals.extend(later.refusals);
        self.shown.extend(later.shown);
        self.load_errors = later.load_errors.or(self.load_errors);
        self.unsynced = later.unsynced.or(self.unsynced);
        self.announce.extend(later.announce);
        self.release.extend(later.release);
        self.changed = match (self.changed, later.changed) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            (a, b) => a.or(b),
        };
        self
    }
}
