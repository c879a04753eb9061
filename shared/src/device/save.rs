//! The save ordering: a person's change is made on a copy, made durable, and only then merged
//! into memory. `prepare_*` edits the copy and returns a [`Prepared`] holding the writes the
//! store must make durable; the edge writes them and calls [`Device::commit`] (or
//! [`Device::abandon`] when the write failed, which leaves memory as it was).

use automerge::Automerge;
use automerge::transaction::Transactable as _;

use super::{Derived, Device, DocWrite, Effects, OnDevice};
use crate::access::{self, Actor, RecordScope};
use crate::attachments::Attachment;
use crate::forms::{self, Form, Lookup, Values};
use crate::ids::DocumentId;
use crate::index;
use crate::model::ChangeMeta;
use crate::records::agreement::Agreements;
use crate::summary;
use crate::time::Timestamp;

/// Why a save did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveError {
    /// A rule refused the edit (its text, for the form).
    Rejected(String),
    /// The edit was valid but could not be made durable (e.g. the storage quota is full).
    NotSaved(String),
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SaveError::Rejected(m) | SaveError::NotSaved(m) => f.write_str(m),
        }
    }
}

impl SaveError {
    pub fn rejected(e: impl ToString) -> SaveError {
        SaveError::Rejected(e.to_string())
    }

    pub fn not_saved(e: impl ToString) -> SaveError {
        SaveError::NotSaved(e.to_string())
    }
}

const NOT_HERE: &str = "this record is not on this device";

/// A change made on copies, waiting for the store: [`Prepared::writes`] must be durable
/// before [`Device::commit`].
#[must_use = "a prepared save must be committed or abandoned"]
pub struct Prepared {
    /// The edited copies, the changed record first.
    docs: Vec<(DocumentId, Automerge)>,
    writes: Vec<DocWrite>,
    derived: Vec<Derived>,
    /// The copy replaces memory's document instead of merging into it (a refused change
    /// discarded: merging would bring the discarded changes back).
    replace: bool,
    at: Timestamp,
}

impl Prepared {
    /// The documents (with their summaries) to make durable, in one transaction.
    pub fn writes(&self) -> &[DocWrite] {
        &self.writes
    }

    /// The changed record.
    pub fn id(&self) -> DocumentId {
        self.docs[0].0
    }
}

/// The form of the record in `doc`.
fn form_of(doc: &Automerge) -> Result<Form, SaveError> {
    forms::of_document(doc).map_err(SaveError::rejected)
}

impl Device {
    /// The one save path for a change to a record on this device: `edit` changes a copy of
    /// document `id`, reading other records through the lookup it is given.
    pub fn prepare_change(
        &mut self,
        id: DocumentId,
        meta: &ChangeMeta,
        edit: impl FnOnce(&mut Automerge, &dyn Lookup) -> Result<(), SaveError>,
    ) -> Result<Prepared, SaveError> {
        self.check_not_saving()?;
        let mut doc = self
            .docs
            .get(&id)
            .cloned()
            .ok_or_else(|| SaveError::rejected(NOT_HERE))?;
        edit(&mut doc, &OnDevice(self))?;
        Ok(self.prepared(vec![(id, doc)], false, meta.at))
    }

    /// Writes the form fields in `values` to record `id`.
    pub fn prepare_edit(
        &mut self,
        id: DocumentId,
        values: &Values,
        meta: &ChangeMeta,
    ) -> Result<Prepared, SaveError> {
        self.prepare_change(id, meta, |doc, lookup| {
            form_of(doc)?
                .edit(doc, values, lookup, meta)
                .map_err(SaveError::rejected)
        })
    }

    /// Moves record `id` to status `to`, if its workflow allows it.
    pub fn prepare_move(
        &mut self,
        id: DocumentId,
        to: &str,
        reason: &str,
        meta: &ChangeMeta,
    ) -> Result<Prepared, SaveError> {
        self.prepare_change(id, meta, |doc, lookup| {
            form_of(doc)?
                .move_to(doc, to, reason, lookup, meta)
                .map_err(SaveError::rejected)
        })
    }

    /// Takes the form action `action` (a CAB decision, a check, …) on record `id` as `actor`.
    pub fn prepare_act(
        &mut self,
        id: DocumentId,
        action: &str,
        values: &Values,
        actor: &Actor,
        meta: &ChangeMeta,
    ) -> Result<Prepared, SaveError> {
        self.prepare_change(id, meta, |doc, lookup| {
            form_of(doc)?
                .act_as(doc, action, values, lookup, meta, actor)
                .map_err(SaveError::rejected)
        })
    }

    /// The person chose `value` for the conflicting `field` of `id` (`crate::review::choose`).
    pub fn prepare_choose(
        &mut self,
        id: DocumentId,
        field: &str,
        value: &str,
        meta: &ChangeMeta,
    ) -> Result<Prepared, SaveError> {
        self.prepare_change(id, meta, |doc, _| {
            crate::review::choose(doc, field, value, meta).map_err(SaveError::rejected)
        })
    }

    /// Adds the attachment entry for blob `hash` (already durable on the device) to record
    /// `id`, by the person and device of `meta` (`crate::attachments::attach`).
    pub fn prepare_attach(
        &mut self,
        id: DocumentId,
        hash: String,
        name: String,
        mime: String,
        size: u64,
        meta: &ChangeMeta,
    ) -> Result<Prepared, SaveError> {
        self.prepare_change(id, meta, |doc, _| {
            let mut record = crate::records::read(doc).map_err(SaveError::rejected)?;
            let attachment = Attachment {
                hash,
                name,
                mime,
                size,
                at: meta.at,
                by: meta.author.clone(),
                device: meta.device.clone(),
            };
            crate::attachments::attach(&mut record, meta, &attachment)
                .map_err(SaveError::rejected)?;
            record.write(doc, meta).map_err(SaveError::rejected)
        })
    }

    /// A new record `id` of `kind` from its form's `values`, filed in the index documents that
    /// list it (`crate::index::scopes_for`: a security incident in the restricted one only,
    /// any other in the default index and its site's and team's), all in one write.
    pub fn prepare_create(
        &mut self,
        id: DocumentId,
        kind: &str,
        values: &Values,
        meta: &ChangeMeta,
    ) -> Result<Prepared, SaveError> {
        self.check_not_saving()?;
        let form =
            forms::of(kind).ok_or_else(|| SaveError::rejected(format!("no form for '{kind}'")))?;
        let mut doc = form
            .create(&id, values, &OnDevice(self), meta)
            .map_err(SaveError::rejected)?;
        // Only the summary's site and team are read here (to file the record): the SLAs do not
        // change them. The stored summary is measured against the device's SLAs.
        let place = summary::summarize(
            &id.to_string(),
            &doc,
            &Self::matrix(),
            &Agreements::default(),
            &forms::Nothing,
            meta.at,
        )
        .map_err(|e| SaveError::not_saved(format!("{e:?}")))?;
        if !place.team.is_empty() {
            // The relay decides who sees a record by its root `team` (crate::access), which a
            // record's own `group` field does not write.
            write_team(&mut doc, &place.team, meta).map_err(SaveError::not_saved)?;
        }
        let scopes = index::scopes_for(&RecordScope {
            kind: kind.to_string(),
            site: (!place.site.is_empty()).then(|| place.site.clone()),
            team: (!place.team.is_empty()).then(|| place.team.clone()),
            restricted: access::is_restricted_kind(kind),
        });
        let mut docs = vec![(id, doc)];
        for scope in scopes {
            let index_id = index::index_id(&scope);
            let mut index_doc = self.docs.get(&index_id).cloned().unwrap_or_default();
            index::add(&mut index_doc, &id, kind, meta).map_err(SaveError::not_saved)?;
            docs.push((index_id, index_doc));
        }
        Ok(self.prepared(docs, false, meta.at))
    }

    /// The person drops their refused change of `id`: the record becomes the relay's version
    /// again, and is offered to the relay as usual once committed.
    pub fn prepare_discard(
        &mut self,
        id: DocumentId,
        at: Timestamp,
    ) -> Result<Prepared, SaveError> {
        self.check_not_saving()?;
        let doc = self
            .docs
            .get(&id)
            .map(|doc| crate::sync::relay_version(doc, self.relay_heads(&id)))
            .ok_or_else(|| SaveError::rejected(NOT_HERE))?;
        Ok(self.prepared(vec![(id, doc)], true, at))
    }

    /// The store made `prepared`'s writes durable: merge the copies into memory, show them and
    /// sync them. When memory had changes a copy lacked (the relay's, merged meanwhile), the
    /// merged document is written again, with its summary.
    pub fn commit(&mut self, prepared: Prepared) -> Effects {
        self.saving = false;
        let Prepared {
            docs,
            writes: _,
            mut derived,
            replace,
            at,
        } = prepared;
        let ids: Vec<DocumentId> = docs.iter().map(|(id, _)| *id).collect();
        let mut grew = vec![];
        for (id, doc) in docs {
            if replace {
                self.docs.insert(id, doc);
            } else if self.docs.merge(id, doc) {
                grew.push(id);
            }
        }
        let mut fx = Effects::default();
        let (writes, again) = self.doc_writes(&grew, at);
        fx.writes = writes;
        for (id, summary) in again {
            if let Some(d) = derived.iter_mut().find(|(d, _)| *d == id) {
                d.1 = summary;
            }
        }
        self.show(&derived, &mut fx);
        self.changed(&ids, &mut fx);
        if replace {
            // The relay's version, offered to it again; nothing new to announce.
            fx = fx.then(self.retry_refused(ids[0]));
        } else {
            self.recount(&ids, &mut fx);
            fx.announce = ids;
        }
        self.follow_agreements(&derived, at, &mut fx);
        fx
    }

    /// The store could not make `prepared`'s writes durable: nothing changes in memory.
    pub fn abandon(&mut self, prepared: Prepared) {
        drop(prepared);
        self.saving = false;
    }

    fn check_not_saving(&self) -> Result<(), SaveError> {
        if self.saving {
            return Err(SaveError::not_saved(
                "another save is still in progress; try again in a moment",
            ));
        }
        Ok(())
    }

    /// The copies `docs` with their writes, the save begun.
    fn prepared(
        &mut self,
        docs: Vec<(DocumentId, Automerge)>,
        replace: bool,
        at: Timestamp,
    ) -> Prepared {
        let (writes, derived) = docs
            .iter()
            .map(|(id, doc)| self.doc_write(id, doc, at))
            .unzip();
        self.saving = true;
        Prepared {
            docs,
            writes,
            derived,
            replace,
            at,
        }
    }
}

/// Puts `team` at the document's root, where `crate::access::record_scope` reads it.
fn write_team(doc: &mut Automerge, team: &str, meta: &ChangeMeta) -> Result<(), String> {
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "team", team)
        .map_err(|e| e.to_string())?;
    tx.commit_with(meta.commit_options());
    Ok(())
}
