//! A customer's signature on finished work, drawn on the tablet's screen (offline like
//! everything else). The drawing is kept as SVG path data in the record's document, with the
//! signer's name, when, and who held the tablet, so it merges, syncs and shows in history like
//! any field. Only path data Outpost itself draws is accepted ("M x y L x y …" with numbers in
//! the pad's box), so a signature is small, and the SVG made from it can carry nothing else.

use crate::model::{ChangeMeta, Field, Group, Record, RecordError, Shape, Values, given};

/// The signing pad's coordinate box; every point of a drawing lies inside it.
pub const WIDTH: u32 = 400;
pub const HEIGHT: u32 = 150;

/// The most path data one signature may hold (about 4,000 points): a signature is a few
/// hundred; more is a drawing or an attack.
pub const MAX_DRAWING: usize = 32 * 1024;

/// A signature as the document keeps it.
pub const SIGNATURE: &[Field] = &[
    Field::new("signer", Shape::Text),
    Field::new("drawing", Shape::Drawing),
    Field::new("at", Shape::When),
    // Who held the tablet, and which one.
    Field::new("by", Shape::Text),
    Field::new("device", Shape::Text),
];

/// The field a signable record type keeps it in: written only once someone signs.
pub const FIELD: Field =
    Field::new("signature", Shape::Optional(&Shape::Group(SIGNATURE))).sparse();

/// Whether `drawing` is path data as the pad draws it, or why not: strokes of `M x y`
/// followed by `L x y`, numbers with at most one decimal point, every point inside the box.
pub fn check_drawing(drawing: &str) -> Result<(), String> {
    if drawing.len() > MAX_DRAWING {
        return Err(format!(
            "the signature is too detailed ({} KB; at most {} KB)",
            drawing.len() / 1024,
            MAX_DRAWING / 1024
        ));
    }
    let mut tokens = drawing.split_ascii_whitespace();
    let mut points = 0;
    while let Some(command) = tokens.next() {
        if !(command == "M" || (command == "L" && points > 0)) {
            return Err("the signature is not a drawing this app makes".into());
        }
        let mut coordinate = |max: u32| -> Result<(), String> {
            let n: f64 = tokens
                .next()
                .filter(|t| t.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                .and_then(|t| t.parse().ok())
                .ok_or("the signature is not a drawing this app makes")?;
            if n > f64::from(max) {
                return Err("the signature goes outside its box".into());
            }
            Ok(())
        };
        coordinate(WIDTH)?;
        coordinate(HEIGHT)?;
        points += 1;
    }
    if points < 2 {
        return Err("sign with a stroke, not a dot".into());
    }
    Ok(())
}

/// A signature drawing as a standalone SVG file (the evidence export's), or `None` when the
/// document holds a drawing Outpost would not have made (it is then never rendered).
pub fn svg(drawing: &str) -> Option<String> {
    check_drawing(drawing).ok()?;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\"><path d=\"{drawing}\" fill=\"none\" \
         stroke=\"#111\" stroke-width=\"2\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>\n"
    ))
}

/// "Customer signature", the action of a ticket whose work is done (resolved or closed).
pub const ACTION: crate::model::Action = crate::model::Action {
    key: "sign",
    label: "Customer signature",
    inputs: INPUTS,
    apply: |r, values, _, meta| sign(r, values, meta),
};

/// The statuses in which the work is done and the customer may sign.
const DONE: &[&str] = &["resolved", "closed"];

/// The apply step of [`ACTION`]: the customer named in `signer` signs the record with
/// `drawing`; the work log says so. A new signature replaces an earlier one; history keeps
/// both.
pub fn sign(r: &mut Record, values: &Values, meta: &ChangeMeta) -> Result<(), RecordError> {
    if !DONE.contains(&r.status()) {
        return Err(RecordError::invalid(
            "Signature",
            format!(
                "the customer signs once the work is done; this {} is {}",
                r.ty.noun,
                r.ty.lifecycle.label(r.status()).to_lowercase()
            ),
        ));
    }
    let signer = given(values, "signer");
    let drawing = given(values, "drawing");
    check_drawing(drawing).map_err(|e| RecordError::invalid("Signature", e))?;
    let signature = Group::defaults(SIGNATURE)
        .with("signer", signer)
        .with("drawing", drawing)
        .with("at", meta.at)
        .with("by", meta.author.as_str())
        .with("device", meta.device.as_str());
    r.set("signature", signature);
    r.log(meta, format!("Signed by {signer}"));
    Ok(())
}

/// The action's inputs.
pub const INPUTS: &[crate::model::Input] = &[
    crate::model::Input::new("signer", "Customer's name", Shape::Text).required(),
    crate::model::Input::new("drawing", "Signature", Shape::Drawing).required(),
];

/// The record's "Customer signature" section, once it is signed: "Signed by Bo Berg at …
/// (tablet of ana)" with the drawing.
pub fn section(r: &Record) -> Option<crate::model::Section> {
    let s = r.group("signature")?;
    let row = crate::model::Row {
        text: format!(
            "Signed by {} at {} (tablet of {})",
            s.str("signer"),
            s.at("at"),
            s.str("by")
        ),
        button: None,
        drawing: Some(s.str("drawing").to_string()).filter(|d| check_drawing(d).is_ok()),
    };
    Some(crate::model::Section {
        title: "Customer signature",
        rows: vec![row],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pads_own_path_data_is_accepted() {
        assert_eq!(
            check_drawing("M 10 20 L 30.5 40 L 399 149.9 M 5 5 L 6 6"),
            Ok(())
        );
        let svg = svg("M 10 20 L 30 40").unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.contains("<path d=\"M 10 20 L 30 40\""), "{svg}");
    }

    #[test]
    fn anything_else_is_refused_and_never_rendered() {
        for (drawing, why) in [
            ("", "a stroke, not a dot"),
            ("M 1 1", "a stroke, not a dot"),
            ("L 1 1 L 2 2", "not a drawing"),
            ("M 1 1 L 2", "not a drawing"),
            ("M 1 1 C 2 2 3 3 4 4", "not a drawing"),
            ("M 1 1 L -2 2", "not a drawing"),
            ("M 1 1 L 2 2\"/><script>alert(1)</script>", "not a drawing"),
            ("M 1 1 L 401 2", "outside its box"),
            ("M 1 1 L 1e3 2", "not a drawing"),
        ] {
            let err = check_drawing(drawing).unwrap_err();
            assert!(err.contains(why), "{drawing:?}: {err}");
            assert_eq!(svg(drawing), None);
        }
        let huge = format!("M 1 1{}", " L 100 100".repeat(4000));
        assert!(check_drawing(&huge).unwrap_err().contains("too detailed"));
    }
}
