//! Configuration item and its relationships (ISO 20000 8.2.6), and the asset it may be
//! (8.2.5). CI changes are traceable: every edit is an Automerge change carrying its
//! `ChangeMeta`, and every action also appends to the work log.

use super::journal::JOURNAL;
use crate::model::Pick;
use crate::model::{
    self as m, Action, ChangeMeta, Facts, Field as F, FormField, Group, Input, Lookup, Record,
    RecordError, Section, Shape as S, Values, given,
};
use crate::workflow::WorkflowError;

pub const CI_STATUSES: m::Choices = m::Choices::new(&[
    ("planned", "Planned"),
    ("active", "Active"),
    ("maintenance", "In maintenance"),
    ("retired", "Retired"),
]);

pub const RELATION_KINDS: m::Choices = m::Choices::new(&[
    ("depends_on", "depends on"),
    ("part_of", "is part of"),
    ("runs_on", "runs on"),
    ("connected_to", "is connected to"),
]);

/// How a technician confirmed the CI on site.
pub const VERIFY_METHODS: m::Choices = m::Choices::new(&[
    ("scanned", "scanned its tag"),
    ("typed", "typed its tag"),
    ("seen", "saw it"),
]);

/// A relationship from this CI to another.
pub const RELATIONSHIP: &[F] = &[
    F::new("kind", S::Choice(&RELATION_KINDS)),
    F::new("target", S::Reference("configuration_item")),
];

/// Who checked the CI, how, where and when. Verifications only grow.
pub const VERIFICATION: &[F] = &[
    F::new("at", S::When),
    F::new("by", S::Text),
    F::new("device", S::Text),
    F::new("method", S::Choice(&VERIFY_METHODS)),
    // False if the CI was not where the register says.
    F::new("found", S::Bool),
    F::new("note", S::LongText),
    // The verification campaign it belongs to, if any.
    F::new("campaign", S::Text),
];

pub const CI_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("ci_type", S::Text),
    F::new("description", S::LongText),
    F::new("status", S::Choice(&CI_STATUSES)),
    F::new("site", S::Text),
    F::new("location", S::Text),
    F::new("owner", S::Text),
    F::new("asset_tag", S::Text),
    F::new("relationships", S::List(&S::Group(RELATIONSHIP))),
    F::new("verifications", S::List(&S::Group(VERIFICATION))),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static CI_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a configuration item",
    statuses: CI_STATUSES.options,
    moves: &[
        ("planned", &["active", "retired"]),
        ("active", &["maintenance", "retired"]),
        ("maintenance", &["active", "retired"]),
    ],
    finished: &["retired"],
    reasons: &[],
};

/// Adds a relationship (once).
fn relate(
    r: &mut Record,
    values: &Values,
    _: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let kind = super::chosen(values, "kind", "This CI", &RELATION_KINDS)?;
    let target = given(values, "target");
    if target.is_empty() || target == r.number() {
        return Err(WorkflowError::Empty("the related CI (and not this CI itself)").into());
    }
    let relationship = Group::defaults(RELATIONSHIP)
        .with("kind", kind)
        .with("target", target);
    // Once per kind and target, whether held as a link or as text.
    let held = |g: &Group| g.str("kind") == kind && g.str("target").eq_ignore_ascii_case(target);
    if !r.groups("relationships").any(held) {
        let line = format!(
            "{} {} {target}",
            r.number(),
            RELATION_KINDS.label(kind).unwrap_or_default()
        );
        r.log(meta, line);
        r.push("relationships", relationship);
    }
    Ok(())
}

/// Records an on-site verification.
fn verify(
    r: &mut Record,
    values: &Values,
    _: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let method = super::chosen(values, "method", "How", &VERIFY_METHODS)?;
    let found = given(values, "found") == "true";
    r.push(
        "verifications",
        Group::defaults(VERIFICATION)
            .with("at", meta.at)
            .with("by", meta.author.as_str())
            .with("device", meta.device.as_str())
            .with("method", method)
            .with("found", found)
            .with("note", given(values, "note")),
    );
    let outcome = if found { "verified" } else { "NOT FOUND" };
    let how = VERIFY_METHODS.label(method).unwrap_or_default();
    r.log(meta, format!("{} {outcome} ({how})", meta.author));
    Ok(())
}

fn ci_sections(r: &Record) -> Vec<Section> {
    vec![
        Section::text(
            "Relationships",
            r.groups("relationships").map(|rel| {
                format!(
                    "{} {} {}",
                    r.number(),
                    RELATION_KINDS.label(rel.str("kind")).unwrap_or_default(),
                    rel.str("target")
                )
            }),
        ),
        Section::text(
            "Verifications",
            r.groups("verifications").map(|v| {
                let found = if v.bool("found") {
                    "Found"
                } else {
                    "NOT FOUND"
                };
                let note = match v.str("note") {
                    "" => String::new(),
                    note => format!(": {note}"),
                };
                format!(
                    "{found} by {} ({}){note}",
                    v.str("by"),
                    VERIFY_METHODS.label(v.str("method")).unwrap_or_default()
                )
            }),
        ),
    ]
}

pub static CONFIGURATION_ITEM: m::RecordType = m::RecordType {
    kind: "configuration_item",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "CI",
    noun: "configuration item",
    plural: "Configuration items",
    area: m::Area::Configuration,
    fields: CI_FIELDS,
    lifecycle: &CI_LIFECYCLE,
    logged: "CI registered",
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("ci_type", "Type"),
        FormField::new("description", "Description"),
        FormField::new("site", "Site"),
        FormField::new("location", "Location"),
        FormField::new("owner", "Owner").pick(Pick::Person),
        FormField::new("asset_tag", "Asset tag"),
    ],
    actions: &[
        Action {
            key: "relate",
            label: "Add a relationship",
            inputs: &[
                Input::new("kind", "This CI", S::Choice(&RELATION_KINDS)),
                Input::new("target", "CI", S::Reference("configuration_item")).required(),
            ],
            apply: relate,
        },
        Action {
            key: "verify",
            label: "Verify on site",
            inputs: &[
                Input::new("method", "How", S::Choice(&VERIFY_METHODS)),
                Input::new("found", "Found where the register says", S::Bool),
                Input::new("note", "Note", S::LongText),
            ],
            apply: verify,
        },
    ],
    sections: ci_sections,
    title: |r| r.str("name").to_string(),
    place: m::Place {
        site: "site",
        team: "",
        assignee: "owner",
    },
    ..m::RecordType::BASE
};

/// Whether a tag typed or scanned on site names the CI with `asset_tag` and record `number`:
/// either matches, ignoring case and surrounding spaces (labels fade, people type lower case).
pub fn tag_matches(asset_tag: &str, number: &str, typed: &str) -> bool {
    let typed = typed.trim();
    !typed.is_empty()
        && (asset_tag.trim().eq_ignore_ascii_case(typed) || number.eq_ignore_ascii_case(typed))
}

/// When someone last found the CI where the register says.
pub fn last_verified(ci: &Record) -> Option<crate::time::Timestamp> {
    ci.groups("verifications")
        .filter(|v| v.bool("found"))
        .map(|v| v.at("at"))
        .max()
}

pub const ASSET_STATUSES: m::Choices = m::Choices::new(&[
    ("ordered", "Ordered"),
    ("in_stock", "In stock"),
    ("deployed", "Deployed"),
    ("in_repair", "In repair"),
    ("retired", "Retired"),
    ("disposed", "Disposed"),
]);

pub const ASSET_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("tag", S::Text),
    F::new("model", S::Text),
    F::new("serial", S::Text),
    F::new("owner", S::Text),
    F::new("location", S::Text),
    F::new("warranty_until", S::Optional(&S::When)),
    // The contract (support, lease), and the CI when the asset is also one.
    F::new("contract", S::Reference("contract")),
    F::new("ci", S::Reference("configuration_item")),
    F::new("status", S::Choice(&ASSET_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static ASSET_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "an asset",
    statuses: ASSET_STATUSES.options,
    moves: &[
        ("ordered", &["in_stock", "retired"]),
        ("in_stock", &["deployed", "retired"]),
        ("deployed", &["in_stock", "in_repair", "retired"]),
        ("in_repair", &["deployed", "in_stock", "retired"]),
        ("retired", &["disposed"]),
    ],
    finished: &["disposed"],
    reasons: &[],
};

/// A deployed asset must be somewhere and someone's.
fn asset_rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
    if to == "deployed" && (r.str("owner").trim().is_empty() || r.str("location").trim().is_empty())
    {
        return Err(WorkflowError::Missing {
            what: "an owner and a location",
            noun: "an asset",
            status: "deployed".into(),
        });
    }
    Ok(())
}

pub static ASSET: m::RecordType = m::RecordType {
    kind: "asset",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "AST",
    noun: "asset",
    plural: "Assets",
    area: m::Area::Configuration,
    fields: ASSET_FIELDS,
    lifecycle: &ASSET_LIFECYCLE,
    rules: asset_rules,
    logged: "Asset registered",
    form: &[
        FormField::new("tag", "Asset tag").required(),
        FormField::new("model", "Model"),
        FormField::new("serial", "Serial number"),
        FormField::new("owner", "Owner").pick(Pick::Person),
        FormField::new("location", "Location"),
        FormField::new("warranty_until", "Warranty until"),
        FormField::new("contract", "Contract (number)"),
        FormField::new("ci", "Configuration item (number)"),
    ],
    title: |r| {
        format!("{} {}", r.str("tag"), r.str("model"))
            .trim()
            .to_string()
    },
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

/// Whether the asset is under warranty at `now`.
pub fn under_warranty(asset: &Record, now: crate::time::Timestamp) -> bool {
    asset
        .when("warranty_until")
        .is_some_and(|until| now <= until)
}
