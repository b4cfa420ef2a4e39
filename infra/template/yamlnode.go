package template

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// maxAliasHops bounds how many aliases are followed in a row, and
// maxRenderNodes how many nodes render visits, so that a hostile or broken
// document (alias chains, alias bombs) cannot make parsing loop or explode.
const (
	maxAliasHops   = 64
	maxRenderNodes = 4096
)

// deref follows aliases and unwraps a document node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < maxAliasHops; i++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// isMapping reports whether n (after deref) is a plain mapping, that is one
// that is not an intrinsic function in short form.
func isMapping(n *yaml.Node) bool {
	n = deref(n)
	return n != nil && n.Kind == yaml.MappingNode && !isIntrinsicTag(n.Tag)
}

// lookup returns the value of key in mapping m, or nil. Merge keys ("<<")
// are honoured, explicit keys winning over merged ones. Each mapping is
// visited at most once, so cyclic merges (YAML allows an alias to the node
// being defined) cannot loop or blow up.
func lookup(m *yaml.Node, key string) *yaml.Node {
	return lookupVisit(m, key, map[*yaml.Node]bool{})
}

func lookupVisit(m *yaml.Node, key string, seen map[*yaml.Node]bool) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode || seen[m] {
		return nil
	}
	seen[m] = true
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		if k.Tag == "!!merge" {
			merges = append(merges, m.Content[i+1])
			continue
		}
		if k.Value == key {
			return m.Content[i+1]
		}
	}
	for _, mv := range merges {
		mv = deref(mv)
		if mv == nil {
			continue
		}
		if mv.Kind == yaml.SequenceNode {
			for _, item := range mv.Content {
				if v := lookupVisit(item, key, seen); v != nil {
					return v
				}
			}
			continue
		}
		if v := lookupVisit(mv, key, seen); v != nil {
			return v
		}
	}
	return nil
}

// dig looks up a chain of keys.
func dig(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		m = lookup(m, k)
		if m == nil {
			return nil
		}
	}
	return m
}

// keys returns the keys of mapping m in document order (merge keys
// excluded).
func keys(m *yaml.Node) []string {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]string, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			continue
		}
		out = append(out, k.Value)
	}
	return out
}

// scalar returns the value of a plain scalar node; ok is false for
// anything else, intrinsic functions included.
func scalar(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isIntrinsicTag(n.Tag) {
		return "", false
	}
	if n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

// stringList reads a sequence of plain scalars (or one plain scalar).
func stringList(n *yaml.Node) []string {
	n = deref(n)
	if n == nil {
		return nil
	}
	if s, ok := scalar(n); ok {
		return []string{s}
	}
	if n.Kind != yaml.SequenceNode || isIntrinsicTag(n.Tag) {
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if s, ok := scalar(c); ok {
			out = append(out, s)
		}
	}
	return out
}

// isIntrinsicTag reports whether tag is a local tag such as !Ref, as
// opposed to a YAML core tag (!!str) or no tag.
func isIntrinsicTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// intrinsic splits n into an intrinsic function name (without "Fn::" or
// "!") and its argument. Both the short form (!GetAtt X.Arn) and the long
// form ({"Fn::GetAtt": ...}, {"Ref": X}) are recognised.
func intrinsic(n *yaml.Node) (name string, arg *yaml.Node, ok bool) {
	n = deref(n)
	if n == nil {
		return "", nil, false
	}
	if isIntrinsicTag(n.Tag) {
		// Present the argument as an untagged copy of the node.
		c := *n
		c.Tag = ""
		switch c.Kind {
		case yaml.ScalarNode:
			c.Tag = "!!str"
		case yaml.SequenceNode:
			c.Tag = "!!seq"
		case yaml.MappingNode:
			c.Tag = "!!map"
		}
		return strings.TrimPrefix(n.Tag, "!"), &c, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := deref(n.Content[0])
		if k != nil && k.Kind == yaml.ScalarNode {
			switch {
			case k.Value == "Ref" || k.Value == "Condition":
				return k.Value, n.Content[1], true
			case strings.HasPrefix(k.Value, "Fn::"):
				return strings.TrimPrefix(k.Value, "Fn::"), n.Content[1], true
			}
		}
	}
	return "", nil, false
}

// refTarget returns X for !Ref X or {"Ref": X}.
func refTarget(n *yaml.Node) (string, bool) {
	name, arg, ok := intrinsic(n)
	if !ok || name != "Ref" {
		return "", false
	}
	return scalar(arg)
}

// getAttTarget returns resource and attribute for !GetAtt R.A,
// !GetAtt [R, A] and {"Fn::GetAtt": [R, A]}.
func getAttTarget(n *yaml.Node) (resource, attr string, ok bool) {
	name, arg, ok := intrinsic(n)
	if !ok || name != "GetAtt" {
		return "", "", false
	}
	if s, ok := scalar(arg); ok {
		r, a, found := strings.Cut(s, ".")
		return r, a, found && r != "" && a != ""
	}
	parts := stringList(arg)
	if len(parts) == 2 && parts[0] != "" && parts[1] != "" {
		return parts[0], parts[1], true
	}
	return "", "", false
}

// render turns a value into a string: plain scalars as they are, intrinsic
// functions in short form ("!Ref EventsTable", "!GetAtt ViewsTable.Arn",
// "!If [TracingOn, Active, PassThrough]"), other collections in flow style.
func render(n *yaml.Node) string {
	budget := maxRenderNodes
	var b strings.Builder
	renderTo(&b, n, &budget)
	return b.String()
}

func renderTo(b *strings.Builder, n *yaml.Node, budget *int) {
	*budget--
	if *budget < 0 {
		b.WriteString("…")
		return
	}
	n = deref(n)
	if n == nil {
		return
	}
	if name, arg, ok := intrinsic(n); ok {
		b.WriteString("!")
		b.WriteString(name)
		if r, a, ok := getAttTarget(n); ok {
			b.WriteString(" " + r + "." + a)
			return
		}
		b.WriteString(" ")
		renderTo(b, arg, budget)
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		b.WriteString(n.Value)
	case yaml.SequenceNode:
		b.WriteString("[")
		for i, c := range n.Content {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, c, budget)
		}
		b.WriteString("]")
	case yaml.MappingNode:
		b.WriteString("{")
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, n.Content[i], budget)
			b.WriteString(": ")
			renderTo(b, n.Content[i+1], budget)
		}
		b.WriteString("}")
	}
}
