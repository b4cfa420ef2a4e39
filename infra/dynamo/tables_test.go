package dynamo

import (
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"gopkg.in/yaml.v3"
)

// tableShape is the part of a table definition that must agree between
// template.yaml (deployed stacks) and EnsureTables (local servers and
// tests): a query that works on one must work on the other.
type tableShape struct {
	Attributes []string // name:type, sorted
	Key        []string // name:HASH|RANGE
	Indexes    []string // name key... projection, sorted
}

func shapeOf(in *dynamodb.CreateTableInput) tableShape {
	var s tableShape
	for _, a := range in.AttributeDefinitions {
		s.Attributes = append(s.Attributes, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	for _, k := range in.KeySchema {
		s.Key = append(s.Key, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	for _, g := range in.GlobalSecondaryIndexes {
		x := aws.ToString(g.IndexName)
		for _, k := range g.KeySchema {
			x += " " + aws.ToString(k.AttributeName) + ":" + string(k.KeyType)
		}
		s.Indexes = append(s.Indexes, x+" "+string(g.Projection.ProjectionType))
	}
	slices.Sort(s.Attributes)
	slices.Sort(s.Indexes)
	return s
}

// templateShape reads a table resource's shape from template.yaml.
func templateShape(t *testing.T, resource string) tableShape {
	t.Helper()
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Only the keys below are decoded, so the intrinsic functions
	// (!Ref, !Sub) elsewhere in the template do not matter.
	type attr struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
		KeyType       string `yaml:"KeyType"`
	}
	var doc struct {
		Resources map[string]struct {
			Properties struct {
				AttributeDefinitions []attr `yaml:"AttributeDefinitions"`
				KeySchema            []attr `yaml:"KeySchema"`
				Indexes              []struct {
					IndexName  string `yaml:"IndexName"`
					KeySchema  []attr `yaml:"KeySchema"`
					Projection struct {
						ProjectionType string `yaml:"ProjectionType"`
					} `yaml:"Projection"`
				} `yaml:"GlobalSecondaryIndexes"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	// Drop every intrinsic tag, which a struct field cannot take.
	var strip func(n *yaml.Node)
	strip = func(n *yaml.Node) {
		if len(n.Tag) > 1 && n.Tag[0] == '!' && n.Tag[1] != '!' {
			n.Tag = ""
		}
		for _, c := range n.Content {
			strip(c)
		}
	}
	strip(&root)
	if err := root.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	r, ok := doc.Resources[resource]
	if !ok {
		t.Fatalf("template.yaml has no %s", resource)
	}
	var s tableShape
	for _, a := range r.Properties.AttributeDefinitions {
		s.Attributes = append(s.Attributes, a.AttributeName+":"+a.AttributeType)
	}
	for _, k := range r.Properties.KeySchema {
		s.Key = append(s.Key, k.AttributeName+":"+k.KeyType)
	}
	for _, g := range r.Properties.Indexes {
		x := g.IndexName
		for _, k := range g.KeySchema {
			x += " " + k.AttributeName + ":" + k.KeyType
		}
		s.Indexes = append(s.Indexes, x+" "+g.Projection.ProjectionType)
	}
	slices.Sort(s.Attributes)
	slices.Sort(s.Indexes)
	return s
}

// TestTablesMatchTemplate: EnsureTables creates the tables template.yaml
// deploys — attributes, keys and indexes — so the log index the event
// log queries exists in both.
func TestTablesMatchTemplate(t *testing.T) {
	st := &Store{Events: "e", Views: "v"}
	for _, c := range []struct {
		resource string
		in       *dynamodb.CreateTableInput
	}{
		{"EventsTable", st.eventsSchema()},
		{"ViewsTable", st.viewsSchema()},
	} {
		want, got := templateShape(t, c.resource), shapeOf(c.in)
		if !slices.Equal(want.Attributes, got.Attributes) || !slices.Equal(want.Key, got.Key) || !slices.Equal(want.Indexes, got.Indexes) {
			t.Errorf("%s: template.yaml %+v, EnsureTables %+v", c.resource, want, got)
		}
	}
	if ix := shapeOf(st.eventsSchema()).Indexes; !slices.Contains(ix, logIndex+" tenant:HASH logsk:RANGE ALL") {
		t.Errorf("events table indexes %v: no log index", ix)
	}
}
