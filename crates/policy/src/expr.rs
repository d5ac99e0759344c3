//! The expression and unary-test syntax of the supported JDM subset, parsed into an untyped tree. `compile` types
//! the tree against the fields in scope. Expressions: numbers, strings in double or single quotes, `true`, `false`,
//! `null`, dotted field paths (`applicant.age`, `$` for the column under test, `$.key` for a key set earlier in the
//! same expression node), `+ - * /`, `< <= > >= == !=`, `and`, `or`, `not`/`!`, `condition ? a : b`, parentheses
//! and the functions `min([a, b, …])` and `max([a, b, …])` (GoRules' form; `min(a, b)` and `max(a, b)` too),
//! `abs(x)`, `floor(x)`, `ceil(x)`, `round(x)` and `round(x, n)`. Unary tests (decision-table input cells) are a
//! comma-separated list of alternatives, each a comparison with the column value (`> 600`, `!= 0`), an interval
//! (`[18..65]`, `(0..0.5]`) or a value the column must equal (`"planting"`, `true`, `null`).
//!
//! Parsing is recursive, and so are typing, evaluation and dropping the trees: a text is refused when it is longer
//! than [`MAX_TEXT_CHARS`] or nests deeper than [`MAX_NESTING`], so no policy file can exhaust the stack.

use rust_decimal::Decimal;

use crate::schema::parse_decimal;

/// How deeply an expression may nest. Every operator, unary minus or `not`, parenthesis, function call and list
/// opens a level around its operands, and a value is one level: `-(a + b)` is four deep, and a chain `a + b + c`
/// is three, as its tree is. The default policy's deepest expression is 7 levels (`floor(min([…]) * f / 1000) *
/// 1000`). Parsing, typing and evaluating take under 1 KiB of stack a level in an optimised build, so at this
/// limit a few dozen KiB, and an expression of 60,000 minus signs is an error instead of a stack overflow.
pub const MAX_NESTING: usize = 64;

/// Longest expression or cell text, in characters (the default policy's longest is 267).
pub const MAX_TEXT_CHARS: usize = 10_000;

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
    /// `expression` calls under way: bounded by [`MAX_NESTING`] before the tree that would be too deep is built.
    open: usize,
}

/// A parsed subtree and its depth (a value alone is 1).
struct Tree {
    ast: Ast,
    depth: usize,
}

/// Parses a whole expression.
pub fn parse_expression(text: &str) -> Result<Ast, ParseError> {
    let mut parser = Parser::new(text)?;
    let tree = parser.expression(0)?;
    parser.finish()?;
    Ok(tree.ast)
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
        Ok(Self { text, tokens: lex(text)?, at: 0, open: 0 })
    }

    /// A tree of `depth` levels, or the error naming the limit if that is too deep.
    fn tree(&self, ast: Ast, depth: usize) -> Result<Tree, ParseError> {
        if depth > MAX_NESTING { Err(self.too_deep()) } else { Ok(Tree { ast, depth }) }
    }

    fn too_deep(&self) -> ParseError {
        self.error(format!("nested deeper than {MAX_NESTING} levels"))
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
                Ok(TestItem::Compare(op, self.expression(3)?.ast))
            }
            Some(Token::LBracket) => {
                self.at += 1;
                let low = self.expression(0)?.ast;
                self.range(low, true)
            }
            Some(Token::LParen) => {
                let start = self.at;
                self.at += 1;
                // `(a..b]` is an interval; `(a + b) * 2` an ordinary value, parsed again from the parenthesis.
                let low = self.expression(0)?.ast;
                if self.peek() == Some(&Token::DotDot) {
                    self.range(low, false)
                } else {
                    self.at = start;
                    Ok(TestItem::Equals(self.expression(0)?.ast))
                }
            }
            _ => Ok(TestItem::Equals(self.expression(0)?.ast)),
        }
    }

    fn range(&mut self, low: Ast, low_closed: bool) -> Result<TestItem, ParseError> {
        self.expect(&Token::DotDot, "`..` in an interval")?;
        let high = self.expression(0)?.ast;
        let high_closed = match self.peek() {
            Some(Token::RBracket) => true,
            Some(Token::RParen) => false,
            _ => return Err(self.error("expected `]` or `)` closing an interval")),
        };
        self.at += 1;
        Ok(TestItem::Range { low, low_closed, high, high_closed })
    }

    /// Precedence climbing: 1 `or`, 2 `and`, 3 comparisons, 4 `+ -`, 5 `* /`. Every call parses a subtree one
    /// level below its caller's, so counting the calls under way refuses a text nested too deep before the
    /// recursion can exhaust the stack; a chain `a + b + c`, parsed in a loop, deepens the tree it builds instead,
    /// which [`Parser::tree`] bounds.
    fn expression(&mut self, min_level: u8) -> Result<Tree, ParseError> {
        if self.open >= MAX_NESTING {
            return Err(self.too_deep());
        }
        self.open += 1;
        let tree = self.climb(min_level);
        self.open -= 1;
        tree
    }

    fn climb(&mut self, min_level: u8) -> Result<Tree, ParseError> {
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
                && let Ast::Binary(inner, ..) = &left.ast
                && is_comparison(*inner)
            {
                return Err(self.error("comparisons do not chain; use `and`"));
            }
            let depth = 1 + left.depth.max(right.depth);
            left = self.tree(Ast::Binary(op, Box::new(left.ast), Box::new(right.ast)), depth)?;
        }
        if min_level == 0 && self.eat(&Token::Question) {
            let then = self.expression(0)?;
            self.expect(&Token::Colon, "`:` in `condition ? a : b`")?;
            let otherwise = self.expression(0)?;
            let depth = 1 + left.depth.max(then.depth).max(otherwise.depth);
            let ast = Ast::If(Box::new(left.ast), Box::new(then.ast), Box::new(otherwise.ast));
            left = self.tree(ast, depth)?;
        }
        Ok(left)
    }

    /// A comma-separated list of expressions up to `close`, which the caller has checked is not next.
    fn items(&mut self, close: &Token, what: &str) -> Result<(Vec<Ast>, usize), ParseError> {
        let mut items = Vec::new();
        let mut depth = 0;
        loop {
            let item = self.expression(0)?;
            depth = depth.max(item.depth);
            items.push(item.ast);
            if !self.eat(&Token::Comma) {
                break;
            }
        }
        self.expect(close, what)?;
        Ok((items, depth))
    }

    fn prefix(&mut self) -> Result<Tree, ParseError> {
        let Some((token, _)) = self.tokens.get(self.at).cloned() else {
            return Err(self.error("expected a value"));
        };
        self.at += 1;
        match token {
            Token::Number(number) => self.tree(Ast::Number(number), 1),
            Token::String(text) => self.tree(Ast::String(text), 1),
            Token::Op(BinOp::Sub) => {
                let inner = self.expression(5)?;
                self.tree(Ast::Neg(Box::new(inner.ast)), inner.depth + 1)
            }
            Token::Not => {
                let inner = self.expression(2)?;
                self.tree(Ast::Not(Box::new(inner.ast)), inner.depth + 1)
            }
            Token::LParen => {
                let inner = self.expression(0)?;
                self.expect(&Token::RParen, "`)`")?;
                self.tree(inner.ast, inner.depth + 1)
            }
            Token::LBracket => {
                let (items, depth) = self.items(&Token::RBracket, "`]` closing the list")?;
                self.tree(Ast::List(items), depth + 1)
            }
            Token::Ident(name) => match name.as_str() {
                "true" => self.tree(Ast::Bool(true), 1),
                "false" => self.tree(Ast::Bool(false), 1),
                "null" => self.tree(Ast::Null, 1),
                _ if self.eat(&Token::LParen) => {
                    let (args, depth) = if self.eat(&Token::RParen) {
                        (Vec::new(), 0)
                    } else {
                        self.items(&Token::RParen, "`)` closing the arguments")?
                    };
                    self.tree(Ast::Call(name, args), depth + 1)
                }
                _ => self.tree(Ast::Path(name), 1),
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
    if text.chars().nth(MAX_TEXT_CHARS).is_some() {
        // The error quotes the beginning only: the message must stay readable.
        let beginning: String = text.chars().take(40).collect();
        return Err(ParseError {
            message: format!("longer than {MAX_TEXT_CHARS} characters"),
            position: MAX_TEXT_CHARS,
            text: format!("{beginning}…"),
        });
    }
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

    /// Parses on a small stack: the limits must refuse a pathological text before the recursion goes deep.
    fn parse_small(text: String, unary_test: bool) -> Result<(), ParseError> {
        crate::on_small_stack(move || {
            if unary_test { parse_unary_test(&text).map(drop) } else { parse_expression(&text).map(drop) }
        })
    }

    fn too_deep(text: String, unary_test: bool) {
        let shown: String = text.chars().take(30).collect();
        let error = parse_small(text, unary_test).expect_err("refused");
        assert_eq!(error.message, format!("nested deeper than {MAX_NESTING} levels"), "{shown}");
    }

    #[test]
    fn sixty_thousand_minus_signs_or_parentheses_are_refused_not_a_stack_overflow() {
        for text in ["-".repeat(60_000) + "1", "(".repeat(60_000) + "1" + &")".repeat(60_000)] {
            let error = parse_small(text, false).expect_err("refused");
            assert_eq!(error.message, format!("longer than {MAX_TEXT_CHARS} characters"));
            assert!(error.to_string().len() < 200, "{error}");
        }
        let just_short_enough = "-".repeat(MAX_TEXT_CHARS - 1) + "1";
        too_deep(just_short_enough, false);
        too_deep("(".repeat(4_000) + "1" + &")".repeat(4_000), false);
        too_deep("(".repeat(9_999), false);
    }

    #[test]
    fn every_kind_of_nesting_is_bounded() {
        let n = 1_000;
        too_deep("abs(".repeat(n) + "1" + &")".repeat(n), false);
        too_deep("max([".repeat(n) + "1" + &"])".repeat(n), false);
        too_deep("[".repeat(n) + "1" + &"]".repeat(n), false);
        too_deep("not ".repeat(n) + "true", false);
        too_deep("! ".repeat(n) + "true", false);
        too_deep("a ? b : ".repeat(n) + "c", false);
        too_deep("1 + ".repeat(n) + "1", false);
        too_deep("a or ".repeat(n) + "b", false);
        too_deep("2 * -".repeat(n) + "1", false);
        // Unary tests: each alternative's value, the bounds of an interval, a parenthesised value.
        too_deep("> ".to_owned() + &"-".repeat(n) + "1", true);
        too_deep("[".repeat(n) + "1..2]", true);
        too_deep("(".repeat(n) + "1..2]", true);
        too_deep("[1..".to_owned() + &"(".repeat(n) + "2", true);
        too_deep("1, ".to_owned() + &"-".repeat(n) + "1", true);
    }

    #[test]
    fn nesting_up_to_the_limit_parses() {
        // A value is one level, each minus sign one more.
        let deepest = "-".repeat(MAX_NESTING - 1) + "1";
        parse_small(deepest, false).expect("exactly at the limit");
        too_deep("-".repeat(MAX_NESTING) + "1", false);
        let sum = "1 + ".repeat(MAX_NESTING - 1) + "1";
        parse_small(sum, false).expect("a chain of 63 additions is 64 deep");
        too_deep("1 + ".repeat(MAX_NESTING) + "1", false);
        // A parenthesis is a level: 62 of them around `-1`.
        let parenthesised = "(".repeat(MAX_NESTING - 2) + "-1" + &")".repeat(MAX_NESTING - 2);
        parse_small(parenthesised, false).expect("at the limit");
        too_deep("(".repeat(MAX_NESTING - 1) + "-1" + &")".repeat(MAX_NESTING - 1), false);
        parse_small("[".repeat(MAX_NESTING - 1) + "1" + &"]".repeat(MAX_NESTING - 1), false).expect("at the limit");
        parse_small("[0..".to_owned() + &"-".repeat(MAX_NESTING - 1) + "1]", true).expect("at the limit");
    }

    #[test]
    fn long_texts_are_refused_with_their_beginning_quoted() {
        let list = vec!["\"x\""; MAX_TEXT_CHARS / 4].join(", ");
        let error = parse_unary_test(&list).expect_err("too long");
        assert_eq!(
            error.to_string(),
            format!("longer than {MAX_TEXT_CHARS} characters at character {MAX_TEXT_CHARS} of `{}…`", &list[..40])
        );
        let fits = "1".repeat(MAX_TEXT_CHARS);
        assert_eq!(parse_expression(&fits).map_err(|e| e.message), Err("number out of range".to_owned()));
        let multibyte = "\"".to_owned() + &"稻".repeat(MAX_TEXT_CHARS - 2) + "\"";
        assert!(parse_unary_test(&multibyte).is_ok(), "characters, not bytes, are counted");
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
