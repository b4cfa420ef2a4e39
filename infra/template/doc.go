// Package template reads Keystorm's SAM template (template.yaml at the
// repository root) and answers two questions from it: which routes exist,
// and which function, API and authorizer serve each of them.
//
// The template is what API Gateway is built from, so it is the only place
// where routes are declared. The local server and the tests take their
// routing from this package instead of keeping a second list by hand; a
// route added, renamed or removed in the template therefore changes local
// mode and the tests in the same commit, and the two cannot drift apart.
//
// Parsing works on yaml.Node trees, so CloudFormation's short-form tags
// (!Ref, !GetAtt, !Sub, !If, ...) and their long forms ({"Ref": ...},
// {"Fn::GetAtt": ...}) are read without a custom YAML schema. Values that
// are intrinsic functions are rendered in short form ("!Ref EventsTable").
// Anything the package needs but cannot read with certainty (an Api event
// without a path, a RestApiId that names no API, a malformed path template,
// two routes for the same method and path) is an error, never a guess.
//
// Match resolves a concrete request path the way API Gateway does: a literal
// path segment beats a {param} segment at the same position, and a
// {param} beats a greedy {param+}. Allowed tells a caller whether a path
// exists for other methods, so that it can answer 405 with an Allow header.
// Note that deployed API Gateway answers an unknown method on a known path
// like an unknown path (template.yaml maps that to 404).
package template
