//! Verification campaign (ISO 20000 8.2.6): who checked which configuration items, how, and
//! when. A technician on site works through the campaign offline, typing or scanning asset
//! tags; each check is appended to a grow-only list, so two tablets checking the same campaign
//! offline both keep every check after they merge. The campaign does not edit the CIs itself:
//! [`apply_to_ci`] says what its checks add to a CI's own record.

use super::ci::{VERIFICATION, VERIFY_METHODS, tag_matches};
use super::journal::JOURNAL;
use crate::model::{
    self as m, Action, ChangeMeta, Facts, Field as F, FormField, Group, Input, Lookup, Record,
    RecordError, Section, Shape as S, Values, given,
};
use crate::workflow::WorkflowError;

pub const CAMPAIGN_STATUSES: m::Choices = m::Choices::new(&[
    ("planned", "Planned"),
    ("in_progress", "In progress"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
]);

/// What the technician found.
pub const CHECK_RESULTS: m::Choices = m::Choices::new(&[
    ("found_ok", "Found as registered"),
    ("discrepancy", "Found, with a discrepancy"),
    ("not_found", "Not found"),
]);

/// A CI in the campaign's scope, copied from the register when the campaign is planned, so a
/// tablet can find it by tag without holding every CI document.
pub const SCOPE_ITEM: &[F] = &[
    F::new("ci", S::Reference("configuration_item")),
    F::new("name", S::Text),
    F::new("asset_tag", S::Text),
    F::new("location", S::Text),
];

/// One check on site. Checks only grow: a second look at a CI is a new, later check.
pub const CHECK: &[F] = &[
    F::new("ci", S::Reference("configuration_item")),
    // The tag as the technician typed or scanned it.
    F::new("tag", S::Text),
    F::new("method", S::Choice(&VERIFY_METHODS)),
    F::new("result", S::Choice(&CHECK_RESULTS)),
    F::new("note", S::LongText),
    F::new("by", S::Text),
    F::new("device", S::Text),
    F::new("at", S::When),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    // The site whose CIs are in scope.
    F::new("site", S::Text),
    F::new("scope", S::List(&S::Group(SCOPE_ITEM))),
    F::new("checks", S::List(&S::Group(CHECK))),
    F::new("status", S::Choice(&CAMPAIGN_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a verification campaign",
    statuses: CAMPAIGN_STATUSES.options,
    moves: &[
        ("planned", &["in_progress", "cancelled"]),
        ("in_progress", &["completed", "cancelled"]),
        ("completed", &["in_progress"]),
    ],
    finished: &["completed", "cancelled"],
    reasons: &[("cancelled", "")],
};

/// Completing with CIs left unchecked needs a reason an auditor can read.
fn rules(r: &Record, to: &str, reason: &str, _: &Facts) -> Result<(), WorkflowError> {
    if to == "completed" && reason.is_empty() {
        let p = progress(r);
        if !p.unchecked.is_empty() {
            return Err(WorkflowError::UncheckedCis {
                unchecked: p.unchecked.len(),
                total: p.total,
            });
        }
    }
    Ok(())
}

/// Why a check could not be recorded, in the technician's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("type or scan the asset tag")]
    NoTag,
    #[error(
        "no CI in this campaign has the tag '{tag}'; check the tag, or log the item as a new CI"
    )]
    UnknownTag { tag: String },
    #[error("say what differs from the register (place, model, label, …)")]
    DiscrepancyWithoutNote,
    #[error("the campaign is {status}; reopen it to record more checks")]
    Finished { status: String },
    #[error("there are no CIs at {site} to verify; check the site name")]
    EmptyScope { site: String },
    #[error(transparent)]
    Rule(#[from] WorkflowError),
}

/// How far the campaign has got, counting each CI's latest check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    pub checked: usize,
    pub total: usize,
    pub found_ok: usize,
    pub discrepancies: usize,
    pub not_found: usize,
    /// CI record numbers not checked yet, in scope order.
    pub unchecked: Vec<String>,
}

/// The scope of a campaign over the CIs at `site` that are not retired.
pub fn scope(site: &str, cis: &[Record]) -> Vec<Group> {
    let site = site.trim();
    cis.iter()
        .filter(|ci| ci.str("site").trim().eq_ignore_ascii_case(site))
        .filter(|ci| ci.status() != "retired")
        .map(|ci| {
            Group::defaults(SCOPE_ITEM)
                .with("ci", ci.number())
                .with("name", ci.str("name"))
                .with("asset_tag", ci.str("asset_tag"))
                .with("location", ci.str("location"))
        })
        .collect()
}

/// The scope is the site's CIs on this device when the campaign is planned.
fn create(
    r: &mut Record,
    values: &Values,
    lookup: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let cis: Vec<Record> = lookup
        .all(super::ci::CONFIGURATION_ITEM.kind)
        .iter()
        .filter_map(|doc| Record::read(doc, &super::ci::CONFIGURATION_ITEM).ok())
        .collect();
    let site = given(values, "site");
    let scope = scope(site, &cis);
    if scope.is_empty() {
        let e = CampaignError::EmptyScope { site: site.into() };
        return Err(RecordError::invalid("Site", e));
    }
    let note = format!("Campaign planned: {} CIs at {site}", scope.len());
    r.set("site", site);
    r.set(
        "scope",
        scope.into_iter().map(m::Value::from).collect::<Vec<_>>(),
    );
    r.start(meta, &note);
    Ok(())
}

/// The CI in scope with this asset tag (or CI number), as typed or scanned.
pub fn find<'a>(campaign: &'a Record, tag: &str) -> Option<&'a Group> {
    campaign
        .groups("scope")
        .find(|item| tag_matches(item.str("asset_tag"), item.str("ci"), tag))
}

/// Records a check of the CI with `tag` (`method` and `result` are keys) and returns it. The
/// first check starts a planned campaign.
pub fn record_check(
    campaign: &mut Record,
    tag: &str,
    method: &str,
    result: &str,
    note: &str,
    meta: &ChangeMeta,
) -> Result<Group, CampaignError> {
    if LIFECYCLE.is_finished(campaign.status()) {
        return Err(CampaignError::Finished {
            status: LIFECYCLE.label(campaign.status()).to_lowercase(),
        });
    }
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(CampaignError::NoTag);
    }
    let ci = find(campaign, tag)
        .ok_or_else(|| CampaignError::UnknownTag { tag: tag.into() })?
        .str("ci")
        .to_string();
    let note = note.trim();
    if result == "discrepancy" && note.is_empty() {
        return Err(CampaignError::DiscrepancyWithoutNote);
    }
    if campaign.status() == "planned" {
        campaign.move_to("in_progress", "", &Facts::default(), meta)?;
    }
    let (result_label, method_label) = (
        CHECK_RESULTS.label(result).unwrap_or(result),
        VERIFY_METHODS.label(method).unwrap_or(method),
    );
    let line = match note {
        "" => format!("{ci}: {result_label} ({method_label})"),
        _ => format!("{ci}: {result_label} ({method_label}): {note}"),
    };
    campaign.log(meta, line);
    let check = Group::defaults(CHECK)
        .with("ci", ci)
        .with("tag", tag)
        .with("method", method)
        .with("result", result)
        .with("note", note)
        .with("by", meta.author.as_str())
        .with("device", meta.device.as_str())
        .with("at", meta.at);
    campaign.push("checks", check.clone());
    Ok(check)
}

/// Each checked CI's latest check (by time, then device, the same on every replica).
pub fn latest_checks(campaign: &Record) -> Vec<&Group> {
    let mut sorted: Vec<&Group> = campaign.groups("checks").collect();
    crate::order::sort_by(&mut sorted, |a, b| {
        a.at("at")
            .cmp(&b.at("at"))
            .then_with(|| a.str("device").cmp(b.str("device")))
    });
    let mut latest: Vec<&Group> = vec![];
    for check in sorted {
        latest.retain(|c| c.str("ci") != check.str("ci"));
        latest.push(check);
    }
    latest
}

/// n of m checked, and what was found.
pub fn progress(campaign: &Record) -> Progress {
    let latest = latest_checks(campaign);
    let count = |result: &str| latest.iter().filter(|c| c.str("result") == result).count();
    let scope: Vec<&Group> = campaign.groups("scope").collect();
    let unchecked: Vec<String> = scope
        .iter()
        .filter(|item| !latest.iter().any(|c| c.str("ci") == item.str("ci")))
        .map(|item| item.str("ci").to_string())
        .collect();
    Progress {
        checked: scope.len() - unchecked.len(),
        total: scope.len(),
        found_ok: count("found_ok"),
        discrepancies: count("discrepancy"),
        not_found: count("not_found"),
        unchecked,
    }
}

/// What the campaign's checks add to the CI's own record: one verification each (found
/// unless not found), so the CI's history and its last verification show them. Checks
/// already on the CI are not added again, so applying twice changes nothing. Returns how many
/// were added.
pub fn apply_to_ci(campaign: &Record, ci: &mut Record, meta: &ChangeMeta) -> usize {
    let mut added = 0;
    let number = ci.number().to_string();
    for check in campaign.groups("checks").filter(|c| c.str("ci") == number) {
        let note = match check.str("result") {
            "discrepancy" => format!("Discrepancy: {}", check.str("note")),
            _ => check.str("note").to_string(),
        };
        let verification = Group::defaults(VERIFICATION)
            .with("at", check.at("at"))
            .with("by", check.str("by"))
            .with("device", check.str("device"))
            .with("method", check.str("method"))
            .with("found", check.str("result") != "not_found")
            .with("note", note)
            .with("campaign", campaign.number());
        if !ci.groups("verifications").any(|v| *v == verification) {
            ci.push("verifications", verification);
            added += 1;
        }
    }
    if added > 0 {
        ci.log(
            meta,
            format!(
                "{added} check(s) from verification campaign {}",
                campaign.number()
            ),
        );
    }
    added
}

fn sections(r: &Record) -> Vec<Section> {
    let p = progress(r);
    let latest = latest_checks(r);
    vec![
        Section::text(
            "Progress",
            [format!(
                "{} of {} checked · {} found as registered · {} with a discrepancy · {} not found",
                p.checked, p.total, p.found_ok, p.discrepancies, p.not_found
            )],
        ),
        Section::text(
            "Scope",
            r.groups("scope").map(|item| {
                let check = latest.iter().find(|c| c.str("ci") == item.str("ci"));
                let state = check.map_or("not checked yet".to_string(), |c| {
                    let result = CHECK_RESULTS.label(c.str("result")).unwrap_or_default();
                    format!("{result} by {}", c.str("by"))
                });
                format!(
                    "{} {} ({}, tag {}): {state}",
                    item.str("ci"),
                    item.str("name"),
                    item.str("location"),
                    item.str("asset_tag")
                )
            }),
        ),
    ]
}

pub static VERIFICATION_CAMPAIGN: m::RecordType = m::RecordType {
    kind: "verification_campaign",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "VER",
    noun: "verification campaign",
    plural: "Verification campaigns",
    area: m::Area::Configuration,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    create,
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("site", "Site").required(),
    ],
    actions: &[Action {
        key: "check",
        label: "Check a CI",
        inputs: &[
            Input::new("tag", "Asset tag or CI number", S::Text)
                .required()
                .pick(m::Pick::Tag),
            Input::new("method", "How", S::Choice(&VERIFY_METHODS)),
            Input::new("result", "Result", S::Choice(&CHECK_RESULTS)),
            Input::new("note", "Note", S::LongText),
        ],
        apply: |r, values, _, meta| {
            let result = super::chosen(values, "result", "Result", &CHECK_RESULTS)?;
            let method = super::chosen(values, "method", "How", &VERIFY_METHODS)?;
            record_check(
                r,
                given(values, "tag"),
                method,
                result,
                given(values, "note"),
                meta,
            )
            .map_err(|e| RecordError::invalid("Check", e))?;
            Ok(())
        },
    }],
    sections,
    title: |r| r.str("name").to_string(),
    place: m::Place {
        site: "site",
        team: "",
        assignee: "",
    },
    ..m::RecordType::BASE
};
