//! Configuration forms: configuration items (relationships, on-site verification), assets and
//! verification campaigns (check each CI of a site by its tag).

use super::spec::{Place, field, made_by};
use super::{Area, Field, FieldValue, Form, Input, Section, Spec, given, refused};
use crate::records::Record;
use crate::records::campaign::{CheckResult, VerificationCampaign};
use crate::records::ci::{Asset, ConfigurationItem, RelationKind, VerifyMethod};

pub(super) fn add(forms: &mut Vec<Box<dyn Form>>) {
    forms.push(Box::new(ci()));
    forms.push(Box::new(asset()));
    forms.push(Box::new(campaign()));
}

fn method(values: &super::Values) -> Result<VerifyMethod, crate::records::RecordError> {
    VerifyMethod::from_text(given(values, "method")).map_err(|e| refused("How", e))
}

fn ci() -> Spec<ConfigurationItem> {
    Spec::<ConfigurationItem>::new(
        "configuration item",
        "Configuration items",
        Area::Configuration,
        |r| r.name.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(ConfigurationItem, name, "Name").required(),
        field!(ConfigurationItem, ci_type, "Type"),
        field!(ConfigurationItem, description, "Description").long(),
        field!(ConfigurationItem, site, "Site"),
        field!(ConfigurationItem, location, "Location"),
        field!(ConfigurationItem, owner, "Owner"),
        field!(ConfigurationItem, asset_tag, "Asset tag"),
    ])
    .create_with(made_by!(ConfigurationItem::create("name", "ci_type")))
    .action(
        "relate",
        "Add a relationship",
        vec![
            Field::new("kind", "This CI", RelationKind::input()),
            Field::new("target", "CI number", Input::Text).required(),
        ],
        |r, values, _, meta| {
            let kind = RelationKind::from_text(given(values, "kind"))
                .map_err(|e| refused("This CI", e))?;
            Ok(r.relate(kind, given(values, "target"), meta)?)
        },
    )
    .action(
        "verify",
        "Verify on site",
        vec![
            Field::new("method", "How", VerifyMethod::input()),
            Field::new("found", "Found where the register says", bool::input()),
            Field::new("note", "Note", Input::LongText),
        ],
        |r, values, _, meta| {
            let found = given(values, "found") == "true";
            r.verify(method(values)?, found, given(values, "note"), "", meta);
            Ok(())
        },
    )
    .sections(|r| {
        vec![
            Section::text(
                "Relationships",
                r.relationships
                    .iter()
                    .map(|rel| format!("{} {} {}", r.number, rel.kind.label(), rel.target)),
            ),
            Section::text(
                "Verifications",
                r.verifications.iter().map(|v| {
                    let found = if v.found { "Found" } else { "NOT FOUND" };
                    let note = if v.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", v.note)
                    };
                    format!("{found} by {} ({}){note}", v.by, v.method.label())
                }),
            ),
        ]
    })
    .place(|r| Place {
        site: r.site.clone(),
        assignee: r.owner.clone(),
        ..Place::default()
    })
}

fn asset() -> Spec<Asset> {
    Spec::<Asset>::new(
        "asset",
        "Assets",
        Area::Configuration,
        |r| format!("{} {}", r.tag, r.model).trim().to_string(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Asset, tag, "Asset tag").required(),
        field!(Asset, model, "Model"),
        field!(Asset, serial, "Serial number"),
        field!(Asset, owner, "Owner"),
        field!(Asset, location, "Location"),
        field!(Asset, warranty_until, "Warranty until"),
        field!(Asset, contract, "Contract (number)"),
        field!(Asset, ci, "Configuration item (number)"),
    ])
    .create_with(made_by!(Asset::create("tag", "model")))
    .place(|r| Place {
        assignee: r.owner.clone(),
        ..Place::default()
    })
}

fn campaign() -> Spec<VerificationCampaign> {
    Spec::<VerificationCampaign>::new(
        "verification campaign",
        "Verification campaigns",
        Area::Configuration,
        |r| r.name.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(VerificationCampaign, name, "Name").required(),
        field!(VerificationCampaign, site, "Site").required(),
    ])
    // The scope is the site's CIs on this device when the campaign is planned.
    .create_with(|values, lookup, meta| {
        let cis: Vec<ConfigurationItem> = lookup
            .all(ConfigurationItem::KIND)
            .iter()
            .filter_map(|doc| ConfigurationItem::read(doc).ok())
            .collect();
        VerificationCampaign::plan(
            String::new(),
            given(values, "name"),
            given(values, "site"),
            &cis,
            meta,
        )
        .map_err(|e| refused("Site", e))
    })
    .action(
        "check",
        "Check a CI",
        vec![
            Field::new("tag", "Asset tag or CI number", Input::Text).required(),
            Field::new("method", "How", VerifyMethod::input()),
            Field::new("result", "Result", CheckResult::input()),
            Field::new("note", "Note", Input::LongText),
        ],
        |r, values, _, meta| {
            let result =
                CheckResult::from_text(given(values, "result")).map_err(|e| refused("Result", e))?;
            r.record_check(
                given(values, "tag"),
                method(values)?,
                result,
                given(values, "note"),
                meta,
            )
            .map_err(|e| refused("Check", e))?;
            Ok(())
        },
    )
    .sections(|r| {
        let progress = r.progress();
        let latest = r.latest_checks();
        vec![
            Section::text(
                "Progress",
                [format!(
                    "{} of {} checked · {} found as registered · {} with a discrepancy · {} not found",
                    progress.checked,
                    progress.total,
                    progress.found_ok,
                    progress.discrepancies,
                    progress.not_found
                )],
            ),
            Section::text(
                "Scope",
                r.scope.iter().map(|item| {
                    let check = latest.iter().find(|c| c.ci == item.ci);
                    let state = check.map_or("not checked yet".to_string(), |c| {
                        format!("{} by {}", c.result.label(), c.by)
                    });
                    format!(
                        "{} {} ({}, tag {}): {state}",
                        item.ci, item.name, item.location, item.asset_tag
                    )
                }),
            ),
        ]
    })
    .place(|r| Place {
        site: r.site.clone(),
        ..Place::default()
    })
}
