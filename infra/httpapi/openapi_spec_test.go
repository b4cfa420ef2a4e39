package httpapi

import (
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestOpenAPIDocumentValidatesAs31 validates the committed document
// against the OpenAPI 3.1 schema (libopenapi-validator embeds the
// official one) and builds its model, which resolves every reference:
// tools that read 3.1 read this document.
func TestOpenAPIDocumentValidatesAs31(t *testing.T) {
	doc, err := libopenapi.NewDocument(OpenAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetSpecInfo().Version; v != "3.1.0" {
		t.Fatalf("libopenapi reads version %q", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s (%s)", se.Reason, se.FieldPath, se.KeywordLocation)
			}
		}
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Errorf("model: %v", err)
	}
}
