//! Every record type but incidents, through the app's generic record pages (`shared::forms`):
//! `#records-link` → `/records` with `#nav-<kind>` links (and `#nav-change-calendar`); a
//! list's `#new-record`; a form's fields `#f-<key>` (a select takes an option value, a
//! `datetime-local` a local `YYYY-MM-DDTHH:MM`), `#save`, `#save-status`; `#record-number`,
//! `#record-status[data-status]`; the move form `#move-to`, `#move-reason`, `#move`; each action
//! in `details#action-<key>` with inputs `#a-<key>-<field>` and `#action-<key>-submit`; the
//! latest refusal in `#record-error`; read-only sections
//! `section.record-section[data-section="<title>"]` with `li.section-row` rows (and a button
//! on a row that can be acted on).

use crate::app::UI_TIMEOUT;
use crate::{Result, Tablet};

/// A record created through its form: its document id and record number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub number: String,
}

impl Tablet {
    /// Opens the list of record type `kind` through the header's Records page (no page load,
    /// so it works offline).
    pub async fn open_records(&self, kind: &str) -> Result<()> {
        self.click("#records-link").await?;
        self.wait_for(&format!("#nav-{kind}"), UI_TIMEOUT).await?;
        self.click(&format!("#nav-{kind}")).await?;
        self.wait_for_text("h1", "the list's heading", UI_TIMEOUT, |t| !t.is_empty())
            .await?;
        if kind != "incident" {
            self.wait_for("#new-record", UI_TIMEOUT).await?;
        }
        Ok(())
    }

    /// From the list of `kind`: New, fill `fields` (`(key, text)`), add; waits for the new
    /// record's page and returns it.
    pub async fn create_record(&self, kind: &str, fields: &[(&str, &str)]) -> Result<Created> {
        self.submit_new(kind, fields).await?;
        let marker = format!("/records/{kind}/");
        let id = crate::poll(
            &format!("{}: the new {kind}'s page", self.name()),
            UI_TIMEOUT,
            || async {
                let error = self.text("#record-error").await.unwrap_or_default();
                if !error.is_empty() {
                    return Err(format!("refused: {error}"));
                }
                let url = self.current_url().await.map_err(|e| e.to_string())?;
                match url.split(&marker).nth(1) {
                    Some(id) if !id.is_empty() && id != "new" => Ok(id.to_owned()),
                    _ => Err(url),
                }
            },
        )
        .await?;
        let number = self
            .wait_for_text("#record-number", "the record number", UI_TIMEOUT, |t| {
                t.contains('-')
            })
            .await?;
        Ok(Created { id, number })
    }

    /// Tries to create a record of `kind` and returns the reason it was refused with.
    pub async fn create_refused(&self, kind: &str, fields: &[(&str, &str)]) -> Result<String> {
        self.submit_new(kind, fields).await?;
        self.refusal().await
    }

    async fn submit_new(&self, kind: &str, fields: &[(&str, &str)]) -> Result<()> {
        self.open_records(kind).await?;
        self.click("#new-record").await?;
        self.wait_for("#save", UI_TIMEOUT).await?;
        self.fill_inputs("f", fields).await?;
        self.click("#save").await
    }

    /// Opens the form of record `id` of `kind` (a page load).
    pub async fn open_record(&self, kind: &str, id: &str) -> Result<()> {
        self.goto(&format!("/records/{kind}/{id}")).await?;
        self.wait_for("#record-status", UI_TIMEOUT).await?;
        Ok(())
    }

    /// Types `fields` into the form's fields and saves; waits for "Saved".
    pub async fn edit_record(&self, fields: &[(&str, &str)]) -> Result<()> {
        self.fill_inputs("f", fields).await?;
        self.save().await
    }

    /// The status key of the open record.
    pub async fn record_status(&self) -> Result<String> {
        Ok(self
            .attr("#record-status", "data-status")
            .await?
            .unwrap_or_default())
    }

    /// Moves the open record to status `to` (its key) with `reason`; waits until it shows it.
    pub async fn move_record(&self, to: &str, reason: &str) -> Result<()> {
        self.submit_move(to, reason).await?;
        self.wait_until(
            &format!("the status to become {to}"),
            UI_TIMEOUT,
            || async { Ok(self.record_status().await? == to) },
        )
        .await
    }

    /// Tries to move the open record to `to` and returns the reason it was refused with.
    pub async fn move_refused(&self, to: &str, reason: &str) -> Result<String> {
        self.submit_move(to, reason).await?;
        self.refusal().await
    }

    async fn submit_move(&self, to: &str, reason: &str) -> Result<()> {
        self.wait_for(&format!("#move-to option[value=\"{to}\"]"), UI_TIMEOUT)
            .await?;
        self.select("#move-to", to).await?;
        self.fill("#move-reason", reason).await?;
        self.click("#move").await
    }

    /// Takes action `action` of the open record with `fields`; waits for "Saved".
    pub async fn act(&self, action: &str, fields: &[(&str, &str)]) -> Result<()> {
        self.submit_action(action, fields).await?;
        self.wait_for_text("#save-status", "to say Saved", UI_TIMEOUT, |t| t == "Saved")
            .await?;
        Ok(())
    }

    /// Tries action `action` and returns the reason it was refused with.
    pub async fn act_refused(&self, action: &str, fields: &[(&str, &str)]) -> Result<String> {
        self.submit_action(action, fields).await?;
        self.refusal().await
    }

    async fn submit_action(&self, action: &str, fields: &[(&str, &str)]) -> Result<()> {
        let details = format!("details#action-{action}");
        if self.attr(&details, "open").await?.is_none() {
            self.click(&format!("{details} > summary")).await?;
        }
        self.fill_inputs(&format!("a-{action}"), fields).await?;
        self.click(&format!("#action-{action}-submit")).await
    }

    /// The reason shown for the latest refusal (waits for it).
    pub async fn refusal(&self) -> Result<String> {
        self.wait_for_text("#record-error", "a refusal", UI_TIMEOUT, |t| !t.is_empty())
            .await
    }

    /// The rows of the open record's section `title`.
    pub async fn section_rows(&self, title: &str) -> Result<Vec<String>> {
        let mut rows = vec![];
        let selector = format!("section.record-section[data-section=\"{title}\"] li.section-row");
        for row in self.find_all(&selector).await? {
            rows.push(row.text().await?);
        }
        Ok(rows)
    }

    /// Presses the button on row `n` (1-based) of section `title`.
    pub async fn press_row(&self, title: &str, n: usize) -> Result<()> {
        self.click(&format!(
            "section.record-section[data-section=\"{title}\"] li.section-row:nth-child({n}) button"
        ))
        .await
    }

    /// Waits up to `timeout` until section `title` has a row satisfying `accept`; returns the
    /// rows.
    pub async fn wait_section(
        &self,
        title: &str,
        timeout: std::time::Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>> {
        crate::poll(
            &format!("{}: a row in section {title}", self.name()),
            timeout,
            || async {
                let rows = self.section_rows(title).await.map_err(|e| e.to_string())?;
                if rows.iter().any(|r| accept(r)) {
                    Ok(rows)
                } else {
                    Err(format!("{rows:?}"))
                }
            },
        )
        .await
    }

    /// Scrolls `selector` to the top of the view, below the header (for screenshots).
    pub async fn scroll_to(&self, selector: &str) -> Result<()> {
        self.execute(
            "const e = document.querySelector(arguments[0]); \
             window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 140);",
            vec![selector.into()],
        )
        .await?;
        Ok(())
    }

    /// Draws `strokes` on the pad `selector` as a finger would (pointer down, moves, up), each
    /// point given as fractions (0–1) of the pad's width and height.
    pub async fn draw(&self, selector: &str, strokes: &[&[(f64, f64)]]) -> Result<()> {
        let strokes: Vec<Vec<[f64; 2]>> = strokes
            .iter()
            .map(|s| s.iter().map(|(x, y)| [*x, *y]).collect())
            .collect();
        self.execute(
            "const pad = document.querySelector(arguments[0]);
             const box = pad.getBoundingClientRect();
             const at = (type, [x, y]) => pad.dispatchEvent(new PointerEvent(type, {
                 bubbles: true, cancelable: true, pointerId: 1, pointerType: 'touch', isPrimary: true,
                 clientX: box.left + x * box.width, clientY: box.top + y * box.height }));
             for (const stroke of arguments[1]) {
                 at('pointerdown', stroke[0]);
                 for (const p of stroke.slice(1)) at('pointermove', p);
                 at('pointerup', stroke[stroke.length - 1]);
             }",
            vec![selector.into(), serde_json::json!(strokes)],
        )
        .await?;
        Ok(())
    }

    /// Types into `#<prefix>-<key>` controls: a select chooses the option value, a
    /// `datetime-local` input is set as the browser's date picker would, others are typed into.
    async fn fill_inputs(&self, prefix: &str, fields: &[(&str, &str)]) -> Result<()> {
        for (key, text) in fields {
            let selector = format!("#{prefix}-{key}");
            let kind = self
                .execute(
                    "const e = document.querySelector(arguments[0]); \
                     return e ? (e.tagName + ':' + (e.type || '')) : '';",
                    vec![selector.clone().into()],
                )
                .await?;
            match kind.as_str().unwrap_or_default() {
                "" => return Err(format!("{}: `{selector}` not found", self.name()).into()),
                "SELECT:select-one" => self.select(&selector, text).await?,
                "INPUT:datetime-local" => {
                    self.execute(
                        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                         e.dispatchEvent(new Event('input', { bubbles: true }));",
                        vec![selector.into(), (*text).into()],
                    )
                    .await?;
                }
                _ => self.fill(&selector, text).await?,
            }
        }
        Ok(())
    }
}
