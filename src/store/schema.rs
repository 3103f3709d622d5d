//! The one diesel schema shared by both backends (see `migrations/{postgres,sqlite}`).

diesel::table! {
    tenants (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    scim_clients (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    skills (tenant_id, name_key) {
        tenant_id -> Text,
        name_key -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        tenant_id -> Text,
        user_name -> Text,
        user_name_key -> Text,
        external_id -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        display_name -> Nullable<Text>,
        email -> Nullable<Text>,
        email_key -> Nullable<Text>,
        active -> Bool,
        mobile_phone -> Nullable<Text>,
        csr_user -> Bool,
        voice_calls -> Bool,
        max_chats -> Nullable<Integer>,
        max_emails -> Nullable<Integer>,
        status -> Text,
        doc -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
        last_sync_at -> Nullable<BigInt>,
        last_sync_client -> Nullable<Text>,
        last_sync_outcome -> Nullable<Text>,
        groups_json -> Nullable<Text>,
    }
}

diesel::table! {
    user_skills (user_id, skill_key) {
        user_id -> Text,
        skill_key -> Text,
    }
}

diesel::table! {
    groups (id) {
        id -> Text,
        tenant_id -> Text,
        display_name -> Text,
        display_name_key -> Text,
        external_id -> Nullable<Text>,
        doc -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
        last_sync_at -> Nullable<BigInt>,
        last_sync_client -> Nullable<Text>,
        last_sync_outcome -> Nullable<Text>,
    }
}

diesel::table! {
    memberships (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        tenant_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    role_mappings (tenant_id, group_key) {
        tenant_id -> Text,
        group_key -> Text,
        role -> Text,
    }
}

diesel::table! {
    sync_events (id) {
        id -> Text,
        tenant_id -> Text,
        client_id -> Nullable<Text>,
        at -> BigInt,
        method -> Text,
        path -> Text,
        resource_type -> Nullable<Text>,
        resource_id -> Nullable<Text>,
        action -> Text,
        outcome -> Text,
        status -> Integer,
        scim_type -> Nullable<Text>,
        detail -> Nullable<Text>,
        coercions -> Nullable<Text>,
        duration_us -> BigInt,
        actor -> Nullable<Text>,
    }
}

diesel::joinable!(scim_clients -> tenants (tenant_id));
diesel::joinable!(memberships -> groups (group_id));
diesel::joinable!(memberships -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    settings,
    scim_clients,
    skills,
    users,
    user_skills,
    groups,
    memberships,
    role_mappings,
    sync_events,
);
