//! Filter lexer: turns filter text into tokens carrying their byte offsets.
//!
//! Keywords (`and`, `eq`, `true`, …) are lexed as words; the parser gives them meaning by
//! position, so an attribute may share a keyword's spelling. Words are ASCII only, so paths
//! can be sliced by byte index without splitting a character.

use crate::scim::error::ScimError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// An attribute path or keyword: a letter or `$`, then letters, digits, `-_$.:`.
    Word,
    /// A JSON string literal, escapes resolved.
    Str(String),
    /// A JSON number literal.
    Num(serde_json::Number),
}

/// A token with its byte span in the input.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    /// What it is.
    pub kind: Tok,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

/// An invalidFilter error at byte offset `at` of `input`, reported as a character offset.
pub(super) fn error_at(input: &str, at: usize, msg: &str) -> ScimError {
    let offset = input.get(..at).map_or(at, |s| s.chars().count());
    ScimError::invalid_filter(format!("{msg} at offset {offset}"))
}

/// Split `input` into tokens; whitespace between tokens is skipped.
pub(super) fn lex(input: &str) -> Result<Vec<Token>, ScimError> {
    let mut lexer = Lexer { input, pos: 0 };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$' | '.' | ':')
}

fn is_number_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.input.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err(&self, at: usize, msg: &str) -> ScimError {
        error_at(self.input, at, msg)
    }

    fn next_token(&mut self) -> Result<Option<Token>, ScimError> {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let kind = match c {
            '(' | ')' | '[' | ']' => {
                self.pos += 1;
                match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    _ => Tok::RBracket,
                }
            }
            '"' => Tok::Str(self.string()?),
            c if c == '-' || c.is_ascii_digit() => Tok::Num(self.number()?),
            c if is_word_start(c) => {
                while self.peek().is_some_and(is_word_char) {
                    self.pos += 1;
                }
                Tok::Word
            }
            other => {
                let shown = other.escape_debug();
                return Err(self.err(start, &format!("unexpected character '{shown}'")));
            }
        };
        Ok(Some(Token {
            kind,
            start,
            end: self.pos,
        }))
    }

    /// A JSON number (RFC 8259 6); the run of number characters must parse as a whole.
    fn number(&mut self) -> Result<serde_json::Number, ScimError> {
        let start = self.pos;
        while self.peek().is_some_and(is_number_char) {
            self.pos += 1;
        }
        let text = self.input.get(start..self.pos).unwrap_or_default();
        // The grammar check keeps the accepted syntax explicit; serde_json then gives the
        // value (and refuses numbers out of f64 range such as 1e400).
        Some(text)
            .filter(|t| is_json_number(t))
            .and_then(|t| serde_json::from_str::<serde_json::Number>(t).ok())
            .ok_or_else(|| self.err(start, &format!("invalid number '{text}'")))
    }

    /// A JSON string (RFC 8259 7) starting at the opening quote.
    fn string(&mut self) -> Result<String, ScimError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(self.err(start, "unterminated string starting")),
                Some('"') => return Ok(out),
                Some('\\') => out.push(self.escape(at)?),
                Some(c) if (c as u32) < 0x20 => {
                    return Err(self.err(at, "control character in string (escape it)"));
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// The character of an escape whose backslash is at byte `at`.
    fn escape(&mut self, at: usize) -> Result<char, ScimError> {
        let c = match self.bump() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => return self.unicode_escape(at),
            None => return Err(self.err(at, "unterminated escape")),
            Some(other) => {
                let shown = other.escape_debug();
                return Err(self.err(at, &format!("invalid escape '\\{shown}'")));
            }
        };
        Ok(c)
    }

    /// `\uXXXX`, joining a UTF-16 surrogate pair written as two escapes.
    fn unicode_escape(&mut self, at: usize) -> Result<char, ScimError> {
        let high = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&high) {
            let low_at = self.pos;
            let low = if self
                .input
                .get(self.pos..)
                .is_some_and(|s| s.starts_with("\\u"))
            {
                self.pos += 2;
                self.hex4(low_at)?
            } else {
                0
            };
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.err(at, "unpaired UTF-16 surrogate in \\u escape"));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.err(at, "unpaired UTF-16 surrogate in \\u escape"))
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ScimError> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .filter(|d| d.chars().all(|c| c.is_ascii_hexdigit()));
        let value = digits.and_then(|d| u32::from_str_radix(d, 16).ok());
        match value {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.err(at, "expected four hex digits in \\u escape")),
        }
    }
}

/// RFC 8259 6: `[ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]`.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let s = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - s
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<Tok> {
        lex(input).unwrap().into_iter().map(|t| t.kind).collect()
    }

    fn str_of(input: &str) -> String {
        match kinds(input).as_slice() {
            [Tok::Str(s)] => s.clone(),
            other => panic!("{input}: {other:?}"),
        }
    }

    #[test]
    fn string_escapes() {
        let cases = [
            (r#""a\"b""#, "a\"b"),
            (r#""a\\b""#, "a\\b"),
            (r#""a\/b""#, "a/b"),
            (r#""\b\f\n\r\t""#, "\u{8}\u{c}\n\r\t"),
            (r#""\u0041\u00e9""#, "Aé"),
            (r#""\uD83D\uDE00""#, "😀"),
            (r#""\ud83d\ude00""#, "😀"),
            ("\"O'Malley\"", "O'Malley"),
            ("\"日本語\"", "日本語"),
            ("\"\"", ""),
        ];
        for (input, want) in cases {
            assert_eq!(str_of(input), want, "{input}");
        }
    }

    #[test]
    fn string_errors() {
        let cases = [
            (r#""abc"#, "unterminated string"),
            (r#""a\"#, "unterminated escape"),
            (r#""\x""#, "invalid escape"),
            (r#""\u12""#, "four hex digits"),
            (r#""\u12G4""#, "four hex digits"),
            (r#""\uD83D""#, "unpaired"),
            (r#""\uD83Dx""#, "unpaired"),
            (r#""\uDE00""#, "unpaired"),
            (r#""\uD83D\u0041""#, "unpaired"),
            ("\"a\nb\"", "control character"),
            ("\"é\\u00", "four hex digits"),
        ];
        for (input, want) in cases {
            let e = lex(input).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.detail.contains(want), "{input}: {}", e.detail);
        }
    }

    #[test]
    fn numbers() {
        for (input, want) in [
            ("0", "0"),
            ("42", "42"),
            ("-7", "-7"),
            ("3.25", "3.25"),
            ("1e3", "1000.0"),
            ("-2.5E-1", "-0.25"),
            ("18446744073709551615", "18446744073709551615"),
        ] {
            match kinds(input).as_slice() {
                [Tok::Num(n)] => assert_eq!(n.to_string(), want, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        assert!(lex(".5").is_err());
        for bad in ["-", "01", "1.", "1e", "1e+", "--1", "1-2", "1e400", "1.2.3"] {
            let e = lex(bad).unwrap_err();
            assert!(e.detail.contains("invalid number"), "{bad}: {}", e.detail);
        }
    }

    #[test]
    fn words_punctuation_and_offsets() {
        let toks = lex("emails[type EQ \"work\"]\t(a pr)").unwrap();
        let spans: Vec<(usize, usize)> = toks.iter().map(|t| (t.start, t.end)).collect();
        assert_eq!(
            spans,
            [
                (0, 6),
                (6, 7),
                (7, 11),
                (12, 14),
                (15, 21),
                (21, 22),
                (23, 24),
                (24, 25),
                (26, 28),
                (28, 29)
            ]
        );
        assert_eq!(kinds("urn:a:b:2.0:User:name.familyName"), [Tok::Word]);
        assert_eq!(kinds("members.$ref"), [Tok::Word]);
    }

    #[test]
    fn unexpected_characters_report_char_offset() {
        let e = lex("name eq \"é\" & x").unwrap_err();
        assert_eq!(e.detail, "unexpected character '&' at offset 12");
        let e = lex("ü").unwrap_err();
        assert_eq!(e.detail, "unexpected character 'ü' at offset 0");
    }
}
