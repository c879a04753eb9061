//! The relay's JSON API (same origin, session cookie): sign-in, the change feed, receipts and
//! administration. Plain `fetch` through web-sys, so no HTTP crate is added to the shell.
//!
//! Every failure is a sentence for the person: the relay's own `{"error": …}` text, or, when
//! the request never reached it, [`OFFLINE`].

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub const OFFLINE: &str = "The relay cannot be reached; sign in once you are online";

/// A request that did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: offline, relay down, or the request was refused before reaching it.
    Unreachable,
    /// The relay answered with an error status and (usually) a sentence.
    Status(u16, String),
}

impl ApiError {
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Status(401, _))
    }

    /// The request clashes with what the relay has (e.g. this device id is another person's).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ApiError::Status(409, _))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Unreachable => f.write_str(OFFLINE),
            ApiError::Status(_, m) => f.write_str(m),
        }
    }
}

use shared::api;
pub use shared::api::{
    Changes, EvidenceQuery, Group, NewPerson, PersonRow, PersonUpdate, Receipt, SessionInfo,
};

/// Sends a request to the relay with the session cookie; `json` asks for JSON and sends
/// `body` (already JSON) as such.
async fn fetch(
    method: &str,
    path: &str,
    body: Option<String>,
    json: bool,
) -> Result<web_sys::Response, ApiError> {
    let mut headers = vec![];
    if json {
        headers.push(("Accept", "application/json".to_string()));
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_string()));
        }
    }
    let body = body.filter(|_| json).map(|b| JsValue::from_str(&b));
    fetch_with(method, path, &headers, body.as_ref()).await
}

/// Sends a request to the relay with the session cookie, these headers and body.
async fn fetch_with(
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&JsValue>,
) -> Result<web_sys::Response, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Unreachable)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let set = web_sys::Headers::new().map_err(|_| ApiError::Unreachable)?;
    for (name, value) in headers {
        let _ = set.set(name, value);
    }
    init.set_headers(&set);
    if let Some(body) = body {
        init.set_body(body);
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| ApiError::Unreachable)?;
    response.dyn_into().map_err(|_| ApiError::Unreachable)
}

/// The response's body as JSON (`Null` when it is empty or not JSON).
async fn body_json(response: &web_sys::Response) -> Value {
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A failed answer as the error the person reads: the relay's own sentence when it gave one.
fn failure(status: u16, json: &Value) -> ApiError {
    // The service worker (or a proxy) answers 502/503/504 when the relay is not there.
    if matches!(status, 502..=504) && json.get("error").is_none() {
        return ApiError::Unreachable;
    }
    let message = json
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("the relay answered {status}"));
    ApiError::Status(status, message)
}

async fn request(method: &str, path: &str, body: Option<String>) -> Result<Value, ApiError> {
    let response = fetch(method, path, body, true).await?;
    let json = body_json(&response).await;
    match response.status() {
        200..300 => Ok(json),
        status => Err(failure(status, &json)),
    }
}

/// `body` as the request's JSON.
fn json<B: Serialize>(body: &B) -> Option<String> {
    serde_json::to_string(body).ok()
}

/// [`request`], then its answer as a `T` (a type of `shared::api`).
async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<T, ApiError> {
    serde_json::from_value(request(method, path, body).await?)
        .map_err(|e| ApiError::Status(200, format!("the relay's answer could not be read: {e}")))
}

/// [`request`] whose answer is not needed.
async fn send(method: &str, path: &str, body: Option<String>) -> Result<(), ApiError> {
    request(method, path, body).await.map(|_| ())
}

pub async fn sign_in(
    username: &str,
    password: &str,
    device: &str,
) -> Result<SessionInfo, ApiError> {
    let body = api::SignIn {
        username: username.into(),
        password: password.into(),
        device: device.into(),
    };
    call("POST", "/api/session", json(&body)).await
}

pub async fn session() -> Result<SessionInfo, ApiError> {
    call("GET", "/api/session", None).await
}

pub async fn sign_out() -> Result<(), ApiError> {
    send("DELETE", "/api/session", None).await
}

pub async fn changes(since: i64) -> Result<Changes, ApiError> {
    call("GET", &api::Since { since }.path(), None).await
}

pub async fn receipts(doc: &str) -> Result<Vec<Receipt>, ApiError> {
    let path = format!("/api/documents/{doc}/receipts");
    Ok(call::<api::Receipts>("GET", &path, None).await?.receipts)
}

pub async fn people() -> Result<Vec<PersonRow>, ApiError> {
    Ok(call::<api::People>("GET", "/api/people", None)
        .await?
        .people)
}

/// The people this person may pick by name (`shared::directory`), for the device's copy.
pub async fn directory() -> Result<Vec<shared::directory::Entry>, ApiError> {
    Ok(call::<api::Directory>("GET", "/api/directory", None)
        .await?
        .people)
}

pub async fn add_person(body: &NewPerson) -> Result<(), ApiError> {
    send("POST", "/api/people", json(body)).await
}

/// Changes what `change` names of `username`, and nothing else.
pub async fn update_person(username: &str, change: &PersonUpdate) -> Result<(), ApiError> {
    send("POST", &format!("/api/people/{username}"), json(change)).await
}

/// The sites the relay knows, with their names.
pub async fn sites() -> Result<Vec<Group>, ApiError> {
    Ok(call::<api::Sites>("GET", "/api/sites", None).await?.sites)
}

/// The teams the relay knows, with their names.
pub async fn teams() -> Result<Vec<Group>, ApiError> {
    Ok(call::<api::Teams>("GET", "/api/teams", None).await?.teams)
}

/// Adds a site or a team (`what` is "sites" or "teams").
pub async fn add_group(what: &str, id: &str, name: &str) -> Result<(), ApiError> {
    let body = Group {
        id: id.into(),
        name: name.into(),
    };
    send("POST", &format!("/api/{what}"), json(&body)).await
}

/// The relay's blob limits and how much of their quota the person has used.
pub async fn blob_limits() -> Result<shared::attachments::BlobLimitsInfo, ApiError> {
    call("GET", "/api/blobs", None).await
}

/// What the relay answered to a blob request, as `shared::sync::blobs` reads it.
#[derive(Debug, Default)]
pub struct BlobAnswer {
    /// 0: no answer at all (offline, relay down).
    pub status: u16,
    /// The `Upload-Offset` header.
    pub offset: Option<u64>,
    /// The sentence of an `{"error": …}` body.
    pub error: Option<String>,
    /// A successful GET's bytes and `Content-Type`.
    pub bytes: Vec<u8>,
    pub mime: String,
}

impl BlobAnswer {
    pub fn answer(&self) -> shared::sync::blobs::Answer<'_> {
        shared::sync::blobs::Answer {
            status: self.status,
            offset: self.offset,
            error: self.error.as_deref(),
        }
    }
}

/// `method` on `/api/blobs/{hash}` with these headers and body (a chunk of the blob).
pub async fn blob(
    method: &str,
    hash: &str,
    headers: &[(&str, String)],
    body: Option<&[u8]>,
) -> BlobAnswer {
    let body = body.map(|b| JsValue::from(js_sys::Uint8Array::from(b)));
    let path = format!("/api/blobs/{hash}");
    let Ok(response) = fetch_with(method, &path, headers, body.as_ref()).await else {
        return BlobAnswer::default();
    };
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let status = response.status();
    let mut answer = BlobAnswer {
        status,
        offset: header("Upload-Offset").and_then(|o| o.trim().parse().ok()),
        mime: header("Content-Type").unwrap_or_default(),
        ..BlobAnswer::default()
    };
    if method == "HEAD" {
        return answer;
    }
    if status == 200 && method == "GET" {
        match response.array_buffer() {
            Ok(p) => match JsFuture::from(p).await {
                Ok(buffer) => answer.bytes = js_sys::Uint8Array::new(&buffer).to_vec(),
                // The connection broke mid-body.
                Err(_) => answer.status = 0,
            },
            Err(_) => answer.status = 0,
        }
        return answer;
    }
    if !(200..300).contains(&status) {
        match failure(status, &body_json(&response).await) {
            ApiError::Unreachable => answer.status = 0,
            ApiError::Status(_, message) => answer.error = Some(message),
        }
    }
    answer
}

/// A file the relay answers (e.g. the evidence export): its bytes as a `Blob` and the file name
/// from `Content-Disposition` (else `fallback`). Errors are the relay's sentence, as elsewhere.
pub async fn file(path: &str, fallback: &str) -> Result<(web_sys::Blob, String), ApiError> {
    let response = fetch("GET", path, None, false).await?;
    let status = response.status();
    if !(200..300).contains(&status) {
        return Err(failure(status, &body_json(&response).await));
    }
    let name = response
        .headers()
        .get("Content-Disposition")
        .ok()
        .flatten()
        .and_then(|d| {
            d.split("filename=").nth(1).map(|n| {
                n.trim_matches(|c| c == '"' || c == ';' || c == ' ')
                    .to_string()
            })
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| fallback.to_string());
    let blob = response.blob().map_err(|_| ApiError::Unreachable)?;
    let blob = JsFuture::from(blob)
        .await
        .map_err(|_| ApiError::Unreachable)?
        .dyn_into::<web_sys::Blob>()
        .map_err(|_| ApiError::Unreachable)?;
    Ok((blob, name))
}

/// Hands `blob` to the browser as a download named `name` (an object URL on a clicked
/// `<a download>`, released afterwards).
pub fn save_blob(blob: &web_sys::Blob, name: &str) -> Result<(), String> {
    let failed = |_| "The browser refused the download.".to_string();
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(failed)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("The browser refused the download.")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .dyn_into()
        .map_err(|_| "The browser refused the download.".to_string())?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // Released once the click has been handled.
    gloo::timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// `text` as a UTF-8 `Blob` of MIME type `mime` (e.g. a CSV export).
pub fn text_blob(text: &str, mime: &str) -> Result<web_sys::Blob, String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "The browser could not build the file.".to_string())
}
