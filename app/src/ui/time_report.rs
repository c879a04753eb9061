//! `/reports/time`: time spent per person and per service over the last days, from the work
//! logs of the records on this device (works offline). The sums are `shared::reports`'.

use leptos::prelude::*;
use shared::model::WorkLogEntry;
use shared::reports::{self, Period, TimeSpent, Worked};
use shared::time::Timestamp;
use shared::time_spent;

use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;

/// Every record's service and work log, for records that logged any time.
fn work_logs(state: AppState) -> Vec<(String, Vec<WorkLogEntry>)> {
    state.read_device(|d| {
        d.docs()
            .iter()
            .filter_map(|(_, doc)| reports::logged(&shared::records::read(doc).ok()?))
            .collect()
    })
}

fn report(state: AppState, days: i64) -> Result<TimeSpent, String> {
    let now = crate::state::now().millis();
    let period = Period::new(
        Timestamp::from_millis(now - days * DAY_MS),
        Timestamp::from_millis(now + 1),
    )
    .map_err(|e| e.to_string())?;
    let logs = work_logs(state);
    let worked = logs
        .iter()
        .map(|(service, work_log)| Worked { service, work_log });
    Ok(reports::time_spent(worked, period))
}

/// One table of the report: a name and its time per row.
fn table(
    id: &'static str,
    heading: &'static str,
    class: &'static str,
    rows: Vec<(String, u64)>,
) -> impl IntoView {
    view! {
        <table class="time-table" id=id>
            <thead><tr><th>{heading}</th><th>"Time spent"</th></tr></thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(name, minutes)| {
                        let shown = if name.is_empty() { "(no service)".to_string() } else { name.clone() };
                        view! {
                            <tr class=class data-name=name data-minutes=minutes>
                                <td>{shown}</td>
                                <td>{time_spent::format(minutes)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn TimeReport() -> impl IntoView {
    let state = expect_context::<AppState>();
    let days = RwSignal::new(30_i64);
    let result = Memo::new(move |_| {
        state.revision.track();
        state.summaries.track();
        report(state, days.get())
    });
    view! {
        <section class="page time-report-page">
            <nav class="crumbs">
                <a href="/dashboard">"← Dashboard"</a>
            </nav>
            <h1>"Time spent"</h1>
            <p class="muted">"From the work logs of the records on this device (works offline)."</p>
            <label class="field">
                <span>"Period"</span>
                <select id="time-days" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                    {[(7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 365 days")]
                        .into_iter()
                        .map(|(n, label)| view! { <option value=n prop:selected=move || days.get() == n>{label}</option> })
                        .collect_view()}
                </select>
            </label>
            {move || match result.get() {
                Err(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
                Ok(report) if report.total == 0 => {
                    view! { <p class="empty" id="time-empty">"No time was logged in this period."</p> }.into_any()
                }
                Ok(report) => view! {
                    <div class="card" id="time-report">
                        <p id="time-total">
                            "In all: " <strong>{time_spent::format(report.total)}</strong>
                            {format!(" on {} records", report.records)}
                        </p>
                        {table("time-by-person", "Person", "time-person", report.by_person.into_iter().collect())}
                        {table("time-by-service", "Service", "time-service", report.by_service.into_iter().collect())}
                    </div>
                }
                .into_any(),
            }}
        </section>
    }
}
