//! JSON objects handled as their members' text: split without building a tree, and joined
//! again without re-writing what they hold (stored resources are copied, not re-serialised).

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde_json::value::RawValue;

/// An object's members in order, each value as its text borrowed from the input.
pub type Members<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// The members of the JSON object `text`, or None when it is not an object.
pub fn members(text: &str) -> Option<Members<'_>> {
    serde_json::from_str::<Split<'_>>(text).ok().map(|s| s.0)
}

/// The JSON text of an object with these members, in this order (values copied as they are).
pub fn object(members: &[(Cow<'_, str>, &RawValue)]) -> Box<RawValue> {
    serde_json::value::to_raw_value(&Joined(members)).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

struct Joined<'s, 'a>(&'s [(Cow<'a, str>, &'a RawValue)]);

impl serde::Serialize for Joined<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

struct Split<'a>(Members<'a>);

impl<'de> serde::Deserialize<'de> for Split<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = Split<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((k, v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    out.push((k.0, v));
                }
                Ok(Split(out))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// An object key, borrowed unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_joins_an_object_unchanged() {
        let text = r#"{"a":1,"b\"q":{"x":[1,{"y":null}]},"c":"\u00e9t\u00e9","d":[]}"#;
        let m = members(text).unwrap();
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "b\"q", "c", "d"]);
        assert_eq!(m[1].1.get(), r#"{"x":[1,{"y":null}]}"#);
        assert!(matches!(m[1].0, Cow::Owned(_)));
        assert!(matches!(m[0].0, Cow::Borrowed(_)));
        // Values are copied as their text; keys are written as JSON strings again.
        assert_eq!(object(&m).get(), text);
        assert_eq!(object(&[]).get(), "{}");
    }

    #[test]
    fn anything_but_an_object_has_no_members() {
        for text in ["[1]", "null", "\"s\"", "{", "{\"a\":}"] {
            assert!(members(text).is_none(), "{text}");
        }
        assert_eq!(members("{}").unwrap().len(), 0);
    }
}
