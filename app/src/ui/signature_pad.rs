//! The signature pad: a finger, stylus or mouse draws strokes in the pad's box, kept as the
//! SVG path data `shared::signature` accepts ("M x y L x y …"), so the drawing is stored,
//! synced and exported as it was made, offline. Clearing starts again.

use leptos::prelude::*;
use shared::signature::{HEIGHT, MAX_DRAWING, WIDTH};

/// Where a pointer event falls in the `pad`'s box, in the pad's own units (one decimal).
fn point(pad: &web_sys::Element, ev: &web_sys::PointerEvent) -> Option<String> {
    let rect = pad.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    let scale = |offset: f64, size: f64, max: u32| {
        let v = (offset / size * f64::from(max)).clamp(0.0, f64::from(max));
        (v * 10.0).round() / 10.0
    };
    let x = scale(f64::from(ev.client_x()) - rect.left(), rect.width(), WIDTH);
    let y = scale(f64::from(ev.client_y()) - rect.top(), rect.height(), HEIGHT);
    Some(format!("{x} {y}"))
}

#[component]
pub fn SignaturePad(
    id: String,
    #[prop(into)] value: Signal<String>,
    set: Callback<String>,
) -> impl IntoView {
    let pad = NodeRef::<leptos::svg::Svg>::new();
    let drawing = StoredValue::new(false);
    let add = move |command: &str, ev: &web_sys::PointerEvent| {
        // The pad's own box, whatever stroke the pointer is over.
        let Some(at) = pad.get_untracked().and_then(|p| point(&p, ev)) else {
            return;
        };
        let path = value.get_untracked();
        let next = format!("{path} {command} {at}").trim().to_string();
        // Past the limit the stroke stops; what is drawn stays.
        if next.len() <= MAX_DRAWING {
            set.run(next);
        }
    };
    let down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        // Strokes that leave the pad keep drawing to its edge.
        if let Some(pad) = pad.get_untracked() {
            let _ = pad.set_pointer_capture(ev.pointer_id());
        }
        drawing.set_value(true);
        add("M", &ev);
    };
    let moved = move |ev: web_sys::PointerEvent| {
        if drawing.get_value() {
            add("L", &ev);
        }
    };
    let up = move |_| drawing.set_value(false);
    view! {
        <div class="signature-pad-wrap">
            <svg
                node_ref=pad
                id=id
                class="signature-pad"
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-label="Signature pad: sign here with a finger or stylus"
                on:pointerdown=down
                on:pointermove=moved
                on:pointerup=up
                on:pointercancel=up
            >
                <path d=move || value.get() class="ink" />
            </svg>
            <button type="button" class="button clear-signature" on:click=move |_| set.run(String::new())>
                "Clear"
            </button>
        </div>
    }
}

/// A stored drawing (checked by `shared::signature`), shown in the pad's proportions.
#[component]
pub fn Drawing(path: String) -> impl IntoView {
    view! {
        <svg class="signature" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label="The customer's signature">
            <path d=path class="ink" />
        </svg>
    }
}
