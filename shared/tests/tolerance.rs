//! One odd write never jams a record (issue 14): documents of every record type written with
//! each reasonable shape of each field (string or text, int, uint, f64, counter or timestamp
//! for numbers, null or nothing for a default), with keys no field names, and with values of
//! the wrong type, always read, never panic, read every readable value as written, mark the
//! rest, and round-trip through a write that keeps what it could not read and what it does not
//! know; writing a marked field repairs it.

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ObjId, ObjType, Prop, ReadDoc, ScalarValue};
use proptest::prelude::*;
use shared::model::{ChangeMeta, Field, Group, Record, RecordType, Shape, Value};
use shared::records::TYPES;
use shared::time::Timestamp;

fn meta() -> ChangeMeta {
    ChangeMeta {
        author: "ana".into(),
        device: "ana-tablet".into(),
        at: Timestamp(1_795_392_000_000),
    }
}

/// A valid value of `shape`.
fn value(shape: &'static Shape) -> BoxedStrategy<Value> {
    match shape {
        Shape::Text | Shape::LongText | Shape::Reference(_) => {
            "[a-zA-Z0-9 äé→-]{0,10}".prop_map(Value::Str).boxed()
        }
        Shape::Count { max } => (0..=*max).prop_map(Value::Uint).boxed(),
        Shape::Decimal => (-1.0e6..1.0e6f64).prop_map(Value::F64).boxed(),
        Shape::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::When => (-1_000_000_000_000i64..5_000_000_000_000)
            .prop_map(Value::Int)
            .boxed(),
        Shape::Choice(choices) => prop::sample::select(choices.options)
            .prop_map(|(k, _)| Value::Str(k.into()))
            .boxed(),
        Shape::Optional(inner) => prop_oneof![Just(Value::Null), value(inner)].boxed(),
        Shape::List(inner) => prop::collection::vec(value(inner), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Shape::Group(fields) => group(fields).prop_map(Value::Group).boxed(),
    }
}

fn group(fields: &'static [Field]) -> BoxedStrategy<Group> {
    let strategies: Vec<BoxedStrategy<Value>> = fields.iter().map(|f| value(&f.shape)).collect();
    strategies
        .prop_map(move |values| {
            fields
                .iter()
                .zip(values)
                .fold(Group::defaults(fields), |g, (f, v)| g.with(f.key, v))
        })
        .boxed()
}

/// Random choices, consumed as the document is written.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % sides
    }
}

/// What a field should read as once written by [`write_value`].
#[derive(Debug)]
enum Expect {
    Value(Value),
    Unreadable,
    Group(Vec<(&'static str, Expect)>),
    List(Vec<Expect>),
}

fn matches(value: &Value, expect: &Expect) -> bool {
    match (value, expect) {
        (Value::Unreadable(_), Expect::Unreadable) => true,
        (v, Expect::Value(want)) => v == want,
        (Value::Group(g), Expect::Group(fields)) => {
            fields.iter().all(|(k, e)| matches(g.get(k), e))
        }
        (Value::List(items), Expect::List(want)) => {
            items.len() == want.len() && items.iter().zip(want).all(|(v, e)| matches(v, e))
        }
        _ => false,
    }
}

/// Another program writing a record: in any reasonable shape, and now and then (when `corrupt`)
/// a value of the wrong type.
struct Peer {
    dice: Dice,
    corrupt: bool,
}

impl Peer {
    /// Writes `value` at `obj`.`prop`; returns what it should read as.
    fn write_value(
        &mut self,
        tx: &mut Transaction<'_>,
        obj: &ObjId,
        prop: Prop,
        insert: bool,
        shape: &Shape,
        value: &Value,
    ) -> Expect {
        let dice = &mut self.dice;
        if self.corrupt && dice.roll(6) == 0 {
            let odd: &[ScalarValue] = match shape {
                Shape::Text | Shape::LongText | Shape::Reference(_) => &[ScalarValue::Int(7)],
                Shape::Choice(_) => &[ScalarValue::Str("whenever".into()), ScalarValue::Uint(2)],
                Shape::Count { .. } | Shape::When | Shape::Decimal => {
                    &[ScalarValue::Str("12".into()), ScalarValue::Boolean(true)]
                }
                Shape::Bool => &[ScalarValue::Str("yes".into()), ScalarValue::Uint(1)],
                Shape::Optional(_) => &[ScalarValue::Str("odd".into())],
                Shape::List(_) | Shape::Group(_) => &[ScalarValue::Str("not a list".into())],
            };
            let odd = odd[dice.roll(odd.len() as u64) as usize].clone();
            match (shape, dice.roll(2)) {
                // An object where a scalar belongs.
                (Shape::Text | Shape::Count { .. } | Shape::Bool | Shape::When, 0) => {
                    let map = put_object(tx, obj, prop, insert, ObjType::Map);
                    tx.put(&map, "odd", 1_i64).unwrap();
                }
                _ => put(tx, obj, prop, insert, odd),
            }
            return Expect::Unreadable;
        }
        match (shape, value) {
            (Shape::Optional(inner), v) if *v != Value::Null => {
                self.write_value(tx, obj, prop, insert, inner, v)
            }
            (Shape::List(inner), Value::List(items)) => {
                let list = put_object(tx, obj, prop, insert, ObjType::List);
                Expect::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| self.write_value(tx, &list, Prop::Seq(i), true, inner, v))
                        .collect(),
                )
            }
            (Shape::Group(fields), Value::Group(g)) => {
                let map = put_object(tx, obj, prop, insert, ObjType::Map);
                Expect::Group(self.write_fields(tx, &map, fields, g))
            }
            (_, Value::Str(s)) => {
                let dice = &mut self.dice;
                let s = match (shape, dice.roll(4)) {
                    // Another program may write a choice's key in capitals.
                    (Shape::Choice(_), 0) => s.to_uppercase(),
                    _ => s.clone(),
                };
                if dice.roll(2) == 0 {
                    put(tx, obj, prop, insert, ScalarValue::Str(s.as_str().into()));
                } else {
                    let text = put_object(tx, obj, prop, insert, ObjType::Text);
                    tx.splice_text(&text, 0, 0, &s).unwrap();
                }
                Expect::Value(value.clone())
            }
            (_, v) => {
                put(tx, obj, prop, insert, number_shape(v, &mut self.dice));
                Expect::Value(value.clone())
            }
        }
    }

    fn write_fields(
        &mut self,
        tx: &mut Transaction<'_>,
        map: &ObjId,
        fields: &'static [Field],
        g: &Group,
    ) -> Vec<(&'static str, Expect)> {
        let mut expect = vec![];
        for field in fields {
            let v = g.get(field.key);
            // A field at its default may be missing, or null.
            if *v == field.default_value() && self.dice.roll(3) == 0 {
                if self.dice.roll(2) == 0 {
                    tx.put(map, field.key, ScalarValue::Null).unwrap();
                }
                expect.push((field.key, Expect::Value(v.clone())));
                continue;
            }
            let key = Prop::Map(field.key.into());
            let e = self.write_value(tx, map, key, false, &field.shape, v);
            expect.push((field.key, e));
        }
        // A key no field names.
        if self.dice.roll(3) == 0 {
            tx.put(map, "x_extra", "kept").unwrap();
        }
        expect
    }
}

/// A scalar value in one of the representations that hold it exactly.
fn number_shape(value: &Value, dice: &mut Dice) -> ScalarValue {
    let exact = |n: i128| (n.unsigned_abs() < 1 << 53).then_some(n as f64);
    let options: Vec<ScalarValue> = match value {
        Value::Uint(n) => [
            Some(ScalarValue::Uint(*n)),
            i64::try_from(*n).ok().map(ScalarValue::Int),
            exact(*n as i128).map(ScalarValue::F64),
            i64::try_from(*n)
                .ok()
                .map(|n| ScalarValue::Counter(n.into())),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Value::Int(n) => [
            Some(ScalarValue::Int(*n)),
            u64::try_from(*n).ok().map(ScalarValue::Uint),
            exact(*n as i128).map(ScalarValue::F64),
            Some(ScalarValue::Timestamp(*n)),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Value::F64(x) => {
            let whole = (x.fract() == 0.0).then_some(*x as i64);
            [
                Some(ScalarValue::F64(*x)),
                whole.map(ScalarValue::Int),
                whole
                    .and_then(|n| u64::try_from(n).ok())
                    .map(ScalarValue::Uint),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
        Value::Bool(b) => vec![ScalarValue::Boolean(*b)],
        _ => vec![ScalarValue::Null],
    };
    options[dice.roll(options.len() as u64) as usize].clone()
}

fn put(tx: &mut Transaction<'_>, obj: &ObjId, prop: Prop, insert: bool, v: ScalarValue) {
    match (prop, insert) {
        (Prop::Seq(i), true) => tx.insert(obj, i, v).unwrap(),
        (prop, _) => tx.put(obj, prop, v).unwrap(),
    }
}

fn put_object(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    prop: Prop,
    insert: bool,
    t: ObjType,
) -> ObjId {
    match (prop, insert) {
        (Prop::Seq(i), true) => tx.insert_object(obj, i, t).unwrap(),
        (prop, _) => tx.put_object(obj, prop, t).unwrap(),
    }
}

/// A record of each type with every field.
fn any_record() -> impl Strategy<Value = (&'static RecordType, Group, u64, bool)> {
    (0..TYPES.len()).prop_flat_map(|i| {
        let ty = TYPES[i];
        (Just(ty), group(ty.fields), any::<u64>(), any::<bool>())
    })
}

/// Every `x_extra` key of the document, by path.
fn extras(doc: &Automerge, obj: &ObjId, path: &str, found: &mut Vec<String>) {
    for item in doc.map_range(obj, ..) {
        let here = format!("{path}.{}", item.key);
        if item.key == "x_extra" {
            found.push(here.clone());
        }
        if matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
            extras(doc, &item.id(), &here, found);
        }
        if matches!(item.value, automerge::ValueRef::Object(ObjType::List)) {
            for (i, entry) in doc.list_range(item.id(), ..).enumerate() {
                if matches!(entry.value, automerge::ValueRef::Object(ObjType::Map)) {
                    extras(doc, &entry.id(), &format!("{here}[{i}]"), found);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_reasonable_shape_reads_and_round_trips((ty, fields, seed, corrupt) in any_record()) {
        let mut peer = Peer { dice: Dice(seed | 1), corrupt };
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "type", ty.kind).unwrap();
        tx.put(automerge::ROOT, "schema", ty.schema()).unwrap();
        let expect = peer.write_fields(&mut tx, &automerge::ROOT, ty.fields, &fields);
        tx.commit();

        // Reads, whatever was written; every readable value as written, the rest marked.
        let record = Record::read(&doc, ty).unwrap();
        for (key, e) in &expect {
            prop_assert!(matches(record.get(key), e), "{}.{key}: read {:?}, expected {e:?}", ty.kind, record.get(key));
        }
        if !corrupt {
            prop_assert!(record.unreadable().is_empty(), "{:?}", record.unreadable());
        }

        // Written back: reads the same (unreadable values and unknown keys kept as they are).
        let mut before = vec![];
        extras(&doc, &automerge::ROOT, "", &mut before);
        record.write(&mut doc, &meta()).unwrap();
        prop_assert_eq!(&Record::read(&doc, ty).unwrap(), &record);
        let mut after = vec![];
        extras(&doc, &automerge::ROOT, "", &mut after);
        prop_assert_eq!(before, after);

        // Writing a field that could not be read repairs it.
        let mut repaired = record.clone();
        for field in ty.fields {
            if repaired.get(field.key).is_unreadable() {
                repaired.set(field.key, field.default_value());
            }
        }
        repaired.write(&mut doc, &meta()).unwrap();
        let again = Record::read(&doc, ty).unwrap();
        prop_assert_eq!(&again, &repaired);
        for field in ty.fields {
            prop_assert!(!again.get(field.key).is_unreadable(), "{} still unreadable", field.key);
        }
    }
}
