pub mod dkim;
pub mod smtp;
