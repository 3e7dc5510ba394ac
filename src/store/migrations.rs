//! The schema, embedded in the binary: one directory per backend, the same versions in both.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Backend;

/// (version, description, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "dispatch",
        include_str!("../../migrations/sqlite/0002_dispatch.sql"),
        include_str!("../../migrations/postgres/0002_dispatch.sql"),
    ),
    (
        3,
        "takedown",
        include_str!("../../migrations/sqlite/0003_takedown.sql"),
        include_str!("../../migrations/postgres/0003_takedown.sql"),
    ),
    (
        4,
        "console",
        include_str!("../../migrations/sqlite/0004_console.sql"),
        include_str!("../../migrations/postgres/0004_console.sql"),
    ),
    (
        5,
        "approvals",
        include_str!("../../migrations/sqlite/0005_approvals.sql"),
        include_str!("../../migrations/postgres/0005_approvals.sql"),
    ),
    (
        6,
        "case search",
        include_str!("../../migrations/sqlite/0006_case_search.sql"),
        include_str!("../../migrations/postgres/0006_case_search.sql"),
    ),
    (
        7,
        "instances",
        include_str!("../../migrations/sqlite/0007_instances.sql"),
        include_str!("../../migrations/postgres/0007_instances.sql"),
    ),
    (
        8,
        "cleanup",
        include_str!("../../migrations/sqlite/0008_cleanup.sql"),
        include_str!("../../migrations/postgres/0008_cleanup.sql"),
    ),
    (
        9,
        "retention",
        include_str!("../../migrations/sqlite/0009_retention.sql"),
        include_str!("../../migrations/postgres/0009_retention.sql"),
    ),
    (
        10,
        "partner users",
        include_str!("../../migrations/sqlite/0010_partner_users.sql"),
        include_str!("../../migrations/postgres/0010_partner_users.sql"),
    ),
    (
        11,
        "digests",
        include_str!("../../migrations/sqlite/0011_digests.sql"),
        include_str!("../../migrations/postgres/0011_digests.sql"),
    ),
    (
        12,
        "public_pages",
        include_str!("../../migrations/sqlite/0012_public_pages.sql"),
        include_str!("../../migrations/postgres/0012_public_pages.sql"),
    ),
    (
        13,
        "tips",
        include_str!("../../migrations/sqlite/0013_tips.sql"),
        include_str!("../../migrations/postgres/0013_tips.sql"),
    ),
    (
        14,
        "portal_indexes",
        include_str!("../../migrations/sqlite/0014_portal_indexes.sql"),
        include_str!("../../migrations/postgres/0014_portal_indexes.sql"),
    ),
    (
        15,
        "reach",
        include_str!("../../migrations/sqlite/0015_reach.sql"),
        include_str!("../../migrations/postgres/0015_reach.sql"),
    ),
];

pub(super) fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}
