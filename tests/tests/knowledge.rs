//! Knowledge articles (issue 17 item 5): an article published at the desk reaches a
//! technician's tablet whatever their sites; with the relay gone, the incident the technician
//! logs suggests it from its words, a search finds it, and it is cited in the work log.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Result, Tablet, signed_in};

const PASSWORD: &str = "knowledge-password-2026";

#[tokio::test]
async fn an_article_is_suggested_found_and_cited_from_an_incident_offline() -> Result<()> {
    let (mut relay, driver, tablets, _) = signed_in(&["desk"]).await?;
    let [desk] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");
    let article = desk
        .create_record(
            "knowledge_article",
            &[
                ("title", "Receipt printer jams"),
                ("symptom", "Paper jams in the receipt printer at the till"),
                ("cause", "Rolls wider than 57 mm"),
            ],
        )
        .await?;
    assert!(article.number.starts_with("KB-"), "{}", article.number);
    // Not publishable without the steps that resolve it.
    let why = desk.move_refused("published", "").await?;
    assert!(why.contains("a symptom and the steps"), "{why}");
    desk.edit_record(&[("steps", "Open the cover\nFit a 57 mm roll")])
        .await?;
    desk.move_record("published", "").await?;
    // A draft on the same subject is never suggested.
    desk.create_record(
        "knowledge_article",
        &[
            ("title", "Receipt printer jams (draft)"),
            ("symptom", "Receipt printer jams"),
        ],
    )
    .await?;
    desk.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    relay
        .admin(
            &["user", "add", "tom", "--role", "technician"],
            Some(PASSWORD),
        )
        .await?;
    let tom = Tablet::open(&driver, &relay.base_url(), "tom").await?;
    tom.sign_in("tom", PASSWORD).await?;
    tom.wait_online(true, SYNC_TIMEOUT).await?;
    tom.wait_service_worker().await?;
    tom.goto(&format!("/records/knowledge_article/{}", article.id))
        .await?;
    tom.wait_for_text("#record-number", "the article", SYNC_TIMEOUT, |t| {
        t == article.number
    })
    .await?;

    // In the basement: no relay.
    relay.stop().await?;
    tom.open_list().await?;
    tom.create_incident(&NewIncident {
        title: "Till 3 receipt printer jams",
        description: "Paper stuck after every receipt",
        impact: "medium",
        urgency: "high",
        note: "",
    })
    .await?;
    let suggested = format!(
        "#knowledge li.knowledge-article[data-number=\"{}\"]",
        article.number
    );
    tom.wait_for(&suggested, UI_TIMEOUT).await?;
    assert_eq!(
        tom.count("#knowledge li.knowledge-article").await?,
        1,
        "the draft is not suggested"
    );
    // A search finds it by a word of its steps, and misses what it does not hold.
    tom.fill("#knowledge-search", "vpn").await?;
    tom.wait_for("#knowledge-none", UI_TIMEOUT).await?;
    tom.fill("#knowledge-search", "57 mm roll").await?;
    tom.wait_for(&suggested, UI_TIMEOUT).await?;
    tom.click(&format!("{suggested} button.cite-article"))
        .await?;
    let line = format!(
        "Followed knowledge article {}: Receipt printer jams",
        article.number
    );
    tom.wait_for_text("#knowledge-status", "the citation", UI_TIMEOUT, |t| {
        t.starts_with("Cited")
    })
    .await?;
    tom.wait_until("the work log to cite it", UI_TIMEOUT, || async {
        let mut notes = vec![];
        for note in tom.find_all(".worklog-note").await? {
            notes.push(note.text().await?);
        }
        Ok(notes.contains(&line))
    })
    .await?;
    tom.close().await?;
    desk.close().await
}
