/// A photo made ready for posters: upright, stripped of all metadata, scaled for print, JPEG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("not a JPEG, PNG or WebP image")]
    UnknownFormat,
    #[error("image is damaged or truncated: {0}")]
    Corrupt(String),
    #[error("image is too large ({width}×{height}); at most {max} pixels a side")]
    TooLarge { width: u32, height: u32, max: u32 },
}

/// Decode a user's photo, apply its EXIF orientation, drop its metadata and scale it for print.
pub fn normalize_photo(bytes: &[u8]) -> Result<PreparedPhoto, PhotoError> {
    let _ = bytes;
    Err(PhotoError::UnknownFormat)
}
