//! Tablet first: every main screen at 768 px wide (a tablet held upright) has no sideways
//! scroll, touch targets of at least 44 px, a label on every control, a name on every button
//! and link, and text that meets WCAG AA contrast; and a person can log an incident with the
//! keyboard alone.

use e2e::app::{NewIncident, UI_TIMEOUT};
use e2e::{Result, Tablet, signed_in};

/// What is wrong on the page as shown now, one line per finding (empty: nothing).
const AUDIT: &str = r##"
const problems = [];
const width = window.innerWidth;
const visible = (el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
};
const named = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${String(el.className).split(" ")[0]} "${el.textContent.trim().slice(0, 30)}"`;
if (document.documentElement.scrollWidth > width + 1) {
  // Name the innermost elements that stick out.
  const out = (e) => e.getBoundingClientRect().right > width + 1;
  const culprits = [...document.querySelectorAll("body *")].filter((e) => out(e) && ![...e.children].some(out));
  problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${width} (${culprits.slice(0, 3).map(named).join(", ")})`);
}
const controls = "button, a.button, input:not([type=hidden]), select, textarea, summary, .topbar a, nav a";
for (const el of document.querySelectorAll(controls)) {
  if (!visible(el)) continue;
  // A checkbox's target is its label.
  const target = (el.type === "checkbox" || el.type === "radio") ? (el.closest("label") || el) : el;
  const h = target.getBoundingClientRect().height;
  if (h < 44 - 0.5) problems.push(`${named(el)}: touch target ${Math.round(h)} px tall`);
}
for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
  if (!visible(el)) continue;
  const labelled = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
  if (!labelled) problems.push(`${named(el)}: no label`);
}
for (const el of document.querySelectorAll("button, a")) {
  if (!visible(el)) continue;
  if (!(el.textContent.trim() || el.getAttribute("aria-label") || el.getAttribute("title"))) {
    problems.push(`${named(el)}: no name`);
  }
}
// Contrast (WCAG 2.x AA): 4.5:1, or 3:1 for large text, against the composited background.
const rgba = (s) => { const n = (s.match(/[\d.]+/g) || []).map(Number); return n.length < 3 ? null : [n[0], n[1], n[2], n.length > 3 ? n[3] : 1]; };
const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
};
const luminance = (rgb) => {
  const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
};
for (const el of document.querySelectorAll("body *")) {
  if (el.closest("svg") || !visible(el) || el.disabled || el.closest("[disabled]")) continue;
  const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!text) continue;
  const s = getComputedStyle(el);
  const bg = background(el);
  const fg = over(rgba(s.color), bg);
  const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  const size = parseFloat(s.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5) - 0.01) {
    problems.push(`${named(el)}: contrast ${ratio.toFixed(2)}:1`);
  }
}
return [...new Set(problems)];
"##;

async fn audit(tablet: &Tablet, screen: &str) -> Vec<String> {
    let found = tablet
        .execute(AUDIT, vec![])
        .await
        .unwrap_or_else(|e| panic!("auditing {screen}: {e}"));
    found
        .as_array()
        .unwrap_or_else(|| panic!("auditing {screen}: {found}"))
        .iter()
        .map(|p| format!("{screen}: {}", p.as_str().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn every_main_screen_fits_a_tablet_and_works_by_touch_and_keyboard() -> Result<()> {
    let (_relay, _driver, tablets, _) = signed_in(&["upright"]).await?;
    let [a] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");
    a.client().set_window_size(768, 1024).await?;

    // Something on every screen: an incident, a change (for the calendar), a service.
    let incident = a
        .create_incident(&NewIncident {
            title: "Router down at depot",
            description: "No link since the storm.",
            impact: "high",
            urgency: "medium",
            note: "Power-cycled it",
        })
        .await?;
    let service = a
        .create_record("service", &[("name", "Printing"), ("owner", "ana")])
        .await?;

    let mut problems = vec![];
    let screens = [
        ("/", "#new-incident"),
        ("/incidents/new", "#title"),
        (&format!("/incidents/{incident}") as &str, "#history"),
        ("/records", "#nav-change"),
        ("/records/change", "#new-record"),
        (
            &format!("/records/service/{}", service.id),
            "#record-number",
        ),
        ("/changes/calendar", "h1"),
        ("/dashboard", "h1"),
        ("/conflicts", "h1"),
        ("/export", "h1"),
        ("/admin", "h1"),
    ];
    for (path, ready) in screens {
        a.goto(path).await?;
        a.wait_for(ready, UI_TIMEOUT).await?;
        problems.extend(audit(&a, path).await);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The keyboard alone: type the title, Tab to the description, Enter submits.
    a.goto("/incidents/new").await?;
    let title = a.wait_for("#title", UI_TIMEOUT).await?;
    title.send_keys("Badge reader dead at gate 2").await?;
    title.send_keys("\u{E004}").await?; // Tab
    let focused = a
        .execute("return document.activeElement.id;", vec![])
        .await?;
    assert_eq!(focused, "description", "Tab moves to the next field");
    a.client()
        .active_element()
        .await?
        .send_keys("Nobody gets in.")
        .await?;
    title.send_keys("\u{E007}").await?; // Enter, in the title field
    a.wait_for_text("#save-status", "Saved", UI_TIMEOUT, |t| t == "Saved")
        .await?;
    let url = a.current_url().await?;
    assert!(
        !url.ends_with("/incidents/new"),
        "the new incident's page: {url}"
    );
    assert_eq!(a.value("#description").await?, "Nobody gets in.");
    a.close().await
}
