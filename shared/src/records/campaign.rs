//! Verification campaign (ISO 20000 8.2.6): who checked which configuration items, how, and
//! when. A technician on site works through the campaign offline, typing or scanning asset
//! tags; each check is appended to a grow-only list, so two tablets checking the same campaign
//! offline both keep every check after they merge. The campaign does not edit the CIs itself:
//! [`VerificationCampaign::apply_to_ci`] says what its checks add to a CI's own record.

use autosurgeon::{Hydrate, Reconcile};

use super::ci::{CiStatus, ConfigurationItem, Verification, VerifyMethod, tag_matches};
use super::document::{ChangeMeta, record};
use super::journal::{StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    pub enum CampaignStatus {
        Planned = ("planned", "Planned"),
        InProgress = ("in_progress", "In progress"),
        Completed = ("completed", "Completed"),
        Cancelled = ("cancelled", "Cancelled"),
    }
}

labelled_enum! {
    /// What the technician found.
    pub enum CheckResult {
        FoundOk = ("found_ok", "Found as registered"),
        Discrepancy = ("discrepancy", "Found, with a discrepancy"),
        NotFound = ("not_found", "Not found"),
    }
}

/// A CI in the campaign's scope, copied from the register when the campaign is planned, so
/// a tablet can find it by tag without holding every CI document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct ScopeItem {
    /// The CI record number.
    pub ci: String,
    pub name: String,
    pub asset_tag: String,
    pub location: String,
}

impl ScopeItem {
    pub fn matches_tag(&self, tag: &str) -> bool {
        tag_matches(&self.asset_tag, &self.ci, tag)
    }
}

/// One check on site. Checks only grow: a second look at a CI is a new, later check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct CampaignCheck {
    /// The CI record number.
    pub ci: String,
    /// The tag as the technician typed or scanned it.
    pub tag: String,
    pub method: VerifyMethod,
    pub result: CheckResult,
    pub note: String,
    pub by: String,
    pub device: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct VerificationCampaign {
    pub number: String,
    pub name: String,
    /// The site whose CIs are in scope.
    pub site: String,
    pub scope: Vec<ScopeItem>,
    pub checks: Vec<CampaignCheck>,
    pub status: CampaignStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(VerificationCampaign, "verification_campaign", "VER");
tracked!(VerificationCampaign, CampaignStatus);

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

static OLD_LIFECYCLE: Lifecycle<CampaignStatus> = {
    use CampaignStatus::*;
    Lifecycle {
        noun: "a verification campaign",
        moves: &[
            (Planned, &[InProgress, Cancelled]),
            (InProgress, &[Completed, Cancelled]),
            (Completed, &[InProgress]),
        ],
        finished: &[Completed, Cancelled],
    }
};

impl Workflow for VerificationCampaign {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<CampaignStatus> {
        &OLD_LIFECYCLE
    }

    /// Completing with CIs left unchecked, or cancelling, needs a reason an auditor can read.
    fn check(&self, to: CampaignStatus, reason: &str, _: &()) -> Result<(), WorkflowError> {
        match to {
            CampaignStatus::Completed if reason.is_empty() => {
                let progress = self.progress();
                let unchecked = progress.unchecked.len();
                if unchecked > 0 {
                    return Err(WorkflowError::UncheckedCis {
                        unchecked,
                        total: progress.total,
                    });
                }
                Ok(())
            }
            CampaignStatus::Cancelled if reason.is_empty() => Err(WorkflowError::ReasonRequired {
                status: "cancelled".into(),
                consequence: "",
            }),
            _ => Ok(()),
        }
    }
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

impl VerificationCampaign {
    /// Plans a campaign over the CIs at `site` that are not retired.
    pub fn plan(
        number: String,
        name: &str,
        site: &str,
        cis: &[ConfigurationItem],
        meta: &ChangeMeta,
    ) -> Result<Self, CampaignError> {
        if name.trim().is_empty() {
            return Err(WorkflowError::Empty("the campaign name").into());
        }
        let site = site.trim();
        let scope: Vec<ScopeItem> = cis
            .iter()
            .filter(|ci| ci.site.trim().eq_ignore_ascii_case(site))
            .filter(|ci| ci.status != CiStatus::Retired)
            .map(|ci| ScopeItem {
                ci: ci.number.clone(),
                name: ci.name.clone(),
                asset_tag: ci.asset_tag.clone(),
                location: ci.location.clone(),
            })
            .collect();
        if scope.is_empty() {
            return Err(CampaignError::EmptyScope { site: site.into() });
        }
        let mut campaign = VerificationCampaign {
            number,
            name: name.trim().into(),
            site: site.into(),
            scope,
            ..Default::default()
        };
        let note = format!("Campaign planned: {} CIs at {site}", campaign.scope.len());
        campaign.start(meta, &note);
        Ok(campaign)
    }

    /// The CI in scope with this asset tag (or CI number), as typed or scanned.
    pub fn find(&self, tag: &str) -> Option<&ScopeItem> {
        self.scope.iter().find(|item| item.matches_tag(tag))
    }

    /// Records a check of the CI with `tag` and returns it. The first check starts a planned
    /// campaign.
    pub fn record_check(
        &mut self,
        tag: &str,
        method: VerifyMethod,
        result: CheckResult,
        note: &str,
        meta: &ChangeMeta,
    ) -> Result<CampaignCheck, CampaignError> {
        if OLD_LIFECYCLE.is_finished(self.status) {
            return Err(CampaignError::Finished {
                status: self.status.label().to_lowercase(),
            });
        }
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(CampaignError::NoTag);
        }
        let ci = self
            .find(tag)
            .ok_or_else(|| CampaignError::UnknownTag { tag: tag.into() })?
            .ci
            .clone();
        let note = note.trim();
        if result == CheckResult::Discrepancy && note.is_empty() {
            return Err(CampaignError::DiscrepancyWithoutNote);
        }
        if self.status == CampaignStatus::Planned {
            self.move_to(CampaignStatus::InProgress, "", meta)?;
        }
        let line = match note {
            "" => format!("{ci}: {} ({})", result.label(), method.label()),
            _ => format!("{ci}: {} ({}): {note}", result.label(), method.label()),
        };
        self.log(meta, line);
        let check = CampaignCheck {
            ci,
            tag: tag.into(),
            method,
            result,
            note: note.into(),
            by: meta.author.clone(),
            device: meta.device.clone(),
            at: meta.at,
        };
        self.checks.push(check.clone());
        Ok(check)
    }

    /// Each checked CI's latest check (by time, then list order, the same on every replica).
    pub fn latest_checks(&self) -> Vec<&CampaignCheck> {
        let mut latest: Vec<&CampaignCheck> = vec![];
        let mut sorted: Vec<&CampaignCheck> = self.checks.iter().collect();
        sorted.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.device.cmp(&b.device)));
        for check in sorted {
            latest.retain(|c| c.ci != check.ci);
            latest.push(check);
        }
        latest
    }

    /// n of m checked, and what was found.
    pub fn progress(&self) -> Progress {
        let latest = self.latest_checks();
        let count = |r: CheckResult| latest.iter().filter(|c| c.result == r).count();
        let unchecked: Vec<String> = self
            .scope
            .iter()
            .filter(|item| !latest.iter().any(|c| c.ci == item.ci))
            .map(|item| item.ci.clone())
            .collect();
        Progress {
            checked: self.scope.len() - unchecked.len(),
            total: self.scope.len(),
            found_ok: count(CheckResult::FoundOk),
            discrepancies: count(CheckResult::Discrepancy),
            not_found: count(CheckResult::NotFound),
            unchecked,
        }
    }

    /// What the campaign's checks add to the CI's own record: one verification each (found
    /// unless not found), so the CI's history and [`ConfigurationItem::last_verified`] show
    /// them. Checks already on the CI are not added again, so applying twice changes nothing.
    /// Returns how many were added.
    pub fn apply_to_ci(&self, ci: &mut ConfigurationItem, meta: &ChangeMeta) -> usize {
        let mut added = 0;
        for check in self.checks.iter().filter(|c| c.ci == ci.number) {
            let verification = Verification {
                at: check.at,
                by: check.by.clone(),
                device: check.device.clone(),
                method: check.method,
                found: check.result != CheckResult::NotFound,
                note: match check.result {
                    CheckResult::Discrepancy => format!("Discrepancy: {}", check.note),
                    _ => check.note.clone(),
                },
                campaign: self.number.clone(),
            };
            if !ci.verifications.contains(&verification) {
                ci.verifications.push(verification);
                added += 1;
            }
        }
        if added > 0 {
            ci.log(
                meta,
                format!(
                    "{added} check(s) from verification campaign {}",
                    self.number
                ),
            );
        }
        added
    }
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

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
    F::new("method", S::Choice(&super::ci::VERIFY_METHODS)),
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
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

pub(crate) static CAMPAIGN_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a verification campaign",
    statuses: &CAMPAIGN_STATUSES,
    moves: &[
        ("planned", &["in_progress", "cancelled"]),
        ("in_progress", &["completed", "cancelled"]),
        ("completed", &["in_progress"]),
    ],
    finished: &["completed", "cancelled"],
    reasons: &[("cancelled", "")],
};

/// Completing with CIs left unchecked needs a reason an auditor can read.
fn rules(r: &m::Record, to: &str, reason: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    if to == "completed" && reason.is_empty() {
        let scope: Vec<&str> = r.groups("scope").map(|s| s.str("ci")).collect();
        let checked: Vec<&str> = r.groups("checks").map(|c| c.str("ci")).collect();
        let unchecked = scope.iter().filter(|ci| !checked.contains(ci)).count();
        if unchecked > 0 {
            return Err(WorkflowError::UncheckedCis {
                unchecked,
                total: scope.len(),
            });
        }
    }
    Ok(())
}

pub static VERIFICATION_CAMPAIGN: m::RecordType = m::RecordType {
    kind: "verification_campaign",
    prefix: "VER",
    noun: "verification campaign",
    plural: "Verification campaigns",
    area: m::Area::Configuration,
    fields: FIELDS,
    lifecycle: &CAMPAIGN_LIFECYCLE,
    rules,
    title: |r| r.str("name").to_string(),
    place: m::Place {
        site: "site",
        team: "",
        assignee: "",
    },
    ..m::RecordType::BASE
};
