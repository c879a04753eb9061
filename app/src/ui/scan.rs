//! `/scan`: open a CI or asset by its tag. The camera's frames are read for a QR code by the
//! decoder built into the app (`shared::tags`, in the `scanner` wasm module this page loads on
//! first use: it would add ~90 KB gzipped to the first screen; the service worker keeps it, so
//! it works offline) and in browsers without a barcode detector; typing the tag works the same
//! way. The tag is looked up among the CIs and assets on this device, and the record opens.

use std::cell::RefCell;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::list::record_href;
use crate::state::AppState;

/// How often a frame is read while the camera runs.
const FRAME_MS: u32 = 250;
/// Frames are scaled down to this width before decoding.
const FRAME_WIDTH: u32 = 640;

/// The record of one of `kinds` (those that carry tags) whose tag or number is `tag`: its
/// type, id and number, or why there is none.
pub fn find_tagged<'a>(
    state: AppState,
    kinds: impl IntoIterator<Item = &'a str>,
    tag: &str,
) -> Result<(&'static str, shared::ids::DocumentId, String), String> {
    let records: Vec<_> = kinds
        .into_iter()
        .filter(|k| shared::tags::carries_tag(k))
        .flat_map(|k| state.records_of(k))
        .collect();
    shared::tags::find(&records, tag)
        .map(|(id, r)| (r.ty.kind, *id, r.number().to_string()))
        .ok_or_else(|| {
            format!(
                "No CI or asset on this device has the tag '{}'.",
                tag.trim()
            )
        })
}

/// The camera, facing away from the person where there is a choice.
async fn start_camera(video: &web_sys::HtmlVideoElement) -> Result<web_sys::MediaStream, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(|_| "this browser gives no access to a camera".to_string())?;
    let constraints = web_sys::MediaStreamConstraints::new();
    let video_constraints = js_sys::Object::new();
    js_sys::Reflect::set(
        &video_constraints,
        &"facingMode".into(),
        &"environment".into(),
    )
    .map_err(|_| "camera settings")?;
    constraints.set_video(&video_constraints);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(describe)?;
    let stream: web_sys::MediaStream = JsFuture::from(promise)
        .await
        .map_err(describe)?
        .unchecked_into();
    video.set_src_object(Some(&stream));
    let _ = video.play();
    Ok(stream)
}

fn describe(e: JsValue) -> String {
    js_sys::Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "the camera could not be started".into())
}

/// The decoder module (`dist/pkg/scanner.js`), loaded and initialised.
async fn load_decoder() -> Result<JsValue, String> {
    // A dynamic import: only this page pays for the decoder, once.
    let import = js_sys::Function::new_no_args(
        "return import('/pkg/scanner.js').then(async (m) => { await m.default(); return m; })",
    );
    let promise: js_sys::Promise = import
        .call0(&JsValue::NULL)
        .map_err(describe)?
        .unchecked_into();
    JsFuture::from(promise).await.map_err(describe)
}

/// The QR code in the video's current frame, if any, read by `decoder`.
fn read_frame(
    decoder: &JsValue,
    video: &web_sys::HtmlVideoElement,
    canvas: &web_sys::HtmlCanvasElement,
) -> Option<String> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return None;
    }
    let width = w.min(FRAME_WIDTH);
    let height = h * width / w;
    canvas.set_width(width);
    canvas.set_height(height);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_html_video_element_and_dw_and_dh(
            video,
            0.0,
            0.0,
            width.into(),
            height.into(),
        )
        .ok()?;
    let pixels = context
        .get_image_data(0.0, 0.0, width.into(), height.into())
        .ok()?;
    // The pixels go from the canvas to the decoder without a copy through this module.
    let data = js_sys::Reflect::get(&pixels, &"data".into()).ok()?;
    let decode: js_sys::Function = js_sys::Reflect::get(decoder, &"decode".into())
        .ok()?
        .dyn_into()
        .ok()?;
    decode
        .call3(&JsValue::NULL, &width.into(), &height.into(), &data)
        .ok()?
        .as_string()
}

/// The camera and the decoder: each new tag it reads goes to `on_tag`. `id` names its status
/// line (`#<id>-status`) and video. The camera stops when the component goes.
#[component]
pub fn TagCamera(id: &'static str, on_tag: Callback<String>) -> impl IntoView {
    let video = NodeRef::<leptos::html::Video>::new();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let status = RwSignal::new("Starting the camera…".to_string());
    // The running camera and frame timer, ended when the component goes.
    let running =
        StoredValue::new_local(None::<(web_sys::MediaStream, gloo::timers::callback::Interval)>);
    Effect::new(move |_| {
        let (Some(video), Some(canvas)) = (video.get(), canvas.get()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let decoder = match load_decoder().await {
                Ok(decoder) => decoder,
                Err(why) => {
                    status.set(format!(
                        "The tag reader could not be loaded ({why}): type the tag, or reload the page to try again."
                    ));
                    return;
                }
            };
            match start_camera(&video).await {
                Ok(stream) => {
                    status.set("Hold the tag's QR code in front of the camera.".into());
                    let last = RefCell::new(String::new());
                    let timer = gloo::timers::callback::Interval::new(FRAME_MS, move || {
                        let Some(tag) = read_frame(&decoder, &video, &canvas) else {
                            return;
                        };
                        // The same code in the next frames changes nothing.
                        if *last.borrow() != tag {
                            status.set(format!("Read {tag}"));
                            on_tag.run(tag.clone());
                            *last.borrow_mut() = tag;
                        }
                    });
                    running.set_value(Some((stream, timer)));
                }
                Err(why) => status.set(format!(
                    "The camera is not available ({why}): type the tag instead."
                )),
            }
        });
    });
    on_cleanup(move || {
        if let Some((stream, timer)) = running.try_update_value(Option::take).flatten() {
            drop(timer);
            for track in stream.get_tracks() {
                track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
            }
        }
    });
    view! {
        <div class="tag-camera">
            <p id=format!("{id}-status") role="status">{move || status.get()}</p>
            <video node_ref=video id=format!("{id}-video") class="scan-video" autoplay=true playsinline=true muted=true></video>
            <canvas node_ref=canvas hidden=true></canvas>
        </div>
    }
}

/// A tag field: typed, or read by the camera ("Scan" opens it under the field until a tag is
/// read).
#[component]
pub fn TagField(
    id: String,
    #[prop(into)] value: Signal<String>,
    set: Callback<String>,
) -> impl IntoView {
    let scanning = RwSignal::new(false);
    let camera_id: &'static str = "field-scan";
    let read = Callback::new(move |tag: String| {
        set.run(tag);
        scanning.set(false);
    });
    view! {
        <div class="tag-field">
            <input id=id.clone() type="text" prop:value=value on:input=move |ev| set.run(event_target_value(&ev)) />
            <button type="button" class="button scan-into" id=format!("{id}-scan") on:click=move |_| scanning.update(|s| *s = !*s)>
                {move || if scanning.get() { "Stop scanning" } else { "Scan" }}
            </button>
            <Show when=move || scanning.get()>
                <TagCamera id=camera_id on_tag=read />
            </Show>
        </div>
    }
}

#[component]
pub fn Scan() -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let open = move |tag: &str| match find_tagged(state, shared::tags::TAGGED, tag) {
        Ok((kind, id, _)) => navigate(&record_href(kind, &id.to_string()), Default::default()),
        Err(why) => problem.set(Some(why)),
    };
    let on_tag = {
        let open = open.clone();
        Callback::new(move |tag: String| open(&tag))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        open(&typed.get_untracked());
    };

    view! {
        <section class="page scan-page">
            <nav class="crumbs">
                <a href="/records">"← Records"</a>
            </nav>
            <h1>"Scan a tag"</h1>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert" id="scan-error">{p}</p> })}
            <TagCamera id="scan" on_tag=on_tag />
            <form class="card scan-typed" on:submit=submit>
                <label for="scan-tag">"Or type the tag"</label>
                <input id="scan-tag" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
                <button id="scan-open" type="submit" class="button primary">"Open"</button>
            </form>
        </section>
    }
}
