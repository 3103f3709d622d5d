//! Typed identifiers. Ids are UUIDs, stored as text on both backends.

use std::fmt;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh id: a UUIDv7 (RFC 9562), its first 48 bits the creation time in
            /// milliseconds and 74 random bits after. Ids made one after another sort together,
            /// so a new row's entry lands at the right edge of every index keyed by it
            /// (`users_pkey`, the event log's `(tenant, resource, at)`, memberships by user),
            /// where random (v4) ids scattered each insert over the whole index: a cache miss
            /// once an index outgrows PostgreSQL's buffers, and a full-page image in the WAL
            /// for each leaf first touched after a checkpoint. The time it shows is no secret
            /// (`meta.created` shows it too); the random bits keep ids unguessable.
            pub fn random() -> Self {
                Self(Uuid::now_v7())
            }
            /// Parse from text; `None` when it is not a UUID.
            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A tenant.
    TenantId
);
id_type!(
    /// A SCIM client (one bearer token).
    ClientId
);
id_type!(
    /// An operator account (SCIM User).
    AccountId
);
id_type!(
    /// A role group (SCIM Group).
    GroupId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_sort_in_creation_order() {
        let first = AccountId::random();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = AccountId::random();
        assert_eq!(first.0.get_version_num(), 7);
        assert!(first < second, "{first} then {second}");
        // As stored (text): the order holds there too, which is the order of the indexes.
        assert!(first.to_string() < second.to_string());
        assert_ne!(AccountId::random(), AccountId::random());
    }
}
