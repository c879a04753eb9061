//! Reading a record in one pass per object instead of one lookup per field.
//!
//! autosurgeon hydrates (and, to find what changed, reconciles) a struct by asking the
//! document for each field in turn, and in automerge 0.12 each `get` costs about 2 µs (it
//! searches the compressed op columns), so an incident of ~150 values spent ~0.3 ms in lookups
//! alone. [`Prefetched`] answers the same questions from entries read with one `map_range` /
//! `list_range` per object, the first time that object is asked about. Object ids are the
//! document's own, so anything it does not cache (text, map ranges, parents) is passed
//! straight to the document. Writing through it (in a transaction) skips puts of values the
//! document already holds and forgets the cached entries of the object written, so a read
//! after a write sees the write.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::{Deref, RangeBounds};

use automerge::transaction::{Transactable, Transaction};
use automerge::{AutomergeError, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value, hydrate};

/// A value, its id, and whether other devices wrote concurrent values to the same place.
type Entry = (Value<'static>, ObjId, bool);

enum Entries {
    Map(HashMap<String, Entry>),
    List(Vec<Entry>),
    /// Text and anything else: not cached, read from the document.
    Other,
}

/// A document (`&Automerge`) or transaction (`&mut Transaction`) with a per-object read cache.
pub(crate) struct Prefetched<D> {
    doc: D,
    objects: RefCell<HashMap<ObjId, Entries>>,
}

impl<D: Deref> Prefetched<D>
where
    D::Target: ReadDoc,
{
    pub(crate) fn new(doc: D) -> Self {
        Self {
            doc,
            objects: RefCell::new(HashMap::new()),
        }
    }

    fn load(&self, obj: &ObjId) -> Entries {
        let doc = self.doc.deref();
        match doc.object_type(obj) {
            Ok(ObjType::Map | ObjType::Table) => Entries::Map(
                doc.map_range(obj, ..)
                    .map(|item| {
                        let id = item.id();
                        let entry = (item.value.into_value(), id, item.conflict);
                        (item.key.into_owned(), entry)
                    })
                    .collect(),
            ),
            Ok(ObjType::List) => Entries::List(
                doc.list_range(obj, ..)
                    .map(|item| {
                        let id = item.id();
                        (item.value.into_value(), id, item.conflict)
                    })
                    .collect(),
            ),
            _ => Entries::Other,
        }
    }
}

impl<D: Deref> autosurgeon::ReadDoc for Prefetched<D>
where
    D::Target: ReadDoc + autosurgeon::ReadDoc,
{
    type Parents<'b>
        = automerge::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<automerge::ChangeHash> {
        autosurgeon::ReadDoc::get_heads(&*self.doc)
    }

    fn get<P: Into<Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        let prop = prop.into();
        let mut objects = self.objects.borrow_mut();
        let entries = objects.entry(obj.clone()).or_insert_with(|| self.load(obj));
        let entry = match (entries, &prop) {
            (Entries::Map(map), Prop::Map(key)) => map.get(key.as_str()),
            (Entries::List(list), Prop::Seq(i)) => list.get(*i),
            _ => return ReadDoc::get(&*self.doc, obj, prop),
        };
        Ok(entry.map(|(value, id, _)| (value.clone(), id.clone())))
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
        ReadDoc::object_type(&*self.doc, obj).ok()
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> automerge::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
    {
        ReadDoc::map_range(&*self.doc, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> automerge::iter::ListRange<'_> {
        ReadDoc::list_range(&*self.doc, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        let obj = obj.as_ref();
        let mut objects = self.objects.borrow_mut();
        match objects.entry(obj.clone()).or_insert_with(|| self.load(obj)) {
            Entries::List(list) => list.len(),
            Entries::Map(map) => map.len(),
            Entries::Other => ReadDoc::length(&*self.doc, obj),
        }
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        ReadDoc::text(&*self.doc, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        ReadDoc::parents(&*self.doc, obj)
    }

    fn is_empty(&self) -> bool {
        autosurgeon::ReadDoc::is_empty(&*self.doc)
    }
}

impl<'d> Prefetched<&mut Transaction<'d>> {
    /// Whether `obj.prop` already holds exactly `value`, with no concurrent value beside it.
    fn holds(&self, obj: &ObjId, prop: &Prop, value: &ScalarValue) -> bool {
        let objects = self.objects.borrow();
        let entry = match (objects.get(obj), prop) {
            (Some(Entries::Map(map)), Prop::Map(key)) => map.get(key.as_str()),
            (Some(Entries::List(list)), Prop::Seq(i)) => list.get(*i),
            _ => None,
        };
        matches!(entry, Some((Value::Scalar(held), _, false)) if held.as_ref() == value)
    }

    /// Forgets what was read of `obj`: it is about to change.
    fn written<O: AsRef<ObjId>>(&mut self, obj: &O) -> &mut Transaction<'d> {
        self.objects.get_mut().remove(obj.as_ref());
        self.doc
    }
}

impl<'t, 'd> autosurgeon::Doc for Prefetched<&'t mut Transaction<'d>> {
    fn put<O: AsRef<ObjId>, P: Into<Prop>, V: Into<ScalarValue>>(
        &mut self,
        obj: O,
        prop: P,
        value: V,
    ) -> Result<(), AutomergeError> {
        // autosurgeon puts every field, changed or not, and automerge then searches its op
        // columns for each (~4 µs) only to find nothing to do. Skipping equal values here
        // makes an unchanged field cost a cache lookup. A conflicted field is still written:
        // putting the kept value is how a person confirms it.
        let (prop, value) = (prop.into(), value.into());
        if self.holds(obj.as_ref(), &prop, &value) {
            return Ok(());
        }
        Transactable::put(self.written(&obj), obj, prop, value)
    }

    fn put_object<O: AsRef<ObjId>, P: Into<Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::put_object(self.written(&obj), obj, prop, value)
    }

    fn insert<O: AsRef<ObjId>, V: Into<ScalarValue>>(
        &mut self,
        obj: O,
        index: usize,
        value: V,
    ) -> Result<(), AutomergeError> {
        Transactable::insert(self.written(&obj), obj, index, value)
    }

    fn insert_object<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        index: usize,
        value: ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::insert_object(self.written(&obj), obj, index, value)
    }

    fn increment<O: AsRef<ObjId>, P: Into<Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: i64,
    ) -> Result<(), AutomergeError> {
        Transactable::increment(self.written(&obj), obj, prop, value)
    }

    fn delete<O: AsRef<ObjId>, P: Into<Prop>>(
        &mut self,
        obj: O,
        prop: P,
    ) -> Result<(), AutomergeError> {
        Transactable::delete(self.written(&obj), obj, prop)
    }

    fn splice_text<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        pos: usize,
        del: isize,
        text: &str,
    ) -> Result<(), AutomergeError> {
        Transactable::splice_text(self.written(&obj), obj, pos, del, text)
    }

    fn update_text<O: AsRef<ObjId>>(&mut self, obj: O, text: &str) -> Result<(), AutomergeError> {
        Transactable::update_text(self.written(&obj), obj.as_ref(), text)
    }

    /// As autosurgeon's own implementation for a transaction: scalars are put, objects are
    /// created in one batch.
    fn batch_create<O: AsRef<ObjId>, P: Into<Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: hydrate::Value,
        insert: bool,
    ) -> Result<(), AutomergeError> {
        let prop = prop.into();
        let tx = self.written(&obj);
        match (value, prop) {
            (hydrate::Value::Scalar(v), Prop::Seq(i)) if insert => {
                Transactable::insert(tx, obj, i, v)
            }
            (hydrate::Value::Scalar(v), prop) => Transactable::put(tx, obj, prop, v),
            (value, prop) => {
                Transactable::batch_create_object(tx, obj.as_ref(), prop, &value, insert)
                    .map(|_| ())
            }
        }
    }

    fn init_root_from_hydrate(&mut self, value: &hydrate::Map) -> Result<(), AutomergeError> {
        Transactable::init_root_from_hydrate(self.written(&automerge::ROOT), value)
    }
}
