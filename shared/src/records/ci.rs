//! Configuration item and its relationships (ISO 20000 8.2.6), and the asset it may be
//! (8.2.5). CI changes are traceable: every edit is an Automerge change carrying its
//! `ChangeMeta`, and every action also appends to the work log.

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, record};
use super::journal::{StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    pub enum CiStatus {
        Planned = ("planned", "Planned"),
        Active = ("active", "Active"),
        Maintenance = ("maintenance", "In maintenance"),
        Retired = ("retired", "Retired"),
    }
}

labelled_enum! {
    pub enum RelationKind {
        DependsOn = ("depends_on", "depends on"),
        PartOf = ("part_of", "is part of"),
        RunsOn = ("runs_on", "runs on"),
    }
}

labelled_enum! {
    /// How a technician confirmed the CI on site.
    pub enum VerifyMethod {
        Scanned = ("scanned", "scanned its tag"),
        Typed = ("typed", "typed its tag"),
        Seen = ("seen", "saw it"),
    }
}

/// A relationship from this CI to another (by record number).
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Relationship {
    pub kind: RelationKind,
    pub target: String,
}

/// Who checked the CI, how, where and when. Verifications only grow.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Verification {
    pub at: Timestamp,
    pub by: String,
    pub device: String,
    pub method: VerifyMethod,
    /// False if the CI was not where the register says.
    pub found: bool,
    pub note: String,
    /// The verification campaign it belongs to, if any.
    pub campaign: String,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct ConfigurationItem {
    pub number: String,
    pub name: String,
    pub ci_type: String,
    pub description: String,
    pub status: CiStatus,
    pub site: String,
    pub location: String,
    pub owner: String,
    pub asset_tag: String,
    pub relationships: Vec<Relationship>,
    pub verifications: Vec<Verification>,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(ConfigurationItem, "configuration_item", "CI");
tracked!(ConfigurationItem, CiStatus);

static CI_LIFECYCLE: Lifecycle<CiStatus> = {
    use CiStatus::*;
    Lifecycle {
        noun: "a configuration item",
        moves: &[
            (Planned, &[Active, Retired]),
            (Active, &[Maintenance, Retired]),
            (Maintenance, &[Active, Retired]),
        ],
        finished: &[Retired],
    }
};

impl Workflow for ConfigurationItem {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<CiStatus> {
        &CI_LIFECYCLE
    }
}

impl ConfigurationItem {
    pub fn create(
        number: String,
        name: &str,
        ci_type: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if name.trim().is_empty() {
            return Err(WorkflowError::Empty("the CI name"));
        }
        let mut ci = ConfigurationItem {
            number,
            name: name.trim().into(),
            ci_type: ci_type.trim().into(),
            ..ConfigurationItem::default()
        };
        ci.start(meta, "CI registered");
        Ok(ci)
    }

    /// Adds a relationship (once).
    pub fn relate(
        &mut self,
        kind: RelationKind,
        target: &str,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        if target.trim().is_empty() || target == self.number {
            return Err(WorkflowError::Empty(
                "the related CI (and not this CI itself)",
            ));
        }
        let rel = Relationship {
            kind,
            target: target.trim().into(),
        };
        if !self.relationships.contains(&rel) {
            self.log(
                meta,
                format!("{} {} {}", self.number, kind.label(), rel.target),
            );
            self.relationships.push(rel);
        }
        Ok(())
    }

    /// Records an on-site verification.
    pub fn verify(
        &mut self,
        method: VerifyMethod,
        found: bool,
        note: &str,
        campaign: &str,
        meta: &ChangeMeta,
    ) {
        self.verifications.push(Verification {
            at: meta.at,
            by: meta.author.clone(),
            device: meta.device.clone(),
            method,
            found,
            note: note.trim().into(),
            campaign: campaign.into(),
        });
        let outcome = if found { "verified" } else { "NOT FOUND" };
        self.log(
            meta,
            format!("{} {outcome} ({})", meta.author, method.label()),
        );
    }

    /// When someone last found it where the register says.
    pub fn last_verified(&self) -> Option<Timestamp> {
        self.verifications
            .iter()
            .filter(|v| v.found)
            .map(|v| v.at)
            .max()
    }

    /// Whether the tag scanned or typed on site is this CI's.
    pub fn matches_tag(&self, tag: &str) -> bool {
        tag_matches(&self.asset_tag, &self.number, tag)
    }
}

/// Whether a tag typed or scanned on site names the CI with `asset_tag` and record `number`:
/// either matches, ignoring case and surrounding spaces (labels fade, people type lower case).
pub fn tag_matches(asset_tag: &str, number: &str, typed: &str) -> bool {
    let typed = typed.trim();
    !typed.is_empty()
        && (asset_tag.trim().eq_ignore_ascii_case(typed) || number.eq_ignore_ascii_case(typed))
}

labelled_enum! {
    pub enum AssetStatus {
        Ordered = ("ordered", "Ordered"),
        InStock = ("in_stock", "In stock"),
        Deployed = ("deployed", "Deployed"),
        InRepair = ("in_repair", "In repair"),
        Retired = ("retired", "Retired"),
        Disposed = ("disposed", "Disposed"),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Asset {
    pub number: String,
    pub tag: String,
    pub model: String,
    pub serial: String,
    pub owner: String,
    pub location: String,
    pub warranty_until: Option<Timestamp>,
    /// The contract record number (support, lease).
    pub contract: String,
    /// The CI record number, when the asset is also a CI.
    pub ci: String,
    pub status: AssetStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Asset, "asset", "AST");
tracked!(Asset, AssetStatus);

static ASSET_LIFECYCLE: Lifecycle<AssetStatus> = {
    use AssetStatus::*;
    Lifecycle {
        noun: "an asset",
        moves: &[
            (Ordered, &[InStock, Retired]),
            (InStock, &[Deployed, Retired]),
            (Deployed, &[InStock, InRepair, Retired]),
            (InRepair, &[Deployed, InStock, Retired]),
            (Retired, &[Disposed]),
        ],
        finished: &[Disposed],
    }
};

impl Workflow for Asset {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<AssetStatus> {
        &ASSET_LIFECYCLE
    }

    /// A deployed asset must be somewhere and someone's.
    fn check(&self, to: AssetStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        if to == AssetStatus::Deployed
            && (self.owner.trim().is_empty() || self.location.trim().is_empty())
        {
            return Err(WorkflowError::Missing {
                what: "an owner and a location",
                noun: "an asset",
                status: "deployed".into(),
            });
        }
        Ok(())
    }
}

impl Asset {
    pub fn create(
        number: String,
        tag: &str,
        model: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if tag.trim().is_empty() {
            return Err(WorkflowError::Empty("the asset tag"));
        }
        let mut asset = Asset {
            number,
            tag: tag.trim().into(),
            model: model.trim().into(),
            ..Asset::default()
        };
        asset.start(meta, "Asset registered");
        Ok(asset)
    }

    pub fn under_warranty(&self, now: Timestamp) -> bool {
        self.warranty_until.is_some_and(|until| now <= until)
    }
}

// ---------------------------------------------------------------- the record engine's descriptions

use crate::model::{self as m, Field as F, Shape as S};

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
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static CI_STATUS_FLOW: m::Lifecycle = m::Lifecycle {
    noun: "a configuration item",
    statuses: &CI_STATUSES,
    moves: &[
        ("planned", &["active", "retired"]),
        ("active", &["maintenance", "retired"]),
        ("maintenance", &["active", "retired"]),
    ],
    finished: &["retired"],
    reasons: &[],
};

pub static CONFIGURATION_ITEM: m::RecordType = m::RecordType {
    kind: "configuration_item",
    prefix: "CI",
    noun: "configuration item",
    plural: "Configuration items",
    area: m::Area::Configuration,
    fields: CI_FIELDS,
    lifecycle: &CI_STATUS_FLOW,
    logged: "CI registered",
    title: |r| r.str("name").to_string(),
    place: m::Place {
        site: "site",
        team: "",
        assignee: "owner",
    },
    ..m::RecordType::BASE
};

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
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static ASSET_STATUS_FLOW: m::Lifecycle = m::Lifecycle {
    noun: "an asset",
    statuses: &ASSET_STATUSES,
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
fn asset_rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
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
    prefix: "AST",
    noun: "asset",
    plural: "Assets",
    area: m::Area::Configuration,
    fields: ASSET_FIELDS,
    lifecycle: &ASSET_STATUS_FLOW,
    rules: asset_rules,
    logged: "Asset registered",
    title: |r| {
        format!("{} {}", r.str("tag"), r.str("model"))
            .trim()
            .to_string()
    },
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};
