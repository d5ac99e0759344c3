//! The expression and unary-test syntax of the supported JDM subset, parsed into an untyped tree. `compile` types
//! the tree against the fields in scope. Expressions: numbers, strings in double or single quotes, `true`, `false`,
//! `null`, dotted field paths (`applicant.age`, `$` for the column under test, `$.key` for a key set earlier in the
//! same expression node), `+ - * /`, `< <= > >= == !=`, `and`, `or`, `not`/`!`, `condition ? a : b`, parentheses
//! and the functions `min([a, b, …])` and `max([a, b, …])` (GoRules' form; `min(a, b)` and `max(a, b)` too),
//! `abs(x)`, `floor(x)`, `ceil(x)`, `round(x)` and `round(x, n)`. Unary tests (decision-table input cells) are a
//! comma-separated list of alternatives, each a comparison with the column value (`> 600`, `!= 0`), an interval
//! (`[18..65]`, `(0..0.5]`) or a value the column must equal (`"planting"`, `true`, `null`).

use rust_decimal::Decimal;

use crate::schema::parse_decimal;

/// Why a piece of text is not in the supported syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {position} of `{text}`")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Character offset in the text.
    pub position: usize,
    /// The text.
    pub text: String,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`
    And,
    /// `or`
    Or,
}

/// An expression tree, before typing.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// A number literal.
    Number(Decimal),
    /// A string literal.
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A field path, `$` or `$.key`.
    Path(String),
    /// `-x`.
    Neg(Box<Ast>),
    /// `not x`.
    Not(Box<Ast>),
    /// `a op b`.
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// `name(args)`.
    Call(String, Vec<Ast>),
    /// `condition ? then : otherwise`.
    If(Box<Ast>, Box<Ast>, Box<Ast>),
    /// `[a, b, c]`: only meaningful as the argument of `min` or `max`.
    List(Vec<Ast>),
}

/// One alternative of a unary test.
#[derive(Debug, Clone, PartialEq)]
pub enum TestItem {
    /// `op value`: the column value compared with `value`.
    Compare(BinOp, Ast),
    /// An interval; the booleans say whether each bound is included.
    Range {
        /// Lower bound.
        low: Ast,
        /// `[` rather than `(`.
        low_closed: bool,
        /// Upper bound.
        high: Ast,
        /// `]` rather than `)`.
        high_closed: bool,
    },
    /// The column value equals this value.
    Equals(Ast),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Decimal),
    String(String),
    Ident(String),
    Op(BinOp),
    Not,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    DotDot,
    Question,
    Colon,
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    at: usize,
}

/// Parses a whole expression.
pub fn parse_expression(text: &str) -> Result<Ast, ParseError> {
    let mut parser = Parser::new(text)?;
    let ast = parser.expression(0)?;
    parser.finish()?;
    Ok(ast)
}

/// Parses a unary test: a comma-separated list of alternatives (the text must not be empty).
pub fn parse_unary_test(text: &str) -> Result<Vec<TestItem>, ParseError> {
    let mut parser = Parser::new(text)?;
    let mut items = vec![parser.test_item()?];
    while parser.eat(&Token::Comma) {
        items.push(parser.test_item()?);
    }
    parser.finish()?;
    Ok(items)
}

/// True if the text mentions `$` outside string literals: such a unary-test cell is a whole condition on `$`.
pub fn mentions_column(text: &str) -> bool {
    match lex(text) {
        Ok(tokens) => {
            tokens.iter().any(|(token, _)| matches!(token, Token::Ident(name) if name == "$" || name.starts_with("$.")))
        }
        Err(_) => false,
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self, ParseError> {
        Ok(Self { text, tokens: lex(text)?, at: 0 })
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        let position = self.tokens.get(self.at).map_or(self.text.chars().count(), |(_, position)| *position);
        ParseError { message: message.into(), position, text: self.text.to_owned() }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(token, _)| token)
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), ParseError> {
        if self.eat(token) { Ok(()) } else { Err(self.error(format!("expected {what}"))) }
    }

    fn finish(&self) -> Result<(), ParseError> {
        if self.at == self.tokens.len() { Ok(()) } else { Err(self.error("unexpected text")) }
    }

    fn test_item(&mut self) -> Result<TestItem, ParseError> {
        match self.peek() {
            Some(Token::Op(op)) if is_comparison(*op) => {
                let op = *op;
                self.at += 1;
                Ok(TestItem::Compare(op, self.expression(3)?))
            }
            Some(Token::LBracket) => {
                self.at += 1;
                let low = self.expression(0)?;
                self.range(low, true)
            }
            Some(Token::LParen) => {
                let start = self.at;
                self.at += 1;
                // `(a..b]` is an interval; `(a + b) * 2` an ordinary value, parsed again from the parenthesis.
                let low = self.expression(0)?;
                if self.peek() == Some(&Token::DotDot) {
                    self.range(low, false)
                } else {
                    self.at = start;
                    Ok(TestItem::Equals(self.expression(0)?))
                }
            }
            _ => Ok(TestItem::Equals(self.expression(0)?)),
        }
    }

    fn range(&mut self, low: Ast, low_closed: bool) -> Result<TestItem, ParseError> {
        self.expect(&Token::DotDot, "`..` in an interval")?;
        let high = self.expression(0)?;
        let high_closed = match self.peek() {
            Some(Token::RBracket) => true,
            Some(Token::RParen) => false,
            _ => return Err(self.error("expected `]` or `)` closing an interval")),
        };
        self.at += 1;
        Ok(TestItem::Range { low, low_closed, high, high_closed })
    }

    /// Precedence climbing: 1 `or`, 2 `and`, 3 comparisons, 4 `+ -`, 5 `* /`.
    fn expression(&mut self, min_level: u8) -> Result<Ast, ParseError> {
        let mut left = self.prefix()?;
        while let Some(Token::Op(op)) = self.peek() {
            let op = *op;
            let level = level(op);
            if level <= min_level {
                break;
            }
            self.at += 1;
            let right = self.expression(level)?;
            if is_comparison(op)
                && let Ast::Binary(inner, ..) = &left
                && is_comparison(*inner)
            {
                return Err(self.error("comparisons do not chain; use `and`"));
            }
            left = Ast::Binary(op, Box::new(left), Box::new(right));
        }
        if min_level == 0 && self.eat(&Token::Question) {
            let then = self.expression(0)?;
            self.expect(&Token::Colon, "`:` in `condition ? a : b`")?;
            let otherwise = self.expression(0)?;
            left = Ast::If(Box::new(left), Box::new(then), Box::new(otherwise));
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Ast, ParseError> {
        let Some((token, _)) = self.tokens.get(self.at).cloned() else {
            return Err(self.error("expected a value"));
        };
        self.at += 1;
        match token {
            Token::Number(number) => Ok(Ast::Number(number)),
            Token::String(text) => Ok(Ast::String(text)),
            Token::Op(BinOp::Sub) => Ok(Ast::Neg(Box::new(self.expression(5)?))),
            Token::Not => Ok(Ast::Not(Box::new(self.expression(2)?))),
            Token::LParen => {
                let inner = self.expression(0)?;
                self.expect(&Token::RParen, "`)`")?;
                Ok(inner)
            }
            Token::LBracket => {
                let mut items = vec![self.expression(0)?];
                while self.eat(&Token::Comma) {
                    items.push(self.expression(0)?);
                }
                self.expect(&Token::RBracket, "`]` closing the list")?;
                Ok(Ast::List(items))
            }
            Token::Ident(name) => match name.as_str() {
                "true" => Ok(Ast::Bool(true)),
                "false" => Ok(Ast::Bool(false)),
                "null" => Ok(Ast::Null),
                _ if self.eat(&Token::LParen) => {
                    let mut args = Vec::new();
                    if !self.eat(&Token::RParen) {
                        args.push(self.expression(0)?);
                        while self.eat(&Token::Comma) {
                            args.push(self.expression(0)?);
                        }
                        self.expect(&Token::RParen, "`)` closing the arguments")?;
                    }
                    Ok(Ast::Call(name, args))
                }
                _ => Ok(Ast::Path(name)),
            },
            _ => {
                self.at -= 1;
                Err(self.error("expected a value"))
            }
        }
    }
}

fn is_comparison(op: BinOp) -> bool {
    matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne)
}

fn level(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div => 5,
    }
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let error =
        |message: &str, position: usize| ParseError { message: message.to_owned(), position, text: text.to_owned() };
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let next = chars.get(i + 1).copied();
        let token = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '0'..='9' => {
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                let literal: String = chars[start..i].iter().collect();
                let number = parse_decimal(&literal).ok_or_else(|| error("number out of range", start))?;
                tokens.push((Token::Number(number), start));
                continue;
            }
            '"' | '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(error("unterminated string", start)),
                        Some(&quote) if quote == c => break,
                        Some('\\') => {
                            let escaped = chars.get(i + 1).ok_or_else(|| error("unterminated string", start))?;
                            value.push(*escaped);
                            i += 2;
                        }
                        Some(other) => {
                            value.push(*other);
                            i += 1;
                        }
                    }
                }
                i += 1;
                tokens.push((Token::String(value), start));
                continue;
            }
            _ if c.is_ascii_alphabetic() || c == '_' || c == '$' => {
                i += 1;
                while i < chars.len() {
                    let d = chars[i];
                    let continues_path =
                        d == '.' && chars.get(i + 1).is_some_and(|e| e.is_ascii_alphanumeric() || *e == '_');
                    if d.is_ascii_alphanumeric() || d == '_' || continues_path {
                        i += 1;
                    } else {
                        break;
                    }
                }
                let word: String = chars[start..i].iter().collect();
                let token = match word.as_str() {
                    "and" => Token::Op(BinOp::And),
                    "or" => Token::Op(BinOp::Or),
                    "not" => Token::Not,
                    _ => Token::Ident(word),
                };
                tokens.push((token, start));
                continue;
            }
            '.' if next == Some('.') => {
                i += 1;
                Token::DotDot
            }
            '<' if next == Some('=') => {
                i += 1;
                Token::Op(BinOp::Le)
            }
            '>' if next == Some('=') => {
                i += 1;
                Token::Op(BinOp::Ge)
            }
            '=' if next == Some('=') => {
                i += 1;
                Token::Op(BinOp::Eq)
            }
            '!' if next == Some('=') => {
                i += 1;
                Token::Op(BinOp::Ne)
            }
            '<' => Token::Op(BinOp::Lt),
            '>' => Token::Op(BinOp::Gt),
            '+' => Token::Op(BinOp::Add),
            '-' => Token::Op(BinOp::Sub),
            '*' => Token::Op(BinOp::Mul),
            '/' => Token::Op(BinOp::Div),
            '!' => Token::Not,
            '(' => Token::LParen,
            ')' => Token::RParen,
            '[' => Token::LBracket,
            ']' => Token::RBracket,
            ',' => Token::Comma,
            '?' => Token::Question,
            ':' => Token::Colon,
            _ => return Err(error(&format!("unsupported character `{c}`"), start)),
        };
        i += 1;
        tokens.push((token, start));
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: i64) -> Ast {
        Ast::Number(Decimal::from(n))
    }

    #[test]
    fn precedence_follows_arithmetic() {
        let ast = parse_expression("a + b * 2 > 3 and not c").expect("parses");
        let sum = Ast::Binary(
            BinOp::Add,
            Box::new(Ast::Path("a".into())),
            Box::new(Ast::Binary(BinOp::Mul, Box::new(Ast::Path("b".into())), Box::new(num(2)))),
        );
        let expected = Ast::Binary(
            BinOp::And,
            Box::new(Ast::Binary(BinOp::Gt, Box::new(sum), Box::new(num(3)))),
            Box::new(Ast::Not(Box::new(Ast::Path("c".into())))),
        );
        assert_eq!(ast, expected);
    }

    #[test]
    fn intervals_lists_and_comparisons() {
        let items = parse_unary_test("[18..65]").expect("parses");
        assert_eq!(items, vec![TestItem::Range { low: num(18), low_closed: true, high: num(65), high_closed: true }]);
        let items = parse_unary_test("(0..0.5]").expect("parses");
        assert!(matches!(&items[0], TestItem::Range { low_closed: false, high_closed: true, .. }));
        let items = parse_unary_test("\"planting\", 'livestock'").expect("parses");
        assert_eq!(items.len(), 2);
        let items = parse_unary_test(">= 0.06").expect("parses");
        assert_eq!(items, vec![TestItem::Compare(BinOp::Ge, Ast::Number(Decimal::new(6, 2)))]);
        let items = parse_unary_test("(1 + 2)").expect("parses");
        assert!(matches!(items[0], TestItem::Equals(Ast::Binary(BinOp::Add, ..))));
    }

    #[test]
    fn paths_and_functions() {
        assert_eq!(parse_expression("$.limit").expect("parses"), Ast::Path("$.limit".into()));
        let ast = parse_expression("round(min(a.b, 3), 2)").expect("parses");
        assert!(matches!(ast, Ast::Call(ref name, ref args) if name == "round" && args.len() == 2));
        assert!(mentions_column("$ > 3 and $ < 5"));
        let ast = parse_expression("a > 1 ? b : c ? 1 : 2").expect("parses");
        assert!(matches!(ast, Ast::If(_, _, ref otherwise) if matches!(**otherwise, Ast::If(..))));
        assert!(!mentions_column("\"$\""));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let error = parse_expression("a +").expect_err("incomplete");
        assert_eq!(error.position, 3);
        assert!(parse_expression("a = 1").is_err());
        assert!(parse_expression("1 < a < 3").is_err());
        assert!(parse_unary_test("[1..2").is_err());
        assert!(parse_expression("x % 2").is_err());
        assert!(parse_expression("\"open").is_err());
    }
}
