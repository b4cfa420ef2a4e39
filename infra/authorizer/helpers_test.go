package authorizer_test

import (
	"fmt"
	"io"
	"log/slog"
)

func slogJSON(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
func fmtV(v any) string                 { return fmt.Sprintf("%v", v) }
func fmtPlusV(v any) string             { return fmt.Sprintf("%+v", v) }
func fmtSharpV(v any) string            { return fmt.Sprintf("%#v", v) }
