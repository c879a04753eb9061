//! Sign-in, sign-out and the session cookie.
//!
//! A browser cannot set headers on a WebSocket, so the sync endpoint is authenticated by the
//! same HttpOnly, SameSite=Strict cookie as the rest of the API (same origin).

pub mod client;
pub mod origin;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Json, Router,
    extract::{ConnectInfo, FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::post,
};
use shared::{access, api};

use crate::{
    error::ApiError,
    limits,
    state::AppState,
    store::{SessionInfo, now_ms},
};

pub const COOKIE: &str = "outpost_session";
/// The device's secret (store/sessions.rs): sent to sign-in only, kept across sign-outs.
pub const DEVICE_COOKIE: &str = "outpost_device";

/// `/api/session`: sign in, who is signed in, sign out.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/session", post(sign_in).get(current).delete(sign_out))
}

/// The signed-in session of a request (401 when there is none).
pub struct Authenticated(pub SessionInfo);

impl FromRequestParts<Arc<AppState>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, COOKIE).ok_or_else(signed_out)?;
        let state = state.clone();
        let session = tokio::task::spawn_blocking(move || state.store.session(&token))
            .await
            .map_err(|_| signed_out())??;
        session.map(Authenticated).ok_or_else(signed_out)
    }
}

/// The signed-in session of an administrator (401 when there is none, 403 for anyone else:
/// `shared::access::may_administer`).
pub struct Admin(pub SessionInfo);

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated(session) = Authenticated::from_request_parts(parts, state).await?;
        access::may_administer(&session.person.access)
            .map_err(|why| ApiError(StatusCode::FORBIDDEN, why.into()))?;
        Ok(Admin(session))
    }
}

fn signed_out() -> ApiError {
    ApiError(
        StatusCode::UNAUTHORIZED,
        "your session has ended; sign in again".into(),
    )
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The session as the API describes it.
fn answer(s: &SessionInfo) -> api::SessionInfo {
    let person = &s.person;
    api::SessionInfo {
        username: person.username.clone(),
        display_name: person.display_name.clone(),
        roles: person
            .access
            .roles
            .iter()
            .map(|r| r.as_str().into())
            .collect(),
        sites: person.access.sites.iter().cloned().collect(),
        teams: person.access.teams.iter().cloned().collect(),
        cab: person.access.cab,
        device: s.device.clone(),
        expires_at: s.expires_at,
    }
}

async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<api::SignIn>,
) -> Result<Response, ApiError> {
    let client = client::address(addr.ip(), &headers, &state.config.trusted_proxies);
    let own_device = match cookie(&headers, DEVICE_COOKIE) {
        Some(secret) => state
            .store
            .is_own_device(&req.username, &req.device, &secret)?,
        None => false,
    };
    let keys = limits::throttle_keys(&req.username, &req.device, own_device, client);
    let now = now_ms();
    let started = state
        .throttle
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .begin(&keys, now);
    if let Err(wait) = started {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed sign-ins; try again in {} s",
                (wait + 999) / 1000
            ),
        ));
    }
    let st = state.clone();
    let (username, password) = (req.username.clone(), req.password);
    // Argon2 takes 19 MiB per verification: only so many at once.
    let turn = state
        .sign_ins
        .turn()
        .await
        .inspect_err(|_| state.metrics.exceeded(limits::Limit::SignIns))?;
    let person = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        st.store.verify_password(&username, &password)
    })
    .await
    .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "sign-in failed".into()))??;
    let Some(person) = person else {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "wrong username or password".into(),
        ));
    };
    {
        let mut throttle = state.throttle.lock().unwrap_or_else(|p| p.into_inner());
        for k in &keys {
            throttle.succeeded(k);
        }
    }
    let lifetime = state.config.session_lifetime_ms;
    let token = state
        .store
        .start_session(person.id, &req.device, lifetime)?;
    let device_secret = state.store.new_device_secret(&req.device)?;
    let session = state.store.session(&token)?.ok_or_else(|| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the session did not start".into(),
        )
    })?;
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        lifetime / 1000
    );
    // The device's secret outlives sessions (sign-out keeps it) and is sent to sign-in only.
    let device_cookie = format!(
        "{DEVICE_COOKIE}={device_secret}; HttpOnly; SameSite=Strict; Path=/api/session; Max-Age={DEVICE_COOKIE_SECONDS}{secure}"
    );
    let mut response = Json(answer(&session)).into_response();
    for cookie in [cookie, device_cookie] {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).expect("ascii cookie"),
        );
    }
    Ok(response)
}

/// 400 days: the longest a browser keeps a cookie.
const DEVICE_COOKIE_SECONDS: i64 = 400 * 24 * 3600;

async fn current(Authenticated(session): Authenticated) -> Json<api::SessionInfo> {
    Json(answer(&session))
}

async fn sign_out(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&headers, COOKIE) {
        state.store.end_session(&token)?;
        state.access_changed.notify_one();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
        ))
        .expect("ascii cookie"),
    );
    Ok(response)
}
