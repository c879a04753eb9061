use super::*;

const HOUR: i64 = 3_600_000;

fn answer(status: u16, offset: Option<u64>, error: Option<&str>) -> Answer<'_> {
    Answer {
        status,
        offset,
        error,
    }
}

#[test]
fn chunks_cover_the_blob_in_one_mebibyte_pieces() {
    let total = 2 * CHUNK_BYTES + 5;
    assert_eq!(chunk(0, total), 0..CHUNK_BYTES);
    assert_eq!(chunk(CHUNK_BYTES, total), CHUNK_BYTES..2 * CHUNK_BYTES);
    assert_eq!(chunk(2 * CHUNK_BYTES, total), 2 * CHUNK_BYTES..total);
    assert_eq!(chunk(10, 7), 7..7, "an offset past the end sends nothing");
    assert_eq!(chunk(0, 0), 0..0, "an empty file is one empty PUT");
}

#[test]
fn head_says_done_or_where_to_resume() {
    assert_eq!(after_head(answer(200, None, None), 10), Next::Done);
    assert_eq!(
        after_head(answer(404, Some(4), None), 10),
        Next::Send { offset: 4 }
    );
    assert_eq!(
        after_head(answer(404, None, None), 10),
        Next::Send { offset: 0 },
        "no offset: nothing received yet"
    );
    assert_eq!(
        after_head(answer(404, Some(0), None), 0),
        Next::Send { offset: 0 },
        "an empty file is still sent once"
    );
    assert_eq!(
        after_head(answer(404, Some(10), None), 10),
        Next::Send { offset: 10 },
        "all bytes there but not checked (the relay stopped): an empty PUT finishes it"
    );
    assert_eq!(chunk(10, 10), 10..10);
    assert!(matches!(
        after_head(answer(404, Some(11), None), 10),
        Next::Fail { retry: true, .. }
    ));
}

#[test]
fn put_answers_move_on_resume_or_fail() {
    assert_eq!(after_put(answer(201, None, None), 0, 10), Next::Done);
    assert_eq!(
        after_put(answer(204, Some(CHUNK_BYTES), None), 0, 3 * CHUNK_BYTES),
        Next::Send {
            offset: CHUNK_BYTES
        }
    );
    // The relay has less than the device sent (a cut connection): resume from its offset.
    assert_eq!(
        after_put(answer(409, Some(3), None), 5, 10),
        Next::Send { offset: 3 }
    );
    for stuck in [
        answer(409, None, None),
        answer(204, None, None),
        answer(204, Some(5), None),
    ] {
        assert!(
            matches!(after_put(stuck, 5, 10), Next::Fail { retry: true, .. }),
            "{stuck:?}"
        );
    }
    assert_eq!(max_requests(0), 8);
    assert_eq!(max_requests(CHUNK_BYTES + 1), 10);
}

#[test]
fn over_the_limit_is_not_retried_and_keeps_the_relays_sentence() {
    let said = "the file is 61 MB; the relay accepts at most 50 MB per file";
    assert_eq!(
        after_put(answer(413, None, Some(said)), 0, 10),
        Next::Fail {
            message: said.into(),
            retry: false
        }
    );
    assert_eq!(
        after_head(answer(413, None, None), 10),
        Next::Fail {
            message: "the file is larger than the relay accepts".into(),
            retry: false
        }
    );
}

#[test]
fn quota_unreferenced_damaged_and_offline_are_retried() {
    for (status, error, says) in [
        (
            507,
            Some("your attachment quota is full (2 GB)"),
            "quota is full",
        ),
        (403, Some("no record"), "waiting for the record"),
        (400, Some("the file arrived damaged"), "arrived damaged"),
        (0, None, "cannot be reached"),
        (500, None, "answered 500"),
        (401, None, "sign in again"),
    ] {
        match after_put(answer(status, None, error), 0, 10) {
            Next::Fail { message, retry } => {
                assert!(retry, "{status}");
                assert!(message.contains(says), "{status}: {message}");
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[test]
fn retries_back_off_to_a_cap() {
    assert_eq!(retry_delay_ms(1), 5_000);
    assert_eq!(retry_delay_ms(2), 10_000);
    assert_eq!(retry_delay_ms(3), 20_000);
    assert_eq!(retry_delay_ms(30), MAX_RETRY_MS);
    assert_eq!(retry_delay_ms(u32::MAX), MAX_RETRY_MS);

    let first = Upload::Waiting.failed("offline".into(), true, 0);
    let Upload::Failed(f) = &first else { panic!() };
    assert_eq!((f.attempts, f.retry_at), (1, Some(5_000)));
    assert!(!first.due(4_999) && first.due(5_000));
    let second = first.failed("offline".into(), true, 5_000);
    let Upload::Failed(f) = &second else { panic!() };
    assert_eq!((f.attempts, f.retry_at), (2, Some(15_000)));
    let never = second.failed("too big".into(), false, 6_000);
    assert!(!never.due(i64::MAX), "a refusal retrying cannot help waits");
}

#[test]
fn the_next_upload_resumes_first_then_waiting_then_due_retries() {
    let failed_due = Upload::Waiting.failed("x".into(), true, 0);
    let failed_later = Upload::Waiting.failed("x".into(), true, HOUR);
    let states = [
        ("a".to_string(), Upload::OnRelay),
        ("b".to_string(), failed_due.clone()),
        ("c".to_string(), Upload::Waiting),
        ("d".to_string(), Upload::Uploading { sent: 1, total: 2 }),
        ("e".to_string(), failed_later),
    ];
    let now = 10 * 60_000;
    let pick = |skip: &[&str]| {
        next_upload(
            states
                .iter()
                .filter(|(h, _)| !skip.contains(&h.as_str()))
                .map(|(h, s)| (h.as_str(), s)),
            now,
        )
    };
    assert_eq!(pick(&[]), Some("d"));
    assert_eq!(pick(&["d"]), Some("c"));
    assert_eq!(pick(&["d", "c"]), Some("b"));
    assert_eq!(pick(&["d", "c", "b"]), None, "on the relay or not due yet");
}

#[test]
fn progress_is_not_kept_the_relay_says_where_to_resume() {
    assert_eq!(
        Upload::Uploading { sent: 5, total: 9 }.to_keep(),
        Upload::Waiting
    );
    assert_eq!(Upload::OnRelay.to_keep(), Upload::OnRelay);
    let json = serde_json::to_string(&Upload::Waiting.failed("m".into(), false, 1)).unwrap();
    let back: Upload = serde_json::from_str(&json).unwrap();
    assert!(matches!(
        back,
        Upload::Failed(Failure {
            attempts: 1,
            retry_at: None,
            ..
        })
    ));
    assert_eq!(
        serde_json::from_str::<Upload>(r#"{"state":"on_relay"}"#).unwrap(),
        Upload::OnRelay
    );
}

#[test]
fn a_download_is_stored_only_when_its_hash_matches() {
    let bytes = b"a photo";
    let hash = sha256_hex(bytes);
    assert_eq!(hash.len(), 64);
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(after_get(answer(200, None, None), &hash, bytes), Ok(()));
    let (why, retry) = after_get(answer(200, None, None), &hash, b"a phot0").unwrap_err();
    assert!(why.contains("damaged") && retry, "{why}");
    let (why, _) = after_get(answer(404, None, None), &hash, b"").unwrap_err();
    assert!(why.contains("not on the relay yet"), "{why}");
    let (why, _) = after_get(answer(403, None, Some("no")), &hash, b"").unwrap_err();
    assert_eq!(why, "no");
    let failed = Download::failed(None, why, true, 0);
    assert!(!failed.due(0) && failed.due(FIRST_RETRY_MS));
    assert!(!Download::Fetching.due(i64::MAX));
}

#[test]
fn each_state_reads_as_a_sentence() {
    assert_eq!(describe(true, None, None, false), "on this device");
    assert_eq!(
        describe(true, Some(&Upload::Waiting), None, true),
        "waiting to upload"
    );
    assert_eq!(
        describe(
            true,
            Some(&Upload::Uploading { sent: 2, total: 5 }),
            None,
            true
        ),
        "uploading 40 %"
    );
    assert_eq!(
        describe(
            true,
            Some(&Upload::Uploading { sent: 0, total: 0 }),
            None,
            true
        ),
        "uploading 100 %"
    );
    // Rounded down, and no overflow for the largest sizes.
    let uploading =
        |sent, total| describe(true, Some(&Upload::Uploading { sent, total }), None, true);
    assert_eq!(uploading(999, 1000), "uploading 99 %");
    assert_eq!(uploading(u64::MAX / 2, u64::MAX), "uploading 50 %");
    assert_eq!(uploading(u64::MAX, u64::MAX), "uploading 100 %");
    assert_eq!(uploading(u64::MAX, 7), "uploading 100 %");
    assert_eq!(
        describe(true, Some(&Upload::OnRelay), None, true),
        "on the relay"
    );
    let over = Upload::Waiting.failed("the file is too big".into(), false, 0);
    assert_eq!(
        describe(true, Some(&over), None, true),
        "upload failed: the file is too big"
    );
    let offline = Download::failed(None, "the relay cannot be reached".into(), true, 0);
    assert_eq!(
        describe(false, None, Some(&offline), false),
        "download failed: the relay cannot be reached; will try again by itself"
    );
    assert_eq!(
        describe(false, None, Some(&Download::Fetching), true),
        "not on this device — fetching"
    );
    assert_eq!(
        describe(false, None, None, false),
        "not on this device — fetched when online"
    );
}
