//! The admin console's rules (issue 8): operator accounts edited by an admin through the very
//! provisioning rules SCIM uses (immutability, uniqueness, 0-10 caps, the skill catalog, soft
//! delete), CSV onboarding, sign-in decisions and the shapes of sync status. Admin changes are
//! recorded as sync events without a client. No HTTP and no SQL here.

pub mod auth;
pub mod bulk;
pub mod port;
pub mod sync;
pub mod users;

/// The platform's built-in roles, each granted by a group of the same name (case-insensitive)
/// unless an admin maps the group elsewhere (see the `operator_roles` view).
pub const BUILTIN_ROLES: [&str; 3] = ["DialAiAdmin", "Maintainer", "Read-Only"];

/// The role that makes an operator an admin of the console.
pub const ADMIN_ROLE: &str = "DialAiAdmin";

/// The built-in role a group of this display name grants, if any.
pub fn builtin_role(display_name: &str) -> Option<&'static str> {
    BUILTIN_ROLES
        .into_iter()
        .find(|r| r.eq_ignore_ascii_case(display_name))
}
