package stdlib

import (
	_ "embed"
	"sync"

	"lpz/lang"
)

// RulesSource is the rules file of the search's rule-based pruning (RPS):
// rewrite rules to a canonical form and reject rules (see rules.lpz).
//
//go:embed rules.lpz
var RulesSource string

var (
	rulesOnce sync.Once
	rules     *lang.RuleSet
	rulesErr  error
)

// Rules returns the embedded rule set, loaded once. The rule set is
// read-only and safe to share.
func Rules() (*lang.RuleSet, error) {
	rulesOnce.Do(func() { rules, rulesErr = LoadRules("rules.lpz", RulesSource) })
	return rules, rulesErr
}

// LoadRules parses and validates a rules file against the default op table.
func LoadRules(file, src string) (*lang.RuleSet, error) {
	p, err := lang.Parse(file, src)
	if err != nil {
		return nil, err
	}
	return lang.NewRuleSet(p, func(op string) (string, bool) {
		o, ok := Default.Lookup(op)
		if !ok {
			return "", false
		}
		return o.Name, true
	})
}
