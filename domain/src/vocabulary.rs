//! The closed vocabularies' shared machinery: `named_enum!` gives an enum its stored
//! spelling (`as_str`, `Display`), a `FromStr` accepting exactly those spellings and `ALL`;
//! a spelling outside the vocabulary is an [`UnknownValue`] listing the choices.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?}; expected one of: {expected}")]
pub struct UnknownValue {
    pub value: String,
    pub expected: String,
}

/// `as_str()` (the stored and CSV spelling), `FromStr` accepting exactly those, and `ALL`.
macro_rules! named_enum {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::vocabulary::UnknownValue;
            fn from_str(s: &str) -> Result<Self, $crate::vocabulary::UnknownValue> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::vocabulary::UnknownValue {
                        value: s.to_owned(),
                        expected: [$($name),+].join(", "),
                    }),
                }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use named_enum;
