//! Asset tags (issue 17 item 4): a technician points the tablet's camera at a CI's QR code
//! (Chromium's fake camera filming a real QR code) and the CI opens, offline, through the
//! decoder built into the app; the same camera fills a campaign check's tag and adds the CI
//! to a new incident's affected CIs; a tag typed instead opens the CI too, and an unknown one
//! says so.

use std::path::Path;

use e2e::app::{SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Chromedriver, Result, Tablet, signed_in};

/// A one-frame YUV4MPEG2 video of `text` as a QR code (black on white, 640×480), which
/// Chromium's fake camera plays in a loop.
fn qr_video(text: &str, path: &Path) -> Result<()> {
    let (w, h, scale) = (640usize, 480usize, 8usize);
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = modules * scale;
    let (left, top) = ((w - side) / 2, (h - side) / 2);
    let mut luma = vec![235u8; w * h];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (i % modules, i / modules);
            for y in top + my * scale..top + (my + 1) * scale {
                luma[y * w + left + mx * scale..][..scale].fill(16);
            }
        }
    }
    let mut video = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    video.extend_from_slice(&luma);
    // No colour: both chroma planes at their middle.
    video.extend(std::iter::repeat_n(128u8, w * h / 2));
    std::fs::write(path, video)?;
    Ok(())
}

/// Whether the page has fetched `path` since it loaded (its resource timing entries, which
/// include what the service worker answered).
async fn fetched(tablet: &Tablet, path: &str) -> Result<bool> {
    let script = "return performance.getEntriesByType('resource')
        .some((e) => new URL(e.name).pathname === arguments[0]);";
    let answer = tablet.execute(script, vec![path.into()]).await?;
    Ok(answer.as_bool() == Some(true))
}

#[tokio::test]
async fn a_cis_qr_code_opens_it_offline_and_a_typed_tag_does_too() -> Result<()> {
    let (mut relay, _driver, tablets, _) = signed_in(&["desk"]).await?;
    let [desk] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");
    let ci = desk
        .create_record(
            "configuration_item",
            &[
                ("name", "Till 3 printer"),
                ("site", "north"),
                ("asset_tag", "TAG-31337"),
            ],
        )
        .await?;
    let campaign = desk
        .create_record(
            "verification_campaign",
            &[("name", "Q4 north"), ("site", "north")],
        )
        .await?;
    desk.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    let (username, password) = relay.first_account().expect("the first account");

    let dir = tempfile::tempdir()?;
    let video = dir.path().join("tag.y4m");
    qr_video("TAG-31337", &video)?;
    let driver = Chromedriver::start().await?;
    let tech = Tablet::open_with_camera(&driver, &relay.base_url(), "tech", &video).await?;
    tech.sign_in(&username, &password).await?;
    tech.open_list().await?;
    tech.wait_online(true, SYNC_TIMEOUT).await?;
    tech.wait_service_worker().await?;
    tech.goto(&format!("/records/configuration_item/{}", ci.id))
        .await?;
    tech.wait_for_text("#record-number", "the CI", SYNC_TIMEOUT, |t| t == ci.number)
        .await?;

    // In the basement: no relay. The camera reads the label and the CI opens.
    relay.stop().await?;
    tech.goto("/").await?;
    // The decoder is a module of its own: the first screen does not fetch it, the first scan
    // does (from the service worker's cache, offline).
    tech.wait_for("#scan-link", UI_TIMEOUT).await?;
    assert!(!fetched(&tech, "/pkg/scanner_bg.wasm").await?);
    assert!(fetched(&tech, "/pkg/app_bg.wasm").await?);
    tech.click("#scan-link").await?;
    tech.wait_for_text("#record-number", "the scanned CI", UI_TIMEOUT, |t| {
        t == ci.number
    })
    .await?;
    assert!(fetched(&tech, "/pkg/scanner_bg.wasm").await?);
    assert!(tech.current_url().await?.ends_with(&ci.id));

    // Verifying it in a campaign: the tag field reads the label too.
    tech.goto(&format!("/records/verification_campaign/{}", campaign.id))
        .await?;
    tech.wait_section("Progress", UI_TIMEOUT, |r| r.starts_with("0 of 1 checked"))
        .await?;
    tech.click("details#action-check > summary").await?;
    tech.click("#a-check-tag-scan").await?;
    tech.wait_value("#a-check-tag", "TAG-31337", UI_TIMEOUT)
        .await?;
    tech.act("check", &[("method", "scanned"), ("result", "found_ok")])
        .await?;
    tech.wait_section("Progress", UI_TIMEOUT, |r| r.starts_with("1 of 1 checked"))
        .await?;

    // Logging an incident on the spot: the affected CIs' picker reads the label too, and the
    // CI's number fills the field, still offline.
    tech.open_records("incident").await?;
    tech.click("#new-incident").await?;
    tech.fill("#title", "Till 3 printer jams").await?;
    tech.fill("#description", "Found jammed on the visit")
        .await?;
    tech.click("#affected_cis-scan").await?;
    tech.wait_value("#affected_cis", &ci.number, UI_TIMEOUT)
        .await?;
    tech.click("#save").await?;
    tech.wait_for_text("#save-status", "to say Saved", UI_TIMEOUT, |t| t == "Saved")
        .await?;
    // The saved incident links the CI.
    tech.wait_for(
        &format!("#links a.record-link[data-number=\"{}\"]", ci.number),
        UI_TIMEOUT,
    )
    .await?;

    // Typing works where the label is gone; a wrong tag says so. (The desk tablet has no
    // camera: scanning tells it to type.)
    desk.goto("/scan").await?;
    desk.wait_for_text("#scan-status", "no camera", UI_TIMEOUT, |t| {
        t.contains("type the tag instead")
    })
    .await?;
    desk.fill("#scan-tag", "TAG-99999").await?;
    desk.click("#scan-open").await?;
    let why = desk
        .wait_for_text("#scan-error", "the unknown tag", UI_TIMEOUT, |t| {
            !t.is_empty()
        })
        .await?;
    assert!(
        why.contains("No CI or asset on this device has the tag 'TAG-99999'"),
        "{why}"
    );
    desk.fill("#scan-tag", "tag-31337").await?;
    desk.click("#scan-open").await?;
    desk.wait_for_text("#record-number", "the typed CI", UI_TIMEOUT, |t| {
        t == ci.number
    })
    .await?;
    tech.close().await?;
    desk.close().await
}
