package lang

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle grammar. These structs exist only to be lowered at once
// into the closed AST of ast.go; nothing outside this package sees them.

var lpzLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `#[^\n]*`},
	{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
	{Name: "Number", Pattern: `(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*`},
	{Name: "Arrow", Pattern: `->`},
	{Name: "Punct", Pattern: `[-+*/()\[\],=;:]`},
})

type gProgram struct {
	Stmts []*gStmt `parser:"(@@ ';'*)*"`
}

type gStmt struct {
	Pos    lexer.Position
	Let    *gBinding `parser:"  'let' @@"`
	Proxy  *gBinding `parser:"| 'proxy' @@"`
	Print  *gExpr    `parser:"| 'print' @@"`
	Rule   *gRule    `parser:"| 'rule' @@"`
	Reject *gReject  `parser:"| 'reject' @@"`
	Expr   *gExpr    `parser:"| @@"`
}

type gBinding struct {
	Name string `parser:"@Ident '='"`
	Expr *gExpr `parser:"@@"`
}

type gRule struct {
	Lhs   *gExpr `parser:"@@ Arrow"`
	Rhs   *gExpr `parser:"@@"`
	Guard *gExpr `parser:"('if' @@)?"`
}

type gReject struct {
	Pattern *gExpr `parser:"@@"`
	Guard   *gExpr `parser:"('if' @@)?"`
}

// gExpr: additive level, left associative.
type gExpr struct {
	Pos  lexer.Position
	Head *gTerm     `parser:"@@"`
	Tail []*gOpTerm `parser:"@@*"`
}

type gOpTerm struct {
	Pos  lexer.Position
	Op   string `parser:"@('+' | '-')"`
	Term *gTerm `parser:"@@"`
}

// gTerm: multiplicative level, left associative.
type gTerm struct {
	Pos  lexer.Position
	Head *gUnary     `parser:"@@"`
	Tail []*gOpUnary `parser:"@@*"`
}

type gOpUnary struct {
	Pos   lexer.Position
	Op    string  `parser:"@('*' | '/')"`
	Unary *gUnary `parser:"@@"`
}

type gUnary struct {
	Pos     lexer.Position
	Neg     *gUnary   `parser:"  '-' @@"`
	Primary *gPrimary `parser:"| @@"`
}

type gPrimary struct {
	Pos    lexer.Position
	Number *string `parser:"  @Number"`
	Call   *gCall  `parser:"| @@"`
	Ref    *string `parser:"| @Ident"`
	Paren  *gExpr  `parser:"| '(' @@ ')'"`
	List   *gList  `parser:"| @@"`
}

type gCall struct {
	Name string   `parser:"@Ident '('"`
	Args []*gExpr `parser:"(@@ (',' @@)*)? ')'"`
}

type gList struct {
	Pos   lexer.Position
	Elems []*gExpr `parser:"'[' (@@ (',' @@)* ','?)? ']'"`
}

var keywords = map[string]bool{"let": true, "proxy": true, "print": true, "rule": true, "reject": true, "if": true}

var parser = participle.MustBuild[gProgram](
	participle.Lexer(lpzLexer),
	participle.Elide("Comment", "Whitespace"),
	participle.UseLookahead(3),
)
