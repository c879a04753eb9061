//! The device core (issue 15 item 2): what one device holds and how it changes, as plain Rust.
//!
//! Like the relay's [`crate::sync::hub`], it does no I/O and keeps no clock: the app (its edge)
//! tells a [`Device`] what happened — documents loaded, a person's edit, a change merged from
//! the relay, the relay's account of a document — and performs the [`Effects`] it returns
//! (store writes, what to show, what to tell the sync client). It owns:
//!
//! - the documents ([`Docs`]) and what the relay is known to have of each (relay heads);
//! - what lists know of each record (its type, number and SLA, from its summary: enough to
//!   find records by number or type and to follow SLAs; the summaries themselves go to the
//!   app as effects, which lists read);
//! - the records whose change the relay refused, the unsynced count per document, the SLAs,
//!   and the documents that could not be opened.
//!
//! A person's change follows the save ordering in two steps ([`save`]): `prepare_*` edits a
//! copy and returns the writes that must be durable; once the store has them, `commit` merges
//! the copy into memory and returns what to show and sync (and, if memory gained changes
//! meanwhile, the extra writes that keep the store in step). Nothing is merged before the
//! store has it, so the relay never sees a change the device could not keep.
//!
//! The rules stay where they are (`forms`, `index`, `access`, `summary`, `records::agreement`);
//! this module only orchestrates them.

mod docs;
mod effects;
mod lookup;
mod save;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use automerge::{Automerge, ChangeHash};

pub use docs::Docs;
pub use effects::{DocWrite, Effects, LoadError};
pub use lookup::OnDevice;
pub use save::{Prepared, SaveError};

use crate::ids::DocumentId;
use crate::model::Record;
use crate::priority::PriorityMatrix;
use crate::records::agreement::{Agreements, SLA};
use crate::refusal::Refusal;
use crate::summary::{self, NoSummary, Summary};
use crate::sync::NotAccepted;
use crate::time::Timestamp;

/// A document's summary, or why it has none.
type Derived = (DocumentId, Result<Summary, NoSummary>);

/// What the core keeps of a listed record's summary: what it looks records up by.
struct Listed {
    kind: String,
    number: String,
    agreement: String,
}

impl From<&Summary> for Listed {
    fn from(s: &Summary) -> Self {
        Listed {
            kind: s.kind.clone(),
            number: s.number.clone(),
            agreement: s.agreement.clone(),
        }
    }
}

/// What the device's store held at start.
#[derive(Default)]
pub struct Stored {
    /// Each stored document by id, or why its bytes could not be read.
    pub docs: Vec<(String, Result<Vec<u8>, String>)>,
    /// Per document id, the hex heads the relay was known to have.
    pub relay_heads: Vec<(String, Vec<String>)>,
    /// Per document id, the refused change kept with it (JSON).
    pub refused: Vec<(String, String)>,
}

/// Everything one device holds. See the module's documentation.
#[derive(Default)]
pub struct Device {
    docs: Docs,
    relay_heads: HashMap<DocumentId, Vec<ChangeHash>>,
    listed: BTreeMap<DocumentId, Listed>,
    refused: BTreeMap<DocumentId, NotAccepted>,
    unsynced: HashMap<DocumentId, usize>,
    agreements: Agreements,
    load_errors: Vec<LoadError>,
    /// A prepared save not yet committed or abandoned: one at a time, as two copies edited
    /// concurrently by the same actor would clash.
    saving: bool,
}

/// The summaries stored as JSON, by the document each names; one that does not parse is left
/// out (its document's summary is derived anew at load).
pub fn parse_summaries(json: &[String]) -> BTreeMap<DocumentId, Summary> {
    json.iter()
        .filter_map(|json| {
            let summary: Summary = serde_json::from_str(json).ok()?;
            Some((summary.id.parse().ok()?, summary))
        })
        .collect()
}

impl Device {
    /// The priority matrix summaries are derived with.
    pub fn matrix() -> PriorityMatrix {
        PriorityMatrix::default()
    }

    /// Opens what the store held: `listed` are the stored summaries (as [`parse_summaries`]
    /// read them), `followed` the index documents the person follows. A document that cannot
    /// be opened becomes a load error and costs nothing else; documents without a summary get
    /// one derived (and stored, so the next start needs no document to list them).
    pub fn load(
        stored: Stored,
        listed: &BTreeMap<DocumentId, Summary>,
        followed: &[DocumentId],
        now: Timestamp,
    ) -> (Device, Effects) {
        let mut device = Device {
            listed: listed.iter().map(|(id, s)| (*id, s.into())).collect(),
            ..Device::default()
        };
        for (id, heads) in stored.relay_heads {
            if let Ok(id) = id.parse::<DocumentId>() {
                device
                    .relay_heads
                    .insert(id, crate::sync::heads_from_hex(&heads));
            }
        }
        device.refused = stored
            .refused
            .iter()
            .filter_map(|(id, json)| Some((id.parse().ok()?, serde_json::from_str(json).ok()?)))
            .collect();
        for (id, bytes) in stored.docs {
            let loaded = bytes.and_then(|bytes| {
                let id = id.parse::<DocumentId>().map_err(|e| e.to_string())?;
                let doc = Automerge::load(&bytes)
                    .map_err(|e| format!("the stored document is damaged: {e}"))?;
                Ok((id, doc))
            });
            match loaded {
                Ok((id, doc)) => device.docs.insert(id, doc),
                Err(message) => device.load_errors.push(LoadError { id, message }),
            }
        }
        let _ = device.follow(followed);
        device.agreements = Agreements::on(&OnDevice(&device));
        let mut fx = Effects {
            load_errors: Some(device.load_errors.clone()),
            ..Effects::default()
        };
        // Documents without a stored summary: stored before summaries existed or before a field
        // they need, or not listed (indexes, unreadable records). Derive theirs and keep them.
        let ids = crate::sync::Docs::ids(&device.docs);
        let missing: Vec<DocumentId> = ids
            .iter()
            .filter(|id| !listed.contains_key(id))
            .copied()
            .collect();
        let derived = device.derive(&missing, now);
        device.keep_summaries(&derived, &mut fx);
        device.recount(&ids, &mut fx);
        device.changed(&ids, &mut fx);
        (device, fx)
    }

    /// The scope indexes are how a device discovers records: each followed one the device
    /// lacks starts empty, which makes the sync session ask the relay for it. Returns those.
    pub fn follow(&mut self, indexes: &[DocumentId]) -> Vec<DocumentId> {
        let added: Vec<DocumentId> = indexes
            .iter()
            .filter(|id| self.docs.get(id).is_none())
            .copied()
            .collect();
        for id in &added {
            self.docs.insert(*id, Automerge::new());
        }
        added
    }

    pub fn docs(&self) -> &Docs {
        &self.docs
    }

    /// The documents, for the sync session to merge into; the edge reports what it changed
    /// with [`Device::remote_changed`].
    pub fn docs_mut(&mut self) -> &mut Docs {
        &mut self.docs
    }

    pub fn doc(&self, id: &DocumentId) -> Option<&Automerge> {
        self.docs.get(id)
    }

    /// The other records on the device, for rules that read them.
    pub fn lookup(&self) -> OnDevice<'_> {
        OnDevice(self)
    }

    /// The heads of `id` the relay is known to have.
    pub fn relay_heads(&self, id: &DocumentId) -> &[ChangeHash] {
        self.relay_heads.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The records whose change the relay did not accept, and why.
    pub fn refused(&self) -> &BTreeMap<DocumentId, NotAccepted> {
        &self.refused
    }

    pub fn load_errors(&self) -> &[LoadError] {
        &self.load_errors
    }

    /// The changes the relay does not have yet, over all documents (refused ones left out).
    pub fn unsynced(&self) -> usize {
        self.unsynced.values().sum()
    }

    pub fn agreements(&self) -> &Agreements {
        &self.agreements
    }

    /// Every readable record of type `kind` on the device, with its document id.
    pub fn records_of(&self, kind: &str) -> Vec<(DocumentId, Record)> {
        self.ids_of(kind)
            .into_iter()
            .filter_map(|id| Some((id, crate::records::read(self.docs.get(&id)?).ok()?)))
            .collect()
    }

    /// The hashes of the changes of `id` the relay does not have yet.
    pub fn not_on_relay(&self, id: &DocumentId) -> Vec<ChangeHash> {
        self.docs.get(id).map_or_else(Vec::new, |doc| {
            crate::sync::unsynced_hashes(doc, self.relay_heads(id))
        })
    }

    /// What the held-back (refused) changes of `id` did, oldest first.
    pub fn held_changes(&self, id: &DocumentId) -> Vec<crate::history::HistoryEntry> {
        self.docs.get(id).map_or_else(Vec::new, |doc| {
            crate::history::history_since(doc, self.relay_heads(id))
        })
    }

    /// Documents `ids` changed from outside (the sync session merged the relay's changes):
    /// persisted with their summaries, then shown, counted, and SLAs followed.
    pub fn remote_changed(&mut self, ids: &[DocumentId], now: Timestamp) -> Effects {
        let mut fx = Effects::default();
        let (writes, derived) = self.doc_writes(ids, now);
        fx.writes = writes;
        self.show(&derived, &mut fx);
        self.recount(ids, &mut fx);
        self.changed(ids, &mut fx);
        self.follow_agreements(&derived, now, &mut fx);
        fx
    }

    /// The relay is known to have `heads` of `id`: remember it (durably) and recount.
    pub fn relay_has(&mut self, id: DocumentId, heads: Vec<ChangeHash>) -> Effects {
        let mut fx = Effects::default();
        self.relay_heads.insert(id, heads.clone());
        fx.relay_heads.push((id, heads));
        self.recount(&[id], &mut fx);
        fx
    }

    /// The relay did not accept this device's change of `id`: keep why with the record. Its
    /// changes no longer count as waiting to sync.
    pub fn not_accepted(&mut self, id: DocumentId, refusal: Refusal, at: Timestamp) -> Effects {
        let mut fx = Effects::default();
        let entry = NotAccepted { refusal, at };
        self.refused.insert(id, entry.clone());
        fx.refusals.push((id, Some(entry)));
        self.recount(&[id], &mut fx);
        fx
    }

    /// The person keeps their refused change of `id` and offers it to the relay again (their
    /// rights may be back): it syncs like any change, and is marked again if refused again.
    pub fn retry_refused(&mut self, id: DocumentId) -> Effects {
        let mut fx = Effects::default();
        self.refused.remove(&id);
        fx.refusals.push((id, None));
        self.recount(&[id], &mut fx);
        fx.release.push(id);
        fx
    }

    /// Counts again what the relay lacks of every document (the person changed).
    pub fn recount_all(&mut self) -> Effects {
        let mut fx = Effects::default();
        let ids = crate::sync::Docs::ids(&self.docs);
        self.recount(&ids, &mut fx);
        fx
    }

    /// The listed record numbered `number` (case and spaces aside).
    fn listed_number(&self, number: &str) -> Option<DocumentId> {
        let number = number.trim();
        self.listed
            .iter()
            .find(|(_, l)| l.number.eq_ignore_ascii_case(number))
            .map(|(id, _)| *id)
    }

    /// The listed records of type `kind`.
    fn ids_of(&self, kind: &str) -> Vec<DocumentId> {
        self.listed
            .iter()
            .filter(|(_, l)| l.kind == kind)
            .map(|(id, _)| *id)
            .collect()
    }

    /// The summary of document `id` at `at`, tickets measured against the device's SLAs.
    fn summarize(
        &self,
        id: &DocumentId,
        doc: &Automerge,
        at: Timestamp,
    ) -> Result<Summary, NoSummary> {
        summary::summarize(
            &id.to_string(),
            doc,
            &Self::matrix(),
            &self.agreements,
            &OnDevice(self),
            at,
        )
    }

    /// The store write of `doc` with its summary, and the summary itself for the list.
    fn doc_write(&self, id: &DocumentId, doc: &Automerge, at: Timestamp) -> (DocWrite, Derived) {
        let summary = self.summarize(id, doc, at);
        let write = DocWrite {
            id: *id,
            bytes: doc.save(),
            summary: summary.as_ref().ok().cloned(),
        };
        (write, (*id, summary))
    }

    /// The store writes of the in-memory documents `ids`, with their summaries.
    fn doc_writes(&self, ids: &[DocumentId], at: Timestamp) -> (Vec<DocWrite>, Vec<Derived>) {
        ids.iter()
            .filter_map(|id| Some(self.doc_write(id, self.docs.get(id)?, at)))
            .unzip()
    }

    /// The summaries of `ids` as their documents are now.
    fn derive(&self, ids: &[DocumentId], at: Timestamp) -> Vec<Derived> {
        ids.iter()
            .filter_map(|id| Some((*id, self.summarize(id, self.docs.get(id)?, at))))
            .collect()
    }

    /// Stores summaries derived from documents already stored, and shows them.
    fn keep_summaries(&mut self, derived: &[Derived], fx: &mut Effects) {
        fx.summaries.extend(
            derived
                .iter()
                .filter_map(|(id, r)| Some((*id, r.as_ref().ok()?.clone()))),
        );
        self.show(derived, fx);
    }

    /// Puts derived summaries in the list (a record with none leaves it), and unreadable
    /// records among the load errors.
    fn show(&mut self, derived: &[Derived], fx: &mut Effects) {
        if derived.is_empty() {
            return;
        }
        for (id, result) in derived {
            match result {
                Ok(s) => {
                    self.listed.insert(*id, s.into());
                }
                Err(_) => {
                    self.listed.remove(id);
                }
            }
            fx.shown.push((*id, result.as_ref().ok().cloned()));
        }
        let before = self.load_errors.clone();
        // A document that now reads fine (e.g. fixed by a merge) is no longer an error.
        self.load_errors
            .retain(|e| !derived.iter().any(|(id, _)| id.to_string() == e.id));
        self.load_errors
            .extend(derived.iter().filter_map(|(id, r)| match r {
                Err(NoSummary::Unreadable(message)) => Some(LoadError {
                    id: id.to_string(),
                    message: message.clone(),
                }),
                _ => None,
            }));
        if self.load_errors != before {
            fx.load_errors = Some(self.load_errors.clone());
        }
    }

    /// After documents changed (`derived`, as saved or merged): if SLAs were among them, read
    /// the SLAs again and derive anew the summaries of the tickets naming them, so their clocks
    /// follow the agreement (or start following it once it reaches this device).
    fn follow_agreements(&mut self, derived: &[Derived], at: Timestamp, fx: &mut Effects) {
        let changed: HashSet<&str> = derived
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .filter(|s| s.kind == SLA.kind)
            .map(|s| s.number.as_str())
            .collect();
        if changed.is_empty() {
            return;
        }
        self.agreements = Agreements::on(&OnDevice(self));
        let naming: Vec<DocumentId> = self
            .listed
            .iter()
            .filter(|(_, l)| changed.contains(l.agreement.as_str()))
            .map(|(id, _)| *id)
            .collect();
        let derived = self.derive(&naming, at);
        self.keep_summaries(&derived, fx);
    }

    /// Counts what the relay does not have yet of `ids`; a refused change is not waiting to sync
    /// (it is counted among the records not accepted).
    fn recount(&mut self, ids: &[DocumentId], fx: &mut Effects) {
        for id in ids {
            let count = match self.docs.get(id) {
                Some(doc) if !self.refused.contains_key(id) => {
                    crate::sync::unsynced_changes(doc, self.relay_heads(id))
                }
                _ => 0,
            };
            self.unsynced.insert(*id, count);
        }
        fx.unsynced = Some(self.unsynced());
    }

    /// Documents `ids` changed: the record types among them.
    fn changed(&self, ids: &[DocumentId], fx: &mut Effects) {
        let kinds: BTreeSet<String> = ids
            .iter()
            .filter_map(|id| Some(self.listed.get(id)?.kind.clone()))
            .collect();
        fx.changed.get_or_insert_default().extend(kinds);
    }
}
