//! Links between records as a device answers them from its summaries alone: resolving a
//! reference, searching records to pick, what refers to a record ("Referenced by"), and the
//! impact of a configuration item on the CIs and services that depend on it (see [`impact`]).
//! What a single record refers to, and how, is `crate::references`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use crate::references::may_name;
use crate::summary::Summary;

/// The most records an impact analysis reaches before it stops (and says so).
pub const MAX_IMPACT: usize = 2_000;

/// What a picker offers for `query`: the records a reference of type `reference` may name
/// whose number or title holds every word of `query` (any letter case), open ones first, then
/// by number, at most `limit`. One pass over the summaries, no document loaded: 10,000
/// summaries take about 0.3 ms natively (BENCHMARKS.md, "Links").
pub fn search<'a>(
    summaries: impl IntoIterator<Item = &'a Summary>,
    reference: &'static str,
    query: &str,
    limit: usize,
) -> Vec<&'a Summary> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let matches = |s: &Summary| {
        may_name(reference, &s.kind) && {
            let (number, title) = (s.number.to_lowercase(), s.title.to_lowercase());
            words
                .iter()
                .all(|w| number.contains(w.as_str()) || title.contains(w.as_str()))
        }
    };
    let mut found: Vec<&Summary> = summaries.into_iter().filter(|s| matches(s)).collect();
    found.sort_by(|a, b| b.open.cmp(&a.open).then_with(|| a.number.cmp(&b.number)));
    found.truncate(limit);
    found
}

/// Where a reference leads on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The record, as its summary shows it.
    Here(Box<Summary>),
    /// The device does not hold it (out of its scope, or not synced yet): show the number and
    /// "not on this device", never an error.
    NotOnDevice(String),
}

/// The records a device holds, by number and id, for resolving and picking. Built from the
/// summaries alone (no document is loaded); building it for 10,000 records takes about 1.6 ms
/// natively (BENCHMARKS.md, "Links").
pub struct Directory<'a> {
    by_number: HashMap<String, &'a Summary>,
    by_id: HashMap<&'a str, &'a Summary>,
    /// Per record number, the records whose summaries refer to it, with the field.
    referrers: HashMap<String, Vec<(&'a Summary, &'a str)>>,
    all: Vec<&'a Summary>,
}

impl<'a> Directory<'a> {
    pub fn new(summaries: impl IntoIterator<Item = &'a Summary>) -> Self {
        let all: Vec<&Summary> = summaries.into_iter().collect();
        let mut referrers: HashMap<String, Vec<(&Summary, &str)>> = HashMap::new();
        for s in &all {
            for link in &s.links {
                referrers
                    .entry(link.number.to_uppercase())
                    .or_default()
                    .push((s, link.via.as_str()));
            }
        }
        Directory {
            by_number: all.iter().map(|s| (s.number.to_uppercase(), *s)).collect(),
            by_id: all.iter().map(|s| (s.id.as_str(), *s)).collect(),
            referrers,
            all,
        }
    }

    /// Where a reference leads: by its id when the device holds that document, else by its
    /// number (text written before links, or a record re-filed under another id).
    pub fn resolve(&self, number: &str, id: &str) -> Target {
        let found = self
            .by_id
            .get(id)
            .or_else(|| self.by_number.get(&number.trim().to_uppercase()));
        match found {
            Some(s) => Target::Here(Box::new((*s).clone())),
            None => Target::NotOnDevice(number.trim().to_string()),
        }
    }

    /// The document id of the record numbered `number`, if the device holds it.
    pub fn id_of(&self, number: &str) -> Option<&'a str> {
        self.by_number
            .get(&number.trim().to_uppercase())
            .map(|s| s.id.as_str())
    }

    /// See [`search`].
    pub fn search(&self, reference: &'static str, query: &str, limit: usize) -> Vec<&'a Summary> {
        search(self.all.iter().copied(), reference, query, limit)
    }

    /// The records that refer to `number`, with the field (or relationship) each refers by,
    /// in number order.
    pub fn referenced_by(&self, number: &str) -> Vec<(&'a Summary, &'a str)> {
        let mut found = self
            .referrers
            .get(&number.trim().to_uppercase())
            .cloned()
            .unwrap_or_default();
        found.sort_by(|a, b| a.0.number.cmp(&b.0.number).then(a.1.cmp(b.1)));
        found.dedup_by(|a, b| a.0.id == b.0.id && a.1 == b.1);
        found
    }

    /// What depends on the CI (or service) `number`, transitively: see [`Impact`].
    pub fn impact(&self, number: &str) -> Impact {
        let start = number.trim().to_uppercase();
        let mut seen: BTreeSet<String> = BTreeSet::from([start.clone()]);
        let mut queue = VecDeque::from([start]);
        let mut impact = Impact::default();
        let mut touching: BTreeMap<String, &Summary> = BTreeMap::new();
        while let Some(at) = queue.pop_front() {
            for (source, via) in self.referenced_by(&at) {
                let dependent = match source.kind.as_str() {
                    "configuration_item" => PROPAGATES.contains(&via),
                    "service" => via == "dependencies",
                    _ => false,
                };
                if dependent {
                    if seen.len() >= MAX_IMPACT {
                        impact.cut_short = true;
                        continue;
                    }
                    if seen.insert(source.number.to_uppercase()) {
                        queue.push_back(source.number.to_uppercase());
                        match source.kind.as_str() {
                            "service" => impact.services.push(source.number.clone()),
                            _ => impact.cis.push(source.number.clone()),
                        }
                    }
                } else if source.open && matches!(source.kind.as_str(), "incident" | "change") {
                    touching.insert(source.number.clone(), source);
                }
            }
        }
        for s in touching.values() {
            match s.kind.as_str() {
                "incident" => impact.incidents.push(s.number.clone()),
                _ => impact.changes.push(s.number.clone()),
            }
        }
        impact.cis.sort();
        impact.services.sort();
        impact
    }

    /// The services a change may affect: those it names, and those depending on the CIs and
    /// services it names, transitively.
    pub fn services_affected(&self, change: &Summary) -> Vec<String> {
        let mut services = BTreeSet::new();
        for link in &change.links {
            if let Target::Here(s) = self.resolve(&link.number, &link.id)
                && s.kind == "service"
            {
                services.insert(s.number.clone());
            }
            if matches!(link.via.as_str(), "affected_cis" | "services") {
                services.extend(self.impact(&link.number).services);
            }
        }
        services.into_iter().collect()
    }
}

/// The relationships along which a CI's trouble reaches another: Y depends on, runs on or is
/// part of X, so X failing affects Y. "Connected to" is a peer link, shown from both ends but
/// not followed.
pub const PROPAGATES: [&str; 3] = ["depends_on", "runs_on", "part_of"];

/// What depends on a CI, transitively, and the open work touching it or them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    /// Configuration items depending on it (by relationship), in number order.
    pub cis: Vec<String>,
    /// Services depending on it or on those CIs (their dependencies), in number order.
    pub services: Vec<String>,
    /// Open incidents naming it or any of them.
    pub incidents: Vec<String>,
    /// Changes not finished (planned or under way) naming it or any of them.
    pub changes: Vec<String>,
    /// [`MAX_IMPACT`] records were reached: there may be more.
    pub cut_short: bool,
}

/// The summaries the links of `this` can resolve to or come from: every one for a CI or a
/// service (impact follows references transitively) and a change (the services it may
/// affect); for any other record only those it names and those naming it. A record page re-reads
/// its links on every save, and a directory of all 10,000 summaries of a tablet took ~3 ms of each save's page
/// update (BENCHMARKS.md, "Edit to durable"); picking these out allocates nothing.
pub fn relevant<'a>(all: impl Iterator<Item = &'a Summary>, this: &Summary) -> Vec<&'a Summary> {
    if matches!(
        this.kind.as_str(),
        "configuration_item" | "service" | "change"
    ) {
        return all.collect();
    }
    // Matched as `Directory` matches: ids exactly, numbers trimmed (the looked-up side) and
    // upper-cased, compared without allocating.
    let same = |stored: &str, wanted: &str| {
        let wanted = wanted.trim();
        match stored.is_ascii() && wanted.is_ascii() {
            true => stored.eq_ignore_ascii_case(wanted),
            false => stored.to_uppercase() == wanted.to_uppercase(),
        }
    };
    all.filter(|s| {
        this.links
            .iter()
            .any(|l| (!l.id.is_empty() && s.id == l.id) || same(&s.number, &l.number))
            || s.links.iter().any(|l| same(&l.number, &this.number))
    })
    .collect()
}

/// How a reference reads from its target's end: `INC-… (affected CIs)`, or for a CI's
/// relationship "runs on this".
pub fn referred_as(via: &str, source_kind: &str) -> String {
    if let Some(label) = crate::records::ci::RELATION_KINDS.label(via) {
        return format!("{label} this");
    }
    crate::records::type_of(source_kind)
        .and_then(|ty| ty.form.iter().find(|f| f.path == via || f.key == via))
        .map_or_else(|| via.replace('_', " "), |f| f.label.to_string())
}

#[cfg(test)]
mod tests;
