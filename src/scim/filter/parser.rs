//! Recursive-descent parser for the RFC 7644 3.4.2.2 filter grammar.
//!
//! ```text
//! filter    = or-expr
//! or-expr   = and-expr *("or" and-expr)
//! and-expr  = unary *("and" unary)
//! unary     = "not" "(" or-expr ")" / "(" or-expr ")" / attrPath "pr"
//!           / attrPath compareOp compValue / attrPath "[" or-expr "]"
//! ```
//! Precedence is `not` > `and` > `or`. A chain of one operator (`a or b or c or d`) becomes a
//! balanced tree (`(a or b) or (c or d)`; for three operands `(a or b) or c`), which means
//! the same, since both operators are associative, and keeps every recursive pass over the
//! tree (checking, evaluation, SQL compilation, drop) logarithmic in the chain's length; only
//! MAX_FILTER_LEN bounds a chain. Inside `[...]` another value path is refused (RFC 7644
//! errata 4690/7322: valFilter does not nest).

use crate::scim::attr::{AttrPath, check_name};
use crate::scim::error::ScimError;

use super::lexer::{Tok, Token, error_at, lex};
use super::{CompValue, CompareOp, Filter, MAX_FILTER_DEPTH, MAX_FILTER_LEN};

/// Parse a filter (syntax only). Errors are ScimError 400 invalidFilter with a detail that
/// points at the offending position/token. Never panics. Enforces MAX_FILTER_LEN/DEPTH.
/// A URN-qualified path is split at the last ':' (attribute names cannot contain ':').
pub fn parse(input: &str) -> Result<Filter, ScimError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_filter(format!(
            "filter is {} bytes long; the limit is {MAX_FILTER_LEN}",
            input.len()
        )));
    }
    let tokens = lex(input)?;
    let mut parser = Parser {
        input,
        tokens,
        pos: 0,
        depth: 0,
        in_value_path: false,
    };
    if parser.tokens.is_empty() {
        return Err(ScimError::invalid_filter("the filter is empty"));
    }
    let filter = parser.or_expr()?;
    match parser.peek() {
        None => Ok(filter),
        Some(t) if t.kind == Tok::RParen => Err(parser.err_at_token(t, "unbalanced ')'")),
        Some(t) if t.kind == Tok::RBracket => Err(parser.err_at_token(t, "unbalanced ']'")),
        Some(_) => Err(parser.expected("'and', 'or' or the end of the filter")),
    }
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    in_value_path: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn text(&self, t: &Token) -> &str {
        self.input.get(t.start..t.end).unwrap_or_default()
    }

    /// Whether the next token is the (case-insensitive) keyword `kw`.
    fn at_keyword(&self, kw: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == Tok::Word && self.text(t).eq_ignore_ascii_case(kw))
    }

    fn err_at_token(&self, t: &Token, what: &str) -> ScimError {
        error_at(self.input, t.start, what)
    }

    /// "expected X after 'prev' at offset N, found Y" for the current token.
    fn expected(&self, what: &str) -> ScimError {
        let after = match self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(prev) => format!(" after {}", self.describe(prev)),
            None => String::new(),
        };
        let (at, found) = match self.peek() {
            Some(t) => (t.start, self.describe(t)),
            None => (self.input.len(), "the end of the filter".to_string()),
        };
        let base = error_at(self.input, at, &format!("expected {what}{after}"));
        ScimError::invalid_filter(format!("{}, found {found}", base.detail))
    }

    /// A short quotation of a token for messages.
    fn describe(&self, t: &Token) -> String {
        let text = self.text(t);
        let short: String = text.chars().take(40).collect();
        let ellipsis = if short.len() < text.len() { "…" } else { "" };
        match t.kind {
            Tok::Str(_) => format!("string {short}{ellipsis}"),
            Tok::Num(_) => format!("number {short}{ellipsis}"),
            _ => format!("'{short}{ellipsis}'"),
        }
    }

    fn advance(&mut self) {
        self.pos += 1;
    }

    /// Enter one nesting level (`(`, `not (`, `[`) opened by the current token.
    fn enter(&mut self) -> Result<(), ScimError> {
        if self.depth >= MAX_FILTER_DEPTH {
            let at = self.peek().map_or(self.input.len(), |t| t.start);
            return Err(error_at(
                self.input,
                at,
                &format!("filter nests deeper than {MAX_FILTER_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn expect(&mut self, kind: Tok, what: &str) -> Result<(), ScimError> {
        if self.peek().is_some_and(|t| t.kind == kind) {
            self.advance();
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn or_expr(&mut self) -> Result<Filter, ScimError> {
        let mut operands = vec![self.and_expr()?];
        while self.at_keyword("or") {
            self.advance();
            operands.push(self.and_expr()?);
        }
        balance(operands, Filter::Or).ok_or_else(|| self.expected("an attribute path"))
    }

    fn and_expr(&mut self) -> Result<Filter, ScimError> {
        let mut operands = vec![self.unary()?];
        while self.at_keyword("and") {
            self.advance();
            operands.push(self.unary()?);
        }
        balance(operands, Filter::And).ok_or_else(|| self.expected("an attribute path"))
    }

    /// `(...)` or `ex[...]` content: the nested expression and its closing token.
    fn nested(&mut self, close: Tok, what: &str) -> Result<Filter, ScimError> {
        self.enter()?;
        self.advance();
        let inner = self.or_expr()?;
        self.expect(close, what)?;
        self.depth -= 1;
        Ok(inner)
    }

    fn unary(&mut self) -> Result<Filter, ScimError> {
        let Some(t) = self.peek() else {
            return Err(self.expected("an attribute path, '(' or 'not'"));
        };
        match t.kind {
            Tok::LParen => self.nested(Tok::RParen, "'and', 'or' or ')'"),
            Tok::Word if self.at_keyword("not") => {
                self.advance();
                // RFC 7644 3.4.2.2: `not` always takes a parenthesised filter.
                if !self.peek().is_some_and(|t| t.kind == Tok::LParen) {
                    return Err(self.expected("'(' (not takes a parenthesised filter)"));
                }
                let inner = self.nested(Tok::RParen, "'and', 'or' or ')'")?;
                Ok(Filter::Not(Box::new(inner)))
            }
            Tok::Word => self.attr_expr(),
            _ => Err(self.expected("an attribute path, '(' or 'not'")),
        }
    }

    /// `attrPath pr`, `attrPath op value` or `attrPath[valFilter]`; the current token is a word.
    fn attr_expr(&mut self) -> Result<Filter, ScimError> {
        let path = self.attr_path()?;
        self.advance();
        let Some(t) = self.peek() else {
            return Err(self.expected("comparison operator"));
        };
        if t.kind == Tok::LBracket {
            if self.in_value_path {
                return Err(self.err_at_token(t, "value filters cannot nest ('[' inside '[...]')"));
            }
            self.in_value_path = true;
            let inner = self.nested(Tok::RBracket, "'and', 'or' or ']'");
            self.in_value_path = false;
            return Ok(Filter::ValuePath(path, Box::new(inner?)));
        }
        if self.at_keyword("pr") {
            self.advance();
            return Ok(Filter::Present(path));
        }
        let op = match t.kind {
            Tok::Word => CompareOp::from_keyword(self.text(t)),
            _ => None,
        };
        let Some(op) = op else {
            return Err(self.expected("comparison operator"));
        };
        self.advance();
        let value = self.comp_value()?;
        Ok(Filter::Compare(path, op, value))
    }

    fn comp_value(&mut self) -> Result<CompValue, ScimError> {
        let value = match self.peek().map(|t| (&t.kind, self.text(t))) {
            Some((Tok::Str(s), _)) => Some(CompValue::String(s.clone())),
            Some((Tok::Num(n), _)) => Some(CompValue::Number(n.clone())),
            Some((Tok::Word, w)) if w.eq_ignore_ascii_case("true") => Some(CompValue::Bool(true)),
            Some((Tok::Word, w)) if w.eq_ignore_ascii_case("false") => Some(CompValue::Bool(false)),
            Some((Tok::Word, w)) if w.eq_ignore_ascii_case("null") => Some(CompValue::Null),
            _ => None,
        };
        match value {
            Some(v) => {
                self.advance();
                Ok(v)
            }
            None => Err(self.expected("a value (string, number, true, false or null)")),
        }
    }

    /// The current word as an attribute path: `[URN ":"] ATTRNAME ["." subAttr]`.
    fn attr_path(&self) -> Result<AttrPath, ScimError> {
        let Some(t) = self.peek() else {
            return Err(self.expected("an attribute path"));
        };
        let text = self.text(t);
        let bad =
            |why: &str| self.err_at_token(t, &format!("invalid attribute path '{text}': {why}"));
        let is_urn = text
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        let (schema, local) = match text.rfind(':') {
            Some(i) if is_urn => {
                let (urn, rest) = (text.get(..i), text.get(i + 1..));
                match (urn, rest) {
                    (Some(urn), Some(rest)) if urn.len() > 4 => (Some(urn.to_string()), rest),
                    _ => return Err(bad("a schema URN must be followed by ':' and a name")),
                }
            }
            Some(_) => return Err(bad("':' is only allowed in a schema URN prefix")),
            None => (None, text),
        };
        let mut parts = local.split('.');
        let attr = parts.next().unwrap_or_default();
        let sub = parts.next();
        if parts.next().is_some() {
            return Err(bad("more than one sub-attribute level"));
        }
        for name in std::iter::once(attr).chain(sub) {
            if check_name(name).is_err() {
                return Err(bad(&format!("'{name}' is not a valid attribute name")));
            }
        }
        Ok(AttrPath {
            schema,
            attr: attr.to_string(),
            sub_attr: sub.map(str::to_string),
        })
    }
}

/// Join operands into a balanced tree; `None` only for no operands.
fn balance(
    mut operands: Vec<Filter>,
    join: fn(Box<Filter>, Box<Filter>) -> Filter,
) -> Option<Filter> {
    if operands.len() <= 1 {
        return operands.pop();
    }
    let right = operands.split_off(operands.len().div_ceil(2));
    let left = balance(operands, join)?;
    Some(join(Box::new(left), Box::new(balance(right, join)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::filter::RFC_EXAMPLES;

    fn path(s: &str) -> AttrPath {
        match s.rsplit_once(':') {
            Some((urn, rest)) => AttrPath::parse_local(Some(urn.into()), rest).unwrap(),
            None => AttrPath::parse_local(None, s).unwrap(),
        }
    }
    fn pr(s: &str) -> Filter {
        Filter::Present(path(s))
    }
    fn cmp(s: &str, op: CompareOp, v: CompValue) -> Filter {
        Filter::Compare(path(s), op, v)
    }
    fn str_v(v: &str) -> CompValue {
        CompValue::String(v.into())
    }
    fn eq_s(s: &str, v: &str) -> Filter {
        cmp(s, CompareOp::Eq, str_v(v))
    }
    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }
    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }
    fn not(a: Filter) -> Filter {
        Filter::Not(Box::new(a))
    }
    fn vp(s: &str, f: Filter) -> Filter {
        Filter::ValuePath(path(s), Box::new(f))
    }
    fn num(s: &str) -> CompValue {
        CompValue::Number(s.parse().unwrap())
    }

    #[test]
    fn rfc_examples_parse_and_round_trip() {
        for (input, _) in RFC_EXAMPLES {
            let f = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parse(&f.to_string()).unwrap(), f, "{input}");
        }
    }

    #[test]
    fn shapes() {
        use CompareOp::*;
        let work = and(
            eq_s("type", "work"),
            cmp("value", Co, str_v("@example.com")),
        );
        let home = and(
            eq_s("type", "home"),
            cmp("value", Ew, str_v("@example.com")),
        );
        let enterprise =
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
        let family = "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName";
        #[rustfmt::skip]
        let cases: Vec<(&str, Filter)> = vec![
            (r#"userName eq "bjensen""#, eq_s("userName", "bjensen")),
            (r#"userName EQ "x""#, eq_s("userName", "x")),
            (r#"userName eQ "x""#, eq_s("userName", "x")),
            (r#"USERNAME eq "x""#, eq_s("USERNAME", "x")),
            ("  userName\t\teq   \"x\"  ", eq_s("userName", "x")),
            ("title PR", pr("title")),
            ("members.$ref pr", pr("members.$ref")),
            // Precedence: not > and > or.
            ("a pr or b pr and c pr", or(pr("a"), and(pr("b"), pr("c")))),
            ("a pr and b pr or c pr", or(and(pr("a"), pr("b")), pr("c"))),
            ("(a pr or b pr) and c pr", and(or(pr("a"), pr("b")), pr("c"))),
            ("a pr and b pr and c pr", and(and(pr("a"), pr("b")), pr("c"))),
            ("a pr or b pr or c pr", or(or(pr("a"), pr("b")), pr("c"))),
            // Longer chains become balanced trees.
            ("a pr or b pr or c pr or d pr", or(or(pr("a"), pr("b")), or(pr("c"), pr("d")))),
            ("a pr and b pr and c pr and d pr and e pr", and(and(and(pr("a"), pr("b")), pr("c")), and(pr("d"), pr("e")))),
            ("a pr or b pr and c pr and d pr or e pr", or(or(pr("a"), and(and(pr("b"), pr("c")), pr("d"))), pr("e"))),
            ("not (a pr) and b pr", and(not(pr("a")), pr("b"))),
            ("a pr OR NOT (b pr) AND c pr", or(pr("a"), and(not(pr("b")), pr("c")))),
            ("((a pr))", pr("a")),
            ("not(a pr)", not(pr("a"))),
            // Keywords are keywords only by position.
            ("and pr and or pr", and(pr("and"), pr("or"))),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#, eq_s(enterprise, "1")),
            (r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co "O'Malley""#, cmp(family, Co, str_v("O'Malley"))),
            ("active eq true", cmp("active", Eq, CompValue::Bool(true))),
            ("active eq FALSE", cmp("active", Eq, CompValue::Bool(false))),
            ("title eq Null", cmp("title", Eq, CompValue::Null)),
            ("x gt 3", cmp("x", Gt, num("3"))),
            ("x ge -3.5", cmp("x", Ge, num("-3.5"))),
            ("x lt 1e3", cmp("x", Lt, num("1000.0"))),
            ("x le 2.5E-1", cmp("x", Le, num("0.25"))),
            (r#"x ne "a\"b\\c\u00e9\uD83D\uDE00\t""#, cmp("x", Ne, str_v("a\"b\\cé😀\t"))),
            (r#"x sw "\/\b\f\n\r""#, cmp("x", Sw, str_v("/\u{8}\u{c}\n\r"))),
            (r#"x ew "é""#, cmp("x", Ew, str_v("é"))),
            (r#"emails[type eq "work" and value co "@example.com"]"#, vp("emails", work.clone())),
            (r#"emails[type eq "work" or (type eq "home" and value ew "@example.com")]"#, vp("emails", or(eq_s("type", "work"), home))),
            (r#"emails[not (type eq "work")]"#, vp("emails", not(eq_s("type", "work")))),
            (r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#, and(eq_s("userType", "Employee"), vp("emails", work))),
        ];
        for (input, want) in cases {
            let got = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn errors() {
        let long = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_LEN));
        let nest = |n: usize, open: &str| format!("{}a pr{}", open.repeat(n), ")".repeat(n));
        let deep_parens = nest(MAX_FILTER_DEPTH + 1, "(");
        let deep_not = nest(MAX_FILTER_DEPTH + 1, "not (");
        let n = MAX_FILTER_DEPTH;
        let deep_value_path = format!("{}emails[type pr]{}", "(".repeat(n), ")".repeat(n));
        #[rustfmt::skip]
        let cases: Vec<(&str, &str)> = vec![
            ("", "the filter is empty"),
            (" \t ", "the filter is empty"),
            (r#"userName x "a""#, "expected comparison operator after 'userName' at offset 9, found 'x'"),
            ("userName", "expected comparison operator after 'userName' at offset 8, found the end of the filter"),
            ("userName eq", "expected a value (string, number, true, false or null) after 'eq' at offset 11"),
            ("userName eq bjensen", "expected a value (string, number, true, false or null) after 'eq' at offset 12, found 'bjensen'"),
            ("userName eq tru", "found 'tru'"),
            (r#"userName eq "bjensen"#, "unterminated string starting at offset 12"),
            (r#"userName eq "x" garbage"#, "expected 'and', 'or' or the end of the filter after string \"x\" at offset 16, found 'garbage'"),
            ("title pr pr", "expected 'and', 'or' or the end of the filter after 'pr' at offset 9"),
            (r#"userName eq "x")"#, "unbalanced ')' at offset 15"),
            (r#"emails[type eq "work"]]"#, "unbalanced ']' at offset 22"),
            (r#"(userName eq "x""#, "expected 'and', 'or' or ')' after string \"x\" at offset 16, found the end"),
            (r#"emails[type eq "work""#, "expected 'and', 'or' or ']'"),
            (r#"emails[type eq "work")"#, "expected 'and', 'or' or ']'"),
            (r#"not userName eq "x""#, "expected '(' (not takes a parenthesised filter) after 'not' at offset 4"),
            (r#"userName eq "x" and"#, "expected an attribute path, '(' or 'not' after 'and' at offset 19"),
            (r#"userName eq "x" or ()"#, "expected an attribute path, '(' or 'not' after '(' at offset 20, found ')'"),
            ("[a pr]", "expected an attribute path, '(' or 'not' at offset 0, found '['"),
            (r#""x" eq "x""#, "expected an attribute path"),
            ("userName eq [", "expected a value"),
            ("userName eq (", "expected a value"),
            ("emails[type[value eq 1]]", "value filters cannot nest ('[' inside '[...]') at offset 11"),
            ("name.givenName.x pr", "more than one sub-attribute level"),
            ("name. pr", "'' is not a valid attribute name"),
            ("a:b pr", "':' is only allowed in a schema URN prefix"),
            ("urn:x pr", "a schema URN must be followed by ':' and a name"),
            ("urn:a:b: pr", "'' is not a valid attribute name"),
            ("a-é pr", "unexpected character 'é' at offset 2"),
            ("userName eq 'x'", "unexpected character '\\'' at offset 12"),
            ("userName == \"x\"", "unexpected character '='"),
            ("userName eq 01", "invalid number '01' at offset 12"),
            ("userName eq 1x", "expected 'and', 'or' or the end of the filter after number 1 at offset 13, found 'x'"),
            // Offsets count characters, not bytes.
            (r#"displayName eq "é" x"#, "at offset 19, found 'x'"),
            (&long, "the limit is 4096"),
            (&deep_parens, "filter nests deeper than 32 levels at offset 32"),
            (&deep_not, "filter nests deeper than 32 levels at offset 164"),
            (&deep_value_path, "filter nests deeper than 32 levels at offset 38"),
        ];
        for (input, want) in cases {
            let e = parse(input).expect_err(input);
            let kind = (e.status, e.scim_type);
            assert_eq!(kind, (400, Some(ScimType::InvalidFilter)), "{input}");
            assert!(
                e.detail.contains(want),
                "{input}\n got: {}\nwant: {want}",
                e.detail
            );
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let at_len = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_LEN - 14));
        assert_eq!(at_len.len(), MAX_FILTER_LEN);
        assert!(parse(&at_len).is_ok());
        let n = MAX_FILTER_DEPTH;
        assert!(parse(&format!("{}a pr{}", "(".repeat(n), ")".repeat(n))).is_ok());
        assert!(parse(&format!("{}a pr{}", "not (".repeat(n), ")".repeat(n))).is_ok());
        assert!(
            parse(&format!(
                "{}e[a pr]{}",
                "(".repeat(n - 1),
                ")".repeat(n - 1)
            ))
            .is_ok()
        );
        // Long flat chains are not nesting.
        let chain = vec!["a pr"; 500].join(" or ");
        assert!(parse(&chain).is_ok());
    }
}
