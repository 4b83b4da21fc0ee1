//! Bytes to text: whatever encoding a scraper produced.
//!
//! Order of trust: a byte-order mark decides; then valid UTF-8; then a guess by
//! `chardetng` (the detector Firefox uses), decoded with `encoding_rs`. Anything
//! but plain UTF-8 is reported, so a curator knows the text went through a guess.
//! Binary data (NUL bytes in a file without a UTF-16 BOM) is refused: there is no
//! text to extract, and decoding it would only invent garbage rows.

use std::sync::LazyLock;

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// Why a file could not be turned into text.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("binary data (NUL bytes) — not a text file")]
    Binary,
}

/// A decoded text and how it was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// NFC-normalised text without BOM.
    pub text: String,
    /// Name of the encoding that was used ("UTF-8", "windows-1252", "UTF-16LE", …).
    pub encoding: String,
    /// Human-readable notes on anything other than clean UTF-8 (BOM, guessed
    /// encoding, replaced bytes).
    pub notes: Vec<String>,
}

/// `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">`.
static META_CHARSET: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(r#"(?i-u)<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([a-z0-9_.:-]+)"#)
        .unwrap()
});

/// How far into a page the charset declaration is looked for. The HTML
/// standard's prescan reads 1024 bytes; scraped pages often carry long
/// `<head>`s, so a little more is read.
const META_SCAN: usize = 4096;

/// The encoding an HTML page declares in a `<meta>` element, if any and known
/// to the Encoding Standard. A page cannot declare UTF-16 in ASCII-compatible
/// bytes, so such a declaration counts as UTF-8, as browsers do.
pub fn declared_html_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(META_SCAN)];
    let label = META_CHARSET.captures(head)?.get(1)?.as_bytes();
    let enc = encoding_rs::Encoding::for_label(label)?;
    Some(enc.output_encoding())
}

/// Decode raw file bytes to NFC text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decode_declared(bytes, None)
}

/// Decode raw file bytes to NFC text; `declared` is the encoding the file says
/// it is in (an HTML `<meta charset>`). It is used only when the bytes are not
/// valid UTF-8: a byte-order mark or valid UTF-8 is stronger evidence than a
/// declaration, which pages often copy from a template and get wrong.
pub fn decode_declared(
    bytes: &[u8],
    declared: Option<&'static encoding_rs::Encoding>,
) -> Result<Decoded, DecodeError> {
    let mut notes = Vec::new();
    let (text, encoding) = if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (cow, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if enc != encoding_rs::UTF_8 {
            notes.push(format!("decoded as {} (byte-order mark)", enc.name()));
        }
        if had_errors {
            notes.push(format!(
                "invalid {} sequences replaced by U+FFFD",
                enc.name()
            ));
        }
        (cow.into_owned(), enc.name().to_string())
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        if s.contains('\0') {
            return Err(DecodeError::Binary);
        }
        (s.to_string(), "UTF-8".to_string())
    } else if looks_binary(bytes) {
        return Err(DecodeError::Binary);
    } else if let Some(bad) = mostly_utf8(bytes) {
        notes.push(format!(
            "not valid UTF-8: {bad} invalid byte sequence(s) replaced by U+FFFD; the rest is UTF-8"
        ));
        (
            String::from_utf8_lossy(bytes).into_owned(),
            "UTF-8".to_string(),
        )
    } else {
        if let Some(enc) = declared.filter(|e| *e != encoding_rs::UTF_8) {
            let (cow, had_errors) = enc.decode_without_bom_handling(bytes);
            notes.push(format!(
                "not valid UTF-8; decoded as {} (declared by <meta charset>)",
                enc.name()
            ));
            if had_errors {
                notes.push(format!(
                    "undecodable bytes replaced by U+FFFD ({})",
                    enc.name()
                ));
            }
            return Ok(Decoded {
                text: nfc(cow.into_owned()),
                encoding: enc.name().to_string(),
                notes,
            });
        }
        if declared == Some(encoding_rs::UTF_8) {
            notes.push(
                "declared UTF-8 by <meta charset> but not valid UTF-8; encoding detected instead"
                    .to_string(),
            );
        }
        let mut det = chardetng::EncodingDetector::new();
        det.feed(bytes, true);
        // The sources are Dutch and English web pages: the `.nl` hint makes
        // the detector prefer the Western encodings (windows-1252) where a
        // short text is ambiguous; without it "100 µg" (B5 67) reads as one
        // Big5 character.
        let enc = det.guess(Some(b"nl"), true);
        let (cow, _, had_errors) = enc.decode(bytes);
        notes.push(format!(
            "not valid UTF-8; decoded as {} (detected)",
            enc.name()
        ));
        if had_errors {
            notes.push(format!(
                "undecodable bytes replaced by U+FFFD ({})",
                enc.name()
            ));
        }
        (cow.into_owned(), enc.name().to_string())
    };
    Ok(Decoded {
        text: nfc(text),
        encoding,
        notes,
    })
}

/// The text in Unicode normalisation form C. Almost every text already is,
/// and the quick check (a table lookup per character) settles that without
/// building a second copy; only a text it cannot vouch for is recomposed.
fn nfc(text: String) -> String {
    if is_nfc_quick(&text) {
        text
    } else {
        text.nfc().collect()
    }
}

/// Whether the quick check says `text` is NFC, asked only of its non-ASCII
/// runs: an ASCII character is NFC whatever surrounds it and has combining
/// class 0, which is also what the check's ordering rule starts a run from,
/// so the answer is the whole text's (every file goes through here).
fn is_nfc_quick(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(start) = crate::words::first_non_ascii(&b[i..]).map(|p| i + p) {
        let end = b[start..]
            .iter()
            .position(u8::is_ascii)
            .map_or(b.len(), |p| start + p);
        // both ends are character boundaries: an ASCII byte or the ends
        let run = &text[start..end];
        if unicode_normalization::is_nfc_quick(run.chars())
            != unicode_normalization::IsNormalized::Yes
        {
            return false;
        }
        i = end;
    }
    true
}

/// A UTF-8 file with a few broken bytes (a bad copy, a truncated download)
/// rather than a legacy encoding: it has valid multi-byte UTF-8 sequences and
/// no more invalid sequences than valid ones. Guessing a legacy encoding for
/// such a file would turn every correct `µ` into mojibake (`Âµ`) to explain
/// one bad byte. Returns the number of invalid sequences.
fn mostly_utf8(bytes: &[u8]) -> Option<usize> {
    let mut multibyte = 0usize;
    let mut invalid = 0usize;
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    (multibyte > 0 && invalid <= multibyte).then_some(invalid)
}

/// NUL bytes, or many control bytes, in the first 8 KiB mean binary data.
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return true;
    }
    let ctrl = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    ctrl * 10 > head.len().max(1)
}

/// Split text into lines as Python's `str.splitlines()` does, so that line
/// numbers agree with every other tool a reviewer uses on the same file.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for_each_line(text, |l| out.push(l));
    out
}

/// How many lines [`split_lines`] finds, without collecting them.
pub fn count_lines(text: &str) -> usize {
    let mut n = 0;
    for_each_line(text, |_| n += 1);
    n
}

/// The scan behind [`split_lines`] and [`count_lines`].
fn for_each_line<'t>(text: &'t str, mut line: impl FnMut(&'t str)) {
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    // Bytes, not chars: every break is an ASCII control, U+0085 (C2 85) or
    // U+2028/U+2029 (E2 80 A8/A9), and a byte of those values that starts a
    // match always starts a character (continuation bytes are 0x80-0xBF).
    while i < bytes.len() {
        i = skip_plain(bytes, i);
        let Some(&b) = bytes.get(i) else { break };
        let len = match b {
            b'\n' | b'\r' | 0x0b | 0x0c | 0x1c | 0x1d | 0x1e => 1,
            0xc2 if bytes.get(i + 1) == Some(&0x85) => 2,
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                3
            }
            _ => {
                i += 1;
                continue;
            }
        };
        line(&text[start..i]);
        let mut end = i + len;
        if b == b'\r' && bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        start = end;
        i = end;
    }
    if start < text.len() {
        line(&text[start..]);
    }
}

/// The first position at or after `i` whose byte may begin a line break:
/// a control byte (below 0x20) or 0xC2 / 0xE2. Eight bytes at a time
/// (every line of every document is scanned here), read as one `u64` and
/// tested for those bytes all at once, then byte by byte in the eight that
/// hold one.
fn skip_plain(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Exact per byte, no carry between bytes: for a byte `v` below 0x80,
    // `v + 0x60` reaches 0x80 unless `v < 0x20`; a byte of 0x80 or above is
    // not below 0x20. And `(v & 0x7F) + 0x7F` reaches 0x80 unless the low
    // seven bits are zero, so with `v`'s own top bit: "`v` is not zero".
    let below_0x20 = |x: u64| !((x & !HIGH).wrapping_add(ONES * 0x60)) & !x & HIGH;
    let nonzero = |x: u64| (x & !HIGH).wrapping_add(!HIGH) | x;
    let has = |x: u64, b: u8| {
        let y = x ^ (ONES * u64::from(b));
        nonzero(y) & HIGH != HIGH
    };
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w);
        if below_0x20(x) != 0 || has(x, 0xc2) || has(x, 0xe2) {
            break;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b < 0x20 || b == 0xc2 || b == 0xe2 {
            return i;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The char-by-char split [`split_lines`] must agree with.
    fn split_lines_plain(text: &str) -> Vec<&str> {
        let breaks = [
            '\n', '\r', '\u{0b}', '\u{0c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}',
            '\u{2029}',
        ];
        let mut out = Vec::new();
        let mut start = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if breaks.contains(&c) {
                out.push(&text[start..i]);
                start = i + c.len_utf8();
                if c == '\r' {
                    if let Some(&(j, '\n')) = chars.peek() {
                        chars.next();
                        start = j + 1;
                    }
                }
            }
        }
        if start < text.len() {
            out.push(&text[start..]);
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn byte_split_equals_the_char_split(
            text in crate::testing::glued(&[
                "\n", "\r", "\r\n", "\u{0b}", "\u{0c}", "\u{1c}", "\u{85}", "\u{2028}",
                "\u{2029}", "\u{2027}", "\u{2013}", "\u{a0}", "\u{c5}", "a", "é", " ", "\t",
                "\u{1d}", "\u{1e}", "\u{1f}", "\u{1b}", "\u{7f}", "\u{80}", "\u{a5}", "\u{2000}",
                // long plain runs: the eight-byte skip, with breaks at every offset
                "abcdefg", "Natto 100 µg per portie", "vitamine K2 (MK-7)",
            ], 0..24)
        ) {
            proptest::prop_assert_eq!(split_lines(&text), split_lines_plain(&text));
            proptest::prop_assert_eq!(count_lines(&text), split_lines_plain(&text).len());
        }

        /// The quick check on the non-ASCII runs answers as on the whole
        /// text: composed and decomposed letters, combining marks in and out
        /// of canonical order, after ASCII letters and after each other.
        #[test]
        fn nfc_check_of_runs_equals_the_whole_check(
            text in crate::testing::glued(&[
                "a", "e", "K", " ", "1", "\u{301}", "\u{308}", "\u{323}", "\u{e9}", "\u{fc}",
                "\u{b5}", "\u{3bc}", "\u{1e0b}", "\u{212b}", "\u{1100}", "\u{1161}",
                "\u{ac00}", "\u{2126}", "\u{f900}", "\u{2013}",
            ], 0..12)
        ) {
            proptest::prop_assert_eq!(
                is_nfc_quick(&text),
                unicode_normalization::is_nfc_quick(text.chars())
                    == unicode_normalization::IsNormalized::Yes
            );
            proptest::prop_assert_eq!(nfc(text.clone()), text.nfc().collect::<String>());
        }
    }

    #[test]
    fn utf8_with_bom_is_plain() {
        let d = decode("\u{feff}Natto 100 µg".as_bytes()).unwrap();
        assert_eq!(d.text, "Natto 100 µg");
        assert_eq!(d.encoding, "UTF-8");
    }

    #[test]
    fn windows_1252_is_detected_and_reported() {
        // "Gefermenteerde sojabonen bevatten 100 µg vitamine K2 per portie – één"
        let mut bytes = b"Gefermenteerde sojabonen bevatten 100 ".to_vec();
        bytes.push(0xB5); // µ in windows-1252
        bytes.extend_from_slice(b"g vitamine K2 per portie ");
        bytes.push(0x96); // en dash
        bytes.extend_from_slice(b" ");
        bytes.extend_from_slice(&[0xE9, 0xE9, 0x6E]); // één
        let d = decode(&bytes).unwrap();
        assert!(d.text.contains("100 µg"), "{}", d.text);
        assert!(d.text.contains('–'));
        assert!(d.notes.iter().any(|n| n.contains("not valid UTF-8")));
    }

    #[test]
    fn meta_charset_is_honoured_when_not_utf8() {
        let mut page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"></head><body>100 ".to_vec();
        page.push(0xB5);
        page.extend_from_slice(b"g</body></html>");
        let declared = declared_html_encoding(&page);
        assert_eq!(declared, Some(encoding_rs::WINDOWS_1252));
        let d = decode_declared(&page, declared).unwrap();
        assert!(d.text.contains("100 µg"));
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.notes.iter().any(|n| n.contains("<meta charset>")));
        assert_eq!(
            declared_html_encoding(b"<meta charset='utf-16le'>"),
            Some(encoding_rs::UTF_8)
        );
        assert_eq!(declared_html_encoding(b"<meta charset=bogus>"), None);
        // valid UTF-8 wins over a wrong declaration
        let d = decode_declared("<meta charset=windows-1252>µ".as_bytes(), declared).unwrap();
        assert_eq!(d.encoding, "UTF-8");
    }

    #[test]
    fn utf16le_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Natto 100 µg".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, "Natto 100 µg");
        assert_eq!(d.encoding, "UTF-16LE");
    }

    #[test]
    fn binary_is_refused() {
        let png = [
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
        ];
        assert_eq!(decode(&png), Err(DecodeError::Binary));
    }

    #[test]
    fn nfc_composes() {
        let d = decode("Ku\u{0308}hn".as_bytes()).unwrap();
        assert_eq!(d.text, "Kühn");
    }

    #[test]
    fn lines_like_python() {
        assert_eq!(split_lines("a\nb\r\nc\rd"), vec!["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\n"), vec!["a"]);
        assert_eq!(split_lines("a\n\nb"), vec!["a", "", "b"]);
        assert_eq!(split_lines(""), Vec::<&str>::new());
        assert_eq!(split_lines("x\u{2028}y"), vec!["x", "y"]);
    }
}
