//! The whole route table.

use actix_web::middleware::ErrorHandlers;
use actix_web::web;

use crate::http::error::scim_error_body;
use crate::http::{MAX_PAYLOAD, admin, discovery, health, scim};

/// Register every route. `/scim/v2` answers SCIM error bodies for everything, including
/// unknown URLs (404) and wrong methods (405).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_PAYLOAD))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .configure(admin::configure)
        .service(
            web::scope("/scim/v2")
                .wrap(ErrorHandlers::new().default_handler(scim_error_body))
                // Resources are tried in order, and each `{id}` pattern is a regex match: the
                // hot Users and Groups routes come first, discovery after them.
                .service(
                    web::resource("/Users")
                        .route(web::get().to(scim::list_users))
                        .route(web::post().to(scim::create_user)),
                )
                .service(web::resource("/Users/.search").route(web::post().to(scim::search_users)))
                .service(
                    web::resource("/Users/{id}")
                        .route(web::get().to(scim::get_user))
                        .route(web::put().to(scim::replace_user))
                        .route(web::patch().to(scim::patch_user))
                        .route(web::delete().to(scim::delete_user)),
                )
                .service(
                    web::resource("/Groups")
                        .route(web::get().to(scim::list_groups))
                        .route(web::post().to(scim::create_group)),
                )
                .service(
                    web::resource("/Groups/.search").route(web::post().to(scim::search_groups)),
                )
                .service(
                    web::resource("/Groups/{id}")
                        .route(web::get().to(scim::get_group))
                        .route(web::put().to(scim::replace_group))
                        .route(web::patch().to(scim::patch_group))
                        .route(web::delete().to(scim::delete_group)),
                )
                .service(
                    web::resource("/ServiceProviderConfig")
                        .route(web::get().to(discovery::service_provider_config)),
                )
                .service(
                    web::resource("/ResourceTypes").route(web::get().to(discovery::resource_types)),
                )
                .service(
                    web::resource("/ResourceTypes/{id}")
                        .route(web::get().to(discovery::resource_type)),
                )
                .service(web::resource("/Schemas").route(web::get().to(discovery::schemas)))
                .service(web::resource("/Schemas/{id}").route(web::get().to(discovery::schema)))
                .service(web::resource("/Bulk").route(web::post().to(scim::bulk)))
                .service(web::resource("/.search").route(web::post().to(scim::search_root)))
                .service(web::resource("/Me").to(scim::me))
                .default_service(web::to(scim::not_found)),
        );
}
