//! `/dashboard` (ISO/IEC 20000 9.1 measurement, 9.4 reporting): charts computed on this device
//! from the records it holds, so they work offline. Every figure comes from `shared::reports`;
//! this file only draws them as plain SVG, each chart with a title, numbers on its bars and an
//! `aria-label` that says the same in words.

use leptos::prelude::*;
use shared::model::Record;
use shared::records::agreement::{SLA, Sla};
use shared::records::change::{CHANGE, Change};
use shared::records::incident::{INCIDENT, Incident};
use shared::records::service::{SERVICE, Service};
use shared::reports::{self, Bucket, ChangeOutcome, Period};
use shared::summary::standard_sla;
use shared::time::Timestamp;

use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// The trend covers today and the 29 days before it.
const TREND_DAYS: i64 = 30;

/// What the dashboard shows, computed from the records on the device.
#[derive(Debug, Clone, PartialEq, Default)]
struct Dash {
    backlog: Vec<(String, usize)>,
    backlog_total: usize,
    /// Local date `YYYY-MM-DD`, opened, resolved.
    trend: Vec<(String, usize, usize)>,
    /// Met and breached: response, resolution.
    response: (usize, usize),
    resolution: (usize, usize),
    unmeasured: usize,
    changes: Vec<(String, usize)>,
    reworked: usize,
    majors: Vec<MajorRow>,
    availability: Vec<AvailabilityRow>,
    problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct MajorRow {
    number: String,
    title: String,
    service: String,
    /// The owner's username (shown by name from the directory).
    owner: String,
    open_ms: i64,
    service_down: bool,
}

/// One service's availability over the period, from its major incidents' outages.
#[derive(Debug, Clone, PartialEq)]
struct AvailabilityRow {
    number: String,
    name: String,
    /// Measured, e.g. "99.86%", or why it cannot be measured.
    measured: String,
    target: String,
    downtime_ms: i64,
    /// "met", "missed", or "" without a target.
    met: &'static str,
}

/// The browser's IANA time zone (days in the trend are the person's local days), else UTC.
fn time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_else(|| "UTC".into())
}

fn compute(state: AppState, now: Timestamp, tz: &str) -> Dash {
    let (mut incidents, changes, mut slas, services) = state.read_device(|d| {
        let (mut incidents, mut changes, mut slas, mut services) = (vec![], vec![], vec![], vec![]);
        for (_, doc) in d.docs().iter() {
            let kind = shared::model::record_type(doc).unwrap_or_default();
            let read = |ty| Record::read(doc, ty).ok();
            if kind == INCIDENT.kind {
                incidents.extend(read(&INCIDENT).map(|r| Incident::of(&r)));
            } else if kind == CHANGE.kind {
                changes.extend(read(&CHANGE).map(|r| Change::of(&r)));
            } else if kind == SLA.kind {
                slas.extend(read(&SLA).map(|r| Sla::of(&r)));
            } else if kind == SERVICE.kind {
                services.extend(read(&SERVICE).map(|r| Service::of(&r)));
            }
        }
        (incidents, changes, slas, services)
    });
    // As the list's summaries do: an incident that names no SLA is measured against the
    // standard one.
    let standard = standard_sla();
    for i in incidents.iter_mut().filter(|i| i.sla.is_empty()) {
        i.sla = standard.number.clone();
    }
    slas.push(standard);
    let matrix = AppState::matrix();
    let mut dash = Dash::default();

    let backlog = reports::backlog(&incidents, &matrix, now);
    dash.backlog = backlog
        .by_priority
        .iter()
        .map(|(p, n)| (format!("{p:?}"), *n))
        .collect();
    dash.backlog_total = backlog.total;

    let start = Timestamp::from_millis(now.millis() - (TREND_DAYS - 1) * DAY_MS);
    let period = Period::new(start, Timestamp::from_millis(now.millis() + 1));
    match period {
        Ok(period) => {
            match reports::trend(&incidents, period, Bucket::Day, tz) {
                Ok(points) => {
                    dash.trend = points
                        .into_iter()
                        .map(|p| (p.label, p.opened, p.resolved))
                        .collect()
                }
                Err(e) => dash.problem = Some(e.to_string()),
            }
            let att = reports::sla_attainment(&incidents, &slas, &matrix, period);
            dash.response = (att.overall.response.met, att.overall.response.breached);
            dash.resolution = (att.overall.resolution.met, att.overall.resolution.breached);
            dash.unmeasured = att.unmeasured.len();
            let outcomes = reports::changes_by_outcome(&changes, period);
            dash.changes = outcomes
                .rows
                .iter()
                .map(|r| (r.outcome.label().to_string(), r.total()))
                .collect();
            dash.reworked = outcomes.reworked;
            dash.availability =
                reports::availability_by_service(&services, &incidents, period, now)
                    .into_iter()
                    .map(|(service, measured)| availability_row(service, measured))
                    .collect();
        }
        Err(e) => dash.problem = Some(e.to_string()),
    }
    if dash.changes.is_empty() {
        dash.changes = ChangeOutcome::ALL
            .iter()
            .map(|o| (o.label().to_string(), 0))
            .collect();
    }
    dash.majors = reports::open_major_incidents(&incidents, now)
        .into_iter()
        .map(|m| MajorRow {
            number: m.number,
            title: m.title,
            service: m.service,
            owner: m.owner,
            open_ms: m.open_ms,
            service_down: m.service_down,
        })
        .collect();
    dash
}

fn availability_row(
    service: &Service,
    measured: Result<reports::Availability, reports::ReportError>,
) -> AvailabilityRow {
    let (measured, target, downtime_ms, met) = match measured {
        Ok(a) => (
            format!("{:.2}%", a.measured_percent),
            a.target_percent
                .map_or_else(|| "none".to_string(), |t| format!("{t}%")),
            a.downtime_ms,
            match a.met {
                Some(true) => "met",
                Some(false) => "missed",
                None => "",
            },
        ),
        Err(e) => (e.to_string(), String::new(), 0, ""),
    };
    AvailabilityRow {
        number: service.number.clone(),
        name: service.name.clone(),
        measured,
        target,
        downtime_ms,
        met,
    }
}

/// A horizontal bar chart: one labelled bar per row, its number at its end.
fn bar_chart(
    id: &'static str,
    title: &'static str,
    category_axis: &'static str,
    value_axis: &'static str,
    bars: Vec<(String, usize)>,
) -> impl IntoView {
    const LABEL_W: f64 = 190.0;
    const BAR_W: f64 = 330.0;
    const ROW_H: f64 = 34.0;
    const TOP: f64 = 26.0;
    let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let height = TOP + ROW_H * bars.len() as f64 + 34.0;
    let summary = bars
        .iter()
        .map(|(l, n)| format!("{l}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let label = format!("{title}. {category_axis} against {value_axis}: {summary}.");
    let axis_bottom = TOP + ROW_H * bars.len() as f64;
    view! {
        <figure class="chart card" id=id>
            <figcaption><h2>{title}</h2></figcaption>
            <svg
                viewBox=format!("0 0 600 {height}")
                width="100%"
                role="img"
                aria-label=label
                preserveAspectRatio="xMinYMin meet"
            >
                <text class="axis-title" x="0" y="16">{category_axis}</text>
                <line class="axis" x1=LABEL_W y1=TOP - 4.0 x2=LABEL_W y2=axis_bottom />
                <line class="axis" x1=LABEL_W y1=axis_bottom x2=LABEL_W + BAR_W y2=axis_bottom />
                {bars
                    .into_iter()
                    .enumerate()
                    .map(|(i, (l, n))| {
                        let y = TOP + ROW_H * i as f64;
                        let w = BAR_W * n as f64 / max;
                        let text = l.clone();
                        view! {
                            <g class="bar" data-label=l data-value=n.to_string()>
                                <text class="bar-label" x=LABEL_W - 8.0 y=y + 21.0 text-anchor="end">{text}</text>
                                <rect x=LABEL_W y=y + 5.0 width=w.max(1.0) height=ROW_H - 10.0 rx="3" />
                                <text class="bar-value" x=LABEL_W + w + 6.0 y=y + 21.0>{n.to_string()}</text>
                            </g>
                        }
                    })
                    .collect_view()}
                <text class="axis-title" x=LABEL_W + BAR_W / 2.0 y=axis_bottom + 26.0 text-anchor="middle">
                    {value_axis}
                </text>
            </svg>
        </figure>
    }
}

/// Opened and resolved incidents per local day: two bars a day, numbers above the bars.
fn trend_chart(points: Vec<(String, usize, usize)>) -> impl IntoView {
    const LEFT: f64 = 40.0;
    const TOP: f64 = 20.0;
    const PLOT_H: f64 = 160.0;
    const PLOT_W: f64 = 550.0;
    let max = points
        .iter()
        .map(|(_, o, r)| (*o).max(*r))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = PLOT_W / points.len().max(1) as f64;
    let bottom = TOP + PLOT_H;
    let opened: usize = points.iter().map(|p| p.1).sum();
    let resolved: usize = points.iter().map(|p| p.2).sum();
    let days = points
        .iter()
        .filter(|(_, o, r)| o + r > 0)
        .map(|(d, o, r)| format!("{d}: {o} opened, {r} resolved"))
        .collect::<Vec<_>>();
    let label = format!(
        "Incidents opened and resolved per day over the last {TREND_DAYS} days: {opened} opened, \
         {resolved} resolved in all{}{}.",
        if days.is_empty() { "" } else { "; " },
        days.join("; ")
    );
    let count = points.len();
    view! {
        <figure class="chart card" id="chart-trend">
            <figcaption>
                <h2>"Incident trend, last 30 days"</h2>
                <p class="legend">
                    <span class="key opened"></span>"Opened "
                    <span class="key resolved"></span>"Resolved"
                </p>
            </figcaption>
            <svg viewBox="0 0 600 240" width="100%" role="img" aria-label=label>
                <text class="axis-title" x="0" y="12">"Incidents"</text>
                <line class="axis" x1=LEFT y1=TOP x2=LEFT y2=bottom />
                <line class="axis" x1=LEFT y1=bottom x2=LEFT + PLOT_W y2=bottom />
                <text class="tick" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{(max as usize).to_string()}</text>
                <text class="tick" x=LEFT - 6.0 y=bottom text-anchor="end">"0"</text>
                {points
                    .into_iter()
                    .enumerate()
                    .map(|(i, (day, o, r))| {
                        let x = LEFT + slot * i as f64;
                        let bw = (slot / 2.0 - 1.0).max(1.0);
                        let ho = PLOT_H * o as f64 / max;
                        let hr = PLOT_H * r as f64 / max;
                        // Every fifth day and the last one get a date on the axis.
                        let show_date = i % 5 == 0 || i + 1 == count;
                        let short = day.get(5..).unwrap_or(&day).to_string();
                        view! {
                            <g class="day" data-date=day data-opened=o.to_string() data-resolved=r.to_string()>
                                <rect class="opened" x=x + 1.0 y=bottom - ho width=bw height=ho />
                                <rect class="resolved" x=x + 1.0 + bw y=bottom - hr width=bw height=hr />
                                {(o > 0).then(|| view! {
                                    <text class="bar-value small" x=x + 1.0 + bw / 2.0 y=bottom - ho - 3.0 text-anchor="middle">{o.to_string()}</text>
                                })}
                                {(r > 0).then(|| view! {
                                    <text class="bar-value small" x=x + 1.0 + bw * 1.5 y=bottom - hr - 3.0 text-anchor="middle">{r.to_string()}</text>
                                })}
                                {show_date.then(|| view! {
                                    <text class="tick" x=x + slot / 2.0 y=bottom + 14.0 text-anchor="middle">{short}</text>
                                })}
                            </g>
                        }
                    })
                    .collect_view()}
                <text class="axis-title" x=LEFT + PLOT_W / 2.0 y="234" text-anchor="middle">"Day (month-day, local time)"</text>
            </svg>
        </figure>
    }
}

/// Each service's availability over the period (ISO 20000 8.7.1), from the outages recorded
/// on its major incidents.
fn availability_table(rows: Vec<AvailabilityRow>) -> impl IntoView {
    view! {
        <section class="card" id="availability">
            <h2>"Service availability, last 30 days"</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"No services on this device."</p> }.into_any()
            } else {
                view! {
                    <table class="availability">
                        <thead>
                            <tr><th>"Service"</th><th>"Measured"</th><th>"Target"</th><th>"Downtime"</th><th>"Target met"</th></tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| view! {
                                    <tr class="availability-row" data-service=r.number.clone() data-met=r.met>
                                        <td>{format!("{} {}", r.number, r.name)}</td>
                                        <td class="measured">{r.measured}</td>
                                        <td class="target">{r.target}</td>
                                        <td class="downtime" data-ms=r.downtime_ms.to_string()>{super::list::duration(r.downtime_ms)}</td>
                                        <td>{match r.met { "met" => "yes", "missed" => "no", _ => "no target" }}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}

fn percent(met: usize, breached: usize) -> String {
    match met + breached {
        0 => "nothing measured yet".to_string(),
        n => format!("{:.0}% met ({met} of {n})", 100.0 * met as f64 / n as f64),
    }
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let state = expect_context::<AppState>();
    let tz = time_zone();
    let dash = Memo::new(move |_| {
        // Any change to any record (here or synced), and the minute tick.
        state.revision.track();
        state.summaries.track();
        state.now.track();
        // The clock itself: `now` ticks once a minute, and a record logged since is counted.
        compute(state, crate::state::now(), &tz)
    });

    view! {
        <section class="page dashboard-page">
            <nav class="crumbs">
                <a href="/">"← Incidents"</a>
            </nav>
            <h1>"Dashboard"</h1>
            <p class="muted">
                "From the records on this device (works offline); the last 30 days unless said otherwise."
            </p>
            <p><a id="time-report-link" href="/reports/time">"Time spent per person and service"</a></p>
            {move || dash.with(|d| d.problem.clone()).map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            <div class="charts">
                {move || {
                    let d = dash.get();
                    view! {
                        {bar_chart(
                            "chart-backlog",
                            "Open incidents by priority",
                            "Priority",
                            "Open incidents",
                            d.backlog.clone(),
                        )}
                        <p class="chart-note" id="backlog-total">{format!("{} open in all", d.backlog_total)}</p>
                        {trend_chart(d.trend.clone())}
                        {bar_chart(
                            "chart-sla",
                            "SLA attainment (incidents resolved)",
                            "Target",
                            "Incidents",
                            vec![
                                ("Response met".into(), d.response.0),
                                ("Response breached".into(), d.response.1),
                                ("Resolution met".into(), d.resolution.0),
                                ("Resolution breached".into(), d.resolution.1),
                            ],
                        )}
                        <p class="chart-note" id="sla-summary">
                            {format!(
                                "Response: {}. Resolution: {}.{}",
                                percent(d.response.0, d.response.1),
                                percent(d.resolution.0, d.resolution.1),
                                if d.unmeasured > 0 {
                                    format!(" {} could not be measured.", d.unmeasured)
                                } else {
                                    String::new()
                                },
                            )}
                        </p>
                        {bar_chart(
                            "chart-changes",
                            "Changes by outcome",
                            "Outcome",
                            "Changes finished",
                            d.changes.clone(),
                        )}
                        <p class="chart-note">{format!("{} reworked (implemented more than once).", d.reworked)}</p>
                        <section class="card" id="major-incidents">
                            <h2>{format!("Open major incidents: {}", d.majors.len())}</h2>
                            {if d.majors.is_empty() {
                                view! { <p class="muted">"None open."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="majors">
                                        <thead>
                                            <tr><th>"Number"</th><th>"Title"</th><th>"Service"</th><th>"Owner"</th><th>"Open for"</th><th>"Service down"</th></tr>
                                        </thead>
                                        <tbody>
                                            {d.majors
                                                .iter()
                                                .map(|m| view! {
                                                    <tr class="major-row">
                                                        <td>{m.number.clone()}</td>
                                                        <td>{m.title.clone()}</td>
                                                        <td>{m.service.clone()}</td>
                                                        <td class="major-owner" data-owner=m.owner.clone()>{state.person_name(&m.owner)}</td>
                                                        <td>{super::list::duration(m.open_ms)}</td>
                                                        <td>{if m.service_down { "yes" } else { "no" }}</td>
                                                    </tr>
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                                    .into_any()
                            }}
                        </section>
                        {availability_table(d.availability.clone())}
                    }
                }}
            </div>
        </section>
    }
}
