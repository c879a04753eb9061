//! The list of one record type (incidents, problems, changes, …): every listed record's summary
//! (never a whole document), filtered, searched and sorted in memory, and rendered virtually: fixed-height rows, a spacer as tall
//! as the whole list, and only the rows in (and just around) the scrolled window in the DOM.

use std::cell::Cell;

use leptos::html;
use leptos::prelude::*;
use shared::forms::{Form, Layout};
use shared::ids::DocumentId;
use shared::order;
use shared::priority::Priority;
use shared::sla::Warning;
use shared::summary::{Summary, TargetSummary};
use shared::time::Timestamp;

use crate::state::AppState;

/// Every row's height in pixels (the CSS's `.incident-row` height must match).
pub const ROW_HEIGHT: f64 = 64.0;
/// Rows rendered above and below the visible window, so a fling does not show blanks.
const OVERSCAN: usize = 6;

thread_local! {
    /// `outpost:list-painted` is marked once per page load.
    static MARKED: Cell<bool> = const { Cell::new(false) };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Updated,
    Priority,
    Number,
}

impl Sort {
    fn parse(s: &str) -> Sort {
        match s {
            "priority" => Sort::Priority,
            "number" => Sort::Number,
            _ => Sort::Updated,
        }
    }
}

/// What the person chose to see.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filter {
    query: String,
    /// "" every status, "open" not resolved or closed, else one status key.
    status: String,
    /// "" or a priority (`P1` …).
    priority: String,
    /// "" or `site:<id>` / `team:<id>`.
    scope: String,
    /// Only records assigned to one of these names (the signed-in person's); empty: everyone's.
    mine: Vec<String>,
}

impl Filter {
    fn accepts(&self, s: &Summary) -> bool {
        let status = match self.status.as_str() {
            "" => true,
            "open" => s.open,
            key => s.status == key,
        };
        let priority = self.priority.is_empty() || priority_key(s.priority) == self.priority;
        let scope = match self.scope.split_once(':') {
            Some(("site", id)) => s.site == id,
            Some(("team", id)) => s.team == id,
            _ => true,
        };
        let mine = self.mine.is_empty()
            || self
                .mine
                .iter()
                .any(|name| s.assignee.trim().eq_ignore_ascii_case(name));
        status && priority && scope && mine && (self.query.is_empty() || s.matches(&self.query))
    }
}

fn priority_key(p: Priority) -> &'static str {
    match p {
        Priority::P1 => "P1",
        Priority::P2 => "P2",
        Priority::P3 => "P3",
        Priority::P4 => "P4",
        Priority::P5 => "P5",
    }
}

fn sort(rows: &mut [Summary], by: Sort) {
    match by {
        Sort::Updated => order::sort_by(rows, |a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.number.cmp(&b.number))
        }),
        Sort::Priority => order::sort_by(rows, |a, b| {
            a.priority
                .cmp(&b.priority)
                .then_with(|| b.updated_at.cmp(&a.updated_at))
        }),
        Sort::Number => order::sort_by(rows, |a, b| a.number.cmp(&b.number)),
    }
}

/// What the list of records of type `kind` says and links to.
struct Kind {
    kind: String,
    /// "Incidents", "Problems", …
    plural: &'static str,
    /// Where a new record's form is.
    new_href: String,
    /// The id of the "new" button.
    new_id: &'static str,
    /// (key, label) of every status.
    statuses: Vec<(&'static str, &'static str)>,
    has_priority: bool,
}

impl Kind {
    fn of(kind: &str) -> Option<Kind> {
        let form = shared::forms::of(kind)?;
        let state = expect_context::<AppState>();
        if !super::records::may_see(&state, form) {
            return None;
        }
        let pages = Pages::of(form);
        Some(Kind {
            kind: kind.into(),
            plural: form.plural(),
            new_href: pages.new,
            new_id: pages.new_button,
            statuses: form.statuses(),
            has_priority: form.has_priority(),
        })
    }
}

/// Where a record type's pages are. The ticket layout's type (incidents) keeps the addresses
/// it had before every record type shared one form: its list is the home page, its records
/// live under `/incidents`, its New button is `#new-incident`.
pub(crate) struct Pages {
    pub list: String,
    pub new: String,
    pub new_button: &'static str,
    /// The address of a record, without its document id.
    pub record: String,
}

impl Pages {
    pub fn of(form: Form) -> Pages {
        match form.0.layout {
            Layout::Ticket => Pages {
                list: "/".into(),
                new: "/incidents/new".into(),
                new_button: "new-incident",
                record: "/incidents/".into(),
            },
            Layout::Record => Pages {
                list: format!("/records/{}", form.kind()),
                new: format!("/records/{}/new", form.kind()),
                new_button: "new-record",
                record: format!("/records/{}/", form.kind()),
            },
        }
    }
}

/// The record type whose list is the home page: the ticket layout's (incidents).
pub(crate) fn home_kind() -> &'static str {
    shared::forms::all()
        .find(|f| f.layout == Layout::Ticket)
        .map_or("incident", |f| f.kind())
}

/// The address of a record's form.
pub fn record_href(kind: &str, id: &str) -> String {
    match shared::forms::of(kind) {
        Some(form) => format!("{}{id}", Pages::of(form).record),
        None => format!("/records/{kind}/{id}"),
    }
}

#[component]
pub fn RecordList(kind: String) -> impl IntoView {
    let Some(kind) = Kind::of(&kind) else {
        return view! { <p class="empty">"There is no such record type."</p> }.into_any();
    };
    let state = expect_context::<AppState>();
    let Kind {
        kind,
        plural,
        new_href,
        new_id,
        statuses,
        has_priority,
    } = kind;
    let kind = StoredValue::new(kind);
    let plural_lower = plural.to_lowercase();
    let query = RwSignal::new(String::new());
    let status = RwSignal::new("open".to_string());
    let priority = RwSignal::new(String::new());
    let scope = RwSignal::new(String::new());
    let sort_by = RwSignal::new(Sort::Updated);
    let my_work = RwSignal::new(false);

    let filter = Memo::new(move |_| Filter {
        query: query.get().trim().to_string(),
        status: status.get(),
        priority: priority.get(),
        scope: scope.get(),
        mine: if my_work.get() {
            state.session.with(|s| {
                s.as_ref()
                    .map(|s| vec![s.username.clone(), s.display_name.clone()])
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|n| !n.trim().is_empty())
                    .collect()
            })
        } else {
            vec![]
        },
    });
    let rows = Memo::new(move |_| {
        let filter = filter.get();
        let mut rows: Vec<Summary> = kind.with_value(|kind| {
            state.summaries.with(|m| {
                m.values()
                    .filter(|s| &s.kind == kind && filter.accepts(s))
                    .cloned()
                    .collect()
            })
        });
        sort(&mut rows, sort_by.get());
        rows
    });
    let total = move || {
        kind.with_value(|kind| {
            state
                .summaries
                .with(|m| m.values().filter(|s| &s.kind == kind).count())
        })
    };
    // The sites and teams the records on this device belong to.
    let scopes = Memo::new(move |_| {
        let mut sites = std::collections::BTreeSet::new();
        let mut teams = std::collections::BTreeSet::new();
        state.summaries.with(|m| {
            for s in m.values().filter(|s| kind.with_value(|k| &s.kind == k)) {
                if !s.site.is_empty() {
                    sites.insert(s.site.clone());
                }
                if !s.team.is_empty() {
                    teams.insert(s.team.clone());
                }
            }
        });
        state.groups.with(|g| {
            sites
                .into_iter()
                .map(|s| (format!("site:{s}"), format!("Site {}", g.site(&s))))
                .chain(
                    teams
                        .into_iter()
                        .map(|t| (format!("team:{t}"), format!("Team {}", g.team(&t)))),
                )
                .collect::<Vec<_>>()
        })
    });

    // The scrolled window.
    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0);
    let viewport = RwSignal::new(640.0);
    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            scroll_top.set(el.scroll_top() as f64);
            viewport.set(el.client_height() as f64);
        }
    };
    Effect::new(move |_| {
        if let Some(el) = scroller.get() {
            viewport.set((el.client_height() as f64).max(ROW_HEIGHT));
        }
    });
    // A new filter starts at the top.
    Effect::new(move |_| {
        filter.track();
        sort_by.track();
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(0);
        }
        scroll_top.set(0.0);
    });
    let window = Memo::new(move |_| {
        let len = rows.with(Vec::len);
        let first = ((scroll_top.get() / ROW_HEIGHT).floor() as usize).saturating_sub(OVERSCAN);
        let count = (viewport.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        let first = first.min(len);
        (first, (first + count).min(len))
    });
    let visible = move || {
        let (first, last) = window.get();
        rows.with(|r| r[first..last].to_vec())
    };

    // The benchmark's mark: the first page of the list is on screen.
    Effect::new(move |_| {
        if state.list_ready.get() && !MARKED.with(Cell::get) {
            MARKED.with(|m| m.set(true));
            leptos::task::spawn_local(async {
                crate::state::next_frame().await;
                crate::perf::mark("outpost:list-painted");
            });
        }
    });

    // The rows as shown (filtered and sorted), as a CSV download; the format is shared's.
    let csv_error = RwSignal::new(None::<String>);
    let export_csv = move |_| {
        let now = crate::state::now();
        let csv = rows.with_untracked(|r| shared::csv_export::list_csv(r, now));
        let stamp = now.to_datetime().format("%Y%m%d-%H%M").to_string();
        let result = crate::api::text_blob(&csv, "text/csv;charset=utf-8").and_then(|blob| {
            let name = kind.with_value(|k| format!("outpost-{k}-{stamp}.csv"));
            crate::api::save_blob(&blob, &name)
        });
        csv_error.set(result.err());
    };

    let empty = move || state.list_ready.get() && total() == 0;
    let no_match = move || state.list_ready.get() && total() > 0 && rows.with(Vec::is_empty);

    view! {
        <section class="page list-page">
            <div class="page-head">
                <div>
                    <h1>{plural}</h1>
                    <Show when=move || state.list_ready.get()>
                        <p class="muted count" id="list-count">
                            {move || {
                                let (shown, all) = (rows.with(Vec::len), total());
                                if shown == all {
                                    format!("{} on this device", thousands(all))
                                } else {
                                    format!("{} of {} shown", thousands(shown), thousands(all))
                                }
                            }}
                        </p>
                    </Show>
                </div>
                <Show when=move || kind.with_value(|k| state.may_create(k).is_ok())>
                    <a id=new_id class="button primary" href=new_href.clone()>
                        "+ New"
                    </a>
                </Show>
            </div>
            <div class="list-tools" role="search">
                <input
                    id="search"
                    type="search"
                    aria-label=format!("Search {plural_lower}")
                    placeholder=format!("Search {plural_lower}")
                    title="Every word must occur in the number, title, fields, people or work log"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    // Clearing the field (its ✕, or a script) may fire only `change`.
                    on:change=move |ev| query.set(event_target_value(&ev))
                />
                <button
                    id="my-work"
                    type="button"
                    class="button"
                    class:primary=move || my_work.get()
                    aria-pressed=move || my_work.get().to_string()
                    on:click=move |_| my_work.update(|m| *m = !*m)
                >
                    "My work"
                </button>
                <select id="filter-status" aria-label="Status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="open" selected>"Open"</option>
                    <option value="">"Any status"</option>
                    {statuses
                        .into_iter()
                        .map(|(key, label)| view! { <option value=key>{label}</option> })
                        .collect_view()}
                </select>
                <select id="filter-priority" aria-label="Priority" hidden=!has_priority on:change=move |ev| priority.set(event_target_value(&ev))>
                    <option value="">"Any priority"</option>
                    {[Priority::P1, Priority::P2, Priority::P3, Priority::P4, Priority::P5]
                        .into_iter()
                        .map(|p| view! { <option value=priority_key(p)>{p.to_string()}</option> })
                        .collect_view()}
                </select>
                <select id="filter-scope" aria-label="Site or team" on:change=move |ev| scope.set(event_target_value(&ev))>
                    <option value="">"Every site and team"</option>
                    <For each=move || scopes.get() key=|s| s.0.clone() let:s>
                        <option value=s.0.clone() prop:selected=move || scope.get() == s.0>{s.1}</option>
                    </For>
                </select>
                <select id="sort" aria-label="Sort by" on:change=move |ev| sort_by.set(Sort::parse(&event_target_value(&ev)))>
                    <option value="updated" selected>"Recently updated"</option>
                    <option value="priority">"Priority"</option>
                    <option value="number">"Number"</option>
                </select>
                <button
                    id="export-csv"
                    type="button"
                    class="button"
                    title="Download the records shown, in this order, as a CSV file"
                    on:click=export_csv
                >
                    "Export CSV"
                </button>
            </div>
            {move || csv_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <For
                each=move || state.load_errors.get()
                key=|e| (e.id.clone(), e.message.clone())
                children=|e| {
                    view! {
                        <div class="load-error" role="alert" data-id=e.id.clone()>
                            <strong>"Could not open document " <code>{e.id.clone()}</code></strong>
                            <span>{e.message}</span>
                        </div>
                    }
                }
            />
            <Show when=move || !state.list_ready.get()>
                <p class="empty">"Opening your records…"</p>
            </Show>
            <Show when=empty>
                <div class="empty">
                    <p>{format!("No {} on this device yet.", plural.to_lowercase())}</p>
                    <p class="hint">"Add one with “New”. It is kept here, and shared when the relay is reachable."</p>
                </div>
            </Show>
            <Show when=no_match>
                <p class="empty" id="no-match">"Nothing matches this search and these filters."</p>
            </Show>
            <div class="incident-list" role="list" aria-label=plural>
                <div class="incident-head" aria-hidden="true">
                    <span>"Number"</span>
                    <span>"Title"</span>
                    <span>{has_priority.then_some("Priority")}</span>
                    <span>{has_priority.then_some("Urgency")}</span>
                    <span>"Status"</span>
                </div>
                <div class="incident-scroller" node_ref=scroller on:scroll=on_scroll>
                    <div
                        class="incident-spacer"
                        style:height=move || format!("{}px", rows.with(Vec::len) as f64 * ROW_HEIGHT)
                    >
                        <div
                            class="incident-window"
                            style:transform=move || {
                                format!("translateY({}px)", window.get().0 as f64 * ROW_HEIGHT)
                            }
                        >
                            <For each=visible key=|s| s.clone() let:s>
                                <Row summary=s has_priority=has_priority />
                            </For>
                        </div>
                    </div>
                </div>
            </div>
        </section>
    }.into_any()
}

#[component]
fn Row(summary: Summary, has_priority: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let s = summary;
    let priority_class = if has_priority {
        format!("incident-priority badge {:?}", s.priority).to_lowercase()
    } else {
        "incident-priority".into()
    };
    let status_class = format!("incident-status status {}", s.status);
    let sla = s.sla.filter(|_| s.open);
    let sla_view = move || {
        // `now` ticks once a minute; the row reads the clock itself, so a summary made after
        // the last tick is not measured against an older time.
        state.now.track();
        sla.map(|sla| sla_cell(&sla, crate::state::now()))
    };
    view! {
        <a
            class="incident-row"
            role="listitem"
            href=record_href(&s.kind, &s.id)
            data-id=s.id.clone()
        >
            <span class="incident-number">{s.number.clone()}</span>
            <span class="incident-main">
                <span class="incident-title">{s.title.clone()}</span>
                <small class="incident-meta">
                    {sla_view}
                    <span>
                        {[s.site.as_str(), s.team.as_str(), s.assignee.as_str()]
                            .into_iter()
                            .filter(|t| !t.is_empty())
                            .collect::<Vec<_>>()
                            .join(" · ")}
                    </span>
                </small>
            </span>
            <span class=priority_class>{has_priority.then(|| s.priority.to_string())}</span>
            <span class="incident-urgency">{has_priority.then(|| s.urgency.to_string())}</span>
            <span class=status_class>{s.status_label.clone()}</span>
        </a>
    }
}

/// A ticket's SLA time left to each target still running, while it is open, ticking with the
/// list's clock (offline too).
#[component]
pub(crate) fn SlaClock(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.now.track();
        let sla = state
            .summaries
            .with(|m| m.get(&id).filter(|s| s.open).and_then(|s| s.sla));
        sla.map(|sla| {
            let now = crate::state::now();
            let running = |target: &TargetSummary| (!target.stopped).then_some(*target);
            view! {
                <p class="record-sla" id="record-sla">
                    {running(&sla.response).map(|t| view! { <span class="sla-response">{target_cell("Respond", &t, now)}</span> })}
                    " "
                    {running(&sla.resolution).map(|t| view! { <span class="sla-resolution">{target_cell("Resolve", &t, now)}</span> })}
                </p>
            }
        })
    }
}

/// The SLA target that matters now: the response until someone responded, then resolution.
pub(crate) fn sla_cell(sla: &shared::summary::SlaSummary, now: Timestamp) -> impl IntoView + use<> {
    if !sla.response.stopped {
        target_cell("Respond", &sla.response, now)
    } else {
        target_cell("Resolve", &sla.resolution, now)
    }
}

/// One target: time left (or paused, or overdue), coloured by its 50/75/90 % warning.
fn target_cell(
    what: &'static str,
    target: &TargetSummary,
    now: Timestamp,
) -> impl IntoView + use<> {
    let warning = target.warning(now);
    let left = target.left_ms(now);
    let text = match (target.paused, left) {
        (_, None) => String::new(),
        (true, Some(ms)) => format!("Paused · {} left", duration(ms)),
        (false, Some(ms)) if ms < 0 => format!("{what}: overdue {}", duration(-ms)),
        (false, Some(ms)) => format!("{what} in {}", duration(ms)),
    };
    let class = match (target.paused, warning) {
        (true, _) => "incident-sla sla-paused",
        (_, Warning::Breached) => "incident-sla sla-breached",
        (_, Warning::Ninety) => "incident-sla sla-90",
        (_, Warning::ThreeQuarters) => "incident-sla sla-75",
        (_, Warning::Half) => "incident-sla sla-50",
        (_, Warning::None) => "incident-sla sla-ok",
    };
    let level = shared::summary::warning_level(warning).to_string();
    view! { <span class=class data-warning=level>{text}</span> }
}

/// A short duration: "45 min", "3 h 20 min", "2 d 4 h".
pub fn duration(ms: i64) -> String {
    let minutes = (ms.max(0) + 59_999) / 60_000;
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => match m % 60 {
            0 => format!("{} h", m / 60),
            r => format!("{} h {r} min", m / 60),
        },
        m => match (m / 60) % 24 {
            0 => format!("{} d", m / (24 * 60)),
            h => format!("{} d {h} h", m / (24 * 60)),
        },
    }
}

/// 1480 → "1,480".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn durations_and_counts_read_well() {
        assert_eq!(duration(40 * 60_000), "40 min");
        assert_eq!(duration(200 * 60_000), "3 h 20 min");
        assert_eq!(duration(52 * 3_600_000), "2 d 4 h");
        assert_eq!(thousands(1480), "1,480");
        assert_eq!(thousands(312), "312");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
