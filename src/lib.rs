//! lookout: missing-child posters, targeted to the photo partners who can help.
pub mod api;
pub mod app;
pub mod cases;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dispatch;
pub mod distribution;
pub mod partners;
pub mod posters;
pub mod store;
pub mod targeting;
