//! What a device answers about references from its summaries alone, at 10,000 records
//! (`shared::links`): the picker's search as a person types, and building the directory that
//! resolves references, lists "Referenced by" and analyses impact. Target (issue 16): no lag,
//! well under a frame (16 ms).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use shared::links::{Directory, search};
use shared::references::Outgoing;
use shared::summary::Summary;

/// 10,000 summaries: 2,000 CIs in chains (each runs on the one before), 8,000 incidents each
/// naming a CI.
fn summaries() -> Vec<Summary> {
    let base: Summary = serde_json::from_value(serde_json::json!({
        "id": "", "kind": "", "number": "", "title": "", "status": "new", "status_label": "New",
        "open": true, "priority": "P3", "impact": "Medium", "urgency": "Medium", "site": "",
        "team": "", "assignee": "", "created_at": 0, "updated_at": 0, "sla": null,
        "agreement": "", "search": "", "attention": 0, "links": []
    }))
    .unwrap();
    let ci = |i: usize| format!("CI-{:04}-{:04}", i / 100, i % 100);
    (0..10_000)
        .map(|i| {
            let mut s = base.clone();
            s.id = format!("doc-{i}");
            if i < 2_000 {
                s.kind = "configuration_item".into();
                s.number = ci(i);
                s.title = format!("Server {i} rack {}", i % 40);
                if i % 10 != 0 {
                    s.links.push(Outgoing {
                        via: "runs_on".into(),
                        number: ci(i - 1),
                        id: format!("doc-{}", i - 1),
                    });
                }
            } else {
                s.kind = "incident".into();
                s.number = format!("INC-{:04}-{:04}", i / 100, i % 100);
                s.title = format!("Till {i} offline");
                s.links.push(Outgoing {
                    via: "affected_cis".into(),
                    number: ci(i % 2_000),
                    id: format!("doc-{}", i % 2_000),
                });
            }
            s
        })
        .collect()
}

fn links(c: &mut Criterion) {
    let all = summaries();
    c.bench_function("picker search, 10,000 summaries", |b| {
        b.iter(|| search(black_box(&all), "configuration_item", "server rack 7", 20))
    });
    c.bench_function("directory of 10,000 summaries", |b| {
        b.iter(|| Directory::new(black_box(&all)))
    });
    let directory = Directory::new(&all);
    c.bench_function("impact of a CI, 10,000 summaries", |b| {
        b.iter(|| directory.impact(black_box("CI-0000-0000")))
    });
}

criterion_group!(benches, links);
criterion_main!(benches);
