//! Carrying blobs to and from the relay (`/api/blobs/{hash}`, README), one at a time, after
//! the documents: `shared::sync::blobs` picks the next upload, reads each answer and decides
//! retries; here are only the requests, the storage writes and the signals the page shows.
//!
//! Uploads: HEAD says what the relay has, then PUTs of at most 1 MiB resume from the relay's
//! offset. Downloads: the attachments of opened records (and, with "Keep every attachment
//! offline", of every record on the device) the device lacks; the bytes are stored only when
//! their SHA-256 is the hash the record names.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::sync::blobs::{self, Download, Next, Upload};

use super::Blobs;
use crate::api;
use crate::state::AppState;

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

impl Blobs {
    /// Starts a transfer run unless one is running or the relay is not connected.
    pub fn kick(self, state: AppState) {
        if self.running.get_value() || !state.online.get_untracked() {
            return;
        }
        self.running.set_value(true);
        spawn_local(async move {
            self.refresh_limits(state).await;
            self.run(state).await;
            self.running.set_value(false);
        });
    }

    /// Reads the relay's per-file limit for the checks made offline.
    async fn refresh_limits(self, state: AppState) {
        let Ok(info) = api::blob_limits().await else {
            return;
        };
        if self.settings.with_untracked(|s| s.max_bytes) != Some(info.max_bytes) {
            self.set_settings_quietly(state, info.max_bytes).await;
        }
    }

    async fn set_settings_quietly(self, state: AppState, max_bytes: u64) {
        self.settings.update(|s| s.max_bytes = Some(max_bytes));
        let json = serde_json::to_string(&self.settings.get_untracked()).unwrap_or_default();
        if let Ok(store) = state.store() {
            let _ = store
                .put_meta_string(crate::store::BLOB_SETTINGS, &json)
                .await;
        }
    }

    /// Uploads, then downloads, until nothing is due; stops at the first "relay unreachable".
    async fn run(self, state: AppState) {
        loop {
            if !state.online.get_untracked() {
                return;
            }
            let now = now_ms();
            let next = self.uploads.with_untracked(|u| {
                blobs::next_upload(u.iter().map(|(h, s)| (h.as_str(), s)), now).map(String::from)
            });
            if let Some(hash) = next {
                if !self.upload(state, &hash).await {
                    return;
                }
                continue;
            }
            let Some(hash) = self.next_download(state, now) else {
                return;
            };
            if !self.download(state, &hash).await {
                return;
            }
        }
    }

    /// A wanted blob the device lacks and is not fetching or waiting to retry.
    fn next_download(self, state: AppState, now: i64) -> Option<String> {
        let mut wanted: BTreeSet<String> = self.wanted.with_value(|w| w.iter().cloned().collect());
        if self.settings.with_untracked(|s| s.keep_offline) {
            state.read_device(|d| {
                for (_, doc) in d.docs().iter() {
                    wanted.extend(shared::attachments::hashes_in(doc));
                }
            });
        }
        let (uploads, downloads) = (self.uploads, self.downloads);
        wanted.into_iter().find(|h| {
            !uploads.with_untracked(|u| u.contains_key(h))
                && downloads.with_untracked(|d| d.get(h).is_none_or(|d| d.due(now)))
        })
    }

    /// One upload attempt of `hash`. Returns false when the relay could not be reached.
    async fn upload(self, state: AppState, hash: &str) -> bool {
        let bytes = match state.store() {
            Ok(store) => store.get_blob(hash).await.ok().flatten(),
            Err(_) => None,
        };
        let Some((bytes, _)) = bytes else {
            // Listed but unreadable: nothing to send; keep why, try again later.
            self.keep_upload(state, hash, |s| {
                s.failed(
                    "the file could not be read on this device".into(),
                    true,
                    now_ms(),
                )
            })
            .await;
            return true;
        };
        let total = bytes.len() as u64;
        let head = api::blob("HEAD", hash, &[], None).await;
        let mut next = blobs::after_head(head.answer(), total);
        let mut reached = head.status != 0;
        for _ in 0..blobs::max_requests(total) {
            let Next::Send { offset } = next else { break };
            self.uploads.update(|u| {
                u.insert(
                    hash.to_string(),
                    Upload::Uploading {
                        sent: offset,
                        total,
                    },
                );
            });
            let range = blobs::chunk(offset, total);
            let headers = [
                ("Upload-Offset", offset.to_string()),
                ("Upload-Length", total.to_string()),
                ("Content-Type", "application/octet-stream".to_string()),
            ];
            let chunk = &bytes[range.start as usize..range.end as usize];
            let answer = api::blob("PUT", hash, &headers, Some(chunk)).await;
            reached = answer.status != 0;
            next = blobs::after_put(answer.answer(), offset, total);
        }
        match next {
            Next::Done => self.keep_upload(state, hash, |_| Upload::OnRelay).await,
            Next::Fail { message, retry } => {
                self.keep_upload(state, hash, |s| s.failed(message, retry, now_ms()))
                    .await
            }
            Next::Send { .. } => {
                let message = "the relay kept asking for the file again".to_string();
                self.keep_upload(state, hash, |s| s.failed(message, true, now_ms()))
                    .await
            }
        }
        reached
    }

    /// Sets where `hash` stands (from where it stood) and keeps it on the device.
    async fn keep_upload(self, state: AppState, hash: &str, next: impl FnOnce(&Upload) -> Upload) {
        let now = self.uploads.with_untracked(|u| {
            let before = u.get(hash).cloned().unwrap_or(Upload::Waiting);
            next(&before)
        });
        self.uploads.update(|u| {
            u.insert(hash.to_string(), now.clone());
        });
        if let Ok(store) = state.store()
            && let Err(e) = store.put_upload(hash, &now).await
        {
            gloo::console::warn!(format!("blobs: {e}"));
        }
    }

    /// One fetch of `hash`. Returns false when the relay could not be reached.
    async fn download(self, state: AppState, hash: &str) -> bool {
        let before = self.downloads.with_untracked(|d| d.get(hash).cloned());
        self.downloads.update(|d| {
            d.insert(hash.to_string(), Download::Fetching);
        });
        let answer = api::blob("GET", hash, &[], None).await;
        let stored = match blobs::after_get(answer.answer(), hash, &answer.bytes) {
            Ok(()) => {
                let mime = if answer.mime.is_empty() {
                    "application/octet-stream"
                } else {
                    answer.mime.as_str()
                };
                match state.store() {
                    Ok(store) => store
                        .put_blob(hash, &answer.bytes, mime, &Upload::OnRelay)
                        .await
                        .map_err(|e| (e.to_string(), true)),
                    Err(e) => Err((e, true)),
                }
            }
            Err(failure) => Err(failure),
        };
        match stored {
            Ok(()) => {
                self.uploads.update(|u| {
                    u.insert(hash.to_string(), Upload::OnRelay);
                });
                self.downloads.update(|d| {
                    d.remove(hash);
                });
            }
            Err((message, retry)) => self.downloads.update(|d| {
                d.insert(
                    hash.to_string(),
                    Download::failed(before.as_ref(), message, retry, now_ms()),
                );
            }),
        }
        answer.status != 0
    }
}
