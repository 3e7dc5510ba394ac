//! lookout: missing-child posters, targeted to the photo partners who can help.
pub mod accounts;
pub mod api;
pub mod app;
pub mod cases;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod cpu;
pub mod dispatch;
pub mod distribution;
pub mod partners;
pub mod poster_files;
pub mod posters;
pub mod server;
pub mod store;
pub mod targeting;
