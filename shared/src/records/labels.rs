//! Choices that code also computes with, as enums: the key a document stores (`"in_progress"`)
//! and the words people read (`"In progress"`) declared once, side by side, with the record
//! field's [`crate::model::Choices`] made from the same declaration.

/// Declares a `Copy` enum with `ALL`, `CHOICES`, `as_str`, `label`, `parse`, `Default` (the
/// first variant) and `Display` (the label).
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

            /// As a record field's choices.
            pub const CHOICES: $crate::model::Choices =
                $crate::model::Choices::new(&[$(($key, $label)),+]);

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
    };
}

pub(crate) use labelled_enum;
