//! Outpost's pages as a person on a tablet uses them, through the app's DOM contract:
//! `#sync-status` (`data-online`), `#unsynced-count`, `#last-sync`, `#sync-progress`; the
//! list's `a.incident-row[data-id]` rows (only those scrolled into view are in the DOM) with
//! `.incident-sla[data-warning]`, its tools `#search`, `#my-work` (`aria-pressed`),
//! `#filter-status` (default `open`), `#filter-priority` (`P1`…), `#filter-scope`
//! (`site:<id>`, `team:<id>`), `#sort` (`updated`, `priority`, `number`), `#list-count` and
//! `#export-csv` (downloads the rows shown as CSV);
//! and the incident form's `#title`, `#urgency`, `#site`, `#team`, `#save`, `#save-status`, …

use std::time::Duration;

use crate::{Result, Tablet};

/// Loading the app (a 1 MB wasm on a busy 2-core machine) and UI reactions.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);
/// A change reaching another tablet through the relay, including the client's reconnect
/// backoff (at most 10 s).
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(20);

/// What a person types into the new-incident form.
#[derive(Debug, Clone)]
pub struct NewIncident<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// `high`, `medium` or `low`.
    pub impact: &'a str,
    /// `high`, `medium` or `low`.
    pub urgency: &'a str,
    /// The first work-log note (may be empty).
    pub note: &'a str,
}

/// One row of the incident list, as displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: String,
    pub title: String,
    pub priority: String,
    pub urgency: String,
    pub status: String,
}

/// What every person's incident list shows (its search field; "New incident" only for those
/// who may log one).
const LIST: &str = "#search";

/// The CSS selector of the list row of the incident with document id `id`.
pub fn row_selector(id: &str) -> String {
    format!("a.incident-row[data-id=\"{id}\"]")
}

impl Tablet {
    /// Waits until the app has started (its status bar is there).
    pub async fn wait_app(&self) -> Result<()> {
        self.wait_for("#sync-status", UI_TIMEOUT).await?;
        Ok(())
    }

    /// Signs in on the sign-in screen the app shows to a device with no stored session, and
    /// waits for the incident list. The session is then kept on the device (offline too).
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<()> {
        self.goto("/").await?;
        self.wait_for("#username", UI_TIMEOUT).await?;
        self.fill("#username", username).await?;
        self.fill("#password", password).await?;
        self.click("#sign-in").await?;
        self.wait_for(LIST, UI_TIMEOUT).await?;
        Ok(())
    }

    /// Opens the incident list (a full page load) and waits for the app.
    pub async fn open_list(&self) -> Result<()> {
        self.goto("/").await?;
        self.wait_app().await?;
        self.wait_for(LIST, UI_TIMEOUT).await?;
        Ok(())
    }

    /// Waits until the sync indicator says online (`true`) or offline (`false`), in its text
    /// and its `data-online` attribute.
    pub async fn wait_online(&self, online: bool, timeout: Duration) -> Result<()> {
        let (want_attr, want_text) = if online {
            ("true", "Online")
        } else {
            ("false", "Offline")
        };
        self.wait_until(
            &format!("the sync indicator to show {want_text}"),
            timeout,
            || async {
                let attr = self.attr("#sync-status", "data-online").await?;
                let text = self.text("#sync-status").await?;
                Ok(attr.as_deref() == Some(want_attr) && text == want_text)
            },
        )
        .await
    }

    /// The number of changes on this tablet that the relay does not have yet.
    pub async fn unsynced(&self) -> Result<u64> {
        let text = self.text("#unsynced-count").await?;
        text.parse()
            .map_err(|e| format!("{}: #unsynced-count is {text:?}: {e}", self.name()).into())
    }

    /// Waits up to `timeout` until the value of the field `selector` is `want`.
    pub async fn wait_value(&self, selector: &str, want: &str, timeout: Duration) -> Result<()> {
        self.wait_until(&format!("`{selector}` to be {want:?}"), timeout, || async {
            Ok(self.value(selector).await? == want)
        })
        .await
    }

    /// Waits until the unsynced count satisfies `accept` (`what` describes it); returns it.
    pub async fn wait_unsynced(
        &self,
        what: &str,
        timeout: Duration,
        accept: impl Fn(u64) -> bool,
    ) -> Result<u64> {
        let text = self
            .wait_for_text("#unsynced-count", what, timeout, |text| {
                text.parse().is_ok_and(&accept)
            })
            .await?;
        Ok(text.parse()?)
    }

    /// Waits until a service worker controls the page (the shell is cached for offline use).
    pub async fn wait_service_worker(&self) -> Result<()> {
        self.wait_until(
            "a service worker to control the page",
            UI_TIMEOUT,
            || async {
                let controlled = self
                    .execute(
                        "return !!(navigator.serviceWorker && navigator.serviceWorker.controller);",
                        vec![],
                    )
                    .await?;
                Ok(controlled.as_bool() == Some(true))
            },
        )
        .await
    }

    /// From the incident list: "New incident", fill the form, save; waits until the form says
    /// "Saved" on the new incident's page and returns the incident's document id.
    pub async fn create_incident(&self, incident: &NewIncident<'_>) -> Result<String> {
        self.create_incident_choosing(incident, &[]).await
    }

    /// Chooses `value` in a select once it offers it, or in a record picker (an input) by
    /// typing it and taking the suggestion.
    pub async fn choose(&self, control: &str, value: &str) -> Result<()> {
        let tag = self.wait_for(control, UI_TIMEOUT).await?.tag_name().await?;
        if tag == "select" {
            self.wait_for(&format!("{control} option[value=\"{value}\"]"), UI_TIMEOUT)
                .await?;
            return self.select(control, value).await;
        }
        self.fill(control, value).await?;
        let option = format!("button.picker-option[data-number=\"{value}\"]");
        self.click(&option).await
    }

    /// [`Tablet::create_incident`], also choosing `(control, value)` pairs, e.g.
    /// `("#team", "network")` or `("#service", "SVC-…")` ([`Tablet::choose`]).
    pub async fn create_incident_choosing(
        &self,
        incident: &NewIncident<'_>,
        choices: &[(&str, &str)],
    ) -> Result<String> {
        self.wait_for("#new-incident", UI_TIMEOUT).await?;
        self.click("#new-incident").await?;
        self.wait_for("#title", UI_TIMEOUT).await?;
        self.fill("#title", incident.title).await?;
        self.fill("#description", incident.description).await?;
        self.select("#impact", incident.impact).await?;
        self.select("#urgency", incident.urgency).await?;
        if !incident.note.is_empty() {
            self.fill("#note", incident.note).await?;
        }
        for (control, value) in choices {
            self.choose(control, value).await?;
        }
        self.click("#save").await?;
        let id = crate::poll(
            &format!("{}: the new incident's page", self.name()),
            UI_TIMEOUT,
            || async {
                let url = self.current_url().await.map_err(|e| e.to_string())?;
                match url.split("/incidents/").nth(1) {
                    Some(id) if !id.is_empty() && id != "new" => Ok(id.to_owned()),
                    _ => Err(url),
                }
            },
        )
        .await?;
        self.wait_saved().await?;
        Ok(id)
    }

    /// Clicks `#save` and waits for "Saved" (durable on the device).
    pub async fn save(&self) -> Result<()> {
        self.click("#save").await?;
        self.wait_saved().await
    }

    async fn wait_saved(&self) -> Result<()> {
        self.wait_for_text("#save-status", "to say Saved", UI_TIMEOUT, |t| t == "Saved")
            .await?;
        Ok(())
    }

    /// The list row of incident `id` as displayed now (it must be there).
    pub async fn row(&self, id: &str) -> Result<Row> {
        let row = row_selector(id);
        Ok(Row {
            number: self.text(&format!("{row} .incident-number")).await?,
            title: self.text(&format!("{row} .incident-title")).await?,
            priority: self.text(&format!("{row} .incident-priority")).await?,
            urgency: self.text(&format!("{row} .incident-urgency")).await?,
            status: self.text(&format!("{row} .incident-status")).await?,
        })
    }

    /// Waits until the list shows incident `id` with a row satisfying `accept`; returns it.
    pub async fn wait_row(
        &self,
        id: &str,
        what: &str,
        timeout: Duration,
        accept: impl Fn(&Row) -> bool,
    ) -> Result<Row> {
        crate::poll(
            &format!("{}: the row of {id} {what}", self.name()),
            timeout,
            || async {
                let row = self.row(id).await.map_err(|e| e.to_string())?;
                if accept(&row) {
                    Ok(row)
                } else {
                    Err(format!("{row:?}"))
                }
            },
        )
        .await
    }

    /// The document ids of the list's rows in the DOM, top to bottom.
    pub async fn listed_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for row in self.find_all("a.incident-row").await? {
            ids.push(row.attr("data-id").await?.unwrap_or_default());
        }
        Ok(ids)
    }

    /// Waits until the list shows exactly `want` (document ids, in order); `what` says why.
    pub async fn wait_listed(&self, what: &str, want: &[&str]) -> Result<()> {
        crate::poll(
            &format!("{}: the list to show {what}", self.name()),
            UI_TIMEOUT,
            || async {
                let ids = self.listed_ids().await.map_err(|e| e.to_string())?;
                if ids == want {
                    Ok(())
                } else {
                    Err(format!("{ids:?}"))
                }
            },
        )
        .await
    }

    /// Clicks the list's "Export CSV" and returns the CSV it hands the browser (read from the
    /// `Blob` the page turns into the download).
    pub async fn export_csv(&self) -> Result<String> {
        self.execute(
            "window.__outpostBlobs = [];
             if (!window.__outpostHooked) {
               window.__outpostHooked = true;
               const create = URL.createObjectURL.bind(URL);
               URL.createObjectURL = b => { window.__outpostBlobs.push(b); return create(b); };
             }",
            vec![],
        )
        .await?;
        self.click("#export-csv").await?;
        let text = self
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const b = window.__outpostBlobs[0];
                 if (!b) { done(null); } else { b.text().then(done); }",
                vec![],
            )
            .await?;
        text.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{}: Export CSV made no file", self.name()).into())
    }

    /// The messages of documents that failed to load (`.load-error`), normally none.
    pub async fn load_errors(&self) -> Result<Vec<String>> {
        let mut messages = Vec::new();
        for element in self.find_all(".load-error").await? {
            messages.push(element.text().await?);
        }
        Ok(messages)
    }
}

/// The admin screen's row of person `username`.
pub fn person_selector(username: &str) -> String {
    format!("tr.person-row[data-username=\"{username}\"]")
}

/// The admin screen (`/admin`): `#add-team`, `#add-person` and its fields (sites and teams
/// chosen with `#choose-site-<id>` / `#choose-team-<id>` checkboxes), and per person
/// `tr.person-row[data-username]` with `.person-roles`, `.role-select`, `.grant-role`,
/// `.revoke-role`, `.person-sites` / `.person-teams` (each `.group-name[data-id]`, shown by
/// name) with `.site-select` / `.team-select`,
/// `.join-site` / `.leave-site` / `.join-team` / `.leave-team`; `.admin-notice` /
/// `.admin-error` tell the outcome.
impl Tablet {
    /// Opens the admin screen through the header's link (no page load).
    pub async fn open_admin(&self) -> Result<()> {
        self.wait_for("#admin-link", UI_TIMEOUT).await?;
        self.click("#admin-link").await?;
        self.wait_for("table.people", UI_TIMEOUT).await?;
        Ok(())
    }

    /// Adds a team and waits until the screen lists it.
    pub async fn add_team(&self, id: &str, name: &str) -> Result<()> {
        self.fill("#new-team-id", id).await?;
        self.fill("#new-team-name", name).await?;
        self.click("#add-team").await?;
        self.wait_until(&format!("team {id} to be listed"), UI_TIMEOUT, || async {
            for row in self.find_all(".team-row code").await? {
                if row.text().await? == id {
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await
    }

    /// Adds a person with `roles` (ids, e.g. `agent`) and `teams` (comma-separated ids), and
    /// waits for their row.
    pub async fn add_person(
        &self,
        username: &str,
        password: &str,
        roles: &[&str],
        teams: &str,
    ) -> Result<()> {
        self.fill("#new-username", username).await?;
        self.fill("#new-password", password).await?;
        for role in roles {
            self.click(&format!("#role-{role}")).await?;
        }
        for team in teams.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            self.click(&format!("#choose-team-{team}")).await?;
        }
        self.click("#add-person").await?;
        self.wait_for(&person_selector(username), UI_TIMEOUT)
            .await?;
        Ok(())
    }

    /// The roles the admin screen lists for `username` now.
    pub async fn person_roles(&self, username: &str) -> Result<Vec<String>> {
        let text = self
            .text(&format!("{} .person-roles", person_selector(username)))
            .await?;
        Ok(text
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect())
    }

    /// Grants (`grant`) or revokes `role` of `username` on the admin screen and waits until
    /// the person's row shows the change.
    pub async fn change_role(&self, username: &str, role: &str, grant: bool) -> Result<()> {
        let row = person_selector(username);
        self.select(&format!("{row} .role-select"), role).await?;
        let button = if grant { ".grant-role" } else { ".revoke-role" };
        self.click(&format!("{row} {button}")).await?;
        self.wait_until(
            &format!(
                "{username}'s roles to {} {role}",
                if grant { "include" } else { "lack" }
            ),
            UI_TIMEOUT,
            || async {
                let roles = self.person_roles(username).await?;
                Ok(roles.iter().any(|r| r == role) == grant)
            },
        )
        .await
    }

    /// The sites (`kind` "site") or teams (`kind` "team") the admin screen lists for `username`.
    pub async fn person_groups(&self, username: &str, kind: &str) -> Result<Vec<String>> {
        self.person_group(username, kind, Some("data-id")).await
    }

    /// The names `username`'s row shows for their sites or teams (`kind` is "site" or "team").
    pub async fn person_group_names(&self, username: &str, kind: &str) -> Result<Vec<String>> {
        self.person_group(username, kind, None).await
    }

    /// Each of `username`'s sites or teams: its attribute `attr`, or its text.
    async fn person_group(
        &self,
        username: &str,
        kind: &str,
        attr: Option<&str>,
    ) -> Result<Vec<String>> {
        let selector = format!("{} .person-{kind}s .group-name", person_selector(username));
        let mut found = vec![];
        for g in self.find_all(&selector).await? {
            match attr {
                Some(attr) => found.extend(g.attr(attr).await?),
                None => found.push(g.text().await?),
            }
        }
        Ok(found)
    }

    /// Adds `username` to (`join`) or removes them from site or team `id` (`kind` "site" or
    /// "team") on the admin screen, and waits until the person's row shows the change.
    pub async fn change_group(
        &self,
        username: &str,
        kind: &str,
        id: &str,
        join: bool,
    ) -> Result<()> {
        let row = person_selector(username);
        let select = format!("{row} .{kind}-select");
        self.wait_for(&format!("{select} option[value=\"{id}\"]"), UI_TIMEOUT)
            .await?;
        self.select(&select, id).await?;
        let button = if join { "join" } else { "leave" };
        self.click(&format!("{row} .{button}-{kind}")).await?;
        self.wait_until(
            &format!(
                "{username}'s {kind}s to {} {id}",
                if join { "include" } else { "lack" }
            ),
            UI_TIMEOUT,
            || async {
                let groups = self.person_groups(username, kind).await?;
                Ok(groups.iter().any(|g| g == id) == join)
            },
        )
        .await
    }
}

/// The auditor's evidence export (`/export`, linked as `#export-link` for auditors and
/// administrators): `#export-clause`, `#export-sample`, `#export-seed`, `#export-download`
/// (disabled offline, with `#export-offline` saying why); `#export-status` names the downloaded
/// file and its size, `.export-error` tells a refusal.
impl Tablet {
    /// Opens the export screen through the header's link (no page load).
    pub async fn open_export(&self) -> Result<()> {
        self.wait_for("#export-link", UI_TIMEOUT).await?;
        self.click("#export-link").await?;
        self.wait_for("#export-download", UI_TIMEOUT).await?;
        Ok(())
    }

    /// Downloads the evidence of `clause` with a sample of `sample` records and returns what
    /// `#export-status` says once it is done (or an error with `.export-error`'s sentence).
    pub async fn export_evidence(&self, clause: &str, sample: u32) -> Result<String> {
        self.select("#export-clause", clause).await?;
        self.fill("#export-sample", &sample.to_string()).await?;
        self.click("#export-download").await?;
        crate::poll(
            &format!("{}: the evidence export to finish", self.name()),
            UI_TIMEOUT,
            || async {
                if self
                    .count(".export-error")
                    .await
                    .map_err(|e| e.to_string())?
                    > 0
                {
                    let e = self
                        .text(".export-error")
                        .await
                        .map_err(|e| e.to_string())?;
                    return Ok(Err(e));
                }
                match self
                    .count("#export-status")
                    .await
                    .map_err(|e| e.to_string())?
                {
                    0 => Err("no status yet".to_string()),
                    _ => Ok(Ok(self
                        .text("#export-status")
                        .await
                        .map_err(|e| e.to_string())?)),
                }
            },
        )
        .await?
        .map_err(|e| format!("{}: the export failed: {e}", self.name()).into())
    }

    /// Fetches `path` from the page (the tablet's session cookie) and returns the status and
    /// the first `n` bytes of the answer.
    pub async fn fetch_bytes(&self, path: &str, n: usize) -> Result<(u16, Vec<u8>)> {
        let answer = self
            .client()
            .execute_async(
                "const [path, n, done] = arguments;
                 fetch(path, {credentials: 'same-origin'})
                   .then(r => r.arrayBuffer().then(b => done([r.status, Array.from(new Uint8Array(b).slice(0, n))])))
                   .catch(e => done([0, []]));",
                vec![path.into(), n.into()],
            )
            .await?;
        let status = answer[0].as_u64().unwrap_or(0) as u16;
        let bytes = answer[1]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|b| b.as_u64())
                    .map(|b| b as u8)
                    .collect()
            })
            .unwrap_or_default();
        Ok((status, bytes))
    }
}

/// The dashboard (`/dashboard`, `#dashboard-link`): bar charts `#chart-backlog`, `#chart-sla`,
/// `#chart-changes` whose bars are `g.bar[data-label][data-value]`, `#backlog-total`,
/// `#sla-summary`, the trend `#chart-trend` with one `g.day[data-date][data-opened]
/// [data-resolved]` per local day (today last), and `#major-incidents` with `tr.major-row`s.
impl Tablet {
    /// Opens the dashboard through the header's link (no page load, so offline too).
    pub async fn open_dashboard(&self) -> Result<()> {
        self.wait_for("#dashboard-link", UI_TIMEOUT).await?;
        self.click("#dashboard-link").await?;
        self.wait_for("#chart-backlog", UI_TIMEOUT).await?;
        Ok(())
    }

    /// The (label, value) bars of bar chart `chart` (e.g. `#chart-backlog`), top to bottom.
    pub async fn chart_bars(&self, chart: &str) -> Result<Vec<(String, u64)>> {
        let mut bars = Vec::new();
        for bar in self.find_all(&format!("{chart} g.bar")).await? {
            let label = bar.attr("data-label").await?.unwrap_or_default();
            let value = bar.attr("data-value").await?.unwrap_or_default();
            bars.push((label, value.parse()?));
        }
        Ok(bars)
    }

    /// The trend's days as (date, opened, resolved), oldest first.
    pub async fn trend_days(&self) -> Result<Vec<(String, u64, u64)>> {
        let mut days = Vec::new();
        for day in self.find_all("#chart-trend g.day").await? {
            let date = day.attr("data-date").await?.unwrap_or_default();
            let opened = day.attr("data-opened").await?.unwrap_or_default();
            let resolved = day.attr("data-resolved").await?.unwrap_or_default();
            days.push((date, opened.parse()?, resolved.parse()?));
        }
        Ok(days)
    }
}

/// One record in the conflict inbox, as displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRecord {
    pub id: String,
    pub number: String,
    pub title: String,
    /// Per conflicting field: its name and every value offered (the one shown now first).
    pub fields: Vec<(String, Vec<String>)>,
}

/// The conflict inbox (`/conflicts`; header link `#conflicts-link` with badge `#conflict-count`,
/// shown while some record needs a decision): `li.conflict-record[data-id]` with
/// `.conflict-number`, `.conflict-title`, one `li.conflict-field[data-field]` per conflicting
/// field with a `button.choose-value[data-value]` per value, and `li.conflict-rule` for broken
/// workflow rules; `#conflicts-empty.ready` when nothing needs a decision. The incident page
/// shows `#conflict-banner` while its record is in the inbox.
impl Tablet {
    /// Opens the inbox through the header's link (no page load, so offline too).
    pub async fn open_conflicts(&self) -> Result<()> {
        self.wait_for("#conflicts-link", UI_TIMEOUT).await?;
        self.click("#conflicts-link").await?;
        self.wait_for(".conflicts-page", UI_TIMEOUT).await?;
        Ok(())
    }

    /// The records the inbox lists now.
    pub async fn inbox(&self) -> Result<Vec<InboxRecord>> {
        let mut records = Vec::new();
        for record in self.find_all("li.conflict-record").await? {
            let id = record.attr("data-id").await?.unwrap_or_default();
            let number = record
                .find(fantoccini::Locator::Css(".conflict-number"))
                .await?
                .text()
                .await?;
            let title = record
                .find(fantoccini::Locator::Css(".conflict-title"))
                .await?
                .text()
                .await?;
            let mut fields = Vec::new();
            for field in record
                .find_all(fantoccini::Locator::Css("li.conflict-field"))
                .await?
            {
                let name = field.attr("data-field").await?.unwrap_or_default();
                let mut values = Vec::new();
                for button in field
                    .find_all(fantoccini::Locator::Css("button.choose-value"))
                    .await?
                {
                    values.push(button.attr("data-value").await?.unwrap_or_default());
                }
                fields.push((name, values));
            }
            records.push(InboxRecord {
                id,
                number: number.trim().to_owned(),
                title: title.trim().to_owned(),
                fields,
            });
        }
        Ok(records)
    }

    /// In the inbox, chooses `value` for `field` of record `id`.
    pub async fn choose_value(&self, id: &str, field: &str, value: &str) -> Result<()> {
        let css = format!(
            "li.conflict-record[data-id=\"{id}\"] li.conflict-field[data-field=\"{field}\"] button.choose-value"
        );
        for button in self.find_all(&css).await? {
            if button.attr("data-value").await?.as_deref() == Some(value) {
                button.click().await?;
                return Ok(());
            }
        }
        Err(format!("no button to keep {value:?} for {field} of {id}").into())
    }

    /// Waits until the inbox says nothing needs a decision.
    pub async fn wait_inbox_empty(&self, timeout: Duration) -> Result<()> {
        self.wait_for("#conflicts-empty.ready", timeout).await?;
        Ok(())
    }
}

/// Read-only forms and refused changes: `#read-only-notice` says why a record (or a new one of
/// its kind) may not be changed, and such a form has no `#save`; the header's `#refused-link`
/// with `#refused-count` leads to `/refused`, which lists `li.refused-record[data-id]` with its
/// `.refused-reason`, `.refused-discard` and `.refused-retry`; a record page shows
/// `#refused-banner` (with `#refused-reason`) while its change is not accepted.
impl Tablet {
    /// Waits until the header counts `want` records with a change the relay did not accept.
    pub async fn wait_refused_count(&self, want: usize, timeout: Duration) -> Result<()> {
        if want == 0 {
            return self
                .wait_until("no record to be refused", timeout, || async {
                    Ok(self.count("#refused-link").await? == 0)
                })
                .await;
        }
        self.wait_for_text(
            "#refused-count",
            &format!("to count {want}"),
            timeout,
            |t| t == want.to_string(),
        )
        .await?;
        Ok(())
    }

    /// Opens the list of refused changes through the header's link.
    pub async fn open_refused(&self) -> Result<()> {
        self.wait_for("#refused-link", UI_TIMEOUT).await?;
        self.click("#refused-link").await?;
        self.wait_for(".refused-page", UI_TIMEOUT).await?;
        Ok(())
    }
}
