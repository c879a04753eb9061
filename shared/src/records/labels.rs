//! Enums stored in documents by a stable key and shown to people by a label.
//!
//! One macro instead of a hand-written `as_str`/`parse`/`Display`/`Reconcile`/`Hydrate` per
//! enum: the key written to the document (`"in_progress"`) and the words a technician reads
//! (`"In progress"`) are declared once, side by side. An unknown key in a document (written by
//! a newer app, or corrupted) is a readable error naming the accepted values, never a panic.

/// Declares a `Copy` enum with `ALL`, `as_str`, `label`, `parse`, `Default` (the first
/// variant), `Display` (the label) and its Automerge mapping (the key, as a string).
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = ($key:literal, $label:literal)),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($key),+].len()] = [$($name::$variant),+];

            /// The key stored in documents.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $key),+
                }
            }

            /// The words shown to people.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == s)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::ALL[0]
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;

            fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
                self.as_str().reconcile(reconciler)
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
                Self::parse(s).ok_or_else(|| {
                    autosurgeon::HydrateError::unexpected(
                        concat!("one of ", $("'", $key, "' ",)+ "for ", stringify!($name)),
                        format!("'{s}'"),
                    )
                })
            }
        }

        impl $crate::forms::FieldValue for $name {
            fn input() -> $crate::forms::Input {
                $crate::forms::Input::Choice(vec![$(($key, $label)),+])
            }

            fn to_text(&self) -> String {
                self.as_str().into()
            }

            fn from_text(text: &str) -> Result<Self, String> {
                Self::parse(text.trim()).ok_or_else(|| {
                    format!(
                        concat!("choose one of ", $("'", $label, "' ",)+ "(not '{}')"),
                        text.trim()
                    )
                })
            }
        }

        impl $crate::workflow::State for $name {
            fn key(self) -> &'static str {
                self.as_str()
            }

            fn label(self) -> &'static str {
                $name::label(self)
            }

            fn all() -> &'static [Self] {
                &Self::ALL
            }
        }
    };
}

pub(crate) use labelled_enum;
